//! What services name and wait for: BI110 and BI112, networks and dependencies that
//! name nothing and dependency cycles (Compose refuses all of them); BI115, BI116, BI310
//! and BI311, dependencies whose condition cannot hold or does not wait for what the
//! service needs (a health check, a server, the storage's init job).

use super::{family, minio_argv};
use crate::audit::{is_job, Deployment, Project, Svc};
use crate::diagnostic::{Diagnostic, Severity};
use crate::images::{self, Family};
use crate::rules::health::CODE_INIT_NOT_AWAITED;
use crate::rules::health::CODE_JOB_RACE;
use crate::rules::spec as spec_rules;
use crate::rules::spec::NoHealthcheck;
use crate::validate as v;

/// BI110 and BI112: networks and dependencies that name nothing, and dependency cycles
/// (Compose refuses all of them).
pub(super) fn references_and_cycles(d: &Deployment, project: &Project, out: &mut Vec<Diagnostic>) {
    for s in &project.services {
        for (n, at) in &s.networks {
            if n != "default" && project.network(n).is_none() {
                let finding = spec_rules::unknown_network(
                    &s.name,
                    n,
                    project.networks.iter().map(|x| x.name.as_str()),
                );
                out.push(d.finding_at(finding, at));
            }
        }
        for dep in &s.depends_on {
            let finding = if dep.name == s.name {
                spec_rules::self_dependency(&s.name)
            } else if project.services.iter().all(|t| t.name != dep.name) {
                spec_rules::unknown_dependency(
                    &s.name,
                    &dep.name,
                    project.services.iter().map(|t| t.name.as_str()),
                )
            } else {
                continue;
            };
            out.push(d.finding_at(finding, &dep.at));
        }
    }
    // Cycles: `validate`'s graph algorithm, so a Compose file and a spec with the same
    // graph report the same cycles.
    let index = |n: &str| project.services.iter().position(|s| s.name == n);
    let adj: Vec<Vec<usize>> = project
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.depends_on
                .iter()
                .filter_map(|x| index(&x.name))
                .filter(|&j| j != i)
                .collect()
        })
        .collect();
    for (i, j, cycle) in v::cycles(&adj) {
        let s = &project.services[i];
        let target = &project.services[j].name;
        let Some(dep) = s.depends_on.iter().find(|x| x.name == *target) else {
            continue;
        };
        let names: Vec<&str> = cycle
            .iter()
            .map(|&k| project.services[k].name.as_str())
            .collect();
        out.push(d.finding_at(spec_rules::dependency_cycle(&names), &dep.at));
    }
}

/// Whether `t` is a long-running service (a server), which never completes.
fn long_running(d: &Deployment, t: &Svc) -> bool {
    matches!(t.restart.as_deref(), Some("always" | "unless-stopped"))
        || matches!(
            family(d, t),
            Family::PostgresAlpine | Family::PostgresDebian | Family::MinioServer
        )
}

/// The MinIO servers an init job works on: those it depends on, and those its scripts
/// address (`http://NAME:PORT`).
pub(crate) fn init_targets(d: &Deployment, project: &Project, j: &Svc) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in &project.services {
        if t.name == j.name || minio_argv(d, t).is_none() {
            continue;
        }
        let depends = j.depends_on.iter().any(|x| x.name == t.name);
        let addressed = d.scripts.iter().any(|sc| {
            sc.service.as_deref() == Some(j.name.as_str())
                && (sc.text.contains(&format!("://{}:", t.name))
                    || t.container_name
                        .as_ref()
                        .is_some_and(|c| sc.text.contains(&format!("://{c}:"))))
        });
        if depends || addressed {
            out.push(t.name.clone());
        }
    }
    out
}

/// BI115, BI116, BI310, BI311.
pub(super) fn dependencies(d: &Deployment, project: &Project, s: &Svc, out: &mut Vec<Diagnostic>) {
    let job = is_job(d, s);
    for dep in &s.depends_on {
        let Some(t) = project.service(&dep.name) else {
            continue;
        };
        let cond_at = dep.cond_at.as_ref().unwrap_or(&dep.at);
        match dep.condition.as_deref() {
            Some("service_healthy") => {
                let none = t
                    .healthcheck
                    .as_ref()
                    .is_none_or(|h| h.disabled || h.test.is_empty());
                let disabled = t.healthcheck.as_ref().is_some_and(|h| h.disabled);
                if none && (disabled || !d.image_healthchecks.contains(&t.name)) {
                    let known = disabled
                        || family(d, t) != Family::Unknown
                        || (t.build.is_some() && d.images.contains_key(&t.name));
                    let image = d
                        .images
                        .get(&t.name)
                        .filter(|_| known)
                        .map(|i| i.to_string());
                    let why = if disabled {
                        NoHealthcheck::Disabled
                    } else if known && is_job(d, t) {
                        NoHealthcheck::Job
                    } else if let Some(img) = image.as_deref() {
                        NoHealthcheck::NoneInImage(img)
                    } else {
                        NoHealthcheck::Unknown
                    };
                    let probe = d.images.get(&t.name).and_then(|i| {
                        matches!(
                            images::family(i),
                            Family::PostgresAlpine | Family::PostgresDebian | Family::MinioServer
                        )
                        .then(|| images::suggested_probe(i))
                        .flatten()
                    });
                    let finding =
                        spec_rules::healthy_without_healthcheck(&s.name, &t.name, why, probe);
                    out.push(d.finding_at(finding, cond_at));
                }
            }
            Some("service_completed_successfully") if long_running(d, t) && !is_job(d, t) => {
                let finding = spec_rules::completed_not_job(&s.name, &t.name);
                out.push(d.finding_at(finding, cond_at));
            }
            _ => {}
        }
        if job
            && !is_job(d, t)
            && matches!(dep.condition.as_deref(), None | Some("service_started"))
        {
            let form = if dep.condition.is_none() {
                "the short form of `depends_on` waits only for the container to start"
            } else {
                "`service_started` waits only for the container to start"
            };
            out.push(d.diag_at(
                Severity::Error,
                CODE_JOB_RACE,
                &dep.at,
                format!("one-shot job `{}` depends on `{}`, but {form}: the job runs before `{}` accepts connections, its first command fails, and it is not run again", s.name, t.name, t.name),
                format!("give `{}` a health check and write `depends_on: {{ {}: {{ condition: service_healthy }} }}`", t.name, t.name),
            ));
        }
    }
    // BI311: a service that uses the storage must wait for its init job.
    if job {
        return;
    }
    for dep in &s.depends_on {
        let Some(m) = project.service(&dep.name) else {
            continue;
        };
        if minio_argv(d, m).is_none() {
            continue;
        }
        for j in &project.services {
            if j.name == s.name || !is_job(d, j) || !init_targets(d, project, j).contains(&m.name) {
                continue;
            }
            let waits = s.depends_on.iter().any(|x| {
                x.name == j.name && x.condition.as_deref() == Some("service_completed_successfully")
            });
            if !waits {
                out.push(d.diag_at(
                    Severity::Error,
                    CODE_INIT_NOT_AWAITED,
                    &dep.at,
                    format!("`{}` depends on the storage `{}` but not on its init job `{}`: it can start before the bucket and the service account exist, or after the job failed", s.name, m.name, j.name),
                    format!("add `{}: {{ condition: service_completed_successfully }}` to the `depends_on` of `{}`", j.name, s.name),
                ));
            }
        }
    }
}
