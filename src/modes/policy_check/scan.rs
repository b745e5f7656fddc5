//! The files of the repository, read in parallel. A file is read only if a rule wants it, and
//! then once: every rule and the inline-waiver scan (waivers.rs) share the text.
//!
//! Which files: inside a git repository, every tracked file (whatever `.gitignore` or `.ignore`
//! say: a pull request controls both, and git still hands tracked files to whoever checks the
//! repository out) plus untracked files git does not ignore. Outside git, a walk that honours
//! `.gitignore` and `.ignore`.
//!
//! Nothing the policy wants is skipped silently: invalid UTF-8 is read lossily (node and Python
//! run a file with one bad byte in a comment), only content with NUL bytes counts as binary, a
//! symlink is read as its target when that stays inside the repository and is a finding when it
//! leaves it, and a file over [`MAX_FILE_BYTES`] is a finding instead of a read that could take
//! the runner's memory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use ignore::WalkBuilder;

use super::config::Policy;
use super::imports::Language;
use super::registry_refs::RefFile;
use super::text::slash_path;
use super::waivers::{finding, inline_waivers, InlineWaiver};
use super::{rules, Violation, FILE_TOO_LARGE, SYMLINK_NOT_SCANNED};
use crate::error::{Failure, Result};
use crate::git::Git;

/// The largest file policy-check reads (16 MiB). Each scanning thread holds at most one file,
/// so memory stays under threads × this cap whatever the repository holds.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// How much of a file decides whether it is binary (a NUL byte in it), as git decides.
const BINARY_PROBE_BYTES: usize = 8000;

pub struct Scan {
    pub files_read: usize,
    pub violations: Vec<Violation>,
    pub inline_waivers: Vec<InlineWaiver>,
}

#[derive(Default)]
struct Found {
    files_read: usize,
    violations: Vec<Violation>,
    inline_waivers: Vec<InlineWaiver>,
    errors: Vec<String>,
}

/// A path the repository holds: repo-relative (`/`-separated) and on disk.
struct Candidate {
    rel: String,
    abs: PathBuf,
}

/// What became of one candidate.
enum Outcome {
    Skipped,
    Read(String),
    Finding(Violation),
    Error(String),
}

/// Checks every file a rule wants. `skip` is the policy file itself, whose patterns would
/// otherwise match themselves.
pub fn scan(root: &Path, policy: &Policy, skip: Option<&str>) -> Result<Scan> {
    let candidates = candidates(root)?;
    let root_real = std::fs::canonicalize(root)?;
    let found = Mutex::new(Found::default());
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(candidates.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(candidate) = candidates.get(i) else {
                    break;
                };
                if Some(candidate.rel.as_str()) == skip || !rules::wants(policy, &candidate.rel) {
                    continue;
                }
                match read(&root_real, candidate) {
                    Outcome::Skipped => {}
                    Outcome::Error(e) => found.lock().expect("lock").errors.push(e),
                    Outcome::Finding(v) => found.lock().expect("lock").violations.push(v),
                    Outcome::Read(text) => {
                        let violations = rules::check_file(policy, root, &candidate.rel, &text);
                        let waivers = inline_waivers(&candidate.rel, &text);
                        let mut found = found.lock().expect("lock");
                        found.files_read += 1;
                        found.violations.extend(violations);
                        found.inline_waivers.extend(waivers);
                    }
                }
            });
        }
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
        .with_fix("make the files readable, or delete them from the checkout"));
    }
    Ok(Scan {
        files_read: found.files_read,
        violations: found.violations,
        inline_waivers: found.inline_waivers,
    })
}

/// The files (and symlinks) under `root`, sorted.
fn candidates(root: &Path) -> Result<Vec<Candidate>> {
    let git = Git::new(root);
    let mut rels: Vec<String> = if git.is_work_tree() {
        git.files_not_ignored()?
            .into_iter()
            .map(|p| slash_path(&p))
            .collect()
    } else {
        let mut rels = Vec::new();
        let mut errors = Vec::new();
        let walk = WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|entry| entry.file_name() != ".git")
            .build();
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    errors.push(e.to_string());
                    continue;
                }
            };
            let is_leaf = entry
                .file_type()
                .is_some_and(|t| t.is_file() || t.is_symlink());
            if let (true, Ok(rel)) = (is_leaf, entry.path().strip_prefix(root)) {
                rels.push(slash_path(rel));
            }
        }
        if !errors.is_empty() {
            return Err(Failure::usage(
                "Cannot read the repository",
                format!(
                    "policy-check could not list {} path(s), so it cannot vouch for them:\n{}",
                    errors.len(),
                    errors.join("\n")
                ),
            )
            .with_fix("make the directories readable, or delete them from the checkout"));
        }
        rels
    };
    rels.sort();
    rels.dedup();
    Ok(rels
        .into_iter()
        .map(|rel| Candidate {
            abs: root.join(&rel),
            rel,
        })
        .collect())
}

/// Reads one candidate the way the tools that use it would: through a symlink that stays inside
/// the repository, lossily when it is not valid UTF-8.
fn read(root_real: &Path, candidate: &Candidate) -> Outcome {
    let rel = &candidate.rel;
    let meta = match std::fs::symlink_metadata(&candidate.abs) {
        Ok(meta) => meta,
        // Tracked but deleted from the checkout: nothing there for a tool to read.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Outcome::Skipped,
        Err(e) => return Outcome::Error(format!("{rel}: {e}")),
    };
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&candidate.abs)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_default();
        match std::fs::canonicalize(&candidate.abs) {
            Ok(real) if crate::runner::inputs::is_within(&real, root_real) => {
                if !real.is_file() {
                    return Outcome::Skipped;
                }
            }
            Ok(_) => {
                return Outcome::Finding(finding(
                    &SYMLINK_NOT_SCANNED,
                    rel,
                    1,
                    1,
                    format!(
                        "`{rel}` is a symlink to `{target}`, outside the repository: its content \
                         was not checked, but tools that read `{rel}` read that file"
                    ),
                ))
            }
            Err(_) => {
                return Outcome::Finding(finding(
                    &SYMLINK_NOT_SCANNED,
                    rel,
                    1,
                    1,
                    format!("`{rel}` is a symlink to `{target}`, which does not exist"),
                ))
            }
        }
    } else if !meta.is_file() {
        return Outcome::Skipped;
    }
    let mut file = match std::fs::File::open(&candidate.abs) {
        Ok(file) => file,
        Err(e) => return Outcome::Error(format!("{rel}: {e}")),
    };
    // Read one byte past the cap: a file that grows while it is read is still caught.
    let mut bytes = Vec::new();
    if let Err(e) = (&mut file).take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes) {
        return Outcome::Error(format!("{rel}: {e}"));
    }
    // Source and package-manager files are read whatever they hold: the tools run them anyway.
    let known = Language::of(rel).is_some() || RefFile::of(rel).is_some();
    let probe = &bytes[..bytes.len().min(BINARY_PROBE_BYTES)];
    if !known && probe.contains(&0) {
        return Outcome::Skipped;
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Outcome::Finding(finding(
            &FILE_TOO_LARGE,
            rel,
            1,
            1,
            format!(
                "`{rel}` is larger than {} MiB, the most policy-check reads of one file: its \
                 content was not checked",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    Outcome::Read(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}
