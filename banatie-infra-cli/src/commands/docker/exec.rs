//! `banatie-infra exec SPEC SERVICE -- ARGV...`: a command in a service's container;
//! stdin and stdout streamed, its exit code ours (no JSON form).

use std::io::IsTerminal;

use banatie_infra_core::docker;

use super::{docker_err, write_chunk, Ctx};
use crate::failure::Failure;
use crate::spec_arg::SpecArg;

/// `exec`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    /// The service.
    service: String,
    /// The command and its arguments (after `--`).
    #[arg(last = true, required = true)]
    argv: Vec<String>,
}

/// Runs the command.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    // A spec read from standard input has used it up: the command gets none.
    let stdin = (!args.spec.is_stdin() && !std::io::stdin().is_terminal()).then(tokio::io::stdin);
    let code = docker::exec(
        &ctx.engine,
        &ctx.loaded.spec,
        &args.service,
        &args.argv,
        stdin,
        write_chunk,
    )
    .await
    .map_err(docker_err)?;
    if code == 0 {
        Ok(())
    } else {
        Err(Failure::Exit(u8::try_from(code).unwrap_or(1).max(1)))
    }
}
