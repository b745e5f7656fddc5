//! `required-env`: variables that must be set and non-empty, optionally only in some modes
//! (the `policy-mode` input) or events (`GITHUB_EVENT_NAME`). Every missing name is its own
//! violation, placed on the line of the policy file that lists it.

use super::super::config::{Check, Policy};
use super::super::Violation;
use crate::runner::env;

pub fn check(policy: &Policy, mode: &str, event: Option<&str>) -> Vec<Violation> {
    let mut out = Vec::new();
    for rule in &policy.rules {
        let Check::RequiredEnv {
            names,
            modes,
            events,
        } = &rule.check
        else {
            continue;
        };
        if modes.as_ref().is_some_and(|m| !m.iter().any(|m| m == mode)) {
            continue;
        }
        if events
            .as_ref()
            .is_some_and(|e| !e.iter().any(|e| Some(e.as_str()) == event))
        {
            continue;
        }
        for (name, at) in names {
            let value = env::os_value(name);
            if value
                .as_ref()
                .is_some_and(|v| !v.to_string_lossy().trim().is_empty())
            {
                continue;
            }
            let state = if value.is_some() { "empty" } else { "not set" };
            out.push(Violation {
                rule: rule.id.clone(),
                severity: rule.severity,
                file: at.file.clone(),
                line: at.line.unwrap_or(1),
                col: at.col.unwrap_or(1),
                end_col: at.col.map(|c| c + name.len()),
                detail: format!("environment variable `{name}` is {state}"),
                matched: name.clone(),
                waived: None,
            });
        }
    }
    out
}
