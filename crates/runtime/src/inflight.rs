//! Invocations in flight, so that a task its execution abandoned (its state
//! timed out, the execution stopped or failed) stops its work: dropping the
//! invocation's future kills a local function's or command's process, as the
//! state's end makes its result worthless.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::core::lock;

#[derive(Default)]
pub(crate) struct InFlight(Mutex<HashMap<(String, u64), oneshot::Sender<()>>>);

impl InFlight {
    /// Notes task `task` of `arn` as running; the receiver fires when it is
    /// cancelled. Call under the execution's lock, where the task is dispatched.
    pub fn register(&self, arn: &str, task: u64) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        lock(&self.0).insert((arn.to_string(), task), tx);
        rx
    }

    /// The invocation returned (its result is being delivered).
    pub fn finished(&self, arn: &str, task: u64) {
        lock(&self.0).remove(&(arn.to_string(), task));
    }

    /// Stops the invocations of `tasks`, once the transition that abandoned
    /// them is durable. Tasks not in flight (activities, ended) are ignored.
    pub fn cancel(&self, arn: &str, tasks: impl IntoIterator<Item = u64>) {
        let mut map = lock(&self.0);
        for task in tasks {
            if let Some(tx) = map.remove(&(arn.to_string(), task)) {
                let _ = tx.send(());
            }
        }
    }
}
