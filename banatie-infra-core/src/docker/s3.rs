//! Reading a bucket through the S3 API (SigV4 presigned requests from `rusty-s3`, HTTP
//! from `ureq`) into a tar archive. Blocking: run it on a blocking thread.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc::Sender;
use std::time::Duration;

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use sha2::{Digest, Sha256};

use super::backup_error::BackupError;

/// Hashes and counts what passes through it.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
    progress: Sender<u64>,
    flusher: super::flush::Flusher,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        self.flusher.written(self.bytes);
        let _ = self.progress.send(self.bytes);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn storage(e: impl std::fmt::Display) -> BackupError {
    BackupError::Storage(e.to_string())
}

/// Lists every object of `bucket` (ListObjectsV2, paginated) and appends each to a tar
/// archive in `tmp` as `<key>` (streamed, never held in memory). Returns the file, its
/// SHA-256 and size. The file is fsynced.
pub(crate) fn copy_bucket(
    endpoint: &str,
    bucket: &str,
    user: &str,
    password: &str,
    tmp: tempfile::NamedTempFile,
    tmp_path: &Path,
    progress: Sender<u64>,
) -> Result<(tempfile::NamedTempFile, String, u64), BackupError> {
    let url = endpoint.parse().map_err(storage)?;
    let b = Bucket::new(url, UrlStyle::Path, bucket.to_owned(), "us-east-1").map_err(storage)?;
    let client = Client {
        bucket: b,
        creds: Credentials::new(user, password),
        agent: ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(3600)))
            .http_status_as_error(false)
            .build()
            .into(),
        expires: Duration::from_secs(600),
    };
    let mut archive = tar::Builder::new(hashing_writer(&tmp, tmp_path, progress)?);
    let mut token: Option<String> = None;
    loop {
        let parsed = client.list_page(bucket, token.as_deref())?;
        for obj in &parsed.contents {
            client.append_object(&mut archive, obj, tmp_path)?;
        }
        match parsed.next_continuation_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => break,
        }
    }
    let (sha, bytes) = finish(archive, tmp_path)?;
    Ok((tmp, sha, bytes))
}

/// The bucket, credentials and HTTP agent of one copy, and how long a presigned request
/// stays valid.
struct Client {
    bucket: Bucket,
    creds: Credentials,
    agent: ureq::Agent,
    expires: Duration,
}

impl Client {
    /// One page of the listing, from the continuation `token` of the previous one.
    fn list_page(
        &self,
        bucket: &str,
        token: Option<&str>,
    ) -> Result<rusty_s3::actions::ListObjectsV2Response, BackupError> {
        let mut list = self.bucket.list_objects_v2(Some(&self.creds));
        if let Some(t) = token {
            list.with_continuation_token(t.to_owned());
        }
        let resp = self
            .agent
            .get(list.sign(self.expires).as_str())
            .call()
            .map_err(storage)?;
        let status = resp.status();
        let body = resp.into_body().read_to_string().map_err(storage)?;
        if !status.is_success() {
            return Err(storage(format!(
                "listing bucket `{bucket}` answered {status}: {}",
                body.chars().take(300).collect::<String>()
            )));
        }
        rusty_s3::actions::ListObjectsV2::parse_response(body.as_bytes()).map_err(storage)
    }

    /// Streams one listed object into the archive as a regular file named by its key.
    fn append_object<W: Write>(
        &self,
        archive: &mut tar::Builder<W>,
        obj: &rusty_s3::actions::list_objects_v2::ListObjectsContent,
        tmp_path: &Path,
    ) -> Result<(), BackupError> {
        // `encoding-type=url` keys are form-encoded: S3 writes a space as `+` and a
        // plus as `%2B` (botocore decodes them with `unquote_plus`).
        let key = percent_encoding::percent_decode_str(&obj.key.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned();
        let get = self.bucket.get_object(Some(&self.creds), &key);
        let resp = self
            .agent
            .get(get.sign(self.expires).as_str())
            .call()
            .map_err(storage)?;
        if !resp.status().is_success() {
            return Err(storage(format!(
                "reading `{key}` answered {}",
                resp.status()
            )));
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(obj.size);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        let reader = resp.into_body().into_reader();
        archive
            .append_data(&mut header, &key, reader)
            .map_err(|source| io_error(tmp_path, source))
    }
}

/// An I/O failure on the archive at `tmp_path`.
fn io_error(tmp_path: &Path, source: std::io::Error) -> BackupError {
    BackupError::Io {
        path: tmp_path.to_owned(),
        source,
    }
}

/// A buffered, hashing, counting writer over a second handle to `tmp`, which reports
/// the bytes written so far to `progress`.
fn hashing_writer(
    tmp: &tempfile::NamedTempFile,
    tmp_path: &Path,
    progress: Sender<u64>,
) -> Result<HashingWriter<std::io::BufWriter<std::fs::File>>, BackupError> {
    let file = tmp
        .as_file()
        .try_clone()
        .map_err(|source| io_error(tmp_path, source))?;
    let flusher = super::flush::Flusher::new(&file).map_err(|source| io_error(tmp_path, source))?;
    Ok(HashingWriter {
        inner: std::io::BufWriter::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
        bytes: 0,
        progress,
        flusher,
    })
}

/// Finishes the archive, flushes and fsyncs the file; returns its SHA-256 (hex) and size.
fn finish(
    archive: tar::Builder<HashingWriter<std::io::BufWriter<std::fs::File>>>,
    tmp_path: &Path,
) -> Result<(String, u64), BackupError> {
    let mut writer = archive
        .into_inner()
        .map_err(|source| io_error(tmp_path, source))?;
    writer
        .flush()
        .map_err(|source| io_error(tmp_path, source))?;
    let HashingWriter {
        inner,
        hasher,
        bytes,
        flusher,
        ..
    } = writer;
    flusher
        .finish()
        .map_err(|source| io_error(tmp_path, source))?;
    let file = inner
        .into_inner()
        .map_err(|e| io_error(tmp_path, e.into_error()))?;
    file.sync_all()
        .map_err(|source| io_error(tmp_path, source))?;
    let sha: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((sha, bytes))
}
