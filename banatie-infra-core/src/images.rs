//! What well-known images ship: which binaries a health check may call, and which images
//! use BusyBox (whose `wget` resolves `localhost` to `::1` first).
//!
//! Facts, with their sources:
//! - `node:*-alpine` has Node.js and BusyBox (`wget`, `sh`), never `curl` (the official
//!   image's Alpine Dockerfile installs no curl).
//! - `node:*-slim` has Node.js and neither `curl` nor `wget`; the full `node:<version>`
//!   (buildpack-deps) image has both.
//! - `alpine` and `busybox` have BusyBox `wget` and no `curl`.
//! - MinIO server images: releases from 2023-11-01 to 2024-03-30 ship no `curl` (longer on
//!   non-amd64), and `:latest` changes under you; every release ships `mc`, whose
//!   `mc ready local` is MinIO's own probe.
//! - `postgres:*` ships `pg_isready` and no `curl`.
//! - `minio/mc` ships `mc` and a shell.

use crate::types::ImageRef;

/// The family of an image, from its repository and tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `node:*-alpine`
    NodeAlpine,
    /// `node:*-slim`
    NodeSlim,
    /// `node:<version>` (Debian, buildpack-deps)
    NodeFull,
    /// `alpine:*` and `busybox:*`
    BusyBox,
    /// A MinIO server image (`minio/minio`, `quay.io/minio/minio`)
    MinioServer,
    /// The MinIO client image (`minio/mc`, `quay.io/minio/mc`)
    MinioClient,
    /// `postgres:*-alpine`
    PostgresAlpine,
    /// `postgres:*` on Debian
    PostgresDebian,
    /// Anything else: what it ships is not known.
    Unknown,
}

/// The family of `image`.
///
/// ```
/// use banatie_infra_core::images::{family, Family};
/// assert_eq!(family(&"node:20-alpine".parse().unwrap()), Family::NodeAlpine);
/// assert_eq!(family(&"quay.io/minio/minio:latest".parse().unwrap()), Family::MinioServer);
/// ```
pub fn family(image: &ImageRef) -> Family {
    let repo = image.repository();
    let repo = repo
        .strip_prefix("docker.io/")
        .unwrap_or(repo)
        .strip_prefix("library/")
        .unwrap_or(repo.strip_prefix("docker.io/").unwrap_or(repo));
    let tag = image.tag().unwrap_or("latest");
    match repo {
        "node" if tag.contains("alpine") => Family::NodeAlpine,
        "node" if tag.contains("slim") => Family::NodeSlim,
        "node" => Family::NodeFull,
        "alpine" | "busybox" => Family::BusyBox,
        "minio/minio" | "quay.io/minio/minio" => Family::MinioServer,
        "minio/mc" | "quay.io/minio/mc" => Family::MinioClient,
        "postgres" if tag.contains("alpine") => Family::PostgresAlpine,
        "postgres" => Family::PostgresDebian,
        _ => Family::Unknown,
    }
}

/// Whether `image` ships the program `binary` (a bare name like `curl`): `Some(true)`,
/// `Some(false)` when it is known to be absent (or absent from some releases of a moving
/// tag), `None` when the image is unknown.
///
/// ```
/// use banatie_infra_core::images::ships;
/// assert_eq!(ships(&"node:20-alpine".parse().unwrap(), "curl"), Some(false));
/// assert_eq!(ships(&"node:20-alpine".parse().unwrap(), "wget"), Some(true));
/// assert_eq!(ships(&"example/api:1".parse().unwrap(), "curl"), None);
/// assert_eq!(ships(&"busybox:1.36".parse().unwrap(), "test"), Some(true));
/// assert_eq!(ships(&"node:20-slim".parse().unwrap(), "pgrep"), Some(false));
/// ```
pub fn ships(image: &ImageRef, binary: &str) -> Option<bool> {
    let has: &[&str] = match family(image) {
        Family::NodeAlpine => &["node", "wget", "sh", "nc"],
        Family::NodeSlim => &["node", "sh"],
        Family::NodeFull => &["node", "curl", "wget", "sh"],
        Family::BusyBox => &["wget", "sh", "nc"],
        Family::MinioServer => &["minio", "mc", "sh"],
        Family::MinioClient => &["mc", "sh"],
        Family::PostgresAlpine => &["pg_isready", "psql", "sh", "wget"],
        Family::PostgresDebian => &["pg_isready", "psql", "sh"],
        Family::Unknown => return None,
    };
    let binary = binary.rsplit('/').next().unwrap_or(binary);
    let busybox = matches!(
        family(image),
        Family::NodeAlpine | Family::BusyBox | Family::PostgresAlpine
    );
    let debian = matches!(
        family(image),
        Family::NodeSlim | Family::NodeFull | Family::PostgresDebian
    );
    Some(
        has.contains(&binary)
            || COREUTILS.contains(&binary)
            || ((busybox || debian) && binary == "grep")
            || (busybox && BUSYBOX_EXTRA.contains(&binary)),
    )
}

/// Programs of GNU coreutils that every known image ships: BusyBox has them as applets
/// (Alpine, `busybox:*`), Debian's `coreutils` is Essential (the `node` and `postgres`
/// images), and the MinIO images' UBI micro base has `coreutils-single`.
const COREUTILS: &[&str] = &[
    "test", "[", "cat", "echo", "true", "false", "ls", "sleep", "env", "printf", "head", "tail",
    "stat", "touch", "mkdir", "rm", "date", "id",
];

/// BusyBox applets beyond coreutils and `grep` that its images have (procps's are not in
/// Debian's slim images).
const BUSYBOX_EXTRA: &[&str] = &["ps", "pgrep", "pidof", "kill"];

/// The program an automatic HTTP health check (`probe: auto`) calls for an app whose final
/// stage is based on `image`: the first of `node`, `wget`, `curl` that [`ships`] says is
/// there. `None` when the image is unknown or known to ship none of them.
///
/// ```
/// use banatie_infra_core::images::http_probe;
/// assert_eq!(http_probe(&"node:20-alpine".parse().unwrap()), Some("node"));
/// assert_eq!(http_probe(&"alpine:3.20".parse().unwrap()), Some("wget"));
/// assert_eq!(http_probe(&"quay.io/minio/minio".parse().unwrap()), None);
/// assert_eq!(http_probe(&"example/api:1".parse().unwrap()), None);
/// ```
pub fn http_probe(image: &ImageRef) -> Option<&'static str> {
    ["node", "wget", "curl"]
        .into_iter()
        .find(|b| ships(image, b) == Some(true))
}

/// Whether the image's `wget` and `nc` are BusyBox's, which try `::1` first for
/// `localhost`: a server bound to IPv4 only then never answers the probe.
pub fn is_busybox(image: &ImageRef) -> bool {
    matches!(
        family(image),
        Family::NodeAlpine | Family::BusyBox | Family::PostgresAlpine
    )
}

/// The health-check probe to suggest for `image`, as a short description.
pub fn suggested_probe(image: &ImageRef) -> Option<&'static str> {
    match family(image) {
        Family::NodeAlpine | Family::NodeSlim | Family::NodeFull => Some(
            "[\"CMD\", \"node\", \"-e\", \"fetch('http://127.0.0.1:PORT/PATH').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))\"]",
        ),
        Family::BusyBox => Some("[\"CMD\", \"wget\", \"-q\", \"--spider\", \"http://127.0.0.1:PORT/PATH\"]"),
        Family::MinioServer => Some("[\"CMD\", \"mc\", \"ready\", \"local\"]"),
        Family::PostgresAlpine | Family::PostgresDebian => {
            Some("[\"CMD-SHELL\", \"pg_isready -U \\\"$${POSTGRES_USER}\\\" -d \\\"$${POSTGRES_DB}\\\"\"]")
        }
        Family::MinioClient | Family::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        for (img, fam) in [
            ("node:20-alpine", Family::NodeAlpine),
            ("node:20-alpine3.20", Family::NodeAlpine),
            ("docker.io/library/node:20-alpine", Family::NodeAlpine),
            ("node:20-slim", Family::NodeSlim),
            ("node:20", Family::NodeFull),
            ("node", Family::NodeFull),
            ("alpine:3.20", Family::BusyBox),
            (
                "minio/minio:RELEASE.2024-01-16T16-07-38Z",
                Family::MinioServer,
            ),
            ("quay.io/minio/minio", Family::MinioServer),
            ("minio/mc:latest", Family::MinioClient),
            ("postgres:15-alpine", Family::PostgresAlpine),
            ("postgres:15", Family::PostgresDebian),
            ("example/api:1.4.2", Family::Unknown),
        ] {
            assert_eq!(family(&img.parse().unwrap()), fam, "{img}");
        }
    }

    #[test]
    fn curl_is_absent_where_reported() {
        for img in [
            "node:20-alpine",
            "quay.io/minio/minio:latest",
            "postgres:15-alpine",
            "alpine:3",
        ] {
            assert_eq!(ships(&img.parse().unwrap(), "curl"), Some(false), "{img}");
        }
        assert_eq!(
            ships(&"node:20".parse().unwrap(), "/usr/bin/curl"),
            Some(true)
        );
        assert_eq!(
            ships(&"quay.io/minio/minio".parse().unwrap(), "mc"),
            Some(true)
        );
    }
}
