//! The integrations Task states call, built from the config file for both
//! `stepwise serve` and `stepwise run`: one `runtime::Router` mapping resource
//! prefixes to invokers.
//!
//! Config file keys read here (the rest of the file belongs to `serve`):
//! `[[functions]]` tables (see `functions::FunctionConfig`), `[[connections]]`
//! (HTTP task authentication, see `connectors::Connection`) and
//! `[services.<name>]` (AWS service endpoints and keys, see
//! `connectors::ServiceConfig`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use engine::TaskRequest;
use engine::simulate::TaskOutcome;
use runtime::{Invoker, Router};

/// The integration settings of a config file.
#[derive(serde::Deserialize, Default)]
pub struct Config {
    #[serde(default)]
    pub functions: Vec<functions::FunctionConfig>,
    #[serde(default)]
    pub connections: Vec<connectors::Connection>,
    #[serde(default)]
    pub services: std::collections::BTreeMap<String, connectors::ServiceConfig>,
    /// The directory relative paths (function code) are resolved against.
    #[serde(skip)]
    pub base: PathBuf,
}

impl Config {
    /// Reads the integration keys of a TOML config file (others are ignored here).
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read config file '{}'", path.display()))?;
        let mut config: Config = toml::from_str(&text)
            .with_context(|| format!("invalid config file '{}'", path.display()))?;
        config.base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(config)
    }
}

/// The router for every integration the config enables.
pub fn router(config: Config, region: &str, account: &str) -> Result<Router> {
    let functions = Arc::new(
        functions::Functions::new(config.functions, &config.base, region, account)
            .context("invalid [[functions]] in the config file")?,
    );
    let router = Router::new()
        .route(functions::LAMBDA_INVOKE, functions.clone())
        .route(functions::LAMBDA_ARN_PREFIX, functions)
        .route(functions::PROCESS_RUN, Arc::new(functions::Processes));
    let outbound = connectors::Settings::from_env(config.connections, config.services, region)
        .map_err(|e| {
            anyhow::anyhow!("invalid [[connections]] or [services] in the config file: {e}")
        })?;
    Ok(connectors::register(router, &outbound))
}

/// `stepwise run`'s synchronous invoker over the async router: each task runs
/// to its outcome on a small tokio runtime, which also keeps warm function
/// processes alive between tasks.
pub struct Blocking {
    rt: tokio::runtime::Runtime,
    router: Router,
}

impl Blocking {
    pub fn new(router: Router) -> Result<Blocking> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("could not start the async runtime")?;
        Ok(Blocking { rt, router })
    }
}

impl engine::simulate::Invoker for Blocking {
    fn invoke(&mut self, request: &TaskRequest) -> TaskOutcome {
        self.rt.block_on(self.router.invoke(request.clone()))
    }
}
