//! `banatie-infra doctor SPEC`: userns-remap and the owners of bind-mounted data
//! directories, with the exact `chown` each wrong one needs (never run). Exit 1 when
//! something is wrong.
//!
//! JSON: `{"ok": bool, "userns_remap": bool, "base": uid, "base_source", "mismatch":
//! string | null, "dirs": [{"service", "path", "container_uid", "expected_uid",
//! "actual_uid": uid | null, "fix": string | null}]}`
//! ([`banatie_infra_core::docker::DoctorReport`] and `ok`).

use banatie_infra_core::docker::{self, DoctorReport};

use super::{docker_err, Ctx};
use crate::failure::Failure;
use crate::printer::{self, to_value, FormatArg};
use crate::spec_arg::SpecArg;

/// `doctor`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    #[command(flatten)]
    pub(crate) format: FormatArg,
}

/// Checks the host.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    let r = docker::doctor(&ctx.engine, &ctx.loaded.spec)
        .await
        .map_err(docker_err)?;
    if args.format.format.is_json() {
        let mut v = serde_json::json!({"ok": !r.has_problems()});
        if let (Some(o), serde_json::Value::Object(fields)) = (v.as_object_mut(), to_value(&r)) {
            o.extend(fields);
        }
        printer::json(v);
    } else {
        printer::out_redacted(&text(&r));
    }
    if r.has_problems() {
        Err(Failure::Findings)
    } else {
        Ok(())
    }
}

fn text(r: &DoctorReport) -> String {
    let mut text = format!(
        "userns-remap: {} (base {} from {})\n",
        if r.userns_remap {
            "enabled"
        } else {
            "disabled"
        },
        r.base,
        r.base_source
    );
    if let Some(m) = &r.mismatch {
        text.push_str(&format!("warning: {m}\n"));
    }
    for d in &r.dirs {
        let actual = d
            .actual_uid
            .map_or_else(|| "missing".to_owned(), |u| u.to_string());
        match &d.fix {
            None => text.push_str(&format!(
                "ok     {} ({}): owner {actual}\n",
                d.path.display(),
                d.service
            )),
            Some(fix) => text.push_str(&format!(
                "wrong  {} ({}): owner {actual}, container UID {} needs {}\n       fix: {fix}\n",
                d.path.display(),
                d.service,
                d.container_uid,
                d.expected_uid
            )),
        }
    }
    text
}
