//! OCI image labels (and the manifest annotations made from them), as docker/metadata-action
//! sets them, but reproducible: `created` is the commit's time, not the time of the build.

use std::collections::BTreeMap;

use crate::error::{Failure, Result};
use crate::github::Context;

pub const OCI: &str = "org.opencontainers.image.";

/// What the default labels are made of.
pub struct Facts<'a> {
    pub ctx: &'a Context,
    pub version: &'a str,
    pub created_rfc3339: &'a str,
    pub revision: &'a str,
}

/// The eight `org.opencontainers.image.*` labels docker/metadata-action sets. Title, url and source
/// come from `GITHUB_REPOSITORY`/`GITHUB_SERVER_URL`; description and licenses from the event
/// payload's `repository` when it has them. Empty values are left out.
pub fn defaults(facts: &Facts) -> BTreeMap<String, String> {
    let ctx = facts.ctx;
    let repo = &ctx.event["repository"];
    let mut labels = BTreeMap::new();
    let mut put = |key: &str, value: Option<String>| {
        // A label is one line: a newline in a value from the event payload (a repository's
        // description) would add a label line of its own.
        if let Some(v) = value.map(|v| single_line(&v)).filter(|v| !v.is_empty()) {
            labels.insert(format!("{OCI}{key}"), v);
        }
    };
    let repository = ctx.repository.clone();
    let url = repository
        .as_ref()
        .map(|r| format!("{}/{r}", ctx.server_url.trim_end_matches('/')));
    put(
        "title",
        repository
            .as_deref()
            .map(|r| r.rsplit('/').next().unwrap_or(r).to_string()),
    );
    put(
        "description",
        repo["description"].as_str().map(str::to_string),
    );
    put("url", url.clone());
    put("source", url);
    put("version", Some(facts.version.to_string()));
    put("created", Some(facts.created_rfc3339.to_string()));
    put("revision", Some(facts.revision.to_string()));
    // GitHub reports an unrecognised license file as NOASSERTION: not a license to label with.
    put(
        "licenses",
        repo["license"]["spdx_id"]
            .as_str()
            .filter(|id| *id != "NOASSERTION")
            .map(str::to_string),
    );
    labels
}

/// `value` on one line: CR, LF and the Unicode line breaks folded to spaces, then trimmed.
pub fn single_line(value: &str) -> String {
    value
        .replace("\r\n", " ")
        .replace(['\r', '\n', '\u{85}', '\u{2028}', '\u{2029}'], " ")
        .trim()
        .to_string()
}

/// The `labels` input: lines `key=value`, applied over the defaults by key. `key=` removes a
/// default label.
pub fn parse_extra(input: &str) -> Result<Vec<(String, String)>> {
    let mut extra = Vec::new();
    for (n, raw) in input.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| {
            Failure::invalid_input_line(
                "labels",
                n + 1,
                format!("{why}: {line:?}"),
                "write one `key=value` per line, e.g. `org.opencontainers.image.vendor=ACME`",
            )
        };
        let Some((key, value)) = line.split_once('=') else {
            return Err(bad("expected `key=value`"));
        };
        let key = key.trim();
        if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("the key must be non-empty and contain no whitespace"));
        }
        extra.push((key.to_string(), value.trim().to_string()));
    }
    Ok(extra)
}

/// Defaults with the extra labels applied; empty values removed.
pub fn merge(
    mut labels: BTreeMap<String, String>,
    extra: &[(String, String)],
) -> BTreeMap<String, String> {
    for (key, value) in extra {
        if value.is_empty() {
            labels.remove(key);
        } else {
            labels.insert(key.clone(), value.clone());
        }
    }
    labels
}

/// `manifest:<key>=<value>` for each OCI label, as docker/metadata-action writes annotations with
/// `DOCKER_METADATA_ANNOTATIONS_LEVELS=manifest`.
pub fn annotations(labels: &BTreeMap<String, String>) -> Vec<String> {
    labels
        .iter()
        .filter(|(k, _)| k.starts_with(OCI))
        .map(|(k, v)| format!("manifest:{k}={v}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_labels_override_and_remove_by_key() {
        let ctx = Context {
            repository: Some("Org/App".into()),
            server_url: "https://github.com".into(),
            event: serde_json::json!({"repository": {"description": "", "license": {"spdx_id": "MIT"}}}),
            ..Default::default()
        };
        let base = defaults(&Facts {
            ctx: &ctx,
            version: "1.2.3",
            created_rfc3339: "2024-01-02T03:04:05Z",
            revision: "abc",
        });
        assert_eq!(base[&format!("{OCI}title")], "App");
        assert_eq!(base[&format!("{OCI}url")], "https://github.com/Org/App");
        assert!(!base.contains_key(&format!("{OCI}description")));
        let extra =
            parse_extra("# vendor\norg.opencontainers.image.licenses=\nteam = a=b\n").unwrap();
        let labels = merge(base, &extra);
        assert!(!labels.contains_key(&format!("{OCI}licenses")));
        assert_eq!(labels["team"], "a=b");
        let ann = annotations(&labels);
        assert!(ann.contains(&format!("manifest:{OCI}version=1.2.3")));
        assert!(!ann.iter().any(|a| a.contains("team")));
    }

    #[test]
    fn bad_label_lines_are_named() {
        let err = parse_extra("a=b\n\nnovalue").unwrap_err();
        assert!(
            err.message.contains("input `labels`, line 3"),
            "{}",
            err.message
        );
        assert_eq!(err.exit_code(), 2);
        assert!(parse_extra("=x").is_err());
    }
}
