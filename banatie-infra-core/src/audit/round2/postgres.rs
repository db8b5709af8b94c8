//! BI522 (a PostgreSQL image with no major version), BI523 (the data directory not on a
//! mount) and BI524 (`/dev/shm`) on every PostgreSQL service: the official `postgres`
//! image and the images built on it that keep its layout (`postgis/postgis`,
//! `pgvector/pgvector`, `timescale/timescaledb`).
//!
//! Facts: a data directory is readable only by the major that wrote it ("database files
//! are incompatible with server", docker-library/postgres #766); from 18 on the image's
//! PGDATA is `/var/lib/postgresql/MAJOR/docker` and its VOLUME `/var/lib/postgresql`,
//! and its entrypoint refuses a mount at the old `/var/lib/postgresql/data`
//! (docker-library/postgres PR #1259, #1364); before 18 PGDATA is
//! `/var/lib/postgresql/data` and a mount at its parent leaves the data in an anonymous
//! volume (docker-library/docs PR #2582). Docker gives every container a 64 MB
//! `/dev/shm` (docker-library/postgres #416), where parallel workers and hash joins put
//! their shared memory.

use super::{at_service, lookup, raw_service};
use crate::audit::{Deployment, Svc};
use crate::diagnostic::{Diagnostic, Severity};
use crate::images::{self, Family};
use crate::rules::storage::CODE_PG_DATA_MOUNT;
use crate::rules::storage::CODE_PG_MAJOR_UNPINNED;
use crate::rules::storage::CODE_PG_SHM;
use crate::types::ImageRef;

/// The current PostgreSQL major: what an image without a major in its tag runs today.
pub(crate) const CURRENT_MAJOR: u32 = 18;

/// The image of a PostgreSQL server, if `s` runs one (built or pulled).
pub(crate) fn pg_image<'a>(d: &'a Deployment, s: &Svc) -> Option<&'a ImageRef> {
    let img = d.images.get(&s.name)?;
    let pg = matches!(
        images::family(img),
        Family::PostgresAlpine | Family::PostgresDebian
    ) || matches!(
        img.short_name(),
        "postgis" | "pgvector" | "timescaledb" | "timescaledb-ha" | "postgres"
    );
    pg.then_some(img)
}

/// The major version a PostgreSQL image's tag names: its leading number (`15-alpine`,
/// `16.4`), or the number after `pg` (`pg16`, `latest-pg17`).
pub(crate) fn tag_major(img: &ImageRef) -> Option<u32> {
    let tag = img.tag()?;
    let lead: String = tag.chars().take_while(char::is_ascii_digit).collect();
    if let Ok(n) = lead.parse() {
        return Some(n);
    }
    let i = tag.find("pg")?;
    let digits: String = tag[i + 2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Runs BI522, BI523 and BI524 on one service.
pub(crate) fn check(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    let Some(img) = pg_image(d, s) else { return };
    let major = tag_major(img);
    let built = s.build.is_some();
    let image_at = match (&s.image, &s.build) {
        (_, Some(b)) => &b.at,
        (Some((_, at)), None) => at,
        (None, None) => &s.at,
    };
    if major.is_none() && !img.has_digest() {
        let from = if built {
            " (the base of its build)"
        } else {
            ""
        };
        out.push(d.diag_at(
            Severity::Error,
            CODE_PG_MAJOR_UNPINNED,
            image_at,
            format!("PostgreSQL image `{img}`{from} of service `{}` names no major version: the next pull may start a newer major (today {CURRENT_MAJOR}), which refuses the existing data directory (\"database files are incompatible with server\") and keeps every dependent down", s.name),
            "pin the major in the tag (`postgres:16-alpine`, `postgres:16.4-alpine`); change it only with a dump and restore (or pg_upgrade) after a verified backup".into(),
        ));
    }
    data_mount(d, s, major.unwrap_or(CURRENT_MAJOR), out);
    let node = raw_service(d, &s.name);
    let shm = node.is_some_and(|n| {
        lookup(n, "shm_size").is_some()
            || lookup(n, "ipc")
                .and_then(|v| v.text())
                .is_some_and(|v| v == "host")
    });
    if !shm {
        out.push(at_service(
            d,
            s,
            Severity::Warning,
            CODE_PG_SHM,
            format!("PostgreSQL service `{}` has no `shm_size`: Docker's default /dev/shm is 64 MB, and parallel queries and hash joins fail with \"could not resize shared memory segment ... No space left on device\" once the data grows", s.name),
            "set `shm_size: 256m` (work_mem times the parallel workers; it counts against the memory limit)".into(),
        ));
    }
}

/// BI523: the data directory (PGDATA, or the image's default for the major) must be at
/// or under a mount; 18+ refuses a mount at the pre-18 path.
fn data_mount(d: &Deployment, s: &Svc, major: u32, out: &mut Vec<Diagnostic>) {
    let env = d.container_env(s);
    let pgdata = env
        .get("PGDATA")
        .map(|(v, _)| v.trim_end_matches('/').to_owned());
    let default = if major >= 18 {
        format!("/var/lib/postgresql/{major}/docker")
    } else {
        "/var/lib/postgresql/data".to_owned()
    };
    let data = pgdata.clone().unwrap_or(default);
    // The image's VOLUME: a mount above it does not hold what is below it (Docker mounts
    // an anonymous volume there, over the named one).
    let image_volume = if major >= 18 {
        "/var/lib/postgresql"
    } else {
        "/var/lib/postgresql/data"
    };
    let within = |p: &str, t: &str| p == t || p.starts_with(&format!("{t}/"));
    let under = |t: &str| {
        let t = t.trim_end_matches('/');
        !t.is_empty()
            && within(&data, t)
            && !(t != image_volume && within(image_volume, t) && within(&data, image_volume))
    };
    if major >= 18 && pgdata.is_none() {
        if let Some(v) = s
            .volumes
            .iter()
            .find(|v| v.target.trim_end_matches('/') == "/var/lib/postgresql/data")
        {
            out.push(d.diag_at(
                Severity::Error,
                CODE_PG_DATA_MOUNT,
                &v.at,
                format!("PostgreSQL {major} of service `{}` is mounted at `/var/lib/postgresql/data`, the pre-18 path: from 18 on the data lives in `{data}` and the image's entrypoint refuses to start with a mount at the old path", s.name),
                format!("mount the volume at `/var/lib/postgresql` (`pgdata:/var/lib/postgresql`); for {} and earlier keep `/var/lib/postgresql/data`", 17),
            ));
            return;
        }
    }
    if s.volumes.iter().any(|v| under(&v.target)) {
        return;
    }
    let (at, what) = match s.volumes.first() {
        Some(v) => (
            &v.at,
            format!("no mount holds it (`{}` does not)", v.target),
        ),
        None => (&s.at, "the service mounts no volume".to_owned()),
    };
    let from = if pgdata.is_some() {
        "PGDATA"
    } else {
        "the data directory"
    };
    out.push(d.diag_at(
        Severity::Error,
        CODE_PG_DATA_MOUNT,
        at,
        format!("{from} of PostgreSQL {major} in service `{}` is `{data}` and {what}: the data goes to an anonymous volume of the image and is lost on `docker compose down` and the next `up`", s.name),
        if major >= 18 {
            "mount a named volume at `/var/lib/postgresql` (`pgdata:/var/lib/postgresql`)".into()
        } else {
            "mount a named volume at `/var/lib/postgresql/data` (`pgdata:/var/lib/postgresql/data`)".into()
        },
    ));
}

#[cfg(test)]
mod tests {
    use super::tag_major;

    #[test]
    fn majors() {
        let m = |s: &str| tag_major(&s.parse().unwrap());
        assert_eq!(m("postgres:15-alpine"), Some(15));
        assert_eq!(m("postgres:16.4"), Some(16));
        assert_eq!(m("pgvector/pgvector:pg16"), Some(16));
        assert_eq!(m("timescale/timescaledb:latest-pg17"), Some(17));
        assert_eq!(m("postgres:alpine"), None);
        assert_eq!(m("postgres"), None);
    }
}
