//! BI7xx, the deployment root on disk: unsafe paths, system and foreign roots, output that
//! is an input, the root's lock ([`crate::jail`], [`crate::roots`], [`crate::lock`]).

use super::Rule;
use crate::diagnostic::{Code, Severity};

const FAMILY: &str = "files";

/// BI701: a bundle path under the deployment root is a symlink, or not a regular file
/// (a FIFO, device, socket, directory, hard link), so the tool refuses to read or write it.
pub const CODE_UNSAFE_PATH: Code = Code("BI701");
/// BI702: the output root is `/` or a system directory.
pub const CODE_SYSTEM_ROOT: Code = Code("BI702");
/// BI703: the output root is a non-empty directory that is not a deployment bundle.
pub const CODE_FOREIGN_ROOT: Code = Code("BI703");
/// BI704: `import -o` names one of the files the import reads.
pub const CODE_OUTPUT_IS_INPUT: Code = Code("BI704");
/// BI705: another run holds the root's lock for longer than the wait.
pub const CODE_ROOT_LOCKED: Code = Code("BI705");

/// This family's rules, in code order.
pub(super) const RULES: &[Rule] = &[
    Rule::declare(
        CODE_UNSAFE_PATH,
        "unsafe-path",
        Severity::Error,
        FAMILY,
        "a bundle path under the root is a symlink (or has one as a directory), a FIFO, device, socket or directory: never followed, read or replaced",
    ),
    Rule::declare(
        CODE_SYSTEM_ROOT,
        "system-root",
        Severity::Error,
        FAMILY,
        "the output root is `/`, a system directory (/etc, /usr, /var, ...) or the home directory itself",
    ),
    Rule::declare(
        CODE_FOREIGN_ROOT,
        "foreign-root",
        Severity::Error,
        FAMILY,
        "the output root is a non-empty directory that is not a banatie-infra bundle (refused unless --force)",
    ),
    Rule::declare(
        CODE_OUTPUT_IS_INPUT,
        "output-is-input",
        Severity::Error,
        FAMILY,
        "`import -o` names a file the import reads (same device and inode)",
    ),
    Rule::declare(
        CODE_ROOT_LOCKED,
        "root-locked",
        Severity::Error,
        FAMILY,
        "another run holds the root's lock (`.banatie-infra.lock`) longer than the wait",
    ),
];
