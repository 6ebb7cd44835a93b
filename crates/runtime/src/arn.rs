//! Names and ARNs as AWS forms and checks them, and the UUIDs that default names.

use crate::{Error, Result};

/// What a StartExecution target ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `…:stateMachine:<name>`
    Machine { machine_arn: String },
    /// `…:stateMachine:<name>:<number>`
    Version { machine_arn: String, number: i64 },
    /// `…:stateMachine:<name>:<alias>`
    Alias { machine_arn: String },
}

impl Target {
    pub(crate) fn machine_arn(&self) -> &str {
        match self {
            Target::Machine { machine_arn }
            | Target::Version { machine_arn, .. }
            | Target::Alias { machine_arn } => machine_arn,
        }
    }
}

/// Splits `arn:<partition>:states:<region>:<account>:<resource…>` into its
/// resource parts, or says what is wrong the way AWS does.
fn resource_parts(arn: &str) -> Result<Vec<&str>> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 7 || parts[0] != "arn" || parts[2] != "states" || parts[1].is_empty() {
        return Err(Error::InvalidArn(format!("Invalid ARN prefix: {arn}")));
    }
    Ok(parts[5..].to_vec())
}

/// Reads a state machine, version or alias ARN.
pub(crate) fn parse_target(arn: &str) -> Result<Target> {
    let parts = resource_parts(arn)?;
    let invalid = || {
        Error::InvalidArn(format!(
            "Resource type not valid in this context: {}",
            parts[0]
        ))
    };
    if parts[0] != "stateMachine" {
        return Err(invalid());
    }
    if parts[1].is_empty() || parts.len() > 3 {
        return Err(Error::InvalidArn(format!("Invalid Arn resource: {arn}")));
    }
    // `arn:<partition>:states:<region>:<account>:stateMachine:<name>`: seven parts.
    let machine_arn = arn.split(':').take(7).collect::<Vec<_>>().join(":");
    Ok(match parts.get(2) {
        None => Target::Machine { machine_arn },
        Some(q) if !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()) => Target::Version {
            number: q
                .parse()
                .map_err(|_| Error::InvalidArn(format!("Invalid Arn resource: {arn}")))?,
            machine_arn,
        },
        Some(q) if !q.is_empty() => Target::Alias { machine_arn },
        Some(_) => return Err(Error::InvalidArn(format!("Invalid Arn resource: {arn}"))),
    })
}

/// Checks an execution ARN's shape (StopExecution and friends).
pub(crate) fn check_execution_arn(arn: &str) -> Result<()> {
    let parts = resource_parts(arn)?;
    match parts[0] {
        "execution" | "express" if parts.len() >= 3 => Ok(()),
        "execution" | "express" => Err(Error::InvalidArn(format!("Invalid Arn resource: {arn}"))),
        other => Err(Error::InvalidArn(format!(
            "Resource type not valid in this context: {other}"
        ))),
    }
}

/// `…:stateMachine:<sm>` → `…:execution:<sm>:<name>`.
pub(crate) fn execution_arn(machine_arn: &str, name: &str) -> String {
    format!(
        "{}:{name}",
        machine_arn.replacen(":stateMachine:", ":execution:", 1)
    )
}

/// `…:stateMachine:<sm>` → `…:express:<sm>:<name>:<uuid>` (Express executions).
pub(crate) fn express_arn(machine_arn: &str, name: &str) -> String {
    format!(
        "{}:{name}:{}",
        machine_arn.replacen(":stateMachine:", ":express:", 1),
        uuid()
    )
}

/// The state machine's name: the last part of its ARN.
pub(crate) fn machine_name(machine_arn: &str) -> &str {
    machine_arn.rsplit(':').next().unwrap_or(machine_arn)
}

/// AWS's rule for execution names: 1–80 characters; no whitespace, brackets
/// `< > { } [ ]`, wildcards `? *`, special characters `" # % \ ^ | ~ ` $ & , ; : /`
/// or control characters (U+0000–001F, U+007F–009F).
pub(crate) fn check_name(name: &str) -> Result<()> {
    let len = name.chars().count();
    let bad = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
    };
    if len == 0 || len > 80 || name.chars().any(bad) {
        return Err(Error::InvalidName(name.to_string()));
    }
    Ok(())
}

/// 64 random bits from the operating system.
pub(crate) fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        // No entropy source: fall back to the clock (names stay unique enough
        // for a default, seeds only need to differ).
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        return t ^ 0x9e37_79b9_7f4a_7c15;
    }
    u64::from_le_bytes(b)
}

/// A random (version 4) UUID in its usual text form.
pub(crate) fn uuid() -> String {
    let (a, b) = (random_u64(), random_u64());
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SM: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:sm";

    #[test]
    fn targets() {
        assert_eq!(
            parse_target(SM).unwrap(),
            Target::Machine {
                machine_arn: SM.into()
            }
        );
        assert_eq!(
            parse_target(&format!("{SM}:3")).unwrap(),
            Target::Version {
                machine_arn: SM.into(),
                number: 3
            }
        );
        assert_eq!(
            parse_target(&format!("{SM}:prod")).unwrap(),
            Target::Alias {
                machine_arn: SM.into()
            }
        );
        assert_eq!(
            parse_target("not_a_valid_arn").unwrap_err().to_string(),
            "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'"
        );
        assert!(parse_target("arn:aws:states:us-east-1:123456789012:activity:a").is_err());
    }

    #[test]
    fn arns_and_names() {
        assert_eq!(
            execution_arn(SM, "e"),
            "arn:aws:states:us-east-1:123456789012:execution:sm:e"
        );
        assert!(
            express_arn(SM, "e").starts_with("arn:aws:states:us-east-1:123456789012:express:sm:e:")
        );
        assert_eq!(machine_name(SM), "sm");
        for ok in ["a", "a-b_c.d", "ü", &"x".repeat(80)] {
            check_name(ok).unwrap();
        }
        for bad in [
            "",
            "a b",
            "a/b",
            "a:b",
            "a*",
            "a\u{1f}",
            "a\u{85}",
            &"x".repeat(81),
        ] {
            assert_eq!(
                check_name(bad).unwrap_err(),
                Error::InvalidName(bad.to_string())
            );
        }
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
