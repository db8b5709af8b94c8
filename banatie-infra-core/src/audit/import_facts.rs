//! What the importer ([`crate::import`]) reads of a hand-written deployment: the one
//! interface between it and the audit's reading and checks, so that `import` does not
//! depend on where the audit keeps each of them. Each item is documented where it is
//! defined.

pub(crate) use super::caddyfile::Proxy as CaddyProxy;
pub(crate) use super::caddyfile::Site as CaddySite;
pub(crate) use super::caddyfile::{parse as parse_caddyfile, sites as caddy_sites};
pub(crate) use super::compose::{Health, Project, Svc, Volume};
pub(crate) use super::env::{any_value, secret_file_name};
pub(crate) use super::round2::{lookup, raw_service};
pub(crate) use super::rules::{
    init_targets, minio_argv, minio_drives, minio_ports, pg_version, probe_programs, probe_url,
};
pub(crate) use super::shell::{anonymous_read, made_bucket, scan, Script};
pub(crate) use super::tree::Y;
pub(crate) use super::{is_job, read_deployment, Deployment, EnvFile, ScriptRef, SrcFile};
