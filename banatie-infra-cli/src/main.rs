//! `banatie-infra`: validate, render and operate a deployment spec.
//!
//! This file only parses arguments and dispatches: each verb is a module under
//! [`commands`] (its arguments and a `run`), every output goes through [`printer`], and
//! the exit code of each failure is decided in one place ([`failure::Failure::exit_code`]):
//! 0 success, 1 the input has errors (or the files on disk differ, or secrets are
//! incomplete), 2 the input cannot be read or the arguments are wrong.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The global allocator: mimalloc, as ruff and uv ship one. With glibc malloc, freeing
/// the ~10^6 small values of a 10,000-service render walks scattered free lists
/// (`malloc_consolidate`), and time grows faster than the spec (see
/// `cargo bench -p banatie-infra-core --bench scale` and `--bench scale_system`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[macro_use]
mod printer;
mod commands;
mod failure;
mod spec_arg;

use commands::*;
use failure::Failure;

/// The command line.
#[derive(Parser)]
#[command(
    name = "banatie-infra",
    version,
    about = "A single-VPS Docker deployment as a typed, validated spec."
)]
pub(crate) struct Cli {
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

/// The verbs.
#[derive(Subcommand)]
enum Command {
    /// Check a spec; print every finding. Exit 1 when there are errors.
    Validate(validate::Args),
    /// Render every file of the deployment into its root (atomic writes).
    Render(render::Args),
    /// Create or complete ROOT/secrets.env (mode 0600); never prints a value.
    Secrets(secrets::Args),
    /// Print the JSON Schema of the spec.
    Schema,
    /// List every rule (code, severity, summary), or print one with its explanation.
    Rules(rules::Args),
    /// Check a hand-written deployment (Compose file, env files, Caddyfile, scripts) with
    /// the same rules and output as `validate`. Exit 1 when there are errors.
    Audit(audit::Args),
    /// Build a spec from a hand-written deployment (the files `audit` reads); print what
    /// could not be mapped, validate it, write it as YAML.
    Import(import::Args),
    /// Print the completion script of a shell (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Print the man page (roff) of every verb.
    Man,
    #[cfg(feature = "docker")]
    #[command(flatten)]
    Docker(docker::DockerCommand),
}

/// Debug logging of the core's operations, off unless `BANATIE_LOG` is set (an
/// `EnvFilter` directive such as `debug` or `banatie_infra_core=trace`). To stderr, with
/// the time since start, coloured as the printer colours stderr. The core never logs
/// secret values.
fn init_logging() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("BANATIE_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .with_writer(std::io::stderr)
            .with_ansi(printer::color_stderr())
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
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            f.print();
            ExitCode::from(f.exit_code())
        }
    }
}

fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Validate(a) => validate::run(a),
        Command::Render(a) => render::run(a),
        Command::Secrets(a) => secrets::run(a),
        Command::Schema => schema::run(),
        Command::Rules(a) => rules::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Import(a) => import::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man => man::run(),
        #[cfg(feature = "docker")]
        Command::Docker(c) => docker::run(c),
    }
}
