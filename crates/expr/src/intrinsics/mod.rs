//! Intrinsic functions (`States.Format(...)` and the other 17): parse once, evaluate per state.
//!
//! Every function is a row of [`SIGNATURES`]: its name, its parameter types
//! and its body. Arity is checked when the call is parsed (a definition
//! problem); argument types are checked in one place, [`check_types`], before
//! any body runs, so each body can assume well-typed arguments.
//!
//! AWS reports a failing intrinsic as `States.Runtime` with the cause
//! `Invalid arguments in States.<Name>`: that is what executions against AWS
//! show for bad MathAdd, ArrayRange, StringToJson, ArrayPartition and
//! MathRandom arguments, so every body failure here uses that wording.
mod functions;
mod parser;

use std::borrow::Cow;

use serde_json::Value;

use crate::jsonpath::Path;
use crate::{Entropy, Error, ParseError, Scope};

/// The error name AWS gives a failing intrinsic at run time.
pub const INTRINSIC_ERROR: &str = "States.Runtime";

/// A parsed intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    text: String,
    function: &'static Signature,
    args: Vec<Arg>,
    /// `States.Format` with a literal template: split once at parse time,
    /// keeping `\{` apart from a placeholder `{}`. `None` when the template
    /// literal is malformed, which AWS reports when the state runs.
    format: Option<Option<Vec<Piece>>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Literal(Value),
    Path(Path),
    Call(Call),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Text(String),
    Hole,
}

/// The JSON types a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Any,
    Str,
    Num,
    Bool,
    Arr,
    Obj,
}

type Body = fn(&Call, &[Cow<'_, Value>], &mut dyn Entropy) -> Result<Value, Invalid>;

/// A body's way of saying "these arguments cannot be used"; the caller
/// turns it into AWS's cause text.
#[derive(Debug)]
pub(crate) struct Invalid;

pub(crate) struct Signature {
    pub(crate) name: &'static str,
    /// Required parameters, in order.
    params: &'static [Ty],
    /// Trailing parameters that may be left out.
    optional: &'static [Ty],
    /// Any number of further arguments of this type.
    rest: Option<Ty>,
    body: Body,
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

use Ty::*;
use functions as f;

#[rustfmt::skip]
pub(crate) static SIGNATURES: [Signature; 18] = [
    Signature { name: "States.Format", params: &[Str], optional: &[], rest: Some(Any), body: f::format },
    Signature { name: "States.StringToJson", params: &[Str], optional: &[], rest: None, body: f::string_to_json },
    Signature { name: "States.JsonToString", params: &[Any], optional: &[], rest: None, body: f::json_to_string },
    Signature { name: "States.Array", params: &[], optional: &[], rest: Some(Any), body: f::array },
    Signature { name: "States.ArrayPartition", params: &[Arr, Num], optional: &[], rest: None, body: f::array_partition },
    Signature { name: "States.ArrayContains", params: &[Arr, Any], optional: &[], rest: None, body: f::array_contains },
    Signature { name: "States.ArrayRange", params: &[Num, Num, Num], optional: &[], rest: None, body: f::array_range },
    Signature { name: "States.ArrayGetItem", params: &[Arr, Num], optional: &[], rest: None, body: f::array_get_item },
    Signature { name: "States.ArrayLength", params: &[Arr], optional: &[], rest: None, body: f::array_length },
    Signature { name: "States.ArrayUnique", params: &[Arr], optional: &[], rest: None, body: f::array_unique },
    Signature { name: "States.Base64Encode", params: &[Str], optional: &[], rest: None, body: f::base64_encode },
    Signature { name: "States.Base64Decode", params: &[Str], optional: &[], rest: None, body: f::base64_decode },
    Signature { name: "States.Hash", params: &[Str, Str], optional: &[], rest: None, body: f::hash },
    Signature { name: "States.JsonMerge", params: &[Obj, Obj, Bool], optional: &[], rest: None, body: f::json_merge },
    Signature { name: "States.MathRandom", params: &[Num, Num], optional: &[Num], rest: None, body: f::math_random },
    Signature { name: "States.MathAdd", params: &[Num, Num], optional: &[], rest: None, body: f::math_add },
    Signature { name: "States.StringSplit", params: &[Str, Str], optional: &[], rest: None, body: f::string_split },
    Signature { name: "States.UUID", params: &[], optional: &[], rest: None, body: f::uuid },
];

impl Signature {
    fn lookup(name: &str) -> Option<&'static Signature> {
        SIGNATURES.iter().find(|s| s.name == name)
    }

    fn accepts_arity(&self, n: usize) -> bool {
        let min = self.params.len();
        let max = min + self.optional.len();
        n >= min && (self.rest.is_some() || n <= max)
    }

    fn param(&self, i: usize) -> Ty {
        self.params
            .iter()
            .chain(self.optional)
            .nth(i)
            .copied()
            .or(self.rest)
            .unwrap_or(Any)
    }
}

/// The one place argument types are checked.
fn check_types(sig: &Signature, args: &[Cow<'_, Value>]) -> Result<(), Invalid> {
    for (i, arg) in args.iter().enumerate() {
        let ok = match sig.param(i) {
            Any => true,
            Str => arg.is_string(),
            Num => arg.is_number(),
            Bool => arg.is_boolean(),
            Arr => arg.is_array(),
            Obj => arg.is_object(),
        };
        if !ok {
            return Err(Invalid);
        }
    }
    Ok(())
}

/// Why an evaluation stopped, before the caller words it.
pub(crate) enum Failure {
    /// A path argument found nothing: the template names the field.
    NotFound {
        path: String,
        document: String,
    },
    Error(Error),
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Failure::NotFound { path, document } => Error::runtime(format!(
                "The JSONPath '{path}' could not be found in the input '{document}'"
            )),
            Failure::Error(e) => e,
        }
    }
}

impl Call {
    /// Parses `States.Name(arg, …)`; unknown names and wrong arity are parse errors.
    pub fn parse(text: &str) -> Result<Call, ParseError> {
        parser::parse_call(text)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The function's name, e.g. `States.Format`.
    pub fn name(&self) -> &'static str {
        self.function.name
    }

    pub fn evaluate(
        &self,
        input: &Value,
        scope: &Scope,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Error> {
        self.eval(input, scope, entropy)
            .map_err(Failure::into_error)
    }

    pub(crate) fn eval<'a>(
        &'a self,
        input: &'a Value,
        scope: &Scope<'a>,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        let mut values: Vec<Cow<'a, Value>> = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            values.push(match arg {
                Arg::Literal(v) => Cow::Borrowed(v),
                Arg::Call(call) => Cow::Owned(call.eval(input, scope, entropy)?),
                Arg::Path(path) => path.evaluate_ref(input, scope).map_err(|_| {
                    let document = path
                        .root_value(input, scope)
                        .map(|v| v.to_string())
                        .unwrap_or_default();
                    Failure::NotFound {
                        path: path.as_str().to_owned(),
                        document,
                    }
                })?,
            });
        }
        let sig = self.function;
        check_types(sig, &values)
            .and_then(|()| (sig.body)(self, &values, entropy))
            .map_err(|Invalid| {
                Failure::Error(Error {
                    error: INTRINSIC_ERROR.to_owned(),
                    cause: format!("Invalid arguments in {}", sig.name),
                })
            })
    }
}

/// Parses and evaluates one call; for one-off use (`stepwise eval`, tests).
pub fn evaluate(
    call_text: &str,
    input: &Value,
    scope: &Scope,
    entropy: &mut dyn Entropy,
) -> Result<Value, Error> {
    let call = Call::parse(call_text).map_err(|e| Error::runtime(e.message))?;
    call.evaluate(input, scope, entropy)
}

#[cfg(test)]
mod tests;
