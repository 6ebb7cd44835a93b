//! `stepwise serve`: the AWS Step Functions API on 127.0.0.1:8083, data in
//! SQLite under `./stepwise-data`.
//!
//! Settings come from, in order of precedence: command-line flags, environment
//! variables (`STEPWISE_ADDRESS`, `STEPWISE_PORT`, `STEPWISE_DATA_DIR`,
//! `STEPWISE_REGION`, `STEPWISE_ACCOUNT`), a TOML file given with `--config`
//! (`STEPWISE_CONFIG`) holding the same keys (`address`, `port`, `data_dir`,
//! `region`, `account`), and the defaults. `--port 0` picks a free port; the
//! line `listening on http://ADDR:PORT` on standard output tells which.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

/// Serve the AWS Step Functions API.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on [default: 127.0.0.1].
    #[arg(long, env = "STEPWISE_ADDRESS")]
    address: Option<IpAddr>,
    /// Port to listen on; 0 picks a free one [default: 8083].
    #[arg(long, env = "STEPWISE_PORT")]
    port: Option<u16>,
    /// Directory of the SQLite database [default: ./stepwise-data].
    #[arg(long, env = "STEPWISE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Region in every ARN [default: us-east-1].
    #[arg(long, env = "STEPWISE_REGION")]
    region: Option<String>,
    /// Account id in every ARN [default: 123456789012].
    #[arg(long, env = "STEPWISE_ACCOUNT")]
    account: Option<String>,
    /// A TOML file with any of: address, port, data_dir, region, account.
    #[arg(long, env = "STEPWISE_CONFIG")]
    config: Option<PathBuf>,
}

/// The settings after flags, environment, file and defaults are merged.
#[derive(Debug, PartialEq)]
struct Settings {
    address: IpAddr,
    port: u16,
    data_dir: PathBuf,
    region: String,
    account: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    address: Option<IpAddr>,
    port: Option<u16>,
    data_dir: Option<PathBuf>,
    region: Option<String>,
    account: Option<String>,
}

fn settings(args: Args) -> Result<Settings> {
    let file: FileConfig = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("could not read config file '{}'", path.display()))?;
            toml::from_str(&text)
                .with_context(|| format!("invalid config file '{}'", path.display()))?
        }
        None => FileConfig::default(),
    };
    let s = Settings {
        address: args
            .address
            .or(file.address)
            .unwrap_or(IpAddr::from([127, 0, 0, 1])),
        port: args.port.or(file.port).unwrap_or(8083),
        data_dir: args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("stepwise-data")),
        region: args
            .region
            .or(file.region)
            .unwrap_or_else(|| "us-east-1".into()),
        account: args
            .account
            .or(file.account)
            .unwrap_or_else(|| "123456789012".into()),
    };
    if s.region.is_empty() || s.region.contains(':') {
        bail!("invalid region '{}'", s.region);
    }
    if s.account.len() != 12 || !s.account.bytes().all(|b| b.is_ascii_digit()) {
        bail!("invalid account '{}': 12 digits expected", s.account);
    }
    Ok(s)
}

pub fn main(args: Args) -> Result<ExitCode> {
    let s = settings(args)?;
    std::fs::create_dir_all(&s.data_dir)
        .with_context(|| format!("could not create data directory '{}'", s.data_dir.display()))?;
    let db = s.data_dir.join("stepwise.db");
    let sqlite = Arc::new(
        store::SqliteStore::open(&db)
            .with_context(|| format!("could not open the database '{}'", db.display()))?,
    );
    let store: Arc<dyn store::Store> = sqlite.clone();
    let config = server::Config {
        region: s.region.clone(),
        account: s.account.clone(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    rt.block_on(async {
        let runtime = runtime::Runtime::new(
            store.clone(),
            runtime::RuntimeConfig {
                region: s.region.clone(),
                account: s.account.clone(),
                ..runtime::RuntimeConfig::default()
            },
        );
        runtime
            .start()
            .await
            .context("could not resume the running executions")?;
        let app = server::App::new(store, config, runtime);
        let listener = tokio::net::TcpListener::bind((s.address, s.port))
            .await
            .with_context(|| format!("could not listen on {}:{}", s.address, s.port))?;
        let local = listener.local_addr()?;
        println!("stepwise serve: listening on http://{local}");
        println!("data: {} (SQLite)", db.display());
        println!(
            "region {}, account {}; authentication: off (any SigV4 credentials are accepted)",
            s.region, s.account
        );
        if !s.address.is_loopback() {
            println!(
                "warning: listening beyond loopback without authentication: anyone who can reach {local} can use this server"
            );
        }
        server::serve(listener, app, shutdown_signal())
            .await
            .context("the server failed")?;
        println!("stepwise serve: stopped");
        anyhow::Ok(())
    })?;
    sqlite
        .shutdown()
        .context("could not close the database cleanly")?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> Args {
        Args {
            address: None,
            port: None,
            data_dir: None,
            region: None,
            account: None,
            config: None,
        }
    }

    #[test]
    fn defaults_then_file_then_flags() {
        let s = settings(args()).unwrap();
        assert_eq!(s.port, 8083);
        assert_eq!(s.address.to_string(), "127.0.0.1");
        assert_eq!(s.data_dir, PathBuf::from("stepwise-data"));
        let dir = std::env::temp_dir().join(format!("stepwise-serve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(&file, "port = 9000\nregion = \"eu-west-1\"\n").unwrap();
        let mut a = args();
        a.config = Some(file.clone());
        a.region = Some("us-west-2".into());
        let s = settings(a).unwrap();
        assert_eq!(s.port, 9000);
        assert_eq!(s.region, "us-west-2");
        std::fs::write(&file, "prot = 1\n").unwrap();
        let mut a = args();
        a.config = Some(file);
        assert!(settings(a).is_err());
        let mut a = args();
        a.account = Some("12".into());
        assert!(settings(a).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
