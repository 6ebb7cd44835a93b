//! The `stepwise` command: run a state machine, validate a definition, or try
//! the data languages one expression or one state at a time.
//!
//! Exit codes: 0 success; 1 a failed execution, an invalid definition or bad
//! input; 2 a usage error (clap's).

mod bench;
mod clock;
mod eval;
mod eval_state;
mod integrations;
mod io;
mod run;
mod serve;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: JSON documents are many small allocations; it makes the engine's
/// state transitions markedly cheaper than the system allocator does. Built
/// without transparent huge pages (`no_thp`), which nearly doubled the server's RSS.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "stepwise",
    version,
    about = "Run Amazon States Language state machines as AWS Step Functions does"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one execution in-process and print its output.
    Run(run::Args),
    /// Validate a definition as ValidateStateMachineDefinition does.
    Validate(validate::Args),
    /// Evaluate a JSONPath, payload template, JSONata expression or one state's data flow.
    Eval(eval::Args),
    /// Serve the AWS Step Functions API (AWS CLI, boto3 and the SDKs work unchanged).
    Serve(serve::Args),
    /// Measure a real `stepwise serve` through its HTTP API (throughput, latency, memory).
    Bench(bench::Args),
}

/// A failure with a name and a cause, printed as `error: NAME` / `cause: TEXT`.
#[derive(Debug)]
pub struct Failure {
    pub error: String,
    pub cause: String,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.cause)
    }
}

impl std::error::Error for Failure {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::main(args),
        Command::Validate(args) => validate::main(args),
        Command::Eval(args) => eval::main(args),
        Command::Serve(args) => serve::main(args),
        Command::Bench(args) => bench::main(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            match e.downcast_ref::<Failure>() {
                Some(f) => {
                    eprintln!("error: {}", f.error);
                    eprintln!("cause: {}", f.cause);
                }
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}
