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

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config> {
        let dir = tempfile_dir();
        std::fs::create_dir_all(dir.join("fns")).unwrap();
        let path = dir.join("stepwise.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(&path)
    }

    fn tempfile_dir() -> PathBuf {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        std::env::temp_dir().join(format!("stepwise-integrations-{}-{n}", std::process::id()))
    }

    #[test]
    fn functions_from_the_config_file() {
        // Keys of `serve` are ignored here; code is relative to the file.
        let c = load(
            "port = 1\n[[functions]]\nname = \"f\"\nruntime = \"python3.12\"\nhandler = \"app.h\"\ncode = \"fns\"\ntimeout = 2.5\n",
        )
        .unwrap();
        assert_eq!(c.functions.len(), 1);
        assert_eq!(c.functions[0].timeout_seconds(), 2.5);
        let base = c.base.clone();
        assert!(router(c, "us-east-1", "123456789012").is_ok());
        let _ = std::fs::remove_dir_all(base);
        // A misspelt key or an unknown runtime is an error at start.
        let e = load("[[functions]]\nname = \"f\"\nruntme = \"python3.12\"\n")
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(e.contains("runtme"), "{e}");
        let c = load("[[functions]]\nname = \"f\"\nruntime = \"cobol\"\ncode = \"fns\"\n").unwrap();
        let e = router(c, "us-east-1", "123456789012")
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(e.contains("unknown runtime 'cobol'"), "{e}");
    }
}
