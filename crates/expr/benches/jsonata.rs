//! Criterion benchmarks of JSONata evaluation, as a state evaluates it: compiled once, `$states`
//! bound once per state, each expression evaluated against it.
//!
//! The expressions and the ~1 KiB document are in `jsonata_cases.json`, which
//! `jsonata_reference.mjs` times with the reference implementation (npm `jsonata`), so the two
//! report the same cases side by side:
//!
//! ```text
//! cargo bench -p expr --bench jsonata
//! npm install --prefix /tmp/jsonata-ref jsonata
//! node crates/expr/benches/jsonata_reference.mjs /tmp/jsonata-ref
//! ```
//!
//! The `suite/…` cases are official JSONata suite expressions over its `dataset5`, read from the
//! conformance folder (`STEPWISE_CONFORMANCE_DIR`, else `../shared/conformance`); they are
//! skipped when it is absent.

use std::path::PathBuf;

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use expr::jsonata::{Bindings, Determinism, Expression, Limits};
use serde_json::{Value, json};

const CASES: &str = include_str!("jsonata_cases.json");

/// `(name, expression)` pairs of one group of the cases file.
fn named(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    Some((
                        c["name"].as_str()?.to_owned(),
                        c["expr"].as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn dataset(name: &str) -> Option<Value> {
    let root = match std::env::var("STEPWISE_CONFORMANCE_DIR") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    };
    let text = std::fs::read_to_string(root.join(format!("jsonata/datasets/{name}.json"))).ok()?;
    serde_json::from_str(&text).ok()
}

fn bench(c: &mut Criterion) {
    let cases: Value = serde_json::from_str(CASES).expect("jsonata_cases.json is JSON");
    let document = cases["document"].clone();
    let size = serde_json::to_string(&document).unwrap().len();
    assert!((900..1300).contains(&size), "input of {size} bytes");
    let states = json!({"input": document, "context": cases["context"].clone()});
    let det = Determinism {
        now_millis: 1_704_067_200_000,
        seed: 7,
    };
    let limits = Limits::default();

    // What a state does: bind `$states` once, evaluate each of its expressions.
    let bound = Bindings::new().with("states", states.clone());
    let asl = named(&cases["asl"]);
    for (name, text) in &asl {
        let expr = Expression::compile(text).unwrap();
        let result = expr.evaluate_with(None, &bound, &det, &limits).unwrap();
        assert!(result.is_some(), "{name}");
        c.bench_function(&format!("eval/{name}"), |b| {
            b.iter(|| expr.evaluate_with(None, black_box(&bound), &det, &limits))
        });
        // The same expression through jlens-core alone, as before our own evaluator.
        c.bench_function(&format!("jlens/{name}"), |b| {
            b.iter(|| expr.evaluate_reference(None, black_box(&bound), &det, &limits))
        });
    }

    if let Some(data) = cases["suite"]["dataset"].as_str().and_then(dataset) {
        let none = Bindings::new();
        for (name, text) in named(&cases["suite"]["cases"]) {
            let expr = Expression::compile(&text).unwrap();
            let result = expr
                .evaluate_with(Some(&data), &none, &det, &limits)
                .unwrap();
            assert!(result.is_some(), "{name}");
            c.bench_function(&format!("suite/{name}"), |b| {
                b.iter(|| expr.evaluate_with(Some(black_box(&data)), &none, &det, &limits))
            });
            c.bench_function(&format!("suite_jlens/{name}"), |b| {
                b.iter(|| expr.evaluate_reference(Some(black_box(&data)), &none, &det, &limits))
            });
        }
    }

    let text = &asl[0].1;
    let expr = Expression::compile(text).unwrap();
    // The convenience form copies each binding before evaluating.
    let pairs = [("states", &states)];
    c.bench_function("eval_copying_bindings/filter_names", |b| {
        b.iter(|| expr.evaluate(None, black_box(&pairs), &det, &limits))
    });
    c.bench_function("compile+eval/filter_names", |b| {
        b.iter(|| {
            Expression::compile(black_box(text))
                .unwrap()
                .evaluate_with(None, &bound, &det, &limits)
        })
    });
    c.bench_function("bind/states", |b| {
        b.iter(|| Bindings::new().with("states", black_box(&states).clone()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
