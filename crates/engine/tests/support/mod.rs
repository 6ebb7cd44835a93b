//! Comparing actual values with AWS-recorded ones: the corpus README's
//! normalisation (names, account, region, timestamps) and its placeholders.

use serde_json::{Map, Value};

pub struct Normalizer {
    replacements: Vec<(String, String)>,
}

impl Normalizer {
    pub fn new(placeholders: &Value, sm_name: &str, exec_name: &str) -> Self {
        let get = |k: &str, d: &str| placeholders[k].as_str().unwrap_or(d).to_string();
        Normalizer {
            replacements: vec![
                (
                    sm_name.to_string(),
                    get("state_machine_name", "<ArnPart_0idx>"),
                ),
                (
                    exec_name.to_string(),
                    get("execution_name", "<ExecArnPart_0idx>"),
                ),
                ("arn:aws:".to_string(), get("partition", "arn:<partition>:")),
                ("us-east-1".to_string(), get("region", "<region>")),
            ],
        }
    }

    pub fn string(&self, s: &str) -> String {
        if is_timestamp(s) {
            return "date".to_string();
        }
        let mut out = replace_timestamps(s);
        for (from, to) in &self.replacements {
            if out.contains(from.as_str()) {
                out = out.replace(from.as_str(), to);
            }
        }
        out
    }

    pub fn value(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.string(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.value(x)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| {
                        let x = match x {
                            Value::String(s)
                                if k.to_ascii_lowercase().contains("timestamp")
                                    && !is_timestamp(s) =>
                            {
                                Value::String("timestamp".into())
                            }
                            _ => self.value(x),
                        };
                        (k.clone(), x)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A JSON text field (cause, input, output …): an object when the text is one.
    pub fn text_field(&self, text: Option<&str>) -> Value {
        match text {
            None => Value::Null,
            Some(t) => match serde_json::from_str::<Value>(t) {
                Ok(v @ Value::Object(_)) => self.value(&v),
                _ => Value::String(self.string(t)),
            },
        }
    }
}

/// Replaces every embedded `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` with `date`.
fn replace_timestamps(s: &str) -> String {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i + 19 < b.len() + 1 {
        let shape = (0..4).all(|k| digit(i + k))
            && b.get(i + 4) == Some(&b'-')
            && digit(i + 5)
            && digit(i + 6)
            && b.get(i + 7) == Some(&b'-')
            && digit(i + 8)
            && digit(i + 9)
            && b.get(i + 10) == Some(&b'T')
            && digit(i + 11)
            && digit(i + 12)
            && b.get(i + 13) == Some(&b':')
            && digit(i + 14)
            && digit(i + 15)
            && b.get(i + 16) == Some(&b':')
            && digit(i + 17)
            && digit(i + 18);
        if shape {
            let mut j = i + 19;
            if b.get(j) == Some(&b'.') {
                j += 1;
                while digit(j) {
                    j += 1;
                }
            }
            let zone = match b.get(j) {
                Some(b'Z') => Some(j + 1),
                Some(b'+') | Some(b'-')
                    if digit(j + 1) && digit(j + 2) && b.get(j + 3) == Some(&b':') =>
                {
                    Some(j + 6)
                }
                _ => None,
            };
            if let Some(end) = zone.filter(|&end| {
                s.get(i..end.min(s.len()))
                    .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok())
            }) {
                out.push_str(&s[copied..i]);
                out.push_str("date");
                copied = end.min(s.len());
                i = copied;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&s[copied..]);
    out
}

/// An ISO-8601 timestamp with a zone, as the corpus replaced by `date`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
        && (s.ends_with('Z') || s.ends_with('z') || s[19..].contains('+') || s[19..].contains('-'))
        && s.parse::<jiff::Timestamp>().is_ok()
}

/// Whether `actual` matches a recorded `expected` value: `<token>`s match any text,
/// masks match anything, numbers compare by value.
pub fn matches(expected: &Value, actual: &Value, masks: &[String]) -> bool {
    match (expected, actual) {
        (Value::String(e), _) if masks.iter().any(|m| m == e) => true,
        (Value::String(e), Value::String(a)) => wildcard(e, a),
        // The corpus stores some JSON texts parsed and some as text; compare values.
        (Value::String(e), a) => {
            serde_json::from_str::<Value>(e).is_ok_and(|e| matches(&e, a, masks))
        }
        (e, Value::String(a)) => {
            serde_json::from_str::<Value>(a).is_ok_and(|a| matches(e, &a, masks))
        }
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, ev)| a.get(k).is_some_and(|av| matches(ev, av, masks)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| matches(x, y, masks))
        }
        (e, a) => e == a,
    }
}

/// `<name>` tokens in `pattern` match any run of characters.
fn wildcard(pattern: &str, text: &str) -> bool {
    let mut parts: Vec<&str> = Vec::new();
    let mut rest = pattern;
    let mut starts_with_token = false;
    let mut first = true;
    loop {
        match find_token(rest) {
            Some((a, b)) => {
                if first && a == 0 {
                    starts_with_token = true;
                }
                parts.push(&rest[..a]);
                rest = &rest[b..];
            }
            None => {
                parts.push(rest);
                break;
            }
        }
        first = false;
    }
    if parts.len() == 1 {
        return pattern == text;
    }
    let _ = starts_with_token;
    let mut pos = 0;
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !text.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else if i == last {
            return text.len() >= pos + part.len() && text[pos..].ends_with(part);
        } else {
            match text[pos..].find(part) {
                Some(at) => pos += at + part.len(),
                None => return false,
            }
        }
    }
    true
}

fn find_token(s: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(a) = s[from..].find('<') {
        let a = from + a;
        if let Some(len) = s[a + 1..].find('>') {
            let inner = &s[a + 1..a + 1 + len];
            if !inner.is_empty()
                && inner
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_:-.".contains(c))
            {
                return Some((a, a + 2 + len));
            }
        }
        from = a + 1;
    }
    None
}

/// Turns an actual event into the corpus form: no timestamp, JSON-object texts parsed.
fn event_form(event: &engine::HistoryEvent, norm: &Normalizer) -> Value {
    let mut v = event.to_json();
    if let Value::Object(m) = &mut v {
        m.remove("timestamp");
        for (_, details) in m.iter_mut() {
            if let Value::Object(d) = details {
                let parsed: Map<String, Value> = d
                    .iter()
                    .map(|(k, x)| match x {
                        Value::String(s) if s.starts_with('{') => {
                            (k.clone(), norm.text_field(Some(s)))
                        }
                        Value::Object(inner) if k == "assignedVariables" => (
                            k.clone(),
                            Value::Object(
                                inner
                                    .iter()
                                    .map(|(n, t)| (n.clone(), norm.text_field(t.as_str())))
                                    .collect(),
                            ),
                        ),
                        other => (k.clone(), norm.value(other)),
                    })
                    .collect();
                *details = Value::Object(parsed);
            }
        }
    }
    v
}

pub fn compare_history(
    expected: &[Value],
    actual: &[engine::HistoryEvent],
    norm: &Normalizer,
    masks: &[String],
    parallel_sorted: bool,
) -> Result<(), String> {
    let mut actual: Vec<Value> = actual.iter().map(|e| event_form(e, norm)).collect();
    let type_of = |v: &Value| v["type"].as_str().unwrap_or("").to_string();
    if parallel_sorted {
        // These recordings lost the Parallel state's own end event (the id gap
        // shows where it was): ParallelStateSucceeded or ParallelStateFailed.
        actual.retain(|e| {
            !matches!(
                type_of(e).as_str(),
                "ParallelStateSucceeded" | "ParallelStateFailed"
            )
        });
        let mut want: Vec<String> = expected.iter().map(type_of).collect();
        let mut got: Vec<String> = actual.iter().map(type_of).collect();
        want.sort();
        got.sort();
        if want != got {
            return Err(format!(
                "event types differ (sorted): got {got:?} expected {want:?}"
            ));
        }
        return Ok(());
    }
    let want: Vec<String> = expected.iter().map(type_of).collect();
    let got: Vec<String> = actual.iter().map(type_of).collect();
    if want != got {
        let at = want
            .iter()
            .zip(&got)
            .position(|(a, b)| a != b)
            .unwrap_or(want.len().min(got.len()));
        return Err(format!(
            "event {} is {:?}, expected {:?} ({} events, expected {})",
            at + 1,
            got.get(at),
            want.get(at),
            got.len(),
            want.len()
        ));
    }
    for (e, a) in expected.iter().zip(&actual) {
        for (key, ev) in e.as_object().into_iter().flatten() {
            if key == "type" {
                continue;
            }
            let av = a.get(key).cloned().unwrap_or(Value::Null);
            if !matches(ev, &av, masks) {
                if std::env::var("STEPWISE_CASE").is_ok() {
                    println!("got      {av}\nexpected {ev}");
                }
                return Err(format!(
                    "event {} {}: {key} is {}, expected {}",
                    e["id"],
                    type_of(e),
                    crate::short(&av),
                    crate::short(ev)
                ));
            }
        }
    }
    Ok(())
}
