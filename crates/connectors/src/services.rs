//! What Stepwise knows of each AWS service it can call: its wire protocol,
//! its signing and endpoint names, and the names AWS's two SDK generations
//! give it in error names (`DynamoDB.` for optimized integrations, which
//! Step Functions runs on the Java SDK v1; `DynamoDb.` for `aws-sdk:`
//! integrations, which run on the Java SDK v2).

/// How requests and answers are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS JSON (`application/x-amz-json-<version>`, `X-Amz-Target: <prefix>.<Action>`).
    Json {
        version: &'static str,
        target: &'static str,
    },
    /// AWS query (form-encoded `Action=…&Version=…`, XML answers).
    Query { version: &'static str },
    /// S3's REST-XML.
    S3,
}

/// One service.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// The name in resource ARNs (`aws-sdk:<name>:…`).
    pub name: &'static str,
    /// SigV4 scope service name.
    pub signing_name: &'static str,
    /// `https://<endpoint_prefix>.<region>.amazonaws.com`.
    pub endpoint_prefix: &'static str,
    pub protocol: Protocol,
    /// Java SDK v2 name, the prefix of `aws-sdk:` error names and the
    /// `Service:` of their causes (`DynamoDb`).
    pub sdk_name: &'static str,
    /// Prefix of optimized integrations' error names (`DynamoDB`).
    pub optimized_name: &'static str,
    /// Java SDK v1 service name in optimized causes (`AmazonDynamoDBv2`).
    pub v1_name: &'static str,
}

const fn json(
    name: &'static str,
    signing_name: &'static str,
    version: &'static str,
    target: &'static str,
    sdk_name: &'static str,
) -> Service {
    Service {
        name,
        signing_name,
        endpoint_prefix: signing_name,
        protocol: Protocol::Json { version, target },
        sdk_name,
        optimized_name: sdk_name,
        v1_name: sdk_name,
    }
}

const fn query(
    name: &'static str,
    signing_name: &'static str,
    endpoint_prefix: &'static str,
    version: &'static str,
    sdk_name: &'static str,
) -> Service {
    Service {
        name,
        signing_name,
        endpoint_prefix,
        protocol: Protocol::Query { version },
        sdk_name,
        optimized_name: sdk_name,
        v1_name: sdk_name,
    }
}

/// The services Stepwise can call, by their ARN name.
pub const SERVICES: &[Service] = &[
    Service {
        optimized_name: "DynamoDB",
        v1_name: "AmazonDynamoDBv2",
        ..json(
            "dynamodb",
            "dynamodb",
            "1.0",
            "DynamoDB_20120810",
            "DynamoDb",
        )
    },
    Service {
        optimized_name: "SQS",
        v1_name: "AmazonSQS",
        ..json("sqs", "sqs", "1.0", "AmazonSQS", "Sqs")
    },
    Service {
        optimized_name: "SNS",
        v1_name: "AmazonSNS",
        ..query("sns", "sns", "sns", "2010-03-31", "Sns")
    },
    Service {
        v1_name: "AmazonEventBridge",
        ..json("eventbridge", "events", "1.1", "AWSEvents", "EventBridge")
    },
    // The optimized integration's name for EventBridge.
    Service {
        v1_name: "AmazonEventBridge",
        ..json("events", "events", "1.1", "AWSEvents", "EventBridge")
    },
    Service {
        name: "s3",
        signing_name: "s3",
        endpoint_prefix: "s3",
        protocol: Protocol::S3,
        sdk_name: "S3",
        optimized_name: "S3",
        v1_name: "Amazon S3",
    },
    json("sfn", "states", "1.0", "AWSStepFunctions", "Sfn"),
    json("kms", "kms", "1.1", "TrentService", "Kms"),
    json(
        "secretsmanager",
        "secretsmanager",
        "1.1",
        "secretsmanager",
        "SecretsManager",
    ),
    json("ssm", "ssm", "1.1", "AmazonSSM", "Ssm"),
    json("kinesis", "kinesis", "1.1", "Kinesis_20131202", "Kinesis"),
    json(
        "cloudwatchlogs",
        "logs",
        "1.1",
        "Logs_20140328",
        "CloudWatchLogs",
    ),
    json("athena", "athena", "1.1", "AmazonAthena", "Athena"),
    json("glue", "glue", "1.1", "AWSGlue", "Glue"),
    json(
        "ecs",
        "ecs",
        "1.1",
        "AmazonEC2ContainerServiceV20141113",
        "Ecs",
    ),
    json(
        "firehose",
        "firehose",
        "1.1",
        "Firehose_20150804",
        "Firehose",
    ),
    query("sts", "sts", "sts", "2011-06-15", "Sts"),
    query(
        "cloudwatch",
        "monitoring",
        "monitoring",
        "2010-08-01",
        "CloudWatch",
    ),
    query("ses", "ses", "email", "2010-12-01", "Ses"),
];

/// The service named `name` in a resource ARN.
pub fn find(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name == name)
}

/// Error codes AWS answers that the SDKs do not model as their own
/// exception: they surface as the service's generic exception
/// (`DynamoDb.DynamoDbException`, `SQS.AmazonSQSException`).
const UNMODELED: &[&str] = &[
    "ValidationException",
    "ValidationError",
    "MissingParameter",
    "MissingAction",
    "InvalidAction",
    "SerializationException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "MissingAuthenticationTokenException",
    "IncompleteSignature",
    "InvalidClientTokenId",
    "ThrottlingException",
    "RequestExpired",
];

/// SQS's answers in the query-compatible codes its JSON protocol also
/// sends (`x-amzn-query-error`), by the exception the SDKs model.
const SQS_CODES: &[(&str, &str)] = &[
    (
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
    ),
    (
        "AWS.SimpleQueueService.QueueDeletedRecently",
        "QueueDeletedRecently",
    ),
    (
        "AWS.SimpleQueueService.UnsupportedOperation",
        "UnsupportedOperation",
    ),
    (
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        "BatchEntryIdsNotDistinct",
    ),
    (
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        "TooManyEntriesInBatchRequest",
    ),
    ("QueueAlreadyExists", "QueueNameExists"),
];

/// The exception class name for `code` (`NoSuchKey` → `NoSuchKeyException`),
/// or `None` when the SDK models no exception for it.
fn exception(service: &Service, code: &str) -> Option<String> {
    let code = code.rsplit('#').next().unwrap_or(code);
    let code = code.split(':').next().unwrap_or(code);
    let code = if service.name == "sqs" {
        SQS_CODES
            .iter()
            .find(|(wire, _)| *wire == code)
            .map_or(code, |(_, modeled)| modeled)
    } else {
        code
    };
    if code.is_empty() || UNMODELED.contains(&code) || code.starts_with("AWS.") {
        return None;
    }
    Some(if code.ends_with("Exception") {
        code.to_string()
    } else {
        format!("{code}Exception")
    })
}

/// The error name of an `aws-sdk:` task's service error.
pub fn sdk_error_name(service: &Service, code: &str) -> String {
    let class =
        exception(service, code).unwrap_or_else(|| format!("{}Exception", service.sdk_name));
    format!("{}.{class}", service.sdk_name)
}

/// The error name of an optimized integration's service error.
pub fn optimized_error_name(service: &Service, code: &str) -> String {
    let class = exception(service, code).unwrap_or_else(|| {
        // The SDK v1's generic exception: AmazonDynamoDBException, AmazonSQSException.
        let base = service.v1_name.trim_end_matches("v2").replace(' ', "");
        format!("{base}Exception")
    });
    format!("{}.{class}", service.optimized_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error names as recorded against AWS in the conformance corpus.
    #[test]
    fn error_names_follow_the_recordings() {
        let ddb = find("dynamodb").unwrap();
        assert_eq!(
            sdk_error_name(
                ddb,
                "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
            ),
            "DynamoDb.ResourceNotFoundException"
        );
        assert_eq!(
            optimized_error_name(ddb, "ResourceNotFoundException"),
            "DynamoDB.ResourceNotFoundException"
        );
        assert_eq!(
            optimized_error_name(ddb, "ValidationException"),
            "DynamoDB.AmazonDynamoDBException"
        );
        let sqs = find("sqs").unwrap();
        assert_eq!(
            optimized_error_name(sqs, "MissingParameter"),
            "SQS.AmazonSQSException"
        );
        assert_eq!(
            optimized_error_name(sqs, "AWS.SimpleQueueService.NonExistentQueue"),
            "SQS.QueueDoesNotExistException"
        );
        let sns = find("sns").unwrap();
        assert_eq!(
            optimized_error_name(sns, "NotFound"),
            "SNS.NotFoundException"
        );
        assert_eq!(
            optimized_error_name(sns, "InvalidParameter"),
            "SNS.InvalidParameterException"
        );
        let s3 = find("s3").unwrap();
        assert_eq!(sdk_error_name(s3, "NoSuchKey"), "S3.NoSuchKeyException");
        assert_eq!(
            sdk_error_name(s3, "NoSuchBucket"),
            "S3.NoSuchBucketException"
        );
        let sm = find("secretsmanager").unwrap();
        assert_eq!(
            sdk_error_name(sm, "ValidationException"),
            "SecretsManager.SecretsManagerException"
        );
        let sfn = find("sfn").unwrap();
        assert_eq!(
            sdk_error_name(sfn, "InvalidToken"),
            "Sfn.InvalidTokenException"
        );
    }
}
