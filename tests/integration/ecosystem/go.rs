//! Go end to end: smoke-install over module directories and `go:` coordinates (the real go),
//! fetch from a GOPROXY tree, publish-check's GOPROXY answers.

use crate::publish_check::{check, pairs, states};
use crate::smoke_install_remote as remote;
use crate::support::fault_server::{FaultServer, Reply};
use crate::support::fetching::{check_names, fetch, zip_file};
use crate::support::servers;
use crate::support::smoke::{has_check, results, smoke, smoke_expecting};
use crate::support::snap;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use release_action::ecosystem::remote::{ArtifactKind, RemoteOptions};
use release_action::ecosystem::RegistryUrls;
use serde_json::json;

/// A Go module directory.
pub(crate) fn go_module(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join("gosdk");
    for (name, content) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    root
}

const GO_MOD: &str = "module example.com/sdk\n\ngo 1.19\n";

pub(crate) fn good_go_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("go.mod", GO_MOD),
        ("sdk.go", "// Package sdk greets.\npackage sdk\n\nimport \"example.com/sdk/internal/greet\"\n\nfunc Hello() string { return greet.Word() }\n"),
        ("client/client.go", "package client\n\nimport \"example.com/sdk\"\n\nfunc Call() string { return sdk.Hello() }\n"),
        ("internal/greet/greet.go", "package greet\n\nfunc Word() string { return \"hi\" }\n"),
        ("cmd/sdk/main.go", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"x\") }\n"),
        ("client/client_test.go", "package client\n"),
    ]
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
    snap::settings().bind(|| insta::assert_snapshot!("go_does_not_compile_seen", snap::seen(&run)));
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

    let run = remote::smoke()
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
    remote::assert_all_passed(
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

const MODULE: &str = "example.com/Acme/hello";

/// Writes `<root>/example.com/!acme/hello/@v/<version>.{info,mod,zip}` and returns the @v dir.
fn go_version(
    root: &Path,
    version: &str,
    info_version: &str,
    zip_prefix: &str,
) -> std::path::PathBuf {
    let at_v = root.join("example.com/!acme/hello/@v");
    std::fs::create_dir_all(&at_v).unwrap();
    let go_mod = format!("module {MODULE}\n\ngo 1.19\n");
    std::fs::write(
        at_v.join(format!("{version}.info")),
        format!("{{\"Version\":\"{info_version}\",\"Time\":\"2026-01-02T03:04:05Z\"}}"),
    )
    .unwrap();
    std::fs::write(at_v.join(format!("{version}.mod")), &go_mod).unwrap();
    zip_file(
        &at_v.join(format!("{version}.zip")),
        &[
            (&format!("{zip_prefix}/go.mod"), &go_mod),
            (
                &format!("{zip_prefix}/hello.go"),
                &format!("package hello\n\nconst Version = {version:?}\n"),
            ),
        ],
    );
    at_v
}

fn go_download_json(goproxy: &str, work: &Path) -> serde_json::Value {
    let out = Command::new("go")
        .args(["mod", "download", "-json"])
        .arg(format!("{MODULE}@v1.0.0"))
        .current_dir(work)
        .env("GOPROXY", goproxy)
        .env("GOSUMDB", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOPATH", work.join("gopath"))
        .env("GOMODCACHE", work.join("modcache"))
        .env("GOCACHE", work.join("gocache"))
        .env("HOME", work)
        .output()
        .expect("go must be installed");
    assert!(
        out.status.success(),
        "go mod download via {goproxy} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn go_module_fetched_from_a_goproxy_and_checked() {
    let root = tempfile::tempdir().unwrap();
    let prefix = format!("{MODULE}@v1.0.0");
    let at_v = go_version(root.path(), "v1.0.0", "v1.0.0", &prefix);
    go_version(root.path(), "v1.2.0", "v1.0.0", &format!("{MODULE}@v1.2.0"));
    go_version(root.path(), "v1.3.0", "v1.3.0", "example.com/other@v1.3.0");
    go_version(root.path(), "v1.4.0", "v1.4.0", &format!("{MODULE}@v1.4.0"));
    std::fs::write(at_v.join("list"), "v1.0.0\nv1.2.0\nv1.3.0\n").unwrap();
    let server = servers::static_http(root.path());
    let goproxy = format!("{}/", server.base());
    let opts = RemoteOptions {
        registries: RegistryUrls {
            goproxy: format!("{goproxy},direct"),
            ..RegistryUrls::default()
        },
        check_registry: true,
        ..RemoteOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let fetched = fetch(&format!("go:{MODULE}@v1.0.0"), &opts, dir.path()).unwrap();
    let ArtifactKind::Package {
        ecosystem,
        local_registry: Some(proxy_dir),
    } = &fetched.kind
    else {
        panic!("not a Go module with its GOPROXY tree: {:?}", fetched.kind)
    };
    assert_eq!(ecosystem.name(), "go");
    assert_eq!(fetched.source, format!("go:{MODULE}@v1.0.0"));
    assert_eq!(
        check_names(&fetched),
        vec!["@v/list", ".info", ".mod", ".zip"]
    );
    let local = proxy_dir.join("example.com/!acme/hello/@v");
    for f in ["list", "v1.0.0.info", "v1.0.0.mod", "v1.0.0.zip"] {
        assert!(
            local.join(f).is_file(),
            "{f} missing in {}",
            local.display()
        );
    }
    assert_eq!(fetched.path, local.join("v1.0.0.zip"));

    // The go.sum lines we compute are the ones the real go command computes.
    let work = tempfile::tempdir().unwrap();
    let go = go_download_json(&goproxy, work.path());
    let sum = go["Sum"].as_str().unwrap();
    let mod_sum = go["GoModSum"].as_str().unwrap();
    assert!(
        fetched
            .verified
            .contains(&format!("go.sum: {MODULE} v1.0.0 {sum}")),
        "{:?} vs {sum}",
        fetched.verified
    );
    assert!(fetched
        .verified
        .contains(&format!("go.sum: {MODULE} v1.0.0/go.mod {mod_sum}")));
    // The local tree works as a file:// GOPROXY, which is how smoke-install consumes it.
    let work2 = tempfile::tempdir().unwrap();
    let local_go = go_download_json(&format!("file://{}", proxy_dir.display()), work2.path());
    assert_eq!(local_go["Sum"], go["Sum"]);

    let err = fetch(&format!("go:{MODULE}@v1.2.0"), &opts, dir.path()).unwrap_err();
    assert!(
        err.starts_with("Guard|") && err.contains("not v1.2.0"),
        "{err}"
    );
    let err = fetch(&format!("go:{MODULE}@v1.3.0"), &opts, dir.path()).unwrap_err();
    assert!(
        err.contains("Invalid module zip") && err.contains("example.com/other@v1.3.0"),
        "{err}"
    );
    let err = fetch(&format!("go:{MODULE}@v1.4.0"), &opts, dir.path()).unwrap_err();
    assert!(err.contains("@v/list") && err.contains("v1.4.0"), "{err}");
    let err = fetch(&format!("go:{MODULE}@v9.9.9"), &opts, dir.path()).unwrap_err();
    assert!(
        err.contains("404") && err.contains("/example.com/!acme/hello/@v/v9.9.9.info"),
        "{err}"
    );
    // Without check-registry an unlisted version is fine (lists omit some versions).
    let lenient = RemoteOptions {
        check_registry: false,
        ..opts
    };
    let other = tempfile::tempdir().unwrap();
    let fetched = fetch(&format!("go:{MODULE}@v1.4.0"), &lenient, other.path()).unwrap();
    assert!(fetched.checks.is_empty());
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
