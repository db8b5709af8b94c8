//! `banatie-infra plan SPEC [--root DIR] [--deploy]`: what `up` (or, with `--deploy`,
//! `deploy`) would do, each step with its reason. Changes nothing.
//!
//! JSON: `{"actions": [action]}` ([`banatie_infra_core::docker::Plan`]), an action being
//! `{"action": "create_network", "network", "internal"} | {"action": "build", "service",
//! "image"} | {"action": "pull", "service", "image"} | {"action": "create", "service"} | {"action": "recreate", "service",
//! "reason"} | {"action": "rollout", "service", "reason"} | {"action": "start", "service",
//! "reason"} | {"action": "restart",
//! "service", "because"} | {"action": "keep", "service"}`.

use std::path::PathBuf;

use banatie_infra_core::docker::{self, Action};

use super::{docker_err, root_or_spec, Ctx};
use crate::failure::Failure;
use crate::printer::{self, to_value, FormatArg};
use crate::spec_arg::SpecArg;

/// `plan`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    /// The deployment root holding the rendered files and secrets.env. Default: the
    /// spec's root.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Show what `deploy` would do: which services roll start-first, and why the others
    /// are recreated.
    #[arg(long)]
    deploy: bool,
    #[command(flatten)]
    pub(crate) format: FormatArg,
}

/// Prints the plan.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    let root = root_or_spec(args.root, ctx);
    let mut plan = docker::plan(&ctx.engine, &ctx.loaded.spec, &root)
        .await
        .map_err(docker_err)?;
    if args.deploy {
        plan = plan.for_deploy(&ctx.loaded.spec);
    }
    if args.format.format.is_json() {
        printer::json(to_value(&plan));
    } else {
        let mut text = String::new();
        for a in &plan.actions {
            text.push_str(&describe(a));
            text.push('\n');
        }
        printer::out_redacted(&text);
        if plan.is_noop() {
            say!("nothing to do: the stack matches the spec");
        }
    }
    Ok(())
}

/// One step of a plan, as a line.
pub(crate) fn describe(a: &Action) -> String {
    // The core's line, its first word (the step) in a column of ten.
    let line = a.to_string();
    match line.split_once(' ') {
        Some((step, rest)) => format!("{step:<10} {rest}"),
        None => line,
    }
}
