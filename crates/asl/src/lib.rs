//! The Amazon States Language definition model and validator.
