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
    let creds = Credentials::new(user, password);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(3600)))
        .http_status_as_error(false)
        .build()
        .into();
    let expires = Duration::from_secs(600);
    let file = tmp
        .as_file()
        .try_clone()
        .map_err(|source| BackupError::Io {
            path: tmp_path.to_owned(),
            source,
        })?;
    let flusher = super::flush::Flusher::new(&file).map_err(|source| BackupError::Io {
        path: tmp_path.to_owned(),
        source,
    })?;
    let writer = HashingWriter {
        inner: std::io::BufWriter::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
        bytes: 0,
        progress,
        flusher,
    };
    let mut archive = tar::Builder::new(writer);
    let mut token: Option<String> = None;
    loop {
        let mut list = b.list_objects_v2(Some(&creds));
        if let Some(t) = &token {
            list.with_continuation_token(t.clone());
        }
        let resp = agent
            .get(list.sign(expires).as_str())
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
        let parsed =
            rusty_s3::actions::ListObjectsV2::parse_response(body.as_bytes()).map_err(storage)?;
        for obj in &parsed.contents {
            // `encoding-type=url` keys are form-encoded: S3 writes a space as `+` and a
            // plus as `%2B` (botocore decodes them with `unquote_plus`).
            let key = percent_encoding::percent_decode_str(&obj.key.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            let get = b.get_object(Some(&creds), &key);
            let resp = agent
                .get(get.sign(expires).as_str())
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
                .map_err(|source| BackupError::Io {
                    path: tmp_path.to_owned(),
                    source,
                })?;
        }
        match parsed.next_continuation_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => break,
        }
    }
    let mut writer = archive.into_inner().map_err(|source| BackupError::Io {
        path: tmp_path.to_owned(),
        source,
    })?;
    writer.flush().map_err(|source| BackupError::Io {
        path: tmp_path.to_owned(),
        source,
    })?;
    let HashingWriter {
        inner,
        hasher,
        bytes,
        flusher,
        ..
    } = writer;
    flusher.finish().map_err(|source| BackupError::Io {
        path: tmp_path.to_owned(),
        source,
    })?;
    let file = inner.into_inner().map_err(|e| BackupError::Io {
        path: tmp_path.to_owned(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(|source| BackupError::Io {
        path: tmp_path.to_owned(),
        source,
    })?;
    let sha: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((tmp, sha, bytes))
}
