//! The rules that look at the Compose project, and across files (scripts the services
//! run, the Caddy sites in front of them, init SQL). Rules that also exist for specs
//! call the shared condition and message of [`crate::validate`]. Each looks only at
//! what reading the deployment found ([`Deployment`]); the rules on env files are
//! [`super::env::check`], those of round 2 [`super::round2`].
//!
//! | codes | about | module |
//! |-------|-------|--------|
//! | BI110, BI112, BI115, BI116, BI310, BI311 | references, cycles, `depends_on` | [`depends`] |
//! | BI201, BI202, BI208, BI315 | a service's `environment` | [`environment`] |
//! | BI301, BI302, BI303, BI306, BI313 | health checks, images | [`health`] |
//! | BI203, BI204, BI304 | published ports, networks | [`ports`] |
//! | BI501, BI512 | MinIO drives | [`minio`] |
//! | BI312, BI316, BI507, BI508, BI509, BI510, BI511 | shell scripts, init SQL | [`scripts`] |
//! | BI401-BI406, BI505 | Caddy sites | [`caddy_sites`] |

mod caddy_sites;
mod depends;
mod environment;
mod health;
mod minio;
mod ports;
mod scripts;

pub(crate) use depends::init_targets;
pub(crate) use health::{probe_programs, probe_url};
pub(crate) use minio::{minio_argv, minio_drives, minio_ports};
pub(crate) use scripts::pg_version;

use super::compose::Svc;
use super::{env, Deployment};
use crate::diagnostic::Diagnostic;
use crate::images::{self, Family};

/// Runs every rule.
pub(crate) fn run(d: &mut Deployment, out: &mut Vec<Diagnostic>) {
    for ef in &d.env_files {
        env::check(d, ef, out);
    }
    if let Some(project) = d.project.clone() {
        depends::references_and_cycles(d, &project, out);
        for s in &project.services {
            environment::environment(d, s, out);
            health::healthcheck(d, s, out);
            depends::dependencies(d, &project, s, out);
            ports::ports_and_networks(d, &project, s, out);
            health::image(d, s, out);
            minio::minio(d, s, out);
        }
    }
    scripts::scripts(d, out);
    scripts::init_sql(d, out);
    caddy_sites::sites(d, out);
    caddy_sites::site_structure(d, out);
    super::round2::run(d, out);
}

/// The family of the image `s` runs or is built from ([`Family::Unknown`] when unknown).
fn family(d: &Deployment, s: &Svc) -> Family {
    d.images
        .get(&s.name)
        .map_or(Family::Unknown, images::family)
}

/// Whether `s` runs a PostgreSQL image.
fn is_postgres(d: &Deployment, s: &Svc) -> bool {
    matches!(
        family(d, s),
        Family::PostgresAlpine | Family::PostgresDebian
    )
}
