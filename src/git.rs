//! Git, run as a subprocess in the repository being released. Read-only: nothing here writes to
//! the repository.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Failure, Result};

/// Each git process costs a few milliseconds, which is most of version-guard's run time, so what
/// is asked twice is answered from memory.
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
    committer_times: RefCell<HashMap<String, i64>>,
}

impl Git {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Git {
            dir: dir.into(),
            committer_times: RefCell::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.dir)
            // The workspace may belong to another user on self-hosted runners and containers.
            .args(["-c", "safe.directory=*"])
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C");
        crate::runner::secrets::remove_from(&mut cmd);
        cmd
    }

    /// Runs git and returns its trimmed stdout, or an error that quotes git's own message.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let out = self.command().args(args).output().map_err(|e| {
            Failure::usage("Git is not available", format!("could not run git: {e}"))
                .with_fix("install git on the runner, or use `tags-from: api`")
        })?;
        if !out.status.success() {
            return Err(Failure::usage(
                "Git failed",
                format!(
                    "git {} failed in {}: {}",
                    args.join(" "),
                    self.dir.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    }

    /// Like [`Git::run`] but `None` when git exits non-zero (a question whose answer is "no").
    pub fn try_run(&self, args: &[&str]) -> Option<String> {
        let out = self.command().args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    }

    pub fn is_repository(&self) -> bool {
        self.shallow_state().is_some()
    }

    /// A shallow clone has cut history and, as actions/checkout makes it, no tags.
    pub fn is_shallow(&self) -> bool {
        self.shallow_state() == Some(true)
    }

    /// `None` outside a repository, else whether the clone is shallow: one process for both
    /// questions.
    pub fn shallow_state(&self) -> Option<bool> {
        self.try_run(&["rev-parse", "--is-shallow-repository"])
            .map(|s| s.trim() == "true")
    }

    /// Every tag name (lightweight and annotated), unsorted. Names only: asking for objects
    /// makes git read every tag object, which costs more than everything else version-guard does.
    pub fn tag_names(&self) -> Result<Vec<String>> {
        self.list_tags(&[])
    }

    /// Tags reachable from `rev` (merged into it), for the nearest-ancestor rules of Go.
    pub fn tags_merged_into(&self, rev: &str) -> Result<Vec<String>> {
        self.list_tags(&["--merged", rev])
    }

    /// Tags that point at `rev` itself (a lightweight tag on it, or an annotated tag of it).
    pub fn tags_pointing_at(&self, rev: &str) -> Result<Vec<String>> {
        self.list_tags(&["--points-at", rev])
    }

    fn list_tags(&self, filter: &[&str]) -> Result<Vec<String>> {
        let mut args = vec!["for-each-ref", "--format=%(refname:strip=2)"];
        args.extend_from_slice(filter);
        args.push("refs/tags");
        let text = self.run(&args)?;
        Ok(text
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// The full sha `rev` points at (`^{commit}` peels annotated tags).
    pub fn rev_parse(&self, rev: &str) -> Result<String> {
        self.run(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ])
    }

    /// The commit's committer time, seconds since the epoch (what Go checks pseudo-versions against).
    pub fn committer_time(&self, rev: &str) -> Result<i64> {
        if let Some(time) = self.committer_times.borrow().get(rev) {
            return Ok(*time);
        }
        let text = self.run(&["show", "-s", "--format=%ct", rev])?;
        let time = text.trim().parse::<i64>().map_err(|_| {
            Failure::usage(
                "Git failed",
                format!("unexpected committer time {text:?} for {rev}"),
            )
        })?;
        self.committer_times
            .borrow_mut()
            .insert(rev.to_string(), time);
        Ok(time)
    }

    /// The current branch, when HEAD is on one.
    pub fn current_branch(&self) -> Option<String> {
        self.try_run(&["symbolic-ref", "--quiet", "--short", "HEAD"])
    }

    /// Whether the directory is inside a git work tree.
    pub fn is_work_tree(&self) -> bool {
        self.try_run(&["rev-parse", "--is-inside-work-tree"])
            .is_some_and(|s| s.trim() == "true")
    }

    /// Every tracked file under the directory (whatever the ignore files say) and every untracked
    /// one git does not ignore, relative to the directory.
    pub fn files_not_ignored(&self) -> Result<Vec<PathBuf>> {
        let args = [
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ];
        let out = self.command().args(args).output().map_err(|e| {
            Failure::usage("Git is not available", format!("could not run git: {e}"))
        })?;
        if !out.status.success() {
            return Err(Failure::usage(
                "Git failed",
                format!(
                    "git {} failed in {}: {}",
                    args.join(" "),
                    self.dir.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            ));
        }
        Ok(out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(path_from_bytes)
            .collect())
    }
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}
