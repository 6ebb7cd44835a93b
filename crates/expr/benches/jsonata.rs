//! Criterion benchmarks of JSONata evaluation with a `$states` binding, as a state evaluates it.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use expr::jsonata::{Bindings, Determinism, Expression, Limits};
use serde_json::{Value, json};

/// A `$states` value whose input is about 1 KiB of JSON.
fn states() -> Value {
    let items: Vec<Value> = (0..16)
        .map(|i| {
            json!({
                "sku": format!("SKU-{i:04}"),
                "name": format!("item {i}"),
                "price": 2.5 * f64::from(i),
                "qty": i % 4 + 1
            })
        })
        .collect();
    let input = json!({
        "orderId": "ord-20240101-0001",
        "customer": {"id": "c-42", "name": "María", "tier": "gold"},
        "items": items,
        "currency": "EUR"
    });
    json!({
        "input": input,
        "context": {
            "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:sm:run", "StartTime": "2024-01-01T00:00:00.000Z"},
            "State": {"Name": "Price", "EnteredTime": "2024-01-01T00:00:01.000Z"}
        }
    })
}

const EXPRESSIONS: [(&str, &str); 4] = [
    ("filter_names", "$states.input.items[price > 10].name"),
    ("field", "$states.input.customer.id"),
    (
        "object_sum_join",
        "{'total': $sum($states.input.items.(price * qty)), 'names': $join($states.input.items.name, ', '), 'gold': $states.input.customer.tier = 'gold'}",
    ),
    (
        "condition",
        "$states.input.customer.tier = 'gold' and $count($states.input.items) > 10",
    ),
];

fn bench(c: &mut Criterion) {
    let states = states();
    let size = serde_json::to_string(&states["input"]).unwrap().len();
    assert!((900..1300).contains(&size), "input of {size} bytes");
    let det = Determinism {
        now_millis: 1_704_067_200_000,
        seed: 7,
    };
    let limits = Limits::default();
    // What a state does: bind `$states` once, evaluate each of its expressions.
    let bound = Bindings::new().with("states", states.clone());
    for (name, text) in EXPRESSIONS {
        let expr = Expression::compile(text).unwrap();
        let result = expr.evaluate_with(None, &bound, &det, &limits).unwrap();
        assert!(result.is_some(), "{name}");
        c.bench_function(&format!("eval/{name}"), |b| {
            b.iter(|| expr.evaluate_with(None, black_box(&bound), &det, &limits))
        });
    }
    let (_, text) = EXPRESSIONS[0];
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
