//! The minijinja templates for text formats, with one quoting filter per target language.

use minijinja::{context, Environment, UndefinedBehavior};
use serde::Serialize;

use super::{quote, PlannedDir, RenderError};
use crate::environment::{public_vars, secret_vars, SecretKind};
use crate::spec::{Alphabet, HeaderPreset, MinioService, PostgresService, Service, Spec};
use crate::types::Name;

const TEMPLATES: &[(&str, &str)] = &[
    ("env", include_str!("../../templates/env.j2")),
    (
        "secrets.env.example",
        include_str!("../../templates/secrets.env.example.j2"),
    ),
    (
        "init-db.sql",
        include_str!("../../templates/init-db.sql.j2"),
    ),
    (
        "storage-init.sh",
        include_str!("../../templates/storage-init.sh.j2"),
    ),
    (
        "prepare-host.sh",
        include_str!("../../templates/prepare-host.sh.j2"),
    ),
    ("Caddyfile", include_str!("../../templates/Caddyfile.j2")),
];

pub(crate) struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub(crate) fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.add_filter("shell", |s: &str| quote::shell(s));
        env.add_filter("sql_ident", |s: &str| quote::sql_ident(s));
        env.add_filter("sql_literal", |s: &str| quote::sql_literal(s));
        env.add_filter("caddy", |s: &str| caddy_filter(s, super::caddy::token));
        env.add_filter("caddy_line_start", |s: &str| {
            caddy_filter(s, super::caddy::line_start_token)
        });
        env.add_filter("env", |s: &str| quote::env_value(s));
        env.add_filter("comment", |s: &str| quote::comment(s));
        for (name, src) in TEMPLATES {
            env.add_template(name, src).expect("templates are valid");
        }
        Self { env }
    }

    fn render<S: Serialize>(&self, name: &str, ctx: S) -> Result<String, RenderError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| RenderError::Template {
                name: name.into(),
                message: e.to_string(),
            })
    }

    pub(crate) fn env_file(&self, spec: &Spec) -> Result<String, RenderError> {
        #[derive(Serialize)]
        struct V {
            name: String,
            value: String,
        }
        let vars: Vec<V> = public_vars(spec)
            .into_iter()
            .map(|v| V {
                name: v.name.to_string(),
                value: v.value,
            })
            .collect();
        self.render("env", context! { stack => spec.stack.name.as_str(), vars })
    }

    pub(crate) fn secrets_example(&self, spec: &Spec) -> Result<String, RenderError> {
        #[derive(Serialize)]
        struct S {
            name: String,
            how: String,
            description: Option<String>,
        }
        let secrets: Vec<S> = secret_vars(spec)
            .into_iter()
            .map(|s| S {
                name: s.name.to_string(),
                how: match &s.kind {
                    SecretKind::Generated { length, alphabet } => format!(
                        "generated: {length} {} characters",
                        match alphabet {
                            Alphabet::Alphanumeric => "alphanumeric",
                            Alphabet::Hex => "hex",
                            Alphabet::UrlSafe => "URL-safe",
                        }
                    ),
                    SecretKind::Supplied => "supplied by the operator".into(),
                    SecretKind::DatabaseUrl { service } => {
                        format!("derived: connection URL of {service}")
                    }
                    SecretKind::Fixed { .. } => "derived: fixed by the spec".into(),
                },
                description: s.description,
            })
            .collect();
        self.render(
            "secrets.env.example",
            context! { stack => spec.stack.name.as_str(), root => spec.stack.root().as_str(), secrets },
        )
    }

    pub(crate) fn init_sql(
        &self,
        spec: &Spec,
        service: &Name,
        pg: &PostgresService,
    ) -> Result<String, RenderError> {
        self.render(
            "init-db.sql",
            context! {
                stack => spec.stack.name.as_str(),
                service => service.as_str(),
                database => pg.database.as_str(),
                user => pg.user.as_str(),
            },
        )
    }

    pub(crate) fn storage_init(
        &self,
        spec: &Spec,
        minio: &Name,
        m: &MinioService,
    ) -> Result<String, RenderError> {
        let lifecycle = m
            .lifecycle
            .iter()
            .map(|r| {
                format!(
                    "{}: {} after {} days",
                    r.id,
                    if r.prefix.is_empty() {
                        "(whole bucket)"
                    } else {
                        &r.prefix
                    },
                    r.expire_days
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        self.render(
            "storage-init.sh",
            context! {
                stack => spec.stack.name.as_str(),
                minio => minio.as_str(),
                url => format!("http://{minio}:{}", m.api_port),
                bucket => m.bucket.as_str(),
                root_user_ref => quote::shell_param(&crate::spec::MINIO_ROOT_USER.parse().expect("valid")),
                root_password_ref => quote::shell_param(&crate::spec::MINIO_ROOT_PASSWORD.parse().expect("valid")),
                access_key_ref => quote::shell_param(&m.service_account.access_key_env),
                secret_key_ref => quote::shell_param(&m.service_account.secret_key_secret),
                policy => m.service_account.policy.as_str(),
                lifecycle => lifecycle,
                lifecycle_path => format!("{}/lifecycle.json", super::JOB_MOUNT),
                public_prefix => m.public_read_prefix.as_deref(),
            },
        )
    }

    pub(crate) fn prepare_host(
        &self,
        spec: &Spec,
        plan: &[PlannedDir],
    ) -> Result<String, RenderError> {
        #[derive(Serialize)]
        struct D<'a> {
            rel: &'a str,
            uid: u32,
            gid: u32,
            container_uid: Option<u32>,
            mode_octal: String,
            purpose: &'a str,
        }
        let root = spec.stack.root();
        let dirs: Vec<D<'_>> = plan
            .iter()
            .map(|d| D {
                rel: d.path.strip_prefix(&format!("{root}/")).unwrap_or(&d.path),
                uid: d.uid,
                gid: d.gid,
                container_uid: d.container_uid,
                mode_octal: format!("{:o}", d.mode),
                purpose: &d.purpose,
            })
            .collect();
        self.render(
            "prepare-host.sh",
            context! {
                stack => spec.stack.name.as_str(),
                root => root.as_str(),
                remap => spec.stack.userns_remap.enabled,
                base => spec.stack.userns_remap.base,
                dirs,
            },
        )
    }

    pub(crate) fn caddyfile(&self, spec: &Spec) -> Result<String, RenderError> {
        #[derive(Serialize)]
        struct Log {
            path: String,
            roll_size: String,
            roll_keep: u32,
        }
        #[derive(Serialize)]
        struct S {
            domains: Vec<String>,
            upstream: String,
            lb_try_duration: String,
            lb_try_interval: String,
            methods: Option<Vec<&'static str>>,
            headers: Vec<(String, String)>,
            cache: Vec<(String, String)>,
            log: Option<Log>,
        }
        let log_dir = spec.proxy.log_dir.as_ref().map_or_else(
            || format!("{}/logs", spec.stack.root()),
            ToString::to_string,
        );
        let sites: Vec<S> = spec
            .sites
            .iter()
            .map(|site| {
                let port = site
                    .port
                    .or_else(|| {
                        spec.services
                            .get(&site.service)
                            .and_then(Service::main_port)
                    })
                    .map_or(80, |p| p.get());
                let mut headers: Vec<(String, String)> = preset(site.security_headers)
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect();
                if let Some(c) = &site.cors {
                    headers.push(("Access-Control-Allow-Origin".into(), c.origin.clone()));
                    headers.push((
                        "Access-Control-Allow-Methods".into(),
                        c.methods
                            .iter()
                            .map(|m| m.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ));
                    for (name, list) in [
                        ("Access-Control-Allow-Headers", &c.allow_headers),
                        ("Access-Control-Expose-Headers", &c.expose_headers),
                    ] {
                        if !list.is_empty() {
                            let names: Vec<&str> = list.iter().map(|h| h.as_str()).collect();
                            headers.push((name.into(), names.join(", ")));
                        }
                    }
                }
                for (k, v) in &site.headers {
                    headers.push((k.to_string(), v.to_string()));
                }
                S {
                    domains: site.domains.iter().map(ToString::to_string).collect(),
                    upstream: format!("{}:{port}", site.service),
                    lb_try_duration: site.lb_try_duration.to_string(),
                    lb_try_interval: site.lb_try_interval.to_string(),
                    methods: site
                        .methods
                        .as_ref()
                        .map(|ms| ms.iter().map(|m| m.as_str()).collect()),
                    headers,
                    cache: site
                        .cache
                        .iter()
                        .map(|c| (c.path.to_string(), c.cache_control.to_string()))
                        .collect(),
                    log: site.access_log.as_ref().map(|l| Log {
                        path: format!("{log_dir}/{}", l.file),
                        roll_size: l.roll_size.to_string(),
                        roll_keep: l.roll_keep,
                    }),
                }
            })
            .collect();
        self.render(
            "Caddyfile",
            context! { stack => spec.stack.name.as_str(), root => spec.stack.root().as_str(), sites },
        )
    }
}

/// A Caddyfile filter: the token, or a template error naming why no token carries the
/// value (the value itself is not repeated: it may be a header holding a credential).
fn caddy_filter(
    s: &str,
    write: fn(&str) -> Result<String, super::caddy::TokenError>,
) -> Result<String, minijinja::Error> {
    write(s).map_err(|e| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("a value cannot be written to the Caddyfile: {e}"),
        )
    })
}

/// The headers of a security-header preset, from the seed's site blocks.
pub(crate) fn preset(p: HeaderPreset) -> &'static [(&'static str, &'static str)] {
    match p {
        HeaderPreset::None => &[],
        HeaderPreset::Web => &[
            (
                "Strict-Transport-Security",
                "max-age=31536000; includeSubDomains; preload",
            ),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("X-XSS-Protection", "1; mode=block"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ],
        HeaderPreset::Api => &[
            (
                "Strict-Transport-Security",
                "max-age=31536000; includeSubDomains",
            ),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("X-XSS-Protection", "1; mode=block"),
        ],
        HeaderPreset::Console => &[
            ("Strict-Transport-Security", "max-age=31536000"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "SAMEORIGIN"),
        ],
    }
}
