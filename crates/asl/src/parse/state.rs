//! Reads one state: the fields every type shares, the simple types (Pass, Task,
//! Wait, Succeed, Fail, Parallel) and the Retry / Catch rules.

use serde_json::Value;

use super::fields::is_jsonata;
use super::{Cx, Obj, at_index, choice, graph, map, query_language};
use crate::check::{errors, paths, resource, timestamp};
use crate::model::{
    Catcher, Dynamic, Fail, JitterStrategy, Parallel, Pass, PathField, QueryLanguage, Retrier,
    State, StateKind, Task, Transition, Wait,
};

/// Fields any state may carry.
const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];
/// Data-flow fields of the states that produce a result.
const RESULT_FLOW: &[&str] = &[
    "Next",
    "End",
    "InputPath",
    "OutputPath",
    "ResultPath",
    "Parameters",
    "ResultSelector",
    "Arguments",
    "Output",
    "Assign",
    "Retry",
    "Catch",
];

/// Fields AWS accepts only when the state's language is JSONPath.
const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "ResultPath",
    "Parameters",
    "ResultSelector",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
];
/// Fields AWS accepts only when the state's language is JSONata.
const JSONATA_ONLY: &[&str] = &["Arguments", "Output", "Items"];

/// The fields a state of type `ty` may carry besides [`COMMON`].
fn type_fields(ty: &str) -> Option<&'static [&'static str]> {
    Some(match ty {
        "Pass" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "Result",
            "Output",
            "Assign",
        ],
        "Task" => &[
            "Resource",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
        ],
        "Choice" => &[
            "InputPath",
            "OutputPath",
            "Choices",
            "Default",
            "Output",
            "Assign",
        ],
        "Wait" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Seconds",
            "SecondsPath",
            "Timestamp",
            "TimestampPath",
            "Output",
            "Assign",
        ],
        "Succeed" => &["InputPath", "OutputPath", "Output"],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &["Branches"],
        "Map" => map::FIELDS,
        _ => return None,
    })
}

/// Whether the type takes the [`RESULT_FLOW`] fields too.
fn has_result_flow(ty: &str) -> bool {
    matches!(ty, "Task" | "Parallel" | "Map")
}

/// The message for a field used under the other query language:
/// `The QueryLanguage is set to 'JSONata', but field 'InputPath' is only
/// supported for the 'JSONPath' QueryLanguage`.
pub(crate) fn wrong_language(field: &str, lang: QueryLanguage) -> String {
    let other = match lang {
        QueryLanguage::JsonPath => QueryLanguage::Jsonata,
        QueryLanguage::Jsonata => QueryLanguage::JsonPath,
    };
    format!(
        "The QueryLanguage is set to '{}', but field '{field}' is only supported for the '{}' QueryLanguage",
        lang.as_str(),
        other.as_str()
    )
}

/// Reports fields the type does not know (`Field 'Foo' is not supported`) and
/// fields of the other query language.
fn check_fields(cx: &mut Cx<'_>, obj: &Obj<'_>, ty: &str, lang: QueryLanguage) {
    let own = type_fields(ty).unwrap_or(&[]);
    for key in obj.map.keys() {
        let k = key.as_str();
        let known = COMMON.contains(&k)
            || own.contains(&k)
            || (has_result_flow(ty) && RESULT_FLOW.contains(&k));
        if !known {
            cx.schema(&obj.at, format!("Field '{key}' is not supported"));
        } else if (lang == QueryLanguage::Jsonata && JSONPATH_ONLY.contains(&k))
            || (lang == QueryLanguage::JsonPath && JSONATA_ONLY.contains(&k))
        {
            cx.schema(&obj.at, wrong_language(k, lang));
        }
    }
}

/// Reads one state; `None` when its `Type` is missing or unknown.
pub(crate) fn state(cx: &mut Cx<'_>, name: &str, obj: &Obj<'_>) -> Option<State> {
    if !obj.require(cx, &["Type"]) {
        return None;
    }
    let ty = obj.string(cx, "Type")?;
    if type_fields(&ty).is_none() {
        cx.schema(
            &obj.field_at("Type"),
            "Instance value not found in enum [Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map]",
        );
        return None;
    }
    let query_language = obj
        .get("QueryLanguage")
        .map(|v| query_language(cx, &obj.field_at("QueryLanguage"), v));
    if query_language == Some(QueryLanguage::JsonPath)
        && cx.machine_language == QueryLanguage::Jsonata
    {
        cx.schema(
            &obj.at,
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
        );
    }
    let lang = query_language.unwrap_or(cx.machine_language);
    check_fields(cx, obj, &ty, lang);

    let jsonpath = lang == QueryLanguage::JsonPath;
    let transition = match ty.as_str() {
        "Choice" | "Succeed" | "Fail" => None,
        _ => transition(cx, obj),
    };
    let input_path = obj.path_field(cx, "InputPath");
    let output_path = obj.path_field(cx, "OutputPath");
    let result_path = obj.path_field(cx, "ResultPath");
    if jsonpath {
        check_path(cx, obj, "InputPath", &input_path, false);
        check_path(cx, obj, "OutputPath", &output_path, false);
        check_path(cx, obj, "ResultPath", &result_path, true);
    }
    let parameters = template(cx, obj, "Parameters", jsonpath);
    let result_selector = template(cx, obj, "ResultSelector", jsonpath);
    let assign = template(cx, obj, "Assign", jsonpath);
    let arguments = obj.get("Arguments").cloned();
    let output = obj.get("Output").cloned();
    let retry = retriers(cx, obj);
    let catch = catchers(cx, obj, lang);

    let kind = match ty.as_str() {
        "Pass" => StateKind::Pass(Pass {
            result: obj.get("Result").cloned(),
        }),
        "Task" => StateKind::Task(task(cx, obj, lang)?),
        "Choice" => StateKind::Choice(choice::choice(cx, obj, lang)),
        "Wait" => StateKind::Wait(wait(cx, obj, lang)?),
        "Succeed" => StateKind::Succeed,
        "Fail" => StateKind::Fail(fail(cx, obj, lang)),
        "Parallel" => StateKind::Parallel(parallel(cx, obj)),
        _ => StateKind::Map(Box::new(map::map(cx, obj, lang)?)),
    };
    Some(State {
        name: name.to_owned(),
        comment: obj.string(cx, "Comment"),
        query_language,
        transition,
        input_path,
        output_path,
        result_path,
        parameters,
        result_selector,
        arguments,
        output,
        assign,
        retry,
        catch,
        kind,
    })
}

/// `Next` or `End: true`, exactly one of them.
fn transition(cx: &mut Cx<'_>, obj: &Obj<'_>) -> Option<Transition> {
    let next = obj.string(cx, "Next");
    let end = obj.boolean(cx, "End").unwrap_or(false);
    match (next, end) {
        (Some(_), true) => {
            cx.schema(
                &obj.at,
                "There should only be one of the following fields: [Next, End]",
            );
            None
        }
        (Some(n), false) => Some(Transition::Next(n)),
        (None, true) => Some(Transition::End),
        (None, false) => {
            cx.schema(
                &obj.at,
                "There should be exactly one of the following fields: [Next, End]",
            );
            None
        }
    }
}

/// Checks the syntax of a JSONPath data-flow field; `reference` asks for a
/// reference path (names and indices only), as `ResultPath` requires.
pub(crate) fn check_path(
    cx: &mut Cx<'_>,
    obj: &Obj<'_>,
    key: &str,
    value: &Option<PathField>,
    reference: bool,
) {
    let Some(PathField::Path(p)) = value else {
        return;
    };
    let ok = if reference {
        paths::is_reference_path(p, false)
    } else {
        paths::is_path(p)
    };
    if !ok {
        let kind = if reference {
            "ReferencePath"
        } else {
            "JSONPath"
        };
        cx.schema(
            &obj.field_at(key),
            format!("The value for the field '{key}' must be a valid {kind}"),
        );
    }
}

/// A payload template field (`Parameters`, `ResultSelector`, `ItemSelector`,
/// `Assign`); in JSONPath states its `.$` keys are checked.
pub(crate) fn template(cx: &mut Cx<'_>, obj: &Obj<'_>, key: &str, jsonpath: bool) -> Option<Value> {
    let value = obj.get(key)?;
    if jsonpath {
        paths::check_template(&mut cx.diags, &obj.field_at(key), value);
    }
    Some(value.clone())
}

fn task(cx: &mut Cx<'_>, obj: &Obj<'_>, lang: QueryLanguage) -> Option<Task> {
    let jsonata = lang == QueryLanguage::Jsonata;
    obj.require(cx, &["Resource"]);
    let resource = obj.string(cx, "Resource");
    if let Some(r) = &resource {
        resource::check(cx, &obj.field_at("Resource"), r);
    }
    let timeout_seconds = obj.dynamic(cx, "TimeoutSeconds", jsonata, |o, cx| {
        o.int_min(cx, "TimeoutSeconds", 1)
    });
    let heartbeat_seconds = obj.dynamic(cx, "HeartbeatSeconds", jsonata, |o, cx| {
        o.int_min(cx, "HeartbeatSeconds", 1)
    });
    for key in ["TimeoutSecondsPath", "HeartbeatSecondsPath"] {
        if let Some(Value::String(p)) = obj.get(key)
            && !paths::is_reference_path(p, true)
        {
            cx.schema(&obj.field_at(key), "Value is not a Reference Path");
        }
    }
    if let Some(Dynamic::Literal(h)) = heartbeat_seconds {
        let timeout = match timeout_seconds {
            Some(Dynamic::Literal(t)) => Some(t),
            None => Some(99_999_999),
            _ => None,
        };
        if timeout.is_some_and(|t| h >= t) {
            cx.schema(
                &obj.field_at("HeartbeatSeconds"),
                "HeartbeatSeconds must be smaller than TimeoutSeconds",
            );
        }
    }
    let credentials = obj.object(cx, "Credentials").map(|c| {
        let has_role = c.contains_key("RoleArn") || (!jsonata && c.contains_key("RoleArn.$"));
        if !has_role {
            cx.schema(
                &obj.field_at("Credentials"),
                "The field 'RoleArn' is required but was missing",
            );
        }
        Value::Object(c.clone())
    });
    Some(Task {
        resource: resource?,
        timeout_seconds,
        heartbeat_seconds,
        credentials,
    })
}

fn wait(cx: &mut Cx<'_>, obj: &Obj<'_>, lang: QueryLanguage) -> Option<Wait> {
    const ONE_OF: [&str; 4] = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"];
    let jsonata = lang == QueryLanguage::Jsonata;
    if !obj.at_most_one(cx, &ONE_OF) {
        return None;
    }
    if !ONE_OF.iter().any(|k| obj.has(k)) {
        cx.schema(
            &obj.at,
            "There should be exactly one of the following fields: [Seconds, SecondsPath, Timestamp, TimestampPath]",
        );
        return None;
    }
    for key in ["SecondsPath", "TimestampPath"] {
        if let Some(Value::String(p)) = obj.get(key)
            && !paths::is_reference_path(p, true)
        {
            cx.schema(&obj.field_at(key), "Value is not a Reference Path");
        }
    }
    if obj.has("Seconds") || obj.has("SecondsPath") {
        let d = obj.dynamic(cx, "Seconds", jsonata, |o, cx| {
            let s = o.int(cx, "Seconds")?;
            if s < 0 {
                cx.schema(&o.field_at("Seconds"), "Minimum value is 0");
                return None;
            }
            Some(s)
        })?;
        return Some(Wait::Seconds(d));
    }
    let d = obj.dynamic(cx, "Timestamp", jsonata, |o, cx| {
        let t = o.string(cx, "Timestamp")?;
        if !timestamp::is_rfc3339(&t) {
            cx.schema(
                &o.field_at("Timestamp"),
                "String does not match RFC3339 timestamp",
            );
            return None;
        }
        Some(t)
    })?;
    Some(Wait::Timestamp(d))
}

fn fail(cx: &mut Cx<'_>, obj: &Obj<'_>, lang: QueryLanguage) -> Fail {
    let jsonata = lang == QueryLanguage::Jsonata;
    let mut read = |key: &str| {
        let d = obj.dynamic(cx, key, jsonata, |o, cx| o.string(cx, key));
        if let Some(Dynamic::Path(p)) = &d
            && !paths::is_path(p)
            && !paths::is_intrinsic(p)
        {
            let field = format!("{key}Path");
            cx.schema(
                &obj.field_at(&field),
                format!("The value for the field '{field}' must be a valid JSONPath or a valid intrinsic function call"),
            );
        }
        d
    };
    let error = read("Error");
    let cause = read("Cause");
    Fail { error, cause }
}

fn parallel(cx: &mut Cx<'_>, obj: &Obj<'_>) -> Parallel {
    obj.require(cx, &["Branches"]);
    let mut branches = Vec::new();
    if let Some(list) = obj.array(cx, "Branches") {
        let list_at = obj.field_at("Branches");
        if list.is_empty() {
            cx.schema(&list_at, "The field 'Branches' must not be empty");
        }
        for (i, b) in list.iter().enumerate() {
            let b_at = at_index(&list_at, i);
            let Value::Object(m) = b else {
                cx.schema(&b_at, "Expected value of type Object");
                continue;
            };
            let b_obj = Obj::new(m, &b_at);
            b_obj.require(cx, &["StartAt", "States"]);
            b_obj.allow_only(cx, &["StartAt", "States", "Comment"]);
            branches.push(graph(cx, &b_obj));
        }
    }
    Parallel { branches }
}

/// Reads `ErrorEquals` of a retrier or catcher.
fn error_equals(cx: &mut Cx<'_>, obj: &Obj<'_>) -> Vec<String> {
    let mut names = Vec::new();
    let Some(list) = obj.array(cx, "ErrorEquals") else {
        return names;
    };
    let list_at = obj.field_at("ErrorEquals");
    if list.is_empty() {
        cx.schema(&list_at, "The field 'ErrorEquals' must not be empty");
    }
    for (i, v) in list.iter().enumerate() {
        match v.as_str() {
            Some(s) => names.push(s.to_owned()),
            None => cx.schema(&at_index(&list_at, i), "Expected value of type String"),
        }
    }
    errors::check_error_equals(&mut cx.diags, &list_at, &names);
    names
}

fn rules<'a>(cx: &mut Cx<'_>, obj: &Obj<'a>, key: &str) -> Vec<(usize, Obj<'a>)> {
    let mut out = Vec::new();
    let Some(list) = obj.array(cx, key) else {
        return out;
    };
    let list_at = obj.field_at(key);
    for (i, v) in list.iter().enumerate() {
        let r_at = at_index(&list_at, i);
        match v {
            Value::Object(m) => out.push((i, Obj::new(m, &r_at))),
            _ => cx.schema(&r_at, "Expected value of type Object"),
        }
    }
    out
}

fn retriers(cx: &mut Cx<'_>, obj: &Obj<'_>) -> Vec<Retrier> {
    let mut out = Vec::new();
    let list = rules(cx, obj, "Retry");
    let count = list.len();
    for (i, r) in list {
        r.require(cx, &["ErrorEquals"]);
        r.allow_only(
            cx,
            &[
                "ErrorEquals",
                "IntervalSeconds",
                "MaxAttempts",
                "BackoffRate",
                "MaxDelaySeconds",
                "JitterStrategy",
                "Comment",
            ],
        );
        let error_equals = error_equals(cx, &r);
        errors::check_all_is_last(&mut cx.diags, &r.at, &error_equals, i + 1 == count, "Retry");
        let mut retrier = Retrier {
            comment: r.string(cx, "Comment"),
            error_equals,
            ..Retrier::default()
        };
        if let Some(v) = r.int_min(cx, "IntervalSeconds", 1) {
            retrier.interval_seconds = v;
        }
        if let Some(v) = r.int_min(cx, "MaxAttempts", 0) {
            retrier.max_attempts = v;
        }
        if let Some(v) = r.number(cx, "BackoffRate") {
            if v < 1.0 {
                cx.schema(&r.field_at("BackoffRate"), "Minimum value is 1.0");
            } else {
                retrier.backoff_rate = v;
            }
        }
        retrier.max_delay_seconds = r.int_min(cx, "MaxDelaySeconds", 1);
        match r.string(cx, "JitterStrategy").as_deref() {
            None | Some("NONE") => {}
            Some("FULL") => retrier.jitter_strategy = JitterStrategy::Full,
            Some(_) => cx.schema(
                &r.field_at("JitterStrategy"),
                "Instance value not found in enum [FULL, NONE]",
            ),
        }
        out.push(retrier);
    }
    out
}

fn catchers(cx: &mut Cx<'_>, obj: &Obj<'_>, lang: QueryLanguage) -> Vec<Catcher> {
    let mut out = Vec::new();
    let list = rules(cx, obj, "Catch");
    let count = list.len();
    for (i, c) in list {
        c.require(cx, &["ErrorEquals", "Next"]);
        c.allow_only(
            cx,
            &[
                "ErrorEquals",
                "Next",
                "ResultPath",
                "Output",
                "Comment",
                "Assign",
            ],
        );
        for key in c.map.keys() {
            if (lang == QueryLanguage::Jsonata && key == "ResultPath")
                || (lang == QueryLanguage::JsonPath && key == "Output")
            {
                cx.schema(&c.at, wrong_language(key, lang));
            }
        }
        let error_equals = error_equals(cx, &c);
        errors::check_all_is_last(&mut cx.diags, &c.at, &error_equals, i + 1 == count, "Catch");
        let result_path = c.path_field(cx, "ResultPath");
        if lang == QueryLanguage::JsonPath {
            check_path(cx, &c, "ResultPath", &result_path, true);
        }
        let assign = template(cx, &c, "Assign", lang == QueryLanguage::JsonPath);
        out.push(Catcher {
            comment: c.string(cx, "Comment"),
            error_equals,
            next: c.string(cx, "Next").unwrap_or_default(),
            result_path,
            output: c.get("Output").cloned(),
            assign,
        });
    }
    out
}

/// Whether a JSON value is a JSONata expression string.
pub(crate) fn is_jsonata_value(v: &Value) -> bool {
    v.as_str().is_some_and(is_jsonata)
}
