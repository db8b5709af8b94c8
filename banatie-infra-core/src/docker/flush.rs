//! Background write-back of a growing file (for backups and the storage copy).

/// Writes a growing file's data back to the disk while it is still being written, so the
/// final `fsync` of a backup has little left to do.
///
/// Without it, a dump of several hundred MiB sits dirty in the page cache (the kernel
/// writes back after 30 s) and the closing `fsync` writes the last half minute of it at
/// once: seconds to tens of seconds on a slow disk, in series with everything else.
/// With it, a helper thread runs `fdatasync` on a duplicate of the file's descriptor
/// every [`Flusher::EVERY`] bytes, in parallel with the producer (the same idea as
/// PostgreSQL's `backend_flush_after`). The writer never waits for it: a request while
/// the previous one runs is skipped.
///
/// Errors: the first error of a background `fdatasync` is returned by
/// [`Flusher::finish`] (the descriptor is shared, so the final `fsync` might not see it
/// again).
pub(crate) struct Flusher {
    tx: std::sync::mpsc::SyncSender<()>,
    thread: std::thread::JoinHandle<std::io::Result<()>>,
    pub(crate) requested_at: u64,
}

impl Flusher {
    /// Bytes written between two background `fdatasync` calls: 32 MiB.
    pub(crate) const EVERY: u64 = 32 << 20;

    /// Starts the helper thread on a duplicate of `file`'s descriptor.
    pub(crate) fn new(file: &std::fs::File) -> std::io::Result<Self> {
        let file = file.try_clone()?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("backup-flush".into())
            .spawn(move || {
                for () in rx {
                    file.sync_data()?;
                }
                Ok(())
            })?;
        Ok(Self {
            tx,
            thread,
            requested_at: 0,
        })
    }

    /// Tells the flusher that `total` bytes have been written so far.
    pub(crate) fn written(&mut self, total: u64) {
        if total.saturating_sub(self.requested_at) >= Self::EVERY {
            self.requested_at = total;
            let _ = self.tx.try_send(());
        }
    }

    /// Waits for the helper thread; its first error, if any.
    pub(crate) fn finish(self) -> std::io::Result<()> {
        drop(self.tx);
        self.thread
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the flush thread panicked")))
    }
}
