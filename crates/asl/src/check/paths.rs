//! Syntax checks for JSONPath, reference paths and intrinsic function calls,
//! as written in a definition. `asl` cannot use `expr`, so this is a
//! recogniser only: it accepts what AWS's JSONPath accepts, roughly, and
//! builds nothing.

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::parse::SCHEMA;

/// The intrinsic functions that exist.
pub const INTRINSICS: &[&str] = &[
    "States.Array",
    "States.ArrayContains",
    "States.ArrayGetItem",
    "States.ArrayLength",
    "States.ArrayPartition",
    "States.ArrayRange",
    "States.ArrayUnique",
    "States.Base64Decode",
    "States.Base64Encode",
    "States.Format",
    "States.Hash",
    "States.JsonMerge",
    "States.JsonToString",
    "States.MathAdd",
    "States.MathRandom",
    "States.StringSplit",
    "States.StringToJson",
    "States.UUID",
];

/// Splits the root off a path: `$`, the context object `$$` or a variable
/// `$name`. Returns the rest.
fn root(s: &str, allow_context: bool, allow_variable: bool) -> Option<&str> {
    if let Some(rest) = s.strip_prefix("$$") {
        return allow_context.then_some(rest);
    }
    let rest = s.strip_prefix('$')?;
    let name_len = rest.find(['.', '[']).unwrap_or(rest.len());
    if name_len > 0 && !allow_variable {
        return None;
    }
    rest.get(name_len..)
}

/// A JSONPath as `InputPath`, `OutputPath`, `Variable` and `.$` values take it:
/// `$`, `$.a.b[0]`, `$..x`, `$.a[*]`, `$.a[?(@.b > 1)]`, `$['a b']`, `$$.Execution.Id`
/// or a variable `$v.x`.
pub(crate) fn is_path(s: &str) -> bool {
    let Some(mut rest) = root(s, true, true) else {
        return false;
    };
    while !rest.is_empty() {
        let Some(next) = segment(rest, false) else {
            return false;
        };
        rest = next;
    }
    true
}

/// A reference path (`ResultPath`, `ItemsPath`, `…Path` numbers): only names and
/// indices, no wildcards, filters or slices. `allow_context` admits `$$` and
/// variables, which `ResultPath` does not.
pub(crate) fn is_reference_path(s: &str, allow_context: bool) -> bool {
    let Some(mut rest) = root(s, allow_context, allow_context) else {
        return false;
    };
    while !rest.is_empty() {
        let Some(next) = segment(rest, true) else {
            return false;
        };
        rest = next;
    }
    true
}

/// Consumes one path segment and returns what follows it.
fn segment(s: &str, reference: bool) -> Option<&str> {
    if let Some(rest) = s.strip_prefix("..") {
        if reference {
            return None;
        }
        if rest.starts_with('[') {
            return segment(rest, false);
        }
        return name(rest, false);
    }
    if let Some(rest) = s.strip_prefix('.') {
        return name(rest, reference);
    }
    let inner_and_rest = s.strip_prefix('[')?;
    let close = bracket_end(inner_and_rest)?;
    let inner = inner_and_rest.get(..close)?.trim();
    let rest = inner_and_rest.get(close + 1..)?;
    let ok = if reference {
        is_index(inner) || is_quoted(inner)
    } else {
        is_selector(inner)
    };
    ok.then_some(rest)
}

/// A dot-notation name (or `*` outside reference paths). AWS's JSONPath takes
/// most characters here; only the delimiters end a name.
fn name(s: &str, reference: bool) -> Option<&str> {
    let len = s.find(['.', '[']).unwrap_or(s.len());
    let n = s.get(..len)?;
    if n.is_empty() || n.chars().any(char::is_whitespace) || (reference && n.contains('*')) {
        return None;
    }
    s.get(len..)
}

/// The index of the `]` that closes a bracket, skipping quoted text and nested
/// brackets or parentheses (filters).
fn bracket_end(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' | '(' => depth += 1,
            ')' => depth = depth.checked_sub(1)?,
            ']' if depth == 0 => return Some(i),
            ']' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn is_index(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_quoted(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && matches!(b.first(), Some(b'\'' | b'"')) && b.first() == b.last()
}

/// What may stand between brackets in a full JSONPath: `*`, an index list, a
/// slice, quoted names, a filter `?(…)` or a script `(…)`.
fn is_selector(s: &str) -> bool {
    if s == "*" || is_index(s) {
        return true;
    }
    if (s.starts_with("?(") || s.starts_with('(')) && s.ends_with(')') {
        return true;
    }
    if s.contains(':') && !is_quoted(s) {
        let parts: Vec<&str> = s.split(':').collect();
        return parts.len() <= 3
            && parts
                .iter()
                .all(|p| p.trim().is_empty() || is_index(p.trim()));
    }
    split_top(s, ',')
        .iter()
        .all(|p| is_index(p.trim()) || is_quoted(p.trim()))
}

/// Splits on `sep` outside quotes, brackets and parentheses.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            c if c == sep && depth == 0 => {
                parts.push(s.get(start..i).unwrap_or(""));
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(s.get(start..).unwrap_or(""));
    parts
}

/// An intrinsic function call such as `States.Format('{} x', $.a)`, with
/// arguments that are literals, paths or nested calls. Single-quoted strings
/// may only escape `'`, `{`, `}` and `\`.
pub(crate) fn is_intrinsic(s: &str) -> bool {
    call(s.trim(), 0)
}

/// Nesting limit, so that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

fn call(s: &str, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let Some(open) = s.find('(') else {
        return false;
    };
    let name = s.get(..open).unwrap_or("").trim();
    if !INTRINSICS.contains(&name) || !s.ends_with(')') {
        return false;
    }
    let Some(args) = s.get(open + 1..s.len() - 1) else {
        return false;
    };
    let Some(parts) = split_args(args) else {
        return false;
    };
    if parts.len() == 1 && parts.first().is_some_and(|p| p.trim().is_empty()) {
        return true;
    }
    parts.iter().all(|p| argument(p.trim(), depth))
}

fn argument(a: &str, depth: usize) -> bool {
    if a.starts_with('\'') {
        return string_literal(a);
    }
    if a.starts_with('$') {
        return is_path(a);
    }
    if a.starts_with("States.") {
        return call(a, depth + 1);
    }
    matches!(a, "null" | "true" | "false") || a.parse::<f64>().is_ok_and(f64::is_finite)
}

/// A whole single-quoted literal with only the escapes AWS allows.
fn string_literal(a: &str) -> bool {
    let Some(body) = a.strip_prefix('\'').and_then(|b| b.strip_suffix('\'')) else {
        return false;
    };
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if !matches!(chars.next(), Some('\'' | '{' | '}' | '\\')) => return false,
            '\'' => return false,
            _ => {}
        }
    }
    true
}

/// Splits a call's argument list on top-level commas, honouring quotes with
/// their escapes; `None` when a quote or parenthesis is left open.
fn split_args(s: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '\'' {
                in_string = false;
            }
            continue;
        }
        match c {
            '\'' => in_string = true,
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => {
                parts.push(s.get(start..i)?);
                start = i + 1;
            }
            _ => {}
        }
    }
    if in_string || depth != 0 {
        return None;
    }
    parts.push(s.get(start..)?);
    Some(parts)
}

/// Checks every `.$` key of a JSONPath payload template (`Parameters`,
/// `ResultSelector`, `ItemSelector`, `Assign`): its value must be a path or an
/// intrinsic call. The diagnostic points at the object holding the key, as AWS's
/// does (`… 'parsed.$' … at /States/S/Parameters`).
pub(crate) fn check_template(diags: &mut Vec<Diagnostic>, at: &str, value: &Value) {
    check_template_at(diags, at, value, 0);
}

fn check_template_at(diags: &mut Vec<Diagnostic>, at: &str, value: &Value, depth: usize) {
    if depth > 256 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k.ends_with(".$") {
                    let ok = v.as_str().is_some_and(|s| is_path(s) || is_intrinsic(s));
                    if !ok {
                        diags.push(Diagnostic::new(
                            SCHEMA,
                            at,
                            format!(
                                "The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call"
                            ),
                        ));
                    }
                } else if v.is_object() || v.is_array() {
                    check_template_at(diags, &crate::parse::at(at, k), v, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_template_at(diags, &crate::parse::at_index(at, i), v, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        for ok in [
            "$",
            "$.a",
            "$.a.b[0]",
            "$..x",
            "$.a[*]",
            "$.a[?(@.b > 1)]",
            "$['a b']",
            "$$.Execution.Id",
            "$v.x",
            "$.a[0,1]",
            "$.a[1:2]",
            "$.a-b",
        ] {
            assert!(is_path(ok), "{ok}");
        }
        for bad in [
            "", "a", "$.", "$.a[", "$.a[x]", "$.a b", ".a", "$.a..", "$[?(@.a]",
        ] {
            assert!(!is_path(bad), "{bad}");
        }
    }

    #[test]
    fn reference_paths() {
        assert!(is_reference_path("$.a['b'][0]", false));
        assert!(!is_reference_path("$.a[*]", false));
        assert!(!is_reference_path("$..a", false));
        assert!(!is_reference_path("$$.Execution", false));
        assert!(is_reference_path("$$.Execution.Input", true));
    }

    #[test]
    fn intrinsics() {
        for ok in [
            "States.Array('a', 'b', 'c')",
            "States.Format('x {} \\' y', $.a)",
            "States.JsonMerge(States.StringToJson('{\"a\": 1}'), $$.Execution.Input, false)",
            "States.UUID()",
            "States.MathAdd($.a, -1.5)",
            "States.StringSplit($.csv, ',')",
        ] {
            assert!(is_intrinsic(ok), "{ok}");
        }
        for bad in [
            "States.StringToJson('{\"text\":\"An \\\"q\\\" here\"}')",
            "States.Nope(1)",
            "States.Array('a'",
            "States.Array(x)",
            "States.Array('a)",
        ] {
            assert!(!is_intrinsic(bad), "{bad}");
        }
    }
}
