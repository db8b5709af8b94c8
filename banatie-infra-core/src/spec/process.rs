//! The kinds that run a program of the user's rather than a server the tool knows: the
//! `worker` kind (a background process: a queue consumer, a scheduler; no port, no site)
//! and the generic `service` kind (any image: a cache, a search engine, a third-party
//! server), and the process settings they share with `app` (appended by
//! [`process_kind!`]): `entrypoint`, `command`, `user`, `working_dir`, a read-only root
//! filesystem, `tmpfs` mounts and capabilities.
//!
//! Neither kind has an HTTP probe the tool could derive, so each says how its health is
//! checked: `health.exec` (a command the image ships, exit 0 when healthy) or
//! `health.none` with the reason (BI332).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

use super::{Build, Condition, HealthTiming, Mount, PublishedPort, RestartPolicy};
use crate::types::{EnvName, ImageRef, Name, Port, UrlPath};

/// Appends the process settings of `app`, `worker` and `service` (see the module docs)
/// to a kind's struct, then the settings every kind has ([`service_kind!`]).
macro_rules! process_kind {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty,)* }) => {
        crate::spec::services::service_kind! {
        $(#[$m])*
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
            /// Overrides the image's `ENTRYPOINT`, exec form (no shell: each item is one
            /// argument). Default: the image's.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub entrypoint: Option<Vec<String>>,
            /// Overrides the image's `CMD`, exec form, for example
            /// `["celery", "-A", "shop", "worker"]`. Default: the image's.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub command: Option<Vec<String>>,
            /// The user the process runs as (Compose `user`: `UID`, `UID:GID` or a name
            /// the image knows). Default: the image's `USER`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub user: Option<crate::spec::ProcessUser>,
            /// The working directory (Compose `working_dir`). Default: the image's.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub working_dir: Option<crate::types::AbsPath>,
            /// Mount the container's root filesystem read-only (Compose `read_only`);
            /// give the paths it writes as `tmpfs` or `volumes`. Default `false`.
            #[serde(default, skip_serializing_if = "std::ops::Not::not")]
            pub read_only: bool,
            /// In-memory mounts (Compose `tmpfs`), for example `/tmp`. Default: none.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub tmpfs: Vec<crate::types::AbsPath>,
            /// Linux capabilities to drop (Compose `cap_drop`), for example `[ALL]`.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub cap_drop: Vec<crate::spec::Capability>,
            /// Linux capabilities to add back (Compose `cap_add`), for example
            /// `[NET_BIND_SERVICE]`.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub cap_add: Vec<crate::spec::Capability>,
        }
        }
    };
}
pub(crate) use process_kind;

/// The process settings of one service (see the module docs), borrowed from its kind's
/// struct by [`super::Service::process`].
#[derive(Debug, Clone, Copy)]
pub struct ProcessSettings<'a> {
    /// `entrypoint`, exec form.
    pub entrypoint: Option<&'a [String]>,
    /// `command`, exec form.
    pub command: Option<&'a [String]>,
    /// `user`.
    pub user: Option<&'a str>,
    /// `working_dir`.
    pub working_dir: Option<&'a crate::types::AbsPath>,
    /// `read_only`.
    pub read_only: bool,
    /// `tmpfs`.
    pub tmpfs: &'a [crate::types::AbsPath],
    /// `cap_drop`.
    pub cap_drop: &'a [Capability],
    /// `cap_add`.
    pub cap_add: &'a [Capability],
}

/// The [`ProcessSettings`] of a struct made by [`process_kind!`].
macro_rules! process_settings {
    ($s:expr) => {
        crate::spec::ProcessSettings {
            entrypoint: $s.entrypoint.as_deref(),
            command: $s.command.as_deref(),
            user: $s.user.as_ref().map(crate::spec::ProcessUser::as_str),
            working_dir: $s.working_dir.as_ref(),
            read_only: $s.read_only,
            tmpfs: &$s.tmpfs,
            cap_drop: &$s.cap_drop,
            cap_add: &$s.cap_add,
        }
    };
}
pub(crate) use process_settings;

/// A Linux capability as Docker names it: `ALL`, or one of the kernel's capabilities
/// (`NET_BIND_SERVICE`, `CHOWN`). Written in any case, with or without the `CAP_` prefix,
/// as Docker accepts it (moby `oci/caps`); held upper-case without the prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(transparent)]
pub struct Capability(
    #[cfg_attr(
        feature = "schema",
        schemars(regex(pattern = r"^([Cc][Aa][Pp]_)?[A-Za-z][A-Za-z0-9_]*$"))
    )]
    String,
);

/// The capabilities of Linux 6.x (`include/uapi/linux/capability.h`), which Docker knows.
pub const CAPABILITIES: &[&str] = &[
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "PERFMON",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYSLOG",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "WAKE_ALARM",
];

impl Capability {
    /// The name, upper-case, without `CAP_`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Capability {
    type Err = crate::types::InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
        if name == "ALL" || CAPABILITIES.contains(&name) {
            return Ok(Self(name.to_owned()));
        }
        let hint = crate::rules::closest(
            name,
            CAPABILITIES.iter().copied().chain(["ALL"]),
            "a capability is `ALL` or one of Linux's: NET_BIND_SERVICE, CHOWN, SETUID, SETGID, DAC_OVERRIDE, ...".into(),
        );
        Err(crate::types::invalid("capability", s, hint))
    }
}

/// The user a process runs as (Compose `user`): `USER`, `USER:GROUP`, each a number or a
/// name (letters, digits, `_`, `.`, `-`; not starting with `-`), as Docker's
/// `--user` reads it. No blank, no second `:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(transparent)]
pub struct ProcessUser(
    #[cfg_attr(
        feature = "schema",
        schemars(regex(
            pattern = r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$"
        ))
    )]
    String,
);

impl ProcessUser {
    /// The user as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The numeric UID, when the user part is a number.
    pub fn uid(&self) -> Option<u32> {
        self.0.split(':').next()?.parse().ok()
    }
}

impl std::str::FromStr for ProcessUser {
    type Err = crate::types::InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let part = |p: &str| {
            !p.is_empty()
                && !p.starts_with('-')
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        };
        let mut parts = s.split(':');
        let ok = parts.next().is_some_and(part)
            && parts.next().is_none_or(part)
            && parts.next().is_none();
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(crate::types::invalid(
                "user",
                s,
                "a user is `UID`, `UID:GID`, `NAME` or `NAME:GROUP` (letters, digits, `_`, `.`, `-`), for example `\"1000:1000\"`",
            ))
        }
    }
}

impl<'de> Deserialize<'de> for ProcessUser {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Capability {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

process_kind! {
/// A background process built from the source checkout (or a given image): a queue
/// consumer, a scheduler, a bot. It listens on no port and takes no site; its health is
/// `health.exec` or `health.none` (BI332).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WorkerService {
    /// How to build the image. Either `build` or `image` is required (BI113).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    /// The image to run (or the tag to give the built image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageRef>,
    /// The image the final stage is based on; it decides which binaries `health.exec` may
    /// call (BI301). Default: `image` when not built; unknown otherwise (not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<ImageRef>,
    /// The UID the process runs as inside the container: the owner given to its
    /// `volumes` by `prepare-host.sh`. Default: not set (the directories stay root's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Bind mounts of directories under the deployment root.
    #[serde(default)]
    pub volumes: Vec<Mount>,
    /// Restart policy. Default `unless-stopped`.
    #[serde(default)]
    pub restart: RestartPolicy,
}
}

process_kind! {
/// Any other long-running image (a cache, a search engine, a third-party server), run as
/// its image says, with the settings given here. A site may route to its `port`; its
/// health is `health.exec`, `health.none` (BI332), or an HTTP probe when `health_path`
/// is given and the image ships a client (`wget`, `curl`, `node`; BI301).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GenericService {
    /// The image. Pin a release (BI303).
    pub image: ImageRef,
    /// The port it listens on inside the container, when a site or another service
    /// reaches it. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Port>,
    /// The path an HTTP health check requests on `port` (it must answer 2xx), with a
    /// client the image ships. Default: no HTTP check (give `health.exec` or
    /// `health.none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_path: Option<UrlPath>,
    /// The UID the process runs as: the owner given to its `volumes` by
    /// `prepare-host.sh`. Default: not set (the directories stay root's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Bind mounts of directories under the deployment root.
    #[serde(default)]
    pub volumes: Vec<Mount>,
    /// Restart policy. Default `unless-stopped`.
    #[serde(default)]
    pub restart: RestartPolicy,
}
}
