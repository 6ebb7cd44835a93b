//! Our own evaluator for the JSONata that workflows use most, working on `serde_json::Value`
//! where it lies (borrowed, never converted), about five times cheaper than `jlens-core`.
//!
//! [`Program::compile`] translates the tree `jlens-core` parsed into our own one, and refuses
//! (returns `None`) anything it does not cover: lambdas, transforms, regular expressions, `~>`,
//! sorting, grouping, `%`, `@`, `#`, `*`, `**`, and functions other than those in
//! [`Builtin`]. The refusal is decided once per expression; an expression refused here is
//! always evaluated by `jlens-core`, and one accepted here always by this evaluator, except for
//! an evaluation whose bindings hide one of the functions it calls or whose input is an array
//! (decided before it starts).
//!
//! The semantics follow jsonata-js's `evaluate` function by function: sequences and their
//! flattening, singleton collapse, `[]`, predicates, comparisons with its type rules and error
//! codes. Errors carry the codes and message templates of `jlens-core`.

mod eval;

use jlens_core::ast::{BinaryOp, FallbackOp, Node as JNode, NodeKind, Stage};

pub(super) use eval::evaluate;

/// An expression compiled for this evaluator.
#[derive(Debug)]
pub(crate) struct Program {
    root: Node,
    /// The functions it calls: bindings of the same names would hide them.
    calls: Vec<&'static str>,
}

/// The latest `$now()` this evaluator prints (9999-12-30T00:00:00.000Z, inside `jiff`'s
/// range); `jlens-core` prints the rest.
const MAX_NOW: i64 = 253_402_128_000_000;

#[derive(Debug)]
struct Node {
    kind: Kind,
    /// Filters applied to each item of a path step (`stages`).
    stages: Vec<Node>,
    /// Filters applied to the value of a non-path expression (`predicate`).
    predicate: Vec<Node>,
    /// `[]`: a singleton result stays an array.
    keep_array: bool,
    /// An array constructor at the start or end of a path: not flattened.
    cons_array: bool,
}

#[derive(Debug)]
enum Kind {
    Path {
        steps: Vec<Node>,
        keep_singleton: bool,
    },
    Name(String),
    /// `$`: the context.
    Context,
    /// `$$`: the root input.
    Root,
    Var(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Binary(Op, Box<Node>, Box<Node>),
    Negate(Box<Node>),
    Array(Vec<Node>),
    Object(Vec<(Node, Node)>),
    Condition(Box<Node>, Box<Node>, Option<Box<Node>>),
    /// `?:` (false) and `??` (true).
    Fallback(bool, Box<Node>, Box<Node>),
    Block(Vec<Node>),
    Bind(String, Box<Node>),
    Call(Builtin, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
    And,
    Or,
    In,
    Range,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Mod => "%",
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Concat => "&",
            Op::And => "and",
            Op::Or => "or",
            Op::In => "in",
            Op::Range => "..",
        }
    }
}

/// The standard functions this evaluator implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builtin {
    Count,
    Sum,
    Max,
    Min,
    Average,
    Join,
    String,
    Uppercase,
    Lowercase,
    Substring,
    Length,
    Trim,
    Contains,
    Exists,
    Boolean,
    Not,
    Append,
    Merge,
    SubstringBefore,
    SubstringAfter,
    Split,
    Lookup,
    Reverse,
    Now,
    Millis,
    Floor,
    Ceil,
    Abs,
}

impl Builtin {
    /// The function of a name, and the argument counts it is accepted with here. A call with
    /// no argument to a function whose first parameter defaults to the context reads `$`.
    fn of(name: &str) -> Option<(Builtin, &'static str, usize, usize)> {
        Some(match name {
            "count" => (Builtin::Count, "count", 1, 1),
            "sum" => (Builtin::Sum, "sum", 1, 1),
            "max" => (Builtin::Max, "max", 1, 1),
            "min" => (Builtin::Min, "min", 1, 1),
            "average" => (Builtin::Average, "average", 1, 1),
            "join" => (Builtin::Join, "join", 1, 2),
            "string" => (Builtin::String, "string", 0, 1),
            "uppercase" => (Builtin::Uppercase, "uppercase", 0, 1),
            "lowercase" => (Builtin::Lowercase, "lowercase", 0, 1),
            "substring" => (Builtin::Substring, "substring", 2, 3),
            "length" => (Builtin::Length, "length", 0, 1),
            "trim" => (Builtin::Trim, "trim", 0, 1),
            "contains" => (Builtin::Contains, "contains", 2, 2),
            "exists" => (Builtin::Exists, "exists", 1, 1),
            "boolean" => (Builtin::Boolean, "boolean", 0, 1),
            "not" => (Builtin::Not, "not", 0, 1),
            "append" => (Builtin::Append, "append", 2, 2),
            "merge" => (Builtin::Merge, "merge", 1, 1),
            "substringBefore" => (Builtin::SubstringBefore, "substringBefore", 1, 2),
            "substringAfter" => (Builtin::SubstringAfter, "substringAfter", 1, 2),
            "split" => (Builtin::Split, "split", 2, 3),
            "lookup" => (Builtin::Lookup, "lookup", 2, 2),
            "reverse" => (Builtin::Reverse, "reverse", 1, 1),
            "now" => (Builtin::Now, "now", 0, 0),
            "millis" => (Builtin::Millis, "millis", 0, 0),
            "floor" => (Builtin::Floor, "floor", 0, 1),
            "ceil" => (Builtin::Ceil, "ceil", 0, 1),
            "abs" => (Builtin::Abs, "abs", 0, 1),
            _ => return None,
        })
    }
}

/// Names that are functions when not bound: a reference to one (rather than a call) is a
/// function value, which this evaluator does not have.
fn is_function_name(name: &str) -> bool {
    use std::sync::OnceLock;
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            let mut names: Vec<&'static str> = jlens_core::function_catalog()
                .iter()
                .map(|f| f.name)
                .collect();
            names.extend([
                "partition",
                "range",
                "hash",
                "parse",
                "eval",
                "random",
                "uuid",
            ]);
            names
        })
        .contains(&name)
}

impl Program {
    /// Our form of a parsed expression, or `None` when it uses what this evaluator lacks.
    pub(crate) fn compile(ast: &jlens_core::Ast) -> Option<Program> {
        if !ast.slots.is_empty() {
            return None;
        }
        let mut compiler = Compiler {
            calls: Vec::new(),
            bound: Vec::new(),
            depth: 0,
        };
        collect_bound(&ast.root, &mut compiler.bound);
        let root = compiler.node(&ast.root)?;
        // A call to a function that the expression itself binds a variable of that name for.
        if compiler
            .calls
            .iter()
            .any(|c| compiler.bound.iter().any(|b| b == c))
        {
            return None;
        }
        Some(Program {
            root,
            calls: compiler.calls,
        })
    }

    /// Whether this evaluator takes an evaluation with these bindings and this clock: the
    /// bindings leave every function it calls visible, and `$now()` is one it prints.
    pub(crate) fn takes(&self, bindings: &jlens_core::Bindings, now_millis: i64) -> bool {
        self.calls
            .iter()
            .all(|name| bindings.get(name).is_none() && bindings.get_function(name).is_none())
            && (!self.calls.contains(&"now") || (0..=MAX_NOW).contains(&now_millis))
    }
}

fn collect_bound(node: &JNode, out: &mut Vec<String>) {
    node.walk(&mut |n| {
        if let NodeKind::Bind { lhs, .. } = &n.kind
            && let NodeKind::Variable { name } = &lhs.kind
        {
            out.push(name.clone());
        }
    });
}

struct Compiler {
    calls: Vec<&'static str>,
    bound: Vec<String>,
    /// Nesting of the node being compiled: deeper trees are left to `jlens-core`, which grows
    /// its stack as it recurses; this evaluator does not.
    depth: usize,
}

/// The deepest tree this evaluator takes, far deeper than any workflow's expression.
const MAX_DEPTH: usize = 150;

impl Compiler {
    fn filters(&mut self, stages: &[Stage]) -> Option<Vec<Node>> {
        stages
            .iter()
            .map(|s| match s {
                Stage::Filter { expr, .. } => self.node(expr).filter(falsy_without_context),
                Stage::Index { .. } => None,
            })
            .collect()
    }

    fn node(&mut self, n: &JNode) -> Option<Node> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let node = self.node_inner(n);
        self.depth -= 1;
        node
    }

    fn node_inner(&mut self, n: &JNode) -> Option<Node> {
        let a = &n.attrs;
        if a.tuple
            || a.focus.is_some()
            || a.index.is_some()
            || a.group.is_some()
            || a.ancestor.is_some()
            || a.ancestor_label.is_some()
            || !a.seeking_parent.is_empty()
            || n.annotation.is_some()
        {
            return None;
        }
        let kind = match &n.kind {
            NodeKind::Path {
                steps,
                keep_singleton_array,
            } => Kind::Path {
                steps: steps
                    .iter()
                    .map(|s| self.node(s))
                    .collect::<Option<Vec<_>>>()?,
                keep_singleton: *keep_singleton_array,
            },
            NodeKind::Name { name } => Kind::Name(name.clone()),
            NodeKind::Variable { name } => match name.as_str() {
                "" => Kind::Context,
                "$" => Kind::Root,
                other if is_function_name(other) && !self.bound.iter().any(|b| b == other) => {
                    return None;
                }
                other => Kind::Var(other.to_owned()),
            },
            NodeKind::String { value } => Kind::Str(value.clone()),
            NodeKind::Number { value } => Kind::Num(*value),
            NodeKind::Bool { value } => Kind::Bool(*value),
            NodeKind::Null => Kind::Null,
            NodeKind::Binary { op, lhs, rhs } => {
                let op = match op {
                    BinaryOp::Add => Op::Add,
                    BinaryOp::Sub => Op::Sub,
                    BinaryOp::Mul => Op::Mul,
                    BinaryOp::Div => Op::Div,
                    BinaryOp::Mod => Op::Mod,
                    BinaryOp::Eq => Op::Eq,
                    BinaryOp::Ne => Op::Ne,
                    BinaryOp::Lt => Op::Lt,
                    BinaryOp::Le => Op::Le,
                    BinaryOp::Gt => Op::Gt,
                    BinaryOp::Ge => Op::Ge,
                    BinaryOp::Concat => Op::Concat,
                    BinaryOp::And => Op::And,
                    BinaryOp::Or => Op::Or,
                    BinaryOp::In => Op::In,
                    BinaryOp::Range => Op::Range,
                };
                Kind::Binary(op, Box::new(self.node(lhs)?), Box::new(self.node(rhs)?))
            }
            NodeKind::Negate { expr } => Kind::Negate(Box::new(self.node(expr)?)),
            NodeKind::Array { items } => Kind::Array(
                items
                    .iter()
                    .map(|i| self.node(i))
                    .collect::<Option<Vec<_>>>()?,
            ),
            NodeKind::Object { pairs } => Kind::Object(
                pairs
                    .iter()
                    .map(|(k, v)| Some((self.node(k)?, self.node(v)?)))
                    .collect::<Option<Vec<_>>>()?,
            ),
            NodeKind::Condition {
                condition,
                then,
                otherwise,
            } => Kind::Condition(
                Box::new(self.node(condition)?),
                Box::new(self.node(then)?),
                match otherwise {
                    Some(o) => Some(Box::new(self.node(o)?)),
                    None => None,
                },
            ),
            NodeKind::Fallback { op, lhs, rhs } => Kind::Fallback(
                *op == FallbackOp::Coalesce,
                Box::new(self.node(lhs)?),
                Box::new(self.node(rhs)?),
            ),
            NodeKind::Block { exprs, .. } => Kind::Block(
                exprs
                    .iter()
                    .map(|e| self.node(e))
                    .collect::<Option<Vec<_>>>()?,
            ),
            NodeKind::Bind { lhs, rhs } => match &lhs.kind {
                NodeKind::Variable { name } if !name.is_empty() && name != "$" => {
                    Kind::Bind(name.clone(), Box::new(self.node(rhs)?))
                }
                _ => return None,
            },
            NodeKind::Function { procedure, args } => {
                let NodeKind::Variable { name } = &procedure.kind else {
                    return None;
                };
                if !procedure.attrs.stages.is_empty() || !procedure.attrs.predicate.is_empty() {
                    return None;
                }
                let (builtin, static_name, min, max) = Builtin::of(name)?;
                if args.len() < min || args.len() > max {
                    return None;
                }
                if !self.calls.contains(&static_name) {
                    self.calls.push(static_name);
                }
                Kind::Call(
                    builtin,
                    args.iter()
                        .map(|a| self.node(a))
                        .collect::<Option<Vec<_>>>()?,
                )
            }
            _ => return None,
        };
        let node = Node {
            kind,
            stages: self.filters(&a.stages)?,
            predicate: self.filters(&a.predicate)?,
            keep_array: a.keep_array,
            cons_array: a.cons_array,
        };
        Some(unwrap_block(node))
    }
}

/// Whether a filter is false for an undefined item. jsonata-js filters an undefined value as
/// a sequence holding undefined, and keeps that undefined where the filter is true without
/// reading the item (`[true]`); this evaluator has no undefined inside sequences, so it takes
/// only filters that read the item first: an index, a relative path, a comparison with one,
/// `and` of such filters, `or` of two.
fn falsy_without_context(n: &Node) -> bool {
    let reads_item = |n: &Node| match &n.kind {
        Kind::Path { steps, .. } => matches!(steps[0].kind, Kind::Name(_) | Kind::Context),
        Kind::Context => true,
        _ => false,
    };
    if !n.predicate.is_empty() || n.keep_array {
        return false;
    }
    match &n.kind {
        Kind::Num(_) => true,
        Kind::Path { .. } | Kind::Context => reads_item(n),
        Kind::Binary(Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge, l, r) => {
            reads_item(l) || reads_item(r)
        }
        Kind::Binary(Op::And, l, _) => falsy_without_context(l),
        Kind::Binary(Op::Or, l, r) => falsy_without_context(l) && falsy_without_context(r),
        _ => false,
    }
}

/// `(e)` as `e` when that changes nothing: the block binds nothing, neither it nor `e` filters
/// its own value or keeps singletons, so only the block's per-item filters (`stages`, applied
/// by the path around it) remain, and `e` takes them.
fn unwrap_block(node: Node) -> Node {
    let Node {
        kind: Kind::Block(mut exprs),
        stages,
        predicate,
        keep_array: false,
        cons_array: false,
    } = node
    else {
        return node;
    };
    // Not a literal or a variable: as a predicate or a path's first step those are read
    // differently from a block.
    let plain = |e: &Node| {
        matches!(
            e.kind,
            Kind::Binary(..)
                | Kind::Call(..)
                | Kind::Condition(..)
                | Kind::Fallback(..)
                | Kind::Path { .. }
                | Kind::Object(_)
                | Kind::Negate(_)
        ) && e.stages.is_empty()
            && e.predicate.is_empty()
            && !e.keep_array
            && !e.cons_array
            && !binds(e)
    };
    if exprs.len() == 1 && predicate.is_empty() && plain(&exprs[0]) {
        let mut inner = exprs.pop().expect("one expression");
        inner.stages = stages;
        return inner;
    }
    Node {
        kind: Kind::Block(exprs),
        stages,
        predicate,
        keep_array: false,
        cons_array: false,
    }
}

/// Whether a `:=` appears anywhere in the node.
fn binds(n: &Node) -> bool {
    let any = |nodes: &[Node]| nodes.iter().any(binds);
    any(&n.stages)
        || any(&n.predicate)
        || match &n.kind {
            Kind::Bind(..) => true,
            Kind::Path { steps, .. } => any(steps),
            Kind::Binary(_, l, r) | Kind::Fallback(_, l, r) => binds(l) || binds(r),
            Kind::Negate(e) => binds(e),
            Kind::Array(items) | Kind::Block(items) | Kind::Call(_, items) => any(items),
            Kind::Object(pairs) => pairs.iter().any(|(k, v)| binds(k) || binds(v)),
            Kind::Condition(c, t, o) => binds(c) || binds(t) || o.as_deref().is_some_and(binds),
            Kind::Name(_)
            | Kind::Context
            | Kind::Root
            | Kind::Var(_)
            | Kind::Str(_)
            | Kind::Num(_)
            | Kind::Bool(_)
            | Kind::Null => false,
        }
}
