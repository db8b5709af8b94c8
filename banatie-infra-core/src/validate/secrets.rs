//! The secrets family (BI201-BI206; the registry's `rules/secrets.rs`): nothing secret and
//! no placeholder in the public env, published ports and the proxy network kept to what
//! must be reachable, `$` written literally, generated secrets of a usable length. Also
//! the walk over every env entry these rules share, and the predicates the audit and the
//! import share with them ([`is_placeholder`], `is_loopback`).

use std::collections::HashSet;

use super::looks_secret;
use crate::diagnostic::Diagnostic;
use crate::environment::secret_vars;
use crate::rules::secrets as secret_rules;
use crate::rules::secrets::CODE_DOLLAR_IN_VALUE;
use crate::rules::secrets::CODE_SECRET_LENGTH;
use crate::spec::{SecretSource, Service, Spec};
use crate::types::{EnvName, Name};

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

/// Whether a published port's host address (as written in a Compose file) is a loopback
/// address; `localhost`, which Compose refuses anyway, counts as one.
pub(crate) fn is_loopback(host_ip: &str) -> bool {
    host_ip == "localhost" || crate::spec::parse_host_ip(host_ip).is_some_and(|a| a.is_loopback())
}

/// BI201: nothing secret in `env` or a service `environment`: no secret-looking name, no
/// name of a secret variable (in a service environment; in `env` that is BI114's), no
/// `$` reference to a secret variable.
pub(super) fn secret_in_public_env(spec: &Spec, out: &mut Vec<Diagnostic>) {
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
        let service = e.service.map(Name::as_str);
        let finding = match service {
            Some(s) if is_secret_var => secret_rules::secret_overridden(name.as_str(), s),
            _ if looks_secret(name.as_str()) => {
                secret_rules::secret_looking_variable(name.as_str(), service)
            }
            _ => match dollar_refs(e.value)
                .into_iter()
                .find(|r| secrets.contains(*r))
            {
                Some(r) => secret_rules::secret_referenced(name.as_str(), service, r),
                None => continue,
            },
        };
        out.push(finding.at(e.pointer()));
    }
}

/// BI214: no secret among a service's build arguments: neither a secret-looking name nor
/// the name of a secret variable (Docker keeps every build argument in the image's
/// history: `docker history --no-trunc` prints it).
pub(super) fn secret_in_build_args(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let secrets = secret_names(spec);
    for (service, svc) in &spec.services {
        let Some(build) = svc.build() else { continue };
        for (name, value) in &build.args {
            if !(secrets.contains(name.as_str()) || looks_secret(name.as_str())) {
                continue;
            }
            crate::redact::register(value);
            out.push(Diagnostic::error(
                crate::rules::secrets::CODE_SECRET_IN_BUILD_ARG,
                ptr!("services", service, "build", "args", name),
                format!("build argument `{name}` of service `{service}` looks like a secret: build arguments are kept in the image's history, readable by anyone who can pull the image"),
            ).with_help("give the secret to the running container instead (`secrets:` of the service); a value the build itself needs belongs in a BuildKit secret mount, which this tool does not pass"));
        }
    }
}

/// BI202: no placeholder values in `env` or a service `environment`.
pub(super) fn placeholders(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for e in env_entries(spec) {
        if is_placeholder(e.value) {
            let service = e.service.map(Name::as_str);
            let finding = secret_rules::placeholder(e.name.as_str(), service, e.value, false);
            out.push(finding.at(e.pointer()));
        }
    }
}

/// BI203: published host ports: never on PostgreSQL; elsewhere only with
/// `stack.allow_published_ports`, and then preferably on loopback.
pub(super) fn published_ports(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        for (i, p) in svc.publish().iter().enumerate() {
            let (service, host) = (name.as_str(), p.host.to_string());
            if p.host_addr().is_none() {
                let finding = secret_rules::host_ip_not_an_address(service, &host, &p.host_ip);
                out.push(finding.at(ptr!("services", name, "publish", i, "host_ip")));
            }
            if matches!(svc, Service::Postgres(_)) {
                let finding = secret_rules::postgres_published(service, &host);
                out.push(finding.at(ptr!("services", name, "publish", i)));
            } else if !spec.stack.allow_published_ports {
                let finding = secret_rules::published_not_allowed(service, &host);
                out.push(finding.at(ptr!("services", name, "publish", i)));
            } else if p.host_addr().is_some() && !is_loopback(&p.host_ip) {
                // An address that is not one is reported above; loopback is judged by the
                // audit's predicate (`localhost` counts).
                let finding = secret_rules::published_not_loopback(
                    service,
                    &host,
                    &p.container.to_string(),
                    &p.host_ip,
                );
                out.push(finding.at(ptr!("services", name, "publish", i, "host_ip")));
            }
        }
    }
}

/// BI204: the proxy network holds exactly the services sites route to, never PostgreSQL.
pub(super) fn proxy_network(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let proxy = &spec.proxy.network;
    let routed: HashSet<&str> = spec.sites.iter().map(|s| s.service.as_str()).collect();
    for (name, svc) in &spec.services {
        let Some(i) = svc.networks().iter().position(|n| n == proxy) else {
            continue;
        };
        let finding = if matches!(svc, Service::Postgres(_)) {
            secret_rules::postgres_on_proxy(name.as_str(), proxy.as_str())
        } else if !routed.contains(name.as_str()) {
            secret_rules::unrouted_on_proxy(name.as_str(), proxy.as_str())
        } else {
            continue;
        };
        out.push(finding.at(ptr!("services", name, "networks", i)));
    }
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(svc) = spec.services.get(&site.service) else {
            continue;
        };
        if !svc.networks().contains(proxy) {
            let finding =
                secret_rules::site_service_off_proxy(site.service.as_str(), proxy.as_str());
            out.push(finding.at(ptr!("sites", i, "service")));
        }
    }
}

/// BI205: a `$` in a value is written literally; warn, unless BI201 already reports a
/// reference to a secret in it.
pub(super) fn dollar_in_values(spec: &Spec, out: &mut Vec<Diagnostic>) {
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
pub(super) fn secret_lengths(spec: &Spec, out: &mut Vec<Diagnostic>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    #[allow(unused_imports)]
    use crate::rules::{health::*, secrets::*, sites::*, spec::*, storage::*};
    use crate::validate::tests::{clean, expect, spec, DB, DB_SECRETS};

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
}
