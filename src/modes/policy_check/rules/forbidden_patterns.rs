//! `forbidden-patterns`: regexes that must not match in files matching `files`. A regex set
//! decides in one pass which patterns match at all; only those are run again for positions.

use super::super::config::{Check, Rule};
use super::super::text::LineIndex;
use super::super::Violation;

pub fn check(rule: &Rule, path: &str, text: &str, index: &LineIndex, out: &mut Vec<Violation>) {
    let Check::ForbiddenPatterns {
        patterns,
        set,
        regexes,
        files,
    } = &rule.check
    else {
        return;
    };
    if !files.matches(path) {
        return;
    }
    for i in set.matches(text).iter() {
        for m in regexes[i].find_iter(text) {
            let shown: String = m
                .as_str()
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(80)
                .collect();
            out.push(super::violation(
                rule,
                path,
                index,
                m.start(),
                m.len(),
                m.as_str(),
                format!("`{shown}` matches forbidden pattern `{}`", patterns[i]),
            ));
        }
    }
}
