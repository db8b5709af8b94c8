//! `backup db` of a database of more than 100 MB, its failure modes, and `restore db`
//! into a fresh container.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use banatie_infra_core::docker::{self, BackupError, BackupResult, DockerError, Progress};

use crate::common::{
    assert_only_completed, docker_ok, engine, fill_database, listing, run, sha256_hex, Stack,
    TmpfsMount,
};

const HUNDRED_MB: u64 = 100 * 1024 * 1024;

/// The stack's row count and a checksum over every row.
fn fingerprint(stack: &Stack) -> String {
    stack.psql("SELECT count(*) || ' ' || sum(id) || ' ' || md5(string_agg(a || b, ',' ORDER BY id)) FROM items")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_a_100_mb_database() {
    let stack = Stack::new("bak");
    let engine = engine().await;
    stack.up(&engine).await;
    let t = Instant::now();
    let rows = fill_database(&stack, HUNDRED_MB);
    let size: u64 = stack
        .psql("SELECT pg_database_size(current_database())")
        .parse()
        .unwrap();
    assert!(size >= HUNDRED_MB, "{size}");
    eprintln!(
        "filled {rows} rows, {} MiB, in {:.1}s",
        size >> 20,
        t.elapsed().as_secs_f64()
    );
    let before = fingerprint(&stack);
    let dir = stack.root().join("backups");

    // Two older dumps, to see the retention rule (`keep: 2`) at work.
    std::fs::create_dir_all(&dir).unwrap();
    for old in [
        "app_db_20200101T000000Z.dump",
        "app_db_20200102T000000Z.dump",
    ] {
        std::fs::write(dir.join(old), b"PGDMP old").unwrap();
        std::fs::write(dir.join(format!("{old}.sha256")), b"x  old\n").unwrap();
    }

    // A good backup.
    let phases = std::sync::Mutex::new(Vec::new());
    let last = AtomicU64::new(0);
    let good: BackupResult = docker::backup_db(&engine, &stack.spec, &dir, &|p| match p {
        Progress::Phase(name) => phases.lock().unwrap().push(name),
        Progress::Bytes(n) => {
            assert!(n >= last.load(Ordering::Relaxed), "bytes only grow");
            last.store(n, Ordering::Relaxed);
        }
    })
    .await
    .expect("backup db");
    eprintln!(
        "dumped {} MiB in {:.1}s",
        good.bytes >> 20,
        good.elapsed.as_secs_f64()
    );
    assert_eq!(*phases.lock().unwrap(), ["dumping", "verifying"]);
    assert_eq!(last.load(Ordering::Relaxed), good.bytes);
    let name = good.path.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("app_db_") && name.ends_with("Z.dump"),
        "{name}"
    );
    let head = std::fs::read(&good.path).unwrap();
    assert_eq!(&head[..5], b"PGDMP", "a custom-format archive");
    assert_eq!(good.bytes, head.len() as u64);
    assert!(good.bytes > 10 * 1024 * 1024, "{} bytes", good.bytes);
    drop(head);
    assert_eq!(good.sha256, sha256_hex(&good.path));
    assert_eq!(
        std::fs::read_to_string(dir.join(format!("{name}.sha256"))).unwrap(),
        format!("{}  {name}\n", good.sha256)
    );
    // Retention: the newest two dumps (and their sidecars) stay.
    assert_eq!(good.removed, [dir.join("app_db_20200101T000000Z.dump")]);
    assert_eq!(
        listing(&dir),
        [
            "app_db_20200102T000000Z.dump".to_owned(),
            "app_db_20200102T000000Z.dump.sha256".to_owned(),
            name.clone(),
            format!("{name}.sha256"),
        ]
    );
    let completed = listing(&dir);

    // An unwritable backup directory (root ignores modes: a read-only mount).
    {
        let ro = stack.root().join("backups-ro");
        let _m = TmpfsMount::new(&ro, "size=1m,ro");
        let e = docker::backup_db(&engine, &stack.spec, &ro, &|_| {})
            .await
            .expect_err("a read-only directory");
        match &e {
            BackupError::Io { path, source } => {
                assert!(path.starts_with(&ro), "{e}");
                assert_eq!(
                    source.kind(),
                    std::io::ErrorKind::ReadOnlyFilesystem,
                    "EROFS: {e}"
                );
            }
            other => panic!("expected an I/O error, got {other:?}"),
        }
        assert!(listing(&ro).is_empty(), "{:?}", listing(&ro));
    }

    // A full disk: 2 MiB for a dump of tens of MiB.
    {
        let full = stack.root().join("backups-full");
        let _m = TmpfsMount::new(&full, "size=2m,mode=0700");
        let e = docker::backup_db(&engine, &stack.spec, &full, &|_| {})
            .await
            .expect_err("a full disk");
        match &e {
            BackupError::Io { source, .. } => {
                assert_eq!(
                    source.kind(),
                    std::io::ErrorKind::StorageFull,
                    "ENOSPC: {e}"
                )
            }
            other => panic!("expected ENOSPC, got {other:?}"),
        }
        assert!(e.to_string().contains("No space left on device"), "{e}");
        assert!(listing(&full).is_empty(), "{:?}", listing(&full));
        // The abandoned pg_dump does not linger in the container.
        no_pg_dump_left(&stack).await;
    }
    assert_eq!(listing(&dir), completed);

    // Restore refusals: a corrupted copy, then no confirmation.
    {
        let bad_dir = stack.root().join("corrupt");
        std::fs::create_dir_all(&bad_dir).unwrap();
        let bad = bad_dir.join(&name);
        let mut bytes = std::fs::read(&good.path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        std::fs::write(&bad, &bytes).unwrap();
        std::fs::copy(
            dir.join(format!("{name}.sha256")),
            bad_dir.join(format!("{name}.sha256")),
        )
        .unwrap();
        let e = docker::restore_db(&engine, &stack.spec, &bad, true)
            .await
            .expect_err("corrupted");
        match &e {
            BackupError::Invalid { reason, .. } => {
                assert!(reason.contains("checksum mismatch"), "{e}")
            }
            other => panic!("expected a checksum mismatch, got {other:?}"),
        }
        let e = docker::restore_db(&engine, &stack.spec, &good.path, false)
            .await
            .expect_err("not confirmed");
        assert!(
            matches!(&e, BackupError::NotConfirmed(db) if db == "app_db"),
            "{e:?}"
        );
        assert!(e.to_string().contains("--yes"), "{e}");
        assert_eq!(fingerprint(&stack), before, "nothing was restored");
    }

    // The database container killed in the middle of a dump.
    {
        let bytes = Arc::new(AtomicU64::new(0));
        let task = {
            let (engine, spec, dir, bytes) = (
                engine.clone(),
                stack.spec.clone(),
                dir.clone(),
                bytes.clone(),
            );
            tokio::spawn(async move {
                docker::backup_db(&engine, &spec, &dir, &|p| {
                    if let Progress::Bytes(n) = p {
                        bytes.store(n, Ordering::Relaxed);
                    }
                })
                .await
            })
        };
        let start = Instant::now();
        while bytes.load(Ordering::Relaxed) == 0 {
            assert!(start.elapsed() < Duration::from_secs(30), "no dump output");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let db = stack.svc("db");
        tokio::task::spawn_blocking(move || docker_ok(&["kill", &db]))
            .await
            .unwrap();
        let r = tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("the backup ends when the container dies")
            .unwrap();
        let e = r.expect_err("killed mid-dump");
        eprintln!("killed after {} bytes: {e}", bytes.load(Ordering::Relaxed));
        assert!(
            matches!(
                &e,
                BackupError::ToolFailed {
                    tool: "pg_dump",
                    ..
                } | BackupError::Docker(DockerError::Api(_))
            ),
            "{e:?}"
        );
        if let BackupError::ToolFailed {
            code: 137, stderr, ..
        } = &e
        {
            assert!(stderr.contains("killed by signal 9"), "{e}");
        }
        assert_eq!(listing(&dir), completed, "no new file after a failed dump");
        assert_only_completed(&dir);
    }

    // A backup of a stopped database: a clear error, no file.
    {
        docker_ok(&["stop", &stack.svc("db")]);
        let e = docker::backup_db(&engine, &stack.spec, &dir, &|_| {})
            .await
            .expect_err("stopped");
        assert!(e.to_string().contains("not running"), "{e}");
        assert_eq!(listing(&dir), completed);
    }

    // Restore into a FRESH database: the stack down, its data directory wiped, up again.
    docker::down(&engine, &stack.spec, false, 10).await.unwrap();
    std::fs::remove_dir_all(stack.root().join("data/postgres")).unwrap();
    stack.up(&engine).await;
    assert_eq!(
        stack.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'items'"),
        "0",
        "a fresh database"
    );
    let restored = docker::restore_db(&engine, &stack.spec, &good.path, true)
        .await
        .expect("restore");
    eprintln!("restored in {:.1}s", restored.elapsed.as_secs_f64());
    assert_eq!(restored.path, good.path);
    assert_eq!(fingerprint(&stack), before);
    assert_eq!(
        stack.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'items'"),
        "app_user"
    );
    // Restoring again over the same data is fine (--clean --if-exists).
    docker::restore_db(&engine, &stack.spec, &good.path, true)
        .await
        .expect("restore again");
    assert_eq!(fingerprint(&stack), before);
    // The stack matches its spec after all this.
    let plan = docker::plan(&engine, &stack.spec, stack.root())
        .await
        .unwrap();
    assert!(plan.is_noop(), "{plan:#?}");
}

/// Waits (up to 10 s) until no `pg_dump` runs in the database container.
async fn no_pg_dump_left(stack: &Stack) {
    let start = Instant::now();
    loop {
        let out = run("docker", &["top", &stack.svc("db"), "-eo", "pid,args"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if !text.contains("pg_dump") {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "pg_dump still runs after the backup failed:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
