//! Operating the running stack through the Docker Engine API (bollard, tokio).
//!
//! Behind the `docker` cargo feature. Every operation takes an [`Engine`] (a connection
//! with a negotiated API version) and the [`Spec`](crate::Spec); none prints: long
//! operations report progress through a callback, and results are plain values for the
//! caller to show.
//!
//! The stack's containers are found by the labels the renderer sets
//! ([`crate::render::label`]), falling back to the container name (the service name).

pub(crate) mod backup;
mod backup_error;
mod doctor;
mod drift;
mod exec;
mod flush;
pub mod releases;
pub mod rotate;
mod s3;
mod status;
mod up;

pub use backup::{
    backup_db, backup_storage, restore_db, BackupError, BackupResult, Progress, RestoreResult,
};
pub use doctor::{doctor, DirCheck, DoctorReport};
pub use drift::{
    drift, Drift, CODE_DRIFT_ENV, CODE_DRIFT_EXTRA, CODE_DRIFT_IMAGE, CODE_DRIFT_MISSING,
    CODE_DRIFT_NETWORK, CODE_DRIFT_NETWORK_INTERNAL, CODE_DRIFT_PORTS,
};
pub use exec::{exec, logs, ExecOutput, LogsOptions};
pub use status::{
    status, wait, ContainerState, ServiceStatus, Verdict, WaitError, CRASH_LOOP_RESTARTS,
    CRASH_LOOP_WINDOW_SECS,
};
pub use up::{
    deploy, down, plan, reconcile_leftovers, rollout_blocker, up, Action, DownReport, Leftover,
    Plan, PullPolicy, PullProgress, UpError, UpEvent, UpOptions, CONFIG_HASH_LABEL, CONFIG_LABEL,
    DEFAULT_DRAIN,
};

use bollard::Docker;

/// The oldest Docker Engine API this crate works with: 1.41 (Docker 20.10), the first
/// with everything `status`, `exec` and health checks use. Newer features (for example a
/// health check's `start_interval`, API 1.44) are used only when the negotiated version
/// has them.
pub const MIN_API_VERSION: (u32, u32) = (1, 41);

/// Why the engine could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// Nothing answers at the socket or address (`DOCKER_HOST`, default
    /// `unix:///var/run/docker.sock`).
    #[error(
        "no Docker engine at {endpoint}: {detail} (is dockerd running? is DOCKER_HOST right?)"
    )]
    NoEngine {
        /// Where we looked.
        endpoint: String,
        /// The underlying error.
        detail: String,
    },
    /// The socket exists but this user may not open it.
    #[error("permission denied on {endpoint}: add the user to the `docker` group or run as root")]
    PermissionDenied {
        /// The socket.
        endpoint: String,
    },
    /// The engine's API is older than [`MIN_API_VERSION`].
    #[error("the Docker engine speaks API {found}, this tool needs {}.{} or later (Docker 20.10+)", MIN_API_VERSION.0, MIN_API_VERSION.1)]
    ApiTooOld {
        /// The engine's API version.
        found: String,
    },
    /// A service name that the spec does not have.
    #[error("no service `{0}` in the spec")]
    UnknownService(String),
    /// The service's container does not exist.
    #[error("service `{0}` has no container (is the stack up?)")]
    NoContainer(String),
    /// Any other engine error, with the engine's message.
    #[error("Docker engine: {0}")]
    Api(String),
}

impl DockerError {
    pub(crate) fn api(e: bollard::errors::Error) -> Self {
        match &e {
            bollard::errors::Error::DockerResponseServerError { message, .. } => {
                Self::Api(message.clone())
            }
            _ => Self::Api(e.to_string()),
        }
    }
}

/// A connection to the local Docker engine with a negotiated API version.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) docker: Docker,
    api: (u32, u32),
}

fn endpoint() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

impl Engine {
    /// Connects as the `docker` CLI does: `DOCKER_HOST` if set (unix socket, tcp or http),
    /// else the local unix socket; then negotiates the API version with the engine (which
    /// may be older than the client).
    ///
    /// Errors: [`DockerError::NoEngine`], [`DockerError::PermissionDenied`],
    /// [`DockerError::ApiTooOld`].
    pub async fn connect() -> Result<Self, DockerError> {
        let ep = endpoint();
        let classify = |e: bollard::errors::Error| -> DockerError {
            let text = format!("{e} {e:?}");
            if text.contains("Permission denied") || text.contains("PermissionDenied") {
                DockerError::PermissionDenied {
                    endpoint: ep.clone(),
                }
            } else {
                DockerError::NoEngine {
                    endpoint: ep.clone(),
                    detail: e.to_string(),
                }
            }
        };
        if let Some(path) = ep.strip_prefix("unix://") {
            match std::fs::metadata(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(DockerError::NoEngine {
                        endpoint: ep.clone(),
                        detail: "the socket does not exist".into(),
                    })
                }
                _ => {}
            }
        }
        let docker = Docker::connect_with_defaults().map_err(classify)?;
        let docker = docker.negotiate_version().await.map_err(classify)?;
        let v = docker.client_version();
        let api = (v.major_version as u32, v.minor_version as u32);
        if api < MIN_API_VERSION {
            return Err(DockerError::ApiTooOld {
                found: format!("{}.{}", api.0, api.1),
            });
        }
        Ok(Self { docker, api })
    }

    /// The negotiated API version, `(major, minor)`.
    pub fn api_version(&self) -> (u32, u32) {
        self.api
    }

    /// Whether the engine supports a health check's `start_interval` (API 1.44, Docker 25).
    pub fn supports_start_interval(&self) -> bool {
        self.api >= (1, 44)
    }

    /// The underlying bollard client, for callers that need an endpoint this module does
    /// not wrap.
    pub fn client(&self) -> &Docker {
        &self.docker
    }
}
