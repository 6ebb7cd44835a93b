//! Reads a Choice state: its rules, nested `And` / `Or` / `Not`, the JSONPath
//! comparison operators (and their `…Path` forms) and the JSONata `Condition`.

use serde_json::Value;

use super::state::{is_jsonata_value, template, wrong_language};
use super::{Cx, Obj, at_index};
use crate::check::paths;
use crate::model::{Choice, ChoiceBranch, Comparison, Condition, Operand, QueryLanguage};

/// The fields that make up a condition (besides the operators).
const CONDITION_FIELDS: &[&str] = &["And", "Or", "Not", "Variable", "Condition", "Comment"];
/// The extra fields of a top-level rule.
const RULE_FIELDS: &[&str] = &["Next", "Assign", "Output"];

pub(crate) fn choice(cx: &mut Cx<'_>, obj: &Obj<'_>, lang: QueryLanguage) -> Choice {
    obj.require(cx, &["Choices"]);
    let mut choices = Vec::new();
    if let Some(list) = obj.array(cx, "Choices") {
        let list_at = obj.field_at("Choices");
        if list.is_empty() {
            cx.schema(&list_at, "The field 'Choices' must not be empty");
        }
        for (i, v) in list.iter().enumerate() {
            let r_at = at_index(&list_at, i);
            let Value::Object(m) = v else {
                cx.schema(&r_at, "Expected value of type Object");
                continue;
            };
            let rule = Obj::new(m, &r_at);
            if let Some(branch) = branch(cx, &rule, lang) {
                choices.push(branch);
            }
        }
    }
    Choice {
        choices,
        default: obj.string(cx, "Default"),
    }
}

fn branch(cx: &mut Cx<'_>, rule: &Obj<'_>, lang: QueryLanguage) -> Option<ChoiceBranch> {
    rule.require(cx, &["Next"]);
    if lang == QueryLanguage::JsonPath && rule.has("Output") {
        cx.schema(&rule.at, wrong_language("Output", lang));
    }
    let condition = condition(cx, rule, lang, true);
    let assign = template(cx, rule, "Assign", lang == QueryLanguage::JsonPath);
    Some(ChoiceBranch {
        comment: rule.string(cx, "Comment"),
        condition: condition?,
        next: rule.string(cx, "Next")?,
        assign,
        output: rule.get("Output").cloned(),
    })
}

/// The operator named by `key` (`NumericEquals`, `NumericEqualsPath`, …) and
/// whether it is the path form.
fn operator(key: &str) -> Option<(Comparison, bool)> {
    Comparison::ALL.iter().find_map(|(c, name)| {
        if key == *name {
            Some((*c, false))
        } else if c.has_path_form() && key.strip_suffix("Path") == Some(*name) {
            Some((*c, true))
        } else {
            None
        }
    })
}

fn condition(cx: &mut Cx<'_>, rule: &Obj<'_>, lang: QueryLanguage, top: bool) -> Option<Condition> {
    let mut operators = Vec::new();
    for key in rule.map.keys() {
        if let Some(op) = operator(key) {
            operators.push((key.as_str(), op));
        } else if !(CONDITION_FIELDS.contains(&key.as_str())
            || top && RULE_FIELDS.contains(&key.as_str()))
        {
            cx.schema(&rule.at, format!("Field '{key}' is not supported"));
        }
    }
    if lang == QueryLanguage::Jsonata {
        for key in ["Variable", "And", "Or", "Not"]
            .into_iter()
            .chain(operators.iter().map(|(k, _)| *k))
        {
            if rule.has(key) {
                cx.schema(&rule.at, wrong_language(key, lang));
            }
        }
        if !rule.require(cx, &["Condition"]) {
            return None;
        }
        // AWS also takes a literal boolean (`"Condition": true`); it is kept as
        // the equivalent expression so the engine sees one form.
        return match rule.get("Condition")? {
            Value::Bool(b) => Some(Condition::Jsonata(format!("{{% {b} %}}"))),
            _ => rule.string(cx, "Condition").map(Condition::Jsonata),
        };
    }
    if rule.has("Condition") {
        cx.schema(&rule.at, wrong_language("Condition", lang));
    }
    let forms = ["And", "Or", "Not", "Variable"];
    let present: Vec<&str> = forms.into_iter().filter(|k| rule.has(k)).collect();
    if present.len() != 1 {
        cx.schema(
            &rule.at,
            "There should be exactly one of the following fields: [And, Or, Not, Variable]",
        );
        return None;
    }
    match present.first().copied() {
        Some(key @ ("And" | "Or")) => {
            let list = rule.array(cx, key)?;
            let list_at = rule.field_at(key);
            if list.is_empty() {
                cx.schema(&list_at, format!("The field '{key}' must not be empty"));
            }
            let mut out = Vec::new();
            for (i, v) in list.iter().enumerate() {
                let n_at = at_index(&list_at, i);
                let Value::Object(m) = v else {
                    cx.schema(&n_at, "Expected value of type Object");
                    continue;
                };
                out.extend(condition(cx, &Obj::new(m, &n_at), lang, false));
            }
            Some(if key == "And" {
                Condition::And(out)
            } else {
                Condition::Or(out)
            })
        }
        Some("Not") => {
            let m = rule.object(cx, "Not")?;
            let inner = condition(cx, &Obj::new(m, &rule.field_at("Not")), lang, false)?;
            Some(Condition::Not(Box::new(inner)))
        }
        _ => compare(cx, rule, &operators),
    }
}

fn compare(
    cx: &mut Cx<'_>,
    rule: &Obj<'_>,
    operators: &[(&str, (Comparison, bool))],
) -> Option<Condition> {
    let variable = rule.string(cx, "Variable")?;
    if !paths::is_path(&variable) {
        cx.schema(
            &rule.field_at("Variable"),
            "The value for the field 'Variable' must be a valid JSONPath",
        );
    }
    let [(key, (operator, is_path))] = operators else {
        cx.schema(
            &rule.at,
            "A Choice rule with 'Variable' must have exactly one comparison operator",
        );
        return None;
    };
    let value = rule.get(key)?;
    let operand_at = rule.field_at(key);
    if *is_path {
        let Some(p) = value.as_str() else {
            cx.schema(&operand_at, "Expected value of type String");
            return None;
        };
        if !paths::is_path(p) {
            cx.schema(
                &operand_at,
                format!("The value for the field '{key}' must be a valid JSONPath"),
            );
        }
        return Some(Condition::Compare {
            variable,
            operator: *operator,
            operand: Operand::Path(p.to_owned()),
        });
    }
    let expected = match operator.name() {
        n if n.starts_with("String") || n.starts_with("Timestamp") => "String",
        n if n.starts_with("Numeric") => "Number",
        _ => "Boolean",
    };
    let ok = match expected {
        "String" => value.is_string(),
        "Number" => value.is_number(),
        _ => value.is_boolean(),
    };
    if !ok || is_jsonata_value(value) && expected != "String" {
        cx.schema(&operand_at, format!("Expected value of type {expected}"));
        return None;
    }
    Some(Condition::Compare {
        variable,
        operator: *operator,
        operand: Operand::Literal(value.clone()),
    })
}
