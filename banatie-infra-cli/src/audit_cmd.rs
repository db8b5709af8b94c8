//! `banatie-infra audit` and `banatie-infra import`: argument parsing and printing over
//! [`banatie_infra_core::audit`] and [`banatie_infra_core::import`].

use std::io::IsTerminal;
use std::path::PathBuf;

use banatie_infra_core::audit::{self, AuditInput};
use banatie_infra_core::diagnostic;

use crate::{out, Failure, OutputFormat};

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
    fn to_input(&self) -> Result<AuditInput, Failure> {
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

    fn label(&self) -> String {
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
fn audit_failure(e: audit::AuditError, format: OutputFormat) -> Failure {
    match e {
        audit::AuditError::Input(e) => crate::input_failure(&e, format),
        e => Failure::Input(e.to_string()),
    }
}

/// `banatie-infra audit`.
#[derive(clap::Args)]
pub(crate) struct AuditArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: OutputFormat,
}

/// Audits hand-written files; exit 1 when there are errors.
pub(crate) fn run_audit(args: AuditArgs) -> Result<(), Failure> {
    let input = args.inputs.to_input()?;
    let report = audit::audit(&input).map_err(|e| audit_failure(e, args.format))?;
    let diags = &report.diagnostics;
    match args.format {
        OutputFormat::Json => {
            let mut s = diagnostic::render_json(diags);
            s.push('\n');
            out(&s);
        }
        OutputFormat::Human => {
            if !diags.is_empty() {
                let color = std::io::stdout().is_terminal();
                out(&diagnostic::render_human(diags, &report.sources(), color));
            }
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
    }
    if report.has_errors() {
        Err(Failure::Findings)
    } else {
        Ok(())
    }
}

/// `banatie-infra import`.
#[derive(clap::Args)]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// Where to write the spec (YAML).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Where to write `secrets.env` (mode 0600) with the secret values read from the
    /// files, which the spec never holds (default: the directory of the output file).
    #[arg(long = "secrets-dir", value_name = "DIR")]
    secrets_dir: Option<PathBuf>,
}

/// Builds a spec from hand-written files: prints what could not be mapped (stderr),
/// validates it, writes it. Exit 1 when the spec has validation errors (it is written
/// anyway, to be fixed by hand).
pub(crate) fn run_import(args: ImportArgs) -> Result<(), Failure> {
    let input = args.inputs.to_input()?;
    let imported = banatie_infra_core::import::import(&input)
        .map_err(|e| audit_failure(e, OutputFormat::Human))?;
    if !imported.unread.is_empty() {
        // Part of the input was not read: a spec from the rest would be wrong.
        let color = std::io::stderr().is_terminal();
        eprint!("{}", diagnostic::render_human(&imported.unread, &[], color));
        eprintln!(
            "{}: not written: {} file(s) or value(s) of {} could not be read",
            args.output.display(),
            imported.unread.len(),
            args.inputs.label()
        );
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
            .map_err(|e| crate::coded(e.to_string(), e.code(), e.help()))?;
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
    for n in &imported.notes {
        say!("  {n}");
    }
    if !imported.secrets.is_empty() {
        store_moved(&dir, &imported.secrets)?;
    }
    banatie_infra_core::bundle::atomic_write(&args.output, yaml.as_bytes(), 0o644).map_err(
        |e| {
            let (code, help) = crate::io_code(&e);
            crate::coded(format!("{}: {e}", args.output.display()), code, help)
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
    if !diags.is_empty() {
        let color = std::io::stderr().is_terminal();
        eprint!(
            "{}",
            diagnostic::render_human(&diags, &[(&name, &yaml)], color)
        );
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    say!(
        "{name}: written from {}; {} note(s), {errors} error(s), {} warning(s)",
        args.inputs.label(),
        imported.notes.len(),
        diags.len() - errors
    );
    if errors > 0 {
        Err(Failure::Findings)
    } else {
        Ok(())
    }
}

/// Writes the secrets `import` moved out of the spec into `dir/secrets.env` (mode 0600)
/// and says what happened to each, by name.
fn store_moved(
    dir: &std::path::Path,
    secrets: &[banatie_infra_core::import::MovedSecret],
) -> Result<(), Failure> {
    let values: Vec<(String, String)> = secrets
        .iter()
        .map(|m| (m.name.clone(), m.value.clone()))
        .collect();
    let r = banatie_infra_core::secrets::store(dir, &values).map_err(|e| {
        Failure::Input(format!(
            "{e}; the spec is not written (or keep the secrets elsewhere: --secrets-dir DIR)"
        ))
    })?;
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
    Ok(())
}
