//! verify-bundle against bundles made here with openssl: a key-signed bundle with a Rekor-style
//! log entry (signed entry timestamp, inclusion proof, signed checkpoint) under a trusted root of
//! our own, the same bundle tampered with, and hostile or malformed input. (The conformance
//! suite's cases run in scripts/sigstore-conformance-run.sh; Fulcio-style certificates come from
//! the Sigstore forge in support/.)

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::harness::{Gha, Run};
use crate::support::snap;

const ARTIFACT: &[u8] = b"release-action 1.2.3\n";
const LOG_HOST: &str = "rekor.test.invalid";
const INTEGRATED_TIME: i64 = 1_750_000_000;

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An ECDSA P-256 key pair: the private key's path, the public key's PEM path and its SPKI DER.
struct Key {
    private: PathBuf,
    public_pem: PathBuf,
    spki: Vec<u8>,
}

fn key(dir: &Path, name: &str) -> Key {
    let private = dir.join(format!("{name}.key"));
    let public_pem = dir.join(format!("{name}.pub"));
    openssl(
        dir,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            private.to_str().unwrap(),
        ],
    );
    openssl(
        dir,
        &[
            "ec",
            "-in",
            private.to_str().unwrap(),
            "-pubout",
            "-out",
            public_pem.to_str().unwrap(),
        ],
    );
    let spki = openssl(
        dir,
        &[
            "pkey",
            "-pubin",
            "-in",
            public_pem.to_str().unwrap(),
            "-outform",
            "DER",
        ],
    );
    Key {
        private,
        public_pem,
        spki,
    }
}

/// An ECDSA-with-SHA-256 DER signature over `data`.
fn sign(dir: &Path, key: &Key, data: &[u8]) -> Vec<u8> {
    let input = dir.join("to-sign");
    std::fs::write(&input, data).unwrap();
    openssl(
        dir,
        &[
            "dgst",
            "-sha256",
            "-sign",
            key.private.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
    )
}

fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

/// A trusted root with one transparency log, `log`.
fn trusted_root(log: &Key) -> Value {
    json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{
            "baseUrl": format!("https://{LOG_HOST}"),
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": B64.encode(&log.spki),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": "2020-01-01T00:00:00Z"}
            },
            "logId": {"keyId": B64.encode(sha256(&log.spki))}
        }],
        "certificateAuthorities": [],
        "ctlogs": [],
        "timestampAuthorities": []
    })
}

/// A v0.3 bundle of `artifact` signed by `signer`, logged by `log` as the only entry of a tree
/// of size 1: a hashedrekord body, its signed entry timestamp, its inclusion proof and a
/// checkpoint signed by the log.
fn bundle(dir: &Path, signer: &Key, log: &Key, artifact: &[u8]) -> Value {
    let digest = sha256(artifact);
    let signature = sign(dir, signer, artifact);
    let public_pem = std::fs::read(&signer.public_pem).unwrap();
    let body = json!({
        "apiVersion": "0.0.1", "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(&digest)}},
            "signature": {"content": B64.encode(&signature), "publicKey": {"content": B64.encode(&public_pem)}}
        }
    })
    .to_string();
    let log_id = sha256(&log.spki);
    let set_payload = format!(
        r#"{{"body":"{}","integratedTime":{INTEGRATED_TIME},"logID":"{}","logIndex":0}}"#,
        B64.encode(body.as_bytes()),
        hex::encode(&log_id)
    );
    let set = sign(dir, log, set_payload.as_bytes());
    let mut leaf = vec![0u8];
    leaf.extend_from_slice(body.as_bytes());
    let root_hash = sha256(&leaf);
    let note = format!("{LOG_HOST} - 1\n1\n{}\n", B64.encode(&root_hash));
    let mut note_sig = log_id[..4].to_vec();
    note_sig.extend(sign(dir, log, note.as_bytes()));
    let checkpoint = format!("{note}\n\u{2014} {LOG_HOST} {}\n", B64.encode(&note_sig));
    json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "publicKey": {"hint": "release key"},
            "tlogEntries": [{
                "logIndex": "0",
                "logId": {"keyId": B64.encode(&log_id)},
                "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                "integratedTime": INTEGRATED_TIME.to_string(),
                "inclusionPromise": {"signedEntryTimestamp": B64.encode(&set)},
                "inclusionProof": {
                    "logIndex": "0", "rootHash": B64.encode(&root_hash), "treeSize": "1",
                    "hashes": [], "checkpoint": {"envelope": checkpoint}
                },
                "canonicalizedBody": B64.encode(body.as_bytes())
            }]
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode(&digest)},
            "signature": B64.encode(&signature)
        }
    })
}

/// The materials of one case in a temp dir.
struct Case {
    gha: Gha,
    signer: Key,
    log: Key,
    bundle: Value,
}

impl Case {
    fn new() -> Case {
        let gha = Gha::new();
        let dir = gha.path().to_path_buf();
        let signer = key(&dir, "signer");
        let log = key(&dir, "log");
        let bundle = bundle(&dir, &signer, &log, ARTIFACT);
        std::fs::write(dir.join("artifact.txt"), ARTIFACT).unwrap();
        std::fs::write(
            dir.join("trusted_root.json"),
            trusted_root(&log).to_string(),
        )
        .unwrap();
        Case {
            gha,
            signer,
            log,
            bundle,
        }
    }

    fn dir(&self) -> &Path {
        self.gha.path()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    }

    /// verify-bundle over `bundle` with the case's key and trusted root and extra `args`.
    fn verify(&self, bundle: &[u8], args: &[&str]) -> Run {
        let bundle = self.write("bundle.sigstore.json", bundle);
        let key = self.signer.public_pem.to_string_lossy().into_owned();
        let root = self
            .dir()
            .join("trusted_root.json")
            .to_string_lossy()
            .into_owned();
        let mut argv = vec![
            "verify-bundle",
            "--bundle",
            &bundle,
            "--key",
            &key,
            "--trusted-root",
            &root,
        ];
        argv.extend_from_slice(args);
        Gha::new().args(&argv).run()
    }

    fn artifact(&self) -> String {
        self.dir()
            .join("artifact.txt")
            .to_string_lossy()
            .into_owned()
    }

    fn tampered(&self, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
        let mut bundle = self.bundle.clone();
        edit(&mut bundle);
        bundle.to_string().into_bytes()
    }
}

/// The first error annotation, its workflow-command escapes undone.
fn error_title(run: &Run) -> String {
    run.commands("error")
        .first()
        .map(|line| {
            line.replace("%3A", ":")
                .replace("%0A", "\n")
                .replace("%25", "%")
        })
        .unwrap_or_else(|| panic!("no error annotation: {}", run.describe()))
}

#[test]
fn a_key_bundle_verifies_for_the_file_and_for_its_digest() {
    let case = Case::new();
    let bundle = case.bundle.to_string().into_bytes();
    let run = case.verify(&bundle, &[&case.artifact()]);
    run.assert_code(0);
    assert_eq!(run.out("verified"), "true");
    assert_eq!(
        run.out("identity"),
        format!(
            "public key sha256:{}",
            hex::encode(sha256(&case.signer.spki))
        )
    );
    assert_eq!(run.out("signed-at"), "2025-06-15T15:06:40Z");
    let digest = format!("sha256:{}", hex::encode(sha256(ARTIFACT)));
    case.verify(&bundle, &[&digest]).assert_code(0);
    snap::settings().bind(|| insta::assert_snapshot!("key_bundle_verified", snap::seen(&run)));
}

#[test]
fn another_artifact_or_key_fails_naming_the_check() {
    let case = Case::new();
    let bundle = case.bundle.to_string().into_bytes();
    let other = case.write("other.txt", b"not the release\n");
    let run = case.verify(&bundle, &[&other]);
    run.assert_code(1);
    assert_eq!(run.out("verified"), "false");
    assert!(
        error_title(&run).contains("Bundle verification failed: subject"),
        "{}",
        run.describe()
    );
    // The bundle's digest hint taken out: the signature itself must then fail.
    let no_hint = case.tampered(|b| {
        b["messageSignature"]
            .as_object_mut()
            .unwrap()
            .remove("messageDigest");
    });
    let run = case.verify(&no_hint, &[&other]);
    run.assert_code(1);
    assert!(
        error_title(&run).contains("failed: signature"),
        "{}",
        run.describe()
    );
    let wrong = key(case.dir(), "wrong");
    let run = Gha::new()
        .args(&[
            "verify-bundle",
            "--bundle",
            &case.write("b.json", &bundle),
            "--key",
            wrong.public_pem.to_str().unwrap(),
            "--trusted-root",
            case.dir().join("trusted_root.json").to_str().unwrap(),
            &case.artifact(),
        ])
        .run();
    run.assert_code(1);
    assert!(
        error_title(&run).contains("failed: signature"),
        "{}",
        run.describe()
    );
    snap::settings().bind(|| insta::assert_snapshot!("wrong_key", snap::seen(&run)));
}

/// One tampering of a bundle.
type Edit = Box<dyn Fn(&mut Value)>;

#[test]
fn a_tampered_log_entry_fails_in_the_transparency_log_check() {
    let case = Case::new();
    let artifact = case.artifact();
    let entry = "/verificationMaterial/tlogEntries/0";
    let cases: Vec<(&str, Edit)> = vec![
        (
            "integrated time moved",
            Box::new(move |b: &mut Value| {
                *b.pointer_mut(&format!("{entry}/integratedTime")).unwrap() = json!("1750000001");
            }),
        ),
        (
            "another log index",
            Box::new(move |b: &mut Value| {
                *b.pointer_mut(&format!("{entry}/logIndex")).unwrap() = json!("7");
            }),
        ),
        (
            "root hash of another tree",
            Box::new(move |b: &mut Value| {
                *b.pointer_mut(&format!("{entry}/inclusionProof/rootHash"))
                    .unwrap() = json!(B64.encode([7u8; 32]));
            }),
        ),
        (
            "checkpoint signed by no one",
            Box::new(move |b: &mut Value| {
                let cp = b
                    .pointer_mut(&format!("{entry}/inclusionProof/checkpoint/envelope"))
                    .unwrap();
                let text = cp.as_str().unwrap().to_string();
                *cp = json!(
                    text.replace(&format!("\u{2014} {LOG_HOST}"), "\u{2014} witness.invalid")
                );
            }),
        ),
        (
            "log id not in the trusted root",
            Box::new(move |b: &mut Value| {
                *b.pointer_mut(&format!("{entry}/logId/keyId")).unwrap() =
                    json!(B64.encode([1u8; 32]));
            }),
        ),
    ];
    for (what, edit) in cases {
        let run = case.verify(&case.tampered(|b| edit(b)), &[&artifact]);
        run.assert_code(1);
        assert!(
            error_title(&run).contains("failed: transparency log"),
            "{what}: {}",
            run.describe()
        );
    }
    // The embedded public-good root does not know this log.
    let bundle = case.write("b.json", case.bundle.to_string().as_bytes());
    let run = Gha::new()
        .args(&[
            "verify-bundle",
            "--bundle",
            &bundle,
            "--key",
            case.signer.public_pem.to_str().unwrap(),
            &artifact,
        ])
        .run();
    run.assert_code(1);
    assert!(
        run.describe()
            .contains("the entry's log is not in the trusted root"),
        "{}",
        run.describe()
    );
    let _ = &case.log;
}

#[test]
fn hostile_bundles_are_usage_errors_naming_the_file_without_a_panic() {
    let case = Case::new();
    let artifact = case.artifact();
    let huge = {
        let mut b = b"{\"mediaType\":\"".to_vec();
        b.resize(33 * 1024 * 1024, b'a');
        b
    };
    let hostile: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "invalid base64",
            case.tampered(|b| b["messageSignature"]["signature"] = json!("MEUC!!!not base64")),
            "not valid base64",
        ),
        (
            "unknown media type",
            case.tampered(|b| {
                b["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=99.9")
            }),
            "unknown bundle media type",
        ),
        (
            "truncated JSON",
            case.bundle.to_string().as_bytes()[..200].to_vec(),
            "not JSON",
        ),
        ("not an object", b"[1, 2]".to_vec(), "not a JSON object"),
        (
            "negative log index",
            case.tampered(|b| {
                b["verificationMaterial"]["tlogEntries"][0]["logIndex"] = json!("-1")
            }),
            "negative",
        ),
        (
            "no content",
            case.tampered(|b| {
                b.as_object_mut().unwrap().remove("messageSignature");
            }),
            "neither a messageSignature nor a dsseEnvelope",
        ),
        ("huge", huge, "larger than"),
    ];
    for (what, bytes, says) in hostile {
        let run = case.verify(&bytes, &[&artifact]);
        // Malformed input, named: exit 2 (a well-formed bundle that does not verify is 1).
        run.assert_code(2);
        assert!(
            error_title(&run).contains("`bundle`"),
            "{what}: {}",
            run.describe()
        );
        assert!(run.describe().contains(says), "{what}: {}", run.describe());
        assert!(
            !run.describe().contains("internal error"),
            "{what}: {}",
            run.describe()
        );
    }
}

#[test]
fn a_bundle_carrying_a_root_certificate_is_refused() {
    let gha = Gha::new();
    let dir = gha.path();
    // A CA and a leaf it issued, made by openssl.
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=test root",
            "-days",
            "2",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=leaf",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "1",
        ],
    );
    let der = |name: &str| openssl(dir, &["x509", "-in", name, "-outform", "DER"]);
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": {
            "x509CertificateChain": {"certificates": [
                {"rawBytes": B64.encode(der("leaf.pem"))}, {"rawBytes": B64.encode(der("ca.pem"))}
            ]},
            "tlogEntries": []
        },
        "messageSignature": {"signature": B64.encode(b"sig")}
    });
    std::fs::write(dir.join("bundle.json"), bundle.to_string()).unwrap();
    std::fs::write(dir.join("a.txt"), ARTIFACT).unwrap();
    let run = Gha::new()
        .args(&[
            "verify-bundle",
            "--bundle",
            dir.join("bundle.json").to_str().unwrap(),
            "--certificate-identity",
            "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1",
            "--certificate-oidc-issuer",
            "https://token.actions.githubusercontent.com",
            dir.join("a.txt").to_str().unwrap(),
        ])
        .run();
    run.assert_code(1);
    assert!(
        error_title(&run).contains("failed: certificate chain"),
        "{}",
        run.describe()
    );
    assert!(
        run.describe().contains("carries a root certificate"),
        "{}",
        run.describe()
    );
}

#[test]
fn what_cannot_be_checked_is_a_usage_error() {
    let case = Case::new();
    let bundle = case.write("bundle.json", case.bundle.to_string().as_bytes());
    let artifact = case.artifact();
    let key = case.signer.public_pem.to_string_lossy().into_owned();
    let bad_root = case.write("bad_root.json", br#"{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": [{"publicKey": {"rawBytes": "AAAA", "validFor": {"end": "2030-01-01T00:00:00Z"}}, "logId": {"keyId": "AAAA"}}]}"#);
    let not_pem = case.write("not.pem", b"hello");
    let missing = case
        .dir()
        .join("missing.json")
        .to_string_lossy()
        .into_owned();
    let runs: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "no policy",
            vec!["--bundle", &bundle, &artifact],
            "certificate-identity",
        ),
        (
            "identity without issuer",
            vec![
                "--bundle",
                &bundle,
                "--certificate-identity",
                "x",
                &artifact,
            ],
            "certificate-identity",
        ),
        (
            "key and identity",
            vec![
                "--bundle",
                &bundle,
                "--key",
                &key,
                "--certificate-identity",
                "x",
                "--certificate-oidc-issuer",
                "y",
                &artifact,
            ],
            "key",
        ),
        (
            "a key that is not PEM",
            vec!["--bundle", &bundle, "--key", &not_pem, &artifact],
            "not.pem",
        ),
        (
            "a trusted root that is missing",
            vec![
                "--bundle",
                &bundle,
                "--key",
                &key,
                "--trusted-root",
                &missing,
                &artifact,
            ],
            "missing.json",
        ),
        (
            "a trusted root without a start",
            vec![
                "--bundle",
                &bundle,
                "--key",
                &key,
                "--trusted-root",
                &bad_root,
                &artifact,
            ],
            "validFor has no start",
        ),
        (
            "a bundle that is missing",
            vec!["--bundle", &missing, "--key", &key, &artifact],
            "missing.json",
        ),
        (
            "no artifact",
            vec!["--bundle", &bundle, "--key", &key],
            "artifact",
        ),
    ];
    for (what, args, names) in runs {
        let mut argv = vec!["verify-bundle"];
        argv.extend(args);
        let run = Gha::new().args(&argv).run();
        run.assert_code(2);
        assert!(run.describe().contains(names), "{what}: {}", run.describe());
    }
}
