//! `banatie-infra schema`: the JSON Schema of the spec (always JSON; no `--format`).

use crate::failure::Failure;
use crate::printer::out;

/// Prints the schema.
pub(crate) fn run() -> Result<(), Failure> {
    out(&banatie_infra_core::schema::json_schema_text());
    Ok(())
}
