//! AWS's JSONPath (the Jayway flavour): parse once per definition, evaluate per state.
//!
//! A [`Path`] is *definite* when it has only names and indices (and maybe a
//! trailing `.length()`): it selects one value, and failing to find it is an
//! error. Any wildcard, slice, union, filter or deep scan makes it *indefinite*:
//! it selects a JSON array of matches, `[]` when nothing matches.
mod eval;
pub(crate) use eval::{member, member_mut};
mod filter;
mod parser;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use serde_json::Value;

use crate::{ParseError, Scope};

/// Where a path starts reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state's input (or, inside a filter, the document being filtered).
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Segment {
    /// `.x`, `[…]`
    Child(Selector),
    /// `..x`, `..*`, `..[…]`
    Descendant(Selector),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Selector {
    Name(String),
    /// `['a','b']`: Jayway merges these into one object when they end the path.
    Names(Vec<String>),
    Index(i64),
    Indices(Vec<i64>),
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: Option<i64>,
    },
    Wildcard,
    Filter(Box<filter::Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    Length,
}

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    text: String,
    root: Root,
    segments: Vec<Segment>,
    function: Option<Function>,
    definite: bool,
    /// Names and indices only, no function: see [`Path::is_reference`].
    reference: bool,
}

/// A definite path found nothing. The message is Jayway's, which AWS quotes
/// after "Invalid path '<path>' : " for InputPath and OutputPath.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NotFound {
    pub message: String,
}

impl Path {
    /// Parses a path; never panics, whatever the text.
    pub fn parse(text: &str) -> Result<Path, ParseError> {
        let (root, segments, function) = parser::parse_path(text)?;
        let definite = is_definite(&segments);
        let reference = is_reference(&segments, function);
        Ok(Path {
            text: text.to_owned(),
            root,
            segments,
            function,
            definite,
            reference,
        })
    }

    /// [`Path::parse`] for a text evaluated again and again (a Choice rule's
    /// `Variable`, read at every pass through a loop): parsed once per thread,
    /// then shared. The cache is emptied whenever it reaches a few thousand texts.
    pub fn parse_shared(text: &str) -> Result<Rc<Path>, ParseError> {
        const LIMIT: usize = 4096;
        thread_local! {
            static PARSED: RefCell<HashMap<String, Rc<Path>>> = RefCell::new(HashMap::new());
        }
        if let Some(path) = PARSED.with(|p| p.borrow().get(text).cloned()) {
            return Ok(path);
        }
        let path = Rc::new(Path::parse(text)?);
        PARSED.with(|p| {
            let mut parsed = p.borrow_mut();
            if parsed.len() >= LIMIT {
                parsed.clear();
            }
            parsed.insert(text.to_owned(), path.clone());
        });
        Ok(path)
    }

    /// The text this path was parsed from, as AWS quotes it in causes.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// `$` alone: the whole input, which callers can pass through without copying.
    pub fn is_root_only(&self) -> bool {
        self.root == Root::Input && self.segments.is_empty() && self.function.is_none()
    }

    /// True when the path has only names and indices and no function: the
    /// shape ASL calls a reference path.
    pub fn is_reference(&self) -> bool {
        self.reference
    }

    /// Evaluates the path, borrowing from `input` or the scope when it can.
    pub fn evaluate_ref<'a>(
        &self,
        input: &'a Value,
        scope: &Scope<'a>,
    ) -> Result<Cow<'a, Value>, NotFound> {
        if self.is_reference()
            && let Some(found) = self.walk(input, scope)
        {
            return Ok(Cow::Borrowed(found));
        }
        eval::evaluate(self, input, scope)
    }

    /// The value a reference path (names and indices) finds, if it finds one: the
    /// common case, without building the error a miss reports.
    #[inline]
    fn walk<'a>(&self, input: &'a Value, scope: &Scope<'a>) -> Option<&'a Value> {
        let mut cur = eval::root_value(&self.root, input, scope)?;
        for segment in &self.segments {
            cur = match (segment, cur) {
                (Segment::Child(Selector::Name(name)), Value::Object(map)) => {
                    eval::member(map, name)?
                }
                (Segment::Child(Selector::Index(index)), Value::Array(items)) => {
                    &items[eval::resolve_index(*index, items.len())?]
                }
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Evaluates the path to an owned value.
    pub fn evaluate(&self, input: &Value, scope: &Scope) -> Result<Value, NotFound> {
        self.evaluate_ref(input, scope).map(Cow::into_owned)
    }

    /// The document a path reads: the input, the context object or a variable.
    pub fn root_value<'a>(&self, input: &'a Value, scope: &Scope<'a>) -> Option<&'a Value> {
        eval::root_value(&self.root, input, scope)
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Path {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Path::parse(s)
    }
}

/// Names and indices only, and no function.
fn is_reference(segments: &[Segment], function: Option<Function>) -> bool {
    function.is_none()
        && segments.iter().all(|s| {
            matches!(
                s,
                Segment::Child(Selector::Name(_)) | Segment::Child(Selector::Index(_))
            )
        })
}

/// Jayway's rule: a multi-name selector is definite only as the last step,
/// where it builds one merged object.
fn is_definite(segments: &[Segment]) -> bool {
    segments.iter().enumerate().all(|(i, s)| match s {
        Segment::Child(Selector::Name(_)) | Segment::Child(Selector::Index(_)) => true,
        Segment::Child(Selector::Names(_)) => i + 1 == segments.len(),
        _ => false,
    })
}

#[cfg(test)]
mod tests;

/// A crate-internal view of one step, for reference paths.
pub(crate) enum SegmentView<'p> {
    Name(&'p str),
    Index(i64),
    Other,
}

impl<'p> SegmentView<'p> {
    pub(crate) fn of(segment: &'p Segment) -> Self {
        match segment {
            Segment::Child(Selector::Name(n)) => SegmentView::Name(n),
            Segment::Child(Selector::Index(i)) => SegmentView::Index(*i),
            _ => SegmentView::Other,
        }
    }
}
