//! Execution logging: history events written as log records the way Step
//! Functions writes them to CloudWatch Logs, one JSON object per event
//! (`id`, `type`, `details`, `previous_event_id`, `event_timestamp`,
//! `execution_arn`), to `<log dir>/<log group name>.jsonl`.
//!
//! Records go through a channel to one writer thread, never on an execution's
//! path: a full channel drops the record (delivery is best effort, as AWS's is).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

use serde_json::{Map, Value, json};

/// Which events a machine's `loggingConfiguration.level` logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    All,
    Error,
    Fatal,
}

/// A machine's logging configuration, when it logs anything.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogConfig {
    pub level: Level,
    pub include_data: bool,
    /// The log group's name (from `…:log-group:<name>:*`).
    pub group: String,
}

impl LogConfig {
    /// Parses stored `loggingConfiguration` JSON; `None` for OFF or no destination.
    pub fn parse(text: Option<&str>) -> Option<LogConfig> {
        let v: Value = serde_json::from_str(text?).ok()?;
        let level = match v.get("level").and_then(Value::as_str)? {
            "ALL" => Level::All,
            "ERROR" => Level::Error,
            "FATAL" => Level::Fatal,
            _ => return None,
        };
        let arn = v
            .get("destinations")?
            .get(0)?
            .get("cloudWatchLogsLogGroup")?
            .get("logGroupArn")?
            .as_str()?;
        let group = group_name(arn)?;
        Some(LogConfig {
            level,
            include_data: v
                .get("includeExecutionData")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            group,
        })
    }

    /// Whether an event of this type is logged at this level: ALL every event,
    /// ERROR the failure events, FATAL only the execution's own failure.
    pub fn logs(&self, event_type: &str) -> bool {
        let fatal = matches!(
            event_type,
            "ExecutionFailed" | "ExecutionAborted" | "ExecutionTimedOut"
        );
        match self.level {
            Level::All => true,
            Level::Fatal => fatal,
            Level::Error => {
                fatal
                    || event_type.ends_with("Failed")
                    || event_type.ends_with("TimedOut")
                    || event_type.ends_with("Aborted")
            }
        }
    }

    /// The log record of one event (its GetExecutionHistory form reshaped).
    pub fn record(&self, arn: &str, event: &engine::HistoryEvent) -> Option<String> {
        let event_type = event.type_name();
        if !self.logs(&event_type) {
            return None;
        }
        let mut details = Map::new();
        if let Value::Object(m) = event.to_json() {
            for (k, v) in m {
                if k.ends_with("EventDetails")
                    && let Value::Object(d) = v
                {
                    details = d;
                }
            }
        }
        if !self.include_data {
            for key in ["input", "output", "parameters", "assignedVariables"] {
                details.remove(key);
            }
        }
        Some(
            json!({
                "id": event.id.to_string(),
                "type": event_type,
                "details": details,
                "previous_event_id": event.previous_event_id.to_string(),
                "event_timestamp": event.timestamp.to_string(),
                "execution_arn": arn,
            })
            .to_string(),
        )
    }
}

/// `arn:aws:logs:<region>:<account>:log-group:<name>:*` → `<name>`, made safe
/// as a file name.
fn group_name(arn: &str) -> Option<String> {
    let rest = arn.split(":log-group:").nth(1)?;
    let name = rest.strip_suffix(":*").unwrap_or(rest);
    if name.is_empty() {
        return None;
    }
    Some(
        name.chars()
            .map(|c| match c {
                '/' | '\\' | ':' => '_',
                c => c,
            })
            .collect::<String>()
            .trim_start_matches('.')
            .to_string(),
    )
}

/// The writer thread's inbox: (log group, record line).
#[derive(Clone)]
pub(crate) struct LogSink {
    tx: SyncSender<(String, String)>,
}

impl LogSink {
    /// Starts the writer thread for files under `dir`.
    pub fn start(dir: PathBuf) -> LogSink {
        let (tx, rx) = sync_channel::<(String, String)>(65_536);
        std::thread::Builder::new()
            .name("stepwise-logs".into())
            .spawn(move || {
                let mut files: HashMap<String, std::fs::File> = HashMap::new();
                while let Ok((group, line)) = rx.recv() {
                    if !files.contains_key(&group) {
                        let _ = std::fs::create_dir_all(&dir);
                        let path = dir.join(format!("{group}.jsonl"));
                        match std::fs::OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(&path)
                        {
                            Ok(f) => {
                                files.insert(group.clone(), f);
                            }
                            Err(e) => {
                                eprintln!("stepwise runtime: log {}: {e}", path.display());
                                continue;
                            }
                        }
                    }
                    if let Some(f) = files.get_mut(&group) {
                        let _ = writeln!(f, "{line}");
                    }
                }
            })
            .ok();
        LogSink { tx }
    }

    /// Queues the records of `events` (dropped if the writer is behind).
    pub fn write(&self, config: &LogConfig, arn: &str, events: &[engine::HistoryEvent]) {
        for e in events {
            if let Some(line) = config.record(arn, e) {
                match self.tx.try_send((config.group.clone(), line)) {
                    Ok(()) | Err(TrySendError::Full(_)) => {}
                    Err(TrySendError::Disconnected(_)) => return,
                }
            }
        }
    }
}
