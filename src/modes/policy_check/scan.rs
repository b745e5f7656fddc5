//! One parallel walk of the repository (honouring `.gitignore`, `.ignore` and git's excludes,
//! with or without a git repository). A file is read only if a rule wants it, and then once:
//! every rule and the inline-waiver scan share the text.

use std::path::Path;
use std::sync::{LazyLock, Mutex};

use ignore::{WalkBuilder, WalkState};
use regex::Regex;

use super::config::Policy;
use super::text::{slash_path, LineIndex};
use super::{rules, Violation};
use crate::error::{Failure, Result};

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

pub struct Scan {
    pub files_read: usize,
    pub violations: Vec<Violation>,
    pub inline_waivers: Vec<InlineWaiver>,
}

static INLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"release-action:[ \t]*allow[ \t]+([A-Za-z0-9_.-]+)(?:[ \t]+--[ \t]*([^\n]*))?")
        .expect("static regex")
});

fn inline_waivers(path: &str, text: &str) -> Vec<InlineWaiver> {
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

#[derive(Default)]
struct Found {
    files_read: usize,
    violations: Vec<Violation>,
    inline_waivers: Vec<InlineWaiver>,
    errors: Vec<String>,
}

/// Walks `root` and checks every file a rule wants. `skip` is the policy file itself, whose
/// patterns would otherwise match themselves.
pub fn scan(root: &Path, policy: &Policy, skip: Option<&str>) -> Result<Scan> {
    let found = Mutex::new(Found::default());
    WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build_parallel()
        .run(|| {
            let found = &found;
            Box::new(move |entry| {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        found.lock().expect("lock").errors.push(e.to_string());
                        return WalkState::Continue;
                    }
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return WalkState::Continue;
                }
                let Ok(rel) = entry.path().strip_prefix(root) else {
                    return WalkState::Continue;
                };
                let path = slash_path(rel);
                if Some(path.as_str()) == skip || !rules::wants(policy, &path) {
                    return WalkState::Continue;
                }
                let bytes = match std::fs::read(entry.path()) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        found
                            .lock()
                            .expect("lock")
                            .errors
                            .push(format!("{path}: {e}"));
                        return WalkState::Continue;
                    }
                };
                // Binary files cannot hold imports, registries or source patterns.
                let Ok(text) = String::from_utf8(bytes) else {
                    return WalkState::Continue;
                };
                let violations = rules::check_file(policy, root, &path, &text);
                let waivers = inline_waivers(&path, &text);
                let mut found = found.lock().expect("lock");
                found.files_read += 1;
                found.violations.extend(violations);
                found.inline_waivers.extend(waivers);
                WalkState::Continue
            })
        });
    let found = found.into_inner().expect("lock");
    if !found.errors.is_empty() {
        return Err(Failure::usage(
            "Cannot read the repository",
            format!(
                "policy-check could not read {} path(s), so it cannot vouch for them:\n{}",
                found.errors.len(),
                found.errors.join("\n")
            ),
        )
        .with_fix("make the files readable, or list them in .gitignore or .ignore to skip them"));
    }
    Ok(Scan {
        files_read: found.files_read,
        violations: found.violations,
        inline_waivers: found.inline_waivers,
    })
}
