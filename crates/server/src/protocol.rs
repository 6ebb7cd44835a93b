//! The AWS JSON 1.0 protocol: one `POST /` route, the action named by
//! `X-Amz-Target: AWSStepFunctions.<Action>`, JSON bodies typed
//! `application/x-amz-json-1.0` (taken as bytes: axum's `Json` extractor refuses
//! that content type), errors as `{"__type": "…#<Code>", "message": …}`.
//!
//! Authentication: with `Config::auth` set, the SigV4 signature of every request
//! is verified first (`auth.rs`); without it any signature is accepted.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::auth::SignedRequest;
use crate::error::ApiError;
use crate::request::Req;
use crate::{App, actions};

/// The content type of every request and response body.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

pub fn router(app: Arc<App>) -> Router {
    let limit = app.config.max_request_bytes;
    Router::new()
        .route("/", post(handle))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app)
}

async fn handle(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let limit = app.config.max_request_bytes;
        let body = body.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError {
                    code: "RequestEntityTooLarge",
                    message: format!("Request body exceeds the limit of {limit} bytes"),
                    status: 413,
                }
            } else {
                ApiError::new("SerializationException", e.body_text())
            }
        })?;
        if let Some(verifier) = &app.config.auth {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            verifier.verify(
                &SignedRequest {
                    method: "POST",
                    path: uri.path(),
                    query: uri.query(),
                    headers: &headers,
                    body: &body,
                },
                now,
            )?;
        }
        let target = headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let Some(action) = target.strip_prefix("AWSStepFunctions.") else {
            return Err(ApiError::new(
                "UnknownOperationException",
                format!("Unknown operation: '{target}'"),
            ));
        };
        let req = Req::parse(&body)?;
        // A panic becomes an InternalFailure instead of a dropped connection.
        match (CatchUnwind {
            inner: Box::pin(actions::dispatch(Arc::clone(&app), action, req)),
        })
        .await
        {
            Ok(r) => r,
            Err(()) => Err(ApiError::internal("the request failed: it panicked")),
        }
    }
    .await;
    match result {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(e) => {
            let status =
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            json_response(status, &e.body())
        }
    }
}

/// Runs a future to its end, turning a panic in it into `Err(())` (what a
/// spawned task's `JoinError` gave, without a task per request).
struct CatchUnwind<F> {
    inner: std::pin::Pin<Box<F>>,
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = self.get_mut().inner.as_mut();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx)))
            .map_or(std::task::Poll::Ready(Err(())), |p| p.map(Ok))
    }
}

fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut r = (status, value.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    r
}
