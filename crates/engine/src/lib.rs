//! The pure, deterministic ASL interpreter.
//!
//! Architecture Invariant: no IO, no clock, no randomness of its own. An
//! [`Execution`] changes only through [`Execution::start`] and
//! [`Execution::handle`], and each call returns the history events it recorded and
//! the commands (tasks to invoke, timers to arm) for the caller to carry out.

mod context;
mod dataflow;
pub mod event;
mod execution;
mod failure;
mod fanout;
mod item_reader;
mod jsonata;
mod limits;
mod plan;
pub mod random;
mod result_writer;
mod retry;
pub mod simulate;
mod states;
mod task;
pub mod test_state;
pub mod time;
mod variables;

pub use event::{ErrorDetails, EventDetails, HistoryEvent};
pub use execution::{
    Caller, Command, Decision, Execution, ExecutionInfo, Input, Limits, Status, TaskRequest,
};
pub use plan::Plan;
pub use task::ResourceKind;
