//! The round-2 cases (`tests/fixtures/cases/round2-*`, from `shared/cases/round2.md`:
//! failures reported publicly, each folder's `EXPECT.md` says what and where): the audit
//! reports exactly the errors and warnings listed here, as (code, file, line), every
//! finding with a position and a help; and `round2-00-clean`, a deployment that does
//! everything these rules ask, reports nothing.

#[path = "common_audit/mod.rs"]
mod common;

use std::fs;
use std::path::Path;

use banatie_infra_core::diagnostic::Severity;
use common::{expected, fixture, found, report, run, FIXTURES};

type Finding = (&'static str, &'static str, usize);

struct Case {
    name: &'static str,
    errors: &'static [Finding],
    warnings: &'static [Finding],
}

const C: &str = "compose.yaml";

/// The hygiene findings every minimal input also gets (json-file without max-size, no
/// memory limit) are listed with the case: each is a true finding of that input.
const CASES: &[Case] = &[
    Case {
        name: "round2-00-clean",
        errors: &[],
        warnings: &[],
    },
    Case {
        name: "round2-01-published-ports-bypass-ufw",
        // 5432 on every address (an error on PostgreSQL), the MinIO console.
        errors: &[("BI203", C, 6)],
        warnings: &[
            ("BI203", C, 12),
            ("BI323", C, 2),
            ("BI323", C, 7),
            ("BI324", C, 2),
            ("BI324", C, 7),
            ("BI524", C, 2),
            ("BI331", C, 2),
            ("BI331", C, 7),
        ],
    },
    Case {
        name: "round2-02-json-file-logs-unbounded",
        // No logging at all; `max-file` without `max-size`.
        errors: &[],
        // BI317: api/Dockerfile sets no USER (the Dockerfile reader's rule).
        warnings: &[
            ("BI317", "api/Dockerfile", 1),
            ("BI323", C, 2),
            ("BI323", C, 9),
            ("BI331", C, 2),
            ("BI331", C, 9),
        ],
    },
    Case {
        name: "round2-03-no-memory-limits",
        // api, web, db, and minio (whose `deploy.resources.limits` has only cpus).
        errors: &[],
        warnings: &[
            ("BI317", "api/Dockerfile", 1),
            ("BI317", "web/Dockerfile", 1),
            ("BI324", C, 5),
            ("BI324", C, 9),
            ("BI324", C, 13),
            ("BI324", C, 18),
            ("BI331", C, 5),
            ("BI331", C, 9),
            ("BI331", C, 13),
            ("BI331", C, 18),
        ],
    },
    Case {
        name: "round2-04-npm-as-pid1",
        errors: &[],
        warnings: &[
            ("BI317", "api/Dockerfile", 1),
            ("BI317", "web/Dockerfile", 6),
            ("BI318", "api/Dockerfile", 6),
            // api: shell-form `CMD npm start`; web: `["npm", "run", "start"]`, at `build`;
            // worker: `node` as PID 1, at `command`.
            ("BI325", C, 3),
            ("BI325", C, 5),
            ("BI325", C, 8),
            ("BI323", C, 2),
            ("BI323", C, 4),
            ("BI323", C, 6),
            ("BI324", C, 2),
            ("BI324", C, 4),
            ("BI324", C, 6),
            ("BI331", C, 2),
            ("BI331", C, 4),
            ("BI331", C, 6),
        ],
    },
    Case {
        name: "round2-05-force-recreate-all",
        errors: &[],
        warnings: &[
            // No service names; `db` named. `api` alone (line 7) is fine.
            ("BI328", "deploy.sh", 5),
            ("BI328", "deploy.sh", 6),
            ("BI323", C, 2),
            ("BI323", C, 4),
            ("BI324", C, 2),
            ("BI324", C, 4),
            ("BI524", C, 4),
            ("BI331", C, 2),
            ("BI331", C, 4),
        ],
    },
    Case {
        name: "round2-06-caddy-no-retry-window",
        // The bare proxy, and the one nested in `handle` with `lb_retries` only; the
        // snippet's has a window.
        errors: &[],
        warnings: &[("BI414", "Caddyfile", 2), ("BI414", "Caddyfile", 10)],
    },
    Case {
        name: "round2-10-next-public-runtime-only",
        // From the env_file; from `environment` with no build arg; a build arg that the
        // Dockerfile never declares.
        errors: &[("BI210", ".env", 1), ("BI210", C, 10), ("BI210", C, 11)],
        warnings: &[
            ("BI317", "web/Dockerfile", 6),
            ("BI323", C, 2),
            ("BI324", C, 2),
            ("BI331", C, 2),
        ],
    },
    Case {
        name: "round2-11-postgres-major-floats",
        // `postgres:alpine`; a build based on `postgres:latest` (at `build`).
        errors: &[("BI522", C, 3), ("BI522", C, 7)],
        warnings: &[
            ("BI323", C, 2),
            ("BI323", C, 6),
            ("BI323", C, 10),
            ("BI324", C, 2),
            ("BI324", C, 6),
            ("BI324", C, 10),
            ("BI331", C, 2),
            ("BI331", C, 6),
            ("BI331", C, 10),
        ],
    },
    Case {
        name: "round2-12-pgdata-path-by-major",
        // 18 at the old path; 15 at the parent; PGDATA outside every mount.
        errors: &[("BI523", C, 5), ("BI523", C, 9), ("BI523", C, 15)],
        warnings: &[
            ("BI323", C, 2),
            ("BI323", C, 6),
            ("BI323", C, 10),
            ("BI323", C, 16),
            ("BI324", C, 2),
            ("BI324", C, 6),
            ("BI324", C, 10),
            ("BI324", C, 16),
            ("BI331", C, 2),
            ("BI331", C, 6),
            ("BI331", C, 10),
            ("BI331", C, 16),
        ],
    },
    Case {
        name: "round2-13-postgres-shm-default",
        errors: &[],
        warnings: &[
            ("BI524", C, 2),
            ("BI323", C, 2),
            ("BI323", C, 7),
            ("BI324", C, 2),
            ("BI324", C, 7),
            ("BI331", C, 2),
            ("BI331", C, 7),
        ],
    },
    Case {
        name: "round2-14-crlf-env-files",
        // secrets.env, sourced by backup.sh; the Compose secret's file.
        errors: &[("BI211", "backup.sh", 3), ("BI211", C, 10)],
        warnings: &[
            ("BI323", C, 2),
            ("BI324", C, 2),
            ("BI524", C, 2),
            ("BI331", C, 2),
        ],
    },
    Case {
        name: "round2-15-start-period-vs-migrations",
        errors: &[],
        warnings: &[
            // Prisma migrations at start, a 30 s budget (at the `test` key).
            ("BI326", C, 6),
            // api execs node as PID 1, worker runs node: no `init: true`.
            ("BI325", C, 4),
            ("BI325", C, 14),
            ("BI323", C, 2),
            ("BI323", C, 9),
            ("BI323", C, 12),
            ("BI324", C, 2),
            ("BI324", C, 9),
            ("BI324", C, 12),
            ("BI331", C, 2),
            ("BI331", C, 9),
            ("BI331", C, 12),
        ],
    },
    Case {
        name: "round2-18-secrets-as-environment",
        // Round 1: secrets interpolated into the Compose file, .env with secrets at 0644.
        errors: &[("BI201", C, 10), ("BI201", C, 11), ("BI207", ".env", 1)],
        warnings: &[
            // db's and api's env_file, api's `environment`.
            ("BI212", C, 4),
            ("BI212", C, 8),
            ("BI212", C, 10),
            ("BI323", C, 2),
            ("BI323", C, 6),
            ("BI323", C, 13),
            ("BI324", C, 2),
            ("BI324", C, 6),
            ("BI324", C, 13),
            ("BI524", C, 2),
            ("BI331", C, 2),
            ("BI331", C, 6),
            ("BI331", C, 13),
        ],
    },
    Case {
        name: "round2-19-restart-without-watch",
        // Round 1: `service_completed_successfully` on `migrate`, which `restart: always`
        // makes a server.
        errors: &[("BI116", C, 19)],
        warnings: &[
            // worker without a health check; the mc job and `migrate` restarted after
            // they complete.
            ("BI327", C, 6),
            ("BI327", C, 9),
            ("BI327", C, 13),
            ("BI323", C, 2),
            ("BI323", C, 6),
            ("BI323", C, 17),
            ("BI324", C, 2),
            ("BI324", C, 6),
            ("BI324", C, 17),
            ("BI331", C, 2),
            ("BI331", C, 6),
            ("BI331", C, 17),
        ],
    },
    Case {
        name: "round2-20-backup-retention-ungated",
        // The prune after the unguarded dump; round 1's no `set -e`, redirect to the final
        // name, directory never created.
        errors: &[
            ("BI525", "shop-backup.sh", 4),
            ("BI312", "shop-backup.sh", 2),
            ("BI508", "shop-backup.sh", 3),
        ],
        warnings: &[("BI509", "shop-backup.sh", 3)],
    },
];

#[track_caller]
fn check(name: &str) {
    let case = CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("case {name} has no expectations"));
    let (_tmp, dir) = fixture(&format!("cases/{name}"));
    let a = run(&dir);
    assert_eq!(
        found(&a, &dir, Severity::Error),
        expected(case.errors),
        "{name}: errors differ:\n{}",
        report(&a)
    );
    assert_eq!(
        found(&a, &dir, Severity::Warning),
        expected(case.warnings),
        "{name}: warnings differ:\n{}",
        report(&a)
    );
    for d in &a.diagnostics {
        assert!(
            d.help.as_deref().is_some_and(|h| !h.is_empty()),
            "no help: {d:?}"
        );
        assert!(
            d.span.as_ref().and_then(|s| s.location).is_some(),
            "no position: {d:?}"
        );
    }
}

macro_rules! cases {
    ($($test:ident => $name:literal,)*) => {
        $( #[test] fn $test() { check($name); } )*

        /// Every `round2-*` folder is a test above, and has an EXPECT.md.
        #[test]
        fn every_round2_folder_is_tested() {
            let tested = [$($name),*];
            let mut dirs: Vec<String> = fs::read_dir(Path::new(FIXTURES).join("cases"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("round2-"))
                .collect();
            dirs.sort();
            assert_eq!(dirs, tested);
            assert_eq!(CASES.len(), tested.len());
            for d in dirs {
                assert!(Path::new(FIXTURES).join("cases").join(&d).join("EXPECT.md").exists(), "{d}");
            }
        }
    };
}

cases! {
    round2_00_clean => "round2-00-clean",
    round2_01_published_ports_bypass_ufw => "round2-01-published-ports-bypass-ufw",
    round2_02_json_file_logs_unbounded => "round2-02-json-file-logs-unbounded",
    round2_03_no_memory_limits => "round2-03-no-memory-limits",
    round2_04_npm_as_pid1 => "round2-04-npm-as-pid1",
    round2_05_force_recreate_all => "round2-05-force-recreate-all",
    round2_06_caddy_no_retry_window => "round2-06-caddy-no-retry-window",
    round2_10_next_public_runtime_only => "round2-10-next-public-runtime-only",
    round2_11_postgres_major_floats => "round2-11-postgres-major-floats",
    round2_12_pgdata_path_by_major => "round2-12-pgdata-path-by-major",
    round2_13_postgres_shm_default => "round2-13-postgres-shm-default",
    round2_14_crlf_env_files => "round2-14-crlf-env-files",
    round2_15_start_period_vs_migrations => "round2-15-start-period-vs-migrations",
    round2_18_secrets_as_environment => "round2-18-secrets-as-environment",
    round2_19_restart_without_watch => "round2-19-restart-without-watch",
    round2_20_backup_retention_ungated => "round2-20-backup-retention-ungated",
}
