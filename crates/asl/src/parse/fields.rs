//! Typed reads of one JSON object's fields, each reporting a wrong type at the
//! field's own location.

use serde_json::{Map as JsonMap, Value};

use super::{Cx, at};
use crate::model::{Dynamic, PathField};

/// A JSON object of the definition together with its location.
pub(crate) struct Obj<'a> {
    pub map: &'a JsonMap<String, Value>,
    pub at: String,
}

impl<'a> Obj<'a> {
    pub fn new(map: &'a JsonMap<String, Value>, at: &str) -> Self {
        Obj {
            map,
            at: at.to_owned(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn field_at(&self, key: &str) -> String {
        at(&self.at, key)
    }

    /// `These fields are required: [States] at /`: every missing field in one
    /// diagnostic, in the order given.
    pub fn require(&self, cx: &mut Cx<'_>, keys: &[&str]) -> bool {
        let missing: Vec<&str> = keys.iter().copied().filter(|k| !self.has(k)).collect();
        if missing.is_empty() {
            return true;
        }
        cx.schema(
            &self.at,
            format!("These fields are required: [{}]", missing.join(", ")),
        );
        false
    }

    /// `Field 'Foo' is not supported at /States/S`, once per unknown field.
    pub fn allow_only(&self, cx: &mut Cx<'_>, allowed: &[&str]) {
        for key in self.map.keys() {
            if !allowed.contains(&key.as_str()) {
                cx.schema(&self.at, format!("Field '{key}' is not supported"));
            }
        }
    }

    /// `There should only be one of the following fields: [Error, ErrorPath]`.
    pub fn at_most_one(&self, cx: &mut Cx<'_>, keys: &[&str]) -> bool {
        if keys.iter().filter(|k| self.has(k)).count() > 1 {
            cx.schema(
                &self.at,
                format!(
                    "There should only be one of the following fields: [{}]",
                    keys.join(", ")
                ),
            );
            return false;
        }
        true
    }

    fn wrong_type(&self, cx: &mut Cx<'_>, key: &str, expected: &str) {
        cx.schema(
            &self.field_at(key),
            format!("Expected value of type {expected}"),
        );
    }

    pub fn string(&self, cx: &mut Cx<'_>, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.wrong_type(cx, key, "String");
                None
            }
        }
    }

    pub fn boolean(&self, cx: &mut Cx<'_>, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(cx, key, "Boolean");
                None
            }
        }
    }

    pub fn number(&self, cx: &mut Cx<'_>, key: &str) -> Option<f64> {
        match self.get(key)? {
            Value::Number(n) => n.as_f64(),
            _ => {
                self.wrong_type(cx, key, "Number");
                None
            }
        }
    }

    /// An integer field (`1.0` counts, `1.5` does not); negative values are
    /// returned so the caller can report them with its own minimum.
    pub fn int(&self, cx: &mut Cx<'_>, key: &str) -> Option<i64> {
        let v = self.get(key)?;
        match as_int(v) {
            Some(i) => Some(i),
            None => {
                self.wrong_type(cx, key, "Integer");
                None
            }
        }
    }

    /// An integer that must be at least `min` (`Minimum value is 1`).
    pub fn int_min(&self, cx: &mut Cx<'_>, key: &str, min: i64) -> Option<u64> {
        let i = self.int(cx, key)?;
        if i < min {
            cx.schema(&self.field_at(key), format!("Minimum value is {min}"));
            return None;
        }
        u64::try_from(i).ok()
    }

    pub fn positive_int(&self, cx: &mut Cx<'_>, key: &str) -> Option<u64> {
        self.int_min(cx, key, 1)
    }

    pub fn object(&self, cx: &mut Cx<'_>, key: &str) -> Option<&'a JsonMap<String, Value>> {
        match self.get(key)? {
            Value::Object(m) => Some(m),
            _ => {
                self.wrong_type(cx, key, "Object");
                None
            }
        }
    }

    pub fn array(&self, cx: &mut Cx<'_>, key: &str) -> Option<&'a Vec<Value>> {
        match self.get(key)? {
            Value::Array(a) => Some(a),
            _ => {
                self.wrong_type(cx, key, "Array");
                None
            }
        }
    }

    /// `InputPath` / `OutputPath` / `ResultPath`: a path string or an explicit
    /// `null`, which has its own meaning.
    pub fn path_field(&self, cx: &mut Cx<'_>, key: &str) -> Option<PathField> {
        match self.get(key)? {
            Value::Null => Some(PathField::Null),
            Value::String(s) => Some(PathField::Path(s.clone())),
            _ => {
                self.wrong_type(cx, key, "String");
                None
            }
        }
    }

    /// A field that is given literally (`key`), through a path (`key` + `Path`)
    /// or, in a JSONata state, as a `{% … %}` string in `key`. `read` turns the
    /// literal into `T`.
    pub fn dynamic<T>(
        &self,
        cx: &mut Cx<'_>,
        key: &str,
        jsonata: bool,
        read: impl FnOnce(&Self, &mut Cx<'_>) -> Option<T>,
    ) -> Option<Dynamic<T>> {
        let path_key = format!("{key}Path");
        self.at_most_one(cx, &[key, &path_key]);
        if let Some(v) = self.get(key) {
            if let Some(expr) = v.as_str().filter(|s| jsonata && is_jsonata(s)) {
                return Some(Dynamic::Jsonata(expr.to_owned()));
            }
            return read(self, cx).map(Dynamic::Literal);
        }
        self.string(cx, &path_key).map(Dynamic::Path)
    }
}

/// A `"{% … %}"` string: a JSONata expression in a JSONata state.
pub(crate) fn is_jsonata(s: &str) -> bool {
    s.starts_with("{%") && s.ends_with("%}") && s.len() >= 4
}

/// A JSON number with no fractional part, as an `i64`.
pub(crate) fn as_int(v: &Value) -> Option<i64> {
    let n = v.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.is_u64() {
        return Some(i64::MAX);
    }
    let f = n.as_f64()?;
    if f.fract() == 0.0 && f.is_finite() && f.abs() < 9.0e18 {
        // Checked above to be integral and in range.
        #[allow(clippy::cast_possible_truncation)]
        return Some(f as i64);
    }
    None
}
