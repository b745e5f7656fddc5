//! publish-check end to end: the real binary against real registries on 127.0.0.1 (Verdaccio,
//! pypiserver, a `file://` GOPROXY tree) through a release's life: the first publish (everything
//! absent), the re-run (everything identical, nothing to publish) and a rebuild with other bytes
//! under the same version (different, exit 1). A fault-injecting server stands in for a registry
//! that is down, answers 503 before 200, 404, or a malformed packument.

use crate::support::fault_server::{FaultServer, Reply};
use crate::support::harness::*;
use crate::support::packages;
use crate::support::servers;

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

fn check(workspace: &Path) -> Gha {
    Gha::new()
        .cwd(workspace)
        .input("mode", "publish-check")
        .env("RELEASE_ACTION_RETRY_BASE_MS", "5")
}

fn results(run: &Run) -> Vec<Value> {
    serde_json::from_str::<Value>(run.out("results"))
        .unwrap_or_else(|e| panic!("results is not JSON: {e}\n{}", run.describe()))
        .as_array()
        .unwrap()
        .clone()
}

fn states(run: &Run) -> Vec<(String, String)> {
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

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
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

#[test]
fn a_version_on_the_index_with_none_of_our_files_is_a_conflict() {
    let pypi = servers::pypiserver();
    let index_dir = pypi.dir.path().join("packages");
    let workspace = tempfile::tempdir().unwrap();
    let dist = workspace.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    packages::wheel(
        &dist,
        "hello_pkg",
        "1.0.0",
        &[("hello_pkg/__init__.py", "")],
        &[],
    );
    packages::sdist(&dist, "hello_pkg", "hello-pkg", "1.0.0", &[]);
    // Another build was uploaded as 1.0.0: a platform wheel only.
    let other = tempfile::tempdir().unwrap();
    let wheel = packages::wheel(
        other.path(),
        "hello_pkg",
        "1.0.0",
        &[("hello_pkg/x.py", "")],
        &[],
    );
    std::fs::copy(
        &wheel,
        index_dir.join("hello_pkg-1.0.0-cp311-cp311-linux_x86_64.whl"),
    )
    .unwrap();
    let run = check(workspace.path())
        .input("packages", "dist/*")
        .input("pypi-index", &format!("{}/simple", pypi.base()))
        .run();
    run.assert_code(1);
    assert_eq!(
        states(&run),
        pairs(&[
            ("dist/hello_pkg-1.0.0-py3-none-any.whl", "other-files"),
            ("dist/hello_pkg-1.0.0.tar.gz", "other-files"),
        ])
    );
    assert_eq!(
        results(&run)[0]["registry-files"],
        json!(["hello_pkg-1.0.0-cp311-cp311-linux_x86_64.whl"])
    );

    // A re-run that stopped half-way (the wheel is up, the sdist is not) publishes the rest.
    std::fs::remove_file(index_dir.join("hello_pkg-1.0.0-cp311-cp311-linux_x86_64.whl")).unwrap();
    std::fs::copy(
        dist.join("hello_pkg-1.0.0-py3-none-any.whl"),
        index_dir.join("hello_pkg-1.0.0-py3-none-any.whl"),
    )
    .unwrap();
    let run = check(workspace.path())
        .input("packages", "dist/*")
        .input("pypi-index", &format!("{}/simple", pypi.base()))
        .run();
    run.assert_code(0);
    assert_eq!(run.out("to-publish"), "dist/hello_pkg-1.0.0.tar.gz");
}

// ------------------------------------------------------------------------- faults

fn npm_workspace() -> tempfile::TempDir {
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

const PACKUMENT_PATH: &str = "/@acme%2fhello";

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
fn an_unknown_package_is_absent_and_a_malformed_packument_is_an_error() {
    let workspace = npm_workspace();
    let server = FaultServer::start();
    // Unscripted paths answer 404.
    let run = check(workspace.path())
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &server.base())
        .run();
    run.assert_code(0);
    assert_eq!(
        states(&run),
        pairs(&[("dist/acme-hello-1.0.0.tgz", "absent")])
    );
    assert_eq!(run.out("to-publish"), "dist/acme-hello-1.0.0.tgz");

    server.script(PACKUMENT_PATH, vec![Reply::ok("{\"versions\": [")]);
    let run = check(workspace.path())
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &server.base())
        .run();
    run.assert_code(2);
    assert!(run.outputs.is_empty());
    // The summary names the document that did not parse (the annotation escapes its `%`).
    assert!(
        run.summary.contains("packument that does not parse")
            && run.summary.contains(&server.url(PACKUMENT_PATH)),
        "{}",
        run.describe()
    );

    // A refused token is not "different" (exit 1) either: the check could not run.
    server.script(PACKUMENT_PATH, vec![Reply::status(401)]);
    let run = check(workspace.path())
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &server.base())
        .run();
    run.assert_code(2);
}

#[test]
fn a_go_proxy_over_http_answers_410_for_an_unknown_version() {
    let workspace = tempfile::tempdir().unwrap();
    let module = workspace.path().join("mod");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(module.join("go.mod"), format!("module {MODULE}\n")).unwrap();
    let server = FaultServer::start();
    let info = "/example.com/!acme/hello/@v/v1.2.0.info";
    server.script(info, vec![Reply::status(410)]);
    let run = check(workspace.path())
        .input("packages", "mod")
        .input("goproxy", &format!("{},direct", server.base()))
        .input("go-version", "v1.2.0")
        .run();
    run.assert_code(0);
    assert_eq!(states(&run), pairs(&[("mod", "absent")]));
    assert_eq!(server.count(info), 1);

    // A directory has no version of its own.
    let run = check(workspace.path())
        .input("packages", "mod")
        .input("goproxy", &server.base())
        .run();
    run.assert_code(2);
    assert!(run.commands("error").join("\n").contains("go-version"));
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

#[test]
fn a_pep_691_json_index_is_read_when_offered() {
    let workspace = tempfile::tempdir().unwrap();
    let dist = workspace.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let wheel = packages::wheel(
        &dist,
        "hello_pkg",
        "1.0.0",
        &[("hello_pkg/__init__.py", "")],
        &[],
    );
    let sha256 = hex::encode(sha2::Sha256::digest(std::fs::read(&wheel).unwrap()));
    let server = FaultServer::start();
    let page = json!({
        "meta": {"api-version": "1.1"},
        "name": "hello-pkg",
        "files": [{"filename": "hello_pkg-1.0.0-py3-none-any.whl",
                   "url": "../../files/hello_pkg-1.0.0-py3-none-any.whl",
                   "hashes": {"sha256": sha256}}]
    })
    .to_string();
    server.script(
        "/simple/hello-pkg/",
        vec![Reply::with_header(
            200,
            "Content-Type",
            "application/vnd.pypi.simple.v1+json",
            page,
        )],
    );
    let run = check(workspace.path())
        .input("packages", "dist/*.whl")
        .input("pypi-index", &format!("{}/simple/", server.base()))
        .run();
    run.assert_code(0);
    assert_eq!(
        states(&run),
        pairs(&[("dist/hello_pkg-1.0.0-py3-none-any.whl", "identical")])
    );
    let accept = server.requests("/simple/hello-pkg/")[0]
        .header("accept")
        .unwrap_or_default()
        .to_string();
    assert!(
        accept.starts_with("application/vnd.pypi.simple.v1+json"),
        "{accept}"
    );
    assert_eq!(
        results(&run)[0]["registry-digest"],
        format!("sha256:{sha256}").as_str()
    );
}

/// A crate's line in a sparse index served from `root`: `pc/-d/pc-demo` holds one JSON line per
/// published version, each with the sha256 `cksum` of the `.crate` the registry holds.
fn publish_crate_index(root: &Path, lines: &[(&str, &str)]) {
    let file = root.join("pc/-d/pc-demo");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let text: String = lines
        .iter()
        .map(|(vers, cksum)| {
            format!(
                "{}\n",
                json!({"name": "pc-demo", "vers": vers, "deps": [], "cksum": cksum,
                       "features": {}, "yanked": false})
            )
        })
        .collect();
    std::fs::write(file, text).unwrap();
    std::fs::write(
        root.join("config.json"),
        r#"{"dl": "http://127.0.0.1:9/{crate}/{version}/download"}"#,
    )
    .unwrap();
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn a_crate_absent_then_identical_then_different_in_a_sparse_index() {
    let workspace = tempfile::tempdir().unwrap();
    let made = crate::cargo_crates::cargo_package(
        workspace.path(),
        "pc-demo",
        "0.2.0",
        "pub fn answer() -> u32 { 42 }\n",
    );
    let cksum = sha256_hex(&made);
    let root = tempfile::tempdir().unwrap();
    let index = servers::static_http(root.path());
    let cargo_index = format!("sparse+{}/", index.base());
    let run_check = || {
        check(workspace.path())
            .input("packages", "*.crate")
            .input("cargo-index", &cargo_index)
            .run()
    };

    // No index file for the crate at all: the index answers 404.
    let run = run_check();
    run.assert_code(0);
    assert_eq!(states(&run), pairs(&[("pc-demo-0.2.0.crate", "absent")]));
    assert_eq!(run.out("to-publish"), "pc-demo-0.2.0.crate");
    let r = &results(&run)[0];
    assert_eq!(r["ecosystem"], "cargo");
    assert_eq!(r["name"], "pc-demo");
    assert_eq!(r["local-digest"], format!("sha256:{cksum}").as_str());
    assert_eq!(
        r["registry-url"],
        format!("{}/pc/-d/pc-demo", index.base()).as_str()
    );

    // The crate is published, but not this version.
    publish_crate_index(root.path(), &[("0.1.0", &"1".repeat(64))]);
    let run = run_check();
    run.assert_code(0);
    assert_eq!(states(&run), pairs(&[("pc-demo-0.2.0.crate", "absent")]));

    // Published byte for byte: nothing to do.
    publish_crate_index(
        root.path(),
        &[("0.1.0", &"1".repeat(64)), ("0.2.0", &cksum)],
    );
    let run = run_check();
    run.assert_code(0);
    assert_eq!(states(&run), pairs(&[("pc-demo-0.2.0.crate", "identical")]));
    assert_eq!(run.out("to-publish"), "");
    assert_eq!(run.out("published"), "true");

    // A rebuild with other code under the same version: the registry holds other bytes.
    std::fs::remove_file(&made).unwrap();
    let rebuilt = crate::cargo_crates::cargo_package(
        workspace.path(),
        "pc-demo",
        "0.2.0",
        "pub fn answer() -> u32 { 43 }\n",
    );
    assert_ne!(sha256_hex(&rebuilt), cksum);
    let run = run_check();
    run.assert_code(1);
    assert_eq!(states(&run), pairs(&[("pc-demo-0.2.0.crate", "different")]));
    assert_eq!(
        results(&run)[0]["registry-digest"],
        format!("sha256:{cksum}").as_str()
    );
    let errors = run.commands("error").join("\n");
    assert!(
        errors.contains("pc-demo 0.2.0 is already in the registry with different bytes")
            && errors.contains("e.g. 0.2.1"),
        "{errors}"
    );
}

#[test]
fn a_malformed_sparse_index_line_is_an_error_and_a_token_goes_as_cargo_sends_it() {
    let workspace = tempfile::tempdir().unwrap();
    let made = crate::cargo_crates::cargo_package(
        workspace.path(),
        "pc-demo",
        "0.2.0",
        "pub fn answer() -> u32 { 42 }\n",
    );
    let server = FaultServer::start();
    let line = json!({"name": "pc-demo", "vers": "0.1.0", "deps": [], "cksum": "1".repeat(64),
                      "features": {}, "yanked": false});
    // A version could hide behind a line that does not parse: never "absent".
    server.script(
        "/pc/-d/pc-demo",
        vec![Reply::ok(format!(
            "{line}\n{{\"name\": \"pc-demo\", \"vers\"\n"
        ))],
    );
    let run = check(workspace.path())
        .input("packages", "*.crate")
        .input("cargo-index", &format!("sparse+{}/", server.base()))
        .input("registry-token", "cargo-secret-token")
        .run();
    run.assert_code(2);
    assert!(run.outputs.is_empty(), "{:?}", run.outputs);
    assert!(
        run.summary.contains("Sparse index line does not parse")
            && run
                .summary
                .contains(&format!("{} line 2", server.url("/pc/-d/pc-demo"))),
        "{}",
        run.describe()
    );
    // cargo sends a registry token as is in Authorization, to the index's origin only.
    let sent = server.requests("/pc/-d/pc-demo");
    assert_eq!(sent[0].header("authorization"), Some("cargo-secret-token"));
    let leaked = run
        .stdout
        .lines()
        .any(|l| !l.starts_with("::add-mask::") && l.contains("cargo-secret-token"));
    assert!(!leaked, "{}", run.stdout);

    // The sha256 of the local file decides, not the name: the same cksum is identical.
    server.script(
        "/pc/-d/pc-demo",
        vec![Reply::ok(format!(
            "{}\n",
            json!({"name": "pc-demo", "vers": "0.2.0", "deps": [], "cksum": sha256_hex(&made),
                   "features": {}})
        ))],
    );
    let run = check(workspace.path())
        .input("packages", "*.crate")
        .input("cargo-index", &server.base())
        .run();
    run.assert_code(0);
    assert_eq!(states(&run), pairs(&[("pc-demo-0.2.0.crate", "identical")]));

    // Credentials in the index URL are refused before anything connects.
    let run = check(workspace.path())
        .input("packages", "*.crate")
        .input("cargo-index", "sparse+https://bot:hunter2@index.example/")
        .run();
    run.assert_code(2);
    assert!(
        !run.stdout.contains("hunter2") && !run.summary.contains("hunter2"),
        "{}",
        run.describe()
    );
}
