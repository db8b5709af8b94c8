//! A lifecycle JSON read as `mc ilm rule import` reads it: minio-go's
//! `pkg/lifecycle.Configuration` (`{"Rules": [{"ID", "Status", "Filter", "Expiration",
//! ...}]}`), with the checks the S3 API and MinIO make when the configuration is set
//! (`Status` `Enabled` or `Disabled`, days at least 1, at most 255 characters of ID, each
//! rule with an action) and the one they do not: a rule without a prefix or tag filter
//! expires the whole bucket (BI502, as `validate` reports it for a spec).

use std::collections::HashMap;

use crate::load::{Node, NodeKind};
use crate::rules::storage as storage_rules;

use super::s3json::CODE_LIFECYCLE_SCHEMA as CODE;
use super::s3json::{keys, str_of, type_name, Finding};

const TOP: &[&str] = &["Rules"];
const RULE: &[&str] = &[
    "ID",
    "Status",
    "Filter",
    "Prefix",
    "Expiration",
    "Transition",
    "NoncurrentVersionExpiration",
    "NoncurrentVersionTransition",
    "AbortIncompleteMultipartUpload",
    "DelMarkerExpiration",
    "AllVersionsExpiration",
];
const FILTER: &[&str] = &[
    "Prefix",
    "Tag",
    "And",
    "ObjectSizeLessThan",
    "ObjectSizeGreaterThan",
];
const AND: &[&str] = &[
    "Prefix",
    "Tags",
    "ObjectSizeLessThan",
    "ObjectSizeGreaterThan",
];
const EXPIRATION: &[&str] = &[
    "Days",
    "Date",
    "ExpiredObjectDeleteMarker",
    "ExpiredObjectAllVersions",
];
const NONCURRENT: &[&str] = &["NoncurrentDays", "NewerNoncurrentVersions", "StorageClass"];
const TRANSITION: &[&str] = &["Days", "Date", "StorageClass"];
const ABORT: &[&str] = &["DaysAfterInitiation"];
const DAYS: &[&str] = &["Days"];
const ALL_VERSIONS: &[&str] = &["Days", "DeleteMarker"];

/// Checks a lifecycle configuration; `bucket` (from the script's `ALIAS/BUCKET`, `None`
/// for a file no script imports) is named in BI502's and BI503's messages.
pub(crate) fn check(node: &Node, bucket: Option<&str>, out: &mut Vec<Finding>) {
    let top = keys(node, "", TOP, CODE, "a lifecycle configuration", out);
    let Some((_, _, rules)) = top.iter().find(|e| e.0 == "Rules") else {
        out.push(Finding::error(
            CODE,
            node,
            "",
            "a lifecycle configuration without `Rules`: `mc ilm rule import` sets nothing".into(),
            "write `{\"Rules\": [{\"ID\": ..., \"Status\": \"Enabled\", \"Filter\": {\"Prefix\": ...}, \"Expiration\": {\"Days\": N}}]}`",
        ));
        return;
    };
    let NodeKind::Seq(items) = &rules.kind else {
        out.push(Finding::error(
            CODE,
            rules,
            "/Rules",
            format!("`Rules` is {}, not an array", type_name(rules)),
            "write `Rules` as an array of rules",
        ));
        return;
    };
    let mut ids: HashMap<String, ()> = HashMap::new();
    for (i, r) in items.iter().enumerate() {
        let ptr = format!("/Rules/{i}");
        rule(r, &ptr, bucket, &mut ids, out);
    }
}

fn rule(
    r: &Node,
    ptr: &str,
    bucket: Option<&str>,
    ids: &mut HashMap<String, ()>,
    out: &mut Vec<Finding>,
) {
    let fields = keys(r, ptr, RULE, CODE, "a lifecycle rule", out);
    let get = |k: &str| fields.iter().find(|e| e.0 == k).map(|e| e.2);
    let id = get("ID").and_then(str_of).unwrap_or("").to_owned();
    match get("ID") {
        Some(n) if str_of(n).is_none() => out.push(Finding::error(
            CODE,
            n,
            &format!("{ptr}/ID"),
            format!("`ID` is {}, not a string", type_name(n)),
            "write the rule's id as a string",
        )),
        Some(n) if id.chars().count() > 255 => out.push(Finding::error(
            CODE,
            n,
            &format!("{ptr}/ID"),
            "a lifecycle rule `ID` longer than 255 characters: S3 refuses it".into(),
            "use a short id",
        )),
        Some(n) if ids.insert(id.clone(), ()).is_some() => out.push(Finding::shared(
            storage_rules::lifecycle_duplicate_id(&id, bucket),
            n,
            &format!("{ptr}/ID"),
        )),
        _ => {}
    }
    let enabled = match get("Status") {
        None => {
            out.push(Finding::error(
                CODE,
                r,
                ptr,
                format!("lifecycle rule `{id}` has no `Status`: S3 refuses it"),
                "add `\"Status\": \"Enabled\"`",
            ));
            true
        }
        Some(n) => match str_of(n) {
            Some("Enabled") => true,
            Some("Disabled") => false,
            _ => {
                out.push(Finding::error(
                    CODE,
                    n,
                    &format!("{ptr}/Status"),
                    format!(
                        "lifecycle rule `{id}` has `Status` {}: S3 takes exactly `Enabled` or `Disabled`",
                        str_of(n).map_or_else(|| type_name(n).to_owned(), |s| format!("`{s}`"))
                    ),
                    "write `\"Status\": \"Enabled\"`",
                ));
                true
            }
        },
    };
    let scoped = filter(&fields, ptr, out);
    let mut action = false;
    let mut expires = false;
    for (name, _, v) in &fields {
        let sub = format!("{ptr}/{name}");
        let (known, day_keys): (&[&str], &[&str]) = match *name {
            "Expiration" => (EXPIRATION, &["Days"]),
            "Transition" => (TRANSITION, &["Days"]),
            "NoncurrentVersionExpiration" | "NoncurrentVersionTransition" => {
                (NONCURRENT, &["NoncurrentDays"])
            }
            "AbortIncompleteMultipartUpload" => (ABORT, &["DaysAfterInitiation"]),
            "DelMarkerExpiration" => (DAYS, &["Days"]),
            "AllVersionsExpiration" => (ALL_VERSIONS, &["Days"]),
            _ => continue,
        };
        action = true;
        let inner = keys(v, &sub, known, CODE, &format!("`{name}`"), out);
        for (k, _, n) in &inner {
            if day_keys.contains(k) {
                let is_expiry = *name == "Expiration" || *name == "AllVersionsExpiration";
                days(n, &format!("{sub}/{k}"), &id, is_expiry, out);
                expires |= is_expiry;
            }
            if *k == "Date" && *name == "Expiration" {
                expires = true;
            }
        }
    }
    if !action {
        out.push(Finding::error(
            CODE,
            r,
            ptr,
            format!("lifecycle rule `{id}` has no action (`Expiration`, `Transition`, ...): S3 refuses it"),
            "add `\"Expiration\": {\"Days\": N}`",
        ));
    }
    if enabled && expires && !scoped {
        let at = get("Filter").unwrap_or(r);
        out.push(Finding::shared(
            storage_rules::lifecycle_whole_bucket(&id, bucket),
            at,
            &format!("{ptr}/Filter"),
        ));
    }
}

/// Checks the rule's filter; whether it narrows the rule to part of the bucket (a
/// non-empty prefix, a tag or a size bound).
fn filter(fields: &[(&'static str, &Node, &Node)], ptr: &str, out: &mut Vec<Finding>) -> bool {
    let mut scoped = false;
    for (name, _, v) in fields {
        match *name {
            // The legacy rule-level `Prefix`.
            "Prefix" => scoped |= str_of(v).is_some_and(|s| !s.is_empty()),
            "Filter" => {
                let sub = format!("{ptr}/Filter");
                for (k, _, n) in keys(v, &sub, FILTER, CODE, "`Filter`", out) {
                    match k {
                        "Prefix" => scoped |= prefix(n, &format!("{sub}/Prefix"), out),
                        "And" => {
                            for (k2, _, n2) in
                                keys(n, &format!("{sub}/And"), AND, CODE, "`And`", out)
                            {
                                scoped |= match k2 {
                                    "Prefix" => prefix(n2, &format!("{sub}/And/Prefix"), out),
                                    _ => true,
                                };
                            }
                        }
                        _ => scoped = true,
                    }
                }
            }
            _ => {}
        }
    }
    scoped
}

fn prefix(n: &Node, ptr: &str, out: &mut Vec<Finding>) -> bool {
    match str_of(n) {
        Some(s) => !s.is_empty(),
        None => {
            out.push(Finding::error(
                CODE,
                n,
                ptr,
                format!("`Prefix` is {}, not a string", type_name(n)),
                "write the prefix as a string, like `\"temp/\"`",
            ));
            false
        }
    }
}

fn days(n: &Node, ptr: &str, id: &str, expiry: bool, out: &mut Vec<Finding>) {
    match super::s3json::kind(n) {
        NodeKind::Int(0) if expiry => out.push(Finding::shared(
            storage_rules::lifecycle_zero_days(id),
            n,
            ptr,
        )),
        NodeKind::Int(d) if *d < 1 => out.push(Finding::error(
            CODE,
            n,
            ptr,
            format!("lifecycle rule `{id}` counts {d} days: S3 takes a whole number of at least 1"),
            "use at least 1 day",
        )),
        NodeKind::Int(_) => {}
        _ => out.push(Finding::error(
            CODE,
            n,
            ptr,
            format!(
                "days are {}, not a whole number: `mc` cannot read the rule",
                type_name(n)
            ),
            "write the number without quotes: `\"Days\": 30`",
        )),
    }
}
