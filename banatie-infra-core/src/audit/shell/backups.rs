//! BI508 and BI509 on backup scripts: a dump that can leave a file that looks like a
//! backup (no role, a pipe that hides the dump's exit status, output redirected straight
//! to its final name, `docker exec -t` on a data stream), and directories written into
//! that the script never creates.

use super::{Finding, Script, Sep, SimpleCmd, Word};
use crate::rules::storage::CODE_BACKUP_DIRECTORY;
use crate::rules::storage::CODE_UNSAFE_BACKUP;

/// Programs whose standard output is a database dump.
const DUMPERS: &[&str] = &["pg_dump", "pg_dumpall", "mysqldump", "mariadb-dump"];

/// Whether `text` names a temporary file (so a later `mv` publishes it).
fn looks_temporary(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    ["tmp", "temp", "partial", ".part", "$$", "mktemp"]
        .iter()
        .any(|w| t.contains(w))
}

/// The directory part of a path word, if it has one.
fn parent_dir(path: &str) -> Option<&str> {
    let i = path.rfind('/')?;
    Some(if i == 0 { "/" } else { &path[..i] })
}

/// For `docker exec [OPTIONS] CONTAINER PROGRAM ...` with a terminal (`-t`, `-it`,
/// `--tty`): the option word and the program.
fn docker_exec_tty(cmd: &SimpleCmd) -> Option<(&Word, String)> {
    let argv = cmd.argv();
    if argv.first()?.text.rsplit('/').next() != Some("docker") || argv.get(1)?.text != "exec" {
        return None;
    }
    const WITH_VALUE: &[&str] = &[
        "-e",
        "-u",
        "-w",
        "--env",
        "--user",
        "--workdir",
        "--env-file",
        "--detach-keys",
    ];
    let mut tty = None;
    let mut j = 2;
    while j < argv.len() {
        let w = &argv[j].text;
        if !w.starts_with('-') {
            let program = argv.get(j + 1).map_or("the program", |p| p.text.as_str());
            let program = program.rsplit('/').next().unwrap_or(program).to_owned();
            return tty.map(|t| (t, program));
        }
        if w == "--tty" || (!w.starts_with("--") && w[1..].contains('t')) {
            tty = Some(&argv[j]);
        }
        j += if WITH_VALUE.contains(&w.as_str()) {
            2
        } else {
            1
        };
    }
    None
}

/// BI508 and BI509: backups that can leave a file that looks like a backup, and backup
/// directories that the script never creates.
pub(crate) fn backups(script: &Script, out: &mut Vec<Finding>) {
    let pipefail = script.cmds.iter().any(|c| {
        let a = c.argv();
        a.first().map(|w| w.text.as_str()) == Some("set") && a.iter().any(|w| w.text == "pipefail")
    });
    let mut reported_dirs: Vec<String> = Vec::new();
    let mut k = 0;
    while k < script.cmds.len() {
        // One pipeline: cmds[k..=end].
        let mut end = k;
        while script.cmds[end].sep == Sep::Pipe && end + 1 < script.cmds.len() {
            end += 1;
        }
        let pipeline = &script.cmds[k..=end];
        let dump = pipeline.iter().find_map(|c| {
            let argv = c.argv();
            argv.iter()
                .position(|w| DUMPERS.contains(&w.text.rsplit('/').next().unwrap_or(&w.text)))
                .map(|i| (c, i))
        });
        if let Some((cmd, i)) = dump {
            unsafe_dump(script, k, end, pipefail, (cmd, i), out);
        }
        // `docker exec -t` whose output is a data stream (piped or redirected).
        terminal_on_stream(pipeline, out);
        // Files written into directories that are never created.
        uncreated_directories(script, pipeline, &mut reported_dirs, out);
        k = end + 1;
    }
}

/// BI508 on the pipeline `cmds[k..=end]`, whose word `i` of `cmd` runs a dumper: no role
/// (`pg_dump` without `-U`), a pipe that hides the dump's exit status (`pipefail`: the
/// script sets it), and output redirected straight to its final name.
fn unsafe_dump(
    script: &Script,
    k: usize,
    end: usize,
    pipefail: bool,
    (cmd, i): (&SimpleCmd, usize),
    out: &mut Vec<Finding>,
) {
    let argv = cmd.argv();
    let dumper = argv[i]
        .text
        .rsplit('/')
        .next()
        .unwrap_or("pg_dump")
        .to_owned();
    if dumper.starts_with("pg_dump")
        && !argv[i..]
            .iter()
            .any(|w| w.text == "-U" || w.text.starts_with("-U") || w.text.starts_with("--username"))
        && !cmd.words.iter().any(|w| w.text.contains("PGUSER"))
    {
        out.push(Finding {
                code: CODE_UNSAFE_BACKUP,
                severity: crate::Severity::Error,
                at: argv[i].at,
                message: format!("`{dumper}` without `-U` connects as the operating-system user (`root` in `docker exec`), a role that does not exist: the dump fails"),
                help: "name the role: `pg_dump -U \"$POSTGRES_USER\" ...`".into(),
            });
    }
    if end > k && !pipefail {
        out.push(Finding {
                code: CODE_UNSAFE_BACKUP,
                severity: crate::Severity::Error,
                at: script.cmds[k].sep_at,
                message: format!("the pipe hides the exit status of `{dumper}`: without `set -o pipefail` the pipeline succeeds when the dump fails"),
                help: "run the script with bash and `set -euo pipefail`, or dump to a file first and compress it after".into(),
            });
    }
    // The redirect of the pipeline's output.
    let last = &script.cmds[end];
    if let Some(r) = last
        .redirects
        .iter()
        .find(|r| r.op == ">" || r.op == ">>" || r.op == ">|")
    {
        let target = &r.target.text;
        let moved_later = script.cmds[end + 1..]
            .iter()
            .any(|c| c.name() == Some("mv") && c.argv().iter().any(|w| w.text == *target));
        if !moved_later && !looks_temporary(target) {
            out.push(Finding {
                    code: CODE_UNSAFE_BACKUP,
                    severity: crate::Severity::Error,
                    at: r.at,
                    message: format!("`{dumper}` output is redirected straight to its final name `{target}`: the shell creates the file before the dump runs, so a failed or cut dump leaves a file that looks like a backup"),
                    help: "write to a temporary file in the same directory, check the exit status (and that the file is not empty), then `mv` it to its final name".into(),
                });
        }
    }
}

/// BI508: `docker exec -t` in `pipeline` whose output is a data stream (piped or
/// redirected).
fn terminal_on_stream(pipeline: &[SimpleCmd], out: &mut Vec<Finding>) {
    for c in pipeline {
        let streams = c.sep == Sep::Pipe || c.redirects.iter().any(|r| r.op.starts_with('>'));
        if let (true, Some((tty, program))) = (streams, docker_exec_tty(c)) {
            out.push(Finding {
                code: CODE_UNSAFE_BACKUP,
                severity: crate::Severity::Error,
                at: tty.at,
                message: format!("`docker exec {}` gives `{program}` a terminal while its output is a data stream: the stream is mangled (line endings rewritten), and under cron there is no terminal to give", tty.text),
                help: "drop `-t` (keep `-i` only if the program reads stdin)".into(),
            });
        }
    }
}

/// BI509: files `pipeline` writes (redirections, `tar -cf`) into absolute directories
/// that the script never creates (`mkdir`, `install`); each directory once
/// (`reported_dirs`).
fn uncreated_directories(
    script: &Script,
    pipeline: &[SimpleCmd],
    reported_dirs: &mut Vec<String>,
    out: &mut Vec<Finding>,
) {
    for c in pipeline {
        let mut targets: Vec<&Word> = c
            .redirects
            .iter()
            .filter(|r| r.op.starts_with('>'))
            .map(|r| &r.target)
            .collect();
        if c.name() == Some("tar") {
            let argv = c.argv();
            for (j, w) in argv.iter().enumerate() {
                let t = &w.text;
                if t.starts_with('-') && !t.starts_with("--") && t.ends_with('f') && t.contains('c')
                {
                    if let Some(f) = argv.get(j + 1) {
                        targets.push(f);
                    }
                }
            }
        }
        for t in targets {
            let Some(dir) = parent_dir(&t.text) else {
                continue;
            };
            if !dir.starts_with('/') || dir.starts_with("/tmp") || dir.starts_with("/dev") {
                continue;
            }
            let created = script.cmds.iter().any(|m| {
                let a = m.argv();
                (m.name() == Some("mkdir") || m.name() == Some("install"))
                    && a.iter().any(|w| {
                        let p = w.text.trim_end_matches('/');
                        p == dir || dir.starts_with(&format!("{p}/"))
                    })
            });
            if !created && !reported_dirs.iter().any(|d| d == dir) {
                reported_dirs.push(dir.to_owned());
                out.push(Finding {
                    code: CODE_BACKUP_DIRECTORY,
                    severity: crate::Severity::Warning,
                    at: t.at,
                    message: format!("the script writes into `{dir}`, which it never creates: the first run fails there"),
                    help: format!("create it first: `mkdir -p {dir}` (mode 0700: dumps hold every row)"),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{run, JOB};

    #[test]
    fn unsafe_backups() {
        let f = run(
            "#!/bin/sh\ndocker exec -t db pg_dump app | gzip > /srv/backups/app_$(date +%Y%m%d).sql.gz\necho done\n",
            JOB,
        );
        let mut codes: Vec<(&str, usize, usize)> = f
            .iter()
            .map(|f| (f.code.0, f.at.line, f.at.column))
            .collect();
        codes.sort();
        assert_eq!(
            codes,
            [
                ("BI312", 2, 1),
                ("BI508", 2, 13),
                ("BI508", 2, 19),
                ("BI508", 2, 31),
                ("BI508", 2, 38),
                ("BI509", 2, 40)
            ],
            "{f:#?}"
        );
        let tty = run("set -e\ndocker exec -it -e A=b minio mc cat s/b/k > /b/k\ndocker exec -t db psql -c 'select 1'\n", JOB);
        let tty: Vec<(&str, usize)> = tty
            .iter()
            .filter(|f| f.code.0 == "BI508")
            .map(|f| (f.code.0, f.at.line))
            .collect();
        assert_eq!(tty, [("BI508", 2)]);
        let ok = run("#!/bin/bash\nset -euo pipefail\nmkdir -p /b\npg_dump -U u db | gzip > /b/x.tmp\nmv /b/x.tmp /b/x.gz\n", JOB);
        assert!(ok.is_empty(), "{ok:#?}");
    }
}
