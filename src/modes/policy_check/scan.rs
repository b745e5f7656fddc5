//! The files of the repository, read in parallel. A file is read only if a rule wants it, and
//! then once: every rule and the inline-waiver scan (waivers.rs) share the text.
//!
//! Which files: inside a git repository, every tracked file (whatever `.gitignore` or `.ignore`
//! say: a pull request controls both, and git still hands tracked files to whoever checks the
//! repository out) plus untracked files git does not ignore, from one `git ls-files -z`. Outside
//! git, a parallel walk that honours `.gitignore` and `.ignore`. Either way no list of contents
//! or of paths beyond git's own answer is held: each thread reads one file at a time into a
//! buffer it reuses, and what it finds is sorted once at the end, so the result does not depend
//! on which thread read what.
//!
//! Nothing the policy wants is skipped silently: invalid UTF-8 is read lossily (node and Python
//! run a file with one bad byte in a comment), only content with NUL bytes counts as binary, a
//! symlink is read as its target when that stays inside the repository and is a finding when it
//! leaves it, and a file over [`MAX_FILE_BYTES`] is a finding instead of a read that could take
//! the runner's memory.

use std::borrow::Cow;
use std::fs::FileType;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use super::checkout::{self, Listing};
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

/// A thread keeps its read buffer up to this size between files; a larger one (a big file) is
/// given back after the file.
const KEPT_BUFFER_BYTES: usize = 1024 * 1024;

pub struct Scan {
    /// How the files were listed, for the log.
    pub listing: String,
    pub files_read: usize,
    pub violations: Vec<Violation>,
    pub inline_waivers: Vec<InlineWaiver>,
}

/// What one thread found.
#[derive(Default)]
struct Found {
    files_read: usize,
    violations: Vec<Violation>,
    inline_waivers: Vec<InlineWaiver>,
    /// Paths that could not be read.
    errors: Vec<String>,
    /// Directories the walk could not list (outside git).
    list_errors: Vec<String>,
}

impl Found {
    fn merge(&mut self, other: Found) {
        self.files_read += other.files_read;
        self.violations.extend(other.violations);
        self.inline_waivers.extend(other.inline_waivers);
        self.errors.extend(other.errors);
        self.list_errors.extend(other.list_errors);
    }
}

/// What the scan shares between its threads.
struct Ctx<'a> {
    root: &'a Path,
    root_real: PathBuf,
    policy: &'a Policy,
    skip: Option<&'a str>,
    threads: usize,
}

/// One thread's state: what it found and the buffer it reads into. What it found joins `all`
/// when the thread is done with it.
struct Worker<'a> {
    ctx: &'a Ctx<'a>,
    all: &'a Mutex<Found>,
    found: Found,
    buf: Vec<u8>,
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let found = std::mem::take(&mut self.found);
        // A poisoned lock means another thread panicked, and the scan reports that panic.
        if let Ok(mut all) = self.all.lock() {
            all.merge(found);
        }
    }
}

/// What became of one file.
enum Outcome<'b> {
    Skipped,
    Read(Cow<'b, str>),
    Finding(Violation),
    Error(String),
}

/// Checks every file a rule wants. `skip` is the policy file itself, whose patterns would
/// otherwise match themselves.
pub fn scan(root: &Path, policy: &Policy, skip: Option<&str>) -> Result<Scan> {
    let ctx = Ctx {
        root,
        root_real: std::fs::canonicalize(root)?,
        policy,
        skip,
        threads: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    let (mut found, listing) = match checkout::open(root) {
        Listing::NotGit => (scan_walk(&ctx), "a walk of the directory".to_string()),
        Listing::Checkout(checkout) => match scan_checkout(&ctx, &checkout) {
            Ok(found) => (found, "git's index and a walk of the work tree".to_string()),
            Err(why) => scan_git(&ctx, why)?,
        },
        Listing::Git(why) => scan_git(&ctx, why)?,
    };
    if !found.list_errors.is_empty() {
        found.list_errors.sort();
        return Err(Failure::usage(
            "Cannot read the repository",
            format!(
                "policy-check could not list {} path(s), so it cannot vouch for them:\n{}",
                found.list_errors.len(),
                found.list_errors.join("\n")
            ),
        )
        .with_fix("make the directories readable, or delete them from the checkout"));
    }
    if !found.errors.is_empty() {
        found.errors.sort();
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
    // Whichever thread read what, the same order.
    found.violations.sort_by(|a, b| {
        (&a.file, a.line, a.col, &a.rule, &a.detail)
            .cmp(&(&b.file, b.line, b.col, &b.rule, &b.detail))
    });
    found
        .inline_waivers
        .sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    Ok(Scan {
        listing,
        files_read: found.files_read,
        violations: found.violations,
        inline_waivers: found.inline_waivers,
    })
}

/// A checkout listed by the index and a walk with git's rules (checkout.rs); `Err` when only
/// git can list it, and then nothing the walk read counts.
fn scan_checkout(
    ctx: &Ctx,
    checkout: &checkout::Checkout,
) -> std::result::Result<Found, &'static str> {
    let all = Mutex::new(Found::default());
    let list_errors = checkout.walk(ctx.threads, || {
        let mut worker = Worker::new(ctx, &all);
        move |rel: &str, abs: &Path, file_type: Option<FileType>| worker.visit(rel, abs, file_type)
    })?;
    let mut found = all.into_inner().expect("lock");
    found.list_errors.extend(list_errors);
    Ok(found)
}

/// A checkout only git can list: `git ls-files --cached --others --exclude-standard`.
fn scan_git(ctx: &Ctx, why: &str) -> Result<(Found, String)> {
    let paths = Git::new(ctx.root).files_not_ignored()?;
    Ok((scan_listed(ctx, &paths), format!("git ls-files ({why})")))
}

/// The paths git listed (repo-relative), shared out to the threads one at a time. A path git
/// lists twice (an unmerged file, once per stage) is read once.
fn scan_listed(ctx: &Ctx, paths: &[PathBuf]) -> Found {
    let next = AtomicUsize::new(0);
    let all = Mutex::new(Found::default());
    let threads = ctx.threads.min(paths.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut worker = Worker::new(ctx, &all);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(i) else {
                        break;
                    };
                    if i > 0 && paths[i - 1] == *path {
                        continue;
                    }
                    worker.visit(&rel_path(path), &ctx.root.join(path), None);
                }
            });
        }
    });
    all.into_inner().expect("lock")
}

/// Outside git: a parallel walk honouring `.gitignore` and `.ignore`, each file checked as the
/// walk reaches it, with the type the directory listing gave (no second `stat`).
fn scan_walk(ctx: &Ctx) -> Found {
    let all = Mutex::new(Found::default());
    WalkBuilder::new(ctx.root)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .threads(ctx.threads)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build_parallel()
        .run(|| {
            let mut worker = Worker::new(ctx, &all);
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => {
                        let file_type = entry.file_type();
                        let is_leaf = file_type.is_some_and(|t| t.is_file() || t.is_symlink());
                        if let (true, Ok(rel)) = (is_leaf, entry.path().strip_prefix(ctx.root)) {
                            worker.visit(&rel_path(rel), entry.path(), file_type);
                        }
                    }
                    Err(e) => worker.found.list_errors.push(e.to_string()),
                }
                WalkState::Continue
            })
        });
    all.into_inner().expect("lock")
}

/// A repo-relative path as rules and reports name it: `/`-separated.
fn rel_path(path: &Path) -> Cow<'_, str> {
    if cfg!(unix) {
        // Already `/`-separated, and git and the walk give no `.` or `..` components.
        path.to_string_lossy()
    } else {
        Cow::Owned(slash_path(path))
    }
}

impl<'a> Worker<'a> {
    fn new(ctx: &'a Ctx<'a>, all: &'a Mutex<Found>) -> Self {
        Worker {
            ctx,
            all,
            found: Found::default(),
            buf: Vec::new(),
        }
    }

    /// Checks one path when a rule wants it. `file_type`, when the walk knows it, spares a
    /// `stat`.
    fn visit(&mut self, rel: &str, abs: &Path, file_type: Option<FileType>) {
        let ctx = self.ctx;
        if Some(rel) == ctx.skip || !rules::wants(ctx.policy, rel) {
            return;
        }
        self.buf.clear();
        match read(&ctx.root_real, rel, abs, file_type, &mut self.buf) {
            Outcome::Skipped => {}
            Outcome::Error(e) => self.found.errors.push(e),
            Outcome::Finding(v) => self.found.violations.push(v),
            Outcome::Read(text) => {
                let found = &mut self.found;
                found.files_read += 1;
                found
                    .violations
                    .extend(rules::check_file(ctx.policy, ctx.root, rel, &text));
                found.inline_waivers.extend(inline_waivers(rel, &text));
            }
        }
        if self.buf.capacity() > KEPT_BUFFER_BYTES {
            self.buf = Vec::new();
        }
    }
}

/// Reads one path the way the tools that use it would: through a symlink that stays inside the
/// repository, lossily when it is not valid UTF-8. `buf` is empty and holds the bytes read.
fn read<'b>(
    root_real: &Path,
    rel: &str,
    abs: &Path,
    file_type: Option<FileType>,
    buf: &'b mut Vec<u8>,
) -> Outcome<'b> {
    let file_type = match file_type {
        Some(file_type) => file_type,
        None => match std::fs::symlink_metadata(abs) {
            Ok(meta) => meta.file_type(),
            // Tracked but deleted from the checkout: nothing there for a tool to read.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Outcome::Skipped,
            Err(e) => return Outcome::Error(format!("{rel}: {e}")),
        },
    };
    if file_type.is_symlink() {
        if let Some(outcome) = symlink(root_real, rel, abs) {
            return outcome;
        }
    } else if !file_type.is_file() {
        return Outcome::Skipped;
    }
    let file = match std::fs::File::open(abs) {
        Ok(file) => file,
        // Gone between the listing and the read (a walk racing a build): nothing to read.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Outcome::Skipped,
        Err(e) => return Outcome::Error(format!("{rel}: {e}")),
    };
    // Read one byte past the cap: a file that grows while it is read is still caught.
    if let Err(e) = file.take(MAX_FILE_BYTES + 1).read_to_end(buf) {
        return Outcome::Error(format!("{rel}: {e}"));
    }
    let bytes: &'b [u8] = buf;
    // Source and package-manager files are read whatever they hold: the tools run them anyway.
    let probe = &bytes[..bytes.len().min(BINARY_PROBE_BYTES)];
    if probe.contains(&0) && Language::of(rel).is_none() && RefFile::of(rel).is_none() {
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
    Outcome::Read(String::from_utf8_lossy(bytes))
}

/// A symlink: `None` when it leads to a file inside the repository (read it), a finding when it
/// leaves the repository or leads nowhere, skipped when it leads to something else.
fn symlink<'b>(root_real: &Path, rel: &str, abs: &Path) -> Option<Outcome<'b>> {
    let target = std::fs::read_link(abs)
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_default();
    match std::fs::canonicalize(abs) {
        Ok(real) if crate::runner::inputs::is_within(&real, root_real) => {
            (!real.is_file()).then_some(Outcome::Skipped)
        }
        Ok(_) => Some(Outcome::Finding(finding(
            &SYMLINK_NOT_SCANNED,
            rel,
            1,
            1,
            format!(
                "`{rel}` is a symlink to `{target}`, outside the repository: its content was not \
                 checked, but tools that read `{rel}` read that file"
            ),
        ))),
        Err(_) => Some(Outcome::Finding(finding(
            &SYMLINK_NOT_SCANNED,
            rel,
            1,
            1,
            format!("`{rel}` is a symlink to `{target}`, which does not exist"),
        ))),
    }
}
