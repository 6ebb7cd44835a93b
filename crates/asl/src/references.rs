//! Which workflow variables each state reads: DescribeStateMachine's
//! `variableReferences` (state name → sorted variable names).
//!
//! A JSONPath state reads `$name` roots in its path fields (`InputPath`,
//! `ItemsPath`, every `…Path` field, a Choice rule's `Variable`) and in the
//! `.$` values of its templates (intrinsic arguments included); a plain string
//! value such as `"x": "$name"` is a literal, not a reference. A JSONata state
//! reads the `$name` variables of its `{% … %}` expressions, except `$states`,
//! function calls and names the expression binds itself (`$x := …`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The variables each state of a definition reads; states that read none are
/// left out.
pub fn variable_references(definition: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let jsonata = definition.get("QueryLanguage").and_then(Value::as_str) == Some("JSONata");
    graph(definition, jsonata, &mut out);
    out
}

fn graph(node: &Value, jsonata: bool, out: &mut BTreeMap<String, Vec<String>>) {
    let Some(states) = node.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        let state_jsonata = match state.get("QueryLanguage").and_then(Value::as_str) {
            Some(l) => l == "JSONata",
            None => jsonata,
        };
        let mut found = BTreeSet::new();
        fields(state, state_jsonata, &mut found);
        if !found.is_empty() {
            out.insert(name.clone(), found.into_iter().collect());
        }
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(g) = state.get(key) {
                graph(g, jsonata, out);
            }
        }
        if let Some(branches) = state.get("Branches").and_then(Value::as_array) {
            for b in branches {
                graph(b, jsonata, out);
            }
        }
    }
}

/// Collects references from a state's own fields (not its nested states).
fn fields(v: &Value, jsonata: bool, found: &mut BTreeSet<String>) {
    let Some(m) = v.as_object() else {
        return;
    };
    for (key, value) in m {
        if matches!(
            key.as_str(),
            "ItemProcessor" | "Iterator" | "Branches" | "States"
        ) {
            continue;
        }
        match value {
            Value::String(s) if jsonata => jsonata_variables(s, found),
            Value::String(s) if is_path_field(key) => path_variables(s, found),
            Value::Object(_) => fields(value, jsonata, found),
            Value::Array(items) => {
                for item in items {
                    if let Value::String(s) = item {
                        if jsonata {
                            jsonata_variables(s, found);
                        }
                    } else {
                        fields(item, jsonata, found);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Fields whose string value is a path (or an intrinsic call) rather than a literal.
fn is_path_field(key: &str) -> bool {
    key.ends_with(".$") || key.ends_with("Path") || key == "Variable"
}

/// `$name` roots in a JSONPath path or intrinsic call (`$$` is the context object).
fn path_variables(text: &str, found: &mut BTreeSet<String>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            if bytes.get(i + 1) == Some(&b'$') {
                i += 2;
                continue;
            }
            let name = identifier(&text[i + 1..]);
            if !name.is_empty() {
                found.insert(name.to_string());
            }
            i += 1 + name.len();
        } else if bytes[i] == b'\'' {
            // Skip string literals inside intrinsic calls.
            i += 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else {
            i += 1;
        }
    }
}

/// `$name` variables of a `{% … %}` expression.
fn jsonata_variables(text: &str, found: &mut BTreeSet<String>) {
    let t = text.trim();
    let Some(body) = t.strip_prefix("{%").and_then(|t| t.strip_suffix("%}")) else {
        return;
    };
    let mut bound = BTreeSet::new();
    let mut used = Vec::new();
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\'' => {
                let quote = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'$' => {
                let name = identifier(&body[i + 1..]);
                let after = body[i + 1 + name.len()..].trim_start();
                if !name.is_empty() && name != "states" {
                    if after.starts_with(":=") {
                        bound.insert(name.to_string());
                    } else if !after.starts_with('(') {
                        used.push(name.to_string());
                    }
                }
                i += 1 + name.len();
            }
            _ => i += 1,
        }
    }
    found.extend(used.into_iter().filter(|n| !bound.contains(n)));
}

fn identifier(s: &str) -> &str {
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_templates_and_intrinsics() {
        let def = json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Parameters": {"lit": "$notRef", "r.$": "$ref",
                   "f.$": "States.Format('{} $no', $name, $$.Map.Item.Value)"}, "Next": "B"},
            "B": {"Type": "Map", "ItemsPath": "$list", "MaxConcurrencyPath": "$max",
                  "ItemProcessor": {"StartAt": "C", "States": {"C": {"Type": "Pass", "InputPath": "$inner", "End": true}}},
                  "End": true}
        }});
        let refs = variable_references(&def);
        assert_eq!(refs["A"], vec!["name", "ref"]);
        assert_eq!(refs["B"], vec!["list", "max"]);
        assert_eq!(refs["C"], vec!["inner"]);
    }

    #[test]
    fn jsonata_expressions() {
        let def = json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": "{% $x := 1; $sum([$x, $y, $states.input.z]) %}", "End": true}
        }});
        assert_eq!(variable_references(&def)["A"], vec!["y"]);
    }
}
