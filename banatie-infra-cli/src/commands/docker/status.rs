//! `banatie-infra status SPEC`: every service's container. Exit 1 when a service is
//! missing, unhealthy or stopped.
//!
//! JSON: an array of `{"service", "kind", "verdict": "ok" | "starting" | "unhealthy" |
//! "missing" | "down", "detail"?: string (with "down"), "container": null | {"id",
//! "name", "state", "health": string | null, "last_health_output": string | null,
//! "restart_count", "uptime_secs": number | null, "image", "networks": [string],
//! "exit_code": number | null}}` ([`banatie_infra_core::docker::ServiceStatus`]).

use banatie_infra_core::docker::{self, ServiceStatus, Verdict};

use super::{docker_err, Ctx};
use crate::failure::Failure;
use crate::printer::{self, to_value, FormatArg};
use crate::spec_arg::SpecArg;

/// `status`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    #[command(flatten)]
    pub(crate) format: FormatArg,
}

/// Prints the status of every service.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    let all = docker::status(&ctx.engine, &ctx.loaded.spec)
        .await
        .map_err(docker_err)?;
    if args.format.format.is_json() {
        printer::json(to_value(&all));
    } else {
        printer::out_redacted(&table(&all));
    }
    if all.iter().any(|s| s.verdict.is_failure()) {
        Err(Failure::Findings)
    } else {
        Ok(())
    }
}

fn table(all: &[ServiceStatus]) -> String {
    let mut rows = vec![[
        "SERVICE", "KIND", "STATE", "HEALTH", "RESTARTS", "UPTIME", "IMAGE", "NETWORKS", "VERDICT",
    ]
    .map(String::from)
    .to_vec()];
    for s in all {
        let c = s.container.as_ref();
        let verdict = match &s.verdict {
            Verdict::Ok => "ok".to_owned(),
            Verdict::Starting => "starting".to_owned(),
            Verdict::Unhealthy => {
                match c.and_then(|c| c.unhealthy_since_secs.map(|t| (t, c.failing_streak))) {
                    Some((t, n)) => format!("UNHEALTHY for {} ({n} failed checks)", human_secs(t)),
                    None => "UNHEALTHY".to_owned(),
                }
            }
            Verdict::Missing => "MISSING".to_owned(),
            Verdict::Down(w) => format!("DOWN: {w}"),
            Verdict::CrashLoop(w) => format!("CRASH LOOP: {w}"),
        };
        rows.push(vec![
            s.service.clone(),
            s.kind.to_owned(),
            c.map_or("-".into(), |c| c.state.clone()),
            c.and_then(|c| c.health.clone())
                .unwrap_or_else(|| "-".into()),
            c.map_or("-".into(), |c| c.restart_count.to_string()),
            c.and_then(|c| c.uptime_secs).map_or("-".into(), human_secs),
            c.map_or("-".into(), |c| c.image.clone()),
            c.map_or("-".into(), |c| c.networks.join(",")),
            verdict,
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}

fn human_secs(s: u64) -> String {
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{}h", s / 86_400, s % 86_400 / 3600),
    }
}
