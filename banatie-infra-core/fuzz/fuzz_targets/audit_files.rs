//! The audit's parsers (Compose file with interpolation, env files, Caddyfile, shell and
//! SQL scripts) must never panic: the input is split at NUL bytes into a Compose file, a
//! project `.env`, a `secrets.env`, a Caddyfile and a shell script, written to a scratch
//! directory, and audited.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use banatie_infra_core::audit::{audit, AuditInput};
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("banatie-fuzz-audit-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0);
    let dir = scratch();
    for name in ["docker-compose.yml", ".env", "secrets.env", "Caddyfile", "backup.sh"] {
        std::fs::write(dir.join(name), parts.next().unwrap_or_default()).unwrap();
    }
    let input = AuditInput { dir: Some(dir.clone()), ..Default::default() };
    let _ = audit(&input);
});
