//! `doctor`: user-namespace remapping and the ownership of bind-mounted data directories.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use super::exec::exec_in;
use super::status::find;
use super::{DockerError, Engine};
use crate::spec::{Service, Spec};

/// One bind-mounted directory and its owner.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DirCheck {
    /// The service that mounts it.
    pub service: String,
    /// The host path.
    pub path: PathBuf,
    /// The UID of the process inside the container.
    pub container_uid: u32,
    /// The host UID it maps to (container UID + base under userns-remap).
    pub expected_uid: u32,
    /// The directory's current owner, `None` when it does not exist.
    pub actual_uid: Option<u32>,
    /// The exact command that fixes it, when it is wrong. Never run by this tool.
    pub fix: Option<String>,
}

/// What `doctor` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DoctorReport {
    /// Whether the daemon runs with userns-remap (`name=userns` in its security options).
    pub userns_remap: bool,
    /// The remap base in effect, and where it came from (`/etc/subuid` or the spec).
    pub base: u32,
    /// `"/etc/subuid"` or `"spec"`.
    pub base_source: String,
    /// A note when the daemon and the spec disagree.
    pub mismatch: Option<String>,
    /// Each writable bind mount of each running container.
    pub dirs: Vec<DirCheck>,
}

impl DoctorReport {
    /// Whether anything needs fixing.
    pub fn has_problems(&self) -> bool {
        self.mismatch.is_some() || self.dirs.iter().any(|d| d.fix.is_some())
    }
}

/// The first subordinate UID of `user` in `/etc/subuid` (`user:start:count`).
pub(crate) fn subuid_base(text: &str, user: &str) -> Option<u32> {
    text.lines().find_map(|l| {
        let mut f = l.trim().split(':');
        (f.next()? == user)
            .then(|| f.next()?.parse().ok())
            .flatten()
    })
}

/// Detects userns-remap from the daemon, reads the base offset from `/etc/subuid` (user
/// `dockremap`, else the spec's), computes the host UID of each container's user (asking
/// the running container with `id -u`, else the spec's UID) and checks the owner of each
/// writable bind-mounted directory. Wrong owners get the exact `chown` to run; this
/// function never changes anything.
pub async fn doctor(engine: &Engine, spec: &Spec) -> Result<DoctorReport, DockerError> {
    let info = engine.docker.info().await.map_err(DockerError::api)?;
    let userns_remap = info
        .security_options
        .unwrap_or_default()
        .iter()
        .any(|o| o.contains("name=userns"));
    let (base, base_source) = match std::fs::read_to_string("/etc/subuid")
        .ok()
        .and_then(|t| subuid_base(&t, "dockremap"))
    {
        Some(b) => (b, "/etc/subuid".to_owned()),
        None => (spec.stack.userns_remap.base, "spec".to_owned()),
    };
    let mismatch = if userns_remap != spec.stack.userns_remap.enabled {
        Some(format!(
            "the daemon {} userns-remap but the spec says `userns_remap.enabled: {}`",
            if userns_remap { "uses" } else { "does not use" },
            spec.stack.userns_remap.enabled
        ))
    } else if userns_remap && base != spec.stack.userns_remap.base {
        Some(format!(
            "the remap base is {base} ({base_source}) but the spec says {}",
            spec.stack.userns_remap.base
        ))
    } else {
        None
    };
    let (owned, _) = find(engine, spec).await?;
    let mut dirs = Vec::new();
    for (name, svc) in &spec.services {
        let Some(c) = owned.get(name.as_str()) else {
            continue;
        };
        let spec_uid = match svc {
            Service::App(a) => Some(a.uid),
            Service::Postgres(p) => Some(p.uid),
            Service::Minio(m) => Some(m.uid),
            Service::Worker(w) => w.uid,
            Service::Generic(g) => g.uid,
            Service::Job(_) => None,
        };
        let running = c.state.as_ref().and_then(|s| s.running).unwrap_or(false);
        let mut uid = spec_uid;
        if running {
            // The user the main process runs as (postgres drops to its own user: ask it).
            let user = match svc {
                Service::Postgres(_) => Some("postgres"),
                _ => None,
            };
            let mut out = Vec::new();
            let argv = vec!["id".to_owned(), "-u".to_owned()];
            if let Ok(0) = exec_in(
                engine,
                c.id.as_deref().unwrap_or_default(),
                &argv,
                user,
                None::<tokio::io::Empty>,
                |_, b| {
                    out.extend_from_slice(b);
                    Ok(())
                },
            )
            .await
            {
                uid = String::from_utf8_lossy(&out).trim().parse().ok().or(uid);
            }
        }
        let Some(container_uid) = uid else { continue };
        let expected_uid = if userns_remap {
            base + container_uid
        } else {
            container_uid
        };
        for m in c.mounts.clone().unwrap_or_default() {
            let is_bind = m.typ.map(|t| t.to_string()) == Some("bind".into());
            if !is_bind || m.rw == Some(false) {
                continue;
            }
            let Some(src) = m.source else { continue };
            let path = PathBuf::from(&src);
            let actual_uid = std::fs::metadata(&path)
                .ok()
                .filter(|md| md.is_dir())
                .map(|md| md.uid());
            if actual_uid.is_none() && path.exists() {
                continue; // a file mount
            }
            let fix = (actual_uid != Some(expected_uid))
                .then(|| format!("sudo chown -R {expected_uid}:{expected_uid} {src}"));
            dirs.push(DirCheck {
                service: name.to_string(),
                path,
                container_uid,
                expected_uid,
                actual_uid,
                fix,
            });
        }
    }
    Ok(DoctorReport {
        userns_remap,
        base,
        base_source,
        mismatch,
        dirs,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn subuid() {
        let t = "root:100000:65536\ndockremap:165536:65536\n";
        assert_eq!(super::subuid_base(t, "dockremap"), Some(165_536));
        assert_eq!(super::subuid_base(t, "nobody"), None);
    }
}
