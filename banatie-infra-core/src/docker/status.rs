//! `status` and `wait`: the state of every container the spec owns.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::{ContainerInspectResponse, ContainerSummary};
use bollard::query_parameters::{InspectContainerOptions, ListContainersOptionsBuilder};
use futures_util::future::join_all;
use serde::Serialize;

use super::{DockerError, Engine};
use crate::render::label;
use crate::spec::{Service, ServiceKind, Spec};

/// One container as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerState {
    /// The container ID (64 hex characters).
    pub id: String,
    /// The container name, without the leading `/`.
    pub name: String,
    /// `created`, `running`, `restarting`, `exited`, `paused`, `dead`, `removing`.
    pub state: String,
    /// `healthy`, `unhealthy`, `starting`, or `None` without a health check.
    pub health: Option<String>,
    /// The output of the last health check, when there is one.
    pub last_health_output: Option<String>,
    /// How often the engine restarted it.
    pub restart_count: i64,
    /// Seconds since the engine last started it (running or not), when it ever started.
    pub last_start_secs: Option<u64>,
    /// While unhealthy: seconds since the first failed check of the current run of
    /// failures (at least that long when the run is longer than the engine's log of the
    /// last 5 checks).
    pub unhealthy_since_secs: Option<u64>,
    /// How many checks in a row failed (the engine's `FailingStreak`).
    pub failing_streak: i64,
    /// Seconds since it started, while running.
    pub uptime_secs: Option<u64>,
    /// The image name it was created from.
    pub image: String,
    /// The networks it is attached to, sorted.
    pub networks: Vec<String>,
    /// The exit code, once exited (or, while restarting, of its last run).
    pub exit_code: Option<i64>,
    /// The labels.
    #[serde(skip)]
    pub labels: HashMap<String, String>,
    /// Environment variable names (never values).
    #[serde(skip)]
    pub env_names: Vec<String>,
    /// Published host ports, as `IP:HOST->CONTAINER/PROTO`.
    #[serde(skip)]
    pub published: Vec<String>,
}

/// What `status` concludes about one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "detail")]
pub enum Verdict {
    /// Running (and healthy, if it has a health check), or a job that exited 0.
    Ok,
    /// Running, health check still in its start period.
    Starting,
    /// The health check fails.
    Unhealthy,
    /// No container.
    Missing,
    /// Not running: exited (a long-running service, or a job with a non-zero code),
    /// created but never started, restarting, dead.
    Down(String),
    /// The engine keeps restarting it: [`CRASH_LOOP_RESTARTS`] restarts or more and the
    /// last start less than [`CRASH_LOOP_WINDOW_SECS`] ago (restarting, or up again only
    /// briefly); the detail says how often, how long ago and the last exit code.
    CrashLoop(String),
}

/// Restarts from which a recently restarted service is in a crash loop: 3.
pub const CRASH_LOOP_RESTARTS: i64 = 3;
/// How recent the last start of a crash loop is: 120 s.
pub const CRASH_LOOP_WINDOW_SECS: u64 = 120;

impl Verdict {
    /// Whether this verdict counts as a failure for `status`'s exit code: a service
    /// missing, unhealthy, or not running (exited unexpectedly, created, restarting,
    /// dead). `Starting` is not: the engine has not had a passing check yet (a service in
    /// its start period, or just after `up`, which does not wait for the engine's next
    /// check), or a job still runs; a check that keeps failing makes it `Unhealthy`.
    pub fn is_failure(&self) -> bool {
        !matches!(self, Verdict::Ok | Verdict::Starting)
    }
}

/// The status of one service of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceStatus {
    /// The service name.
    pub service: String,
    /// Its kind (`app`, `postgres`, `minio`, `job`).
    pub kind: &'static str,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The container, if there is one.
    pub container: Option<ContainerState>,
}

pub(crate) fn parse_rfc3339_secs(s: &str) -> Option<i64> {
    // "2026-11-30T14:55:01.123456789Z": enough for uptime.
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let time = time.split(['+', '.']).next()?;
    let mut t = time.split(':').map(|x| x.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

pub(crate) fn state_of(c: &ContainerInspectResponse) -> ContainerState {
    let st = c.state.clone().unwrap_or_default();
    let health = st
        .health
        .as_ref()
        .and_then(|h| h.status)
        .map(|s| s.to_string())
        .filter(|s| !s.is_empty() && s != "none");
    let last_health_output = st
        .health
        .as_ref()
        .and_then(|h| h.log.as_ref())
        .and_then(|l| l.last())
        .and_then(|r| r.output.clone())
        .map(|o| o.trim().to_owned());
    let failing_streak = st
        .health
        .as_ref()
        .and_then(|h| h.failing_streak)
        .unwrap_or(0);
    let state = st
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "unknown".into());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let uptime_secs = if state == "running" {
        st.started_at
            .as_deref()
            .and_then(parse_rfc3339_secs)
            .map(|s| (now - s).max(0) as u64)
    } else {
        None
    };
    let last_start_secs = st
        .started_at
        .as_deref()
        .and_then(parse_rfc3339_secs)
        .filter(|s| *s > 0)
        .map(|s| (now - s).max(0) as u64);
    let unhealthy_since_secs = (health.as_deref() == Some("unhealthy"))
        .then(|| unhealthy_since(&st, now))
        .flatten();
    let config = c.config.clone().unwrap_or_default();
    let mut networks: Vec<String> = c
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.as_ref())
        .map(|n| n.keys().cloned().collect())
        .unwrap_or_default();
    networks.sort();
    let mut published = Vec::new();
    if let Some(ports) = c
        .host_config
        .as_ref()
        .and_then(|h| h.port_bindings.as_ref())
    {
        for (cport, binds) in ports {
            for b in binds.iter().flatten() {
                published.push(format!(
                    "{}:{}->{cport}",
                    b.host_ip.clone().unwrap_or_default(),
                    b.host_port.clone().unwrap_or_default()
                ));
            }
        }
    }
    published.sort();
    ContainerState {
        id: c.id.clone().unwrap_or_default(),
        name: c
            .name
            .clone()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_owned(),
        exit_code: if state == "exited" || state == "dead" || state == "restarting" {
            st.exit_code
        } else {
            None
        },
        state,
        health,
        last_health_output,
        restart_count: c.restart_count.unwrap_or(0),
        last_start_secs,
        unhealthy_since_secs,
        failing_streak,
        uptime_secs,
        image: config.image.clone().unwrap_or_default(),
        networks,
        labels: config.labels.clone().unwrap_or_default(),
        env_names: config
            .env
            .unwrap_or_default()
            .iter()
            .map(|kv| kv.split('=').next().unwrap_or_default().to_owned())
            .collect(),
        published,
    }
}

/// Seconds since the first failed check of the current run of failures, from the
/// engine's health log (its last 5 checks, each with its start time and exit code).
fn unhealthy_since(st: &bollard::models::ContainerState, now: i64) -> Option<u64> {
    let log = st.health.as_ref()?.log.as_ref()?;
    let first_failed = log
        .iter()
        .rev()
        .take_while(|r| r.exit_code.unwrap_or(0) != 0)
        .last()?;
    let start = first_failed.start.as_deref().and_then(parse_rfc3339_secs)?;
    Some((now - start).max(0) as u64)
}

/// The crash-loop verdict of a container, when it is in one ([`Verdict::CrashLoop`]).
fn crash_loop(c: &ContainerState) -> Option<Verdict> {
    let recent = c.last_start_secs? < CRASH_LOOP_WINDOW_SECS;
    let brief = c.state == "restarting"
        || c.state == "exited"
        || c.uptime_secs.is_some_and(|u| u < CRASH_LOOP_WINDOW_SECS);
    if c.restart_count < CRASH_LOOP_RESTARTS || !recent || !brief {
        return None;
    }
    let exit = c
        .exit_code
        .map_or(String::new(), |e| format!("; last exit code {e}"));
    Some(Verdict::CrashLoop(format!(
        "restarted {} times, last start {}s ago{exit}",
        c.restart_count,
        c.last_start_secs.unwrap_or(0)
    )))
}

fn verdict(kind: ServiceKind, c: &ContainerState) -> Verdict {
    if let Some(v) = crash_loop(c) {
        return v;
    }
    match c.state.as_str() {
        "running" => match c.health.as_deref() {
            Some("healthy") | None => {
                if kind == ServiceKind::Job {
                    Verdict::Starting
                } else {
                    Verdict::Ok
                }
            }
            Some("starting") => Verdict::Starting,
            Some(_) => Verdict::Unhealthy,
        },
        "exited" if kind == ServiceKind::Job && c.exit_code == Some(0) => Verdict::Ok,
        "exited" => Verdict::Down(format!("exited with code {}", c.exit_code.unwrap_or(-1))),
        other => Verdict::Down(other.to_owned()),
    }
}

/// The containers of the stack by service name: those labelled with the stack's name,
/// then, for services not found so, a container named like the service. Costs one
/// `GET /containers/json` plus one inspect per container, run concurrently.
pub(crate) async fn find(
    engine: &Engine,
    spec: &Spec,
) -> Result<
    (
        HashMap<String, ContainerInspectResponse>,
        Vec<ContainerInspectResponse>,
    ),
    DockerError,
> {
    let stack = spec.stack.name.as_str();
    let filters: HashMap<&str, Vec<String>> =
        HashMap::from([("label", vec![format!("{}={stack}", label::STACK)])]);
    let labelled = engine
        .docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await
        .map_err(DockerError::api)?;
    let mut ids: Vec<String> = labelled.iter().filter_map(|c| c.id.clone()).collect();
    let by_label: std::collections::HashSet<String> = labelled
        .iter()
        .filter_map(|c: &ContainerSummary| c.labels.as_ref()?.get(label::SERVICE).cloned())
        .collect();
    let unlabelled: Vec<&str> = spec
        .services
        .keys()
        .map(|k| k.as_str())
        .filter(|s| !by_label.contains(*s))
        .collect();
    if !unlabelled.is_empty() {
        let names: Vec<String> = unlabelled.iter().map(|s| format!("^/{s}$")).collect();
        let filters: HashMap<&str, Vec<String>> = HashMap::from([("name", names)]);
        let by_name = engine
            .docker
            .list_containers(Some(
                ListContainersOptionsBuilder::default()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(DockerError::api)?;
        ids.extend(by_name.iter().filter_map(|c| c.id.clone()));
    }
    ids.sort();
    ids.dedup();
    let inspected = join_all(ids.iter().map(|id| {
        engine
            .docker
            .inspect_container(id, None::<InspectContainerOptions>)
    }))
    .await;
    let mut owned = HashMap::new();
    let mut extra = Vec::new();
    for r in inspected {
        let c = match r {
            Ok(c) => c,
            // Removed between list and inspect: it is gone.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => continue,
            Err(e) => return Err(DockerError::api(e)),
        };
        let labels = c
            .config
            .as_ref()
            .and_then(|c| c.labels.clone())
            .unwrap_or_default();
        let name = c
            .name
            .clone()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_owned();
        let service = labels
            .get(label::SERVICE)
            .cloned()
            .filter(|_| labels.get(label::STACK).map(String::as_str) == Some(stack))
            .unwrap_or_else(|| name.clone());
        // A service's container has its name; another labelled one (the `<service>-next`
        // of a deploy in progress or interrupted) is extra.
        if spec.services.contains_key(service.as_str())
            && service == name
            && !owned.contains_key(&service)
        {
            owned.insert(service, c);
        } else {
            extra.push(c);
        }
    }
    Ok((owned, extra))
}

/// The status of every service of `spec`, in spec order.
///
/// A service fails (see [`Verdict::is_failure`]) when its container is missing,
/// unhealthy or not running; a one-shot job that exited 0 is fine, and so is a service
/// whose health is still `starting`.
pub async fn status(engine: &Engine, spec: &Spec) -> Result<Vec<ServiceStatus>, DockerError> {
    let (owned, _) = find(engine, spec).await?;
    Ok(spec
        .services
        .iter()
        .map(|(name, svc)| {
            let container = owned.get(name.as_str()).map(state_of);
            let verdict = container
                .as_ref()
                .map_or(Verdict::Missing, |c| verdict(svc.kind(), c));
            ServiceStatus {
                service: name.to_string(),
                kind: svc.kind().as_str(),
                verdict,
                container,
            }
        })
        .collect())
}

/// Why [`wait`] gave up.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The engine failed.
    #[error(transparent)]
    Docker(#[from] DockerError),
    /// A service reached a state it cannot leave by itself (a job exited non-zero, a
    /// container exited or is unhealthy).
    #[error("`{service}` failed: {reason}{}", output.as_deref().map(|o| format!("\nlast health-check output: {o}")).unwrap_or_default())]
    Failed {
        /// The service.
        service: String,
        /// What happened.
        reason: String,
        /// The last health-check output, if any.
        output: Option<String>,
    },
    /// The timeout passed first.
    #[error("timed out after {}s waiting for `{service}` ({state}){}", timeout.as_secs(), output.as_deref().map(|o| format!("\nlast health-check output: {o}")).unwrap_or_default())]
    Timeout {
        /// The first service not ready.
        service: String,
        /// Its state then.
        state: String,
        /// The last health-check output, if any.
        output: Option<String>,
        /// The timeout.
        timeout: Duration,
    },
}

/// Blocks until every named service (default: all) is ready, polling every 500 ms: a
/// service with a health check is `healthy`, one without is running, a job has exited 0.
///
/// Errors: [`WaitError::Failed`] as soon as a service cannot become ready (a job exited
/// non-zero; a container exited or `unhealthy`), with its last health-check output;
/// [`WaitError::Timeout`] after `timeout`.
pub async fn wait(
    engine: &Engine,
    spec: &Spec,
    services: &[String],
    timeout: Duration,
) -> Result<Vec<ServiceStatus>, WaitError> {
    for s in services {
        if !spec.services.contains_key(s.as_str()) {
            return Err(DockerError::UnknownService(s.clone()).into());
        }
    }
    let wanted = |name: &str| services.is_empty() || services.iter().any(|s| s == name);
    let start = Instant::now();
    loop {
        let all = status(engine, spec).await?;
        let mut pending = None;
        for st in all.iter().filter(|s| wanted(&s.service)) {
            let output = st
                .container
                .as_ref()
                .and_then(|c| c.last_health_output.clone());
            match &st.verdict {
                Verdict::Ok => {}
                Verdict::Unhealthy => {
                    return Err(WaitError::Failed {
                        service: st.service.clone(),
                        reason: "health check fails (unhealthy)".into(),
                        output,
                    })
                }
                Verdict::CrashLoop(why) => {
                    return Err(WaitError::Failed {
                        service: st.service.clone(),
                        reason: format!("crash loop: {why}"),
                        output,
                    })
                }
                Verdict::Down(why) if why != "created" && why != "restarting" => {
                    return Err(WaitError::Failed {
                        service: st.service.clone(),
                        reason: why.clone(),
                        output,
                    })
                }
                other => {
                    if pending.is_none() {
                        let state = match other {
                            Verdict::Missing => "missing".to_owned(),
                            Verdict::Starting => "starting".to_owned(),
                            Verdict::Down(w) => w.clone(),
                            _ => String::new(),
                        };
                        pending = Some((st.service.clone(), state, output));
                    }
                }
            }
        }
        let Some((service, state, output)) = pending else {
            return Ok(all);
        };
        if start.elapsed() >= timeout {
            return Err(WaitError::Timeout {
                service,
                state,
                output,
                timeout,
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The kind of a service by name, for callers that have only the name.
pub(crate) fn service<'a>(spec: &'a Spec, name: &str) -> Result<&'a Service, DockerError> {
    spec.services
        .get(name)
        .ok_or_else(|| DockerError::UnknownService(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::{verdict, ContainerState, Verdict};
    use crate::spec::ServiceKind;

    fn container(state: &str, health: Option<&str>, exit_code: Option<i64>) -> ContainerState {
        ContainerState {
            id: "0".repeat(64),
            name: "s".into(),
            state: state.into(),
            health: health.map(Into::into),
            last_health_output: None,
            restart_count: 0,
            last_start_secs: None,
            unhealthy_since_secs: None,
            failing_streak: 0,
            uptime_secs: None,
            image: "i:1".into(),
            networks: vec![],
            exit_code,
            labels: Default::default(),
            env_names: vec![],
            published: vec![],
        }
    }

    /// A service the engine keeps restarting is a crash loop (a failure), whatever state
    /// the last restart left it in; one restarted long ago, or only twice, is not.
    #[test]
    fn crash_loops_are_recent_repeated_restarts() {
        let mut c = container("restarting", None, Some(3));
        c.restart_count = 5;
        c.last_start_secs = Some(4);
        let v = verdict(ServiceKind::App, &c);
        assert_eq!(
            v,
            Verdict::CrashLoop("restarted 5 times, last start 4s ago; last exit code 3".into())
        );
        assert!(v.is_failure());
        let mut up_briefly = container("running", None, None);
        up_briefly.restart_count = 4;
        up_briefly.last_start_secs = Some(2);
        up_briefly.uptime_secs = Some(2);
        assert!(matches!(
            verdict(ServiceKind::Generic, &up_briefly),
            Verdict::CrashLoop(_)
        ));
        let mut settled = up_briefly.clone();
        settled.last_start_secs = Some(3600);
        settled.uptime_secs = Some(3600);
        assert_eq!(verdict(ServiceKind::Generic, &settled), Verdict::Ok);
        let mut twice = c.clone();
        twice.restart_count = 2;
        assert!(matches!(
            verdict(ServiceKind::App, &twice),
            Verdict::Down(_)
        ));
    }

    /// The exit code of `status`: missing, unhealthy and stopped services fail it; a
    /// service still starting (in its start period, or just after `up`) and a finished
    /// job do not.
    #[test]
    fn verdicts_and_which_fail_status() {
        let app = ServiceKind::App;
        let job = ServiceKind::Job;
        let cases = [
            (
                app,
                container("running", Some("healthy"), None),
                Verdict::Ok,
                false,
            ),
            (app, container("running", None, None), Verdict::Ok, false),
            (
                app,
                container("running", Some("starting"), None),
                Verdict::Starting,
                false,
            ),
            (
                app,
                container("running", Some("unhealthy"), None),
                Verdict::Unhealthy,
                true,
            ),
            (
                app,
                container("exited", None, Some(0)),
                Verdict::Down("exited with code 0".into()),
                true,
            ),
            (
                app,
                container("created", None, None),
                Verdict::Down("created".into()),
                true,
            ),
            (
                app,
                container("restarting", None, None),
                Verdict::Down("restarting".into()),
                true,
            ),
            (job, container("exited", None, Some(0)), Verdict::Ok, false),
            (
                job,
                container("exited", None, Some(3)),
                Verdict::Down("exited with code 3".into()),
                true,
            ),
            (
                job,
                container("running", None, None),
                Verdict::Starting,
                false,
            ),
        ];
        for (kind, c, want, fails) in cases {
            let got = verdict(kind, &c);
            assert_eq!(got, want, "{kind:?} {} {:?}", c.state, c.health);
            assert_eq!(got.is_failure(), fails, "{got:?}");
        }
        assert!(Verdict::Missing.is_failure());
    }

    #[test]
    fn rfc3339() {
        assert_eq!(super::parse_rfc3339_secs("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            super::parse_rfc3339_secs("2026-11-30T14:55:01.123456789Z"),
            Some(1_796_050_501)
        );
    }
}
