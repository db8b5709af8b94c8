//! Why a verb failed, and the exit code of each reason (in one place:
//! [`Failure::exit_code`]): 0 success, 1 the input has errors (or the files on disk
//! differ, or secrets are incomplete, or the stack is not as it should be), 2 the input
//! cannot be read or the arguments are wrong.

use banatie_infra_core::input::InputError;
use banatie_infra_core::Code;

use crate::printer::{print_diagnostics, OutputFormat};

/// Why the command failed; decides the exit code.
pub(crate) enum Failure {
    /// The input has errors or the checked state is wrong (exit 1); already printed.
    Findings,
    /// The input cannot be read, or a write failed (exit 2).
    Input(String),
    /// Like `Input`, with a diagnostic code and a help line (exit 2).
    Coded {
        /// The code, for example `BI701`.
        code: Code,
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
    /// The process's exit code for this failure.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Findings => 1,
            Self::Input(_) | Self::Coded { .. } => 2,
            Self::Exit(code) => *code,
        }
    }

    /// Prints what is not printed yet (stderr).
    pub(crate) fn print(&self) {
        match self {
            Self::Input(msg) => say!("error: {msg}"),
            Self::Coded {
                code,
                message,
                help,
            } => {
                say!("error[{code}]: {message}");
                if let Some(h) = help {
                    say!("  = help: {h}");
                }
            }
            Self::Findings | Self::Exit(_) => {}
        }
    }
}

/// A failure with the code and help of a core error, when it has them.
pub(crate) fn coded(message: String, code: Option<Code>, help: Option<String>) -> Failure {
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
pub(crate) fn io_code(e: &std::io::Error) -> (Option<Code>, Option<String>) {
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

/// A file that is not read at all (not a regular file, too large: BI150, BI151): its
/// coded diagnostic on stderr (the JSON array on stdout with `--format json`), exit 2.
pub(crate) fn input_failure(e: &InputError, format: OutputFormat) -> Failure {
    print_diagnostics(&[e.to_diagnostic()], &[(e.path(), "")], format, true);
    Failure::Exit(2)
}

/// Shorthand for the errors of the core that carry `code()` and `help()`.
macro_rules! coded_err {
    ($e:expr) => {{
        let e = $e;
        $crate::failure::coded(e.to_string(), e.code(), e.help())
    }};
}
pub(crate) use coded_err;
