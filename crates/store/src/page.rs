//! Opaque pagination tokens: the sort key of a page's last item, base64-encoded.
//!
//! Keyset pagination (rather than OFFSET) keeps pages stable while rows are being
//! added and costs one index seek per page. The token names its listing so a token
//! from one listing is rejected by another, as AWS rejects it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::{Error, Result};

/// Encodes `key` as the token of listing `kind`.
pub(crate) fn encode(kind: &str, key: Vec<Value>) -> String {
    let mut all = vec![Value::from(kind)];
    all.extend(key);
    URL_SAFE_NO_PAD.encode(Value::Array(all).to_string())
}

/// Decodes a token of listing `kind` into its key.
pub(crate) fn decode(kind: &str, token: &str) -> Result<Vec<Value>> {
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| Error::InvalidToken)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| Error::InvalidToken)?;
    let Value::Array(mut all) = value else {
        return Err(Error::InvalidToken);
    };
    if all.first().and_then(Value::as_str) != Some(kind) {
        return Err(Error::InvalidToken);
    }
    all.remove(0);
    Ok(all)
}

/// The key's `i`th element as an integer.
pub(crate) fn int(key: &[Value], i: usize) -> Result<i64> {
    key.get(i)
        .and_then(Value::as_i64)
        .ok_or(Error::InvalidToken)
}

/// The key's `i`th element as a string.
pub(crate) fn text(key: &[Value], i: usize) -> Result<String> {
    key.get(i)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(Error::InvalidToken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_kind_check() {
        let t = encode("executions", vec![5.into(), "arn:x".into()]);
        let key = decode("executions", &t).unwrap();
        assert_eq!(int(&key, 0).unwrap(), 5);
        assert_eq!(text(&key, 1).unwrap(), "arn:x");
        assert_eq!(decode("history", &t), Err(Error::InvalidToken));
        assert_eq!(decode("executions", "!!"), Err(Error::InvalidToken));
    }
}
