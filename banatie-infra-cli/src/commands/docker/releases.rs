//! `banatie-infra releases SPEC [--root DIR]`: the recorded releases, newest first, and
//! `banatie-infra rollback SPEC [RELEASE]`: back to one of them (default: the one before
//! the newest) through `deploy`'s start-first path.
//!
//! JSON of `releases`: `[{id, created, who, host, verb, rollback_of?, spec_hash,
//! services: {name: {image, image_id, digests, pin}}}]` (newest first; the spec itself is
//! left out). JSON of `rollback`: `{ok, error, target, release, actions: [action]}`.

use std::path::PathBuf;
use std::time::Duration;

use banatie_infra_core::docker::{self, releases};
use serde_json::json;

use super::{root_or_spec, Ctx};
use crate::failure::Failure;
use crate::printer::{self, to_value, FormatArg};
use crate::spec_arg::SpecArg;

/// `releases`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    /// The deployment root. Default: the spec's root.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) format: FormatArg,
}

/// `rollback`.
#[derive(clap::Args)]
pub(crate) struct RollbackArgs {
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    /// The release to return to (an id from `releases`). Default: the one before the
    /// newest.
    release: Option<String>,
    /// The deployment root. Default: the spec's root.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Seconds one service may take to become ready.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// How long a rolled service's old container keeps serving beside the new one.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = banatie_infra_core::lock::parse_wait)]
    drain: Duration,
    #[command(flatten)]
    lock: super::LockArg,
    #[command(flatten)]
    pub(crate) format: FormatArg,
}

/// Lists the releases.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    let root = root_or_spec(args.root, ctx);
    let mut all = releases::releases(&root).map_err(|e| Failure::Input(e.to_string()))?;
    all.reverse();
    if args.format.format.is_json() {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|r| {
                let mut v = to_value(r);
                if let Some(o) = v.as_object_mut() {
                    o.remove("spec");
                }
                v
            })
            .collect();
        printer::json(serde_json::Value::Array(rows));
        return Ok(());
    }
    if all.is_empty() {
        say!(
            "no release recorded under {} yet: `deploy` records one",
            root.display()
        );
        return Ok(());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut text = format!(
        "{:<20} {:<9} {:<10} {:<18} {}\n",
        "RELEASE", "VERB", "AGE", "WHO", "IMAGES"
    );
    for r in &all {
        let images: Vec<String> = r
            .services
            .iter()
            .map(|(s, i)| format!("{s}={}", short(&i.image_id)))
            .collect();
        let back = r
            .rollback_of
            .as_ref()
            .map_or(String::new(), |of| format!(" (back to {of})"));
        text.push_str(&format!(
            "{:<20} {:<9} {:<10} {:<18} {}{back}\n",
            r.id,
            r.verb,
            age(now.saturating_sub(r.created)),
            format!("{}@{}", r.who, r.host),
            images.join(" ")
        ));
    }
    printer::out_redacted(&text);
    Ok(())
}

fn short(id: &str) -> String {
    id.trim_start_matches("sha256:").chars().take(12).collect()
}

fn age(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Rolls back.
pub(crate) async fn rollback(ctx: &Ctx, args: RollbackArgs) -> Result<(), Failure> {
    let root = root_or_spec(args.root, ctx);
    let _lock = args
        .lock
        .hold(&root, ctx.loaded.spec.stack.name.as_str(), "rollback")?;
    let opts = docker::UpOptions {
        timeout: Duration::from_secs(args.timeout),
        drain: args.drain,
        ..Default::default()
    };
    let verbose = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let report = |e: docker::UpEvent| super::up::tell(&e, verbose);
    let result = tokio::select! {
        r = releases::rollback(&ctx.engine, &root, args.release.as_deref(), &opts, &report) => r,
        _ = tokio::signal::ctrl_c() => {
            if let Ok(done) = docker::reconcile_leftovers(&ctx.engine, &ctx.loaded.spec).await {
                done.into_iter().for_each(|l| super::up::tell(&docker::UpEvent::Leftover(l), verbose));
            }
            say!("interrupted: run `banatie-infra rollback` again to finish");
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
                    "target": r.target.id,
                    "release": r.recorded.as_ref().map(|x| x.id.clone()),
                    "actions": to_value(&r.plan.actions),
                }));
            } else {
                match &r.recorded {
                    Some(rec) => say!(
                        "rolled back to {} (recorded as release {})",
                        r.target.id,
                        rec.id
                    ),
                    None => say!(
                        "already at release {}: nothing changed, nothing recorded",
                        r.target.id
                    ),
                }
            }
            Ok(())
        }
        Err(e) => {
            say!("error: {e}");
            if json {
                printer::json(json!({
                    "ok": false,
                    "error": e.to_string(),
                    "target": null,
                    "release": null,
                    "actions": [],
                }));
            }
            Err(Failure::Findings)
        }
    }
}
