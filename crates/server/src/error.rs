//! `ApiError`: an AWS error as the wire shows it — a code (the `__type` suffix),
//! a message and an HTTP status.
//!
//! Every failure a handler can meet ends as one of these; store errors map here
//! too (`From<store::Error>`), infrastructure failures as 500 `InternalFailure`.

/// One AWS-shaped error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// AWS's error code, e.g. `StateMachineDoesNotExist`.
    pub code: &'static str,
    pub message: String,
    /// 400 for the caller's mistakes, 500 for ours.
    pub status: u16,
}

impl ApiError {
    /// A client error (HTTP 400).
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            status: 400,
        }
    }

    /// A server-side failure (HTTP 500 `InternalFailure`); the text says what broke.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError {
            code: "InternalFailure",
            message: message.into(),
            status: 500,
        }
    }

    /// `ValidationException` with AWS's "1 validation error detected" wording.
    pub fn constraint(value: &str, field: &str, constraint: &str) -> Self {
        ApiError::new(
            "ValidationException",
            format!(
                "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
            ),
        )
    }

    /// `ValidationException` with a free text.
    pub fn validation(message: impl Into<String>) -> Self {
        ApiError::new("ValidationException", message)
    }

    /// `InvalidArn: Invalid Arn: '<why>'`.
    pub fn invalid_arn(why: impl std::fmt::Display) -> Self {
        ApiError::new("InvalidArn", format!("Invalid Arn: '{why}'"))
    }

    /// `StateMachineDoesNotExist` for `arn`.
    pub fn no_state_machine(arn: &str) -> Self {
        ApiError::new(
            "StateMachineDoesNotExist",
            format!("State Machine Does Not Exist: '{arn}'"),
        )
    }

    /// `ExecutionDoesNotExist` for `arn`.
    pub fn no_execution(arn: &str) -> Self {
        ApiError::new(
            "ExecutionDoesNotExist",
            format!("Execution Does Not Exist: '{arn}'"),
        )
    }

    /// `ActivityDoesNotExist` for `arn`.
    pub fn no_activity(arn: &str) -> Self {
        ApiError::new(
            "ActivityDoesNotExist",
            format!("Activity Does Not Exist: '{arn}'"),
        )
    }

    /// `ResourceNotFound` as the alias actions word it.
    pub fn no_resource() -> Self {
        ApiError::new(
            "ResourceNotFound",
            "Request references a resource that does not exist.",
        )
    }

    /// `InvalidToken` for a `nextToken` this listing did not issue.
    pub fn invalid_token() -> Self {
        ApiError::new("InvalidToken", "Invalid Token: 'Invalid token'")
    }

    /// The JSON body of the response: the authentication and protocol errors
    /// AWS's front end answers carry its namespace, the service's errors
    /// Step Functions'.
    pub fn body(&self) -> serde_json::Value {
        let namespace = match self.code {
            "MissingAuthenticationTokenException"
            | "IncompleteSignatureException"
            | "InvalidSignatureException"
            | "UnrecognizedClientException" => "com.amazon.coral.service",
            _ => "com.amazonaws.swf.service.v2.model",
        };
        serde_json::json!({
            "__type": format!("{namespace}#{}", self.code),
            "message": self.message,
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<store::Error> for ApiError {
    /// Catch-all mapping; actions map `NotFound`/`AlreadyExists` themselves where
    /// AWS has a specific code for the resource.
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::InvalidToken => ApiError::invalid_token(),
            store::Error::NotFound { .. } => ApiError::no_resource(),
            store::Error::Busy(m) => ApiError {
                code: "ServiceUnavailable",
                message: format!("The store is busy, retry: {m}"),
                status: 503,
            },
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<runtime::Error> for ApiError {
    /// The runtime's errors carry AWS's code and message already.
    fn from(e: runtime::Error) -> Self {
        match e {
            runtime::Error::Store(s) => s.into(),
            e => ApiError {
                code: e.code(),
                message: e.to_string(),
                status: if e.is_server_error() { 500 } else { 400 },
            },
        }
    }
}

/// The result of every action.
pub type ApiResult<T> = Result<T, ApiError>;
