//! The bodies of the 18 intrinsic functions; argument types are already checked.
use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};
use sha2::Digest as _;

use super::{Call, Invalid, Piece, parser};
use crate::Entropy;
use crate::java::{self, JavaRandom};

type Args<'x, 'a> = &'x [Cow<'a, Value>];
type Out = Result<Value, Invalid>;

/// AWS's documented limit on the text `Base64Encode`, `Base64Decode` and `Hash` take.
const MAX_TEXT: usize = 10_000;
/// AWS's documented limit on the length of an `ArrayRange` result.
const MAX_RANGE: i64 = 1_000;

fn str_arg<'x>(args: Args<'x, '_>, i: usize) -> Result<&'x str, Invalid> {
    args.get(i).and_then(|v| v.as_str()).ok_or(Invalid)
}

fn arr_arg<'x>(args: Args<'x, '_>, i: usize) -> Result<&'x Vec<Value>, Invalid> {
    args.get(i).and_then(|v| v.as_array()).ok_or(Invalid)
}

fn num_arg(args: Args<'_, '_>, i: usize) -> Result<f64, Invalid> {
    args.get(i).and_then(|v| v.as_f64()).ok_or(Invalid)
}

/// Java's `(int)` cast of a double: truncation toward zero. AWS truncates
/// ArrayRange, ArrayPartition, ArrayGetItem and MathRandom bounds this way
/// (`ArrayRange(1.6, 1.4, 1)` gives `[1]`).
fn int_arg(args: Args<'_, '_>, i: usize) -> Result<i64, Invalid> {
    let x = num_arg(args, i)?.trunc();
    if x.abs() > 2_147_483_647.0 {
        return Err(Invalid);
    }
    Ok(x as i64)
}

pub(super) fn format(call: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let parsed;
    let pieces = match &call.format {
        Some(pieces) => pieces.as_ref().ok_or(Invalid)?,
        None => {
            parsed = parser::parse_format(str_arg(args, 0)?).ok_or(Invalid)?;
            &parsed
        }
    };
    let holes = pieces.iter().filter(|p| **p == Piece::Hole).count();
    if holes != args.len().saturating_sub(1) {
        return Err(Invalid);
    }
    let mut values = args.iter().skip(1);
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Hole => out.push_str(&java::to_display_string(values.next().ok_or(Invalid)?)),
        }
    }
    Ok(Value::String(out))
}

pub(super) fn string_to_json(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let text = str_arg(args, 0)?.trim();
    if text.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(text).map_err(|_| Invalid)
}

pub(super) fn json_to_string(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let value = args.first().ok_or(Invalid)?;
    Ok(Value::String(java::to_json_string(value)))
}

pub(super) fn array(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    Ok(Value::Array(
        args.iter().map(|v| v.as_ref().clone()).collect(),
    ))
}

pub(super) fn array_partition(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let items = arr_arg(args, 0)?;
    let size = usize::try_from(int_arg(args, 1)?).map_err(|_| Invalid)?;
    if size == 0 {
        return Err(Invalid);
    }
    Ok(Value::Array(
        items
            .chunks(size)
            .map(|c| Value::Array(c.to_vec()))
            .collect(),
    ))
}

pub(super) fn array_contains(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let needle = args.get(1).ok_or(Invalid)?;
    Ok(Value::Bool(
        arr_arg(args, 0)?.iter().any(|v| v == needle.as_ref()),
    ))
}

pub(super) fn array_range(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let (start, end, step) = (int_arg(args, 0)?, int_arg(args, 1)?, int_arg(args, 2)?);
    if step == 0 {
        return Err(Invalid);
    }
    let count = if (step > 0 && start <= end) || (step < 0 && start >= end) {
        (end - start) / step + 1
    } else {
        0
    };
    if count > MAX_RANGE {
        return Err(Invalid);
    }
    Ok(Value::Array(
        (0..count).map(|i| Value::from(start + i * step)).collect(),
    ))
}

pub(super) fn array_get_item(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let items = arr_arg(args, 0)?;
    let index = usize::try_from(int_arg(args, 1)?).map_err(|_| Invalid)?;
    items.get(index).cloned().ok_or(Invalid)
}

pub(super) fn array_length(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    Ok(Value::from(arr_arg(args, 0)?.len()))
}

/// Keeps the first of equal items; `1` and `1.0` differ, as Jackson nodes do.
pub(super) fn array_unique(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let mut out: Vec<Value> = Vec::new();
    for item in arr_arg(args, 0)? {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    Ok(Value::Array(out))
}

pub(super) fn base64_encode(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let text = str_arg(args, 0)?;
    if text.chars().count() > MAX_TEXT {
        return Err(Invalid);
    }
    Ok(Value::String(BASE64.encode(text)))
}

pub(super) fn base64_decode(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let text = str_arg(args, 0)?;
    if text.chars().count() > MAX_TEXT {
        return Err(Invalid);
    }
    let bytes = BASE64.decode(text).map_err(|_| Invalid)?;
    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

pub(super) fn hash(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let data = str_arg(args, 0)?;
    if data.chars().count() > MAX_TEXT {
        return Err(Invalid);
    }
    let bytes = data.as_bytes();
    let digest: Vec<u8> = match str_arg(args, 1)? {
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        _ => return Err(Invalid),
    };
    Ok(Value::String(
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

/// Shallow merge only (AWS refuses `true`); the result comes back in Java
/// `HashMap` order, as AWS returns it.
pub(super) fn json_merge(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let (Some(Value::Object(a)), Some(Value::Object(b)), Some(Value::Bool(deep))) = (
        args.first().map(AsRef::as_ref),
        args.get(1).map(AsRef::as_ref),
        args.get(2).map(AsRef::as_ref),
    ) else {
        return Err(Invalid);
    };
    if *deep {
        return Err(Invalid);
    }
    let mut merged = a.clone();
    for (k, v) in b {
        merged.insert(k.clone(), v.clone());
    }
    let order = java::hashmap_order(merged.keys().map(String::as_str));
    let mut out = Map::with_capacity(merged.len());
    for k in order {
        if let Some(v) = merged.get(k) {
            out.insert(k.to_owned(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

/// `new Random(seed).nextInt(end - start) + start`: a seeded call gives the
/// same number every time; unseeded calls take their seed from the caller's
/// entropy, so a replay gets the same number too.
pub(super) fn math_random(_: &Call, args: Args<'_, '_>, entropy: &mut dyn Entropy) -> Out {
    let (start, end) = (int_arg(args, 0)?, int_arg(args, 1)?);
    let bound = i32::try_from(end - start).map_err(|_| Invalid)?;
    if bound <= 0 {
        return Err(Invalid);
    }
    let seed = match args.get(2) {
        Some(v) => {
            let s = v.as_f64().ok_or(Invalid)?.trunc();
            if s.abs() > 9.2e18 {
                return Err(Invalid);
            }
            s as i64
        }
        None => entropy.next_u64() as i64,
    };
    Ok(Value::from(
        start + i64::from(JavaRandom::new(seed).next_int(bound)),
    ))
}

/// Each operand is rounded with Java `Math.round`; the sum must fit an int.
pub(super) fn math_add(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let a = java::math_round(num_arg(args, 0)?);
    let b = java::math_round(num_arg(args, 1)?);
    let sum = a + b;
    let int_range = -2_147_483_648.0..=2_147_483_647.0;
    if !int_range.contains(&a) || !int_range.contains(&b) || !int_range.contains(&sum) {
        return Err(Invalid);
    }
    Ok(Value::from(sum as i64))
}

/// Java `StringTokenizer`: every character of the second argument is a
/// delimiter and empty pieces are dropped.
pub(super) fn string_split(_: &Call, args: Args<'_, '_>, _: &mut dyn Entropy) -> Out {
    let text = str_arg(args, 0)?;
    let delimiters = str_arg(args, 1)?;
    Ok(Value::Array(
        text.split(|c| delimiters.contains(c))
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_owned()))
            .collect(),
    ))
}

/// A version 4 UUID from 128 bits of the caller's entropy.
pub(super) fn uuid(_: &Call, _: Args<'_, '_>, entropy: &mut dyn Entropy) -> Out {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&entropy.next_u64().to_be_bytes());
    bytes[8..].copy_from_slice(&entropy.next_u64().to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Value::String(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )))
}
