//! The stack's environment model: which variables exist, where each value comes from, and
//! which file it is written to.
//!
//! Public variables (the spec's `env`, plus `POSTGRES_DB` and `POSTGRES_USER` derived from
//! each PostgreSQL service) go to `.env`. Secret variables go to `secrets.env`: the spec's
//! `secrets`, plus values derived from them and from the spec (each PostgreSQL service's
//! connection URL, MinIO's root user and service-account access key). A value that embeds a
//! secret is always derived, never typed twice. Each service receives only its own
//! subset of `secrets.env` ([`service_secrets`]), in its own file.

use crate::diagnostic::pointer;
use crate::spec::{Alphabet, Service, Spec};
use crate::types::{EnvName, Name};

/// Where a secret variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretKind {
    /// Generated from the OS random source: `length` characters of `alphabet`.
    Generated {
        /// Length in characters.
        length: u32,
        /// The characters drawn from.
        alphabet: Alphabet,
    },
    /// Supplied by the operator; never invented.
    Supplied,
    /// The connection URL of a PostgreSQL service,
    /// `postgresql://USER:PASSWORD@SERVICE:5432/DATABASE`, password percent-encoded.
    DatabaseUrl {
        /// The `postgres` service.
        service: Name,
    },
    /// A credential identifier fixed by the spec (a MinIO user name), kept beside its
    /// secret in `secrets.env`.
    Fixed {
        /// The value.
        value: String,
    },
}

impl SecretKind {
    /// Whether `banatie-infra secrets` computes the value from the spec and other secrets
    /// (and recomputes it on every run) rather than generating or asking for it.
    pub fn is_derived(&self) -> bool {
        matches!(self, Self::DatabaseUrl { .. } | Self::Fixed { .. })
    }
}

/// One variable of `secrets.env`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVar {
    /// The variable name.
    pub name: EnvName,
    /// Where its value comes from.
    pub kind: SecretKind,
    /// What it is for, for `secrets.env.example` and missing-secret messages.
    pub description: Option<String>,
    /// The JSON pointer of the spec value that defines it.
    pub pointer: String,
}

/// One variable of `.env`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicVar {
    /// The variable name.
    pub name: EnvName,
    /// The literal value.
    pub value: String,
    /// The JSON pointer of the spec value that defines it.
    pub pointer: String,
}

/// The variables of `.env`, in order: the spec's `env`, then for each PostgreSQL service
/// its `POSTGRES_DB` and `POSTGRES_USER` unless `env` already sets them. Names may repeat
/// when the spec is invalid; [`crate::validate`] reports that.
pub fn public_vars(spec: &Spec) -> Vec<PublicVar> {
    let mut out: Vec<PublicVar> = spec
        .env
        .iter()
        .map(|(k, v)| PublicVar {
            name: k.clone(),
            value: v.clone(),
            pointer: pointer(&["env", k.as_str()]),
        })
        .collect();
    // Only the first PostgreSQL service exports variables: a second is an error (BI118).
    for (name, svc) in first_of_each_server(spec) {
        if let Service::Postgres(pg) = svc {
            for (var, value, field) in [
                ("POSTGRES_DB", pg.database.as_str(), "database"),
                ("POSTGRES_USER", pg.user.as_str(), "user"),
            ] {
                if !spec.env.contains_key(var) {
                    out.push(PublicVar {
                        name: var.parse().expect("valid"),
                        value: value.to_owned(),
                        pointer: pointer(&["services", name.as_str(), field]),
                    });
                }
            }
        }
    }
    out
}

/// The variables of `secrets.env`, in order: the spec's `secrets`, then the derived ones
/// (each PostgreSQL service's `url_env`; each MinIO service's `MINIO_ROOT_USER` and
/// service-account access key). Names may repeat when the spec is invalid.
pub fn secret_vars(spec: &Spec) -> Vec<SecretVar> {
    let mut out: Vec<SecretVar> = spec
        .secrets
        .iter()
        .map(|(k, s)| SecretVar {
            name: k.clone(),
            kind: match s.source {
                crate::spec::SecretSource::Generated => SecretKind::Generated {
                    length: s.length(),
                    alphabet: s.alphabet,
                },
                crate::spec::SecretSource::Supplied => SecretKind::Supplied,
            },
            description: s.description.clone(),
            pointer: pointer(&["secrets", k.as_str()]),
        })
        .collect();
    for (name, svc) in first_of_each_server(spec) {
        match svc {
            Service::Postgres(pg) => out.push(SecretVar {
                name: pg.url_env.clone(),
                kind: SecretKind::DatabaseUrl {
                    service: name.clone(),
                },
                description: Some(format!(
                    "connection URL of {name} (derived from {}; password percent-encoded)",
                    crate::spec::POSTGRES_PASSWORD
                )),
                pointer: pointer(&["services", name.as_str(), "url_env"]),
            }),
            Service::Minio(m) => {
                out.push(SecretVar {
                    name: crate::spec::MINIO_ROOT_USER.parse().expect("valid"),
                    kind: SecretKind::Fixed {
                        value: m.root_user.clone(),
                    },
                    description: Some(format!("root user of {name}")),
                    pointer: pointer(&["services", name.as_str(), "root_user"]),
                });
                out.push(SecretVar {
                    name: m.service_account.access_key_env.clone(),
                    kind: SecretKind::Fixed {
                        value: m.service_account.access_key.clone(),
                    },
                    description: Some(format!("service-account access key of {name}")),
                    pointer: pointer(&["services", name.as_str(), "service_account", "access_key"]),
                });
            }
            _ => {}
        }
    }
    out
}

/// The first PostgreSQL and the first MinIO service, in spec order: the ones whose
/// variables the stack's env files hold (a second server of a kind is an error, BI118).
fn first_of_each_server(spec: &Spec) -> Vec<(&Name, &Service)> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for (name, svc) in &spec.services {
        let kind = svc.kind();
        if matches!(svc, Service::Postgres(_) | Service::Minio(_)) && !seen.contains(&kind) {
            seen.push(kind);
            out.push((name, svc));
        }
    }
    out
}

/// The secrets a service reads itself (not through the shared env files): a PostgreSQL
/// service's password and a MinIO service's root password and service-account secret key.
/// Each must be declared in the spec's `secrets`.
pub fn required_secrets(spec: &Spec) -> Vec<(EnvName, String)> {
    let mut out = Vec::new();
    for (name, svc) in &spec.services {
        match svc {
            Service::Postgres(_) => out.push((
                crate::spec::POSTGRES_PASSWORD.parse().expect("valid"),
                pointer(&["services", name.as_str()]),
            )),
            Service::Minio(m) => {
                out.push((
                    crate::spec::MINIO_ROOT_PASSWORD.parse().expect("valid"),
                    pointer(&["services", name.as_str()]),
                ));
                out.push((
                    m.service_account.secret_key_secret.clone(),
                    pointer(&[
                        "services",
                        name.as_str(),
                        "service_account",
                        "secret_key_secret",
                    ]),
                ));
            }
            _ => {}
        }
    }
    out
}

/// The secrets service `name` receives, in order: what its kind needs itself (a
/// PostgreSQL service its password; a MinIO service its root user and password; a
/// storage-init job those and the service account's access and secret key of the MinIO
/// service it initialises; a migration job its app's secrets), then the names under its
/// own `secrets`, each once. Empty for
/// a service the spec does not have. These are the variables of its
/// `secrets/<service>.env` ([`service_secrets_file`]).
pub fn service_secrets(spec: &Spec, name: &str) -> Vec<EnvName> {
    let Some(svc) = spec.services.get(name) else {
        return Vec::new();
    };
    let var = |s: &str| -> EnvName { s.parse().expect("valid") };
    let mut out: Vec<EnvName> = match svc {
        Service::Postgres(_) => vec![var(crate::spec::POSTGRES_PASSWORD)],
        Service::Minio(_) => vec![
            var(crate::spec::MINIO_ROOT_USER),
            var(crate::spec::MINIO_ROOT_PASSWORD),
        ],
        Service::Job(j) => match &j.task {
            crate::spec::JobTask::StorageInit { minio } => match spec.services.get(minio) {
                Some(Service::Minio(m)) => vec![
                    var(crate::spec::MINIO_ROOT_USER),
                    var(crate::spec::MINIO_ROOT_PASSWORD),
                    m.service_account.access_key_env.clone(),
                    m.service_account.secret_key_secret.clone(),
                ],
                _ => Vec::new(),
            },
            crate::spec::JobTask::Command { .. } => Vec::new(),
            // A migration connects as its app does (only a process kind: no recursion).
            crate::spec::JobTask::Migrate { app, .. } => match spec.services.get(app) {
                Some(Service::App(_) | Service::Worker(_) | Service::Generic(_)) => {
                    service_secrets(spec, app.as_str())
                }
                _ => Vec::new(),
            },
        },
        Service::App(_) | Service::Worker(_) | Service::Generic(_) => Vec::new(),
    };
    for s in svc.secrets() {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

/// The directory, under the deployment root, of the per-service secret env files.
pub const SERVICE_SECRETS_DIR: &str = "secrets";

/// The path, relative to the deployment root, of service `name`'s secret env file:
/// `secrets/<name>.env` (mode 0600, written by `banatie-infra secrets`).
pub fn service_secrets_file(name: &str) -> String {
    format!("{SERVICE_SECRETS_DIR}/{name}.env")
}

/// Builds a PostgreSQL connection URL with the password percent-encoded (every byte but
/// RFC 3986 unreserved characters), so `/`, `+`, `=`, `@`, `:` and `%` in a password keep
/// the URL parseable. User and database are [`crate::types::SqlIdent`]s and need no encoding.
///
/// ```
/// use banatie_infra_core::environment::database_url;
/// assert_eq!(
///     database_url("app_user", "yMn/Q+T=", "db", 5432, "app"),
///     "postgresql://app_user:yMn%2FQ%2BT%3D@db:5432/app"
/// );
/// ```
pub fn database_url(user: &str, password: &str, host: &str, port: u16, database: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    format!(
        "postgresql://{}:{}@{host}:{port}/{}",
        utf8_percent_encode(user, USERINFO),
        utf8_percent_encode(password, USERINFO),
        utf8_percent_encode(database, USERINFO),
    )
}
