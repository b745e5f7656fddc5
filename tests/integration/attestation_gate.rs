//! The attestation gate (issue #26 item 3): provenance of npm and PyPI packages where
//! publish-check answers `identical` and smoke-install fetches from a registry, and the `verify`
//! mode for images. Every payload is the forge's (tests/tools/sigstore_forge.py: a local Sigstore
//! instance whose bundles sigstore-python accepts), served by local stand-ins on 127.0.0.1 (the
//! npm attestations endpoint, PyPI's PEP 691 page and PEP 740 provenance: Verdaccio and
//! pypiserver serve neither) and by the Docker distribution registry for images.

use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256, Sha512};

use crate::support::fault_server::{FaultServer, Reply};
use crate::support::harness::{Gha, Run};
use crate::support::servers::{self, digest, push_blob, EMPTY_CONFIG, INDEX, MANIFEST};
use crate::support::sigstore_forge::Forged;
use crate::support::{packages, snap};

const NAME: &str = "forge-pkg";
pub(crate) const VERSION: &str = "1.2.3";
pub(crate) const WORKFLOW_REF: &str =
    "forge-owner/forge-repo/.github/workflows/release.yml@refs/tags/v1.2.3";
const OTHER_IDENTITY: &str =
    "https://github.com/forge-owner/other-repo/.github/workflows/release.yml@refs/tags/v1.2.3";
const NPM_ATTESTATIONS: &str = "/-/npm/v1/attestations/forge-pkg@1.2.3";

pub(crate) fn npm_tarball(flavour: &str) -> Vec<u8> {
    let manifest = json!({"name": NAME, "version": VERSION, "main": "index.js"}).to_string();
    let index = format!("exports.flavour = {flavour:?};\n");
    packages::tarball(
        "package",
        &[("package.json", manifest.as_str()), ("index.js", &index)],
    )
}

/// A workspace with dist/forge-pkg-1.2.3.tgz (`local`), and the forge's material for `signed`
/// (the tarball the provenance is about).
pub(crate) fn npm_case(local: &[u8], signed: &[u8]) -> (tempfile::TempDir, Forged) {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(workspace.path().join("dist")).unwrap();
    std::fs::write(workspace.path().join("dist/forge-pkg-1.2.3.tgz"), local).unwrap();
    let signed_path = workspace.path().join("signed.tgz");
    std::fs::write(&signed_path, signed).unwrap();
    let forged = Forged::with_args(&[
        "--npm-tarball",
        signed_path.to_str().unwrap(),
        "--npm-name",
        NAME,
        "--npm-version",
        VERSION,
    ]);
    (workspace, forged)
}

/// The packument a registry serves for `tarball`, with `dist.attestations` at `attestations`.
fn packument(tarball: &[u8], attestations: Option<&str>) -> String {
    let sri = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(tarball))
    );
    let mut dist = json!({"integrity": sri, "tarball": "http://127.0.0.1:9/forge-pkg-1.2.3.tgz"});
    if let Some(url) = attestations {
        dist["attestations"] =
            json!({"url": url, "provenance": {"predicateType": "https://slsa.dev/provenance/v1"}});
    }
    json!({"name": NAME, "dist-tags": {"latest": VERSION}, "versions": {VERSION: {"dist": dist}}})
        .to_string()
}

/// The npm registry stand-in: the packument, and the forge's attestations document.
pub(crate) fn npm_registry(local: &[u8], forged: &Forged, advertise: bool) -> FaultServer {
    let server = FaultServer::start();
    let url = server.url(NPM_ATTESTATIONS);
    server.script(
        &format!("/{NAME}"),
        vec![Reply::ok(packument(
            local,
            advertise.then_some(url.as_str()),
        ))],
    );
    let doc = std::fs::read(forged.path("registry/npm/attestations.json")).unwrap();
    server.script(NPM_ATTESTATIONS, vec![json_reply(doc)]);
    server
}

fn json_reply(body: impl Into<Vec<u8>>) -> Reply {
    Reply::with_header(200, "Content-Type", "application/json", body)
}

pub(crate) fn publish_check(workspace: &Path, forged: &Forged, registry: &str) -> Gha {
    Gha::new()
        .cwd(workspace)
        .env("RELEASE_ACTION_RETRY_BASE_MS", "5")
        .env("GITHUB_WORKFLOW_REF", WORKFLOW_REF)
        .input("mode", "publish-check")
        .input("packages", "dist/*")
        .input("npm-registry", registry)
        .input("trusted-root", forged.trusted_root().to_str().unwrap())
}

fn provenance_of(run: &Run) -> Value {
    serde_json::from_str(run.out("provenance"))
        .unwrap_or_else(|e| panic!("provenance is not JSON: {e}\n{}", run.describe()))
}

/// The failure table's row for the artifact: expected, found, check.
fn failure_row<'r>(run: &'r Run, artifact: &str) -> &'r str {
    run.summary
        .lines()
        .find(|l| l.starts_with(&format!("| `{artifact}")) && l.matches(" | ").count() == 3)
        .unwrap_or_else(|| panic!("no failure row for {artifact}:\n{}", run.summary))
}

#[test]
fn npm_provenance_signed_by_this_workflow_verifies() {
    let tarball = npm_tarball("a");
    let (workspace, forged) = npm_case(&tarball, &tarball);
    let server = npm_registry(&tarball, &forged, true);
    // The identity is the default: https://github.com/$GITHUB_WORKFLOW_REF.
    let run = publish_check(workspace.path(), &forged, &server.base()).run();
    run.assert_code(0);
    assert_eq!(
        provenance_of(&run),
        json!({"dist/forge-pkg-1.2.3.tgz": "verified"})
    );
    assert_eq!(server.count(NPM_ATTESTATIONS), 1);
    assert!(
        run.summary.contains("✅ verified")
            && run
                .summary
                .contains(&format!("signed by https://github.com/{WORKFLOW_REF}")),
        "{}",
        run.summary
    );
}

#[test]
fn npm_without_provenance_passes_if_present_and_fails_required() {
    let tarball = npm_tarball("a");
    let (workspace, forged) = npm_case(&tarball, &tarball);
    let server = npm_registry(&tarball, &forged, false);
    let run = publish_check(workspace.path(), &forged, &server.base()).run();
    run.assert_code(0);
    assert_eq!(
        provenance_of(&run),
        json!({"dist/forge-pkg-1.2.3.tgz": "none"})
    );
    assert!(
        run.summary.contains("published no provenance"),
        "{}",
        run.summary
    );
    assert_eq!(server.count(NPM_ATTESTATIONS), 0);

    let run = publish_check(workspace.path(), &forged, &server.base())
        .input("provenance", "required")
        .run();
    run.assert_code(1);
    assert_eq!(
        provenance_of(&run),
        json!({"dist/forge-pkg-1.2.3.tgz": "failed"})
    );
    let row = failure_row(&run, "dist/forge-pkg-1.2.3.tgz");
    assert!(
        row.contains("none published") && row.contains("present"),
        "{row}"
    );
    snap::settings().bind(|| insta::assert_snapshot!("npm_required_none_seen", snap::seen(&run)));
}

#[test]
fn npm_provenance_about_other_bytes_fails_the_subject_check() {
    // The registry serves (and the build has) one tarball; the provenance is about another.
    let local = npm_tarball("published");
    let (workspace, forged) = npm_case(&local, &npm_tarball("signed"));
    let server = npm_registry(&local, &forged, true);
    let run = publish_check(workspace.path(), &forged, &server.base()).run();
    run.assert_code(1);
    assert_eq!(
        provenance_of(&run),
        json!({"dist/forge-pkg-1.2.3.tgz": "failed"})
    );
    let row = failure_row(&run, "dist/forge-pkg-1.2.3.tgz");
    assert!(
        row.contains("subject") && row.contains(&hex::encode(Sha512::digest(&local))),
        "{row}"
    );
    snap::settings().bind(|| insta::assert_snapshot!("npm_other_digest_seen", snap::seen(&run)));
}

#[test]
fn npm_provenance_by_another_identity_fails_the_identity_check() {
    let tarball = npm_tarball("a");
    let (workspace, forged) = npm_case(&tarball, &tarball);
    let server = npm_registry(&tarball, &forged, true);
    let run = publish_check(workspace.path(), &forged, &server.base())
        .input("provenance-identity", OTHER_IDENTITY)
        .run();
    run.assert_code(1);
    let row = failure_row(&run, "dist/forge-pkg-1.2.3.tgz");
    assert!(
        row.contains("identity") && row.contains(OTHER_IDENTITY) && row.contains(forged.identity()),
        "{row}"
    );
}

#[test]
fn npm_attestations_on_another_origin_or_as_html_are_exit_2() {
    let tarball = npm_tarball("a");
    let (workspace, forged) = npm_case(&tarball, &tarball);
    // Another origin: never asked.
    let elsewhere = FaultServer::start();
    let server = FaultServer::start();
    let foreign = elsewhere.url(NPM_ATTESTATIONS);
    server.script(
        &format!("/{NAME}"),
        vec![Reply::ok(packument(&tarball, Some(&foreign)))],
    );
    let run = publish_check(workspace.path(), &forged, &server.base()).run();
    run.assert_code(2);
    let errors = run.commands("error").join("\n");
    assert!(
        errors.contains("another origin") && errors.contains(&foreign),
        "{errors}"
    );
    assert_eq!(elsewhere.count(NPM_ATTESTATIONS), 0);

    // The registry's own origin answering an HTML page.
    let server = FaultServer::start();
    let url = server.url(NPM_ATTESTATIONS);
    server.script(
        &format!("/{NAME}"),
        vec![Reply::ok(packument(&tarball, Some(&url)))],
    );
    server.script(
        NPM_ATTESTATIONS,
        vec![Reply::with_header(
            200,
            "Content-Type",
            "text/html",
            "<html><body>Sign in</body></html>",
        )],
    );
    let run = publish_check(workspace.path(), &forged, &server.base()).run();
    run.assert_code(2);
    let errors = run.commands("error").join("\n");
    assert!(
        errors.contains(&url) && errors.contains("text/html") && errors.contains("Sign in"),
        "{errors}"
    );
}

// ------------------------------------------------------------------------------------- PyPI

/// A workspace with the wheel, the forge's PEP 740 provenance about `signed`, and the index
/// stand-in: a PEP 691 JSON page whose file entry links the provenance.
fn pypi_case(signed_flavour: &str) -> (tempfile::TempDir, Forged, FaultServer) {
    let workspace = tempfile::tempdir().unwrap();
    let dist = workspace.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let wheel = packages::wheel(
        &dist,
        "forge_pkg",
        VERSION,
        &[("forge_pkg/__init__.py", "")],
        &[],
    );
    let signed_dir = workspace.path().join("signed");
    std::fs::create_dir_all(&signed_dir).unwrap();
    let signed = if signed_flavour.is_empty() {
        wheel.clone()
    } else {
        packages::wheel(
            &signed_dir,
            "forge_pkg",
            VERSION,
            &[("forge_pkg/__init__.py", signed_flavour)],
            &[],
        )
    };
    let forged = Forged::with_args(&[
        "--wheel",
        signed.to_str().unwrap(),
        "--pypi-version",
        VERSION,
    ]);
    let file_name = wheel.file_name().unwrap().to_str().unwrap().to_string();
    let server = FaultServer::start();
    let provenance = format!("/integrity/forge-pkg/{VERSION}/{file_name}/provenance");
    let page = json!({"meta": {"api-version": "1.1"}, "name": "forge-pkg", "files": [{
        "filename": file_name,
        "url": format!("/files/{file_name}"),
        "hashes": {"sha256": hex::encode(Sha256::digest(std::fs::read(&wheel).unwrap()))},
        "provenance": server.url(&provenance),
    }]});
    server.script(
        "/simple/forge-pkg/",
        vec![Reply::with_header(
            200,
            "Content-Type",
            "application/vnd.pypi.simple.v1+json",
            page.to_string(),
        )],
    );
    let doc = std::fs::read(forged.path("registry/pypi/provenance.json")).unwrap();
    server.script(&provenance, vec![json_reply(doc)]);
    server.script(
        &format!("/files/{file_name}"),
        vec![Reply::ok(std::fs::read(&wheel).unwrap())],
    );
    (workspace, forged, server)
}

fn pypi_check(workspace: &Path, forged: &Forged, server: &FaultServer) -> Run {
    Gha::new()
        .cwd(workspace)
        .env("GITHUB_WORKFLOW_REF", WORKFLOW_REF)
        .input("mode", "publish-check")
        .input("packages", "dist/*.whl")
        .input("pypi-index", &server.url("/simple"))
        .input("trusted-root", forged.trusted_root().to_str().unwrap())
        .run()
}

#[test]
fn pypi_pep740_provenance_of_this_wheel_verifies() {
    let (workspace, forged, server) = pypi_case("");
    let run = pypi_check(workspace.path(), &forged, &server);
    run.assert_code(0);
    assert_eq!(
        provenance_of(&run),
        json!({"dist/forge_pkg-1.2.3-py3-none-any.whl": "verified"})
    );
    assert!(
        run.summary.contains(
            "forge_pkg-1.2.3-py3-none-any.whl (https://docs.pypi.org/attestations/publish/v1)"
        ),
        "{}",
        run.summary
    );
}

#[test]
fn pypi_provenance_of_another_wheel_fails_the_subject_check() {
    let (workspace, forged, server) = pypi_case("print('other bytes')\n");
    let run = pypi_check(workspace.path(), &forged, &server);
    run.assert_code(1);
    let row = failure_row(&run, "dist/forge_pkg-1.2.3-py3-none-any.whl");
    assert!(row.contains("subject"), "{row}");
}

// ------------------------------------------------------------------------------------ images

const REPO: &str = "forge/image";

/// Pushes raw bytes as a manifest (the forge's documents keep their digests).
fn push_raw_manifest(base: &str, reference: &str, media: &str, bytes: &[u8]) -> String {
    let (status, _, body) = servers::http(
        "PUT",
        &format!("{base}/v2/{REPO}/manifests/{reference}"),
        &[("Content-Type", media)],
        bytes,
    )
    .unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    digest(bytes)
}

/// An image in the registry, and the forge's signature and SBOM referrers for its digest,
/// pushed under the referrers tag schema (`sha256-<hex>`: distribution 2.8 has no referrers
/// API). `kinds` picks which referrers to attach (`signature`, `sbom`, and `legacy-sig`:
/// cosign's `sha256-<hex>.sig` tag).
fn signed_image(kinds: &[&str]) -> (servers::Server, Forged, String) {
    let registry = servers::docker_registry();
    let base = registry.base();
    let config = push_blob(&base, None, REPO, b"{}");
    let layer = push_blob(&base, None, REPO, b"image layer");
    let image = json!({"schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": EMPTY_CONFIG, "digest": config, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": 11}]});
    let image_bytes = serde_json::to_vec(&image).unwrap();
    let image_digest = push_raw_manifest(&base, "v1", MANIFEST, &image_bytes);
    let host = base.trim_start_matches("http://").to_string();
    let forged = Forged::with_args(&[
        "--image-digest",
        &image_digest,
        "--image-size",
        &image_bytes.len().to_string(),
        "--image-repo",
        &format!("{host}/{REPO}"),
    ]);
    let oci = forged.registry("oci").clone();
    for entry in std::fs::read_dir(forged.path("registry/oci/blobs")).unwrap() {
        push_blob(
            &base,
            None,
            REPO,
            &std::fs::read(entry.unwrap().path()).unwrap(),
        );
    }
    let mut descriptors = Vec::new();
    for kind in kinds {
        let d = &oci["manifests"][kind];
        let d_digest = d["digest"].as_str().unwrap();
        let bytes = std::fs::read(forged.path(&format!(
            "registry/oci/blobs/{}",
            d_digest.replace(':', "-")
        )))
        .unwrap();
        match d["tag"].as_str() {
            // cosign's legacy signature: a manifest under `sha256-<hex>.sig`.
            Some(tag) => {
                push_raw_manifest(&base, tag, MANIFEST, &bytes);
            }
            None => {
                push_raw_manifest(&base, d_digest, MANIFEST, &bytes);
                descriptors.push(d.clone());
            }
        }
    }
    if !descriptors.is_empty() {
        let index = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": descriptors});
        let tag = image_digest.replace(':', "-");
        push_raw_manifest(&base, &tag, INDEX, &serde_json::to_vec(&index).unwrap());
    }
    let reference = format!("{host}/{REPO}@{image_digest}");
    (registry, forged, reference)
}

fn verify(forged: &Forged, images: &str) -> Gha {
    Gha::new()
        .env("RELEASE_ACTION_RETRY_BASE_MS", "5")
        .env("GITHUB_WORKFLOW_REF", WORKFLOW_REF)
        .input("mode", "verify")
        .input("images", images)
        .input("trusted-root", forged.trusted_root().to_str().unwrap())
}

#[test]
fn an_image_signed_by_this_workflow_verifies_through_the_referrers_tag() {
    let (_registry, forged, image) = signed_image(&["signature", "sbom"]);
    let run = verify(&forged, &image)
        .input("require", "signature\nhttps://spdx.dev/Document")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("verified"), "true");
    assert_eq!(
        provenance_of(&run),
        json!({format!("{image} signature"): "verified", format!("{image} https://spdx.dev/Document"): "verified"})
    );
    assert!(
        run.summary.contains("referrers tag sha256-"),
        "{}",
        run.summary
    );
}

#[test]
fn an_image_without_the_required_sbom_fails() {
    let (_registry, forged, image) = signed_image(&["signature"]);
    let run = verify(&forged, &image)
        .input("require", "signature, https://spdx.dev/Document")
        .run();
    run.assert_code(1);
    assert_eq!(run.out("verified"), "false");
    assert_eq!(
        provenance_of(&run),
        json!({format!("{image} signature"): "verified", format!("{image} https://spdx.dev/Document"): "failed"})
    );
    let row = failure_row(&run, &format!("{image} https://spdx.dev/Document"));
    assert!(
        row.contains("only https://sigstore.dev/cosign/sign/v1"),
        "{row}"
    );
}

#[test]
fn an_image_signed_by_another_identity_fails() {
    let (_registry, forged, image) = signed_image(&["signature"]);
    let run = verify(&forged, &image)
        .input("provenance-identity", OTHER_IDENTITY)
        .run();
    run.assert_code(1);
    let row = failure_row(&run, &format!("{image} signature"));
    assert!(
        row.contains("identity") && row.contains(forged.identity()),
        "{row}"
    );
    snap::settings().bind(|| {
        insta::assert_snapshot!(
            "image_other_identity_seen",
            snap::seen(&run).replace(&image, "[image]")
        )
    });
}

#[test]
fn an_image_by_tag_without_digest_is_exit_2() {
    let run = Gha::new()
        .env("GITHUB_WORKFLOW_REF", WORKFLOW_REF)
        .input("mode", "verify")
        .input("images", "127.0.0.1:9/forge/image@sha256:0000000000000000000000000000000000000000000000000000000000000000\n127.0.0.1:9/forge/image:v1")
        .run();
    run.assert_code(2);
    let errors = run.commands("error").join("\n");
    assert!(
        errors.contains("input `images`, line 2") && errors.contains("has no digest"),
        "{errors}"
    );
}

#[test]
fn no_identity_to_expect_is_exit_2_naming_the_input() {
    let run = Gha::new()
        .env("GITHUB_WORKFLOW_REF", "")
        .input("mode", "verify")
        .input("images", "127.0.0.1:9/forge/image@sha256:0000000000000000000000000000000000000000000000000000000000000000")
        .run();
    run.assert_code(2);
    let errors = run.commands("error").join("\n");
    assert!(
        errors.contains("provenance-identity") && errors.contains("GITHUB_WORKFLOW_REF"),
        "{errors}"
    );
}

// ----------------------------------------------------------------------------- smoke-install

/// The npm registry stand-in for smoke-install: the packument names the tarball it serves.
pub(crate) fn npm_registry_with_tarball(served: &[u8], forged: &Forged) -> FaultServer {
    let server = FaultServer::start();
    let mut doc: Value =
        serde_json::from_str(&packument(served, Some(&server.url(NPM_ATTESTATIONS)))).unwrap();
    doc["versions"][VERSION]["dist"]["tarball"] =
        json!(server.url("/forge-pkg/-/forge-pkg-1.2.3.tgz"));
    server.script(&format!("/{NAME}"), vec![Reply::ok(doc.to_string())]);
    server.script(
        "/forge-pkg/-/forge-pkg-1.2.3.tgz",
        vec![Reply::ok(served.to_vec())],
    );
    let attestations = std::fs::read(forged.path("registry/npm/attestations.json")).unwrap();
    server.script(NPM_ATTESTATIONS, vec![json_reply(attestations)]);
    server
}

fn smoke(forged: &Forged, server: &FaultServer) -> Run {
    Gha::new()
        .env("GITHUB_WORKFLOW_REF", WORKFLOW_REF)
        .input("mode", "smoke-install")
        .input("packages", "npm:forge-pkg@1.2.3")
        .input("npm-registry", &server.base())
        .input("expected-version", VERSION)
        .input("trusted-root", forged.trusted_root().to_str().unwrap())
        .run()
}

#[test]
fn smoke_install_verifies_provenance_before_any_package_code_runs() {
    let tarball = npm_tarball("a");
    let (_workspace, forged) = npm_case(&tarball, &tarball);
    let server = npm_registry_with_tarball(&tarball, &forged);
    let run = smoke(&forged, &server);
    run.assert_code(0);
    assert_eq!(
        provenance_of(&run),
        json!({"npm:forge-pkg@1.2.3": "verified"})
    );
    let results: Value = serde_json::from_str(run.out("results")).unwrap();
    assert_eq!(results[0]["fetched"]["provenance"]["status"], "verified");

    // The registry serves other bytes than the provenance is about: nothing is installed.
    let (_workspace, forged) = npm_case(&tarball, &npm_tarball("signed"));
    let server = npm_registry_with_tarball(&tarball, &forged);
    let run = smoke(&forged, &server);
    run.assert_code(1);
    assert_eq!(run.out("passed"), "false");
    assert!(
        !run.outputs.contains_key("results"),
        "nothing was installed: {:?}",
        run.outputs
    );
    let row = failure_row(&run, "npm:forge-pkg@1.2.3");
    assert!(row.contains("subject"), "{row}");
}

/// A registry with the OCI 1.1 referrers API (distribution 2.8 has none): the stand-in serves
/// the image manifest, the referrers index the spec documents, the forge's referrer manifest
/// and its bundle blob. `referrers`: another answer of the referrers API than the index.
fn referrers_api_registry(referrers: Option<Reply>) -> (FaultServer, Forged, String) {
    let server = FaultServer::start();
    let image = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let image_digest = digest(image);
    let host = server.base().trim_start_matches("http://").to_string();
    let forged = Forged::with_args(&[
        "--image-digest",
        &image_digest,
        "--image-size",
        &image.len().to_string(),
        "--image-repo",
        &format!("{host}/{REPO}"),
    ]);
    let v2 = format!("/v2/{REPO}");
    server.script(
        &format!("{v2}/manifests/{image_digest}"),
        vec![Reply::with_header(
            200,
            "Content-Type",
            MANIFEST,
            image.to_vec(),
        )],
    );
    let signature = forged.registry("oci")["manifests"]["signature"].clone();
    let blob = |d: &str| {
        std::fs::read(forged.path(&format!("registry/oci/blobs/{}", d.replace(':', "-")))).unwrap()
    };
    let manifest_digest = signature["digest"].as_str().unwrap().to_string();
    let manifest = blob(&manifest_digest);
    server.script(
        &format!("{v2}/manifests/{manifest_digest}"),
        vec![Reply::with_header(
            200,
            "Content-Type",
            MANIFEST,
            manifest.clone(),
        )],
    );
    let parsed: Value = serde_json::from_slice(&manifest).unwrap();
    let layer = parsed["layers"][0]["digest"].as_str().unwrap();
    server.script(&format!("{v2}/blobs/{layer}"), vec![Reply::ok(blob(layer))]);
    let index = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": [signature]});
    let referrers = referrers
        .unwrap_or_else(|| Reply::with_header(200, "Content-Type", INDEX, index.to_string()));
    server.script(&format!("{v2}/referrers/{image_digest}"), vec![referrers]);
    (server, forged, format!("{host}/{REPO}@{image_digest}"))
}

#[test]
fn the_referrers_api_answer_is_read_and_an_html_answer_is_exit_2() {
    let (server, forged, image) = referrers_api_registry(None);
    let run = verify(&forged, &image).run();
    run.assert_code(0);
    assert!(run.summary.contains("referrers API"), "{}", run.summary);
    // The tag schema is not asked once the API answered.
    let tag = image.rsplit_once('@').unwrap().1.replace(':', "-");
    assert_eq!(server.count(&format!("/v2/{REPO}/manifests/{tag}")), 0);

    let (_server, forged, image) = referrers_api_registry(Some(Reply::with_header(
        200,
        "Content-Type",
        "text/html",
        "<html>login</html>",
    )));
    let run = verify(&forged, &image).run();
    run.assert_code(2);
    let errors = run.commands("error").join("\n");
    assert!(errors.contains("/referrers/sha256:"), "{errors}");
}

#[test]
fn an_image_signed_the_older_cosign_way_verifies_through_the_sig_tag() {
    let (registry, forged, image) = signed_image(&["legacy-sig"]);
    let run = verify(&forged, &image).run();
    run.assert_code(0);
    assert!(
        run.summary.contains("cosign tag sha256-"),
        "{}",
        run.summary
    );

    // The same signature copied to another image's `.sig` tag: the signature verifies over its
    // payload, and the payload names the first image's digest.
    let base = registry.base();
    let config = push_blob(&base, None, REPO, b"{}");
    let other = json!({"schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": EMPTY_CONFIG, "digest": config, "size": 2}, "layers": []});
    let other_digest = push_raw_manifest(
        &base,
        "other",
        MANIFEST,
        &serde_json::to_vec(&other).unwrap(),
    );
    let legacy = &forged.registry("oci")["manifests"]["legacy-sig"];
    let d = legacy["digest"].as_str().unwrap().replace(':', "-");
    let bytes = std::fs::read(forged.path(&format!("registry/oci/blobs/{d}"))).unwrap();
    push_raw_manifest(
        &base,
        &format!("{}.sig", other_digest.replace(':', "-")),
        MANIFEST,
        &bytes,
    );
    let other_image = format!("{}@{other_digest}", image.rsplit_once('@').unwrap().0);
    let run = verify(&forged, &other_image).run();
    run.assert_code(1);
    let row = failure_row(&run, &format!("{other_image} signature"));
    let signed = image.rsplit_once('@').unwrap().1;
    assert!(row.contains("subject") && row.contains(signed), "{row}");
}

#[test]
fn outside_actions_the_identity_is_asked_for_only_when_provenance_is_to_be_checked() {
    let tarball = npm_tarball("a");
    let (workspace, forged) = npm_case(&tarball, &tarball);
    // No GITHUB_WORKFLOW_REF (a terminal, act) and nothing advertised: nothing to check.
    let server = npm_registry(&tarball, &forged, false);
    let run = publish_check(workspace.path(), &forged, &server.base())
        .env("GITHUB_WORKFLOW_REF", "")
        .run();
    run.assert_code(0);
    assert_eq!(
        provenance_of(&run),
        json!({"dist/forge-pkg-1.2.3.tgz": "none"})
    );
    // Provenance advertised: it cannot be checked without an identity, and never passes.
    let server = npm_registry(&tarball, &forged, true);
    let run = publish_check(workspace.path(), &forged, &server.base())
        .env("GITHUB_WORKFLOW_REF", "")
        .run();
    run.assert_code(2);
    let errors = run.commands("error").join("\n");
    assert!(
        errors.contains("provenance-identity") && errors.contains("GITHUB_WORKFLOW_REF"),
        "{errors}"
    );
    assert_eq!(server.count(NPM_ATTESTATIONS), 0);
    // `required` needs the identity before anything is asked.
    let run = publish_check(workspace.path(), &forged, &server.base())
        .env("GITHUB_WORKFLOW_REF", "")
        .input("provenance", "required")
        .run();
    run.assert_code(2);
    assert_eq!(
        server.count(&format!("/{NAME}")),
        1,
        "only the first run asked"
    );
}

#[test]
fn smoke_install_of_a_pypi_entry_verifies_its_pep740_provenance() {
    let (_workspace, forged, server) = pypi_case("");
    let run = Gha::new()
        .env("GITHUB_WORKFLOW_REF", WORKFLOW_REF)
        .input("mode", "smoke-install")
        .input("packages", "pypi:forge-pkg==1.2.3")
        .input("pypi-index", &server.url("/simple"))
        .input("expected-version", VERSION)
        .input("trusted-root", forged.trusted_root().to_str().unwrap())
        .run();
    run.assert_code(0);
    assert_eq!(
        provenance_of(&run),
        json!({"pypi:forge-pkg==1.2.3": "verified"})
    );
}
