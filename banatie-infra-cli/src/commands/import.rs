//! `banatie-infra import [DIR] -o SPEC`: a spec built from a hand-written deployment (the
//! files `audit` reads). Prints what could not be mapped, validates the result, writes it
//! as YAML (and the secret values it read into `secrets.env`, mode 0600). Exit 1 when a
//! file could not be read (nothing written) or the spec has errors (written anyway, to
//! be fixed by hand).
//!
//! JSON: `{"output", "from", "written": bool, "unread": [diagnostic], "notes": [{"kind": "not_mapped" | "changed" |
//! "assumed", "at", "message"}],
//! "secrets": null | {"path", "moved": [name], "kept": [name], "differs": [name],
//! "refused": [name]}, "diagnostics": [diagnostic]}`.

use std::path::{Path, PathBuf};

use banatie_infra_core::diagnostic::{self, Diagnostic};
use banatie_infra_core::import::{MovedSecret, Note, NoteKind};
use banatie_infra_core::secrets::StoreReport;
use serde_json::json;

use super::audit::{audit_failure, Inputs};
use crate::failure::{coded, coded_err, io_code, Failure};
use crate::printer::{self, color_stderr, diagnostics_value, FormatArg};

/// `import`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    inputs: Inputs,
    /// Where to write the spec (YAML).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Where to write `secrets.env` (mode 0600) with the secret values read from the
    /// files, which the spec never holds (default: the directory of the output file).
    #[arg(long = "secrets-dir", value_name = "DIR")]
    secrets_dir: Option<PathBuf>,
    #[command(flatten)]
    format: FormatArg,
}

/// What `import` did, for the JSON and the human summary.
struct Outcome {
    written: bool,
    unread: Vec<Diagnostic>,
    notes: Vec<Note>,
    secrets: Option<StoreReport>,
    diagnostics: Vec<Diagnostic>,
}

/// Builds a spec from hand-written files.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let json = args.format.format.is_json();
    let input = args.inputs.to_input()?;
    let imported = banatie_infra_core::import::import(&input)
        .map_err(|e| audit_failure(e, args.format.format))?;
    if !imported.unread.is_empty() {
        // Part of the input was not read: a spec from the rest would be wrong.
        if !json {
            eprint!(
                "{}",
                diagnostic::render_human(&imported.unread, &[], color_stderr())
            );
            say!(
                "{}: not written: {} file(s) or value(s) of {} could not be read",
                args.output.display(),
                imported.unread.len(),
                args.inputs.label()
            );
        }
        let outcome = Outcome {
            written: false,
            unread: imported.unread,
            notes: imported.notes,
            secrets: None,
            diagnostics: Vec::new(),
        };
        print_json(&args, &outcome);
        return Err(Failure::Findings);
    }
    // Everything is checked before anything is written: a refused run changes no file.
    let dir = args.secrets_dir.clone().unwrap_or_else(|| {
        args.output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), PathBuf::from)
    });
    let secrets_file = dir.join("secrets.env");
    for target in
        std::iter::once(&args.output).chain((!imported.secrets.is_empty()).then_some(&secrets_file))
    {
        banatie_infra_core::roots::check_import_output(&input, target)
            .map_err(|e| coded_err!(e))?;
    }
    if banatie_infra_core::load::Format::from_path(&args.output)
        != Some(banatie_infra_core::load::Format::Yaml)
    {
        return Err(Failure::Input(format!(
            "{}: import writes the spec as YAML; name the output `.yaml` or `.yml` (then \
             `banatie-infra validate` reads it)",
            args.output.display()
        )));
    }
    let yaml = banatie_infra_core::import::to_yaml(&imported.spec);
    let leaked = banatie_infra_core::import::lines_with_secrets(&yaml, &imported.secrets);
    if !leaked.is_empty() {
        let lines: Vec<String> = leaked.iter().map(ToString::to_string).collect();
        return Err(Failure::Input(format!(
            "{}: not written: line(s) {} of the spec would hold the value of a secret read \
             from {} (a variable named like a secret), outside the place the import \
             moves to secrets.env; take it out of that field of the hand-written files \
             (or give the secret another value), then import again",
            args.output.display(),
            lines.join(", "),
            args.inputs.label()
        )));
    }
    if !json {
        for n in &imported.notes {
            say!("  {n}");
        }
    }
    let secrets = if imported.secrets.is_empty() {
        None
    } else {
        Some(store_moved(&dir, &imported.secrets, json)?)
    };
    banatie_infra_core::bundle::atomic_write(&args.output, yaml.as_bytes(), 0o644).map_err(
        |e| {
            let (code, help) = io_code(&e);
            coded(format!("{}: {e}", args.output.display()), code, help)
        },
    )?;
    let name = args.output.display().to_string();
    // Validate what was written, with positions in it.
    let mut diags = imported.diagnostics.clone();
    if let Ok(loaded) =
        banatie_infra_core::load::load_str(&yaml, banatie_infra_core::load::Format::Yaml, &name)
    {
        diags = banatie_infra_core::validate::validate(&loaded.spec);
        loaded.source.annotate(&mut diags);
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if !json {
        printer::warn_diagnostics(&diags, &[(&name, &yaml)]);
        say!(
            "{name}: written from {}; {} note(s), {errors} error(s), {} warning(s)",
            args.inputs.label(),
            imported.notes.len(),
            diags.len() - errors
        );
    }
    let outcome = Outcome {
        written: true,
        unread: Vec::new(),
        notes: imported.notes,
        secrets,
        diagnostics: diags,
    };
    print_json(&args, &outcome);
    if errors > 0 {
        Err(Failure::Findings)
    } else {
        Ok(())
    }
}

fn print_json(args: &Args, o: &Outcome) {
    if !args.format.format.is_json() {
        return;
    }
    let secrets = o.secrets.as_ref().map(|r| {
        json!({
            "path": r.path.display().to_string(),
            "moved": r.added,
            "kept": r.kept,
            "differs": r.conflicting,
            "refused": r.refused,
        })
    });
    printer::json(json!({
        "output": args.output.display().to_string(),
        "from": args.inputs.label(),
        "written": o.written,
        "unread": diagnostics_value(&o.unread),
        "notes": o.notes.iter().map(note_value).collect::<Vec<_>>(),
        "secrets": secrets,
        "diagnostics": diagnostics_value(&o.diagnostics),
    }));
}

fn note_value(n: &Note) -> serde_json::Value {
    let kind = match n.kind {
        NoteKind::NotMapped => "not_mapped",
        NoteKind::Changed => "changed",
        NoteKind::Assumed => "assumed",
    };
    json!({"kind": kind, "at": n.at, "message": n.message})
}

/// Writes the secrets `import` moved out of the spec into `dir/secrets.env` (mode 0600)
/// and (unless `quiet`) says what happened to each, by name.
fn store_moved(dir: &Path, secrets: &[MovedSecret], quiet: bool) -> Result<StoreReport, Failure> {
    let values: Vec<(String, String)> = secrets
        .iter()
        .map(|m| (m.name.clone(), m.value.clone()))
        .collect();
    let r = banatie_infra_core::secrets::store(dir, &values).map_err(|e| {
        Failure::Input(format!(
            "{e}; the spec is not written (or keep the secrets elsewhere: --secrets-dir DIR)"
        ))
    })?;
    if quiet {
        return Ok(r);
    }
    for (label, names) in [
        ("moved", &r.added),
        ("kept", &r.kept),
        ("differs", &r.conflicting),
        ("refused", &r.refused),
    ] {
        for n in names {
            say!("  secret {label}: {n}");
        }
    }
    if !r.conflicting.is_empty() {
        say!(
            "  {} already holds another value for {} secret(s): kept it, check them",
            r.path.display(),
            r.conflicting.len()
        );
    }
    say!(
        "{}: {} secret value(s) stored (mode 0600), none in the spec",
        r.path.display(),
        r.added.len() + r.kept.len()
    );
    Ok(r)
}
