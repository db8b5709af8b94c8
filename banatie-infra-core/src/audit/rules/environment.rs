//! The rules on a service's `environment` in the Compose file: BI201 (a secret in plain
//! text), BI202 (a placeholder or an empty secret), BI315 (a plain value Compose's YAML
//! parser retypes) and BI208 (a connection URL's user info not percent-encoded).

use crate::audit::{env, interp, At, Deployment, Svc};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::health::CODE_RETYPED_VALUE;
use crate::rules::secrets as secret_rules;
use crate::rules::secrets::CODE_URL_USERINFO;
use crate::validate::{is_placeholder, looks_secret};

/// BI201, BI202, BI208 on a service's `environment`.
pub(super) fn environment(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    for e in &s.environment {
        let raw = e
            .raw
            .clone()
            .or_else(|| e.value.clone())
            .unwrap_or_default();
        let literal = !raw.contains('$');
        // A value with literal text (a `$` that Compose would cut counts as text) holds
        // the secret itself; a value that is only `${VAR}` is reported where it is
        // interpolated.
        let holds_text = match interp::parse(&raw) {
            Ok(pieces) => pieces.iter().any(|p| match p {
                interp::Piece::Lit(t) => !t.trim().is_empty(),
                interp::Piece::Ref(r) => env::literal_looking(d, r),
            }),
            Err(_) => true,
        };
        if looks_secret(&e.name) && holds_text && !is_placeholder(&raw) {
            let finding = secret_rules::secret_looking_variable(&e.name, Some(&s.name));
            out.push(d.finding_at(finding, &e.at));
        }
        if e.value.is_some()
            && literal
            && is_placeholder(&raw)
            && (!raw.trim().is_empty() || looks_secret(&e.name))
        {
            let finding = secret_rules::placeholder(&e.name, Some(&s.name), &raw, false);
            out.push(d.finding_at(finding, &e.at));
        }
        // BI315: a plain value Compose's YAML parser types.
        if let Some(plain) = &e.plain {
            if let Some((what, got)) = crate::render::quote::compose_env_reading(plain) {
                // A secret-looking variable's value is not repeated (BI201 covers it).
                let secret = looks_secret(&e.name);
                out.push(d.diag_at(
                    Severity::Error,
                    CODE_RETYPED_VALUE,
                    &At {
                        file: e.value_file,
                        loc: e.value_loc.or(e.at.loc),
                        pointer: e.at.pointer.clone(),
                    },
                    match (secret, got) {
                        (true, _) => format!("`{}` is written plain, and Compose's YAML parser reads it as {what}: the container gets other text than written", e.name),
                        (false, None) => format!("`{}: {plain}` is written plain, and Compose's YAML parser reads it as {what}", e.name),
                        (false, Some(got)) => format!("`{}: {plain}` is written plain, and Compose's YAML parser reads it as {what}: the container gets `{got}`, not `{plain}`", e.name),
                    },
                    if secret {
                        "quote the value (double quotes)".to_owned()
                    } else {
                        format!("quote the value: `{}: \"{plain}\"`", e.name)
                    },
                ));
            }
        }
        let mut found = Vec::new();
        env::check_url(d, &e.name, &raw, true, &mut |_, msg| found.push(msg));
        for msg in found {
            out.push(d.diag_at(
                Severity::Error,
                CODE_URL_USERINFO,
                &e.at,
                msg,
                "percent-encode the user and password in the URL (`/` as `%2F`, `+` as `%2B`, `=` as `%3D`), in an env_file with mode 0600".into(),
            ));
        }
    }
}
