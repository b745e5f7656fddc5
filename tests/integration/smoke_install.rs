//! smoke-install end to end: the real binary installs fixtures these tests build (npm tarballs,
//! wheels, Go modules) with real pnpm, npm, node, python venv/pip and go.

use crate::support::harness;
use crate::support::packages;
use crate::support::smoke::{checks, has_check, results, smoke, smoke_expecting};
use harness::*;
use packages::wheel;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- fixtures

/// An npm tarball laid out as `npm pack` does (`package/…`).
pub(crate) fn npm_tarball(dir: &Path, file: &str, files: &[(&str, &str)]) -> PathBuf {
    let path = dir.join(file);
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_704_164_645);
        header.set_entry_type(tar::EntryType::Regular);
        // Written by hand: the tar crate refuses `..`, and the escape fixture needs it.
        let full = format!("package/{name}");
        let name_field = &mut header.as_old_mut().name;
        name_field[..full.len()].copy_from_slice(full.as_bytes());
        header.set_cksum();
        tar.append(&header, content.as_bytes()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
    path
}

fn sdk_manifest(version: &str, extra: &str) -> String {
    format!(
        r#"{{
  "name": "@scope/sdk",
  "version": "{version}",
  "type": "module",
  "packageManager": "pnpm@8.15.0",
  "main": "./dist/index.cjs",
  "types": "./dist/index.d.ts",
  "exports": {{
    ".": {{"types": "./dist/index.d.ts", "import": "./dist/index.js", "require": "./dist/index.cjs"}},
    "./proto.js": {{"types": "./dist/proto.d.ts", "default": "./dist/proto.js"}},
    "./package.json": "./package.json"
  }}{extra}
}}"#
    )
}

/// The SDK's tarball `file`: `package.json` and the `dist/` files its exports name.
fn sdk_tarball(dir: &Path, file: &str, manifest: &str, dist: &[(&str, &str)]) -> PathBuf {
    let mut files = vec![("package.json", manifest)];
    files.extend_from_slice(dist);
    npm_tarball(dir, file, &files)
}

/// Every file the SDK's exports name, empty.
const EMPTY_DIST: &[(&str, &str)] = &[
    ("dist/index.js", ""),
    ("dist/index.cjs", ""),
    ("dist/index.d.ts", ""),
    ("dist/proto.js", ""),
    ("dist/proto.d.ts", ""),
];

fn good_sdk(dir: &Path, version: &str) -> PathBuf {
    sdk_tarball(
        dir,
        &format!("scope-sdk-{version}.tgz"),
        &sdk_manifest(version, ""),
        &[
            ("dist/index.js", "export const hello = () => 'hi';\n"),
            ("dist/index.cjs", "exports.hello = () => 'hi';\n"),
            (
                "dist/index.d.ts",
                "export declare const hello: () => string;\n",
            ),
            ("dist/proto.js", "export const proto = 1;\n"),
            ("dist/proto.d.ts", "export declare const proto: number;\n"),
        ],
    )
}

/// A Go module directory.
fn go_module(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join("gosdk");
    for (name, content) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    root
}

const GO_MOD: &str = "module example.com/sdk\n\ngo 1.19\n";

fn good_go_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("go.mod", GO_MOD),
        ("sdk.go", "// Package sdk greets.\npackage sdk\n\nimport \"example.com/sdk/internal/greet\"\n\nfunc Hello() string { return greet.Word() }\n"),
        ("client/client.go", "package client\n\nimport \"example.com/sdk\"\n\nfunc Call() string { return sdk.Hello() }\n"),
        ("internal/greet/greet.go", "package greet\n\nfunc Word() string { return \"hi\" }\n"),
        ("cmd/sdk/main.go", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"x\") }\n"),
        ("client/client_test.go", "package client\n"),
    ]
}

/// The summary without durations, for snapshots.
fn stable(text: &str) -> String {
    regex::Regex::new(r"\d+\.\d\ds")
        .unwrap()
        .replace_all(text, "[t]")
        .into_owned()
}

// ---------------------------------------------------------------- npm

#[test]
fn good_npm_tarball_installs_with_pnpm_despite_a_parent_workspace_on_another_pnpm() {
    let work = tempfile::tempdir().unwrap();
    // The repository the step runs in pins another pnpm and is a workspace: neither may capture
    // the consumer project or break the install.
    std::fs::write(
        work.path().join("package.json"),
        r#"{"name":"monorepo","private":true,"packageManager":"pnpm@7.33.0"}"#,
    )
    .unwrap();
    std::fs::write(
        work.path().join("pnpm-workspace.yaml"),
        "packages:\n  - \"packages/*\"\n",
    )
    .unwrap();
    std::fs::create_dir(work.path().join("dist")).unwrap();
    good_sdk(&work.path().join("dist"), "1.2.3");
    let before = listing(work.path());

    let gha = smoke(work.path()).input("packages", "dist/*.tgz");
    // The consumer lives under RUNNER_TEMP; make that the workspace too.
    let gha = gha.env("RUNNER_TEMP", work.path().to_str().unwrap());
    let run = gha.input("expected-version", "1.2.3").run();
    run.assert_code(0);
    assert_eq!(run.out("passed"), "true");
    let results = results(&run);
    assert_eq!(results.len(), 1);
    let sdk = &results[0];
    assert_eq!(sdk["name"], "@scope/sdk");
    assert_eq!(sdk["package"], "dist/scope-sdk-1.2.3.tgz");
    assert_eq!(
        checks(sdk),
        [
            ("tarball", "open"),
            ("package.json", "manifest"),
            ("@scope/sdk", "install"),
            ("@scope/sdk", "import"),
            ("@scope/sdk", "require"),
            ("@scope/sdk/package.json", "import"),
            ("@scope/sdk/proto.js", "import"),
            ("package.json", "version"),
        ]
        .iter()
        .map(|(e, c)| (e.to_string(), c.to_string(), "passed".to_string()))
        .collect::<Vec<_>>(),
        "{}",
        run.describe()
    );
    for phase in ["npm-inspect", "npm-install", "npm-load", "npm-version"] {
        assert!(
            run.stdout
                .contains(&format!("[smoke-install:{phase}] took ")),
            "{phase}: {}",
            run.stdout
        );
    }
    assert_eq!(listing(work.path()), before, "the run left files behind");
    insta::assert_snapshot!("npm_pass_summary", stable(&run.summary));
}

#[test]
fn good_npm_tarball_installs_with_npm() {
    let work = tempfile::tempdir().unwrap();
    good_sdk(work.path(), "2.0.0-rc.1");
    let run = smoke(work.path())
        .input("packages", "scope-sdk-2.0.0-rc.1.tgz")
        .input("package-manager", "npm")
        .input("expected-version", "v2.0.0-rc.1")
        .input("imports", "./proto.js")
        .run();
    run.assert_code(0);
    let sdk = &results(&run)[0];
    assert!(has_check(sdk, "@scope/sdk/proto.js", "import", "passed"));
    // `imports` narrows the entry points: the root is not loaded.
    assert!(!has_check(sdk, "@scope/sdk", "import", "passed"));
    assert!(
        run.stdout
            .contains("npm add file:scope-sdk-2.0.0-rc.1.tgz: ok"),
        "{}",
        run.stdout
    );
}

#[test]
fn export_pointing_at_a_missing_dist_file_fails_before_installing() {
    let work = tempfile::tempdir().unwrap();
    let manifest = sdk_manifest("1.2.3", "");
    // Published without dist/proto.js: `@scope/sdk/proto.js` cannot resolve.
    sdk_tarball(
        work.path(),
        "sdk.tgz",
        &manifest,
        &[
            ("dist/index.js", "export const hello = 1;\n"),
            ("dist/index.cjs", "exports.hello = 1;\n"),
            ("dist/index.d.ts", "export {};\n"),
        ],
    );
    let run = smoke_expecting(work.path(), "sdk.tgz", "1.2.3");
    run.assert_code(1);
    assert_eq!(run.out("passed"), "false");
    let sdk = &results(&run)[0];
    assert!(has_check(sdk, "package.json", "manifest", "failed"));
    assert!(has_check(sdk, "@scope/sdk", "install", "skipped"));
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1, "{}", run.describe());
    assert!(
        errors[0].contains("sdk.tgz (npm): manifest `package.json` failed"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains(r#"exports[\"./proto.js\"].default = \"./dist/proto.js\": file is missing from the tarball"#)
            || errors[0].contains(r#"exports["./proto.js"].default = "./dist/proto.js": file is missing from the tarball"#),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("./dist/proto.d.ts"), "{}", errors[0]);
    insta::assert_snapshot!("npm_missing_export_summary", stable(&run.summary));
}

#[test]
fn wrong_npm_version_fails_the_installed_version_check() {
    let work = tempfile::tempdir().unwrap();
    good_sdk(work.path(), "1.2.3");
    let run = smoke(work.path())
        .input("packages", "*.tgz")
        .input(
            "versions",
            r#"{"channel":"main","is-release":"false","npm-version":"1.2.4","pypi-version":"1.2.4","go-version":"v1.2.4"}"#,
        )
        .run();
    run.assert_code(1);
    let sdk = &results(&run)[0];
    assert!(has_check(sdk, "@scope/sdk", "import", "passed"));
    assert!(has_check(sdk, "package.json", "version", "failed"));
    assert!(
        run.commands("error")[0].contains("installed @scope/sdk is version 1.2.3, expected 1.2.4")
    );
}

#[test]
fn file_and_workspace_dependencies_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let manifest = sdk_manifest(
        "1.2.3",
        r#", "dependencies": {"core": "file:../core", "util": "workspace:^1.0.0"}"#,
    );
    sdk_tarball(work.path(), "sdk.tgz", &manifest, EMPTY_DIST);
    let run = smoke_expecting(work.path(), "sdk.tgz", "1.2.3");
    run.assert_code(1);
    let error = &run.commands("error")[0];
    assert!(
        error.contains(r#"dependencies.core = \"file:../core\""#)
            || error.contains(r#"dependencies.core = "file:../core""#),
        "{error}"
    );
    assert!(error.contains("dependencies.util"), "{error}");
}

#[test]
fn tarball_escaping_with_dotdot_is_refused_and_nothing_is_unpacked() {
    let work = tempfile::tempdir().unwrap();
    let inner = work.path().join("inner");
    std::fs::create_dir(&inner).unwrap();
    npm_tarball(
        &inner,
        "evil.tgz",
        &[
            ("package.json", &sdk_manifest("1.2.3", "")),
            ("../../escaped.txt", "gotcha"),
        ],
    );
    let run = smoke_expecting(&inner, "evil.tgz", "1.2.3");
    run.assert_code(1);
    let error = &run.commands("error")[0];
    assert!(
        error.contains("refused entry") && error.contains("`..`"),
        "{error}"
    );
    assert!(!work.path().join("escaped.txt").exists());
    let sdk = &results(&run)[0];
    assert!(has_check(sdk, "tarball", "open", "failed"));
}

#[test]
fn an_entry_point_that_throws_fails_with_nodes_error() {
    let work = tempfile::tempdir().unwrap();
    let manifest = sdk_manifest("1.2.3", "");
    sdk_tarball(
        work.path(),
        "sdk.tgz",
        &manifest,
        &[
            ("dist/index.js", "export const hello = 1;\n"),
            ("dist/index.cjs", "exports.hello = 1;\n"),
            ("dist/index.d.ts", ""),
            ("dist/proto.js", "import './generated/missing.js';\n"),
            ("dist/proto.d.ts", ""),
        ],
    );
    let run = smoke_expecting(work.path(), "sdk.tgz", "1.2.3");
    run.assert_code(1);
    let sdk = &results(&run)[0];
    assert!(has_check(sdk, "@scope/sdk", "require", "passed"));
    assert!(has_check(sdk, "@scope/sdk/proto.js", "import", "failed"));
    let error = &run.commands("error")[0];
    assert!(
        error.contains("import `@scope/sdk/proto.js` failed"),
        "{error}"
    );
    assert!(error.contains("ERR_MODULE_NOT_FOUND"), "{error}");
}

/// A registry on 127.0.0.1 that records what it was asked and answers 404.
fn recording_registry() -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let line = request.lines().next().unwrap_or("").to_string();
            let _ = tx.send(line);
            let body = r#"{"error":"Not found"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, rx)
}

#[test]
fn dependencies_never_come_from_the_public_registry() {
    let work = tempfile::tempdir().unwrap();
    let manifest = sdk_manifest("1.2.3", r#", "dependencies": {"smoke-left-pad": "^1.3.0"}"#);
    good_sdk(work.path(), "0.0.0"); // a second file proves the glob picks only what is named
    sdk_tarball(work.path(), "sdk-deps.tgz", &manifest, EMPTY_DIST);
    // Offline: the lookup fails loudly against the unroutable loopback registry.
    let run = smoke_expecting(work.path(), "sdk-deps.tgz", "1.2.3");
    run.assert_code(1);
    let error = &run.commands("error")[0];
    assert!(error.contains("install `@scope/sdk` failed"), "{error}");
    assert!(error.contains("127.0.0.1:9"), "{error}");
    assert!(
        error.contains("dependencies come only from the `registry` input"),
        "{error}"
    );

    // With `registry`, the dependency is asked of that registry, and only of it.
    let (url, requests) = recording_registry();
    let run = smoke(work.path())
        .input("packages", "sdk-deps.tgz")
        .input("expected-version", "1.2.3")
        .input("registry", &url)
        .run();
    run.assert_code(1);
    let asked: Vec<String> = requests.try_iter().collect();
    assert!(
        asked.iter().any(|l| l.starts_with("GET /smoke-left-pad")),
        "{asked:?}\n{}",
        run.describe()
    );
}

// ---------------------------------------------------------------- Python

#[test]
fn good_wheel_installs_imports_and_passes_pip_check() {
    let work = tempfile::tempdir().unwrap();
    wheel(
        work.path(),
        "acme_sdk",
        "0.12.0.dev20240102030405+g0123456789ab",
        &[
            (
                "acme_sdk/__init__.py",
                "from acme_sdk.client import hello\n",
            ),
            ("acme_sdk/client.py", "def hello():\n    return 'hi'\n"),
            ("acme_sdk_plugins/__init__.py", ""),
        ],
        &[],
    );
    // The machine's pip configuration must not leak in: a PIP_INDEX_URL and a config file that
    // would break any install that read them.
    std::fs::write(
        work.path().join("pip.conf"),
        "[global]\nno-index = false\nindex-url = http://127.0.0.1:9/broken\n",
    )
    .unwrap();
    let run = smoke(work.path())
        .input("packages", "*.whl")
        .input(
            "versions",
            r#"{"is-release":false,"npm-version":"0.12.0-dev.20240102030405.g0123456789ab","pypi-version":"0.12.0.dev20240102030405+g0123456789ab","go-version":"v0.11.1-0.20240102030405-0123456789ab"}"#,
        )
        .env("PIP_CONFIG_FILE", work.path().join("pip.conf").to_str().unwrap())
        .env("PIP_INDEX_URL", "http://127.0.0.1:9/broken")
        .env("PIP_REQUIRE_VIRTUALENV", "false")
        .run();
    run.assert_code(0);
    let sdk = &results(&run)[0];
    assert_eq!(sdk["name"], "acme_sdk");
    for (entry, check) in [
        ("acme_sdk", "install"),
        ("acme_sdk", "import"),
        ("acme_sdk_plugins", "import"),
        ("acme_sdk", "version"),
        ("acme_sdk", "pip check"),
    ] {
        assert!(
            has_check(sdk, entry, check, "passed"),
            "{entry} {check}\n{}",
            run.describe()
        );
    }
    assert!(run.stdout.contains("[smoke-install:python-import] took "));
}

#[test]
fn wheel_whose_module_raises_fails_and_inherited_find_links_do_not_help() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    let machine_wheels = work.path().join("machine-wheels");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::create_dir_all(&machine_wheels).unwrap();
    wheel(
        &dist,
        "broken_sdk",
        "1.0.0",
        &[
            (
                "broken_sdk/__init__.py",
                "raise RuntimeError('generated code is missing')\n",
            ),
            ("broken_helpers.py", "X = 1\n"),
        ],
        &[],
    );
    // A dependency only the machine's PIP_FIND_LINKS has: the smoke install must not see it.
    wheel(
        &machine_wheels,
        "needs_dep_target",
        "1.0.0",
        &[("needs_dep_target/__init__.py", "")],
        &[],
    );
    wheel(
        &dist,
        "needs_dep",
        "1.0.0",
        &[("needs_dep/__init__.py", "")],
        &["needs_dep_target"],
    );
    let run = smoke(work.path())
        .input("packages", "dist/*.whl")
        .input("expected-version", "1.0.0")
        .env("PIP_FIND_LINKS", machine_wheels.to_str().unwrap())
        .run();
    run.assert_code(1);
    let results = results(&run);
    let broken = results.iter().find(|r| r["name"] == "broken_sdk").unwrap();
    assert!(has_check(broken, "broken_sdk", "import", "failed"));
    assert!(has_check(broken, "broken_helpers", "import", "passed"));
    let needs = results.iter().find(|r| r["name"] == "needs_dep").unwrap();
    assert!(
        has_check(needs, "needs_dep", "install", "failed"),
        "{}",
        run.describe()
    );
    let error = &run.commands("error")[0];
    assert!(
        error.contains(
            "dist/broken_sdk-1.0.0-py3-none-any.whl (python): import `broken_sdk` failed"
        ),
        "{error}"
    );
    assert!(
        error.contains("RuntimeError: generated code is missing"),
        "{error}"
    );
    assert!(error.contains("needs_dep_target"), "{error}");
}

#[test]
fn wrong_wheel_version_fails_without_installing() {
    let work = tempfile::tempdir().unwrap();
    wheel(
        work.path(),
        "acme_sdk",
        "1.0.0",
        &[("acme_sdk/__init__.py", "")],
        &[],
    );
    let run = smoke_expecting(work.path(), "acme_sdk-1.0.0-py3-none-any.whl", "1.0.1");
    run.assert_code(1);
    let sdk = &results(&run)[0];
    assert!(has_check(sdk, "METADATA", "version", "failed"));
    assert!(has_check(sdk, "acme_sdk", "install", "skipped"));
    assert!(run.commands("error")[0].contains("the wheel is acme_sdk 1.0.0, expected 1.0.1"));
}

// ---------------------------------------------------------------- Go

#[test]
fn go_module_and_npm_tarball_pass_together_from_versions_json() {
    let work = tempfile::tempdir().unwrap();
    go_module(work.path(), &good_go_files());
    good_sdk(work.path(), "0.12.0-dev.20240102030405.g0123456789ab");
    let run = smoke(work.path())
        .input("packages", "gosdk\n*.tgz")
        .input(
            "versions",
            r#"{"is-release":"false","npm-version":"0.12.0-dev.20240102030405.g0123456789ab","pypi-version":"0.12.0.dev20240102030405+g0123456789ab","go-version":"v0.11.1-0.20240102030405-0123456789ab"}"#,
        )
        .run();
    run.assert_code(0);
    let results = results(&run);
    assert_eq!(results.len(), 2);
    let go = &results[0];
    assert_eq!(go["name"], "example.com/sdk");
    assert_eq!(
        go["expected-version"],
        "v0.11.1-0.20240102030405-0123456789ab"
    );
    let built: Vec<String> = checks(go)
        .into_iter()
        .filter(|(_, c, _)| c == "build")
        .map(|(e, _, o)| format!("{e} {o}"))
        .collect();
    // Not the internal package, not the command.
    assert_eq!(
        built,
        ["example.com/sdk passed", "example.com/sdk/client passed"]
    );
    assert!(has_check(go, "consumer", "go build ./...", "passed"));
    assert!(has_check(go, "example.com/sdk", "version", "passed"));
    assert!(run
        .stdout
        .contains("go list -m: example.com/sdk v0.11.1-0.20240102030405-0123456789ab"));
    assert_eq!(results[1]["ecosystem"], "npm");
}

#[test]
fn go_package_that_does_not_compile_fails_naming_it() {
    let work = tempfile::tempdir().unwrap();
    let mut files = good_go_files();
    files.push((
        "client/broken.go",
        "package client\n\nfunc Broken() int { return \"not an int\" }\n",
    ));
    go_module(work.path(), &files);
    let run = smoke_expecting(work.path(), "gosdk", "1.4.0");
    run.assert_code(1);
    let go = &results(&run)[0];
    assert!(has_check(go, "example.com/sdk", "build", "passed"));
    assert!(has_check(go, "example.com/sdk/client", "build", "failed"));
    assert!(has_check(go, "consumer", "go build ./...", "skipped"));
    let error = &run.commands("error")[0];
    assert!(
        error.contains("gosdk (go): build `example.com/sdk/client` failed"),
        "{error}"
    );
    assert!(error.contains("broken.go"), "{error}");
}

#[test]
fn go_module_zip_at_another_version_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("sdk.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (name, content) in good_go_files() {
        zip.start_file(
            format!("example.com/sdk@v1.0.0/{name}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    let run = smoke_expecting(work.path(), "sdk.zip", "v1.0.1");
    run.assert_code(1);
    assert!(run.commands("error")[0]
        .contains("the module zip is example.com/sdk@v1.0.0, expected v1.0.1"));
    // At its own version the same zip passes.
    let run = smoke(work.path())
        .input("packages", "sdk.zip")
        .input("expected-version", "v1.0.0")
        .input("imports", "example.com/sdk/client")
        .run();
    run.assert_code(0);
    let go = &results(&run)[0];
    assert!(has_check(go, "example.com/sdk/client", "build", "passed"));
    assert!(!has_check(go, "example.com/sdk", "build", "passed"));
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_inputs_are_usage_errors_naming_the_input() {
    let work = tempfile::tempdir().unwrap();
    good_sdk(work.path(), "1.0.0");
    std::fs::write(work.path().join("notes.txt"), "x").unwrap();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "input `packages` is empty"),
        (
            vec![("packages", "dist/*.tgz"), ("expected-version", "1.0.0")],
            "input `packages`: \"dist/*.tgz\" matches no file",
        ),
        (
            vec![("packages", "missing.tgz"), ("expected-version", "1.0.0")],
            "does not exist",
        ),
        (
            vec![("packages", "notes.txt"), ("expected-version", "1.0.0")],
            "is not an npm tarball",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("ecosystem", "python"),
                ("expected-version", "1.0.0"),
            ],
            "input `ecosystem` is python",
        ),
        (
            vec![("packages", "*.tgz")],
            "neither `expected-version` nor `versions`",
        ),
        (
            vec![("packages", "*.tgz"), ("expected-version", "1.0")],
            "input `expected-version`: \"1.0\" is not a valid npm",
        ),
        (
            vec![("packages", "*.tgz"), ("versions", "{not json")],
            "input `versions`: not JSON",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("versions", r#"{"pypi-version":"1.0.0"}"#),
            ],
            "input `versions`: no string \"npm-version\"",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("versions", "{}"),
                ("expected-version", "1.0.0"),
            ],
            "are both set",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("expected-version", "1.0.0"),
                ("registry", "ftp://x"),
            ],
            "input `registry`",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("expected-version", "1.0.0"),
                ("imports", "other-package/x"),
            ],
            "input `imports`: \"other-package/x\"",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("expected-version", "1.0.0"),
                ("package-manager", "yarn"),
            ],
            "package-manager",
        ),
    ];
    for (inputs, expected) in cases {
        let mut gha = smoke(work.path());
        for (k, v) in &inputs {
            gha = gha.input(k, v);
        }
        let run = gha.run();
        assert_eq!(run.code, 2, "{inputs:?}\n{}", run.describe());
        let errors = run.commands("error");
        assert_eq!(errors.len(), 1, "{inputs:?}\n{}", run.describe());
        assert!(errors[0].contains(expected), "{inputs:?}: {}", errors[0]);
        assert!(!run.stdout.contains("panicked"));
    }
}

/// `pip install name==X` also accepts `X+local` (PEP 440: a specifier without a local part
/// matches any local version), and prefers it as the higher version: a registry serving
/// `X+other` replaces the wheel under test. The wheel's METADATA is right, so only the
/// post-install version check can catch it.
#[test]
fn a_registry_serving_a_local_variant_fails_the_post_install_version_check() {
    let server = crate::support::servers::pypiserver();
    wheel(
        &server.dir.path().join("packages"),
        "acme_sdk",
        "1.0.0+other",
        &[("acme_sdk/__init__.py", "")],
        &[],
    );
    let work = tempfile::tempdir().unwrap();
    wheel(
        work.path(),
        "acme_sdk",
        "1.0.0",
        &[("acme_sdk/__init__.py", "")],
        &[],
    );
    let run = smoke(work.path())
        .input("packages", "acme_sdk-1.0.0-py3-none-any.whl")
        .input("expected-version", "1.0.0")
        .input("registry", &format!("{}/simple/", server.base()))
        .run();
    run.assert_code(1);
    let results = results(&run);
    let sdk = &results[0];
    // METADATA and install passed: the wheel under test was right, the registry's won.
    let checks = checks(sdk);
    for passed in ["install", "import"] {
        assert!(
            checks.iter().any(|(_, c, o)| c == passed && o == "passed"),
            "{passed}: {sdk}"
        );
    }
    assert!(
        checks
            .iter()
            .any(|(_, c, o)| c == "version" && o == "failed"),
        "{sdk}"
    );
    let error = run.commands("error").join("\n");
    assert!(
        error.contains("importlib.metadata.version(\"acme_sdk\") is 1.0.0+other, expected 1.0.0"),
        "{}",
        run.describe()
    );
}
