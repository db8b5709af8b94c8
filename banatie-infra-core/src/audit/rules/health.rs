//! Health checks and images: BI301, BI302, BI313 and BI306 on a service's health check
//! (the programs it calls against what the image ships, `localhost` on BusyBox, its
//! timing), the build whose base cannot be read, and BI303 on images that are pulled
//! unpinned. Also what a probe calls and where it connects ([`probe_programs`],
//! [`probe_url`]), which the import reads too.

use std::collections::HashSet;

use crate::audit::read::scripts::inline_script;
use crate::audit::{shell, Deployment, Svc};
use crate::diagnostic::{Diagnostic, Severity};
use crate::images;
use crate::rules::health as health_rules;
use crate::rules::health::CODE_UNKNOWN_BUILD_BASE;
use crate::types::ImageRef;

/// Shell builtins and keywords a health check may use that are not programs.
const BUILTINS: &[&str] = &[
    "exit", "test", "[", "echo", "true", "false", "printf", ":", "set", "command", "export",
    "return", "cd", "if", "then", "fi", "!", "[[",
];

/// The programs a health-check test calls, and every argument.
pub(crate) fn probe_programs(test: &[String]) -> (Vec<String>, Vec<String>) {
    let mut programs = Vec::new();
    let mut words = Vec::new();
    let from_script = |script: &str, programs: &mut Vec<String>, words: &mut Vec<String>| {
        for c in shell::scan(script).cmds {
            if let Some(name) = c.name() {
                if !BUILTINS.contains(&name) {
                    programs.push(name.to_owned());
                }
            }
            words.extend(c.argv().iter().map(|w| w.text.clone()));
        }
    };
    match test.first().map(String::as_str) {
        Some("CMD") => {
            let argv = &test[1..];
            if let Some((k, _)) = inline_script(argv) {
                programs.push(argv[0].rsplit('/').next().unwrap_or(&argv[0]).to_owned());
                from_script(&argv[k], &mut programs, &mut words);
            } else if let Some(first) = argv.first() {
                programs.push(first.rsplit('/').next().unwrap_or(first).to_owned());
                words.extend(argv.iter().cloned());
            }
        }
        Some("CMD-SHELL") => {
            if let Some(script) = test.get(1) {
                from_script(script, &mut programs, &mut words);
            }
        }
        _ => {}
    }
    (programs, words)
}

/// `(port, path)` of the first `http://host:port/path` among `words`, the path ending at
/// the first quote, `)`, `;` or blank.
pub(crate) fn probe_url(words: &[String]) -> Option<(String, String)> {
    words.iter().find_map(|w| {
        let i = w.find("http://").or_else(|| w.find("https://"))?;
        let rest = &w[i..];
        let rest = rest.split_once("://")?.1;
        let (hostport, path) = match rest.find('/') {
            Some(j) => (&rest[..j], &rest[j..]),
            None => (rest, "/"),
        };
        let port = hostport.rsplit_once(':').map_or("80", |(_, p)| p);
        // The URL ends where the quoted string holding it does: a probe written in
        // JavaScript (`fetch('http://…/health').then(…)`) or a shell word.
        let end = path
            .find(['\'', '"', ')', '`', ';', ' ', '\t'])
            .unwrap_or(path.len());
        let path = &path[..end];
        Some((port.to_owned(), path.to_owned()))
    })
}

/// BI301, BI302, BI313 on a service's health check.
pub(super) fn healthcheck(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    let Some(h) = s
        .healthcheck
        .as_ref()
        .filter(|h| !h.disabled && !h.test.is_empty())
    else {
        return;
    };
    // BI306, on the values written (Docker's defaults otherwise: 30s, 30s, 3; an unwritten
    // timeout is not compared).
    let written = |k: &str| h.timing.iter().find(|(f, _, _)| f == k);
    let dur = |k: &str| written(k).and_then(|(_, v, _)| v.parse::<crate::types::Duration>().ok());
    let interval = dur("interval").unwrap_or(crate::types::Duration::from_secs(30));
    let timeout = dur("timeout").unwrap_or(interval.min(crate::types::Duration::from_secs(30)));
    let retries = written("retries")
        .and_then(|(_, v, _)| v.parse().ok())
        .unwrap_or(3);
    for (field, f) in health_rules::health_timing(&s.name, interval, timeout, retries, false) {
        let at = written(field).map_or(&h.test_at, |(_, _, at)| at);
        out.push(d.finding_at(f, at));
    }
    if let Some((_, df)) = d.unknown_builds.iter().find(|(n, _)| *n == s.name) {
        if let Some(b) = &s.build {
            out.push(d.diag_at(
                Severity::Warning,
                CODE_UNKNOWN_BUILD_BASE,
                &b.at,
                format!("cannot read `{df}`: the image `{}` is built from is unknown, so its health check is not checked against what the image ships", s.name),
                format!("audit where the build context is, or pass `--base-image {}=IMAGE` (the final stage's `FROM`)", s.name),
            ));
        }
        return;
    }
    let Some(image) = d.images.get(&s.name) else {
        return;
    };
    let (programs, words) = probe_programs(&h.test);
    let url = probe_url(&words);
    let requested = url
        .as_ref()
        .map(|(port, path)| (port.as_str(), path.as_str()));
    let mut seen = HashSet::new();
    for prog in &programs {
        if !seen.insert(prog.as_str()) {
            continue;
        }
        if let Some(f) = health_rules::probe_binary_missing(&s.name, prog, image, requested) {
            out.push(d.finding_at(f, &h.test_at));
        }
    }
    if images::is_busybox(image) && words.iter().any(|w| w.contains("localhost")) {
        let (port, path) = url
            .clone()
            .unwrap_or_else(|| ("PORT".into(), "/PATH".into()));
        out.push(d.diag_at(
            Severity::Error,
            crate::rules::health::CODE_LOCALHOST_PROBE_BUSYBOX,
            &h.test_at,
            format!("the health check of `{}` probes `localhost` on `{image}`, a BusyBox image: BusyBox `wget` tries `::1` first, and a server bound to IPv4 only (Next.js standalone binds to `$HOSTNAME`) never answers there", s.name),
            format!("probe `http://127.0.0.1:{port}{path}` (and set `HOSTNAME=0.0.0.0` for Next.js standalone)"),
        ));
    }
}

/// BI303 on images that are pulled (not built).
pub(super) fn image(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    if s.build.is_some() {
        return;
    }
    let Some((text, at)) = &s.image else { return };
    if let Ok(img) = text.parse::<ImageRef>() {
        if let Some(f) = health_rules::unpinned_image(&img) {
            out.push(d.finding_at(f, at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{probe_programs, probe_url};

    fn url(test: &[&str]) -> Option<(String, String)> {
        let test: Vec<String> = test.iter().map(|s| (*s).to_owned()).collect();
        probe_url(&probe_programs(&test).1)
    }

    #[test]
    fn the_url_of_each_probe_form_is_read_up_to_its_end() {
        let health = Some(("8000".to_owned(), "/health".to_owned()));
        // The probe the renderer writes for Node.js images.
        let node = "fetch('http://127.0.0.1:8000/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))";
        assert_eq!(url(&["CMD", "node", "-e", node]), health);
        assert_eq!(
            url(&[
                "CMD",
                "wget",
                "-q",
                "--spider",
                "http://127.0.0.1:8000/health"
            ]),
            health
        );
        assert_eq!(
            url(&[
                "CMD-SHELL",
                "curl -fsS http://localhost:8000/health || exit 1"
            ]),
            health
        );
        assert_eq!(
            url(&["CMD-SHELL", "wget -qO- \"http://127.0.0.1:8000/health\";"]),
            health
        );
        assert_eq!(
            url(&["CMD", "curl", "http://127.0.0.1"]),
            Some(("80".into(), "/".into()))
        );
        assert_eq!(url(&["CMD", "redis-cli", "ping"]), None);
    }
}
