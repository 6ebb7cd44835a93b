//! The pure, deterministic ASL interpreter.
