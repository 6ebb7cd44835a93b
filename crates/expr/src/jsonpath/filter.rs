//! Filter expressions (`[?(…)]`) and how Jayway compares values in them.
use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::eval::{self, Env};
use super::{Function, Path, Segment};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Operand, Op, Operand),
    /// `[?(@.isbn)]`: true when the path finds something, even `null`.
    Exists(Operand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Nin,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// `@…`: relative to the item being tested.
    Current(Vec<Segment>, Option<Function>),
    /// `$…`, `$$…`, `$var…`
    Absolute(Box<Path>),
    Literal(Value),
}

impl Expr {
    pub(crate) fn test<'a>(&self, item: &'a Value, env: &Env<'a, '_>) -> bool {
        match self {
            Expr::Or(a, b) => a.test(item, env) || b.test(item, env),
            Expr::And(a, b) => a.test(item, env) && b.test(item, env),
            Expr::Not(e) => !e.test(item, env),
            Expr::Exists(o) => o.resolve(item, env).is_some(),
            Expr::Compare(l, op, r) => {
                let (l, r) = (l.resolve(item, env), r.resolve(item, env));
                compare(l.as_deref(), *op, r.as_deref())
            }
        }
    }
}

impl Operand {
    /// `None` is Jayway's "undefined": the path found nothing.
    fn resolve<'a>(&'a self, item: &'a Value, env: &Env<'a, '_>) -> Option<Cow<'a, Value>> {
        match self {
            Operand::Literal(v) => Some(Cow::Borrowed(v)),
            Operand::Absolute(path) => path.evaluate_ref(env.input, env.scope).ok(),
            Operand::Current(segments, function) => {
                let found = if super::is_definite(segments) {
                    eval::definite(segments, item, "@").ok()?
                } else {
                    let mut out = Vec::new();
                    eval::collect(segments, item, env, &mut out);
                    Cow::Owned(Value::Array(out.into_iter().map(Cow::into_owned).collect()))
                };
                match function {
                    None => Some(found),
                    Some(f) => eval::apply_function(*f, &found).ok().map(Cow::Owned),
                }
            }
        }
    }
}

fn compare(l: Option<&Value>, op: Op, r: Option<&Value>) -> bool {
    match op {
        Op::Eq => matches!((l, r), (Some(a), Some(b)) if loose_eq(a, b)),
        Op::Ne => !compare(l, Op::Eq, r),
        Op::In => match (l, r) {
            (Some(a), Some(Value::Array(items))) => items.iter().any(|b| loose_eq(a, b)),
            _ => false,
        },
        Op::Nin => !compare(l, Op::In, r),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let Some(ord) = l.zip(r).and_then(|(a, b)| order(a, b)) else {
                return false;
            };
            match op {
                Op::Lt => ord == Ordering::Less,
                Op::Le => ord != Ordering::Greater,
                Op::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }
        }
    }
}

/// Jayway compares numbers by value, and a number with a numeric string
/// by the string's value (`1 == '1'`).
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::String(s)) | (Value::String(s), Value::Number(_)) => {
            let n = if a.is_number() { a } else { b };
            s.trim().parse::<f64>().ok() == n.as_f64()
        }
        _ => json_eq(a, b),
    }
}

/// JSON equality with numbers compared by value (`1 == 1.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => Some(i.cmp(&j)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}
