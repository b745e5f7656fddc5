//! The JSON report: every violation (active and waived) with the rules they break.

use serde_json::json;

use super::super::{Report, Severity};

pub fn render(report: &Report) -> String {
    let rules: Vec<_> = report
        .policy
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "kind": r.kind.as_str(),
                "severity": r.severity,
                "message": r.message,
            })
        })
        .collect();
    let value = json!({
        "policy": report.policy.path,
        "files_read": report.files_scanned,
        "counts": {
            "violations": report.active().count(),
            "errors": report.count(Severity::Error),
            "warnings": report.count(Severity::Warning),
            "notices": report.count(Severity::Notice),
            "waived": report.waived().count(),
        },
        "rules": rules,
        "violations": report.active().collect::<Vec<_>>(),
        "waived": report.waived().collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&value).expect("JSON of plain values") + "\n"
}
