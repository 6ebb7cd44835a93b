//! Differential fuzzing of our own JSONata evaluator (`expr::jsonata`'s fast path) against
//! `jlens-core`: for every expression the fast path takes, both must give the same value or
//! fail with the same error code. Limit errors (`U1001`, `U1006`, `D1011`, `D1012`) are not
//! compared: the two count steps and depth differently.
//!
//! Input as for the `jsonata` target: `EXPRESSION`, optionally a NUL byte and a JSON document.
//!
//!   cd fuzz && cargo +nightly fuzz run jsonata_fast corpus/jsonata
#![no_main]

use expr::jsonata::{Bindings, Determinism, Expression, Limits};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const LIMIT_CODES: [&str; 4] = ["U1001", "U1006", "D1011", "D1012"];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (source, doc) = match text.split_once('\u{0}') {
        Some((s, d)) => (s, serde_json::from_str::<Value>(d).ok()),
        None => (&*text, None),
    };
    let input = doc.unwrap_or_else(|| {
        json!({"items": [{"name": "a", "price": 5, "tags": ["x", "y"]},
                         {"name": "b", "price": 15.5, "tags": []},
                         {"name": "c", "price": 1e3, "tags": "z"}],
               "s": "Hello, World", "n": -3, "t": true, "z": null, "o": {"a": {"b": [1, [2, 3]]}}})
    });
    let bindings = Bindings::new()
        .with("x", json!([1, 2, 3]))
        .with("states", json!({"input": input.clone(), "context": {"Execution": {"Id": "e"}}}));
    let det = Determinism {
        now_millis: 1_700_000_000_000,
        seed: 7,
    };
    let limits = Limits {
        max_depth: 200,
        max_steps: 20_000,
        max_result_bytes: 64 * 1024,
        max_string_bytes: 64 * 1024,
        max_array_items: 10_000,
        timeout_ms: None,
    };
    let Ok(compiled) = Expression::compile(source) else {
        return;
    };
    if !compiled.is_fast() {
        return;
    }
    for input in [Some(&input), None] {
        let ours = compiled.evaluate_with(input, &bindings, &det, &limits);
        let theirs = compiled.evaluate_reference(input, &bindings, &det, &limits);
        match (&ours, &theirs) {
            (Err(e), _) | (_, Err(e)) if LIMIT_CODES.contains(&e.code.as_str()) => {}
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{source}"),
            (Err(a), Err(b)) => assert_eq!(a.code, b.code, "{source}: {a} / {b}"),
            _ => panic!("{source}: ours {ours:?}, jlens {theirs:?}"),
        }
    }
});
