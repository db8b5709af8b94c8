//! `banatie-infra wait SPEC [SERVICE...]`: block until the services (default: all) are
//! ready. Exit 1 when one cannot become ready or the timeout passes.
//!
//! JSON: `{"ready": bool, "error": string | null, "services": [status]}`, the statuses
//! (as `status` prints them) of the services waited for; empty on error.

use std::time::Duration;

use banatie_infra_core::docker;
use serde_json::json;

use super::Ctx;
use crate::failure::Failure;
use crate::printer::{self, to_value, FormatArg};
use crate::spec_arg::SpecArg;

/// `wait`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    /// Services to wait for (default: all).
    services: Vec<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    #[command(flatten)]
    pub(crate) format: FormatArg,
}

/// Waits for the services.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    let json = args.format.format.is_json();
    let r = docker::wait(
        &ctx.engine,
        &ctx.loaded.spec,
        &args.services,
        Duration::from_secs(args.timeout),
    )
    .await;
    match r {
        Ok(all) => {
            let waited: Vec<_> = all
                .into_iter()
                .filter(|s| args.services.is_empty() || args.services.contains(&s.service))
                .collect();
            if json {
                printer::json(json!({"ready": true, "error": null, "services": to_value(&waited)}));
            } else {
                say!("{} service(s) ready", waited.len());
            }
            Ok(())
        }
        Err(e) => {
            if json {
                printer::json(json!({"ready": false, "error": e.to_string(), "services": []}));
            } else {
                say!("error: {e}");
            }
            Err(Failure::Findings)
        }
    }
}
