//! `runtime::Error`: every way a runtime call fails, shaped like AWS's errors.
//!
//! Each variant is one AWS error code (`Error::code`) and its `Display` is AWS's
//! message text, so the server maps an error to `{"__type": code, "message": …}`
//! without knowing the cases.

/// The error of every `Runtime` call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The state machine, version or alias ARN names nothing.
    #[error("State Machine Does Not Exist: '{0}'")]
    StateMachineDoesNotExist(String),
    /// No execution has this ARN.
    #[error("Execution Does Not Exist: '{0}'")]
    ExecutionDoesNotExist(String),
    /// An execution of this name exists (closed, or running with another input).
    #[error("Execution Already Exists: '{0}'")]
    ExecutionAlreadyExists(String),
    /// The text is not an ARN of the kind the action takes; the payload is AWS's
    /// reason, e.g. `Invalid ARN prefix: foo`.
    #[error("Invalid Arn: '{0}'")]
    InvalidArn(String),
    /// The execution name breaks AWS's naming rules.
    #[error("Invalid Name: '{0}'")]
    InvalidName(String),
    /// The input is not JSON, or is larger than the payload limit.
    #[error("Invalid State Machine Execution Input: '{0}'")]
    InvalidExecutionInput(String),
    /// RedriveExecution of an execution that cannot be redriven; the payload
    /// is the reason (DescribeExecution's `redriveStatusReason`).
    #[error("{0}")]
    ExecutionNotRedrivable(String),
    /// StartSyncExecution on a STANDARD state machine.
    #[error("This operation is not supported by this type of state machine")]
    StateMachineTypeNotSupported,
    /// GetActivityTask on an activity that does not exist.
    #[error("Activity Does Not Exist: '{0}'")]
    ActivityDoesNotExist(String),
    /// A task token that this service never issued (not its shape).
    #[error("Invalid Token: 'Invalid token'")]
    InvalidToken,
    /// A well-formed task token that names no task.
    #[error("Task Does Not Exist: 'Provided task does not exist'")]
    TaskDoesNotExist,
    /// The token's task ended (answered, timed out, its execution closed).
    #[error("Task Timed Out: 'Provided task does not exist anymore'")]
    TaskTimedOut,
    /// SendTaskSuccess's output is not JSON or too large.
    #[error("Invalid Output: '{0}'")]
    InvalidOutput(String),
    /// A request field breaks a constraint; the payload is AWS's full message.
    #[error("{0}")]
    ValidationException(String),
    /// A stored definition no longer parses (it was validated when stored).
    #[error("Invalid State Machine Definition: '{0}'")]
    InvalidDefinition(String),
    /// `wait_until_done` gave up before the execution ended.
    #[error("Timed out waiting for execution '{0}'")]
    WaitTimeout(String),
    /// The runtime is shutting down: its blocking tasks were cancelled.
    #[error("The service is shutting down")]
    ShuttingDown,
    /// A background task failed.
    #[error("Internal error: {0}")]
    Internal(String),
    /// The store failed; the server answers with a 5xx.
    #[error(transparent)]
    Store(#[from] store::Error),
}

impl Error {
    /// AWS's error code, the `__type` of the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            Error::StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            Error::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            Error::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            Error::InvalidArn(_) => "InvalidArn",
            Error::InvalidName(_) => "InvalidName",
            Error::InvalidExecutionInput(_) => "InvalidExecutionInput",
            Error::ExecutionNotRedrivable(_) => "ExecutionNotRedrivable",
            Error::StateMachineTypeNotSupported => "StateMachineTypeNotSupported",
            Error::ValidationException(_) => "ValidationException",
            Error::ActivityDoesNotExist(_) => "ActivityDoesNotExist",
            Error::InvalidToken => "InvalidToken",
            Error::TaskDoesNotExist => "TaskDoesNotExist",
            Error::TaskTimedOut => "TaskTimedOut",
            Error::InvalidOutput(_) => "InvalidOutput",
            Error::InvalidDefinition(_) => "InvalidDefinition",
            Error::WaitTimeout(_) | Error::ShuttingDown => "ServiceUnavailable",
            Error::Internal(_) | Error::Store(_) => "InternalServerError",
        }
    }

    /// True when the caller did nothing wrong (a 5xx rather than a 4xx).
    pub fn is_server_error(&self) -> bool {
        matches!(
            self,
            Error::Internal(_) | Error::Store(_) | Error::WaitTimeout(_) | Error::ShuttingDown
        )
    }
}

/// The result of every `Runtime` call.
pub type Result<T, E = Error> = std::result::Result<T, E>;
