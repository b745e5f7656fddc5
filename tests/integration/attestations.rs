//! `release-action verify-bundle` over material from the Sigstore forge (support::sigstore_forge):
//! every untampered bundle verifies (exit 0), every tampered one is refused (exit 1) naming the
//! check its tampering broke, and input that is not a bundle or a trusted root is a usage error
//! (exit 2) naming the file. The forge's output is proven by peers (sigstore-python 4.5.1,
//! pypi-attestations; tests/tools/sigstore_forge_check.py), not by this verifier.

use crate::support::harness::{Gha, Run};
use crate::support::sigstore_forge::{Case, Forged};

use sha2::{Digest as _, Sha256};

/// `verify-bundle --bundle B --certificate-identity I --certificate-oidc-issuer O
/// --trusted-root R FILE_OR_DIGEST`, the sigstore-conformance CLI protocol.
fn verify(
    root: &std::path::Path,
    bundle: &std::path::Path,
    identity: &str,
    issuer: &str,
    input: &str,
) -> Run {
    Gha::new()
        .args(&["verify-bundle", "--bundle"])
        .arg(bundle.to_str().unwrap())
        .args(&[
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
        ])
        .args(&["--trusted-root", root.to_str().unwrap(), input])
        .run_at_terminal()
}

fn verify_case(forged: &Forged, case: &Case) -> Run {
    verify(
        &forged.trusted_root(),
        &case.bundle,
        &case.identity,
        &case.issuer,
        case.artifact.to_str().unwrap(),
    )
}

/// Words one of which the refusal must contain (case-insensitive, as whole words) for each check the forge's
/// tamperings break: the message must say which check failed, not only that one did.
fn check_words(check: &str) -> &'static [&'static str] {
    match check {
        "artifact digest" => &["digest"],
        "statement subject digest" => &["subject"],
        "certificate identity" => &["identity", "subject alternative name", "san"],
        "certificate OIDC issuer" => &["issuer"],
        "signature" => &["signature"],
        "certificate validity at signing time" => &["expired", "not valid", "validity"],
        "SCT" => &["sct", "certificate timestamp"],
        "signed entry timestamp" => &["signed entry timestamp", "set", "inclusion promise"],
        "inclusion proof" => &["inclusion proof", "root hash"],
        "checkpoint signature" => &["checkpoint"],
        "timestamp authority validity" => &["timestamp"],
        "certificate chain (root CA in the bundle)" => &["root"],
        other => panic!("no words for the check {other:?}: add them"),
    }
}

fn names_check(run: &Run, check: &str) -> bool {
    let text = format!("{}\n{}", run.stdout, run.stderr).to_lowercase();
    check_words(check).iter().any(|w| {
        regex::Regex::new(&format!(r"\b{}\b", regex::escape(w)))
            .unwrap()
            .is_match(&text)
    })
}

#[test]
fn forged_untampered_bundles_verify() {
    let forged = Forged::new();
    let happy: Vec<Case> = forged
        .cases()
        .into_iter()
        .filter(|c| c.expect == "verified")
        .collect();
    assert!(
        happy.len() >= 9,
        "the forge makes v0.1-v0.3, DSSE, intoto and Rekor v2 bundles"
    );
    let failures: Vec<String> = happy
        .iter()
        .filter_map(|case| {
            let run = verify_case(&forged, case);
            (run.code != 0).then(|| format!("{}: {}", case.name, run.describe()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} untampered bundles were not verified:\n{}",
        failures.len(),
        happy.len(),
        failures.join("\n\n")
    );
}

#[test]
fn forged_tamperings_are_refused_naming_the_check() {
    let forged = Forged::new();
    let tampered: Vec<Case> = forged
        .cases()
        .into_iter()
        .filter(|c| c.expect == "rejected")
        .collect();
    assert!(tampered.len() >= 15, "one tampered bundle per check");
    let failures: Vec<String> = tampered
        .iter()
        .filter_map(|case| {
            let check = case
                .check
                .as_deref()
                .expect("a tampered case names its check");
            let run = verify_case(&forged, case);
            let ok = run.code == 1 && names_check(&run, check);
            (!ok).then(|| {
                format!(
                    "{} (breaks: {check}; want exit 1 naming one of {:?}): {}",
                    case.name,
                    check_words(check),
                    run.describe()
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} tampered bundles were not refused as expected:\n{}",
        failures.len(),
        tampered.len(),
        failures.join("\n\n")
    );
}

/// FILE_OR_DIGEST as `sha256:<hex>`: the artifact's own digest verifies, another is refused.
#[test]
fn forged_bundle_verifies_against_a_digest_and_refuses_another() {
    let forged = Forged::new();
    let case = forged.case("happy-v0.3-message");
    let digest = format!(
        "{:x}",
        Sha256::digest(std::fs::read(&case.artifact).unwrap())
    );
    let root = forged.trusted_root();
    let good = verify(
        &root,
        &case.bundle,
        &case.identity,
        &case.issuer,
        &format!("sha256:{digest}"),
    );
    assert_eq!(good.code, 0, "{}", good.describe());
    let other = verify(
        &root,
        &case.bundle,
        &case.identity,
        &case.issuer,
        &format!("sha256:{}", "0".repeat(64)),
    );
    assert_eq!(other.code, 1, "{}", other.describe());
    assert!(
        names_check(&other, "artifact digest"),
        "{}",
        other.describe()
    );
}

/// The same bundle against another instance's trusted root (another seed: other CA, logs, TSA)
/// anchors nowhere and is refused.
#[test]
fn forged_bundle_against_another_trusted_root_is_refused() {
    let forged = Forged::new();
    let stranger = Forged::with_args(&["--seed", "another-sigstore-instance"]);
    for name in ["happy-v0.3-message", "happy-v0.3-rekor2-message"] {
        let case = forged.case(name);
        let run = verify(
            &stranger.trusted_root(),
            &case.bundle,
            &case.identity,
            &case.issuer,
            case.artifact.to_str().unwrap(),
        );
        assert_eq!(run.code, 1, "{name}: {}", run.describe());
    }
}

/// The right bundle, checked for another identity or issuer than it carries, is refused: the
/// policy is exact.
#[test]
fn forged_bundle_for_another_expected_identity_is_refused() {
    let forged = Forged::new();
    let case = forged.case("happy-v0.3-message");
    let root = forged.trusted_root();
    let artifact = case.artifact.to_str().unwrap();
    let prefix = case.identity.trim_end_matches(".3");
    for (identity, issuer, check) in [
        (prefix, case.issuer.as_str(), "certificate identity"),
        (
            case.identity.as_str(),
            "https://token.actions.githubusercontent.com/",
            "certificate OIDC issuer",
        ),
    ] {
        let run = verify(&root, &case.bundle, identity, issuer, artifact);
        assert_eq!(run.code, 1, "{identity} / {issuer}: {}", run.describe());
        assert!(names_check(&run, check), "{}", run.describe());
    }
}

/// Not a bundle, a bundle of an unknown media type, not a trusted root: usage errors (exit 2)
/// naming the file, never a verdict.
#[test]
fn malformed_bundle_or_trusted_root_is_a_usage_error_naming_the_file() {
    let forged = Forged::new();
    let case = forged.case("happy-v0.3-message");
    let dir = forged.dir();
    let truncated = dir.join("truncated.sigstore.json");
    let text = std::fs::read_to_string(&case.bundle).unwrap();
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let unknown = dir.join("unknown-version.sigstore.json");
    std::fs::write(
        &unknown,
        text.replace("bundle.v0.3+json", "bundle.v9.9+json"),
    )
    .unwrap();
    let not_root = dir.join("not-a-root.json");
    std::fs::write(&not_root, "{\"mediaType\": 3}").unwrap();
    let artifact = case.artifact.to_str().unwrap();
    for (root, bundle, named) in [
        (
            forged.trusted_root(),
            truncated.clone(),
            "truncated.sigstore.json",
        ),
        (
            forged.trusted_root(),
            unknown.clone(),
            "unknown-version.sigstore.json",
        ),
        (not_root.clone(), case.bundle.clone(), "not-a-root.json"),
    ] {
        let run = verify(&root, &bundle, &case.identity, &case.issuer, artifact);
        assert_eq!(run.code, 2, "{named}: {}", run.describe());
        assert!(
            format!("{}{}", run.stdout, run.stderr).contains(named),
            "the error names {named}: {}",
            run.describe()
        );
    }
}
