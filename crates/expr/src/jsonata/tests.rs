//! Unit tests of the JSONata wrapper: bindings, determinism, limits and the Step Functions
//! functions.

use serde_json::{Value, json};

use super::*;

const DET: Determinism = Determinism {
    now_millis: 1_700_000_000_123,
    seed: 42,
};

fn eval(
    text: &str,
    input: Option<&Value>,
    bindings: &[(&str, &Value)],
) -> Result<Option<Value>, Error> {
    Expression::compile(text)?.evaluate(input, bindings, &DET, &Limits::default())
}

fn ok(text: &str) -> Value {
    match eval(text, None, &[]) {
        Ok(Some(v)) => v,
        other => panic!("{text}: {other:?}"),
    }
}

fn code(text: &str) -> String {
    match eval(text, None, &[]) {
        Err(e) => e.code,
        other => panic!("{text}: expected an error, got {other:?}"),
    }
}

#[test]
fn states_binding_and_undefined() {
    let states =
        json!({"input": {"items": [{"name": "a", "price": 5}, {"name": "b", "price": 20}]}});
    let r = eval(
        "$states.input.items[price > 10].name",
        None,
        &[("states", &states)],
    );
    assert_eq!(r, Ok(Some(json!("b"))));
    assert_eq!(
        eval("$states.input.nothing", None, &[("states", &states)]),
        Ok(None)
    );
    assert_eq!(eval("null", None, &[]), Ok(Some(Value::Null)));
    let x = json!(3);
    assert_eq!(eval("$x * 2", None, &[("x", &x)]), Ok(Some(json!(6))));
}

#[test]
fn errors_carry_code_and_message() {
    let e = eval("$randomSeeded(1)", None, &[]).unwrap_err();
    assert_eq!(e.code, "T1006");
    assert_eq!(e.to_string(), "T1006: Attempted to invoke a non-function");
    assert_eq!(Expression::compile("items[").unwrap_err().code, "S0203");
}

#[test]
fn clock_and_randomness_come_from_determinism() {
    assert_eq!(ok("$millis()"), json!(1_700_000_000_123_i64));
    assert_eq!(ok("$now()"), json!("2023-11-14T22:13:20.123Z"));
    let a = ok("[$random(), $random(), $uuid(), $uuid()]");
    assert_eq!(a, ok("[$random(), $random(), $uuid(), $uuid()]"));
    assert_ne!(a[0], a[1]);
    assert_ne!(a[2], a[3]);
    let other = Expression::compile("$uuid()").unwrap().evaluate(
        None,
        &[],
        &Determinism { seed: 43, ..DET },
        &Limits::default(),
    );
    assert_ne!(other.unwrap(), Some(a[2].clone()));
    assert_eq!(ok("$random(7)"), ok("$random(7)"));
    assert_ne!(ok("$random(7)"), ok("$random(8)"));
    let x = ok("$random()").as_f64().unwrap();
    assert!((0.0..1.0).contains(&x));
}

#[test]
fn partition() {
    assert_eq!(ok("$partition([0, 1, 2, 3], 3)"), json!([[0, 1, 2], [3]]));
    assert_eq!(ok("$partition([0], 2)"), json!([[0]]));
    assert_eq!(
        ok("$partition([1,2,3,4,5,6,7,8,9], 3)"),
        json!([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    );
    assert_eq!(code("$partition([1], 0)"), "D3200");
    assert_eq!(code("$partition([1], 1.5)"), "D3200");
    assert_eq!(code("$partition([1], 'a')"), "T0410");
}

#[test]
fn range() {
    assert_eq!(ok("$range(0, 9, 3)"), json!([0, 3, 6, 9]));
    assert_eq!(ok("$range(0, 10, 3)"), json!([0, 3, 6, 9]));
    assert_eq!(ok("$range(1, 9, 9)"), json!(1));
    assert_eq!(ok("$range(0, 10, 2)"), json!([0, 2, 4, 6, 8, 10]));
    assert_eq!(ok("$range(5, 1, -2)"), json!([5, 3, 1]));
    assert_eq!(eval("$range(5, 1, 1)", None, &[]), Ok(None));
    assert_eq!(code("$range(0, 10, 0)"), "D3201");
    assert_eq!(code("$range(0.5, 10, 1)"), "D3201");
    assert_eq!(code("$range(0, 5000, 1)"), "D3202");
}

#[test]
fn hash() {
    assert_eq!(
        ok("$hash('abc', 'MD5')"),
        json!("900150983cd24fb0d6963f7d28e17f72")
    );
    assert_eq!(
        ok("$hash('abc', 'SHA-1')"),
        json!("a9993e364706816aba3e25717850c26c9cd0d89d")
    );
    assert_eq!(
        ok("$hash('abc', 'SHA-256')"),
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(ok("$length($hash('abc', 'SHA-384'))"), json!(96));
    assert_eq!(ok("$length($hash('abc', 'SHA-512'))"), json!(128));
    assert_eq!(code("$hash('abc', 'SHA-3')"), "D3203");
}

#[test]
fn parse() {
    assert_eq!(ok("$parse('-0')"), json!(0));
    assert_eq!(ok("$parse('1.1')"), json!(1.1));
    assert_eq!(
        ok(r#"$parse('{"Arg1": 1, "Arg2": []}')"#),
        json!({"Arg1": 1, "Arg2": []})
    );
    assert_eq!(
        ok(r#"$parse('[1, 2, "HelloWorld"]')"#),
        json!([1, 2, "HelloWorld"])
    );
    assert_eq!(code("$parse('{')"), "D3204");
}

#[test]
fn eval_is_not_in_the_step_functions_dialect() {
    assert_eq!(code("$eval('1 + 1')"), "T1006");
    let standard = Expression::compile_with("$eval('1 + 1')", Dialect::Standard).unwrap();
    let r = standard.evaluate(None, &[], &DET, &Limits::default());
    assert_eq!(r, Ok(Some(json!(2))));
}

#[test]
fn limits_stop_runaway_expressions() {
    let limits = Limits {
        max_steps: 10_000,
        ..Limits::default()
    };
    let loop_forever = Expression::compile("($f := function($n) { $f($n + 1) }; $f(0))").unwrap();
    let e = loop_forever.evaluate(None, &[], &DET, &limits).unwrap_err();
    assert!(e.code == "U1006" || e.code == "D1011", "{e}");
    let big = Limits {
        max_result_bytes: 100,
        ..Limits::default()
    };
    let e = Expression::compile("[1..1000]")
        .unwrap()
        .evaluate(None, &[], &DET, &big)
        .unwrap_err();
    assert_eq!(e.code, "U1001");
}

#[test]
fn compiled_expressions_are_shared_across_threads() {
    let expr = std::sync::Arc::new(Expression::compile("$uuid() & $string($x)").unwrap());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let expr = std::sync::Arc::clone(&expr);
            std::thread::spawn(move || {
                let x = json!(i);
                expr.evaluate(None, &[("x", &x)], &DET, &Limits::default())
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap().unwrap())
        .collect();
    let prefix = |v: &Value| v.as_str().unwrap()[..36].to_owned();
    assert!(results.iter().all(|r| prefix(r) == prefix(&results[0])));
}

#[test]
fn bindings_built_once_serve_many_expressions() {
    let states = json!({"input": {"a": 1, "b": 2}});
    let bound = Bindings::new()
        .with("states", states)
        .with("partition", json!("mine"));
    let run = |text: &str| {
        Expression::compile(text)
            .unwrap()
            .evaluate_with(None, &bound, &DET, &Limits::default())
    };
    assert_eq!(run("$states.input.a + $states.input.b"), Ok(Some(json!(3))));
    // A workflow variable hides the function of the same name.
    assert_eq!(run("$partition"), Ok(Some(json!("mine"))));
    assert_eq!(
        run("$hash('', 'MD5')"),
        Ok(Some(json!("d41d8cd98f00b204e9800998ecf8427e")))
    );
    assert_eq!(
        bound.get("states").map(|s| &s["input"]["a"]),
        Some(&json!(1))
    );
    let standard = Expression::compile_with("$states.input.b", Dialect::Standard).unwrap();
    let r = standard.evaluate_with(None, &bound, &DET, &Limits::default());
    assert_eq!(r, Ok(Some(json!(2))));
}

/// Texts longer than the fuzzer's inputs (`fuzz/fuzz_targets/jsonata.rs` ran with 484 bytes at
/// most): deep nesting is refused with an error, never a stack overflow.
#[test]
fn deeply_nested_text_is_an_error_not_a_crash() {
    let n = 50_000;
    let texts = [
        format!("{}1{}", "(".repeat(n), ")".repeat(n)),
        "[".repeat(n),
        format!("{}1", "-".repeat(n)),
        format!("{}b", "a.".repeat(n)),
        "$f(".repeat(n),
        "{\"a\":".repeat(n),
        format!("1{}", "+1".repeat(n)),
    ];
    for text in &texts {
        let got = code(text);
        assert!(got == "U1001" || got.starts_with('S'), "{got}");
    }
    // Deep recursion at run time stops at the depth limit.
    assert_eq!(
        code("($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(100000))"),
        "D1011"
    );
}

/// The expressions of the benchmark run on our own evaluator, and give what jlens gives.
#[test]
fn typical_expressions_take_the_fast_path() {
    let cases: Value = serde_json::from_str(include_str!("../../benches/jsonata_cases.json"))
        .expect("jsonata_cases.json");
    let states = json!({"input": cases["document"].clone(), "context": cases["context"].clone()});
    let bound = Bindings::new().with("states", states);
    for case in cases["asl"].as_array().unwrap() {
        let text = case["expr"].as_str().unwrap();
        let expr = Expression::compile(text).unwrap();
        assert!(expr.is_fast(), "{text}");
        let ours = expr.evaluate_with(None, &bound, &DET, &Limits::default());
        let theirs = expr.evaluate_reference(None, &bound, &DET, &Limits::default());
        assert_eq!(ours, theirs, "{text}");
        assert!(matches!(ours, Ok(Some(_))), "{text}");
    }
    // What it does not cover goes to jlens, decided when compiling.
    for text in [
        "$map([1, 2], function($x) { $x * 2 })",
        "$states.input ~> $keys()",
        "$random()",
        "$states.**.price",
        "$count",
        // A filter true without its item keeps undefined items, which only jlens models.
        "$[][true]",
        "$states.input.items.missing[$x]",
    ] {
        assert!(!Expression::compile(text).unwrap().is_fast(), "{text}");
    }
}

#[test]
fn limits_hold_on_the_fast_path() {
    let fast = |text: &str| {
        let expr = Expression::compile(text).unwrap();
        assert!(expr.is_fast(), "{text}");
        expr
    };
    let steps = Limits {
        max_steps: 1_000,
        ..Limits::default()
    };
    let e = fast("$sum([1..100000].($ * 2))")
        .evaluate(None, &[], &DET, &steps)
        .unwrap_err();
    assert_eq!(e.code, "U1006", "{e}");
    let shallow = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    let e = fast("1 + (2 * (3 - (4 + 5)))")
        .evaluate(None, &[], &DET, &shallow)
        .unwrap_err();
    assert_eq!(e.code, "D1011", "{e}");
    let items = Limits {
        max_array_items: 100,
        ..Limits::default()
    };
    let e = fast("$count([1..1000])")
        .evaluate(None, &[], &DET, &items)
        .unwrap_err();
    assert_eq!(e.code, "U1001", "{e}");
    let strings = Limits {
        max_string_bytes: 10,
        ..Limits::default()
    };
    let e = fast("'abcdef' & 'ghijkl'")
        .evaluate(None, &[], &DET, &strings)
        .unwrap_err();
    assert_eq!(e.code, "U1001", "{e}");
    let result = Limits {
        max_result_bytes: 20,
        ..Limits::default()
    };
    let e = fast("{'a': 'abcdefghijklmnopqrstuvwxyz'}")
        .evaluate(None, &[], &DET, &result)
        .unwrap_err();
    assert_eq!(e.code, "U1001", "{e}");
    // `{"a":"abcdefghijkl"}` is 20 bytes.
    assert_eq!(
        fast("{'a': 'abcdefghijkl'}").evaluate(None, &[], &DET, &result),
        Ok(Some(json!({"a": "abcdefghijkl"})))
    );
}

#[test]
fn a_binding_that_hides_a_function_sends_the_evaluation_to_jlens() {
    let expr = Expression::compile("$count($states.input)").unwrap();
    assert!(expr.is_fast());
    let states = json!({"input": [1, 2, 3]});
    let plain = Bindings::new().with("states", states.clone());
    assert_eq!(
        expr.evaluate_with(None, &plain, &DET, &Limits::default()),
        Ok(Some(json!(3)))
    );
    let hiding = plain.with("count", json!(7));
    let ours = expr.evaluate_with(None, &hiding, &DET, &Limits::default());
    let theirs = expr.evaluate_reference(None, &hiding, &DET, &Limits::default());
    assert_eq!(ours, theirs);
    assert_eq!(ours.unwrap_err().code, "T1006");
}

#[test]
fn fast_path_errors_carry_jsonata_codes_and_messages() {
    for (text, code) in [
        ("'a' + 1", "T2001"),
        ("1 + 'a'", "T2002"),
        ("1 < 'a'", "T2009"),
        ("{} < 1", "T2010"),
        ("$sum(['a'])", "T0412"),
        ("$uppercase(1)", "T0410"),
        ("-'a'", "D1002"),
        ("{1: 2}", "T1003"),
        ("1e308 * 10", "D1001"),
    ] {
        let expr = Expression::compile(text).unwrap();
        assert!(expr.is_fast(), "{text}");
        let ours = expr
            .evaluate(None, &[], &DET, &Limits::default())
            .unwrap_err();
        let theirs = expr
            .evaluate_reference(None, &Bindings::new(), &DET, &Limits::default())
            .unwrap_err();
        assert_eq!(ours.code, code, "{text}: {ours}");
        assert_eq!(ours.code, theirs.code, "{text}");
        assert!(!ours.message.is_empty(), "{text}");
    }
}

#[test]
fn now_and_millis_on_the_fast_path_print_what_jlens_prints() {
    let expr = Expression::compile("[$now(), $millis()]").unwrap();
    assert!(expr.is_fast());
    for now_millis in [
        0,
        1_700_000_000_123,
        1_704_067_200_000,
        253_402_128_000_000,
        253_402_300_799_999,
        -1,
        253_402_300_800_000,
    ] {
        let det = Determinism {
            now_millis,
            seed: 1,
        };
        let ours = expr.evaluate_with(None, &Bindings::new(), &det, &Limits::default());
        let theirs = expr.evaluate_reference(None, &Bindings::new(), &det, &Limits::default());
        assert_eq!(ours, theirs, "{now_millis}");
    }
}

/// Expressions on which the fast path once disagreed with jlens (found by fuzzing).
#[test]
fn fast_path_regressions_agree_with_jlens() {
    let input = json!({"items": [{"name": "a", "price": 5}, {"name": "b", "price": 15.5}]});
    let states: Value = serde_json::from_str(r#"{"big": 58908407122430785, "f": 2.0}"#).unwrap();
    let bindings = Bindings::new().with("states", states);
    for text in [
        "[1..10][[1..8,8,1]]",
        "$split(\"a b\", 2e2)",
        "$substring(1, 2)",
        "$join(['a'], 1)",
        "45&3%0",
        "$string(0/0)",
        "$[][$h2&[e1]]",
        "$[][true]",
        "$states",
        "{'n': 58908407122430785, 'm': 1.0, 'k': -9007199254740993}",
    ] {
        let expr = Expression::compile(text).unwrap();
        // Fast or not (some are now left to jlens), the two agree.
        for input in [Some(&input), None] {
            let ours = expr.evaluate_with(input, &bindings, &DET, &Limits::default());
            let theirs = expr.evaluate_reference(input, &bindings, &DET, &Limits::default());
            match (&ours, &theirs) {
                (Err(a), Err(b)) => assert_eq!(a.code, b.code, "{text}"),
                _ => assert_eq!(ours, theirs, "{text}"),
            }
        }
    }
}
