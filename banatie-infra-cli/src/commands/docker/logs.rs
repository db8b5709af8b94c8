//! `banatie-infra logs SPEC SERVICE`: a service's logs, streamed as the container wrote
//! them (no JSON form).

use banatie_infra_core::docker;

use super::{docker_err, write_chunk, Ctx};
use crate::failure::Failure;
use crate::spec_arg::SpecArg;

/// `logs`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    /// The service.
    service: String,
    /// Keep following new output.
    #[arg(short, long)]
    follow: bool,
    /// Only the last N lines.
    #[arg(long)]
    tail: Option<u64>,
    /// Only output of the last N seconds.
    #[arg(long)]
    since: Option<u64>,
}

/// Streams the logs.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    let opts = docker::LogsOptions {
        follow: args.follow,
        tail: args.tail,
        since_secs: args.since,
    };
    docker::logs(
        &ctx.engine,
        &ctx.loaded.spec,
        &args.service,
        &opts,
        write_chunk,
    )
    .await
    .map_err(docker_err)
}
