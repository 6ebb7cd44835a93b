//! Payload templates: Parameters, ResultSelector, ItemSelector and Map Parameters.
//!
//! A key ending in `.$` takes its value from a path (`$.x`, `$$.x`, `$var`)
//! or an intrinsic call and loses the suffix; everything else is copied.
//! [`Compiled`] parses every path and call once per definition, and keeps
//! subtrees without `.$` keys as ready-made values.
use serde_json::{Map, Value};

use crate::intrinsics::{Call, Failure};
use crate::jsonpath::Path;
use crate::{Entropy, Error, ParseError, Scope};

/// A template with its paths and calls parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// No `.$` key anywhere below: copied as is.
    Literal(Value),
    Object(Vec<(String, Node)>),
    /// An object whose keys are all distinct once `.$` is stripped: a copy of
    /// `skeleton` (literal members in place, `null` where a computed one goes)
    /// gets the computed values at their positions, so no key is hashed again.
    Shaped {
        skeleton: Map<String, Value>,
        /// Position in `skeleton` and how to compute the value, in key order.
        slots: Vec<(usize, Node)>,
        /// The [`size_bound`] of the braces, the keys and the literal members.
        fixed: usize,
    },
    Array(Vec<Node>),
    Path {
        field: String,
        path: Path,
    },
    Call {
        field: String,
        call: Call,
    },
}

/// A template that cannot be compiled: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// The key as written, e.g. `value.$`.
    pub field: String,
    /// Roughly what AWS's ValidateStateMachineDefinition says.
    pub message: String,
    pub cause: ParseError,
}

impl Compiled {
    pub fn new(template: &Value) -> Result<Compiled, TemplateError> {
        Ok(Compiled {
            root: compile(template)?,
        })
    }

    pub fn evaluate(
        &self,
        input: &Value,
        scope: &Scope,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Error> {
        eval(&self.root, input, scope, entropy)
    }

    /// [`Compiled::evaluate`] into `out`, reusing the strings, arrays and objects
    /// already there where they have the result's shape (a state that replaces its
    /// previous result evaluates into it without allocating). On success `out`
    /// equals what `evaluate` returns, and the [`size_bound`] of it is returned;
    /// on failure `out` holds some valid value.
    pub fn evaluate_into(
        &self,
        input: &Value,
        scope: &Scope,
        entropy: &mut dyn Entropy,
        out: &mut Value,
    ) -> Result<usize, Error> {
        eval_into(&self.root, input, scope, entropy, out)
    }

    /// [`Compiled::evaluate_into`] a value taken from `pool` that [`fits`](Self::fits)
    /// (or a new one): the result and its [`size_bound`].
    pub fn evaluate_pooled(
        &self,
        input: &Value,
        scope: &Scope,
        entropy: &mut dyn Entropy,
        pool: &mut Vec<Value>,
    ) -> Result<(Value, usize), Error> {
        let (mut out, bound) = match (&self.root, pool.iter().position(|v| self.fits(v))) {
            (
                Node::Shaped {
                    skeleton,
                    slots,
                    fixed,
                },
                Some(i),
            ) => {
                let mut out = pool.remove(i);
                let bound = eval_shaped(
                    skeleton, slots, *fixed, input, scope, entropy, &mut out, true,
                )?;
                (out, bound)
            }
            (root, _) => {
                let mut out = Value::Null;
                let bound = eval_into(root, input, scope, entropy, &mut out)?;
                (out, bound)
            }
        };
        debug_assert_eq!(bound, size_bound(&out, usize::MAX));
        Ok((std::mem::take(&mut out), bound))
    }

    /// Whether [`Compiled::evaluate_into`] would reuse `v`'s top-level object:
    /// it has the template's keys in the template's order.
    pub fn fits(&self, v: &Value) -> bool {
        match (&self.root, v) {
            (Node::Shaped { skeleton, .. }, Value::Object(map)) => same_keys(map, skeleton),
            _ => false,
        }
    }
}

/// An upper bound of the compact JSON size of `v`: six bytes per string byte
/// (the longest escape, `\u00XX`), 32 per number, 5 per literal. Bounds add up
/// member by member; once the sum passes `max` it is returned as it stands.
pub fn size_bound(v: &Value, max: usize) -> usize {
    match v {
        Value::Array(a) => {
            let mut n = 2usize;
            for x in a {
                n = n.saturating_add(member_bound(x, max) + 1);
                if n > max {
                    return n;
                }
            }
            n
        }
        Value::Object(m) => {
            let mut n = 2usize;
            for (k, x) in m {
                n = n.saturating_add(key_bound(k) + member_bound(x, max));
                if n > max {
                    return n;
                }
            }
            n
        }
        scalar => scalar_bound(scalar),
    }
}

/// A member's key: quoted, escaped, and the colon and comma.
#[inline(always)]
fn key_bound(k: &str) -> usize {
    6 * k.len() + 4
}

/// [`size_bound`] of a member, without a call for scalars (most members are).
#[inline(always)]
fn member_bound(v: &Value, max: usize) -> usize {
    match v {
        Value::Array(_) | Value::Object(_) => size_bound(v, max),
        scalar => scalar_bound(scalar),
    }
}

#[inline(always)]
fn scalar_bound(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 32,
        Value::String(s) => 2 + 6 * s.len(),
        Value::Array(_) | Value::Object(_) => 0,
    }
}

/// Whether two objects have the same keys in the same order.
fn same_keys(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a.len() == b.len() && a.keys().zip(b.keys()).all(|(x, y)| crate::same_text(x, y))
}

/// Makes `dst` equal to `src` (same members in the same order), keeping the
/// allocations of `dst` where the shapes agree; returns the [`size_bound`] of `src`.
pub fn assign(dst: &mut Value, src: &Value) -> usize {
    match (&mut *dst, src) {
        (Value::Number(d), Value::Number(s)) => {
            d.clone_from(s);
            return 32;
        }
        (Value::String(d), Value::String(s)) => {
            // Often the same text as before (a field carried from state to state).
            if !crate::same_text(d, s) {
                d.clone_from(s);
            }
            return 2 + 6 * s.len();
        }
        (Value::Array(d), Value::Array(s)) => {
            d.truncate(s.len());
            let kept = d.len();
            let mut n = 2usize;
            for (x, y) in d.iter_mut().zip(s) {
                n = n.saturating_add(assign_member(x, y) + 1);
            }
            for y in &s[kept..] {
                n = n.saturating_add(member_bound(y, usize::MAX) + 1);
            }
            d.extend(s[kept..].iter().cloned());
            return n;
        }
        (Value::Object(d), Value::Object(s)) if d.len() == s.len() => {
            // Keys are compared as the members are copied; at the first difference
            // the whole object is copied instead.
            let mut n = 2usize;
            let mut same = true;
            for ((k, x), (key, y)) in d.iter_mut().zip(s) {
                if !crate::same_text(k, key) {
                    same = false;
                    break;
                }
                n = n.saturating_add(key_bound(k) + assign_member(x, y));
            }
            if same {
                return n;
            }
        }
        _ => {}
    }
    *dst = src.clone();
    member_bound(src, usize::MAX)
}

/// [`assign`] with strings and numbers handled in place (most members are),
/// without a call.
#[inline(always)]
fn assign_member(dst: &mut Value, src: &Value) -> usize {
    match (&mut *dst, src) {
        (Value::String(d), Value::String(s)) => {
            if !crate::same_text(d, s) {
                d.clone_from(s);
            }
            2 + 6 * s.len()
        }
        (Value::Number(d), Value::Number(s)) => {
            d.clone_from(s);
            32
        }
        _ => assign(dst, src),
    }
}

/// Evaluates a [`Node::Shaped`] into `out`; `fits` when `out` is known to have
/// the skeleton's keys in order.
#[allow(clippy::too_many_arguments)]
fn eval_shaped(
    skeleton: &Map<String, Value>,
    slots: &[(usize, Node)],
    fixed: usize,
    input: &Value,
    scope: &Scope,
    entropy: &mut dyn Entropy,
    out: &mut Value,
    fits: bool,
) -> Result<usize, Error> {
    let reuse = fits || matches!(&*out, Value::Object(map) if same_keys(map, skeleton));
    if !reuse {
        *out = Value::Object(skeleton.clone());
    }
    let Value::Object(map) = out else {
        return Ok(size_bound(out, usize::MAX));
    };
    let mut bound = fixed;
    let mut slots = slots.iter().peekable();
    for (position, (member, literal)) in map.values_mut().zip(skeleton.values()).enumerate() {
        match slots.peek() {
            Some((p, child)) if *p == position => {
                bound = bound.saturating_add(eval_into(child, input, scope, entropy, member)?);
                slots.next();
            }
            _ if reuse => {
                assign(member, literal);
            }
            _ => {}
        }
    }
    Ok(bound)
}

/// Evaluates `node` into `out` (see [`Compiled::evaluate_into`]); returns the
/// [`size_bound`] of the result.
fn eval_into(
    node: &Node,
    input: &Value,
    scope: &Scope,
    entropy: &mut dyn Entropy,
    out: &mut Value,
) -> Result<usize, Error> {
    Ok(match node {
        Node::Literal(v) => assign(out, v),
        Node::Shaped {
            skeleton,
            slots,
            fixed,
        } => eval_shaped(skeleton, slots, *fixed, input, scope, entropy, out, false)?,
        Node::Array(items) => match out {
            Value::Array(values) if values.len() == items.len() => {
                let mut n = 2usize;
                for (child, value) in items.iter().zip(values.iter_mut()) {
                    n = n.saturating_add(eval_into(child, input, scope, entropy, value)? + 1);
                }
                n
            }
            _ => {
                *out = eval(node, input, scope, entropy)?;
                size_bound(out, usize::MAX)
            }
        },
        Node::Path { field, path } => match path.evaluate_ref(input, scope) {
            Ok(std::borrow::Cow::Borrowed(v)) => assign(out, v),
            Ok(std::borrow::Cow::Owned(v)) => {
                *out = v;
                size_bound(out, usize::MAX)
            }
            Err(_) => {
                return Err(not_found(
                    path.as_str(),
                    field,
                    path.root_value(input, scope),
                ));
            }
        },
        Node::Object(_) | Node::Call { .. } => {
            *out = eval(node, input, scope, entropy)?;
            size_bound(out, usize::MAX)
        }
    })
}

/// Compiles and evaluates in one go; prefer [`Compiled`] on hot paths.
pub fn evaluate(
    template: &Value,
    input: &Value,
    scope: &Scope,
    entropy: &mut dyn Entropy,
) -> Result<Value, Error> {
    let compiled = Compiled::new(template).map_err(|e| Error::runtime(e.message))?;
    compiled.evaluate(input, scope, entropy)
}

fn has_dynamic(v: &Value) -> bool {
    match v {
        Value::Object(map) => map.iter().any(|(k, v)| k.ends_with(".$") || has_dynamic(v)),
        Value::Array(items) => items.iter().any(has_dynamic),
        _ => false,
    }
}

fn compile(v: &Value) -> Result<Node, TemplateError> {
    if !has_dynamic(v) {
        return Ok(Node::Literal(v.clone()));
    }
    match v {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            for (key, value) in map {
                let node = match key.strip_suffix(".$") {
                    Some(name) => {
                        fields.push((name.to_owned(), compile_dynamic(key, value)?));
                        continue;
                    }
                    None => compile(value)?,
                };
                fields.push((key.clone(), node));
            }
            Ok(shape(fields))
        }
        Value::Array(items) => Ok(Node::Array(
            items.iter().map(compile).collect::<Result<_, _>>()?,
        )),
        other => Ok(Node::Literal(other.clone())),
    }
}

/// [`Node::Shaped`] for an object whose keys stay distinct, else [`Node::Object`]
/// (`"a"` and `"a.$"` together: the later one wins, in the earlier one's place).
fn shape(fields: Vec<(String, Node)>) -> Node {
    let mut skeleton = Map::with_capacity(fields.len());
    for (key, _) in &fields {
        if skeleton.insert(key.clone(), Value::Null).is_some() {
            return Node::Object(fields);
        }
    }
    let mut slots = Vec::new();
    let mut fixed = 2usize;
    for (position, (key, node)) in fields.into_iter().enumerate() {
        fixed = fixed.saturating_add(key_bound(&key));
        match node {
            Node::Literal(v) => {
                fixed = fixed.saturating_add(size_bound(&v, usize::MAX));
                if let Some((_, slot)) = skeleton.iter_mut().nth(position) {
                    *slot = v;
                }
            }
            other => slots.push((position, other)),
        }
    }
    Node::Shaped {
        skeleton,
        slots,
        fixed,
    }
}

fn compile_dynamic(key: &str, value: &Value) -> Result<Node, TemplateError> {
    let invalid = |cause: ParseError| TemplateError {
        field: key.to_owned(),
        message: format!(
            "The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"
        ),
        cause,
    };
    let Some(text) = value.as_str() else {
        return Err(invalid(ParseError::new("the value must be a string", 0)));
    };
    if text.starts_with('$') {
        let path = Path::parse(text).map_err(invalid)?;
        return Ok(Node::Path {
            field: key.to_owned(),
            path,
        });
    }
    if text.starts_with("States.") {
        let call = Call::parse(text).map_err(invalid)?;
        return Ok(Node::Call {
            field: key.to_owned(),
            call,
        });
    }
    Err(invalid(ParseError::new(
        "expected a path starting with '$' or an intrinsic function",
        0,
    )))
}

fn eval(
    node: &Node,
    input: &Value,
    scope: &Scope,
    entropy: &mut dyn Entropy,
) -> Result<Value, Error> {
    match node {
        Node::Literal(v) => Ok(v.clone()),
        Node::Object(fields) => {
            let mut out = Map::with_capacity(fields.len());
            for (key, child) in fields {
                out.insert(key.clone(), eval(child, input, scope, entropy)?);
            }
            Ok(Value::Object(out))
        }
        Node::Shaped {
            skeleton, slots, ..
        } => {
            let mut out = skeleton.clone();
            let mut members = out.values_mut().enumerate();
            for (position, child) in slots {
                let value = eval(child, input, scope, entropy)?;
                if let Some((_, slot)) = members.find(|(i, _)| i == position) {
                    *slot = value;
                }
            }
            Ok(Value::Object(out))
        }
        Node::Array(items) => items
            .iter()
            .map(|n| eval(n, input, scope, entropy))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Node::Path { field, path } => match path.evaluate_ref(input, scope) {
            Ok(v) => Ok(v.into_owned()),
            Err(_) => Err(not_found(
                path.as_str(),
                field,
                path.root_value(input, scope),
            )),
        },
        Node::Call { field, call } => match call.eval(input, scope, entropy) {
            Ok(v) => Ok(v),
            Err(Failure::Error(e)) => Err(e),
            Err(Failure::NotFound { path, document }) => Err(Error::runtime(format!(
                "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{document}'"
            ))),
        },
    }
}

fn not_found(path: &str, field: &str, document: Option<&Value>) -> Error {
    let document = document.map(Value::to_string).unwrap_or_default();
    Error::runtime(format!(
        "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{document}'"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Fixed(u64);
    impl Entropy for Fixed {
        fn next_u64(&mut self) -> u64 {
            self.0
        }
    }

    fn run(template: Value, input: Value) -> Result<Value, Error> {
        evaluate(&template, &input, &Scope::empty(), &mut Fixed(7))
    }

    #[test]
    fn dollar_keys_are_evaluated_and_lose_their_suffix() {
        let out = run(
            json!({"z": 1, "a.$": "$.x", "nested": {"b.$": "$.y[0]", "lit": [1, {"c.$": "$"}]}}),
            json!({"x": "X", "y": [true]}),
        );
        assert_eq!(
            out,
            Ok(
                json!({"z": 1, "a": "X", "nested": {"b": true, "lit": [1, {"c": {"x": "X", "y": [true]}}]}})
            )
        );
        let text = serde_json::to_string(&out.expect("ok")).expect("json");
        assert!(text.starts_with(r#"{"z":1,"a":"X","nested""#), "{text}");
    }

    #[test]
    fn computed_and_literal_members_keep_the_template_order() {
        let template = json!({"a": 1, "b.$": "$.x", "c": {"d": [1]}, "e.$": "$.y", "f": null});
        assert!(matches!(
            Compiled::new(&template).expect("compiles").root,
            Node::Shaped { .. }
        ));
        let out = run(template, json!({"x": "X", "y": {"z": true}})).expect("evaluates");
        assert_eq!(
            serde_json::to_string(&out).expect("json"),
            r#"{"a":1,"b":"X","c":{"d":[1]},"e":{"z":true},"f":null}"#
        );
    }

    #[test]
    fn a_computed_key_that_repeats_a_plain_key_takes_its_place() {
        for (template, expected) in [
            (json!({"a": 1, "b": 2, "a.$": "$.x"}), r#"{"a":"X","b":2}"#),
            (json!({"a.$": "$.x", "b": 2, "a": 1}), r#"{"a":1,"b":2}"#),
        ] {
            let out = run(template, json!({"x": "X"})).expect("evaluates");
            assert_eq!(serde_json::to_string(&out).expect("json"), expected);
        }
    }

    #[test]
    fn evaluate_into_gives_what_evaluate_gives_whatever_was_there() {
        let templates = [
            json!({"a": 1, "b.$": "$.x", "c": {"d": [1, "s"]}, "e.$": "$.y", "f": null}),
            json!({"b.$": "$.x", "a": 1, "e.$": "$.y"}),
            json!({"list": [{"v.$": "$.x"}, 2, "lit"], "u.$": "States.UUID()"}),
            json!({"a": 1, "b": 2, "a.$": "$.x"}),
            json!({"whole.$": "$", "n.$": "$.y.z"}),
            json!({"i.$": "$.items[*].k"}),
        ];
        let inputs = [
            json!({"x": "X", "y": {"z": [1, {"q": "r"}]}, "items": [{"k": 1}, {"k": 2}]}),
            json!({"x": {"deep": ["a", "b", "c"]}, "y": {"z": null}, "items": []}),
            json!({"x": 3.5, "y": {"z": "longer string than before"}, "items": [{"k": "s"}]}),
        ];
        for template in &templates {
            let compiled = Compiled::new(template).expect("compiles");
            for input in &inputs {
                let expected = compiled
                    .evaluate(input, &Scope::empty(), &mut Fixed(7))
                    .expect("evaluates");
                // Whatever was there before: other shapes, the same shape with other
                // values, longer arrays and strings, and the previous results.
                let mut previous: Vec<Value> = vec![
                    Value::Null,
                    json!("a string"),
                    json!([1, 2, 3, 4, 5, 6]),
                    json!({"a": [9, 9, 9, 9], "b": {"x": 1}, "c": "cccccccccccc", "e": [], "f": 1}),
                ];
                previous.extend(inputs.iter().filter_map(|other| {
                    compiled
                        .evaluate(other, &Scope::empty(), &mut Fixed(7))
                        .ok()
                }));
                for mut out in previous {
                    let bound = compiled
                        .evaluate_into(input, &Scope::empty(), &mut Fixed(7), &mut out)
                        .expect("evaluates");
                    assert_eq!(out, expected, "{template} on {input}");
                    assert_eq!(bound, size_bound(&expected, usize::MAX));
                    let text = serde_json::to_string(&expected).expect("json");
                    assert!(bound >= text.len(), "{bound} < {text}");
                    let mut pool = vec![json!([1]), out.clone()];
                    let (pooled, bound) = compiled
                        .evaluate_pooled(input, &Scope::empty(), &mut Fixed(7), &mut pool)
                        .expect("evaluates");
                    assert_eq!(
                        (pooled, bound),
                        (expected.clone(), size_bound(&expected, usize::MAX))
                    );
                    assert_eq!(
                        serde_json::to_string(&out).expect("json"),
                        serde_json::to_string(&expected).expect("json")
                    );
                }
            }
        }
    }

    #[test]
    fn assign_copies_values_in_order() {
        let cases = [
            (json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1})),
            (json!(["x", {"k": "v"}]), json!(["yy", {"k": "w"}, 3])),
            (json!({"s": "long text"}), json!({"s": "t"})),
            (json!(1), json!({"a": null})),
        ];
        for (mut dst, src) in cases {
            assign(&mut dst, &src);
            assert_eq!(
                serde_json::to_string(&dst).expect("json"),
                serde_json::to_string(&src).expect("json")
            );
        }
    }

    #[test]
    fn fits_only_objects_with_the_template_keys_in_order() {
        let compiled = Compiled::new(&json!({"a.$": "$.x", "b": 1})).expect("compiles");
        assert!(compiled.fits(&json!({"a": [1], "b": "z"})));
        assert!(!compiled.fits(&json!({"b": 1, "a": 2})));
        assert!(!compiled.fits(&json!({"a": 1})));
        assert!(!compiled.fits(&json!([1, 2])));
    }

    #[test]
    fn values_under_plain_keys_are_not_paths() {
        assert_eq!(
            run(json!({"a": "$.x"}), json!({"x": 1})),
            Ok(json!({"a": "$.x"}))
        );
    }

    #[test]
    fn missing_definite_path_names_the_field_and_input() {
        let err =
            run(json!({"value.$": "$.no_such_jsonpath"}), json!({"a": 1})).expect_err("fails");
        assert_eq!(err.error, "States.Runtime");
        assert_eq!(
            err.cause,
            r#"The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"a":1}'"#
        );
    }

    #[test]
    fn indefinite_path_without_matches_is_an_empty_array() {
        assert_eq!(
            run(json!({"item.$": "$.items[*].v"}), json!({})),
            Ok(json!({"item": []}))
        );
    }

    #[test]
    fn context_variables_and_intrinsics() {
        let context = json!({"Execution": {"Name": "run-1"}});
        let vars: std::collections::HashMap<String, Value> =
            [("x".to_owned(), json!({"a": [5, 6]}))]
                .into_iter()
                .collect();
        let scope = Scope::new(&context, &vars);
        let template = json!({
            "name.$": "$$.Execution.Name",
            "v.$": "$x.a[1]",
            "s.$": "States.Format('{}-{}', $$.Execution.Name, $x.a[0])"
        });
        let compiled = Compiled::new(&template).expect("compiles");
        assert_eq!(
            compiled.evaluate(&json!({}), &scope, &mut Fixed(1)),
            Ok(json!({"name": "run-1", "v": 6, "s": "run-1-5"}))
        );
    }

    #[test]
    fn bad_dollar_values_are_definition_errors() {
        for bad in [
            json!({"a.$": 1}),
            json!({"a.$": "x"}),
            json!({"a.$": "$.["}),
            json!({"a.$": "States.Nope()"}),
        ] {
            let err = Compiled::new(&bad).expect_err("invalid");
            assert_eq!(err.field, "a.$");
            assert!(err.message.contains("'a.$'"), "{}", err.message);
        }
    }

    #[test]
    fn intrinsic_path_argument_not_found() {
        let err = run(json!({"r.$": "States.Format('{}', $.nope)"}), json!({})).expect_err("fails");
        assert_eq!(
            err.cause,
            "The JSONPath '$.nope' specified for the field 'r.$' could not be found in the input '{}'"
        );
    }
}
