//! The command's edges: reading `JSON|@FILE` arguments and files (or stdin),
//! and drawing random numbers for execution names and seeds.

use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::Failure;

/// Reads a file, or standard input for `-`.
pub fn read_file(path: &str) -> Result<String> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("could not read standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("could not read '{path}'"))
}

/// The text of an argument given as `JSON` or `@FILE` (`@-` reads stdin).
pub fn text_arg(arg: &str) -> Result<String> {
    match arg.strip_prefix('@') {
        Some(path) => read_file(path),
        None => Ok(arg.to_string()),
    }
}

/// Parses a `JSON|@FILE` argument; bad JSON is the failure `error` with a cause
/// naming `what` and serde's position.
pub fn json_arg(arg: &str, error: &str, what: &str) -> Result<Value> {
    let text = text_arg(arg)?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::new(error, format!("{what} is not valid JSON: {e}")).into())
}

/// Prints one line on standard output; a closed pipe (`stepwise … | head`)
/// ends the output quietly instead of failing.
pub fn print_line(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("could not write to standard output"))
        }
        _ => Ok(()),
    }
}

/// 64 random bits: from the operating system, or failing that from the hasher
/// keys std draws at start-up mixed with the time.
pub fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom")
        && f.read_exact(&mut bytes).is_ok()
    {
        return u64::from_le_bytes(bytes);
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.write_u32(std::process::id());
    h.finish()
}

/// A random (version 4) UUID, lower-case and hyphenated.
pub fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&random_u64().to_le_bytes());
    b[8..].copy_from_slice(&random_u64().to_le_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Milliseconds since the Unix epoch, from the wall clock.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// Randomness for `States.UUID`, `States.MathRandom` and JSONata's `$random`
/// in `stepwise eval`: the engine's generator over a random seed.
pub type Entropy = engine::random::SplitMix64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_has_version_and_variant() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, uuid_v4());
    }
}
