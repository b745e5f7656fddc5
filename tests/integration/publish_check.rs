//! publish-check end to end: the real binary against real registries on 127.0.0.1 (Verdaccio,
//! pypiserver, a `file://` GOPROXY tree) through a release's life: the first publish (everything
//! absent), the re-run (everything identical, nothing to publish) and a rebuild with other bytes
//! under the same version (different, exit 1). A fault-injecting server stands in for a registry
//! that is down, answers 503 before 200, 404, or a malformed packument.

use crate::support::fault_server::{FaultServer, Reply};
use crate::support::harness::*;
use crate::support::packages;
use crate::support::servers;
use crate::support::snap;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha512};

const MODULE: &str = "example.com/Acme/hello";

fn npm_tarball(index_js: &str) -> Vec<u8> {
    let manifest =
        json!({"name": "@acme/hello", "version": "1.0.0", "main": "index.js", "license": "MIT"})
            .to_string();
    packages::tarball(
        "package",
        &[("package.json", manifest.as_str()), ("index.js", index_js)],
    )
}

/// A workspace as a release build leaves it: dist/ with an npm tarball, a wheel and an sdist,
/// and a Go module directory.
fn build(dir: &Path, flavour: &str) {
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        dist.join("acme-hello-1.0.0.tgz"),
        npm_tarball(&format!("exports.hello = () => {flavour:?};\n")),
    )
    .unwrap();
    let source = format!("def hello():\n    return {flavour:?}\n");
    packages::wheel(
        &dist,
        "hello_pkg",
        "1.0.0",
        &[("hello_pkg/__init__.py", &source)],
        &[],
    );
    packages::sdist(&dist, "hello_pkg", "hello-pkg", "1.0.0", &[]);
    let module = dir.join("mod");
    std::fs::create_dir_all(module.join("vendor/example.com/dep")).unwrap();
    std::fs::write(
        module.join("go.mod"),
        format!("module {MODULE}\n\ngo 1.19\n"),
    )
    .unwrap();
    std::fs::write(
        module.join("hello.go"),
        format!("package hello\n\nfunc Hello() string {{ return {flavour:?} }}\n"),
    )
    .unwrap();
    // The go command zips vendor/modules.txt but not vendored packages.
    std::fs::write(
        module.join("vendor/modules.txt"),
        "# example.com/dep v1.0.0\n",
    )
    .unwrap();
    std::fs::write(
        module.join("vendor/example.com/dep/dep.go"),
        "package dep\n",
    )
    .unwrap();
}

/// What a GOPROXY serves for `MODULE@version` once the tag is pushed: .info, .mod and the zip of
/// the module directory (the files the go command zips: no vendored packages).
fn publish_go(proxy: &Path, module_dir: &Path, version: &str) {
    let at_v = proxy.join("example.com/!acme/hello/@v");
    std::fs::create_dir_all(&at_v).unwrap();
    let go_mod = std::fs::read(module_dir.join("go.mod")).unwrap();
    std::fs::write(at_v.join("list"), format!("{version}\n")).unwrap();
    std::fs::write(
        at_v.join(format!("{version}.info")),
        json!({"Version": version, "Time": "2026-01-02T03:04:05Z"}).to_string(),
    )
    .unwrap();
    std::fs::write(at_v.join(format!("{version}.mod")), &go_mod).unwrap();
    let mut zip =
        zip::ZipWriter::new(std::fs::File::create(at_v.join(format!("{version}.zip"))).unwrap());
    for rel in ["go.mod", "hello.go", "vendor/modules.txt"] {
        zip.start_file(
            format!("{MODULE}@{version}/{rel}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(&std::fs::read(module_dir.join(rel)).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();
}

/// `go mod download -json MODULE@version` through `goproxy`: the go command's own Sum and
/// GoModSum.
fn go_sums(goproxy: &str, version: &str) -> (String, String) {
    let work = tempfile::tempdir().unwrap();
    let out = Command::new("go")
        .args(["mod", "download", "-json"])
        .arg(format!("{MODULE}@{version}"))
        .current_dir(work.path())
        .env("GOPROXY", goproxy)
        .env("GOSUMDB", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOPATH", work.path().join("gopath"))
        .env("GOMODCACHE", work.path().join("modcache"))
        .env("GOCACHE", work.path().join("gocache"))
        .env("HOME", work.path())
        .output()
        .expect("go must be installed");
    assert!(
        out.status.success(),
        "go mod download failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The module cache is read-only; let the temp dir go.
    let _ = Command::new("chmod")
        .args(["-R", "u+w"])
        .arg(work.path())
        .status();
    (
        v["Sum"].as_str().unwrap().to_string(),
        v["GoModSum"].as_str().unwrap().to_string(),
    )
}

pub(crate) fn check(workspace: &Path) -> Gha {
    Gha::new()
        .cwd(workspace)
        .input("mode", "publish-check")
        .env("RELEASE_ACTION_RETRY_BASE_MS", "5")
}

pub(crate) fn results(run: &Run) -> Vec<Value> {
    serde_json::from_str::<Value>(run.out("results"))
        .unwrap_or_else(|e| panic!("results is not JSON: {e}\n{}", run.describe()))
        .as_array()
        .unwrap()
        .clone()
}

pub(crate) fn states(run: &Run) -> Vec<(String, String)> {
    results(run)
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub(crate) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_release_published_then_re_run_then_rebuilt_under_the_same_version() {
    let verdaccio = servers::verdaccio();
    let token = servers::verdaccio_user(&verdaccio, "publisher", "publisher-pass-1");
    let pypi = servers::pypiserver();
    let index_dir = pypi.dir.path().join("packages");
    let proxy = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let ws = workspace.path();
    build(ws, "hi");

    let run_check = || {
        check(ws)
            .input("packages", "dist/*.tgz\ndist/*.whl\ndist/*.tar.gz\nmod")
            .input("npm-registry", &verdaccio.base())
            .input("pypi-index", &format!("{}/simple/", pypi.base()))
            .input("goproxy", &format!("file://{},off", proxy.path().display()))
            .input("go-version", "v1.0.0")
            .input("npm-token", &token)
            .run()
    };

    // 1. The first publish: nothing is in any registry.
    let first = run_check();
    first.assert_code(0);
    snap::settings()
        .bind(|| insta::assert_snapshot!("release_first_publish_absent", snap::seen(&first)));
    assert_eq!(
        states(&first),
        pairs(&[
            ("dist/acme-hello-1.0.0.tgz", "absent"),
            ("dist/hello_pkg-1.0.0-py3-none-any.whl", "absent"),
            ("dist/hello_pkg-1.0.0.tar.gz", "absent"),
            ("mod", "absent"),
        ])
    );
    assert_eq!(
        first.out("to-publish"),
        "dist/acme-hello-1.0.0.tgz\ndist/hello_pkg-1.0.0-py3-none-any.whl\ndist/hello_pkg-1.0.0.tar.gz\nmod"
    );
    assert_eq!(first.out("published"), "false");
    let r = results(&first);
    assert_eq!(r[0]["name"], "@acme/hello");
    assert_eq!(r[1]["name"], "hello_pkg", "the name comes from METADATA");
    assert_eq!(r[3]["name"], MODULE);
    assert_eq!(r[3]["version"], "v1.0.0");
    let tgz = std::fs::read(ws.join("dist/acme-hello-1.0.0.tgz")).unwrap();
    let sri = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&tgz))
    );
    assert_eq!(r[0]["local-digest"], sri.as_str());
    // The token is masked first, and never appears anywhere else.
    assert!(first
        .commands("add-mask")
        .iter()
        .any(|l| l.contains(&token)));
    let logged = first
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .any(|l| l.contains(&token));
    assert!(
        !logged && !first.output_text.contains(&token) && !first.summary.contains(&token),
        "the token reaches the outputs or the log"
    );

    // Publish what `to-publish` listed, the way a release job does.
    servers::npm_publish_path(
        &verdaccio,
        &token,
        &ws.join("dist/acme-hello-1.0.0.tgz"),
        None,
    );
    for file in ["hello_pkg-1.0.0-py3-none-any.whl", "hello_pkg-1.0.0.tar.gz"] {
        std::fs::copy(ws.join("dist").join(file), index_dir.join(file)).unwrap();
    }
    publish_go(proxy.path(), &ws.join("mod"), "v1.0.0");

    // The go command's own hashes of what the proxy serves are the ones computed in-process
    // from the local directory.
    let (sum, go_mod_sum) = go_sums(&format!("file://{}", proxy.path().display()), "v1.0.0");
    assert_eq!(r[3]["local-digest"], sum.as_str(), "{}", first.describe());
    assert_eq!(r[3]["local-go-mod-digest"], go_mod_sum.as_str());

    // 2. The re-run with the same artifacts: everything identical, nothing to publish.
    let second = run_check();
    second.assert_code(0);
    snap::settings()
        .bind(|| insta::assert_snapshot!("release_re_run_identical", snap::seen(&second)));
    assert!(
        states(&second).iter().all(|(_, s)| s == "identical"),
        "{:?}\n{}",
        states(&second),
        second.describe()
    );
    assert_eq!(second.out("to-publish"), "");
    assert_eq!(second.out("published"), "true");
    let r = results(&second);
    assert_eq!(
        r[0]["registry-digest"],
        sri.as_str(),
        "Verdaccio's dist.integrity"
    );
    assert_eq!(r[3]["registry-digest"], sum.as_str());
    assert!(
        second.summary.contains("✅ identical"),
        "{}",
        second.summary
    );

    // Under `if-published: fail` an identical artifact fails too.
    let strict = check(ws)
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &verdaccio.base())
        .input("if-published", "fail")
        .run();
    strict.assert_code(1);
    assert_eq!(strict.out("published"), "false");

    // 3. A rebuild with other bytes under the same version (the sdist is unchanged).
    build(ws, "hello");
    let third = run_check();
    third.assert_code(1);
    snap::settings()
        .bind(|| insta::assert_snapshot!("release_rebuilt_different", snap::seen(&third)));
    assert_eq!(
        states(&third),
        pairs(&[
            ("dist/acme-hello-1.0.0.tgz", "different"),
            ("dist/hello_pkg-1.0.0-py3-none-any.whl", "different"),
            ("dist/hello_pkg-1.0.0.tar.gz", "identical"),
            ("mod", "different"),
        ])
    );
    assert_eq!(third.out("to-publish"), "");
    assert_eq!(third.out("published"), "false");
    let errors = third.commands("error");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("@acme/hello 1.0.0") && e.contains("e.g. 1.0.1")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains(MODULE) && e.contains("v1.0.1")),
        "{errors:?}"
    );
    assert!(
        third.summary.contains("bump the version (e.g. 1.0.1)"),
        "{}",
        third.summary
    );
    // Nothing was published by the check itself: the registry still holds the first build.
    let again = run_check();
    assert_eq!(states(&again), states(&third));
}

// ------------------------------------------------------------------------- faults

pub(crate) fn npm_workspace() -> tempfile::TempDir {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(workspace.path().join("dist")).unwrap();
    std::fs::write(
        workspace.path().join("dist/acme-hello-1.0.0.tgz"),
        npm_tarball("exports.hello = () => 1;\n"),
    )
    .unwrap();
    workspace
}

fn packument_for(tarball: &[u8]) -> String {
    let sri = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(tarball))
    );
    json!({"name": "@acme/hello", "dist-tags": {"latest": "1.0.0"},
           "versions": {"1.0.0": {"dist": {"integrity": sri, "tarball": "http://127.0.0.1:9/x.tgz"}}}})
    .to_string()
}

pub(crate) const PACKUMENT_PATH: &str = "/@acme%2fhello";

#[test]
fn a_registry_that_is_down_is_never_taken_as_absent() {
    let workspace = npm_workspace();
    let port = servers::free_port();
    let run = check(workspace.path())
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &format!("http://127.0.0.1:{port}"))
        .input("retries", "1")
        .input("timeout", "5")
        .run();
    run.assert_code(2);
    assert!(run.outputs.is_empty(), "no outputs: {:?}", run.outputs);
    let errors = run.commands("error").join("\n");
    assert!(
        errors.contains("Cannot tell whether it is published")
            && errors.contains("2 attempts")
            && errors.contains("never takes a registry it cannot read"),
        "{errors}"
    );
}

#[test]
fn a_503_then_200_is_retried_and_decides() {
    let workspace = npm_workspace();
    let tarball = std::fs::read(workspace.path().join("dist/acme-hello-1.0.0.tgz")).unwrap();
    let server = FaultServer::start();
    server.script(
        PACKUMENT_PATH,
        vec![Reply::status(503), Reply::ok(packument_for(&tarball))],
    );
    let run = check(workspace.path())
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &server.base())
        .run();
    run.assert_code(0);
    assert_eq!(
        states(&run),
        pairs(&[("dist/acme-hello-1.0.0.tgz", "identical")])
    );
    assert_eq!(server.count(PACKUMENT_PATH), 2);
    assert_eq!(run.out("published"), "true");
}

#[test]
fn registry_urls_with_credentials_and_remote_entries_are_refused() {
    let workspace = npm_workspace();
    let run = check(workspace.path())
        .input("packages", "dist/*.tgz")
        .input(
            "npm-registry",
            "https://bot:hunter2-secret@registry.example/",
        )
        .run();
    run.assert_code(2);
    assert!(
        !run.stdout.contains("hunter2-secret") && !run.summary.contains("hunter2-secret"),
        "{}",
        run.describe()
    );
    let run = check(workspace.path())
        .input("packages", "npm:@acme/hello@1.0.0")
        .run();
    run.assert_code(2);
    assert!(run.commands("error").join("\n").contains("built"));
}

#[test]
fn names_that_would_escape_the_registry_url_are_refused() {
    let workspace = tempfile::tempdir().unwrap();
    let module = workspace.path().join("mod");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(module.join("go.mod"), "module example.com/../../etc\n").unwrap();
    let proxy = tempfile::tempdir().unwrap();
    let run = check(workspace.path())
        .input("packages", "mod")
        .input("goproxy", &format!("file://{}", proxy.path().display()))
        .input("go-version", "v1.0.0")
        .run();
    run.assert_code(2);
    assert!(
        run.commands("error")
            .join("\n")
            .contains("not a valid module path"),
        "{}",
        run.describe()
    );
    let dist = workspace.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        dist.join("x-1.0.0.tgz"),
        packages::tarball(
            "package",
            &[("package.json", r#"{"name": "../../x", "version": "1.0.0"}"#)],
        ),
    )
    .unwrap();
    let run = check(workspace.path())
        .input("packages", "dist/*.tgz")
        .run();
    run.assert_code(2);
    assert!(
        run.commands("error")
            .join("\n")
            .contains("no valid npm package name"),
        "{}",
        run.describe()
    );
}
