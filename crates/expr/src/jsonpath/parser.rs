//! Recursive-descent parser for paths and filter expressions; returns errors, never panics.
use serde_json::Value;

use super::filter::{Expr, Op, Operand};
use super::{Function, Root, Segment, Selector};
use crate::ParseError;

/// Deep enough for any real filter, shallow enough that hostile input
/// (`[?(((((…`) cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

pub(crate) type Parsed = (Root, Vec<Segment>, Option<Function>);

pub(crate) fn parse_path(text: &str) -> Result<Parsed, ParseError> {
    let mut p = Parser::new(text);
    let parsed = p.absolute_path()?;
    if !p.at_end() {
        return Err(p.error(format!(
            "unexpected '{}' in path",
            p.rest().chars().next().unwrap_or(' ')
        )));
    }
    Ok(parsed)
}

pub(crate) struct Parser<'s> {
    src: &'s str,
    pos: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Parser {
            src,
            pos: 0,
            depth: 0,
        }
    }

    fn rest(&self) -> &'s str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &str) -> Result<(), ParseError> {
        if self.eat(s) {
            Ok(())
        } else {
            Err(self.error(format!("expected '{s}'")))
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(message, self.pos)
    }

    /// `$…`, `$$…` or `$name…`.
    fn absolute_path(&mut self) -> Result<Parsed, ParseError> {
        if !self.eat("$") {
            return Err(self.error("a path must start with '$'"));
        }
        let root = if self.eat("$") {
            Root::Context
        } else if self.peek().is_some_and(|c| c.is_alphabetic() || c == '_') {
            let start = self.pos;
            while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                self.bump();
            }
            Root::Variable(self.src[start..self.pos].to_owned())
        } else {
            Root::Input
        };
        let (segments, function) = self.segments()?;
        Ok((root, segments, function))
    }

    /// The steps after a root (`$` or `@`), and an optional trailing `.length()`.
    fn segments(&mut self) -> Result<(Vec<Segment>, Option<Function>), ParseError> {
        let mut segments = Vec::new();
        loop {
            if self.eat("..") {
                let selector = match self.peek() {
                    Some('[') => self.bracket()?,
                    Some('*') => {
                        self.bump();
                        Selector::Wildcard
                    }
                    _ => Selector::Name(self.name()?),
                };
                segments.push(Segment::Descendant(selector));
            } else if self.eat(".") {
                if self.eat("*") {
                    segments.push(Segment::Child(Selector::Wildcard));
                    continue;
                }
                if self.peek() == Some('[') {
                    // Jayway accepts `$.['a']` as `$['a']`.
                    segments.push(Segment::Child(self.bracket()?));
                    continue;
                }
                let start = self.pos;
                let name = self.name()?;
                if self.peek() == Some('(') {
                    return self.function(name, start).map(|f| (segments, Some(f)));
                }
                segments.push(Segment::Child(Selector::Name(name)));
            } else if self.peek() == Some('[') {
                segments.push(Segment::Child(self.bracket()?));
            } else {
                return Ok((segments, None));
            }
        }
    }

    fn function(&mut self, name: String, start: usize) -> Result<Function, ParseError> {
        self.expect("(")?;
        self.skip_ws();
        self.expect(")")?;
        if name != "length" {
            return Err(ParseError::new(
                format!("the function '{name}()' is not supported; only length() is"),
                start,
            ));
        }
        if matches!(self.peek(), Some('.') | Some('[')) {
            return Err(self.error("length() must end the path"));
        }
        Ok(Function::Length)
    }

    /// A name in dot notation: everything up to the next delimiter.
    fn name(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || ".[]()',\"=!<>&|~".contains(c) {
                break;
            }
            self.bump();
        }
        if self.pos == start {
            return Err(self.error("expected a property name"));
        }
        Ok(self.src[start..self.pos].to_owned())
    }

    fn bracket(&mut self) -> Result<Selector, ParseError> {
        self.expect("[")?;
        self.skip_ws();
        let selector = match self.peek() {
            Some('*') => {
                self.bump();
                Selector::Wildcard
            }
            Some('?') => {
                self.bump();
                self.skip_ws();
                self.expect("(")?;
                let expr = self.filter_or()?;
                self.skip_ws();
                self.expect(")")?;
                Selector::Filter(Box::new(expr))
            }
            Some('\'') | Some('"') => {
                let mut names = vec![self.quoted()?];
                self.skip_ws();
                while self.eat(",") {
                    self.skip_ws();
                    names.push(self.quoted()?);
                    self.skip_ws();
                }
                if names.len() == 1 {
                    Selector::Name(names.pop().unwrap_or_default())
                } else {
                    Selector::Names(names)
                }
            }
            _ => self.indices()?,
        };
        self.skip_ws();
        self.expect("]")?;
        Ok(selector)
    }

    /// `[1]`, `[-1]`, `[0,2]`, `[1:3]`, `[:2]`, `[-2:]`, `[::2]`.
    fn indices(&mut self) -> Result<Selector, ParseError> {
        let first = self.opt_int()?;
        self.skip_ws();
        if self.eat(":") {
            self.skip_ws();
            let end = self.opt_int()?;
            self.skip_ws();
            let step = if self.eat(":") {
                self.skip_ws();
                self.opt_int()?
            } else {
                None
            };
            if step == Some(0) {
                return Err(self.error("a slice step cannot be 0"));
            }
            return Ok(Selector::Slice {
                start: first,
                end,
                step,
            });
        }
        let Some(first) = first else {
            return Err(self.error("expected an index, a slice, '*', '?' or a quoted name"));
        };
        let mut all = vec![first];
        while self.eat(",") {
            self.skip_ws();
            all.push(
                self.opt_int()?
                    .ok_or_else(|| self.error("expected an index"))?,
            );
            self.skip_ws();
        }
        Ok(if all.len() == 1 {
            Selector::Index(first)
        } else {
            Selector::Indices(all)
        })
    }

    fn opt_int(&mut self) -> Result<Option<i64>, ParseError> {
        let start = self.pos;
        self.eat("-");
        let digits = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        if self.pos == digits {
            if self.pos != start {
                return Err(self.error("expected digits after '-'"));
            }
            return Ok(None);
        }
        self.src[start..self.pos]
            .parse()
            .map(Some)
            .map_err(|_| ParseError::new("index out of range", start))
    }

    /// A single- or double-quoted string. A backslash escapes only the quote
    /// character and itself; before anything else it is kept as written (AWS
    /// reads `$['a\\"b']` as the name `a\\"b`).
    pub(crate) fn quoted(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        let Some(quote) = self.bump().filter(|c| *c == '\'' || *c == '"') else {
            return Err(self.error("expected a quoted string"));
        };
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(ParseError::new("unterminated string", start)),
                Some(c) if c == quote => return Ok(out),
                Some('\\') => match self.peek() {
                    Some(c) if c == quote || c == '\\' => {
                        self.bump();
                        out.push(c);
                    }
                    _ => out.push('\\'),
                },
                Some(c) => out.push(c),
            }
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("filter expression nested too deeply"));
        }
        Ok(())
    }

    fn filter_or(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut left = self.filter_and()?;
        loop {
            self.skip_ws();
            if !self.eat("||") {
                break;
            }
            let right = self.filter_and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn filter_and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.filter_unary()?;
        loop {
            self.skip_ws();
            if !self.eat("&&") {
                break;
            }
            let right = self.filter_unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn filter_unary(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        if self.peek() == Some('!') && self.peek2() != Some('=') {
            self.bump();
            self.enter()?;
            let inner = self.filter_unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.eat("(") {
            let inner = self.filter_or()?;
            self.skip_ws();
            self.expect(")")?;
            return Ok(inner);
        }
        let left = self.operand()?;
        self.skip_ws();
        let Some(op) = self.operator()? else {
            return match left {
                Operand::Literal(_) => Err(self.error("expected a comparison operator")),
                path => Ok(Expr::Exists(path)),
            };
        };
        self.skip_ws();
        let right = self.operand()?;
        Ok(Expr::Compare(left, op, right))
    }

    fn operator(&mut self) -> Result<Option<Op>, ParseError> {
        if self.rest().starts_with("=~") {
            return Err(self.error("regular expression filters (=~) are not supported"));
        }
        let ops = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        for (text, op) in ops {
            if self.eat(text) {
                return Ok(Some(op));
            }
        }
        for (word, op) in [("nin", Op::Nin), ("in", Op::In)] {
            let after = self.rest().get(word.len()..).unwrap_or("");
            if self.rest().starts_with(word)
                && after
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_whitespace() || c == '[')
            {
                self.pos += word.len();
                return Ok(Some(op));
            }
        }
        Ok(None)
    }

    fn operand(&mut self) -> Result<Operand, ParseError> {
        match self.peek() {
            Some('@') => {
                self.bump();
                let (segments, function) = self.segments()?;
                Ok(Operand::Current(segments, function))
            }
            Some('$') => {
                let start = self.pos;
                let (root, segments, function) = self.absolute_path()?;
                let text = self.src[start..self.pos].to_owned();
                let definite = super::is_definite(&segments);
                let reference = super::is_reference(&segments, function);
                Ok(Operand::Absolute(Box::new(super::Path {
                    text,
                    root,
                    segments,
                    function,
                    definite,
                    reference,
                })))
            }
            Some('[') => self.list_literal().map(Operand::Literal),
            _ => self.literal().map(Operand::Literal),
        }
    }

    fn list_literal(&mut self) -> Result<Value, ParseError> {
        self.expect("[")?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.eat("]") {
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.literal()?);
            self.skip_ws();
            if self.eat("]") {
                return Ok(Value::Array(items));
            }
            self.expect(",")?;
        }
    }

    /// A string, number, `true`, `false` or `null`.
    pub(crate) fn literal(&mut self) -> Result<Value, ParseError> {
        match self.peek() {
            Some('\'') | Some('"') => self.quoted().map(Value::String),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            _ => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.eat(word) {
                        return Ok(value);
                    }
                }
                Err(self.error("expected '@', a path or a literal"))
            }
        }
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        self.eat("-");
        while let Some(c) = self.peek() {
            let exponent_sign =
                (c == '+' || c == '-') && self.src[..self.pos].ends_with(['e', 'E']);
            if c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E') || exponent_sign {
                self.bump();
            } else {
                break;
            }
        }
        let text = &self.src[start..self.pos];
        crate::java::parse_number(text)
            .ok_or_else(|| ParseError::new(format!("invalid number '{text}'"), start))
    }
}
