//! `banatie-infra down SPEC`: the stack's containers stopped and removed (never data,
//! never foreign containers).
//!
//! JSON: `{"stack", "containers": [name], "networks": [name]}`, what was removed.

use banatie_infra_core::docker;
use serde_json::json;

use super::{docker_err, Ctx};
use crate::failure::Failure;
use crate::printer::{self, FormatArg};
use crate::spec_arg::SpecArg;

/// `down`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    /// Also remove the stack's own networks.
    #[arg(long)]
    networks: bool,
    /// Seconds to wait for a graceful stop.
    #[arg(long, default_value_t = 10)]
    timeout: i32,
    #[command(flatten)]
    lock: super::LockArg,
    #[command(flatten)]
    pub(crate) format: FormatArg,
}

/// Removes the stack's containers.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    let spec = &ctx.loaded.spec;
    let _lock = args.lock.hold(
        &super::root_or_spec(None, ctx),
        ctx.loaded.spec.stack.name.as_str(),
        "down",
    )?;
    let r = docker::down(&ctx.engine, spec, args.networks, args.timeout)
        .await
        .map_err(docker_err)?;
    if args.format.format.is_json() {
        printer::json(json!({
            "stack": spec.stack.name.as_str(),
            "containers": r.containers,
            "networks": r.networks,
        }));
        return Ok(());
    }
    let mut text = String::new();
    for c in &r.containers {
        text.push_str(&format!("removed container {c}\n"));
    }
    for n in &r.networks {
        text.push_str(&format!("removed network {n}\n"));
    }
    printer::out_redacted(&text);
    say!(
        "{}: {} container(s), {} network(s) removed; data directories untouched",
        spec.stack.name,
        r.containers.len(),
        r.networks.len()
    );
    Ok(())
}
