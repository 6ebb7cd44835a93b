//! Just enough XML for AWS's query and REST-XML answers: elements, text,
//! entities and CDATA (attributes, declarations and comments are skipped),
//! and the conversion to the JSON shape AWS SDKs give (`member` lists and
//! `entry` maps unwrapped, repeated elements as lists).

use serde_json::{Map, Value};

/// An element with its child elements and its text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Element {
    pub name: String,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// The first element named `name` at any depth (this one included).
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
}

/// Parses a document; `None` when it is not well-formed enough to read.
pub fn parse(text: &str) -> Option<Element> {
    let mut p = Parser { s: text, i: 0 };
    p.skip_misc();
    let root = p.element()?;
    Some(root)
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }

    /// Skips whitespace, `<?…?>`, `<!--…-->` and `<!DOCTYPE…>`.
    fn skip_misc(&mut self) {
        loop {
            let trimmed = self.rest().trim_start();
            self.i = self.s.len() - trimmed.len();
            if trimmed.starts_with("<?") {
                match trimmed.find("?>") {
                    Some(e) => self.i += e + 2,
                    None => return,
                }
            } else if trimmed.starts_with("<!--") {
                match trimmed.find("-->") {
                    Some(e) => self.i += e + 3,
                    None => return,
                }
            } else if trimmed.starts_with("<!") && !trimmed.starts_with("<![CDATA[") {
                match trimmed.find('>') {
                    Some(e) => self.i += e + 1,
                    None => return,
                }
            } else {
                return;
            }
        }
    }

    fn element(&mut self) -> Option<Element> {
        let rest = self.rest();
        if !rest.starts_with('<') {
            return None;
        }
        let end = rest.find('>')?;
        let tag = &rest[1..end];
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name = tag.split_whitespace().next()?.to_string();
        self.i += end + 1;
        let mut el = Element {
            name,
            ..Element::default()
        };
        if self_closing {
            return Some(el);
        }
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return None;
            }
            if let Some(after) = rest.strip_prefix("</") {
                let close = after.find('>')?;
                self.i += 2 + close + 1;
                return Some(el);
            }
            if let Some(after) = rest.strip_prefix("<![CDATA[") {
                let close = after.find("]]>")?;
                el.text.push_str(&after[..close]);
                self.i += 9 + close + 3;
            } else if rest.starts_with("<!--") || rest.starts_with("<?") {
                self.skip_misc();
            } else if rest.starts_with('<') {
                el.children.push(self.element()?);
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                el.text.push_str(&unescape(&rest[..end]));
                self.i += end;
            }
        }
    }
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';') else { break };
        let entity = &rest[1..semi];
        let ch = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The JSON an AWS SDK would give for `el`'s content: text for a leaf, a list
/// for `<member>` children, an object for `<entry>` (key/value) maps and
/// for other children, repeated names becoming lists, and `list_names`
/// always lists (flattened lists such as S3's `Contents`). Without the
/// service model, every scalar stays a string.
pub fn to_json(el: &Element, list_names: &[&str]) -> Value {
    if el.children.is_empty() {
        return Value::String(el.text.clone());
    }
    if el.children.iter().all(|c| c.name == "member") {
        return Value::Array(el.children.iter().map(|c| to_json(c, list_names)).collect());
    }
    if el.children.iter().all(|c| c.name == "entry") {
        let mut m = Map::new();
        for entry in &el.children {
            let key = entry
                .child_text("key")
                .or_else(|| entry.child_text("Name"))
                .unwrap_or("")
                .to_string();
            let value = entry
                .child("value")
                .or_else(|| entry.child("Value"))
                .map(|v| to_json(v, list_names))
                .unwrap_or(Value::Null);
            m.insert(key, value);
        }
        return Value::Object(m);
    }
    let mut m = Map::new();
    for c in &el.children {
        let v = to_json(c, list_names);
        let repeated = el.children.iter().filter(|o| o.name == c.name).count() > 1;
        if repeated || list_names.contains(&c.name.as_str()) {
            match m
                .entry(c.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(list) => list.push(v),
                slot => *slot = v,
            }
        } else {
            m.insert(c.name.clone(), v);
        }
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_answers_become_sdk_json() {
        let doc = r#"<?xml version="1.0"?>
<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <ListTopicsResult>
    <Topics>
      <member><TopicArn>arn:aws:sns:us-east-1:1:a</TopicArn></member>
      <member><TopicArn>arn:aws:sns:us-east-1:1:b&amp;c</TopicArn></member>
    </Topics>
    <Attributes><entry><key>k</key><value>v</value></entry></Attributes>
  </ListTopicsResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</ListTopicsResponse>"#;
        let root = parse(doc).expect("well-formed");
        let result = root.find("ListTopicsResult").expect("result");
        assert_eq!(
            to_json(result, &[]),
            json!({"Topics": [{"TopicArn": "arn:aws:sns:us-east-1:1:a"}, {"TopicArn": "arn:aws:sns:us-east-1:1:b&c"}], "Attributes": {"k": "v"}})
        );
        assert_eq!(root.find("RequestId").map(|e| e.text.as_str()), Some("r-1"));
    }

    #[test]
    fn flattened_lists_and_empty_elements() {
        let doc = "<R><Contents><Key>a</Key></Contents><Empty/><N><![CDATA[<x>]]></N></R>";
        let root = parse(doc).expect("well-formed");
        assert_eq!(
            to_json(&root, &["Contents"]),
            json!({"Contents": [{"Key": "a"}], "Empty": "", "N": "<x>"})
        );
        assert!(parse("<a><b></a").is_none());
    }
}
