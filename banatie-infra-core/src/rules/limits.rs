//! BI15x, bounded input: files that are not regular, too large, alias bombs and interpolation
//! past its bounds ([`crate::input`], [`crate::load`], the audit's interpolation).

use super::Rule;
use crate::diagnostic::{Code, Severity};

const FAMILY: &str = "limits";

/// `BI150`: an input path that is not a regular file (FIFO, device, directory, socket).
pub const CODE_NOT_REGULAR: Code = Code("BI150");
/// `BI151`: an input file larger than the input size limit.
pub const CODE_TOO_LARGE: Code = Code("BI151");
/// `BI152`: YAML aliases that expand to more than the expansion bound
/// ([`crate::load::MAX_ALIAS_BYTES`]).
pub const CODE_ALIAS_EXPANSION: Code = Code("BI152");
/// `BI153`: an interpolated value (`${VAR}` in an env file or a Compose file) that would
/// be longer than the bound, or nested deeper.
pub const CODE_INTERPOLATION_BOUND: Code = Code("BI153");

/// This family's rules, in code order.
pub(super) const RULES: &[Rule] = &[
    Rule::declare(
        CODE_NOT_REGULAR,
        "not-a-regular-file",
        Severity::Error,
        FAMILY,
        "an input path that is not a regular file (a FIFO, a device such as /dev/zero, a directory, a socket): it is not read",
    ),
    Rule::declare(
        CODE_TOO_LARGE,
        "input-too-large",
        Severity::Error,
        FAMILY,
        "an input file larger than the input size limit (16 MiB unless --max-input-size or BANATIE_MAX_INPUT says otherwise)",
    ),
    Rule::declare(
        CODE_ALIAS_EXPANSION,
        "alias-bomb",
        Severity::Error,
        FAMILY,
        "YAML aliases that expand to more than 16 MiB (an alias bomb, \"billion laughs\")",
    ),
    Rule::declare(
        CODE_INTERPOLATION_BOUND,
        "interpolation-too-large",
        Severity::Error,
        FAMILY,
        "an interpolated value longer than 1 MiB, more than 16 MiB interpolated in all, or `${...:-...}` nested deeper than 32 levels",
    ),
];
