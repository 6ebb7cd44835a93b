//! Reference paths (ResultPath, ItemsPath, `*Path` fields): names and indices only.
//!
//! Reading goes through [`Path`]; writing is [`set`], which is how ResultPath
//! places a state's result into its input.
use std::fmt;

use serde_json::{Map, Value};

use crate::jsonpath::{Path, Root, member, member_mut};
use crate::{Error, ParseError};

/// A [`Path`] that identifies exactly one node.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencePath {
    path: Path,
}

#[derive(Clone, Copy)]
enum Step<'p> {
    Name(&'p str),
    Index(i64),
}

impl ReferencePath {
    pub fn parse(text: &str) -> Result<ReferencePath, ParseError> {
        let path = Path::parse(text)?;
        if !path.is_reference() {
            return Err(ParseError::new(
                "a reference path may contain only names and indices",
                0,
            ));
        }
        Ok(ReferencePath { path })
    }

    /// The same path, for reading.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn as_str(&self) -> &str {
        self.path.as_str()
    }

    fn steps(&self) -> impl Iterator<Item = Step<'_>> {
        self.path.segments().iter().filter_map(|s| {
            use crate::jsonpath::SegmentView;
            match SegmentView::of(s) {
                SegmentView::Name(n) => Some(Step::Name(n)),
                SegmentView::Index(i) => Some(Step::Index(i)),
                SegmentView::Other => None,
            }
        })
    }
}

/// Runs `f` over the steps of `path`, kept on the stack for the usual short path
/// (ResultPath runs for every state).
fn with_steps<R>(path: &ReferencePath, f: impl FnOnce(&[Step<'_>]) -> R) -> R {
    const INLINE: usize = 8;
    let mut inline = [Step::Index(0); INLINE];
    let mut n = 0;
    for step in path.steps() {
        if n == INLINE {
            let steps: Vec<Step<'_>> = path.steps().collect();
            return f(&steps);
        }
        inline[n] = step;
        n += 1;
    }
    f(&inline[..n])
}

impl fmt::Display for ReferencePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.path.fmt(f)
    }
}

/// Places `value` at `path` inside `doc`, as ResultPath does.
///
/// `$` replaces the whole document. Missing object members along the way are
/// created as empty objects; stepping into a scalar, indexing a non-array or
/// an index out of bounds is `States.ResultPathMatchFailure`.
pub fn set(doc: Value, path: &ReferencePath, value: Value) -> Result<Value, Error> {
    let mut doc = doc;
    set_in_place(&mut doc, path, value)?;
    Ok(doc)
}

/// What [`set_in_place`] overwrote, so that [`restore`] can undo it.
#[derive(Debug)]
pub struct Previous {
    /// The step at which a missing member was created, if one was.
    created: Option<usize>,
    /// The value the last step replaced (`None`: the member was absent).
    old: Option<Value>,
}

impl Previous {
    /// The value the write replaced in place (nothing was added to the document).
    pub fn replaced(&self) -> Option<&Value> {
        self.old.as_ref().filter(|_| self.created.is_none())
    }

    /// Gives up the undo, returning the value the write replaced, if any.
    pub fn into_replaced(self) -> Option<Value> {
        self.old.filter(|_| self.created.is_none())
    }
}

/// [`set`] on a document the caller owns: no copy, and on failure the document
/// is left as it was. The returned [`Previous`] undoes the change.
pub fn set_in_place(
    doc: &mut Value,
    path: &ReferencePath,
    value: Value,
) -> Result<Previous, Error> {
    if *path.path.root() != Root::Input {
        return Err(match_failure(path, doc));
    }
    // The common `$.name` over an existing member: written through.
    if let [segment] = path.path.segments()
        && let crate::jsonpath::SegmentView::Name(name) = crate::jsonpath::SegmentView::of(segment)
        && let Value::Object(map) = doc
        && let Some(slot) = member_mut(map, name)
    {
        return Ok(Previous {
            created: None,
            old: Some(std::mem::replace(slot, value)),
        });
    }
    let placed = with_steps(path, |steps| {
        if steps.is_empty() {
            return Ok(Previous {
                created: None,
                old: Some(std::mem::replace(doc, value)),
            });
        }
        place(doc, steps, value)
    });
    placed.map_err(|()| match_failure(path, doc))
}

/// Undoes a [`set_in_place`] of `path` on `doc` (nothing else changed it since).
pub fn restore(doc: &mut Value, path: &ReferencePath, previous: Previous) {
    with_steps(path, |steps| undo(doc, steps, previous));
}

fn undo(doc: &mut Value, steps: &[Step<'_>], previous: Previous) {
    let Some(last) = steps.len().checked_sub(1) else {
        if let Some(old) = previous.old {
            *doc = old;
        }
        return;
    };
    // The member to remove (one that was created) or to put back (the last).
    let target = previous.created.unwrap_or(last);
    let mut cur = doc;
    for step in &steps[..target] {
        let next = match (step, cur) {
            (Step::Name(name), Value::Object(map)) => map.get_mut(*name),
            (Step::Index(index), Value::Array(items)) => {
                index_in(*index, items.len()).and_then(|k| items.get_mut(k))
            }
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return,
        }
    }
    let old = if previous.created.is_some() {
        None
    } else {
        previous.old
    };
    match (&steps[target], cur, old) {
        // Created members were appended last: removing them restores the order.
        (Step::Name(name), Value::Object(map), None) => {
            map.shift_remove(*name);
        }
        // Replacing an existing member keeps its position.
        (Step::Name(name), Value::Object(map), Some(old)) => {
            map.insert((*name).to_owned(), old);
        }
        (Step::Index(index), Value::Array(items), Some(old)) => {
            if let Some(slot) = index_in(*index, items.len()).and_then(|k| items.get_mut(k)) {
                *slot = old;
            }
        }
        _ => {}
    }
}

/// On failure the document is left as it was: nothing is written before the
/// last step, and intermediate objects are only added where a member was absent.
fn place(node: &mut Value, steps: &[Step<'_>], value: Value) -> Result<Previous, ()> {
    if !can_place(node, steps) {
        return Err(());
    }
    let mut created = None;
    let mut cur = node;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        match (step, cur) {
            (Step::Name(name), Value::Object(map)) => {
                // An existing member is written through: no key to copy or hash.
                let exists = member(map, name).is_some();
                if last {
                    let old = match member_mut(map, name).filter(|_| exists) {
                        Some(slot) => Some(std::mem::replace(slot, value)),
                        None => map.insert((*name).to_owned(), value),
                    };
                    return Ok(Previous { created, old });
                }
                if !exists && created.is_none() {
                    created = Some(i);
                }
                cur = if exists {
                    member_mut(map, name).ok_or(())?
                } else {
                    map.entry((*name).to_owned())
                        .or_insert_with(|| Value::Object(Map::new()))
                };
            }
            (Step::Index(index), Value::Array(items)) => {
                let k = index_in(*index, items.len()).ok_or(())?;
                let slot = items.get_mut(k).ok_or(())?;
                if last {
                    let old = std::mem::replace(slot, value);
                    return Ok(Previous {
                        created,
                        old: Some(old),
                    });
                }
                cur = slot;
            }
            _ => return Err(()),
        }
    }
    Err(())
}

/// Checks the whole walk first so that a failure never leaves created objects behind.
fn can_place(node: &Value, steps: &[Step<'_>]) -> bool {
    let mut cur = Some(node);
    for step in steps {
        match (step, cur) {
            // Absent so far: everything below will be created.
            (Step::Name(_), None) => {}
            (Step::Name(name), Some(Value::Object(map))) => cur = member(map, name),
            (Step::Index(index), Some(Value::Array(items))) => {
                match index_in(*index, items.len()) {
                    Some(k) => cur = items.get(k),
                    None => return false,
                }
            }
            _ => return false,
        }
    }
    true
}

fn index_in(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let k = if index < 0 { len + index } else { index };
    if (0..len).contains(&k) {
        usize::try_from(k).ok()
    } else {
        None
    }
}

fn match_failure(path: &ReferencePath, doc: &Value) -> Error {
    Error {
        error: "States.ResultPathMatchFailure".to_owned(),
        cause: format!(
            "Unable to apply ResultPath '{}' to input '{}'",
            path.as_str(),
            doc
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set_at(doc: Value, path: &str, value: Value) -> Result<Value, Error> {
        set(doc, &ReferencePath::parse(path).expect("valid path"), value)
    }

    #[test]
    fn dollar_replaces_the_input() {
        assert_eq!(set_at(json!({"a": 1}), "$", json!(5)), Ok(json!(5)));
    }

    #[test]
    fn creates_intermediate_objects_and_keeps_order() {
        let out = set_at(json!({"z": 0, "a": 1}), "$.b.c", json!("r"));
        assert_eq!(out, Ok(json!({"z": 0, "a": 1, "b": {"c": "r"}})));
        let text = serde_json::to_string(&out.expect("set")).expect("json");
        assert_eq!(text, r#"{"z":0,"a":1,"b":{"c":"r"}}"#);
    }

    #[test]
    fn replaces_existing_members_and_array_items() {
        assert_eq!(
            set_at(json!({"a": {"x": 1}}), "$.a.x", json!(2)),
            Ok(json!({"a": {"x": 2}}))
        );
        assert_eq!(
            set_at(json!({"a": [1, 2, 3]}), "$.a[-1]", json!(9)),
            Ok(json!({"a": [1, 2, 9]}))
        );
        assert_eq!(
            set_at(json!({"a": [{"b": 1}]}), "$['a'][0].c", json!(true)),
            Ok(json!({"a": [{"b": 1, "c": true}]}))
        );
    }

    #[test]
    fn setting_into_a_scalar_fails() {
        let err = set_at(json!({"a": "text"}), "$.a.b", json!(1)).expect_err("must fail");
        assert_eq!(err.error, "States.ResultPathMatchFailure");
        assert_eq!(
            err.cause,
            r#"Unable to apply ResultPath '$.a.b' to input '{"a":"text"}'"#
        );
        assert!(set_at(json!("s"), "$.a", json!(1)).is_err());
        assert!(set_at(json!({"a": [1]}), "$.a[3]", json!(1)).is_err());
        assert!(set_at(json!({"a": {}}), "$.a[0]", json!(1)).is_err());
    }

    #[test]
    fn restore_undoes_set_in_place() {
        let original = json!({"z": 0, "a": {"x": 1}, "l": [1, 2, 3]});
        for path in [
            "$",
            "$.a",
            "$.a.x",
            "$.a.y",
            "$.b",
            "$.b.c.d",
            "$.a.n.m",
            "$.l[1]",
            "$.l[-1]",
            "$.a.b.c.d.e.f.g.h.i.j",
        ] {
            let path = ReferencePath::parse(path).expect("valid path");
            let mut doc = original.clone();
            let previous = set_in_place(&mut doc, &path, json!("r")).expect("placed");
            assert_eq!(Ok(doc.clone()), set(original.clone(), &path, json!("r")));
            restore(&mut doc, &path, previous);
            assert_eq!(
                serde_json::to_string(&doc).expect("json"),
                serde_json::to_string(&original).expect("json"),
                "{path}"
            );
        }
    }

    #[test]
    fn a_failed_set_in_place_leaves_the_document() {
        let original = json!({"a": "text", "l": [1]});
        for path in ["$.a.b", "$.l[3]", "$.l.x", "$.n.m[0]"] {
            let path = ReferencePath::parse(path).expect("valid path");
            let mut doc = original.clone();
            let err = set_in_place(&mut doc, &path, json!(1)).expect_err("must fail");
            assert_eq!(err.error, "States.ResultPathMatchFailure");
            assert_eq!(doc, original, "{path}");
        }
    }

    #[test]
    fn only_names_and_indices_are_reference_paths() {
        for bad in [
            "$.a[*]",
            "$..a",
            "$.a[1:2]",
            "$.a[?(@.b)]",
            "$.a.length()",
            "$['a','b']",
        ] {
            assert!(ReferencePath::parse(bad).is_err(), "{bad}");
        }
        for good in ["$", "$.a", "$['a b'][0]", "$.a[-1].b", "$$.Execution.Input"] {
            assert!(ReferencePath::parse(good).is_ok(), "{good}");
        }
    }
}
