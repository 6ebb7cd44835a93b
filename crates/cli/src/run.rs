//! `stepwise run FILE`: one execution in-process, from start to end, with tasks
//! answered by a Step Functions Local mock file and timers by a real or virtual
//! clock.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use engine::simulate::{Clock, Invoker, Mocks, TaskOutcome, VirtualClock};
use engine::{ExecutionInfo, Limits, Status, TaskRequest};
use serde_json::{Value, json};

use crate::Failure;
use crate::clock::RealClock;
use crate::io;

#[derive(Clone, Copy, Debug, Default, clap::ValueEnum)]
enum ClockKind {
    /// Waits take real time.
    #[default]
    Real,
    /// Waits take no time; timestamps advance as if they had.
    Virtual,
}

/// Run one execution.
#[derive(clap::Args)]
pub struct Args {
    /// The definition file (`-` reads standard input).
    file: String,
    /// The execution input: JSON text, or @FILE.
    #[arg(long, default_value = "{}")]
    input: String,
    /// A Step Functions Local MockConfigFile answering the Task states.
    #[arg(long, requires = "case", value_name = "FILE")]
    mocks: Option<String>,
    /// The test case of the mock file to use.
    #[arg(long, requires = "mocks", value_name = "NAME")]
    case: Option<String>,
    /// Whether Wait states and retry back-off take real time.
    #[arg(long, value_enum, default_value_t = ClockKind::Real)]
    clock: ClockKind,
    /// Print {status, output, error, cause, history} as JSON and exit 0 whatever the status.
    #[arg(long)]
    json: bool,
    /// The execution's name (default: a random UUID).
    #[arg(long, value_name = "EXECUTION_NAME")]
    name: Option<String>,
    /// The state machine's name (default: the file name without .asl/.json).
    #[arg(long, value_name = "NAME")]
    state_machine_name: Option<String>,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "123456789012")]
    account: String,
    /// A config file (as for `stepwise serve`) declaring the integrations:
    /// `[[functions]]`; states without a mocked response call them.
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
}

/// Mocked states answered by the mock file, every other state by the real
/// integrations.
struct Mixed {
    mocks: Mocks,
    mocked: std::collections::HashSet<String>,
    real: crate::integrations::Blocking,
}

impl Invoker for Mixed {
    fn invoke(&mut self, request: &TaskRequest) -> TaskOutcome {
        if self.mocked.contains(&request.state_name) {
            self.mocks.invoke(request)
        } else {
            self.real.invoke(request)
        }
    }
}

/// The states a test case of a mock file answers.
fn mocked_states(config: &Value, machine: &str, case: &str) -> std::collections::HashSet<String> {
    let machines = config.get("StateMachines").and_then(Value::as_object);
    let m = machines.and_then(|m| {
        m.get(machine)
            .or_else(|| (m.len() == 1).then(|| m.values().next()).flatten())
    });
    m.and_then(|m| m.get("TestCases")?.get(case)?.as_object())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// Answers every task when no mock file is given: this version has no
/// integrations of its own.
struct NoInvoker;

impl Invoker for NoInvoker {
    fn invoke(&mut self, request: &TaskRequest) -> TaskOutcome {
        TaskOutcome::Failed {
            error: Some("Stepwise.NoInvoker".to_string()),
            cause: Some(format!(
                "State '{}' calls '{}', and no integration is configured: \
                 give its results with --mocks FILE --case NAME (a Step Functions Local MockConfigFile), \
                 or declare the integrations in a config file (--config FILE).",
                request.state_name, request.resource
            )),
        }
    }
}

/// The file name without its directory and `.json` / `.asl` extensions.
fn default_machine_name(file: &str) -> String {
    if file == "-" {
        return "StateMachine".to_string();
    }
    let mut name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for ext in [".json", ".asl", ".yaml", ".yml"] {
        if let Some(stem) = name.strip_suffix(ext) {
            name = stem.to_string();
        }
    }
    if name.is_empty() {
        "StateMachine".to_string()
    } else {
        name
    }
}

/// AWS's rule for execution and state machine names: 1–80 characters, none of
/// them whitespace, a control character or one of `<>{}[]?*"#%\^|~`$&,;:/`.
fn check_name(kind: &str, name: &str) -> Result<()> {
    let bad =
        |c: char| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c);
    let len = name.chars().count();
    if len == 0 || len > 80 || name.chars().any(bad) {
        return Err(Failure::new(
            "InvalidName",
            format!("Invalid {kind} name: '{name}' (1 to 80 characters, no whitespace, control characters or <>{{}}[]?*\"#%\\^|~`$&,;:/)"),
        )
        .into());
    }
    Ok(())
}

pub fn main(args: Args) -> Result<ExitCode> {
    let text = io::read_file(&args.file)?;
    let (definition, diags) = asl::parse(&text);
    let Some(definition) = definition else {
        for d in &diags {
            eprintln!("{d}");
        }
        eprintln!("{}", asl::create_error_message(&diags));
        return Ok(ExitCode::FAILURE);
    };

    let input_text = io::text_arg(&args.input)?;
    let max = Limits::default().max_payload_bytes;
    if input_text.len() > max {
        bail!(Failure::new(
            "ValidationException",
            format!(
                "1 validation error detected: Value at 'input' failed to satisfy constraint: \
                 Member must have length less than or equal to {max}"
            ),
        ));
    }
    let input: Value = serde_json::from_str(&input_text).map_err(|e| {
        Failure::new(
            "InvalidExecutionInput",
            format!("Invalid State Machine Execution Input: '{e}'"),
        )
    })?;

    let machine = args
        .state_machine_name
        .clone()
        .unwrap_or_else(|| default_machine_name(&args.file));
    check_name("state machine", &machine)?;
    let name = args.name.clone().unwrap_or_else(io::uuid_v4);
    check_name("execution", &name)?;
    let prefix = format!("arn:aws:states:{}:{}", args.region, args.account);
    let info = ExecutionInfo {
        execution_arn: format!("{prefix}:execution:{machine}:{name}"),
        name,
        state_machine_arn: format!("{prefix}:stateMachine:{machine}"),
        state_machine_name: machine.clone(),
        role_arn: format!("arn:aws:iam::{}:role/stepwise", args.account),
        region: args.region.clone(),
        account: args.account.clone(),
        redrive_count: 0,
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        input_text: Some(input_text.as_str().into()),
        seed: io::random_u64(),
        time_ordered_tokens: false,
        missing_activities: Vec::new(),
    };
    let execution_arn = info.execution_arn.clone();

    let real = match &args.config {
        Some(path) => {
            let config = crate::integrations::Config::load(path)?;
            let router = crate::integrations::router(config, &args.region, &args.account)?;
            Some(crate::integrations::Blocking::new(router)?)
        }
        None => None,
    };
    let mut invoker: Box<dyn Invoker> = match (&args.mocks, &args.case, real) {
        (Some(file), Some(case), real) => {
            let config = io::json_arg(&format!("@{file}"), "InvalidMockConfig", "the mock file")?;
            let mocks = match Mocks::from_config(&config, &machine, case) {
                Ok(m) => m,
                Err(e) => bail!(Failure::new("InvalidMockConfig", format!("{file}: {e}"))),
            };
            match real {
                Some(real) => Box::new(Mixed {
                    mocked: mocked_states(&config, &machine, case),
                    mocks,
                    real,
                }),
                None => Box::new(mocks),
            }
        }
        (_, _, Some(real)) => Box::new(real),
        _ => Box::new(NoInvoker),
    };
    let mut clock: Box<dyn Clock> = match args.clock {
        ClockKind::Real => Box::new(RealClock),
        ClockKind::Virtual => Box::new(VirtualClock(io::now_millis())),
    };

    let outcome = engine::simulate::run(
        engine::Plan::new(definition),
        info,
        input,
        Limits::default(),
        clock.as_mut(),
        invoker.as_mut(),
        args.json,
    );

    let (output, error, cause) = match &outcome.status {
        Status::Succeeded { output } => (Some((**output).clone()), None, None),
        Status::Failed(e) | Status::TimedOut(e) | Status::Aborted(e) => {
            (None, e.error.clone(), e.cause.clone())
        }
        Status::Running => (
            None,
            Some("Stepwise.Stalled".to_string()),
            Some("The execution is still running, but nothing more can happen in-process (no task or timer is pending).".to_string()),
        ),
    };

    if args.json {
        let history: Vec<Value> = outcome.history.iter().map(|e| e.to_json()).collect();
        let doc = json!({
            "executionArn": execution_arn,
            "status": outcome.status.name(),
            "output": output,
            "error": error,
            "cause": cause,
            "history": history,
        });
        io::print_line(&serde_json::to_string_pretty(&doc)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(output) = output {
        io::print_line(&serde_json::to_string(&output)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("status: {}", outcome.status.name());
    if let Some(error) = error {
        eprintln!("error: {error}");
    }
    if let Some(cause) = cause {
        eprintln!("cause: {cause}");
    }
    Ok(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_name_from_file() {
        assert_eq!(default_machine_name("dir/order.asl.json"), "order");
        assert_eq!(default_machine_name("flow.json"), "flow");
        assert_eq!(default_machine_name("-"), "StateMachine");
    }

    #[test]
    fn names_follow_aws_rules() {
        assert!(check_name("execution", "run-1_a").is_ok());
        assert!(check_name("execution", "a b").is_err());
        assert!(check_name("execution", "").is_err());
        assert!(check_name("execution", &"x".repeat(81)).is_err());
    }
}
