//! `banatie-infra secrets SPEC --root DIR`: create or complete `DIR/secrets.env` (mode
//! 0600). Names only, never a value. Exit 1 when a secret must be supplied by hand.
//! `banatie-infra secrets rotate NAME SPEC`: see `commands/docker/rotate.rs`.
//!
//! JSON: `{"spec", "path": ".../secrets.env", "state": "created" | "updated" |
//! "unchanged", "mode": "0600", "generated": [name], "derived": [name], "kept": [name],
//! "unknown": [name], "missing": [{"name", "description": string | null}]}`.
//! A spec with errors: the diagnostics array (as `validate`), exit 1.

use std::path::PathBuf;

use banatie_infra_core::diagnostic::has_errors;
use banatie_infra_core::{secrets, validate};
use serde_json::json;

use crate::failure::{coded_err, Failure};
use crate::printer::{self, FormatArg};
use crate::spec_arg::SpecArg;

/// `secrets SPEC --root DIR`, or `secrets rotate NAME SPEC`.
///
/// (Not `Option<EnsureArgs>`: clap leaves an optional flatten with nested flattens
/// `None`, clap-rs/clap#4697; the required arguments are `Option`s that clap requires
/// unless a subcommand is given.)
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    #[command(flatten)]
    ensure: EnsureArgs,
}

/// The subcommands of `secrets`.
#[derive(clap::Subcommand)]
enum Action {
    /// Give one secret of the running stack a new value without downtime: a PostgreSQL
    /// password is set with `ALTER ROLE` first, a MinIO service-account key by the
    /// storage-init job; then every service that receives it (or a URL derived from it)
    /// rolls start-first. The old value is kept until the switch is confirmed, and put
    /// back when a step fails (exit 1, naming the step).
    #[cfg(feature = "docker")]
    Rotate(crate::commands::docker::rotate::Args),
}

/// `secrets SPEC --root DIR`.
#[derive(clap::Args)]
struct EnsureArgs {
    /// The spec (.yaml, .yml, .toml or .json); `-` reads it from standard input.
    #[arg(value_name = "SPEC", required = true)]
    spec: Option<PathBuf>,
    /// The format of a spec read from standard input (`-`). Default: yaml.
    #[arg(long, value_enum, value_name = "FORMAT")]
    spec_format: Option<crate::spec_arg::SpecFormat>,
    /// The deployment root: the directory of secrets.env.
    #[arg(long, visible_alias = "dir", value_name = "DIR", required = true)]
    root: Option<PathBuf>,
    /// Write into an existing non-empty directory that holds no bundle (BI703).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    format: FormatArg,
}

/// Creates or completes secrets.env, or rotates a secret.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let e = args.ensure;
    match (args.action, e.spec, e.root) {
        #[cfg(feature = "docker")]
        (Some(Action::Rotate(a)), _, _) => crate::commands::docker::rotate::run(a),
        (None, Some(spec), Some(root)) => {
            let spec = SpecArg {
                spec,
                spec_format: e.spec_format,
            };
            ensure(&spec, &root, e.force, e.format.format)
        }
        // clap requires both without a subcommand.
        _ => Err(Failure::Input(
            "a SPEC and `--root DIR` are required: `banatie-infra secrets SPEC --root DIR`, or `banatie-infra secrets rotate NAME SPEC`".into(),
        )),
    }
}

/// Creates or completes secrets.env.
fn ensure(
    spec: &SpecArg,
    root: &std::path::Path,
    force: bool,
    format: crate::printer::OutputFormat,
) -> Result<(), Failure> {
    let loaded = spec.load(format)?;
    let mut diags = validate::validate(&loaded.spec);
    if has_errors(&diags) {
        loaded.source.annotate(&mut diags);
        let sources = [(loaded.source.name.as_str(), loaded.source.text.as_str())];
        printer::print_diagnostics(&diags, &sources, format, true);
        return Err(Failure::Findings);
    }
    let own: Vec<&std::path::Path> = spec.path().into_iter().collect();
    banatie_infra_core::roots::check_secrets_dir(root, force, &own).map_err(|e| coded_err!(e))?;
    let r = secrets::ensure(&loaded.spec, root).map_err(|e| coded_err!(e))?;
    let state = if r.created {
        "created"
    } else if r.written {
        "updated"
    } else {
        "unchanged"
    };
    if format.is_json() {
        let missing: Vec<_> = r
            .missing
            .iter()
            .map(|(n, d)| json!({"name": n, "description": d}))
            .collect();
        printer::json(json!({
            "spec": spec.name(),
            "path": r.path.display().to_string(),
            "state": state,
            "mode": "0600",
            "generated": r.generated,
            "derived": r.derived,
            "kept": r.kept,
            "unknown": r.unknown,
            "missing": missing,
            "service_files": r.service_files,
        }));
    } else {
        print_human(&r, state);
    }
    if r.missing.is_empty() {
        Ok(())
    } else {
        if !format.is_json() {
            say!(
                "error: {} secret(s) must be supplied by the operator: edit {} and set them, then run this again (it copies them to each service's secrets/<service>.env)",
                r.missing.len(),
                r.path.display()
            );
        }
        Err(Failure::Findings)
    }
}

fn print_human(r: &secrets::Report, state: &str) {
    let mut text = String::new();
    for (label, names) in [
        ("generated", &r.generated),
        ("derived", &r.derived),
        ("kept", &r.kept),
        ("unknown", &r.unknown),
        ("wrote", &r.service_files),
    ] {
        for n in names {
            text.push_str(&format!("{label:>9}  {n}\n"));
        }
    }
    for (n, desc) in &r.missing {
        let d = desc
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        text.push_str(&format!("{:>9}  {n}{d}\n", "missing"));
    }
    printer::out_redacted(&text);
    say!("{}: {state}, mode 0600", r.path.display());
}
