//! publish-check asks each registry for the version as that registry stores it (issue #22 item 3),
//! and its bump hint never overflows (item 9). Real tools make the artifacts (npm pack, cargo
//! package) and real registries (Verdaccio, a sparse index over HTTP) or a scripted server answer.

use crate::support::fault_server::{FaultServer, Reply};
use crate::support::harness::*;
use crate::support::packages;
use crate::support::servers;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256, Sha512};

pub(crate) fn check(workspace: &Path) -> Gha {
    Gha::new()
        .cwd(workspace)
        .input("mode", "publish-check")
        .env("RELEASE_ACTION_RETRY_BASE_MS", "5")
}

pub(crate) fn states(run: &Run) -> Vec<(String, String, String)> {
    serde_json::from_str::<Value>(run.out("results"))
        .unwrap_or_else(|e| panic!("results is not JSON: {e}\n{}", run.describe()))
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["version"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn triple(path: &str, version: &str, state: &str) -> (String, String, String) {
    (path.to_string(), version.to_string(), state.to_string())
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

const HUGE: &str = "1.2.18446744073709551615";

/// An npm tarball, a wheel and a crate at a version whose patch is the largest a version can
/// hold, each `different` in its registry: the hint must not wrap to `1.2.0`.
#[test]
fn the_bump_hint_never_wraps_past_the_largest_patch() {
    let workspace = tempfile::tempdir().unwrap();
    let ws = workspace.path();
    std::fs::create_dir_all(ws.join("dist")).unwrap();
    let manifest = json!({"name": "huge", "version": HUGE, "license": "MIT"}).to_string();
    let tgz = ws.join(format!("dist/huge-{HUGE}.tgz"));
    std::fs::write(
        &tgz,
        packages::tarball("package", &[("package.json", manifest.as_str())]),
    )
    .unwrap();
    let wheel = packages::wheel(&ws.join("dist"), "huge", HUGE, &[("huge.py", "")], &[]);
    let krate = crate::ecosystem::cargo::cargo_package(ws, "huge", HUGE, "pub fn a() {}\n");

    let server = FaultServer::start();
    let other = base64::engine::general_purpose::STANDARD.encode(Sha512::digest(b"other"));
    server.script(
        "/npm/huge",
        vec![Reply::ok(
            json!({"name": "huge", "versions": {HUGE: {"dist": {"integrity": format!("sha512-{other}"), "tarball": "http://127.0.0.1:9/x.tgz"}}}})
                .to_string(),
        )],
    );
    let wheel_name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    server.script(
        "/simple/huge/",
        vec![Reply::with_header(
            200,
            "Content-Type",
            "application/vnd.pypi.simple.v1+json",
            json!({"meta": {"api-version": "1.1"}, "name": "huge",
                   "files": [{"filename": wheel_name, "url": "x", "hashes": {"sha256": "1".repeat(64)}}]})
            .to_string(),
        )],
    );
    server.script(
        "/index/hu/ge/huge",
        vec![Reply::ok(format!(
            "{}\n",
            json!({"name": "huge", "vers": HUGE, "deps": [], "cksum": "2".repeat(64), "features": {}})
        ))],
    );
    assert_ne!(sha256_hex(&krate), "2".repeat(64));
    let run = check(ws)
        .input("packages", "dist/*.tgz\ndist/*.whl\n*.crate")
        .input("npm-registry", &format!("{}/npm", server.base()))
        .input("pypi-index", &format!("{}/simple", server.base()))
        .input("cargo-index", &format!("sparse+{}/index/", server.base()))
        .run();
    run.assert_code(1);
    let all: Vec<String> = states(&run).into_iter().map(|(_, _, s)| s).collect();
    assert_eq!(
        all,
        ["different", "different", "different"],
        "{}",
        run.describe()
    );
    let errors = run.commands("error").join("\n");
    assert!(!errors.contains("1.2.0"), "{errors}");
    assert!(!run.summary.contains("1.2.0"), "{}", run.summary);
    assert_eq!(
        errors.matches("no next patch").count(),
        3,
        "each conflict says there is no next patch: {errors}"
    );
    assert!(errors.contains("e.g. 1.3.0"), "{errors}");
    assert!(run.summary.contains("no next patch"), "{}", run.summary);
}

// ------------------------------------------------------------ versions as each registry stores

/// `npm pack` of a package whose package.json says `version`, into `out`.
fn npm_pack(dir: &Path, name: &str, version: &str, index_js: &str, out: &Path) -> PathBuf {
    let src = dir.join(format!("src-{version}-{}", index_js.len()));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("package.json"),
        json!({"name": name, "version": version, "main": "index.js", "license": "MIT"}).to_string(),
    )
    .unwrap();
    std::fs::write(src.join("index.js"), index_js).unwrap();
    std::fs::create_dir_all(out).unwrap();
    let before: Vec<_> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    let made = Command::new("npm")
        .args(["pack", "--silent", "--pack-destination"])
        .arg(out)
        .current_dir(&src)
        .env("HOME", dir)
        .env("npm_config_cache", dir.join("npm-cache"))
        .output()
        .expect("npm must be installed");
    assert!(
        made.status.success(),
        "npm pack: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| !before.contains(p) && p.extension().is_some_and(|e| e == "tgz"))
        .expect("npm pack wrote a tarball")
}

#[test]
fn npm_build_metadata_is_asked_as_npm_publishes_it() {
    let verdaccio = servers::verdaccio();
    let token = servers::verdaccio_user(&verdaccio, "meta-publisher", "meta-pass-1");
    let work = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let ws = workspace.path();
    // 1.0.0 is published with one build.
    let published = npm_pack(
        work.path(),
        "meta-demo",
        "1.0.0",
        "exports.a = 1;\n",
        &work.path().join("out"),
    );
    servers::npm_publish_path(&verdaccio, &token, &published, None);
    // The next build says 1.0.0+build.5: npm would publish it as 1.0.0, over other bytes.
    let local = npm_pack(
        work.path(),
        "meta-demo",
        "1.0.0+build.5",
        "exports.a = 2;\n",
        &ws.join("dist"),
    );
    let run = check(ws)
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &verdaccio.base())
        .run();
    let shown = format!("dist/{}", local.file_name().unwrap().to_string_lossy());
    assert_eq!(
        states(&run),
        [triple(&shown, "1.0.0", "different")],
        "{}",
        run.describe()
    );
    run.assert_code(1);
    assert_eq!(run.out("to-publish"), "");

    // The same tarball published by npm is identical: npm stored it under 1.0.0.
    let again = npm_pack(
        work.path(),
        "meta-again",
        "2.0.0+build.7",
        "exports.b = 1;\n",
        &ws.join("again"),
    );
    servers::npm_publish_path(&verdaccio, &token, &again, None);
    let run = check(ws)
        .input("packages", "again/*.tgz")
        .input("npm-registry", &verdaccio.base())
        .run();
    run.assert_code(0);
    let shown = format!("again/{}", again.file_name().unwrap().to_string_lossy());
    assert_eq!(states(&run), [triple(&shown, "2.0.0", "identical")]);
}

/// A sparse index holding `lines` (version, cksum) for `pc-meta`.
fn index_with(root: &Path, lines: &[(&str, &str)]) {
    let file = root.join("pc/-m/pc-meta");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let text: String = lines
        .iter()
        .map(|(vers, cksum)| {
            format!(
                "{}\n",
                json!({"name": "pc-meta", "vers": vers, "deps": [], "cksum": cksum, "features": {}})
            )
        })
        .collect();
    std::fs::write(file, text).unwrap();
}

#[test]
fn cargo_versions_compare_by_semver_precedence() {
    let root = tempfile::tempdir().unwrap();
    let index = servers::static_http(root.path());
    let cargo_index = format!("sparse+{}/", index.base());
    let work = tempfile::tempdir().unwrap();
    let other = "3".repeat(64);
    let case = |version: &str, published: &[(&str, &str)]| {
        let ws = work.path().join(version);
        std::fs::create_dir_all(&ws).unwrap();
        let made =
            crate::ecosystem::cargo::cargo_package(&ws, "pc-meta", version, "pub fn a() {}\n");
        index_with(root.path(), published);
        let run = check(&ws)
            .input("packages", "*.crate")
            .input("cargo-index", &cargo_index)
            .run();
        let state = states(&run)
            .first()
            .map(|(_, _, s)| s.clone())
            .unwrap_or_else(|| panic!("{}", run.describe()));
        (state, run, made)
    };
    // A release next to its release candidate is another version, both ways.
    let (state, run, _) = case("1.0.0", &[("1.0.0-rc.1", &other)]);
    assert_eq!(state, "absent", "{}", run.describe());
    let (state, run, _) = case("1.0.0-rc.1", &[("1.0.0", &other)]);
    assert_eq!(state, "absent", "{}", run.describe());
    // Build metadata is ignored: 1.0.0+build.5 is the published 1.0.0.
    let (state, run, _) = case("1.0.0+build.5", &[("1.0.0", &other)]);
    assert_eq!(state, "different", "{}", run.describe());
    run.assert_code(1);
    let (state, run, _) = case("2.0.0", &[("2.0.0+build.7", &other)]);
    assert_eq!(state, "different", "{}", run.describe());
    run.assert_code(1);
}

#[test]
fn python_versions_are_compared_in_pep_440_normal_form() {
    let pypi = servers::pypiserver();
    let index_dir = pypi.dir.path().join("packages");
    let workspace = tempfile::tempdir().unwrap();
    let dist = workspace.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    // The index holds 1.0.0 of another build; this build says 1.0 (the same PEP 440 version).
    let other = tempfile::tempdir().unwrap();
    let theirs = packages::wheel(
        other.path(),
        "meta_pkg",
        "1.0.0",
        &[("meta_pkg.py", "1")],
        &[],
    );
    std::fs::copy(&theirs, index_dir.join(theirs.file_name().unwrap())).unwrap();
    packages::wheel(&dist, "meta_pkg", "1.0", &[("meta_pkg.py", "2")], &[]);
    let run = check(workspace.path())
        .input("packages", "dist/*.whl")
        .input("pypi-index", &format!("{}/simple/", pypi.base()))
        .run();
    assert_eq!(
        states(&run),
        [triple(
            "dist/meta_pkg-1.0-py3-none-any.whl",
            "1.0",
            "other-files"
        )],
        "{}",
        run.describe()
    );
    run.assert_code(1);
}

#[test]
fn go_versions_with_build_metadata_are_refused() {
    let workspace = tempfile::tempdir().unwrap();
    let module = workspace.path().join("mod");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(module.join("go.mod"), "module example.com/meta\n").unwrap();
    let proxy = tempfile::tempdir().unwrap();
    for (version, says) in [
        ("v1.0.0+build.5", "build metadata"),
        ("v2.0.0+incompatible", "never served as +incompatible"),
    ] {
        let run = check(workspace.path())
            .input("packages", "mod")
            .input("goproxy", &format!("file://{}", proxy.path().display()))
            .input("go-version", version)
            .run();
        run.assert_code(2);
        assert!(run.outputs.is_empty(), "{:?}", run.outputs);
        let errors = run.commands("error").join("\n");
        assert!(errors.contains(says), "{version}: {errors}");
    }
}
