//! `stepwise serve`: the AWS Step Functions API on 127.0.0.1:8083, data in
//! SQLite under `./stepwise-data`.
//!
//! Settings come from, in order of precedence: command-line flags, environment
//! variables (`STEPWISE_ADDRESS`, `STEPWISE_PORT`, `STEPWISE_DATA_DIR`,
//! `STEPWISE_REGION`, `STEPWISE_ACCOUNT`), a TOML file given with `--config`
//! (`STEPWISE_CONFIG`) holding the same keys (`address`, `port`, `data_dir`,
//! `region`, `account`), and the defaults. `--port 0` picks a free port; the
//! line `listening on http://ADDR:PORT` on standard output tells which.
//!
//! Limits: `--max-request-bytes` (`STEPWISE_MAX_REQUEST_BYTES`,
//! `max_request_bytes`; default 4 MiB) bounds a request body; `--max-payload-bytes`
//! (`STEPWISE_MAX_PAYLOAD_BYTES`, `max_payload_bytes`; default AWS's 262144)
//! bounds an execution input and every state's data.
//!
//! Authentication: access keys come from all of `--credentials-file`
//! (`STEPWISE_CREDENTIALS_FILE`, the AWS shared-credentials format: every
//! profile with `aws_access_key_id` and `aws_secret_access_key`, optionally
//! `aws_session_token`), the config file's `[[credentials]]` tables
//! (`access_key_id`, `secret_access_key`, optional `session_token`) and
//! `STEPWISE_ACCESS_KEY_ID` + `STEPWISE_SECRET_ACCESS_KEY` (+
//! `STEPWISE_SESSION_TOKEN`). With any configured, every request's SigV4
//! signature is verified. With none, any signature is accepted, and the server
//! refuses to listen beyond loopback unless `--allow-remote-unauthenticated`
//! (`STEPWISE_ALLOW_REMOTE_UNAUTHENTICATED`, `allow_remote_unauthenticated`).
//!
//! Mocks: `--mock-config FILE` (`STEPWISE_MOCK_CONFIG`, `mock_config`) loads a
//! Step Functions Local MockConfigFile; an execution started with
//! `stateMachineArn` = `<ARN>#<TestCaseName>` runs that test case.

use std::collections::HashMap;
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
    /// A TOML file with any of: address, port, data_dir, region, account,
    /// max_request_bytes, max_payload_bytes, allow_remote_unauthenticated, and
    /// [[credentials]] tables (access_key_id, secret_access_key, session_token).
    #[arg(long, env = "STEPWISE_CONFIG")]
    config: Option<PathBuf>,
    /// An AWS shared-credentials file whose access keys may call the API
    /// (turns signature verification on).
    #[arg(long, env = "STEPWISE_CREDENTIALS_FILE")]
    credentials_file: Option<PathBuf>,
    /// Listen beyond loopback even though no credentials are configured.
    #[arg(long, env = "STEPWISE_ALLOW_REMOTE_UNAUTHENTICATED")]
    allow_remote_unauthenticated: bool,
    /// Largest request body in bytes [default: 4194304].
    #[arg(long, env = "STEPWISE_MAX_REQUEST_BYTES")]
    max_request_bytes: Option<usize>,
    /// Largest execution input and state data in bytes [default: 262144].
    #[arg(long, env = "STEPWISE_MAX_PAYLOAD_BYTES")]
    max_payload_bytes: Option<usize>,
    /// A Step Functions Local MockConfigFile; start `<ARN>#<TestCaseName>` to use a case.
    #[arg(long, env = "STEPWISE_MOCK_CONFIG")]
    mock_config: Option<PathBuf>,
    /// An access key id that may call the API (with STEPWISE_SECRET_ACCESS_KEY).
    #[arg(skip = std::env::var("STEPWISE_ACCESS_KEY_ID").ok())]
    env_access_key_id: Option<String>,
    #[arg(skip = std::env::var("STEPWISE_SECRET_ACCESS_KEY").ok())]
    env_secret_access_key: Option<String>,
    #[arg(skip = std::env::var("STEPWISE_SESSION_TOKEN").ok())]
    env_session_token: Option<String>,
}

/// The settings after flags, environment, file and defaults are merged.
#[derive(Debug, PartialEq)]
struct Settings {
    address: IpAddr,
    port: u16,
    data_dir: PathBuf,
    region: String,
    account: String,
    max_request_bytes: usize,
    max_payload_bytes: usize,
    mock_config: Option<PathBuf>,
    /// Access key id → its secret (and session token); empty: no verification.
    credentials: HashMap<String, server::auth::Credential>,
    /// The config file, read again for the integrations.
    config: Option<PathBuf>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    address: Option<IpAddr>,
    port: Option<u16>,
    data_dir: Option<PathBuf>,
    region: Option<String>,
    account: Option<String>,
    max_request_bytes: Option<usize>,
    max_payload_bytes: Option<usize>,
    allow_remote_unauthenticated: Option<bool>,
    mock_config: Option<PathBuf>,
    #[serde(default)]
    credentials: Vec<FileCredential>,
    /// `[[functions]]`: read by `integrations::Config`.
    #[serde(rename = "functions")]
    _functions: Option<toml::Value>,
    /// `[[connections]]` and `[services.*]`: read by `integrations::Config`.
    #[serde(rename = "connections")]
    _connections: Option<toml::Value>,
    #[serde(rename = "services")]
    _services: Option<toml::Value>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCredential {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

/// Adds one access key; the same id twice with different secrets is an error.
fn add_credential(
    all: &mut HashMap<String, server::auth::Credential>,
    id: String,
    secret: String,
    session_token: Option<String>,
    source: &str,
) -> Result<()> {
    if id.is_empty() || id.contains(['/', ' ', ',']) {
        bail!("invalid access key id '{id}' in {source}");
    }
    if secret.is_empty() {
        bail!("empty secret access key for '{id}' in {source}");
    }
    let credential = server::auth::Credential {
        secret_access_key: secret,
        session_token: session_token.filter(|t| !t.is_empty()),
    };
    match all.get(&id) {
        Some(c) if *c != credential => {
            bail!("access key id '{id}' is configured twice with different secrets ({source})")
        }
        _ => {
            all.insert(id, credential);
        }
    }
    Ok(())
}

/// The access keys of an AWS shared-credentials file (INI: `[profile]` then
/// `key = value` lines; `#`/`;` comments).
fn read_credentials_file(
    path: &std::path::Path,
    all: &mut HashMap<String, server::auth::Credential>,
) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read credentials file '{}'", path.display()))?;
    let source = format!("credentials file '{}'", path.display());
    let mut profiles: Vec<(String, HashMap<String, String>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            profiles.push((name.trim().to_string(), HashMap::new()));
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            bail!("{source}, line {}: expected 'key = value'", n + 1);
        };
        let Some((_, map)) = profiles.last_mut() else {
            bail!("{source}, line {}: a key before any [profile]", n + 1);
        };
        map.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let mut found = 0;
    for (name, mut map) in profiles {
        match (
            map.remove("aws_access_key_id"),
            map.remove("aws_secret_access_key"),
        ) {
            (Some(id), Some(secret)) => {
                add_credential(all, id, secret, map.remove("aws_session_token"), &source)?;
                found += 1;
            }
            (None, None) => {}
            _ => bail!(
                "{source}: profile [{name}] needs both aws_access_key_id and aws_secret_access_key"
            ),
        }
    }
    if found == 0 {
        bail!("{source} holds no access key");
    }
    Ok(())
}

fn settings(args: Args) -> Result<Settings> {
    let config_path = args.config.clone();
    let file: FileConfig = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("could not read config file '{}'", path.display()))?;
            toml::from_str(&text)
                .with_context(|| format!("invalid config file '{}'", path.display()))?
        }
        None => FileConfig::default(),
    };
    let mut credentials = HashMap::new();
    if let Some(path) = &args.credentials_file {
        read_credentials_file(path, &mut credentials)?;
    }
    for c in file.credentials {
        add_credential(
            &mut credentials,
            c.access_key_id,
            c.secret_access_key,
            c.session_token,
            "the config file",
        )?;
    }
    match (args.env_access_key_id, args.env_secret_access_key) {
        (Some(id), Some(secret)) => add_credential(
            &mut credentials,
            id,
            secret,
            args.env_session_token,
            "STEPWISE_ACCESS_KEY_ID",
        )?,
        (None, None) => {}
        _ => bail!("STEPWISE_ACCESS_KEY_ID and STEPWISE_SECRET_ACCESS_KEY must be set together"),
    }
    let s = Settings {
        config: config_path,
        max_request_bytes: args
            .max_request_bytes
            .or(file.max_request_bytes)
            .unwrap_or(server::DEFAULT_MAX_REQUEST_BYTES),
        max_payload_bytes: args
            .max_payload_bytes
            .or(file.max_payload_bytes)
            .unwrap_or(256 * 1024),
        mock_config: args.mock_config.or(file.mock_config),
        credentials,
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
    if s.max_request_bytes < 1024 || s.max_payload_bytes == 0 {
        bail!("max_request_bytes must be at least 1024 and max_payload_bytes at least 1");
    }
    let allow_remote =
        args.allow_remote_unauthenticated || file.allow_remote_unauthenticated.unwrap_or(false);
    if s.credentials.is_empty() && !s.address.is_loopback() && !allow_remote {
        bail!(
            "refusing to listen on {} without authentication: configure credentials \
             (--credentials-file, [[credentials]] in the config file, or \
             STEPWISE_ACCESS_KEY_ID and STEPWISE_SECRET_ACCESS_KEY), or pass \
             --allow-remote-unauthenticated to accept any caller",
            s.address
        );
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
    let sqlite = Arc::new(store::SqliteStore::open(&db).with_context(|| {
        format!(
            "could not open the database '{}' (is the data directory writable, with free space?)",
            db.display()
        )
    })?);
    let store: Arc<dyn store::Store> = sqlite.clone();
    let auth = (!s.credentials.is_empty()).then(|| {
        Arc::new(server::auth::Verifier::new(
            s.credentials.clone(),
            s.region.clone(),
            "states",
        ))
    });
    let config = server::Config {
        region: s.region.clone(),
        account: s.account.clone(),
        auth,
        max_request_bytes: s.max_request_bytes,
    };
    let mocks = match &s.mock_config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("could not read mock config '{}'", path.display()))?;
            let file = serde_json::from_str(&text)
                .with_context(|| format!("mock config '{}' is not JSON", path.display()))?;
            let config = runtime::MockConfig::new(file)
                .map_err(|e| anyhow::anyhow!("invalid mock config '{}': {e}", path.display()))?;
            Some(Arc::new(config))
        }
        None => None,
    };
    let integrations = match &s.config {
        Some(path) => crate::integrations::Config::load(path)?,
        None => crate::integrations::Config::default(),
    };
    let invoker = Arc::new(crate::integrations::router(
        integrations,
        &s.region,
        &s.account,
    )?);
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
                limits: engine::Limits {
                    max_payload_bytes: s.max_payload_bytes,
                    ..engine::Limits::default()
                },
                mocks,
                invoker,
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
        println!("region {}, account {}", s.region, s.account);
        if s.credentials.is_empty() {
            println!("authentication: off (any SigV4 credentials are accepted)");
            if !s.address.is_loopback() {
                println!(
                    "warning: listening beyond loopback without authentication (--allow-remote-unauthenticated): anyone who can reach {local} can use this server"
                );
            }
        } else {
            let mut ids: Vec<&String> = s.credentials.keys().collect();
            ids.sort();
            let ids: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
            println!(
                "authentication: on (SigV4 signatures verified; access keys: {})",
                ids.join(", ")
            );
        }
        let runtime = Arc::clone(&app.runtime);
        server::serve(listener, app, shutdown_signal())
            .await
            .context("the server failed")?;
        runtime.flush_held().await;
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
            credentials_file: None,
            allow_remote_unauthenticated: false,
            max_request_bytes: None,
            max_payload_bytes: None,
            mock_config: None,
            env_access_key_id: None,
            env_secret_access_key: None,
            env_session_token: None,
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

    #[test]
    fn credentials_from_file_config_and_environment() {
        let dir = std::env::temp_dir().join(format!("stepwise-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let creds = dir.join("credentials");
        std::fs::write(
            &creds,
            "# keys\n[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s1\n\n[temp]\naws_access_key_id=ASIATEMP\naws_secret_access_key=s2\naws_session_token=tok\nregion=us-east-1\n",
        )
        .unwrap();
        let toml = dir.join("c.toml");
        std::fs::write(
            &toml,
            "max_request_bytes = 2048\n[[credentials]]\naccess_key_id = \"AKIDTOML\"\nsecret_access_key = \"s3\"\n",
        )
        .unwrap();
        let mut a = args();
        a.credentials_file = Some(creds.clone());
        a.config = Some(toml);
        a.env_access_key_id = Some("AKIDENV".into());
        a.env_secret_access_key = Some("s4".into());
        let s = settings(a).unwrap();
        let mut ids: Vec<_> = s.credentials.keys().cloned().collect();
        ids.sort();
        assert_eq!(ids, ["AKIDENV", "AKIDFILE", "AKIDTOML", "ASIATEMP"]);
        assert_eq!(
            s.credentials["ASIATEMP"].session_token.as_deref(),
            Some("tok")
        );
        assert_eq!(s.max_request_bytes, 2048);
        assert_eq!(s.max_payload_bytes, 262_144);
        // With credentials, any address is fine.
        let mut a = args();
        a.credentials_file = Some(creds.clone());
        a.address = Some(IpAddr::from([0, 0, 0, 0]));
        assert!(settings(a).is_ok());
        // Half an environment pair, a broken file.
        let mut a = args();
        a.env_access_key_id = Some("AKIDENV".into());
        assert!(settings(a).is_err());
        std::fs::write(&creds, "[default]\naws_access_key_id = X\n").unwrap();
        let mut a = args();
        a.credentials_file = Some(creds);
        let e = settings(a).unwrap_err().to_string();
        assert!(e.contains("needs both"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn no_credentials_means_loopback_only_unless_allowed() {
        let mut a = args();
        a.address = Some(IpAddr::from([0, 0, 0, 0]));
        let e = settings(a).unwrap_err().to_string();
        assert!(e.contains("--allow-remote-unauthenticated"), "{e}");
        let mut a = args();
        a.address = Some(IpAddr::from([0, 0, 0, 0]));
        a.allow_remote_unauthenticated = true;
        assert!(settings(a).unwrap().credentials.is_empty());
        let mut a = args();
        a.address = Some("::1".parse().unwrap());
        assert!(settings(a).is_ok());
    }
}
