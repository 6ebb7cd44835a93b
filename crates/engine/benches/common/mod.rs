//! The benchmark workloads (`shared/bench/workloads`), shared by the `workloads`
//! benchmark and the `bench_report` example: loading, whole executions, output checks.

use std::path::PathBuf;
use std::sync::Arc;

use engine::simulate::{self, Invoker, RunOutcome, TaskOutcome, VirtualClock};
use engine::{ExecutionInfo, Limits, Plan, Status, TaskRequest};
use serde_json::{Value, json};

/// Every workload, in the order the bench README lists them.
pub const IDS: [&str; 7] = ["W1", "W2", "W3a", "W3b", "W4", "W5", "W6"];

/// The function W5's tasks call.
pub const BENCH_INC: &str = "arn:aws:lambda:us-east-1:123456789012:function:bench-inc";

/// 2024-01-01T00:00:00Z: every execution starts on the same virtual clock.
const START: i64 = 1_704_067_200_000;

/// `STEPWISE_BENCH_WORKLOADS`, or `shared/bench/workloads` beside the repository.
pub fn workloads_dir() -> PathBuf {
    match std::env::var_os("STEPWISE_BENCH_WORKLOADS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/workloads"),
    }
}

/// `bench-inc`: `{"n": n}` → `{"n": n + 1}`; anything else fails the task.
#[derive(Debug, Default)]
pub struct BenchInc;

impl Invoker for BenchInc {
    fn invoke(&mut self, request: &TaskRequest) -> TaskOutcome {
        match (request.resource.as_str(), request.parameters["n"].as_i64()) {
            (BENCH_INC, Some(n)) => TaskOutcome::Succeeded(json!({ "n": n + 1 })),
            _ => TaskOutcome::Failed {
                error: Some("BenchInc.BadRequest".into()),
                cause: Some(format!("{} got {}", request.resource, request.parameters)),
            },
        }
    }
}

/// One workload of the manifest, parsed once.
#[derive(Debug, Clone)]
pub struct Workload {
    pub id: String,
    pub name: String,
    pub definition: Arc<Plan>,
    pub input: Value,
    pub expected: Value,
    /// Executions that make one run of the workload.
    pub executions: u64,
    /// States entered per execution.
    pub transitions: u64,
    /// W6: execution k gets `{"id": k}` and must output the expected value with `"id": k`.
    pub numbered: bool,
    info: ExecutionInfo,
}

fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses an ASL definition, panicking on any diagnostic.
pub fn parse_definition(text: &str, what: &str) -> Arc<Plan> {
    let (definition, diagnostics) = asl::parse(text);
    assert!(
        diagnostics.is_empty(),
        "{what}: {}",
        diagnostics
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    );
    Plan::new(definition.unwrap_or_else(|| panic!("{what}: no definition")))
}

impl Workload {
    /// Loads workload `id` from [`workloads_dir`].
    pub fn load(id: &str) -> Workload {
        let dir = workloads_dir();
        let manifest = read_json(dir.join("manifest.json"));
        let entry = &manifest[id];
        let field = |key: &str| {
            entry[key]
                .as_str()
                .unwrap_or_else(|| panic!("manifest {id}: no \"{key}\""))
                .to_string()
        };
        let count = |key: &str| {
            entry[key]
                .as_u64()
                .unwrap_or_else(|| panic!("manifest {id}: no \"{key}\""))
        };
        let asl_file = dir.join(field("asl"));
        let text = std::fs::read_to_string(&asl_file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", asl_file.display()));
        Workload::new(
            id,
            &field("name"),
            parse_definition(&text, id),
            read_json(dir.join(field("input"))),
            read_json(dir.join(field("expected"))),
            count("executions"),
            count("transitions"),
        )
    }

    /// A workload from its parts (`numbered` when `id` is `W6`).
    pub fn new(
        id: &str,
        name: &str,
        definition: Arc<Plan>,
        input: Value,
        expected: Value,
        executions: u64,
        transitions: u64,
    ) -> Workload {
        let info = ExecutionInfo {
            execution_arn: format!("arn:aws:states:us-east-1:123456789012:execution:bench:{id}"),
            name: id.to_string(),
            state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:bench".into(),
            state_machine_name: "bench".into(),
            role_arn: "arn:aws:iam::123456789012:role/bench".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            redrive_count: 0,
            state_machine_version_arn: None,
            state_machine_alias_arn: None,
            input_text: None,
            seed: 1,
            time_ordered_tokens: false,
            missing_activities: Vec::new(),
        };
        Workload {
            id: id.to_string(),
            name: name.to_string(),
            definition,
            input,
            expected,
            executions,
            transitions,
            numbered: id == "W6",
            info,
        }
    }

    /// State transitions in one run of the workload.
    pub fn total_transitions(&self) -> u64 {
        self.transitions * self.executions
    }

    fn input_for(&self, k: u64) -> Value {
        if self.numbered {
            json!({ "id": k })
        } else {
            self.input.clone()
        }
    }

    fn expected_for(&self, k: u64) -> Value {
        let mut expected = self.expected.clone();
        if self.numbered {
            expected["id"] = json!(k);
        }
        expected
    }

    /// Runs execution `k` of the workload to its end.
    pub fn execute(&self, k: u64, keep_history: bool) -> RunOutcome {
        let mut info = self.info.clone();
        info.seed = k;
        simulate::run(
            Arc::clone(&self.definition),
            info,
            self.input_for(k),
            Limits::default(),
            &mut VirtualClock(START),
            &mut BenchInc,
            keep_history,
        )
    }

    /// One whole run: every execution, history streamed and dropped. Returns the
    /// number of history events recorded (so the work cannot be optimised away).
    pub fn run(&self) -> u64 {
        (0..self.executions)
            .map(|k| self.execute(k, false).event_count)
            .sum()
    }

    /// Runs every execution of the workload once and checks each output.
    pub fn verify(&self) -> Result<(), String> {
        for k in 0..self.executions {
            let outcome = self.execute(k, false);
            let expected = self.expected_for(k);
            match &outcome.status {
                Status::Succeeded { output } if **output == expected => {}
                Status::Succeeded { output } => {
                    return Err(format!(
                        "{} execution {k}: output {} but expected {}",
                        self.id,
                        abbreviate(output),
                        abbreviate(&expected)
                    ));
                }
                other => {
                    return Err(format!("{} execution {k} ended {other:?}", self.id));
                }
            }
        }
        Ok(())
    }
}

fn abbreviate(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}
