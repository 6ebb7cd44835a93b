//! Evaluation: definite paths walk one value; indefinite paths collect matches.
use std::borrow::Cow;
use std::fmt::Write;

use serde_json::{Map, Value};

use super::{Function, NotFound, Path, Root, Segment, Selector};
use crate::Scope;

/// What filters may read besides the item under test: `$` is the document
/// being evaluated, `$$` and `$var` come from the scope.
pub(crate) struct Env<'a, 's> {
    pub(crate) input: &'a Value,
    pub(crate) scope: &'s Scope<'a>,
}

pub(crate) fn root_value<'a>(
    root: &Root,
    input: &'a Value,
    scope: &Scope<'a>,
) -> Option<&'a Value> {
    match root {
        Root::Input => Some(input),
        Root::Context => Some(scope.context),
        Root::Variable(name) => {
            let vars: &'a dyn crate::Variables = scope.variables;
            vars.get(name)
        }
    }
}

fn root_name(root: &Root) -> Cow<'_, str> {
    match root {
        Root::Input => Cow::Borrowed("$"),
        Root::Context => Cow::Borrowed("$$"),
        Root::Variable(name) => Cow::Owned(format!("${name}")),
    }
}

pub(crate) fn evaluate<'a>(
    path: &Path,
    input: &'a Value,
    scope: &Scope<'a>,
) -> Result<Cow<'a, Value>, NotFound> {
    let root_label = root_name(&path.root);
    let Some(start) = root_value(&path.root, input, scope) else {
        return Err(NotFound {
            message: format!("The variable '{root_label}' is not defined"),
        });
    };
    let found = if path.definite {
        definite(&path.segments, start, &root_label)?
    } else {
        let env = Env { input, scope };
        let mut out = Vec::new();
        collect(&path.segments, start, &env, &mut out);
        Cow::Owned(Value::Array(out.into_iter().map(Cow::into_owned).collect()))
    };
    match path.function {
        None => Ok(found),
        Some(f) => apply_function(f, &found).map(Cow::Owned),
    }
}

pub(crate) fn apply_function(f: Function, value: &Value) -> Result<Value, NotFound> {
    match (f, value) {
        (Function::Length, Value::Array(a)) => Ok(Value::from(a.len())),
        (Function::Length, Value::Object(o)) => Ok(Value::from(o.len())),
        (Function::Length, Value::String(s)) => Ok(Value::from(s.chars().count())),
        (Function::Length, _) => Err(NotFound {
            message: "Aggregation function attempted to calculate value using empty array"
                .to_owned(),
        }),
    }
}

/// Walks names and indices; a miss is an error worded as Jayway words it.
pub(crate) fn definite<'a>(
    segments: &[Segment],
    start: &'a Value,
    root: &str,
) -> Result<Cow<'a, Value>, NotFound> {
    let mut cur = start;
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        let fail = |message: String| Err(NotFound { message });
        match seg {
            Segment::Child(Selector::Name(name)) => match cur {
                Value::Object(map) => match member(map, name) {
                    Some(v) => cur = v,
                    None if i == last => {
                        return fail(format!("No results for path: {}", render(root, segments)));
                    }
                    None => {
                        return fail(format!(
                            "Missing property in path {}",
                            render(root, &segments[..=i])
                        ));
                    }
                },
                other => {
                    return fail(format!(
                        "Expected to find an object with property ['{name}'] in path {} but found '{}'. \
                         This is not a json object according to the JsonProvider: '{}'.",
                        render(root, &segments[..i]),
                        java_class(other),
                        if other.is_null() {
                            "null"
                        } else {
                            JSON_PROVIDER
                        },
                    ));
                }
            },
            Segment::Child(Selector::Index(index)) => match cur {
                Value::Array(items) => match resolve_index(*index, items.len()) {
                    Some(k) => cur = &items[k],
                    None => {
                        return fail(format!("No results for path: {}", render(root, segments)));
                    }
                },
                Value::Null => {
                    return fail(format!("The path {} is null", render(root, &segments[..i])));
                }
                other => {
                    return fail(format!(
                        "Filter: [{index}] can only be applied to arrays. Current context is: {other}"
                    ));
                }
            },
            Segment::Child(Selector::Names(names)) => {
                let Value::Object(map) = cur else {
                    return fail(format!(
                        "Expected to find an object with property {} in path {} but found '{}'. \
                         This is not a json object according to the JsonProvider: '{}'.",
                        names_fragment(names),
                        render(root, &segments[..i]),
                        java_class(cur),
                        if cur.is_null() { "null" } else { JSON_PROVIDER },
                    ));
                };
                return Ok(Cow::Owned(Value::Object(merge(map, names))));
            }
            _ => {
                return fail("internal: indefinite step in a definite path".to_owned());
            }
        }
    }
    Ok(Cow::Borrowed(cur))
}

const JSON_PROVIDER: &str = "com.jayway.jsonpath.spi.json.JsonSmartJsonProvider";

fn java_class(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Number(n) if n.is_f64() => "java.lang.Double",
        Value::Number(n) if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) => {
            "java.lang.Integer"
        }
        Value::Number(_) => "java.lang.Long",
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "net.minidev.json.JSONArray",
        Value::Object(_) => "net.minidev.json.JSONObject",
    }
}

fn merge(map: &Map<String, Value>, names: &[String]) -> Map<String, Value> {
    names
        .iter()
        .filter_map(|n| map.get(n).map(|v| (n.clone(), v.clone())))
        .collect()
}

fn names_fragment(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    format!("[{}]", quoted.join(","))
}

/// Jayway's normalized form, e.g. `$['a'][0]`, used in its messages.
pub(crate) fn render(root: &str, segments: &[Segment]) -> String {
    let mut out = root.to_owned();
    for seg in segments {
        let (prefix, sel) = match seg {
            Segment::Child(s) => ("", s),
            Segment::Descendant(s) => ("..", s),
        };
        out.push_str(prefix);
        let _ = match sel {
            Selector::Name(n) => write!(out, "['{n}']"),
            Selector::Names(ns) => write!(out, "{}", names_fragment(ns)),
            Selector::Index(i) => write!(out, "[{i}]"),
            Selector::Indices(is) => {
                let parts: Vec<String> = is.iter().map(i64::to_string).collect();
                write!(out, "[{}]", parts.join(","))
            }
            Selector::Slice { start, end, step } => {
                let f = |x: &Option<i64>| x.map(|v| v.to_string()).unwrap_or_default();
                match step {
                    Some(s) => write!(out, "[{}:{}:{s}]", f(start), f(end)),
                    None => write!(out, "[{}:{}]", f(start), f(end)),
                }
            }
            Selector::Wildcard => write!(out, "[*]"),
            Selector::Filter(_) => write!(out, "[?]"),
        };
    }
    out
}

/// `map.get(name)`, by comparing keys in a small object: cheaper than hashing
/// the name, and objects in state data are mostly small.
#[inline]
pub(crate) fn member<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    const SCAN: usize = 8;
    if map.len() <= SCAN {
        map.iter()
            .find(|(k, _)| crate::same_text(k, name))
            .map(|(_, v)| v)
    } else {
        map.get(name)
    }
}

/// [`member`] for writing.
#[inline]
pub(crate) fn member_mut<'a>(map: &'a mut Map<String, Value>, name: &str) -> Option<&'a mut Value> {
    const SCAN: usize = 8;
    if map.len() <= SCAN {
        map.iter_mut()
            .find(|(k, _)| crate::same_text(k, name))
            .map(|(_, v)| v)
    } else {
        map.get_mut(name)
    }
}

pub(crate) fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let k = if index < 0 { len + index } else { index };
    if (0..len).contains(&k) {
        usize::try_from(k).ok()
    } else {
        None
    }
}

/// Collects every match of an indefinite path, in document order; misses
/// are skipped silently.
pub(crate) fn collect<'a>(
    segments: &[Segment],
    node: &'a Value,
    env: &Env<'a, '_>,
    out: &mut Vec<Cow<'a, Value>>,
) {
    let Some((first, rest)) = segments.split_first() else {
        out.push(Cow::Borrowed(node));
        return;
    };
    match first {
        Segment::Child(sel) => select(sel, rest, node, env, out),
        Segment::Descendant(sel) => descend(sel, rest, node, env, out),
    }
}

fn descend<'a>(
    sel: &Selector,
    rest: &[Segment],
    node: &'a Value,
    env: &Env<'a, '_>,
    out: &mut Vec<Cow<'a, Value>>,
) {
    select(sel, rest, node, env, out);
    match node {
        Value::Object(map) => map.values().for_each(|v| descend(sel, rest, v, env, out)),
        Value::Array(items) => items.iter().for_each(|v| descend(sel, rest, v, env, out)),
        _ => {}
    }
}

fn select<'a>(
    sel: &Selector,
    rest: &[Segment],
    node: &'a Value,
    env: &Env<'a, '_>,
    out: &mut Vec<Cow<'a, Value>>,
) {
    let next = |v: &'a Value, out: &mut Vec<Cow<'a, Value>>| collect(rest, v, env, out);
    match (sel, node) {
        (Selector::Name(n), Value::Object(map)) => {
            if let Some(v) = member(map, n) {
                next(v, out);
            }
        }
        (Selector::Names(ns), Value::Object(map)) if rest.is_empty() => {
            out.push(Cow::Owned(Value::Object(merge(map, ns))));
        }
        (Selector::Names(ns), Value::Object(map)) => {
            for v in ns.iter().filter_map(|n| map.get(n)) {
                next(v, out);
            }
        }
        (Selector::Index(i), Value::Array(items)) => {
            if let Some(k) = resolve_index(*i, items.len()) {
                next(&items[k], out);
            }
        }
        (Selector::Indices(is), Value::Array(items)) => {
            for k in is.iter().filter_map(|i| resolve_index(*i, items.len())) {
                next(&items[k], out);
            }
        }
        (Selector::Slice { start, end, step }, Value::Array(items)) => {
            for k in slice_indices(*start, *end, *step, items.len()) {
                next(&items[k], out);
            }
        }
        (Selector::Wildcard, Value::Object(map)) => map.values().for_each(|v| next(v, out)),
        (Selector::Wildcard, Value::Array(items)) => items.iter().for_each(|v| next(v, out)),
        (Selector::Filter(expr), Value::Array(items)) => {
            for v in items.iter().filter(|v| expr.test(v, env)) {
                next(v, out);
            }
        }
        // Jayway tests an object itself, not its members.
        (Selector::Filter(expr), Value::Object(_)) if expr.test(node, env) => next(node, out),
        _ => {}
    }
}

/// Python-style slice bounds, clamped to the array.
fn slice_indices(
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
    len: usize,
) -> Vec<usize> {
    let n = i64::try_from(len).unwrap_or(i64::MAX);
    let step = step.unwrap_or(1);
    let norm = |x: i64| {
        if x < 0 {
            (n + x).max(if step > 0 { 0 } else { -1 })
        } else {
            x.min(if step > 0 { n } else { n - 1 })
        }
    };
    let mut out = Vec::new();
    if step > 0 {
        let (mut i, e) = (start.map_or(0, norm), end.map_or(n, norm));
        while i < e {
            out.extend(usize::try_from(i).ok());
            i = i.saturating_add(step);
        }
    } else {
        let (mut i, e) = (start.map_or(n - 1, norm), end.map_or(-1, norm));
        while i > e {
            out.extend(usize::try_from(i).ok());
            i = i.saturating_add(step);
        }
    }
    out
}
