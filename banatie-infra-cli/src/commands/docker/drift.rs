//! `banatie-infra drift SPEC`: the running engine compared with the spec. Exit 1 on any
//! error-level difference.
//!
//! JSON: the array of diagnostics (as `validate`), each pointing at the spec value it
//! differs from.

use banatie_infra_core::docker;

use super::{docker_err, Ctx};
use crate::failure::Failure;
use crate::printer::{print_diagnostics, FormatArg};
use crate::spec_arg::SpecArg;

/// `drift`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    #[command(flatten)]
    pub(crate) format: FormatArg,
}

/// Prints the differences.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    let format = args.format.format;
    let mut diffs = docker::drift(&ctx.engine, &ctx.loaded.spec)
        .await
        .map_err(docker_err)?;
    let source = &ctx.loaded.source;
    source.annotate(&mut diffs);
    if format.is_json() || !diffs.is_empty() {
        print_diagnostics(&diffs, &[(&source.name, &source.text)], format, false);
    }
    let errors = diffs.iter().filter(|d| d.is_error()).count();
    if !format.is_json() {
        say!(
            "{}: {errors} difference(s) that matter, {} warning(s)",
            ctx.loaded.spec.stack.name,
            diffs.len() - errors
        );
    }
    if errors > 0 {
        Err(Failure::Findings)
    } else {
        Ok(())
    }
}
