//! Reads a definition's JSON value into the model, reporting schema problems as
//! it goes.
//!
//! Reading is done by hand from `serde_json::Value` rather than with serde
//! derive so that one pass can report every problem (each with its JSON
//! pointer) and still build as much of the model as possible.

mod choice;
mod fields;
mod map;
mod state;

use serde_json::{Map as JsonMap, Value};

use crate::check;
use crate::diagnostic::Diagnostic;
use crate::model::{Definition, Graph, QueryLanguage};
use crate::{ParseOptions, StateMachineType};

pub(crate) use fields::Obj;

/// `SCHEMA_VALIDATION_FAILED`: the document does not have the shape ASL requires.
pub(crate) const SCHEMA: &str = crate::diagnostic::codes::SCHEMA_VALIDATION_FAILED;

/// What the reader carries through the document: the diagnostics found so far and
/// what the whole machine says that nested parts depend on.
pub(crate) struct Cx<'o> {
    pub diags: Vec<Diagnostic>,
    pub options: &'o ParseOptions,
    /// The top-level `QueryLanguage`: states inside Parallel branches and Map
    /// processors inherit this one, not their parent state's (as AWS does).
    pub machine_language: QueryLanguage,
    /// Every Map `Label` seen, to report duplicates.
    pub labels: Vec<String>,
}

impl Cx<'_> {
    pub fn schema(&mut self, at: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(SCHEMA, at, message));
    }

    pub fn express(&self) -> bool {
        self.options.state_machine_type == StateMachineType::Express
    }
}

/// `base` + `/` + `key`: a JSON pointer one level down. State names are not
/// escaped, as AWS's own locations show them verbatim.
pub(crate) fn at(base: &str, key: &str) -> String {
    let mut s = String::with_capacity(base.len() + key.len() + 1);
    if base != "/" {
        s.push_str(base);
    }
    s.push('/');
    s.push_str(key);
    s
}

/// The location of an array element: AWS writes `/States/C/Choices[0]/Next`.
pub(crate) fn at_index(base: &str, index: usize) -> String {
    format!("{base}[{index}]")
}

/// Reads the whole document.
pub(crate) fn definition(value: &Value, options: &ParseOptions) -> (Definition, Vec<Diagnostic>) {
    let mut cx = Cx {
        diags: Vec::new(),
        options,
        machine_language: QueryLanguage::JsonPath,
        labels: Vec::new(),
    };
    let empty = JsonMap::new();
    let map = match value {
        Value::Object(map) => map,
        _ => {
            cx.schema("/", "Expected value of type Object");
            &empty
        }
    };
    let obj = Obj::new(map, "/");
    obj.require(&mut cx, &["StartAt", "States"]);
    obj.allow_only(
        &mut cx,
        &[
            "Comment",
            "StartAt",
            "States",
            "TimeoutSeconds",
            "Version",
            "QueryLanguage",
        ],
    );
    let query_language = match obj.get("QueryLanguage") {
        Some(v) => query_language(&mut cx, &obj.field_at("QueryLanguage"), v),
        None => QueryLanguage::JsonPath,
    };
    cx.machine_language = query_language;
    let version = obj.string(&mut cx, "Version");
    if let Some(v) = &version
        && v != "1.0"
    {
        cx.schema(
            &obj.field_at("Version"),
            "Instance value not found in enum [1.0]",
        );
    }
    let timeout_seconds = obj.positive_int(&mut cx, "TimeoutSeconds");
    let graph = graph(&mut cx, &obj);
    if !cx.diags.iter().any(|d| d.code == SCHEMA) {
        check::graph::check_machine(&mut cx.diags, &graph);
    }
    let definition = Definition {
        comment: obj.string(&mut cx, "Comment"),
        version,
        timeout_seconds,
        query_language,
        graph,
    };
    (definition, cx.diags)
}

/// Reads a `QueryLanguage` value. Anything but exactly `JSONPath` counts as
/// JSONata, as AWS resolves it; a value outside the enum is also reported.
pub(crate) fn query_language(cx: &mut Cx<'_>, at: &str, value: &Value) -> QueryLanguage {
    match value.as_str() {
        Some("JSONPath") => QueryLanguage::JsonPath,
        Some("JSONata") => QueryLanguage::Jsonata,
        _ => {
            cx.schema(at, "Instance value not found in enum [JSONPath, JSONata]");
            QueryLanguage::Jsonata
        }
    }
}

/// Reads `StartAt`, `States` and `Comment` of the top level, a Parallel branch
/// or a Map processor. The caller checks which other fields its level allows.
pub(crate) fn graph(cx: &mut Cx<'_>, obj: &Obj<'_>) -> Graph {
    let start_at = obj.string(cx, "StartAt").unwrap_or_default();
    let comment = obj.string(cx, "Comment");
    let mut states = indexmap::IndexMap::new();
    if let Some(map) = obj.object(cx, "States") {
        let states_at = obj.field_at("States");
        if map.is_empty() {
            cx.schema(&states_at, "The field 'States' must not be empty");
        }
        for (name, value) in map {
            let state_at = at(&states_at, name);
            match value {
                Value::Object(fields) => {
                    if let Some(state) = state::state(cx, name, &Obj::new(fields, &state_at)) {
                        states.insert(name.clone(), state);
                    }
                }
                _ => cx.schema(&state_at, "Expected value of type Object"),
            }
        }
    }
    Graph {
        comment,
        start_at,
        states,
    }
}
