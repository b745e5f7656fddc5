//! The checks, one file per rule kind. File-based rules look at one file's text at a time (the
//! walk reads each file once and hands it to every rule that wants it); required-env looks at
//! the environment.

pub mod forbidden_imports;
pub mod forbidden_patterns;
pub mod registry_hosts;
pub mod required_env;

use std::path::Path;

use super::config::{Check, Policy, Rule};
use super::imports::Language;
use super::registry_refs::RefFile;
use super::text::LineIndex;
use super::Violation;

/// Whether any rule wants to read `path`: the walk skips every other file unread.
pub fn wants(policy: &Policy, path: &str) -> bool {
    policy.rules.iter().any(|rule| match &rule.check {
        Check::ForbiddenImports { from, .. } => Language::of(path).is_some() && from.matches(path),
        Check::RegistryHosts { files, .. } => {
            files.matches(path) && (files.is_explicit() || RefFile::of(path).is_some())
        }
        Check::ForbiddenPatterns { files, .. } => files.matches(path),
        Check::RequiredEnv { .. } => false,
    })
}

/// Every violation of every file-based rule in one file.
pub fn check_file(policy: &Policy, root: &Path, path: &str, text: &str) -> Vec<Violation> {
    let index = LineIndex::new(text);
    let mut violations = Vec::new();
    let mut imports = None;
    let mut registry_refs = None;
    for rule in &policy.rules {
        match &rule.check {
            Check::ForbiddenImports { .. } => {
                let Some(language) = Language::of(path) else {
                    continue;
                };
                let imports = imports
                    .get_or_insert_with(|| super::imports::extract(language, path, text, root));
                forbidden_imports::check(rule, path, &index, imports, &mut violations);
            }
            Check::RegistryHosts { .. } => {
                let refs = registry_refs.get_or_insert_with(|| {
                    RefFile::of(path)
                        .map(|file| super::registry_refs::extract(file, text))
                        .unwrap_or_default()
                });
                registry_hosts::check(rule, path, &index, refs, &mut violations);
            }
            Check::ForbiddenPatterns { .. } => {
                forbidden_patterns::check(rule, path, text, &index, &mut violations)
            }
            Check::RequiredEnv { .. } => {}
        }
    }
    violations
}

/// A violation of `rule` at byte `offset` (length `len`) of a file.
pub fn violation(
    rule: &Rule,
    path: &str,
    index: &LineIndex,
    offset: usize,
    len: usize,
    matched: &str,
    detail: String,
) -> Violation {
    let (line, col) = index.position(offset);
    let (end_line, end_col) = index.position(offset + len);
    Violation {
        rule: rule.id.clone(),
        severity: rule.severity,
        file: path.to_string(),
        line,
        col,
        end_col: (end_line == line && len > 0).then_some(end_col),
        detail,
        matched: matched.to_string(),
        waived: None,
    }
}
