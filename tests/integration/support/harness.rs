//! Shared test harness: runs the real binary the way the runner does (temp `GITHUB_OUTPUT` and
//! `GITHUB_STEP_SUMMARY`, `INPUT_*` variables, a clean environment) and parses what it wrote with
//! a parser written to the runner's own rules.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_release-action");

/// The binary the harness runs: `RELEASE_ACTION_TEST_BIN` when set (to show that a test fails on
/// another build, e.g. main's before a fix), else the one cargo built.
pub(crate) fn bin() -> String {
    std::env::var("RELEASE_ACTION_TEST_BIN").unwrap_or_else(|_| BIN.to_string())
}

/// Environment variables kept from the test process: the tools the modes call need them.
const KEEP_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "TMPDIR",
    "GOCACHE",
    "GOPATH",
    "GOROOT",
    "PYENV_ROOT",
];

pub(crate) struct Gha {
    pub dir: TempDir,
    pub output: PathBuf,
    pub summary: PathBuf,
    envs: Vec<(String, String)>,
    args: Vec<String>,
    cwd: Option<PathBuf>,
    /// Runs the binary as this uid/gid (root, which runs the tests here, may read any process).
    user: Option<u32>,
    /// Runs the binary where its sandbox cannot set up namespaces (see `without_namespaces`).
    no_namespaces: bool,
}

pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Outputs as the runner would read them (the last value of a name wins, as in the runner).
    pub outputs: BTreeMap<String, String>,
    /// Raw text of `$GITHUB_OUTPUT`.
    pub output_text: String,
    pub summary: String,
}

impl Run {
    pub(crate) fn out(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| {
                panic!(
                    "no output {name:?}; outputs: {:?}\n{}",
                    self.outputs,
                    self.describe()
                )
            })
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}\n--- summary\n{}",
            self.code, self.stdout, self.stderr, self.summary
        )
    }

    /// Workflow-command lines (`::error …`) printed on stdout.
    pub(crate) fn commands(&self, name: &str) -> Vec<String> {
        let prefix = format!("::{name}");
        self.stdout
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .map(str::to_string)
            .collect()
    }

    #[track_caller]
    pub(crate) fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code\n{}", self.describe());
        self
    }
}

impl Default for Gha {
    fn default() -> Self {
        Self::new()
    }
}

impl Gha {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = dir.path().join("github_output");
        let summary = dir.path().join("step_summary");
        std::fs::write(&output, "").unwrap();
        std::fs::write(&summary, "").unwrap();
        Gha {
            dir,
            output,
            summary,
            // GitHub sets GITHUB_WORKFLOW_REF in every job: the default provenance identity.
            envs: vec![
                ("GITHUB_ACTIONS".into(), "true".into()),
                (
                    "GITHUB_WORKFLOW_REF".into(),
                    "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main".into(),
                ),
            ],
            args: Vec::new(),
            cwd: None,
            user: None,
            no_namespaces: false,
        }
    }

    /// Runs the binary as an unprivileged user (uid and gid `id`): its temp dir and files become
    /// writable by everyone so that user can write them.
    pub(crate) fn uid(mut self, id: u32) -> Self {
        use std::os::unix::fs::PermissionsExt;
        for (path, mode) in [
            (self.dir.path(), 0o777),
            (self.output.as_path(), 0o666),
            (self.summary.as_path(), 0o666),
        ] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        self.user = Some(id);
        self
    }

    /// Runs the binary the way a container would: in a mount namespace where `/proc` is partly
    /// covered (Docker masks `/proc/sys` and others), so no new `/proc` can be mounted and the
    /// sandbox's namespaces cannot be set up. This is the fallback path: package code unconfined,
    /// and a warning that says so.
    pub(crate) fn without_namespaces(mut self) -> Self {
        self.no_namespaces = true;
        self
    }

    /// A temp dir that lives as long as this harness.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Sets an input the way the runner does: `INPUT_<NAME>`.
    pub(crate) fn input(mut self, name: &str, value: &str) -> Self {
        self.envs.push((
            format!("INPUT_{}", name.replace(' ', "_").to_uppercase()),
            value.into(),
        ));
        self
    }

    pub(crate) fn env(mut self, name: &str, value: &str) -> Self {
        self.envs.push((name.into(), value.into()));
        self
    }

    pub(crate) fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.into());
        self
    }

    pub(crate) fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    pub(crate) fn cwd(mut self, dir: &Path) -> Self {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    /// Runs without `GITHUB_OUTPUT`/`GITHUB_STEP_SUMMARY` (a person at a terminal).
    pub(crate) fn run_at_terminal(&self) -> Run {
        self.run_with(false)
    }

    pub(crate) fn run(&self) -> Run {
        self.run_with(true)
    }

    /// Runs the binary the way action.yml's `run` step does: that step's `shell` over its `run:`
    /// script, with the binary at `RELEASE_ACTION_RESOLVED` (what the resolve step outputs). The
    /// process tree is then the runner's: the step's shell, then whatever it starts.
    pub(crate) fn run_as_action_step(&self) -> Run {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml"))
            .expect("read action.yml");
        let action: yaml_serde::Value = yaml_serde::from_str(&text).expect("action.yml parses");
        let step = action["runs"]["steps"]
            .as_sequence()
            .and_then(|s| s.iter().find(|s| s["id"].as_str() == Some("run")))
            .expect("action.yml has a step `run`");
        let script = self.dir.path().join("action-step.sh");
        std::fs::write(&script, step["run"].as_str().expect("run: is a string")).unwrap();
        let shell: Vec<String> = step["shell"]
            .as_str()
            .expect("shell: is a string")
            .split_whitespace()
            .map(|w| w.replace("{0}", script.to_str().unwrap()))
            .collect();
        let mut cmd = Command::new(&shell[0]);
        cmd.args(&shell[1..]);
        self.run_command(cmd, true, &[("RELEASE_ACTION_RESOLVED", &bin())])
    }

    fn run_with(&self, files: bool) -> Run {
        let program = match self.user {
            Some(_) => self.binary_for_another_user(),
            None => PathBuf::from(bin()),
        };
        self.run_command(Command::new(program), files, &[])
    }

    /// A copy of the binary in this harness's directory (made writable for everyone by `uid`):
    /// the checkout may lie below a directory only its owner can enter (a `mktemp -d` clone),
    /// where another user could not start the binary at all.
    fn binary_for_another_user(&self) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let copy = self.dir.path().join("release-action-bin");
        if !copy.exists() {
            std::fs::copy(bin(), &copy).expect("copy the binary");
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        copy
    }

    fn run_command(&self, cmd: Command, files: bool, extra: &[(&str, &str)]) -> Run {
        let mut cmd = if self.no_namespaces {
            // As root (the mount needs it), then as `user` if one is set. bash, not sh: dash drops
            // variables whose names hold a `-`, as `INPUT_EXPECTED-VERSION` does.
            let user = self.user.map_or(String::new(), |id| {
                format!("setpriv --reuid={id} --regid={id} --clear-groups ")
            });
            let mut wrapped = Command::new("unshare");
            wrapped
                .args(["--mount", "--propagation", "private", "--", "bash", "-c"])
                .arg(format!(
                    "mount -t tmpfs none /proc/sys && exec {user}\"$@\""
                ))
                .arg("bash")
                .arg(cmd.get_program())
                .args(cmd.get_args());
            wrapped
        } else {
            cmd
        };
        cmd.env_clear();
        for (k, v) in extra {
            cmd.env(k, v);
        }
        for key in KEEP_ENV {
            if let Ok(v) = std::env::var(key) {
                cmd.env(key, v);
            }
        }
        cmd.env("RUNNER_TEMP", self.dir.path());
        if files {
            cmd.env("GITHUB_OUTPUT", &self.output);
            cmd.env("GITHUB_STEP_SUMMARY", &self.summary);
        }
        for (k, v) in &self.envs {
            if !files && k == "GITHUB_ACTIONS" {
                continue;
            }
            cmd.env(k, v);
        }
        cmd.args(&self.args);
        cmd.current_dir(self.cwd.as_deref().unwrap_or(self.dir.path()));
        if let Some(id) = self.user.filter(|_| !self.no_namespaces) {
            use std::os::unix::process::CommandExt;
            // std drops root's supplementary groups when it sets the uid.
            cmd.uid(id).gid(id);
        }
        let out = cmd.output().expect("run release-action");
        let output_text = std::fs::read_to_string(&self.output).unwrap_or_default();
        let outputs = parse_output_file(&output_text).unwrap_or_else(|e| {
            panic!("GITHUB_OUTPUT is not valid for the runner: {e}\n{output_text}")
        });
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs,
            output_text,
            summary: std::fs::read_to_string(&self.summary).unwrap_or_default(),
        }
    }
}

/// Parses `$GITHUB_OUTPUT` by the runner's rules (actions/runner `FileCommandManager`): lines are
/// split on LF; a line `name<<DELIM` starts a value that runs to the first line equal to DELIM;
/// any other non-empty line must be `name=value`. A missing delimiter is an error, as it is for
/// the runner.
pub(crate) fn parse_output_file(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.is_empty() {
            continue;
        }
        let eq = line.find('=');
        let heredoc = line.find("<<");
        match (heredoc, eq) {
            (Some(h), e) if e.is_none() || h < e.unwrap() => {
                let name = &line[..h];
                let delimiter = &line[h + 2..];
                if name.is_empty() || delimiter.is_empty() {
                    return Err(format!("invalid heredoc line {line:?}"));
                }
                let mut value_lines = Vec::new();
                loop {
                    if i >= lines.len() {
                        return Err(format!(
                            "value of {name} is not terminated by {delimiter:?}"
                        ));
                    }
                    let l = lines[i];
                    i += 1;
                    if l == delimiter {
                        break;
                    }
                    value_lines.push(l);
                }
                map.insert(name.to_string(), value_lines.join("\n"));
            }
            (_, Some(e)) => {
                map.insert(line[..e].to_string(), line[e + 1..].to_string());
            }
            _ => return Err(format!("invalid line {line:?}")),
        }
    }
    Ok(map)
}

/// Runs git in `dir` with a fixed identity and no user or system configuration.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir).args(args).output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub(crate) fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com");
    cmd
}

/// Commits everything in `dir` with author and committer time `epoch`; returns the new sha.
pub(crate) fn commit_all_at(dir: &Path, epoch: i64, message: &str) -> String {
    let date = format!("@{epoch} +0000");
    git(dir, &["add", "-A"]);
    let out = git_command(dir)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .args(["commit", "-q", "--allow-empty", "-m", message])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(dir, &["rev-parse", "HEAD"])
}

/// Copies a directory tree (fixtures into temp dirs).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every path under a directory (relative, sorted, links not followed), to prove a run left
/// nothing behind.
pub(crate) fn listing(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if p.is_dir() && !p.is_symlink() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A git repository in a temp dir with commits at fixed times, so versions are reproducible.
pub(crate) struct Repo {
    pub dir: TempDir,
    clock: i64,
}

impl Default for Repo {
    fn default() -> Self {
        Self::new()
    }
}

impl Repo {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        Repo {
            dir,
            // 2024-01-02T03:04:05Z
            clock: 1_704_164_645,
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A commit (one file changed) one hour after the previous one; returns its sha.
    pub(crate) fn commit(&mut self, message: &str) -> String {
        self.clock += 3600;
        std::fs::write(self.path().join("file.txt"), message).unwrap();
        commit_all_at(self.path(), self.clock, message)
    }

    pub(crate) fn head(&self) -> String {
        git(self.path(), &["rev-parse", "HEAD"])
    }

    /// The committer time of the last commit, in seconds since the epoch.
    pub(crate) fn clock(&self) -> i64 {
        self.clock
    }

    pub(crate) fn tag(&self, name: &str) {
        git(self.path(), &["tag", name]);
    }

    pub(crate) fn annotated_tag(&self, name: &str) {
        git(self.path(), &["tag", "-a", "-m", name, name]);
    }
}

#[test]
fn parser_follows_runner_rules() {
    let m = parse_output_file("a=1\nb<<X\nline1\nline2\nX\n").unwrap();
    assert_eq!(m["a"], "1");
    assert_eq!(m["b"], "line1\nline2");
    assert!(parse_output_file("b<<X\nno end\n").is_err());
}
