//! The AWS Step Functions API over HTTP: the AWS JSON 1.0 protocol
//! (`POST /`, `X-Amz-Target: AWSStepFunctions.<Action>`,
//! `application/x-amz-json-1.0`) in front of the store and the runtime.
//!
//! Architecture Invariant: this is the only crate that knows the wire format.
//! Each action lives in its own file under `actions/`, reads its parameters
//! through [`request::Req`] (AWS's validation texts), talks to the
//! [`store::Store`] (and the runtime for executions), and answers a JSON value
//! or an [`ApiError`]. `protocol.rs` turns those into HTTP responses; a panic in
//! a handler becomes a 500 `InternalFailure`, never a dropped connection.

pub mod actions;
pub mod arn;
pub mod auth;
mod error;
pub mod ids;
mod protocol;
pub mod request;
mod shapes;
pub mod ui;

use std::future::Future;
use std::sync::Arc;

pub use error::{ApiError, ApiResult};

/// Where ARNs say the resources live, who may call, how large a request may be.
#[derive(Debug, Clone)]
pub struct Config {
    /// e.g. `us-east-1`.
    pub region: String,
    /// e.g. `123456789012`.
    pub account: String,
    /// `Some`: every request must be SigV4-signed with one of its keys; `None`:
    /// any signature (or none) is accepted.
    pub auth: Option<Arc<auth::Verifier>>,
    /// The largest request body accepted; larger ones get a 413
    /// `RequestEntityTooLarge` (default [`DEFAULT_MAX_REQUEST_BYTES`]).
    pub max_request_bytes: usize,
}

/// Room for a 1 MiB definition or a 256 KiB input with the rest of the
/// request and JSON escaping.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

impl Default for Config {
    fn default() -> Self {
        Config {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            auth: None,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
        }
    }
}

/// Everything a handler can reach.
pub struct App {
    pub store: Arc<dyn store::Store>,
    pub config: Config,
    /// Starts, stops and runs executions.
    pub runtime: Arc<runtime::Runtime>,
}

impl App {
    pub fn new(
        store: Arc<dyn store::Store>,
        config: Config,
        runtime: Arc<runtime::Runtime>,
    ) -> Arc<App> {
        Arc::new(App {
            store,
            config,
            runtime,
        })
    }

    /// `arn:aws:states:<region>:<account>:<kind>:<name>`.
    pub fn arn(&self, kind: &str, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:{kind}:{name}",
            self.config.region, self.config.account
        )
    }
}

/// The HTTP routes: `POST /` carries every action; `GET` serves the web UI and
/// its read-only `/ui-api/…` endpoints (`ui.rs`).
pub fn router(app: Arc<App>) -> axum::Router {
    protocol::router(app.clone()).merge(ui::router(app))
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes the
/// requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
}
