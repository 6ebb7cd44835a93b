//! AWS service integrations against a real AWS-compatible server on loopback:
//! moto's server (`STEPWISE_MOTO_SERVER`, set by `scripts/test` to the one in
//! the project's virtualenv). Every optimized integration, generic `aws-sdk:`
//! calls over the JSON, query and S3 REST protocols, and AWS's error names
//! and causes.

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use connectors::config::{ServiceConfig, Settings};
use connectors::sigv4::Credentials;
use connectors::{AwsInvoker, HttpClient};
use md5::{Digest, Md5};
use runtime::{Invoker, TaskOutcome, TaskRequest};
use serde_json::{Value, json};

/// moto's server on a free port, stopped on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto() -> Option<Moto> {
    let path = match std::env::var("STEPWISE_MOTO_SERVER") {
        Ok(p) => std::path::PathBuf::from(p),
        Err(_) => {
            let default = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../.venv/bin/moto_server");
            if !default.exists() {
                eprintln!(
                    "SKIPPED: moto_server not found (set STEPWISE_MOTO_SERVER, or run ./scripts/test, which installs it in .venv)"
                );
                return None;
            }
            default
        }
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&path)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", path.display()));
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not start listening"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

fn invoker(endpoint: &str) -> AwsInvoker {
    let mut services = BTreeMap::new();
    for name in ["dynamodb", "sqs", "sns", "eventbridge", "s3"] {
        services.insert(
            name.to_string(),
            ServiceConfig {
                endpoint: Some(endpoint.to_string()),
                region: Some("us-east-1".into()),
                ..ServiceConfig::default()
            },
        );
    }
    let settings = Settings {
        connections: Vec::new(),
        services,
        region: "us-east-1".into(),
        default_credentials: Some(Credentials {
            access_key_id: "AKIDMOTO".into(),
            secret_access_key: "moto-secret".into(),
            session_token: None,
        }),
        extra_roots: Vec::new(),
    };
    AwsInvoker::new(HttpClient::default(), &settings)
}

async fn call(inv: &AwsInvoker, resource: &str, params: Value) -> TaskOutcome {
    inv.invoke(TaskRequest {
        task: 1,
        state_name: "S".into(),
        resource: resource.to_string(),
        parameters: params,
        timeout_seconds: None,
        heartbeat_seconds: None,
        task_token: None,
        caller: None,
    })
    .await
}

async fn ok(inv: &AwsInvoker, resource: &str, params: Value) -> Value {
    match call(inv, resource, params).await {
        TaskOutcome::Succeeded(v) => v,
        other => panic!("{resource} failed: {other:?}"),
    }
}

async fn err(inv: &AwsInvoker, resource: &str, params: Value) -> (String, String) {
    match call(inv, resource, params).await {
        TaskOutcome::Failed { error, cause } => {
            (error.unwrap_or_default(), cause.unwrap_or_default())
        }
        other => panic!("{resource} should have failed: {other:?}"),
    }
}

/// The optimized integrations' `SdkHttpMetadata` / `SdkResponseMetadata`.
fn assert_sdk_metadata(v: &Value) {
    let http = &v["SdkHttpMetadata"];
    assert_eq!(http["HttpStatusCode"], 200, "{v}");
    assert!(http["HttpHeaders"]["Content-Type"].is_string(), "{v}");
    assert!(http["AllHttpHeaders"]["Content-Type"].is_array(), "{v}");
    assert!(v["SdkResponseMetadata"]["RequestId"].is_string(), "{v}");
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_optimized_and_sdk_calls_with_their_error_names() {
    let Some(moto) = moto() else { return };
    let inv = invoker(&moto.endpoint);
    let created = ok(
        &inv,
        "arn:aws:states:::aws-sdk:dynamodb:createTable",
        json!({
            "TableName": "orders",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .await;
    assert_eq!(created["TableDescription"]["TableName"], "orders");
    // Epoch-seconds timestamps come out as ISO 8601 text, as the SDK renders them.
    let created_at = created["TableDescription"]["CreationDateTime"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));
    assert!(
        created_at.parse::<jiff::Timestamp>().is_ok() && created_at.ends_with('Z'),
        "{created_at}"
    );

    let item = json!({"id": {"S": "o-1"}, "data": {"S": "HelloWorld"}});
    let put = ok(
        &inv,
        "arn:aws:states:::dynamodb:putItem",
        json!({"TableName": "orders", "Item": item}),
    )
    .await;
    assert_eq!(keys(&put), ["SdkHttpMetadata", "SdkResponseMetadata"]);
    assert_sdk_metadata(&put);

    let got = ok(
        &inv,
        "arn:aws:states:::dynamodb:getItem",
        json!({"TableName": "orders", "Key": {"id": {"S": "o-1"}}}),
    )
    .await;
    assert_eq!(got["Item"], item);
    assert_eq!(
        keys(&got),
        ["Item", "SdkHttpMetadata", "SdkResponseMetadata"]
    );

    let updated = ok(
        &inv,
        "arn:aws:states:::dynamodb:updateItem",
        json!({"TableName": "orders", "Key": {"id": {"S": "o-1"}}, "UpdateExpression": "set S=:r",
               "ExpressionAttributeValues": {":r": {"S": "HelloWorldUpdated"}}, "ReturnValues": "UPDATED_NEW"}),
    )
    .await;
    assert_eq!(
        updated["Attributes"],
        json!({"S": {"S": "HelloWorldUpdated"}})
    );
    assert_sdk_metadata(&updated);

    // The same item again, only if absent: the conditional check fails.
    let (error, cause) = err(
        &inv,
        "arn:aws:states:::dynamodb:putItem",
        json!({"TableName": "orders", "Item": item, "ConditionExpression": "attribute_not_exists(id)"}),
    )
    .await;
    assert_eq!(error, "DynamoDB.ConditionalCheckFailedException");
    assert!(
        cause.contains("(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: ")
            && cause.ends_with("; Proxy: null)"),
        "{cause}"
    );
    let (error, cause) = err(
        &inv,
        "arn:aws:states:::aws-sdk:dynamodb:putItem",
        json!({"TableName": "orders", "Item": item, "ConditionExpression": "attribute_not_exists(id)"}),
    )
    .await;
    assert_eq!(error, "DynamoDb.ConditionalCheckFailedException");
    assert!(
        cause.contains("(Service: DynamoDb, Status Code: 400, Request ID: "),
        "{cause}"
    );

    let (error, cause) = err(
        &inv,
        "arn:aws:states:::dynamodb:putItem",
        json!({"TableName": "no-such-table", "Item": item}),
    )
    .await;
    assert_eq!(error, "DynamoDB.ResourceNotFoundException");
    assert!(cause.starts_with("Requested resource not found"), "{cause}");
    let (error, _) = err(
        &inv,
        "arn:aws:states:::aws-sdk:dynamodb:putItem",
        json!({"TableName": "no-such-table", "Item": item}),
    )
    .await;
    assert_eq!(error, "DynamoDb.ResourceNotFoundException");

    let deleted = ok(
        &inv,
        "arn:aws:states:::dynamodb:deleteItem",
        json!({"TableName": "orders", "Key": {"id": {"S": "o-1"}}, "ReturnValues": "ALL_OLD"}),
    )
    .await;
    assert_eq!(deleted["Attributes"]["data"], json!({"S": "HelloWorld"}));
    let got = ok(
        &inv,
        "arn:aws:states:::aws-sdk:dynamodb:getItem",
        json!({"TableName": "orders", "Key": {"id": {"S": "o-1"}}}),
    )
    .await;
    assert_eq!(
        got,
        json!({}),
        "aws-sdk results carry no SDK metadata, and the item is gone"
    );

    // Not an optimized action.
    let (error, _) = err(
        &inv,
        "arn:aws:states:::dynamodb:scan",
        json!({"TableName": "orders"}),
    )
    .await;
    assert_eq!(error, "States.Runtime");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_sns_and_eventbridge_deliver_messages() {
    let Some(moto) = moto() else { return };
    let inv = invoker(&moto.endpoint);

    let queue = ok(
        &inv,
        "arn:aws:states:::aws-sdk:sqs:createQueue",
        json!({"QueueName": "jobs"}),
    )
    .await;
    let queue_url = queue["QueueUrl"].as_str().expect("QueueUrl").to_string();
    let body = json!({"job": 1, "name": "x"});
    let sent = ok(
        &inv,
        "arn:aws:states:::sqs:sendMessage",
        json!({"QueueUrl": queue_url, "MessageBody": body}),
    )
    .await;
    let text = body.to_string();
    assert_eq!(
        sent["MD5OfMessageBody"],
        hex::encode(Md5::digest(text.as_bytes()))
    );
    assert!(sent["MessageId"].is_string());
    assert_eq!(
        keys(&sent),
        [
            "MD5OfMessageBody",
            "MessageId",
            "SdkHttpMetadata",
            "SdkResponseMetadata"
        ]
    );
    assert_sdk_metadata(&sent);
    let received = ok(
        &inv,
        "arn:aws:states:::aws-sdk:sqs:receiveMessage",
        json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10}),
    )
    .await;
    assert_eq!(received["Messages"][0]["Body"], text);
    let (error, cause) = err(
        &inv,
        "arn:aws:states:::sqs:sendMessage",
        json!({"QueueUrl": format!("{}/123456789012/missing", moto.endpoint), "MessageBody": "x"}),
    )
    .await;
    assert!(error.starts_with("SQS."), "{error}");
    assert!(
        cause.contains("(Service: AmazonSQS; Status Code: 400;"),
        "{cause}"
    );

    // SNS speaks the query protocol: XML answers become the SDK's JSON.
    let topic = ok(
        &inv,
        "arn:aws:states:::aws-sdk:sns:createTopic",
        json!({"Name": "events"}),
    )
    .await;
    let topic_arn = topic["TopicArn"].as_str().expect("TopicArn").to_string();
    let queue_arn = ok(
        &inv,
        "arn:aws:states:::aws-sdk:sqs:getQueueAttributes",
        json!({"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]}),
    )
    .await["Attributes"]["QueueArn"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        &inv,
        "arn:aws:states:::aws-sdk:sns:subscribe",
        json!({"TopicArn": topic_arn, "Protocol": "sqs", "Endpoint": queue_arn,
               "Attributes": {"RawMessageDelivery": "true"}}),
    )
    .await;
    let listed = ok(&inv, "arn:aws:states:::aws-sdk:sns:listTopics", json!({})).await;
    assert!(
        listed["Topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["TopicArn"] == topic_arn.as_str()),
        "{listed}"
    );
    let published = ok(
        &inv,
        "arn:aws:states:::sns:publish",
        json!({"TopicArn": topic_arn, "Message": {"Message": "HelloWorld!"},
               "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "greeting"}}}),
    )
    .await;
    assert!(published["MessageId"].is_string());
    assert_eq!(
        keys(&published),
        ["MessageId", "SdkHttpMetadata", "SdkResponseMetadata"]
    );
    assert_sdk_metadata(&published);
    let delivered = ok(
        &inv,
        "arn:aws:states:::aws-sdk:sqs:receiveMessage",
        json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10}),
    )
    .await;
    assert_eq!(
        delivered["Messages"][0]["Body"], r#"{"Message":"HelloWorld!"}"#,
        "{delivered}"
    );
    let (error, cause) = err(
        &inv,
        "arn:aws:states:::sns:publish",
        json!({"TopicArn": "arn:aws:sns:us-east-1:123456789012:missing", "Message": "x"}),
    )
    .await;
    assert_eq!(error, "SNS.NotFoundException");
    assert!(
        cause.contains("(Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: "),
        "{cause}"
    );

    // EventBridge: optimized putEvents, then the generic listing.
    let put = ok(
        &inv,
        "arn:aws:states:::events:putEvents",
        json!({"Entries": [{"Source": "stepwise.test", "DetailType": "Order", "Detail": {"id": 1}}]}),
    )
    .await;
    assert_eq!(put["FailedEntryCount"], 0);
    assert!(put["Entries"][0]["EventId"].is_string(), "{put}");
    let buses = ok(
        &inv,
        "arn:aws:states:::aws-sdk:eventbridge:listEventBuses",
        json!({}),
    )
    .await;
    assert!(
        buses["EventBuses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["Name"] == "default")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_objects_through_the_rest_protocol() {
    let Some(moto) = moto() else { return };
    let inv = invoker(&moto.endpoint);
    ok(
        &inv,
        "arn:aws:states:::aws-sdk:s3:createBucket",
        json!({"Bucket": "bucket-name"}),
    )
    .await;
    // A JSON body is stored as its JSON text: the ETag is AWS's recorded one.
    let put = ok(
        &inv,
        "arn:aws:states:::aws-sdk:s3:putObject",
        json!({"Bucket": "bucket-name", "Key": "file-key", "Body": {"Dict": "Value"}}),
    )
    .await;
    assert_eq!(put["ETag"], "\"49e31cee5aec8faf3345893addb14346\"", "{put}");
    let got = ok(
        &inv,
        "arn:aws:states:::aws-sdk:s3:getObject",
        json!({"Bucket": "bucket-name", "Key": "file-key"}),
    )
    .await;
    assert_eq!(got["Body"], r#"{"Dict":"Value"}"#);
    assert_eq!(got["ContentLength"], 16);
    assert_eq!(got["ETag"], put["ETag"]);
    assert_eq!(got["Metadata"], json!({}));
    assert!(
        got["LastModified"].as_str().unwrap().ends_with('Z'),
        "{got}"
    );
    // Keys with spaces and slashes, metadata, the s3: form.
    ok(
        &inv,
        "arn:aws:states:::s3:putObject",
        json!({"Bucket": "bucket-name", "Key": "dir/a b.txt", "Body": "text data",
               "ContentType": "text/plain", "Metadata": {"owner": "me"}}),
    )
    .await;
    let got = ok(
        &inv,
        "arn:aws:states:::s3:getObject",
        json!({"Bucket": "bucket-name", "Key": "dir/a b.txt"}),
    )
    .await;
    assert_eq!(got["Body"], "text data");
    assert_eq!(got["ContentType"], "text/plain");
    assert_eq!(got["Metadata"], json!({"owner": "me"}));
    let listed = ok(
        &inv,
        "arn:aws:states:::aws-sdk:s3:listObjectsV2",
        json!({"Bucket": "bucket-name", "Prefix": "dir/"}),
    )
    .await;
    assert_eq!(listed["KeyCount"], 1, "{listed}");
    assert_eq!(listed["Contents"][0]["Key"], "dir/a b.txt");
    assert_eq!(listed["Contents"][0]["Size"], 9);
    let (error, cause) = err(
        &inv,
        "arn:aws:states:::aws-sdk:s3:getObject",
        json!({"Bucket": "bucket-name", "Key": "no_such_key.json"}),
    )
    .await;
    assert_eq!(error, "S3.NoSuchKeyException");
    assert!(
        cause.starts_with(
            "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: "
        ) && cause.contains(", Extended Request ID: "),
        "{cause}"
    );
    let (error, _) = err(
        &inv,
        "arn:aws:states:::aws-sdk:s3:listObjects",
        json!({"Bucket": "someNonexistentBucketName"}),
    )
    .await;
    assert_eq!(error, "S3.NoSuchBucketException");
    let head = ok(
        &inv,
        "arn:aws:states:::aws-sdk:s3:headObject",
        json!({"Bucket": "bucket-name", "Key": "file-key"}),
    )
    .await;
    assert_eq!(head["ContentLength"], 16, "{head}");
    assert!(head.get("Body").is_none());
    ok(
        &inv,
        "arn:aws:states:::aws-sdk:s3:deleteObject",
        json!({"Bucket": "bucket-name", "Key": "file-key"}),
    )
    .await;
    let (error, _) = err(
        &inv,
        "arn:aws:states:::aws-sdk:s3:getObject",
        json!({"Bucket": "bucket-name", "Key": "file-key"}),
    )
    .await;
    assert_eq!(error, "S3.NoSuchKeyException");
    // HEAD answers carry no body: the SDK's message is "null".
    let (error, cause) = err(
        &inv,
        "arn:aws:states:::aws-sdk:s3:headObject",
        json!({"Bucket": "bucket-name", "Key": "file-key"}),
    )
    .await;
    assert_eq!(error, "S3.NoSuchKeyException");
    assert!(
        cause.starts_with("null (Service: S3, Status Code: 404"),
        "{cause}"
    );
}
