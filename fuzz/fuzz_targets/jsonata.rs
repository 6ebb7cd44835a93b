//! Feeds arbitrary text to the JSONata compiler and evaluator (`expr::jsonata`), under tight
//! limits: neither may panic, overflow the stack or run away, whatever the expression.
//!
//! The input is `EXPRESSION`, optionally followed by a NUL byte and a JSON document used as
//! the input (`$`); without one, a small fixed document is used. Both dialects run, with a
//! workflow variable and `$states` bound as the engine binds them.
#![no_main]

use expr::jsonata::{Bindings, Determinism, Dialect, Expression, Limits};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn limits() -> Limits {
    Limits {
        max_depth: 200,
        max_steps: 20_000,
        max_result_bytes: 64 * 1024,
        max_string_bytes: 64 * 1024,
        max_array_items: 10_000,
        timeout_ms: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (source, doc) = match text.split_once('\u{0}') {
        Some((s, d)) => (s, serde_json::from_str::<Value>(d).ok()),
        None => (&*text, None),
    };
    let input = doc.unwrap_or_else(|| {
        json!({"items": [{"name": "a", "price": 5}, {"name": "b", "price": 15.5}],
               "s": "Hello, World", "n": -3, "t": true, "z": null})
    });
    let bindings = Bindings::new()
        .with("x", json!([1, 2, 3]))
        .with("states", json!({"input": input.clone(), "context": {"Execution": {"Id": "e"}}}));
    let det = Determinism {
        now_millis: 1_700_000_000_000,
        seed: 7,
    };
    let limits = limits();
    for dialect in [Dialect::StepFunctions, Dialect::Standard] {
        let Ok(compiled) = Expression::compile_with(source, dialect) else {
            return;
        };
        if let Ok(Some(v)) = compiled.evaluate_with(Some(&input), &bindings, &det, &limits) {
            // A result must be JSON that serializes and reads back.
            let text = serde_json::to_string(&v).expect("a result serializes");
            let _: Value = serde_json::from_str(&text).expect("a result reads back");
        }
        let _ = compiled.evaluate_with(None, &bindings, &det, &limits);
    }
});
