//! Choice rules (JSONPath form): `Variable` plus one comparison, and `And`/`Or`/`Not`.
//!
//! A comparison between values of the wrong types is simply false (AWS does not
//! raise an error for `StringEquals` on a number); a `Variable` that does not exist
//! is an error, except for `IsPresent`.

use std::cmp::Ordering;

use asl::{Comparison, Condition, Operand};
use serde_json::Value;

use crate::jsonpath::Path;
use crate::{Error, Scope};

/// Evaluates a condition against the Choice state's effective input.
pub fn evaluate(condition: &Condition, input: &Value, scope: &Scope) -> Result<bool, Error> {
    match condition {
        Condition::And(all) => {
            for c in all {
                if !evaluate(c, input, scope)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Or(any) => {
            for c in any {
                if evaluate(c, input, scope)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Not(inner) => Ok(!evaluate(inner, input, scope)?),
        Condition::Compare {
            variable,
            operator,
            operand,
        } => compare(variable, *operator, operand, input, scope),
        Condition::Jsonata(text) => Err(Error::runtime(format!(
            "The JSONata condition '{text}' cannot be evaluated in a JSONPath state"
        ))),
    }
}

fn lookup(text: &str, input: &Value, scope: &Scope) -> Result<Option<Value>, Error> {
    let path = Path::parse_shared(text)
        .map_err(|e| Error::runtime(format!("Invalid path '{text}' : {}", e.message)))?;
    Ok(path.evaluate(input, scope).ok())
}

fn compare(
    variable: &str,
    operator: Comparison,
    operand: &Operand,
    input: &Value,
    scope: &Scope,
) -> Result<bool, Error> {
    let value = lookup(variable, input, scope)?;
    if operator == Comparison::IsPresent {
        let expected = operand_bool(operand, input, scope)?;
        return Ok(value.is_some() == expected);
    }
    let Some(value) = value else {
        return Err(Error::runtime(format!(
            "Invalid path '{variable}': The choice state's condition path references an invalid value."
        )));
    };
    let is =
        |test: bool| -> Result<bool, Error> { Ok(test == operand_bool(operand, input, scope)?) };
    match operator {
        Comparison::IsNull => is(value.is_null()),
        Comparison::IsNumeric => is(value.is_number()),
        Comparison::IsString => is(value.is_string()),
        Comparison::IsBoolean => is(value.is_boolean()),
        Comparison::IsTimestamp => is(value.as_str().and_then(parse_timestamp).is_some()),
        Comparison::IsPresent => Ok(true),
        _ => {
            let other = match operand {
                Operand::Literal(v) => v.clone(),
                Operand::Path(p) => match lookup(p, input, scope)? {
                    Some(v) => v,
                    None => {
                        return Err(Error::runtime(format!(
                            "Invalid path '{p}': The choice state's condition path references an invalid value."
                        )));
                    }
                },
            };
            Ok(binary(operator, &value, &other))
        }
    }
}

fn operand_bool(operand: &Operand, input: &Value, scope: &Scope) -> Result<bool, Error> {
    match operand {
        Operand::Literal(Value::Bool(b)) => Ok(*b),
        Operand::Path(p) => Ok(matches!(lookup(p, input, scope)?, Some(Value::Bool(true)))),
        _ => Ok(false),
    }
}

/// A two-sided comparison; false when either side has the wrong type.
fn binary(operator: Comparison, value: &Value, other: &Value) -> bool {
    use Comparison::*;
    let ordering = match operator {
        StringEquals
        | StringLessThan
        | StringGreaterThan
        | StringLessThanEquals
        | StringGreaterThanEquals => match (value.as_str(), other.as_str()) {
            (Some(a), Some(b)) => Some(java_compare(a, b)),
            _ => None,
        },
        NumericEquals
        | NumericLessThan
        | NumericGreaterThan
        | NumericLessThanEquals
        | NumericGreaterThanEquals => match (value, other) {
            (Value::Number(a), Value::Number(b)) => numeric_compare(a, b),
            _ => None,
        },
        TimestampEquals
        | TimestampLessThan
        | TimestampGreaterThan
        | TimestampLessThanEquals
        | TimestampGreaterThanEquals => {
            match (
                value.as_str().and_then(parse_timestamp),
                other.as_str().and_then(parse_timestamp),
            ) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => None,
            }
        }
        BooleanEquals => {
            return matches!((value, other), (Value::Bool(a), Value::Bool(b)) if a == b);
        }
        StringMatches => {
            return match (value.as_str(), other.as_str()) {
                (Some(s), Some(pattern)) => string_matches(s, pattern),
                _ => false,
            };
        }
        IsNull | IsPresent | IsNumeric | IsString | IsBoolean | IsTimestamp => return false,
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match operator {
        StringEquals | NumericEquals | TimestampEquals => ordering == Ordering::Equal,
        StringLessThan | NumericLessThan | TimestampLessThan => ordering == Ordering::Less,
        StringGreaterThan | NumericGreaterThan | TimestampGreaterThan => {
            ordering == Ordering::Greater
        }
        StringLessThanEquals | NumericLessThanEquals | TimestampLessThanEquals => {
            ordering != Ordering::Greater
        }
        _ => ordering != Ordering::Less,
    }
}

/// Java's `String.compareTo`: by UTF-16 code units.
fn java_compare(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn numeric_compare(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// RFC 3339 with uppercase `T` and a zone, to the nanosecond.
fn parse_timestamp(text: &str) -> Option<i128> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes.get(10) != Some(&b'T') || text.ends_with('z') {
        return None;
    }
    let ts: jiff::Timestamp = text.parse().ok()?;
    Some(ts.as_nanosecond())
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literal.
pub fn string_matches(text: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Char(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => toks.push(Tok::Char(n)),
                None => toks.push(Tok::Char('\\')),
            },
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Char(c)),
        }
    }
    let s: Vec<char> = text.chars().collect();
    // Greedy match with backtracking to the last star (linear in practice).
    let (mut si, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match toks.get(pi) {
            Some(Tok::Char(c)) if *c == s[si] => {
                si += 1;
                pi += 1;
            }
            Some(Tok::Star) => {
                star = Some((pi, si));
                pi += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    while let Some(Tok::Star) = toks.get(pi) {
        pi += 1;
    }
    pi == toks.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards_and_escapes() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("anything", "*"));
        assert!(!string_matches("log.csv", "log-*.txt"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("a\\b", "a\\\\b"));
        assert!(string_matches("", "*"));
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(binary(Comparison::NumericEquals, &json!(0), &json!(0.0)));
        assert!(binary(Comparison::NumericLessThan, &json!(-1), &json!(0.5)));
        assert!(!binary(Comparison::NumericEquals, &json!("0"), &json!(0)));
    }

    #[test]
    fn timestamps_need_zones() {
        assert!(binary(
            Comparison::TimestampEquals,
            &json!("2012-10-09T19:00:55Z"),
            &json!("2012-10-09T20:00:55+01:00")
        ));
        assert!(!binary(
            Comparison::TimestampEquals,
            &json!("2012-10-09T19:00:55"),
            &json!("2012-10-09T19:00:55")
        ));
    }

    #[test]
    fn missing_variable_only_for_is_present() {
        let c = Condition::Compare {
            variable: "$.nope".into(),
            operator: Comparison::IsPresent,
            operand: Operand::Literal(json!(false)),
        };
        assert_eq!(evaluate(&c, &json!({}), &Scope::empty()), Ok(true));
        let c = Condition::Compare {
            variable: "$.nope".into(),
            operator: Comparison::StringEquals,
            operand: Operand::Literal(json!("x")),
        };
        assert!(evaluate(&c, &json!({}), &Scope::empty()).is_err());
    }
}
