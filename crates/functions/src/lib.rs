//! Task integrations that run the user's own code on this machine:
//!
//! - [`Functions`]: Lambda-compatible functions declared in the config file,
//!   called through `arn:aws:states:::lambda:invoke` (AWS's result shape) or a
//!   bare function ARN (the handler's return value). Each function's runtime
//!   runs as local processes talking to Stepwise over the Lambda Runtime API, so
//!   unmodified Python (`awslambdaric`), Node.js (a bootstrap shipped here) and
//!   `provided` (any `bootstrap` executable) handlers work.
//! - [`Processes`]: `arn:aws:states:::process:run` (`.sync`,
//!   `.waitForTaskToken`), a command run as a local process.

mod lambda;
mod pool;
mod process;
mod remote;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

pub use lambda::{LAMBDA_ARN_PREFIX, LAMBDA_INVOKE};
pub use pool::{Function, Outcome, Timings};
pub use process::{PROCESS_RUN, Processes};

/// One `[[functions]]` table of the config file.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FunctionConfig {
    /// The function's name (what `FunctionName` and function ARNs name).
    pub name: String,
    /// `python3.x`, `nodejs…` or `provided…` (a `bootstrap` executable in `code`).
    pub runtime: Option<String>,
    /// `module.function` (Python), `file.export` (Node.js).
    pub handler: Option<String>,
    /// The directory holding the code (the process's working directory and
    /// `LAMBDA_TASK_ROOT`).
    pub code: Option<PathBuf>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Seconds before an invocation is stopped and its process killed (default 3, as Lambda).
    pub timeout: Option<f64>,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` in MB (default 128; not enforced).
    pub memory: Option<u32>,
    /// Most processes running at once; further invocations wait (default 4).
    pub concurrency: Option<usize>,
    /// Seconds a process may wait for work before it is stopped (default 600;
    /// the next invocation then starts a new one, a cold start).
    pub idle_timeout: Option<f64>,
    /// The interpreter for Python and Node.js runtimes (default: `STEPWISE_PYTHON`
    /// or `python3`; `STEPWISE_NODE` or `node`).
    pub interpreter: Option<String>,
    /// A function served elsewhere: the base URL of a Lambda Invoke API
    /// (`POST {url}/2015-03-31/functions/{name}/invocations`), e.g. the Lambda
    /// Runtime Interface Emulator or `sam local start-lambda`.
    pub url: Option<String>,
}

impl FunctionConfig {
    pub fn timeout_seconds(&self) -> f64 {
        self.timeout.filter(|t| *t > 0.0).unwrap_or(3.0)
    }
    pub fn idle_timeout_seconds(&self) -> f64 {
        self.idle_timeout.filter(|t| *t > 0.0).unwrap_or(600.0)
    }
    pub fn concurrency(&self) -> usize {
        self.concurrency.filter(|c| *c > 0).unwrap_or(4)
    }
    pub fn memory(&self) -> u32 {
        self.memory.filter(|m| *m > 0).unwrap_or(128)
    }
}

/// A bad `[[functions]]` table.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Where a function runs.
pub(crate) enum Target {
    Local(Box<Function>),
    Remote { url: String },
}

/// The declared functions, by name: the invoker of `lambda:invoke` and of bare
/// function ARNs.
pub struct Functions {
    pub(crate) by_name: HashMap<String, Arc<Target>>,
    pub(crate) region: String,
    pub(crate) account: String,
    /// The Node.js bootstrap written out at start; removed on drop.
    bootstrap: Option<PathBuf>,
}

impl Drop for Functions {
    fn drop(&mut self) {
        if let Some(p) = &self.bootstrap {
            let _ = std::fs::remove_file(p);
        }
    }
}

const NODE_BOOTSTRAP: &str = include_str!("bootstrap.js");

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Functions {
    /// Checks the declarations; processes start on first use. Relative `code`
    /// directories are resolved against `base` (the config file's directory).
    pub fn new(
        configs: Vec<FunctionConfig>,
        base: &std::path::Path,
        region: &str,
        account: &str,
    ) -> Result<Functions, ConfigError> {
        let mut by_name = HashMap::new();
        let mut functions = Functions {
            by_name: HashMap::new(),
            region: region.to_string(),
            account: account.to_string(),
            bootstrap: None,
        };
        for c in configs {
            let name = c.name.clone();
            if !valid_name(&name) {
                return Err(ConfigError(format!(
                    "function name '{name}': 1 to 64 letters, digits, '-' or '_'"
                )));
            }
            if by_name.contains_key(&name) {
                return Err(ConfigError(format!("function '{name}' is declared twice")));
            }
            let target = functions.target(c, base)?;
            by_name.insert(name, Arc::new(target));
        }
        functions.by_name = by_name;
        Ok(functions)
    }

    fn target(&mut self, c: FunctionConfig, base: &std::path::Path) -> Result<Target, ConfigError> {
        let name = c.name.clone();
        if let Some(url) = &c.url {
            if c.runtime.is_some() || c.code.is_some() {
                return Err(ConfigError(format!(
                    "function '{name}': give either url or runtime and code, not both"
                )));
            }
            if !url.starts_with("http://") {
                return Err(ConfigError(format!(
                    "function '{name}': url must start with http://"
                )));
            }
            return Ok(Target::Remote {
                url: url.trim_end_matches('/').to_string(),
            });
        }
        let runtime = c.runtime.clone().ok_or_else(|| {
            ConfigError(format!("function '{name}': runtime (or url) is required"))
        })?;
        let code = c
            .code
            .clone()
            .ok_or_else(|| ConfigError(format!("function '{name}': code is required")))?;
        let code = if code.is_absolute() {
            code
        } else {
            base.join(code)
        };
        let code = std::fs::canonicalize(&code).map_err(|e| {
            ConfigError(format!(
                "function '{name}': code directory '{}': {e}",
                code.display()
            ))
        })?;
        if !["python", "nodejs", "provided"]
            .iter()
            .any(|p| runtime.starts_with(p))
        {
            return Err(ConfigError(format!(
                "function '{name}': unknown runtime '{runtime}' (python3.x, nodejs…, provided…)"
            )));
        }
        let handler = c.handler.clone().unwrap_or_default();
        let needs_handler = !runtime.starts_with("provided");
        if needs_handler && !handler.contains('.') {
            return Err(ConfigError(format!(
                "function '{name}': handler 'module.function' is required for runtime {runtime}"
            )));
        }
        let (program, args, exec_env) = if runtime.starts_with("python") {
            let python = c
                .interpreter
                .clone()
                .or_else(|| std::env::var("STEPWISE_PYTHON").ok())
                .unwrap_or_else(|| "python3".into());
            (
                PathBuf::from(python),
                vec!["-m".into(), "awslambdaric".into(), handler.clone()],
                format!("AWS_Lambda_{runtime}"),
            )
        } else if runtime.starts_with("nodejs") {
            let node = c
                .interpreter
                .clone()
                .or_else(|| std::env::var("STEPWISE_NODE").ok())
                .unwrap_or_else(|| "node".into());
            let script = self.node_bootstrap()?;
            (
                PathBuf::from(node),
                vec![script.display().to_string()],
                format!("AWS_Lambda_{runtime}"),
            )
        } else if runtime.starts_with("provided") {
            let bootstrap = code.join("bootstrap");
            if !bootstrap.is_file() {
                return Err(ConfigError(format!(
                    "function '{name}': runtime {runtime} needs an executable '{}'",
                    bootstrap.display()
                )));
            }
            (bootstrap, Vec::new(), String::new())
        } else {
            return Err(ConfigError(format!(
                "function '{name}': unknown runtime '{runtime}' (python3.x, nodejs…, provided…)"
            )));
        };
        let arn = format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.region, self.account
        );
        let stream = format!(
            "{}/[$LATEST]{}",
            jiff::Timestamp::now().strftime("%Y/%m/%d"),
            uuid().replace('-', "")
        );
        let mut env: Vec<(String, String)> = vec![
            ("_HANDLER".into(), handler),
            ("LAMBDA_TASK_ROOT".into(), code.display().to_string()),
            ("AWS_LAMBDA_FUNCTION_NAME".into(), name.clone()),
            ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
                c.memory().to_string(),
            ),
            (
                "AWS_LAMBDA_FUNCTION_TIMEOUT".into(),
                (c.timeout_seconds().ceil() as u64).to_string(),
            ),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME".into(),
                format!("/aws/lambda/{name}"),
            ),
            ("AWS_LAMBDA_LOG_STREAM_NAME".into(), stream),
            ("AWS_REGION".into(), self.region.clone()),
            ("AWS_DEFAULT_REGION".into(), self.region.clone()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "on-demand".into()),
            ("PYTHONUNBUFFERED".into(), "1".into()),
        ];
        if !exec_env.is_empty() {
            env.push(("AWS_EXECUTION_ENV".into(), exec_env));
        }
        env.extend(c.environment.iter().map(|(k, v)| (k.clone(), v.clone())));
        let launch = pool::Launch {
            program,
            args,
            dir: code,
            env,
        };
        Ok(Target::Local(Box::new(Function::new(c, arn, launch))))
    }

    /// Writes the shipped Node.js bootstrap once.
    fn node_bootstrap(&mut self) -> Result<PathBuf, ConfigError> {
        if let Some(p) = &self.bootstrap {
            return Ok(p.clone());
        }
        let path = std::env::temp_dir().join(format!(
            "stepwise-{}-{}-bootstrap.cjs",
            std::process::id(),
            &uuid()[..8]
        ));
        std::fs::write(&path, NODE_BOOTSTRAP).map_err(|e| {
            ConfigError(format!(
                "could not write the Node.js bootstrap '{}': {e}",
                path.display()
            ))
        })?;
        self.bootstrap = Some(path.clone());
        Ok(path)
    }

    /// The local function named `name`, if declared (for tests and benchmarks).
    pub fn function(&self, name: &str) -> Option<&Function> {
        match self.by_name.get(name).map(|t| &**t) {
            Some(Target::Local(f)) => Some(f),
            _ => None,
        }
    }

    /// Runs `name` once with `payload` (JSON text).
    pub async fn call(&self, name: &str, payload: Vec<u8>) -> Outcome {
        let request_id = uuid();
        match self.by_name.get(name) {
            None => lambda::not_found(self, name, "$LATEST"),
            Some(t) => lambda::run(t, name, request_id, payload.into()).await,
        }
    }
}

/// A random (v4) UUID.
pub(crate) fn uuid() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        let t = pool::now_ms() as u128 ^ ((std::process::id() as u128) << 64);
        b = t.to_le_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
