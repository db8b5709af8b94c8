//! validate + render at 100, 1,000 and 10,000 services with the allocator the
//! `banatie-infra` binary ships with (mimalloc, as set in banatie-infra-cli/src/main.rs).
//! Run with `cargo bench -p banatie-infra-core --bench scale`; `scale_system` is the same
//! with the system allocator.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod scale_common;

fn main() {
    scale_common::main("mimalloc");
}
