//! `banatie-infra render SPEC --root DIR`: every file of the deployment, written
//! atomically; `--check` compares instead of writing (exit 1 when a file differs).
//!
//! JSON (written): `{"spec", "root", "files": [{"path", "outcome": "created" | "updated"
//! | "unchanged"}], "warnings": [diagnostic]}`.
//! JSON (`--check`): `{"spec", "root", "up_to_date": bool, "files": <number rendered>,
//! "differences": [{"kind": "missing", "path"} | {"kind": "changed", "path", "diff"} |
//! {"kind": "not_regular", "path", "found", "code": "BI701"} | {"kind": "mode", "path",
//! "actual": "0644", "expected": "0600"}], "warnings": [diagnostic]}`.
//! A spec with errors: the diagnostics array (as `validate`), exit 1.

use std::path::{Path, PathBuf};

use banatie_infra_core::diagnostic::Diagnostic;
use banatie_infra_core::{bundle, render, validate};
use serde_json::json;

use crate::failure::{coded, coded_err, io_code, Failure};
use crate::printer::{self, diagnostics_value, out_redacted, summary, FormatArg};
use crate::spec_arg::SpecArg;

/// `render`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    spec: SpecArg,
    /// The deployment root: the directory the files are written into.
    #[arg(long, short = 'o', visible_alias = "output", value_name = "DIR")]
    root: PathBuf,
    /// Do not write: exit 1 and show a diff when the files on disk differ.
    #[arg(long)]
    check: bool,
    /// Write into an existing non-empty directory that holds no bundle (BI703).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    format: FormatArg,
}

/// Renders (or checks) the bundle.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let format = args.format.format;
    let loaded = args.spec.load(format)?;
    let sources = [(loaded.source.name.as_str(), loaded.source.text.as_str())];
    let bundle = match render::render(&loaded.spec) {
        Ok(b) => b,
        Err(render::RenderError::Invalid(mut diags)) => {
            loaded.source.annotate(&mut diags);
            printer::print_diagnostics(&diags, &sources, format, true);
            if !format.is_json() {
                say!("{}: not rendered, {}", args.spec.name(), summary(&diags));
            }
            return Err(Failure::Findings);
        }
        Err(e) => return Err(Failure::Input(e.to_string())),
    };
    let mut warnings = validate::validate(&loaded.spec);
    loaded.source.annotate(&mut warnings);
    if !format.is_json() {
        printer::warn_diagnostics(&warnings, &sources);
    }
    if args.check {
        return check(&args, &bundle, &warnings);
    }
    crate::commands::check_root(&args.root, args.force, args.spec.path())?;
    let written = bundle::write(&bundle, &args.root).map_err(|e| {
        let (code, help) = io_code(&e.source);
        coded(e.to_string(), code, help)
    })?;
    let outcome = |o: &bundle::WriteOutcome| match o {
        bundle::WriteOutcome::Created => "created",
        bundle::WriteOutcome::Updated => "updated",
        bundle::WriteOutcome::Unchanged => "unchanged",
    };
    if format.is_json() {
        let files: Vec<_> = written
            .iter()
            .map(|(path, o)| json!({"path": path, "outcome": outcome(o)}))
            .collect();
        printer::json(json!({
            "spec": args.spec.name(),
            "root": args.root.display().to_string(),
            "files": files,
            "warnings": diagnostics_value(&warnings),
        }));
    } else {
        let mut text = String::new();
        for (path, o) in &written {
            text.push_str(&format!("{:>9}  {path}\n", outcome(o)));
        }
        printer::out(&text);
    }
    Ok(())
}

/// `render --check`: the differences between the root and the bundle.
fn check(args: &Args, bundle: &render::Bundle, warnings: &[Diagnostic]) -> Result<(), Failure> {
    let root: &Path = &args.root;
    banatie_infra_core::roots::refuse_system_root(root).map_err(|e| coded_err!(e))?;
    let diffs = bundle::check(bundle, root).map_err(|e| {
        let (code, help) = io_code(&e);
        coded(format!("{}: {e}", root.display()), code, help)
    })?;
    if args.format.format.is_json() {
        let differences: Vec<_> = diffs.iter().map(difference_value).collect();
        printer::json(json!({
            "spec": args.spec.name(),
            "root": root.display().to_string(),
            "up_to_date": diffs.is_empty(),
            "files": bundle.files.len(),
            "differences": differences,
            "warnings": diagnostics_value(warnings),
        }));
    } else if diffs.is_empty() {
        say!(
            "{}: up to date ({} files)",
            root.display(),
            bundle.files.len()
        );
    } else {
        let mut text = String::new();
        for d in &diffs {
            text.push_str(&difference_text(d));
        }
        out_redacted(&text);
        say!(
            "{}: {} file(s) differ from the spec",
            root.display(),
            diffs.len()
        );
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(Failure::Findings)
    }
}

fn difference_text(d: &bundle::Difference) -> String {
    match d {
        bundle::Difference::Missing { path } => format!("missing: {path}\n"),
        bundle::Difference::Changed { diff, .. } => diff.clone(),
        bundle::Difference::NotRegular { path, found } => format!(
            "unsafe: {path}: {found}; contents not read [{}]\n",
            banatie_infra_core::jail::CODE_UNSAFE_PATH
        ),
        bundle::Difference::Mode {
            path,
            actual,
            expected,
        } => format!("mode: {path} is {actual:04o}, rendered {expected:04o}\n"),
    }
}

fn difference_value(d: &bundle::Difference) -> serde_json::Value {
    match d {
        bundle::Difference::Missing { path } => json!({"kind": "missing", "path": path}),
        bundle::Difference::Changed { path, diff } => {
            json!({"kind": "changed", "path": path, "diff": diff})
        }
        bundle::Difference::NotRegular { path, found } => json!({
            "kind": "not_regular",
            "path": path,
            "found": found,
            "code": banatie_infra_core::jail::CODE_UNSAFE_PATH.0,
        }),
        bundle::Difference::Mode {
            path,
            actual,
            expected,
        } => json!({
            "kind": "mode",
            "path": path,
            "actual": format!("{actual:04o}"),
            "expected": format!("{expected:04o}"),
        }),
    }
}
