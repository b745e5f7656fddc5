//! npm:, pypi: and go: coordinates against real registries on 127.0.0.1 (Verdaccio 6.8.0,
//! pypiserver 2.4.2, a GOPROXY tree served by `python3 -m http.server`), with `check-registry`.

use crate::support::fault_server;
use crate::support::servers;

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use release_action::ecosystem::remote::{self, ArtifactKind, Fetched, RemoteOptions, Source};
use release_action::ecosystem::RegistryUrls;
use release_action::fetch::{self};
use sha2::{Digest as _, Sha256};

struct Logs(RefCell<Vec<String>>);

impl fetch::Log for Logs {
    fn log(&self, message: &str) {
        self.0.borrow_mut().push(message.to_string());
    }
}

fn logs() -> Logs {
    std::env::set_var(fetch::RETRY_BASE_ENV, "5");
    Logs(RefCell::new(Vec::new()))
}

fn fetch(entry: &str, opts: &RemoteOptions, dir: &Path) -> Result<Fetched, String> {
    let source = Source::parse(entry).expect("a remote entry").unwrap();
    remote::fetch(&source, opts, dir, &logs()).map_err(|f| {
        assert_ne!(f.message, "", "errors carry a message");
        format!("{:?}|{}", f.kind, f)
    })
}

fn check_names(f: &Fetched) -> Vec<&str> {
    f.checks.iter().map(|c| c.name.as_str()).collect()
}

fn dir_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

// ------------------------------------------------------------------------------------------ npm

#[test]
fn npm_package_fetched_with_integrity_and_registry_checked() {
    let server = servers::verdaccio();
    let token = servers::verdaccio_user(&server, "publisher", "publisher-pass-1");
    servers::npm_publish(&server, &token, "@acme/hello", "1.0.0", None);
    servers::npm_publish(&server, &token, "@acme/hello", "1.1.0-rc.1", Some("next"));
    let opts = RemoteOptions {
        registries: RegistryUrls {
            npm_registry: server.base(),
            ..RegistryUrls::default()
        },
        check_registry: true,
        check_cache: true,
        ..RemoteOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let fetched = fetch("npm:@acme/hello@1.1.0-rc.1", &opts, dir.path()).unwrap();
    assert_eq!(fetched.kind.ecosystem().map(|e| e.name()), Some("npm"));
    assert_eq!(fetched.path, dir.path().join("acme-hello-1.1.0-rc.1.tgz"));
    assert_eq!(
        fetched.sha256,
        hex::encode(Sha256::digest(std::fs::read(&fetched.path).unwrap()))
    );
    assert!(fetched.url.starts_with(&server.base()), "{}", fetched.url);
    assert_eq!(
        check_names(&fetched),
        vec![
            "packument",
            "dist-tags",
            "full packument",
            "tarball integrity",
            "tarball package.json"
        ]
    );
    assert!(
        fetched.checks[0]
            .detail
            .contains("abbreviated (application/vnd.npm.install-v1+json)"),
        "Verdaccio serves the abbreviated packument when asked: {}",
        fetched.checks[0].detail
    );
    let tags = &fetched.checks[1].detail;
    assert!(tags.contains("next → 1.1.0-rc.1"), "{tags}");
    assert_eq!(fetched.checks[4].detail, "@acme/hello@1.1.0-rc.1");
    assert!(
        fetched
            .verified
            .iter()
            .any(|v| v.contains("sha512-") && v.contains("dist.integrity")),
        "{:?}",
        fetched.verified
    );
    assert!(fetched.cache.is_some());
    assert_eq!(dir_files(dir.path()), vec!["acme-hello-1.1.0-rc.1.tgz"]);

    // A version that was never published fails at once, naming the packument and what exists.
    let err = fetch("npm:@acme/hello@2.0.0", &opts, dir.path()).unwrap_err();
    assert!(err.starts_with("Guard|"), "{err}");
    assert!(
        err.contains(&format!("{}/@acme%2fhello", server.base())),
        "{err}"
    );
    assert!(
        err.contains("1.1.0-rc.1") && err.contains("latest=1.0.0"),
        "{err}"
    );

    // An expected integrity that does not match is rejected and nothing is left behind.
    let empty = tempfile::tempdir().unwrap();
    let wrong = RemoteOptions {
        integrity: Some(
            "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
                .into(),
        ),
        ..opts.clone()
    };
    let err = fetch("npm:@acme/hello@1.0.0", &wrong, empty.path()).unwrap_err();
    assert!(
        err.starts_with("Guard|") && err.contains("does not match"),
        "{err}"
    );
    assert!(dir_files(empty.path()).is_empty());
}

#[test]
fn npm_private_package_needs_the_registry_token() {
    let server = servers::verdaccio();
    let token = servers::verdaccio_user(&server, "owner", "owner-pass-1");
    servers::npm_publish(&server, &token, "@private/secret", "0.1.0", None);
    let dir = tempfile::tempdir().unwrap();
    let anonymous = RemoteOptions {
        registries: RegistryUrls {
            npm_registry: server.base(),
            ..RegistryUrls::default()
        },
        ..RemoteOptions::default()
    };
    let err = fetch("npm:@private/secret@0.1.0", &anonymous, dir.path()).unwrap_err();
    assert!(err.starts_with("Guard|"), "{err}");
    assert!(err.contains("401") || err.contains("403"), "{err}");
    assert!(err.contains("registry-token"), "{err}");

    let with_token = RemoteOptions {
        registry_token: Some(token),
        ..anonymous
    };
    let fetched = fetch("npm:@private/secret@0.1.0", &with_token, dir.path()).unwrap();
    assert_eq!(
        fetched.bytes,
        std::fs::metadata(&fetched.path).unwrap().len()
    );
    assert!(fetched.path.ends_with("private-secret-0.1.0.tgz"));
}

// ----------------------------------------------------------------------------------------- PyPI

fn zip_file(path: &Path, files: &[(&str, &str)]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, text) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap();
}

fn wheel(dir: &Path, version: &str) -> std::path::PathBuf {
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
    let wheel_path = wheel(&packages, "1.0.0");
    wheel(&packages, "0.9.0");
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
    use fault_server::{FaultServer, Reply};
    let server = FaultServer::start();
    let wheel_dir = tempfile::tempdir().unwrap();
    let wheel_path = wheel(wheel_dir.path(), "2.0.0");
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

// ------------------------------------------------------------------------------------------- Go

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
