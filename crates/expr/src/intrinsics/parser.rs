//! Parser for intrinsic calls: `States.Name(arg, …)` with literals, paths and nested calls.
use serde_json::Value;

use super::{Arg, Call, Piece, Signature};
use crate::ParseError;
use crate::jsonpath::Path;

/// Nested calls deeper than this are refused rather than risk the stack.
const MAX_DEPTH: usize = 32;

pub(super) fn parse_call(text: &str) -> Result<Call, ParseError> {
    let mut p = Parser { src: text, pos: 0 };
    p.skip_ws();
    let call = p.call(0)?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error("unexpected text after the intrinsic function call"));
    }
    Ok(call)
}

struct Parser<'s> {
    src: &'s str,
    pos: usize,
}

impl<'s> Parser<'s> {
    fn rest(&self) -> &'s str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
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

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(message, self.pos)
    }

    fn call(&mut self, depth: usize) -> Result<Call, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error("intrinsic function calls nested too deeply"));
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            self.bump();
        }
        let name = &self.src[start..self.pos];
        let Some(function) = Signature::lookup(name) else {
            return Err(ParseError::new(
                format!("'{name}' is not a known intrinsic function"),
                start,
            ));
        };
        self.skip_ws();
        if !self.eat("(") {
            return Err(self.error(format!("expected '(' after {name}")));
        }
        let mut args = Vec::new();
        let mut format = None;
        self.skip_ws();
        if !self.eat(")") {
            loop {
                self.skip_ws();
                let (arg, raw) = self.arg(depth)?;
                if function.name == "States.Format" && args.is_empty() {
                    format = raw.map(|raw| parse_format(&raw));
                }
                args.push(arg);
                self.skip_ws();
                if self.eat(")") {
                    break;
                }
                if !self.eat(",") {
                    return Err(self.error("expected ',' or ')'"));
                }
            }
        }
        if !function.accepts_arity(args.len()) {
            return Err(ParseError::new(
                format!("{name} does not take {} argument(s)", args.len()),
                start,
            ));
        }
        Ok(Call {
            text: self.src[start..self.pos].to_owned(),
            function,
            args,
            format,
        })
    }

    /// One argument, and for a string literal its raw text (escapes kept),
    /// which `States.Format` needs to tell `\{` from `{`.
    fn arg(&mut self, depth: usize) -> Result<(Arg, Option<String>), ParseError> {
        match self.peek() {
            Some('\'') => {
                let (value, raw) = self.string()?;
                Ok((Arg::Literal(Value::String(value)), Some(raw)))
            }
            Some('$') => self.path().map(|p| (Arg::Path(p), None)),
            Some(c) if c == '-' || c.is_ascii_digit() => {
                self.number().map(|v| (Arg::Literal(v), None))
            }
            _ if self.rest().starts_with("States.") => {
                self.call(depth + 1).map(|c| (Arg::Call(c), None))
            }
            _ => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.eat(word) {
                        return Ok((Arg::Literal(value), None));
                    }
                }
                Err(self
                    .error("expected a string, number, boolean, null, path or intrinsic function"))
            }
        }
    }

    /// `'…'` where `\'`, `\{`, `\}` and `\\` are escapes.
    fn string(&mut self) -> Result<(String, String), ParseError> {
        let start = self.pos;
        self.bump();
        let body_start = self.pos;
        let mut value = String::new();
        loop {
            match self.bump() {
                None => return Err(ParseError::new("unterminated string literal", start)),
                Some('\'') => break,
                Some('\\') => match self.bump() {
                    Some(c @ ('\'' | '{' | '}' | '\\')) => value.push(c),
                    Some(c) => {
                        value.push('\\');
                        value.push(c);
                    }
                    None => return Err(ParseError::new("unterminated string literal", start)),
                },
                Some(c) => value.push(c),
            }
        }
        let raw = self.src[body_start..self.pos - 1].to_owned();
        Ok((value, raw))
    }

    /// A path runs to the next `,` or `)` outside brackets, parentheses and quotes.
    fn path(&mut self) -> Result<Path, ParseError> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            match (quote, c) {
                (Some(_), '\\') => {
                    self.bump();
                    self.bump();
                    continue;
                }
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '[' | '(') => depth += 1,
                (None, ']' | ')') if depth > 0 => depth -= 1,
                (None, ',' | ')') if depth == 0 => break,
                _ => {}
            }
            self.bump();
        }
        let text = self.src[start..self.pos].trim_end();
        Path::parse(text).map_err(|e| ParseError::new(e.message, start + e.offset))
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        self.eat("-");
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+'))
        {
            self.bump();
        }
        let text = &self.src[start..self.pos];
        crate::java::parse_number(text)
            .ok_or_else(|| ParseError::new(format!("invalid number '{text}'"), start))
    }
}

/// Splits a `States.Format` template into text and `{}` holes. A `{` that
/// does not open `{}`, or a bare `}`, makes the template invalid (AWS fails
/// such a call when the state runs).
pub(super) fn parse_format(raw: &str) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\'' | '{' | '}' | '\\')) => text.push(e),
                Some(e) => {
                    text.push('\\');
                    text.push(e);
                }
                None => text.push('\\'),
            },
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Hole);
            }
            '{' | '}' => return None,
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Some(pieces)
}
