//! Checks on the shape of each state graph (the top level, every Parallel branch
//! and every Map processor): transition targets exist, some state ends the
//! workflow, every state is reachable, and state names are unique.

use std::collections::{HashMap, HashSet};

use crate::diagnostic::Diagnostic;
use crate::model::{Graph, StateKind, Transition};
use crate::parse::{at, at_index};

use crate::diagnostic::codes::{
    DUPLICATE_STATE_NAME, MISSING_END_STATE, MISSING_TRANSITION_TARGET,
};

/// Runs every graph check over the machine, then the variable checks.
pub(crate) fn check_machine(diags: &mut Vec<Diagnostic>, graph: &Graph) {
    let mut seen = HashMap::new();
    check_graph(diags, graph, "", &mut seen);
    super::variables::check_machine(diags, graph);
}

/// Every transition of one state: (location of the field, target).
fn targets(graph: &Graph, prefix: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (name, state) in &graph.states {
        let s_at = at(&at(prefix_or_root(prefix), "States"), name);
        if let Some(Transition::Next(n)) = &state.transition {
            out.push((name.clone(), at(&s_at, "Next"), n.clone()));
        }
        if let StateKind::Choice(c) = &state.kind {
            for (i, b) in c.choices.iter().enumerate() {
                let r_at = at_index(&at(&s_at, "Choices"), i);
                out.push((name.clone(), at(&r_at, "Next"), b.next.clone()));
            }
            if let Some(d) = &c.default {
                out.push((name.clone(), at(&s_at, "Default"), d.clone()));
            }
        }
        for (i, c) in state.catch.iter().enumerate() {
            let c_at = at_index(&at(&s_at, "Catch"), i);
            out.push((name.clone(), at(&c_at, "Next"), c.next.clone()));
        }
    }
    out
}

fn prefix_or_root(prefix: &str) -> &str {
    if prefix.is_empty() { "/" } else { prefix }
}

fn check_graph(
    diags: &mut Vec<Diagnostic>,
    graph: &Graph,
    prefix: &str,
    seen: &mut HashMap<String, String>,
) {
    let root = prefix_or_root(prefix);
    if !graph.states.contains_key(&graph.start_at) {
        diags.push(Diagnostic::new(
            MISSING_TRANSITION_TARGET,
            at(root, "StartAt"),
            format!("Missing 'Next' target: {}", graph.start_at),
        ));
    }
    let edges = targets(graph, prefix);
    for (_, field_at, target) in &edges {
        if !graph.states.contains_key(target) {
            diags.push(Diagnostic::new(
                MISSING_TRANSITION_TARGET,
                field_at.clone(),
                format!("Missing 'Next' target: {target}"),
            ));
        }
    }
    let terminal = graph.states.values().any(|s| {
        matches!(s.transition, Some(Transition::End))
            || matches!(s.kind, StateKind::Succeed | StateKind::Fail(_))
    });
    if !terminal {
        diags.push(Diagnostic::new(
            MISSING_END_STATE,
            prefix,
            "Workflow has no terminal state",
        ));
    } else {
        let mut reached = HashSet::new();
        let mut stack = vec![graph.start_at.as_str()];
        while let Some(name) = stack.pop() {
            if !graph.states.contains_key(name) || !reached.insert(name) {
                continue;
            }
            for (from, _, to) in &edges {
                if from == name {
                    stack.push(to);
                }
            }
        }
        for name in graph.states.keys() {
            if !reached.contains(name.as_str()) {
                diags.push(Diagnostic::new(
                    MISSING_TRANSITION_TARGET,
                    at(&at(root, "States"), name),
                    format!("State \"{name}\" is not reachable."),
                ));
            }
        }
    }
    for (name, state) in &graph.states {
        let s_at = at(&at(root, "States"), name);
        if seen.insert(name.clone(), s_at.clone()).is_some() {
            diags.push(Diagnostic::new(
                DUPLICATE_STATE_NAME,
                s_at.clone(),
                format!("Duplicate State name: {name}"),
            ));
        }
        match &state.kind {
            StateKind::Parallel(p) => {
                for (i, b) in p.branches.iter().enumerate() {
                    check_graph(diags, b, &at_index(&at(&s_at, "Branches"), i), seen);
                }
            }
            StateKind::Map(m) => {
                let key = if m.legacy_iterator {
                    "Iterator"
                } else {
                    "ItemProcessor"
                };
                check_graph(diags, &m.processor, &at(&s_at, key), seen);
            }
            _ => {}
        }
    }
}
