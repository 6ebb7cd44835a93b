//! The runtime's shared state: the store, the running executions' actors, the
//! plan cache, the timer loop's wake-up, counters; and small helpers.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use engine::Plan;
use tokio::sync::Notify;

use crate::journal::Actor;
use crate::{Error, Result, RuntimeConfig};

/// Shared by the API handle, the timer loop and every task the runtime spawns.
pub(crate) struct Inner {
    pub store: Arc<dyn store::Store>,
    pub config: RuntimeConfig,
    /// The running Standard executions held in memory, by ARN.
    pub actors: Mutex<HashMap<String, Arc<Actor>>>,
    /// One gate per execution being rebuilt from its journal, so concurrent
    /// loads of it yield one actor (`recovery::load`).
    pub loading: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Running executions whose replay disagreed with their history: not
    /// rebuilt again (the mismatch was reported once).
    pub unresumable: Mutex<HashSet<String>>,
    /// Executions whose inbox a delivery task is draining now.
    pub delivering: Mutex<HashSet<String>>,
    /// RedriveExecution client tokens: (execution, token) → redrive date.
    pub redrive_tokens: Mutex<HashMap<(String, String), i64>>,
    /// Express executions running in memory.
    pub express: Mutex<HashSet<String>>,
    /// Wakes the timer loop (a timer was armed, or work is waiting).
    pub timer_wake: Arc<Notify>,
    pub timer_loop_started: AtomicBool,
    /// Express machines resolved by ARN (StartSyncExecution's hot path).
    pub machines: crate::start::MachineCache,
    /// Plans by definition text and machine type.
    plans: Mutex<HashMap<(String, bool), Arc<Plan>>>,
    pub stats: Counters,
    /// The execution log writer (none without a log directory).
    pub logs: Option<crate::logging::LogSink>,
    /// Activity tasks waiting for a worker.
    pub activities: crate::activities::Queues,
    /// Invocations running now, to stop when their task is abandoned.
    pub in_flight: crate::inflight::InFlight,
}

/// Counters read by [`crate::Runtime::stats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub recovered: AtomicU64,
    pub replay_mismatches: AtomicU64,
    pub commit_failures: AtomicU64,
    pub evictions: AtomicU64,
    pub rebuilds: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Locks a std mutex; a poisoned one (a panic elsewhere) is still usable: its
/// data are plain maps that no panic leaves half-written.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    pub fn new(store: Arc<dyn store::Store>, config: RuntimeConfig) -> Inner {
        let log_dir = config
            .log_dir
            .clone()
            .or_else(|| store.data_dir().map(|d| d.join("logs")));
        Inner {
            logs: log_dir.map(crate::logging::LogSink::start),
            store,
            config,
            actors: Mutex::new(HashMap::new()),
            loading: Mutex::new(HashMap::new()),
            unresumable: Mutex::new(HashSet::new()),
            delivering: Mutex::new(HashSet::new()),
            redrive_tokens: Mutex::new(HashMap::new()),
            express: Mutex::new(HashSet::new()),
            timer_wake: Arc::new(Notify::new()),
            timer_loop_started: AtomicBool::new(false),
            machines: crate::start::MachineCache::default(),
            plans: Mutex::new(HashMap::new()),
            stats: Counters::default(),
            activities: crate::activities::Queues::default(),
            in_flight: Default::default(),
        }
    }

    /// Runs a store call on the blocking pool (the store is synchronous).
    pub async fn store<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn store::Store) -> store::Result<T> + Send + 'static,
    {
        let s = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || f(&*s))
            .await
            .map_err(|e| {
                if e.is_cancelled() {
                    Error::ShuttingDown
                } else {
                    Error::Internal(format!("store task failed: {e}"))
                }
            })?
            .map_err(Error::from)
    }

    /// Commits transitions without a blocking thread: the store's writer
    /// answers through a one-shot channel once they are durable.
    pub async fn commit(&self, batch: Vec<store::Transition>) -> Result<Vec<store::CommitOutcome>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.store.commit_then(
            batch,
            Box::new(move |result| {
                let _ = tx.send(result);
            }),
        );
        rx.await
            .map_err(|_| Error::ShuttingDown)?
            .map_err(Error::from)
    }

    /// The plan of a stored definition, parsed once per text.
    pub fn plan(&self, definition: &str, express: bool) -> Result<Arc<Plan>> {
        let key = (definition.to_string(), express);
        if let Some(p) = lock(&self.plans).get(&key) {
            return Ok(Arc::clone(p));
        }
        let options = asl::ParseOptions {
            state_machine_type: if express {
                asl::StateMachineType::Express
            } else {
                asl::StateMachineType::Standard
            },
        };
        let (def, diagnostics) = asl::parse_with(definition, &options);
        let Some(def) = def else {
            let text = diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Error::InvalidDefinition(text));
        };
        let plan = Plan::new(def);
        let mut plans = lock(&self.plans);
        if plans.len() >= 256 {
            plans.clear();
        }
        plans.insert(key, Arc::clone(&plan));
        Ok(plan)
    }

    pub fn actor(&self, arn: &str) -> Option<Arc<Actor>> {
        lock(&self.actors).get(arn).cloned()
    }
}

/// Wall-clock epoch milliseconds: the only clock executions see.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
