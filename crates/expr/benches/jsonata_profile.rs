//! One JSONata case of `jsonata_cases.json` evaluated in a loop, for profilers
//! (`valgrind --tool=callgrind`): `jsonata_profile <case name> <evaluations> [jlens]`; with
//! `jlens`, through `jlens-core` alone.

use expr::jsonata::{Bindings, Determinism, Expression, Limits};
use serde_json::{Value, json};
use std::hint::black_box;

const CASES: &str = include_str!("jsonata_cases.json");

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "filter_names".to_owned());
    let count: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let reference = args.next().is_some_and(|a| a == "jlens");
    let cases: Value = serde_json::from_str(CASES).expect("jsonata_cases.json is JSON");
    let text = cases["asl"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == name.as_str())
        .and_then(|c| c["expr"].as_str())
        .unwrap_or_else(|| panic!("no asl case named {name}"));
    let states = json!({"input": cases["document"].clone(), "context": cases["context"].clone()});
    let bound = Bindings::new().with("states", states);
    let det = Determinism {
        now_millis: 1_704_067_200_000,
        seed: 7,
    };
    let limits = Limits::default();
    let expr = Expression::compile(text).expect("compiles");
    let mut last = None;
    for _ in 0..count {
        last = black_box(if reference {
            expr.evaluate_reference(None, black_box(&bound), &det, &limits)
        } else {
            expr.evaluate_with(None, black_box(&bound), &det, &limits)
        })
        .ok();
    }
    println!(
        "{name}: {}",
        serde_json::to_string(&last).unwrap_or_default()
    );
}
