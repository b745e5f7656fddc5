//! The reusable workflows in examples/workflows/, run by act as a user's repository would run
//! them: cd-service-images calls cd-packages (guard → build → smoke → publish), then tags images
//! with the packages job's decision; pr-guard runs version-guard and policy-check on a pull request.

use crate::support::act;
use crate::support::servers;

use act::ActRepo;

const BUILD_SH: &str = r#"#!/usr/bin/env bash
# Builds one npm package at the version the guard computed.
set -euo pipefail
mkdir -p pkg/dist dist
printf '{"name":"@acme/sdk","version":"%s","type":"module","exports":{".":"./dist/index.js"}}\n' "$NPM_VERSION" > pkg/package.json
echo 'export const ok = true;' > pkg/dist/index.js
(cd pkg && npm pack --silent --pack-destination ../dist >/dev/null)
echo "E2E-BUILD npm=$NPM_VERSION channel=$CHANNEL"
"#;

fn pipeline_repo() -> ActRepo {
    let mut repo = ActRepo::new(&[
        "examples/workflows/cd-packages.yml",
        "examples/workflows/cd-service-images.yml",
        "call-service-images.yml",
    ]);
    repo.write("build.sh", BUILD_SH);
    repo.commit("build script");
    repo.tag("v1.1.0");
    repo.commit("feature");
    repo.tag("v1.2.0");
    repo.commit("next");
    repo
}

fn values<'a>(log: &'a str, marker: &str) -> Vec<&'a str> {
    // Only what steps printed (act prefixes it with `| `), not act's echo of the script.
    let mut v: Vec<&str> = log
        .lines()
        .filter_map(|l| {
            let printed = &l[l.find("| ")? + 2..];
            printed.strip_prefix(marker).map(str::trim)
        })
        .collect();
    // act echoes a step's output lines once per job log; keep each distinct line once.
    v.dedup();
    v
}

#[test]
fn push_to_main_runs_the_whole_pipeline_and_images_follow_the_packages_decision() {
    let repo = pipeline_repo();
    let run = repo.act("push", &[], None);
    run.assert_success();
    let build = values(&run.log, "E2E-BUILD ");
    assert_eq!(build.len(), 1, "{}", run.log);
    assert!(build[0].starts_with("npm=1.3.0-dev."), "{build:?}");
    assert!(build[0].ends_with("channel=main"), "{build:?}");
    // The smoke job installed exactly what was built, at the guard's version.
    assert!(run.log.contains("@acme/sdk"), "{}", run.log);
    assert_eq!(values(&run.log, "E2E-CALLER "), vec!["channel=main"]);
    let tags = values(&run.log, "E2E-CALLER-TAG ");
    assert!(tags.contains(&"ghcr.io/acme/api:latest"), "{tags:?}");
    // The publish job is skipped unless asked for.
    assert!(!run.log.contains("[publish-check"), "{}", run.log);
}

#[test]
fn tag_above_the_latest_is_released_with_semver_image_tags() {
    let repo = pipeline_repo();
    repo.tag("v1.3.0");
    let run = repo.act(
        "push",
        &[],
        Some(&serde_json::json!({"ref": "refs/tags/v1.3.0"})),
    );
    run.assert_success();
    assert_eq!(
        values(&run.log, "E2E-BUILD "),
        vec!["npm=1.3.0 channel=release"]
    );
    assert_eq!(values(&run.log, "E2E-CALLER "), vec!["channel=release"]);
    let tags = values(&run.log, "E2E-CALLER-TAG ");
    for t in [
        "ghcr.io/acme/api:1.3.0",
        "ghcr.io/acme/api:1.3",
        "ghcr.io/acme/api:1",
    ] {
        assert!(tags.contains(&t), "{t} missing from {tags:?}");
    }
}

#[test]
fn tag_below_the_latest_fails_in_the_guard_and_never_builds_or_tags_images() {
    let mut repo = pipeline_repo();
    repo.commit("backport");
    repo.tag("v1.1.1");
    let run = repo.act(
        "push",
        &[],
        Some(&serde_json::json!({"ref": "refs/tags/v1.1.1"})),
    );
    run.assert_failure();
    assert!(
        run.log.contains("refusing v1.1.1: v1.2.0 already exists"),
        "{}",
        run.log
    );
    assert!(
        values(&run.log, "E2E-BUILD ").is_empty(),
        "build ran:\n{}",
        run.log
    );
    assert!(
        values(&run.log, "E2E-CALLER").is_empty(),
        "images ran:\n{}",
        run.log
    );
}

#[test]
fn pull_request_guard_runs_version_guard_and_policy_check_with_sarif() {
    let mut repo = ActRepo::new(&["examples/workflows/pr-guard.yml"]);
    repo.write(
        ".github/release-policy.yml",
        "rules:\n  - id: no-pnpm-init-y\n    kind: forbidden-patterns\n    severity: error\n    \
         message: pnpm init -y was removed in pnpm 7; write package.json directly.\n    \
         files: [\"**/*.sh\"]\n    patterns: [\"pnpm init -y\"]\n",
    );
    repo.write("scripts/setup.sh", "#!/bin/sh\necho ok\n");
    repo.tag("v0.4.0");
    let head = repo.commit("feature work");
    let payload = serde_json::json!({
        "number": 7,
        "pull_request": {"number": 7, "head": {"sha": head, "ref": "feature"}, "base": {"ref": "main"}},
    });
    let run = repo.act("pull_request", &[], Some(&payload));
    run.assert_success();
    assert!(run.log.contains("E2E-SARIF results=0"), "{}", run.log);
    // version-guard decided the pull-request channel (act echoes each step output it records).
    assert!(
        run.log.contains("::set-output:: channel=pr\n"),
        "{}",
        run.log
    );
    // policy-check ran and found the repository clean.
    assert!(run.log.contains("::set-output:: errors=0\n"), "{}", run.log);
}

/// A caller that publishes through cd-packages to a local Verdaccio and a local pypiserver and
/// reports the outcome.
fn publish_caller(npm_registry: &str, pypi: &str) -> String {
    format!(
        r#"name: call-packages-publish
on:
  push:
permissions: {{}}
jobs:
  packages:
    uses: ./.github/workflows/cd-packages.yml
    permissions:
      contents: read
    with:
      build-command: bash build.sh
      # dist/ also holds the action's own files (manifest.json) in this repository.
      packages: |
        dist/*.tgz
        dist/*.whl
      publish: true
      npm-registry: {npm_registry}
      pypi-index: {pypi}/simple/
      pypi-upload-url: {pypi}/
    secrets:
      npm-read-token: ${{{{ secrets.NPM_TOKEN }}}}
      npm-token: ${{{{ secrets.NPM_TOKEN }}}}
      pypi-token: ${{{{ secrets.PYPI_TOKEN }}}}
  report:
    needs: packages
    runs-on: ubuntu-latest
    permissions: {{}}
    steps:
      - shell: bash
        env:
          PUBLISHED: ${{{{ needs.packages.outputs.published }}}}
          NPM_VERSION: ${{{{ needs.packages.outputs.npm-version }}}}
          PYPI_VERSION: ${{{{ needs.packages.outputs.pypi-version }}}}
        run: echo "E2E-PUBLISHED published=$PUBLISHED npm=$NPM_VERSION pypi=$PYPI_VERSION"
"#
    )
}

/// Builds @acme/sdk (npm) and acme-sdk (a wheel) at the guard's versions; their code comes from
/// `content.txt`. The wheel is written the way build backends write one (METADATA, WHEEL, RECORD
/// with each file's sha256), with fixed timestamps, so a rebuild of one commit is byte for byte
/// the same, as `npm pack`'s tarball is.
const PUBLISH_BUILD_SH: &str = r#"#!/usr/bin/env bash
set -euo pipefail
mkdir -p pkg/dist dist
printf '{"name":"@acme/sdk","version":"%s","type":"module","exports":{".":"./dist/index.js"}}\n' "$NPM_VERSION" > pkg/package.json
printf 'export const ok = %s;\n' "$(cat content.txt)" > pkg/dist/index.js
(cd pkg && npm pack --silent --pack-destination ../dist >/dev/null)
python3 - "$PYPI_VERSION" "$(cat content.txt)" <<'PY'
import base64, hashlib, sys, zipfile
version, content = sys.argv[1], sys.argv[2]
info = f"acme_sdk-{version}.dist-info"
files = [
    ("acme_sdk/__init__.py", f"ok = {content == 'true'}\n"),
    (f"{info}/METADATA", f"Metadata-Version: 2.1\nName: acme-sdk\nVersion: {version}\n"),
    (f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: build.sh\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
]
record = ""
for name, text in files:
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record += f"{name},sha256={digest},{len(text.encode())}\n"
files.append((f"{info}/RECORD", record + f"{info}/RECORD,,\n"))
with zipfile.ZipFile(f"dist/acme_sdk-{version}-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as whl:
    for name, text in files:
        whl.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), text)
PY
echo "E2E-BUILD npm=$NPM_VERSION pypi=$PYPI_VERSION"
"#;

/// The wheelhouse of the twine that cd-packages pins, which scripts/install-tools.sh prepares.
fn twine_wheelhouse() -> std::path::PathBuf {
    let tools = std::env::var("RELEASE_ACTION_TOOLS")
        .unwrap_or_else(|_| format!("{}/.tools", env!("CARGO_MANIFEST_DIR")));
    let dir = std::path::Path::new(&tools).join("wheels/twine-6.2.0");
    assert!(
        dir.join("twine-6.2.0-py3-none-any.whl").is_file(),
        "{} has no twine 6.2.0 wheels: run scripts/install-tools.sh",
        dir.display()
    );
    dir
}

/// The files pypiserver holds, with their sha256.
fn uploaded(pypi: &servers::Server) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(pypi.dir.path().join("packages"))
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                std::fs::read(&path).unwrap(),
            ));
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                sha,
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_release_publish_is_safe_to_re_run_and_a_changed_package_under_its_version_fails() {
    let verdaccio = servers::verdaccio();
    let token = servers::verdaccio_user(&verdaccio, "publisher", "publisher-pass-1");
    let pypi = servers::pypiserver();
    // The workflow's `pip install twine==6.2.0` resolves from this index, not from the internet.
    let tools_index = servers::pypiserver_of(&twine_wheelhouse());
    let mut repo = ActRepo::new(&["examples/workflows/cd-packages.yml"]);
    repo.write(
        ".github/workflows/call-packages-publish.yml",
        &publish_caller(&verdaccio.base(), &pypi.base()),
    );
    repo.write("build.sh", PUBLISH_BUILD_SH);
    repo.write("content.txt", "true");
    repo.commit("sdk");
    repo.tag("v1.3.0");
    let release = serde_json::json!({"ref": "refs/tags/v1.3.0"});
    let secrets = [
        ("NPM_TOKEN", token.as_str()),
        ("PYPI_TOKEN", "pypi-local-upload-token"),
    ];
    let pip_index = format!("PIP_INDEX_URL={}/simple/", tools_index.base());
    let (name, value) = pip_index.split_once('=').unwrap();
    let env = [(name, value)];
    const WHEEL: &str = "acme_sdk-1.3.0-py3-none-any.whl";

    // The first run publishes 1.3.0 to both registries, smoke-installs it from them and reports
    // published.
    let first = repo.act_with_secrets("push", &env, &secrets, Some(&release));
    first.assert_success();
    assert!(first.log.contains("📦  @acme/sdk@1.3.0"), "{}", first.log);
    assert!(
        first.log.contains(&format!("Uploading {WHEEL}")),
        "{}",
        first.log
    );
    assert_eq!(
        values(&first.log, "E2E-PUBLISHED "),
        vec!["published=true npm=1.3.0 pypi=1.3.0"],
        "{}",
        first.log
    );
    let integrity = integrity_of(&verdaccio, "1.3.0");
    assert!(integrity.is_string(), "{integrity}");
    // twine came from the local index.
    assert!(
        tools_index.log().contains("/simple/twine/"),
        "{}",
        tools_index.log()
    );
    let on_index = uploaded(&pypi);
    assert_eq!(
        on_index.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        [WHEEL],
        "{}",
        first.log
    );

    // The re-run on the same commit publishes nothing and passes.
    let second = repo.act_with_secrets("push", &env, &secrets, Some(&release));
    second.assert_success();
    assert!(
        second
            .log
            .contains("0 artifact(s) to publish, 2 already published identically"),
        "{}",
        second.log
    );
    assert!(
        !second.log.contains("📦  @acme/sdk@1.3.0") && !second.log.contains("Uploading "),
        "the re-run published again:\n{}",
        second.log
    );
    assert_eq!(
        values(&second.log, "E2E-PUBLISHED "),
        vec!["published=true npm=1.3.0 pypi=1.3.0"]
    );
    assert_eq!(uploaded(&pypi), on_index);

    // The packages change, the versions do not: publish-check stops the job before any upload.
    repo.write("content.txt", "false");
    repo.commit("change without a version bump");
    git_force_tag(&repo, "v1.3.0");
    let third = repo.act_with_secrets("push", &env, &secrets, Some(&release));
    third.assert_failure();
    for conflict in [
        "@acme/sdk 1.3.0 is already in the registry with different bytes",
        "acme-sdk 1.3.0 is already in the registry with different bytes",
    ] {
        assert!(third.log.contains(conflict), "{conflict}\n{}", third.log);
    }
    assert!(
        !third.log.contains("📦  @acme/sdk@1.3.0") && !third.log.contains("Uploading "),
        "{}",
        third.log
    );
    assert_eq!(integrity_of(&verdaccio, "1.3.0"), integrity);
    assert_eq!(uploaded(&pypi), on_index);
}

/// `versions[<version>].dist.integrity` of `@acme/sdk`'s packument on Verdaccio.
fn integrity_of(verdaccio: &servers::Server, version: &str) -> serde_json::Value {
    let (status, _, body) = servers::http(
        "GET",
        &format!("{}/@acme%2fsdk", verdaccio.base()),
        &[],
        b"",
    )
    .unwrap();
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "{body}");
    let packument: serde_json::Value = serde_json::from_str(&body).unwrap();
    packument["versions"][version]["dist"]["integrity"].clone()
}

fn git_force_tag(repo: &ActRepo, name: &str) {
    crate::support::harness::git(repo.path(), &["tag", "-f", name]);
}
