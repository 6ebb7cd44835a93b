//! Outbound integrations: the HTTP task (`arn:aws:states:::http:invoke`) and
//! AWS service calls (`arn:aws:states:::aws-sdk:<service>:<action>` and the
//! optimized DynamoDB, SQS, SNS, EventBridge and S3 integrations), each an
//! async [`runtime::Invoker`]; [`register`] adds them to a [`runtime::Router`].

pub mod aws;
pub mod client;
pub mod config;
pub mod http_task;
pub mod s3;
pub mod services;
pub mod sigv4;
pub mod xml;

use std::sync::Arc;

pub use aws::AwsInvoker;
pub use client::HttpClient;
pub use config::{Connection, ServiceConfig, Settings};
pub use http_task::HttpInvoker;

/// The resource prefixes this crate serves.
pub const HTTP_INVOKE: &str = "arn:aws:states:::http:invoke";
pub const AWS_PREFIXES: &[&str] = &[
    "arn:aws:states:::aws-sdk:",
    "arn:aws:states:::dynamodb:",
    "arn:aws:states:::sqs:",
    "arn:aws:states:::sns:",
    "arn:aws:states:::events:",
    "arn:aws:states:::s3:",
];

/// `router` with the HTTP task and the AWS service integrations added.
pub fn register(router: runtime::Router, settings: &Settings) -> runtime::Router {
    let client = HttpClient::with_roots(
        std::time::Duration::from_secs(60),
        16 * 1024 * 1024,
        &settings.extra_roots,
    );
    let http = Arc::new(HttpInvoker::new(
        client.clone(),
        settings.connections.clone(),
        settings.region.clone(),
    ));
    let aws: Arc<dyn runtime::Invoker> = Arc::new(AwsInvoker::new(client, settings));
    let mut router = router.route(HTTP_INVOKE, http);
    for prefix in AWS_PREFIXES {
        router = router.route(*prefix, aws.clone());
    }
    router
}
