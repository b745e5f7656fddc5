//! The real tools each ecosystem uses, to check emitted versions: node-semver (npm package
//! `semver`, pinned in tests/tools/package.json), Python's `packaging`, and the go command. A
//! missing tool fails the test: a check that cannot run is not a pass.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools")
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("{what} could not start ({e}): install it (see tests/tools/README.md)")
    });
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// node-semver's verdict per version: `valid(v)` (or `null`), in order.
pub(crate) fn node_semver_valid(versions: &[&str]) -> Vec<Option<String>> {
    let modules = tools_dir().join("node_modules");
    assert!(
        modules.join("semver/package.json").exists(),
        "node-semver is not installed: run `npm ci --prefix tests/tools`"
    );
    let script = "const semver = require('semver'); \
        const input = JSON.parse(process.argv[1]); \
        console.log(JSON.stringify(input.map(v => semver.valid(v))));";
    let out = run(
        Command::new("node").env("NODE_PATH", &modules).args([
            "-e",
            script,
            &serde_json::to_string(versions).unwrap(),
        ]),
        "node",
    );
    serde_json::from_str(out.trim()).unwrap()
}

/// node-semver's `lt(a, b)` for each pair.
pub(crate) fn node_semver_lt(pairs: &[(&str, &str)]) -> Vec<bool> {
    let modules = tools_dir().join("node_modules");
    let script = "const semver = require('semver'); \
        const input = JSON.parse(process.argv[1]); \
        console.log(JSON.stringify(input.map(([a, b]) => semver.lt(a, b))));";
    let out = run(
        Command::new("node").env("NODE_PATH", &modules).args([
            "-e",
            script,
            &serde_json::to_string(pairs).unwrap(),
        ]),
        "node",
    );
    serde_json::from_str(out.trim()).unwrap()
}

/// `str(packaging.version.Version(v))` per version (or the error's text).
pub(crate) fn packaging_str(versions: &[&str]) -> Vec<String> {
    let script = r#"
import json, sys
from packaging.version import Version, InvalidVersion
out = []
for v in json.loads(sys.argv[1]):
    try:
        out.append(str(Version(v)))
    except InvalidVersion as e:
        out.append("invalid: " + str(e))
print(json.dumps(out))
"#;
    let out = run(
        Command::new("python3").args(["-c", script, &serde_json::to_string(versions).unwrap()]),
        "python3 with packaging",
    );
    serde_json::from_str(out.trim()).unwrap()
}

/// `Version(a) < Version(b)` per pair.
pub(crate) fn packaging_lt(pairs: &[(&str, &str)]) -> Vec<bool> {
    let script = r#"
import json, sys
from packaging.version import Version
print(json.dumps([Version(a) < Version(b) for a, b in json.loads(sys.argv[1])]))
"#;
    let out = run(
        Command::new("python3").args(["-c", script, &serde_json::to_string(pairs).unwrap()]),
        "python3 with packaging",
    );
    serde_json::from_str(out.trim()).unwrap()
}

/// The go command, resolving the module `example.com/sdk.git` from a local git repository,
/// offline: the go command strips the `.git` and asks git for `https://example.com/sdk`, which
/// git rewrites (`url.<file-url>.insteadOf`) to the repository's `file://` URL.
pub(crate) struct GoModules {
    pub home: tempfile::TempDir,
    pub module: String,
}

pub(crate) const GO_MODULE: &str = "example.com/sdk.git";

impl GoModules {
    /// `repo` is the module's root (with `go.mod` declaring [`GO_MODULE`]).
    pub(crate) fn new(repo: &Path) -> GoModules {
        let home = tempfile::tempdir().unwrap();
        let gitconfig = home.path().join("gitconfig");
        std::fs::write(
            &gitconfig,
            format!(
                "[url \"file://{}\"]\n\tinsteadOf = https://example.com/sdk\n[protocol \"file\"]\n\tallow = always\n[user]\n\tname = Test\n\temail = test@example.com\n",
                repo.display()
            ),
        )
        .unwrap();
        GoModules {
            home,
            module: GO_MODULE.to_string(),
        }
    }

    /// The go command in `dir`, with its module cache inside `dir`: each check starts from a fresh
    /// cache, as a consumer would (a cache from an earlier check would not see newer tags).
    fn go(&self, dir: &Path) -> Command {
        let h = self.home.path();
        let mut cmd = Command::new("go");
        cmd.current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", h)
            .env("GOPATH", h.join("gopath"))
            .env("GOMODCACHE", dir.join("modcache"))
            .env("GOCACHE", h.join("gocache"))
            .env("GOPROXY", "direct")
            .env("GOSUMDB", "off")
            .env("GONOSUMDB", "*")
            // -modcacherw: the temp dirs must be deletable afterwards.
            .env("GOFLAGS", "-mod=mod -modcacherw")
            .env("GOTOOLCHAIN", "local")
            .env("GIT_ALLOW_PROTOCOL", "file:https")
            .env("GIT_CONFIG_GLOBAL", h.join("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0");
        cmd
    }

    /// `go get <module>@<version>` in a fresh consumer module: `Ok(the version go.mod records)` or
    /// `Err(go's message)`.
    pub(crate) fn get(&self, version: &str) -> Result<String, String> {
        let consumer = tempfile::tempdir_in(self.home.path()).unwrap();
        std::fs::write(
            consumer.path().join("go.mod"),
            "module consumer\n\ngo 1.19\n",
        )
        .unwrap();
        let out = self
            .go(consumer.path())
            .args(["get", &format!("{}@{version}", self.module)])
            .output()
            .expect("the go command could not start: install golang-go");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let listed = self
            .go(consumer.path())
            .args(["list", "-m", "-f", "{{.Version}}", &self.module])
            .output()
            .expect("go list");
        assert!(
            listed.status.success(),
            "{}",
            String::from_utf8_lossy(&listed.stderr)
        );
        Ok(String::from_utf8_lossy(&listed.stdout).trim().to_string())
    }
}
