//! A definition prepared once for any number of executions: nested graphs
//! resolved, JSONPath paths and payload templates compiled.
//!
//! Compiled forms are found by the address of their source field in the
//! definition, which the plan owns and never changes, so the interpreter's code
//! reads the model as written and asks the plan for the compiled form.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use asl::{Definition, Graph, PathField, QueryLanguage, State, StateKind};
use expr::jsonata::Expression;
use expr::jsonpath::Path;
use expr::reference::ReferencePath;
use expr::template::Compiled;
use serde_json::Value;

use crate::task::ResourceKind;

/// A graph with its nested graphs resolved, so that starting a branch or an
/// iteration costs a reference count, not a copy.
#[derive(Debug)]
pub(crate) struct GraphNode {
    pub graph: Graph,
    /// Per Parallel/Map state name: its branches (Map: one processor).
    pub children: FastMap<String, Vec<Arc<GraphNode>>>,
    /// State name → position in `graph.states`, for [`GraphNode::state`].
    positions: FastMap<String, usize>,
    /// Whether any state here or in a nested graph has an `Assign`: a branch or
    /// iteration that never assigns reads its parent's scope without one of its own.
    pub assigns: bool,
}

impl GraphNode {
    fn new(graph: Graph, children: FastMap<String, Vec<Arc<GraphNode>>>) -> GraphNode {
        let positions = graph
            .states
            .keys()
            .enumerate()
            .map(|(i, name)| (name.clone(), i))
            .collect();
        let assigns = graph.states.values().any(|state| {
            state.assign.is_some()
                || state.catch.iter().any(|c| c.assign.is_some())
                || matches!(&state.kind, StateKind::Choice(c) if c.choices.iter().any(|b| b.assign.is_some()))
        }) || children.values().flatten().any(|child| child.assigns);
        GraphNode {
            graph,
            children,
            positions,
            assigns,
        }
    }

    /// The state named `name` (what `Graph::state` finds, with the plan's hash).
    pub fn state(&self, name: &str) -> Option<&State> {
        let i = *self.positions.get(name)?;
        self.graph.states.get_index(i).map(|(_, state)| state)
    }
}

/// A definition ready to run.
#[derive(Debug)]
pub struct Plan {
    pub(crate) definition: Arc<Definition>,
    pub(crate) root: Arc<GraphNode>,
    templates: FastMap<usize, Compiled>,
    paths: FastMap<usize, Path>,
    references: FastMap<usize, ReferencePath>,
    /// JSONata expressions by the address of their `{% … %}` text.
    jsonata: FastMap<(usize, usize), Expression>,
    /// States (by address) none of whose fields can read the context object.
    context_free: HashSet<usize, BuildHasherDefault<FastHasher>>,
    /// How many states may read the context object.
    context_readers: usize,
    /// Task states' resource kinds, by the address of their `Resource`.
    resource_kinds: FastMap<usize, ResourceKind>,
    /// The activities its Task states name, each once.
    activities: Vec<String>,
    /// A context object given whole (TestState's `context`) instead of the built one.
    pub(crate) fixed_context: Option<serde_json::Value>,
}

/// A map keyed by addresses and names out of the plan's own definition, looked up
/// several times per state: a multiply-rotate hash instead of SipHash (the keys
/// are fixed when the plan is built, so flooding is not a concern).
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// The hash of [`FastMap`] (the Fx hash of rustc).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn address<T>(x: &T) -> usize {
    x as *const T as usize
}

impl Plan {
    pub fn new(definition: Definition) -> Arc<Plan> {
        let definition = Arc::new(definition);
        let mut plan = Plan {
            definition: definition.clone(),
            root: Arc::new(GraphNode::new(
                Graph {
                    comment: None,
                    start_at: String::new(),
                    states: Default::default(),
                },
                FastMap::default(),
            )),
            templates: FastMap::default(),
            paths: FastMap::default(),
            references: FastMap::default(),
            jsonata: FastMap::default(),
            context_free: HashSet::default(),
            context_readers: 0,
            resource_kinds: FastMap::default(),
            activities: Vec::new(),
            fixed_context: None,
        };
        plan.root = plan.build(&definition.graph);
        Arc::new(plan)
    }

    pub fn definition(&self) -> &Definition {
        &self.definition
    }

    fn build(&mut self, graph: &Graph) -> Arc<GraphNode> {
        let mut children = FastMap::default();
        for (name, state) in &graph.states {
            match &state.kind {
                StateKind::Parallel(p) => {
                    let branches = p.branches.iter().map(|b| self.build(b)).collect();
                    children.insert(name.clone(), branches);
                }
                StateKind::Map(m) => {
                    children.insert(name.clone(), vec![self.build(&m.processor)]);
                }
                _ => {}
            }
        }
        let node = Arc::new(GraphNode::new(graph.clone(), children));
        // Compile against the node's own copy: that is what the interpreter reads.
        for state in node.graph.states.values() {
            self.compile_state(state);
        }
        node
    }

    fn compile_state(&mut self, state: &State) {
        if let StateKind::Task(t) = &state.kind {
            let kind = ResourceKind::of(&t.resource);
            if kind == ResourceKind::Activity && !self.activities.contains(&t.resource) {
                self.activities.push(t.resource.clone());
            }
            self.resource_kinds.insert(address(&t.resource), kind);
        }
        let jsonpath = state.language(self.definition.query_language) == QueryLanguage::JsonPath;
        if !jsonpath {
            self.compile_jsonata_state(state);
        }
        let mut reads_context = !jsonpath;
        if jsonpath {
            for template in [&state.parameters, &state.result_selector, &state.assign]
                .into_iter()
                .flatten()
            {
                reads_context |= mentions_context(template);
                self.template(template);
            }
            for field in [&state.input_path, &state.output_path]
                .into_iter()
                .flatten()
            {
                if let PathField::Path(text) = field {
                    reads_context |= text.contains("$$");
                    if let Ok(p) = Path::parse(text) {
                        self.paths.insert(address(text), p);
                    }
                }
            }
            if let Some(PathField::Path(text)) = &state.result_path
                && let Ok(r) = ReferencePath::parse(text)
            {
                self.references.insert(address(text), r);
            }
            for catcher in &state.catch {
                if let Some(PathField::Path(text)) = &catcher.result_path
                    && let Ok(r) = ReferencePath::parse(text)
                {
                    self.references.insert(address(text), r);
                }
                if let Some(a) = &catcher.assign {
                    reads_context |= mentions_context(a);
                    self.template(a);
                }
            }
            match &state.kind {
                StateKind::Map(m) => {
                    if let Some(t) = &m.item_selector {
                        reads_context |= mentions_context(t);
                        self.template(t);
                    }
                    reads_context |= m.items_path.as_ref().is_some_and(|p| p.contains("$$"));
                    reads_context |= m.max_concurrency.is_some()
                        && !matches!(m.max_concurrency, Some(asl::Dynamic::Literal(_)));
                    reads_context |= m.tolerated_failure_count.is_some()
                        || m.tolerated_failure_percentage.is_some();
                }
                StateKind::Task(t) => {
                    reads_context |= t.resource.ends_with(".waitForTaskToken");
                }
                StateKind::Choice(c) => {
                    reads_context |= c
                        .choices
                        .iter()
                        .any(|b| condition_reads_context(&b.condition));
                    for b in &c.choices {
                        if let Some(a) = &b.assign {
                            reads_context |= mentions_context(a);
                            self.template(a);
                        }
                    }
                }
                StateKind::Fail(_) | StateKind::Wait(_) => reads_context = true,
                _ => {}
            }
        }
        if reads_context {
            self.context_readers += 1;
        } else {
            self.context_free.insert(address(state));
        }
    }

    /// Compiles every `{% … %}` expression a JSONata state carries.
    fn compile_jsonata_state(&mut self, state: &State) {
        for v in [&state.arguments, &state.output, &state.assign]
            .into_iter()
            .flatten()
        {
            self.jsonata_in(v);
        }
        for c in &state.catch {
            for v in [&c.output, &c.assign].into_iter().flatten() {
                self.jsonata_in(v);
            }
        }
        match &state.kind {
            StateKind::Choice(c) => {
                for b in &c.choices {
                    if let asl::Condition::Jsonata(text) = &b.condition {
                        self.jsonata_text(text);
                    }
                    for v in [&b.output, &b.assign].into_iter().flatten() {
                        self.jsonata_in(v);
                    }
                }
            }
            StateKind::Map(m) => {
                for v in [&m.items, &m.item_selector].into_iter().flatten() {
                    self.jsonata_in(v);
                }
            }
            _ => {}
        }
    }

    fn jsonata_in(&mut self, v: &Value) {
        match v {
            Value::String(s) => self.jsonata_text(s),
            Value::Array(a) => a.iter().for_each(|x| self.jsonata_in(x)),
            Value::Object(m) => m.values().for_each(|x| self.jsonata_in(x)),
            _ => {}
        }
    }

    fn jsonata_text(&mut self, text: &str) {
        let t = text.trim();
        if let Some(source) = t.strip_prefix("{%").and_then(|t| t.strip_suffix("%}"))
            && let Ok(e) = Expression::compile(source.trim())
        {
            self.jsonata.insert((text.as_ptr() as usize, text.len()), e);
        }
    }

    /// The compiled form of a `{% … %}` text that lives in this plan's definition.
    pub(crate) fn jsonata_for(&self, text: &str) -> Option<&Expression> {
        self.jsonata.get(&(text.as_ptr() as usize, text.len()))
    }

    fn template(&mut self, template: &Value) {
        if let Ok(c) = Compiled::new(template) {
            self.templates.insert(address(template), c);
        }
    }

    pub(crate) fn template_for(&self, template: &Value) -> Option<&Compiled> {
        self.templates.get(&address(template))
    }

    pub(crate) fn path_for(&self, text: &String) -> Option<&Path> {
        self.paths.get(&address(text))
    }

    pub(crate) fn reference_for(&self, text: &String) -> Option<&ReferencePath> {
        self.references.get(&address(text))
    }

    /// What kind of integration a Task's `Resource` (in this plan) names.
    pub(crate) fn resource_kind(&self, resource: &String) -> ResourceKind {
        match self.resource_kinds.get(&address(resource)) {
            Some(kind) => kind.clone(),
            None => ResourceKind::of(resource),
        }
    }

    /// The activity ARNs the definition's Task states name: the ones whose
    /// existence an execution's host checks before each input.
    pub fn activities(&self) -> &[String] {
        &self.activities
    }

    /// Whether evaluating this state may read `$$`.
    pub(crate) fn reads_context(&self, state: &State) -> bool {
        !self.context_free.contains(&address(state))
    }

    /// Whether any state may read `$$` (and so `$$.Execution.Input`).
    pub(crate) fn reads_any_context(&self) -> bool {
        self.context_readers > 0 || self.fixed_context.is_some()
    }
}

/// Whether a template has a path or intrinsic that could read `$$`.
fn mentions_context(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("$$"),
        Value::Array(a) => a.iter().any(mentions_context),
        Value::Object(m) => m
            .iter()
            .any(|(k, x)| k.contains("$$") || mentions_context(x)),
        _ => false,
    }
}

fn condition_reads_context(c: &asl::Condition) -> bool {
    match c {
        asl::Condition::And(all) | asl::Condition::Or(all) => {
            all.iter().any(condition_reads_context)
        }
        asl::Condition::Not(inner) => condition_reads_context(inner),
        asl::Condition::Compare {
            variable, operand, ..
        } => {
            variable.contains("$$") || matches!(operand, asl::Operand::Path(p) if p.contains("$$"))
        }
        asl::Condition::Jsonata(_) => true,
    }
}
