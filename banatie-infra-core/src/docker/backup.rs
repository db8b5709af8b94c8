//! `backup db`, `restore db` and `backup storage`.
//!
//! A backup is streamed to a temporary file next to its destination (never buffered in
//! memory), checked (exit code, stderr, the dump's own table of contents), fsynced, and
//! only then renamed to its final name with a SHA-256 sidecar. On any failure the
//! temporary file is removed: a partial dump never sits at a final path.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub use super::backup_error::BackupError;
use super::exec::{exec_in, ExecError, ExecOutput};
pub(crate) use super::flush::Flusher;
use super::status::find;
use super::{DockerError, Engine};
use crate::spec::{Service, Spec};

/// Progress of a long operation, for a caller that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A new phase started (for example `"dumping"`, `"verifying"`).
    Phase(&'static str),
    /// Bytes written so far in the current phase.
    Bytes(u64),
}

/// A finished backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupResult {
    /// The final path, `<dir>/<name>_<UTC timestamp>.<ext>`.
    pub path: PathBuf,
    /// The SHA-256 of the file, lowercase hex; also in `<path>.sha256`.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// How long it took.
    pub elapsed: Duration,
    /// Older backups removed by the retention rule (`backups.keep`).
    pub removed: Vec<PathBuf>,
}

/// A finished restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreResult {
    /// The dump restored.
    pub path: PathBuf,
    /// How long it took.
    pub elapsed: Duration,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The current UTC time as `YYYYMMDDTHHMMSSZ`.
pub(crate) fn utc_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Keeps the last 4 KiB of a stream (for error messages).
#[derive(Default)]
struct Tail(Vec<u8>);

impl Tail {
    fn push(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
        if self.0.len() > 4096 {
            let cut = self.0.len() - 4096;
            self.0.drain(..cut);
        }
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0).trim().to_owned()
    }

    /// The text, or, when the tool printed nothing, what its exit code says.
    fn explain(&self, code: i64) -> String {
        let t = self.text();
        if !t.is_empty() {
            t
        } else if (129..160).contains(&code) {
            format!(
                "no error output; killed by signal {} (was the container stopped or killed?)",
                code - 128
            )
        } else if code == -1 {
            "no error output; the container went away".into()
        } else {
            "no error output".into()
        }
    }
}

fn postgres(spec: &Spec) -> Result<(&str, &crate::spec::PostgresService), BackupError> {
    spec.services
        .iter()
        .find_map(|(n, s)| match s {
            Service::Postgres(p) => Some((n.as_str(), p)),
            _ => None,
        })
        .ok_or(BackupError::NoService("postgres"))
}

async fn container(engine: &Engine, spec: &Spec, service: &str) -> Result<String, BackupError> {
    let (owned, _) = find(engine, spec).await?;
    let c = owned
        .get(service)
        .ok_or_else(|| DockerError::NoContainer(service.to_owned()))?;
    let running = c.state.as_ref().and_then(|s| s.running).unwrap_or(false);
    if !running {
        return Err(
            DockerError::Api(format!("the container of `{service}` is not running")).into(),
        );
    }
    Ok(c.id.clone().unwrap_or_default())
}

fn map_exec(e: ExecError, path: &Path) -> BackupError {
    match e {
        ExecError::Docker(d) => BackupError::Docker(d),
        ExecError::Output(source) => BackupError::Io {
            path: path.to_owned(),
            source,
        },
    }
}

/// Dumps the stack's PostgreSQL database with `pg_dump --format=custom` run in its
/// container through the exec API, streaming to `dir/.<name>.*.partial`, then checks the
/// exit code and stderr, fsyncs, verifies the dump with `pg_restore --list` in the
/// container (fed the file over stdin), renames it to `dir/<db>_<UTC stamp>.dump`, writes
/// `<file>.sha256`, and removes the oldest dumps beyond `spec.backups.keep`.
///
/// `dir` is created (mode 0700) when missing. `progress` gets the phase and byte count.
///
/// Errors: any failure removes the temporary file and returns [`BackupError`]: the
/// container is missing or stopped, `pg_dump` exits non-zero (its stderr is in the error),
/// the disk fills up, verification fails.
pub async fn backup_db(
    engine: &Engine,
    spec: &Spec,
    dir: &Path,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<BackupResult, BackupError> {
    let start = Instant::now();
    let (service, pg) = postgres(spec)?;
    let id = container(engine, spec, service).await?;
    create_private_dir(dir)?;
    let stem = format!("{}_{}", pg.database, utc_stamp());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{stem}.dump."))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    let tmp_path = tmp.path().to_owned();
    progress(Progress::Phase("dumping"));
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut stderr = Tail::default();
    // A name for the dump's session, so it can be ended if we stop reading (see below).
    let app = format!(
        "banatie-infra-backup-{}-{}",
        std::process::id(),
        utc_stamp()
    );
    let conninfo = format!("dbname={} application_name={app}", pg.database);
    let argv: Vec<String> = [
        "pg_dump",
        "--format=custom",
        "--no-password",
        "--username",
        pg.user.as_str(),
        "--dbname",
        conninfo.as_str(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut flusher = Flusher::new(tmp.as_file()).map_err(io_err(&tmp_path))?;
    let code = {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        let code = exec_in(
            engine,
            &id,
            &argv,
            None,
            None::<tokio::io::Empty>,
            |stream, chunk| {
                match stream {
                    ExecOutput::Stdout => {
                        w.write_all(chunk)?;
                        hasher.update(chunk);
                        bytes += chunk.len() as u64;
                        flusher.written(bytes);
                        progress(Progress::Bytes(bytes));
                    }
                    ExecOutput::Stderr => stderr.push(chunk),
                }
                Ok(())
            },
        )
        .await;
        let code = match code {
            Ok(code) => code,
            Err(e) => {
                // We stopped reading (a full disk, a dropped stream): the engine would let
                // pg_dump run to its end, holding its snapshot and locks. End it.
                terminate_session(engine, &id, pg, &app).await;
                return Err(map_exec(e, &tmp_path));
            }
        };
        w.flush().map_err(io_err(&tmp_path))?;
        code
    };
    if code != 0 {
        return Err(BackupError::ToolFailed {
            tool: "pg_dump",
            code,
            stderr: stderr.explain(code),
        });
    }
    if bytes < 5 {
        return Err(BackupError::Invalid {
            path: tmp_path,
            reason: format!("pg_dump wrote {bytes} bytes"),
        });
    }
    tracing::debug!(bytes, elapsed = ?start.elapsed(), "pg_dump finished");
    flusher.finish().map_err(io_err(&tmp_path))?;
    tmp.as_file().sync_all().map_err(io_err(&tmp_path))?;
    tracing::debug!(elapsed = ?start.elapsed(), "dump synced to disk");
    progress(Progress::Phase("verifying"));
    verify_dump(engine, &id, &tmp_path).await?;
    tracing::debug!(elapsed = ?start.elapsed(), "dump verified");
    let sha256 = hex(&hasher.finalize());
    let final_path = publish(tmp, dir, &stem, "dump", &sha256)?;
    let removed = retain(
        dir,
        &format!("{}_", pg.database),
        ".dump",
        spec.backups.keep,
    )?;
    Ok(BackupResult {
        path: final_path,
        sha256,
        bytes,
        elapsed: start.elapsed(),
        removed,
    })
}

/// Best effort: ends the database session named `app` (a dump we stopped reading), as
/// its own role, which may terminate its own sessions.
async fn terminate_session(
    engine: &Engine,
    container: &str,
    pg: &crate::spec::PostgresService,
    app: &str,
) {
    let argv: Vec<String> = vec![
        "psql".into(),
        "--no-password".into(),
        "--no-psqlrc".into(),
        "--username".into(),
        pg.user.to_string(),
        "--dbname".into(),
        pg.database.to_string(),
        "-Atc".into(),
        format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{app}'"
        ),
    ];
    let _ = exec_in(
        engine,
        container,
        &argv,
        None,
        None::<tokio::io::Empty>,
        |_, _| Ok(()),
    )
    .await;
}

fn create_private_dir(dir: &Path) -> Result<(), BackupError> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_err(dir))?;
    }
    Ok(())
}

/// Checks the custom-format header locally, then lists the dump's table of contents with
/// `pg_restore --list` in the container, fed the file over stdin.
async fn verify_dump(engine: &Engine, container: &str, path: &Path) -> Result<(), BackupError> {
    check_header(path)?;
    let file = tokio::fs::File::open(path).await.map_err(io_err(path))?;
    let mut stderr = Tail::default();
    let mut entries = 0usize;
    let argv: Vec<String> = vec!["pg_restore".into(), "--list".into()];
    let code = exec_in(
        engine,
        container,
        &argv,
        None,
        Some(file),
        |stream, chunk| {
            match stream {
                ExecOutput::Stdout => entries += chunk.iter().filter(|&&b| b == b'\n').count(),
                ExecOutput::Stderr => stderr.push(chunk),
            }
            Ok(())
        },
    )
    .await
    .map_err(|e| map_exec(e, path))?;
    if code != 0 {
        return Err(BackupError::ToolFailed {
            tool: "pg_restore --list",
            code,
            stderr: stderr.explain(code),
        });
    }
    if entries == 0 {
        return Err(BackupError::Invalid {
            path: path.to_owned(),
            reason: "the dump lists no entries".into(),
        });
    }
    Ok(())
}

/// A PostgreSQL custom-format archive starts with `PGDMP`.
fn check_header(path: &Path) -> Result<(), BackupError> {
    use std::io::Read;
    let mut head = [0u8; 5];
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    f.read_exact(&mut head).map_err(io_err(path))?;
    if &head != b"PGDMP" {
        return Err(BackupError::Invalid {
            path: path.to_owned(),
            reason: "not a pg_dump custom-format archive (no PGDMP header)".into(),
        });
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_file(path: &Path) -> Result<String, BackupError> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// Puts a checked temporary file at its final name `dir/<stem>.<ext>` (never over an
/// existing file) and writes its `<name>.sha256` sidecar atomically; the one way every
/// backup is published. When the name is taken (a second backup in the same second:
/// the timestamp has one-second resolution), `<stem>_2.<ext>` ... `<stem>_9.<ext>` are
/// tried in turn; they sort after `<stem>.<ext>` (`_` > `.`), so retention still keeps
/// the newest. Errors: [`BackupError::Io`] (also when all ten names are taken).
fn publish(
    tmp: tempfile::NamedTempFile,
    dir: &Path,
    stem: &str,
    ext: &str,
    sha256: &str,
) -> Result<PathBuf, BackupError> {
    let mut tmp = tmp;
    for n in 1..=9 {
        let name = if n == 1 {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}_{n}.{ext}")
        };
        let final_path = dir.join(&name);
        match tmp.persist_noclobber(&final_path) {
            Ok(_) => {
                let sidecar = dir.join(format!("{name}.sha256"));
                crate::bundle::atomic_write(
                    &sidecar,
                    format!("{sha256}  {name}\n").as_bytes(),
                    0o600,
                )
                .map_err(io_err(&sidecar))?;
                return Ok(final_path);
            }
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists && n < 9 => {
                tmp = e.file;
            }
            Err(e) => {
                return Err(BackupError::Io {
                    path: final_path,
                    source: e.error,
                })
            }
        }
    }
    unreachable!("the last attempt returns")
}

/// Removes the oldest `prefix*suffix` files (and their `.sha256`) beyond the newest `keep`.
fn retain(dir: &Path, prefix: &str, suffix: &str, keep: u32) -> Result<Vec<PathBuf>, BackupError> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix) && n.ends_with(suffix))
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(keep.max(1) as usize);
    let mut removed = Vec::new();
    for n in names.into_iter().take(excess) {
        let p = dir.join(&n);
        std::fs::remove_file(&p).map_err(io_err(&p))?;
        let _ = std::fs::remove_file(dir.join(format!("{n}.sha256")));
        removed.push(p);
    }
    Ok(removed)
}

/// Restores a dump made by [`backup_db`] into the stack's database: verifies the SHA-256
/// sidecar and the header first, refuses without `confirmed`, then runs
/// `pg_restore --clean --if-exists --exit-on-error` in the container over stdin.
///
/// Errors: [`BackupError::NotConfirmed`], [`BackupError::Invalid`] (checksum or header),
/// [`BackupError::ToolFailed`] with the server's message.
pub async fn restore_db(
    engine: &Engine,
    spec: &Spec,
    file: &Path,
    confirmed: bool,
) -> Result<RestoreResult, BackupError> {
    let start = Instant::now();
    let (service, pg) = postgres(spec)?;
    let sidecar = PathBuf::from(format!("{}.sha256", file.display()));
    let expected = crate::input::read_to_string(&sidecar).map_err(io_err(&sidecar))?;
    let expected = expected
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    let actual = sha256_file(file)?;
    if expected != actual {
        return Err(BackupError::Invalid {
            path: file.to_owned(),
            reason: format!(
                "checksum mismatch: {} says {expected}, the file is {actual}",
                sidecar.display()
            ),
        });
    }
    check_header(file)?;
    if !confirmed {
        return Err(BackupError::NotConfirmed(pg.database.to_string()));
    }
    let id = container(engine, spec, service).await?;
    let f = tokio::fs::File::open(file).await.map_err(io_err(file))?;
    let mut stderr = Tail::default();
    let argv: Vec<String> = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--exit-on-error",
        "--no-owner",
        "--no-password",
        "--username",
        pg.user.as_str(),
        "--dbname",
        pg.database.as_str(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let code = exec_in(engine, &id, &argv, None, Some(f), |stream, chunk| {
        if stream == ExecOutput::Stderr {
            stderr.push(chunk);
        }
        Ok(())
    })
    .await
    .map_err(|e| map_exec(e, file))?;
    if code != 0 {
        return Err(BackupError::ToolFailed {
            tool: "pg_restore",
            code,
            stderr: stderr.explain(code),
        });
    }
    Ok(RestoreResult {
        path: file.to_owned(),
        elapsed: start.elapsed(),
    })
}

/// Copies every object of the stack's bucket through the S3 API of the running storage
/// service (a consistent read of each object, no access to the drive directories and no
/// sudo) into `dir/<bucket>_<UTC stamp>.tar`, written like a database dump (temporary
/// file, fsync, rename, SHA-256 sidecar, retention). Credentials are the root user and
/// password from `secrets_dir/secrets.env`.
pub async fn backup_storage(
    engine: &Engine,
    spec: &Spec,
    dir: &Path,
    secrets_dir: &Path,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<BackupResult, BackupError> {
    let start = Instant::now();
    let (service, m) = spec
        .services
        .iter()
        .find_map(|(n, s)| match s {
            Service::Minio(m) => Some((n.as_str(), m)),
            _ => None,
        })
        .ok_or(BackupError::NoService("minio"))?;
    let (owned, _) = find(engine, spec).await?;
    let c = owned
        .get(service)
        .ok_or_else(|| DockerError::NoContainer(service.to_owned()))?;
    let ip = c
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.as_ref())
        .and_then(|nets| {
            nets.values()
                .find_map(|e| e.ip_address.clone().filter(|ip| !ip.is_empty()))
        })
        .ok_or_else(|| {
            BackupError::Storage(format!("`{service}` has no IP address on its networks"))
        })?;
    let user = crate::secrets::read_value(secrets_dir, crate::spec::MINIO_ROOT_USER)
        .map_err(|e| BackupError::Storage(e.to_string()))?
        .ok_or_else(|| BackupError::Storage("MINIO_ROOT_USER is not in secrets.env".into()))?;
    let password = crate::secrets::read_value(secrets_dir, crate::spec::MINIO_ROOT_PASSWORD)
        .map_err(|e| BackupError::Storage(e.to_string()))?
        .ok_or_else(|| BackupError::Storage("MINIO_ROOT_PASSWORD is not in secrets.env".into()))?;
    let endpoint = format!("http://{ip}:{}", m.api_port);
    let bucket = m.bucket.to_string();
    create_private_dir(dir)?;
    let stem = format!("{bucket}_{}", utc_stamp());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{stem}.tar."))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    let tmp_path = tmp.path().to_owned();
    progress(Progress::Phase("copying objects"));
    let progress_ref = progress;
    let (tmp, sha256, bytes) = {
        let endpoint = endpoint.clone();
        let bucket = bucket.clone();
        let tmp_path = tmp_path.clone();
        let (tx, rx) = std::sync::mpsc::channel::<u64>();
        let worker = tokio::task::spawn_blocking(move || {
            super::s3::copy_bucket(&endpoint, &bucket, &user, &password, tmp, &tmp_path, tx)
        });
        // Relay progress from the blocking copier.
        let relay = async {
            loop {
                match rx.try_recv() {
                    Ok(b) => progress_ref(Progress::Bytes(b)),
                    Err(std::sync::mpsc::TryRecvError::Empty) => {
                        tokio::time::sleep(Duration::from_millis(100)).await
                    }
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
                }
            }
        };
        let (res, ()) = tokio::join!(worker, relay);
        res.map_err(|e| BackupError::Storage(e.to_string()))??
    };
    let final_path = publish(tmp, dir, &stem, "tar", &sha256)?;
    let removed = retain(dir, &format!("{bucket}_"), ".tar", spec.backups.keep)?;
    Ok(BackupResult {
        path: final_path,
        sha256,
        bytes,
        elapsed: start.elapsed(),
        removed,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn stamp_shape() {
        let s = super::utc_stamp();
        assert_eq!(s.len(), 16, "{s}");
        assert!(
            s.starts_with("20") && s.ends_with('Z') && s.as_bytes()[8] == b'T',
            "{s}"
        );
    }

    #[test]
    fn a_second_backup_in_the_same_second_gets_the_next_free_name() {
        let d = tempfile::tempdir().unwrap();
        let stem = "db_20260101T000000Z";
        let mut published = Vec::new();
        for i in 0..9 {
            let mut tmp = tempfile::NamedTempFile::new_in(d.path()).unwrap();
            std::io::Write::write_all(&mut tmp, format!("dump {i}").as_bytes()).unwrap();
            published.push(super::publish(tmp, d.path(), stem, "dump", "ab").unwrap());
        }
        let names: Vec<String> = published
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names[0], "db_20260101T000000Z.dump");
        assert_eq!(names[1], "db_20260101T000000Z_2.dump");
        assert_eq!(names[8], "db_20260101T000000Z_9.dump");
        // Nothing overwritten: each file holds its own dump, each sidecar names its file.
        for (i, p) in published.iter().enumerate() {
            assert_eq!(std::fs::read_to_string(p).unwrap(), format!("dump {i}"));
            let side = std::fs::read_to_string(format!("{}.sha256", p.display())).unwrap();
            assert_eq!(side, format!("ab  {}\n", names[i]));
        }
        // A tenth in the same second: a clear error, and no file at a final path changed.
        let tmp = tempfile::NamedTempFile::new_in(d.path()).unwrap();
        let e = super::publish(tmp, d.path(), stem, "dump", "ab").unwrap_err();
        assert!(e.to_string().contains("db_20260101T000000Z_9.dump"), "{e}");
        // The newest sorts last, so retention keeps it.
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, names);
        let removed = super::retain(d.path(), "db_", ".dump", 1).unwrap();
        assert_eq!(removed.len(), 8);
        assert!(published[8].exists());
    }

    /// The flusher writes back while the file grows and leaves its bytes untouched.
    #[test]
    fn flusher_syncs_in_the_background_and_reports_ok() {
        use std::io::Write;
        let mut f = tempfile::tempfile().unwrap();
        let mut flusher = super::Flusher::new(&f).unwrap();
        let chunk = vec![7u8; 1 << 20];
        let mut total = 0u64;
        for _ in 0..70 {
            f.write_all(&chunk).unwrap();
            total += chunk.len() as u64;
            flusher.written(total);
        }
        assert_eq!(flusher.requested_at, 64 << 20, "asked at 32 and 64 MiB");
        flusher.finish().unwrap();
        assert_eq!(f.metadata().unwrap().len(), 70 << 20);
    }

    #[test]
    fn retention_keeps_the_newest() {
        let d = tempfile::tempdir().unwrap();
        for n in [
            "db_20260101T000000Z.dump",
            "db_20260102T000000Z.dump",
            "db_20260103T000000Z.dump",
            "other.dump",
        ] {
            std::fs::write(d.path().join(n), b"x").unwrap();
            std::fs::write(d.path().join(format!("{n}.sha256")), b"x").unwrap();
        }
        let removed = super::retain(d.path(), "db_", ".dump", 2).unwrap();
        assert_eq!(removed, [d.path().join("db_20260101T000000Z.dump")]);
        assert!(!d.path().join("db_20260101T000000Z.dump.sha256").exists());
        assert!(d.path().join("other.dump").exists());
    }
}
