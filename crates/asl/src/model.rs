//! The typed definition model: what a parsed ASL document says, field by field.
//!
//! The model keeps expressions (paths, templates, JSONata) as text or JSON; the
//! `expr` crate compiles them. Fields that AWS allows only for one query language
//! are still parsed for both, so that the validator can name the misuse.

use indexmap::IndexMap;
use serde_json::Value;

/// A whole state machine definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// `Comment`: free text, ignored by the interpreter.
    pub comment: Option<String>,
    /// `Version`: the ASL version; only "1.0" exists.
    pub version: Option<String>,
    /// `TimeoutSeconds`: the execution fails with `States.Timeout` after this long.
    pub timeout_seconds: Option<u64>,
    /// `QueryLanguage`: the default for every state; `JSONPath` when absent.
    pub query_language: QueryLanguage,
    /// `StartAt` and `States`.
    pub graph: Graph,
}

/// A set of states with an entry point: the top level, a Parallel branch or a Map's
/// ItemProcessor.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    pub comment: Option<String>,
    /// `StartAt`: the name of the first state.
    pub start_at: String,
    /// `States`, in the order the document lists them.
    pub states: IndexMap<String, State>,
}

/// The data language a state's fields are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    #[default]
    JsonPath,
    Jsonata,
}

impl QueryLanguage {
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

/// A path-valued data-flow field (`InputPath`, `OutputPath`, `ResultPath`), where
/// an explicit `null` has its own meaning (empty input `{}`, discarded result, …).
#[derive(Debug, Clone, PartialEq)]
pub enum PathField {
    Path(String),
    Null,
}

/// A value that the definition gives either literally, through a JSONPath
/// (`…Path` fields: `SecondsPath`, `ErrorPath`, `MaxConcurrencyPath`, …) or as a
/// JSONata expression (a `"{% … %}"` string in the plain field).
#[derive(Debug, Clone, PartialEq)]
pub enum Dynamic<T> {
    Literal(T),
    Path(String),
    Jsonata(String),
}

/// One state: the fields every type may carry, plus its type's own.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub name: String,
    pub comment: Option<String>,
    /// `QueryLanguage` set on the state; `None` inherits the definition's.
    pub query_language: Option<QueryLanguage>,
    /// `Next` or `End: true` (Choice, Succeed and Fail have neither).
    pub transition: Option<Transition>,
    /// `InputPath` (JSONPath): selects the part of the input the state works on.
    pub input_path: Option<PathField>,
    /// `OutputPath` (JSONPath): selects the part of the output passed on.
    pub output_path: Option<PathField>,
    /// `ResultPath` (JSONPath): where the result is placed in the input.
    pub result_path: Option<PathField>,
    /// `Parameters` (JSONPath payload template; also the legacy Map item template).
    pub parameters: Option<Value>,
    /// `ResultSelector` (JSONPath payload template applied to a task's raw result).
    pub result_selector: Option<Value>,
    /// `Arguments` (JSONata): the task or branch input.
    pub arguments: Option<Value>,
    /// `Output` (JSONata): the state's output.
    pub output: Option<Value>,
    /// `Assign`: workflow variables set when the state completes.
    pub assign: Option<Value>,
    /// `Retry`, in order.
    pub retry: Vec<Retrier>,
    /// `Catch`, in order.
    pub catch: Vec<Catcher>,
    pub kind: StateKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    Next(String),
    End,
}

/// What the state does, by `Type`.
#[derive(Debug, Clone, PartialEq)]
pub enum StateKind {
    Pass(Pass),
    Task(Task),
    Choice(Choice),
    Wait(Wait),
    Succeed,
    Fail(Fail),
    Parallel(Parallel),
    Map(Box<Map>),
}

impl StateKind {
    /// The `Type` name, as history event types use it (`PassStateEntered`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pass {
    /// `Result`: a fixed result that replaces the (effective) input.
    pub result: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// `Resource`: the ARN of the work to do.
    pub resource: String,
    /// `TimeoutSeconds` / `TimeoutSecondsPath`: default 99999999 (AWS).
    pub timeout_seconds: Option<Dynamic<u64>>,
    /// `HeartbeatSeconds` / `HeartbeatSecondsPath`: must be below the timeout.
    pub heartbeat_seconds: Option<Dynamic<u64>>,
    /// `Credentials`: a role to assume for the call.
    pub credentials: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// `Choices`: tried in order; the first match wins.
    pub choices: Vec<ChoiceBranch>,
    /// `Default`: the state when no rule matches; without it, `States.NoChoiceMatched`.
    pub default: Option<String>,
}

/// A top-level Choice rule: a condition and where it leads.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceBranch {
    pub comment: Option<String>,
    pub condition: Condition,
    pub next: String,
    /// `Assign` on the rule: applied when this rule matches.
    pub assign: Option<Value>,
    /// `Output` on the rule (JSONata).
    pub output: Option<Value>,
}

/// A Boolean expression over the state's input.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    /// `Variable` + one comparison operator (JSONPath).
    Compare {
        variable: String,
        operator: Comparison,
        operand: Operand,
    },
    /// `Condition: "{% … %}"` (JSONata).
    Jsonata(String),
}

/// The right-hand side of a comparison: a literal or (for `…Path` operators) a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Literal(Value),
    Path(String),
}

/// The Choice comparison operators, without their `Path` suffix (the operand says
/// whether it was a path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

impl Comparison {
    /// Every operator with its ASL field name (without `Path`).
    pub const ALL: [(Comparison, &'static str); 23] = [
        (Comparison::StringEquals, "StringEquals"),
        (Comparison::StringLessThan, "StringLessThan"),
        (Comparison::StringGreaterThan, "StringGreaterThan"),
        (Comparison::StringLessThanEquals, "StringLessThanEquals"),
        (
            Comparison::StringGreaterThanEquals,
            "StringGreaterThanEquals",
        ),
        (Comparison::StringMatches, "StringMatches"),
        (Comparison::NumericEquals, "NumericEquals"),
        (Comparison::NumericLessThan, "NumericLessThan"),
        (Comparison::NumericGreaterThan, "NumericGreaterThan"),
        (Comparison::NumericLessThanEquals, "NumericLessThanEquals"),
        (
            Comparison::NumericGreaterThanEquals,
            "NumericGreaterThanEquals",
        ),
        (Comparison::BooleanEquals, "BooleanEquals"),
        (Comparison::TimestampEquals, "TimestampEquals"),
        (Comparison::TimestampLessThan, "TimestampLessThan"),
        (Comparison::TimestampGreaterThan, "TimestampGreaterThan"),
        (
            Comparison::TimestampLessThanEquals,
            "TimestampLessThanEquals",
        ),
        (
            Comparison::TimestampGreaterThanEquals,
            "TimestampGreaterThanEquals",
        ),
        (Comparison::IsNull, "IsNull"),
        (Comparison::IsPresent, "IsPresent"),
        (Comparison::IsNumeric, "IsNumeric"),
        (Comparison::IsString, "IsString"),
        (Comparison::IsBoolean, "IsBoolean"),
        (Comparison::IsTimestamp, "IsTimestamp"),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(c, _)| *c == self)
            .map(|(_, n)| *n)
            .unwrap_or("")
    }

    /// Whether the operator has a `…Path` form (the `Is*` type tests do not).
    pub fn has_path_form(self) -> bool {
        !matches!(
            self,
            Comparison::IsNull
                | Comparison::IsPresent
                | Comparison::IsNumeric
                | Comparison::IsString
                | Comparison::IsBoolean
                | Comparison::IsTimestamp
                | Comparison::StringMatches
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Wait {
    /// `Seconds` / `SecondsPath`.
    Seconds(Dynamic<i64>),
    /// `Timestamp` / `TimestampPath`: an RFC 3339 time to wait until.
    Timestamp(Dynamic<String>),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fail {
    /// `Error` / `ErrorPath`.
    pub error: Option<Dynamic<String>>,
    /// `Cause` / `CausePath`.
    pub cause: Option<Dynamic<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parallel {
    /// `Branches`: each runs on a copy of the effective input.
    pub branches: Vec<Graph>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    /// `ItemProcessor` (or the legacy `Iterator`): the states each item runs through.
    pub processor: Graph,
    /// `ProcessorConfig`: inline (default) or distributed.
    pub processor_config: ProcessorConfig,
    /// True when the definition used `Iterator` rather than `ItemProcessor`.
    pub legacy_iterator: bool,
    /// `ItemsPath` (JSONPath reference path, default `$`).
    pub items_path: Option<String>,
    /// `Items` (JSONata expression or literal array).
    pub items: Option<Value>,
    /// `ItemSelector`: the template that builds each iteration's input.
    /// (The legacy `Parameters` field lives in [`State::parameters`].)
    pub item_selector: Option<Value>,
    /// `MaxConcurrency` / `MaxConcurrencyPath`: 0 means no limit.
    pub max_concurrency: Option<Dynamic<u64>>,
    /// `ToleratedFailureCount` / `…Path`.
    pub tolerated_failure_count: Option<Dynamic<f64>>,
    /// `ToleratedFailurePercentage` / `…Path`.
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    /// `ItemReader` (distributed Map): where items come from.
    pub item_reader: Option<Value>,
    /// `ItemBatcher` (distributed Map): groups items into batches.
    pub item_batcher: Option<Value>,
    /// `ResultWriter` (distributed Map): where results go.
    pub result_writer: Option<Value>,
    /// `Label` (distributed Map): names the map run.
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcessorConfig {
    pub mode: ProcessorMode,
    /// `ExecutionType` of a distributed Map's child workflows (`STANDARD` / `EXPRESS`).
    pub execution_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProcessorMode {
    #[default]
    Inline,
    Distributed,
}

/// A `Retry` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    pub comment: Option<String>,
    /// `ErrorEquals`: error names this rule handles; `States.ALL` matches any but
    /// `States.Runtime`.
    pub error_equals: Vec<String>,
    /// `IntervalSeconds`: the first delay; default 1.
    pub interval_seconds: u64,
    /// `MaxAttempts`: retries before giving up; default 3; 0 means never retry.
    pub max_attempts: u64,
    /// `BackoffRate`: the delay multiplier; default 2.0, at least 1.0.
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`: a cap on any one delay.
    pub max_delay_seconds: Option<u64>,
    /// `JitterStrategy`: `FULL` randomises each delay in [0, delay].
    pub jitter_strategy: JitterStrategy,
}

impl Default for Retrier {
    fn default() -> Self {
        Retrier {
            comment: None,
            error_equals: Vec::new(),
            interval_seconds: 1,
            max_attempts: 3,
            backoff_rate: 2.0,
            max_delay_seconds: None,
            jitter_strategy: JitterStrategy::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JitterStrategy {
    #[default]
    None,
    Full,
}

/// A `Catch` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    pub comment: Option<String>,
    pub error_equals: Vec<String>,
    pub next: String,
    /// `ResultPath` (JSONPath): where the error output goes; default `$` (replaces the input).
    pub result_path: Option<PathField>,
    /// `Output` (JSONata).
    pub output: Option<Value>,
    pub assign: Option<Value>,
}

impl Graph {
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.get(name)
    }
}

impl State {
    /// The query language in force for this state.
    pub fn language(&self, definition_default: QueryLanguage) -> QueryLanguage {
        self.query_language.unwrap_or(definition_default)
    }
}
