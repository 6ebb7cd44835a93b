//! ARNs as AWS forms and checks them:
//! `arn:<partition>:states:<region>:<account>:<type>:<name>[:<qualifier>…]`.
//!
//! Parsing only checks the shape; whether the resource exists is the store's
//! business. Messages follow AWS's `Invalid Arn: '…'` texts.

use crate::error::{ApiError, ApiResult};

/// What an ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `stateMachine:<name>`
    StateMachine { name: String },
    /// `stateMachine:<name>:<number>`
    Version { name: String, number: i64 },
    /// `stateMachine:<name>:<alias>`
    Alias { name: String, alias: String },
    /// `execution:<machine>:<name>`
    Execution { machine: String, name: String },
    /// `express:<machine>:<name>:<id>`
    Express { machine: String, name: String },
    /// `activity:<name>`
    Activity { name: String },
    /// `mapRun:…` and anything else AWS knows but these actions do not take.
    Other { kind: String },
}

/// A parsed ARN of the states service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub text: String,
    pub region: String,
    pub account: String,
    pub resource: Resource,
}

impl Arn {
    /// The unqualified state machine ARN of a machine, version or alias ARN.
    pub fn machine_arn(&self) -> Option<String> {
        let name = match &self.resource {
            Resource::StateMachine { name }
            | Resource::Version { name, .. }
            | Resource::Alias { name, .. } => name,
            _ => return None,
        };
        Some(format!(
            "arn:aws:states:{}:{}:stateMachine:{name}",
            self.region, self.account
        ))
    }

    /// The resource type's name as AWS writes it in messages.
    pub fn kind(&self) -> &str {
        match &self.resource {
            Resource::StateMachine { .. } | Resource::Version { .. } | Resource::Alias { .. } => {
                "stateMachine"
            }
            Resource::Execution { .. } => "execution",
            Resource::Express { .. } => "express",
            Resource::Activity { .. } => "activity",
            Resource::Other { kind } => kind,
        }
    }
}

/// Parses `text`, failing with AWS's `InvalidArn` messages.
pub fn parse(text: &str) -> ApiResult<Arn> {
    if !text.starts_with("arn:") {
        return Err(ApiError::invalid_arn(format!("Invalid ARN prefix: {text}")));
    }
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() < 7 || parts[1].is_empty() {
        return Err(ApiError::invalid_arn(format!("Invalid ARN format: {text}")));
    }
    if parts[2] != "states" {
        return Err(ApiError::invalid_arn(format!(
            "Invalid ARN service: {}",
            parts[2]
        )));
    }
    let rest = &parts[6..];
    let nonempty = |s: &&str| !s.is_empty();
    if !rest.iter().all(nonempty) {
        return Err(ApiError::invalid_arn(format!("Invalid ARN format: {text}")));
    }
    let resource = match (parts[5], rest) {
        ("stateMachine", [name]) => Resource::StateMachine {
            name: name.to_string(),
        },
        ("stateMachine", [name, q]) => match q.parse::<i64>() {
            Ok(number) if q.bytes().all(|b| b.is_ascii_digit()) => Resource::Version {
                name: name.to_string(),
                number,
            },
            _ => Resource::Alias {
                name: name.to_string(),
                alias: q.to_string(),
            },
        },
        ("execution", [machine, name]) => Resource::Execution {
            machine: machine.to_string(),
            name: name.to_string(),
        },
        ("express", [machine, name, _]) => Resource::Express {
            machine: machine.to_string(),
            name: name.to_string(),
        },
        ("activity", [name]) => Resource::Activity {
            name: name.to_string(),
        },
        ("stateMachine" | "execution" | "express" | "activity", _) => {
            return Err(ApiError::invalid_arn(format!("Invalid ARN format: {text}")));
        }
        (kind, _) => Resource::Other {
            kind: kind.to_string(),
        },
    };
    Ok(Arn {
        text: text.to_string(),
        region: parts[3].to_string(),
        account: parts[4].to_string(),
        resource,
    })
}

/// The error for an ARN of a type the action does not take.
pub fn wrong_kind(arn: &Arn) -> ApiError {
    ApiError::invalid_arn(format!(
        "Resource type not valid in this context: {}",
        arn.kind()
    ))
}

/// An unqualified state machine ARN (no version or alias).
pub fn state_machine(text: &str) -> ApiResult<Arn> {
    let arn = parse(text)?;
    match arn.resource {
        Resource::StateMachine { .. } => Ok(arn),
        Resource::Version { .. } | Resource::Alias { .. } => Err(ApiError::invalid_arn(format!(
            "Unexpected qualified ARN for state machine: {text}"
        ))),
        _ => Err(wrong_kind(&arn)),
    }
}

/// A state machine, version or alias ARN.
pub fn qualified_state_machine(text: &str) -> ApiResult<Arn> {
    let arn = parse(text)?;
    match arn.resource {
        Resource::StateMachine { .. } | Resource::Version { .. } | Resource::Alias { .. } => {
            Ok(arn)
        }
        _ => Err(wrong_kind(&arn)),
    }
}

/// An execution ARN (standard or express).
pub fn execution(text: &str) -> ApiResult<Arn> {
    let arn = parse(text)?;
    match arn.resource {
        Resource::Execution { .. } | Resource::Express { .. } => Ok(arn),
        _ => Err(wrong_kind(&arn)),
    }
}

/// An activity ARN.
pub fn activity(text: &str) -> ApiResult<Arn> {
    let arn = parse(text)?;
    match arn.resource {
        Resource::Activity { .. } => Ok(arn),
        _ => Err(wrong_kind(&arn)),
    }
}

/// Whether `name` is a valid name for a state machine, execution, activity or
/// alias: 1–80 characters, none of AWS's forbidden ones (whitespace, brackets,
/// wildcards, special characters, control characters).
pub fn valid_name(name: &str) -> bool {
    let count = name.chars().count();
    (1..=80).contains(&count)
        && name.chars().all(|c| {
            !c.is_whitespace()
                && !c.is_control()
                && !matches!(
                    c,
                    '<' | '>'
                        | '{'
                        | '}'
                        | '['
                        | ']'
                        | '?'
                        | '*'
                        | '"'
                        | '#'
                        | '%'
                        | '\\'
                        | '^'
                        | '|'
                        | '~'
                        | '`'
                        | '$'
                        | '&'
                        | ','
                        | ';'
                        | ':'
                        | '/'
                )
                && !('\u{7f}'..='\u{9f}').contains(&c)
        })
}

/// `InvalidName` unless [`valid_name`].
pub fn check_name(name: &str) -> ApiResult<()> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::new(
            "InvalidName",
            format!("Invalid Name: '{name}'"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let a = parse("arn:aws:states:us-east-1:123456789012:stateMachine:m:3").unwrap();
        assert!(matches!(a.resource, Resource::Version { number: 3, .. }));
        assert_eq!(
            a.machine_arn().unwrap(),
            "arn:aws:states:us-east-1:123456789012:stateMachine:m"
        );
        let a = parse("arn:aws:states:us-east-1:123456789012:stateMachine:m:prod").unwrap();
        assert!(matches!(a.resource, Resource::Alias { .. }));
        assert_eq!(
            parse("nope").unwrap_err().message,
            "Invalid Arn: 'Invalid ARN prefix: nope'"
        );
        assert_eq!(
            state_machine("arn:aws:states:r:1:execution:m:e")
                .unwrap_err()
                .message,
            "Invalid Arn: 'Resource type not valid in this context: execution'"
        );
    }

    #[test]
    fn names() {
        assert!(valid_name("activity.name-v2_x"));
        for bad in ["a b", "a/b", "a\u{1f}", "", "a:b", &"x".repeat(81)] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }
}
