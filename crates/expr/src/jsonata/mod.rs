//! JSONata expressions for `QueryLanguage: "JSONata"` states: compile once, evaluate many times.
//!
//! The evaluator is the `jlens-core` crate; none of its types leave this module. What this
//! module adds:
//!
//! - the functions Step Functions adds to JSONata (`$partition`, `$range`, `$hash`, `$random`
//!   with an optional seed, `$uuid`, `$parse`) and the one it takes away (`$eval`), see
//!   [`functions`];
//! - determinism: `$now()`, `$millis()`, `$random()`, `$uuid()` and `$shuffle()` read only the
//!   [`Determinism`] the caller passes, which comes from the execution's recorded history, so a
//!   replay gives the same values;
//! - bounds for untrusted expressions ([`Limits`]), counted in steps and depth rather than in
//!   wall-clock time, so that whether an evaluation fails does not depend on the machine;
//! - a panic in the evaluator becomes an [`Error`] (code [`Error::INTERNAL`]) instead of
//!   unwinding into the engine.
//!
//! Architecture Invariant: no clock, no IO, no randomness. The only wall-clock read is the
//! optional [`Limits::timeout_ms`] safety net inside `jlens-core`, which can turn a result into
//! a `D1012` error but never changes a value.

mod fast;
mod functions;
mod random;
pub use random::format_uuid;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

/// A JSONata error: the JSONata code (`"T1006"`, `"D3030"`, `"S0201"` …) and its message.
///
/// Step Functions reports a failed expression as
/// `… threw an error during evaluation. T1006: Attempted to invoke a non-function`, which is
/// `format!("{}: {}", code, message)`, the [`Display`](std::fmt::Display) form of this type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    /// The JSONata error code.
    pub code: String,
    /// The human-readable message, without position.
    pub message: String,
}

impl Error {
    /// Code of an error that is the evaluator's fault, not the expression's: it panicked.
    pub const INTERNAL: &'static str = "U9999";

    fn from_jlens(e: &jlens_core::Error) -> Self {
        Error {
            code: e.code().to_owned(),
            message: e.message(),
        }
    }
}

/// Bounds on one evaluation. Exceeding one is an [`Error`]; none changes a successful result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of evaluation (recursion) allowed; `D1011` beyond it.
    pub max_depth: usize,
    /// Evaluation steps allowed (each node evaluated, each function call); `U1006` beyond it.
    /// The same expression and input take the same steps on every machine.
    pub max_steps: u64,
    /// Largest result, as compact JSON text in bytes; `U1001` beyond it. Also bounds the
    /// arguments passed to the Step Functions functions.
    pub max_result_bytes: usize,
    /// Longest string the evaluation may build, in bytes; `U1001` beyond it.
    pub max_string_bytes: usize,
    /// Largest array or sequence the evaluation may build, in items; `U1001` beyond it.
    pub max_array_items: usize,
    /// Wall-clock safety net, in milliseconds; `D1012` beyond it. `None` (the default) keeps
    /// evaluation independent of machine speed; rely on `max_steps` instead.
    pub timeout_ms: Option<u64>,
}

impl Default for Limits {
    /// Generous for any real workflow expression, small enough that a hostile one cannot hold
    /// a worker for long: 10,000 levels, 10 million steps (a few seconds at most), results up
    /// to 256 KiB (Step Functions' payload limit), strings up to 16 MiB, arrays of 10 million.
    fn default() -> Self {
        Limits {
            max_depth: 10_000,
            max_steps: 10_000_000,
            max_result_bytes: 256 * 1024,
            max_string_bytes: 16 * 1024 * 1024,
            max_array_items: 10_000_000,
            timeout_ms: None,
        }
    }
}

/// Values an evaluation may read that must come from the execution's recorded inputs, so that
/// replaying the history evaluates to the same result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Determinism {
    /// `$now()` and `$millis()`: milliseconds since the Unix epoch.
    pub now_millis: i64,
    /// Seeds `$random()` (without an argument), `$uuid()` and `$shuffle()`. Two evaluations
    /// with the same seed draw the same values, so give each evaluation of an execution its
    /// own seed (for example the recorded seed mixed with the field's position).
    pub seed: u64,
}

/// Which function library an expression sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// JSONata as Step Functions runs it: its added functions, `$random` taking an optional
    /// seed, and no `$eval`.
    #[default]
    StepFunctions,
    /// Plain JSONata 2.x, as the official test suite describes it. `$now()`, `$millis()`,
    /// `$random()` and `$shuffle()` still read only [`Determinism`].
    Standard,
}

/// Variables for evaluations, by name without the `$`: `states` and the workflow variables.
///
/// Build one per state from owned values (moving them in costs nothing) and evaluate every
/// expression of the state with it: [`Expression::evaluate_with`] reads the values where they
/// are. A later value replaces an earlier one of the same name, and a variable named like one
/// of the Step Functions functions hides that function, as JSONata's scoping does.
#[derive(Debug, Clone)]
pub struct Bindings {
    /// The variables, and the Step Functions functions that keep no state.
    inner: jlens_core::Bindings,
}

impl Default for Bindings {
    fn default() -> Self {
        Bindings::new()
    }
}

impl Bindings {
    /// No variables.
    pub fn new() -> Self {
        Bindings {
            inner: functions::fixed(),
        }
    }

    /// Adds (or replaces) a variable.
    pub fn with(mut self, name: &str, value: Value) -> Self {
        self.set(name, value);
        self
    }

    /// Adds (or replaces) a variable.
    pub fn set(&mut self, name: &str, value: Value) {
        let inner = std::mem::take(&mut self.inner);
        self.inner = inner.var(name, value);
    }

    /// The value of a variable.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.inner.get(name)
    }

    /// The variables alone, for the standard dialect.
    fn variables(&self) -> jlens_core::Bindings {
        self.inner
            .iter()
            .map(|(name, value)| (name.to_owned(), value.clone()))
            .collect()
    }
}

impl<'a> FromIterator<(&'a str, &'a Value)> for Bindings {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a Value)>>(pairs: I) -> Self {
        pairs.into_iter().fold(Bindings::new(), |b, (name, value)| {
            b.with(name, value.clone())
        })
    }
}

/// A compiled JSONata expression: immutable, `Send + Sync`, cheap to clone.
#[derive(Debug, Clone)]
pub struct Expression {
    compiled: jlens_core::Expression,
    /// The same expression for our own evaluator, when it covers it ([`fast`]).
    fast: Option<Arc<fast::Program>>,
    /// Whether the text names a function that draws from the seed (`$random`, `$uuid`); those
    /// need fresh state per evaluation, so they are bound only when they can be called.
    draws: bool,
    dialect: Dialect,
}

impl Expression {
    /// Compiles an expression in the Step Functions dialect. Fails with the syntax error's
    /// code (`S0xxx`).
    pub fn compile(text: &str) -> Result<Expression, Error> {
        Expression::compile_with(text, Dialect::StepFunctions)
    }

    /// Compiles an expression for the given [`Dialect`].
    pub fn compile_with(text: &str, dialect: Dialect) -> Result<Expression, Error> {
        let compiled =
            guard(|| jlens_core::Expression::compile(text))?.map_err(|e| Error::from_jlens(&e))?;
        let fast = guard(|| fast::Program::compile(compiled.ast()))?.map(Arc::new);
        Ok(Expression {
            compiled,
            fast,
            draws: text.contains("$random") || text.contains("$uuid"),
            dialect,
        })
    }

    /// The text this expression was compiled from.
    pub fn source(&self) -> &str {
        self.compiled.source()
    }

    /// The dialect this expression was compiled for.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Evaluates the expression with variables given as pairs, which are copied; to evaluate
    /// several expressions with the same variables, build [`Bindings`] once and use
    /// [`evaluate_with`](Expression::evaluate_with).
    pub fn evaluate(
        &self,
        input: Option<&Value>,
        bindings: &[(&str, &Value)],
        det: &Determinism,
        limits: &Limits,
    ) -> Result<Option<Value>, Error> {
        let bindings: Bindings = bindings.iter().copied().collect();
        self.evaluate_with(input, &bindings, det, limits)
    }

    /// Evaluates the expression.
    ///
    /// `input` is the context value (`$`); `None` means *undefined*. `Ok(None)` means the
    /// expression evaluated to *undefined*, which is not JSON `null`.
    pub fn evaluate_with(
        &self,
        input: Option<&Value>,
        bindings: &Bindings,
        det: &Determinism,
        limits: &Limits,
    ) -> Result<Option<Value>, Error> {
        if let Some(program) = &self.fast
            && !self.draws
            && !matches!(input, Some(Value::Array(_)))
            && program.takes(&bindings.inner, det.now_millis)
        {
            return guard(|| fast::evaluate(program, input, &bindings.inner, det, limits))?
                .map_err(|e| Error::from_jlens(&e));
        }
        self.evaluate_reference(input, bindings, det, limits)
    }

    /// Whether evaluations of this expression use our own evaluator (unless their bindings
    /// hide a function it calls, or their input is an array), rather than `jlens-core`.
    #[doc(hidden)]
    pub fn is_fast(&self) -> bool {
        self.fast.is_some() && !self.draws
    }

    /// Evaluates with `jlens-core` alone, for differential tests of our own evaluator.
    #[doc(hidden)]
    pub fn evaluate_reference(
        &self,
        input: Option<&Value>,
        bindings: &Bindings,
        det: &Determinism,
        limits: &Limits,
    ) -> Result<Option<Value>, Error> {
        let options = options(det, limits);
        let run = |all: &jlens_core::Bindings| {
            guard(|| self.compiled.evaluate_with(input, all, &options))?
                .map_err(|e| Error::from_jlens(&e))
        };
        match self.dialect {
            Dialect::StepFunctions if self.draws => {
                run(&functions::drawing(bindings.inner.clone(), det.seed))
            }
            Dialect::StepFunctions => run(&bindings.inner),
            Dialect::Standard => run(&bindings.variables()),
        }
    }
}

fn options(det: &Determinism, limits: &Limits) -> jlens_core::Options {
    let options = jlens_core::Options::new()
        .now(det.now_millis)
        .seed(det.seed)
        .max_depth(limits.max_depth)
        .max_steps(limits.max_steps)
        .max_result_size(limits.max_result_bytes)
        .max_string_length(limits.max_string_bytes)
        .max_array_length(limits.max_array_items);
    match limits.timeout_ms {
        Some(ms) => options.timeout(Duration::from_millis(ms)),
        None => options,
    }
}

/// Runs `f`, turning a panic into an [`Error::INTERNAL`] error.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Error {
            code: Error::INTERNAL.to_owned(),
            message: format!("The JSONata evaluator failed unexpectedly: {what}"),
        }
    })
}

/// Compile-time check that a compiled expression can be shared between threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Expression>();
    shared::<Arc<Expression>>();
};

#[cfg(test)]
mod tests;
