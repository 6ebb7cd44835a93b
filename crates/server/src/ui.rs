//! The web UI: its static files at `GET /` (built by Vite into `ui/dist` and
//! embedded at compile time; a placeholder page when it was not built), and the
//! read-only `GET /ui-api/…` endpoints the UI needs that the AWS API lacks.
//!
//! `GET /ui-api/executions` lists executions across all state machines, newest
//! first, with filters AWS's ListExecutions does not have. Query parameters (all
//! optional): `stateMachineArn`, `versionArn`, `aliasArn`, `status`,
//! `namePrefix`, `startedAfter` / `startedBefore` (epoch milliseconds),
//! `search` (a substring of the input or output JSON text), `maxResults`
//! (1..=1000, default 50), `nextToken`. Answer: `{"executions": [ListExecutions
//! items], "nextToken"?, "scanned"}`. Status, machine, version and alias use the
//! store's indexes; the other filters are applied while walking the listing, so
//! one request reads at most [`SCAN_BUDGET`] rows (a tenth of that with `search`,
//! which reads each payload): a page may come back short with a `nextToken` to
//! continue from, which keeps every request bounded on millions of executions.
//!
//! With authentication configured these GETs must be SigV4-signed too.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use store::{ExecutionFilter, ExecutionStatus, PageRequest};

use crate::App;
use crate::auth::SignedRequest;
use crate::error::{ApiError, ApiResult};

/// The most listing rows one `/ui-api/executions` request walks.
pub const SCAN_BUDGET: usize = 5000;

#[derive(rust_embed::RustEmbed)]
#[folder = "$UI_DIST_DIR"]
struct Assets;

/// `GET /ui-api/executions` and the UI's files (every other GET path).
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/ui-api/executions", get(executions))
        .route("/", get(asset))
        .route("/{*path}", get(asset))
        .with_state(app)
}

/// Whether the embedded UI is the real one (false: the placeholder page).
pub fn built() -> bool {
    Assets::get("index.html")
        .is_some_and(|f| !String::from_utf8_lossy(&f.data).contains("stepwise-ui-placeholder"))
}

async fn asset(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if path.starts_with("ui-api/") {
        return (StatusCode::NOT_FOUND, "no such endpoint").into_response();
    }
    let (file, name) = match Assets::get(path) {
        Some(f) => (f, path),
        // Paths without a file extension are the UI's own pages.
        None if !path.rsplit('/').next().unwrap_or("").contains('.') => {
            match Assets::get("index.html") {
                Some(f) => (f, "index.html"),
                None => return StatusCode::NOT_FOUND.into_response(),
            }
        }
        None => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    let mime = file.metadata.mimetype().to_string();
    // Vite puts a content hash in every asset's name: those never change.
    let cache = if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut r = (StatusCode::OK, file.data.into_owned()).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

type Params = std::collections::HashMap<String, String>;

async fn executions(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let result = async {
        if let Some(verifier) = &app.config.auth {
            let now = crate::ids::now_ms() / 1000;
            verifier.verify(
                &SignedRequest {
                    method: "GET",
                    path: uri.path(),
                    query: uri.query(),
                    headers: &headers,
                    body: b"",
                },
                now,
            )?;
        }
        // The store is synchronous: walk it off the async workers.
        tokio::task::spawn_blocking(move || list(&app, &params))
            .await
            .map_err(|e| ApiError::internal(format!("the request failed: {e}")))?
    }
    .await;
    let (status, body) = match result {
        Ok(v) => (StatusCode::OK, v),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            e.body(),
        ),
    };
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn int_param(params: &Params, key: &str) -> ApiResult<Option<i64>> {
    match params.get(key).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::validation(format!("{key} must be an integer, got '{s}'"))),
    }
}

fn str_param<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    params
        .get(key)
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

/// The store's keyset token positioned just before `ms`: `(started_at, arn) <
/// (ms, "")` selects exactly the executions started before `ms`.
fn token_before(ms: i64) -> String {
    URL_SAFE_NO_PAD.encode(json!(["executions", ms, ""]).to_string())
}

fn list(app: &App, params: &Params) -> ApiResult<Value> {
    let mut filter = ExecutionFilter {
        state_machine_arn: str_param(params, "stateMachineArn").map(str::to_string),
        version_arn: str_param(params, "versionArn").map(str::to_string),
        alias_arn: str_param(params, "aliasArn").map(str::to_string),
        status: None,
    };
    if let Some(s) = str_param(params, "status") {
        filter.status = Some(ExecutionStatus::parse(s).ok_or_else(|| {
            ApiError::validation(format!(
                "status must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE; got '{s}'"
            ))
        })?);
    }
    let max = int_param(params, "maxResults")?.unwrap_or(50);
    if !(1..=1000).contains(&max) {
        return Err(ApiError::validation(
            "maxResults must be between 1 and 1000",
        ));
    }
    let max = max as usize;
    let prefix = str_param(params, "namePrefix");
    let after = int_param(params, "startedAfter")?;
    let before = int_param(params, "startedBefore")?;
    let search = str_param(params, "search");
    let budget = if search.is_some() {
        SCAN_BUDGET / 10
    } else {
        SCAN_BUDGET
    };
    let mut token = match str_param(params, "nextToken") {
        Some(t) => Some(t.to_string()),
        None => before.map(token_before),
    };
    let mut found = Vec::new();
    let mut scanned = 0usize;
    let next;
    'walk: loop {
        let chunk = (budget - scanned).min(500);
        let page = app.store.list_executions(
            &filter,
            &PageRequest {
                max_results: chunk,
                next_token: token.take(),
            },
        )?;
        let count = page.items.len();
        for (i, e) in page.items.into_iter().enumerate() {
            scanned += 1;
            if after.is_some_and(|a| e.started_at < a) {
                // Newest first: nothing further can match.
                next = None;
                break 'walk;
            }
            let mut keep = prefix.is_none_or(|p| e.name.starts_with(p));
            if keep && let Some(text) = search {
                keep = match app.store.describe_execution(&e.arn) {
                    Ok(full) => {
                        full.input.contains(text)
                            || full.output.as_deref().is_some_and(|o| o.contains(text))
                    }
                    Err(store::Error::NotFound { .. }) => false,
                    Err(err) => return Err(err.into()),
                };
            }
            let resume = URL_SAFE_NO_PAD
                .encode(json!(["executions", e.started_at, e.arn.clone()]).to_string());
            if keep {
                found.push(crate::shapes::execution_list_item(&e));
            }
            if found.len() == max {
                let more = i + 1 < count || page.next_token.is_some();
                next = more.then_some(resume);
                break 'walk;
            }
            if scanned == budget {
                let more = i + 1 < count || page.next_token.is_some();
                next = more.then_some(resume);
                break 'walk;
            }
        }
        match page.next_token {
            Some(t) => token = Some(t),
            None => {
                next = None;
                break;
            }
        }
    }
    let mut out = json!({"executions": found, "scanned": scanned});
    if let Some(t) = next {
        out["nextToken"] = t.into();
    }
    Ok(out)
}
