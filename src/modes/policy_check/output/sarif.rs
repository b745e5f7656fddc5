//! SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`): one driver rule
//! per policy rule (and per waiver rule that fired), results with repo-relative URIs against
//! `%SRCROOT%`, regions, suppressions for waived violations, and `partialFingerprints` that
//! survive lines moving (they hash the rule, the file and the offending text, not the line).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::super::{Report, Severity, Waived, BUILTIN_RULES};
use crate::error::{Failure, Result};

pub const FINGERPRINT_KEY: &str = "releaseActionPolicy/v1";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "note",
    }
}

/// Percent-encodes what may not appear in a URI path.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn build(report: &Report) -> Value {
    let mut rules = Vec::new();
    let mut index = BTreeMap::new();
    for r in &report.policy.rules {
        index.insert(r.id.clone(), rules.len());
        let first = r
            .message
            .split(". ")
            .next()
            .unwrap_or(&r.message)
            .trim_end_matches('.');
        rules.push(json!({
            "id": r.id,
            "name": r.id,
            "shortDescription": { "text": format!("{}: {first}", r.kind.as_str()) },
            "fullDescription": { "text": r.message },
            "help": {
                "text": r.message,
                "markdown": format!(
                    "**{}** ({}). {}\n\nTo waive one occurrence, add `release-action: allow {} -- <reason>` on the line or the line above.",
                    r.id, r.kind.as_str(), r.message, r.id
                ),
            },
            "defaultConfiguration": { "level": level(r.severity) },
            "properties": { "tags": ["policy", r.kind.as_str()] },
        }));
    }
    for b in BUILTIN_RULES {
        if report.violations.iter().any(|v| v.rule == b.id) {
            index.insert(b.id.to_string(), rules.len());
            rules.push(json!({
                "id": b.id,
                "name": b.id,
                "shortDescription": { "text": format!("{}: {}", b.kind, b.id.replace('-', " ")) },
                "fullDescription": { "text": b.message },
                "help": { "text": b.message, "markdown": b.message },
                "defaultConfiguration": { "level": level(b.severity) },
                "properties": { "tags": ["policy", b.kind] },
            }));
        }
    }
    let mut seen: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let results: Vec<Value> = report
        .violations
        .iter()
        .map(|v| {
            let occurrence = seen
                .entry((v.rule.clone(), v.file.clone(), v.matched.clone()))
                .or_insert(0);
            *occurrence += 1;
            let digest = Sha256::digest(
                format!("{}\0{}\0{}\0{}", v.rule, v.file, v.matched, occurrence).as_bytes(),
            );
            let mut region = json!({ "startLine": v.line, "startColumn": v.col });
            if let Some(end) = v.end_col {
                region["endColumn"] = json!(end);
            }
            let mut result = json!({
                "ruleId": v.rule,
                "ruleIndex": index.get(&v.rule).copied().unwrap_or(0),
                "level": level(v.severity),
                "message": { "text": format!("{} ({})", v.detail, v.rule) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&v.file), "uriBaseId": "%SRCROOT%" },
                        "region": region,
                    }
                }],
                "partialFingerprints": { FINGERPRINT_KEY: hex::encode(&digest[..16]) },
            });
            if let Some(waived) = &v.waived {
                let kind = match waived {
                    Waived::Inline { .. } => "inSource",
                    Waived::Policy { .. } => "external",
                };
                result["suppressions"] =
                    json!([{ "kind": kind, "justification": waived.reason() }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "release-action policy-check",
                    "informationUri": "https://github.com/ameideio/release-action",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "automationDetails": { "id": "release-action/policy-check/" },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

pub fn render(report: &Report) -> String {
    serde_json::to_string_pretty(&build(report)).expect("JSON of plain values") + "\n"
}

pub fn write(report: &Report, path: &Path) -> Result<()> {
    let fail = |e: std::io::Error| {
        Failure::usage(
            "Cannot write the SARIF report",
            format!("sarif {}: {e}", path.display()),
        )
        .with_fix("set the `sarif` input to a writable path, e.g. policy.sarif or ${{ runner.temp }}/policy.sarif")
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    crate::runner::inputs::create_file(path, render(report).as_bytes()).map_err(fail)
}
