//! Reads a Map state: its processor (`ItemProcessor` or the legacy `Iterator`),
//! where items come from, concurrency, failure tolerance and the distributed
//! Map's reader, batcher, writer and label.

use serde_json::Value;

use super::state::template;
use super::{Cx, Obj, graph};
use crate::check::{paths, resource};
use crate::diagnostic::Diagnostic;
use crate::model::{Map, ProcessorConfig, ProcessorMode, QueryLanguage};

/// The Map's own fields (the result data-flow fields are added by the caller).
pub(crate) const FIELDS: &[&str] = &[
    "ItemProcessor",
    "Iterator",
    "ItemsPath",
    "Items",
    "ItemSelector",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "Label",
];

/// Characters AWS refuses in a Map `Label` besides whitespace and controls.
const LABEL_SPECIAL: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
/// AWS's limit on a `Label`'s length.
const LABEL_MAX: usize = 40;

pub(crate) fn map(cx: &mut Cx<'_>, obj: &Obj<'_>, lang: QueryLanguage) -> Option<Map> {
    let jsonata = lang == QueryLanguage::Jsonata;
    obj.at_most_one(cx, &["ItemProcessor", "Iterator"]);
    let legacy_iterator = !obj.has("ItemProcessor") && obj.has("Iterator");
    let key = if legacy_iterator {
        "Iterator"
    } else {
        "ItemProcessor"
    };
    if !obj.require(cx, &[key]) {
        return None;
    }
    let p = obj.object(cx, key)?;
    let p_obj = Obj::new(p, &obj.field_at(key));
    p_obj.require(cx, &["StartAt", "States"]);
    p_obj.allow_only(cx, &["StartAt", "States", "Comment", "ProcessorConfig"]);
    let processor_config = processor_config(cx, &p_obj);
    let processor = graph(cx, &p_obj);

    let items_path = obj.string(cx, "ItemsPath");
    if let Some(p) = &items_path
        && !paths::is_reference_path(p, true)
    {
        cx.schema(
            &obj.field_at("ItemsPath"),
            "The value for the field 'ItemsPath' must be a valid ReferencePath",
        );
    }
    let items = obj.get("Items").cloned();
    if let Some(v) = &items
        && !v.is_array()
        && !v.as_str().is_some_and(super::fields::is_jsonata)
    {
        cx.schema(&obj.field_at("Items"), "Expected value of type Array");
    }
    obj.at_most_one(cx, &["ItemSelector", "Parameters"]);
    let item_selector = template(cx, obj, "ItemSelector", !jsonata);

    let max_concurrency = obj.dynamic(cx, "MaxConcurrency", jsonata, |o, cx| {
        o.int_min(cx, "MaxConcurrency", 0)
    });
    let tolerated_failure_count = obj.dynamic(cx, "ToleratedFailureCount", jsonata, |o, cx| {
        #[allow(clippy::cast_precision_loss)]
        o.int_min(cx, "ToleratedFailureCount", 0).map(|v| v as f64)
    });
    let tolerated_failure_percentage =
        obj.dynamic(cx, "ToleratedFailurePercentage", jsonata, |o, cx| {
            let v = o.number(cx, "ToleratedFailurePercentage")?;
            let at = o.field_at("ToleratedFailurePercentage");
            if v < 0.0 {
                cx.schema(&at, "Minimum value is 0.0");
                return None;
            }
            if v > 100.0 {
                cx.schema(&at, "Maximum value is 100.0");
                return None;
            }
            Some(v)
        });
    for key in [
        "MaxConcurrencyPath",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentagePath",
    ] {
        if let Some(Value::String(p)) = obj.get(key)
            && !paths::is_reference_path(p, true)
        {
            cx.schema(&obj.field_at(key), "Value is not a Reference Path");
        }
    }
    let item_reader = resource_object(cx, obj, "ItemReader", jsonata);
    let item_batcher = obj
        .object(cx, "ItemBatcher")
        .map(|m| Value::Object(m.clone()));
    let result_writer = resource_object(cx, obj, "ResultWriter", jsonata);
    let label = obj.string(cx, "Label");
    if let Some(l) = &label {
        check_label(cx, &obj.field_at("Label"), l);
    }
    Some(Map {
        processor,
        processor_config,
        legacy_iterator,
        items_path,
        items,
        item_selector,
        max_concurrency,
        tolerated_failure_count,
        tolerated_failure_percentage,
        item_reader,
        item_batcher,
        result_writer,
        label,
    })
}

fn processor_config(cx: &mut Cx<'_>, p: &Obj<'_>) -> ProcessorConfig {
    let mut config = ProcessorConfig::default();
    let Some(m) = p.object(cx, "ProcessorConfig") else {
        return config;
    };
    let c = Obj::new(m, &p.field_at("ProcessorConfig"));
    c.allow_only(cx, &["Mode", "ExecutionType"]);
    match c.string(cx, "Mode").as_deref() {
        None | Some("INLINE") => {}
        Some("DISTRIBUTED") => config.mode = ProcessorMode::Distributed,
        Some(_) => cx.schema(
            &c.field_at("Mode"),
            "Instance value not found in enum [INLINE, DISTRIBUTED]",
        ),
    }
    config.execution_type = c.string(cx, "ExecutionType");
    if let Some(t) = &config.execution_type
        && t != "STANDARD"
        && t != "EXPRESS"
    {
        cx.schema(
            &c.field_at("ExecutionType"),
            "Instance value not found in enum [STANDARD, EXPRESS]",
        );
    }
    config
}

/// `ItemReader` / `ResultWriter`: an object with a `Resource` and a template.
fn resource_object(cx: &mut Cx<'_>, obj: &Obj<'_>, key: &str, jsonata: bool) -> Option<Value> {
    let m = obj.object(cx, key)?;
    let o = Obj::new(m, &obj.field_at(key));
    o.require(cx, &["Resource"]);
    if let Some(r) = o.string(cx, "Resource") {
        resource::check(cx, &o.field_at("Resource"), &r);
    }
    template(cx, &o, "Parameters", !jsonata);
    Some(Value::Object(m.clone()))
}

/// A Map `Label`: 1 to 40 characters, none of them whitespace, control
/// characters or the specials AWS reserves for map run ARNs.
fn check_label(cx: &mut Cx<'_>, at: &str, label: &str) {
    const CODE: &str = crate::diagnostic::codes::INVALID_LABEL_NAME;
    if label.is_empty() {
        cx.diags
            .push(Diagnostic::new(CODE, at, "The Label must not be empty"));
    } else if label.chars().count() > LABEL_MAX {
        cx.diags.push(Diagnostic::new(
            CODE,
            at,
            format!("The Label must be at most {LABEL_MAX} characters long"),
        ));
    } else if let Some(c) = label
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || LABEL_SPECIAL.contains(*c))
    {
        cx.diags.push(Diagnostic::new(
            CODE,
            at,
            format!(
                "The Label contains an invalid character: U+{:04X}",
                u32::from(c)
            ),
        ));
    }
    if cx.labels.iter().any(|l| l == label) {
        cx.diags.push(Diagnostic::new(
            crate::diagnostic::codes::DUPLICATE_LABEL_NAME,
            at,
            format!("Duplicate Label: {label}"),
        ));
    }
    cx.labels.push(label.to_owned());
}
