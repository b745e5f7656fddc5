//! The verify-bundle mode: verify a Sigstore bundle for an artifact (a file, or its digest
//! `sha256:<hex>`) against the signer's certificate identity and OIDC issuer, or a public key,
//! with the public-good trusted root embedded in the binary (or staging's, or one given).
//!
//! Exit 0 verified; 1 the bundle did not verify (malformed bundles included: the bundle is the
//! thing checked); 2 the check could not run (a file unreadable, a malformed trusted root or
//! key, no policy).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Failure, Result};
use crate::runner::outputs::OutputSpec;
use crate::runner::summary::{cell, code};
use crate::runner::{inputs, Runner};
use crate::sigstore::{self, Artifact, Check, Policy, Rejection, TrustedRoot, Verified};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The Sigstore bundle (`.sigstore.json`, media type v0.1 to v0.3). Required.
    #[arg(long)]
    pub bundle: Option<String>,

    /// The signer's identity, exactly: the certificate's SAN (e.g.
    /// https://github.com/<owner>/<repo>/.github/workflows/release.yml@refs/tags/v1.2.3).
    #[arg(long = "certificate-identity")]
    pub certificate_identity: Option<String>,

    /// The OIDC issuer of the signer's certificate, exactly (e.g.
    /// https://token.actions.githubusercontent.com).
    #[arg(long = "certificate-oidc-issuer")]
    pub certificate_oidc_issuer: Option<String>,

    /// A PEM public key file (ECDSA P-256/P-384, Ed25519, RSA) instead of an identity.
    #[arg(long)]
    pub key: Option<String>,

    /// A trusted_root.json to verify against instead of the embedded public-good root.
    #[arg(long = "trusted-root")]
    pub trusted_root: Option<String>,

    /// Verify against the embedded staging trusted root.
    #[arg(long, value_name = "BOOL", value_parser = inputs::boolean, default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub staging: bool,

    /// The artifact: a file, or its digest `sha256:<64 hex>` (also sha384, sha512).
    #[arg(long)]
    pub artifact: Option<String>,

    /// The artifact as a positional argument (the conformance protocol's FILE_OR_DIGEST).
    #[arg(value_name = "FILE_OR_DIGEST", conflicts_with = "artifact")]
    pub file_or_digest: Option<String>,

    /// On pull requests, explain a failure in one comment (`comment-on-pr`, `token`).
    #[command(flatten)]
    pub comment: crate::modes::pr_comment::CommentArgs,
}

pub const OUTPUTS: &[OutputSpec] = &[
    OutputSpec {
        name: "verified",
        description: "true when the bundle verified for the artifact and the policy, else false.",
    },
    OutputSpec {
        name: "identity",
        description: "The signing certificate's identity (SAN), or `public key sha256:<hex>`.",
    },
    OutputSpec {
        name: "issuer",
        description: "The signing certificate's OIDC issuer (empty for a public key).",
    },
    OutputSpec {
        name: "signed-at",
        description: "The earliest verified signing time (RFC 3339).",
    },
    OutputSpec {
        name: "predicate-type",
        description: "The in-toto statement's predicate type, for a DSSE bundle (else empty).",
    },
];

/// The largest artifact read into memory.
const MAX_ARTIFACT_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// The largest trusted root or key read.
const MAX_SMALL_FILE_BYTES: u64 = 4 * 1024 * 1024;

enum ArtifactInput {
    File(PathBuf),
    Digest(Artifact<'static>),
}

struct Inputs {
    bundle: Vec<u8>,
    bundle_path: String,
    policy: Policy,
    root: TrustedRoot,
    artifact: ArtifactInput,
    artifact_label: String,
}

fn read_capped(input: &str, path: &str, limit: u64) -> Result<Vec<u8>> {
    let unreadable = |e: String| {
        Failure::usage(
            format!("Cannot read `{input}`"),
            format!("input `{input}`: {path}: {e}"),
        )
        .with_fix(format!("give `{input}` a readable file"))
    };
    let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(unreadable(format!("larger than {limit} bytes")));
    }
    Ok(bytes)
}

fn policy(args: &Args) -> Result<Policy> {
    match (&args.key, &args.certificate_identity, &args.certificate_oidc_issuer) {
        (Some(key), None, None) => {
            let pem = read_capped("key", key, MAX_SMALL_FILE_BYTES)?;
            let pem = String::from_utf8_lossy(&pem);
            Policy::public_key_pem(&pem).map_err(|e| {
                Failure::invalid_input("key", format!("{key}: {e}"), "give a PEM `PUBLIC KEY` file (ECDSA P-256/P-384, Ed25519 or RSA)")
            })
        }
        (None, Some(san), Some(issuer)) if !san.is_empty() && !issuer.is_empty() => Ok(Policy::Identity {
            san: san.clone(),
            issuer: issuer.clone(),
        }),
        (Some(_), _, _) => Err(Failure::invalid_input(
            "key",
            "a key and a certificate identity were both given",
            "give either `key` or `certificate-identity` with `certificate-oidc-issuer`",
        )),
        _ => Err(Failure::invalid_input(
            "certificate-identity",
            "the signer is not named: both `certificate-identity` and `certificate-oidc-issuer` are needed (or `key`)",
            "give the exact identity and issuer, e.g. https://github.com/<owner>/<repo>/.github/workflows/release.yml@refs/tags/v1.2.3 and https://token.actions.githubusercontent.com",
        )),
    }
}

fn trusted_root(args: &Args) -> Result<TrustedRoot> {
    match (&args.trusted_root, args.staging) {
        (Some(path), _) => {
            let json = read_capped("trusted-root", path, MAX_SMALL_FILE_BYTES)?;
            TrustedRoot::from_json(&json).map_err(|e| {
                Failure::invalid_input(
                    "trusted-root",
                    format!("{path}: {}", e.message),
                    "give a Sigstore trusted_root.json",
                )
            })
        }
        (None, true) => Ok(TrustedRoot::staging()),
        (None, false) => Ok(TrustedRoot::public_good()),
    }
}

impl Inputs {
    fn from_args(args: Args) -> Result<Inputs> {
        let bundle_path = args
            .bundle
            .clone()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| {
                Failure::invalid_input(
                    "bundle",
                    "no bundle given",
                    "give the path of the .sigstore.json bundle",
                )
            })?;
        let target = args
            .artifact
            .clone()
            .or_else(|| args.file_or_digest.clone())
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                Failure::invalid_input(
                    "artifact",
                    "no artifact given",
                    "give the artifact's path or its digest sha256:<hex>",
                )
            })?;
        let policy = policy(&args)?;
        let root = trusted_root(&args)?;
        // The protocol's rule: a digest is `sha256:<hex>` of the right length that is not a path.
        let artifact = match Artifact::parse_digest(&target) {
            Some(digest) if !Path::new(&target).exists() => ArtifactInput::Digest(digest),
            _ => ArtifactInput::File(PathBuf::from(&target)),
        };
        let bundle = read_capped(
            "bundle",
            &bundle_path,
            sigstore::bundle::MAX_BUNDLE_BYTES as u64,
        )?;
        Ok(Inputs {
            bundle,
            bundle_path,
            policy,
            root,
            artifact,
            artifact_label: target,
        })
    }
}

pub fn run(args: Args, runner: &mut Runner) -> Result<()> {
    let comment = args.comment.clone();
    // The artifact, not the bundle: a later run that passes with a corrected bundle for the same
    // artifact updates the comment.
    let scope = format!("{:?} {:?}", args.artifact, args.file_or_digest);
    crate::modes::pr_comment::run_commenting("verify-bundle", &scope, &comment, runner, |runner| {
        check(args, runner)
    })
}

fn check(args: Args, runner: &mut Runner) -> Result<()> {
    let inputs = match Inputs::from_args(args) {
        Ok(inputs) => inputs,
        Err(failure) => {
            if failure.kind == crate::error::Kind::Guard {
                runner.set_output("verified", "false");
            }
            return Err(failure);
        }
    };
    let bytes;
    let artifact = match &inputs.artifact {
        ArtifactInput::Digest(digest) => digest.clone(),
        ArtifactInput::File(path) => {
            bytes = read_capped("artifact", &path.to_string_lossy(), MAX_ARTIFACT_BYTES)?;
            Artifact::Bytes(&bytes)
        }
    };
    let result = runner.phase("verify", |_| {
        Ok(sigstore::verify_bundle(
            &inputs.bundle,
            &artifact,
            &inputs.policy,
            &inputs.root,
            SystemTime::now(),
        ))
    })?;
    match result {
        Ok(verified) => {
            report_verified(&inputs, &verified, runner);
            Ok(())
        }
        // A file that is not a well-formed bundle is bad input, named, like any other malformed
        // file the action is given (exit 2); a well-formed bundle that does not verify is the
        // guard's answer (exit 1). Either way nothing is verified.
        Err(rejection) if rejection.check == Check::Bundle => {
            runner.set_output("verified", "false");
            Err(malformed(&inputs, &rejection))
        }
        Err(rejection) => {
            runner.set_output("verified", "false");
            Err(rejected(&inputs, &rejection, runner))
        }
    }
}

fn report_verified(inputs: &Inputs, verified: &Verified, runner: &mut Runner) {
    let signed_at = sigstore::format_time(verified.signed_at);
    let predicate_type = verified
        .statement
        .as_ref()
        .map(|s| s.predicate_type.clone())
        .unwrap_or_default();
    runner.set_output("verified", "true");
    runner.set_output("identity", verified.identity.clone());
    runner.set_output("issuer", verified.issuer.clone());
    runner.set_output("signed-at", signed_at.clone());
    runner.set_output("predicate-type", predicate_type.clone());
    let mut rows = vec![
        vec!["artifact".to_string(), code(&inputs.artifact_label)],
        vec!["bundle".to_string(), code(&inputs.bundle_path)],
        vec!["identity".to_string(), code(&verified.identity)],
        vec![
            "issuer".to_string(),
            if verified.issuer.is_empty() {
                "none (a public key)".to_string()
            } else {
                code(&verified.issuer)
            },
        ],
        vec!["signed at".to_string(), cell(&signed_at)],
    ];
    if !predicate_type.is_empty() {
        rows.push(vec!["predicate type".to_string(), code(&predicate_type)]);
    }
    runner.log(&format!(
        "verified: {} signed by {} ({}) at {signed_at}",
        inputs.artifact_label, verified.identity, verified.issuer
    ));
    let summary = runner.summary();
    summary.heading(2, "✅ verify-bundle: verified");
    summary.table(&["", ""], &rows);
}

fn rejected(inputs: &Inputs, rejection: &Rejection, runner: &mut Runner) -> Failure {
    let mut rows = vec![
        vec!["check".to_string(), cell(rejection.check.label())],
        vec!["artifact".to_string(), code(&inputs.artifact_label)],
        vec!["bundle".to_string(), code(&inputs.bundle_path)],
        vec!["policy".to_string(), cell(&inputs.policy.describe())],
    ];
    if let Some(expected) = &rejection.expected {
        rows.push(vec!["expected".to_string(), code(expected)]);
    }
    if let Some(found) = &rejection.found {
        rows.push(vec!["found".to_string(), code(found)]);
    }
    runner.summary().table(&["", ""], &rows);
    let message = rejection_message(inputs, rejection);
    let table = crate::error::Table {
        headers: ["Artifact", "Expected", "Found", "Check failed"]
            .map(str::to_string)
            .to_vec(),
        rows: vec![vec![
            inputs.artifact_label.clone(),
            rejection
                .expected
                .clone()
                .unwrap_or_else(|| inputs.policy.describe()),
            rejection
                .found
                .clone()
                .unwrap_or_else(|| rejection.message.clone()),
            rejection.check.label().to_string(),
        ]],
    };
    Failure::guard(
        format!("Bundle verification failed: {}", rejection.check.label()),
        message,
    )
    .with_table(table)
    .with_fix(
        "do not use this artifact: check that the bundle belongs to it, was made by the expected \
         workflow and is verified against the right trusted root",
    )
}

fn malformed(inputs: &Inputs, rejection: &Rejection) -> Failure {
    let message = rejection_message(inputs, rejection);
    Failure::invalid_input(
        "bundle",
        message,
        "give the Sigstore bundle (.sigstore.json) that was published with the artifact",
    )
}

/// The bundle's path, what was wrong, and what was expected and found where the check knows.
fn rejection_message(inputs: &Inputs, rejection: &Rejection) -> String {
    let mut message = format!("{}: {}", inputs.bundle_path, rejection.message);
    if let Some(expected) = &rejection.expected {
        message.push_str(&format!("\nexpected: {expected}"));
    }
    if let Some(found) = &rejection.found {
        message.push_str(&format!("\nfound: {found}"));
    }
    message
}
