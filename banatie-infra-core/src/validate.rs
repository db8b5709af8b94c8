//! Validation rules over a loaded [`Spec`]. See [`validate`].
//!
//! Each rule is a small function that pushes [`Diagnostic`]s with a stable code (listed,
//! one line each, in [`crate::rules::all`]), a JSON pointer to the most specific value at fault, a
//! message that names the offending value and a help line saying how to fix it. The spec
//! holds no secret values, so no message can print one.
//!
//! Every rule is linear in the size of the spec (hash maps and sets, no pairwise loops),
//! so a spec with ten thousand services validates in milliseconds.
//!
//! ```
//! use banatie_infra_core::load::{load_str, Format};
//! use banatie_infra_core::validate::{validate, CODE_UNRESOLVED_REFERENCE};
//!
//! let text = "stack: { name: demo }\nservices:\n  db: { kind: postgres, networks: [nope] }\n";
//! let spec = load_str(text, Format::Yaml, "demo.yaml").unwrap().spec;
//! let diags = validate(&spec);
//! let d = diags.iter().find(|d| d.code == CODE_UNRESOLVED_REFERENCE).unwrap();
//! assert_eq!(d.pointer, "/services/db/networks/0");
//! ```

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};

use crate::diagnostic::Diagnostic;
use crate::environment::{public_vars, required_secrets, secret_vars};
use crate::images::{self, Family};
use crate::rules::sites as site_rules;
use crate::rules::spec as spec_rules;
use crate::spec::{
    Condition, HeaderPreset, JobTask, Probe, SecretSource, Service, ServiceKind, Spec,
};
use crate::types::{EnvName, ImageRef, Name, RelPath};

pub use crate::rules::health::{
    CODE_HEALTH_TIMING, CODE_LOCALHOST_PROBE_BUSYBOX, CODE_PROBE_BINARY_MISSING,
    CODE_PROBE_UNKNOWN_IMAGE, CODE_PUBLISHED_ON_INTERNAL, CODE_UNPINNED_IMAGE,
};
pub use crate::rules::secrets::{
    CODE_DOLLAR_IN_VALUE, CODE_PLACEHOLDER, CODE_PROXY_NETWORK, CODE_PUBLISHED_PORT,
    CODE_SECRET_IN_PUBLIC_ENV, CODE_SECRET_LENGTH,
};
pub use crate::rules::sites::{
    CODE_CONSOLE_WITHOUT_HEADERS, CODE_CORS, CODE_DUPLICATE_DOMAIN, CODE_DUPLICATE_HEADER,
    CODE_PUBLIC_SITE_PRIVATE_BUCKET, CODE_S3_WRITE_METHODS, CODE_SITE_STRUCTURE,
};
pub use crate::rules::spec::{
    CODE_APP_IMAGE_SOURCE, CODE_COMPLETED_NOT_JOB, CODE_DEPENDENCY_CYCLE, CODE_ENV_DEFINITION,
    CODE_HEALTHY_WITHOUT_HEALTHCHECK, CODE_NETWORK_LAYOUT, CODE_SINGLE_SERVER, CODE_SITE_PORT,
    CODE_UNRESOLVED_REFERENCE,
};
pub use crate::rules::storage::{
    CODE_LIFECYCLE_RULE, CODE_LIFECYCLE_WHOLE_BUCKET, CODE_MINIO_DRIVES, CODE_OVERLAPPING_MOUNTS,
    CODE_POSTGRES_VERSION, CODE_PUBLIC_PREFIX,
};
pub use crate::values::{
    CODE_DESCRIPTION, CODE_HOST_PATH, CODE_MINIO_NAME, CODE_OBJECT_KEY, CODE_POSTGRES_NAME,
};

/// Runs every rule on `spec` and returns the findings, errors and warnings, in rule order
/// (the order of the rule functions) and, within a rule, in spec order. An empty result means the
/// spec is valid; [`crate::diagnostic::has_errors`] tells whether rendering may go on.
/// Pointers are JSON pointers into the spec; [`crate::load::Source::annotate`] adds the
/// source positions.
pub fn validate(spec: &Spec) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in RULE_FNS {
        rule(spec, &mut out);
    }
    out
}

type Rule = fn(&Spec, &mut Vec<Diagnostic>);

const RULE_FNS: &[Rule] = &[
    unresolved_references,
    site_ports,
    dependency_cycles,
    app_image_source,
    env_definitions,
    healthy_without_healthcheck,
    completed_not_job,
    network_layout,
    single_servers,
    secret_in_public_env,
    placeholders,
    published_ports,
    proxy_network,
    dollar_in_values,
    secret_lengths,
    crate::values::descriptions,
    probe_binaries,
    unpinned_images,
    published_on_internal,
    probe_unknown_image,
    health_timing,
    duplicate_domains,
    s3_write_methods,
    public_site_private_bucket,
    site_structure,
    console_without_headers,
    cors,
    crate::header::duplicate_headers,
    minio_drives,
    lifecycle_whole_bucket,
    lifecycle_rules,
    overlapping_mounts,
    public_prefix,
    postgres_version,
    crate::values::object_keys,
    crate::values::minio_names,
    crate::values::postgres_names,
    crate::values::host_paths,
];

/// Builds a JSON pointer from tokens of any displayable type.
macro_rules! ptr {
    ($($t:expr),* $(,)?) => {{
        let mut p = String::new();
        $(crate::diagnostic::push_token(&mut p, &$t);)*
        p
    }};
}

/// Whether `value` is a placeholder rather than a real value: empty (or only whitespace),
/// `<...>` anywhere, `your_..._here` (any case, `-` also accepted), `changeme`,
/// `change_me`, `change-me` (any case), or a word (a run of ASCII letters and digits)
/// that is `TODO` or three or more `x`/`X`. Generated secrets (letters, digits, `-`, `_`)
/// never match unless they are made of `x` alone.
///
/// ```
/// use banatie_infra_core::validate::is_placeholder;
/// assert!(is_placeholder("your_actual_key_here"));
/// assert!(is_placeholder("<gemini api key>"));
/// assert!(is_placeholder("sk-xxxxxxxx"));
/// assert!(is_placeholder(""));
/// assert!(!is_placeholder("production"));
/// assert!(!is_placeholder("Xq7mAxxbT2"));
/// ```
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    if let Some(open) = v.find('<') {
        if v[open + 1..].find('>').is_some_and(|close| close > 0) {
            return true;
        }
    }
    let lower = v.to_ascii_lowercase();
    for (start, end) in [("your_", "_here"), ("your-", "-here")] {
        if let Some(i) = lower.find(start) {
            if lower[i + start.len()..].contains(end) {
                return true;
            }
        }
    }
    if ["changeme", "change_me", "change-me"]
        .iter()
        .any(|p| lower.contains(p))
    {
        return true;
    }
    v.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| {
        word == "TODO" || (word.len() >= 3 && word.bytes().all(|b| b == b'x' || b == b'X'))
    })
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The help for a name that resolves to nothing: the closest candidate if one is close
/// (Jaro-Winkler, as the loader's unknown-key help), else `fallback`. Only the first
/// thousand candidates are compared, so a huge spec stays linear.
fn closest_help<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a Name>,
    fallback: String,
) -> String {
    crate::rules::closest(word, candidates.map(Name::as_str), fallback)
}

/// One entry of the public env or of a service's `environment`.
struct EnvEntry<'a> {
    service: Option<&'a Name>,
    name: &'a EnvName,
    value: &'a str,
}

impl EnvEntry<'_> {
    fn pointer(&self) -> String {
        match self.service {
            None => ptr!("env", self.name),
            Some(s) => ptr!("services", s, "environment", self.name),
        }
    }

    /// Where it is, for messages: `env.NAME` or `services.S.environment.NAME`.
    fn place(&self) -> String {
        match self.service {
            None => format!("`env.{}`", self.name),
            Some(s) => format!("`services.{s}.environment.{}`", self.name),
        }
    }
}

/// Every public env entry, then every service's `environment` entries, in spec order.
fn env_entries(spec: &Spec) -> impl Iterator<Item = EnvEntry<'_>> {
    let public = spec.env.iter().map(|(name, value)| EnvEntry {
        service: None,
        name,
        value,
    });
    let per_service = spec.services.iter().flat_map(|(s, svc)| {
        svc.environment().iter().map(move |(name, value)| EnvEntry {
            service: Some(s),
            name,
            value,
        })
    });
    public.chain(per_service)
}

/// The names of every variable of `secrets.env` (declared and derived).
fn secret_names(spec: &Spec) -> HashSet<String> {
    secret_vars(spec)
        .into_iter()
        .map(|v| v.name.as_str().to_owned())
        .collect()
}

/// Whether a variable name looks like it holds a secret: [`crate::redact::looks_secret`],
/// the one predicate shared by validation, the audit, the import and redaction.
pub(crate) fn looks_secret(name: &str) -> bool {
    crate::redact::looks_secret(name)
}

/// The variable names `value` references the way a shell or Compose would: `$NAME` and
/// `${NAME...}`; `$$` is skipped (Compose's escape).
fn dollar_refs(value: &str) -> Vec<&str> {
    fn name_len(b: &[u8]) -> usize {
        if b.first().is_some_and(u8::is_ascii_digit) {
            return 0;
        }
        b.iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count()
    }
    let b = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => {
                let start = i + 2;
                let end = start + name_len(&b[start..]);
                if end > start {
                    out.push(&value[start..end]);
                }
                i = end.max(start);
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let start = i + 1;
                let end = start + name_len(&b[start..]);
                out.push(&value[start..end]);
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// The components of a relative path, without empty and `.` components, so that
/// `data/minio`, `data//minio/` and `./data/minio` compare equal.
fn path_components(p: &RelPath) -> Vec<&str> {
    p.as_str()
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// A relative path in canonical form (see [`path_components`]).
fn normalized(p: &RelPath) -> String {
    path_components(p).join("/")
}

/// Whether an image is unpinned: tag `latest` or none, and no digest.
pub(crate) fn is_unpinned(image: &ImageRef) -> bool {
    !image.has_digest() && matches!(image.tag(), None | Some("latest"))
}

/// Whether a published port's host address (as written in a Compose file) is a loopback
/// address; `localhost`, which Compose refuses anyway, counts as one.
pub(crate) fn is_loopback(host_ip: &str) -> bool {
    host_ip == "localhost" || crate::spec::parse_host_ip(host_ip).is_some_and(|a| a.is_loopback())
}

/// Whether `s` is a CORS origin: `*`, or `http://` / `https://` and a host (a DNS name,
/// an IPv4 address or a bracketed IPv6 address) with an optional port, and no path,
/// query, fragment or user info.
pub(crate) fn is_cors_origin(s: &str) -> bool {
    if s == "*" {
        return true;
    }
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let (host_ok, port) = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, after)) => (
                !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
                match after {
                    "" => None,
                    p => match p.strip_prefix(':') {
                        Some(p) => Some(p),
                        None => return false,
                    },
                },
            ),
            None => return false,
        }
    } else {
        let (h, port) = match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        (
            !h.is_empty()
                && !h.starts_with(['.', '-'])
                && !h.ends_with(['.', '-'])
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
            port,
        )
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    host_ok && port_ok
}

// The message constructors of the rules shared with the audit live in the registry.
pub(crate) use crate::rules::health::{
    health_timing_problems, probe_binary_absent, published_on_internal_message, unpinned_problem,
};
pub(crate) use crate::rules::secrets::{postgres_on_proxy, postgres_published};
pub(crate) use crate::rules::sites::{
    is_read_method, private_bucket_message, s3_write_problem, S3_WRITE_HELP,
};
pub(crate) use crate::rules::storage::drive_count_problem;

// ---------------------------------------------------------------------------------------
// BI1xx structure
// ---------------------------------------------------------------------------------------

/// BI110: networks, dependencies, site services and storage-init targets must resolve.
fn unresolved_references(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        for (i, net) in svc.networks().iter().enumerate() {
            if !spec.networks.contains_key(net) {
                let (message, help) = spec_rules::unknown_network(
                    name.as_str(),
                    net.as_str(),
                    spec.networks.keys().map(Name::as_str),
                );
                out.push(
                    Diagnostic::error(
                        CODE_UNRESOLVED_REFERENCE,
                        ptr!("services", name, "networks", i),
                        message,
                    )
                    .with_help(help),
                );
            }
        }
        for dep in svc.depends_on().keys() {
            if dep == name {
                let (message, help) = spec_rules::self_dependency(name.as_str());
                out.push(
                    Diagnostic::error(
                        CODE_UNRESOLVED_REFERENCE,
                        ptr!("services", name, "depends_on", dep),
                        message,
                    )
                    .with_help(help),
                );
            } else if !spec.services.contains_key(dep) {
                let (message, help) = spec_rules::unknown_dependency(
                    name.as_str(),
                    dep.as_str(),
                    spec.services.keys().map(Name::as_str),
                );
                out.push(
                    Diagnostic::error(
                        CODE_UNRESOLVED_REFERENCE,
                        ptr!("services", name, "depends_on", dep),
                        message,
                    )
                    .with_help(help),
                );
            }
        }
        if let Service::Job(job) = svc {
            if let JobTask::StorageInit { minio } = &job.task {
                let at = ptr!("services", name, "task", "storage_init", "minio");
                match spec.services.get(minio) {
                    Some(Service::Minio(_)) => {}
                    Some(other) => out.push(
                        Diagnostic::error(
                            CODE_UNRESOLVED_REFERENCE,
                            at,
                            format!(
                                "job `{name}` initialises `{minio}`, a service of kind `{}`, not `minio`",
                                other.kind().as_str()
                            ),
                        )
                        .with_help("name a service of `kind: minio`"),
                    ),
                    None => out.push(
                        Diagnostic::error(
                            CODE_UNRESOLVED_REFERENCE,
                            at,
                            format!("job `{name}` initialises `{minio}`, which is not a service"),
                        )
                        .with_help(closest_help(
                            minio.as_str(),
                            spec.services
                                .iter()
                                .filter(|(_, s)| s.kind() == ServiceKind::Minio)
                                .map(|(n, _)| n),
                            "name a service of `kind: minio`".into(),
                        )),
                    ),
                }
            }
        }
    }
    for (i, site) in spec.sites.iter().enumerate() {
        if !spec.services.contains_key(&site.service) {
            out.push(
                Diagnostic::error(
                    CODE_UNRESOLVED_REFERENCE,
                    ptr!("sites", i, "service"),
                    format!(
                        "the site routes to `{}`, which is not a service",
                        site.service
                    ),
                )
                .with_help(closest_help(
                    site.service.as_str(),
                    spec.services.keys(),
                    "name a service defined under `services`".into(),
                )),
            );
        }
    }
}

/// BI111: a site's port must be one its service listens on; postgres and jobs have none.
fn site_ports(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(svc) = spec.services.get(&site.service) else {
            continue;
        };
        match svc {
            Service::Postgres(_) | Service::Job(_) => out.push(
                Diagnostic::error(
                    CODE_SITE_PORT,
                    ptr!("sites", i, "service"),
                    format!(
                        "the site routes to `{}`, a {} service, which has no HTTP port",
                        site.service,
                        svc.kind().as_str()
                    ),
                )
                .with_help("route sites to app or minio services only"),
            ),
            Service::App(_) | Service::Minio(_) => {
                if let Some(port) = site.port {
                    let ports = svc.ports();
                    if !ports.contains(&port) {
                        let listed: Vec<String> = ports.iter().map(|p| p.to_string()).collect();
                        out.push(
                            Diagnostic::error(
                                CODE_SITE_PORT,
                                ptr!("sites", i, "port"),
                                format!(
                                    "the site routes to port {port} of `{}`, which does not listen on it",
                                    site.service
                                ),
                            )
                            .with_help(format!(
                                "use one of its ports: {}",
                                listed.join(", ")
                            )),
                        );
                    }
                }
            }
        }
    }
}

/// The strongly connected component of each node of `adj` (iterative Tarjan, so a chain
/// of ten thousand services does not overflow the stack).
pub(crate) fn strongly_connected(adj: &[Vec<usize>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let n = adj.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![UNSEEN; n];
    let mut stack = Vec::new();
    let mut call: Vec<(usize, usize)> = Vec::new();
    let mut next = 0;
    let mut ncomp = 0;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        call.push((root, 0));
        while let Some(top) = call.last_mut() {
            let v = top.0;
            if let Some(&w) = adj[v].get(top.1) {
                top.1 += 1;
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(u, _)) = call.last() {
                    low[u] = low[u].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = ncomp;
                        if w == v {
                            break;
                        }
                    }
                    ncomp += 1;
                }
            }
        }
    }
    comp
}

/// The shortest path from `from` to `to` inside the component of both (breadth first);
/// both ends included.
pub(crate) fn shortest_path(
    adj: &[Vec<usize>],
    comp: &[usize],
    from: usize,
    to: usize,
) -> Vec<usize> {
    let mut prev: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    prev.insert(from, from);
    while let Some(v) = queue.pop_front() {
        if v == to {
            break;
        }
        for &w in &adj[v] {
            if comp[w] == comp[from] && !prev.contains_key(&w) {
                prev.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    let mut path = vec![to];
    let mut v = to;
    while v != from {
        match prev.get(&v) {
            Some(&p) => {
                path.push(p);
                v = p;
            }
            None => break,
        }
    }
    path.reverse();
    path
}

/// BI112: dependency cycles. Each cycle is reported once, at its first edge in spec order
/// (service order, then `depends_on` order): for each edge inside a strongly connected
/// component not yet part of a reported cycle, the shortest cycle through it.
fn dependency_cycles(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let adj: Vec<Vec<usize>> = spec
        .services
        .values()
        .enumerate()
        .map(|(i, svc)| {
            svc.depends_on()
                .keys()
                .filter_map(|d| spec.services.get_index_of(d))
                .filter(|&j| j != i)
                .collect()
        })
        .collect();
    let comp = strongly_connected(&adj);
    let mut size: HashMap<usize, usize> = HashMap::new();
    for &c in &comp {
        *size.entry(c).or_default() += 1;
    }
    let mut covered: HashSet<(usize, usize)> = HashSet::new();
    for (i, (name, svc)) in spec.services.iter().enumerate() {
        if size[&comp[i]] < 2 {
            continue;
        }
        for dep in svc.depends_on().keys() {
            let Some(j) = spec.services.get_index_of(dep) else {
                continue;
            };
            if j == i || comp[j] != comp[i] || covered.contains(&(i, j)) {
                continue;
            }
            let mut cycle = vec![i];
            cycle.extend(shortest_path(&adj, &comp, j, i));
            for w in cycle.windows(2) {
                covered.insert((w[0], w[1]));
            }
            let names: Vec<&str> = cycle
                .iter()
                .filter_map(|&k| spec.services.get_index(k).map(|(n, _)| n.as_str()))
                .collect();
            let (message, help) = spec_rules::dependency_cycle(&names);
            out.push(
                Diagnostic::error(
                    CODE_DEPENDENCY_CYCLE,
                    ptr!("services", name, "depends_on", dep),
                    message,
                )
                .with_help(help),
            );
        }
    }
}

/// BI113: an app needs `build` or `image`, and a build needs a context.
fn app_image_source(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::App(app) = svc else { continue };
        match &app.build {
            None if app.image.is_none() => out.push(
                Diagnostic::error(
                    CODE_APP_IMAGE_SOURCE,
                    ptr!("services", name),
                    format!("app `{name}` has neither `build` nor `image`"),
                )
                .with_help("add `build: { dockerfile: ... }` to build it from the source checkout, or `image:` to run a published image"),
            ),
            Some(build) if build.context.is_none() && spec.stack.source.is_none() => out.push(
                Diagnostic::error(
                    CODE_APP_IMAGE_SOURCE,
                    ptr!("services", name, "build"),
                    format!("app `{name}` is built, but there is no build context: neither `build.context` nor `stack.source` is set"),
                )
                .with_help("set `stack.source` to the source checkout, or `build.context`"),
            ),
            _ => {}
        }
    }
}

/// BI114: every variable of `.env` and `secrets.env` is defined once, and every secret a
/// service reads itself is declared under `secrets`.
fn env_definitions(spec: &Spec, out: &mut Vec<Diagnostic>) {
    struct Def {
        pointer: String,
        derived: bool,
        file: &'static str,
    }
    let publics = public_vars(spec);
    let secrets = secret_vars(spec);
    let defs = publics
        .iter()
        .map(|v| {
            (
                v.name.as_str(),
                Def {
                    pointer: v.pointer.clone(),
                    derived: !v.pointer.starts_with("/env/"),
                    file: ".env",
                },
            )
        })
        .chain(secrets.iter().map(|v| {
            (
                v.name.as_str(),
                Def {
                    pointer: v.pointer.clone(),
                    derived: v.kind.is_derived(),
                    file: "secrets.env",
                },
            )
        }));
    let mut seen: HashMap<&str, Def> = HashMap::new();
    for (var, def) in defs {
        let first = match seen.entry(var) {
            Entry::Vacant(e) => {
                e.insert(def);
                continue;
            }
            Entry::Occupied(e) => e.into_mut(),
        };
        // Point at the written definition when the other one is derived: that is the
        // one to remove.
        let (at, other) = if first.derived && !def.derived {
            (&def, &*first)
        } else if !first.derived && def.derived {
            (&*first, &def)
        } else {
            (&def, &*first)
        };
        let describe = |d: &Def| {
            format!(
                "{} ({} `{}`)",
                d.file,
                if d.derived { "derived from" } else { "from" },
                d.pointer
            )
        };
        let help = match (at.derived, other.derived) {
            (false, true) => format!(
                "remove `{var}` here: its value is derived from `{}` and written by `banatie-infra secrets`",
                other.pointer
            ),
            (true, true) => "two services derive the same variable: give each its own (`url_env` of a postgres service, `service_account.access_key_env` of a minio service), or keep one such service per stack".to_owned(),
            _ => format!(
                "define `{var}` once: under `secrets` if it is secret, else under `env`"
            ),
        };
        out.push(
            Diagnostic::error(
                CODE_ENV_DEFINITION,
                at.pointer.clone(),
                format!(
                    "variable `{var}` is defined twice: in {} and in {}",
                    describe(other),
                    describe(at)
                ),
            )
            .with_help(help),
        );
    }
    // `env` may set POSTGRES_DB and POSTGRES_USER itself (then they are not derived), but
    // the server is created with the service's own values: they must agree.
    for (name, svc) in &spec.services {
        let Service::Postgres(pg) = svc else { continue };
        for (var, field, value) in [
            ("POSTGRES_DB", "database", pg.database.as_str()),
            ("POSTGRES_USER", "user", pg.user.as_str()),
        ] {
            if spec.env.get(var).is_some_and(|v| v != value) {
                out.push(
                    Diagnostic::error(
                        CODE_ENV_DEFINITION,
                        ptr!("env", var),
                        format!("`env.{var}` disagrees with `{field}: {value}` of PostgreSQL service `{name}`, which the server is created with"),
                    )
                    .with_help(format!("remove `{var}` from `env`: it is derived from `services.{name}.{field}`")),
                );
            }
        }
    }
    for (var, at) in required_secrets(spec) {
        if !spec.secrets.contains_key(&var) {
            out.push(
                Diagnostic::error(
                    CODE_ENV_DEFINITION,
                    at.clone(),
                    format!("secret `{var}` (named at `{at}`) is not declared under `secrets`"),
                )
                .with_help(format!("add `{var}: {{}}` under `secrets`")),
            );
        }
    }
}

/// BI115: `healthy` needs a dependency with a health check.
fn healthy_without_healthcheck(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        for (dep, cond) in svc.depends_on() {
            let Some(target) = spec.services.get(dep) else {
                continue;
            };
            if *cond == Condition::Healthy && !target.has_healthcheck() && dep != name {
                out.push(
                    Diagnostic::error(
                        CODE_HEALTHY_WITHOUT_HEALTHCHECK,
                        ptr!("services", name, "depends_on", dep),
                        format!(
                            "`{name}` waits for `{dep}` to be healthy, but `{dep}` is a {} and has no health check",
                            target.kind().as_str()
                        ),
                    )
                    .with_help(format!(
                        "write `{dep}: completed` to wait until the job has exited 0"
                    )),
                );
            }
        }
    }
}

/// BI116: `completed` needs a job.
fn completed_not_job(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        for (dep, cond) in svc.depends_on() {
            let Some(target) = spec.services.get(dep) else {
                continue;
            };
            if *cond == Condition::Completed && !matches!(target, Service::Job(_)) && dep != name {
                out.push(
                    Diagnostic::error(
                        CODE_COMPLETED_NOT_JOB,
                        ptr!("services", name, "depends_on", dep),
                        format!(
                            "`{name}` waits for `{dep}` to complete, but `{dep}` is a long-running {} service that never exits",
                            target.kind().as_str()
                        ),
                    )
                    .with_help(format!("write `{dep}: healthy` (or `started`)")),
                );
            }
        }
    }
}

/// BI117: every service is on a network, every network is used, none is both external and
/// internal, and the proxy network is external.
fn network_layout(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut used: HashSet<&str> = HashSet::new();
    for (name, svc) in &spec.services {
        if svc.networks().is_empty() {
            out.push(
                Diagnostic::error(
                    CODE_NETWORK_LAYOUT,
                    ptr!("services", name, "networks"),
                    format!("service `{name}` is on no network: it would land on the default network, outside the stack's isolation"),
                )
                .with_help("list its networks, for example the stack's internal network"),
            );
        }
        used.extend(svc.networks().iter().map(Name::as_str));
    }
    for (net, def) in &spec.networks {
        if def.external && def.internal {
            out.push(
                Diagnostic::error(
                    CODE_NETWORK_LAYOUT,
                    ptr!("networks", net, "internal"),
                    format!("network `{net}` is both external and internal: an external network is configured where it is created, not here"),
                )
                .with_help("remove `internal` (or `external`)"),
            );
        }
        if *net == spec.proxy.network && !def.external {
            out.push(
                Diagnostic::error(
                    CODE_NETWORK_LAYOUT,
                    ptr!("networks", net, "external"),
                    format!("network `{net}` is the proxy's network but is not external: Compose would create a new network of that name that Caddy is not on"),
                )
                .with_help("set `external: true`"),
            );
        }
        if !used.contains(net.as_str()) {
            out.push(
                Diagnostic::warning(
                    CODE_NETWORK_LAYOUT,
                    ptr!("networks", net),
                    format!("network `{net}` is used by no service"),
                )
                .with_help("remove it, or attach the services that need it"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// BI2xx security
// ---------------------------------------------------------------------------------------

/// BI201: nothing secret in `env` or a service `environment`: no secret-looking name, no
/// name of a secret variable (in a service environment; in `env` that is BI114's), no
/// `$` reference to a secret variable.
/// BI118: at most one PostgreSQL and one MinIO service: the images read fixed variable
/// names (`POSTGRES_PASSWORD`, `MINIO_ROOT_USER`, `MINIO_ROOT_PASSWORD`) and every
/// container reads the same `secrets.env`, so a second server would get the first's
/// credentials.
fn single_servers(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for kind in [ServiceKind::Postgres, ServiceKind::Minio] {
        let mut first: Option<&Name> = None;
        for (name, svc) in &spec.services {
            if svc.kind() != kind {
                continue;
            }
            match first {
                None => first = Some(name),
                Some(f) => out.push(
                    Diagnostic::error(
                        CODE_SINGLE_SERVER,
                        ptr!("services", name, "kind"),
                        format!(
                            "`{name}` is a second {} service (the first is `{f}`): both would read the same credentials from secrets.env",
                            kind.as_str()
                        ),
                    )
                    .with_help(format!("use one {} service per stack (one database server can hold several databases), or split the stack", kind.as_str())),
                ),
            }
        }
    }
}

fn secret_in_public_env(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let secrets = secret_names(spec);
    for e in env_entries(spec) {
        let is_secret_var = secrets.contains(e.name.as_str());
        if e.service.is_none() && is_secret_var {
            continue; // defined twice: BI114
        }
        let name = e.name;
        if is_secret_var || looks_secret(name.as_str()) {
            crate::redact::register(e.value);
        }
        if is_secret_var {
            out.push(
                Diagnostic::error(
                    CODE_SECRET_IN_PUBLIC_ENV,
                    e.pointer(),
                    format!(
                        "{} overrides the secret `{name}` with a literal value in the compose file",
                        e.place()
                    ),
                )
                .with_help(format!(
                    "remove it: the service reads `{name}` from secrets.env"
                )),
            );
        } else if looks_secret(name.as_str()) {
            out.push(
                Diagnostic::error(
                    CODE_SECRET_IN_PUBLIC_ENV,
                    e.pointer(),
                    format!("{} looks like a secret, but public values are written in plain text", e.place()),
                )
                .with_help(format!("declare it under `secrets` (`{name}: {{}}`, or `{{ source: supplied }}` for a provider's key) and remove it here")),
            );
        } else if let Some(r) = dollar_refs(e.value)
            .into_iter()
            .find(|r| secrets.contains(*r))
        {
            out.push(
                Diagnostic::error(
                    CODE_SECRET_IN_PUBLIC_ENV,
                    e.pointer(),
                    format!("{} references the secret `{r}`; values are written literally, so it would never be substituted, and a substituted secret would be public", e.place()),
                )
                .with_help(format!("declare `{name}` under `secrets` instead, or read `{r}` from secrets.env directly; values that embed a secret (like a database URL) are derived")),
            );
        }
    }
}

/// BI202: no placeholder values in `env` or a service `environment`.
fn placeholders(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for e in env_entries(spec) {
        if is_placeholder(e.value) {
            let shown = if e.value.trim().is_empty() {
                "an empty value".to_owned()
            } else {
                format!("the placeholder `{}`", e.value)
            };
            out.push(
                Diagnostic::error(
                    CODE_PLACEHOLDER,
                    e.pointer(),
                    format!("{} holds {shown}", e.place()),
                )
                .with_help("write the real value, or remove the variable"),
            );
        }
    }
}

/// BI203: published host ports: never on PostgreSQL; elsewhere only with
/// `stack.allow_published_ports`, and then preferably on loopback.
fn published_ports(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        for (i, p) in svc.publish().iter().enumerate() {
            if p.host_addr().is_none() {
                out.push(
                    Diagnostic::error(
                        CODE_PUBLISHED_PORT,
                        ptr!("services", name, "publish", i, "host_ip"),
                        format!("service `{name}` publishes host port {} on `{}`, which is not an IP address: Compose refuses the file (\"Invalid ip address\")", p.host, p.host_ip),
                    )
                    .with_help("write an IPv4 or IPv6 address: `127.0.0.1` (the default) or `::1` for loopback only"),
                );
            }
            if matches!(svc, Service::Postgres(_)) {
                let (message, help) = postgres_published(name.as_str(), &p.host.to_string());
                out.push(
                    Diagnostic::error(
                        CODE_PUBLISHED_PORT,
                        ptr!("services", name, "publish", i),
                        message,
                    )
                    .with_help(help),
                );
            } else if !spec.stack.allow_published_ports {
                out.push(
                    Diagnostic::error(
                        CODE_PUBLISHED_PORT,
                        ptr!("services", name, "publish", i),
                        format!("service `{name}` publishes host port {}, but published ports are not allowed", p.host),
                    )
                    .with_help("route public traffic through a site (the shared Caddy), or set `stack.allow_published_ports: true`"),
                );
            } else if p.host_addr().is_some_and(|a| !a.is_loopback()) {
                out.push(
                    Diagnostic::warning(
                        CODE_PUBLISHED_PORT,
                        ptr!("services", name, "publish", i, "host_ip"),
                        format!("service `{name}` publishes host port {} on `{}`, reachable from other hosts and past the firewall (Docker writes its own iptables rules)", p.host, p.host_ip),
                    )
                    .with_help("bind it to `127.0.0.1` (the default) and reach it through an SSH tunnel or a site"),
                );
            }
        }
    }
}

/// BI204: the proxy network holds exactly the services sites route to, never PostgreSQL.
fn proxy_network(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let proxy = &spec.proxy.network;
    let routed: HashSet<&str> = spec.sites.iter().map(|s| s.service.as_str()).collect();
    for (name, svc) in &spec.services {
        let Some(i) = svc.networks().iter().position(|n| n == proxy) else {
            continue;
        };
        let at = || ptr!("services", name, "networks", i);
        if matches!(svc, Service::Postgres(_)) {
            let (message, help) = postgres_on_proxy(name.as_str(), proxy.as_str());
            out.push(Diagnostic::error(CODE_PROXY_NETWORK, at(), message).with_help(help));
        } else if !routed.contains(name.as_str()) {
            out.push(
                Diagnostic::error(
                    CODE_PROXY_NETWORK,
                    at(),
                    format!("service `{name}` is on the proxy network but no site routes to it (`{proxy}` is shared with Caddy and other stacks)"),
                )
                .with_help("remove the proxy network from its `networks`, or add a site for it"),
            );
        }
    }
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(svc) = spec.services.get(&site.service) else {
            continue;
        };
        if !svc.networks().contains(proxy) {
            out.push(
                Diagnostic::error(
                    CODE_PROXY_NETWORK,
                    ptr!("sites", i, "service"),
                    format!("the site routes to `{}`, which is not on the proxy network `{proxy}`: Caddy cannot reach it", site.service),
                )
                .with_help(format!("add `{proxy}` to the networks of `{}`", site.service)),
            );
        }
    }
}

/// BI205: a `$` in a value is written literally; warn, unless BI201 already reports a
/// reference to a secret in it.
fn dollar_in_values(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let secrets = secret_names(spec);
    for e in env_entries(spec) {
        if !e.value.contains('$') {
            continue;
        }
        if dollar_refs(e.value).iter().any(|r| secrets.contains(*r))
            || (e.service.is_some() && secrets.contains(e.name.as_str()))
        {
            continue;
        }
        out.push(
            Diagnostic::warning(
                CODE_DOLLAR_IN_VALUE,
                e.pointer(),
                format!("{} contains `$`: it is written literally and never interpolated", e.place()),
            )
            .with_help("values are literal: write the final value; a value that embeds a secret must be a derived one"),
        );
    }
}

/// BI206: a generated secret is 16 to 4096 characters long.
fn secret_lengths(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (var, s) in &spec.secrets {
        if s.source != SecretSource::Generated {
            continue;
        }
        let len = s.length();
        if !(16..=4096).contains(&len) {
            out.push(
                Diagnostic::error(
                    CODE_SECRET_LENGTH,
                    ptr!("secrets", var, "length"),
                    format!("secret `{var}` would be generated with {len} characters; the length must be 16 to 4096"),
                )
                .with_help("use at least 16 characters (32 is the default; 64 for signing keys)"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// BI3xx compose semantics and health
// ---------------------------------------------------------------------------------------

/// The `probe:` value to suggest for an app on `image`.
fn probe_help(image: &ImageRef) -> String {
    match images::http_probe(image) {
        Some(p) => format!("use `probe: {p}`"),
        None => format!(
            "`{image}` ships none of node, wget and curl: base the final stage on an image that does, and set `base_image` to it"
        ),
    }
}

/// BI301: an explicit probe must call a binary the base image ships.
fn probe_binaries(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::App(app) = svc else { continue };
        let binary = match app.probe {
            Probe::Auto => continue,
            Probe::Node => "node",
            Probe::Wget => "wget",
            Probe::Curl => "curl",
        };
        if let Some(message) = probe_binary_absent(name.as_str(), binary, &app.base_image) {
            out.push(
                Diagnostic::error(
                    CODE_PROBE_BINARY_MISSING,
                    ptr!("services", name, "probe"),
                    message,
                )
                .with_help(probe_help(&app.base_image)),
            );
        }
    }
}

/// BI303: images are pinned to a release tag or a digest. An app's `image` is not checked
/// when the app is built (it is then the tag given to the built image).
fn unpinned_images(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut warn = |at: String, image: &ImageRef| {
        if let Some((message, help)) = unpinned_problem(image) {
            out.push(Diagnostic::warning(CODE_UNPINNED_IMAGE, at, message).with_help(help));
        }
    };
    for (name, svc) in &spec.services {
        match svc {
            Service::App(app) => {
                if let (None, Some(image)) = (&app.build, &app.image) {
                    if is_unpinned(image) {
                        warn(ptr!("services", name, "image"), image);
                    }
                }
                if is_unpinned(&app.base_image) {
                    warn(ptr!("services", name, "base_image"), &app.base_image);
                }
            }
            _ => {
                if let Some(image) = svc.image().filter(|i| is_unpinned(i)) {
                    warn(ptr!("services", name, "image"), image);
                }
            }
        }
    }
}

/// BI304: a service whose networks are all internal cannot publish a reachable port.
fn published_on_internal(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let nets = svc.networks();
        if svc.publish().is_empty() || nets.is_empty() {
            continue;
        }
        if nets
            .iter()
            .all(|n| spec.networks.get(n).is_some_and(|d| d.internal))
        {
            out.push(
                Diagnostic::error(
                    CODE_PUBLISHED_ON_INTERNAL,
                    ptr!("services", name, "publish"),
                    published_on_internal_message(name.as_str()),
                )
                .with_help(
                    "remove `publish` and route through a site, or attach a non-internal network",
                ),
            );
        }
    }
}

/// BI305: `probe: auto` needs a base image known to ship an HTTP client.
fn probe_unknown_image(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::App(app) = svc else { continue };
        if app.probe != Probe::Auto || images::http_probe(&app.base_image).is_some() {
            continue;
        }
        let why = if images::family(&app.base_image) == Family::Unknown {
            "what it ships is not known"
        } else {
            "it ships none of node, wget and curl"
        };
        out.push(
            Diagnostic::error(
                CODE_PROBE_UNKNOWN_IMAGE,
                ptr!("services", name, "probe"),
                format!(
                    "`probe: auto` cannot pick a health check for `{name}`: its base image `{}` is not one whose binaries are known ({why})",
                    app.base_image
                ),
            )
            .with_help("set `probe: node`, `probe: wget` or `probe: curl`, whichever the image has"),
        );
    }
}

/// BI306: health timing that can work: retries at least 1, interval at least 1s, timeout
/// at most the interval (unset values take the defaults: 30s, 10s, 3).
fn health_timing(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        if !svc.has_healthcheck() {
            continue;
        }
        let h = svc.health();
        for (field, message, help) in health_timing_problems(
            name.as_str(),
            h.interval(),
            h.timeout(),
            h.retries(),
            h.timeout.is_none(),
        ) {
            out.push(
                Diagnostic::error(
                    CODE_HEALTH_TIMING,
                    ptr!("services", name, "health", field),
                    message,
                )
                .with_help(help),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// BI4xx sites
// ---------------------------------------------------------------------------------------

/// BI401: every domain is served once.
fn duplicate_domains(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, site) in spec.sites.iter().enumerate() {
        for (j, d) in site.domains.iter().enumerate() {
            match seen.entry(d.as_str()) {
                Entry::Vacant(e) => {
                    e.insert(i);
                }
                Entry::Occupied(e) => {
                    let other = (*e.get() != i)
                        .then(|| spec.sites[*e.get()].domains.first().map(|x| x.as_str()))
                        .flatten();
                    let (message, help) = site_rules::duplicate_domain(d.as_str(), other);
                    out.push(
                        Diagnostic::error(
                            CODE_DUPLICATE_DOMAIN,
                            ptr!("sites", i, "domains", j),
                            message,
                        )
                        .with_help(help),
                    );
                }
            }
        }
    }
}

/// BI402: a site in front of a MinIO S3 API passes read methods only.
fn s3_write_methods(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(Service::Minio(m)) = spec.services.get(&site.service) else {
            continue;
        };
        if site.port.unwrap_or(m.api_port) != m.api_port {
            continue;
        }
        let methods: Option<Vec<&str>> = site
            .methods
            .as_ref()
            .map(|ms| ms.iter().map(|m| m.as_str()).collect());
        if let Some((j, message)) = s3_write_problem(site.service.as_str(), methods.as_deref()) {
            let at = match j {
                None => ptr!("sites", i, "methods"),
                Some(j) => ptr!("sites", i, "methods", j),
            };
            out.push(
                Diagnostic::error(CODE_S3_WRITE_METHODS, at, message).with_help(S3_WRITE_HELP),
            );
        }
    }
}

/// BI406: a public site in front of a MinIO S3 API whose bucket grants no anonymous read
/// (the seed's CDN: its image URLs answer AccessDenied). A warning: the site may serve
/// presigned URLs only.
fn public_site_private_bucket(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(Service::Minio(m)) = spec.services.get(&site.service) else {
            continue;
        };
        if site.port.unwrap_or(m.api_port) == m.api_port && m.public_read_prefix.is_none() {
            out.push(
                Diagnostic::warning(
                    CODE_PUBLIC_SITE_PRIVATE_BUCKET,
                    ptr!("sites", i, "service"),
                    private_bucket_message(site.service.as_str(), m.bucket.as_str()),
                )
                .with_help(format!("set `public_read_prefix` on `{}` (for example `public/`), or serve presigned URLs only", site.service)),
            );
        }
    }
}

/// The largest access log `roll_size` accepted: 1 PiB. Caddy reads `roll_size` with
/// `humanize.ParseBytes` (modules/logging/filewriter.go), which refuses a size whose
/// float64 reaches 2^64 bytes.
const MAX_ROLL_SIZE: u64 = 1 << 50;

/// BI403: sites have domains, their own access log files, keep rolled logs and roll at a
/// size Caddy reads.
fn site_structure(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut logs: HashMap<String, usize> = HashMap::new();
    for (i, site) in spec.sites.iter().enumerate() {
        if site.domains.is_empty() {
            out.push(
                Diagnostic::error(
                    CODE_SITE_STRUCTURE,
                    ptr!("sites", i, "domains"),
                    format!("the site for `{}` has no domains", site.service),
                )
                .with_help("list at least one domain"),
            );
        }
        let Some(log) = &site.access_log else {
            continue;
        };
        match logs.entry(normalized(&log.file)) {
            Entry::Vacant(e) => {
                e.insert(i);
            }
            Entry::Occupied(e) => {
                let other = &spec.sites[*e.get()];
                let (message, help) = site_rules::shared_access_log(
                    log.file.as_ref(),
                    other.domains.first().map(|x| x.as_str()),
                    other.service.as_str(),
                );
                out.push(
                    Diagnostic::error(
                        CODE_SITE_STRUCTURE,
                        ptr!("sites", i, "access_log", "file"),
                        message,
                    )
                    .with_help(help),
                );
            }
        }
        if log.roll_size.bytes() > MAX_ROLL_SIZE {
            out.push(
                Diagnostic::error(
                    CODE_SITE_STRUCTURE,
                    ptr!("sites", i, "access_log", "roll_size"),
                    format!("access log `{}` rolls at `{}`, beyond what Caddy reads", log.file, log.roll_size),
                )
                .with_help("roll at most at 1048576GiB (1 PiB): Caddy's `roll_size` refuses sizes near 2^64 bytes (`too large`), and no log grows that big"),
            );
        }
        if log.roll_keep == 0 {
            out.push(
                Diagnostic::error(
                    CODE_SITE_STRUCTURE,
                    ptr!("sites", i, "access_log", "roll_keep"),
                    site_rules::roll_keep_zero(log.file.as_ref()).0,
                )
                .with_help(site_rules::roll_keep_zero(log.file.as_ref()).1),
            );
        }
    }
}

/// BI404: a MinIO console is served with security headers.
fn console_without_headers(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(Service::Minio(m)) = spec.services.get(&site.service) else {
            continue;
        };
        if site.port == Some(m.console_port) && site.security_headers == HeaderPreset::None {
            out.push(
                Diagnostic::warning(
                    CODE_CONSOLE_WITHOUT_HEADERS,
                    ptr!("sites", i, "security_headers"),
                    format!(
                        "the site serves the admin console of `{}` without security headers",
                        site.service
                    ),
                )
                .with_help("set `security_headers: console`"),
            );
        }
    }
}

/// BI405: CORS agrees with the site's methods, and its origin is `*` or one origin.
fn cors(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(c) = &site.cors else { continue };
        let read_only_site = site
            .methods
            .as_ref()
            .is_some_and(|ms| ms.iter().all(|m| m.is_read_only()));
        if read_only_site {
            if let Some(j) = c.methods.iter().position(|m| !m.is_read_only()) {
                out.push(
                    Diagnostic::error(
                        CODE_CORS,
                        ptr!("sites", i, "cors", "methods", j),
                        format!(
                            "CORS allows `{}`, but the site passes read methods only",
                            c.methods[j].as_str()
                        ),
                    )
                    .with_help(
                        "allow only the site's methods in CORS: `methods: [GET, HEAD, OPTIONS]`",
                    ),
                );
            }
        }
        if !is_cors_origin(&c.origin) {
            out.push(
                Diagnostic::error(
                    CODE_CORS,
                    ptr!("sites", i, "cors", "origin"),
                    format!("CORS origin `{}` is neither `*` nor an origin", c.origin),
                )
                .with_help("write `*` or one origin: scheme and host, with an optional port and no path or trailing `/`, like `https://banatie.app`"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// BI5xx storage and database
// ---------------------------------------------------------------------------------------

/// BI501: MinIO's erasure set has 2 to 16 drives.
fn minio_drives(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Minio(m) = svc else { continue };
        if let Some((message, help)) = drive_count_problem(name.as_str(), m.drives) {
            out.push(
                Diagnostic::error(CODE_MINIO_DRIVES, ptr!("services", name, "drives"), message)
                    .with_help(help),
            );
        }
    }
}

/// BI502: an empty lifecycle prefix needs `whole_bucket: true`.
fn lifecycle_whole_bucket(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Minio(m) = svc else { continue };
        for (i, rule) in m.lifecycle.iter().enumerate() {
            if rule.prefix.is_empty() && !rule.whole_bucket {
                out.push(
                    Diagnostic::error(
                        CODE_LIFECYCLE_WHOLE_BUCKET,
                        ptr!("services", name, "lifecycle", i, "prefix"),
                        lifecycle_whole_bucket_message(&rule.id, m.bucket.as_ref()),
                    )
                    .with_help(LIFECYCLE_WHOLE_BUCKET_HELP),
                );
            }
        }
    }
}

/// BI502's message: rule `id` of `bucket` expires every object (also the audit's, for a
/// lifecycle JSON `mc ilm rule import` reads).
pub(crate) fn lifecycle_whole_bucket_message(id: &str, bucket: &str) -> String {
    format!("lifecycle rule `{id}` has an empty prefix: it would expire every object of bucket `{bucket}`")
}

/// BI502's help.
pub(crate) const LIFECYCLE_WHOLE_BUCKET_HELP: &str = "write the prefix to expire, like `temp/`; set `whole_bucket: true` only if the whole bucket is meant";

/// BI503's message for an id used twice in `owner` (a service; for the audit, the file).
pub(crate) fn lifecycle_duplicate_id_message(id: &str, owner: &str) -> String {
    format!("lifecycle rule id `{id}` is used twice in `{owner}`")
}

/// BI503's help for an id used twice.
pub(crate) const LIFECYCLE_DUPLICATE_ID_HELP: &str = "give each rule its own id";

/// BI503's message for a rule that expires after 0 days.
pub(crate) fn lifecycle_zero_days_message(id: &str) -> String {
    format!("lifecycle rule `{id}` has `expire_days: 0`")
}

/// BI503's help for a rule that expires after 0 days.
pub(crate) const LIFECYCLE_ZERO_DAYS_HELP: &str =
    "use at least 1 day (S3 lifecycle `Expiration.Days`)";

/// BI503: lifecycle rules expire after at least a day and have distinct ids.
fn lifecycle_rules(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Minio(m) = svc else { continue };
        let mut ids: HashSet<&str> = HashSet::new();
        for (i, rule) in m.lifecycle.iter().enumerate() {
            if !ids.insert(rule.id.as_str()) {
                out.push(
                    Diagnostic::error(
                        CODE_LIFECYCLE_RULE,
                        ptr!("services", name, "lifecycle", i, "id"),
                        lifecycle_duplicate_id_message(&rule.id, name.as_ref()),
                    )
                    .with_help(LIFECYCLE_DUPLICATE_ID_HELP),
                );
            }
            if rule.expire_days == 0 {
                out.push(
                    Diagnostic::error(
                        CODE_LIFECYCLE_RULE,
                        ptr!("services", name, "lifecycle", i, "expire_days"),
                        lifecycle_zero_days_message(&rule.id),
                    )
                    .with_help(LIFECYCLE_ZERO_DAYS_HELP),
                );
            }
        }
    }
}

/// BI504: host directories of mounts (and the backup directory) are distinct and not
/// nested. A pair is reported once, at the app mount when the other is a database or
/// storage data directory or the backup directory (that is the one to move), else at the
/// later one.
fn overlapping_mounts(spec: &Spec, out: &mut Vec<Diagnostic>) {
    /// Where a mount's host directory is written in the spec (its pointer is only built
    /// for a diagnostic).
    enum At<'a> {
        Logs(&'a Name),
        Volume(&'a Name, usize),
        Data(&'a Name),
        Backups,
    }
    impl At<'_> {
        fn pointer(&self) -> String {
            match self {
                At::Logs(name) => ptr!("services", name, "logs", "source"),
                At::Volume(name, i) => ptr!("services", name, "volumes", i, "source"),
                At::Data(name) => ptr!("services", name, "data"),
                At::Backups => ptr!("backups", "dir"),
            }
        }
    }
    struct Mount<'a> {
        path: Vec<&'a str>,
        at: At<'a>,
        shown: &'a RelPath,
        data: bool,
    }
    let mut mounts: Vec<Mount<'_>> = Vec::new();
    for (name, svc) in &spec.services {
        match svc {
            Service::App(app) => {
                if let Some(logs) = &app.logs {
                    mounts.push(Mount {
                        path: path_components(&logs.source),
                        at: At::Logs(name),
                        shown: &logs.source,
                        data: false,
                    });
                }
                for (i, v) in app.volumes.iter().enumerate() {
                    mounts.push(Mount {
                        path: path_components(&v.source),
                        at: At::Volume(name, i),
                        shown: &v.source,
                        data: false,
                    });
                }
            }
            Service::Postgres(pg) => mounts.push(Mount {
                path: path_components(&pg.data),
                at: At::Data(name),
                shown: &pg.data,
                data: true,
            }),
            Service::Minio(m) => mounts.push(Mount {
                path: path_components(&m.data),
                at: At::Data(name),
                shown: &m.data,
                data: true,
            }),
            Service::Job(_) => {}
        }
    }
    // The backup directory holds database dumps: no app may mount it (or the root).
    mounts.push(Mount {
        path: path_components(&spec.backups.dir),
        at: At::Backups,
        shown: &spec.backups.dir,
        data: true,
    });
    // Every path, and every proper ancestor of a path, to the first mount that has it.
    let mut exact: HashMap<&[&str], usize> = HashMap::new();
    let mut ancestors: HashMap<&[&str], usize> = HashMap::new();
    for (k, m) in mounts.iter().enumerate() {
        let clash = if let Some(&first) = exact.get(m.path.as_slice()) {
            Some((first, "the same directory as"))
        } else if let Some(&first) = (0..m.path.len())
            .rev()
            .find_map(|n| exact.get(&m.path[..n]))
        {
            Some((first, "inside"))
        } else {
            ancestors
                .get(m.path.as_slice())
                .map(|&first| (first, "a parent of"))
        };
        if let Some((first, relation)) = clash {
            let other = &mounts[first];
            let (at, with, relation) = if m.data && !other.data {
                let flipped = match relation {
                    "inside" => "a parent of",
                    "a parent of" => "inside",
                    r => r,
                };
                (other, m, flipped)
            } else {
                (m, other, relation)
            };
            out.push(
                Diagnostic::error(
                    CODE_OVERLAPPING_MOUNTS,
                    at.at.pointer(),
                    format!(
                        "host directory `{}` is {relation} `{}` (`{}`): mounts must not share directories",
                        at.shown, with.shown, with.at.pointer()
                    ),
                )
                .with_help("give each mount its own directory under the root; database and storage data directories are never shared"),
            );
        }
        exact.entry(m.path.as_slice()).or_insert(k);
        for n in 0..m.path.len() {
            ancestors.entry(&m.path[..n]).or_insert(k);
        }
    }
}

/// BI505: the public read prefix ends with `/`; an empty one makes the whole bucket public.
fn public_prefix(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Minio(m) = svc else { continue };
        let Some(prefix) = &m.public_read_prefix else {
            continue;
        };
        let at = ptr!("services", name, "public_read_prefix");
        if prefix.is_empty() {
            out.push(
                Diagnostic::warning(
                    CODE_PUBLIC_PREFIX,
                    at,
                    format!("`public_read_prefix: \"\"` makes every object of bucket `{}` readable by anyone", m.bucket),
                )
                .with_help("name the public prefix, like `public/`, or remove the key to keep the bucket private"),
            );
        } else if prefix.starts_with('/') {
            out.push(
                Diagnostic::error(
                    CODE_PUBLIC_PREFIX,
                    at,
                    format!("public read prefix `{prefix}` starts with `/`: object keys do not, so it matches nothing"),
                )
                .with_help(format!("write `{}`", prefix.trim_start_matches('/'))),
            );
        } else if !prefix.ends_with('/') {
            out.push(
                Diagnostic::error(
                    CODE_PUBLIC_PREFIX,
                    at,
                    format!("public read prefix `{prefix}` does not end with `/`: it also matches keys like `{prefix}ity/...`"),
                )
                .with_help(format!("write `{prefix}/`")),
            );
        }
    }
}

/// BI506: PostgreSQL 10 to 18, and the official image's tag agrees with `version`.
fn postgres_version(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Postgres(pg) = svc else { continue };
        if !(10..=18).contains(&pg.version) {
            out.push(
                Diagnostic::error(
                    CODE_POSTGRES_VERSION,
                    ptr!("services", name, "version"),
                    format!(
                        "PostgreSQL version {} is not supported (10 to 18)",
                        pg.version
                    ),
                )
                .with_help("set the major version the image runs, 10 to 18"),
            );
            continue;
        }
        if !matches!(
            images::family(&pg.image),
            Family::PostgresAlpine | Family::PostgresDebian
        ) {
            continue;
        }
        let Some(tag) = pg.image.tag() else { continue };
        let digits: String = tag.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(major) = digits.parse::<u32>() {
            if major != pg.version {
                out.push(
                    Diagnostic::error(
                        CODE_POSTGRES_VERSION,
                        ptr!("services", name, "image"),
                        format!("image `{}` runs PostgreSQL {major}, but `version` is {}: the init SQL is chosen by `version`", pg.image, pg.version),
                    )
                    .with_help(format!("set `version: {major}`, or use a `postgres:{}` image", pg.version)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Code, Severity};
    use crate::load::{load_str, Format};

    const STACK: &str = "stack: { name: t, source: /src }\n";
    const NETS: &str =
        "networks:\n  inner: { internal: true }\n  proxy-network: { external: true }\n";
    const WEB: &str = "  web: { kind: app, build: { dockerfile: Dockerfile }, networks: [inner, proxy-network] }\n";
    const SITE: &str = "  - { domains: [t.example.com], service: web }\n";
    const DB: &str = "  db: { kind: postgres, image: \"postgres:15-alpine\", networks: [inner] }\n";
    const DB_SECRETS: &str = "secrets: { POSTGRES_PASSWORD: {} }\n";
    const S3: &str = "  s3: { kind: minio, image: \"quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z\", public_read_prefix: public/, networks: [inner, proxy-network] }\n";
    const S3_SITE: &str =
        "  - { domains: [cdn.example.com], service: s3, methods: [GET, HEAD, OPTIONS] }\n";
    const S3_SECRETS: &str = "secrets: { MINIO_ROOT_PASSWORD: {}, MINIO_SECRET_KEY: {} }\n";

    /// A spec with the stack, the two networks, `web` behind a site at `/sites/0`, then
    /// `services` (more service lines), `sites` (more site lines) and `rest` (top-level keys).
    fn spec(services: &str, sites: &str, rest: &str) -> String {
        format!("{STACK}{NETS}services:\n{WEB}{services}sites:\n{SITE}{sites}{rest}")
    }

    fn run(text: &str) -> Vec<Diagnostic> {
        match load_str(text, Format::Yaml, "t.yaml") {
            Ok(l) => validate(&l.spec),
            Err(e) => panic!("does not load: {:?}\n{text}", e.to_diagnostic()),
        }
    }

    /// Every finding has a code of the table, the table's severity (or a warning, for the
    /// codes with a warning variant) and a help line.
    fn check_shape(diags: &[Diagnostic]) {
        for d in diags {
            let sev = &crate::rules::get(d.code.0)
                .unwrap_or_else(|| panic!("{} is not in the registry", d.code))
                .severity;
            let mixed = [CODE_NETWORK_LAYOUT, CODE_PUBLISHED_PORT, CODE_PUBLIC_PREFIX];
            assert!(
                d.severity == *sev || (mixed.contains(&d.code) && d.severity == Severity::Warning),
                "{d:?}"
            );
            assert!(d.help.as_deref().is_some_and(|h| !h.is_empty()), "{d:?}");
            assert!(d.pointer.starts_with('/'), "{d:?}");
        }
    }

    /// `text` yields `code` at `at`, and no other code.
    #[track_caller]
    fn expect(text: &str, code: Code, at: &str) -> Vec<Diagnostic> {
        let d = run(text);
        check_shape(&d);
        assert!(
            d.iter().any(|x| x.code == code && x.pointer == at),
            "expected {code} at {at} for:\n{text}\ngot {d:#?}"
        );
        assert!(
            d.iter().all(|x| x.code == code),
            "expected only {code} for:\n{text}\ngot {d:#?}"
        );
        d
    }

    /// `text` yields nothing at all.
    #[track_caller]
    fn clean(text: &str) {
        let d = run(text);
        assert!(
            d.is_empty(),
            "expected no findings for:\n{text}\ngot {d:#?}"
        );
    }

    #[test]
    fn base_spec_is_clean() {
        clean(&spec("", "", ""));
        clean(&spec(DB, "", DB_SECRETS));
        clean(&spec(S3, S3_SITE, S3_SECRETS));
    }

    #[test]
    fn example_validates_without_errors_or_warnings() {
        let d = run(include_str!("../../examples/banatie.yaml"));
        assert!(d.is_empty(), "{d:#?}");
    }

    // ---- BI1xx ------------------------------------------------------------------------

    #[test]
    fn bi110_unknown_network() {
        let bad = "  a: { kind: app, build: { dockerfile: D }, networks: [inner, innr] }\n";
        let d = expect(
            &spec(bad, "", ""),
            CODE_UNRESOLVED_REFERENCE,
            "/services/a/networks/1",
        );
        assert_eq!(d[0].help.as_deref(), Some("did you mean `inner`?"));
        clean(&spec(
            "  a: { kind: app, build: { dockerfile: D }, networks: [inner] }\n",
            "",
            "",
        ));
    }

    #[test]
    fn bi110_unknown_dependency_and_self_dependency() {
        let bad = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], depends_on: { webb: started } }\n";
        let d = expect(
            &spec(bad, "", ""),
            CODE_UNRESOLVED_REFERENCE,
            "/services/a/depends_on/webb",
        );
        assert_eq!(d[0].help.as_deref(), Some("did you mean `web`?"));
        let own = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], depends_on: { a: started } }\n";
        let d = expect(
            &spec(own, "", ""),
            CODE_UNRESOLVED_REFERENCE,
            "/services/a/depends_on/a",
        );
        assert_eq!(d.len(), 1, "a self-dependency is not also a cycle");
        assert!(d[0].message.contains("depends on itself"));
        let good = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], depends_on: { web: started } }\n";
        clean(&spec(good, "", ""));
    }

    #[test]
    fn bi110_unknown_site_service() {
        let bad = "  - { domains: [x.example.com], service: nope }\n";
        expect(
            &spec("", bad, ""),
            CODE_UNRESOLVED_REFERENCE,
            "/sites/1/service",
        );
        clean(&spec(
            "",
            "  - { domains: [x.example.com], service: web }\n",
            "",
        ));
    }

    #[test]
    fn bi110_storage_init_of_a_non_minio_service() {
        let job = |target: &str| {
            format!("  init: {{ kind: job, image: \"minio/mc:RELEASE.2025-04-16T18-13-26Z\", task: {{ storage_init: {{ minio: {target} }} }}, networks: [inner] }}\n")
        };
        let at = "/services/init/task/storage_init/minio";
        let d = expect(&spec(&job("web"), "", ""), CODE_UNRESOLVED_REFERENCE, at);
        assert_eq!(
            d[0].message,
            "job `init` initialises `web`, a service of kind `app`, not `minio`"
        );
        expect(&spec(&job("nope"), "", ""), CODE_UNRESOLVED_REFERENCE, at);
        clean(&spec(&format!("{S3}{}", job("s3")), S3_SITE, S3_SECRETS));
    }

    #[test]
    fn bi111_site_port_not_listened_on() {
        let bad = "  - { domains: [x.example.com], service: web, port: 4000 }\n";
        let d = expect(&spec("", bad, ""), CODE_SITE_PORT, "/sites/1/port");
        assert!(d[0].help.as_deref().unwrap().contains("3000"));
        clean(&spec(
            "",
            "  - { domains: [x.example.com], service: web, port: 3000 }\n",
            "",
        ));
        // MinIO listens on both its ports.
        let console = "  - { domains: [console.example.com], service: s3, port: 9001, security_headers: console }\n";
        clean(&spec(S3, &format!("{S3_SITE}{console}"), S3_SECRETS));
    }

    #[test]
    fn bi111_site_on_a_service_without_port() {
        let job = "  j: { kind: job, image: \"alpine:3.20\", task: { command: { argv: [/bin/true] } }, networks: [inner, proxy-network] }\n";
        let site = "  - { domains: [x.example.com], service: j }\n";
        expect(&spec(job, site, ""), CODE_SITE_PORT, "/sites/1/service");
        let job = "  j: { kind: job, image: \"alpine:3.20\", task: { command: { argv: [/bin/true] } }, networks: [inner] }\n";
        clean(&spec(job, "", ""));
        // A site on PostgreSQL: BI111, and BI204 (the database is not on the proxy network).
        let d = run(&spec(
            DB,
            "  - { domains: [x.example.com], service: db }\n",
            DB_SECRETS,
        ));
        assert!(d
            .iter()
            .any(|x| x.code == CODE_SITE_PORT && x.pointer == "/sites/1/service"));
    }

    fn app(name: &str, deps: &str) -> String {
        format!("  {name}: {{ kind: app, build: {{ dockerfile: D }}, networks: [inner], depends_on: {{ {deps} }} }}\n")
    }

    #[test]
    fn bi112_two_service_cycle_reported_once() {
        let bad = format!("{}{}", app("a", "b: healthy"), app("b", "a: started"));
        let d = expect(
            &spec(&bad, "", ""),
            CODE_DEPENDENCY_CYCLE,
            "/services/a/depends_on/b",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "dependency cycle: a -> b -> a");
        clean(&spec(
            &format!("{}{}", app("a", "b: healthy"), app("b", "")),
            "",
            "",
        ));
    }

    #[test]
    fn bi112_longer_and_overlapping_cycles() {
        let three = format!(
            "{}{}{}",
            app("a", "b: started"),
            app("b", "c: started"),
            app("c", "a: started")
        );
        let d = expect(
            &spec(&three, "", ""),
            CODE_DEPENDENCY_CYCLE,
            "/services/a/depends_on/b",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "dependency cycle: a -> b -> c -> a");
        // Two cycles through `a`: each reported once, at its own first edge.
        let two = format!(
            "{}{}{}",
            app("a", "b: started, c: started"),
            app("b", "a: started"),
            app("c", "a: started")
        );
        let d = expect(
            &spec(&two, "", ""),
            CODE_DEPENDENCY_CYCLE,
            "/services/a/depends_on/c",
        );
        let at: Vec<&str> = d.iter().map(|x| x.pointer.as_str()).collect();
        assert_eq!(at, ["/services/a/depends_on/b", "/services/a/depends_on/c"]);
        assert_eq!(d[1].message, "dependency cycle: a -> c -> a");
    }

    #[test]
    fn bi113_app_without_image_source() {
        let bad = "  a: { kind: app, networks: [inner] }\n";
        expect(&spec(bad, "", ""), CODE_APP_IMAGE_SOURCE, "/services/a");
        clean(&spec(
            "  a: { kind: app, image: \"example/a:1.0\", networks: [inner] }\n",
            "",
            "",
        ));
        let no_context = format!("stack: {{ name: t }}\n{NETS}services:\n{WEB}sites:\n{SITE}");
        expect(&no_context, CODE_APP_IMAGE_SOURCE, "/services/web/build");
        let with_context = no_context.replace(
            "{ dockerfile: Dockerfile }",
            "{ dockerfile: Dockerfile, context: /src }",
        );
        clean(&with_context);
    }

    #[test]
    fn bi114_name_in_env_and_secrets() {
        let bad = "env: { APP_MODE: a }\nsecrets: { APP_MODE: {} }\n";
        let d = expect(&spec("", "", bad), CODE_ENV_DEFINITION, "/secrets/APP_MODE");
        assert_eq!(d.len(), 1);
        clean(&spec("", "", "env: { APP_MODE: a }\n"));
    }

    #[test]
    fn bi114_derived_value_declared_again() {
        let bad = "secrets: { POSTGRES_PASSWORD: {}, DATABASE_URL: { source: supplied } }\n";
        let d = expect(
            &spec(DB, "", bad),
            CODE_ENV_DEFINITION,
            "/secrets/DATABASE_URL",
        );
        assert!(d[0]
            .help
            .as_deref()
            .unwrap()
            .contains("derived from `/services/db/url_env`"));
        let bad = S3_SECRETS.replace(
            "MINIO_SECRET_KEY: {}",
            "MINIO_SECRET_KEY: {}, MINIO_ACCESS_KEY: {}",
        );
        expect(
            &spec(S3, S3_SITE, &bad),
            CODE_ENV_DEFINITION,
            "/secrets/MINIO_ACCESS_KEY",
        );
    }

    #[test]
    fn bi114_env_disagrees_with_postgres() {
        let bad =
            format!("env: {{ POSTGRES_DB: other, POSTGRES_USER: banatie_user }}\n{DB_SECRETS}");
        let d = expect(&spec(DB, "", &bad), CODE_ENV_DEFINITION, "/env/POSTGRES_DB");
        assert_eq!(d.len(), 1);
        let good = format!("env: {{ POSTGRES_DB: banatie_db }}\n{DB_SECRETS}");
        clean(&spec(DB, "", &good));
    }

    #[test]
    fn bi406_public_s3_site_without_anonymous_read() {
        let private = S3.replace("public_read_prefix: public/, ", "");
        let d = expect(
            &spec(
                &private,
                S3_SITE,
                "secrets: { MINIO_ROOT_PASSWORD: {}, MINIO_SECRET_KEY: {} }\n",
            ),
            CODE_PUBLIC_SITE_PRIVATE_BUCKET,
            "/sites/1/service",
        );
        assert_eq!(d[0].severity, Severity::Warning);
    }

    #[test]
    fn bi118_one_database_server_per_stack() {
        let two = format!("{DB}  db2: {{ kind: postgres, image: \"postgres:15-alpine\", data: data/pg2, networks: [inner] }}\n");
        let d = expect(
            &spec(&two, "", DB_SECRETS),
            CODE_SINGLE_SERVER,
            "/services/db2/kind",
        );
        assert_eq!(d.len(), 1);
        clean(&spec(DB, "", DB_SECRETS));
    }

    #[test]
    fn bi114_required_secret_not_declared() {
        let d = expect(&spec(DB, "", ""), CODE_ENV_DEFINITION, "/services/db");
        assert_eq!(
            d[0].help.as_deref(),
            Some("add `POSTGRES_PASSWORD: {}` under `secrets`")
        );
        let d = expect(
            &spec(S3, S3_SITE, "secrets: { MINIO_ROOT_PASSWORD: {} }\n"),
            CODE_ENV_DEFINITION,
            "/services/s3/service_account/secret_key_secret",
        );
        assert_eq!(d.len(), 1);
        // A supplied secret is fine.
        clean(&spec(
            DB,
            "",
            "secrets: { POSTGRES_PASSWORD: { source: supplied } }\n",
        ));
    }

    #[test]
    fn bi115_healthy_dependency_on_a_job() {
        let job = "  j: { kind: job, image: \"alpine:3.20\", task: { command: { argv: [/bin/true] } }, networks: [inner] }\n";
        let bad = format!("{job}{}", app("a", "j: healthy"));
        expect(
            &spec(&bad, "", ""),
            CODE_HEALTHY_WITHOUT_HEALTHCHECK,
            "/services/a/depends_on/j",
        );
        clean(&spec(&format!("{job}{}", app("a", "j: completed")), "", ""));
    }

    #[test]
    fn bi116_completed_dependency_on_a_non_job() {
        let bad = app("a", "web: completed");
        expect(
            &spec(&bad, "", ""),
            CODE_COMPLETED_NOT_JOB,
            "/services/a/depends_on/web",
        );
        clean(&spec(&app("a", "web: healthy"), "", ""));
    }

    #[test]
    fn bi117_network_layout() {
        // A service on no network.
        let bad = "  a: { kind: app, build: { dockerfile: D } }\n";
        expect(
            &spec(bad, "", ""),
            CODE_NETWORK_LAYOUT,
            "/services/a/networks",
        );
        // An unused network: a warning.
        let unused = spec("", "", "").replace("networks:\n", "networks:\n  spare: {}\n");
        let d = expect(&unused, CODE_NETWORK_LAYOUT, "/networks/spare");
        assert_eq!(d[0].severity, Severity::Warning);
        // External and internal.
        let both = spec("", "", "").replace(
            "proxy-network: { external: true }",
            "proxy-network: { external: true, internal: true }",
        );
        expect(
            &both,
            CODE_NETWORK_LAYOUT,
            "/networks/proxy-network/internal",
        );
        // The proxy network created by the stack.
        let own =
            spec("", "", "").replace("proxy-network: { external: true }", "proxy-network: {}");
        expect(
            &own,
            CODE_NETWORK_LAYOUT,
            "/networks/proxy-network/external",
        );
        clean(&spec("", "", ""));
    }

    // ---- BI2xx ------------------------------------------------------------------------

    #[test]
    fn bi201_secret_looking_names_in_public_env() {
        expect(
            &spec("", "", "env: { JWT_SECRET: abc }\n"),
            CODE_SECRET_IN_PUBLIC_ENV,
            "/env/JWT_SECRET",
        );
        expect(
            &spec("", "", "env: { GEMINI_API_KEY: abc }\n"),
            CODE_SECRET_IN_PUBLIC_ENV,
            "/env/GEMINI_API_KEY",
        );
        let svc = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], environment: { DB_PASSWORD: abc } }\n";
        expect(
            &spec(svc, "", ""),
            CODE_SECRET_IN_PUBLIC_ENV,
            "/services/a/environment/DB_PASSWORD",
        );
        clean(&spec(
            "",
            "",
            "env: { VAPID_PUBLIC_KEY: abc, KEYBOARD: us }\n",
        ));
        clean(&spec("", "", "secrets: { JWT_SECRET: {} }\n"));
    }

    #[test]
    fn bi201_secret_referenced_or_overridden_in_public_env() {
        let bad = "env: { AUTH_HEADER: \"Bearer ${JWT_SECRET}\" }\nsecrets: { JWT_SECRET: {} }\n";
        let d = expect(
            &spec("", "", bad),
            CODE_SECRET_IN_PUBLIC_ENV,
            "/env/AUTH_HEADER",
        );
        assert_eq!(d.len(), 1, "no BI205 besides");
        let bad = "env: { AUTH_HEADER: \"Bearer $JWT_SECRET\" }\nsecrets: { JWT_SECRET: {} }\n";
        expect(
            &spec("", "", bad),
            CODE_SECRET_IN_PUBLIC_ENV,
            "/env/AUTH_HEADER",
        );
        // A service environment entry that overrides a derived secret.
        let svc = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], environment: { DATABASE_URL: \"postgresql://db/x\" } }\n";
        expect(
            &spec(&format!("{DB}{svc}"), "", DB_SECRETS),
            CODE_SECRET_IN_PUBLIC_ENV,
            "/services/a/environment/DATABASE_URL",
        );
        clean(&spec(
            "",
            "",
            "env: { AUTH_SCHEME: Bearer }\nsecrets: { JWT_SECRET: {} }\n",
        ));
    }

    #[test]
    fn bi202_placeholder_values() {
        for (value, ptr) in [
            ("\"<your cdn url>\"", "/env/CDN_URL"),
            ("your_actual_url_here", "/env/CDN_URL"),
            ("CHANGEME", "/env/CDN_URL"),
            ("\"\"", "/env/CDN_URL"),
            ("TODO", "/env/CDN_URL"),
        ] {
            expect(
                &spec("", "", &format!("env: {{ CDN_URL: {value} }}\n")),
                CODE_PLACEHOLDER,
                ptr,
            );
        }
        let svc = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], environment: { REGION: xxxx } }\n";
        expect(
            &spec(svc, "", ""),
            CODE_PLACEHOLDER,
            "/services/a/environment/REGION",
        );
        clean(&spec(
            "",
            "",
            "env: { CDN_URL: \"https://cdn.example.com\" }\n",
        ));
    }

    #[test]
    fn is_placeholder_table() {
        for p in [
            "",
            "  ",
            "<key>",
            "https://<host>/x",
            "your_actual_key_here",
            "YOUR_KEY_HERE",
            "your-key-here",
            "changeme",
            "Change_Me",
            "xxx",
            "sk-xxxxxxxx",
            "XXXX-XXXX",
            "TODO",
            "TODO: fill in",
        ] {
            assert!(is_placeholder(p), "{p:?} is a placeholder");
        }
        for v in [
            "production",
            "3000",
            "https://api.banatie.app",
            "banatie-minio:9000",
            "<>",
            "a > b",
            "your_here",
            "todo-app",
            "Xq7mAxxbT2",
            "xx",
            "maxx",
            "tox-x",
            "demo",
        ] {
            assert!(!is_placeholder(v), "{v:?} is not a placeholder");
        }
    }

    #[test]
    fn bi203_published_ports() {
        let web_pub = |extra: &str| {
            spec("", "", "").replace(
            "networks: [inner, proxy-network] }",
            &format!("networks: [inner, proxy-network], publish: [{{ host: 8080, container: 3000{extra} }}] }}"),
        )
        };
        // Not allowed.
        let d = expect(&web_pub(""), CODE_PUBLISHED_PORT, "/services/web/publish/0");
        assert!(d[0]
            .help
            .as_deref()
            .unwrap()
            .contains("allow_published_ports"));
        // Allowed, on loopback: fine; on every address: a warning.
        let allow = |s: String| {
            s.replace(
                "source: /src }",
                "source: /src, allow_published_ports: true }",
            )
        };
        clean(&allow(web_pub("")));
        clean(&allow(web_pub(", host_ip: \"::1\"")));
        let d = expect(
            &allow(web_pub(", host_ip: 0.0.0.0")),
            CODE_PUBLISHED_PORT,
            "/services/web/publish/0/host_ip",
        );
        assert_eq!(d[0].severity, Severity::Warning);
        // Not an IP address (Compose refuses `localhost` and `1`): an error, whatever else.
        for bad in ["localhost", "\"1\"", "example.com", "\"[::1\""] {
            let d = expect(
                &allow(web_pub(&format!(", host_ip: {bad}"))),
                CODE_PUBLISHED_PORT,
                "/services/web/publish/0/host_ip",
            );
            assert!(
                d.iter()
                    .any(|x| x.severity == Severity::Error
                        && x.message.contains("not an IP address")),
                "{bad}: {d:#?}"
            );
        }
        clean(&allow(web_pub(", host_ip: \"[::1]\"")));
        // PostgreSQL: always an error.
        let db = "  db: { kind: postgres, image: \"postgres:15-alpine\", networks: [inner, plain], publish: [{ host: 5432, container: 5432 }] }\n";
        let text =
            allow(spec(db, "", DB_SECRETS)).replace("networks:\n", "networks:\n  plain: {}\n");
        expect(&text, CODE_PUBLISHED_PORT, "/services/db/publish/0");
    }

    #[test]
    fn bi204_postgres_on_the_proxy_network() {
        let db = "  db: { kind: postgres, image: \"postgres:15-alpine\", networks: [inner, proxy-network] }\n";
        expect(
            &spec(db, "", DB_SECRETS),
            CODE_PROXY_NETWORK,
            "/services/db/networks/1",
        );
        clean(&spec(DB, "", DB_SECRETS));
    }

    #[test]
    fn bi204_unrouted_service_on_the_proxy_network() {
        let a = "  a: { kind: app, build: { dockerfile: D }, networks: [proxy-network, inner] }\n";
        let d = expect(
            &spec(a, "", ""),
            CODE_PROXY_NETWORK,
            "/services/a/networks/0",
        );
        assert!(d[0]
            .message
            .contains("on the proxy network but no site routes to it"));
        clean(&spec(
            a,
            "  - { domains: [a.example.com], service: a }\n",
            "",
        ));
    }

    #[test]
    fn bi204_site_service_not_on_the_proxy_network() {
        let a = "  a: { kind: app, build: { dockerfile: D }, networks: [inner] }\n";
        let site = "  - { domains: [a.example.com], service: a }\n";
        let d = expect(&spec(a, site, ""), CODE_PROXY_NETWORK, "/sites/1/service");
        assert!(d[0].message.contains("Caddy cannot reach it"));
    }

    #[test]
    fn bi205_dollar_in_value() {
        let d = expect(
            &spec("", "", "env: { GREETING: \"cost: $5 or $AMOUNT\" }\n"),
            CODE_DOLLAR_IN_VALUE,
            "/env/GREETING",
        );
        assert_eq!(d[0].severity, Severity::Warning);
        assert_eq!(d.len(), 1);
        let svc = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], environment: { PATTERN: \"^a$\" } }\n";
        expect(
            &spec(svc, "", ""),
            CODE_DOLLAR_IN_VALUE,
            "/services/a/environment/PATTERN",
        );
        clean(&spec("", "", "env: { GREETING: \"cost: 5 EUR\" }\n"));
    }

    #[test]
    fn dollar_references() {
        assert_eq!(
            dollar_refs("a ${B} $C_1 $$D ${E:-x} $9 $ ${}"),
            ["B", "C_1", "E"]
        );
        assert!(dollar_refs("no refs").is_empty());
    }

    #[test]
    fn bi206_generated_secret_length() {
        expect(
            &spec("", "", "secrets: { JWT_SECRET: { length: 8 } }\n"),
            CODE_SECRET_LENGTH,
            "/secrets/JWT_SECRET/length",
        );
        expect(
            &spec("", "", "secrets: { JWT_SECRET: { length: 5000 } }\n"),
            CODE_SECRET_LENGTH,
            "/secrets/JWT_SECRET/length",
        );
        clean(&spec(
            "",
            "",
            "secrets: { JWT_SECRET: { length: 16 }, B_SECRET: { length: 4096 } }\n",
        ));
        // Length does not apply to supplied secrets.
        clean(&spec(
            "",
            "",
            "secrets: { API_TOKEN: { source: supplied, length: 8 } }\n",
        ));
    }

    // ---- BI3xx ------------------------------------------------------------------------

    fn probed(base: &str, probe: &str) -> String {
        format!("  a: {{ kind: app, build: {{ dockerfile: D }}, base_image: \"{base}\", probe: {probe}, networks: [inner] }}\n")
    }

    #[test]
    fn bi301_probe_binary_missing() {
        let d = expect(
            &spec(&probed("node:20-alpine", "curl"), "", ""),
            CODE_PROBE_BINARY_MISSING,
            "/services/a/probe",
        );
        assert_eq!(d[0].help.as_deref(), Some("use `probe: node`"));
        let d = expect(
            &spec(&probed("alpine:3.20", "node"), "", ""),
            CODE_PROBE_BINARY_MISSING,
            "/services/a/probe",
        );
        assert_eq!(d[0].help.as_deref(), Some("use `probe: wget`"));
        expect(
            &spec(&probed("node:20-slim", "wget"), "", ""),
            CODE_PROBE_BINARY_MISSING,
            "/services/a/probe",
        );
        clean(&spec(&probed("node:20-alpine", "node"), "", ""));
        clean(&spec(&probed("node:20-alpine", "wget"), "", ""));
        clean(&spec(&probed("node:20", "curl"), "", ""));
        // Unknown images are not judged by BI301.
        clean(&spec(&probed("example/base:1.0", "curl"), "", ""));
    }

    #[test]
    fn bi303_unpinned_images() {
        let a = "  a: { kind: app, image: example/a, networks: [inner] }\n";
        let d = expect(&spec(a, "", ""), CODE_UNPINNED_IMAGE, "/services/a/image");
        assert_eq!(d[0].severity, Severity::Warning);
        let a = "  a: { kind: app, image: \"example/a:latest\", networks: [inner] }\n";
        expect(&spec(a, "", ""), CODE_UNPINNED_IMAGE, "/services/a/image");
        expect(
            &spec(&probed("node:latest", "node"), "", ""),
            CODE_UNPINNED_IMAGE,
            "/services/a/base_image",
        );
        // MinIO's default image is `:latest`.
        let s3 = S3.replace(
            "image: \"quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z\", ",
            "",
        );
        expect(
            &spec(&s3, S3_SITE, S3_SECRETS),
            CODE_UNPINNED_IMAGE,
            "/services/s3/image",
        );
        clean(&spec(
            "  a: { kind: app, image: \"example/a:1.2.3\", networks: [inner] }\n",
            "",
            "",
        ));
        let digest = format!("example/a@sha256:{}", "0".repeat(64));
        clean(&spec(
            &format!("  a: {{ kind: app, image: \"{digest}\", networks: [inner] }}\n"),
            "",
            "",
        ));
        // A built app's `image` is the tag given to the build, not a pull.
        clean(&spec("  a: { kind: app, build: { dockerfile: D }, image: \"example/a:latest\", networks: [inner] }\n", "", ""));
    }

    #[test]
    fn bi304_published_port_on_internal_networks_only() {
        let a = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], publish: [{ host: 8080, container: 3000 }, { host: 8081, container: 3000 }] }\n";
        let text = spec(a, "", "").replace(
            "source: /src }",
            "source: /src, allow_published_ports: true }",
        );
        let d = expect(&text, CODE_PUBLISHED_ON_INTERNAL, "/services/a/publish");
        assert_eq!(d.len(), 1, "once per service");
        let plain = text
            .replace(
                "networks: [inner], publish",
                "networks: [inner, plain], publish",
            )
            .replace("networks:\n", "networks:\n  plain: {}\n");
        clean(&plain);
    }

    #[test]
    fn bi305_auto_probe_on_unknown_image() {
        expect(
            &spec(&probed("example/base:1.0", "auto"), "", ""),
            CODE_PROBE_UNKNOWN_IMAGE,
            "/services/a/probe",
        );
        // Known, but without any HTTP client.
        expect(
            &spec(&probed("postgres:16", "auto"), "", ""),
            CODE_PROBE_UNKNOWN_IMAGE,
            "/services/a/probe",
        );
        clean(&spec(&probed("example/base:1.0", "wget"), "", ""));
        clean(&spec(&probed("alpine:3.20", "auto"), "", ""));
    }

    #[test]
    fn bi306_health_timing() {
        let h = |health: &str| {
            format!("  a: {{ kind: app, build: {{ dockerfile: D }}, networks: [inner], health: {{ {health} }} }}\n")
        };
        expect(
            &spec(&h("retries: 0"), "", ""),
            CODE_HEALTH_TIMING,
            "/services/a/health/retries",
        );
        expect(
            &spec(&h("interval: 10s, timeout: 20s"), "", ""),
            CODE_HEALTH_TIMING,
            "/services/a/health/timeout",
        );
        // The default timeout (10s) is longer than a 5s interval.
        let d = expect(
            &spec(&h("interval: 5s"), "", ""),
            CODE_HEALTH_TIMING,
            "/services/a/health/interval",
        );
        assert!(
            d[0].message.contains("10s (the default)"),
            "{}",
            d[0].message
        );
        expect(
            &spec(&h("interval: 500ms, timeout: 100ms"), "", ""),
            CODE_HEALTH_TIMING,
            "/services/a/health/interval",
        );
        clean(&spec(
            &h("interval: 10s, timeout: 5s, retries: 1, start_period: 1m"),
            "",
            "",
        ));
        clean(&spec(&h("interval: 1s, timeout: 1s"), "", ""));
    }

    // ---- BI4xx ------------------------------------------------------------------------

    #[test]
    fn bi401_duplicate_domains() {
        let same_site = spec("", "", "").replace(
            "[t.example.com]",
            "[t.example.com, www.example.com, t.example.com]",
        );
        expect(&same_site, CODE_DUPLICATE_DOMAIN, "/sites/0/domains/2");
        let across = spec(
            "",
            "  - { domains: [w.example.com, t.example.com], service: web }\n",
            "",
        );
        let d = expect(&across, CODE_DUPLICATE_DOMAIN, "/sites/1/domains/1");
        assert_eq!(d.len(), 1);
        clean(&spec(
            "",
            "  - { domains: [w.example.com], service: web }\n",
            "",
        ));
    }

    #[test]
    fn bi402_s3_api_with_write_methods() {
        let all = "  - { domains: [cdn.example.com], service: s3 }\n";
        let d = expect(
            &spec(S3, all, S3_SECRETS),
            CODE_S3_WRITE_METHODS,
            "/sites/1/methods",
        );
        assert_eq!(
            d[0].help.as_deref(),
            Some("list read methods only: `methods: [GET, HEAD, OPTIONS]`")
        );
        let put = "  - { domains: [cdn.example.com], service: s3, port: 9000, methods: [GET, PUT, DELETE] }\n";
        let d = expect(
            &spec(S3, put, S3_SECRETS),
            CODE_S3_WRITE_METHODS,
            "/sites/1/methods/1",
        );
        assert!(d[0]
            .message
            .contains("S3 API of `s3` exposed with write methods: PUT, DELETE"));
        clean(&spec(S3, S3_SITE, S3_SECRETS));
    }

    #[test]
    fn bi403_site_structure() {
        let empty = spec("", "  - { domains: [], service: web }\n", "");
        expect(&empty, CODE_SITE_STRUCTURE, "/sites/1/domains");
        let shared = spec("", "", "").replace(
            "service: web }",
            "service: web, access_log: { file: a.log } }",
        )
            + "  - { domains: [w.example.com], service: web, access_log: { file: ./a.log } }\n";
        expect(&shared, CODE_SITE_STRUCTURE, "/sites/1/access_log/file");
        let keep0 = spec("", "", "").replace(
            "service: web }",
            "service: web, access_log: { file: a.log, roll_keep: 0 } }",
        );
        expect(&keep0, CODE_SITE_STRUCTURE, "/sites/0/access_log/roll_keep");
        let good = spec("", "", "").replace(
            "service: web }",
            "service: web, access_log: { file: a.log, roll_keep: 1 } }",
        )
            + "  - { domains: [w.example.com], service: web, access_log: { file: b.log } }\n";
        clean(&good);
    }

    #[test]
    fn bi404_console_without_security_headers() {
        let console = "  - { domains: [console.example.com], service: s3, port: 9001 }\n";
        let d = expect(
            &spec(S3, &format!("{S3_SITE}{console}"), S3_SECRETS),
            CODE_CONSOLE_WITHOUT_HEADERS,
            "/sites/2/security_headers",
        );
        assert_eq!(d[0].severity, Severity::Warning);
        let console = "  - { domains: [console.example.com], service: s3, port: 9001, security_headers: console }\n";
        clean(&spec(S3, &format!("{S3_SITE}{console}"), S3_SECRETS));
    }

    #[test]
    fn bi405_cors() {
        let site = |cors: &str| {
            format!("  - {{ domains: [cdn.example.com], service: s3, methods: [GET, HEAD, OPTIONS], cors: {{ {cors} }} }}\n")
        };
        expect(
            &spec(S3, &site("methods: [GET, POST]"), S3_SECRETS),
            CODE_CORS,
            "/sites/1/cors/methods/1",
        );
        for origin in [
            "\"https://banatie.app/\"",
            "\"banatie.app\"",
            "\"https://a.app,https://b.app\"",
            "\"https://a.app:0\"",
        ] {
            expect(
                &spec(S3, &site(&format!("origin: {origin}")), S3_SECRETS),
                CODE_CORS,
                "/sites/1/cors/origin",
            );
        }
        for origin in [
            "\"*\"",
            "\"https://banatie.app\"",
            "\"http://localhost:3000\"",
            "\"https://[::1]:8443\"",
        ] {
            clean(&spec(
                S3,
                &site(&format!("origin: {origin}, methods: [GET, HEAD]")),
                S3_SECRETS,
            ));
        }
        // Write methods in CORS are fine where the site passes every method.
        clean(&spec("", "", "").replace(
            "service: web }",
            "service: web, cors: { methods: [GET, POST] } }",
        ));
    }

    // ---- BI5xx ------------------------------------------------------------------------

    fn s3_with(fields: &str) -> String {
        let base = if fields.contains("public_read_prefix") {
            S3.replace("public_read_prefix: public/, ", "")
        } else {
            S3.to_owned()
        };
        base.replace(
            "networks: [inner, proxy-network] }",
            &format!("networks: [inner, proxy-network], {fields} }}"),
        )
    }

    #[test]
    fn bi501_minio_drives() {
        expect(
            &spec(&s3_with("drives: 1"), S3_SITE, S3_SECRETS),
            CODE_MINIO_DRIVES,
            "/services/s3/drives",
        );
        expect(
            &spec(&s3_with("drives: 17"), S3_SITE, S3_SECRETS),
            CODE_MINIO_DRIVES,
            "/services/s3/drives",
        );
        clean(&spec(&s3_with("drives: 2"), S3_SITE, S3_SECRETS));
        clean(&spec(&s3_with("drives: 16"), S3_SITE, S3_SECRETS));
    }

    #[test]
    fn bi502_lifecycle_on_the_whole_bucket() {
        let bad = s3_with("lifecycle: [{ id: all, prefix: \"\", expire_days: 1 }]");
        expect(
            &spec(&bad, S3_SITE, S3_SECRETS),
            CODE_LIFECYCLE_WHOLE_BUCKET,
            "/services/s3/lifecycle/0/prefix",
        );
        let good =
            s3_with("lifecycle: [{ id: all, prefix: \"\", expire_days: 1, whole_bucket: true }]");
        clean(&spec(&good, S3_SITE, S3_SECRETS));
    }

    #[test]
    fn bi503_lifecycle_rules() {
        let zero = s3_with("lifecycle: [{ id: t, prefix: temp/, expire_days: 0 }]");
        expect(
            &spec(&zero, S3_SITE, S3_SECRETS),
            CODE_LIFECYCLE_RULE,
            "/services/s3/lifecycle/0/expire_days",
        );
        let dup = s3_with("lifecycle: [{ id: t, prefix: temp/, expire_days: 1 }, { id: t, prefix: tmp/, expire_days: 2 }]");
        expect(
            &spec(&dup, S3_SITE, S3_SECRETS),
            CODE_LIFECYCLE_RULE,
            "/services/s3/lifecycle/1/id",
        );
        let good = s3_with("lifecycle: [{ id: t, prefix: temp/, expire_days: 1 }, { id: u, prefix: tmp/, expire_days: 2 }]");
        clean(&spec(&good, S3_SITE, S3_SECRETS));
    }

    #[test]
    fn bi504_overlapping_mounts() {
        let vol = |src: &str| {
            format!("  a: {{ kind: app, build: {{ dockerfile: D }}, networks: [inner], volumes: [{{ source: {src}, target: /x }}] }}\n")
        };
        // An app volume inside MinIO's data directory: reported at the app volume,
        // whichever comes first.
        let at = "/services/a/volumes/0/source";
        let d = expect(
            &spec(
                &format!("{}{S3}", vol("data/minio/drive1")),
                S3_SITE,
                S3_SECRETS,
            ),
            CODE_OVERLAPPING_MOUNTS,
            at,
        );
        assert!(
            d[0].message
                .contains("`data/minio/drive1` is inside `data/minio`"),
            "{}",
            d[0].message
        );
        let d = expect(
            &spec(
                &format!("{S3}{}", vol("data/minio/drive1")),
                S3_SITE,
                S3_SECRETS,
            ),
            CODE_OVERLAPPING_MOUNTS,
            at,
        );
        assert_eq!(d.len(), 1);
        // The same directory, written differently; a parent directory.
        expect(
            &spec(&format!("{DB}{}", vol("./data//postgres/")), "", DB_SECRETS),
            CODE_OVERLAPPING_MOUNTS,
            at,
        );
        let d = expect(
            &spec(&format!("{DB}{}", vol("data")), "", DB_SECRETS),
            CODE_OVERLAPPING_MOUNTS,
            at,
        );
        assert!(d[0].message.contains("is a parent of"), "{}", d[0].message);
        // Two apps: reported at the later one.
        let logs = "  b: { kind: app, build: { dockerfile: D }, networks: [inner], logs: { source: logs, target: /logs } }\n";
        expect(
            &spec(&format!("{}{logs}", vol("logs/a")), "", ""),
            CODE_OVERLAPPING_MOUNTS,
            "/services/b/logs/source",
        );
        // The backup directory (and the root, which holds it) is no app's to mount.
        expect(&spec(&vol("backups"), "", ""), CODE_OVERLAPPING_MOUNTS, at);
        // The root itself is also BI516's (a host directory that is the deployment root).
        let d = run(&spec(&vol("."), "", ""));
        for code in [CODE_OVERLAPPING_MOUNTS, CODE_HOST_PATH] {
            assert!(
                d.iter().any(|x| x.code == code && x.pointer == at),
                "{d:#?}"
            );
        }
        let moved = spec(&vol("backups"), "", "backups: { dir: var/backups }\n");
        clean(&moved);
        clean(&spec(
            &format!("{S3}{DB}{}{logs}", vol("data/minio-extra")),
            S3_SITE,
            "secrets: { POSTGRES_PASSWORD: {}, MINIO_ROOT_PASSWORD: {}, MINIO_SECRET_KEY: {} }\n",
        ));
    }

    #[test]
    fn bi505_public_read_prefix() {
        let d = expect(
            &spec(&s3_with("public_read_prefix: \"\""), S3_SITE, S3_SECRETS),
            CODE_PUBLIC_PREFIX,
            "/services/s3/public_read_prefix",
        );
        assert_eq!(d[0].severity, Severity::Warning);
        let d = expect(
            &spec(&s3_with("public_read_prefix: public"), S3_SITE, S3_SECRETS),
            CODE_PUBLIC_PREFIX,
            "/services/s3/public_read_prefix",
        );
        assert_eq!(d[0].severity, Severity::Error);
        assert_eq!(d[0].help.as_deref(), Some("write `public/`"));
        expect(
            &spec(
                &s3_with("public_read_prefix: /public/"),
                S3_SITE,
                S3_SECRETS,
            ),
            CODE_PUBLIC_PREFIX,
            "/services/s3/public_read_prefix",
        );
        clean(&spec(
            &s3_with("public_read_prefix: public/"),
            S3_SITE,
            S3_SECRETS,
        ));
    }

    #[test]
    fn bi506_postgres_version() {
        let db = |fields: &str| {
            DB.replace(
                "networks: [inner] }",
                &format!("networks: [inner], {fields} }}"),
            )
        };
        expect(
            &spec(&db("version: 9"), "", DB_SECRETS),
            CODE_POSTGRES_VERSION,
            "/services/db/version",
        );
        expect(
            &spec(&db("version: 19"), "", DB_SECRETS),
            CODE_POSTGRES_VERSION,
            "/services/db/version",
        );
        let sixteen = DB.replace("postgres:15-alpine", "postgres:16-alpine");
        let d = expect(
            &spec(&sixteen, "", DB_SECRETS),
            CODE_POSTGRES_VERSION,
            "/services/db/image",
        );
        assert!(d[0]
            .message
            .contains("runs PostgreSQL 16, but `version` is 15"));
        clean(&spec(
            &sixteen.replace("networks: [inner] }", "networks: [inner], version: 16 }"),
            "",
            DB_SECRETS,
        ));
        clean(&spec(
            &DB.replace("postgres:15-alpine", "postgres:15.8"),
            "",
            DB_SECRETS,
        ));
    }

    // ---- scale --------------------------------------------------------------------------

    #[test]
    fn ten_thousand_services_validate_quickly() {
        let mut s = load_str(&spec("", "", ""), Format::Yaml, "t.yaml")
            .unwrap()
            .spec;
        let template = load_str(
            &spec("  a: { kind: app, build: { dockerfile: D }, networks: [inner], volumes: [{ source: data/a, target: /x }] }\n", "", ""),
            Format::Yaml,
            "t.yaml",
        )
        .unwrap()
        .spec
        .services["a"]
        .clone();
        let n = 10_000;
        for i in 0..n {
            let mut svc = template.clone();
            if let Service::App(app) = &mut svc {
                app.volumes[0].source = format!("data/app-{i}").parse().unwrap();
                // A chain a0 <- a1 <- ... and, at the end, back to a0: one long cycle.
                let dep = if i == 0 { n - 1 } else { i - 1 };
                app.depends_on
                    .insert(format!("app-{dep}").parse().unwrap(), Condition::Started);
                app.environment.insert("MODE".parse().unwrap(), "x".into());
            }
            s.services.insert(format!("app-{i}").parse().unwrap(), svc);
        }
        let start = std::time::Instant::now();
        let d = validate(&s);
        let took = start.elapsed();
        assert_eq!(
            d.len(),
            1,
            "{:?}",
            d.iter()
                .map(|x| &x.message[..60.min(x.message.len())])
                .collect::<Vec<_>>()
        );
        assert_eq!(d[0].code, CODE_DEPENDENCY_CYCLE);
        assert_eq!(d[0].pointer, "/services/app-0/depends_on/app-9999");
        assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
    }
}
