//! Workflow variables (`Assign`): one scope per frame, chained to the enclosing
//! frame's scope, so Parallel branches and Map iterations read outer variables
//! while their own assignments stay inside.
//!
//! Size limits, as Step Functions documents them, measured as compact JSON text:
//! one variable at most 256 KiB ([`MAX_VARIABLE_BYTES`]), everything one `Assign`
//! sets at most 256 KiB ([`MAX_ASSIGN_BYTES`]), and all the variables an execution
//! holds at most 10 MiB ([`MAX_TOTAL_BYTES`]; counted over the scopes a frame sees:
//! its own and the ones around it). An assignment over a limit stores nothing and
//! fails the state with `States.DataLimitExceeded`, the error Step Functions gives
//! for its other size quotas.
//!
//! Names and the rule that an inner scope does not assign outer variables are the
//! validator's (`asl`), checked before any execution runs.

use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};

/// Largest single variable, in bytes of compact JSON.
pub const MAX_VARIABLE_BYTES: usize = 256 * 1024;
/// Largest total of the variables one `Assign` sets.
pub const MAX_ASSIGN_BYTES: usize = 256 * 1024;
/// Largest total of the variables an execution holds.
pub const MAX_TOTAL_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Default)]
struct Values {
    values: Map<String, Value>,
    /// Size of each value, by name, and their sum.
    sizes: std::collections::HashMap<String, usize>,
    bytes: usize,
}

#[derive(Debug, Default)]
pub struct VarScope {
    parent: Option<Arc<VarScope>>,
    values: RwLock<Values>,
}

/// Why an assignment was refused: the cause of the `States.DataLimitExceeded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge(pub String);

impl VarScope {
    pub fn root() -> Arc<VarScope> {
        Arc::new(VarScope::default())
    }

    pub fn child(parent: &Arc<VarScope>) -> Arc<VarScope> {
        Arc::new(VarScope {
            parent: Some(parent.clone()),
            values: RwLock::new(Values::default()),
        })
    }

    /// Whether any variable is visible (lets the data flow skip building a snapshot).
    pub fn is_empty(&self) -> bool {
        self.values
            .read()
            .map(|v| v.values.is_empty())
            .unwrap_or(true)
            && self.parent.as_ref().is_none_or(|p| p.is_empty())
    }

    /// Every visible variable, inner scopes shadowing outer ones.
    pub fn snapshot(&self) -> Map<String, Value> {
        let mut all = self
            .parent
            .as_ref()
            .map(|p| p.snapshot())
            .unwrap_or_default();
        if let Ok(values) = self.values.read() {
            for (k, v) in values.values.iter() {
                all.insert(k.clone(), v.clone());
            }
        }
        all
    }

    /// Bytes held by this scope and the scopes around it.
    fn visible_bytes(&self) -> usize {
        let own = self.values.read().map(|v| v.bytes).unwrap_or(0);
        own + self.parent.as_ref().map_or(0, |p| p.visible_bytes())
    }

    /// Stores the variables one `Assign` set, all of them or (over a size limit) none.
    /// `state` names the assigning state in the refusal's cause.
    pub fn assign(&self, assigned: &Map<String, Value>, state: &str) -> Result<(), TooLarge> {
        let mut sizes = Vec::with_capacity(assigned.len());
        let mut total = 0usize;
        for (name, value) in assigned {
            let size = json_size(value);
            if size > MAX_VARIABLE_BYTES {
                return Err(TooLarge(format!(
                    "The state '{state}' assigned the variable '{name}' a value of {size} bytes, exceeding the maximum number of bytes service limit for a variable ({MAX_VARIABLE_BYTES})."
                )));
            }
            total += size;
            sizes.push(size);
        }
        if total > MAX_ASSIGN_BYTES {
            return Err(TooLarge(format!(
                "The state '{state}' assigned variables of {total} bytes in all, exceeding the maximum number of bytes service limit for one Assign ({MAX_ASSIGN_BYTES})."
            )));
        }
        let outer = self.parent.as_ref().map_or(0, |p| p.visible_bytes());
        let Ok(mut own) = self.values.write() else {
            return Ok(());
        };
        let replaced: usize = assigned
            .keys()
            .filter_map(|k| own.sizes.get(k))
            .sum::<usize>();
        let after = outer + own.bytes - replaced + total;
        if after > MAX_TOTAL_BYTES {
            return Err(TooLarge(format!(
                "The state '{state}' assigned variables that would bring the execution's variables to {after} bytes, exceeding the maximum number of bytes service limit for all variables ({MAX_TOTAL_BYTES})."
            )));
        }
        own.bytes = own.bytes - replaced + total;
        for ((name, value), size) in assigned.iter().zip(sizes) {
            own.values.insert(name.clone(), value.clone());
            own.sizes.insert(name.clone(), size);
        }
        Ok(())
    }
}

/// Length of the compact JSON text of `v`.
fn json_size(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn text(bytes: usize) -> Value {
        // A JSON string of `bytes` bytes, quotes included.
        Value::String("x".repeat(bytes - 2))
    }

    #[test]
    fn inner_scopes_read_outer_variables_and_keep_their_own() {
        let root = VarScope::root();
        root.assign(&vars(&[("a", json!(1))]), "S").unwrap();
        let inner = VarScope::child(&root);
        inner.assign(&vars(&[("b", json!(2))]), "S").unwrap();
        assert_eq!(inner.snapshot(), vars(&[("a", json!(1)), ("b", json!(2))]));
        assert_eq!(root.snapshot(), vars(&[("a", json!(1))]));
    }

    #[test]
    fn one_variable_is_at_most_256_kib() {
        let root = VarScope::root();
        root.assign(&vars(&[("v", text(MAX_VARIABLE_BYTES))]), "S")
            .unwrap();
        let err = root
            .assign(&vars(&[("w", text(MAX_VARIABLE_BYTES + 1))]), "S")
            .unwrap_err();
        assert!(err.0.contains("'w'") && err.0.contains("262145"), "{err:?}");
        // Nothing of a refused assignment is stored.
        assert!(!root.snapshot().contains_key("w"));
    }

    #[test]
    fn one_assign_is_at_most_256_kib() {
        let root = VarScope::root();
        let half = text(MAX_ASSIGN_BYTES / 2);
        root.assign(&vars(&[("a", half.clone()), ("b", half.clone())]), "S")
            .unwrap();
        let err = root
            .assign(
                &vars(&[("a", half.clone()), ("b", half), ("c", json!(1))]),
                "S",
            )
            .unwrap_err();
        assert!(err.0.contains("one Assign"), "{err:?}");
        assert_eq!(root.snapshot().len(), 2);
    }

    #[test]
    fn all_variables_are_at_most_10_mib_counting_outer_scopes() {
        let root = VarScope::root();
        let big = text(MAX_VARIABLE_BYTES);
        for i in 0..39 {
            root.assign(&vars(&[(&format!("v{i}"), big.clone())]), "S")
                .unwrap();
        }
        // Replacing a variable counts its new size, not both.
        root.assign(&vars(&[("v0", big.clone())]), "S").unwrap();
        let inner = VarScope::child(&root);
        inner
            .assign(&vars(&[("last", text(MAX_VARIABLE_BYTES - 16))]), "S")
            .unwrap();
        let err = inner
            .assign(&vars(&[("more", text(MAX_VARIABLE_BYTES))]), "S")
            .unwrap_err();
        assert!(err.0.contains("all variables"), "{err:?}");
        assert!(!inner.snapshot().contains_key("more"));
    }
}
