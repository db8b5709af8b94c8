//! `secrets.env` is never, at any moment, readable by anyone but its owner: a second
//! thread polls the directory (the final file and any temporary file beside it) as fast as
//! it can while secrets are created and completed many times, and records every mode it
//! sees.

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use banatie_infra_core::load::{load_str, Format};

/// Polls `base/*/` for files whose name contains `secrets.env` until `stop`, recording
/// every mode other than 0600, and counting observations.
fn watch(
    base: std::path::PathBuf,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(Vec<(String, u32)>, usize)> {
    std::thread::spawn(move || {
        let mut bad = Vec::new();
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let Ok(rounds) = std::fs::read_dir(&base) else {
                continue;
            };
            for round in rounds.flatten() {
                let Ok(files) = std::fs::read_dir(round.path()) else {
                    continue;
                };
                for f in files.flatten() {
                    let name = f.file_name().to_string_lossy().into_owned();
                    if !name.contains("secrets.env") {
                        continue;
                    }
                    if let Ok(meta) = std::fs::symlink_metadata(f.path()) {
                        n += 1;
                        let mode = meta.permissions().mode() & 0o777;
                        if mode != 0o600 {
                            bad.push((name, mode));
                        }
                    }
                }
            }
        }
        (bad, n)
    })
}

/// The watcher can fail: a naive writer (create with the default mode, write, then chmod)
/// is caught.
#[test]
fn the_watcher_catches_a_naive_writer() {
    let base = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let w = watch(base.path().to_owned(), stop.clone());
    let payload = vec![b'x'; 4 << 20];
    for i in 0..20 {
        let dir = base.path().join(format!("round{i}"));
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("secrets.env");
        std::fs::write(&path, &payload).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let (bad, _) = w.join().unwrap();
    assert!(
        !bad.is_empty(),
        "the watcher missed every window of a naive writer"
    );
}

#[test]
fn secrets_env_is_0600_from_the_moment_it_exists() {
    let spec = load_str(
        include_str!("../../examples/banatie.yaml"),
        Format::Yaml,
        "banatie.yaml",
    )
    .unwrap()
    .spec;
    let base = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let w = watch(base.path().to_owned(), stop.clone());
    for i in 0..200 {
        let dir = base.path().join(format!("round{i}"));
        std::fs::create_dir(&dir).unwrap();
        // Create, then complete after the operator adds the supplied key.
        banatie_infra_core::secrets::ensure(&spec, &dir).unwrap();
        let path = dir.join("secrets.env");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("GEMINI_API_KEY=", "GEMINI_API_KEY='k'");
        std::fs::write(&path, text).unwrap();
        banatie_infra_core::secrets::ensure(&spec, &dir).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    stop.store(true, Ordering::Relaxed);
    let (bad, n) = w.join().unwrap();
    assert!(
        bad.is_empty(),
        "secrets files seen with other modes: {bad:?}"
    );
    assert!(n > 100, "the watcher saw too little to mean anything ({n})");
}
