//! The `stepwise` command.

fn main() {}
