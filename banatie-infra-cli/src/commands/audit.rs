//! `banatie-infra audit [DIR]`: a hand-written deployment checked with the same rules
//! and output as `validate`. Exit 1 when there are errors.
//!
//! JSON: the array of diagnostics, as `validate` prints it.

use std::path::PathBuf;

use banatie_infra_core::audit::{self, AuditInput};

use crate::failure::{input_failure, Failure};
use crate::printer::{self, FormatArg, OutputFormat};

/// What to audit (shared by `audit` and `import`).
#[derive(clap::Args)]
pub(crate) struct Inputs {
    /// The deployment directory (the Compose file, .env, env files, Caddyfile and scripts
    /// are looked for here).
    dir: Option<PathBuf>,
    /// A Compose file (repeat for override files, base first).
    #[arg(long, value_name = "FILE")]
    compose: Vec<PathBuf>,
    /// The project env file Compose interpolates from (default: `.env` beside the
    /// Compose file).
    #[arg(long = "env-file", value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// A Caddyfile (repeatable; default: `Caddyfile` and `caddy/Caddyfile` in DIR).
    #[arg(long, value_name = "FILE")]
    caddyfile: Vec<PathBuf>,
    /// A shell or SQL script to check too (repeatable).
    #[arg(long, value_name = "FILE")]
    script: Vec<PathBuf>,
    /// The image a service's build is based on, when its Dockerfile is not here
    /// (repeatable), for example `--base-image api=node:20-alpine`.
    #[arg(long = "base-image", value_name = "SERVICE=IMAGE")]
    base_image: Vec<String>,
    /// The deployment root the files were written for, when DIR is a copy of it (default:
    /// inferred from absolute paths in the Compose file).
    #[arg(long, value_name = "PATH")]
    root: Option<String>,
    /// Interpolate from this shell's environment too, as `docker compose` run here would.
    #[arg(long = "shell-env")]
    shell_env: bool,
}

impl Inputs {
    /// The core's input, from the arguments.
    pub(crate) fn to_input(&self) -> Result<AuditInput, Failure> {
        let mut base_images = Vec::new();
        for b in &self.base_image {
            let (svc, img) = b
                .split_once('=')
                .ok_or_else(|| Failure::Input(format!("--base-image {b}: write SERVICE=IMAGE")))?;
            let img = img
                .parse()
                .map_err(|e| Failure::Input(format!("--base-image {b}: {e}")))?;
            base_images.push((svc.to_owned(), img));
        }
        if self.dir.is_none()
            && self.compose.is_empty()
            && self.caddyfile.is_empty()
            && self.script.is_empty()
        {
            return Err(Failure::Input(
                "give a deployment directory, or files with --compose, --caddyfile or --script"
                    .into(),
            ));
        }
        Ok(AuditInput {
            dir: self.dir.clone(),
            compose: self.compose.clone(),
            env_file: self.env_file.clone(),
            caddyfiles: self.caddyfile.clone(),
            scripts: self.script.clone(),
            base_images: base_images.into_iter().collect(),
            shell_env: if self.shell_env {
                std::env::vars().collect()
            } else {
                Default::default()
            },
            root: self.root.clone(),
        })
    }

    /// The name of what was read, in messages.
    pub(crate) fn label(&self) -> String {
        self.dir
            .as_ref()
            .or(self.compose.first())
            .or(self.caddyfile.first())
            .or(self.script.first())
            .map_or_else(|| ".".into(), |p| p.display().to_string())
    }
}

/// Why the files could not be audited: a file not read (BI150, BI151) is printed as its
/// coded diagnostic (exit 2); anything else is an input failure (exit 2).
pub(crate) fn audit_failure(e: audit::AuditError, format: OutputFormat) -> Failure {
    match e {
        audit::AuditError::Input(e) => input_failure(&e, format),
        e => Failure::Input(e.to_string()),
    }
}

/// `audit`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    inputs: Inputs,
    #[command(flatten)]
    format: FormatArg,
}

/// Audits hand-written files; exit 1 when there are errors.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let format = args.format.format;
    let input = args.inputs.to_input()?;
    let report = audit::audit(&input).map_err(|e| audit_failure(e, format))?;
    let diags = &report.diagnostics;
    if format.is_json() || !diags.is_empty() {
        printer::print_diagnostics(diags, &report.sources(), format, false);
    }
    if !format.is_json() {
        let errors = diags.iter().filter(|d| d.is_error()).count();
        say!(
            "{}: {}, {errors} error(s), {} warning(s) in {} file(s)",
            args.inputs.label(),
            if errors > 0 {
                "defects found"
            } else {
                "no defects found"
            },
            diags.len() - errors,
            report.files.len()
        );
    }
    if report.has_errors() {
        Err(Failure::Findings)
    } else {
        Ok(())
    }
}
