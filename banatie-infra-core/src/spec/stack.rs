//! The stack's identity and host settings (`stack`), the shared reverse proxy (`proxy`)
//! and the Docker networks (`networks`).

use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

use super::yes;
use crate::types::{AbsPath, Name};

/// The stack's identity and host settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// The Compose project name; also the prefix of labels on containers.
    pub name: Name,
    /// The deployment root on the host, where every rendered file goes. Default: `/opt/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<AbsPath>,
    /// The source checkout that app images are built from (their default build context).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<AbsPath>,
    /// Docker's user-namespace remapping (`"userns-remap"` in `/etc/docker/daemon.json`).
    #[serde(default)]
    pub userns_remap: UsernsRemap,
    /// Allow `publish` entries (host ports) on services. Default `false`: all public access
    /// goes through the proxy.
    #[serde(default)]
    pub allow_published_ports: bool,
    /// The host's memory. When given, the memory limits of the long-running services
    /// must add up to no more than it (BI329, a warning); leave room for the kernel,
    /// dockerd and Caddy. Default: not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(example = "4GiB"))]
    pub host_memory: Option<crate::types::ByteSize>,
}

impl Stack {
    /// The deployment root: `root` if set, else `/opt/<name>`.
    pub fn root(&self) -> AbsPath {
        self.root.clone().unwrap_or_else(|| {
            format!("/opt/{}", self.name)
                .parse()
                .expect("a valid name makes a valid path")
        })
    }
}

/// User-namespace remapping of the Docker daemon: container UID `u` is host UID `base + u`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UsernsRemap {
    /// Whether the daemon remaps user namespaces. Default `true` (the seed VPS does).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The first subordinate UID of the `dockremap` user in `/etc/subuid`. Default `165536`.
    #[serde(default = "default_userns_base")]
    pub base: u32,
}

impl Default for UsernsRemap {
    fn default() -> Self {
        Self {
            enabled: true,
            base: default_userns_base(),
        }
    }
}

impl UsernsRemap {
    /// The host UID that container UID `uid` maps to: `base + uid` when enabled, else `uid`.
    ///
    /// ```
    /// use banatie_infra_core::spec::UsernsRemap;
    /// assert_eq!(UsernsRemap::default().host_uid(70), 165_606);
    /// ```
    pub fn host_uid(&self, uid: u32) -> u32 {
        if self.enabled {
            self.base.saturating_add(uid)
        } else {
            uid
        }
    }
}
fn default_userns_base() -> u32 {
    165_536
}

/// The shared Caddy reverse proxy that serves the stack's sites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Proxy {
    /// The external network Caddy and the public services share. Default `proxy-network`.
    #[serde(default = "default_proxy_network")]
    pub network: Name,
    /// Where Caddy writes the stack's access logs (bind-mounted into Caddy at the same
    /// path). Default `<root>/logs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_dir: Option<AbsPath>,
}

impl Default for Proxy {
    fn default() -> Self {
        Self {
            network: default_proxy_network(),
            log_dir: None,
        }
    }
}

fn default_proxy_network() -> Name {
    "proxy-network".parse().expect("valid")
}

/// A Docker network.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// No route to the outside (`internal: true` in Compose). Default `false`.
    #[serde(default)]
    pub internal: bool,
    /// Created outside the stack (for example the proxy's network); never created or
    /// removed by this tool. Default `false`.
    #[serde(default)]
    pub external: bool,
}
