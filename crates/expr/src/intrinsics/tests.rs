//! Each intrinsic's happy path and its AWS failure shape.
use serde_json::{Value, json};

use super::*;
use crate::Scope;

struct Counter(u64);
impl Entropy for Counter {
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }
}

fn run(call: &str, input: Value) -> Result<Value, Error> {
    evaluate(call, &input, &Scope::empty(), &mut Counter(1))
}

fn ok(call: &str, input: Value) -> Value {
    run(call, input).unwrap_or_else(|e| panic!("{call}: {e}"))
}

fn invalid(call: &str, input: Value) {
    let err = run(call, input).expect_err(call);
    assert_eq!(err.error, INTRINSIC_ERROR, "{call}");
    let name = call.split('(').next().unwrap_or_default();
    assert_eq!(err.cause, format!("Invalid arguments in {name}"), "{call}");
}

#[test]
fn format() {
    assert_eq!(
        ok("States.Format('Hello {}', $.n)", json!({"n": "Ada"})),
        json!("Hello Ada")
    );
    assert_eq!(
        ok(
            "States.Format('{} {} {} {} {}', $.a, $.b, $.c, $.d, $.e)",
            json!({"a": null, "b": 1.0, "c": 1.1, "d": {"x": [1, "s"]}, "e": 7})
        ),
        json!("null 1.0 1.1 {x=[1, s]} 7")
    );
    assert_eq!(
        ok(r"States.Format('\{\} {} \'q\' \\', 1)", json!({})),
        json!(r"{} 1 'q' \")
    );
    assert_eq!(
        ok("States.Format($.t, 2)", json!({"t": "n={}"})),
        json!("n=2")
    );
    invalid("States.Format('{} {}', 1)", json!({}));
    invalid("States.Format('{}', 1, 2)", json!({}));
    invalid("States.Format('Hello {', 1)", json!({}));
    invalid("States.Format('}')", json!({}));
    invalid("States.Format($.t)", json!({"t": 5}));
}

#[test]
fn json_conversions() {
    assert_eq!(
        ok("States.StringToJson($.s)", json!({"s": "{\"a\": [1]}"})),
        json!({"a": [1]})
    );
    assert_eq!(ok("States.StringToJson(' ')", json!({})), Value::Null);
    invalid("States.StringToJson('{')", json!({}));
    invalid("States.StringToJson(1)", json!({}));
    assert_eq!(
        ok("States.JsonToString($)", json!({"a": [1, 2.0, "x"]})),
        json!(r#"{"a":[1,2.0,"x"]}"#)
    );
}

#[test]
fn arrays() {
    assert_eq!(ok("States.Array()", json!({})), json!([]));
    assert_eq!(
        ok("States.Array(1, 'a', $.x, null, true)", json!({"x": [2]})),
        json!([1, "a", [2], null, true])
    );
    assert_eq!(
        ok("States.ArrayPartition($.a, 2)", json!({"a": [1, 2, 3]})),
        json!([[1, 2], [3]])
    );
    assert_eq!(
        ok("States.ArrayPartition($.a, 4)", json!({"a": []})),
        json!([])
    );
    invalid("States.ArrayPartition($.a, 0.49)", json!({"a": [1]}));
    assert_eq!(
        ok("States.ArrayContains($.a, 2)", json!({"a": [1, 2]})),
        json!(true)
    );
    assert_eq!(
        ok(
            "States.ArrayContains($.a, $.v)",
            json!({"a": [{"x": 1}], "v": {"x": 1}})
        ),
        json!(true)
    );
    assert_eq!(
        ok("States.ArrayRange(1, 9, 2)", json!({})),
        json!([1, 3, 5, 7, 9])
    );
    assert_eq!(
        ok("States.ArrayRange(5, 1, -2)", json!({})),
        json!([5, 3, 1])
    );
    assert_eq!(ok("States.ArrayRange(1, 5, -1)", json!({})), json!([]));
    assert_eq!(ok("States.ArrayRange(1.6, 1.4, 1)", json!({})), json!([1]));
    assert_eq!(
        ok("States.ArrayRange(1, 1000, 1)", json!({}))
            .as_array()
            .map(Vec::len),
        Some(1000)
    );
    invalid("States.ArrayRange(1, 1001, 1)", json!({}));
    invalid("States.ArrayRange(1, 10, 0)", json!({}));
    invalid("States.ArrayRange('a', 5, 1)", json!({}));
    assert_eq!(
        ok("States.ArrayGetItem($.a, 1)", json!({"a": [1, 2]})),
        json!(2)
    );
    invalid("States.ArrayGetItem($.a, 2)", json!({"a": [1, 2]}));
    invalid("States.ArrayGetItem($.a, -1)", json!({"a": [1, 2]}));
    assert_eq!(
        ok("States.ArrayLength($.a)", json!({"a": [1, 2]})),
        json!(2)
    );
    invalid("States.ArrayLength($.a)", json!({"a": "no"}));
    assert_eq!(
        ok(
            "States.ArrayUnique($.a)",
            json!({"a": [1, 1, 1.0, "1", [], [], {"a": 1, "b": 2}, {"b": 2, "a": 1}]})
        ),
        json!([1, 1.0, "1", [], {"a": 1, "b": 2}])
    );
}

#[test]
fn encodings_and_hashes() {
    assert_eq!(
        ok("States.Base64Encode('Data to encode')", json!({})),
        json!("RGF0YSB0byBlbmNvZGU=")
    );
    assert_eq!(
        ok("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", json!({})),
        json!("Data to encode")
    );
    invalid("States.Base64Decode('***')", json!({}));
    invalid("States.Base64Encode($.s)", json!({"s": "x".repeat(10_001)}));
    assert_eq!(
        ok("States.Hash('input data', 'MD5')", json!({})),
        json!("812f45842bc6d66ee14572ce20db8e86")
    );
    invalid("States.Hash('input data', 'SHA-999')", json!({}));
}

#[test]
fn json_merge_is_shallow_and_in_hashmap_order() {
    let input =
        json!({"a": {"a": {"a1": 1}, "b": 2, "d": 3}, "b": {"a": {"a3": 1}, "c": 3, "d": 4}});
    let out = ok("States.JsonMerge($.a, $.b, false)", input.clone());
    assert_eq!(
        serde_json::to_string(&out).ok(),
        Some(r#"{"a":{"a3":1},"b":2,"c":3,"d":4}"#.to_owned())
    );
    invalid("States.JsonMerge($.a, $.b, true)", input);
}

#[test]
fn math() {
    assert_eq!(ok("States.MathAdd(1.49, 1.5)", json!({})), json!(3));
    assert_eq!(ok("States.MathAdd(-1.5, 0)", json!({})), json!(-1));
    assert_eq!(ok("States.MathAdd(-2.5, 0)", json!({})), json!(-2));
    assert_eq!(ok("States.MathAdd($.v, -1)", json!({"v": 10})), json!(9));
    invalid("States.MathAdd(1, 'x')", json!({}));
    invalid("States.MathAdd(2147483647, 1)", json!({}));
    // new Random(3).nextInt(999) == 239 on a JDK.
    assert_eq!(ok("States.MathRandom(0, 999, 3)", json!({})), json!(239));
    let r = ok("States.MathRandom(12.5, 44.51)", json!({}))
        .as_i64()
        .unwrap_or(-1);
    assert!((12..44).contains(&r), "{r}");
    invalid("States.MathRandom(1.4, 1.6)", json!({}));
}

#[test]
fn strings_and_uuid() {
    assert_eq!(
        ok(
            "States.StringSplit($.s, $.d)",
            json!({"s": ", , ,", "d": ","})
        ),
        json!([" ", " "])
    );
    assert_eq!(
        ok("States.StringSplit('This.is+a', '.+')", json!({})),
        json!(["This", "is", "a"])
    );
    let uuid = ok("States.UUID()", json!({}));
    let s = uuid.as_str().unwrap_or_default();
    assert_eq!(s.len(), 36);
    assert_eq!(&s[14..15], "4");
    assert!("89ab".contains(&s[19..20]), "{s}");
    assert_eq!(
        ok("States.UUID()", json!({})),
        uuid,
        "same entropy, same UUID"
    );
}

#[test]
fn nesting_and_paths() {
    assert_eq!(
        ok(
            "States.ArrayGetItem(States.StringSplit($.n, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($.n, '-')), -1))",
            json!({"n": "a-b-c"})
        ),
        json!("c")
    );
    assert_eq!(
        ok(
            "States.Array($.a[?(@ > 1)], $.o['x','y'])",
            json!({"a": [1, 2], "o": {"y": 1}})
        ),
        json!([[2], {"y": 1}])
    );
}

#[test]
fn parse_errors() {
    for bad in [
        "States.Nope()",
        "States.MathAdd(1)",
        "States.UUID(1)",
        "States.Format()",
        "States.Array(",
        "States.Array('x)",
        "States.Array(1 2)",
        "States.Array(x)",
        "States.Array($.)",
        "States.Array() x",
        "States.JsonMerge($.a, $.b)",
    ] {
        assert!(Call::parse(bad).is_err(), "{bad}");
    }
    let deep = format!("{}1{}", "States.Array(".repeat(100), ")".repeat(100));
    assert!(Call::parse(&deep).is_err());
}

#[test]
fn every_signature_is_reachable_by_name() {
    assert_eq!(SIGNATURES.len(), 18);
    for s in &SIGNATURES {
        assert!(Signature::lookup(s.name).is_some());
    }
}
