//! Workflow variable rules that a definition can break: the names in every `Assign` (of a
//! state, a Choice rule and a Catch), and the scope rule.
//!
//! Step Functions' documented rules ("Passing data between states with variables"):
//! - a name is a Unicode identifier (UAX #31: an ID_Start character, then ID_Continue
//!   characters), at most 80 characters, without the `$` a reference puts before it;
//!   `states` is reserved for `$states`;
//! - a Parallel branch or Map iteration reads the variables of the scopes around it but
//!   cannot assign them: a variable assigned in an inner scope may not have the name of one
//!   assigned in an outer scope. Sibling branches are separate scopes and may reuse a name.
//!   A Catch's `Assign` belongs to the scope of the state that has the Catch.
//!
//! AWS accepts a branch assigning a name that only the Parallel's own Catch assigns in the
//! outer scope (recorded: `test_parallel_catch_error_PARALLEL_CATCH_ERROR_VARIABLE_SAMPLING`),
//! so an outer assignment counts only when it can run before the Parallel or Map state: it
//! belongs to a state from which that state is reachable.
//!
//! `std` has no ID_Start/ID_Continue tables, so `char::is_alphabetic` stands in for ID_Start
//! and letters, digits, combining marks and connector punctuation (`_`) for ID_Continue; `_`
//! may also start a name, as in JavaScript. The messages are ours: AWS's texts for these
//! cases are not in the recorded corpus.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::codes::SCHEMA_VALIDATION_FAILED;
use crate::model::{Graph, StateKind, Transition};
use crate::parse::{at, at_index};

/// Longest variable name, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// Names no `Assign` may use.
pub const RESERVED: &[&str] = &["states"];

/// Why a variable name is refused, if it is.
pub fn name_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Some("A variable name cannot be empty".to_owned());
    };
    if name.chars().count() > MAX_NAME_CHARS {
        return Some(format!(
            "The variable name '{name}' is longer than {MAX_NAME_CHARS} characters"
        ));
    }
    if RESERVED.contains(&name) {
        return Some(format!("The variable name '{name}' is reserved"));
    }
    let starts = first.is_alphabetic() || first == '_';
    if !starts || !chars.all(id_continue) {
        return Some(format!(
            "Invalid variable name '{name}': a name starts with a letter or '_' and continues with letters, digits or '_'"
        ));
    }
    None
}

fn id_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '\u{200C}' || c == '\u{200D}' || is_mark(c)
}

/// Combining marks (Mn, Mc) of the common blocks, which continue an identifier.
fn is_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0483}'..='\u{0487}'
        | '\u{0591}'..='\u{05BD}'
        | '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0900}'..='\u{0903}'
        | '\u{093A}'..='\u{094F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// The variable names an `Assign` object sets, with each key's location. In a JSONPath
/// state a key `name.$` sets `name`.
fn assigned<'a>(assign: &'a Option<Value>, assign_at: &str) -> Vec<(&'a str, String)> {
    let Some(Value::Object(m)) = assign else {
        return Vec::new();
    };
    m.keys()
        .map(|k| (k.strip_suffix(".$").unwrap_or(k), at(assign_at, k)))
        .collect()
}

/// Runs the variable checks over the machine.
pub(crate) fn check_machine(diags: &mut Vec<Diagnostic>, graph: &Graph) {
    check_graph(diags, graph, "", &HashMap::new());
}

/// Every state's successors: `Next`, Choice rules and `Default`, Catch `Next`.
fn successors(graph: &Graph) -> HashMap<&str, Vec<&str>> {
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    for (name, state) in &graph.states {
        let to = out.entry(name.as_str()).or_default();
        if let Some(Transition::Next(n)) = &state.transition {
            to.push(n);
        }
        if let StateKind::Choice(c) = &state.kind {
            to.extend(c.choices.iter().map(|b| b.next.as_str()));
            to.extend(c.default.as_deref());
        }
        to.extend(state.catch.iter().map(|c| c.next.as_str()));
    }
    out
}

/// The states from which `target` can be reached in one or more transitions (`target`
/// itself only through a loop).
fn upstream<'a>(succ: &HashMap<&'a str, Vec<&'a str>>, target: &str) -> HashSet<&'a str> {
    let mut found = HashSet::new();
    let mut stack = vec![target];
    while let Some(t) = stack.pop() {
        for (from, tos) in succ {
            if tos.contains(&t) && found.insert(*from) {
                stack.push(from);
            }
        }
    }
    found
}

/// Checks one scope (`graph`), given the names the scopes around it assign before it runs.
fn check_graph(
    diags: &mut Vec<Diagnostic>,
    graph: &Graph,
    prefix: &str,
    outer: &HashMap<String, String>,
) {
    let root = if prefix.is_empty() { "/" } else { prefix };
    // Every name each state of this scope assigns, with where.
    let mut by_state: HashMap<&str, Vec<(&str, String)>> = HashMap::new();
    for (name, state) in &graph.states {
        let s_at = at(&at(root, "States"), name);
        let here = by_state.entry(name.as_str()).or_default();
        here.extend(assigned(&state.assign, &at(&s_at, "Assign")));
        if let StateKind::Choice(c) = &state.kind {
            for (i, rule) in c.choices.iter().enumerate() {
                let r_at = at_index(&at(&s_at, "Choices"), i);
                here.extend(assigned(&rule.assign, &at(&r_at, "Assign")));
            }
        }
        for (i, c) in state.catch.iter().enumerate() {
            let c_at = at_index(&at(&s_at, "Catch"), i);
            here.extend(assigned(&c.assign, &at(&c_at, "Assign")));
        }
    }
    for name in graph.states.keys() {
        for (var, key_at) in &by_state[name.as_str()] {
            if let Some(why) = name_problem(var) {
                diags.push(Diagnostic::new(
                    SCHEMA_VALIDATION_FAILED,
                    key_at.clone(),
                    why,
                ));
            } else if let Some(first) = outer.get(*var) {
                diags.push(Diagnostic::new(
                    SCHEMA_VALIDATION_FAILED,
                    key_at.clone(),
                    format!(
                        "The variable '{var}' is assigned in an outer scope (at {first}); a Parallel branch or Map iteration cannot assign it"
                    ),
                ));
            }
        }
    }
    let succ = successors(graph);
    for (name, state) in &graph.states {
        let inner_graphs: Vec<(&Graph, String)> = {
            let s_at = at(&at(root, "States"), name);
            match &state.kind {
                StateKind::Parallel(p) => p
                    .branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| (b, at_index(&at(&s_at, "Branches"), i)))
                    .collect(),
                StateKind::Map(m) => {
                    let key = if m.legacy_iterator {
                        "Iterator"
                    } else {
                        "ItemProcessor"
                    };
                    vec![(&m.processor, at(&s_at, key))]
                }
                _ => Vec::new(),
            }
        };
        if inner_graphs.is_empty() {
            continue;
        }
        let mut inner = outer.clone();
        let before = upstream(&succ, name);
        for s in graph.states.keys().filter(|s| before.contains(s.as_str())) {
            for (var, key_at) in &by_state[s.as_str()] {
                inner
                    .entry((*var).to_owned())
                    .or_insert_with(|| key_at.clone());
            }
        }
        for (g, g_at) in inner_graphs {
            check_graph(diags, g, &g_at, &inner);
        }
    }
}
