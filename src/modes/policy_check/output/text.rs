//! The text report: one line per violation, compiler style, then a count.

use std::fmt::Write;

use super::super::{Report, Severity};
use super::{place, plural};

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for v in report.active() {
        let _ = writeln!(
            out,
            "{}: {}[{}] {}",
            place(v),
            v.severity.as_str(),
            v.rule,
            v.detail
        );
        let _ = writeln!(out, "    {}", report.rule_message(&v.rule));
    }
    for v in report.waived() {
        let reason = v.waived.as_ref().map(|w| w.reason()).unwrap_or_default();
        let _ = writeln!(
            out,
            "{}: waived[{}] {} (reason: {reason})",
            place(v),
            v.rule,
            v.detail
        );
    }
    let _ = writeln!(
        out,
        "policy-check: {} ({}, {}, {}), {} waived, {} read, policy {}",
        plural(report.active().count(), "violation"),
        plural(report.count(Severity::Error), "error"),
        plural(report.count(Severity::Warning), "warning"),
        plural(report.count(Severity::Notice), "notice"),
        report.waived().count(),
        plural(report.files_scanned, "file"),
        report.policy.path,
    );
    out
}
