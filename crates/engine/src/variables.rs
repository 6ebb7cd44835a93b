//! Workflow variables (`Assign`): one scope per frame, chained to the enclosing
//! frame's scope, so Parallel branches and Map iterations read outer variables
//! while their own assignments stay inside.

use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};

#[derive(Debug, Default)]
pub struct VarScope {
    parent: Option<Arc<VarScope>>,
    values: RwLock<Map<String, Value>>,
}

impl VarScope {
    pub fn root() -> Arc<VarScope> {
        Arc::new(VarScope::default())
    }

    pub fn child(parent: &Arc<VarScope>) -> Arc<VarScope> {
        Arc::new(VarScope {
            parent: Some(parent.clone()),
            values: RwLock::new(Map::new()),
        })
    }

    /// Whether any variable is visible (lets the data flow skip building a snapshot).
    pub fn is_empty(&self) -> bool {
        self.values.read().map(|v| v.is_empty()).unwrap_or(true)
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
            for (k, v) in values.iter() {
                all.insert(k.clone(), v.clone());
            }
        }
        all
    }

    pub fn assign(&self, assigned: &Map<String, Value>) {
        if let Ok(mut values) = self.values.write() {
            for (k, v) in assigned {
                values.insert(k.clone(), v.clone());
            }
        }
    }
}
