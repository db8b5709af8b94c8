//! `secrets rotate NAME`: a new value for one secret of the running stack, switched
//! without downtime, the old value kept until the switch is confirmed.
//!
//! The steps, in order (those after the check are [`RotateStep`]s), each undone when a
//! later one fails:
//!
//! 1. **check**: the secret can be rotated here ([`Rotation`]; refused otherwise, with
//!    what to do), and the stack runs as its files say (`plan` is a no-op), so the
//!    rotation deploys nothing else;
//! 2. **files**: `secrets.env` is copied to `secrets/.previous.env` (mode 0600; the old
//!    values, kept until the end), the new value written atomically, the values derived
//!    from it recomputed (a PostgreSQL `url_env`) and each service's own file rewritten;
//!    then the deploy's plan is checked: every service that receives the secret must roll
//!    start-first (or be a job, which runs again), else nothing goes on
//!    ([`RotateError::WouldRecreate`], unless `allow_recreate`);
//! 3. **database** (a PostgreSQL password): `ALTER ROLE ... PASSWORD` through `psql` in
//!    the running server, with a SCRAM-SHA-256 verifier computed here (`rotate/scram.rs`),
//!    so the password never reaches the server's log; the server keeps serving, and
//!    connections already open stay open;
//! 4. **deploy**: [`super::deploy`]: every service that receives the secret rolls onto a
//!    new container with the new value (a storage-init job runs again first and sets a
//!    rotated service-account key in MinIO); the others are kept.
//!
//! On success `secrets/.previous.env` is removed and a release is recorded with the verb
//! `rotate`. When step 3 or 4 fails, the old files are put back, the old password set
//! again, and `deploy` run once more to bring back what had already switched; the error
//! names the failed step and whether that restore worked. A rotation cut short (Ctrl-C,
//! a lost session, a crash) leaves `secrets/.previous.env`, whose first line names the
//! secret: the next rotation puts that one back first (files, password, `deploy`).
//!
//! Between steps 3 and 4 an old container holds its open connections but cannot open a
//! new one with the old password: a pool that reconnects in that window (the new
//! containers' time to healthy) sees an authentication error once.

mod scram;

use std::path::Path;

use serde::Serialize;

use super::up::{Action, Plan, UpError, UpEvent, UpOptions};
use super::Engine;
use crate::environment::{secret_vars, SecretKind};
use crate::jail::Root;
use crate::secrets::SecretsError;
use crate::spec::{JobTask, Service, Spec};

/// Where the old `secrets.env` is kept during a rotation, relative to the root (in the
/// per-service secrets directory; no service is named with a leading dot).
pub const PREVIOUS_FILE: &str = "secrets/.previous.env";

/// What rotating a secret changes besides the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rotation {
    /// The PostgreSQL password: set in the running server with `ALTER ROLE` first.
    DatabasePassword {
        /// The `postgres` service.
        service: String,
        /// The role (the spec's `user`).
        role: String,
    },
    /// A MinIO service account's secret key: the storage-init jobs run again and set it.
    ServiceAccountKey {
        /// The `minio` service.
        service: String,
        /// Its storage-init jobs.
        jobs: Vec<String>,
    },
    /// A value only the stack's own services read (a signing key, a provider's token):
    /// the services that receive it are redeployed. A signing key's old tokens and
    /// sessions stop verifying once the new containers serve.
    Value {
        /// Whether the operator supplied the new value (else it was generated).
        supplied: bool,
    },
}

/// A step of [`rotate`] that can fail after something changed ([`RotateError::Failed`];
/// the check before them refuses instead, changing nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RotateStep {
    /// Writing the new value (the old one kept in [`PREVIOUS_FILE`]).
    Files,
    /// `ALTER ROLE` in the running database.
    Database,
    /// Rolling the services that receive the secret.
    Deploy,
}

impl std::fmt::Display for RotateStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Files => "files",
            Self::Database => "database",
            Self::Deploy => "deploy",
        })
    }
}

/// Options of [`rotate`].
#[derive(Debug, Clone, Default)]
pub struct RotateOptions {
    /// The new value. Required for a supplied secret (a provider's key); a generated
    /// secret gets a new random value of its spec's length and alphabet when `None`.
    pub value: Option<String>,
    /// Go on when a service that receives the secret cannot roll and would be recreated
    /// (a moment of downtime for it). Default `false`: refused.
    pub allow_recreate: bool,
    /// The deploy's options (`start_first` is set).
    pub up: UpOptions,
}

/// What [`rotate`] did. Names only, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RotateReport {
    /// The secret.
    pub secret: String,
    /// What was changed besides the files.
    pub rotation: Rotation,
    /// The values derived from it that were recomputed (a `url_env`).
    pub derived: Vec<String>,
    /// The services the deploy rolled or recreated (jobs run again) onto the new value:
    /// those that receive it or a value derived from it (a PostgreSQL server, which reads
    /// its password only at initialisation, is kept).
    pub redeployed: Vec<String>,
    /// The deploy's plan.
    pub plan: Plan,
    /// The secret of an earlier rotation that did not finish (its [`PREVIOUS_FILE`] was
    /// there) and was put back first, if any.
    pub reverted: Option<String>,
}

/// Why [`rotate`] failed. Never holds a secret value.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The secret cannot be rotated by this command; nothing was changed.
    #[error("cannot rotate `{secret}`: {reason}\n  hint: {hint}")]
    Refused {
        /// The secret.
        secret: String,
        /// Why.
        reason: String,
        /// What to do instead.
        hint: String,
    },
    /// The stack does not run as its files say; nothing was changed.
    #[error("the stack has changes to deploy first ({}): a rotation deploys only the new value\n  hint: run `banatie-infra deploy`, then rotate", changes.join("; "))]
    Pending {
        /// The steps `plan` shows.
        changes: Vec<String>,
    },
    /// A service that receives the secret cannot roll; the files were put back.
    #[error("rotating `{secret}` would recreate {}: they cannot roll start-first\n  hint: pass `--allow-recreate` to accept a moment of downtime for them", services.join(", "))]
    WouldRecreate {
        /// The secret.
        secret: String,
        /// Each service with its reason.
        services: Vec<String>,
    },
    /// A step failed after the files changed; the old value was put back (or `restore`
    /// says what could not be).
    #[error("rotating `{secret}` failed at step `{step}`: {cause}\n  {}", match restored { None => "the old value was put back and the stack runs with it".to_owned(), Some(e) => format!("putting the old value back failed too: {e}; the old secrets.env is in {PREVIOUS_FILE}") })]
    Failed {
        /// The secret.
        secret: String,
        /// The step that failed.
        step: RotateStep,
        /// Its error.
        cause: String,
        /// `None` when the old value was put back; else why not.
        restored: Option<String>,
    },
    /// The check failed: the engine, or the root's files.
    #[error(transparent)]
    Up(#[from] UpError),
    /// `secrets.env` could not be read or written.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
}

/// Rotates secret `name` of the stack running from `root` (see the module docs). The
/// caller holds the root's lock (the CLI's `secrets rotate` does). `events` gets the
/// deploy's events.
///
/// Errors: [`RotateError`]; refusals and a stack with pending changes change nothing.
pub async fn rotate(
    engine: &Engine,
    spec: &Spec,
    root: &Path,
    name: &str,
    opts: &RotateOptions,
    events: &(dyn Fn(UpEvent) + Send + Sync),
) -> Result<RotateReport, RotateError> {
    let rotation = classify(spec, name, opts.value.as_deref())?;
    let jail = Root::open(root).map_err(|e| UpError::Root {
        path: root.to_owned(),
        reason: e.to_string(),
    })?;
    // The deploys of a rotation record one release, as `rotate`.
    let up = UpOptions {
        record: false,
        ..opts.up.clone()
    };
    let reverted = put_back_interrupted(engine, spec, root, &jail, &up).await?;
    converged(engine, spec, root).await?;
    let new = match &opts.value {
        Some(v) => v.clone(),
        None => generated(spec, name)?,
    };
    crate::redact::register(&new);
    let old_text = crate::secrets::read_text(&jail)?.unwrap_or_default();
    let old = value_in(&old_text, name).unwrap_or_default();
    write_previous(&jail, name, &old_text)?;
    let written = crate::secrets::replace_in(spec, &jail, name, &new)?;
    let switch = Switch {
        engine,
        spec,
        root,
        jail: &jail,
        secret: name,
        old_text: &old_text,
        rotation: &rotation,
    };
    let blocked = match super::up::plan(engine, spec, root).await {
        Ok(p) => cannot_roll(spec, p),
        Err(e) => return Err(switch.undo(RotateStep::Files, e.to_string(), None).await),
    };
    if !blocked.is_empty() && !opts.allow_recreate {
        crate::secrets::restore_text(spec, &jail, &old_text)?;
        let _ = jail.remove(PREVIOUS_FILE);
        return Err(RotateError::WouldRecreate {
            secret: name.to_owned(),
            services: blocked,
        });
    }
    if let Rotation::DatabasePassword { service, role } = &rotation {
        if let Err(e) = set_password(engine, spec, service, role, &new).await {
            return Err(switch.undo(RotateStep::Database, e, None).await);
        }
    }
    let plan = match super::up::deploy(engine, spec, root, &up, events).await {
        Ok(p) => p,
        Err(e) => {
            let undo_password = matches!(rotation, Rotation::DatabasePassword { .. });
            let old = undo_password.then_some(old.as_str());
            return Err(switch.undo_deploy(e.to_string(), old, &up).await);
        }
    };
    if !plan.is_noop() {
        let keep = opts.up.keep_releases;
        if let Ok(r) =
            crate::docker::releases::record(engine, spec, root, "rotate", None, keep).await
        {
            events(UpEvent::Recorded(r.id));
        }
    }
    let _ = jail.remove(PREVIOUS_FILE);
    Ok(RotateReport {
        secret: name.to_owned(),
        rotation,
        derived: written.derived,
        redeployed: redeployed(&plan),
        plan,
        reverted,
    })
}

/// The services `plan` rolled or recreated.
fn redeployed(plan: &Plan) -> Vec<String> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::Rollout { service, .. } | Action::Recreate { service, .. } => {
                Some(service.clone())
            }
            _ => None,
        })
        .collect()
}

/// [`RotateError::Pending`] unless the stack runs as its files say.
async fn converged(engine: &Engine, spec: &Spec, root: &Path) -> Result<(), RotateError> {
    let pending: Vec<String> = super::up::plan(engine, spec, root)
        .await?
        .actions
        .iter()
        .filter(|a| a.changes())
        .map(ToString::to_string)
        .collect();
    if pending.is_empty() {
        Ok(())
    } else {
        Err(RotateError::Pending { changes: pending })
    }
}

/// The value of `name` in the env-file text `text`.
fn value_in(text: &str, name: &str) -> Option<String> {
    crate::envfile::parse(text)
        .ok()?
        .into_iter()
        .find(|e| e.key == name)
        .map(|e| e.value)
}

/// The first line of [`PREVIOUS_FILE`], naming the secret being rotated.
const PREVIOUS_HEADER: &str = "# banatie-infra secrets rotate ";

/// A rotation cut short (Ctrl-C, a lost session, a crash) left [`PREVIOUS_FILE`]: its
/// values go back into `secrets.env` and each service's file, a PostgreSQL password is set
/// back with `ALTER ROLE`, and the stack is deployed with them, so it runs as before that
/// rotation began. Returns the secret it was rotating. Nothing to do without the file.
async fn put_back_interrupted(
    engine: &Engine,
    spec: &Spec,
    root: &Path,
    jail: &Root,
    up: &UpOptions,
) -> Result<Option<String>, RotateError> {
    let unreadable = |why: String| {
        RotateError::Refused {
        secret: PREVIOUS_FILE.to_owned(),
        reason: format!("an earlier rotation did not finish, and {PREVIOUS_FILE} {why}"),
        hint: format!("it held the values from before that rotation: compare it with secrets.env, keep the values the running services use, remove {PREVIOUS_FILE}, then rotate again"),
    }
    };
    let text = match jail.read(PREVIOUS_FILE, crate::jail::READ_LIMIT) {
        Ok(crate::jail::Node::Missing) => return Ok(None),
        Ok(crate::jail::Node::File { contents, .. }) => {
            String::from_utf8(contents).map_err(|_| unreadable("is not UTF-8".into()))?
        }
        Ok(crate::jail::Node::Unsafe { what, .. }) => return Err(unreadable(format!("is {what}"))),
        Err(e) => return Err(unreadable(format!("cannot be read: {e}"))),
    };
    let (first, old_text) = text.split_once('\n').unwrap_or((&text, ""));
    let Some(was) = first
        .strip_prefix(PREVIOUS_HEADER)
        .and_then(|r| r.split(':').next())
        .map(str::to_owned)
    else {
        return Err(unreadable(
            "does not say which secret it was rotating".into(),
        ));
    };
    let failed = |step: RotateStep, cause: String| RotateError::Failed {
        secret: was.clone(),
        step,
        cause: format!("putting back the rotation that did not finish: {cause}"),
        restored: Some(format!(
            "the values from before it are still in {PREVIOUS_FILE}"
        )),
    };
    crate::secrets::restore_text(spec, jail, old_text)
        .map_err(|e| failed(RotateStep::Files, e.to_string()))?;
    if let Some((service, role)) = postgres_role(spec, &was) {
        let old = value_in(old_text, &was).unwrap_or_default();
        set_password(engine, spec, &service, &role, &old)
            .await
            .map_err(|e| failed(RotateStep::Database, e))?;
    }
    super::up::deploy(engine, spec, root, up, &|_| {})
        .await
        .map_err(|e| failed(RotateStep::Deploy, e.to_string()))?;
    let _ = jail.remove(PREVIOUS_FILE);
    Ok(Some(was))
}

/// What can be rotated, and how; [`RotateError::Refused`] with what to do otherwise.
fn classify(spec: &Spec, name: &str, value: Option<&str>) -> Result<Rotation, RotateError> {
    let refuse = |reason: String, hint: String| RotateError::Refused {
        secret: name.to_owned(),
        reason,
        hint,
    };
    let vars = secret_vars(spec);
    let Some(var) = vars.iter().find(|v| v.name.as_str() == name) else {
        let names: Vec<&str> = vars
            .iter()
            .filter(|v| !v.kind.is_derived())
            .map(|v| v.name.as_str())
            .collect();
        let all = format!("name one of the spec's secrets ({})", names.join(", "));
        // A name in the wrong case is the likeliest slip (`postgres_password`).
        let upper = name.to_ascii_uppercase();
        let hint = match names.iter().find(|n| **n == upper) {
            Some(n) => format!("did you mean `{n}`?"),
            None => crate::rules::closest(name, names.iter().copied(), all),
        };
        return Err(refuse("the spec has no such secret".into(), hint));
    };
    match &var.kind {
        SecretKind::DatabaseUrl { service } => {
            return Err(refuse(
                format!("it is derived from the password of `{service}`"),
                format!("rotate `{}`: `{name}` follows", crate::spec::POSTGRES_PASSWORD),
            ))
        }
        SecretKind::Fixed { .. } => {
            return Err(refuse(
                "it is a name fixed by the spec, not a secret".into(),
                "change it in the spec and deploy".into(),
            ))
        }
        SecretKind::Supplied if value.is_none() => {
            return Err(refuse(
                "its value is supplied by the operator, and none was given".into(),
                format!("pipe the new value in: `printf %s \"$NEW\" | banatie-infra secrets rotate {name} --value-stdin SPEC`"),
            ))
        }
        _ => {}
    }
    if let Some(v) = value {
        if v.is_empty() || crate::validate::is_placeholder(v) {
            return Err(refuse(
                "the new value is empty or a placeholder".into(),
                "give the value itself".into(),
            ));
        }
        if v.chars().any(char::is_control) {
            return Err(refuse(
                "the new value holds a control character (a line break, a tab, NUL, ESC)".into(),
                "give the value on one line, printable characters only".into(),
            ));
        }
        if let SecretKind::Generated { length, .. } = &var.kind {
            if v.chars().count() < *length as usize {
                return Err(refuse(
                    format!("the new value has {} characters, the spec asks for {length}", v.chars().count()),
                    format!("give a value of at least {length} characters, or none: a new one is generated"),
                ));
            }
        }
    }
    if let Some((service, role)) = postgres_role(spec, name) {
        return Ok(Rotation::DatabasePassword { service, role });
    }
    for (svc_name, svc) in &spec.services {
        match svc {
            Service::Minio(_) if name == crate::spec::MINIO_ROOT_PASSWORD => {
                return Err(refuse(
                    format!("MinIO `{svc_name}` reads its root credentials only when it starts, and one server cannot switch them while it serves"),
                    "set the new value in secrets.env and run `banatie-infra up`: MinIO is recreated (a moment of downtime for it)".into(),
                ))
            }
            Service::Minio(m) if m.service_account.secret_key_secret.as_str() == name => {
                let jobs = storage_init_jobs(spec, svc_name.as_str());
                if jobs.is_empty() {
                    return Err(refuse(
                        format!("nothing sets it in MinIO `{svc_name}`: the spec has no storage_init job for it"),
                        format!("add a job with `task: {{ storage_init: {{ minio: {svc_name} }} }}`"),
                    ));
                }
                return Ok(Rotation::ServiceAccountKey {
                    service: svc_name.to_string(),
                    jobs,
                });
            }
            _ => {}
        }
    }
    Ok(Rotation::Value {
        supplied: value.is_some(),
    })
}

/// The PostgreSQL service and role whose password `name` is, if it is one.
fn postgres_role(spec: &Spec, name: &str) -> Option<(String, String)> {
    (name == crate::spec::POSTGRES_PASSWORD)
        .then(|| {
            spec.services.iter().find_map(|(n, s)| match s {
                Service::Postgres(pg) => Some((n.to_string(), pg.user.to_string())),
                _ => None,
            })
        })
        .flatten()
}

/// The storage-init jobs of MinIO service `minio`.
fn storage_init_jobs(spec: &Spec, minio: &str) -> Vec<String> {
    spec.services
        .iter()
        .filter(|(_, s)| {
            matches!(s, Service::Job(j) if matches!(&j.task, JobTask::StorageInit { minio: m } if m.as_str() == minio))
        })
        .map(|(n, _)| n.to_string())
        .collect()
}

/// A new random value for generated secret `name`, of its spec's length and alphabet.
fn generated(spec: &Spec, name: &str) -> Result<String, RotateError> {
    let var = secret_vars(spec)
        .into_iter()
        .find(|v| v.name.as_str() == name);
    match var.map(|v| v.kind) {
        Some(SecretKind::Generated { length, alphabet }) => {
            crate::secrets::generate(length, alphabet).map_err(|e| {
                RotateError::Secrets(SecretsError::Io {
                    path: "/dev/urandom".into(),
                    source: e,
                })
            })
        }
        _ => Err(RotateError::Refused {
            secret: name.to_owned(),
            reason: "it is not generated, and no value was given".into(),
            hint: "give the new value".into(),
        }),
    }
}

/// The services `deploy` would recreate rather than roll (jobs run again and are not
/// counted), each with its reason.
fn cannot_roll(spec: &Spec, plan: Plan) -> Vec<String> {
    plan.for_deploy(spec)
        .actions
        .into_iter()
        .filter_map(|a| match a {
            Action::Recreate { service, reason } => {
                (!super::up::is_job(spec, &service)).then(|| format!("`{service}` ({reason})"))
            }
            Action::Restart { service, because } => {
                Some(format!("`{service}` (restarted for `{because}`)"))
            }
            _ => None,
        })
        .collect()
}

/// Keeps the old `secrets.env` in [`PREVIOUS_FILE`] (mode 0600), after a first line that
/// names the secret being rotated ([`PREVIOUS_HEADER`]).
fn write_previous(jail: &Root, name: &str, old_text: &str) -> Result<(), RotateError> {
    let text = format!(
        "{PREVIOUS_HEADER}{name}: the values from before it, until it is confirmed\n{old_text}"
    );
    jail.write(PREVIOUS_FILE, text.as_bytes(), 0o600)
        .map(|_| ())
        .map_err(|e| {
            RotateError::Secrets(SecretsError::Io {
                path: jail.path().join(PREVIOUS_FILE),
                source: e.into(),
            })
        })
}

/// Sets the password of `role` in the running PostgreSQL of `service`: `ALTER ROLE` on
/// psql's standard input (never in an argv, which `docker inspect` and `ps` show), with
/// a SCRAM-SHA-256 verifier when the password is printable ASCII. The error holds psql's
/// output, redacted.
async fn set_password(
    engine: &Engine,
    spec: &Spec,
    service: &str,
    role: &str,
    password: &str,
) -> Result<(), String> {
    let Some(Service::Postgres(pg)) = spec
        .services
        .iter()
        .find(|(n, _)| n.as_str() == service)
        .map(|(_, s)| s)
    else {
        return Err(format!("no PostgreSQL service `{service}`"));
    };
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let value =
        scram::verifier(password, &salt, scram::ITERATIONS).unwrap_or_else(|| password.to_owned());
    crate::redact::register(&value);
    let sql = format!(
        "ALTER ROLE {} WITH PASSWORD {};\n",
        crate::render::quote::sql_ident(role),
        crate::render::quote::sql_literal(&value)
    );
    let argv: Vec<String> = [
        "psql",
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-U",
        role,
        "-d",
        pg.database.as_str(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut out = Vec::new();
    let code = super::exec(
        engine,
        spec,
        service,
        &argv,
        Some(std::io::Cursor::new(sql.into_bytes())),
        |_, b| out.extend_from_slice(b),
    )
    .await
    .map_err(|e| e.to_string())?;
    if code == 0 {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out);
    Err(format!(
        "psql exited with code {code}: {}",
        crate::redact::redact(text.trim())
    ))
}

/// What a failed rotation must put back.
struct Switch<'a> {
    engine: &'a Engine,
    spec: &'a Spec,
    root: &'a Path,
    jail: &'a Root,
    secret: &'a str,
    old_text: &'a str,
    rotation: &'a Rotation,
}

impl Switch<'_> {
    /// Puts the old files back (and the old password, when `old_password` is given) after
    /// `step` failed with `cause`.
    async fn undo(
        &self,
        step: RotateStep,
        cause: String,
        old_password: Option<&str>,
    ) -> RotateError {
        let mut problems = Vec::new();
        if let Err(e) = crate::secrets::restore_text(self.spec, self.jail, self.old_text) {
            problems.push(format!("the files: {e}"));
        }
        if let (Some(old), Rotation::DatabasePassword { service, role }) =
            (old_password, self.rotation)
        {
            if let Err(e) = set_password(self.engine, self.spec, service, role, old).await {
                problems.push(format!("the database password: {e}"));
            }
        }
        if problems.is_empty() {
            let _ = self.jail.remove(PREVIOUS_FILE);
        }
        RotateError::Failed {
            secret: self.secret.to_owned(),
            step,
            cause,
            restored: (!problems.is_empty()).then(|| problems.join("; ")),
        }
    }

    /// [`Switch::undo`] after the deploy failed, then `deploy` again so the services that
    /// had switched return to the old value.
    async fn undo_deploy(
        &self,
        cause: String,
        old_password: Option<&str>,
        up: &UpOptions,
    ) -> RotateError {
        let mut err = self.undo(RotateStep::Deploy, cause, old_password).await;
        if let RotateError::Failed {
            restored: restored @ None,
            ..
        } = &mut err
        {
            let again = super::up::deploy(self.engine, self.spec, self.root, up, &|_| {}).await;
            if let Err(e) = again {
                *restored = Some(format!("deploying the old value: {e}"));
            }
        }
        err
    }
}
