//! Cargo crates, the fourth ecosystem, end to end: `.crate` files made by the real `cargo
//! package`, smoked by the real binary through a local registry with cargo's own `--offline`
//! build; `cargo:` coordinates fetched from a sparse index served over HTTP on 127.0.0.1 from a
//! directory the test writes; version-guard's `cargo-version` read back by cargo.

use crate::publish_check::{check, pairs, states};
use crate::support::fault_server::{FaultServer, Reply};
use crate::support::harness::*;
use crate::support::packages;
use crate::support::servers;
use crate::support::smoke::{outcome, results, smoke, smoke_expecting};
use crate::support::snap;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// Runs `cargo package` on a one-file library crate; returns the `.crate` path.
pub(crate) fn cargo_package(dir: &Path, name: &str, version: &str, lib_rs: &str) -> PathBuf {
    cargo_package_with_build_script(dir, name, version, lib_rs, None)
}

/// The same, with a `build.rs` when one is given.
pub(crate) fn cargo_package_with_build_script(
    dir: &Path,
    name: &str,
    version: &str,
    lib_rs: &str,
    build_rs: Option<&str>,
) -> PathBuf {
    let src = dir.join(format!("src-{name}-{version}"));
    std::fs::create_dir_all(src.join("src")).unwrap();
    let build = if build_rs.is_some() {
        "build = \"build.rs\"\n"
    } else {
        ""
    };
    std::fs::write(
        src.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n{build}\
             description = \"smoke fixture\"\nlicense = \"MIT\"\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(src.join("src/lib.rs"), lib_rs).unwrap();
    if let Some(build_rs) = build_rs {
        std::fs::write(src.join("build.rs"), build_rs).unwrap();
    }
    let out = Command::new("cargo")
        .args([
            "package",
            "--no-verify",
            "--allow-dirty",
            "--offline",
            "--quiet",
        ])
        .current_dir(&src)
        .env("CARGO_TARGET_DIR", src.join("target"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo package: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made = src
        .join("target/package")
        .join(format!("{name}-{version}.crate"));
    let dest = dir.join(format!("{name}-{version}.crate"));
    std::fs::copy(&made, &dest).unwrap();
    dest
}

const GOOD_LIB: &str = "pub fn answer() -> u32 { 42 }\n";

#[test]
fn a_crate_from_cargo_package_builds_offline_at_its_version() {
    let work = tempfile::tempdir().unwrap();
    cargo_package(work.path(), "smoke-demo", "0.3.0", GOOD_LIB);
    let run = smoke_expecting(work.path(), "*.crate", "0.3.0");
    run.assert_code(0);
    snap::settings().bind(|| insta::assert_snapshot!("cargo_pass_seen", snap::seen(&run)));
    let r = &results(&run)[0];
    assert_eq!(r["ecosystem"], "cargo");
    assert_eq!(r["name"], "smoke-demo");
    assert_eq!(
        outcome(r, "smoke-demo", "resolve").as_deref(),
        Some("passed")
    );
    assert_eq!(
        outcome(r, "smoke-demo", "version").as_deref(),
        Some("passed")
    );
    assert_eq!(outcome(r, "smoke_demo", "build").as_deref(), Some("passed"));

    // The version cargo resolved is checked against the expected one.
    let run = smoke_expecting(work.path(), "*.crate", "0.3.1");
    run.assert_code(1);
    snap::settings().bind(|| insta::assert_snapshot!("cargo_wrong_version_seen", snap::seen(&run)));
    let r = &results(&run)[0];
    assert_eq!(
        outcome(r, "smoke-demo", "version").as_deref(),
        Some("failed")
    );
    assert!(
        run.summary
            .contains("cargo resolved smoke-demo 0.3.0, expected 0.3.1"),
        "{}",
        run.summary
    );
}

#[test]
fn a_crate_that_does_not_compile_or_needs_crates_io_fails_loudly() {
    let work = tempfile::tempdir().unwrap();
    cargo_package(
        work.path(),
        "broken-demo",
        "1.0.0",
        "pub fn f() -> u32 { \"no\" }\n",
    );
    let run = smoke_expecting(work.path(), "broken-demo-1.0.0.crate", "1.0.0");
    run.assert_code(1);
    snap::settings()
        .bind(|| insta::assert_snapshot!("cargo_does_not_compile_seen", snap::seen(&run)));
    let r = &results(&run)[0];
    assert_eq!(
        outcome(r, "broken_demo", "build").as_deref(),
        Some("failed")
    );
    assert!(run.summary.contains("mismatched types"), "{}", run.summary);

    // A dependency that is not among the .crate files: nothing comes from crates.io.
    // `cargo package` would resolve the dependency; a .crate is a tarball, so write it directly
    // with the same layout.
    let bytes = crate_tarball(
        "needs-dep",
        "1.0.0",
        "[package]\nname = \"needs-dep\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[dependencies]\nsmoke-absent-dependency = \"1\"\n\n[workspace]\n",
    );
    std::fs::write(work.path().join("needs-dep-1.0.0.crate"), bytes).unwrap();
    let run = smoke_expecting(work.path(), "needs-dep-1.0.0.crate", "1.0.0");
    run.assert_code(1);
    let r = &results(&run)[0];
    assert_eq!(
        outcome(r, "needs-dep", "resolve").as_deref(),
        Some("failed")
    );
    assert!(
        run.summary.contains("smoke-absent-dependency"),
        "{}",
        run.summary
    );
}

/// A `.crate` laid out as `cargo package` writes it: `<name>-<version>/{Cargo.toml,src/lib.rs}`.
fn crate_tarball(name: &str, version: &str, manifest: &str) -> Vec<u8> {
    packages::tarball(
        &format!("{name}-{version}"),
        &[("Cargo.toml", manifest), ("src/lib.rs", GOOD_LIB)],
    )
}

/// A sparse index in `root`: config.json, the index file and the `.crate` under `crates/`.
fn sparse_index(
    root: &Path,
    base: &str,
    crate_path: &Path,
    name: &str,
    version: &str,
    cksum: &str,
) {
    std::fs::create_dir_all(root.join("crates")).unwrap();
    std::fs::copy(
        crate_path,
        root.join("crates").join(format!("{name}-{version}.crate")),
    )
    .unwrap();
    std::fs::write(
        root.join("config.json"),
        format!(r#"{{"dl": "{base}/crates/{{crate}}-{{version}}.crate"}}"#),
    )
    .unwrap();
    let index = root.join("sm/ok").join(name);
    std::fs::create_dir_all(index.parent().unwrap()).unwrap();
    let line = serde_json::json!({
        "name": name, "vers": version, "deps": [], "cksum": cksum, "features": {}, "yanked": false
    });
    std::fs::write(index, format!("{line}\n")).unwrap();
}

#[test]
fn a_cargo_coordinate_from_a_sparse_index_is_verified_and_built() {
    let work = tempfile::tempdir().unwrap();
    let made = cargo_package(work.path(), "smoke-remote", "0.4.0", GOOD_LIB);
    let cksum = hex::encode(Sha256::digest(std::fs::read(&made).unwrap()));
    let root = tempfile::tempdir().unwrap();
    let server = servers::static_http(root.path());
    sparse_index(
        root.path(),
        &server.base(),
        &made,
        "smoke-remote",
        "0.4.0",
        &cksum,
    );
    let empty = tempfile::tempdir().unwrap();
    let run = smoke(empty.path())
        .input("packages", "cargo:smoke-remote@0.4.0")
        .input("cargo-index", &format!("sparse+{}/", server.base()))
        .input("check-registry", "true")
        .input("expected-version", "0.4.0")
        .run();
    run.assert_code(0);
    let r = &results(&run)[0];
    assert_eq!(r["ecosystem"], "cargo");
    assert_eq!(r["fetched"]["sha256"], cksum.as_str());
    let checks: Vec<&str> = r["fetched"]["registry-checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["config.json", "index", ".crate"]);
    assert_eq!(
        outcome(r, "smoke_remote", "build").as_deref(),
        Some("passed")
    );

    // An index whose cksum is not the .crate's: nothing is installed.
    sparse_index(
        root.path(),
        &server.base(),
        &made,
        "smoke-remote",
        "0.4.0",
        &"0".repeat(64),
    );
    let run = smoke(empty.path())
        .input("packages", "cargo:smoke-remote@0.4.0")
        .input("cargo-index", &format!("{}/", server.base()))
        .input("expected-version", "0.4.0")
        .run();
    run.assert_code(1);
    assert!(run.summary.contains("cksum"), "{}", run.summary);
    assert_eq!(run.out("passed"), "false");

    // A version the index does not list.
    let run = smoke(empty.path())
        .input("packages", "cargo:smoke-remote@9.9.9")
        .input("cargo-index", &format!("{}/", server.base()))
        .input("expected-version", "9.9.9")
        .run();
    run.assert_code(1);
    assert!(
        run.summary.contains("lists no version 9.9.9"),
        "{}",
        run.summary
    );
}

#[test]
fn version_guard_cargo_version_is_a_version_cargo_accepts() {
    let mut repo = Repo::new();
    repo.commit("c");
    repo.tag("v0.11.0");
    let run = Gha::new()
        .input("mode", "version-guard")
        .env("GITHUB_REF", "refs/heads/main")
        .cwd(repo.path())
        .run();
    run.assert_code(0);
    let cargo_version = run.out("cargo-version").to_string();
    assert!(cargo_version.starts_with("0.11.1-dev."), "{cargo_version}");
    let versions: Value = serde_json::from_str(run.out("versions")).unwrap();
    assert_eq!(versions["cargo-version"], cargo_version.as_str());
    assert!(run.summary.contains("Cargo"), "{}", run.summary);

    // cargo itself reads it back unchanged.
    let krate = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(krate.path().join("src")).unwrap();
    std::fs::write(krate.path().join("src/lib.rs"), "").unwrap();
    std::fs::write(
        krate.path().join("Cargo.toml"),
        format!("[package]\nname = \"v\"\nversion = \"{cargo_version}\"\nedition = \"2021\"\n\n[workspace]\n"),
    )
    .unwrap();
    let out = Command::new("cargo")
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .current_dir(krate.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(meta["packages"][0]["version"], cargo_version.as_str());
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
    let made = crate::ecosystem::cargo::cargo_package(
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
    snap::settings().bind(|| insta::assert_snapshot!("publish_crate_absent", snap::seen(&run)));
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
    snap::settings().bind(|| insta::assert_snapshot!("publish_crate_identical", snap::seen(&run)));
    assert_eq!(states(&run), pairs(&[("pc-demo-0.2.0.crate", "identical")]));
    assert_eq!(run.out("to-publish"), "");
    assert_eq!(run.out("published"), "true");

    // A rebuild with other code under the same version: the registry holds other bytes.
    std::fs::remove_file(&made).unwrap();
    let rebuilt = crate::ecosystem::cargo::cargo_package(
        workspace.path(),
        "pc-demo",
        "0.2.0",
        "pub fn answer() -> u32 { 43 }\n",
    );
    assert_ne!(sha256_hex(&rebuilt), cksum);
    let run = run_check();
    run.assert_code(1);
    snap::settings().bind(|| insta::assert_snapshot!("publish_crate_different", snap::seen(&run)));
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
    let made = crate::ecosystem::cargo::cargo_package(
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
