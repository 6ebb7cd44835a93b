//! The official JSONata test suite (`shared/conformance/jsonata`) run through `expr::jsonata`.
//!
//! Every case runs. A case that fails must be listed, with its reason, in
//! `tests/jsonata_known_failures.txt`; the test fails when an unlisted case fails and when a
//! listed case passes, so the list can only shrink.
//!
//! Runner conventions, as in the suite's own JavaScript runner:
//! - `depth` becomes [`Limits::max_depth`]. `timelimit` is not used: wall-clock limits would
//!   make the result depend on the machine's load; the step limit bounds every case instead.
//! - The JavaScript runner reports its own depth and time box as `U1001`; a case expecting
//!   `U1001` under a `depth` or `timelimit` passes when a limit of ours stops it (`D1011`,
//!   `D1012`, `U1006`, `U1001`).
//! - Cases run in the Step Functions dialect, the one the engine uses.
//!
//! `fast_path_agrees_with_jlens` runs every case that our own evaluator covers through both
//! evaluators and requires the same result or the same error code.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use expr::jsonata::{Bindings, Determinism, Expression, Limits};
use serde_json::Value;

const DET: Determinism = Determinism {
    now_millis: 1_700_000_000_000,
    seed: 1,
};

struct Case {
    name: String,
    expr: String,
    input: Option<Value>,
    bindings: Vec<(String, Value)>,
    depth: Option<usize>,
    limited: bool,
    expect: Expect,
}

enum Expect {
    Value(Value),
    Undefined,
    Code(String),
    /// The case file is not valid JSON for `serde_json`.
    Unreadable(String),
}

fn unreadable(name: String, why: String) -> Case {
    Case {
        name,
        expr: String::new(),
        input: None,
        bindings: Vec::new(),
        depth: None,
        limited: false,
        expect: Expect::Unreadable(why),
    }
}

fn suite_dir() -> PathBuf {
    match std::env::var("STEPWISE_CONFORMANCE_DIR") {
        Ok(dir) => PathBuf::from(dir).join("jsonata"),
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/jsonata"),
    }
}

fn load_cases(root: &Path) -> Vec<Case> {
    let datasets = root.join("datasets");
    let mut groups: Vec<PathBuf> = fs::read_dir(root.join("groups"))
        .expect("the groups folder of the JSONata suite")
        .map(|e| e.unwrap().path())
        .collect();
    groups.sort();
    let mut cases = Vec::new();
    for group in groups {
        let group_name = group.file_name().unwrap().to_string_lossy().into_owned();
        let mut files: Vec<PathBuf> = fs::read_dir(&group)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for file in files {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            let text = fs::read_to_string(&file).unwrap();
            let json = match serde_json::from_str(&text) {
                Ok(json) => json,
                Err(e) => {
                    // Lone UTF-16 surrogates (`"\\ud800"`) have no Rust `String` form.
                    cases.push(unreadable(format!("{group_name}/{stem}"), e.to_string()));
                    continue;
                }
            };
            match json {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let name = format!("{group_name}/{stem}[{i}]");
                        cases.push(case(name, item, &group, &datasets));
                    }
                }
                item => cases.push(case(
                    format!("{group_name}/{stem}"),
                    &item,
                    &group,
                    &datasets,
                )),
            }
        }
    }
    cases
}

fn case(name: String, c: &Value, group: &Path, datasets: &Path) -> Case {
    let expr = match (c.get("expr"), c.get("expr-file")) {
        (Some(Value::String(e)), _) => e.clone(),
        (_, Some(Value::String(f))) => fs::read_to_string(group.join(f)).unwrap(),
        _ => panic!("{name}: no expression"),
    };
    let input = match (c.get("data"), c.get("dataset")) {
        (Some(data), _) => Some(data.clone()),
        (None, Some(Value::String(set))) => {
            let text = fs::read_to_string(datasets.join(format!("{set}.json"))).unwrap();
            Some(serde_json::from_str(&text).unwrap())
        }
        _ => None,
    };
    let bindings = match c.get("bindings") {
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => Vec::new(),
    };
    let expect = if let Some(code) = c.get("code").and_then(Value::as_str) {
        Expect::Code(code.to_owned())
    } else if let Some(code) = c.pointer("/error/code").and_then(Value::as_str) {
        Expect::Code(code.to_owned())
    } else if let Some(result) = c.get("result") {
        Expect::Value(result.clone())
    } else if c.get("undefinedResult") == Some(&Value::Bool(true)) {
        Expect::Undefined
    } else {
        panic!("{name}: no expectation")
    };
    Case {
        name,
        expr,
        input,
        bindings,
        depth: c.get("depth").and_then(Value::as_u64).map(|d| d as usize),
        limited: c.get("depth").is_some() || c.get("timelimit").is_some(),
        expect,
    }
}

fn limits(case: &Case) -> Limits {
    let mut limits = Limits::default();
    if let Some(depth) = case.depth {
        limits.max_depth = depth;
    }
    // The suite builds results far larger than a Step Functions payload.
    limits.max_result_bytes = 256 * 1024 * 1024;
    limits
}

/// Runs one case; `Err` says why it failed.
fn run(case: &Case) -> Result<(), String> {
    if let Expect::Unreadable(why) = &case.expect {
        return Err(format!("case file unreadable: {why}"));
    }
    let limits = limits(case);
    let bindings: Vec<(&str, &Value)> =
        case.bindings.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let result = Expression::compile(&case.expr)
        .and_then(|e| e.evaluate(case.input.as_ref(), &bindings, &DET, &limits));
    match (&case.expect, result) {
        (Expect::Value(want), Ok(Some(got))) if same(want, &got) => Ok(()),
        (Expect::Undefined, Ok(None)) => Ok(()),
        (Expect::Code(want), Err(e)) if *want == e.code => Ok(()),
        (Expect::Code(want), Err(e))
            if want == "U1001"
                && case.limited
                && ["D1011", "D1012", "U1006", "U1001"].contains(&e.code.as_str()) =>
        {
            Ok(())
        }
        (Expect::Value(want), got) => Err(format!("expected {want}, got {got:?}")),
        (Expect::Undefined, got) => Err(format!("expected undefined, got {got:?}")),
        (Expect::Code(want), got) => Err(format!("expected error {want}, got {got:?}")),
        (Expect::Unreadable(_), _) => unreachable!("handled above"),
    }
}

/// JSON equality with numbers compared by value, within 1e-9 relative (JavaScript and Rust
/// print and parse a few floating-point results differently in the last digit).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// `name | reason` lines; `#` starts a comment.
fn known_failures() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jsonata_known_failures.txt");
    let text = fs::read_to_string(&path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('|') {
            Some((name, reason)) => (name.trim().to_owned(), reason.trim().to_owned()),
            None => (l.to_owned(), String::new()),
        })
        .collect()
}

#[test]
fn official_jsonata_suite() {
    let root = suite_dir();
    assert!(
        root.join("groups").is_dir(),
        "the JSONata suite is expected at {}",
        root.display()
    );
    let cases = load_cases(&root);
    let known = known_failures();
    let mut passed = 0;
    let mut unexpected = Vec::new();
    let mut fixed = Vec::new();
    for case in &cases {
        match (run(case), known.contains_key(&case.name)) {
            (Ok(()), false) => passed += 1,
            (Ok(()), true) => {
                passed += 1;
                fixed.push(case.name.clone());
            }
            (Err(_), true) => {}
            (Err(why), false) => {
                unexpected.push(format!("{}: {why}\n    {}", case.name, case.expr))
            }
        }
    }
    let names: Vec<&String> = cases.iter().map(|c| &c.name).collect();
    let stale: Vec<&String> = known.keys().filter(|k| !names.contains(k)).collect();
    println!(
        "JSONata suite: {passed} of {} cases pass, {} listed as known failures",
        cases.len(),
        known.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} cases fail that are not in jsonata_known_failures.txt:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        fixed.is_empty(),
        "these cases pass now: remove them from jsonata_known_failures.txt:\n{}",
        fixed.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed cases that do not exist: {stale:?}"
    );
}

#[test]
fn fast_path_agrees_with_jlens() {
    let root = suite_dir();
    assert!(
        root.join("groups").is_dir(),
        "the JSONata suite is expected at {}",
        root.display()
    );
    let cases = load_cases(&root);
    let mut covered = 0;
    let mut differ = Vec::new();
    for case in &cases {
        let Ok(expr) = Expression::compile(&case.expr) else {
            continue;
        };
        if !expr.is_fast() || matches!(case.input, Some(Value::Array(_))) {
            continue;
        }
        covered += 1;
        let bindings: Bindings = case.bindings.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let limits = limits(case);
        let ours = expr.evaluate_with(case.input.as_ref(), &bindings, &DET, &limits);
        let theirs = expr.evaluate_reference(case.input.as_ref(), &bindings, &DET, &limits);
        let agree = match (&ours, &theirs) {
            (Ok(Some(a)), Ok(Some(b))) => a == b,
            (Ok(None), Ok(None)) => true,
            (Err(a), Err(b)) => a.code == b.code,
            _ => false,
        };
        if !agree {
            differ.push(format!(
                "{}: {}\n    ours {ours:?}\n    jlens {theirs:?}",
                case.name, case.expr
            ));
        }
    }
    println!(
        "our own evaluator covers {covered} of {} suite cases",
        cases.len()
    );
    assert!(covered > 500, "only {covered} cases covered");
    assert!(
        differ.is_empty(),
        "{} cases differ between our evaluator and jlens:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

/// The `{% … %}` expressions of the AWS-recorded execution corpus (`conformance/sfn`, run by
/// the engine's tests): how many our own evaluator takes. Each must compile as it did.
#[test]
fn asl_corpus_expressions_on_the_fast_path() {
    let root = suite_dir().join("../sfn");
    if !root.is_dir() {
        return;
    }
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                let t = s.trim();
                if let Some(e) = t.strip_prefix("{%").and_then(|t| t.strip_suffix("%}")) {
                    out.push(e.trim().to_owned());
                } else if t.starts_with('{')
                    && let Ok(inner) = serde_json::from_str::<Value>(t)
                {
                    walk(&inner, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            Value::Object(m) => m.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                files(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    files(&root, &mut paths);
    let mut exprs = Vec::new();
    for p in paths {
        if let Ok(v) = serde_json::from_str::<Value>(&fs::read_to_string(&p).unwrap()) {
            walk(&v, &mut exprs);
        }
    }
    exprs.sort();
    exprs.dedup();
    let compiled: Vec<Expression> = exprs
        .iter()
        .filter_map(|e| Expression::compile(e).ok())
        .collect();
    let fast: Vec<&str> = compiled
        .iter()
        .filter(|e| e.is_fast())
        .map(|e| e.source())
        .collect();
    let slow: Vec<&str> = compiled
        .iter()
        .filter(|e| !e.is_fast())
        .map(|e| e.source())
        .collect();
    println!(
        "ASL corpus: {} distinct expressions, {} compile, {} on our own evaluator; the rest: {slow:?}",
        exprs.len(),
        compiled.len(),
        fast.len()
    );
    assert!(
        fast.len() * 4 >= compiled.len() * 3,
        "only {} of {}",
        fast.len(),
        compiled.len()
    );
}
