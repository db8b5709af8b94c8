//! Releases: what each `deploy`, `up` or `rollback` that changed the stack left running,
//! recorded on the host, and `rollback` to one of them through the start-first path.
//!
//! A release is `<root>/releases/<id>.json` (mode 0644, written atomically through the
//! root's jail; no secret value is in it): its id (`YYYYMMDDTHHMMSSZ`, UTC, with `-2`,
//! `-3`, ... when two fall in one second), when, who (`SUDO_USER`, `USER` or `LOGNAME`, and
//! the host), the verb, the SHA-256 of the spec (its JSON), the spec itself, and per
//! service the image reference it ran, the image ID and the registry digests. Each
//! service's image is also tagged `banatie-release/<stack>/<service>:<id>` on the engine,
//! so a moving tag (`api:latest`, a rebuilt `shop-api`) can never take the release's image
//! away: `rollback` runs those tags. The newest [`DEFAULT_KEEP`] releases are kept; older
//! records are removed and their tags untagged (the engine removes an image once no tag
//! and no container holds it).

use std::collections::BTreeMap;
use std::path::Path;

use bollard::query_parameters::{RemoveImageOptionsBuilder, TagImageOptionsBuilder};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::status::find;
use super::up::{up, Plan, UpError, UpEvent, UpOptions};
use super::{DockerError, Engine};
use crate::jail::{Node, Root};
use crate::spec::Spec;

/// The directory of the release records, under the deployment root.
pub const RELEASES_DIR: &str = "releases";
/// How many releases are kept (records and image tags): 5.
pub const DEFAULT_KEEP: usize = 5;
/// The local repository the release images are tagged in.
pub const RELEASE_REPOSITORY: &str = "banatie-release";

/// One service's image in a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseImage {
    /// The reference the container was created from (the spec's, or a release tag).
    pub image: String,
    /// The image ID (`sha256:...`).
    pub image_id: String,
    /// The registry digests of the image (`repo@sha256:...`), empty for a local build.
    pub digests: Vec<String>,
    /// The release tag that keeps the image (`banatie-release/<stack>/<service>:<id>`).
    pub pin: String,
}

/// A release record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// The id: `YYYYMMDDTHHMMSSZ` (UTC), with a `-N` suffix when one second holds two.
    pub id: String,
    /// Seconds since the Unix epoch.
    pub created: u64,
    /// The user who ran it (`SUDO_USER`, `USER`, `LOGNAME`, else the UID).
    pub who: String,
    /// The host it ran on.
    pub host: String,
    /// `deploy`, `up` or `rollback`.
    pub verb: String,
    /// For a rollback, the release it returned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<String>,
    /// SHA-256 (hex) of the spec's JSON.
    pub spec_hash: String,
    /// Each service's image, by service name.
    pub services: BTreeMap<String, ReleaseImage>,
    /// The spec the release ran, as JSON.
    pub spec: serde_json::Value,
}

/// Why the releases cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// A release file is unreadable or not a release.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file, relative to the root.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// No release has this id.
    #[error("no release `{0}` under the root: `banatie-infra releases SPEC` lists them")]
    Unknown(String),
    /// Nothing to roll back to.
    #[error("{0}")]
    Nothing(String),
    /// The engine or the rollout failed.
    #[error(transparent)]
    Up(#[from] UpError),
}

/// The releases recorded under `root`, oldest first (none when the directory is missing).
pub fn releases(root: &Path) -> Result<Vec<Release>, ReleaseError> {
    let dir = root.join(RELEASES_DIR);
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(ReleaseError::Invalid {
                path: RELEASES_DIR.into(),
                reason: e.to_string(),
            })
        }
    };
    names.sort();
    let jail = Root::open(root).map_err(|e| ReleaseError::Invalid {
        path: ".".into(),
        reason: e.to_string(),
    })?;
    let mut out = Vec::new();
    for n in names {
        let rel = format!("{RELEASES_DIR}/{n}");
        let invalid = |reason: String| ReleaseError::Invalid {
            path: rel.clone(),
            reason,
        };
        let text = match jail.read(&rel, crate::jail::READ_LIMIT) {
            Ok(Node::File { contents, .. }) => contents,
            Ok(_) => return Err(invalid("not a regular file".into())),
            Err(e) => return Err(invalid(e.to_string())),
        };
        let r: Release = serde_json::from_slice(&text).map_err(|e| invalid(e.to_string()))?;
        out.push(r);
    }
    out.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    Ok(out)
}

/// Who runs this: `SUDO_USER`, `USER`, `LOGNAME`, else `uid <n>`.
fn who() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata("/proc/self")
                .map_or_else(|_| "unknown user".into(), |m| format!("uid {}", m.uid()))
        })
}

/// A fresh release id under `root`.
fn new_id(root: &Path) -> String {
    let base = super::backup::utc_stamp();
    let taken = |id: &str| root.join(RELEASES_DIR).join(format!("{id}.json")).exists();
    let mut id = base.clone();
    let mut n = 2;
    while taken(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// The release tag of `service` in release `id` of `stack`.
pub fn pin(stack: &str, service: &str, id: &str) -> String {
    format!("{RELEASE_REPOSITORY}/{stack}/{service}:{id}")
}

/// Records what runs now as a new release (tagging each service's image with its pin),
/// then keeps the newest `keep` releases. Called by `up`, `deploy` and `rollback` after a
/// run that changed something.
pub(crate) async fn record(
    engine: &Engine,
    spec: &Spec,
    root: &Path,
    verb: &str,
    rollback_of: Option<&str>,
    keep: usize,
) -> Result<Release, UpError> {
    let stack = spec.stack.name.as_str();
    let id = new_id(root);
    let (owned, _) = find(engine, spec).await?;
    let mut services = BTreeMap::new();
    for (name, c) in &owned {
        let Some(image_id) = c.image.clone() else {
            continue;
        };
        let image = c
            .config
            .as_ref()
            .and_then(|c| c.image.clone())
            .unwrap_or_else(|| image_id.clone());
        let digests = engine
            .docker
            .inspect_image(&image_id)
            .await
            .ok()
            .and_then(|i| i.repo_digests)
            .unwrap_or_default();
        let pin = pin(stack, name, &id);
        let (repo, tag) = pin.rsplit_once(':').expect("a pin has a tag");
        engine
            .docker
            .tag_image(
                &image_id,
                Some(
                    TagImageOptionsBuilder::default()
                        .repo(repo)
                        .tag(tag)
                        .build(),
                ),
            )
            .await
            .map_err(DockerError::api)?;
        services.insert(
            name.clone(),
            ReleaseImage {
                image,
                image_id,
                digests,
                pin,
            },
        );
    }
    let spec_json = serde_json::to_value(spec).expect("a spec serializes");
    let spec_hash = hex(&sha2::Sha256::digest(
        serde_json::to_vec(&spec_json).expect("JSON"),
    ));
    let release = Release {
        id: id.clone(),
        created: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        who: who(),
        host: crate::lock::host_name(),
        verb: verb.into(),
        rollback_of: rollback_of.map(ToOwned::to_owned),
        spec_hash,
        services,
        spec: spec_json,
    };
    let body = serde_json::to_vec_pretty(&release).expect("a release serializes");
    let io = |e: crate::jail::JailError| UpError::Root {
        path: root.join(RELEASES_DIR),
        reason: e.to_string(),
    };
    Root::open(root)
        .and_then(|r| r.write(&format!("{RELEASES_DIR}/{id}.json"), &body, 0o644))
        .map_err(io)?;
    prune(engine, root, keep).await?;
    Ok(release)
}

/// Removes the records beyond the newest `keep` and untags their images.
async fn prune(engine: &Engine, root: &Path, keep: usize) -> Result<(), UpError> {
    let all = releases(root).map_err(|e| UpError::Root {
        path: root.join(RELEASES_DIR),
        reason: e.to_string(),
    })?;
    let excess = all.len().saturating_sub(keep.max(1));
    for r in all.into_iter().take(excess) {
        for img in r.services.values() {
            // An image a container still runs keeps its other tags; a refusal is fine.
            let _ = engine
                .docker
                .remove_image(
                    &img.pin,
                    Some(RemoveImageOptionsBuilder::default().build()),
                    None,
                )
                .await;
        }
        let path = root.join(RELEASES_DIR).join(format!("{}.json", r.id));
        std::fs::remove_file(&path).map_err(|e| UpError::Root {
            path,
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `rollback` did.
#[derive(Debug, Clone)]
pub struct RollbackReport {
    /// The release returned to.
    pub target: Release,
    /// The plan carried out.
    pub plan: Plan,
    /// The release recorded for the rollback itself; `None` when nothing changed (the
    /// stack already ran the target: no record pushes a real release out).
    pub recorded: Option<Release>,
}

/// Returns the stack to release `id` (default: the one before the newest) through the
/// start-first path of `deploy`: the release's spec is rendered into `root` again (every
/// file but `secrets.env`, which is never changed), then each service runs its release tag
/// (no build, no pull). The caller holds the root's lock. A new release records the
/// rollback.
///
/// Errors: [`ReleaseError::Unknown`], [`ReleaseError::Nothing`] (fewer than two releases),
/// [`ReleaseError::Invalid`] (a record or its spec cannot be read), [`ReleaseError::Up`].
pub async fn rollback(
    engine: &Engine,
    root: &Path,
    id: Option<&str>,
    opts: &UpOptions,
    events: &(dyn Fn(UpEvent) + Send + Sync),
) -> Result<RollbackReport, ReleaseError> {
    let all = releases(root)?;
    let target = match id {
        Some(id) => all
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .ok_or_else(|| ReleaseError::Unknown(id.into()))?,
        None => all.iter().rev().nth(1).cloned().ok_or_else(|| {
            ReleaseError::Nothing(format!(
                "{} release(s) under {}: nothing before the current one to roll back to",
                all.len(),
                root.display()
            ))
        })?,
    };
    let invalid = |reason: String| ReleaseError::Invalid {
        path: format!("{RELEASES_DIR}/{}.json", target.id),
        reason,
    };
    let spec: Spec = serde_json::from_value(target.spec.clone())
        .map_err(|e| invalid(format!("its spec cannot be read: {e}")))?;
    let bundle = crate::render::render(&spec).map_err(|e| invalid(e.to_string()))?;
    let jail = Root::open(root).map_err(|e| invalid(e.to_string()))?;
    crate::bundle::write_in(&bundle, &jail).map_err(|e| invalid(e.to_string()))?;
    // Only what changed is pinned: a service whose spec reference still resolves to the
    // release's image keeps it (no recreate of a database whose image is the same).
    let refs = crate::docker::up::image_refs(&spec);
    let mut pins = std::collections::BTreeMap::new();
    for (s, img) in &target.services {
        let now = match refs.get(s) {
            Some(r) => engine.docker.inspect_image(r).await.ok().and_then(|i| i.id),
            None => None,
        };
        if now.as_deref() != Some(img.image_id.as_str()) {
            pins.insert(s.clone(), img.pin.clone());
        }
    }
    let opts = UpOptions {
        start_first: true,
        pins,
        record: false,
        ..opts.clone()
    };
    let plan = up(engine, &spec, root, &opts, events).await?;
    let recorded = if plan.is_noop() {
        None
    } else {
        let r = record(
            engine,
            &spec,
            root,
            "rollback",
            Some(&target.id),
            opts.keep_releases,
        )
        .await?;
        events(UpEvent::Recorded(r.id.clone()));
        Some(r)
    };
    Ok(RollbackReport {
        target,
        plan,
        recorded,
    })
}
