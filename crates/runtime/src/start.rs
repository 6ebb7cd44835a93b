//! What StartExecution checks before anything runs: the target (state machine,
//! version or alias, routed by weight), the name and the input.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::arn::{Target, parse_target};
use crate::core::{Inner, lock};
use crate::{Error, Result};

/// The definition an execution runs and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub machine_arn: String,
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    pub definition: String,
    pub role_arn: String,
    pub express: bool,
    /// The machine's `loggingConfiguration` (JSON text).
    pub logging: Option<String>,
    /// The mock test case the execution runs (`<ARN>#<TestCaseName>`).
    pub mock_case: Option<String>,
}

/// Express state machines resolved by ARN, so StartSyncExecution reads no
/// store row per request. UpdateStateMachine and DeleteStateMachine forget
/// the entry ([`crate::Runtime::forget_machine`]).
#[derive(Default)]
pub(crate) struct MachineCache {
    entries: Mutex<HashMap<String, Resolved>>,
    /// Bumped by every forget: a resolution read before it is not cached.
    generation: AtomicU64,
}

impl MachineCache {
    const MAX_ENTRIES: usize = 1024;

    fn get(&self, arn: &str) -> Option<Resolved> {
        lock(&self.entries).get(arn).cloned()
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn put(&self, read_at: u64, resolved: &Resolved) {
        let mut entries = lock(&self.entries);
        if self.generation() != read_at {
            return;
        }
        if entries.len() >= Self::MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(resolved.machine_arn.clone(), resolved.clone());
    }

    pub fn forget(&self, arn: &str) {
        let mut entries = lock(&self.entries);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(arn);
    }
}

fn not_found(arn: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::Store(store::Error::NotFound { .. }) => {
            Error::StateMachineDoesNotExist(arn.to_string())
        }
        other => other,
    }
}

/// Resolves a target ARN; an alias picks one of its versions by the execution
/// name's hash, so a given name always routes the same way.
pub(crate) async fn resolve(inner: &Arc<Inner>, target_arn: &str, name: &str) -> Result<Resolved> {
    let target = parse_target(target_arn)?;
    let machine_arn = target.machine_arn().to_string();
    let read_at = inner.machines.generation();
    if let Target::Machine { .. } = &target
        && let Some(cached) = inner.machines.get(&machine_arn)
    {
        return Ok(cached);
    }
    let owned = machine_arn.clone();
    let machine = inner
        .store(move |s| s.describe_state_machine(&owned))
        .await
        .map_err(not_found(target_arn))?;
    let express = machine.machine_type == store::MachineType::Express;
    let (version_arn, alias_arn) = match &target {
        Target::Machine { .. } => {
            let resolved = Resolved {
                machine_arn,
                version_arn: None,
                alias_arn: None,
                definition: machine.definition,
                role_arn: machine.role_arn,
                express,
                logging: machine.logging_configuration,
                mock_case: None,
            };
            if express {
                inner.machines.put(read_at, &resolved);
            }
            return Ok(resolved);
        }
        Target::Version { .. } => (target_arn.to_string(), None),
        Target::Alias { .. } => {
            let owned = target_arn.to_string();
            let alias = inner
                .store(move |s| s.describe_alias(&owned))
                .await
                .map_err(not_found(target_arn))?;
            let version = route(&alias.routing_configuration, name).ok_or_else(|| {
                Error::ValidationException(format!(
                    "The alias {target_arn} has no valid routing configuration"
                ))
            })?;
            (version, Some(target_arn.to_string()))
        }
    };
    let Ok(Target::Version { number, .. }) = parse_target(&version_arn) else {
        return Err(Error::StateMachineDoesNotExist(version_arn));
    };
    let owned = machine_arn.clone();
    let version = inner
        .store(move |s| s.describe_version(&owned, number))
        .await
        .map_err(not_found(&version_arn))?;
    Ok(Resolved {
        machine_arn,
        version_arn: Some(version_arn),
        alias_arn,
        definition: version.definition,
        role_arn: version.role_arn,
        express,
        logging: machine.logging_configuration,
        mock_case: None,
    })
}

/// Picks a version from `[{stateMachineVersionArn, weight}, …]`: the name's
/// FNV-1a hash modulo the total weight falls into one version's share.
pub(crate) fn route(routing: &str, name: &str) -> Option<String> {
    let routes: Vec<Value> = serde_json::from_str(routing).ok()?;
    let entries: Vec<(&str, u64)> = routes
        .iter()
        .filter_map(|r| {
            Some((
                r.get("stateMachineVersionArn")?.as_str()?,
                r.get("weight")?.as_u64()?,
            ))
        })
        .collect();
    let total: u64 = entries.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return None;
    }
    let mut point = fnv1a(name.as_bytes()) % total;
    for (arn, weight) in &entries {
        if point < *weight {
            return Some(arn.to_string());
        }
        point -= weight;
    }
    None
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Checks the input as AWS does: JSON text within the payload limit; absent
/// input is `{}`. Returns the text as sent and its value.
pub(crate) fn check_input(input: Option<String>, max_bytes: usize) -> Result<(String, Value)> {
    let text = input.unwrap_or_else(|| "{}".to_string());
    if text.trim().is_empty() {
        return Err(Error::InvalidExecutionInput(
            "Invalid execution input.".to_string(),
        ));
    }
    if text.len() > max_bytes {
        return Err(Error::ValidationException(format!(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: \
             Member must have length less than or equal to {max_bytes}"
        )));
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(v) => Ok((text, v)),
        Err(e) => Err(Error::InvalidExecutionInput(json_error(&text, &e))),
    }
}

/// AWS's (Jackson's) wording for the two commonest mistakes; serde's otherwise.
fn json_error(text: &str, e: &serde_json::Error) -> String {
    let t = text.trim_start();
    let first = t.chars().next().unwrap_or(' ');
    if first.is_ascii_alphabetic() {
        let token: String = t.chars().take_while(|c| c.is_alphanumeric()).collect();
        if !matches!(token.as_str(), "true" | "false" | "null") {
            return format!(
                "Unrecognized token '{token}': was expecting (JSON String, Number, Array, \
                 Object or token 'null', 'true' or 'false')"
            );
        }
    }
    if first == '{' {
        let after = t[1..].trim_start();
        if let Some(c) = after.chars().next()
            && c != '"'
            && c != '}'
        {
            return format!(
                "Unexpected character ('{c}' (code {})): was expecting double-quote to start field name",
                c as u32
            );
        }
    }
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs() {
        assert_eq!(check_input(None, 10).unwrap().0, "{}");
        assert_eq!(
            check_input(Some("not some json".into()), 100)
                .unwrap_err()
                .to_string(),
            "Invalid State Machine Execution Input: 'Unrecognized token 'not': was expecting \
             (JSON String, Number, Array, Object or token 'null', 'true' or 'false')'"
        );
        assert_eq!(
            check_input(Some("{'not': 'json'".into()), 100)
                .unwrap_err()
                .to_string(),
            "Invalid State Machine Execution Input: 'Unexpected character (''' (code 39)): \
             was expecting double-quote to start field name'"
        );
        assert_eq!(
            check_input(Some("".into()), 100).unwrap_err().to_string(),
            "Invalid State Machine Execution Input: 'Invalid execution input.'"
        );
        assert!(check_input(Some("[1,2]".into()), 5).is_ok());
        assert!(check_input(Some("[1, 2]".into()), 5).is_err());
    }

    #[test]
    fn routes_by_weight_deterministically() {
        let r = r#"[{"stateMachineVersionArn":"v1","weight":30},{"stateMachineVersionArn":"v2","weight":70}]"#;
        let mut counts = [0, 0];
        for i in 0..1000 {
            let name = format!("e{i}");
            let v = route(r, &name).unwrap();
            assert_eq!(route(r, &name).unwrap(), v);
            counts[usize::from(v == "v2")] += 1;
        }
        assert!(counts[0] > 200 && counts[0] < 400, "{counts:?}");
        assert_eq!(route("[]", "x"), None);
    }
}
