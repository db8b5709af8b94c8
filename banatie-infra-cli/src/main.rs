//! `banatie-infra`: validate, render and manage the secrets of a deployment spec.
//!
//! This binary only parses arguments, calls `banatie_infra_core` and prints. Exit codes,
//! in one place ([`Failure::exit_code`]): 0 success, 1 the input has errors (or the files
//! on disk differ, or secrets are incomplete), 2 the input cannot be read or the
//! arguments are wrong.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use banatie_infra_core::diagnostic::{self, has_errors, Diagnostic};
use banatie_infra_core::load::{self, Loaded};
use banatie_infra_core::{bundle, render, secrets, validate};
use clap::{Parser, Subcommand, ValueEnum};

/// The global allocator: mimalloc, as ruff and uv ship one. With glibc malloc, freeing
/// the ~10^6 small values of a 10,000-service render walks scattered free lists
/// (`malloc_consolidate`), and time grows faster than the spec (see
/// `cargo bench -p banatie-infra-core --bench scale` and `--bench scale_system`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `eprintln!` through the one redaction of the core and the escaping of terminal
/// controls ([`banatie_infra_core::redact::terminal`]): a path, a message or a line of a
/// container's log echoed to the terminal never shows a secret or moves the cursor.
macro_rules! say {
    ($($t:tt)*) => {
        eprintln!("{}", banatie_infra_core::redact::terminal(&format!($($t)*)))
    };
}

mod audit_cmd;
#[cfg(feature = "docker")]
mod docker_cmd;

#[derive(Parser)]
#[command(
    name = "banatie-infra",
    version,
    about = "A single-VPS Docker deployment as a typed, validated spec."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The largest input file read (a spec, Compose file, env file, Caddyfile, script):
    /// bytes, or with a K, M or G suffix (binary). Default 16M, or the environment
    /// variable BANATIE_MAX_INPUT. A larger file is refused with BI151.
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    max_input_size: Option<u64>,
}

fn parse_size(text: &str) -> Result<u64, String> {
    banatie_infra_core::input::parse_size(text)
        .ok_or_else(|| format!("`{text}` is not a size: write bytes, or a number with K, M or G"))
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// Compiler-style text.
    Human,
    /// A JSON array.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Check a spec; print every finding. Exit 1 when there are errors.
    Validate {
        /// The spec (.yaml, .yml, .toml or .json).
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
    /// Render every file of the deployment into a directory (atomic writes).
    Render {
        /// The spec.
        file: PathBuf,
        /// The output directory (the deployment root).
        #[arg(short, long)]
        output: PathBuf,
        /// Do not write: exit 1 and show a diff when the files on disk differ.
        #[arg(long)]
        check: bool,
        /// Write into an existing non-empty directory that holds no bundle (BI703).
        #[arg(long)]
        force: bool,
    },
    /// Create or complete DIR/secrets.env (mode 0600); never prints a value.
    Secrets {
        /// The spec.
        file: PathBuf,
        /// The directory of secrets.env (the deployment root).
        #[arg(long)]
        dir: PathBuf,
        /// Write into an existing non-empty directory that holds no bundle (BI703).
        #[arg(long)]
        force: bool,
    },
    /// Print the JSON Schema of the spec.
    Schema,
    /// List every diagnostic code with its description.
    Rules,
    /// Check a hand-written deployment (Compose file, env files, Caddyfile, scripts) with
    /// the same rules and output as `validate`. Exit 1 when there are errors.
    Audit(audit_cmd::AuditArgs),
    /// Build a spec from a hand-written deployment (the files `audit` reads); print what
    /// could not be mapped, validate it, write it as YAML.
    Import(audit_cmd::ImportArgs),
    #[cfg(feature = "docker")]
    #[command(flatten)]
    Docker(docker_cmd::DockerCommand),
}

/// Why the command failed; decides the exit code.
enum Failure {
    /// The input has errors or the checked state is wrong (exit 1); already printed.
    Findings,
    /// The input cannot be read, or a write failed (exit 2).
    Input(String),
    /// Like `Input`, with a diagnostic code and a help line (exit 2).
    Coded {
        /// The code, for example `BI701`.
        code: banatie_infra_core::Code,
        /// What is wrong.
        message: String,
        /// How to fix it.
        help: Option<String>,
    },
    /// Exit with this code, already printed: a command run for the user (exec), or an
    /// input file that is not read (BI150, BI151: exit 2).
    Exit(u8),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Self::Findings => 1,
            Self::Input(_) | Self::Coded { .. } => 2,
            Self::Exit(code) => *code,
        }
    }
}

/// Debug logging of the core's operations, off unless `BANATIE_LOG` is set (an
/// `EnvFilter` directive such as `debug` or `banatie_infra_core=trace`). To stderr, with
/// the time since start. The core never logs secret values.
fn init_logging() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("BANATIE_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

fn main() -> ExitCode {
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            e.print().ok();
            return ExitCode::from(code);
        }
    };
    if let Some(n) = cli.max_input_size {
        banatie_infra_core::input::set_max_input_size(n);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            match &f {
                Failure::Input(msg) => say!("error: {msg}"),
                Failure::Coded {
                    code,
                    message,
                    help,
                } => {
                    say!("error[{code}]: {message}");
                    if let Some(h) = help {
                        say!("  = help: {h}");
                    }
                }
                _ => {}
            }
            ExitCode::from(f.exit_code())
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) ends the program quietly with success.
fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Validate { file, format } => cmd_validate(&file, format),
        Command::Render {
            file,
            output,
            check,
            force,
        } => cmd_render(&file, &output, check, force),
        Command::Secrets { file, dir, force } => cmd_secrets(&file, &dir, force),
        Command::Audit(args) => audit_cmd::run_audit(args),
        Command::Import(args) => audit_cmd::run_import(args),
        Command::Schema => {
            out(&banatie_infra_core::schema::json_schema_text());
            Ok(())
        }
        #[cfg(feature = "docker")]
        Command::Docker(cmd) => docker_cmd::run(cmd),
        Command::Rules => {
            let mut text = String::new();
            for (code, severity, what) in banatie_infra_core::rules() {
                text.push_str(&format!("{code}  {severity:<7}  {what}\n"));
            }
            out(&text);
            Ok(())
        }
    }
}

/// Loads a spec; on failure prints its diagnostic and returns the failure.
fn load_spec(file: &Path, format: OutputFormat) -> Result<Loaded, Failure> {
    match load::load_path(file) {
        Ok(l) => Ok(l),
        Err(e @ (load::LoadError::Io { .. } | load::LoadError::UnknownFormat { .. })) => {
            Err(Failure::Input(e.to_string()))
        }
        Err(load::LoadError::Input(e)) => Err(input_failure(&e, format)),
        Err(e) => {
            let d = e.to_diagnostic();
            let text = source_text(file);
            print_diagnostics(&[d], &file.display().to_string(), &text, format, true);
            say!("{}: not a valid spec", file.display());
            Err(Failure::Findings)
        }
    }
}

/// The text of a spec that did not load, to show the lines of its diagnostic: read
/// again with the same bound (empty when it cannot be).
fn source_text(file: &Path) -> String {
    banatie_infra_core::input::read_text_lossy(file).unwrap_or_default()
}

/// A file that is not read at all (not a regular file, too large: BI150, BI151): its
/// coded diagnostic on stderr (JSON on stdout), exit 2.
pub(crate) fn input_failure(
    e: &banatie_infra_core::input::InputError,
    format: OutputFormat,
) -> Failure {
    print_diagnostics(&[e.to_diagnostic()], e.path(), "", format, true);
    Failure::Exit(2)
}

fn print_diagnostics(
    diags: &[Diagnostic],
    name: &str,
    text: &str,
    format: OutputFormat,
    to_stderr: bool,
) {
    let rendered = match format {
        OutputFormat::Json => {
            let mut s = diagnostic::render_json(diags);
            s.push('\n');
            s
        }
        OutputFormat::Human => {
            let color = if to_stderr {
                std::io::stderr().is_terminal()
            } else {
                std::io::stdout().is_terminal()
            };
            diagnostic::render_human(diags, &[(name, text)], color)
        }
    };
    if to_stderr && matches!(format, OutputFormat::Human) {
        eprint!("{rendered}");
    } else {
        out(&rendered);
    }
}

fn summary(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    format!("{errors} error(s), {warnings} warning(s)")
}

fn cmd_validate(file: &Path, format: OutputFormat) -> Result<(), Failure> {
    let loaded = match load::load_path(file) {
        Ok(l) => l,
        Err(e @ (load::LoadError::Io { .. } | load::LoadError::UnknownFormat { .. })) => {
            return Err(Failure::Input(e.to_string()))
        }
        Err(load::LoadError::Input(e)) => return Err(input_failure(&e, format)),
        Err(e) => {
            // Text that does not load as a spec is a finding like any other (exit 1);
            // only a file that cannot be read at all is exit 2.
            let text = source_text(file);
            print_diagnostics(
                &[e.to_diagnostic()],
                &file.display().to_string(),
                &text,
                format,
                false,
            );
            if matches!(format, OutputFormat::Human) {
                say!("{}: invalid, 1 error(s), 0 warning(s)", file.display());
            }
            return Err(Failure::Findings);
        }
    };
    let mut diags = validate::validate(&loaded.spec);
    loaded.source.annotate(&mut diags);
    if matches!(format, OutputFormat::Json) || !diags.is_empty() {
        print_diagnostics(
            &diags,
            &loaded.source.name,
            &loaded.source.text,
            format,
            false,
        );
    }
    if matches!(format, OutputFormat::Human) {
        let verdict = if has_errors(&diags) {
            "invalid"
        } else {
            "valid"
        };
        say!("{}: {verdict}, {}", file.display(), summary(&diags));
    }
    if has_errors(&diags) {
        Err(Failure::Findings)
    } else {
        Ok(())
    }
}

/// A failure with the code and help of a core error, when it has them.
pub(crate) fn coded(
    message: String,
    code: Option<banatie_infra_core::Code>,
    help: Option<String>,
) -> Failure {
    match code {
        Some(code) => Failure::Coded {
            code,
            message,
            help,
        },
        None => Failure::Input(message),
    }
}

/// The code and help of the jail, root or lock error inside an I/O error, if any.
pub(crate) fn io_code(e: &std::io::Error) -> (Option<banatie_infra_core::Code>, Option<String>) {
    use banatie_infra_core::{jail::JailError, lock::LockError, roots::RootError};
    let inner = e.get_ref();
    if let Some(j) = inner.and_then(|i| i.downcast_ref::<JailError>()) {
        (j.code(), j.help())
    } else if let Some(r) = inner.and_then(|i| i.downcast_ref::<RootError>()) {
        (r.code(), r.help())
    } else if let Some(l) = inner.and_then(|i| i.downcast_ref::<LockError>()) {
        (l.code(), l.help())
    } else {
        (None, None)
    }
}

/// Refuses an output root that is a system directory, or a non-empty non-bundle one
/// unless `force` (BI702, BI703).
pub(crate) fn check_root(dir: &Path, force: bool, spec: &Path) -> Result<(), Failure> {
    banatie_infra_core::roots::check_output_root(dir, force, &[spec])
        .map_err(|e| coded(e.to_string(), e.code(), e.help()))
}

fn cmd_render(file: &Path, output: &Path, check: bool, force: bool) -> Result<(), Failure> {
    let loaded = load_spec(file, OutputFormat::Human)?;
    let bundle = match render::render(&loaded.spec) {
        Ok(b) => b,
        Err(render::RenderError::Invalid(mut diags)) => {
            loaded.source.annotate(&mut diags);
            print_diagnostics(
                &diags,
                &loaded.source.name,
                &loaded.source.text,
                OutputFormat::Human,
                true,
            );
            say!("{}: not rendered, {}", file.display(), summary(&diags));
            return Err(Failure::Findings);
        }
        Err(e) => return Err(Failure::Input(e.to_string())),
    };
    let warnings: Vec<Diagnostic> = {
        let mut d = validate::validate(&loaded.spec);
        loaded.source.annotate(&mut d);
        d
    };
    if !warnings.is_empty() {
        print_diagnostics(
            &warnings,
            &loaded.source.name,
            &loaded.source.text,
            OutputFormat::Human,
            true,
        );
    }
    if check {
        banatie_infra_core::roots::refuse_system_root(output)
            .map_err(|e| coded(e.to_string(), e.code(), e.help()))?;
        let diffs = bundle::check(&bundle, output).map_err(|e| {
            let (code, help) = io_code(&e);
            coded(format!("{}: {e}", output.display()), code, help)
        })?;
        if diffs.is_empty() {
            say!(
                "{}: up to date ({} files)",
                output.display(),
                bundle.files.len()
            );
            return Ok(());
        }
        let mut text = String::new();
        for d in &diffs {
            match d {
                bundle::Difference::Missing { path } => {
                    text.push_str(&format!("missing: {path}\n"))
                }
                bundle::Difference::Changed { diff, .. } => text.push_str(diff),
                bundle::Difference::NotRegular { path, found } => text.push_str(&format!(
                    "unsafe: {path}: {found}; contents not read [{}]\n",
                    banatie_infra_core::jail::CODE_UNSAFE_PATH
                )),
                bundle::Difference::Mode {
                    path,
                    actual,
                    expected,
                } => text.push_str(&format!(
                    "mode: {path} is {actual:04o}, rendered {expected:04o}\n"
                )),
            }
        }
        out(&banatie_infra_core::redact::terminal(&text));
        say!(
            "{}: {} file(s) differ from the spec",
            output.display(),
            diffs.len()
        );
        return Err(Failure::Findings);
    }
    check_root(output, force, file)?;
    let written = bundle::write(&bundle, output).map_err(|e| {
        let (code, help) = io_code(&e.source);
        coded(e.to_string(), code, help)
    })?;
    let mut text = String::new();
    for (path, outcome) in &written {
        let what = match outcome {
            bundle::WriteOutcome::Created => "created",
            bundle::WriteOutcome::Updated => "updated",
            bundle::WriteOutcome::Unchanged => "unchanged",
        };
        text.push_str(&format!("{what:>9}  {path}\n"));
    }
    out(&text);
    Ok(())
}

fn cmd_secrets(file: &Path, dir: &Path, force: bool) -> Result<(), Failure> {
    let loaded = load_spec(file, OutputFormat::Human)?;
    let diags = validate::validate(&loaded.spec);
    if has_errors(&diags) {
        let mut diags = diags;
        loaded.source.annotate(&mut diags);
        print_diagnostics(
            &diags,
            &loaded.source.name,
            &loaded.source.text,
            OutputFormat::Human,
            true,
        );
        return Err(Failure::Findings);
    }
    banatie_infra_core::roots::check_secrets_dir(dir, force, &[file])
        .map_err(|e| coded(e.to_string(), e.code(), e.help()))?;
    let r =
        secrets::ensure(&loaded.spec, dir).map_err(|e| coded(e.to_string(), e.code(), e.help()))?;
    let mut text = String::new();
    for (label, names) in [
        ("generated", &r.generated),
        ("derived", &r.derived),
        ("kept", &r.kept),
        ("unknown", &r.unknown),
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
    out(&banatie_infra_core::redact::terminal(&text));
    let state = if r.created {
        "created"
    } else if r.written {
        "updated"
    } else {
        "unchanged"
    };
    say!("{}: {state}, mode 0600", r.path.display());
    if r.missing.is_empty() {
        Ok(())
    } else {
        say!(
            "error: {} secret(s) must be supplied by the operator: edit {} and set them",
            r.missing.len(),
            r.path.display()
        );
        Err(Failure::Findings)
    }
}
