//! Isolated tool runs: every package is smoked in its own temp directory with its own HOME, and
//! every tool starts from an empty environment, so nothing from the machine (`PIP_*`,
//! `npm_config_*`, `GOFLAGS`, a `~/.npmrc`, a pip.conf) can change what gets installed, and
//! nothing is left behind once the sandbox is dropped.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::error::{Failure, Result};
use crate::runner::{confine, env};

/// The most of a tool's output kept for a report: enough to see the error, not the whole log.
const OUTPUT_TAIL_LINES: usize = 40;
const OUTPUT_TAIL_BYTES: usize = 4000;

pub struct Sandbox {
    root: Option<TempDir>,
    pub home: PathBuf,
    pub tmp: PathBuf,
}

impl Sandbox {
    /// A fresh sandbox under `$RUNNER_TEMP` (the runner cleans it) or the system temp dir.
    pub fn new(label: &str) -> Result<Self> {
        let parent = env::runner_temp()
            .filter(|p| p.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let root = tempfile::Builder::new()
            .prefix(&format!("smoke-install-{label}-"))
            .tempdir_in(&parent)
            .map_err(|e| {
                Failure::usage(
                    "Cannot create a temp directory",
                    format!("{}: {e}", parent.display()),
                )
                .with_fix("make RUNNER_TEMP (or TMPDIR) a writable directory")
            })?;
        let home = root.path().join("home");
        let tmp = root.path().join("tmp");
        std::fs::create_dir_all(&home)?;
        std::fs::create_dir_all(&tmp)?;
        Ok(Sandbox {
            root: Some(root),
            home,
            tmp,
        })
    }

    /// Writes credentials to `name` in the sandbox's HOME, readable by this user only. HOME is
    /// where pnpm 10 reads auth (it ignores project-level auth settings), and where npm, pip and
    /// go read `.npmrc` / `.netrc`; the file goes when the sandbox does.
    pub fn write_credentials(&self, name: &str, contents: &str) -> Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(self.home.join(name))?;
        file.write_all(contents.as_bytes())?;
        Ok(())
    }

    /// `.netrc` in the sandbox's HOME for `registry`'s host (pip and go read it): login
    /// `__token__`, the convention of token-authenticated package indexes.
    pub fn write_netrc(&self, registry: &str, token: &str) -> Result<()> {
        let Some(host) = url::Url::parse(registry)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
        else {
            return Ok(());
        };
        self.write_credentials(
            ".netrc",
            &format!("machine {host}\nlogin __token__\npassword {token}\n"),
        )
    }

    /// Removes the credential files once the install is done: the package's own code, loaded
    /// next, runs in this sandbox and could read them.
    pub fn remove_credentials(&self) -> Result<()> {
        for name in [".npmrc", ".netrc"] {
            match std::fs::remove_file(self.home.join(name)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        self.root.as_ref().expect("sandbox is alive").path()
    }

    /// A directory inside the sandbox, created.
    pub fn dir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.path().join(name);
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// A command with an empty environment apart from PATH, a sandboxed HOME and TMPDIR.
    pub fn command(&self, program: impl AsRef<OsStr>, cwd: &Path) -> Command {
        // Package code may run in any tool: confined to this sandbox (runner::confine).
        let mut cmd = confine::command(program.as_ref(), self.path());
        cmd.env_clear()
            .current_dir(cwd)
            .stdin(Stdio::null())
            .env("HOME", &self.home)
            .env("TMPDIR", &self.tmp)
            .env("LANG", "C.UTF-8")
            .env("NO_COLOR", "1");
        if let Some(path) = env::search_path() {
            cmd.env("PATH", path);
        }
        // Which certificate authorities to trust: a private registry behind an internal CA is
        // reachable only with them, and they hold no secret.
        for name in CA_VARIABLES {
            if let Some(value) = env::os_value(name).filter(|v| !v.is_empty()) {
                cmd.env(name, value);
            }
        }
        cmd
    }
}

/// The trust settings passed into the sandbox: OpenSSL's (go, pip, Python) and node's.
pub const CA_VARIABLES: [&str; 3] = ["SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS"];

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(root) = self.root.take() {
            // Go's module cache is read-only; without write permission back the temp dir
            // could not be removed and would be left behind.
            make_writable(root.path());
            let _ = root.close();
        }
    }
}

fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            make_writable(&entry.path());
        }
    }
}

/// What a tool run did.
pub struct ToolRun {
    pub ok: bool,
    /// stdout then stderr, trimmed.
    pub output: String,
    pub duration: Duration,
}

impl ToolRun {
    /// The end of the output, where tools put their error.
    pub fn tail(&self) -> String {
        tail(&self.output)
    }
}

pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.trim().lines().collect();
    let start = lines.len().saturating_sub(OUTPUT_TAIL_LINES);
    let mut kept = lines[start..].join("\n");
    if kept.len() > OUTPUT_TAIL_BYTES {
        let mut cut = kept.len() - OUTPUT_TAIL_BYTES;
        while !kept.is_char_boundary(cut) {
            cut += 1;
        }
        kept = format!("…{}", &kept[cut..]);
    } else if start > 0 {
        kept = format!("…\n{kept}");
    }
    kept
}

/// Runs a tool to completion. A tool that cannot start is an environment problem (exit 2); a
/// tool that runs and fails is reported through `ok`.
pub fn run(cmd: &mut Command) -> Result<ToolRun> {
    let program = confine::program_of(cmd).to_string_lossy().into_owned();
    let cannot_run = |e: &dyn std::fmt::Display| {
        Failure::usage(
            format!("Cannot run {program}"),
            format!("starting `{program}` failed: {e}"),
        )
        .with_fix(format!("install {program} and put it on PATH"))
    };
    let start = Instant::now();
    let out = cmd.output().map_err(|e| cannot_run(&e))?;
    // The confining helper started, but the tool itself could not be.
    if out.status.code() == Some(127) {
        let stderr = String::from_utf8_lossy(&out.stderr);
        if let Some(rest) = stderr.trim().strip_prefix(confine::CANNOT_RUN) {
            let why = rest.rsplit(": ").next().unwrap_or(rest).to_string();
            return Err(cannot_run(&why));
        }
    }
    let duration = start.elapsed();
    let mut output = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr = stderr.trim();
    if !stderr.is_empty() {
        if !output.is_empty() {
            output.push('\n');
        }
        output.push_str(stderr);
    }
    Ok(ToolRun {
        ok: out.status.success(),
        output,
        duration,
    })
}

/// The first executable called `name` on PATH.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = env::search_path()?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// A tool the mode needs, or a usage error saying how to get it.
pub fn require_tool(name: &str, why: &str, install: &str) -> Result<PathBuf> {
    find_on_path(name).ok_or_else(|| {
        Failure::usage(
            format!("Cannot find {name}"),
            format!("smoke-install needs `{name}` on PATH {why}"),
        )
        .with_fix(install.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_end() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let t = tail(&text);
        assert!(t.starts_with("…\nline 60"));
        assert!(t.ends_with("line 99"));
    }
}
