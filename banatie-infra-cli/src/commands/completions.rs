//! `banatie-infra completions SHELL`: the completion script of a shell on stdout
//! (`clap_complete`), generated from the same clap definition the binary parses.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::failure::Failure;

/// `completions`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the completion script.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let mut cmd = crate::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "banatie-infra", &mut buf);
    crate::printer::out(&String::from_utf8_lossy(&buf));
    Ok(())
}
