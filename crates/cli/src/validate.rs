//! `stepwise validate FILE`: every diagnostic of a definition, one a line, as
//! ValidateStateMachineDefinition reports them.

use std::process::ExitCode;

use anyhow::Result;

/// Validate a definition.
#[derive(clap::Args)]
pub struct Args {
    /// The definition file (`-` reads standard input).
    file: String,
}

pub fn main(args: Args) -> Result<ExitCode> {
    let text = crate::io::read_file(&args.file)?;
    let (_, diags) = asl::parse(&text);
    if diags.is_empty() {
        println!("valid");
        return Ok(ExitCode::SUCCESS);
    }
    for d in &diags {
        println!("{d}");
    }
    let n = diags.len();
    println!(
        "{n} problem{} found in {}",
        if n == 1 { "" } else { "s" },
        if args.file == "-" {
            "<stdin>"
        } else {
            &args.file
        }
    );
    Ok(ExitCode::FAILURE)
}
