//! Path forms against one document, definite/indefinite shape, and Jayway's messages.
use serde_json::{Value, json};

use super::*;
use crate::Scope;

fn doc() -> Value {
    json!({
        "a": {"b": 1, "c d": "space", "arr": [10, 20, 30, 40]},
        "threshold": 10,
        "store": {"book": [
            {"title": "A", "price": 8, "isbn": "1"},
            {"title": "B", "price": 12},
            {"title": "C", "price": 20, "isbn": null}
        ]},
        "empty": []
    })
}

fn eval(path: &str) -> Result<Value, NotFound> {
    Path::parse(path)
        .expect(path)
        .evaluate(&doc(), &Scope::empty())
}

fn ok(path: &str) -> Value {
    eval(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn names_and_indices_are_definite() {
    assert_eq!(ok("$"), doc());
    assert_eq!(ok("$.a.b"), json!(1));
    assert_eq!(ok("$['a']['c d']"), json!("space"));
    assert_eq!(ok(r#"$["a"].arr[0]"#), json!(10));
    assert_eq!(ok("$.a.arr[-1]"), json!(40));
    assert_eq!(ok("$.a.arr.length()"), json!(4));
    assert!(Path::parse("$.a.arr[0]").expect("ok").is_definite());
    assert!(Path::parse("$.a.length()").expect("ok").is_definite());
}

#[test]
fn slices_unions_wildcards_are_lists() {
    assert_eq!(ok("$.a.arr[1:3]"), json!([20, 30]));
    assert_eq!(ok("$.a.arr[:2]"), json!([10, 20]));
    assert_eq!(ok("$.a.arr[-2:]"), json!([30, 40]));
    assert_eq!(ok("$.a.arr[::2]"), json!([10, 30]));
    assert_eq!(ok("$.a.arr[::-1]"), json!([40, 30, 20, 10]));
    assert_eq!(ok("$.a.arr[0,2]"), json!([10, 30]));
    assert_eq!(ok("$.a.arr[7,-1]"), json!([40]));
    assert_eq!(ok("$.a.arr[*]"), json!([10, 20, 30, 40]));
    assert_eq!(ok("$.store.book[*].title"), json!(["A", "B", "C"]));
    assert_eq!(ok("$.store.book.*.price"), json!([8, 12, 20]));
    assert_eq!(ok("$.empty[*]"), json!([]));
    assert_eq!(ok("$.missing[*].x"), json!([]));
    for p in [
        "$.a[*]",
        "$..b",
        "$.a.arr[0:1]",
        "$.a.arr[0,1]",
        "$.x[?(@.y)]",
    ] {
        assert!(!Path::parse(p).expect(p).is_definite(), "{p}");
    }
}

#[test]
fn a_trailing_name_union_merges_as_jayway_does() {
    assert_eq!(ok("$.a['b','c d']"), json!({"b": 1, "c d": "space"}));
    assert_eq!(ok("$['a','zzz']"), json!({"a": doc()["a"]}));
}

#[test]
fn deep_scan_is_in_document_order() {
    assert_eq!(ok("$..price"), json!([8, 12, 20]));
    assert_eq!(ok("$..book[0].title"), json!(["A"]));
    assert_eq!(ok("$..b"), json!([1]));
}

#[test]
fn filters() {
    assert_eq!(ok("$.store.book[?(@.price > 10)].title"), json!(["B", "C"]));
    assert_eq!(
        ok("$.store.book[?(@.price >= 12 && @.price < 20)].title"),
        json!(["B"])
    );
    assert_eq!(
        ok("$.store.book[?(@.price == 8 || @.title == 'C')].title"),
        json!(["A", "C"])
    );
    assert_eq!(ok("$.store.book[?(@.isbn)].title"), json!(["A", "C"]));
    assert_eq!(ok("$.store.book[?(!@.isbn)].title"), json!(["B"]));
    assert_eq!(
        ok("$.store.book[?(@.price > $.threshold)].title"),
        json!(["B", "C"])
    );
    assert_eq!(
        ok("$.store.book[?(@.title != \"A\")].price"),
        json!([12, 20])
    );
    assert_eq!(ok("$.store.book[?(@.isbn == null)].title"), json!(["C"]));
    assert_eq!(
        ok("$.store.book[?((@.price < 10) || (@.price > 15))].title"),
        json!(["A", "C"])
    );
    assert_eq!(ok("$.a.arr[?(@ > 15)]"), json!([20, 30, 40]));
    assert_eq!(
        ok("$.store.book[?(@.title in ['A','C'])].price"),
        json!([8, 20])
    );
    assert_eq!(
        ok("$.store.book[?(@.title nin ['A','C'])].price"),
        json!([12])
    );
    assert_eq!(ok("$.store.book[?(@.price == 12.0)].title"), json!(["B"]));
    assert_eq!(ok("$.store.book[?(@.missing == true)]"), json!([]));
    // Jayway tests an object against the filter itself.
    assert_eq!(ok("$.a[?(@.b == 1)].b"), json!([1]));
}

#[test]
fn definite_misses_use_jayway_wording() {
    let msg = |p: &str| eval(p).expect_err(p).message;
    assert_eq!(
        msg("$.NoSuchOutputPath"),
        "No results for path: $['NoSuchOutputPath']"
    );
    assert_eq!(
        msg("$.no.such.result.path"),
        "Missing property in path $['no']"
    );
    assert_eq!(msg("$.a.arr[9]"), "No results for path: $['a']['arr'][9]");
    assert!(
        msg("$.a.b.c")
            .starts_with("Expected to find an object with property ['c'] in path $['a']['b']")
    );
}

#[test]
fn context_and_variable_roots() {
    let context = json!({"Execution": {"Id": "e"}});
    let vars: std::collections::HashMap<String, Value> =
        [("x".to_owned(), json!({"a": {"b": [1, 2]}}))]
            .into_iter()
            .collect();
    let scope = Scope::new(&context, &vars);
    let input = json!({});
    let get = |p: &str| Path::parse(p).expect(p).evaluate(&input, &scope);
    assert_eq!(get("$$.Execution.Id"), Ok(json!("e")));
    assert_eq!(get("$x.a.b[1]"), Ok(json!(2)));
    assert_eq!(get("$x"), Ok(json!({"a": {"b": [1, 2]}})));
    assert!(get("$nope").is_err());
    assert_eq!(
        Path::parse("$x.a").expect("ok").root(),
        &Root::Variable("x".into())
    );
}

#[test]
fn evaluate_ref_borrows_definite_results() {
    let d = doc();
    let p = Path::parse("$.store.book").expect("ok");
    let got = p.evaluate_ref(&d, &Scope::empty()).expect("found");
    assert!(matches!(got, Cow::Borrowed(_)));
}

#[test]
fn parse_errors_are_reported_not_panics() {
    for bad in [
        "",
        "a",
        "$.",
        "$..",
        "$[",
        "$[']",
        "$['a'",
        "$[1",
        "$[?(@.a ==)]",
        "$[?(@.a =~ /x/)]",
        "$.a.sum()",
        "$.a.length().b",
        "$[1:2:0]",
        "$[?(",
        "$ .a",
        "$[abc]",
        "$[-]",
        "$[99999999999999999999]",
        "$[?(@.a == 'x)]",
    ] {
        assert!(Path::parse(bad).is_err(), "{bad:?} should not parse");
    }
    let deep = format!("$[?({}@.a{})]", "(".repeat(500), ")".repeat(500));
    assert!(Path::parse(&deep).is_err());
}

#[test]
fn parsing_never_panics_on_prefixes_and_mutations() {
    let samples = [
        "$.store.book[?(@.price > $.threshold && !@.isbn || @.t in ['a', \"b\"])].title",
        "$..['a','b'][1:-1:2][*].length()",
        "$$.Map.Item.Value['ü ñ'][-3]",
        "$var_1.x[0,1,2]",
    ];
    for s in samples {
        for (i, _) in s.char_indices() {
            let _ = Path::parse(&s[..i]);
            let _ = Path::parse(&s[i..]);
            let mut mutated = s.to_owned();
            mutated.insert(i, '\'');
            let _ = Path::parse(&mutated);
        }
    }
}

#[test]
fn scalar_filter_with_spaces() {
    assert_eq!(
        Path::parse("$.a[?(@ > 1)]").map(|p| p.is_definite()),
        Ok(false)
    );
}

#[test]
fn backslash_escapes_only_the_quote_and_itself() {
    // Recorded on AWS: `$['Test\\""Name"']` reads the key `Test\\""Name"`.
    let doc = serde_json::json!({"Test\\\"\"Name\"": 1, "it's": 2, "a\\b": 3});
    let get = |p: &str| {
        Path::parse(p)
            .unwrap()
            .evaluate(&doc, &crate::Scope::empty())
            .unwrap()
    };
    assert_eq!(get(r#"$['Test\""Name"']"#), serde_json::json!(1));
    assert_eq!(get(r"$['it\'s']"), serde_json::json!(2));
    assert_eq!(get(r"$['a\\b']"), serde_json::json!(3));
}

#[test]
fn shared_parses_are_the_parses_and_errors_stay_errors() {
    let first = Path::parse_shared("$.a.b[1]").expect("valid");
    assert_eq!(*first, Path::parse("$.a.b[1]").expect("valid"));
    let again = Path::parse_shared("$.a.b[1]").expect("valid");
    assert!(std::rc::Rc::ptr_eq(&first, &again));
    assert_eq!(Path::parse_shared("$.[").err(), Path::parse("$.[").err());
    // Past the cache's size it starts over and still answers.
    for i in 0..5000 {
        let text = format!("$.k{i}");
        assert_eq!(Path::parse_shared(&text).expect("valid").as_str(), text);
    }
}
