//! validate + render at 100, 1,000 and 10,000 services with the system allocator
//! (glibc malloc on Linux): what the Python module and other embedders of the core get.
//! Run with `cargo bench -p banatie-infra-core --bench scale_system`.

mod scale_common;

fn main() {
    scale_common::main("system");
}
