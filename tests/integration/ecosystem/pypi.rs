//! PyPI end to end: smoke-install over wheels and `pypi:` coordinates (real python venv/pip),
//! fetch from pypiserver, publish-check's PyPI answers.

use crate::publish_check::{check, pairs, states};
use crate::smoke_install_remote as remote;
use crate::support::fault_server::{FaultServer, Reply};
use crate::support::fetching::{check_names, dir_files, fetch, zip_file};
use crate::support::packages::{self, wheel};
use crate::support::servers;
use crate::support::smoke::{checks, has_check, results, smoke, smoke_expecting};
use crate::support::snap;

use std::path::{Path, PathBuf};

use release_action::ecosystem::remote::RemoteOptions;
use release_action::ecosystem::RegistryUrls;
use serde_json::json;
use sha2::{Digest as _, Sha256};

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
    snap::settings().bind(|| insta::assert_snapshot!("pypi_pass_seen", snap::seen(&run)));
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
    snap::settings().bind(|| insta::assert_snapshot!("pypi_import_raises_seen", snap::seen(&run)));
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

/// A wheel with one module, `<name>/__init__.py`, that records its version.
fn module_wheel(dir: &Path, name: &str, version: &str) -> PathBuf {
    let module = format!("{name}/__init__.py");
    let source = format!("__version__ = {version:?}\n");
    packages::wheel(dir, name, version, &[(&module, &source)], &[])
}

#[test]
fn pypi_coordinate_from_pypiserver_installs_and_imports() {
    let server = servers::pypiserver();
    let packages = server.dir.path().join("packages");
    let wheel_path = module_wheel(&packages, "hello_pkg", "1.0.0");
    module_wheel(&packages, "hello_pkg", "0.9.0");

    let run = remote::smoke()
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
    remote::assert_all_passed(
        hello,
        &["fetch", "install", "import", "version", "pip check"],
        &run,
    );
    assert!(has_check(hello, "hello_pkg", "import", "passed"), "{hello}");
    let fetched = &hello["fetched"];
    assert_eq!(
        fetched["sha256"],
        remote::sha256_hex(&std::fs::read(&wheel_path).unwrap()),
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
    let run = remote::smoke()
        .input("packages", "pypi:hello-pkg==0.9.0")
        .input("pypi-index", &format!("{}/simple/", server.base()))
        .input("expected-version", "1.0.0")
        .run();
    run.assert_code(1);
    assert!(run.stdout.contains("0.9.0"), "{}", run.stdout);
}

fn hello_wheel(dir: &Path, version: &str) -> std::path::PathBuf {
    let path = dir.join(format!("hello_pkg-{version}-py3-none-any.whl"));
    let info = format!("hello_pkg-{version}.dist-info");
    zip_file(
        &path,
        &[
            (
                "hello_pkg/__init__.py",
                &format!("__version__ = {version:?}\n"),
            ),
            (
                &format!("{info}/METADATA"),
                &format!("Metadata-Version: 2.1\nName: hello-pkg\nVersion: {version}\n\n"),
            ),
            (
                &format!("{info}/WHEEL"),
                "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            ),
            (&format!("{info}/RECORD"), ""),
        ],
    );
    path
}

fn sdist(dir: &Path, version: &str) {
    crate::support::packages::sdist(dir, "hello_pkg", "hello-pkg", version, &[]);
}

#[test]
fn pypi_wheel_fetched_with_its_index_sha256() {
    let server = servers::pypiserver();
    let packages = server.dir.path().join("packages");
    let wheel_path = hello_wheel(&packages, "1.0.0");
    hello_wheel(&packages, "0.9.0");
    sdist(&packages, "1.0.0");
    let opts = RemoteOptions {
        registries: RegistryUrls {
            pypi_index: format!("{}/simple/", server.base()),
            ..RegistryUrls::default()
        },
        check_registry: true,
        ..RemoteOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    // Any spelling of the name and an equal PEP 440 version find the same file.
    let fetched = fetch("pypi:Hello.Pkg==1.0", &opts, dir.path()).unwrap();
    assert_eq!(fetched.kind.ecosystem().map(|e| e.name()), Some("python"));
    assert_eq!(
        fetched.path,
        dir.path().join("hello_pkg-1.0.0-py3-none-any.whl"),
        "the none-any wheel is preferred to the sdist"
    );
    assert_eq!(
        std::fs::read(&fetched.path).unwrap(),
        std::fs::read(&wheel_path).unwrap()
    );
    assert_eq!(
        check_names(&fetched),
        vec!["simple page", "download sha256", "wheel METADATA"]
    );
    assert!(
        fetched.checks[0].detail.contains("PEP 503 HTML"),
        "pypiserver serves HTML only: {}",
        fetched.checks[0].detail
    );
    assert_eq!(fetched.checks[2].detail, "hello-pkg 1.0.0");
    assert!(
        fetched.verified.iter().any(|v| v.contains("#sha256=")),
        "{:?}",
        fetched.verified
    );

    let err = fetch("pypi:hello-pkg==3.0", &opts, dir.path()).unwrap_err();
    assert!(err.starts_with("Guard|"), "{err}");
    assert!(
        err.contains("/simple/hello-pkg/") && err.contains("hello_pkg-0.9.0"),
        "{err}"
    );

    let wrong = RemoteOptions {
        sha256: Some(hex::encode(Sha256::digest(b"something else"))),
        ..opts
    };
    let empty = tempfile::tempdir().unwrap();
    let err = fetch("pypi:hello-pkg==0.9.0", &wrong, empty.path()).unwrap_err();
    assert!(err.contains("does not match"), "{err}");
    assert!(dir_files(empty.path()).is_empty());
}

#[test]
fn pypi_json_and_html_pages_must_agree() {
    let server = FaultServer::start();
    let wheel_dir = tempfile::tempdir().unwrap();
    let wheel_path = hello_wheel(wheel_dir.path(), "2.0.0");
    let bytes = std::fs::read(&wheel_path).unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    let name = "hello_pkg-2.0.0-py3-none-any.whl";
    let json = serde_json::json!({
        "meta": {"api-version": "1.0"},
        "name": "hello-pkg",
        "files": [{"filename": name, "url": format!("/files/{name}"), "hashes": {"sha256": sha}}]
    })
    .to_string();
    let html = |hash: &str| {
        format!("<html><body><a href=\"/files/{name}#sha256={hash}\">{name}</a></body></html>")
    };
    let page = "/simple/hello-pkg/";
    server.script(
        page,
        vec![
            Reply::with_header(
                200,
                "Content-Type",
                "application/vnd.pypi.simple.v1+json",
                json.clone(),
            ),
            Reply::with_header(200, "Content-Type", "text/html", html(&sha)),
            Reply::with_header(
                200,
                "Content-Type",
                "application/vnd.pypi.simple.v1+json",
                json,
            ),
            Reply::with_header(200, "Content-Type", "text/html", html(&"0".repeat(64))),
        ],
    );
    server.script(&format!("/files/{name}"), vec![Reply::ok(bytes)]);
    let opts = RemoteOptions {
        registries: RegistryUrls {
            pypi_index: server.url("/simple"),
            ..RegistryUrls::default()
        },
        check_registry: true,
        ..RemoteOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let fetched = fetch("pypi:hello-pkg==2.0.0", &opts, dir.path()).unwrap();
    assert!(fetched.checks[0].detail.contains("PEP 691 JSON"));
    assert_eq!(fetched.checks[1].name, "PEP 503 HTML");
    let accept = server.requests(page)[0]
        .header("accept")
        .unwrap()
        .to_string();
    assert!(
        accept.starts_with("application/vnd.pypi.simple.v1+json"),
        "{accept}"
    );

    let err = fetch("pypi:hello-pkg==2.0.0", &opts, dir.path()).unwrap_err();
    assert!(err.contains("disagree"), "{err}");
    assert_eq!(server.count(page), 4);
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
