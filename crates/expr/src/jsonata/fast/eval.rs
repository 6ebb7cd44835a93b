//! The evaluator of [`Program`]s, after jsonata-js's `evaluate` (MIT), on borrowed JSON.

use std::cell::Cell;
use std::rc::Rc;

use jlens_core::{Bindings, Error as JError};
use serde_json::Value;

use super::{Builtin, Kind, Node, Op, Program};
use crate::jsonata::{Determinism, Limits};

type Res<T> = Result<T, JError>;
type R<'a> = Res<Option<V<'a>>>;

/// A JSONata value during one evaluation; `None` beside it is *undefined*.
#[derive(Clone, Debug)]
enum V<'a> {
    /// Input or a variable's value, read where it lies. Arrays here are plain arrays.
    J(&'a Value),
    /// A string literal of the expression.
    Lit(&'a str),
    /// A string the evaluation built (one allocation for the text, one for the count).
    Str(Rc<String>),
    Num(f64),
    Bool(bool),
    Null,
    Arr(Rc<Arr<'a>>),
    Obj(Rc<Vec<(String, V<'a>)>>),
}

/// An array built by the evaluation: a sequence, a constructed (`cons`) array, or plain.
#[derive(Debug)]
struct Arr<'a> {
    items: Vec<V<'a>>,
    seq: bool,
    cons: bool,
    keep: Cell<bool>,
}

fn text<'a>(s: impl Into<String>) -> V<'a> {
    V::Str(Rc::new(s.into()))
}

fn seq(items: Vec<V<'_>>) -> V<'_> {
    V::Arr(Rc::new(Arr {
        items,
        seq: true,
        cons: false,
        keep: Cell::new(false),
    }))
}

fn plain(items: Vec<V<'_>>) -> V<'_> {
    V::Arr(Rc::new(Arr {
        items,
        seq: false,
        cons: false,
        keep: Cell::new(false),
    }))
}

/// Items of an array value, as values.
enum Items<'b, 'a> {
    J(std::slice::Iter<'a, Value>),
    A(std::slice::Iter<'b, V<'a>>),
}

impl<'a> Iterator for Items<'_, 'a> {
    type Item = V<'a>;
    fn next(&mut self) -> Option<V<'a>> {
        match self {
            Items::J(i) => i.next().map(V::J),
            Items::A(i) => i.next().cloned(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Items::J(i) => i.size_hint(),
            Items::A(i) => i.size_hint(),
        }
    }
}

impl ExactSizeIterator for Items<'_, '_> {}

impl<'a> V<'a> {
    fn as_num(&self) -> Option<f64> {
        match self {
            V::Num(n) => Some(*n),
            V::J(Value::Number(n)) => n.as_f64(),
            _ => None,
        }
    }

    /// `isNumeric`: a number that is not NaN.
    fn numeric(&self) -> Option<f64> {
        self.as_num().filter(|n| !n.is_nan())
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            V::J(Value::String(s)) => Some(s),
            V::Lit(s) => Some(s),
            V::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            V::Bool(b) | V::J(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, V::Null | V::J(Value::Null))
    }

    fn is_array(&self) -> bool {
        matches!(self, V::Arr(_) | V::J(Value::Array(_)))
    }

    fn is_object(&self) -> bool {
        matches!(self, V::Obj(_) | V::J(Value::Object(_)))
    }

    fn is_seq(&self) -> bool {
        matches!(self, V::Arr(a) if a.seq)
    }

    fn is_cons(&self) -> bool {
        matches!(self, V::Arr(a) if a.cons)
    }

    fn items(&self) -> Items<'_, 'a> {
        match self {
            V::J(Value::Array(a)) => Items::J(a.iter()),
            V::Arr(a) => Items::A(a.items.iter()),
            _ => Items::A([].iter()),
        }
    }

    fn len(&self) -> usize {
        match self {
            V::J(Value::Array(a)) => a.len(),
            V::Arr(a) => a.items.len(),
            _ => 0,
        }
    }

    fn item(&self, i: usize) -> Option<V<'a>> {
        match self {
            V::J(Value::Array(a)) => a.get(i).map(V::J),
            V::Arr(a) => a.items.get(i).cloned(),
            _ => None,
        }
    }

    /// The signature symbol of the value (`getSymbol`).
    fn symbol(&self) -> u8 {
        match self {
            V::J(Value::String(_)) | V::Lit(_) | V::Str(_) => b's',
            V::J(Value::Number(_)) | V::Num(_) => b'n',
            V::J(Value::Bool(_)) | V::Bool(_) => b'b',
            V::J(Value::Null) | V::Null => b'l',
            V::J(Value::Array(_)) | V::Arr(_) => b'a',
            V::J(Value::Object(_)) | V::Obj(_) => b'o',
        }
    }

    fn field(&self, key: &str) -> Option<V<'a>> {
        match self {
            // A scan beats hashing the key for the small objects most documents hold.
            V::J(Value::Object(m)) if m.len() <= 16 => {
                let kb = key.as_bytes();
                m.iter()
                    .find(|(k, _)| {
                        let k = k.as_bytes();
                        k.len() == kb.len() && k.first() == kb.first() && k == kb
                    })
                    .map(|(_, v)| V::J(v))
            }
            V::J(Value::Object(m)) => m.get(key).map(V::J),
            V::Obj(o) => o.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()),
            _ => None,
        }
    }

    /// The value as JSON, for error details and results: integral numbers become integers.
    fn to_json(&self) -> Value {
        match self {
            V::J(j) => copy_json(j),
            V::Lit(s) => Value::String((*s).to_owned()),
            V::Str(s) => Value::String(s.to_string()),
            V::Num(n) => json_number(*n),
            V::Bool(b) => Value::Bool(*b),
            V::Null => Value::Null,
            V::Arr(a) => Value::Array(a.items.iter().map(V::to_json).collect()),
            V::Obj(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }
}

fn copy_json(j: &Value) -> Value {
    match j {
        Value::Number(n) if needs_copy(j) => json_number(n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(a) if needs_copy(j) => Value::Array(a.iter().map(copy_json).collect()),
        Value::Object(m) if needs_copy(j) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), copy_json(v))).collect())
        }
        other => other.clone(),
    }
}

/// Whether a JSON value holds a number that results print otherwise: an integral float (as
/// an integer), or an integer beyond 2^53 (as the float JSONata's numbers make of it).
fn needs_copy(j: &Value) -> bool {
    match j {
        Value::Number(n) => n.as_f64().is_some_and(|f| n.is_f64() == integral(f)),
        Value::Array(a) => a.iter().any(needs_copy),
        Value::Object(m) => m.values().any(needs_copy),
        _ => false,
    }
}

fn integral(n: f64) -> bool {
    n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15
}

fn json_number(n: f64) -> Value {
    if integral(n) {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn error(code: &str) -> JError {
    JError::new(code)
}

/// A computed number, or D1001 when it overflowed.
fn finite<'a>(n: f64) -> R<'a> {
    if n.is_infinite() {
        Err(error("D1001").with("value", json_number(n)))
    } else {
        Ok(Some(V::Num(n)))
    }
}

struct Ev<'a> {
    bindings: &'a Bindings,
    now_millis: i64,
    root: Option<V<'a>>,
    scopes: Vec<(&'a str, Option<V<'a>>)>,
    steps: u64,
    max_steps: u64,
    depth: usize,
    max_depth: usize,
    max_string: usize,
    max_array: usize,
}

/// Evaluates `program`; the result is the JSON value, or `None` for undefined.
pub(in crate::jsonata) fn evaluate(
    program: &Program,
    input: Option<&Value>,
    bindings: &Bindings,
    det: &Determinism,
    limits: &Limits,
) -> Res<Option<Value>> {
    let root = input.map(V::J);
    let mut ev = Ev {
        bindings,
        now_millis: det.now_millis,
        root: root.clone(),
        scopes: Vec::new(),
        steps: limits.max_steps,
        max_steps: limits.max_steps,
        depth: 0,
        max_depth: limits.max_depth,
        max_string: limits.max_string_bytes,
        max_array: limits.max_array_items,
    };
    let result = ev.eval(&program.root, root.as_ref())?;
    let Some(result) = result else {
        return Ok(None);
    };
    let json = result.to_json();
    if json_size_over(&json, limits.max_result_bytes) {
        return Err(error("U1001").with(
            "message",
            format!(
                "The result would exceed the size limit of {} bytes",
                limits.max_result_bytes
            ),
        ));
    }
    Ok(Some(json))
}

/// Whether the compact JSON text of `j` is longer than `limit` bytes; exact only when a quick
/// upper bound says it may be.
fn json_size_over(j: &Value, limit: usize) -> bool {
    fn bound(j: &Value) -> usize {
        match j {
            Value::Null | Value::Bool(_) => 5,
            Value::Number(_) => 25,
            Value::String(s) => s.len() * 6 + 2,
            Value::Array(a) => 2 + a.iter().map(|v| bound(v) + 1).sum::<usize>(),
            Value::Object(m) => {
                2 + m
                    .iter()
                    .map(|(k, v)| k.len() * 6 + 4 + bound(v))
                    .sum::<usize>()
            }
        }
    }
    if bound(j) <= limit {
        return false;
    }
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, j);
    count.0 > limit
}

/// `fn.boolean`: `None` for undefined.
fn boolean(v: &Option<V<'_>>) -> Option<bool> {
    v.as_ref().map(truthy)
}

fn truthy(v: &V<'_>) -> bool {
    match v {
        V::J(Value::Array(_)) | V::Arr(_) => match v.len() {
            0 => false,
            1 => v.item(0).is_some_and(|i| truthy(&i)),
            _ => v.items().any(|i| truthy(&i)),
        },
        V::J(Value::String(_)) | V::Lit(_) | V::Str(_) => !v.as_str().unwrap_or("").is_empty(),
        V::J(Value::Number(_)) | V::Num(_) => v.numeric().is_some_and(|n| n != 0.0),
        V::J(Value::Object(m)) => !m.is_empty(),
        V::Obj(o) => !o.is_empty(),
        V::J(Value::Bool(b)) | V::Bool(b) => *b,
        V::J(Value::Null) | V::Null => false,
    }
}

/// The singleton collapse at the end of `evaluate`.
fn collapse<'a>(r: Option<V<'a>>, keep: bool) -> Option<V<'a>> {
    match r {
        Some(V::Arr(a)) if a.seq => {
            if keep {
                a.keep.set(true);
            }
            match a.items.len() {
                0 => None,
                1 if !a.keep.get() => Some(a.items[0].clone()),
                _ => Some(V::Arr(a)),
            }
        }
        other => other,
    }
}

/// `lookup(input, key)`.
fn lookup<'a>(input: &V<'a>, key: &str) -> Option<V<'a>> {
    if input.is_array() {
        let mut out = Vec::new();
        for item in input.items() {
            if let Some(r) = lookup(&item, key) {
                if r.is_array() {
                    out.extend(r.items());
                } else {
                    out.push(r);
                }
            }
        }
        Some(seq(out))
    } else {
        input.field(key)
    }
}

/// `fn.append`.
fn append<'a>(a: Option<V<'a>>, b: Option<V<'a>>) -> Option<V<'a>> {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(a), Some(b)) => {
            let mut items: Vec<V<'a>> = if a.is_array() {
                a.items().collect()
            } else {
                vec![a]
            };
            if b.is_array() {
                items.extend(b.items());
            } else {
                items.push(b);
            }
            Some(plain(items))
        }
    }
}

impl<'a> Ev<'a> {
    fn eval(&mut self, n: &'a Node, input: Option<&V<'a>>) -> R<'a> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(error("D1011").with("value", self.max_depth));
        }
        if self.steps == 0 {
            return Err(error("U1006").with("value", self.max_steps));
        }
        self.steps -= 1;
        let r = self.kind(n, input);
        self.depth -= 1;
        let mut r = r?;
        for p in &n.predicate {
            r = self.filter(p, r)?;
        }
        Ok(collapse(r, n.keep_array))
    }

    /// [`Self::eval`], with literals and a lone field of one object read inline: the operands
    /// of most operators and functions. Spends the same steps as `eval`.
    #[inline]
    fn operand(&mut self, n: &'a Node, input: Option<&V<'a>>) -> R<'a> {
        if n.predicate.is_empty() && !n.keep_array {
            match &n.kind {
                Kind::Num(x) => {
                    self.tick()?;
                    return Ok(Some(V::Num(*x)));
                }
                Kind::Str(s) => {
                    self.tick()?;
                    return Ok(Some(V::Lit(s)));
                }
                Kind::Path {
                    steps,
                    keep_singleton: false,
                } if !input.is_some_and(V::is_array) => {
                    if let [step] = steps.as_slice()
                        && let Some(name) = plain_name(step)
                    {
                        self.tick()?;
                        self.depth += 1;
                        let t = self.tick();
                        self.depth -= 1;
                        t?;
                        return Ok(input.and_then(|v| v.field(name)));
                    }
                }
                _ => {}
            }
        }
        self.eval(n, input)
    }

    /// `field <op> literal` on one item, as [`Self::eval`] of the comparison gives it: the
    /// commonest predicate, read without the general machinery. Spends the same steps.
    fn compare_field(
        &mut self,
        op: Op,
        name: &'a str,
        lit: &'a Node,
        item: Option<&V<'a>>,
    ) -> R<'a> {
        // The comparison, its path, the path's step and the literal.
        if self.depth + 3 > self.max_depth {
            return Err(error("D1011").with("value", self.max_depth));
        }
        if self.steps < 4 {
            self.steps = 0;
            return Err(error("U1006").with("value", self.max_steps));
        }
        self.steps -= 4;
        let l = item.and_then(|v| v.field(name));
        let r = match &lit.kind {
            Kind::Num(x) => V::Num(*x),
            Kind::Str(s) => V::Lit(s),
            _ => return self.eval(lit, item),
        };
        match op {
            Op::Eq | Op::Ne => {
                let eq = l.as_ref().is_some_and(|l| deep_equal(l, &r));
                Ok(Some(V::Bool(if op == Op::Eq {
                    eq
                } else {
                    l.is_some() && !eq
                })))
            }
            _ => compare(op, &l, &Some(r)),
        }
    }

    /// What [`Self::eval`] spends on a node that it evaluates inline.
    #[inline]
    fn tick(&mut self) -> Res<()> {
        if self.depth + 1 > self.max_depth {
            return Err(error("D1011").with("value", self.max_depth));
        }
        if self.steps == 0 {
            return Err(error("U1006").with("value", self.max_steps));
        }
        self.steps -= 1;
        Ok(())
    }

    fn kind(&mut self, n: &'a Node, input: Option<&V<'a>>) -> R<'a> {
        Ok(match &n.kind {
            Kind::Path {
                steps,
                keep_singleton,
            } => self.path(steps, *keep_singleton, input)?,
            Kind::Name(name) => input.and_then(|i| lookup(i, name)),
            Kind::Context => input.cloned(),
            Kind::Root => self.root.clone(),
            Kind::Var(name) => self.var(name),
            Kind::Str(s) => Some(V::Lit(s)),
            Kind::Num(x) => Some(V::Num(*x)),
            Kind::Bool(b) => Some(V::Bool(*b)),
            Kind::Null => Some(V::Null),
            Kind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, input)?,
            Kind::Negate(e) => match self.eval(e, input)? {
                None => None,
                Some(v) => match v.numeric() {
                    Some(x) => Some(V::Num(-x)),
                    None => {
                        return Err(error("D1002").with("token", "-").with("value", v.to_json()));
                    }
                },
            },
            Kind::Array(items) => {
                let mut out: Vec<V<'a>> = Vec::new();
                for item in items {
                    if let Some(v) = self.eval(item, input)? {
                        if matches!(item.kind, Kind::Array(_)) || !v.is_array() {
                            out.push(v);
                        } else {
                            out.extend(v.items());
                        }
                    }
                }
                self.check_array(out.len())?;
                Some(V::Arr(Rc::new(Arr {
                    items: out,
                    seq: false,
                    cons: n.cons_array,
                    keep: Cell::new(false),
                })))
            }
            Kind::Object(pairs) => Some(self.object(pairs, input)?),
            Kind::Condition(c, then, otherwise) => {
                let c = self.eval(c, input)?;
                if boolean(&c) == Some(true) {
                    self.eval(then, input)?
                } else if let Some(o) = otherwise {
                    self.eval(o, input)?
                } else {
                    None
                }
            }
            Kind::Fallback(coalesce, lhs, rhs) => {
                let l = self.eval(lhs, input)?;
                let keep = if *coalesce {
                    l.is_some()
                } else {
                    boolean(&l) == Some(true)
                };
                if keep { l } else { self.eval(rhs, input)? }
            }
            Kind::Block(exprs) => {
                let mark = self.scopes.len();
                let mut last = Ok(None);
                for e in exprs {
                    last = self.eval(e, input);
                    if last.is_err() {
                        break;
                    }
                }
                self.scopes.truncate(mark);
                last?
            }
            Kind::Bind(name, rhs) => {
                let v = self.eval(rhs, input)?;
                self.scopes.push((name, v.clone()));
                v
            }
            Kind::Call(f, args) => self.call(*f, args, input)?,
        })
    }

    fn var(&self, name: &str) -> Option<V<'a>> {
        if let Some((_, v)) = self.scopes.iter().rev().find(|(k, _)| *k == name) {
            return v.clone();
        }
        self.bindings.get(name).map(V::J)
    }

    fn check_array(&self, len: usize) -> Res<()> {
        if len > self.max_array {
            return Err(error("U1001").with(
                "message",
                format!(
                    "An array would exceed the size limit of {} items",
                    self.max_array
                ),
            ));
        }
        Ok(())
    }

    fn check_string(&self, len: usize) -> Res<()> {
        if len > self.max_string {
            return Err(error("U1001").with(
                "message",
                format!(
                    "A string would exceed the size limit of {} bytes",
                    self.max_string
                ),
            ));
        }
        Ok(())
    }

    /// `evaluatePath`. The sequence between steps is kept as [`Seq`], so that a step over one
    /// item builds no sequence.
    fn path(&mut self, steps: &'a [Node], keep_singleton: bool, input: Option<&V<'a>>) -> R<'a> {
        // A lone field of one object, the commonest path of all (`price` in a predicate).
        if let [step] = steps
            && !keep_singleton
            && let Some(name) = plain_name(step)
            && !input.is_some_and(V::is_array)
        {
            self.tick()?;
            return Ok(input.and_then(|v| v.field(name)));
        }
        let first_var = matches!(steps[0].kind, Kind::Var(_) | Kind::Context | Kind::Root);
        let mut current = match input {
            Some(v) if v.is_array() && !first_var => Seq::Many(v.clone()),
            other => Seq::One(other.cloned()),
        };
        let last = steps.len() - 1;
        for (i, step) in steps.iter().enumerate() {
            current = if i == 0 && step.cons_array {
                let input = current.into_value();
                match self.eval(step, Some(&input))? {
                    None => Seq::Empty,
                    // What the next step loops over: a non-array has no items.
                    Some(v) if v.is_array() => Seq::Raw(v),
                    Some(v) if i == last => Seq::One(Some(v)),
                    Some(_) => Seq::Many(seq(vec![])),
                }
            } else {
                self.step(step, current, i == last)?
            };
            if current.is_empty() {
                break;
            }
        }
        Ok(match current {
            Seq::Empty => None,
            Seq::One(None) => None,
            Seq::One(Some(v)) if !keep_singleton => Some(v),
            Seq::One(Some(v)) => {
                let s = seq(vec![v]);
                keep(&s);
                Some(s)
            }
            Seq::Raw(v) if keep_singleton && v.is_cons() && !v.is_seq() => {
                let s = seq(vec![v]);
                keep(&s);
                Some(s)
            }
            Seq::Raw(v) | Seq::Many(v) if v.is_seq() => {
                if keep_singleton {
                    keep(&v);
                }
                Some(v)
            }
            Seq::Raw(v) => Some(v),
            Seq::Many(v) => {
                let s = seq(v.items().collect());
                if keep_singleton {
                    keep(&s);
                }
                Some(s)
            }
        })
    }

    /// `evaluateStep`: the step evaluated for each item of the input sequence.
    fn step(&mut self, step: &'a Node, input: Seq<'a>, last: bool) -> Res<Seq<'a>> {
        let name = plain_name(step);
        let one = |ev: &mut Self, item: Option<&V<'a>>| -> R<'a> {
            if let Some(name) = name
                && !item.is_some_and(V::is_array)
            {
                ev.tick()?;
                return Ok(item.and_then(|v| v.field(name)));
            }
            let mut r = ev.eval(step, item)?;
            for stage in &step.stages {
                r = ev.filter(stage, r)?;
            }
            Ok(r)
        };
        let results: Vec<V<'a>> = match &input {
            Seq::Empty => return Ok(Seq::Empty),
            Seq::One(item) => {
                let Some(r) = one(self, item.as_ref())? else {
                    return Ok(Seq::Empty);
                };
                return Ok(if last && r.is_array() && !r.is_seq() {
                    Seq::Raw(r)
                } else if !r.is_array() || r.is_cons() {
                    Seq::One(Some(r))
                } else {
                    Seq::Many(r)
                });
            }
            // jsonata-js loops over `input.length`, which a non-array lacks.
            Seq::Raw(v) | Seq::Many(v) if !v.is_array() => return Ok(Seq::Empty),
            Seq::Raw(v) | Seq::Many(v) => {
                let mut results = Vec::with_capacity(v.len());
                for item in v.items() {
                    if let Some(r) = one(self, Some(&item))? {
                        results.push(r);
                    }
                }
                results
            }
        };
        if last && results.len() == 1 && results[0].is_array() && !results[0].is_seq() {
            return Ok(Seq::Raw(results.into_iter().next().unwrap_or(V::Null)));
        }
        let mut out = if results.iter().all(|r| !r.is_array() || r.is_cons()) {
            results
        } else {
            let mut out = Vec::with_capacity(results.len());
            for r in results {
                if !r.is_array() || r.is_cons() {
                    out.push(r);
                } else {
                    out.extend(r.items());
                }
            }
            out
        };
        self.check_array(out.len())?;
        Ok(match out.len() {
            0 => Seq::Empty,
            1 => Seq::One(out.pop()),
            _ => Seq::Many(seq(out)),
        })
    }

    /// `evaluateFilter`.
    fn filter(&mut self, predicate: &'a Node, input: Option<V<'a>>) -> R<'a> {
        let (array, len) = match &input {
            Some(v) if v.is_array() => (true, v.len()),
            _ => (false, 1),
        };
        let item_at = |i: usize| -> Option<V<'a>> {
            if array {
                input.as_ref().and_then(|v| v.item(i))
            } else {
                input.clone()
            }
        };
        if let Kind::Num(x) = predicate.kind
            && predicate.predicate.is_empty()
            && predicate.stages.is_empty()
        {
            let mut index = x.floor();
            if index < 0.0 {
                index += len as f64;
            }
            let item = if index >= 0.0 && index < len as f64 {
                item_at(index as usize)
            } else {
                None
            };
            return Ok(Some(match item {
                Some(item) if item.is_array() => item,
                Some(item) => seq(vec![item]),
                None => seq(vec![]),
            }));
        }
        let mut out = Vec::with_capacity(len);
        let quick = field_comparison(predicate);
        for index in 0..len {
            let item = item_at(index);
            let r = match quick {
                Some((op, name, lit)) if !item.as_ref().is_some_and(V::is_array) => {
                    self.compare_field(op, name, lit, item.as_ref())?
                }
                _ => self.eval(predicate, item.as_ref())?,
            };
            // How many times the item is kept: once per index in the predicate that names it.
            let times = match &r {
                Some(V::Bool(b)) => usize::from(*b),
                Some(v) if v.numeric().is_some() => usize::from(at(v.numeric(), index, len as f64)),
                Some(v) if v.is_array() && v.items().all(|i| i.as_num().is_some()) => v
                    .items()
                    .filter(|i| at(i.as_num(), index, len as f64))
                    .count(),
                other => usize::from(boolean(other) == Some(true)),
            };
            if let Some(item) = item {
                for _ in 0..times {
                    out.push(item.clone());
                }
            }
        }
        Ok(Some(seq(out)))
    }

    /// `evaluateGroupExpression` without a group-by: `{key: value, …}` over each input item.
    fn object(&mut self, pairs: &'a [(Node, Node)], input: Option<&V<'a>>) -> Res<V<'a>> {
        let items: Vec<Option<V<'a>>> = match input {
            Some(v) if v.is_array() && v.len() > 0 => v.items().map(Some).collect(),
            Some(v) if v.is_array() => vec![None],
            other => vec![other.cloned()],
        };
        // (key, data, pair index)
        let mut groups: Vec<(String, Option<V<'a>>, usize)> = Vec::new();
        for item in &items {
            for (p, (k, _)) in pairs.iter().enumerate() {
                let key = self.eval(k, item.as_ref())?;
                let key = match key {
                    None => continue,
                    Some(k) => match k.as_str() {
                        Some(s) => s.to_owned(),
                        None => return Err(error("T1003").with("value", k.to_json())),
                    },
                };
                match groups.iter_mut().find(|(g, _, _)| *g == key) {
                    Some(g) => {
                        if g.2 != p {
                            return Err(error("D1009").with("value", key));
                        }
                        g.1 = append(g.1.take(), item.clone());
                    }
                    None => groups.push((key, item.clone(), p)),
                }
            }
        }
        let mut out = Vec::with_capacity(groups.len());
        for (key, data, p) in groups {
            if let Some(v) = self.eval(&pairs[p].1, data.as_ref())? {
                out.push((key, v));
            }
        }
        Ok(V::Obj(Rc::new(out)))
    }

    fn binary(&mut self, op: Op, lhs: &'a Node, rhs: &'a Node, input: Option<&V<'a>>) -> R<'a> {
        let l = self.operand(lhs, input)?;
        match op {
            Op::And => {
                if boolean(&l) != Some(true) {
                    return Ok(Some(V::Bool(false)));
                }
                let r = self.eval(rhs, input)?;
                return Ok(Some(V::Bool(boolean(&r) == Some(true))));
            }
            Op::Or => {
                if boolean(&l) == Some(true) {
                    return Ok(Some(V::Bool(true)));
                }
                let r = self.eval(rhs, input)?;
                return Ok(Some(V::Bool(boolean(&r) == Some(true))));
            }
            _ => {}
        }
        let r = self.operand(rhs, input)?;
        match op {
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => {
                let num = |v: &Option<V<'a>>, code: &str| -> Res<Option<f64>> {
                    match v {
                        None => Ok(None),
                        Some(v) => match v.numeric() {
                            Some(x) => Ok(Some(x)),
                            None => Err(error(code)
                                .with("value", v.to_json())
                                .with("token", op.symbol())),
                        },
                    }
                };
                let x = num(&l, "T2001")?;
                let y = num(&r, "T2002")?;
                let (Some(x), Some(y)) = (x, y) else {
                    return Ok(None);
                };
                finite(match op {
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    Op::Mul => x * y,
                    Op::Div => x / y,
                    _ => x % y,
                })
            }
            Op::Eq | Op::Ne => {
                let (Some(l), Some(r)) = (&l, &r) else {
                    return Ok(Some(V::Bool(false)));
                };
                let eq = deep_equal(l, r);
                Ok(Some(V::Bool(if op == Op::Eq { eq } else { !eq })))
            }
            Op::Lt | Op::Le | Op::Gt | Op::Ge => compare(op, &l, &r),
            Op::Concat => {
                let guess =
                    |v: &Option<V<'a>>| v.as_ref().map_or(0, |v| v.as_str().map_or(16, str::len));
                let mut s = String::with_capacity(guess(&l) + guess(&r));
                if let Some(l) = &l {
                    to_string_into(l, &mut s)?;
                }
                if let Some(r) = &r {
                    to_string_into(r, &mut s)?;
                }
                self.check_string(s.len())?;
                Ok(Some(text(s)))
            }
            Op::In => {
                let (Some(l), Some(r)) = (&l, &r) else {
                    return Ok(Some(V::Bool(false)));
                };
                let found = if r.is_array() {
                    r.items().any(|i| strict_equal(l, &i))
                } else {
                    strict_equal(l, r)
                };
                Ok(Some(V::Bool(found)))
            }
            Op::Range => {
                let int = |v: &Option<V<'a>>, code: &str| -> Res<Option<f64>> {
                    match v {
                        None => Ok(None),
                        Some(v) => match v.as_num() {
                            Some(x) if x.is_finite() && x.fract() == 0.0 => Ok(Some(x)),
                            _ => Err(error(code).with("value", v.to_json())),
                        },
                    }
                };
                let x = int(&l, "T2003")?;
                let y = int(&r, "T2004")?;
                let (Some(x), Some(y)) = (x, y) else {
                    return Ok(None);
                };
                if x > y {
                    return Ok(None);
                }
                let size = y - x + 1.0;
                if size > 1e7 {
                    return Err(error("D2014").with("value", json_number(size)));
                }
                self.check_array(size as usize)?;
                Ok(Some(seq((x as i64..=y as i64)
                    .map(|n| V::Num(n as f64))
                    .collect())))
            }
            Op::And | Op::Or => Ok(None),
        }
    }

    fn call(&mut self, f: Builtin, args: &'a [Node], input: Option<&V<'a>>) -> R<'a> {
        let mut values: Vec<Option<V<'a>>> = Vec::with_capacity(args.len().max(1));
        for a in args {
            values.push(self.operand(a, input)?);
        }
        let name = name_of(f);
        let mut values = validate(signature(f), values, input, name)?;
        let context = |values: &mut Vec<Option<V<'a>>>, allowed: &[u8]| -> Res<()> {
            if values.is_empty() {
                let symbol = input.map_or(b'm', V::symbol);
                if !allowed.contains(&symbol) {
                    return Err(error("T0411")
                        .with("value", input.map_or(Value::Null, V::to_json))
                        .with("index", 1)
                        .with("token", name));
                }
                values.push(input.cloned());
            }
            Ok(())
        };
        match f {
            Builtin::Count => {
                let a = self.array_arg(&values, 0, None, name)?;
                Ok(Some(V::Num(a.map_or(0, |a| a.len()) as f64)))
            }
            Builtin::Sum | Builtin::Max | Builtin::Min | Builtin::Average => {
                let Some(a) = self.array_arg(&values, 0, Some(b'n'), name)? else {
                    return Ok(None);
                };
                let nums = a.items().filter_map(|i| i.as_num());
                let r = match f {
                    Builtin::Sum => nums.sum(),
                    _ if a.len() == 0 => return Ok(None),
                    Builtin::Max => nums.fold(f64::NEG_INFINITY, f64::max),
                    Builtin::Min => nums.fold(f64::INFINITY, f64::min),
                    _ => nums.sum::<f64>() / a.len() as f64,
                };
                finite(r)
            }
            Builtin::Join => {
                let sep = match values.get(1) {
                    Some(v) => self.str_arg(v, 2, name)?,
                    None => None,
                };
                let Some(a) = self.array_arg(&values, 0, Some(b's'), name)? else {
                    return Ok(None);
                };
                let sep = sep.unwrap_or("");
                let size = a
                    .items()
                    .map(|i| i.as_str().map_or(0, str::len) + sep.len())
                    .sum();
                let mut s = String::with_capacity(size);
                for (i, item) in a.items().enumerate() {
                    if i > 0 {
                        s.push_str(sep);
                    }
                    s.push_str(item.as_str().unwrap_or(""));
                }
                self.check_string(s.len())?;
                Ok(Some(text(s)))
            }
            Builtin::String => {
                context(&mut values, b"asnblom")?;
                match &values[0] {
                    None => Ok(None),
                    Some(v) if v.as_str().is_some() => Ok(Some(v.clone())),
                    Some(v) => {
                        if let Some(n) = v.as_num()
                            && !n.is_finite()
                        {
                            return Err(error("D3001").with("value", json_number(n)));
                        }
                        let mut s = String::new();
                        to_string_into(v, &mut s)?;
                        Ok(Some(text(s)))
                    }
                }
            }
            Builtin::Uppercase | Builtin::Lowercase | Builtin::Trim | Builtin::Length => {
                context(&mut values, b"sm")?;
                let Some(s) = self.str_arg(&values[0], 1, name)? else {
                    return Ok(None);
                };
                Ok(Some(match f {
                    Builtin::Uppercase => text(s.to_uppercase()),
                    Builtin::Lowercase => text(s.to_lowercase()),
                    Builtin::Length => V::Num(s.chars().count() as f64),
                    _ => text(trim(s)),
                }))
            }
            Builtin::Substring => {
                // `<s-nn?:s>`: two arguments that start with a number are start and length,
                // read from the context.
                if values.len() == 2 && values[0].as_ref().is_some_and(|v| v.symbol() == b'n') {
                    let symbol = input.map_or(b'm', V::symbol);
                    if symbol != b's' && symbol != b'm' {
                        return Err(error("T0411")
                            .with("value", input.map_or(Value::Null, V::to_json))
                            .with("index", 1)
                            .with("token", name));
                    }
                    values.insert(0, input.cloned());
                }
                let s = self.str_arg(&values[0], 1, name)?;
                let start = self.num_arg(&values[1], 2, name)?;
                let length = match values.get(2) {
                    Some(v) => self.num_arg(v, 3, name)?,
                    None => None,
                };
                let Some(s) = s else {
                    return Ok(None);
                };
                let has_length = values.get(2).is_some_and(Option::is_some);
                Ok(Some(text(substring(s, start, length, has_length))))
            }
            Builtin::Contains => {
                let s = self.str_arg(&values[0], 1, name)?;
                let token = match &values[1] {
                    Some(v) if v.as_str().is_some() => v.as_str().unwrap_or(""),
                    None => return Ok(None),
                    other => {
                        return Err(error("T0410")
                            .with("index", 2)
                            .with("token", name)
                            .with("value", other.as_ref().map_or(Value::Null, V::to_json)));
                    }
                };
                Ok(s.map(|s| V::Bool(s.contains(token))))
            }
            Builtin::Exists => Ok(Some(V::Bool(values[0].is_some()))),
            Builtin::Boolean | Builtin::Not => {
                context(&mut values, b"asnblfom")?;
                Ok(boolean(&values[0]).map(|b| V::Bool(if f == Builtin::Not { !b } else { b })))
            }
            Builtin::Append => {
                let b = values.pop().unwrap_or(None);
                let a = values.pop().unwrap_or(None);
                let r = append(a, b);
                if let Some(r) = &r {
                    self.check_array(r.len())?;
                }
                Ok(r)
            }
            Builtin::Merge => {
                let Some(a) = self.array_arg(&values, 0, Some(b'o'), name)? else {
                    return Ok(None);
                };
                let mut out: Vec<(String, V<'a>)> = Vec::new();
                let mut index: std::collections::HashMap<String, usize> = Default::default();
                for object in a.items() {
                    let mut put = |k: &str, v: V<'a>| match index.get(k) {
                        Some(&i) => out[i].1 = v,
                        None => {
                            index.insert(k.to_owned(), out.len());
                            out.push((k.to_owned(), v));
                        }
                    };
                    match &object {
                        V::J(Value::Object(m)) => m.iter().for_each(|(k, v)| put(k, V::J(v))),
                        V::Obj(o) => o.iter().for_each(|(k, v)| put(k, v.clone())),
                        _ => {}
                    }
                }
                Ok(Some(V::Obj(Rc::new(out))))
            }
            Builtin::SubstringBefore | Builtin::SubstringAfter => {
                // `<s-s:s>`: one argument is `chars`, the string is the context.
                if values.len() == 1 {
                    let symbol = input.map_or(b'm', V::symbol);
                    if symbol != b's' && symbol != b'm' {
                        return Err(error("T0411")
                            .with("value", input.map_or(Value::Null, V::to_json))
                            .with("index", 1)
                            .with("token", name));
                    }
                    values.insert(0, input.cloned());
                }
                let s = self.str_arg(&values[0], 1, name)?;
                let chars = self.str_arg(&values[1], 2, name)?;
                let Some(s) = s else {
                    return Ok(None);
                };
                let part = match chars.and_then(|c| s.find(c).map(|p| (p, c.len()))) {
                    None => s,
                    Some((pos, _)) if f == Builtin::SubstringBefore => &s[..pos],
                    Some((pos, len)) => &s[pos + len..],
                };
                Ok(Some(text(part)))
            }
            Builtin::Split => {
                let s = self.str_arg(&values[0], 1, name)?;
                let separator = match &values[1] {
                    None => None,
                    Some(v) => match v.as_str() {
                        Some(sep) => Some(sep),
                        None => {
                            return Err(error("T0410")
                                .with("index", 2)
                                .with("token", name)
                                .with("value", v.to_json()));
                        }
                    },
                };
                let limit = match values.get(2) {
                    Some(v) => self.num_arg(v, 3, name)?,
                    None => None,
                };
                let Some(s) = s else {
                    return Ok(None);
                };
                if let Some(l) = limit
                    && l < 0.0
                {
                    return Err(error("D3020").with("value", l).with("index", 3));
                }
                let Some(sep) = separator else {
                    return Ok(None);
                };
                let max = limit.map_or(usize::MAX, |l| l as usize);
                let parts: Vec<V<'a>> = if sep.is_empty() {
                    s.chars().take(max).map(|c| text(c.to_string())).collect()
                } else {
                    s.split(sep).take(max).map(text).collect()
                };
                self.check_array(parts.len())?;
                Ok(Some(plain(parts)))
            }
            Builtin::Lookup => {
                let key = self.str_arg(&values[1], 2, name)?.unwrap_or_default();
                Ok(values[0].as_ref().and_then(|v| lookup(v, key)))
            }
            Builtin::Reverse => {
                let Some(a) = self.array_arg(&values, 0, None, name)? else {
                    return Ok(None);
                };
                if a.len() > 1 {
                    let mut items: Vec<V<'a>> = a.items().collect();
                    items.reverse();
                    Ok(Some(plain(items)))
                } else {
                    Ok(Some(a))
                }
            }
            Builtin::Now => {
                let ts = jiff::Timestamp::from_millisecond(self.now_millis)
                    .map_err(|_| error("D1001").with("value", self.now_millis))?;
                Ok(Some(text(
                    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                )))
            }
            Builtin::Millis => Ok(Some(V::Num(self.now_millis as f64))),
            Builtin::Floor | Builtin::Ceil | Builtin::Abs => {
                context(&mut values, b"nm")?;
                let Some(x) = self.num_arg(&values[0], 1, name)? else {
                    return Ok(None);
                };
                finite(match f {
                    Builtin::Floor => x.floor(),
                    Builtin::Ceil => x.ceil(),
                    _ => x.abs(),
                })
            }
        }
    }

    fn str_arg<'b>(&self, v: &'b Option<V<'a>>, index: usize, name: &str) -> Res<Option<&'b str>> {
        match v {
            None => Ok(None),
            Some(v) => match v.as_str() {
                Some(s) => Ok(Some(s)),
                None => Err(error("T0410")
                    .with("index", index)
                    .with("token", name)
                    .with("value", v.to_json())),
            },
        }
    }

    fn num_arg(&self, v: &Option<V<'a>>, index: usize, name: &str) -> Res<Option<f64>> {
        match v {
            None => Ok(None),
            Some(v) => match v.as_num() {
                Some(x) => Ok(Some(x)),
                None => Err(error("T0410")
                    .with("index", index)
                    .with("token", name)
                    .with("value", v.to_json())),
            },
        }
    }

    /// An `a` or `a<t>` parameter: any value, a non-array one taken as an array of itself.
    fn array_arg(
        &self,
        values: &[Option<V<'a>>],
        index: usize,
        subtype: Option<u8>,
        name: &str,
    ) -> Res<Option<V<'a>>> {
        let Some(v) = &values[index] else {
            return Ok(None);
        };
        let bad = || {
            error("T0412")
                .with("index", index + 1)
                .with("token", name)
                .with("value", v.to_json())
                .with(
                    "type",
                    match subtype {
                        Some(b'n') => "number",
                        Some(b's') => "string",
                        Some(b'o') => "object",
                        _ => "value",
                    },
                )
        };
        if v.is_array() {
            if let Some(t) = subtype
                && v.len() > 0
            {
                let first = v.item(0).map_or(b'm', |i| i.symbol());
                if first != t || v.items().any(|i| i.symbol() != first) {
                    return Err(bad());
                }
            }
            Ok(Some(v.clone()))
        } else {
            if let Some(t) = subtype
                && v.symbol() != t
            {
                return Err(bad());
            }
            Ok(Some(plain(vec![v.clone()])))
        }
    }
}

/// A parameter of a function signature, as jsonata-js's `signature.js` reads it.
struct Param {
    /// The symbols it accepts (`m` is undefined).
    types: &'static [u8],
    /// `?`, or `-` (the context stands in when it is missing).
    optional: bool,
    context: bool,
    /// `a<n>`, `a<s>`, `a<o>`: the type of the items.
    subtype: Option<u8>,
}

const fn p(types: &'static [u8]) -> Param {
    Param {
        types,
        optional: false,
        context: false,
        subtype: None,
    }
}
const fn opt(types: &'static [u8]) -> Param {
    Param {
        optional: true,
        ..p(types)
    }
}
const fn ctx(types: &'static [u8]) -> Param {
    Param {
        optional: true,
        context: true,
        ..p(types)
    }
}
const fn arr(subtype: Option<u8>) -> Param {
    Param { subtype, ..p(ANY) }
}

const ANY: &[u8] = b"asnblfom";
const S: &[u8] = b"sm";
const N: &[u8] = b"nm";
const B: &[u8] = b"bm";
const SF: &[u8] = b"sfm";

fn signature(f: Builtin) -> &'static [Param] {
    match f {
        Builtin::Count | Builtin::Reverse => {
            const P: &[Param] = &[arr(None)];
            P
        }
        Builtin::Sum | Builtin::Max | Builtin::Min | Builtin::Average => {
            const P: &[Param] = &[arr(Some(b'n'))];
            P
        }
        Builtin::Merge => {
            const P: &[Param] = &[arr(Some(b'o'))];
            P
        }
        Builtin::Join => {
            const P: &[Param] = &[arr(Some(b's')), opt(S)];
            P
        }
        Builtin::String => {
            const P: &[Param] = &[ctx(ANY), opt(B)];
            P
        }
        Builtin::Uppercase | Builtin::Lowercase | Builtin::Trim | Builtin::Length => {
            const P: &[Param] = &[ctx(S)];
            P
        }
        Builtin::Substring => {
            const P: &[Param] = &[ctx(S), p(N), opt(N)];
            P
        }
        Builtin::Contains => {
            const P: &[Param] = &[ctx(S), p(SF)];
            P
        }
        Builtin::Exists => {
            const P: &[Param] = &[p(ANY)];
            P
        }
        Builtin::Boolean | Builtin::Not => {
            const P: &[Param] = &[ctx(ANY)];
            P
        }
        Builtin::Append => {
            const P: &[Param] = &[p(ANY), p(ANY)];
            P
        }
        Builtin::SubstringBefore | Builtin::SubstringAfter => {
            const P: &[Param] = &[ctx(S), p(S)];
            P
        }
        Builtin::Split => {
            const P: &[Param] = &[ctx(S), p(SF), opt(N)];
            P
        }
        Builtin::Lookup => {
            const P: &[Param] = &[ctx(ANY), p(S)];
            P
        }
        Builtin::Now => {
            const P: &[Param] = &[opt(S), opt(S)];
            P
        }
        Builtin::Millis => {
            const P: &[Param] = &[];
            P
        }
        Builtin::Floor | Builtin::Ceil | Builtin::Abs => {
            const P: &[Param] = &[ctx(N)];
            P
        }
    }
}

fn symbol_of(v: &Option<V<'_>>) -> u8 {
    v.as_ref().map_or(b'm', V::symbol)
}

/// Which parameters take an argument (bit `i` for parameter `i`), in the order a regular
/// expression tries them (an optional one first takes, then skips): the first assignment that
/// uses every argument.
fn assign(params: &[Param], symbols: &[u8], pi: usize, ai: usize, taken: &mut u8) -> bool {
    if pi == params.len() {
        return ai == symbols.len();
    }
    if ai < symbols.len() && params[pi].types.contains(&symbols[ai]) {
        *taken |= 1 << pi;
        if assign(params, symbols, pi + 1, ai + 1, taken) {
            return true;
        }
        *taken &= !(1 << pi);
    }
    params[pi].optional && assign(params, symbols, pi + 1, ai, taken)
}

/// How many symbols the first `end` parameters match from the start, as `String.match` of
/// the partial pattern finds it; `None` when they match nothing.
fn prefix(params: &[Param], symbols: &[u8], pi: usize, end: usize, ai: usize) -> Option<usize> {
    if pi == end {
        return Some(ai);
    }
    if ai < symbols.len()
        && params[pi].types.contains(&symbols[ai])
        && let Some(n) = prefix(params, symbols, pi + 1, end, ai + 1)
    {
        return Some(n);
    }
    if params[pi].optional {
        return prefix(params, symbols, pi + 1, end, ai);
    }
    None
}

/// jsonata-js's `validate`: the arguments checked against the signature, the context put in
/// for a missing context parameter, a non-array given for an array wrapped in one.
fn validate<'a>(
    params: &[Param],
    args: Vec<Option<V<'a>>>,
    context: Option<&V<'a>>,
    name: &str,
) -> Res<Vec<Option<V<'a>>>> {
    // Calls take at most three arguments (see `Builtin::of`).
    let mut buffer = [0u8; 4];
    let n = args.len().min(buffer.len());
    for (b, a) in buffer.iter_mut().zip(&args) {
        *b = symbol_of(a);
    }
    let symbols = &buffer[..n];
    let mut taken = 0u8;
    if !assign(params, symbols, 0, 0, &mut taken) {
        let mut good = 0;
        for end in 1..=params.len() {
            match prefix(params, symbols, 0, end, 0) {
                Some(n) => good = n,
                None => break,
            }
        }
        return Err(error("T0410")
            .with("index", good + 1)
            .with("token", name)
            .with(
                "value",
                args.get(good)
                    .and_then(|a| a.as_ref().map(V::to_json))
                    .unwrap_or(Value::Null),
            ));
    }
    let all = (1u8 << params.len()) - 1;
    let mut out = if taken == all {
        Vec::new()
    } else {
        Vec::with_capacity(params.len())
    };
    let mut ai = 0;
    for (i, param) in params.iter().enumerate() {
        if taken & (1 << i) == 0 {
            if param.context {
                if !param.types.contains(&context.map_or(b'm', V::symbol)) {
                    return Err(error("T0411")
                        .with("index", ai + 1)
                        .with("token", name)
                        .with("value", context.map_or(Value::Null, V::to_json)));
                }
                out.push(context.cloned());
            } else {
                out.push(args.get(ai).cloned().flatten());
                ai += 1;
            }
            continue;
        }
        if param.types == ANY
            && param.subtype.is_some()
            && let Some(v) = &args[ai]
        {
            let sub = param.subtype.unwrap_or(b'x');
            let ok = if v.is_array() {
                v.len() == 0 || {
                    let first = v.item(0).map_or(b'm', |i| i.symbol());
                    first == sub && v.items().all(|i| i.symbol() == first)
                }
            } else {
                v.symbol() == sub
            };
            if !ok {
                return Err(error("T0412")
                    .with("index", ai + 1)
                    .with("token", name)
                    .with("value", v.to_json())
                    .with(
                        "type",
                        match sub {
                            b'n' => "number",
                            b's' => "string",
                            b'o' => "object",
                            _ => "value",
                        },
                    ));
            }
        }
        if taken != all {
            out.push(args[ai].clone());
        }
        ai += 1;
    }
    // Every parameter took its argument: the arguments stand as they are.
    Ok(if taken == all { args } else { out })
}

/// The sequence between the steps of a path.
enum Seq<'a> {
    /// No items.
    Empty,
    /// One item, or jsonata-js's `createSequence(undefined)`, which holds undefined.
    One(Option<V<'a>>),
    /// The items of an array value (a sequence, or a plain array to be read as one).
    Many(V<'a>),
    /// An array that a last step gave alone, returned as it is.
    Raw(V<'a>),
}

impl<'a> Seq<'a> {
    fn is_empty(&self) -> bool {
        match self {
            Seq::Empty => true,
            Seq::One(_) => false,
            Seq::Many(v) | Seq::Raw(v) => v.is_array() && v.len() == 0,
        }
    }

    /// The sequence as a value, for a step that reads it whole.
    fn into_value(self) -> V<'a> {
        match self {
            Seq::Empty | Seq::One(None) => seq(vec![]),
            Seq::One(Some(v)) => seq(vec![v]),
            Seq::Many(v) | Seq::Raw(v) => v,
        }
    }
}

/// A predicate `name <op> literal` (a comparison of one field with a number or a string),
/// with no filters or `[]` anywhere in it.
fn field_comparison(n: &Node) -> Option<(Op, &str, &Node)> {
    let Kind::Binary(op @ (Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge), lhs, rhs) =
        &n.kind
    else {
        return None;
    };
    let bare = |n: &Node| n.stages.is_empty() && n.predicate.is_empty() && !n.keep_array;
    if !bare(n) || !bare(lhs) || !bare(rhs) || !matches!(rhs.kind, Kind::Num(_) | Kind::Str(_)) {
        return None;
    }
    match &lhs.kind {
        Kind::Path {
            steps,
            keep_singleton: false,
        } => match steps.as_slice() {
            [step] => plain_name(step).map(|name| (*op, name, &**rhs)),
            _ => None,
        },
        _ => None,
    }
}

/// The name of a step that only reads a field: no filter, no `[]`.
fn plain_name(n: &Node) -> Option<&str> {
    match &n.kind {
        Kind::Name(name)
            if n.stages.is_empty() && n.predicate.is_empty() && !n.keep_array && !n.cons_array =>
        {
            Some(name)
        }
        _ => None,
    }
}

fn keep(v: &V<'_>) {
    if let V::Arr(a) = v {
        a.keep.set(true);
    }
}

fn at(n: Option<f64>, index: usize, len: f64) -> bool {
    let Some(n) = n else { return false };
    let mut i = n.floor();
    if i < 0.0 {
        i += len;
    }
    i == index as f64
}

fn name_of(f: Builtin) -> &'static str {
    match f {
        Builtin::Count => "count",
        Builtin::Sum => "sum",
        Builtin::Max => "max",
        Builtin::Min => "min",
        Builtin::Average => "average",
        Builtin::Join => "join",
        Builtin::String => "string",
        Builtin::Uppercase => "uppercase",
        Builtin::Lowercase => "lowercase",
        Builtin::Substring => "substring",
        Builtin::Length => "length",
        Builtin::Trim => "trim",
        Builtin::Contains => "contains",
        Builtin::Exists => "exists",
        Builtin::Boolean => "boolean",
        Builtin::Not => "not",
        Builtin::Append => "append",
        Builtin::Merge => "merge",
        Builtin::SubstringBefore => "substringBefore",
        Builtin::SubstringAfter => "substringAfter",
        Builtin::Split => "split",
        Builtin::Lookup => "lookup",
        Builtin::Reverse => "reverse",
        Builtin::Now => "now",
        Builtin::Millis => "millis",
        Builtin::Floor => "floor",
        Builtin::Ceil => "ceil",
        Builtin::Abs => "abs",
    }
}

fn compare<'a>(op: Op, l: &Option<V<'a>>, r: &Option<V<'a>>) -> R<'a> {
    // Two numbers, the usual case, first.
    if let (Some(x), Some(y)) = (
        l.as_ref().and_then(V::as_num),
        r.as_ref().and_then(V::as_num),
    ) {
        return Ok(Some(V::Bool(match op {
            Op::Lt => x < y,
            Op::Le => x <= y,
            Op::Gt => x > y,
            _ => x >= y,
        })));
    }
    let comparable = |v: &Option<V<'a>>| match v {
        None => true,
        Some(v) => v.as_str().is_some() || v.as_num().is_some(),
    };
    if !comparable(l) || !comparable(r) {
        let l_ok = l
            .as_ref()
            .is_some_and(|v| v.as_str().is_some() || v.as_num().is_some());
        let bad = if l_ok { r } else { l };
        return Err(error("T2010")
            .with("value", bad.as_ref().map_or(Value::Null, V::to_json))
            .with("token", op.symbol()));
    }
    let (Some(l), Some(r)) = (l, r) else {
        return Ok(None);
    };
    let ord = match (l.as_num(), r.as_num(), l.as_str(), r.as_str()) {
        (Some(x), Some(y), _, _) => match x.partial_cmp(&y) {
            Some(o) => o,
            None => return Ok(Some(V::Bool(false))),
        },
        (_, _, Some(x), Some(y)) => x.encode_utf16().cmp(y.encode_utf16()),
        _ => {
            return Err(error("T2009")
                .with("value", l.to_json())
                .with("value2", r.to_json())
                .with("token", op.symbol()));
        }
    };
    Ok(Some(V::Bool(match op {
        Op::Lt => ord.is_lt(),
        Op::Le => ord.is_le(),
        Op::Gt => ord.is_gt(),
        _ => ord.is_ge(),
    })))
}

/// `isDeepEqual`.
fn deep_equal(a: &V<'_>, b: &V<'_>) -> bool {
    if let (Some(x), Some(y)) = (a.as_num(), b.as_num()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_str(), b.as_str()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_bool(), b.as_bool()) {
        return x == y;
    }
    if a.is_null() && b.is_null() {
        return true;
    }
    if a.is_array() && b.is_array() {
        return a.len() == b.len() && a.items().zip(b.items()).all(|(x, y)| deep_equal(&x, &y));
    }
    if a.is_object() && b.is_object() {
        let keys = |v: &V<'_>| -> Vec<String> {
            let mut k: Vec<String> = match v {
                V::J(Value::Object(m)) => m.keys().cloned().collect(),
                V::Obj(o) => o.iter().map(|(k, _)| k.clone()).collect(),
                _ => Vec::new(),
            };
            k.sort();
            k
        };
        let (ka, kb) = (keys(a), keys(b));
        return ka == kb
            && ka.iter().all(|k| match (a.field(k), b.field(k)) {
                (Some(x), Some(y)) => deep_equal(&x, &y),
                _ => false,
            });
    }
    false
}

/// JavaScript's `===`: values for scalars, identity for arrays and objects.
fn strict_equal(a: &V<'_>, b: &V<'_>) -> bool {
    if let (Some(x), Some(y)) = (a.as_num(), b.as_num()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_str(), b.as_str()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_bool(), b.as_bool()) {
        return x == y;
    }
    if a.is_null() && b.is_null() {
        return true;
    }
    match (a, b) {
        (V::J(x), V::J(y)) => std::ptr::eq(*x, *y),
        (V::Arr(x), V::Arr(y)) => Rc::ptr_eq(x, y),
        (V::Obj(x), V::Obj(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// `fn.string` of a defined value, appended to `out`: D3001 for NaN.
fn to_string_into(v: &V<'_>, out: &mut String) -> Res<()> {
    if let Some(s) = v.as_str() {
        out.push_str(s);
    } else if let Some(n) = v.as_num()
        && !n.is_finite()
    {
        return Err(error("D3001").with("value", json_number(n)));
    } else {
        write_json(v, out);
    }
    Ok(())
}

/// `JSON.stringify` with numbers rounded to 15 significant digits, as `$string` prints.
fn write_json(v: &V<'_>, out: &mut String) {
    match v {
        V::J(j) => write_json_value(j, out),
        V::Lit(s) => write_json_string(s, out),
        V::Str(s) => write_json_string(s, out),
        V::Num(n) => write_number(*n, out),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Null => out.push_str("null"),
        V::Arr(a) => write_list(out, '[', ']', a.items.iter(), write_json),
        V::Obj(o) => write_list(out, '{', '}', o.iter(), |(k, item), out| {
            write_member(k, out);
            write_json(item, out);
        }),
    }
}

fn write_json_value(j: &Value, out: &mut String) {
    match j {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n.as_f64().unwrap_or(f64::NAN), out),
        Value::String(s) => write_json_string(s, out),
        Value::Array(a) => write_list(out, '[', ']', a.iter(), write_json_value),
        Value::Object(m) => write_list(out, '{', '}', m.iter(), |(k, item), out| {
            write_member(k, out);
            write_json_value(item, out);
        }),
    }
}

/// `open item, item, … close`, each item written by `each`.
fn write_list<T>(
    out: &mut String,
    open: char,
    close: char,
    items: impl Iterator<Item = T>,
    mut each: impl FnMut(T, &mut String),
) {
    out.push(open);
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(item, out);
    }
    out.push(close);
}

/// An object member's key and colon.
fn write_member(key: &str, out: &mut String) {
    write_json_string(key, out);
    out.push(':');
}

fn write_number(n: f64, out: &mut String) {
    if !n.is_finite() {
        out.push_str("null");
        return;
    }
    let n = if n.fract() == 0.0 {
        n
    } else {
        format!("{n:.14e}").parse().unwrap_or(n)
    };
    if n == 0.0 {
        out.push('0');
    } else {
        out.push_str(ryu_js::Buffer::new().format(n));
    }
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `$trim`: runs of spaces, tabs and line breaks become one space; none at either end.
fn trim(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            space = true;
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
    let out = out.strip_prefix(' ').map(str::to_owned).unwrap_or(out);
    out.strip_suffix(' ').map(str::to_owned).unwrap_or(out)
}

/// `$substring` over code points, with JavaScript's `slice` for the bounds.
fn substring(s: &str, start: Option<f64>, length: Option<f64>, has_length: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as f64;
    let slice = |a: f64, b: f64| -> String {
        let clamp = |x: f64| -> usize {
            let x = if x.is_nan() { 0.0 } else { x.trunc() };
            (if x < 0.0 {
                (len + x).max(0.0)
            } else {
                x.min(len)
            }) as usize
        };
        let (a, b) = (clamp(a), clamp(b));
        if b <= a {
            String::new()
        } else {
            chars[a..b].iter().collect()
        }
    };
    let mut start = start.unwrap_or(f64::NAN);
    if len + start < 0.0 {
        start = 0.0;
    }
    if has_length {
        let length = length.unwrap_or(f64::NAN);
        if length <= 0.0 {
            return String::new();
        }
        let end = if start >= 0.0 {
            start + length
        } else {
            len + start + length
        };
        return slice(start, end);
    }
    slice(start, len)
}
