//! Container image references ([`ImageRef`]): the Docker distribution reference grammar,
//! and the parts of a reference (repository, tag, digest) the renderer and the health
//! checks look at.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{invalid, string_newtype, InvalidValue};

fn check_image(s: &str) -> Result<(), String> {
    let rule = "an image reference is [registry/]name[:tag][@digest]: lowercase name components of a-z, 0-9, `.`, `_`, `-` separated by `/`; a tag of up to 128 characters of A-Z, a-z, 0-9, `_`, `.`, `-` (Docker distribution reference grammar)";
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(alg, hex)| {
            !alg.is_empty() && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !ok {
            return Err(rule.into());
        }
    }
    // A tag is after the last `:` that follows the last `/`.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
        if !ok {
            return Err(rule.into());
        }
    }
    let mut components = name.split('/').peekable();
    let mut first = true;
    while let Some(c) = components.next() {
        // The first component may be a registry host with a port.
        let is_host = first
            && components.peek().is_some()
            && (c.contains('.') || c.contains(':') || c == "localhost");
        first = false;
        let ok = if is_host {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':')
        } else {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'.'
                        || b == b'_'
                        || b == b'-'
                })
                && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
        };
        if !ok {
            return Err(rule.into());
        }
    }
    Ok(())
}

string_newtype!(
    /// A container image reference, `[registry/]name[:tag][@digest]`, checked against the
    /// Docker distribution reference grammar (lowercase name components, a tag of at most
    /// 128 characters).
    ///
    /// ```
    /// use banatie_infra_core::types::ImageRef;
    /// let img: ImageRef = "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z".parse().unwrap();
    /// assert_eq!(img.repository(), "quay.io/minio/minio");
    /// assert_eq!(img.tag(), Some("RELEASE.2025-04-22T22-12-26Z"));
    /// assert!("Node:20".parse::<ImageRef>().is_err());
    /// ```
    ImageRef,
    "image reference",
    check_image,
    None,
    "A container image reference: [registry/]name[:tag][@digest]."
);

impl ImageRef {
    /// The reference without tag and digest, for example `quay.io/minio/minio`.
    pub fn repository(&self) -> &str {
        let rest = self.0.split('@').next().unwrap_or(&self.0);
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[last_slash..].rfind(':') {
            Some(i) => &rest[..last_slash + i],
            None => rest,
        }
    }

    /// The tag, if one is written; `None` means Docker's implicit `latest`.
    pub fn tag(&self) -> Option<&str> {
        let rest = self.0.split('@').next().unwrap_or(&self.0);
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        rest[last_slash..]
            .rfind(':')
            .map(|i| &rest[last_slash + i + 1..])
    }

    /// Whether the image is pinned by a digest (`@sha256:...`).
    pub fn has_digest(&self) -> bool {
        self.0.contains('@')
    }

    /// The registry the image is pulled from ([`registry_of`]).
    pub fn registry(&self) -> &str {
        registry_of(&self.0)
    }

    /// The last path component of the repository, for example `minio` for
    /// `quay.io/minio/minio` and `node` for `node:20-alpine`.
    pub fn short_name(&self) -> &str {
        let repo = self.repository();
        repo.rsplit('/').next().unwrap_or(repo)
    }
}

/// Docker Hub's registry host, as [`registry_of`] names it.
pub const DOCKER_HUB: &str = "docker.io";

/// The registry host (with its port) of an image reference, by the rule of Docker's
/// reference parser (`distribution/reference`'s `splitDockerDomain`): the first `/`-separated
/// component is a registry when it contains a `.` or a `:`, is `localhost`, or has an
/// uppercase letter, and another component follows; otherwise the image is on Docker Hub
/// ([`DOCKER_HUB`]).
///
/// ```
/// use banatie_infra_core::types::image::registry_of;
/// assert_eq!(registry_of("postgres:16.4-bookworm"), "docker.io");
/// assert_eq!(registry_of("minio/minio"), "docker.io");
/// assert_eq!(registry_of("127.0.0.1:5000/api:1.2"), "127.0.0.1:5000");
/// assert_eq!(registry_of("localhost/app"), "localhost");
/// assert_eq!(registry_of("ghcr.io/acme/api@sha256:0123456789abcdef0123456789abcdef"), "ghcr.io");
/// ```
pub fn registry_of(reference: &str) -> &str {
    match reference.split_once('/') {
        Some((first, _))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            first
        }
        _ => DOCKER_HUB,
    }
}

/// The reference to ask the engine to pull: `reference` itself when it has a tag or a
/// digest, else with Docker's implicit `:latest` (the Engine API's `POST /images/create`
/// pulls every tag of a repository given without one).
pub fn pull_reference(reference: &str) -> String {
    let rest = reference.split('@').next().unwrap_or(reference);
    let last = rest.rsplit('/').next().unwrap_or(rest);
    if reference.contains('@') || last.contains(':') {
        reference.to_owned()
    } else {
        format!("{reference}:latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_reference_adds_latest_only_when_untagged() {
        assert_eq!(pull_reference("postgres"), "postgres:latest");
        assert_eq!(
            pull_reference("127.0.0.1:5000/api"),
            "127.0.0.1:5000/api:latest"
        );
        assert_eq!(
            pull_reference("127.0.0.1:5000/api:v2"),
            "127.0.0.1:5000/api:v2"
        );
        let pinned = "ghcr.io/a/b@sha256:0123456789abcdef0123456789abcdef";
        assert_eq!(pull_reference(pinned), pinned);
    }

    #[test]
    fn images() {
        let cases = [
            ("node:20-alpine", "node", Some("20-alpine")),
            ("postgres:15-alpine", "postgres", Some("15-alpine")),
            (
                "quay.io/minio/minio:latest",
                "quay.io/minio/minio",
                Some("latest"),
            ),
            ("minio/mc", "minio/mc", None),
            ("localhost:5000/app:1.0", "localhost:5000/app", Some("1.0")),
        ];
        for (s, repo, tag) in cases {
            let i: ImageRef = s.parse().unwrap();
            assert_eq!(i.repository(), repo, "{s}");
            assert_eq!(i.tag(), tag, "{s}");
        }
        for bad in ["Node:20", "node:", "node:-x", "a b", "node@sha256:zz"] {
            assert!(bad.parse::<ImageRef>().is_err(), "{bad}");
        }
    }
}
