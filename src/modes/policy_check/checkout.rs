//! The files of a git checkout, as `git ls-files --cached --others --exclude-standard` lists
//! them, without git's untracked-file walk (on a 100,000-file checkout that walk took 0.20 s
//! and git's 30 MiB was the scan's peak memory): the tracked paths come from the index, read
//! in-process (index.rs), and the work tree is walked in parallel with git's own rules for
//! untracked files:
//!
//! - ignore rules from `.gitignore` in each directory (a symlinked one is not read, as git does
//!   not), `$GIT_COMMON_DIR/info/exclude` and the excludes file (`core.excludesFile` from git's
//!   own config, else `$XDG_CONFIG_HOME/git/ignore` or `~/.config/git/ignore`), in git's order
//!   of precedence; `.ignore` and `.rgignore` mean nothing;
//! - a directory the index holds as a submodule (gitlink) is not entered, nor is an untracked
//!   directory holding a repository (`.git` with a valid `HEAD`, `objects` and `refs`); a
//!   directory holding tracked files is walked whatever it holds;
//! - every tracked file is read whatever the ignore rules say: what the walk does not reach
//!   (ignored, or below an ignored directory) is read from the index's list after it.
//!
//! Whatever git may decide otherwise (`core.ignoreCase`, a `.git` that may or may not be a
//! repository, a split or sparse index, an ignore file that does not parse, `GIT_INDEX_FILE`)
//! is [`Listing::Git`] or a walk's `Err`: the caller asks git for its listing instead.

use std::ffi::OsStr;
use std::fs::FileType;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

use super::index::{self, DirInIndex, Tracked, Unusual};
use crate::git::Git;

/// How the files of the directory are listed.
pub(super) enum Listing {
    /// Not inside a git work tree.
    NotGit,
    /// A checkout this module lists.
    Checkout(Checkout),
    /// A checkout only git can list, and why.
    Git(Unusual),
}

pub(super) struct Checkout {
    root: PathBuf,
    tracked: Tracked,
    /// The `.gitignore` files of the directories from the work tree's top down to the root's
    /// parent (the nearest first in the chain).
    above: Option<Arc<Rules>>,
    /// `info/exclude`, then the excludes file: below every `.gitignore` in precedence.
    excludes: Vec<Gitignore>,
}

/// The `.gitignore` of one directory and those of the directories above it.
struct Rules {
    gitignore: Gitignore,
    parent: Option<Arc<Rules>>,
}

/// Whether a directory holds a repository of its own, as git decides
/// (`is_nonbare_repository_dir`).
enum Nested {
    No,
    Yes,
    Unsure,
}

fn git(root: &Path, args: &[&str]) -> std::io::Result<Output> {
    crate::runner::count_git_process();
    let mut cmd = Command::new("git");
    cmd.current_dir(root)
        .args(["-c", "safe.directory=*"])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C");
    crate::runner::secrets::remove_from(&mut cmd);
    cmd.output()
}

#[cfg(unix)]
fn bytes(s: &OsStr) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(s.as_bytes())
}

#[cfg(not(unix))]
fn bytes(s: &OsStr) -> std::borrow::Cow<'_, [u8]> {
    match s.to_string_lossy() {
        std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
        std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.into_bytes()),
    }
}

#[cfg(unix)]
fn os_str(b: &[u8]) -> &OsStr {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(b)
}

#[cfg(not(unix))]
fn os_str(b: &[u8]) -> &OsStr {
    OsStr::new(std::str::from_utf8(b).unwrap_or_default())
}

/// What git says of the directory: one `rev-parse`, then one `config` inside a work tree.
pub(super) fn open(root: &Path) -> Listing {
    let args = [
        "rev-parse",
        "--is-inside-work-tree",
        "--path-format=absolute",
        "--absolute-git-dir",
        "--git-common-dir",
        "--show-prefix",
        "--show-object-format",
    ];
    let out = match git(root, &args) {
        Ok(out) if out.status.success() => out.stdout,
        Ok(out) if out.stderr.starts_with(b"fatal: not a git repository") => {
            return Listing::NotGit
        }
        // An older git, or another failure: git's own answer decides.
        _ if Git::new(root).is_work_tree() => return Listing::Git("git rev-parse failed"),
        _ => return Listing::NotGit,
    };
    let lines: Vec<&[u8]> = out
        .strip_suffix(b"\n")
        .unwrap_or(&out)
        .split(|b| *b == b'\n')
        .collect();
    if lines.first() != Some(&&b"true"[..]) {
        return Listing::NotGit;
    }
    let &[_, git_dir, common_dir, prefix, format] = lines.as_slice() else {
        return Listing::Git("git rev-parse answered in an unexpected form");
    };
    match open_checkout(root, os_str(git_dir), os_str(common_dir), prefix, format) {
        Ok(checkout) => Listing::Checkout(checkout),
        Err(why) => Listing::Git(why),
    }
}

fn open_checkout(
    root: &Path,
    git_dir: &OsStr,
    common_dir: &OsStr,
    prefix: &[u8],
    format: &[u8],
) -> Result<Checkout, Unusual> {
    let hash_len = match format {
        b"sha1" => 20,
        b"sha256" => 32,
        _ => return Err("the repository's object format is not SHA-1 or SHA-256"),
    };
    if crate::runner::env::value("GIT_INDEX_FILE").is_some() {
        return Err("GIT_INDEX_FILE is set");
    }
    // The work tree's top: the root less the prefix's components.
    let depth = prefix
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
        .count();
    let top = root
        .ancestors()
        .nth(depth)
        .ok_or("the root is not below the work tree's top")?;
    if bytes(root.strip_prefix(top).unwrap_or(root).as_os_str()).as_ref()
        != prefix.strip_suffix(b"/").unwrap_or(prefix)
    {
        return Err("the root is not where git says it is in the work tree");
    }
    let excludes_file = config(root, top)?;
    let tracked = index::read(&Path::new(git_dir).join("index"), prefix, hash_len)?;
    let mut excludes = Vec::new();
    for file in [
        Some(Path::new(common_dir).join("info/exclude")),
        excludes_file,
    ]
    .into_iter()
    .flatten()
    {
        if let Some(gitignore) = ignore_file(top, &file, true)? {
            excludes.push(gitignore);
        }
    }
    let mut checkout = Checkout {
        root: root.to_path_buf(),
        tracked,
        above: None,
        excludes,
    };
    checkout.above = checkout.rules_above(top)?;
    Ok(checkout)
}

/// The excludes file git reads, from git's config: `core.excludesFile` (relative to the work
/// tree's top), else the default. `core.ignoreCase` leaves the listing to git.
fn config(root: &Path, top: &Path) -> Result<Option<PathBuf>, Unusual> {
    let args = [
        "config",
        "-z",
        "--type=path",
        "--get-regexp",
        r"^core\.(excludesfile|ignorecase)$",
    ];
    let out = git(root, &args).map_err(|_| "git config failed")?;
    // 1: neither is set.
    if !out.status.success() && out.status.code() != Some(1) {
        return Err("git config failed");
    }
    let mut excludes_file = None;
    for entry in out.stdout.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let (key, value) = match entry.iter().position(|b| *b == b'\n') {
            Some(i) => (&entry[..i], Some(&entry[i + 1..])),
            None => (entry, None),
        };
        if key == b"core.ignorecase" {
            let off = value.is_some_and(|v| {
                let v = String::from_utf8_lossy(v).to_ascii_lowercase();
                matches!(v.as_str(), "false" | "no" | "off" | "0" | "")
            });
            if !off {
                return Err("core.ignoreCase is set");
            }
        } else if let Some(value) = value.filter(|v| !v.is_empty()) {
            excludes_file = Some(top.join(os_str(value)));
        }
    }
    Ok(excludes_file.or_else(default_excludes_file))
}

/// `$XDG_CONFIG_HOME/git/ignore`, or `$HOME/.config/git/ignore`.
fn default_excludes_file() -> Option<PathBuf> {
    use crate::runner::env::value;
    match value("XDG_CONFIG_HOME") {
        Some(xdg) => Some(PathBuf::from(xdg).join("git/ignore")),
        None => value("HOME").map(|home| PathBuf::from(home).join(".config/git/ignore")),
    }
}

/// The patterns of an ignore file, matched relative to `dir`; `None` when there is none (or, for
/// a `.gitignore` in the work tree, when it is not a regular file: git does not follow a
/// symlink there).
fn ignore_file(dir: &Path, file: &Path, follow: bool) -> Result<Option<Gitignore>, Unusual> {
    let meta = if follow {
        std::fs::metadata(file)
    } else {
        std::fs::symlink_metadata(file)
    };
    match meta {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err("an ignore file cannot be read"),
    }
    let mut builder = GitignoreBuilder::new(dir);
    if builder.add(file).is_some() {
        return Err("an ignore file holds a pattern this reader does not parse as git does");
    }
    let gitignore = builder
        .build()
        .map_err(|_| "an ignore file holds a pattern this reader does not parse as git does")?;
    Ok((!gitignore.is_empty()).then_some(gitignore))
}

/// Adds `dir`'s `.gitignore` to `rules`.
fn with_gitignore(dir: &Path, rules: Option<&Arc<Rules>>) -> Result<Option<Arc<Rules>>, Unusual> {
    Ok(match ignore_file(dir, &dir.join(".gitignore"), false)? {
        Some(gitignore) => Some(Arc::new(Rules {
            gitignore,
            parent: rules.cloned(),
        })),
        None => rules.cloned(),
    })
}

/// Whether `dir` holds a repository, as git's `is_nonbare_repository_dir` decides: `.git` is a
/// directory (or a `gitdir:` file naming one) with a valid `HEAD`, and `objects` and `refs` in
/// its common directory. `Unsure` where only git can tell.
fn nested(dir: &Path) -> Nested {
    let dot_git = dir.join(".git");
    match std::fs::symlink_metadata(&dot_git) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Nested::No,
        Ok(meta) if meta.is_dir() => match std::fs::symlink_metadata(dot_git.join("HEAD")) {
            // No HEAD: never a repository to git.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Nested::No,
            _ if is_git_dir(&dot_git) => Nested::Yes,
            _ => Nested::Unsure,
        },
        Ok(meta) if meta.is_file() => {
            let text = std::fs::read(&dot_git).unwrap_or_default();
            let target = text
                .strip_prefix(b"gitdir: ")
                .map(|t| t.trim_ascii_end())
                .map(|t| dir.join(os_str(t)));
            match target {
                Some(target) if is_git_dir(&target) => Nested::Yes,
                _ => Nested::Unsure,
            }
        }
        _ => Nested::Unsure,
    }
}

/// A git directory git would certainly take for one (`is_git_directory`).
fn is_git_dir(dir: &Path) -> bool {
    let head = std::fs::read(dir.join("HEAD")).unwrap_or_default();
    let head_ok = head
        .strip_prefix(b"ref:")
        .is_some_and(|r| r.trim_ascii_start().starts_with(b"refs/"))
        || (head.len() >= 40 && head[..40].iter().all(u8::is_ascii_hexdigit));
    let common = match std::fs::read(dir.join("commondir")) {
        Ok(text) => dir.join(os_str(text.trim_ascii_end())),
        Err(_) => dir.to_path_buf(),
    };
    head_ok && common.join("objects").is_dir() && common.join("refs").is_dir()
}

impl Checkout {
    /// The `.gitignore` files from the top down to the root's parent, and whether the root
    /// itself is ignored (then git lists no untracked file below it: left to git).
    fn rules_above(&self, top: &Path) -> Result<Option<Arc<Rules>>, Unusual> {
        let mut rules = None;
        let mut dir = top.to_path_buf();
        let rel = self.root.strip_prefix(top).unwrap_or(Path::new(""));
        for component in rel.components() {
            rules = with_gitignore(&dir, rules.as_ref())?;
            dir.push(component);
            if self.excluded(rules.as_ref(), &dir, true) {
                return Err("the root is in an ignored directory");
            }
        }
        Ok(rules)
    }

    /// Whether git's ignore rules exclude `path`: the nearest `.gitignore` with a matching
    /// pattern decides, then `info/exclude`, then the excludes file.
    fn excluded(&self, rules: Option<&Arc<Rules>>, path: &Path, is_dir: bool) -> bool {
        let mut node = rules;
        let chain = std::iter::from_fn(|| {
            let rules = node?;
            node = rules.parent.as_ref();
            Some(&rules.gitignore)
        });
        for gitignore in chain.chain(&self.excludes) {
            match gitignore.matched(path, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }

    /// Calls a visitor (one per thread, from `make`) with each file git lists, repo-relative
    /// path, absolute path and, when the walk knows it, its type. Returns the directories that
    /// could not be listed, or why only git can list this checkout.
    pub(super) fn walk<F>(
        &self,
        threads: usize,
        make: impl Fn() -> F + Sync,
    ) -> Result<Vec<String>, Unusual>
    where
        F: FnMut(&str, &Path, Option<FileType>),
    {
        let queue = Queue::new(Dir {
            abs: self.root.clone(),
            rel: Vec::new(),
            rules: self.above.clone(),
        });
        let visited: Vec<AtomicU64> = (0..self.tracked.len().div_ceil(64))
            .map(|_| AtomicU64::new(0))
            .collect();
        let errors = Mutex::new(Vec::new());
        let unusual = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..threads.max(1) {
                s.spawn(|| {
                    let mut visit = make();
                    while let Some(dir) = queue.next() {
                        let _busy = Busy(&queue);
                        let mut walk = DirWalk {
                            checkout: self,
                            queue: &queue,
                            visited: &visited,
                            visit: &mut visit,
                        };
                        match walk.dir(dir) {
                            Ok(Some(error)) => errors.lock().expect("lock").push(error),
                            Ok(None) => {}
                            Err(why) => {
                                *unusual.lock().expect("lock") = Some(why);
                                queue.stop();
                            }
                        }
                    }
                });
            }
        });
        if let Some(why) = unusual.into_inner().expect("lock") {
            return Err(why);
        }
        self.unreached(threads, &visited, make);
        Ok(errors.into_inner().expect("lock"))
    }

    /// The tracked files the walk did not reach (ignored, below an ignored directory, deleted
    /// from the work tree), shared out to the threads.
    fn unreached<F>(&self, threads: usize, visited: &[AtomicU64], make: impl Fn() -> F + Sync)
    where
        F: FnMut(&str, &Path, Option<FileType>),
    {
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads.max(1) {
                s.spawn(|| {
                    let mut visit = make();
                    loop {
                        let b = next.fetch_add(1, Ordering::Relaxed);
                        if b >= self.tracked.blocks() {
                            break;
                        }
                        self.tracked.scan_block(b, |i, path| {
                            let seen =
                                visited[i / 64].load(Ordering::Relaxed) & (1 << (i % 64)) != 0;
                            if !seen && !self.tracked.is_gitlink(i) {
                                visit(
                                    &String::from_utf8_lossy(path),
                                    &self.root.join(os_str(path)),
                                    None,
                                );
                            }
                            true
                        });
                    }
                });
            }
        });
    }
}

/// A directory to walk: its path, its path relative to the root (empty, or ending in `/`), and
/// the ignore rules that apply to what it holds (its own `.gitignore` not yet among them).
struct Dir {
    abs: PathBuf,
    rel: Vec<u8>,
    rules: Option<Arc<Rules>>,
}

/// One thread's walk of one directory.
struct DirWalk<'a, F> {
    checkout: &'a Checkout,
    queue: &'a Queue,
    visited: &'a [AtomicU64],
    visit: &'a mut F,
}

impl<F: FnMut(&str, &Path, Option<FileType>)> DirWalk<'_, F> {
    /// Lists `dir`: its subdirectories go to the queue, its files to the visitor. `Ok(Some)` is
    /// a directory that could not be listed.
    fn dir(&mut self, dir: Dir) -> Result<Option<String>, Unusual> {
        let shown = || {
            let rel = String::from_utf8_lossy(&dir.rel).into_owned();
            if rel.is_empty() {
                ".".to_string()
            } else {
                rel
            }
        };
        let entries = match std::fs::read_dir(&dir.abs) {
            Ok(entries) => entries,
            // Gone since its parent was listed.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Ok(Some(format!("{}: {e}", shown()))),
        };
        let mut listed = Vec::new();
        for entry in entries {
            let entry = entry.and_then(|e| Ok((e.file_name(), e.file_type()?)));
            match entry {
                Ok(entry) => listed.push(entry),
                Err(e) => return Ok(Some(format!("{}: {e}", shown()))),
            }
        }
        let rules = if listed.iter().any(|(name, _)| name == ".gitignore") {
            with_gitignore(&dir.abs, dir.rules.as_ref())?
        } else {
            dir.rules.clone()
        };
        for (name, file_type) in listed {
            if name == ".git" {
                continue;
            }
            let abs = dir.abs.join(&name);
            let mut rel = Vec::with_capacity(dir.rel.len() + name.len() + 1);
            rel.extend_from_slice(&dir.rel);
            rel.extend_from_slice(&bytes(&name));
            if file_type.is_dir() {
                if self.enters(rules.as_ref(), &abs, &rel)? {
                    rel.push(b'/');
                    self.queue.push(Dir {
                        abs,
                        rel,
                        rules: rules.clone(),
                    });
                }
            } else if file_type.is_file() || file_type.is_symlink() {
                match self.checkout.tracked.find(&rel) {
                    Some(i) => {
                        self.visited[i / 64].fetch_or(1 << (i % 64), Ordering::Relaxed);
                    }
                    None if self.checkout.excluded(rules.as_ref(), &abs, false) => continue,
                    None => {}
                }
                (self.visit)(&String::from_utf8_lossy(&rel), &abs, Some(file_type));
            }
        }
        Ok(None)
    }

    /// Whether git looks for untracked files in the directory (`treat_directory`).
    fn enters(&self, rules: Option<&Arc<Rules>>, abs: &Path, rel: &[u8]) -> Result<bool, Unusual> {
        if self.checkout.excluded(rules, abs, true) {
            return Ok(false);
        }
        Ok(match self.checkout.tracked.dir(rel) {
            DirInIndex::Gitlink => false,
            DirInIndex::HasTracked => true,
            DirInIndex::Untracked => match nested(abs) {
                Nested::No => true,
                Nested::Yes => false,
                Nested::Unsure => {
                    return Err(
                        "a directory holds a `.git` git may or may not take for a repository",
                    )
                }
            },
        })
    }
}

/// The directories still to walk, shared by the threads: a thread waits while others may
/// still find more, and all stop when none is left and none is being walked.
struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

struct QueueState {
    dirs: Vec<Dir>,
    busy: usize,
    stopped: bool,
}

/// Marks a directory done when the thread is through with it (panicking included).
struct Busy<'a>(&'a Queue);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.state.lock() {
            state.busy -= 1;
            if state.busy == 0 && state.dirs.is_empty() {
                self.0.ready.notify_all();
            }
        }
    }
}

impl Queue {
    fn new(first: Dir) -> Self {
        Queue {
            state: Mutex::new(QueueState {
                dirs: vec![first],
                busy: 0,
                stopped: false,
            }),
            ready: Condvar::new(),
        }
    }

    fn next(&self) -> Option<Dir> {
        let mut state = self.state.lock().ok()?;
        loop {
            if state.stopped {
                return None;
            }
            if let Some(dir) = state.dirs.pop() {
                state.busy += 1;
                return Some(dir);
            }
            if state.busy == 0 {
                return None;
            }
            state = self.ready.wait(state).ok()?;
        }
    }

    fn push(&self, dir: Dir) {
        if let Ok(mut state) = self.state.lock() {
            state.dirs.push(dir);
            self.ready.notify_one();
        }
    }

    fn stop(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.stopped = true;
            self.ready.notify_all();
        }
    }
}
