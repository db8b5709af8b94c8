//! `banatie-infra secrets rotate NAME SPEC [--root DIR] [--value-stdin] [--allow-recreate]
//! [--timeout SECS] [--drain DURATION] [--lock-wait DURATION]`: one secret of the
//! running stack given a new value and switched without downtime
//! ([`banatie_infra_core::docker::rotate`]). Holds the root's lock. Names only, never a
//! value.
//!
//! JSON: `{"ok": bool, "error": string | null, "secret", "rotation": {"kind":
//! "database_password", "service", "role"} | {"kind": "service_account_key", "service",
//! "jobs"} | {"kind": "value", "supplied"} | null, "derived": [name], "redeployed":
//! [service], "actions": [action] (as `plan`), "failed_step": "check" | "files" |
//! "database" | "deploy" | null, "restored": bool | null, "reverted": name | null}`
//! (`reverted`: an earlier rotation that did not finish, put back first). Exit 1 when the rotation
//! failed or was refused; interrupted (Ctrl-C): exit 130.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use banatie_infra_core::docker::rotate::{self, RotateError, RotateOptions};
use serde_json::json;

use super::{root_or_spec, Ctx};
use crate::failure::Failure;
use crate::printer::{self, to_value, FormatArg};
use crate::spec_arg::SpecArg;

/// `secrets rotate`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The secret: a variable under the spec's `secrets` (`POSTGRES_PASSWORD`, a MinIO
    /// service account's key, a signing key, a provider's token).
    #[arg(value_name = "NAME")]
    name: String,
    #[command(flatten)]
    spec: SpecArg,
    /// The deployment root. Default: the spec's root.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Read the new value from standard input (one line; required for a supplied secret,
    /// else a new random value of the spec's length and alphabet is generated).
    #[arg(long)]
    value_stdin: bool,
    /// Go on when a service that receives the secret cannot roll and is recreated (a
    /// moment of downtime for it).
    #[arg(long)]
    allow_recreate: bool,
    /// Seconds one service may take to become ready.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// How long a rolled service's old container keeps serving beside the new one.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = banatie_infra_core::lock::parse_wait)]
    drain: Duration,
    #[command(flatten)]
    lock: super::LockArg,
    #[command(flatten)]
    format: FormatArg,
}

/// Runs `secrets rotate`.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let value = if args.value_stdin {
        if args.spec.is_stdin() {
            return Err(Failure::Input(
                "`--value-stdin` reads the value from standard input: give the spec as a file"
                    .into(),
            ));
        }
        Some(read_value()?)
    } else {
        None
    };
    let (spec, format) = (args.spec.clone(), args.format.format);
    super::with_engine(&spec, format, true, |ctx| async move {
        rotate(&ctx, args, value).await
    })
}

/// The new value: standard input's first line, without its line break.
fn read_value() -> Result<String, Failure> {
    let mut buf = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut buf)
        .map_err(|e| Failure::Input(format!("reading the value from standard input: {e}")))?;
    let line = buf.strip_suffix('\n').unwrap_or(&buf);
    let line = line.strip_suffix('\r').unwrap_or(line);
    banatie_infra_core::redact::register(line);
    Ok(line.to_owned())
}

async fn rotate(ctx: &Ctx, args: Args, value: Option<String>) -> Result<(), Failure> {
    let root = root_or_spec(args.root, ctx);
    let spec = &ctx.loaded.spec;
    let _lock = args.lock.hold(&root, spec.stack.name.as_str(), "rotate")?;
    let opts = RotateOptions {
        value,
        allow_recreate: args.allow_recreate,
        up: banatie_infra_core::docker::UpOptions {
            timeout: Duration::from_secs(args.timeout),
            drain: args.drain,
            ..Default::default()
        },
    };
    let verbose = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let report = |e: banatie_infra_core::docker::UpEvent| super::up::tell(&e, verbose);
    let result = tokio::select! {
        r = rotate::rotate(&ctx.engine, spec, &root, &args.name, &opts, &report) => r,
        _ = tokio::signal::ctrl_c() => {
            say!("interrupted: the values from before are in {}/{}; the next `banatie-infra secrets rotate` puts them back first (files, password, containers)", root.display(), rotate::PREVIOUS_FILE);
            return Err(Failure::Exit(130));
        }
    };
    let json = args.format.format.is_json();
    match result {
        Ok(r) => {
            if json {
                printer::json(json!({
                    "ok": true,
                    "error": null,
                    "secret": r.secret,
                    "rotation": to_value(&r.rotation),
                    "derived": r.derived,
                    "redeployed": r.redeployed,
                    "actions": to_value(&r.plan.actions),
                    "failed_step": null,
                    "restored": null,
                    "reverted": r.reverted,
                }));
            } else {
                if let Some(was) = &r.reverted {
                    say!("put back first: the rotation of {was} that did not finish");
                }
                // Never `NAME: value` or `NAME=value`: the redaction hides what follows
                // a secret's name there.
                let how = match &r.rotation {
                    rotate::Rotation::DatabasePassword { service, role } => {
                        format!(" with ALTER ROLE for `{role}` in `{service}`")
                    }
                    rotate::Rotation::ServiceAccountKey { jobs, .. } => {
                        format!(" in MinIO by {}", jobs.join(", "))
                    }
                    rotate::Rotation::Value { .. } => String::new(),
                };
                let derived = if r.derived.is_empty() {
                    String::new()
                } else {
                    format!("; recomputed {}", r.derived.join(", "))
                };
                let moved = if r.redeployed.is_empty() {
                    "no service".to_owned()
                } else {
                    r.redeployed.join(", ")
                };
                say!(
                    "rotated {}{how}{derived}; on the new value now: {moved}",
                    r.secret
                );
            }
            Ok(())
        }
        Err(e) => {
            say!("error: {e}");
            if json {
                let (step, restored) = match &e {
                    RotateError::Failed { step, restored, .. } => {
                        (Some(to_value(step)), Some(restored.is_none()))
                    }
                    _ => (None, None),
                };
                printer::json(json!({
                    "ok": false,
                    "error": e.to_string(),
                    "secret": args.name,
                    "rotation": null,
                    "derived": [],
                    "redeployed": [],
                    "actions": [],
                    "failed_step": step,
                    "restored": restored,
                    "reverted": null,
                }));
            }
            Err(Failure::Findings)
        }
    }
}
