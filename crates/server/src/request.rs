//! `Req`: one request's JSON parameters, read with AWS's validation errors.
//!
//! A wrong JSON type is a `SerializationException` (what AWS's JSON protocol
//! answers); a missing required member is a `ValidationException` "Member must
//! not be null"; string lengths and number ranges use AWS's constraint texts.

use serde_json::{Map, Value};
use store::PageRequest;

use crate::error::{ApiError, ApiResult};

/// The parameters of one request.
#[derive(Debug, Default)]
pub struct Req {
    map: Map<String, Value>,
}

fn serialization(message: impl Into<String>) -> ApiError {
    ApiError::new("SerializationException", message)
}

impl Req {
    /// Parses a request body; an empty body is an empty object, as AWS treats it.
    pub fn parse(body: &[u8]) -> ApiResult<Req> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Req::default());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Req { map }),
            Ok(Value::Null) => Ok(Req::default()),
            Ok(_) => Err(serialization(
                "Start of structure or map found where not expected.",
            )),
            Err(e) => Err(serialization(format!("Malformed request body: {e}"))),
        }
    }

    /// A request from a JSON object (tests, internal callers).
    pub fn from_value(value: Value) -> Req {
        match value {
            Value::Object(map) => Req { map },
            _ => Req::default(),
        }
    }

    /// The raw member, `None` when absent or null.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// An optional string member.
    pub fn str(&self, key: &str) -> ApiResult<Option<&str>> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(serialization(format!(
                "STRING_VALUE can not be converted from {key}"
            ))),
        }
    }

    /// A required string member.
    pub fn required_str(&self, key: &str) -> ApiResult<&str> {
        self.str(key)?.ok_or_else(|| {
            ApiError::new(
                "ValidationException",
                format!(
                    "1 validation error detected: Value null at '{key}' failed to satisfy constraint: Member must not be null"
                ),
            )
        })
    }

    /// A string member of at most `max` characters (AWS's length constraint).
    pub fn str_max(&self, key: &str, max: usize) -> ApiResult<Option<&str>> {
        let s = self.str(key)?;
        if let Some(s) = s
            && s.chars().count() > max
        {
            return Err(ApiError::constraint(
                s,
                key,
                &format!("Member must have length less than or equal to {max}"),
            ));
        }
        Ok(s)
    }

    /// An optional boolean member.
    pub fn bool(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(serialization(format!(
                "BOOLEAN_VALUE can not be converted from {key}"
            ))),
        }
    }

    /// An optional integer member.
    pub fn int(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.value(key) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| {
                serialization(format!("NUMBER_VALUE can not be converted from {key}"))
            }),
        }
    }

    /// `maxResults` (0..=1000) and `nextToken` (1..=1024 characters).
    pub fn page(&self) -> ApiResult<PageRequest> {
        let max = self.int("maxResults")?.unwrap_or(0);
        if max > 1000 {
            return Err(ApiError::constraint(
                &max.to_string(),
                "maxResults",
                "Member must have value less than or equal to 1000",
            ));
        }
        if max < 0 {
            return Err(ApiError::constraint(
                &max.to_string(),
                "maxResults",
                "Member must have value greater than or equal to 0",
            ));
        }
        let next_token = self.str("nextToken")?;
        if let Some(t) = next_token
            && (t.is_empty() || t.len() > 1024)
        {
            return Err(ApiError::constraint(
                t,
                "nextToken",
                "Member must have length less than or equal to 1024",
            ));
        }
        Ok(PageRequest {
            max_results: max as usize,
            next_token: next_token.map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_body_is_empty_object_and_bad_json_is_serialization() {
        assert!(Req::parse(b"").unwrap().value("x").is_none());
        assert_eq!(Req::parse(b"{").unwrap_err().code, "SerializationException");
        let r = Req::parse(br#"{"name": 3, "maxResults": 1001}"#).unwrap();
        assert_eq!(r.str("name").unwrap_err().code, "SerializationException");
        assert_eq!(r.page().unwrap_err().code, "ValidationException");
        assert!(
            r.required_str("other")
                .unwrap_err()
                .message
                .contains("Member must not be null")
        );
    }
}
