//! Hostile or odd inputs: the parser answers with diagnostics, never a panic or
//! a stack overflow. (The fuzz target `parse` explores this further.)

fn no_panic(text: &str) -> usize {
    let (def, diags) = asl::parse(text);
    assert_eq!(def.is_some(), diags.is_empty());
    let _ = asl::create_error_message(&diags);
    diags.len()
}

#[test]
fn deep_not_nesting() {
    let mut cond = r#"{"Variable":"$.a","IsNull":true}"#.to_owned();
    for _ in 0..120 {
        cond = format!(r#"{{"Not":{cond}}}"#);
    }
    let def = format!(
        r#"{{"StartAt":"C","States":{{"C":{{"Type":"Choice","Default":"E","Choices":[{}]}},"E":{{"Type":"Succeed"}}}}}}"#,
        cond.replacen('{', r#"{"Next":"E","#, 1)
    );
    no_panic(&def);
}

#[test]
fn deep_parallel_nesting() {
    let mut state = r#"{"Type":"Succeed"}"#.to_owned();
    for i in 0..20 {
        state = format!(
            r#"{{"Type":"Parallel","End":true,"Branches":[{{"StartAt":"P{i}","States":{{"P{i}":{state}}}}}]}}"#
        );
    }
    assert_eq!(
        no_panic(&format!(r#"{{"StartAt":"S","States":{{"S":{state}}}}}"#)),
        0
    );
    let mut deep = String::new();
    for _ in 0..10_000 {
        deep.push('[');
    }
    no_panic(&deep);
}

#[test]
fn odd_values() {
    for text in [
        "null",
        "[]",
        "1e400",
        r#"{"StartAt":1,"States":[]}"#,
        r#"{"StartAt":"S","States":{"S":null}}"#,
        r#"{"StartAt":"S","States":{"S":{"Type":"Wait","Seconds":1e300,"End":true}}}"#,
        r#"{"StartAt":"S","States":{"S":{"Type":"Pass","Parameters":{"a.$":"States.Format('\\"}}}}"#,
        r#"{"StartAt":"S","States":{"S":{"Type":"Pass","End":true,"InputPath":"$[?(@.a)"}}}"#,
        r#"{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::","End":true}}}"#,
        r#"{"StartAt":"S","States":{"S":{"Type":"Wait","Timestamp":"2016-03-14T01:59:00+","End":true}}}"#,
        r#"{"StartAt":"S","States":{"S":{"Type":"Map","Label":"é\u0085","End":true,"Iterator":{}}}}"#,
    ] {
        assert!(no_panic(text) > 0, "{text}");
    }
}
