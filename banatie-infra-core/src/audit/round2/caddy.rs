//! BI414: a `reverse_proxy` without a retry window.
//!
//! Facts (Caddy's `reverse_proxy` documentation and source, modules/caddyhttp/
//! reverseproxy): `lb_try_duration` defaults to 0, so a request whose upstream refuses
//! the connection or does not resolve is answered 502 at once; with a duration Caddy
//! retries (every `lb_try_interval`, default 250ms) until it passes. A dial that fails
//! before the request is written is always safe to retry (caddyserver/caddy #6259).
//! While Compose recreates a container its DNS name does not resolve or its port is not
//! open yet (joemccann/radon PR #91: 7 s of 502s per restart). `lb_retries` alone retries
//! at once, without waiting, so it does not ride out a restart.
//!
//! Every `reverse_proxy` in a site block or snippet is read, nested ones (`handle`,
//! `route`, `handle_path`) included, by the audit's Caddyfile parser.

use crate::audit::caddyfile::{self, BlockKind, Directive};
use crate::audit::{Deployment, FileKind};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::sites::CODE_NO_RETRY_WINDOW;

/// Runs BI414 on every Caddyfile read.
pub(crate) fn check(d: &Deployment, out: &mut Vec<Diagnostic>) {
    for (id, f) in d.files.iter().enumerate() {
        if f.kind != FileKind::Caddyfile {
            continue;
        }
        // A file that does not parse is already a finding (BI314).
        let Ok(blocks) = caddyfile::parse(&f.text) else {
            continue;
        };
        for b in blocks.iter().filter(|b| b.kind != BlockKind::Global) {
            walk(d, id, &b.directives, out);
        }
    }
}

fn has_window(sub: &[Directive]) -> bool {
    sub.iter().any(|x| {
        x.name.text == "lb_try_duration"
            && x.args
                .first()
                .and_then(|a| super::duration_secs(&a.text))
                .is_some_and(|s| s > 0.0)
    })
}

fn walk(d: &Deployment, file: usize, directives: &[Directive], out: &mut Vec<Diagnostic>) {
    for dir in directives {
        if dir.name.text != "reverse_proxy" {
            if let Some(b) = &dir.block {
                walk(d, file, b, out);
            }
            continue;
        }
        if dir.block.as_deref().is_some_and(has_window) {
            continue;
        }
        let upstreams: Vec<&str> = dir
            .args
            .iter()
            .map(|a| a.text.as_str())
            .filter(|a| !a.starts_with('@') && !a.starts_with('/') && *a != "*")
            .collect();
        let shown = if upstreams.is_empty() {
            "its upstreams".to_owned()
        } else {
            upstreams
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(d.diag(
            Severity::Warning,
            CODE_NO_RETRY_WINDOW,
            file,
            Some(dir.name.at),
            "",
            format!("`reverse_proxy` to {shown} has no `lb_try_duration`: Caddy tries once, so while the upstream container is stopped and recreated (the grace period plus its start) every request is answered 502 Bad Gateway"),
            "give it a retry window longer than a recreate: `reverse_proxy api:3000 {\n\tlb_try_duration 15s\n\tlb_try_interval 250ms\n}`".into(),
        ));
    }
}
