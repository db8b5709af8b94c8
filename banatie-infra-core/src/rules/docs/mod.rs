//! The long explanation of every rule, one Markdown file per code (`BI301.md`), as
//! `ruff rule F401` documents each rule; `banatie-infra rules BI301` prints it.
//!
//! Each file is:
//!
//! - `# BIxxx: <kebab-case-name>`: the code and the rule's stable name;
//! - `## What it finds`: the mistake, in the words of the file it is made in;
//! - `## Why it matters`: the failure it causes, and where that fact comes from (the
//!   Compose specification, Caddy's source, a PostgreSQL release note, MinIO's or mc's
//!   documentation);
//! - `## Example`: a minimal input that reports the code, in fenced blocks whose info
//!   string names the file each stands for (```` ```yaml file=spec.yaml ````); the blocks
//!   of one section form one deployment directory;
//! - `## Use instead`: the same input, fixed, which does not report it.
//!
//! `tests/rule_docs.rs` writes both sections to a directory and runs `validate` (a
//! `spec.yaml`) or `audit` (anything else) over it, so every example is proven: the code
//! is reported for the example and not for the fix. Blocks marked `no-run` (the live
//! rules, which need a running Docker engine, and the output-root rules, which need a
//! render into a root) are shown but not run.

/// The Markdown explanation of `code` (`BI301`), or `""` for a code with none.
pub(crate) fn explanation(code: &str) -> &'static str {
    match code {
        "BI100" => include_str!("BI100.md"),
        "BI101" => include_str!("BI101.md"),
        "BI102" => include_str!("BI102.md"),
        "BI103" => include_str!("BI103.md"),
        "BI104" => include_str!("BI104.md"),
        "BI109" => include_str!("BI109.md"),
        "BI110" => include_str!("BI110.md"),
        "BI111" => include_str!("BI111.md"),
        "BI112" => include_str!("BI112.md"),
        "BI113" => include_str!("BI113.md"),
        "BI114" => include_str!("BI114.md"),
        "BI115" => include_str!("BI115.md"),
        "BI116" => include_str!("BI116.md"),
        "BI117" => include_str!("BI117.md"),
        "BI118" => include_str!("BI118.md"),
        "BI119" => include_str!("BI119.md"),
        "BI150" => include_str!("BI150.md"),
        "BI151" => include_str!("BI151.md"),
        "BI152" => include_str!("BI152.md"),
        "BI153" => include_str!("BI153.md"),
        "BI201" => include_str!("BI201.md"),
        "BI202" => include_str!("BI202.md"),
        "BI203" => include_str!("BI203.md"),
        "BI204" => include_str!("BI204.md"),
        "BI205" => include_str!("BI205.md"),
        "BI206" => include_str!("BI206.md"),
        "BI207" => include_str!("BI207.md"),
        "BI208" => include_str!("BI208.md"),
        "BI209" => include_str!("BI209.md"),
        "BI210" => include_str!("BI210.md"),
        "BI211" => include_str!("BI211.md"),
        "BI212" => include_str!("BI212.md"),
        "BI213" => include_str!("BI213.md"),
        "BI214" => include_str!("BI214.md"),
        "BI301" => include_str!("BI301.md"),
        "BI302" => include_str!("BI302.md"),
        "BI303" => include_str!("BI303.md"),
        "BI304" => include_str!("BI304.md"),
        "BI305" => include_str!("BI305.md"),
        "BI306" => include_str!("BI306.md"),
        "BI307" => include_str!("BI307.md"),
        "BI308" => include_str!("BI308.md"),
        "BI309" => include_str!("BI309.md"),
        "BI310" => include_str!("BI310.md"),
        "BI311" => include_str!("BI311.md"),
        "BI312" => include_str!("BI312.md"),
        "BI313" => include_str!("BI313.md"),
        "BI314" => include_str!("BI314.md"),
        "BI315" => include_str!("BI315.md"),
        "BI316" => include_str!("BI316.md"),
        "BI317" => include_str!("BI317.md"),
        "BI318" => include_str!("BI318.md"),
        "BI319" => include_str!("BI319.md"),
        "BI320" => include_str!("BI320.md"),
        "BI321" => include_str!("BI321.md"),
        "BI323" => include_str!("BI323.md"),
        "BI324" => include_str!("BI324.md"),
        "BI325" => include_str!("BI325.md"),
        "BI326" => include_str!("BI326.md"),
        "BI327" => include_str!("BI327.md"),
        "BI328" => include_str!("BI328.md"),
        "BI329" => include_str!("BI329.md"),
        "BI330" => include_str!("BI330.md"),
        "BI331" => include_str!("BI331.md"),
        "BI332" => include_str!("BI332.md"),
        "BI333" => include_str!("BI333.md"),
        "BI401" => include_str!("BI401.md"),
        "BI402" => include_str!("BI402.md"),
        "BI403" => include_str!("BI403.md"),
        "BI404" => include_str!("BI404.md"),
        "BI405" => include_str!("BI405.md"),
        "BI406" => include_str!("BI406.md"),
        "BI407" => include_str!("BI407.md"),
        "BI408" => include_str!("BI408.md"),
        "BI409" => include_str!("BI409.md"),
        "BI410" => include_str!("BI410.md"),
        "BI411" => include_str!("BI411.md"),
        "BI414" => include_str!("BI414.md"),
        "BI415" => include_str!("BI415.md"),
        "BI501" => include_str!("BI501.md"),
        "BI502" => include_str!("BI502.md"),
        "BI503" => include_str!("BI503.md"),
        "BI504" => include_str!("BI504.md"),
        "BI505" => include_str!("BI505.md"),
        "BI506" => include_str!("BI506.md"),
        "BI507" => include_str!("BI507.md"),
        "BI508" => include_str!("BI508.md"),
        "BI509" => include_str!("BI509.md"),
        "BI510" => include_str!("BI510.md"),
        "BI511" => include_str!("BI511.md"),
        "BI512" => include_str!("BI512.md"),
        "BI513" => include_str!("BI513.md"),
        "BI514" => include_str!("BI514.md"),
        "BI515" => include_str!("BI515.md"),
        "BI516" => include_str!("BI516.md"),
        "BI517" => include_str!("BI517.md"),
        "BI518" => include_str!("BI518.md"),
        "BI519" => include_str!("BI519.md"),
        "BI520" => include_str!("BI520.md"),
        "BI521" => include_str!("BI521.md"),
        "BI522" => include_str!("BI522.md"),
        "BI523" => include_str!("BI523.md"),
        "BI524" => include_str!("BI524.md"),
        "BI525" => include_str!("BI525.md"),
        "BI601" => include_str!("BI601.md"),
        "BI602" => include_str!("BI602.md"),
        "BI603" => include_str!("BI603.md"),
        "BI604" => include_str!("BI604.md"),
        "BI605" => include_str!("BI605.md"),
        "BI606" => include_str!("BI606.md"),
        "BI607" => include_str!("BI607.md"),
        "BI701" => include_str!("BI701.md"),
        "BI702" => include_str!("BI702.md"),
        "BI703" => include_str!("BI703.md"),
        "BI704" => include_str!("BI704.md"),
        "BI705" => include_str!("BI705.md"),
        _ => "",
    }
}

/// The rule's kebab-case name, from its explanation's title (`# BI301: <name>`), or `""`.
#[cfg(test)]
pub(crate) fn name(code: &str) -> &'static str {
    explanation(code)
        .lines()
        .next()
        .and_then(|title| title.split_once(": "))
        .map_or("", |(_, name)| name.trim())
}
