//! What a script does with the MinIO client `mc`: BI507, retired `mc` commands
//! ([`retired_mc`]), and the facts other checks and the import read: whether it makes a
//! bucket (or part of one) anonymously readable, and the bucket it makes.

use super::{Finding, Script, Word};
use crate::diagnostic::Location;

/// The `mc` subcommands that were retired, with what replaced them.
const RETIRED_MC: &[(&[&str], &str, &str)] = &[
    (&["policy"], "mc anonymous", "`mc policy` was removed (it only prints a hint now, and still exits 0): nothing is made public"),
    (&["admin", "policy", "add"], "mc admin policy create", "`mc admin policy add` was renamed"),
    (&["admin", "policy", "set"], "mc admin policy attach", "`mc admin policy set` was replaced"),
    (&["admin", "policy", "unset"], "mc admin policy detach", "`mc admin policy unset` was replaced"),
    (&["admin", "user", "policy"], "mc admin policy entities", "`mc admin user policy` was removed"),
    (&["ilm", "import"], "mc ilm rule import", "`mc ilm import` moved under `mc ilm rule`"),
    (&["ilm", "export"], "mc ilm rule export", "`mc ilm export` moved under `mc ilm rule`"),
    (&["ilm", "add"], "mc ilm rule add", "`mc ilm add` moved under `mc ilm rule`"),
    (&["ilm", "edit"], "mc ilm rule edit", "`mc ilm edit` moved under `mc ilm rule`"),
    (&["ilm", "ls"], "mc ilm rule ls", "`mc ilm ls` moved under `mc ilm rule`"),
    (&["ilm", "rm"], "mc ilm rule rm", "`mc ilm rm` moved under `mc ilm rule`"),
    (&["config", "host"], "mc alias", "`mc config host` was removed"),
];

/// BI507: retired `mc` commands.
pub(crate) fn retired_mc(script: &Script, out: &mut Vec<Finding>) {
    for cmd in &script.cmds {
        if cmd.name() != Some("mc") {
            continue;
        }
        let argv = cmd.argv();
        // Skip global flags (`mc --quiet policy ...`).
        let sub: Vec<&str> = argv[1..]
            .iter()
            .map(|w| w.text.as_str())
            .filter(|w| !w.starts_with('-'))
            .collect();
        for (words, replacement, why) in RETIRED_MC {
            if sub.len() >= words.len() && sub[..words.len()] == **words {
                let mut help = format!("use `{replacement}`");
                if words == &["policy"] {
                    help = match sub.get(1).copied() {
                        Some("set") | Some("download") | Some("public") => "use `mc anonymous set download ALIAS/BUCKET/PREFIX` on the public prefix only".into(),
                        _ => "use `mc anonymous` (`mc anonymous set download ALIAS/BUCKET/PREFIX` on the public prefix only)".into(),
                    };
                }
                out.push(Finding {
                    code: crate::rules::storage::CODE_RETIRED_MC,
                    severity: crate::Severity::Error,
                    at: cmd.words[cmd.name_index().unwrap_or(0)].at,
                    message: format!("`mc {}`: {why}", sub[..words.len()].join(" ")),
                    help,
                });
                break;
            }
        }
    }
}

/// Whether a script makes part of a bucket anonymously readable (`mc anonymous set
/// download|public ...` or `mc anonymous set-json`). Returns the target of the first one.
pub(crate) fn anonymous_read(script: &Script) -> Option<String> {
    for cmd in &script.cmds {
        if cmd.name() != Some("mc") {
            continue;
        }
        let sub: Vec<&str> = cmd.argv()[1..]
            .iter()
            .map(|w| w.text.as_str())
            .filter(|w| !w.starts_with('-'))
            .collect();
        match sub.as_slice() {
            ["anonymous", "set", "download" | "public", target, ..] => {
                return Some((*target).to_owned())
            }
            ["anonymous", "set-json", _, target, ..] => return Some((*target).to_owned()),
            _ => {}
        }
    }
    None
}

/// Every `mc anonymous set download|public ALIAS/BUCKET[/PREFIX]`: (where, target).
pub(crate) fn anonymous_targets(script: &Script) -> Vec<(Location, String)> {
    let mut out = Vec::new();
    for cmd in &script.cmds {
        if cmd.name() != Some("mc") {
            continue;
        }
        let sub: Vec<&Word> = cmd.argv()[1..]
            .iter()
            .filter(|w| !w.text.starts_with('-'))
            .collect();
        if let [a, s, p, target, ..] = sub.as_slice() {
            if a.text == "anonymous"
                && s.text == "set"
                && matches!(p.text.as_str(), "download" | "public")
            {
                out.push((cmd.argv()[0].at, target.text.clone()));
            }
        }
    }
    out
}

/// The first `mc mb ALIAS/BUCKET` of a script: (alias, bucket).
pub(crate) fn made_bucket(script: &Script) -> Option<(String, String)> {
    for cmd in &script.cmds {
        if cmd.name() != Some("mc") {
            continue;
        }
        let sub: Vec<&str> = cmd.argv()[1..]
            .iter()
            .map(|w| w.text.as_str())
            .filter(|w| !w.starts_with('-'))
            .collect();
        if let ["mb", target, ..] = sub.as_slice() {
            let (alias, bucket) = target.split_once('/')?;
            let bucket = bucket.trim_end_matches('/');
            return Some((alias.to_owned(), bucket.to_owned()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{run, JOB};

    #[test]
    fn retired_mc_commands() {
        let f = run("set -e\nmc policy set download local/media\nmc admin policy add a b c\nmc ilm rule import a/b\nmc --quiet config host add a b\n", JOB);
        let lines: Vec<usize> = f.iter().map(|f| f.at.line).collect();
        assert_eq!(lines, [2, 3, 5], "{f:#?}");
    }
}
