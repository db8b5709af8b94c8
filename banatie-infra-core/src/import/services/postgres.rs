//! PostgreSQL: database and user from the container's `POSTGRES_DB`/`POSTGRES_USER`,
//! the connection-URL variable, the data directory.

use std::collections::HashSet;

use super::{Common, Known};
use crate::audit::import_facts as facts;
use crate::images::Family;
use crate::import::{Ctx, NoteKind};
use crate::spec::*;

/// The postgres service `s`.
pub(super) fn service(
    k: &Known,
    s: &facts::Svc,
    common: Common,
    derived: &mut HashSet<String>,
    c: &mut Ctx,
) -> Option<Service> {
    let Common {
        runtime,
        at,
        networks: nets,
        depends_on: depends,
        environment,
        publish,
        health: h,
        image,
        family: fam,
        minio_argv: _,
        container_env,
    } = common;
    let image = image.unwrap_or_else(|| "postgres:15-alpine".parse().expect("valid"));
    let version =
        k.d.images
            .get(&s.name)
            .and_then(facts::pg_version)
            .unwrap_or(15);
    let user = container_env
        .get("POSTGRES_USER")
        .map_or("postgres", |v| v.0.as_str());
    let database = container_env
        .get("POSTGRES_DB")
        .map_or(user, |v| v.0.as_str());
    derived.insert("POSTGRES_USER".into());
    derived.insert("POSTGRES_DB".into());
    // The variable holding this server's connection URL.
    let url_env =
        k.d.env_files
            .iter()
            .flat_map(|ef| ef.entries.iter())
            .find(|e| {
                e.raw_value.starts_with("postgres")
                    && (e.raw_value.contains(&format!("@{}:", s.name))
                        || e.raw_value.contains(&format!("@{}/", s.name)))
            })
            .map(|e| e.key.clone())
            .unwrap_or_else(|| "DATABASE_URL".into());
    derived.insert(url_env.clone());
    let data = s
        .volumes
        .iter()
        .find(|v| v.target.trim_end_matches('/') == "/var/lib/postgresql/data")
        .and_then(|v| c.rel(&v.source));
    let uid = if fam == Family::PostgresDebian {
        999
    } else {
        70
    };
    for v in &s.volumes {
        if v.target.starts_with("/docker-entrypoint-initdb.d") {
            c.note(NoteKind::Changed, format!("{at}.volumes"), format!("`{}` is replaced by the generated init SQL (the role owns its database and schema public)", v.source));
        } else if v.target.trim_end_matches('/') != "/var/lib/postgresql/data" {
            c.note(
                NoteKind::NotMapped,
                format!("{at}.volumes"),
                format!("`{}:{}`", v.source, v.target),
            );
        }
    }
    let (Ok(database), Ok(user)) = (database.parse(), user.parse()) else {
        c.note(
            NoteKind::NotMapped,
            &at,
            "POSTGRES_DB or POSTGRES_USER is not a plain lower-case name",
        );
        return None;
    };
    let shm_size = runtime.shm_size.unwrap_or_else(|| {
        c.note(
            NoteKind::Changed,
            format!("{at}.shm_size"),
            "no `shm_size`: the spec sets 256MiB (Docker's 64MB default fails parallel queries; BI524)",
        );
        crate::types::ByteSize::from_bytes(256 << 20)
    });
    Some(Service::Postgres(super::runtime::with_runtime!(
        PostgresService {
            image,
            shm_size,
            version,
            database,
            user,
            url_env: url_env
                .parse()
                .unwrap_or_else(|_| "DATABASE_URL".parse().expect("valid")),
            data: data.unwrap_or_else(|| "data/postgres".parse().expect("valid")),
            uid,
            restart: super::restart(s, c),
            networks: nets,
            depends_on: depends,
            environment,
            publish,
            health: h,
        },
        runtime
    )))
}
