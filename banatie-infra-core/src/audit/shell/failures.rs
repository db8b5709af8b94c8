//! Checks on how a script fails: BI316, a script the shell refuses before running any of
//! it ([`syntax`]); BI312, failures that are masked or never stop the script
//! ([`masked_failures`]).

use super::{flags_errexit, sets_errexit, Finding, RunAs, Script, Sep, SimpleCmd};

/// BI316: a quote, backquote, `$(` or `${` that is never closed: `sh` refuses the
/// script before running any of it (dash: "Syntax error: Unterminated quoted string").
pub(crate) fn syntax(script: &Script, out: &mut Vec<Finding>) {
    if let Some((at, what)) = script.unclosed {
        out.push(Finding {
            code: crate::rules::health::CODE_SHELL_SYNTAX,
            severity: crate::Severity::Error,
            at,
            message: format!("this {what} is never closed: the shell refuses the whole script (\"unterminated quoted string\" or \"end of file unexpected\"), so none of it runs"),
            help: "close it; `sh -n FILE` checks the syntax without running it".into(),
        });
    }
}

/// Commands after `||` that turn a failure into success.
fn masks(cmd: &SimpleCmd) -> Option<String> {
    let argv = cmd.argv();
    let name = cmd.name()?;
    match name {
        "echo" | "printf" | "true" | ":" => Some(format!("`|| {name}`")),
        "exit" | "return" if argv.get(1).is_none_or(|w| w.text == "0") => {
            Some(format!("`|| {name} 0`"))
        }
        _ => None,
    }
}

/// BI312: failures that are masked: `cmd || echo ...`, `|| true`, `|| exit 0`; `exit 0`
/// without errexit; and, for scripts whose exit status matters, no `set -e` at all.
pub(crate) fn masked_failures(script: &Script, run: RunAs, out: &mut Vec<Finding>) {
    use crate::rules::health::CODE_MASKED_FAILURE as CODE;
    let mut errexit = run.errexit || flags_errexit(script.shebang_flags.iter().map(String::as_str));
    let real: Vec<&SimpleCmd> = script
        .cmds
        .iter()
        .filter(|c| c.name_index().is_some() && c.depth == 0)
        .collect();
    if !errexit && run.exit_status_matters && real.len() > 1 {
        let first_set = script.cmds.iter().position(sets_errexit);
        let first_real = script
            .cmds
            .iter()
            .position(|c| c.name_index().is_some() && c.depth == 0 && !sets_errexit(c));
        let late = match (first_set, first_real) {
            (Some(s), Some(r)) => s > r,
            (None, _) => true,
            _ => false,
        };
        if late {
            if let Some(first) = real.first() {
                let last = real.last().and_then(|c| c.name()).unwrap_or("");
                out.push(Finding {
                    code: CODE,
                    severity: crate::Severity::Error,
                    at: first.at(),
                    message: format!(
                        "the script runs without `set -e`: a failing command does not stop it, and it exits with the status of its last command (`{last}`), so a failure looks like success"
                    ),
                    help: "start the script with `set -eu` (or run it with `sh -eu`)".into(),
                });
            }
        }
    }
    for (k, cmd) in script.cmds.iter().enumerate() {
        if sets_errexit(cmd) {
            errexit = true;
        }
        lost_status(cmd, run, out);
        if cmd.sep == Sep::Or {
            if let Some(next) = script.cmds.get(k + 1) {
                if let Some(what) = masks(next) {
                    let name = cmd.name().unwrap_or("the command");
                    out.push(Finding {
                        code: CODE,
                        severity: crate::Severity::Error,
                        at: cmd.sep_at,
                        message: format!(
                            "{what} turns every failure of `{name}` into success: the script goes on and exits 0"
                        ),
                        help: "remove it and make the command idempotent instead (for example `mc mb --ignore-existing`); where one failure really means success, test for that failure and re-raise any other".into(),
                    });
                }
            }
        }
        let argv = cmd.argv();
        if argv.first().map(|w| w.text.as_str()) == Some("exit")
            && argv.get(1).is_none_or(|w| w.text == "0")
            && !errexit
            && run.exit_status_matters
            && k > 0
            && script.cmds[k - 1].sep != Sep::Or
        {
            out.push(Finding {
                code: CODE,
                severity: crate::Severity::Error,
                at: cmd.at(),
                message:
                    "`exit 0` without `set -e`: the script reports success whatever failed before"
                        .into(),
                help: "remove `exit 0` and run the script with `set -eu`, so a failure fails it"
                    .into(),
            });
        }
    }
}

/// The programs whose failure a deployment script must see: dumps and restores, the
/// database client, `mc`, `docker`, archives and downloads.
const MUST_SEE_FAILURE: &[&str] = &[
    "pg_dump",
    "pg_dumpall",
    "pg_restore",
    "psql",
    "mc",
    "docker",
    "tar",
    "curl",
    "wget",
];

/// BI312: one of [`MUST_SEE_FAILURE`] runs in a command substitution inside the arguments
/// of another command (`echo "$(pg_dump ...)"`, `tar -cf x $(mc ls ...)`): its exit status
/// is lost, even under `set -e` (POSIX: the status of such a command is its own, not the
/// substitution's).
fn lost_status(cmd: &SimpleCmd, run: RunAs, out: &mut Vec<Finding>) {
    let Some(name) = cmd.name() else { return };
    if cmd.status_kept || !run.exit_status_matters || !MUST_SEE_FAILURE.contains(&name) {
        return;
    }
    out.push(Finding {
        code: crate::rules::health::CODE_MASKED_FAILURE,
        severity: crate::Severity::Error,
        at: cmd.at(),
        message: format!("the exit status of `{name}` is lost: it runs in a command substitution inside another command's arguments, so even `set -e` does not see it fail"),
        help: format!("assign it first (`out=$({name} ...)`, which `set -e` checks), then use `\"$out\"`"),
    });
}

#[cfg(test)]
mod tests {
    use super::super::scan;
    use super::super::test_support::{run, JOB};
    use super::*;

    #[test]
    fn unclosed_quotes_and_substitutions_are_syntax_errors() {
        for (text, line, col) in [
            ("echo 'a\necho b\n", 1, 6),
            ("set -e\necho \"a $(date\n", 2, 9),
            ("x=$(date\n", 1, 3),
            ("echo `date\n", 1, 6),
            ("echo ${HOME\n", 1, 6),
            ("echo \"a\" it's\n", 1, 12),
        ] {
            let s = scan(text);
            let mut f = Vec::new();
            syntax(&s, &mut f);
            assert_eq!(f.len(), 1, "{text:?}");
            assert_eq!((f[0].at.line, f[0].at.column), (line, col), "{text:?}");
            assert_eq!(f[0].code, crate::rules::health::CODE_SHELL_SYNTAX);
        }
        for text in [
            "echo 'a' \"b $(date) ${HOME}\" `id` $((1 + 2))\n",
            "cat <<EOF\nit's a body\nEOF\n# don't\necho a#b\n",
            "case x in a) echo a ;; esac\n",
        ] {
            let mut f = Vec::new();
            syntax(&scan(text), &mut f);
            assert!(f.is_empty(), "{text:?}: {f:?}");
        }
    }

    #[test]
    fn masked_failures_are_found() {
        let f = run("mc mb x || echo 'exists'\nmc ls x || true\nexit 0\n", JOB);
        let lines: Vec<usize> = f.iter().map(|f| f.at.line).collect();
        assert_eq!(lines, [1, 1, 2, 3], "{f:#?}");
        let f = run("set -eu\nmc mb --ignore-existing x\nexit 0\n", JOB);
        assert!(f.is_empty(), "{f:#?}");
        let f = run(
            "mc a\nmc b\n",
            RunAs {
                errexit: true,
                exit_status_matters: true,
            },
        );
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn a_status_lost_in_a_substitution_is_found() {
        let lost = run(
            "#!/bin/sh\nset -eu\necho \"$(pg_dump -U u db)\" > /b/x.tmp\ntar -cf /b/m.tar $(mc ls local/b)\n",
            JOB,
        );
        let at: Vec<(&str, usize, usize)> = lost
            .iter()
            .filter(|f| f.message.contains("is lost"))
            .map(|f| (f.code.0, f.at.line, f.at.column))
            .collect();
        assert_eq!(at, [("BI312", 3, 9), ("BI312", 4, 20)], "{lost:#?}");
        // Kept: a plain assignment (also under `if !`), and a tool whose failure does not
        // matter here.
        let kept = run(
            "#!/bin/sh\nset -eu\nout=$(pg_dump -U u db)\nif ! o=$(mc ls local/b 2>&1); then exit 1; fi\necho \"$(date +%F)\"\n",
            JOB,
        );
        assert!(
            kept.iter().all(|f| !f.message.contains("is lost")),
            "{kept:#?}"
        );
    }
}
