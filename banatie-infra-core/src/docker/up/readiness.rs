//! Readiness: waiting for a started container to be healthy, running or completed, and
//! for a service's dependencies to reach their `depends_on` conditions.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::watch;

use super::desired::Desired;
use super::UpError;
use crate::docker::exec::exec_in;
use crate::docker::{DockerError, Engine};
use crate::spec::Condition;

/// Readiness of a service during `up`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ready {
    Pending,
    Started,
    Healthy,
    Completed,
    Failed,
}

/// Waits until each dependency of `service` reaches its condition; a dependency that
/// failed (or whose task ended) is [`UpError::DependencyFailed`].
pub(super) async fn wait_for_dependencies(
    service: &str,
    deps: Vec<(String, Condition, watch::Receiver<Ready>)>,
) -> Result<(), UpError> {
    let failed = |dep: &str| UpError::DependencyFailed {
        service: service.to_owned(),
        dependency: dep.to_owned(),
    };
    for (dep, cond, mut rx) in deps {
        loop {
            let state = rx.borrow().clone();
            let ok = match (cond, &state) {
                (_, Ready::Failed) => return Err(failed(&dep)),
                (Condition::Started, Ready::Started | Ready::Healthy | Ready::Completed) => true,
                (Condition::Healthy, Ready::Healthy) => true,
                (Condition::Completed, Ready::Completed) => true,
                _ => false,
            };
            if ok {
                break;
            }
            if rx.changed().await.is_err() {
                return Err(failed(&dep));
            }
        }
    }
    Ok(())
}

/// The last 50 lines of container `id`'s output since its latest start (a job started
/// again shows this run's output, not the last run's too).
async fn job_logs(engine: &Engine, id: &str) -> String {
    let since = engine
        .docker
        .inspect_container(
            id,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .ok()
        .and_then(|c| c.state?.started_at)
        .and_then(|t| crate::docker::status::parse_rfc3339_secs(&t))
        .unwrap_or(0);
    let mut out = Vec::new();
    let mut s = engine.docker.logs(
        id,
        Some(
            bollard::query_parameters::LogsOptionsBuilder::default()
                .stdout(true)
                .stderr(true)
                .since(since.try_into().unwrap_or(0))
                .tail("50")
                .build(),
        ),
    );
    while let Some(Ok(chunk)) = s.next().await {
        out.extend_from_slice(&chunk.into_bytes());
    }
    String::from_utf8_lossy(&out).trim_end().to_owned()
}

/// How long a service without a health check must run, not restarted, to be ready: 1 s.
pub(super) const SETTLE: Duration = Duration::from_secs(1);
/// How often `up` runs a waiting service's health-check command through exec.
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// How often `up` inspects a container it waits for.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Waits until the container reaches `target`: completed (exit 0), healthy, or running.
pub(super) async fn wait_ready(
    engine: &Engine,
    name: &str,
    id: &str,
    target: &Ready,
    d: &Desired,
    timeout: Duration,
) -> Result<(), UpError> {
    let start = Instant::now();
    let probe = Probe::of(d);
    let mut last_output: Option<String> = None;
    let mut last_probe = Instant::now() - PROBE_EVERY;
    // When it was first seen running, and its engine start time then.
    let mut running_since: Option<(Instant, Option<String>)> = None;
    loop {
        let c = engine
            .docker
            .inspect_container(
                id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .map_err(DockerError::api)?;
        let st = c.state.unwrap_or_default();
        let status = st.status.map(|s| s.to_string()).unwrap_or_default();
        if let Some(o) = st
            .health
            .as_ref()
            .and_then(|h| h.log.as_ref())
            .and_then(|l| l.last())
            .and_then(|r| r.output.clone())
        {
            last_output = Some(o.trim().to_owned());
        }
        let exited = status == "exited" || status == "dead";
        if status == "restarting"
            || (c.restart_count.unwrap_or(0) > 0
                && *target != Ready::Completed
                && running_since
                    .as_ref()
                    .is_some_and(|(_, at)| *at != st.started_at))
        {
            return Err(UpError::Stopped {
                service: name.into(),
                reason: format!(
                    "the engine keeps restarting it (restart {}, last exit code {}); its output:\n{}",
                    c.restart_count.unwrap_or(0),
                    st.exit_code.unwrap_or(-1),
                    job_logs(engine, id).await
                ),
            });
        }
        match target {
            Ready::Completed if exited => {
                let code = st.exit_code.unwrap_or(-1);
                if code == 0 {
                    return Ok(());
                }
                return Err(UpError::JobFailed {
                    service: name.into(),
                    code,
                    logs: job_logs(engine, id).await,
                    held_back: Vec::new(),
                });
            }
            Ready::Completed => {}
            _ if exited => {
                return Err(UpError::Stopped {
                    service: name.into(),
                    reason: format!(
                        "exited with code {}; its output:\n{}",
                        st.exit_code.unwrap_or(-1),
                        job_logs(engine, id).await
                    ),
                });
            }
            _ if status == "running" => {
                if *target == Ready::Started {
                    // Running for SETTLE without a restart: a process that exits at once
                    // (and that a restart policy brings back) is not ready.
                    match &running_since {
                        Some((t, at)) if *at == st.started_at && t.elapsed() >= SETTLE => {
                            return Ok(())
                        }
                        Some((_, at)) if *at == st.started_at => {}
                        _ => running_since = Some((Instant::now(), st.started_at.clone())),
                    }
                }
                let health = st
                    .health
                    .as_ref()
                    .and_then(|h| h.status)
                    .map(|s| s.to_string());
                if *target != Ready::Started && health.as_deref() == Some("healthy") {
                    return Ok(());
                }
                // The engine says `unhealthy` only after the start period and `retries`
                // failed checks in a row: the service's own verdict (Compose's `up
                // --wait` stops there too), so waiting on to the timeout helps no one.
                if *target == Ready::Healthy && health.as_deref() == Some("unhealthy") {
                    return Err(UpError::Unhealthy {
                        service: name.into(),
                        output: last_output,
                    });
                }
                if let (Some(p), false) = (&probe, *target == Ready::Started) {
                    if last_probe.elapsed() >= PROBE_EVERY {
                        last_probe = Instant::now();
                        match p.run(engine, name, id).await {
                            ProbeResult::Passed => return Ok(()),
                            ProbeResult::Output(o) => last_output = Some(o),
                            ProbeResult::Silent => {}
                        }
                    }
                }
            }
            _ => {}
        }
        if start.elapsed() >= timeout {
            let wanted = match target {
                Ready::Completed => "completed",
                Ready::Healthy => "healthy",
                _ => "running",
            };
            return Err(UpError::Timeout {
                service: name.into(),
                wanted,
                state: status,
                output: last_output,
                timeout,
            });
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// A service's own health-check command, run through exec while `up` waits for it.
struct Probe {
    /// The command: the `test` of a `CMD` check, or `/bin/sh -c` with a `CMD-SHELL` one.
    argv: Vec<String>,
    /// The engine's own timeout for one check (30 s when unset, the engine's default).
    timeout: Duration,
}

/// What one run of the health-check command gave.
enum ProbeResult {
    /// It exited 0.
    Passed,
    /// It failed or timed out, with its output or why.
    Output(String),
    /// It failed without output.
    Silent,
}

impl Probe {
    /// The probe of `d`'s health check, if it has a `CMD` or `CMD-SHELL` one.
    fn of(d: &Desired) -> Option<Self> {
        let h = d.body.healthcheck.as_ref()?;
        let t = h.test.clone()?;
        let argv = match t.first().map(String::as_str) {
            Some("CMD") => t[1..].to_vec(),
            Some("CMD-SHELL") => vec!["/bin/sh".into(), "-c".into(), t[1..].join(" ")],
            _ => return None,
        };
        // Nanoseconds in the create body.
        let timeout = h
            .timeout
            .filter(|ns| *ns > 0)
            .map(|ns| Duration::from_nanos(ns as u64))
            .unwrap_or(Duration::from_secs(30));
        Some(Self { argv, timeout })
    }

    /// Runs the command once in container `id` (the first 4 KiB of its output kept).
    async fn run(&self, engine: &Engine, name: &str, id: &str) -> ProbeResult {
        let mut out = Vec::new();
        let r = tokio::time::timeout(
            self.timeout,
            exec_in(
                engine,
                id,
                &self.argv,
                None,
                None::<tokio::io::Empty>,
                |_, b: &[u8]| {
                    if out.len() < 4096 {
                        out.extend_from_slice(b);
                    }
                    Ok(())
                },
            ),
        )
        .await;
        tracing::debug!(service = name, result = ?r.as_ref().map(|r| r.as_ref().ok()), "health-check command run through exec");
        match r {
            Ok(Ok(0)) => ProbeResult::Passed,
            Err(_) => ProbeResult::Output(format!(
                "the health-check command did not finish within {}s",
                self.timeout.as_secs_f64()
            )),
            _ if !out.is_empty() => {
                ProbeResult::Output(String::from_utf8_lossy(&out).trim().to_owned())
            }
            _ => ProbeResult::Silent,
        }
    }
}
