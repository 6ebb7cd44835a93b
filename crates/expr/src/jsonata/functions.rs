//! The functions Step Functions adds to JSONata, and the one it removes.
//!
//! | function | result | recorded against AWS |
//! | --- | --- | --- |
//! | `$partition(array, size)` | the array cut into chunks of `size`, the last one shorter | `[0,1,2,3]`, 3 → `[[0,1,2],[3]]` |
//! | `$range(start, end, step)` | `start`, `start+step`, … up to `end` inclusive; one value alone is not wrapped in an array | `0,10,3` → `[0,3,6,9]`; `1,9,9` → `1` |
//! | `$hash(text, algorithm)` | lowercase hex digest; `MD5`, `SHA-1`, `SHA-256`, `SHA-384`, `SHA-512` | — |
//! | `$random([seed])` | a number in [0, 1); with a seed, always the same one for that seed | `$randomSeeded` does not exist: `T1006` |
//! | `$uuid()` | a version 4 UUID | — |
//! | `$parse(text)` | the JSON value the text encodes | `"-0"` → `0`, `"[1, 2, \"a\"]"` → `[1,2,"a"]` |
//! | `$eval` | removed: calling it fails with `T1006`, as for any unknown function | — |
//!
//! AWS's error texts for bad arguments were not recorded, so those below use codes of our own
//! (`D32xx`, outside JSONata's ranges) with messages in JSONata's style. Wrong argument types
//! fail with JSONata's `T0410` through each function's signature.

use std::sync::{Arc, OnceLock};

use jlens_core::{Bindings, Error as JError, HostFunction};
use md5::Md5;
use serde_json::{Number, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::random::{Stream, seeded_f64};

type Out = jlens_core::Result<Option<Value>>;

/// `$partition`: the chunk size is not a positive integer.
const PARTITION_SIZE: &str = "D3200";
/// `$range`: an argument is not an integer, or the step is 0.
const RANGE_ARGUMENT: &str = "D3201";
/// `$range`: more than [`RANGE_MAX_ITEMS`] values.
const RANGE_TOO_LONG: &str = "D3202";
/// `$hash`: the algorithm is not one of the five supported.
const HASH_ALGORITHM: &str = "D3203";
/// `$parse`: the text is not JSON.
const PARSE_INVALID: &str = "D3204";

/// The most values `$range` gives, as for `States.ArrayRange`.
const RANGE_MAX_ITEMS: usize = 1000;

/// The functions that keep no state, built once per process: cloning shares them.
pub(super) fn fixed() -> Bindings {
    static FIXED: OnceLock<Bindings> = OnceLock::new();
    FIXED.get_or_init(build_fixed).clone()
}

fn build_fixed() -> Bindings {
    Bindings::new()
        .function("partition", signed("<an:a>", partition))
        .function("range", signed("<nnn:x>", range))
        .function("hash", signed("<ss:s>", hash))
        .function("parse", signed("<s:x>", parse))
        .function(
            "eval",
            HostFunction::new(2, |_, _| Err(JError::new("T1006"))).without_input(),
        )
}

/// Adds `$random` and `$uuid`, drawing from a stream seeded with `seed`, fresh for one
/// evaluation.
pub(super) fn drawing(bindings: Bindings, seed: u64) -> Bindings {
    let stream = Arc::new(Stream::new(seed));
    let for_uuid = Arc::clone(&stream);
    bindings
        .function(
            "random",
            signed("<n?:n>", move |args| match number(args, 0) {
                None => Ok(Some(float(stream.next_f64()))),
                Some(seed) => Ok(Some(float(seeded_f64(seed as i64)))),
            }),
        )
        .function(
            "uuid",
            signed("<:s>", move |_| Ok(Some(Value::String(for_uuid.uuid_v4())))),
        )
}

/// A host function with a signature known to be valid, not reading its context.
fn signed(
    signature: &'static str,
    f: impl Fn(&[Option<Value>]) -> Out + Send + Sync + 'static,
) -> HostFunction {
    match HostFunction::with_signature(signature, move |args, _| f(args)) {
        Ok(function) => function.without_input(),
        // The signatures above are constants, checked by the unit tests.
        Err(e) => HostFunction::new(0, move |_, _| Err(e.clone())),
    }
}

fn error(code: &str, message: String) -> JError {
    JError::new(code).with("message", message)
}

fn number(args: &[Option<Value>], i: usize) -> Option<f64> {
    args.get(i)?.as_ref()?.as_f64()
}

fn float(x: f64) -> Value {
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// An integral number as an `i64`, if it is one.
fn integer(x: f64) -> Option<i64> {
    (x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0).then_some(x as i64)
}

fn partition(args: &[Option<Value>]) -> Out {
    let (Some(Value::Array(items)), Some(size)) =
        (args.first().and_then(Option::as_ref), number(args, 1))
    else {
        return Ok(None);
    };
    let size = match integer(size) {
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => {
            return Err(error(
                PARTITION_SIZE,
                format!("The chunk size of $partition must be a positive integer, not {size}"),
            ));
        }
    };
    let chunks = items
        .chunks(size)
        .map(|chunk| Value::Array(chunk.to_vec()))
        .collect();
    Ok(Some(Value::Array(chunks)))
}

fn range(args: &[Option<Value>]) -> Out {
    let (Some(start), Some(end), Some(step)) = (number(args, 0), number(args, 1), number(args, 2))
    else {
        return Ok(None);
    };
    let (Some(start), Some(end), Some(step)) = (integer(start), integer(end), integer(step)) else {
        return Err(error(
            RANGE_ARGUMENT,
            "The arguments of $range must be integers".to_owned(),
        ));
    };
    if step == 0 {
        return Err(error(
            RANGE_ARGUMENT,
            "The step of $range must not be 0".to_owned(),
        ));
    }
    let count = if (step > 0 && start > end) || (step < 0 && start < end) {
        0
    } else {
        (i128::from(end) - i128::from(start)) / i128::from(step) + 1
    };
    if count > RANGE_MAX_ITEMS as i128 {
        return Err(error(
            RANGE_TOO_LONG,
            format!("$range would give {count} values; at most {RANGE_MAX_ITEMS} are allowed"),
        ));
    }
    let mut values: Vec<Value> = (0..count as i64)
        .map(|i| Value::from(start + i * step))
        .collect();
    // Step Functions returns a sequence: one value stands alone, none is undefined.
    Ok(match values.len() {
        0 => None,
        1 => values.pop(),
        _ => Some(Value::Array(values)),
    })
}

fn hash(args: &[Option<Value>]) -> Out {
    let (Some(Value::String(text)), Some(Value::String(algorithm))) = (
        args.first().and_then(Option::as_ref),
        args.get(1).and_then(Option::as_ref),
    ) else {
        return Ok(None);
    };
    let bytes = text.as_bytes();
    let digest = match algorithm.as_str() {
        "MD5" => hex(&Md5::digest(bytes)),
        "SHA-1" => hex(&Sha1::digest(bytes)),
        "SHA-256" => hex(&Sha256::digest(bytes)),
        "SHA-384" => hex(&Sha384::digest(bytes)),
        "SHA-512" => hex(&Sha512::digest(bytes)),
        other => {
            return Err(error(
                HASH_ALGORITHM,
                format!(
                    "The hash algorithm {other:?} is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
                ),
            ));
        }
    };
    Ok(Some(Value::String(digest)))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xF)]));
    }
    out
}

fn parse(args: &[Option<Value>]) -> Out {
    let Some(Value::String(text)) = args.first().and_then(Option::as_ref) else {
        return Ok(None);
    };
    match serde_json::from_str::<Value>(text) {
        Ok(value) => Ok(Some(without_negative_zero(value))),
        Err(e) => Err(error(
            PARSE_INVALID,
            format!("The argument of $parse is not valid JSON: {e}"),
        )),
    }
}

/// JSON has no negative zero worth keeping: `$parse("-0")` gives `0`, as AWS does.
fn without_negative_zero(value: Value) -> Value {
    match value {
        Value::Number(n) if n.as_f64() == Some(0.0) && !n.is_u64() => Value::from(0),
        Value::Array(items) => Value::Array(items.into_iter().map(without_negative_zero).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, without_negative_zero(v)))
                .collect(),
        ),
        other => other,
    }
}
