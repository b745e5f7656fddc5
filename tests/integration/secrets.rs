//! Secrets never leak: every mode runs deep (a real repository, a real install) with a token in
//! every place one can come from, and the values appear nowhere (stdout, stderr, the step summary,
//! `$GITHUB_OUTPUT`, any file under the temp dirs, the sandbox the package is loaded in) except in
//! the `::add-mask::` commands that hide them.

use crate::support::harness::*;

use std::path::Path;

/// Distinctive values, one per source.
const SECRETS: &[(&str, &str)] = &[
    ("INPUT_TOKEN", "ghp_inputTOKEN0123456789abcdefXYZ"),
    ("INPUT_REGISTRY-TOKEN", "npm_registryTOKEN0123456789abcXYZ"),
    ("NODE_AUTH_TOKEN", "nodeAUTHtoken-5f1e2d3c4b5a69788796"),
    ("GITHUB_TOKEN", "ghs_githubTOKEN0123456789abcdefXYZ"),
    ("PKG_GITHUB_COM_TOKEN", "pkgGITHUBcomTOKEN-0a1b2c3d4e5f6789"),
];

fn with_secrets(mut gha: Gha) -> Gha {
    for (name, value) in SECRETS {
        gha = gha.env(name, value);
    }
    gha.env("RUNNER_DEBUG", "1")
}

/// Every secret is masked, and appears in nothing else the run produced.
fn assert_no_leak(run: &Run, dirs: &[&Path]) {
    for (name, value) in SECRETS {
        let mask = format!("::add-mask::{value}");
        assert!(
            run.stdout.lines().any(|l| l == mask),
            "{name} is not masked\n{}",
            run.describe()
        );
        for line in run.stdout.lines().filter(|l| *l != mask) {
            assert!(!line.contains(value), "{name} leaked on stdout: {line}");
        }
        for (what, text) in [
            ("stderr", &run.stderr),
            ("the step summary", &run.summary),
            ("GITHUB_OUTPUT", &run.output_text),
        ] {
            assert!(!text.contains(value), "{name} leaked in {what}:\n{text}");
        }
        for dir in dirs {
            for (path, bytes) in files(dir) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    !text.contains(value),
                    "{name} leaked into {}",
                    path.display()
                );
            }
        }
    }
}

/// Every regular file under `dir` (symlinks not followed: .git objects are compressed, and are
/// checked as bytes like everything else).
fn files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

#[test]
fn version_guard_leaks_no_secret() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v0.1.0");
    repo.commit("two");
    let gha = with_secrets(
        Gha::new()
            .input("mode", "version-guard")
            .input("manifest-dir", "out")
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_REPOSITORY", "org/app")
            .cwd(repo.path()),
    );
    let run = gha.run();
    run.assert_code(0);
    assert!(run.out("npm-version").starts_with("0.1.1-dev."));
    assert_no_leak(&run, &[gha.path(), repo.path()]);

    // A failing guard (a tag below the latest release) writes the failure everywhere too.
    repo.tag("v0.0.9");
    let gha = with_secrets(
        Gha::new()
            .input("mode", "version-guard")
            .env("GITHUB_REF", "refs/tags/v0.0.9")
            .cwd(repo.path()),
    );
    let run = gha.run();
    run.assert_code(1);
    assert_no_leak(&run, &[gha.path(), repo.path()]);
}

#[test]
fn channel_tags_leaks_no_secret() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.2.3");
    let gha = with_secrets(
        Gha::new()
            .input("mode", "channel-tags")
            .input("images", "ghcr.io/org/app")
            .env("GITHUB_REF", "refs/tags/v1.2.3")
            .env("GITHUB_REPOSITORY", "org/app")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .cwd(repo.path()),
    );
    let run = gha.run();
    run.assert_code(0);
    assert!(run.out("tags").contains("ghcr.io/org/app:1.2.3"));
    assert_no_leak(&run, &[gha.path(), repo.path()]);
}

#[test]
fn policy_check_leaks_no_secret_even_when_a_required_variable_holds_one() {
    let gha = Gha::new();
    let repo = gha.path().join("repo");
    std::fs::create_dir_all(repo.join(".github")).unwrap();
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::write(
        repo.join(".github/release-policy.yml"),
        "rules:\n  - id: creds\n    kind: required-env\n    severity: error\n    message: Set the credentials.\n    names: [NODE_AUTH_TOKEN, MISSING_TOKEN]\n  - id: no-todo\n    kind: forbidden-patterns\n    severity: warning\n    message: Track work in issues.\n    patterns: ['TODO']\n",
    )
    .unwrap();
    std::fs::write(repo.join("src/a.ts"), "// TODO: one\n").unwrap();
    let policy = |gha: Gha| {
        with_secrets(
            gha.cwd(&repo)
                .input("mode", "policy-check")
                .env("RELEASE_ACTION_TODAY", "2025-06-01"),
        )
    };
    let gha = policy(gha);
    let run = gha.run();
    run.assert_code(1);
    assert!(run.stdout.contains("MISSING_TOKEN"), "{}", run.describe());
    assert_no_leak(&run, &[gha.path()]);
    // And as SARIF on stdout.
    let gha = policy(Gha::new()).input("policy-format", "sarif");
    let sarif = gha.run();
    sarif.assert_code(1);
    assert!(sarif.stdout.contains("2.1.0"), "{}", sarif.describe());
    assert_no_leak(&sarif, &[gha.path(), &repo]);
}

/// smoke-install of a small npm tarball, with a `registry` (so the sandbox's HOME gets an
/// `.npmrc` with NODE_AUTH_TOKEN for the install). The package's own code, run while the action
/// loads it, sends every file of the sandbox it is installed in to a collector the test then
/// checks: what an attacker's package would see. The credentials are gone by then.
#[test]
fn smoke_install_leaks_no_secret_into_the_sandbox() {
    let work = tempfile::tempdir().unwrap();
    let runner_temp = work.path().join("runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let collector = crate::support::collector::Collector::start();
    let index = format!(
        r#"const fs = require('fs'), path = require('path');
{sink}
let out = '';
function walk(dir) {{
  for (const e of fs.readdirSync(dir, {{ withFileTypes: true }})) {{
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile() && fs.statSync(p).size < (4 << 20)) out += `=== ${{p}}\n` + fs.readFileSync(p, 'latin1') + '\n';
  }}
}}
walk({root:?});
sink(out);
exports.hello = () => 'hi';
"#,
        sink = collector.node_sink(),
        root = runner_temp.display().to_string(),
    );
    let path = work.path().join("sdk-1.2.3.tgz");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    for (name, content) in [
        (
            "package/package.json",
            r#"{"name": "sdk", "version": "1.2.3", "main": "index.js"}"#,
        ),
        ("package/index.js", index.as_str()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_704_164_645);
        tar.append_data(&mut header, name, content.as_bytes())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();

    let gha = with_secrets(
        Gha::new()
            .input("mode", "smoke-install")
            .input("packages", "sdk-1.2.3.tgz")
            .input("expected-version", "1.2.3")
            .input("registry", "http://127.0.0.1:9/")
            .env("RUNNER_TEMP", runner_temp.to_str().unwrap())
            .cwd(work.path()),
    );
    let run = gha.run();
    run.assert_code(0);
    assert_eq!(run.out("passed"), "true", "{}", run.describe());
    let seen = collector.received();
    assert!(
        seen.contains("registry=http://127.0.0.1:9/"),
        "the package did not see the sandbox's .npmrc ({} files sent)\n{}",
        seen.matches("=== ").count(),
        run.describe()
    );
    for (name, value) in SECRETS {
        assert!(
            !seen.contains(value),
            "{name} is readable by package code in the sandbox"
        );
    }
    assert_no_leak(&run, &[gha.path(), work.path()]);
}
