//! A bucket policy (`mc anonymous set-json FILE ALIAS/BUCKET`) or IAM policy (`mc admin
//! policy create ALIAS NAME FILE`) read by MinIO's policy language (minio/pkg `policy`
//! and `bucket/policy`, the AWS IAM grammar): `Version` (`2012-10-17`), `Statement` (an
//! array or one object) of `Sid`, `Effect` (`Allow` or `Deny`), `Principal` (a bucket
//! policy's; `"*"` or `{"AWS": ...}`), `Action`/`NotAction`, `Resource`/`NotResource`
//! (`arn:aws:s3:::BUCKET[/KEY]`), `Condition`. A bucket policy set on a bucket must name
//! only that bucket (MinIO refuses the others), and one that allows anyone to write or
//! delete objects lets the internet fill or empty the bucket.

use crate::load::{Node, NodeKind};

use super::s3json::{keys, str_of, type_name, Finding, Kind};
use super::s3json::{CODE_POLICY_PUBLIC_WRITE, CODE_POLICY_RESOURCE, CODE_POLICY_SCHEMA as CODE};

const TOP: &[&str] = &["Version", "Id", "ID", "Statement"];
const STATEMENT: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Actions that write or delete objects (or every action).
fn writes(action: &str) -> bool {
    let a = action.to_ascii_lowercase();
    a == "*"
        || a == "s3:*"
        || a.starts_with("s3:put")
        || a.starts_with("s3:delete")
        || a == "s3:abortmultipartupload"
        || a.starts_with("s3:restore")
}

/// The strings of a string-or-array value (`Action`, `Resource`, a principal's list).
fn strings(n: &Node) -> Vec<(&str, &Node)> {
    match &n.kind {
        NodeKind::Str(s) => vec![(s.as_str(), n)],
        NodeKind::Seq(items) => items
            .iter()
            .filter_map(|i| str_of(i).map(|s| (s, i)))
            .collect(),
        _ => vec![],
    }
}

/// Checks a policy; `bucket` is the bucket a bucket policy is set on.
pub(crate) fn check(node: &Node, kind: Kind, bucket: Option<&str>, out: &mut Vec<Finding>) {
    let top = keys(node, "", TOP, CODE, "a policy", out);
    match top.iter().find(|e| e.0 == "Version").map(|e| e.2) {
        Some(v) if str_of(v) == Some("2012-10-17") => {}
        Some(v) => out.push(Finding::error(
            CODE,
            v,
            "/Version",
            format!(
                "policy `Version` is {}: MinIO takes `2012-10-17`",
                str_of(v).map_or_else(|| type_name(v).to_owned(), |s| format!("`{s}`"))
            ),
            "write `\"Version\": \"2012-10-17\"`",
        )),
        None if !top.is_empty() => out.push(Finding::error(
            CODE,
            node,
            "",
            "a policy without `Version`: MinIO refuses it".into(),
            "add `\"Version\": \"2012-10-17\"`",
        )),
        None => {}
    }
    let Some(st) = top.iter().find(|e| e.0 == "Statement").map(|e| e.2) else {
        if !top.is_empty() {
            out.push(Finding::error(
                CODE,
                node,
                "",
                "a policy without `Statement`: it grants nothing".into(),
                "add the statements, `\"Statement\": [{\"Effect\": \"Allow\", ...}]`",
            ));
        }
        return;
    };
    let list: Vec<&Node> = match &st.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Map(_) => vec![st],
        _ => {
            out.push(Finding::error(
                CODE,
                st,
                "/Statement",
                format!("`Statement` is {}, not an array", type_name(st)),
                "write `Statement` as an array of statements",
            ));
            return;
        }
    };
    for (i, s) in list.into_iter().enumerate() {
        statement(s, &format!("/Statement/{i}"), kind, bucket, out);
    }
}

fn statement(s: &Node, ptr: &str, kind: Kind, bucket: Option<&str>, out: &mut Vec<Finding>) {
    let f = keys(s, ptr, STATEMENT, CODE, "a policy statement", out);
    let get = |k: &str| f.iter().find(|e| e.0 == k).map(|e| e.2);
    let allow = match get("Effect").map(|n| (n, str_of(n))) {
        Some((_, Some("Allow"))) => true,
        Some((_, Some("Deny"))) => false,
        Some((n, _)) => {
            out.push(Finding::error(
                CODE,
                n,
                &format!("{ptr}/Effect"),
                "a statement's `Effect` is `Allow` or `Deny` (case matters): MinIO refuses the policy".into(),
                "write `\"Effect\": \"Allow\"`",
            ));
            return;
        }
        None => {
            out.push(Finding::error(
                CODE,
                s,
                ptr,
                "a policy statement without `Effect`: MinIO refuses the policy".into(),
                "add `\"Effect\": \"Allow\"` (or `Deny`)",
            ));
            return;
        }
    };
    let actions = get("Action").map(strings).unwrap_or_default();
    if get("Action").is_none() && get("NotAction").is_none() {
        out.push(Finding::error(
            CODE,
            s,
            ptr,
            "a policy statement without `Action`: MinIO refuses the policy".into(),
            "name the actions, like `\"Action\": [\"s3:GetObject\"]`",
        ));
    }
    for (a, n) in &actions {
        if *a != "*" && !a.contains(':') {
            out.push(Finding::error(
                CODE,
                n,
                &format!("{ptr}/Action"),
                format!("`{a}` is not an action: actions are written `s3:GetObject`, `admin:...`"),
                "prefix the action with its service, `s3:`",
            ));
        }
    }
    let resources = get("Resource").map(strings).unwrap_or_default();
    if get("Resource").is_none() && get("NotResource").is_none() {
        out.push(Finding::error(
            CODE,
            s,
            ptr,
            "a policy statement without `Resource`: MinIO refuses the policy".into(),
            "name the bucket: `\"Resource\": [\"arn:aws:s3:::BUCKET/*\"]`",
        ));
    }
    for (r, n) in &resources {
        let Some(path) = r.strip_prefix("arn:aws:s3:::") else {
            if *r != "*" {
                out.push(Finding::error(
                    CODE,
                    n,
                    &format!("{ptr}/Resource"),
                    format!("resource `{r}` is not an S3 ARN (`arn:aws:s3:::BUCKET/KEY`): MinIO refuses the policy"),
                    "write `arn:aws:s3:::BUCKET/*`",
                ));
            }
            continue;
        };
        if let (Kind::Anonymous, Some(b)) = (kind, bucket) {
            let named = path.split('/').next().unwrap_or("");
            if named != b {
                out.push(Finding::error(
                    CODE_POLICY_RESOURCE,
                    n,
                    &format!("{ptr}/Resource"),
                    format!("the policy is set on bucket `{b}` but this resource names bucket `{named}`: MinIO refuses a bucket policy for another bucket"),
                    &format!("write `arn:aws:s3:::{b}` or `arn:aws:s3:::{b}/PREFIX*`"),
                ));
            }
        }
    }
    let principal = get("Principal");
    let anyone = principal.is_some_and(|p| match &p.kind {
        NodeKind::Str(s) => s == "*",
        NodeKind::Map(entries) => entries.iter().any(|(k, v)| {
            str_of(k).is_some_and(|k| k.eq_ignore_ascii_case("AWS"))
                && strings(v).iter().any(|(s, _)| *s == "*")
        }),
        _ => false,
    });
    if kind == Kind::Anonymous && principal.is_none() && get("NotPrincipal").is_none() {
        out.push(Finding::error(
            CODE,
            s,
            ptr,
            "a bucket policy statement without `Principal`: MinIO refuses the policy".into(),
            "add `\"Principal\": {\"AWS\": [\"*\"]}` for anonymous access",
        ));
    }
    if allow && anyone && get("Condition").is_none() {
        for (a, n) in actions.iter().filter(|(a, _)| writes(a)) {
            out.push(Finding::error(
                CODE_POLICY_PUBLIC_WRITE,
                n,
                &format!("{ptr}/Action"),
                format!("the policy allows anyone (`Principal` `*`) `{a}`: anybody on the internet can write or delete the bucket's objects"),
                "grant anonymous users `s3:GetObject` only; writes go through a signed request or a service account",
            ));
        }
    }
}
