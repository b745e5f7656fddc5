//! Git, run as a subprocess in the repository being released. Read-only: nothing here writes to
//! the repository.

mod objects;
mod refs;

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Failure, Result};

/// Each git process costs a few milliseconds, which is most of version-guard's run time, so what
/// is asked twice is answered from memory, and what git's own files answer plainly (is this a
/// repository, is it shallow, which tags, where HEAD is, a whole commit's committer time) is read
/// in-process (`refs`, `objects`), with git asked whenever the layout is anything but plain.
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
    committer_times: RefCell<HashMap<String, i64>>,
    local: OnceCell<Option<refs::Repo>>,
    local_tags: OnceCell<Option<BTreeMap<String, refs::Tag>>>,
}

impl Git {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Git {
            dir: dir.into(),
            committer_times: RefCell::default(),
            local: OnceCell::new(),
            local_tags: OnceCell::new(),
        }
    }

    fn local(&self) -> Option<&refs::Repo> {
        self.local
            .get_or_init(|| refs::discover(&self.dir))
            .as_ref()
    }

    fn local_tags(&self) -> Option<&BTreeMap<String, refs::Tag>> {
        self.local_tags
            .get_or_init(|| self.local().and_then(refs::Repo::tags))
            .as_ref()
    }

    /// Whether the tags come from git's files in-process (`false`: git is asked).
    pub fn reads_tags_in_process(&self) -> bool {
        self.local_tags().is_some()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn command(&self) -> Command {
        crate::runner::count_git_process();
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
        if let Some(repo) = self.local() {
            return Some(repo.shallow);
        }
        self.try_run(&["rev-parse", "--is-shallow-repository"])
            .map(|s| s.trim() == "true")
    }

    /// Every tag name (lightweight and annotated), unsorted. Names only: asking for objects
    /// makes git read every tag object, which costs more than everything else version-guard does.
    pub fn tag_names(&self) -> Result<Vec<String>> {
        match self.local_tags() {
            Some(tags) => Ok(tags.keys().cloned().collect()),
            None => self.list_tags(&[]),
        }
    }

    /// Whether tag `name` points at commit `sha` (itself, or an annotated tag of it), when git's
    /// files say so without reading an object; `None` when only git can tell.
    pub fn tag_points_at(&self, name: &str, sha: &str) -> Option<bool> {
        let tag = self.local_tags()?.get(name)?;
        let sha = refs::parse_oid(sha);
        if sha.is_some() && sha == Some(tag.oid) {
            return Some(true);
        }
        tag.peeled.map(|p| Some(p) == sha)
    }

    /// Whether tag `name`'s commit is `sha` or an ancestor of it (`git merge-base --is-ancestor`):
    /// `None` when git cannot say (not a commit, unknown objects).
    pub fn tag_is_merged_into(&self, name: &str, sha: &str) -> Option<bool> {
        if self.tag_points_at(name, sha) == Some(true) {
            return Some(true);
        }
        let status = self
            .command()
            .args([
                "merge-base",
                "--is-ancestor",
                &format!("refs/tags/{name}"),
                sha,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        match status.code() {
            Some(0) => Some(true),
            Some(1) => Some(false),
            _ => None,
        }
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

    /// The object `rev` names when git's files say so plainly: a full object name, or `HEAD`.
    fn local_oid(&self, rev: &str) -> Option<String> {
        if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(rev.to_ascii_lowercase());
        }
        (rev == "HEAD").then(|| self.local()?.head())?
    }

    /// The committer time of commit `rev` read from the object store, when the layout is plain
    /// and the object is a whole commit (`objects`); `None` when git must answer.
    fn local_committer_time(&self, rev: &str) -> Option<(String, i64)> {
        let oid = self.local_oid(rev)?;
        let objects = self.local()?.objects()?;
        let time = objects::committer_time(&objects, &oid)?;
        Some((oid, time))
    }

    /// Whether the committer time of `rev` is read in-process (`false`: git is asked).
    pub fn reads_commit_in_process(&self, rev: &str) -> bool {
        self.local_committer_time(rev).is_some()
    }

    /// The full sha `rev` points at (`^{commit}` peels annotated tags).
    pub fn rev_parse(&self, rev: &str) -> Result<String> {
        if let Some((oid, _)) = self.local_committer_time(rev) {
            return Ok(oid);
        }
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
        if let Some((_, time)) = self.local_committer_time(rev) {
            self.committer_times
                .borrow_mut()
                .insert(rev.to_string(), time);
            return Ok(time);
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
