//! smoke-install with remote `packages` entries, end to end: the real binary fetches from real
//! registries on 127.0.0.1 (Verdaccio, pypiserver, a GOPROXY directory over HTTP, the Docker
//! distribution registry, a fault-injecting server) and then installs and imports what it fetched
//! with real pnpm, node, python venv/pip and go.

use crate::support::fault_server;
use crate::support::harness;
use crate::support::packages;
use crate::support::servers;
use crate::support::smoke::{has_check, results};
use servers::push_artifact;

use std::io::Write;
use std::path::{Path, PathBuf};

use fault_server::{FaultServer, Reply};
use harness::*;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

// ---------------------------------------------------------------- fixtures

/// A real npm package tarball (`package/…`, as `npm pack` lays it out).
fn npm_tarball_bytes(name: &str, version: &str) -> Vec<u8> {
    let manifest = json!({
        "name": name,
        "version": version,
        "main": "index.js",
        "exports": {".": {"import": "./index.mjs", "require": "./index.js"}, "./package.json": "./package.json"},
        "license": "MIT"
    })
    .to_string();
    let files = [
        ("package.json", manifest),
        ("index.js", format!("exports.version = {version:?};\n")),
        (
            "index.mjs",
            format!("export const version = {version:?};\n"),
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    packages::tarball("package", &files)
}

/// A wheel with one module, `<name>/__init__.py`, that records its version.
fn wheel(dir: &Path, name: &str, version: &str) -> PathBuf {
    let module = format!("{name}/__init__.py");
    let source = format!("__version__ = {version:?}\n");
    packages::wheel(dir, name, version, &[(&module, &source)], &[])
}

/// `<root>/<module>/@v/{list,V.info,V.mod,V.zip}`: what a GOPROXY serves for one version.
fn goproxy_tree(root: &Path, module: &str, version: &str, files: &[(&str, &str)]) {
    let at_v = root.join(module).join("@v");
    std::fs::create_dir_all(&at_v).unwrap();
    let go_mod = format!("module {module}\n\ngo 1.19\n");
    std::fs::write(at_v.join("list"), format!("{version}\n")).unwrap();
    std::fs::write(
        at_v.join(format!("{version}.info")),
        json!({"Version": version, "Time": "2026-01-02T03:04:05Z"}).to_string(),
    )
    .unwrap();
    std::fs::write(at_v.join(format!("{version}.mod")), &go_mod).unwrap();
    let mut zip =
        zip::ZipWriter::new(std::fs::File::create(at_v.join(format!("{version}.zip"))).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file(format!("{module}@{version}/go.mod"), options)
        .unwrap();
    zip.write_all(go_mod.as_bytes()).unwrap();
    for (name, text) in files {
        zip.start_file(format!("{module}@{version}/{name}"), options)
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------- helpers

fn smoke() -> Gha {
    Gha::new()
        .input("mode", "smoke-install")
        .env("RELEASE_ACTION_RETRY_BASE_MS", "5")
}

fn check_outcomes(package: &Value) -> Vec<(String, String)> {
    package["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_string(),
                c["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every check passed and there were some of each kind given.
#[track_caller]
fn assert_all_passed(package: &Value, kinds: &[&str], run: &Run) {
    let outcomes = check_outcomes(package);
    for (check, outcome) in &outcomes {
        assert_eq!(outcome, "passed", "{check}: {}", run.describe());
    }
    for kind in kinds {
        assert!(
            outcomes.iter().any(|(c, _)| c == kind),
            "no {kind} check in {outcomes:?}"
        );
    }
}

/// What is left in RUNNER_TEMP besides the harness's own files.
fn leftovers(gha: &Gha) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(gha.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "github_output" && n != "step_summary")
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------- registries

#[test]
fn npm_coordinate_from_verdaccio_is_checked_fetched_twice_installed_and_imported() {
    let server = servers::verdaccio();
    let token = servers::verdaccio_user(&server, "publisher", "publisher-pass-1");
    servers::npm_publish(&server, &token, "@acme/hello", "1.0.0", None);
    servers::npm_publish(&server, &token, "@acme/hello", "1.1.0-rc.1", Some("next"));

    let gha = smoke()
        .input("packages", "npm:@acme/hello@1.1.0-rc.1")
        .input("npm-registry", &server.base())
        .input("check-registry", "true")
        .input("check-cache", "true")
        .input("expected-version", "1.1.0-rc.1");
    let run = gha.run();
    run.assert_code(0);
    assert_eq!(run.out("passed"), "true");
    let first = results(&run);
    assert_eq!(first.len(), 1);
    let hello = &first[0];
    assert_eq!(hello["package"], "npm:@acme/hello@1.1.0-rc.1");
    assert_eq!(hello["ecosystem"], "npm");
    assert_eq!(hello["name"], "@acme/hello");
    assert_all_passed(hello, &["fetch", "install", "require", "version"], &run);
    assert!(has_check(hello, "package.json", "version", "passed"));

    let fetched = &hello["fetched"];
    assert_eq!(fetched["source"], "npm:@acme/hello@1.1.0-rc.1");
    let url = fetched["url"].as_str().unwrap();
    assert!(
        url.starts_with(&server.base()) && url.ends_with("hello-1.1.0-rc.1.tgz"),
        "{url}"
    );
    assert_eq!(fetched["sha256"].as_str().unwrap().len(), 64);
    assert!(
        fetched["verified"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v.as_str().unwrap().contains("sha512")),
        "{fetched}"
    );
    let checks: Vec<&str> = fetched["registry-checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(!checks.is_empty(), "check-registry ran no check: {fetched}");
    assert!(
        fetched["registry-checks"]
            .to_string()
            .contains("next → 1.1.0-rc.1"),
        "the dist-tag pointing at the version is reported: {fetched}"
    );
    assert!(fetched["cache"]["first-ms"].is_u64() && fetched["cache"]["second-ms"].is_u64());

    // Logs under the fetch phase, the summary with what was fetched, checked and timed.
    assert!(
        run.stdout
            .contains("[smoke-install:fetch] npm:@acme/hello@1.1.0-rc.1 fetched from "),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("[smoke-install:fetch] check-registry "));
    assert!(run
        .stdout
        .contains("[smoke-install:fetch] check-cache: first fetch "));
    assert!(
        run.summary.contains(&format!("fetched from {url}")),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("check-registry "), "{}", run.summary);
    assert!(
        run.summary.contains("check-cache: first fetch"),
        "{}",
        run.summary
    );
    assert_eq!(
        leftovers(&gha),
        Vec::<String>::new(),
        "temp files left behind"
    );

    // The expected version still applies to a fetched package.
    let run = smoke()
        .input("packages", "npm:@acme/hello@1.0.0")
        .input("npm-registry", &server.base())
        .input("expected-version", "1.1.0-rc.1")
        .run();
    run.assert_code(1);
    assert_eq!(run.out("passed"), "false");
    let results = results(&run);
    assert!(has_check(&results[0], "package.json", "version", "failed"));
    assert_eq!(results[0]["checks"][0]["check"], "fetch");
    assert_eq!(results[0]["checks"][0]["outcome"], "passed");
}

#[test]
fn pypi_coordinate_from_pypiserver_installs_and_imports() {
    let server = servers::pypiserver();
    let packages = server.dir.path().join("packages");
    let wheel_path = wheel(&packages, "hello_pkg", "1.0.0");
    wheel(&packages, "hello_pkg", "0.9.0");

    let run = smoke()
        .input("packages", "pypi:Hello.Pkg==1.0")
        .input("pypi-index", &format!("{}/simple/", server.base()))
        .input("check-registry", "true")
        .input("expected-version", "1.0.0")
        .run();
    run.assert_code(0);
    let results = results(&run);
    let hello = &results[0];
    assert_eq!(hello["ecosystem"], "python");
    assert_eq!(hello["package"], "pypi:Hello.Pkg==1.0");
    assert_all_passed(
        hello,
        &["fetch", "install", "import", "version", "pip check"],
        &run,
    );
    assert!(has_check(hello, "hello_pkg", "import", "passed"), "{hello}");
    let fetched = &hello["fetched"];
    assert_eq!(
        fetched["sha256"],
        sha256_hex(&std::fs::read(&wheel_path).unwrap()),
        "the 1.0.0 wheel was fetched"
    );
    assert!(fetched["url"]
        .as_str()
        .unwrap()
        .ends_with("hello_pkg-1.0.0-py3-none-any.whl"));
    assert!(
        fetched["verified"].to_string().contains("#sha256="),
        "{fetched}"
    );
    assert!(
        fetched["registry-checks"]
            .to_string()
            .contains("wheel METADATA"),
        "{fetched}"
    );
    assert!(fetched.get("cache").is_none(), "no check-cache, no timings");

    // Another version than expected fails the version check, from the wheel's METADATA.
    let run = smoke()
        .input("packages", "pypi:hello-pkg==0.9.0")
        .input("pypi-index", &format!("{}/simple/", server.base()))
        .input("expected-version", "1.0.0")
        .run();
    run.assert_code(1);
    assert!(run.stdout.contains("0.9.0"), "{}", run.stdout);
}

#[test]
fn go_coordinate_from_an_http_goproxy_builds_and_lists_at_the_version() {
    let root = tempfile::tempdir().unwrap();
    goproxy_tree(
        root.path(),
        "example.com/x",
        "v1.2.3",
        &[
            ("x.go", "// Package x greets.\npackage x\n\nfunc Hello() string { return \"hi\" }\n"),
            ("sub/sub.go", "package sub\n\nimport \"example.com/x\"\n\nfunc Call() string { return x.Hello() }\n"),
        ],
    );
    let server = servers::static_http(root.path());

    let run = smoke()
        .input("packages", "go:example.com/x@v1.2.3")
        .input("goproxy", &format!("{}/,direct", server.base()))
        .input("check-registry", "true")
        .input("versions", r#"{"go-version":"v1.2.3"}"#)
        .run();
    run.assert_code(0);
    let results = results(&run);
    let x = &results[0];
    assert_eq!(x["ecosystem"], "go");
    assert_eq!(x["name"], "example.com/x");
    assert_all_passed(
        x,
        &["fetch", "download", "build", "go build ./...", "version"],
        &run,
    );
    assert!(has_check(x, "example.com/x/sub", "build", "passed"), "{x}");
    let fetched = &x["fetched"];
    let checks: Vec<&str> = fetched["registry-checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["@v/list", ".info", ".mod", ".zip"]);
    assert!(
        fetched["verified"]
            .to_string()
            .contains("go.sum: example.com/x v1.2.3 h1:"),
        "{fetched}"
    );
    assert!(
        run.stdout.contains("go list -m: example.com/x v1.2.3"),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------- URLs and faults

#[test]
fn url_behind_two_503s_is_retried_then_installed() {
    let server = FaultServer::start();
    let bytes = npm_tarball_bytes("@scope/sdk", "0.12.0");
    server.script(
        "/dl/sdk-0.12.0.tgz",
        vec![
            Reply::status(503),
            Reply::status(503),
            Reply::ok(bytes.clone()),
        ],
    );
    let url = server.url("/dl/sdk-0.12.0.tgz");
    let gha = smoke()
        .input("packages", &url)
        .input("expected-version", "0.12.0")
        .input("sha256", &sha256_hex(&bytes));
    let run = gha.run();
    run.assert_code(0);
    assert_eq!(server.count("/dl/sdk-0.12.0.tgz"), 3);
    for n in [1, 2] {
        assert!(
            run.stdout.contains(&format!(
                "[smoke-install:fetch] GET {url}: HTTP 503 Service Unavailable; retry {n}/4 in "
            )),
            "retry {n} not logged:\n{}",
            run.stdout
        );
    }
    let results = results(&run);
    let sdk = &results[0];
    assert_eq!(sdk["package"], url.as_str());
    assert_eq!(sdk["name"], "@scope/sdk");
    assert_all_passed(
        sdk,
        &["fetch", "install", "import", "require", "version"],
        &run,
    );
    assert_eq!(sdk["fetched"]["url"], url.as_str());
    assert_eq!(sdk["fetched"]["bytes"], bytes.len());
    assert!(
        sdk["fetched"]["verified"]
            .to_string()
            .contains("matches the expected digest"),
        "{}",
        sdk["fetched"]
    );
    assert_eq!(leftovers(&gha), Vec::<String>::new());
}

#[test]
fn url_answering_404_fails_naming_url_and_status() {
    let server = FaultServer::start();
    let url = server.url("/dl/sdk-0.12.0.tgz");
    let run = smoke()
        .input("packages", &url)
        .input("expected-version", "0.12.0")
        .run();
    run.assert_code(1);
    assert_eq!(run.out("passed"), "false");
    assert!(!run.outputs.contains_key("results"), "{:?}", run.outputs);
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1, "{}", run.describe());
    assert!(
        errors[0].contains(&url) && errors[0].contains("404"),
        "{}",
        errors[0]
    );
    assert!(
        run.summary.contains("404") && run.summary.contains(&url),
        "{}",
        run.summary
    );
    assert_eq!(
        server.count("/dl/sdk-0.12.0.tgz"),
        1,
        "a 404 is not retried"
    );
    assert!(
        !run.stdout.contains("[smoke-install:npm-"),
        "nothing was inspected or installed"
    );
}

#[test]
fn wrong_sha256_fails_before_anything_is_installed() {
    let server = FaultServer::start();
    let bytes = npm_tarball_bytes("@scope/sdk", "0.12.0");
    server.script("/dl/sdk-0.12.0.tgz", vec![Reply::ok(bytes)]);
    let url = server.url("/dl/sdk-0.12.0.tgz");
    let gha = smoke()
        .input("packages", &url)
        .input("expected-version", "0.12.0")
        .input("sha256", &sha256_hex(b"something else"));
    let run = gha.run();
    run.assert_code(1);
    assert_eq!(run.out("passed"), "false");
    let errors = run.commands("error");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("does not match") && e.contains(&url)),
        "{}",
        run.describe()
    );
    assert!(
        !run.stdout.contains("[smoke-install:npm-"),
        "nothing was inspected or installed"
    );
    assert_eq!(
        leftovers(&gha),
        Vec::<String>::new(),
        "the bytes were discarded"
    );

    // `sha256` pins one artifact: with two remote entries it is a usage error, before any fetch.
    let run = smoke()
        .input("packages", &format!("{url}\n{url}"))
        .input("expected-version", "0.12.0")
        .input("sha256", &sha256_hex(b"x"))
        .run();
    run.assert_code(2);
    assert!(run.stdout.contains("input `sha256`"), "{}", run.stdout);
    assert_eq!(
        server.count("/dl/sdk-0.12.0.tgz"),
        1,
        "the usage error fetched nothing"
    );
}

#[test]
fn oci_artifact_from_a_distribution_registry_installs() {
    let registry = servers::docker_registry();
    let bytes = npm_tarball_bytes("@acme/chart-sdk", "2.0.0");
    let digest = push_artifact(
        &registry.base(),
        None,
        "acme/sdk",
        "2.0.0",
        "application/vnd.acme.package.v1",
        &[("acme-sdk-2.0.0.tgz", &bytes)],
    );
    let host = format!("127.0.0.1:{}", registry.port);

    for reference in [
        format!("oci://{host}/acme/sdk:2.0.0"),
        format!("oci://{host}/acme/sdk@{digest}"),
    ] {
        let run = smoke()
            .input("packages", &reference)
            .input("expected-version", "2.0.0")
            .run();
        run.assert_code(0);
        let results = results(&run);
        let sdk = &results[0];
        assert_eq!(sdk["package"], reference.as_str());
        assert_eq!(sdk["ecosystem"], "npm");
        assert_eq!(sdk["name"], "@acme/chart-sdk");
        assert_all_passed(sdk, &["fetch", "install", "import", "version"], &run);
        assert_eq!(sdk["fetched"]["sha256"], sha256_hex(&bytes));
        assert!(
            sdk["fetched"]["url"]
                .as_str()
                .unwrap()
                .starts_with(&format!("http://{host}/v2/acme/sdk/blobs/sha256:")),
            "{}",
            sdk["fetched"]
        );
    }
}

// ---------------------------------------------------------------- secrets

#[test]
fn registry_token_reaches_the_registry_and_never_the_logs() {
    let server = servers::verdaccio();
    let token = servers::verdaccio_user(&server, "publisher", "publisher-pass-1");
    servers::npm_publish(&server, &token, "@private/hello", "3.0.0", None);

    // Without the token the private package is refused: the token is what makes it pass.
    let run = smoke()
        .input("packages", "npm:@private/hello@3.0.0")
        .input("npm-registry", &server.base())
        .input("expected-version", "3.0.0")
        .run();
    run.assert_code(1);
    assert!(
        run.commands("error")
            .iter()
            .any(|e| e.contains("401") || e.contains("403")),
        "{}",
        run.describe()
    );

    let run = smoke()
        .input("packages", "npm:@private/hello@3.0.0")
        .input("npm-registry", &server.base())
        .input("registry-token", &token)
        .input("check-registry", "true")
        .input("expected-version", "3.0.0")
        .run();
    run.assert_code(0);
    assert!(
        run.stdout
            .lines()
            .any(|l| l == format!("::add-mask::{token}")),
        "the token is masked: {}",
        run.stdout
    );
    for line in run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
    {
        assert!(!line.contains(&token), "token in stdout: {line}");
    }
    assert!(!run.stderr.contains(&token), "token in stderr");
    assert!(!run.summary.contains(&token), "token in the summary");
    assert!(!run.output_text.contains(&token), "token in the outputs");
    let results = results(&run);
    assert_all_passed(&results[0], &["fetch", "install", "version"], &run);
}
