//! Checks that need more than one field's shape: path and intrinsic syntax,
//! timestamps, resource ARNs, error names, the state graph and workflow
//! variable names and scopes.

pub(crate) mod errors;
pub(crate) mod graph;
pub(crate) mod paths;
pub(crate) mod resource;
pub(crate) mod timestamp;
pub(crate) mod variables;
