//! Shared helpers for the conformance-driven tests: reading the recorded cases.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Where the AWS-recorded cases live: `$STEPWISE_CONFORMANCE_DIR/sfn`, or the
/// project's shared folder beside the checkout.
pub fn cases_dir() -> PathBuf {
    match std::env::var("STEPWISE_CONFORMANCE_DIR") {
        Ok(dir) => PathBuf::from(dir).join("sfn"),
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/sfn"),
    }
}

/// One recorded case, as parsed JSON, with its file path.
pub struct Case {
    pub path: PathBuf,
    pub json: Value,
}

impl Case {
    pub fn id(&self) -> &str {
        self.json["id"].as_str().unwrap_or("?")
    }

    pub fn kind(&self) -> &str {
        self.json["kind"].as_str().unwrap_or("?")
    }

    /// The definition as JSON text, with the recordings' stand-ins for
    /// resources replaced by values of the right shape.
    pub fn definition_text(&self) -> String {
        let mut def = self.json["definition"].clone();
        substitute(&mut def);
        serde_json::to_string(&def).unwrap_or_default()
    }

    pub fn is_express(&self) -> bool {
        self.json["state_machine_type"] == "EXPRESS"
    }
}

/// The recordings replaced activity ARNs by the word `activity_arn`.
fn substitute(v: &mut Value) {
    match v {
        Value::String(s) if s == "activity_arn" => {
            *s = "arn:aws:states:us-east-1:111111111111:activity:Activity".into();
        }
        Value::Array(items) => items.iter_mut().for_each(substitute),
        Value::Object(map) => map.values_mut().for_each(substitute),
        _ => {}
    }
}

/// Every case file under the conformance folder, sorted by path.
pub fn all_cases() -> Vec<Case> {
    let mut out = Vec::new();
    let root = cases_dir();
    let Ok(dirs) = std::fs::read_dir(&root) else {
        panic!("conformance cases not found at {}", root.display());
    };
    for dir in dirs.flatten() {
        if !dir.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            if path.extension().and_then(|e| e.to_str()) == Some("json") {
                out.push(read(&path));
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn read(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).expect("readable case");
    let json = serde_json::from_str(&text).expect("case is JSON");
    Case {
        path: path.to_owned(),
        json,
    }
}
