//! npm end to end: smoke-install over tarballs and `npm:` coordinates (real pnpm, npm and node),
//! fetch from Verdaccio, publish-check's npm answers.

use crate::publish_check::{check, npm_workspace, pairs, states, PACKUMENT_PATH};
use crate::smoke_install_remote as remote;
use crate::support::fault_server::{FaultServer, Reply};
use crate::support::fetching::{check_names, dir_files, fetch};
use crate::support::harness::*;
use crate::support::servers;
use crate::support::smoke::{checks, has_check, results, smoke, smoke_expecting};
use crate::support::snap;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use release_action::ecosystem::remote::RemoteOptions;
use release_action::ecosystem::RegistryUrls;
use sha2::{Digest as _, Sha256};

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

pub(crate) fn good_sdk(dir: &Path, version: &str) -> PathBuf {
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
    snap::settings().bind(|| insta::assert_snapshot!("npm_pass_summary", run.summary));
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
    snap::settings().bind(|| insta::assert_snapshot!("npm_missing_export_summary", run.summary));
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

#[test]
fn npm_coordinate_from_verdaccio_is_checked_fetched_twice_installed_and_imported() {
    let server = servers::verdaccio();
    let token = servers::verdaccio_user(&server, "publisher", "publisher-pass-1");
    servers::npm_publish(&server, &token, "@acme/hello", "1.0.0", None);
    servers::npm_publish(&server, &token, "@acme/hello", "1.1.0-rc.1", Some("next"));

    let gha = remote::smoke()
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
    remote::assert_all_passed(hello, &["fetch", "install", "require", "version"], &run);
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
        remote::leftovers(&gha),
        Vec::<String>::new(),
        "temp files left behind"
    );

    // The expected version still applies to a fetched package.
    let run = remote::smoke()
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
