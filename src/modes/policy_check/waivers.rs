//! Waivers: inline comments (`release-action: allow <rule-id> -- <reason>` on the line or the
//! line above) and policy waivers (`rule`, `paths`, `reason`, `expires`). A waived violation is
//! kept in the report, marked, so the summary and SARIF show what was waived and why. Waivers
//! are findings themselves: an expired one is an error (and waives nothing), an unused one a
//! warning, so waivers cannot outlive what they were for.

use std::sync::LazyLock;

use jiff::civil::Date;
use regex::Regex;

use super::config::Policy;
use super::text::LineIndex;
use super::{Violation, Waived, INLINE_WAIVER_INVALID, WAIVER_EXPIRED, WAIVER_UNUSED};

/// A `release-action: allow <rule-id> -- <reason>` comment.
#[derive(Debug, Clone)]
pub struct InlineWaiver {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub rule: String,
    /// `None` when the comment gives no reason: it then waives nothing.
    pub reason: Option<String>,
}

static INLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"release-action:[ \t]*allow[ \t]+([A-Za-z0-9_.-]+)(?:[ \t]+--[ \t]*([^\n]*))?")
        .expect("static regex")
});

/// The inline waivers in one file's text.
pub(crate) fn inline_waivers(path: &str, text: &str) -> Vec<InlineWaiver> {
    if !text.contains("release-action:") {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    INLINE
        .captures_iter(text)
        .map(|c| {
            let whole = c.get(0).expect("group 0");
            let (line, col) = index.position(whole.start());
            let reason = c
                .get(2)
                .map(|r| {
                    r.as_str()
                        .trim()
                        .trim_end_matches("*/")
                        .trim_end_matches("-->")
                        .trim()
                        .to_string()
                })
                .filter(|r| !r.is_empty());
            InlineWaiver {
                file: path.to_string(),
                line,
                col,
                rule: c[1].to_string(),
                reason,
            }
        })
        .collect()
}

/// Applies inline waivers; returns the findings about the waivers themselves.
pub fn apply_inline(
    violations: &mut [Violation],
    waivers: Vec<InlineWaiver>,
    policy: &Policy,
) -> Vec<Violation> {
    let mut findings = Vec::new();
    for waiver in waivers {
        let Some(reason) = &waiver.reason else {
            findings.push(finding(
                &INLINE_WAIVER_INVALID,
                &waiver.file,
                waiver.line,
                waiver.col,
                format!(
                    "inline waiver for `{}` gives no reason after `--`",
                    waiver.rule
                ),
            ));
            continue;
        };
        let mut used = false;
        for v in violations.iter_mut() {
            if v.waived.is_none()
                && v.rule == waiver.rule
                && v.file == waiver.file
                && (v.line == waiver.line || v.line == waiver.line + 1)
            {
                v.waived = Some(Waived::Inline {
                    line: waiver.line,
                    reason: reason.clone(),
                });
                used = true;
            }
        }
        if !used {
            let known = policy.rules.iter().any(|r| r.id == waiver.rule);
            let detail = if known {
                format!(
                    "inline waiver for `{}` matches no violation on this line or the next",
                    waiver.rule
                )
            } else {
                format!(
                    "inline waiver names `{}`, which is not a rule of the policy",
                    waiver.rule
                )
            };
            findings.push(finding(
                &WAIVER_UNUSED,
                &waiver.file,
                waiver.line,
                waiver.col,
                detail,
            ));
        }
    }
    findings
}

/// Applies the policy's waivers that have not expired; returns the findings about waivers.
pub fn apply_policy(violations: &mut [Violation], policy: &Policy, today: Date) -> Vec<Violation> {
    let mut findings = Vec::new();
    for waiver in &policy.waivers {
        let at = &waiver.location;
        let (line, col) = (at.line.unwrap_or(1), at.col.unwrap_or(1));
        if waiver.expires < today {
            findings.push(finding(
                &WAIVER_EXPIRED,
                &at.file,
                line,
                col,
                format!(
                    "waiver for `{}` on {} expired on {} (reason was: {})",
                    waiver.rule,
                    waiver.paths.join(", "),
                    waiver.expires,
                    waiver.reason
                ),
            ));
            continue;
        }
        let mut used = 0;
        for v in violations.iter_mut() {
            if v.waived.is_none() && v.rule == waiver.rule && waiver.path_set.is_match(&v.file) {
                v.waived = Some(Waived::Policy {
                    line,
                    reason: waiver.reason.clone(),
                    expires: waiver.expires.to_string(),
                });
                used += 1;
            }
        }
        if used == 0 {
            findings.push(finding(
                &WAIVER_UNUSED,
                &at.file,
                line,
                col,
                format!(
                    "waiver for `{}` on {} matches no violation",
                    waiver.rule,
                    waiver.paths.join(", ")
                ),
            ));
        }
    }
    findings
}

/// A finding of a built-in rule at a place.
pub(super) fn finding(
    rule: &super::BuiltinRule,
    file: &str,
    line: usize,
    col: usize,
    detail: String,
) -> Violation {
    Violation {
        rule: rule.id.to_string(),
        severity: rule.severity,
        file: file.to_string(),
        line,
        col,
        end_col: None,
        matched: detail.clone(),
        detail,
        waived: None,
    }
}
