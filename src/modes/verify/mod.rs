//! The verify mode: before a deploy goes on, the signatures and attestations attached to each
//! image digest (OCI 1.1 referrers; the referrers tag schema when the registry has no referrers
//! API) must be Sigstore bundles signed by the expected identity about exactly that digest, and
//! every `require`d kind (a signature, a predicate type such as an SPDX SBOM) must be among them.
//!
//! A tag without a digest is exit 2: a deploy verifies the digest it deploys.

use std::time::SystemTime;

use crate::ecosystem::provenance::{self, IdentityArgs, Provenance, Status};
use crate::ecosystem::remote::RemoteOptions;
use crate::error::{Failure, Result};
use crate::fetch::download::Fetcher;
use crate::fetch::oci::{self, Reference};
use crate::runner::outputs::OutputSpec;
use crate::runner::{inputs, Runner};
use crate::sigstore::{self, Artifact, DigestAlgorithm, Policy, Rejection, TrustedRoot};

/// The predicate type of cosign's signature statement (`cosign sign --new-bundle-format`).
const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Images to verify, one per line (or comma-separated): `host/name@sha256:<digest>`. A tag
    /// without a digest is refused: a deploy must verify the digest it deploys.
    #[arg(long, value_name = "IMAGES")]
    pub images: Option<String>,

    /// What must be attached to each image, verified: `signature` (a message signature over the
    /// digest, or cosign's signature statement) and/or in-toto predicate types (e.g.
    /// `https://spdx.dev/Document` for an SPDX SBOM, `https://slsa.dev/provenance/v1`).
    #[arg(long, value_name = "KINDS", default_value = "signature")]
    pub require: String,

    /// Who must have signed, and against which trusted root.
    #[command(flatten)]
    pub identity: IdentityArgs,

    /// Token for the images' registry (`user:password`, or a token). Defaults:
    /// PKG_GITHUB_COM_TOKEN, else GITHUB_TOKEN, for GitHub hosts (ghcr.io) only.
    #[arg(long, value_name = "TOKEN")]
    pub registry_token: Option<String>,

    /// Retries after the first attempt on connection errors, timeouts, 5xx, 408 and 429.
    #[arg(long, default_value_t = 4, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,

    /// Timeout in seconds per request attempt.
    #[arg(long, default_value_t = 30, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,

    /// On pull requests, explain a failure in one comment (`comment-on-pr`, `token`).
    #[command(flatten)]
    pub comment: crate::modes::pr_comment::CommentArgs,
}

pub const OUTPUTS: &[OutputSpec] = &[
    OutputSpec {
        name: "verified",
        description: "true when every image carries every `require`d kind, verified, else false.",
    },
    OutputSpec {
        name: "provenance",
        description:
            "JSON object: per image and required kind (`<image> <kind>`) verified or failed.",
    },
];

struct Inputs {
    images: Vec<Reference>,
    require: Vec<String>,
    policy: Policy,
    root: TrustedRoot,
    transport: RemoteOptions,
}

impl Inputs {
    fn from_args(args: Args, workflow_ref: Option<&str>) -> Result<Inputs> {
        let lines = args.images.as_deref().map(inputs::list).unwrap_or_default();
        if lines.is_empty() {
            return Err(Failure::invalid_input(
                "images",
                "is empty: there is nothing to verify",
                "set images to the digests the deploy uses, e.g. ghcr.io/owner/app@sha256:<digest>",
            ));
        }
        let mut images = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            images.push(parse_image(i, line)?);
        }
        let require = inputs::list(&args.require);
        if require.is_empty() {
            return Err(Failure::invalid_input(
                "require",
                "is empty: an image would pass with nothing verified",
                "set require to signature and/or predicate types",
            ));
        }
        let (policy, root) = provenance::policy_and_root(&args.identity, workflow_ref)?;
        Ok(Inputs {
            images,
            require,
            policy,
            root,
            transport: RemoteOptions {
                retries: args.retries,
                timeout: args.timeout,
                registry_token: args.registry_token,
                ..RemoteOptions::default()
            },
        })
    }
}

fn parse_image(i: usize, line: &str) -> Result<Reference> {
    let text = line.trim().trim_start_matches("oci://");
    let bad = |problem: String| {
        Failure::invalid_input_line(
            "images",
            i + 1,
            problem,
            "write each image as host/name@sha256:<64 hex> (the digest the deploy uses)",
        )
    };
    let reference = Reference::parse(text).map_err(|f| bad(f.message.clone()))?;
    if reference.digest.is_none() {
        return Err(bad(format!(
            "{line:?} has no digest: a tag can move, and a deploy must verify the digest it deploys"
        )));
    }
    Ok(reference)
}

pub fn run(args: Args, runner: &mut Runner) -> Result<()> {
    let comment = args.comment.clone();
    let scope = args.images.clone().unwrap_or_default();
    crate::modes::pr_comment::run_commenting("verify", &scope, &comment, runner, |runner| {
        run_check(args, runner)
    })
}

fn run_check(args: Args, runner: &mut Runner) -> Result<()> {
    let inputs = Inputs::from_args(args, runner.env().workflow_ref.as_deref())?;
    let answers = runner.phase("referrers", |r| referrers(&inputs, r))?;
    let all = answers.iter().all(|(_, p)| p.status == Status::Verified);
    runner.set_output("verified", if all { "true" } else { "false" });
    runner.summary().heading(
        2,
        &format!(
            "{} verify: {} image(s), {} of {} requirement(s) verified",
            if all { "✅" } else { "❌" },
            inputs.images.len(),
            answers
                .iter()
                .filter(|(_, p)| p.status == Status::Verified)
                .count(),
            answers.len()
        ),
    );
    let refs: Vec<(String, &Provenance)> = answers.iter().map(|(a, p)| (a.clone(), p)).collect();
    provenance::report(&refs, runner)
}

/// Each image's attached bundles, checked for each requirement.
fn referrers(inputs: &Inputs, runner: &mut Runner) -> Result<Vec<(String, Provenance)>> {
    let runner: &Runner = runner;
    let fetcher = Fetcher::from_options(&inputs.transport, runner)?;
    let mut answers = Vec::new();
    for image in &inputs.images {
        let found = oci::attached_bundles(&fetcher, image, &inputs.transport)?;
        for line in &found.asked {
            fetcher.log(line);
        }
        fetcher.log(&format!(
            "{image}: {} Sigstore bundle(s) attached",
            found.bundles.len()
        ));
        for need in &inputs.require {
            answers.push((
                format!("{image} {need}"),
                check(inputs, image, need, &found),
            ));
        }
    }
    Ok(answers)
}

/// One attached bundle verified against the image digest: a bundle layer directly; cosign's
/// legacy signature over its simple-signing payload, which must name the image digest.
fn verify_attached(
    inputs: &Inputs,
    artifact: &Artifact,
    digest: &str,
    attached: &oci::AttachedBundle,
) -> std::result::Result<sigstore::Verified, Rejection> {
    let verify = |artifact: &Artifact| {
        sigstore::verify_bundle(
            &attached.bundle,
            artifact,
            &inputs.policy,
            &inputs.root,
            SystemTime::now(),
        )
    };
    let Some(payload) = &attached.payload else {
        return verify(artifact);
    };
    let verified = verify(&Artifact::Bytes(payload))?;
    let signed = serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| {
            v["critical"]["image"]["docker-manifest-digest"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_default();
    if signed != digest {
        return Err(Rejection::new(
            sigstore::Check::Subject,
            "the cosign signature's payload names another image digest",
        )
        .expected(digest.to_string())
        .found(if signed.is_empty() {
            "no critical.image.docker-manifest-digest".to_string()
        } else {
            signed
        }));
    }
    Ok(verified)
}

/// Whether `need` is met for `image` by one of the attached bundles; else the failure saying
/// what was found (the first bundle's rejection, or nothing attached).
fn check(inputs: &Inputs, image: &Reference, need: &str, found: &oci::Attached) -> Provenance {
    let digest = image.digest.as_deref().unwrap_or_default();
    let artifact = Artifact::Digest {
        algorithm: DigestAlgorithm::Sha256,
        value: hex::decode(digest.trim_start_matches("sha256:")).unwrap_or_default(),
    };
    let url = format!("{image}");
    let mut first_rejection: Option<Rejection> = None;
    let mut other_kinds = Vec::new();
    for attached in &found.bundles {
        let verified = match verify_attached(inputs, &artifact, digest, attached) {
            Ok(v) => v,
            Err(r) => {
                first_rejection.get_or_insert(r);
                continue;
            }
        };
        let kind = verified
            .statement
            .as_ref()
            .map(|s| s.predicate_type.as_str())
            .unwrap_or("signature");
        let is_signature = kind == "signature" || kind == COSIGN_SIGN;
        if kind == need || (need == "signature" && is_signature) {
            return Provenance {
                status: Status::Verified,
                url,
                detail: format!(
                    "{need} signed by {} at {} ({}, {})",
                    verified.identity,
                    sigstore::format_time(verified.signed_at),
                    attached.via,
                    attached.manifest
                ),
                check: None,
                expected: None,
                found: None,
            };
        }
        other_kinds.push(kind.to_string());
    }
    let expected = format!(
        "{need} attached to {digest}, signed by {}",
        inputs.policy.describe()
    );
    let (check, found_text, detail) = match first_rejection {
        Some(r) => (
            r.check.label().to_string(),
            r.found.clone().unwrap_or_else(|| r.message.clone()),
            r.to_string(),
        ),
        None if found.bundles.is_empty() => (
            "present".to_string(),
            "no Sigstore bundle attached".to_string(),
            format!("nothing attached ({})", found.asked.join("; ")),
        ),
        None => (
            "present".to_string(),
            format!("only {}", other_kinds.join(", ")),
            format!(
                "verified bundles of other kinds: {}",
                other_kinds.join(", ")
            ),
        ),
    };
    Provenance {
        status: Status::Failed,
        url,
        detail,
        check: Some(check),
        expected: Some(expected),
        found: Some(found_text),
    }
}
