//! Integration tests of `banatie_infra_core::docker` (issues #3 and #5) against the real
//! Docker engine, with the local test images of `testimages/build.sh`.
//!
//! Every test brings up its own copy of `tests/fixtures/docker/stack.yaml` under a unique
//! prefix (stack, services, networks) in a temporary root, so the tests run in parallel
//! and next to other stacks; each removes what it created, also when it fails. A test
//! that needs the engine fails when it is missing: nothing is skipped.
//!
//! ```text
//! sudo testimages/build.sh
//! cargo test -p banatie-infra-core --features docker --test docker
//! ```
//! (Runs as root: two checks mount a tmpfs.)

#[cfg(not(feature = "docker"))]
#[test]
fn the_docker_feature_is_enabled() {
    panic!(
        "these tests need the `docker` feature: cargo test -p banatie-infra-core --features docker \
         (`cargo test --workspace` enables it through the CLI)"
    );
}

#[cfg(feature = "docker")]
#[path = "docker/common.rs"]
mod common;

#[cfg(feature = "docker")]
#[path = "docker/ops.rs"]
mod ops;

#[cfg(feature = "docker")]
#[path = "docker/backup.rs"]
mod backup;

#[cfg(feature = "docker")]
#[path = "docker/lifecycle.rs"]
mod lifecycle;

#[cfg(feature = "docker")]
#[path = "docker/kinds.rs"]
mod kinds;

#[cfg(feature = "docker")]
#[path = "docker/migrate.rs"]
mod migrate;

#[cfg(feature = "docker")]
#[path = "docker/rotate.rs"]
mod rotate;
