//! The stack: its name (the Compose project's, the root's or the directory's), the
//! deployment root and the source directory of the builds.

use super::{facts, name_of, Ctx, NoteKind};
use crate::types::{AbsPath, Name};

/// The stack's part of the spec.
pub(super) struct StackParts {
    /// `stack.name`.
    pub(super) name: Name,
    /// `stack.root`: the absolute directory the files name, if any.
    pub(super) root: Option<AbsPath>,
    /// `stack.source`: the first absolute build context.
    pub(super) source: Option<AbsPath>,
}

/// Reads the stack's name, root and source, noting what is assumed.
pub(super) fn read(d: &facts::Deployment, project: &facts::Project, c: &mut Ctx) -> StackParts {
    let stack_name = project
        .name
        .as_deref()
        .and_then(name_of)
        .or_else(|| {
            d.root
                .as_deref()
                .and_then(|r| r.rsplit('/').next())
                .and_then(name_of)
        })
        .or_else(|| {
            std::fs::canonicalize(&d.project_dir)
                .ok()?
                .file_name()?
                .to_str()
                .and_then(name_of)
        })
        .unwrap_or_else(|| "stack".parse().expect("valid"));
    if c.root.is_none() {
        c.note(
            NoteKind::Assumed,
            "stack.root",
            format!("the files name no absolute path under a deployment root: `/opt/{stack_name}`"),
        );
    }
    let root: Option<AbsPath> = c.root.as_deref().and_then(|r| r.parse().ok());
    c.note(
    NoteKind::Assumed,
    "stack.userns_remap",
    "user-namespace remapping is a setting of the Docker daemon, not of these files: enabled, base 165536 (the spec's default)",
);
    let contexts: Vec<String> = project
        .services
        .iter()
        .filter_map(|s| s.build.as_ref().map(|b| b.context.clone()))
        .collect();
    // The first absolute build context; else the first relative one, under the
    // deployment root (Compose resolves it against the project directory, which is the
    // root when the files are deployed there).
    let source: Option<AbsPath> = match contexts.iter().find(|ctx| ctx.starts_with('/')) {
        Some(abs) => abs.parse().ok(),
        None => contexts.first().and_then(|rel| {
            let base = root
                .as_ref()
                .map_or_else(|| format!("/opt/{stack_name}"), ToString::to_string);
            let rel = rel.trim_start_matches("./").trim_end_matches('/');
            let joined = if rel.is_empty() || rel == "." {
                base
            } else {
                format!("{base}/{rel}")
            };
            let path: AbsPath = joined.parse().ok()?;
            c.note(
                NoteKind::Assumed,
                "stack.source",
                format!("the builds' context is relative: `{path}`, under the deployment root"),
            );
            Some(path)
        }),
    };
    StackParts {
        name: stack_name,
        root,
        source,
    }
}
