//! BI3xx, Compose semantics and health: health-check probes, images, timing, interpolation,
//! env-file parsing, start order of jobs and init, masked failures, unparsable files.

use super::{Finding, Rule};
use crate::diagnostic::{Code, Severity};
use crate::images;
use crate::types::{Duration, ImageRef};

const FAMILY: &str = "health";

/// BI301: a health check calls a binary the image does not ship.
pub const CODE_PROBE_BINARY_MISSING: Code = Code("BI301");
/// BI302: a health check probes `localhost` on a BusyBox image (reported by audit only).
pub const CODE_LOCALHOST_PROBE_BUSYBOX: Code = Code("BI302");
/// BI303: an image is not pinned (tag `latest` or no tag, and no digest).
pub const CODE_UNPINNED_IMAGE: Code = Code("BI303");
/// BI304: a service only on internal networks publishes a port, which is unreachable.
pub const CODE_PUBLISHED_ON_INTERNAL: Code = Code("BI304");
/// BI305: `probe: auto` on a base image that ships no known HTTP client.
pub const CODE_PROBE_UNKNOWN_IMAGE: Code = Code("BI305");
/// BI306: health-check timing that cannot work (`retries: 0`, timeout over interval, interval under 1s).
pub const CODE_HEALTH_TIMING: Code = Code("BI306");
/// BI307: a variable Compose interpolates is not set where Compose looks for it.
pub const CODE_UNSET_INTERPOLATION: Code = Code("BI307");
/// BI308: a literal `$` in a Compose value that Compose would interpolate.
pub const CODE_DOLLAR_NEEDS_ESCAPE: Code = Code("BI308");
/// BI309: an env-file value that Compose's parser cuts at `#` or expands at `$`.
pub const CODE_ENV_FILE_QUOTING: Code = Code("BI309");
/// BI310: a one-shot job starts when the server it works on has only started.
pub const CODE_JOB_RACE: Code = Code("BI310");
/// BI311: a service uses the storage before its init job has completed.
pub const CODE_INIT_NOT_AWAITED: Code = Code("BI311");
/// BI312: a script whose failures are masked.
pub const CODE_MASKED_FAILURE: Code = Code("BI312");
/// BI313: the image a build is based on cannot be read, so its health check is unchecked.
pub const CODE_UNKNOWN_BUILD_BASE: Code = Code("BI313");
/// BI314: an env file or Caddyfile that does not parse, or an `env_file` that is missing.
pub const CODE_UNPARSABLE: Code = Code("BI314");
/// BI315: an `environment` value written plain that Compose's YAML parser reads as a
/// number, boolean or timestamp, so the container gets other text.
pub const CODE_RETYPED_VALUE: Code = Code("BI315");
/// BI316: a shell script that does not parse (a quote, backquote, `$(` or `${` never
/// closed).
pub const CODE_SHELL_SYNTAX: Code = Code("BI316");

/// BI323: a service logging to `json-file` without `max-size`.
pub const CODE_UNBOUNDED_LOGS: Code = Code("BI323");
/// BI324: a long-running service without a memory limit.
pub const CODE_NO_MEMORY_LIMIT: Code = Code("BI324");
/// BI325: a PID 1 that does not act on SIGTERM, with no init process.
pub const CODE_PID1_SIGNALS: Code = Code("BI325");
/// BI326: migrations at start with a health budget shorter than they may take.
pub const CODE_START_PERIOD: Code = Code("BI326");
/// BI327: a restart policy whose effects nothing can notice.
pub const CODE_UNWATCHED_RESTART: Code = Code("BI327");
/// BI328: `docker compose up --force-recreate` of the whole stack or its stateful services.
pub const CODE_FORCE_RECREATE: Code = Code("BI328");
/// BI329: the memory limits of the stack's long-running services add up to more than
/// the host's memory.
pub const CODE_MEMORY_OVER_HOST: Code = Code("BI329");
/// BI330: a limit the engine refuses or that stops the service from running (a memory
/// limit under 6MiB, no CPUs, no log file kept).
pub const CODE_LIMIT_OUT_OF_RANGE: Code = Code("BI330");
/// BI331: a long-running service without `no-new-privileges`.
pub const CODE_NO_NEW_PRIVILEGES: Code = Code("BI331");
/// BI332: a worker or generic service whose health check the tool cannot derive and the
/// spec does not give (`health.exec` or `health.none`), or gives both.
pub const CODE_HEALTH_UNSTATED: Code = Code("BI332");
/// BI333: two mounts of one container at the same path, or a `tmpfs` over `/`.
pub const CODE_MOUNT_POINT: Code = Code("BI333");
/// BI317: the built stage runs its process as root.
pub const CODE_RUNS_AS_ROOT: Code = Code("BI317");
/// BI318: `CMD` or `ENTRYPOINT` in shell form: `sh` is PID 1 and SIGTERM is not forwarded.
pub const CODE_SHELL_FORM: Code = Code("BI318");
/// BI319: a Dockerfile `docker build` refuses or reads otherwise than written.
pub const CODE_DOCKERFILE_SYNTAX: Code = Code("BI319");
/// BI320: a `HEALTHCHECK` Docker refuses (an unknown option, a bad duration, no command).
pub const CODE_HEALTHCHECK_SYNTAX: Code = Code("BI320");
/// BI321: a `FROM` whose image is empty once its `ARG`s are substituted.
pub const CODE_EMPTY_BASE: Code = Code("BI321");

/// This family's rules, in code order.
pub(super) const RULES: &[Rule] = &[
    Rule::declare(
        CODE_PROBE_BINARY_MISSING,
        "healthcheck-binary-missing",
        Severity::Error,
        FAMILY,
        "a health check calls a binary the image does not ship",
    ),
    Rule::declare(
        CODE_LOCALHOST_PROBE_BUSYBOX,
        "localhost-probe-on-busybox",
        Severity::Error,
        FAMILY,
        "a health check probes localhost on a BusyBox image (wget tries ::1 first): use 127.0.0.1",
    ),
    Rule::declare(
        CODE_UNPINNED_IMAGE,
        "unpinned-image",
        Severity::Warning,
        FAMILY,
        "an unpinned image (tag `latest` or no tag, no digest)",
    ),
    Rule::declare(
        CODE_PUBLISHED_ON_INTERNAL,
        "published-on-internal-network",
        Severity::Error,
        FAMILY,
        "a service only on internal networks publishes a port, which is unreachable",
    ),
    Rule::declare(
        CODE_PROBE_UNKNOWN_IMAGE,
        "auto-probe-unknown-image",
        Severity::Error,
        FAMILY,
        "`probe: auto` on a base image not known to ship node, wget or curl",
    ),
    Rule::declare(
        CODE_HEALTH_TIMING,
        "health-timing-impossible",
        Severity::Error,
        FAMILY,
        "health timing that cannot work: `retries: 0`, timeout longer than interval, interval under 1s",
    ),
    Rule::declare(
        CODE_UNSET_INTERPOLATION,
        "unset-interpolation",
        Severity::Error,
        FAMILY,
        "a `${VAR}` Compose interpolates from the shell and the project .env only is not set there (defined only in an env_file, or later in .env), so it is empty",
    ),
    Rule::declare(
        CODE_DOLLAR_NEEDS_ESCAPE,
        "dollar-needs-escape",
        Severity::Error,
        FAMILY,
        "a literal `$` in a Compose value that Compose would interpolate (write `$$`), or an invalid `${`",
    ),
    Rule::declare(
        CODE_ENV_FILE_QUOTING,
        "env-file-quoting",
        Severity::Error,
        FAMILY,
        "an env-file value that Compose's parser cuts at `#` or expands at `$`: single-quote it",
    ),
    Rule::declare(
        CODE_JOB_RACE,
        "job-starts-before-server",
        Severity::Error,
        FAMILY,
        "a one-shot job depends on a server with the short form (`service_started`): it runs before the server accepts connections",
    ),
    Rule::declare(
        CODE_INIT_NOT_AWAITED,
        "init-job-not-awaited",
        Severity::Error,
        FAMILY,
        "a service depends on the storage while an init job exists, but does not wait for it with `service_completed_successfully`",
    ),
    Rule::declare(
        CODE_MASKED_FAILURE,
        "masked-failure",
        Severity::Error,
        FAMILY,
        "a job or operator script whose failures are masked (`|| echo`, `|| true`, `exit 0`, no `set -e`)",
    ),
    Rule::declare(
        CODE_UNKNOWN_BUILD_BASE,
        "unknown-build-base",
        Severity::Warning,
        FAMILY,
        "the Dockerfile of a built service cannot be read, so its health check is not checked against the image (pass `--base-image`)",
    ),
    Rule::declare(
        CODE_UNPARSABLE,
        "unparsable-file",
        Severity::Error,
        FAMILY,
        "an env file or Caddyfile that does not parse, or a required env_file that cannot be read",
    ),
    Rule::declare(
        CODE_RETYPED_VALUE,
        "retyped-environment-value",
        Severity::Error,
        FAMILY,
        "an `environment` value written plain that Compose's YAML parser reads as a number, boolean or timestamp: the container gets `1000` for `1_000`, `493` for `0755`, `1.1` for `1.10`, a date and time for `2025-01-01`",
    ),
    Rule::declare(
        CODE_SHELL_SYNTAX,
        "shell-syntax-error",
        Severity::Error,
        FAMILY,
        "a shell script that does not parse (a quote, backquote, `$(` or `${` that is never closed): the shell runs none of it",
    ),
    Rule::declare(
        CODE_UNBOUNDED_LOGS,
        "unbounded-json-file-logs",
        Severity::Warning,
        FAMILY,
        "a service logging to `json-file` (Docker's default) without `max-size`: its log grows until the disk is full",
    ),
    Rule::declare(
        CODE_NO_MEMORY_LIMIT,
        "no-memory-limit",
        Severity::Warning,
        FAMILY,
        "a long-running service without a memory limit (`mem_limit` or `deploy.resources.limits.memory`): one leak makes the kernel OOM killer pick any process of the host",
    ),
    Rule::declare(
        CODE_PID1_SIGNALS,
        "pid1-ignores-sigterm",
        Severity::Warning,
        FAMILY,
        "PID 1 is a shell, a package manager (`npm start`) or a runtime that ignores SIGTERM as PID 1, and there is no `init: true`: every stop waits the grace period, then SIGKILL",
    ),
    Rule::declare(
        CODE_START_PERIOD,
        "health-budget-shorter-than-migrations",
        Severity::Warning,
        FAMILY,
        "a service runs migrations when it starts but its health budget (`start_period` + `retries` x `interval`) is under 2 minutes: a slow migration marks it unhealthy and `up` aborts its dependents",
    ),
    Rule::declare(
        CODE_UNWATCHED_RESTART,
        "unwatched-restart",
        Severity::Warning,
        FAMILY,
        "a restart policy nothing can notice: a long-running service restarted without a health check, or a one-shot job restarted after it completes",
    ),
    Rule::declare(
        CODE_FORCE_RECREATE,
        "force-recreate-whole-stack",
        Severity::Warning,
        FAMILY,
        "`docker compose up --force-recreate` without service names, or naming PostgreSQL, MinIO or Caddy: every deploy restarts the stateful services",
    ),
    Rule::declare(
        CODE_MEMORY_OVER_HOST,
        "memory-limits-over-host",
        Severity::Warning,
        FAMILY,
        "the memory limits of the long-running services add up to more than the host's memory (`stack.host_memory`): under load the kernel's OOM killer picks a victim anyway",
    ),
    Rule::declare(
        CODE_LIMIT_OUT_OF_RANGE,
        "limit-out-of-range",
        Severity::Error,
        FAMILY,
        "a resource or log limit the engine refuses or that cannot work: `mem_limit` under 6MiB, `cpus` not above 0, `pids_limit` or `logging.max_file` 0, `shm_size` not below `mem_limit`",
    ),
    Rule::declare(
        CODE_NO_NEW_PRIVILEGES,
        "no-new-privileges-unset",
        Severity::Warning,
        FAMILY,
        "a long-running service without `security_opt: [no-new-privileges:true]`: a process in it may gain privileges through a setuid binary",
    ),
    Rule::declare(
        CODE_HEALTH_UNSTATED,
        "health-unstated",
        Severity::Error,
        FAMILY,
        "a worker or generic service says neither how its health is checked (`health.exec`, or `health_path` for a generic service) nor that it has none (`health.none`), or says both",
    ),
    Rule::declare(
        CODE_MOUNT_POINT,
        "duplicate-mount-point",
        Severity::Error,
        FAMILY,
        "two mounts of one container at the same path (a volume and a `tmpfs`, two volumes), or a `tmpfs` over `/`: Docker refuses to create the container",
    ),
    Rule::declare(
        CODE_RUNS_AS_ROOT,
        "image-runs-as-root",
        Severity::Warning,
        FAMILY,
        "the built stage of a Dockerfile runs its process as root (no `USER`, or `USER root` last)",
    ),
    Rule::declare(
        CODE_SHELL_FORM,
        "shell-form-pid1",
        Severity::Warning,
        FAMILY,
        "a Dockerfile's `CMD`/`ENTRYPOINT` in shell form: `/bin/sh -c` is PID 1 and does not forward SIGTERM, so `docker stop` kills the process after its timeout",
    ),
    Rule::declare(
        CODE_DOCKERFILE_SYNTAX,
        "dockerfile-syntax",
        Severity::Error,
        FAMILY,
        "a Dockerfile `docker build` refuses (unknown instruction, no `FROM`, an instruction before it) or reads otherwise than written (exec form that is not a JSON array)",
    ),
    Rule::declare(
        CODE_HEALTHCHECK_SYNTAX,
        "dockerfile-healthcheck-syntax",
        Severity::Error,
        FAMILY,
        "a Dockerfile `HEALTHCHECK` Docker refuses: an unknown option, a bad duration or count, no `CMD`",
    ),
    Rule::declare(
        CODE_EMPTY_BASE,
        "dockerfile-empty-base",
        Severity::Error,
        FAMILY,
        "a Dockerfile `FROM` whose image is empty once its `ARG`s are substituted (an `ARG` without default nor build arg)",
    ),
];

/// Whether `image` is unpinned: tag `latest` or none, and no digest.
pub(crate) fn is_unpinned(image: &ImageRef) -> bool {
    !image.has_digest() && matches!(image.tag(), None | Some("latest"))
}

/// BI301: the health check of `service` calls `binary`, which `image` is known not to
/// ship; `url` is the `(port, path)` the check requests, when it names one (the help's
/// Compose test asks the same). `None` when the image ships the binary, or when what it
/// ships is not known.
pub(crate) fn probe_binary_missing(
    service: &str,
    binary: &str,
    image: &ImageRef,
    url: Option<(&str, &str)>,
) -> Option<Finding> {
    if images::ships(image, binary) != Some(false) {
        return None;
    }
    let test = images::suggested_probe(image).map(|p| {
        let (port, path) = url.unwrap_or(("PORT", "/PATH"));
        p.replace("PORT", port).replace("/PATH", path)
    });
    let help = match (images::http_probe(image), test) {
        (Some(p), Some(t)) => format!(
            "call a program `{image}` ships: `probe: {p}` in a spec; in a Compose file, the test `{t}`"
        ),
        (Some(p), None) => format!(
            "call a program `{image}` ships: `probe: {p}` in a spec; in a Compose file, a test that runs `{p}`"
        ),
        (None, Some(t)) => format!(
            "call a program `{image}` ships: in a Compose file, the test `{t}`; in a spec, `probe` needs node, wget or curl: base the final stage on an image that ships one and set `base_image` to it"
        ),
        (None, None) => format!(
            "`{image}` ships none of node, wget and curl: in a spec, base the final stage on an image that ships one and set `base_image` to it; in a Compose file, call a program it ships (the server's own client)"
        ),
    };
    Some(Finding::new(
        CODE_PROBE_BINARY_MISSING,
        format!(
            "the health check of `{service}` calls `{binary}`, which `{image}` does not ship: the container would never become healthy"
        ),
        help,
    ))
}

/// BI303: `image` is pulled unpinned (a warning); `None` when it is pinned.
pub(crate) fn unpinned_image(image: &ImageRef) -> Option<Finding> {
    is_unpinned(image).then(|| {
        Finding::new(
            CODE_UNPINNED_IMAGE,
            format!(
                "image `{image}` is not pinned: `latest` changes under you, and with it the binaries a health check can call"
            ),
            format!(
                "pin a release tag (or a digest), for example `{}:<version>`",
                image.repository()
            ),
        )
    })
}

/// BI306: the health-check timing of `service` that cannot work: `retries` 0, an
/// `interval` under 1s, a `timeout` longer than the interval (`timeout_is_default`: the
/// timeout was not written, so the interval is the value to change). Each finding comes
/// with the field it is about (`retries`, `interval` or `timeout`); none when the timing
/// can work.
pub(crate) fn health_timing(
    service: &str,
    interval: Duration,
    timeout: Duration,
    retries: u32,
    timeout_is_default: bool,
) -> Vec<(&'static str, Finding)> {
    let mut out = Vec::new();
    if retries == 0 {
        out.push((
            "retries",
            Finding::new(
                CODE_HEALTH_TIMING,
                format!(
                    "`{service}` has `retries: 0`: no failed check could ever mark it unhealthy"
                ),
                "use at least 1 (the default is 3)",
            ),
        ));
    }
    if interval.as_millis() < 1000 {
        out.push((
            "interval",
            Finding::new(
                CODE_HEALTH_TIMING,
                format!("`{service}` checks its health every {interval}: checks would pile up"),
                "use an interval of at least 1s (the default is 30s)",
            ),
        ));
    } else if timeout > interval {
        let (field, note) = if timeout_is_default {
            ("interval", " (the default)")
        } else {
            ("timeout", "")
        };
        out.push((
            field,
            Finding::new(
                CODE_HEALTH_TIMING,
                format!("the health-check timeout of `{service}`, {timeout}{note}, is longer than its interval, {interval}"),
                "make the timeout at most the interval",
            ),
        ));
    }
    out
}

/// BI304: `service` publishes ports while all its networks are internal.
pub(crate) fn published_on_internal(service: &str) -> Finding {
    Finding::new(
        CODE_PUBLISHED_ON_INTERNAL,
        format!("service `{service}` publishes ports but is only on internal networks: the ports are silently unreachable"),
        "remove the published ports (`publish` in a spec, `ports` in a Compose file) and serve it through the proxy, or attach a network that is not internal",
    )
}
