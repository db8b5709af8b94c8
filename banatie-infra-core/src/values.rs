//! What the consumers of the generated files accept, for the spec's free-text values.
//!
//! The renderer encodes every value for its target language ([`crate::render::quote`]);
//! a value that a consumer cannot take literally in any encoding is refused here, at
//! validation time, with a code, a JSON pointer and a help line:
//!
//! | code | values | consumer |
//! | --- | --- | --- |
//! | `BI209` | secret descriptions | one-line `#` comments of `secrets.env` and its example |
//! | `BI513` | lifecycle rule IDs and prefixes, the public read prefix | MinIO (S3 lifecycle XML, object names, bucket policy resources) |
//! | `BI514` | MinIO root user, service-account access key, policy name | MinIO credentials, `mc` arguments |
//! | `BI515` | PostgreSQL role and database names | PostgreSQL (`CREATE ROLE`, `initdb -U`, connections) |
//! | `BI516` | host directories and mount targets | the deployment root's own files, Docker bind mounts |
//!
//! A NUL in any string is refused by the loader (`BI109`, [`crate::load::CODE_NUL`]).
//! Messages never repeat a refused value raw: control characters are shown escaped.

use crate::diagnostic::{pointer, Code, Diagnostic};
use crate::render;
use crate::spec::{Service, Spec};
use crate::types::{AbsPath, RelPath};

pub use crate::rules::secrets::CODE_DESCRIPTION;
pub use crate::rules::storage::{
    CODE_HOST_PATH, CODE_MINIO_NAME, CODE_OBJECT_KEY, CODE_POSTGRES_NAME,
};

/// `s` for a message: at most 60 characters, control characters escaped.
fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(60)
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// The first character of `s` that is a control character (Unicode category Cc: C0,
/// DEL, C1) or a line or paragraph separator, with its character index.
fn first_control(s: &str) -> Option<(usize, char)> {
    s.chars()
        .enumerate()
        .find(|(_, c)| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
}

/// Checks a free-text description: one line, no control characters (a description is
/// written as a `#` comment in `secrets.env` and `secrets.env.example`; a line break there
/// would start a new variable, which Compose hands to every service).
///
/// ```
/// use banatie_infra_core::values::check_description;
/// assert!(check_description("Gemini API key — from the console").is_ok());
/// assert!(check_description("key\nNODE_OPTIONS=--require=./evil.js").is_err());
/// ```
pub fn check_description(s: &str) -> Result<(), String> {
    match first_control(s) {
        None => Ok(()),
        Some((i, c)) => Err(format!(
            "holds {} at character {}: a description is one line of text",
            c.escape_unicode(),
            i + 1
        )),
    }
}

/// Whether `c` is a character XML 1.0 can carry literally and unchanged (the `Char`
/// production without the C0 controls that XML normalizes or forbids): MinIO stores
/// lifecycle rules as XML, and S3 sends object keys in XML listings.
fn xml_text_char(c: char) -> bool {
    !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}')
}

/// Checks a lifecycle rule ID: 1 to 255 bytes (S3 lifecycle configuration, `Rule.ID`;
/// MinIO `internal/bucket/lifecycle/rule.go` refuses longer ones), text XML carries
/// unchanged (MinIO keeps the configuration as XML), and not empty (MinIO would invent
/// an ID on every import, so the rule could never be found again by its name).
///
/// ```
/// use banatie_infra_core::values::check_rule_id;
/// assert!(check_rule_id("temp-cleanup").is_ok());
/// assert!(check_rule_id("x$(touch pwned)").is_ok()); // literal text to S3; quoted by the renderer
/// assert!(check_rule_id(&"a".repeat(256)).is_err());
/// assert!(check_rule_id("a\nb").is_err());
/// ```
pub fn check_rule_id(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty: MinIO would invent a new ID on every import".into());
    }
    if s.len() > 255 {
        return Err(format!(
            "is {} bytes long: S3 and MinIO take at most 255",
            s.len()
        ));
    }
    if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !xml_text_char(*c)) {
        return Err(format!(
            "holds {} at character {}: MinIO keeps lifecycle rules as XML, which cannot carry it unchanged",
            c.escape_unicode(),
            i + 1
        ));
    }
    Ok(())
}

/// Checks an object key prefix (a lifecycle rule's `prefix`, or the public read prefix
/// when `public`): at most 1024 bytes (S3 object keys), XML text (see [`check_rule_id`]),
/// and something MinIO's object names can start with: no leading `/`, no `//`, no `.`
/// or `..` component (MinIO `cmd/object-api-input-checks.go` refuses such names, so the
/// prefix would match nothing). A public prefix also has no `*`, `?` (wildcards in the
/// bucket policy's `Resource`, which `mc anonymous set` writes) or `$` (policy variables
/// such as `${aws:username}`), so it grants exactly the keys it names.
///
/// ```
/// use banatie_infra_core::values::check_object_prefix;
/// assert!(check_object_prefix("temp/", false).is_ok());
/// assert!(check_object_prefix("\"; cmd; echo \"", false).is_ok()); // literal; quoted by the renderer
/// assert!(check_object_prefix("a//b/", false).is_err());
/// assert!(check_object_prefix("pub*/", true).is_err());
/// ```
pub fn check_object_prefix(s: &str, public: bool) -> Result<(), String> {
    if s.len() > 1024 {
        return Err(format!(
            "is {} bytes long: S3 object keys are at most 1024",
            s.len()
        ));
    }
    if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !xml_text_char(*c)) {
        return Err(format!(
            "holds {} at character {}: object keys travel as XML, which cannot carry it unchanged",
            c.escape_unicode(),
            i + 1
        ));
    }
    if s.starts_with('/') {
        return Err(
            "starts with `/`: MinIO object names never do, so it would match nothing".into(),
        );
    }
    if s.contains("//") {
        return Err("holds `//`: MinIO object names never do, so it would match nothing".into());
    }
    // Components followed by `/` are whole; the last one may be the start of a longer name.
    let mut parts: Vec<&str> = s.split('/').collect();
    parts.pop();
    if parts.iter().any(|c| *c == "." || *c == "..") {
        return Err(
            "has a `.` or `..` component: MinIO object names never do, so it would match nothing"
                .into(),
        );
    }
    if public {
        if let Some(c) = s.chars().find(|c| matches!(c, '*' | '?' | '$')) {
            return Err(format!(
                "holds `{c}`: in the bucket policy `mc anonymous set` writes it is a wildcard or a policy variable, which would make more than this prefix public"
            ));
        }
    }
    Ok(())
}

/// Checks a MinIO user name (the root user or a service account's access key): at least
/// 3 characters, no `=` or `,` (MinIO `internal/auth/credentials.go`: `accessKeyMinLen`,
/// `reservedChars`), no `/` (the SigV4 credential scope is `/`-separated), no whitespace
/// or control characters (the `Authorization` header trims and splits on them), and no
/// leading `-` (`mc` would read it as an option).
///
/// ```
/// use banatie_infra_core::values::check_minio_user;
/// assert!(check_minio_user("banatie_service").is_ok());
/// assert!(check_minio_user("--help").is_err());
/// assert!(check_minio_user("a=b").is_err());
/// ```
pub fn check_minio_user(s: &str) -> Result<(), String> {
    if s.chars().count() < 3 {
        return Err("is shorter than 3 characters, MinIO's minimum for user names".into());
    }
    minio_word(s, "=,/")
}

/// Checks the name of the policy attached to the service account: not empty, no `,`
/// (MinIO reads a comma-separated list of policies: `a,consoleAdmin` would attach both),
/// no whitespace or control characters, no leading `-` (`mc` would read it as an option).
///
/// ```
/// use banatie_infra_core::values::check_policy;
/// assert!(check_policy("readwrite").is_ok());
/// assert!(check_policy("readwrite,consoleAdmin").is_err());
/// assert!(check_policy("--user=x").is_err());
/// ```
pub fn check_policy(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    minio_word(s, ",")
}

fn minio_word(s: &str, reserved: &str) -> Result<(), String> {
    if s.starts_with('-') {
        return Err("starts with `-`: mc would read it as an option".into());
    }
    if let Some(c) = s.chars().find(|c| reserved.contains(*c)) {
        return Err(format!("holds `{c}`, which MinIO reserves here"));
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "holds {}: no whitespace or control characters",
            c.escape_unicode()
        ));
    }
    Ok(())
}

/// Checks a PostgreSQL role name: not `pg_*` (reserved: `CREATE ROLE` and `initdb -U`
/// refuse them), not `public` or `none` (reserved words `CREATE ROLE` refuses). Length and
/// characters are [`crate::types::SqlIdent`]'s.
///
/// ```
/// use banatie_infra_core::values::check_role_name;
/// assert!(check_role_name("banatie_user").is_ok());
/// assert!(check_role_name("pg_monitor").is_err());
/// assert!(check_role_name("public").is_err());
/// ```
pub fn check_role_name(s: &str) -> Result<(), String> {
    if s.starts_with("pg_") {
        return Err("starts with `pg_`: PostgreSQL reserves such role names".into());
    }
    if matches!(s, "public" | "none") {
        return Err("is a role name PostgreSQL reserves".into());
    }
    Ok(())
}

/// Checks a PostgreSQL database name: not `template0`, which accepts no connections (the
/// image's entrypoint and the init SQL connect to the database).
///
/// ```
/// use banatie_infra_core::values::check_database_name;
/// assert!(check_database_name("banatie_db").is_ok());
/// assert!(check_database_name("template0").is_err());
/// ```
pub fn check_database_name(s: &str) -> Result<(), String> {
    if s == "template0" {
        return Err("accepts no connections".into());
    }
    Ok(())
}

/// The top-level names of the deployment root that the tool writes: every rendered
/// file's first path component, and `secrets.env`.
fn generated_top_level() -> [&'static str; 10] {
    let first = |p: &'static str| p.split('/').next().unwrap_or(p);
    [
        // The release records `up`, `deploy` and `rollback` write (`docker::releases`).
        "releases",
        // Each service's own secrets file (`secrets/<service>.env`): a service mounting
        // the directory would read every other service's secrets.
        crate::environment::SERVICE_SECRETS_DIR,
        render::COMPOSE_FILE,
        render::ENV_FILE,
        render::SECRETS_FILE,
        render::SECRETS_EXAMPLE,
        first(render::PREPARE_HOST),
        first(render::CADDYFILE),
        render::DIRECTORIES,
        render::MONITORING,
    ]
}

/// Checks a host directory under the deployment root (a mount source, a data, backup
/// or log directory): not the root itself (`.`), not one of the bundle's own files or
/// directories (`secrets.env`, `.env`, `scripts/`, `caddy/`, `releases/`, ...) or anything inside them,
/// and no top-level name starting with `.` (the root's hidden files are the tool's). The
/// directory is created and chowned to the service that mounts it, so any of those would
/// hand the service the stack's secrets or the scripts that run with them.
///
/// ```
/// use banatie_infra_core::values::check_host_dir;
/// assert!(check_host_dir(&"data/uploads".parse().unwrap()).is_ok());
/// assert!(check_host_dir(&"secrets.env".parse().unwrap()).is_err());
/// assert!(check_host_dir(&"./scripts/job".parse().unwrap()).is_err());
/// assert!(check_host_dir(&"releases".parse().unwrap()).is_err());
/// assert!(check_host_dir(&"secrets/api.env".parse().unwrap()).is_err());
/// assert!(check_host_dir(&".".parse().unwrap()).is_err());
/// ```
pub fn check_host_dir(p: &RelPath) -> Result<(), String> {
    let parts: Vec<&str> = components(p.as_str());
    let Some(top) = parts.first() else {
        return Err("is the deployment root itself".into());
    };
    if generated_top_level().contains(top) {
        return Err(format!(
            "is `{top}` or inside it, which banatie-infra writes: a service must not own or mount it"
        ));
    }
    if top.starts_with('.') {
        return Err(format!(
            "starts with `{top}`: names starting with `.` at the top of the deployment root are banatie-infra's"
        ));
    }
    Ok(())
}

/// Checks a mount target in a container: not `/` (in any spelling, `/.`, `//`), which
/// Docker refuses to bind over. (Validation also refuses a target that names the bundle's
/// own paths on the host, `<root>/secrets.env`, `<root>/scripts/...`.)
///
/// ```
/// use banatie_infra_core::values::check_mount_target;
/// assert!(check_mount_target(&"/app/data".parse().unwrap()).is_ok());
/// assert!(check_mount_target(&"/./".parse().unwrap()).is_err());
/// ```
pub fn check_mount_target(p: &AbsPath) -> Result<(), String> {
    if components(p.as_str()).is_empty() {
        return Err("is `/`: a bind mount cannot replace the container's root".into());
    }
    Ok(())
}

/// The components of a `/`-separated path, without empty and `.` ones.
fn components(p: &str) -> Vec<&str> {
    p.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

fn push(
    out: &mut Vec<Diagnostic>,
    code: Code,
    at: &[&str],
    what: String,
    reason: String,
    help: &str,
) {
    let mut d = Diagnostic::error(code, pointer(at), format!("{what} {reason}"));
    d.help = Some(help.into());
    out.push(d);
}

/// BI209: secrets' descriptions are one line.
pub(crate) fn descriptions(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, s) in &spec.secrets {
        if let Some(d) = &s.description {
            if let Err(reason) = check_description(d) {
                push(
                    out,
                    CODE_DESCRIPTION,
                    &["secrets", name.as_str(), "description"],
                    format!("the description of secret `{name}`"),
                    reason,
                    "write it on one line, without tabs or other control characters",
                );
            }
        }
    }
}

/// BI513: lifecycle rule IDs and prefixes, and the public read prefix.
pub(crate) fn object_keys(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Minio(m) = svc else { continue };
        let n = name.as_str();
        for (i, r) in m.lifecycle.iter().enumerate() {
            let i = i.to_string();
            if let Err(reason) = check_rule_id(&r.id) {
                push(
                    out,
                    CODE_OBJECT_KEY,
                    &["services", n, "lifecycle", &i, "id"],
                    format!("lifecycle rule ID `{}`", shown(&r.id)),
                    reason,
                    "use a short one-line name, for example `temp-cleanup`",
                );
            }
            if let Err(reason) = check_object_prefix(&r.prefix, false) {
                push(
                    out,
                    CODE_OBJECT_KEY,
                    &["services", n, "lifecycle", &i, "prefix"],
                    format!("lifecycle prefix `{}`", shown(&r.prefix)),
                    reason,
                    "use the start of the object keys to expire, for example `temp/`",
                );
            }
        }
        // A leading `/` is BI505's.
        if let Some(p) = m
            .public_read_prefix
            .as_ref()
            .filter(|p| !p.starts_with('/'))
        {
            if let Err(reason) = check_object_prefix(p, true) {
                push(
                    out,
                    CODE_OBJECT_KEY,
                    &["services", n, "public_read_prefix"],
                    format!("public read prefix `{}`", shown(p)),
                    reason,
                    "use a literal key prefix ending with `/`, for example `public/`",
                );
            }
        }
    }
}

/// BI514: MinIO user names and the service account's policy.
pub(crate) fn minio_names(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Minio(m) = svc else { continue };
        let n = name.as_str();
        let help = "use letters, digits, `_`, `.` and `-`, at least 3, not starting with `-`";
        if let Err(reason) = check_minio_user(&m.root_user) {
            push(
                out,
                CODE_MINIO_NAME,
                &["services", n, "root_user"],
                format!("root user `{}`", shown(&m.root_user)),
                reason,
                help,
            );
        }
        let sa = &m.service_account;
        if let Err(reason) = check_minio_user(&sa.access_key) {
            push(
                out,
                CODE_MINIO_NAME,
                &["services", n, "service_account", "access_key"],
                format!("access key `{}`", shown(&sa.access_key)),
                reason,
                help,
            );
        }
        if let Err(reason) = check_policy(&sa.policy) {
            push(
                out,
                CODE_MINIO_NAME,
                &["services", n, "service_account", "policy"],
                format!("policy `{}`", shown(&sa.policy)),
                reason,
                "name one policy, for example `readwrite` or `readonly`",
            );
        }
    }
}

/// BI515: PostgreSQL role and database names.
pub(crate) fn postgres_names(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Postgres(pg) = svc else { continue };
        let n = name.as_str();
        if let Err(reason) = check_role_name(pg.user.as_str()) {
            push(
                out,
                CODE_POSTGRES_NAME,
                &["services", n, "user"],
                format!("role `{}`", pg.user),
                reason,
                "pick another name, for example `app_user`",
            );
        }
        if let Err(reason) = check_database_name(pg.database.as_str()) {
            push(
                out,
                CODE_POSTGRES_NAME,
                &["services", n, "database"],
                format!("database `{}`", pg.database),
                reason,
                "pick another name, for example `app_db`",
            );
        }
    }
}

/// BI516: host directories and mount targets.
pub(crate) fn host_paths(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let root = spec.stack.root();
    let root_parts = components(root.as_str());
    if root_parts.is_empty() {
        push(
            out,
            CODE_HOST_PATH,
            &["stack", "root"],
            "the deployment root".into(),
            "is `/`: every file of the stack, secrets.env included, would be written there".into(),
            "use a directory of its own, for example `/opt/<stack>`",
        );
    }
    fn dir(p: &RelPath, at: &[&str], out: &mut Vec<Diagnostic>) {
        if let Err(reason) = check_host_dir(p) {
            push(
                out,
                CODE_HOST_PATH,
                at,
                format!("host directory `{p}`"),
                reason,
                "use a directory of its own under the root, for example `data/<service>`",
            );
        }
    }
    dir(&spec.backups.dir, &["backups", "dir"], out);
    for (name, svc) in &spec.services {
        let n = name.as_str();
        match svc {
            Service::App(_) | Service::Worker(_) | Service::Generic(_) => {
                let (logs, volumes) = match svc {
                    Service::App(a) => (a.logs.as_ref(), &a.volumes),
                    Service::Worker(w) => (None, &w.volumes),
                    Service::Generic(g) => (None, &g.volumes),
                    _ => unreachable!("matched above"),
                };
                let mounts = logs
                    .map(|m| (m, vec!["logs".to_string()]))
                    .into_iter()
                    .chain(
                        volumes
                            .iter()
                            .enumerate()
                            .map(|(i, m)| (m, vec!["volumes".to_string(), i.to_string()])),
                    );
                for (m, place) in mounts {
                    let mut at = vec!["services", n];
                    at.extend(place.iter().map(String::as_str));
                    let mut src = at.clone();
                    src.push("source");
                    dir(&m.source, &src, out);
                    // A target naming the bundle's own host paths (`<root>/secrets.env`)
                    // is refused too: it can only be meant to expose them.
                    let target = check_mount_target(&m.target)
                        .err()
                        .or_else(|| in_root(&components(m.target.as_str()), &root_parts));
                    if let Some(reason) = target {
                        at.push("target");
                        push(
                            out,
                            CODE_HOST_PATH,
                            &at,
                            format!("mount target `{}`", m.target),
                            reason,
                            "mount at a directory of the app, for example `/app/data`",
                        );
                    }
                }
            }
            Service::Postgres(p) => dir(&p.data, &["services", n, "data"], out),
            Service::Minio(m) => dir(&m.data, &["services", n, "data"], out),
            Service::Job(_) => {}
        }
    }
    log_dir(spec, &root_parts, out);
}

/// For an absolute path of `parts` under the deployment root of `root_parts`: why it may
/// not be used ([`check_host_dir`] of the path under the root, or the root itself).
fn in_root(parts: &[&str], root_parts: &[&str]) -> Option<String> {
    if parts == root_parts {
        return Some("is the deployment root, which holds secrets.env".into());
    }
    if parts.len() > root_parts.len() && parts[..root_parts.len()] == *root_parts {
        let rel: RelPath = parts[root_parts.len()..]
            .join("/")
            .parse()
            .expect("components of an AbsPath make a RelPath");
        return check_host_dir(&rel).err();
    }
    None
}

/// The proxy's log directory is bind-mounted read-write into the shared Caddy (running
/// as root) and, under the root, chowned to it: never `/`, the root itself or one of the
/// bundle's own paths.
fn log_dir(spec: &Spec, root_parts: &[&str], out: &mut Vec<Diagnostic>) {
    let Some(d) = &spec.proxy.log_dir else { return };
    let parts = components(d.as_str());
    let reason = if parts.is_empty() {
        Some("is `/`: the shared Caddy would get the whole host read-write".to_string())
    } else {
        in_root(&parts, root_parts)
    };
    if let Some(reason) = reason {
        push(
            out,
            CODE_HOST_PATH,
            &["proxy", "log_dir"],
            format!("log directory `{d}`"),
            reason,
            "use a directory of its own, for example `<root>/logs`",
        );
    }
}
