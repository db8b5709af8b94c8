//! `banatie-infra up SPEC [--root DIR] [--pull always|missing|never] [--build]
//! [--lock-wait DURATION]`: the stack brought to its spec, every service ready, holding
//! the root's lock. Steps and readiness are told on stderr as they happen; a pull draws a
//! bar per layer on a terminal (nothing when stderr is piped).
//!
//! JSON: `{"ok": bool, "error": string | null, "noop": bool, "changes": number,
//! "seconds": number, "actions": [action] (as `plan`), "ready": [{"service",
//! "seconds"}], "release": id | null}` (the release recorded, when something changed); on error `actions` holds nothing and exit is 1. Interrupted (Ctrl-C):
//! exit 130, nothing on stdout.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use banatie_infra_core::docker::{self, UpEvent};
use serde_json::json;

use super::plan::describe;
use super::{root_or_spec, Ctx};
use crate::failure::Failure;
use crate::printer::{self, to_value, FormatArg};
use crate::spec_arg::SpecArg;

/// `up`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    /// The deployment root. Default: the spec's root.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Seconds one service may take to become ready.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// Build images even when they exist.
    #[arg(long)]
    build: bool,
    /// When to pull images that are not built here: `always`, `missing` (those the engine
    /// lacks) or `never`. Credentials come from the Docker client's config.json.
    #[arg(long, value_name = "POLICY", default_value = "missing", value_parser = parse_pull)]
    pull: docker::PullPolicy,
    #[command(flatten)]
    lock: super::LockArg,
    #[command(flatten)]
    pub(crate) format: FormatArg,
}

/// `deploy`: `up`'s arguments, and the drain.
#[derive(clap::Args)]
pub(crate) struct DeployArgs {
    #[command(flatten)]
    pub(crate) up: Args,
    /// How long a rolled service's old container keeps serving beside the new, healthy
    /// one before it stops (seconds, or a duration: `3s`, `1m`).
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = banatie_infra_core::lock::parse_wait)]
    drain: Duration,
}

/// Deploys: `up` with changed services rolled start-first.
pub(crate) async fn deploy(ctx: &Ctx, args: DeployArgs) -> Result<(), Failure> {
    bring_up(ctx, args.up, Some(args.drain)).await
}

/// Brings the stack up.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    bring_up(ctx, args, None).await
}

fn parse_pull(s: &str) -> Result<docker::PullPolicy, String> {
    s.parse()
}

/// One bar per layer being pulled, on a terminal; nothing otherwise.
struct PullBars {
    multi: Option<indicatif::MultiProgress>,
    bars: Mutex<std::collections::HashMap<String, indicatif::ProgressBar>>,
}

impl PullBars {
    fn new(visible: bool) -> Self {
        Self {
            multi: visible.then(indicatif::MultiProgress::new),
            bars: Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn update(&self, p: &docker::PullProgress) {
        let (Some(multi), false) = (&self.multi, p.layer.is_empty()) else {
            return;
        };
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        let key = format!("{}/{}", p.image, p.layer);
        let bar = bars.entry(key).or_insert_with(|| {
            let b = multi.add(indicatif::ProgressBar::new(0));
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "  {prefix} {msg:<16} [{bar:30}] {bytes}/{total_bytes}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_prefix(p.layer.clone());
            b
        });
        if let Some(total) = p.total {
            bar.set_length(total);
        }
        bar.set_position(p.current);
        bar.set_message(p.status.clone());
        if p.status == "Pull complete" || p.status == "Already exists" {
            bar.finish();
        }
    }

    fn clear(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }
}

/// Tells one progress event on stderr (a pull's layers are drawn by [`PullBars`]; build
/// output only on a terminal).
pub(crate) fn tell(e: &UpEvent, verbose: bool) {
    match e {
        UpEvent::Step(a) => say!("{}", describe(a)),
        UpEvent::BuildOutput(s, line) => {
            if verbose {
                say!("  {s} | {line}");
            }
        }
        UpEvent::Ready(s, t) => say!("ready      {s} ({:.1}s)", t.as_secs_f64()),
        UpEvent::Switched {
            service,
            healthy_after,
            drain,
        } => {
            let (h, d) = (healthy_after.as_secs_f64(), drain.as_secs_f64());
            say!("switched   {service}: the new container is ready ({h:.1}s); the old one drains {d:.1}s, then stops");
        }
        UpEvent::Recorded(id) => say!("release    {id} recorded"),
        UpEvent::Leftover(docker::Leftover::Removed(s)) => {
            say!("leftover   {s}-next of an interrupted deploy removed ({s} still serves)")
        }
        UpEvent::Leftover(docker::Leftover::Finished(s)) => {
            say!("leftover   {s}-next of an interrupted deploy was the one serving: renamed to {s}")
        }
        UpEvent::Pull(_) => {}
    }
}

/// `up`, or `deploy` when `drain` is given.
async fn bring_up(ctx: &Ctx, args: Args, drain: Option<Duration>) -> Result<(), Failure> {
    let verb = if drain.is_some() { "deploy" } else { "up" };
    let json = args.format.format.is_json();
    let root = root_or_spec(args.root, ctx);
    let opts = docker::UpOptions {
        timeout: Duration::from_secs(args.timeout),
        build: args.build,
        pull: args.pull,
        drain: drain.unwrap_or(docker::DEFAULT_DRAIN),
        ..Default::default()
    };
    let _lock = args
        .lock
        .hold(&root, ctx.loaded.spec.stack.name.as_str(), verb)?;
    let verbose = std::io::stderr().is_terminal();
    let bars = PullBars::new(verbose);
    let ready: Mutex<Vec<(String, f64)>> = Mutex::new(Vec::new());
    let release: Mutex<Option<String>> = Mutex::new(None);
    let report = |e: UpEvent| {
        match &e {
            UpEvent::Pull(p) => bars.update(p),
            UpEvent::Ready(s, t) => {
                if let Ok(mut r) = ready.lock() {
                    r.push((s.clone(), t.as_secs_f64()));
                }
            }
            UpEvent::Recorded(id) => {
                if let Ok(mut r) = release.lock() {
                    *r = Some(id.clone());
                }
            }
            _ => {}
        }
        tell(&e, verbose);
    };
    let started = Instant::now();
    let result = tokio::select! {
        r = async {
            if drain.is_some() {
                docker::deploy(&ctx.engine, &ctx.loaded.spec, &root, &opts, &report).await
            } else {
                docker::up(&ctx.engine, &ctx.loaded.spec, &root, &opts, &report).await
            }
        } => r,
        _ = tokio::signal::ctrl_c() => {
            // A rollout cut short leaves a `<service>-next`: settle it now, so the stack is
            // left with one container per service, the one serving.
            if let Ok(done) = docker::reconcile_leftovers(&ctx.engine, &ctx.loaded.spec).await {
                done.into_iter().for_each(|l| tell(&UpEvent::Leftover(l), verbose));
            }
            say!("interrupted: run `banatie-infra {verb}` again to finish (every step is idempotent)");
            return Err(Failure::Exit(130));
        }
    };
    bars.clear();
    let seconds = started.elapsed().as_secs_f64();
    let ready: Vec<_> = ready
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|(service, seconds)| json!({"service": service, "seconds": seconds}))
        .collect();
    match result {
        Ok(plan) => {
            let changes = plan.actions.iter().filter(|a| a.changes()).count();
            if json {
                printer::json(json!({
                    "ok": true,
                    "error": null,
                    "noop": plan.is_noop(),
                    "changes": changes,
                    "seconds": seconds,
                    "actions": to_value(&plan.actions),
                    "ready": ready,
                    "release": release.lock().ok().and_then(|r| r.clone()),
                }));
            } else if plan.is_noop() {
                say!("up to date: nothing changed ({seconds:.1}s)");
            } else {
                say!("done: {changes} change(s), every service ready ({seconds:.1}s)");
            }
            Ok(())
        }
        Err(e) => {
            say!("error: {e}");
            if json {
                printer::json(json!({
                    "ok": false,
                    "error": e.to_string(),
                    "noop": false,
                    "changes": 0,
                    "seconds": seconds,
                    "actions": [],
                    "ready": ready,
                    "release": null,
                }));
            }
            Err(Failure::Findings)
        }
    }
}
