//! Which image each service runs, or is built from: `--base-image`
//! ([`AuditInput::base_images`]), else the final (or target) stage of its Dockerfile
//! ([`dockerfile_base`], which also tells whether the image defines a `HEALTHCHECK`), else
//! `image`. The Dockerfile of each build is checked as it is read
//! ([`super::super::dockerfile::report`]).

use indexmap::IndexMap;

use super::super::{dockerfile, interp, AuditInput, Deployment};
use crate::types::ImageRef;

/// The image each service runs or is built from: `--base-image`, else the Dockerfile's
/// final (or target) stage, else `image`.
pub(crate) fn resolve(d: &mut Deployment, input: &AuditInput) {
    let Some(project) = d.project.clone() else {
        return;
    };
    for s in &project.services {
        if let Some(img) = input.base_images.get(&s.name) {
            d.images.insert(s.name.clone(), img.clone());
            continue;
        }
        if let Some(b) = &s.build {
            let ctx = d.local(&b.context);
            let df = ctx.join(&b.dockerfile);
            match crate::input::read_text_lossy(&df) {
                Ok(text) => {
                    dockerfile::report(d, &df, &text, b.target.as_deref(), &b.args);
                    let (base, healthcheck) = dockerfile_base(&text, b.target.as_deref(), &b.args);
                    if healthcheck {
                        d.image_healthchecks.insert(s.name.clone());
                    }
                    match base.and_then(|b| b.parse::<ImageRef>().ok()) {
                        Some(img) => {
                            d.images.insert(s.name.clone(), img);
                        }
                        None => d
                            .unknown_builds
                            .push((s.name.clone(), df.display().to_string())),
                    }
                }
                Err(_) => d
                    .unknown_builds
                    .push((s.name.clone(), df.display().to_string())),
            }
            continue;
        }
        if let Some(img) = s
            .image
            .as_ref()
            .and_then(|(i, _)| i.parse::<ImageRef>().ok())
        {
            d.images.insert(s.name.clone(), img);
        }
    }
}

/// The image the chosen stage of a Dockerfile is based on (following `FROM stage`), and
/// whether that stage (or one it is based on) has a `HEALTHCHECK` other than `NONE`.
pub(crate) fn dockerfile_base(
    text: &str,
    target: Option<&str>,
    build_args: &[(String, String)],
) -> (Option<String>, bool) {
    // Join continuation lines, drop comments.
    let mut lines = Vec::new();
    let mut cur = String::new();
    for l in text.lines() {
        let t = l.trim();
        if t.starts_with('#') && cur.is_empty() {
            continue;
        }
        if let Some(s) = t.strip_suffix('\\') {
            cur.push_str(s);
            cur.push(' ');
        } else {
            cur.push_str(t);
            lines.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    let mut args: IndexMap<String, String> = IndexMap::new();
    // (stage name, base, healthcheck)
    let mut stages: Vec<(Option<String>, String, bool)> = Vec::new();
    for l in &lines {
        let mut words = l.split_whitespace();
        let Some(instr) = words.next() else { continue };
        match instr.to_ascii_uppercase().as_str() {
            "ARG" if stages.is_empty() => {
                for w in words {
                    let (k, v) = w.split_once('=').unwrap_or((w, ""));
                    let v = build_args
                        .iter()
                        .find(|(a, _)| a == k)
                        .map_or(v, |(_, b)| b.as_str());
                    args.insert(k.to_owned(), v.trim_matches('"').to_owned());
                }
            }
            "FROM" => {
                let rest: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
                let image = rest.first().map_or(String::new(), |i| {
                    let lookup = |k: &str| args.get(k).map(String::as_str);
                    match interp::parse(i) {
                        Ok(p) => interp::expand(&p, &lookup, &interp::Budget::default())
                            .unwrap_or_else(|_| (*i).to_owned()),
                        Err(_) => (*i).to_owned(),
                    }
                });
                let name = match rest.as_slice() {
                    [_, kw, n, ..] if kw.eq_ignore_ascii_case("as") => Some(n.to_ascii_lowercase()),
                    _ => None,
                };
                stages.push((name, image, false));
            }
            "HEALTHCHECK" => {
                let none = words.next().is_some_and(|w| w.eq_ignore_ascii_case("NONE"));
                if let Some(last) = stages.last_mut() {
                    last.2 = !none;
                }
            }
            _ => {}
        }
    }
    let mut idx = match target {
        Some(t) => stages
            .iter()
            .position(|s| s.0.as_deref() == Some(&t.to_ascii_lowercase())),
        None => stages.len().checked_sub(1),
    };
    let mut healthcheck = false;
    for _ in 0..stages.len() {
        let Some(i) = idx else { break };
        let (_, base, hc) = &stages[i];
        healthcheck |= *hc;
        match stages[..i]
            .iter()
            .position(|s| s.0.as_deref() == Some(&base.to_ascii_lowercase()))
        {
            Some(j) => idx = Some(j),
            None => return (Some(base.clone()), healthcheck),
        }
    }
    (None, healthcheck)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_final_stage_and_target() {
        let df = "ARG NODE=20\nFROM node:${NODE}-alpine AS base\nHEALTHCHECK CMD wget -q http://127.0.0.1/\nFROM base AS production\nRUN true\nFROM busybox:1.36 AS debug\n";
        assert_eq!(
            dockerfile_base(df, None, &[]),
            (Some("busybox:1.36".into()), false)
        );
        assert_eq!(
            dockerfile_base(df, Some("production"), &[]),
            (Some("node:20-alpine".into()), true)
        );
        assert_eq!(
            dockerfile_base(df, Some("production"), &[("NODE".into(), "22".into())]).0,
            Some("node:22-alpine".into())
        );
    }
}
