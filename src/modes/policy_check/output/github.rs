//! The `github` format: annotations on the exact file, line and column, within what GitHub
//! displays (10 of each level per step), and the full list in the step summary, grouped by rule.

use std::collections::BTreeMap;

use super::super::{FailOn, Report, Severity, Violation};
use super::{place, plural};
use crate::runner::summary::{code, text};
use crate::runner::{Annotation, Runner, Summary};

/// GitHub shows at most this many annotations of each level per step and drops the rest.
pub const ANNOTATIONS_PER_LEVEL: usize = 10;

pub fn report(report: &Report, runner: &mut Runner, fail_on: FailOn) {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    // A failing run ends with one error annotation of its own; keep room for it.
    let fails = match fail_on {
        FailOn::Error => errors > 0,
        FailOn::Warning => errors + warnings > 0,
        FailOn::Never => false,
    };
    let mut hidden = 0;
    for severity in [Severity::Error, Severity::Warning, Severity::Notice] {
        let cap = if severity == Severity::Error && fails {
            ANNOTATIONS_PER_LEVEL - 1
        } else {
            ANNOTATIONS_PER_LEVEL
        };
        let of_level: Vec<&Violation> =
            report.active().filter(|v| v.severity == severity).collect();
        for v in of_level.iter().take(cap) {
            let mut annotation =
                Annotation::new(format!("{}\n{}", v.detail, report.rule_message(&v.rule)))
                    .title(format!("{} ({})", v.rule, report.rule_kind(&v.rule)))
                    .file(v.file.clone())
                    .line(v.line)
                    .col(v.col);
            annotation.end_column = v.end_col;
            runner.annotate(severity.level(), annotation);
        }
        hidden += of_level.len().saturating_sub(cap);
    }
    if hidden > 0 {
        runner.log(&format!(
            "{} not annotated (GitHub shows {ANNOTATIONS_PER_LEVEL} per level); all are in the step summary",
            plural(hidden, "violation")
        ));
    }
    summary(report, runner, hidden);
}

fn summary(report: &Report, runner: &mut Runner, hidden: usize) {
    let s = runner.summary();
    summary_header(report, s, hidden);
    let by_rule = violations_by_rule(report);
    let rows: Vec<Vec<String>> = by_rule
        .iter()
        .map(|(id, (active, waived))| {
            vec![
                code(id),
                report.rule_kind(id).to_string(),
                rule_severity(report, id).as_str().to_string(),
                active.len().to_string(),
                waived.to_string(),
            ]
        })
        .collect();
    s.table(&["Rule", "Kind", "Severity", "Violations", "Waived"], &rows);

    for (id, (active, _)) in &by_rule {
        if active.is_empty() {
            continue;
        }
        let icon = match rule_severity(report, id) {
            Severity::Error => "❌",
            Severity::Warning => "⚠️",
            Severity::Notice => "ℹ️",
        };
        s.heading(
            3,
            &format!("{icon} {}: {}", code(id), plural(active.len(), "violation")),
        );
        s.paragraph(&text(report.rule_message(id)));
        let rows: Vec<Vec<String>> = active
            .iter()
            .map(|v| vec![code(&place(v)), text(&v.detail)])
            .collect();
        s.table(&["Location", "Finding"], &rows);
    }
    waived_section(report, s);
}

/// The heading with the counts, what was checked, and a note when annotations were left out.
fn summary_header(report: &Report, s: &mut Summary, hidden: usize) {
    let total = report.active().count();
    if total == 0 {
        s.heading(2, "✅ policy-check: no violations");
    } else {
        s.heading(
            2,
            &format!(
                "policy-check: {} ({}, {}, {})",
                plural(total, "violation"),
                plural(report.count(Severity::Error), "error"),
                plural(report.count(Severity::Warning), "warning"),
                plural(report.count(Severity::Notice), "notice"),
            ),
        );
    }
    s.paragraph(&format!(
        "Policy {}: {} and {}, checked against {}. {} waived.",
        code(&report.policy.path),
        plural(report.policy.rules.len(), "rule"),
        plural(report.policy.waivers.len(), "waiver"),
        plural(report.files_scanned, "file"),
        plural(report.waived().count(), "violation"),
    ));
    if hidden > 0 {
        s.paragraph(&format!(
            "> [!NOTE]\n> GitHub shows {ANNOTATIONS_PER_LEVEL} annotations of each level per step: {} appear only below.",
            plural(hidden, "violation")
        ));
    }
}

/// Every rule of the policy (and every built-in one that fired), with its active violations and
/// the number waived.
fn violations_by_rule(report: &Report) -> BTreeMap<&str, (Vec<&Violation>, usize)> {
    let mut by_rule: BTreeMap<&str, (Vec<&Violation>, usize)> = BTreeMap::new();
    for r in &report.policy.rules {
        by_rule.entry(&r.id).or_default();
    }
    for v in &report.violations {
        let entry = by_rule.entry(&v.rule).or_default();
        if v.waived.is_some() {
            entry.1 += 1;
        } else {
            entry.0.push(v);
        }
    }
    by_rule
}

/// The severity of a policy rule or built-in finding.
fn rule_severity(report: &Report, id: &str) -> Severity {
    report
        .policy
        .rules
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.severity)
        .or_else(|| {
            super::super::BUILTIN_RULES
                .iter()
                .find(|b| b.id == id)
                .map(|b| b.severity)
        })
        .unwrap_or(Severity::Error)
}

/// The waived violations, each with the waiver (inline or the policy's) and its reason.
fn waived_section(report: &Report, s: &mut Summary) {
    let waived: Vec<&Violation> = report.waived().collect();
    if waived.is_empty() {
        return;
    }
    s.heading(3, &format!("Waived: {}", plural(waived.len(), "violation")));
    let rows: Vec<Vec<String>> = waived
        .iter()
        .map(|v| {
            let (how, reason) = match v.waived.as_ref().expect("waived") {
                super::super::Waived::Inline { line, reason } => {
                    (format!("inline comment, line {line}"), text(reason))
                }
                super::super::Waived::Policy {
                    line,
                    reason,
                    expires,
                } => (
                    format!(
                        "{} line {line}, expires {}",
                        code(&report.policy.path),
                        text(expires)
                    ),
                    text(reason),
                ),
            };
            vec![code(&v.rule), code(&place(v)), how, reason]
        })
        .collect();
    s.table(&["Rule", "Location", "Waived by", "Reason"], &rows);
}
