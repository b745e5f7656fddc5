//! oci:// artifacts from a real Docker distribution registry on 127.0.0.1, pushed through the
//! registry API the way ORAS and `helm push` store them; and the bearer-token challenge against a
//! scripted registry (token realm, blob redirect to another host).

use crate::support::fault_server;
use crate::support::servers;
use servers::{
    descriptor, digest, push_artifact, push_blob, push_manifest, EMPTY_CONFIG, INDEX, MANIFEST,
};

use std::cell::RefCell;
use std::path::Path;

use base64::Engine as _;
use fault_server::{FaultServer, Reply};
use release_action::ecosystem::remote::{self, Fetched, RemoteOptions, Source};
use release_action::fetch::{self};
use serde_json::json;
use sha2::{Digest as _, Sha256};

struct Logs(RefCell<Vec<String>>);

impl fetch::Log for Logs {
    fn log(&self, message: &str) {
        self.0.borrow_mut().push(message.to_string());
    }
}

fn fetch_with_logs(
    entry: &str,
    opts: &RemoteOptions,
    dir: &Path,
) -> (Result<Fetched, String>, String) {
    std::env::set_var(fetch::RETRY_BASE_ENV, "5");
    let logs = Logs(RefCell::new(Vec::new()));
    let source = Source::parse(entry).expect("remote entry").unwrap();
    let result = remote::fetch(&source, opts, dir, &logs).map_err(|f| format!("{:?}|{f}", f.kind));
    let text = logs.0.borrow().join("\n");
    (result, text)
}

fn fetch(entry: &str, dir: &Path) -> Result<Fetched, String> {
    fetch_with_logs(entry, &RemoteOptions::default(), dir).0
}

const PACKAGE: &[u8] = b"\x1f\x8b pretend this is hello-1.0.0.tgz";
const PACKAGE_TYPE: &str = "application/vnd.acme.package.v1";

/// A distribution registry holding `acme/hello:1.0.0`, one layer titled hello-1.0.0.tgz; returns
/// the registry, its `host:port` and the manifest digest.
fn registry_with_hello() -> (servers::Server, String, String) {
    let registry = servers::docker_registry();
    let host = format!("127.0.0.1:{}", registry.port);
    let pkg_digest = push_artifact(
        &registry.base(),
        None,
        "acme/hello",
        "1.0.0",
        PACKAGE_TYPE,
        &[("hello-1.0.0.tgz", PACKAGE)],
    );
    (registry, host, pkg_digest)
}

#[test]
fn oci_artifact_by_tag_and_by_digest() {
    let (registry, host, pkg_digest) = registry_with_hello();
    let dir = tempfile::tempdir().unwrap();

    // By tag: the single layer, named by its title, digest-verified.
    let fetched = fetch(&format!("oci://{host}/acme/hello:1.0.0"), dir.path()).unwrap();
    assert_eq!(fetched.path, dir.path().join("hello-1.0.0.tgz"));
    assert_eq!(std::fs::read(&fetched.path).unwrap(), PACKAGE);
    assert!(
        fetched.verified.iter().any(|v| v.contains(&pkg_digest)),
        "manifest digest reported: {:?}",
        fetched.verified
    );
    assert!(fetched
        .verified
        .iter()
        .any(|v| v.contains(&digest(PACKAGE)) && v.contains("matches its digest")));

    // By digest.
    let by_digest = tempfile::tempdir().unwrap();
    let fetched = fetch(
        &format!("oci://{host}/acme/hello@{pkg_digest}"),
        by_digest.path(),
    )
    .unwrap();
    assert_eq!(std::fs::read(&fetched.path).unwrap(), PACKAGE);
    let err = fetch(
        &format!("oci://{host}/acme/hello@sha256:{}", "0".repeat(64)),
        by_digest.path(),
    )
    .unwrap_err();
    assert!(err.starts_with("Guard|") && err.contains("404"), "{err}");
    assert!(
        err.contains(&format!(
            "{}/v2/acme/hello/manifests/sha256:",
            registry.base()
        )),
        "{err}"
    );
}

#[test]
fn oci_index_gives_its_first_manifest_or_the_requested_artifact_type() {
    let (registry, host, pkg_digest) = registry_with_hello();
    let base = registry.base();
    let sbom: &[u8] = br#"{"sbom":true}"#;
    let sbom_digest = push_artifact(
        &base,
        None,
        "acme/hello",
        "sbom",
        "application/vnd.acme.sbom.v1",
        &[("sbom.json", sbom)],
    );
    let manifest_size = |d: &str| {
        let (_, _, body) = servers::http(
            "GET",
            &format!("{base}/v2/acme/hello/manifests/{d}"),
            &[("Accept", MANIFEST)],
            b"",
        )
        .unwrap();
        body.len()
    };
    let index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": [
            {"mediaType": MANIFEST, "digest": sbom_digest, "size": manifest_size(&sbom_digest), "artifactType": "application/vnd.acme.sbom.v1"},
            {"mediaType": MANIFEST, "digest": pkg_digest, "size": manifest_size(&pkg_digest), "artifactType": PACKAGE_TYPE}
        ]
    });
    push_manifest(&base, None, "acme/hello", "multi", INDEX, &index);
    let d1 = tempfile::tempdir().unwrap();
    let first = fetch(&format!("oci://{host}/acme/hello:multi"), d1.path()).unwrap();
    assert_eq!(first.path, d1.path().join("sbom.json"));
    let d2 = tempfile::tempdir().unwrap();
    let typed = fetch(
        &format!("oci://{host}/acme/hello:multi?artifactType={PACKAGE_TYPE}"),
        d2.path(),
    )
    .unwrap();
    assert_eq!(std::fs::read(&typed.path).unwrap(), PACKAGE);
    let err = fetch(
        &format!("oci://{host}/acme/hello:multi?artifactType=application/vnd.other"),
        d2.path(),
    )
    .unwrap_err();
    assert!(
        err.contains("application/vnd.acme.sbom.v1, application/vnd.acme.package.v1"),
        "{err}"
    );
}

#[test]
fn oci_artifact_with_several_layers_needs_a_title() {
    let registry = servers::docker_registry();
    let host = format!("127.0.0.1:{}", registry.port);
    push_artifact(
        &registry.base(),
        None,
        "acme/files",
        "2.0.0",
        "application/vnd.acme.files.v1",
        &[("a.txt", b"alpha"), ("b.txt", b"bravo")],
    );
    let d3 = tempfile::tempdir().unwrap();
    let b = fetch(&format!("oci://{host}/acme/files:2.0.0#b.txt"), d3.path()).unwrap();
    assert_eq!(std::fs::read(&b.path).unwrap(), b"bravo");
    let err = fetch(&format!("oci://{host}/acme/files:2.0.0"), d3.path()).unwrap_err();
    assert!(
        err.starts_with("Usage|") && err.contains("a.txt, b.txt") && err.contains("#<file name>"),
        "{err}"
    );
    let err = fetch(&format!("oci://{host}/acme/files:2.0.0#c.txt"), d3.path()).unwrap_err();
    assert!(
        err.starts_with("Guard|") && err.contains("\"c.txt\""),
        "{err}"
    );
}

#[test]
fn oci_helm_chart_is_named_from_its_config() {
    // A Helm chart as `helm push` stores it: helm config, one untitled chart layer.
    let registry = servers::docker_registry();
    let base = registry.base();
    let host = format!("127.0.0.1:{}", registry.port);
    let chart: &[u8] = b"\x1f\x8b pretend chart";
    let chart_config: &[u8] = br#"{"name":"mychart","version":"0.1.0","apiVersion":"v2"}"#;
    push_blob(&base, None, "acme/charts/mychart", chart_config);
    push_blob(&base, None, "acme/charts/mychart", chart);
    push_manifest(
        &base,
        None,
        "acme/charts/mychart",
        "0.1.0",
        MANIFEST,
        &json!({
            "schemaVersion": 2,
            "config": descriptor("application/vnd.cncf.helm.config.v1+json", chart_config, None),
            "layers": [descriptor("application/vnd.cncf.helm.chart.content.v1.tar+gzip", chart, None)]
        }),
    );
    let d4 = tempfile::tempdir().unwrap();
    let helm = fetch(
        &format!("oci://{host}/acme/charts/mychart:0.1.0"),
        d4.path(),
    )
    .unwrap();
    assert_eq!(helm.path, d4.path().join("mychart-0.1.0.tgz"));
    assert_eq!(std::fs::read(&helm.path).unwrap(), chart);
}

#[test]
fn oci_blob_corrupted_in_storage_is_caught_by_the_layer_digest() {
    let (registry, host, _) = registry_with_hello();
    let hex_digest = hex::encode(Sha256::digest(PACKAGE));
    let data = registry
        .dir
        .path()
        .join("storage/docker/registry/v2/blobs/sha256")
        .join(&hex_digest[..2])
        .join(&hex_digest)
        .join("data");
    let mut corrupt = PACKAGE.to_vec();
    corrupt[5] ^= 0xff;
    std::fs::write(&data, &corrupt).unwrap();
    let d5 = tempfile::tempdir().unwrap();
    let err = fetch(&format!("oci://{host}/acme/hello:1.0.0"), d5.path()).unwrap_err();
    assert!(
        err.starts_with("Guard|") && err.contains("does not match its digest"),
        "{err}"
    );
    assert!(err.contains(&digest(PACKAGE)), "{err}");
    assert_eq!(
        std::fs::read_dir(d5.path()).unwrap().count(),
        0,
        "nothing is kept"
    );
}

#[test]
fn oci_bearer_challenge_with_token_and_anonymously() {
    let registry = FaultServer::start();
    let cdn = FaultServer::start();
    let layer: &[u8] = b"chart bytes";
    let layer_digest = digest(layer);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": EMPTY_CONFIG, "digest": digest(b"{}"), "size": 2},
        "layers": [descriptor("application/vnd.acme.bin", layer, Some("app.bin"))]
    }))
    .unwrap();
    let challenge = format!(
        "Bearer realm=\"{}\",service=\"registry.test\",scope=\"repository:acme/app:pull\"",
        registry.url("/token")
    );
    let protect = |ok: Reply| Reply::RequireAuth {
        expect: "Bearer reg-bearer".into(),
        challenge: challenge.clone(),
        ok: Box::new(ok),
    };
    registry.script(
        "/v2/acme/app/manifests/1.0",
        vec![protect(Reply::with_header(
            200,
            "Content-Type",
            MANIFEST,
            manifest.clone(),
        ))],
    );
    registry.script(
        &format!("/v2/acme/app/blobs/{layer_digest}"),
        vec![protect(Reply::Redirect(cdn.url("/storage/blob")))],
    );
    cdn.script("/storage/blob", vec![Reply::ok(layer)]);
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("release-action:ghp_registry_token")
    );
    registry.script(
        "/token",
        vec![Reply::RequireAuth {
            expect: basic,
            challenge: "Basic realm=\"token\"".into(),
            ok: Box::new(Reply::ok(r#"{"token":"reg-bearer","expires_in":300}"#)),
        }],
    );
    let host = registry.base().trim_start_matches("http://").to_string();
    let entry = format!("oci://{host}/acme/app:1.0");
    let opts = RemoteOptions {
        registry_token: Some("ghp_registry_token".into()),
        ..RemoteOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (result, logs) = fetch_with_logs(&entry, &opts, dir.path());
    let fetched = result.unwrap();
    assert_eq!(std::fs::read(&fetched.path).unwrap(), layer);
    assert!(fetched.path.ends_with("app.bin"));

    let token_requests = registry.requests("/token");
    assert_eq!(token_requests.len(), 1);
    let query = &token_requests[0].path;
    assert!(query.contains("service=registry.test"), "{query}");
    assert!(
        query.contains("scope=repository%3Aacme%2Fapp%3Apull"),
        "{query}"
    );
    let blob_requests = registry.requests(&format!("/v2/acme/app/blobs/{layer_digest}"));
    assert_eq!(
        blob_requests[0].header("authorization"),
        Some("Bearer reg-bearer")
    );
    assert_eq!(
        cdn.requests("/storage/blob")[0].header("authorization"),
        None
    );
    assert!(
        !logs.contains("ghp_registry_token") && !logs.contains("reg-bearer"),
        "{logs}"
    );
    assert!(logs.contains("with registry-token"), "{logs}");

    // Without a token, the realm is asked anonymously; this one refuses, and the error says so.
    let (result, logs) = fetch_with_logs(&entry, &RemoteOptions::default(), dir.path());
    let err = result.unwrap_err();
    assert!(logs.contains("anonymously"), "{logs}");
    let anonymous = &registry.requests("/token")[1];
    assert_eq!(anonymous.header("authorization"), None);
    assert!(
        err.contains("401") && err.contains("registry-token"),
        "{err}"
    );
}

#[test]
fn oci_basic_auth_registry_takes_user_and_password() {
    let registry = servers::docker_registry_with_user("ci-bot", "pw-2026-ok");
    let base = registry.base();
    let host = format!("127.0.0.1:{}", registry.port);
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ci-bot:pw-2026-ok")
    );
    let file: &[u8] = b"private artifact";
    push_artifact(
        &base,
        Some(&basic),
        "team/private",
        "1.0.0",
        "application/vnd.acme.package.v1",
        &[("private.bin", file)],
    );
    let entry = format!("oci://{host}/team/private:1.0.0");
    let dir = tempfile::tempdir().unwrap();

    let (result, _) = fetch_with_logs(&entry, &RemoteOptions::default(), dir.path());
    let err = result.unwrap_err();
    assert!(
        err.contains("401") && err.contains("registry-token"),
        "{err}"
    );

    let wrong = RemoteOptions {
        registry_token: Some("ci-bot:wrong".into()),
        ..RemoteOptions::default()
    };
    let (result, _) = fetch_with_logs(&entry, &wrong, dir.path());
    let err = result.unwrap_err();
    assert!(err.starts_with("Guard|") && err.contains("401"), "{err}");

    let right = RemoteOptions {
        registry_token: Some("ci-bot:pw-2026-ok".into()),
        ..RemoteOptions::default()
    };
    let (result, logs) = fetch_with_logs(&entry, &right, dir.path());
    let fetched = result.unwrap();
    assert_eq!(std::fs::read(&fetched.path).unwrap(), file);
    assert!(!logs.contains("pw-2026-ok"), "{logs}");
}
