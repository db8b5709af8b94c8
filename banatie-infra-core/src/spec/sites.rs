//! Public sites served by the shared Caddy (`sites`): domains, security headers, CORS,
//! caching, allowed methods and access logs; and the extra endpoints monitoring requests
//! (`monitoring`).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

use crate::header::{HeaderName, HeaderValue};
use crate::types::{ByteSize, Domain, Duration, Name, Port, RelPath, UrlPath};

/// A public site: domains that Caddy routes to one service port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// The domains of the site block; the first is the canonical one.
    pub domains: Vec<Domain>,
    /// The service this site proxies to.
    pub service: Name,
    /// The service port. Default: the service's main port (an app's `port`, MinIO's
    /// `api_port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Port>,
    /// A preset of security headers. Default `none`.
    #[serde(default)]
    pub security_headers: HeaderPreset,
    /// More response headers, set after the preset's and the CORS ones (which they may
    /// override): names are RFC 9110 tokens, each set once in any case (BI407), values
    /// have no control characters and no `{` or `}` (Caddy placeholders).
    #[serde(default)]
    pub headers: IndexMap<HeaderName, HeaderValue>,
    /// Cross-origin access for browsers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors: Option<Cors>,
    /// `Cache-Control` by path.
    #[serde(default)]
    pub cache: Vec<CacheRule>,
    /// The HTTP methods passed upstream; others get 405. Default: all. A site in front of
    /// an S3 API must list only read methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<Method>>,
    /// The JSON access log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log: Option<AccessLog>,
    /// The path monitoring requests on this site; it must answer 200. Default: the
    /// service's health path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_path: Option<UrlPath>,
    /// How long Caddy keeps retrying a request whose upstream refuses the connection or
    /// does not resolve (`reverse_proxy` `lb_try_duration`), so a restart or a
    /// recreated container costs a short wait instead of 502s. Caddy's own default is 0
    /// (no retry; BI414). Default `10s`.
    #[serde(default = "default_lb_try_duration")]
    pub lb_try_duration: Duration,
    /// Time between those retries (`lb_try_interval`). Default `250ms` (Caddy's).
    #[serde(default = "default_lb_try_interval")]
    pub lb_try_interval: Duration,
}

fn default_lb_try_duration() -> Duration {
    Duration::from_secs(10)
}
fn default_lb_try_interval() -> Duration {
    "250ms".parse().expect("valid")
}

/// Security-header presets, from the seed's site blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HeaderPreset {
    /// No security headers.
    #[default]
    None,
    /// A public web page: HSTS with `includeSubDomains; preload`, `nosniff`, frames
    /// denied, `X-XSS-Protection`, `Referrer-Policy: strict-origin-when-cross-origin`.
    Web,
    /// An API: HSTS with `includeSubDomains`, `nosniff`, frames denied, `X-XSS-Protection`.
    Api,
    /// An admin console: HSTS, `nosniff`, frames from the same origin only.
    Console,
}

/// CORS response headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Cors {
    /// Allowed origin: `*` or one origin. Default `*`.
    #[serde(default = "star")]
    pub origin: String,
    /// Allowed methods. Default `GET, HEAD, OPTIONS`.
    #[serde(default = "read_methods")]
    pub methods: Vec<Method>,
    /// Allowed request headers (header names, or `*`).
    #[serde(default)]
    pub allow_headers: Vec<HeaderName>,
    /// Response headers exposed to scripts (header names, or `*`).
    #[serde(default)]
    pub expose_headers: Vec<HeaderName>,
}

fn star() -> String {
    "*".into()
}

/// The read-only methods: `GET`, `HEAD`, `OPTIONS`.
pub fn read_methods() -> Vec<Method> {
    vec![Method::Get, Method::Head, Method::Options]
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)]
pub enum Method {
    Get,
    Head,
    Options,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The method as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    /// Whether the method cannot change state (`GET`, `HEAD`, `OPTIONS`).
    pub fn is_read_only(self) -> bool {
        matches!(self, Self::Get | Self::Head | Self::Options)
    }
}

/// A `Cache-Control` header for responses under a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CacheRule {
    /// The path matcher, for example `/banatie/*`.
    pub path: UrlPath,
    /// The header value, for example `public, max-age=31536000, immutable`.
    pub cache_control: HeaderValue,
}

/// A rolled JSON access log written by Caddy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessLog {
    /// The file name in the proxy's log directory, for example `api-access.log`.
    pub file: RelPath,
    /// Size at which the file is rolled. Default `10MiB`.
    #[serde(default = "default_roll_size")]
    pub roll_size: ByteSize,
    /// Rolled files kept. Default `5`.
    #[serde(default = "default_roll_keep")]
    pub roll_keep: u32,
}

fn default_roll_size() -> ByteSize {
    "10MiB".parse().expect("valid")
}
fn default_roll_keep() -> u32 {
    5
}

/// An HTTPS endpoint monitoring requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MonitoringEndpoint {
    /// The URL, for example `https://api.banatie.app/health`.
    pub url: String,
    /// The expected HTTP status. Default `200`.
    #[serde(default = "default_status")]
    pub expect: u16,
}

fn default_status() -> u16 {
    200
}
