//! One module per verb (uv's `crates/uv/src/commands/` shape). Each holds its clap
//! arguments (`Args`) and a `run` that converts them, calls `banatie_infra_core` and
//! prints through [`crate::printer`]; the Docker verbs are under [`docker`], one async
//! function each.

use std::path::Path;

use crate::failure::{coded_err, Failure};

pub(crate) mod audit;
pub(crate) mod completions;
#[cfg(feature = "docker")]
pub(crate) mod docker;
pub(crate) mod import;
pub(crate) mod man;
pub(crate) mod render;
pub(crate) mod rules;
pub(crate) mod schema;
pub(crate) mod secrets;
pub(crate) mod validate;

/// Refuses an output root that is a system directory, or a non-empty non-bundle one
/// unless `force` (BI702, BI703). `spec` (a file, not standard input) is never counted
/// as foreign content.
pub(crate) fn check_root(dir: &Path, force: bool, spec: Option<&Path>) -> Result<(), Failure> {
    let own: Vec<&Path> = spec.into_iter().collect();
    banatie_infra_core::roots::check_output_root(dir, force, &own).map_err(|e| coded_err!(e))
}
