//! Waivers: inline comments (`release-action: allow <rule-id> -- <reason>` on the line or the
//! line above) and policy waivers (`rule`, `paths`, `reason`, `expires`). A waived violation is
//! kept in the report, marked, so the summary and SARIF show what was waived and why. Waivers
//! are findings themselves: an expired one is an error (and waives nothing), an unused one a
//! warning, so waivers cannot outlive what they were for.

use time::Date;

use super::config::Policy;
use super::scan::InlineWaiver;
use super::{Violation, Waived, INLINE_WAIVER_INVALID, WAIVER_EXPIRED, WAIVER_UNUSED};

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
