//! smoke-install with remote `packages` entries, end to end: the real binary fetches from real
//! registries on 127.0.0.1 (Verdaccio, pypiserver, a GOPROXY directory over HTTP, the Docker
//! distribution registry, a fault-injecting server) and then installs and imports what it fetched
//! with real pnpm, node, python venv/pip and go.

use crate::support::fault_server;
use crate::support::harness;
use crate::support::packages;
use crate::support::servers;
use crate::support::smoke::results;
use servers::push_artifact;

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

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------- helpers

pub(crate) fn smoke() -> Gha {
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
pub(crate) fn assert_all_passed(package: &Value, kinds: &[&str], run: &Run) {
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
pub(crate) fn leftovers(gha: &Gha) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(gha.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "github_output" && n != "step_summary")
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------- registries

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
