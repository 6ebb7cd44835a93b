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
        crate::io::print_line("valid")?;
        return Ok(ExitCode::SUCCESS);
    }
    for d in &diags {
        crate::io::print_line(&d.to_string())?;
    }
    let n = diags.len();
    let file = if args.file == "-" {
        "<stdin>"
    } else {
        &args.file
    };
    let plural = if n == 1 { "" } else { "s" };
    crate::io::print_line(&format!("{n} problem{plural} found in {file}"))?;
    Ok(ExitCode::FAILURE)
}
