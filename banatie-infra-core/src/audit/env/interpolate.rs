//! Interpolation of the merged Compose tree as Compose does it, with what it finds on
//! the way: BI307 (a reference that is empty or fails), BI308 (a literal `$` that needs
//! `$$`, an invalid `${`), BI201 (a secret interpolated into the Compose file) and BI153
//! (an expansion past the bound). Positions are mapped back into the YAML scalar.

use super::super::interp::{self, Op, Piece};
use super::super::tree::{FileId, Kind, Y};
use super::super::Deployment;
use super::{defined_in, literal_looking};
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::input::CODE_INTERPOLATION_BOUND;
use crate::rules::health::CODE_DOLLAR_NEEDS_ESCAPE;
use crate::rules::health::CODE_UNSET_INTERPOLATION;
use crate::validate::looks_secret;

/// The position of character `offset` of a YAML scalar whose text is `text` and that the
/// parser marks at `loc` (a quote, the first character of a plain scalar, the first
/// content line of a block scalar). Inside a literal block scalar the line is exact;
/// in other multi-line scalars `loc` is returned.
fn scalar_pos(
    d: &Deployment,
    file: FileId,
    loc: Option<Location>,
    text: &str,
    offset: usize,
) -> Option<Location> {
    let loc = loc?;
    let before: String = text.chars().take(offset).collect();
    if let Some(nl) = before.rfind('\n') {
        return Some(match super::super::literal_block(&d.files[file], loc) {
            Some((first, indent)) => Location {
                line: first + before.matches('\n').count(),
                column: indent + before[nl + 1..].chars().count() + 1,
            },
            None => loc,
        });
    }
    let line = d.files[file].line(loc.line);
    let quoted = matches!(line.chars().nth(loc.column - 1), Some('"' | '\''));
    let column = loc.column + usize::from(quoted) + offset;
    // A plain or quoted scalar folded over several lines (its line breaks read as spaces)
    // puts later offsets past this line: then the scalar's own start (found by fuzzing).
    if column > line.chars().count() + 1 {
        return Some(loc);
    }
    Some(Location {
        line: loc.line,
        column,
    })
}

/// The environment variable a Compose value belongs to, from its pointer and text:
/// `/services/S/environment/KEY` (map form) or `/services/S/environment/N` with
/// `KEY=value` (list form). Returns (key, offset of the value in the scalar).
fn env_key(pointer: &str, text: &str) -> Option<(String, usize)> {
    let parts: Vec<&str> = pointer.split('/').collect();
    if parts.len() == 5 && parts[1] == "services" && parts[3] == "environment" {
        if parts[4].bytes().all(|b| b.is_ascii_digit()) {
            let (k, _) = text.split_once('=')?;
            return Some((k.to_owned(), k.chars().count() + 1));
        }
        return Some((parts[4].replace("~1", "/").replace("~0", "~"), 0));
    }
    None
}

/// Interpolates the merged Compose tree like Compose, reporting: BI307 (a reference
/// that is empty or fails), BI308 (a literal `$` that needs `$$`, an invalid `${`), BI201
/// (a secret interpolated into the Compose file). Returns the interpolated tree.
pub(crate) fn interpolate_compose(d: &mut Deployment, raw: &Y) -> Y {
    let mut out = Vec::new();
    let y = walk(d, raw, String::new(), &mut out);
    d.diags.extend(out);
    y
}

/// Interpolates every scalar of `y` (at `pointer`), keeping its structure and positions.
fn walk(d: &Deployment, y: &Y, pointer: String, out: &mut Vec<Diagnostic>) -> Y {
    let kind = match &y.kind {
        Kind::Str(s) => Kind::Str(interpolate_value(d, y, s, &pointer, out)),
        Kind::Seq(items) => Kind::Seq(
            items
                .iter()
                .enumerate()
                .map(|(i, it)| walk(d, it, format!("{pointer}/{i}"), out))
                .collect(),
        ),
        Kind::Map(entries) => Kind::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    let p = format!("{pointer}/{}", crate::diagnostic::escape_token(&k.text));
                    (k.clone(), walk(d, v, p, out))
                })
                .collect(),
        ),
        other => other.clone(),
    };
    Y {
        kind,
        loc: y.loc,
        file: y.file,
        plain: y.plain.clone(),
    }
}

/// Interpolates one scalar `s` of the tree (at `y`, pointer `pointer`), reporting what
/// Compose would refuse or silently change.
fn interpolate_value(
    d: &Deployment,
    y: &Y,
    s: &str,
    pointer: &str,
    out: &mut Vec<Diagnostic>,
) -> String {
    if !s.contains('$') {
        return s.to_owned();
    }
    let pieces = match interp::parse(s) {
        Ok(p) => p,
        Err(interp::Invalid(off)) => {
            out.push(d.diag(
                Severity::Error,
                CODE_DOLLAR_NEEDS_ESCAPE,
                y.file,
                scalar_pos(d, y.file, y.loc, s, off),
                pointer,
                "invalid interpolation: a `${` that is not closed or holds no variable name; Compose refuses the file".into(),
                "write `$$` for a literal `$`, or `${NAME}` for a variable".into(),
            ));
            return s.to_owned();
        }
    };
    let in_command = pointer.contains("/command")
        || pointer.contains("/entrypoint")
        || pointer.contains("/healthcheck/");
    let mut literal_dollars = false;
    for p in &pieces {
        let Piece::Ref(r) = p else { continue };
        let pos = scalar_pos(d, y.file, y.loc, s, r.start);
        if looks_secret(&r.name) {
            let finding = crate::rules::secrets::secret_interpolated(&r.name);
            out.push(d.finding(finding, y.file, pos, pointer));
        }
        if d.interp_env.contains_key(&r.name) {
            continue;
        }
        match r.op {
            Op::Default { .. } | Op::Alternative { .. } => continue,
            Op::Plain | Op::Required { .. } => {}
        }
        if literal_looking(d, r) {
            literal_dollars = true;
            continue;
        }
        let (message, help) = unset_message(d, r, pointer, in_command);
        out.push(d.diag(
            Severity::Error,
            CODE_UNSET_INTERPOLATION,
            y.file,
            pos,
            pointer,
            message,
            help,
        ));
    }
    if literal_dollars {
        out.push(literal_dollar(d, y, s, pointer, &pieces));
    }
    expand(d, y, s, pointer, &pieces, out)
}

/// The message and help of BI307 for reference `r`, which nothing sets: whether it is
/// defined in an env_file instead (which Compose never interpolates from), and what to
/// write in a command (where the container's shell could expand it) or elsewhere.
fn unset_message(
    d: &Deployment,
    r: &interp::Ref,
    pointer: &str,
    in_command: bool,
) -> (String, String) {
    let required = matches!(r.op, Op::Required { .. });
    let effect = if required {
        "Compose stops with \"required variable is missing a value\"".to_owned()
    } else {
        "it is interpolated as an empty string".to_owned()
    };
    // Whether this service reads the file that defines the variable.
    let service = pointer
        .split('/')
        .nth(2)
        .map(|t| t.replace("~1", "/").replace("~0", "~"));
    let reads = |path: &std::path::Path| {
        service
            .as_ref()
            .and_then(|s| d.service_env_files.get(s))
            .is_some_and(|files| files.iter().any(|f| super::super::same_file(f, path)))
    };
    match defined_in(d, &r.name) {
        Some((file, line, path)) => {
            // The file as a Compose file would name it: relative to the project.
            let rel = path
                .strip_prefix(&d.project_dir)
                .map_or_else(|_| file.clone(), |r| format!("./{}", r.display()));
            (
            format!("`{}` is defined only in `{file}` (line {line}), an env_file: Compose interpolates the Compose file from the shell and the project .env only, so {effect}", r.name),
            match (in_command, reads(&path)) {
                (true, true) => format!("write `$${{{}}}` so the container's shell expands it at run time from its env_file", r.name),
                (true, false) => format!("give the service `env_file: [{rel}]` and write `$${{{}}}`, so its shell expands it at run time", r.name),
                (false, true) => format!("remove this line: the container already gets `{}` from `{file}` through `env_file`", r.name),
                (false, false) => format!("give the service `env_file: [{rel}]` and remove this line: the container then gets `{}` from it", r.name),
            },
        )
        }
        None => (
            format!(
                "`{}` is not set in the shell or the project .env: {effect}",
                r.name
            ),
            if in_command {
                format!("define `{0}` in the project .env, or write `$${{{0}}}` if the container's shell should expand it", r.name)
            } else {
                format!(
                    "define `{}` in the project .env, or give a default: `${{{}:-value}}`",
                    r.name, r.name
                )
            },
        ),
    }
}

/// BI308 on scalar `s`: a `$` that Compose reads as a reference but is meant literally.
fn literal_dollar(d: &Deployment, y: &Y, s: &str, pointer: &str, pieces: &[Piece]) -> Diagnostic {
    let env_ctx = env_key(pointer, s);
    let secret_key = env_ctx.as_ref().is_some_and(|(k, _)| looks_secret(k));
    let first = pieces.iter().find_map(|p| match p {
        Piece::Ref(r) if literal_looking(d, r) => Some(r.start),
        _ => None,
    });
    let what = env_ctx
        .as_ref()
        .map_or_else(|| "this value".to_owned(), |(k, _)| format!("`{k}`"));
    let help = if secret_key {
        "write every literal `$` of the value as `$$` (the value is not shown: it is a secret); better, move it to a 0600 env_file, written in single quotes".to_owned()
    } else {
        let value = env_ctx.as_ref().map_or(s, |(_, off)| {
            &s[s.char_indices().nth(*off).map_or(0, |(i, _)| i)..]
        });
        format!("write it as `{}`", value.replace('$', "$$"))
    };
    d.diag(
        Severity::Error,
        CODE_DOLLAR_NEEDS_ESCAPE,
        y.file,
        scalar_pos(d, y.file, y.loc, s, first.unwrap_or(0)),
        pointer,
        format!("{what} holds a `$` that Compose interpolates: the text after it is read as a variable name and replaced by an empty string, so the value is cut"),
        help,
    )
}

/// The value of scalar `s` expanded from the interpolation environment; past the bound,
/// `s` as written (BI153, reported once).
fn expand(
    d: &Deployment,
    y: &Y,
    s: &str,
    pointer: &str,
    pieces: &[Piece],
    out: &mut Vec<Diagnostic>,
) -> String {
    let lookup = |k: &str| d.interp_env.get(k).map(String::as_str);
    match interp::expand(pieces, &lookup, &d.interp_budget) {
        Ok(v) => v,
        Err(o) if !d.interp_budget.report(o) => s.to_owned(),
        Err(o) => {
            out.push(d.diag(
                Severity::Error,
                CODE_INTERPOLATION_BOUND,
                y.file,
                scalar_pos(d, y.file, y.loc, s, 0),
                pointer,
                format!("this value is not expanded: {}", o.describe()),
                "write the value out, or `$$` for a literal `$`".into(),
            ));
            s.to_owned()
        }
    }
}
