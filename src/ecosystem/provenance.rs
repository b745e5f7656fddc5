//! The attestation gate for packages: whether a package in its registry carries provenance
//! (npm's `dist.attestations`, PyPI's PEP 740 `provenance` link), and whether that provenance is
//! a Sigstore bundle signed by the expected identity about exactly these bytes.
//!
//! The documents are read with the registry's fail-closed rules: only the registry's own origin,
//! a JSON answer of the documented form, anything else exit 2 naming the URL and what came back.
//! A verification that says no is a [`Provenance`] with [`Status::Failed`] (the mode fails the
//! step with exit 1 and a table of what was expected and found).

use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use serde_json::{json, Value};
use url::Url;

use crate::error::{Failure, Result};
use crate::fetch::download::{self, Auth, Fetcher};
use crate::runner::{summary, Runner};
use crate::sigstore::{self, Artifact, DigestAlgorithm, Policy, Rejection, TrustedRoot};

/// GitHub Actions' OIDC issuer: the default `provenance-issuer`.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// SLSA provenance v1, the predicate npm's provenance attestation carries.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
const INTOTO: &str = "application/vnd.in-toto+json";
const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Most bytes of an attestation document read into memory.
const DOCUMENT_LIMIT: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProvenanceMode {
    /// Every package must carry provenance that verifies.
    Required,
    /// Provenance that is published must verify; none published passes (and says so).
    IfPresent,
    /// Nothing is fetched or checked.
    Off,
}

/// Who must have signed: the inputs shared by the package gate and `verify`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct IdentityArgs {
    /// The certificate identity (SAN) a signature must carry, exactly. Default:
    /// `https://github.com/$GITHUB_WORKFLOW_REF`, this repository's workflow at this ref.
    #[arg(long, value_name = "URI")]
    pub provenance_identity: Option<String>,

    /// The OIDC issuer of the signing certificate, exactly.
    #[arg(long, value_name = "URL", default_value = GITHUB_ISSUER)]
    pub provenance_issuer: String,

    /// A Sigstore trusted_root.json to verify against instead of the embedded public-good root.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<String>,
}

/// The package gate's inputs (smoke-install's registry sources, publish-check's `identical`).
#[derive(Debug, Clone, clap::Args)]
pub struct ProvenanceArgs {
    /// Provenance of registry packages: required (none is a failure), if-present (published
    /// provenance must verify; none passes with a line in the summary) or off.
    #[arg(long, value_enum, default_value = "if-present")]
    pub provenance: ProvenanceMode,

    #[command(flatten)]
    pub identity: IdentityArgs,
}

/// The parsed gate: what to require, of whom, against which root.
#[derive(Debug)]
pub struct Gate {
    pub(crate) mode: ProvenanceMode,
    /// The expected signer; the message of the missing-identity failure when there is none.
    pub(crate) policy: std::result::Result<Policy, String>,
    pub(crate) root: TrustedRoot,
}

/// `provenance-identity`, else `https://github.com/<GITHUB_WORKFLOW_REF>`; exit 2 without either.
pub(crate) fn expected_identity(args: &IdentityArgs, workflow_ref: Option<&str>) -> Result<String> {
    if let Some(id) = args.provenance_identity.as_deref().map(str::trim) {
        if !id.is_empty() {
            return Ok(id.to_string());
        }
    }
    match workflow_ref {
        Some(r) if !r.trim().is_empty() => Ok(format!("https://github.com/{}", r.trim())),
        _ => Err(Failure::invalid_input(
            "provenance-identity",
            "is empty and GITHUB_WORKFLOW_REF is not set: there is no identity to expect",
            "set provenance-identity to the signer's identity, e.g. \
             https://github.com/<owner>/<repo>/.github/workflows/release.yml@refs/tags/v1.2.3 \
             (or provenance: off)",
        )),
    }
}

/// The policy and trusted root of `args` (the root file read now: exit 2 naming it).
pub(crate) fn policy_and_root(
    args: &IdentityArgs,
    workflow_ref: Option<&str>,
) -> Result<(Policy, TrustedRoot)> {
    let policy = policy(args, workflow_ref)?;
    Ok((policy, trusted_root(args)?))
}

/// The expected identity and issuer (exit 2 naming the input without an identity).
fn policy(args: &IdentityArgs, workflow_ref: Option<&str>) -> Result<Policy> {
    let san = expected_identity(args, workflow_ref)?;
    let issuer = args.provenance_issuer.trim().to_string();
    if issuer.is_empty() {
        return Err(Failure::invalid_input(
            "provenance-issuer",
            "is empty",
            format!("set provenance-issuer to the OIDC issuer, e.g. {GITHUB_ISSUER}"),
        ));
    }
    Ok(Policy::Identity { san, issuer })
}

/// `trusted-root`, read and parsed now, else the embedded public-good root.
fn trusted_root(args: &IdentityArgs) -> Result<TrustedRoot> {
    let Some(path) = args
        .trusted_root
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    else {
        return Ok(TrustedRoot::public_good());
    };
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::invalid_input(
            "trusted-root",
            format!("cannot read {path}: {e}"),
            "set trusted-root to a Sigstore trusted_root.json file",
        )
    })?;
    TrustedRoot::from_json(&bytes).map_err(|r| {
        Failure::invalid_input(
            "trusted-root",
            format!("{path} is not a Sigstore trusted root: {r}"),
            "set trusted-root to a Sigstore trusted_root.json file",
        )
    })
}

impl Gate {
    /// `None` for `provenance: off`. Every input is checked now; only a missing identity (no
    /// `provenance-identity`, no `GITHUB_WORKFLOW_REF`: a run outside GitHub Actions) waits
    /// until a package advertises provenance (exit 2 then, naming the input), except under
    /// `required`, where every package needs it (exit 2 now).
    pub(crate) fn from_args(
        args: &ProvenanceArgs,
        workflow_ref: Option<&str>,
    ) -> Result<Option<Arc<Gate>>> {
        if args.provenance == ProvenanceMode::Off {
            return Ok(None);
        }
        let root = trusted_root(&args.identity)?;
        let policy = match policy(&args.identity, workflow_ref) {
            Ok(p) => Ok(p),
            Err(f) if args.provenance == ProvenanceMode::Required => return Err(f),
            Err(f) if f.title.contains("provenance-identity") => Err(f.message.clone()),
            Err(f) => return Err(f),
        };
        Ok(Some(Arc::new(Gate {
            mode: args.provenance,
            policy,
            root,
        })))
    }

    /// The policy, or exit 2 naming `provenance-identity` when there is no identity to expect.
    fn policy(&self) -> Result<&Policy> {
        self.policy.as_ref().map_err(|message| {
            Failure::usage("Invalid input `provenance-identity`", message.clone()).with_fix(
                "set provenance-identity to the signer's identity, e.g. \
                 https://github.com/<owner>/<repo>/.github/workflows/release.yml@refs/tags/v1.2.3 \
                 (or provenance: off)",
            )
        })
    }

    pub(crate) fn expected(&self) -> String {
        match &self.policy {
            Ok(p) => p.describe(),
            Err(_) => "the identity in provenance-identity".to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Verified,
    None,
    Failed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Verified => "verified",
            Status::None => "none",
            Status::Failed => "failed",
        }
    }
}

/// What the gate found for one package.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Provenance {
    pub status: Status,
    /// The document read (or the page that advertised none).
    pub url: String,
    /// One line for the summary: who signed and when, or why none.
    pub detail: String,
    /// For a failure: which check, what was expected, what was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

impl Provenance {
    /// Nothing advertised: passes under if-present, fails under required.
    pub(crate) fn none(gate: &Gate, url: &str, what: &str) -> Provenance {
        let failed = gate.mode == ProvenanceMode::Required;
        Provenance {
            status: if failed { Status::Failed } else { Status::None },
            url: url.to_string(),
            detail: format!("{what} published no provenance"),
            check: failed.then(|| "present".to_string()),
            expected: failed.then(|| format!("provenance signed by {}", gate.expected())),
            found: failed.then(|| "none published".to_string()),
        }
    }

    fn rejected(gate: &Gate, url: &str, rejection: &Rejection) -> Provenance {
        Provenance {
            status: Status::Failed,
            url: url.to_string(),
            detail: rejection.message.clone(),
            check: Some(rejection.check.label().to_string()),
            expected: Some(
                rejection
                    .expected
                    .clone()
                    .unwrap_or_else(|| format!("a bundle signed by {}", gate.expected())),
            ),
            found: Some(
                rejection
                    .found
                    .clone()
                    .unwrap_or_else(|| rejection.message.clone()),
            ),
        }
    }

    fn verified(url: &str, verified: &sigstore::Verified, what: &str) -> Provenance {
        Provenance {
            status: Status::Verified,
            url: url.to_string(),
            detail: format!(
                "{what} signed by {} at {}",
                verified.identity,
                sigstore::format_time(verified.signed_at)
            ),
            check: None,
            expected: None,
            found: None,
        }
    }
}

/// The summary section for the gate's answers (artifact, answer), the `provenance` output (a
/// JSON object: artifact → verified | none | failed) and, when any failed, the guard failure
/// (exit 1) whose summary is the table of what was expected and found.
pub(crate) fn report(answers: &[(String, &Provenance)], runner: &mut Runner) -> Result<()> {
    if answers.is_empty() {
        return Ok(());
    }
    let map: serde_json::Map<String, Value> = answers
        .iter()
        .map(|(a, p)| (a.clone(), Value::from(p.status.name())))
        .collect();
    runner.set_output("provenance", Value::Object(map).to_string());
    let failed: Vec<&(String, &Provenance)> = answers
        .iter()
        .filter(|(_, p)| p.status == Status::Failed)
        .collect();
    let summary = runner.summary();
    summary.heading(3, "Provenance");
    let rows: Vec<Vec<String>> = answers
        .iter()
        .map(|(a, p)| {
            let label = match p.status {
                Status::Verified => "✅ verified",
                Status::None => "➖ none",
                Status::Failed => "❌ failed",
            };
            // Registry answers are untrusted: no markdown, links or HTML from them.
            vec![
                summary::code(a),
                label.to_string(),
                summary::text(&p.detail),
            ]
        })
        .collect();
    summary.table(&["Artifact", "Provenance", "Detail"], &rows);
    if failed.is_empty() {
        return Ok(());
    }
    let rows: Vec<Vec<String>> = failed
        .iter()
        .map(|(a, p)| {
            vec![
                format!("`{a}`"),
                p.expected.clone().unwrap_or_default(),
                p.found.clone().unwrap_or_default(),
                p.check.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let raw = crate::error::Table {
        headers: ["Artifact", "Expected", "Found", "Check failed"]
            .map(str::to_string)
            .to_vec(),
        rows: failed
            .iter()
            .map(|(a, p)| {
                vec![
                    a.clone(),
                    p.expected.clone().unwrap_or_default(),
                    p.found.clone().unwrap_or_default(),
                    p.check.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    };
    // Not escaped here: the failure's summary message is escaped as a whole when it is shown.
    let mut table = summary::Summary::default();
    table.table(&["Artifact", "Expected", "Found", "Check failed"], &rows);
    let lines: Vec<String> = failed
        .iter()
        .map(|(a, p)| {
            format!(
                "- {a}: {} check failed: expected {}, found {} ({})",
                p.check.as_deref().unwrap_or("?"),
                p.expected.as_deref().unwrap_or("?"),
                p.found.as_deref().unwrap_or("?"),
                p.url
            )
        })
        .collect();
    Err(Failure::guard(
        "Provenance did not verify",
        format!(
            "{} artifact(s) without verified provenance:\n{}",
            failed.len(),
            lines.join("\n")
        ),
    )
    .with_summary_message(format!(
        "{} artifact(s) without verified provenance:\n\n{}",
        failed.len(),
        table.render(usize::MAX)
    ))
    .with_table(raw)
    .with_fix(
        "do not ship an artifact whose provenance does not verify: check that it was built and \
         signed by the expected workflow (provenance-identity, provenance-issuer) and that the \
         registry serves the bytes that were signed",
    ))
}

/// A provenance URL the registry advertised: only its own origin may answer (exit 2 otherwise).
pub(crate) fn advertised_url(registry: &Url, page: &str, href: &str) -> Result<Url> {
    let base = Url::parse(page).unwrap_or_else(|_| registry.clone());
    let url = base.join(href).map_err(|e| {
        Failure::usage(
            "Registry advertised a malformed provenance URL",
            format!("{page} names provenance at {href:?}: {e}"),
        )
    })?;
    if download::origin_of(&url) != download::origin_of(registry) {
        return Err(Failure::usage(
            "Provenance on another origin",
            format!(
                "{page} names provenance at {url}, outside the registry's origin {}: only the \
                 registry itself answers for its packages",
                download::origin_of(registry)
            ),
        )
        .with_fix("check the registry URL (or the proxy in front of it): its answers must come from its own origin"));
    }
    Ok(url)
}

/// GETs an attestation document: a 200 with a JSON object, else exit 2 naming what came back.
fn document(fetcher: &Fetcher, url: &Url, auth: Option<&Auth>, what: &str) -> Result<Value> {
    let response = fetcher
        .get(url.as_str(), auth, Some("application/json"))
        .map_err(|f| {
            Failure::usage(
                format!("Cannot read the {what}"),
                format!("GET {url}: {}", f.message),
            )
            .with_fix("the registry advertised provenance it does not serve: check the registry (or the proxy in front of it)")
        })?;
    let unreadable = |why: String| {
        Failure::usage(
            format!("Registry returned an unreadable {what}"),
            format!("GET {url} answered {why}, not the {what}"),
        )
        .with_fix("check the registry URL (or the proxy in front of it)")
    };
    if response.body.len() > DOCUMENT_LIMIT {
        return Err(unreadable(format!("{} bytes", response.body.len())));
    }
    let content_type = response.header("content-type").unwrap_or("").to_string();
    match serde_json::from_slice::<Value>(&response.body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => {
            let head: String = String::from_utf8_lossy(&response.body)
                .chars()
                .take(60)
                .collect();
            Err(unreadable(format!(
                "HTTP {} with {} ({head:?}…)",
                response.status,
                if content_type.is_empty() {
                    "no content type".to_string()
                } else {
                    format!("content type {content_type}")
                }
            )))
        }
    }
}

/// `pkg:npm/<name>@<version>` as npm writes it (`@scope` as `%40scope`), and the plain form.
fn npm_purls(name: &str, version: &str) -> [String; 2] {
    [
        format!("pkg:npm/{}@{version}", name.replacen('@', "%40", 1)),
        format!("pkg:npm/{name}@{version}"),
    ]
}

/// npm: the attestations document at `url` must hold a SLSA provenance bundle whose statement
/// names `pkg:npm/<name>@<version>` with the tarball's sha512.
pub(crate) fn check_npm(
    gate: &Gate,
    fetcher: &Fetcher,
    url: &Url,
    auth: Option<&Auth>,
    name: &str,
    version: &str,
    sha512: &[u8],
) -> Result<Provenance> {
    let policy = gate.policy()?;
    let doc = document(fetcher, url, auth, "npm attestations document")?;
    let Some(list) = doc.get("attestations").and_then(Value::as_array) else {
        return Err(Failure::usage(
            "Registry returned an unreadable npm attestations document",
            format!("GET {url} answered JSON without an `attestations` list"),
        ));
    };
    let Some(bundle) = list
        .iter()
        .find(|a| a.get("predicateType").and_then(Value::as_str) == Some(SLSA_PROVENANCE_V1))
        .and_then(|a| a.get("bundle"))
    else {
        let rejection = Rejection::new(
            sigstore::Check::Bundle,
            "the attestations document holds no SLSA provenance",
        )
        .expected(format!(
            "an attestation of predicateType {SLSA_PROVENANCE_V1}"
        ))
        .found(format!("{} other attestation(s)", list.len()));
        return Ok(Provenance::rejected(gate, url.as_str(), &rejection));
    };
    let artifact = Artifact::Digest {
        algorithm: DigestAlgorithm::Sha512,
        value: sha512.to_vec(),
    };
    let bytes = serde_json::to_vec(bundle).unwrap_or_default();
    let purls = npm_purls(name, version);
    Ok(verify(
        (gate, policy),
        url.as_str(),
        &bytes,
        &artifact,
        |statement| subject_named(statement, &purls, "sha512", sha512),
    ))
}

/// PyPI: every PEP 740 attestation of the provenance object at `url`, as a Sigstore bundle,
/// about `file_name` with the file's sha256.
pub(crate) fn check_pypi(
    gate: &Gate,
    fetcher: &Fetcher,
    url: &Url,
    auth: Option<&Auth>,
    file_name: &str,
    sha256: &[u8],
) -> Result<Provenance> {
    let policy = gate.policy()?;
    let doc = document(fetcher, url, auth, "PEP 740 provenance object")?;
    let attestations: Vec<&Value> = doc
        .get("attestation_bundles")
        .and_then(Value::as_array)
        .map(|b| {
            b.iter()
                .filter_map(|b| b.get("attestations").and_then(Value::as_array))
                .flatten()
                .collect()
        })
        .unwrap_or_default();
    if attestations.is_empty() {
        return Err(Failure::usage(
            "Registry returned an unreadable PEP 740 provenance object",
            format!("GET {url} answered JSON without attestation_bundles[].attestations[]"),
        ));
    }
    let artifact = Artifact::Digest {
        algorithm: DigestAlgorithm::Sha256,
        value: sha256.to_vec(),
    };
    let names = [file_name.to_string()];
    let mut last = None;
    for attestation in attestations {
        let bundle = match pep740_bundle(attestation) {
            Ok(b) => b,
            Err(rejection) => return Ok(Provenance::rejected(gate, url.as_str(), &rejection)),
        };
        let outcome = verify(
            (gate, policy),
            url.as_str(),
            &bundle,
            &artifact,
            |statement| subject_named(statement, &names, "sha256", sha256),
        );
        if outcome.status == Status::Failed {
            return Ok(outcome);
        }
        last = Some(outcome);
    }
    Ok(last.expect("at least one attestation"))
}

/// A PEP 740 attestation as a Sigstore bundle v0.3: the certificate and transparency entries
/// as verification material, the statement and signature as a DSSE envelope.
pub(crate) fn pep740_bundle(attestation: &Value) -> std::result::Result<Vec<u8>, Rejection> {
    let bad = |what: &str| {
        Rejection::new(
            sigstore::Check::Bundle,
            format!("the PEP 740 attestation has no {what}"),
        )
    };
    let material = attestation
        .get("verification_material")
        .ok_or_else(|| bad("verification_material"))?;
    let certificate = material
        .get("certificate")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("verification_material.certificate"))?;
    let entries = material
        .get("transparency_entries")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("verification_material.transparency_entries"))?;
    let envelope = attestation.get("envelope").ok_or_else(|| bad("envelope"))?;
    let statement = envelope
        .get("statement")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("envelope.statement"))?;
    let signature = envelope
        .get("signature")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("envelope.signature"))?;
    let bundle = json!({
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {
            "certificate": {"rawBytes": certificate},
            "tlogEntries": entries,
        },
        "dsseEnvelope": {
            "payload": statement,
            "payloadType": INTOTO,
            "signatures": [{"sig": signature}],
        },
    });
    Ok(serde_json::to_vec(&bundle).unwrap_or_default())
}

/// Verifies one bundle and then the statement's subject (`subject` says why not, if not).
fn verify(
    (gate, policy): (&Gate, &Policy),
    url: &str,
    bundle: &[u8],
    artifact: &Artifact,
    subject: impl Fn(&sigstore::InTotoStatement) -> std::result::Result<String, Rejection>,
) -> Provenance {
    let verified =
        match sigstore::verify_bundle(bundle, artifact, policy, &gate.root, SystemTime::now()) {
            Ok(v) => v,
            Err(rejection) => return Provenance::rejected(gate, url, &rejection),
        };
    let Some(statement) = &verified.statement else {
        let rejection = Rejection::new(
            sigstore::Check::Subject,
            "the bundle signs no in-toto statement",
        )
        .expected("a DSSE envelope with an in-toto statement")
        .found("a message signature");
        return Provenance::rejected(gate, url, &rejection);
    };
    match subject(statement) {
        Ok(what) => Provenance::verified(url, &verified, &what),
        Err(rejection) => Provenance::rejected(gate, url, &rejection),
    }
}

/// The statement must name one of `names` with `algorithm` digest `digest`.
fn subject_named(
    statement: &sigstore::InTotoStatement,
    names: &[String],
    algorithm: &str,
    digest: &[u8],
) -> std::result::Result<String, Rejection> {
    let want = hex::encode(digest);
    let found = statement.subjects.iter().find(|s| {
        names.contains(&s.name)
            && s.digests
                .iter()
                .any(|(alg, value)| alg.eq_ignore_ascii_case(algorithm) && *value == want)
    });
    match found {
        Some(s) => Ok(format!("{} ({})", s.name, statement.predicate_type)),
        None => Err(Rejection::new(
            sigstore::Check::Subject,
            "the statement is not about this artifact",
        )
        .expected(format!("{} with {algorithm}:{want}", names[0]))
        .found(
            statement
                .subjects
                .iter()
                .map(|s| {
                    let d: Vec<String> =
                        s.digests.iter().map(|(a, v)| format!("{a}:{v}")).collect();
                    format!("{} {}", s.name, d.join(" "))
                })
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_identity_is_this_workflow_at_this_ref() {
        let args = IdentityArgs::default();
        assert_eq!(
            expected_identity(
                &args,
                Some("o/r/.github/workflows/release.yml@refs/tags/v1")
            )
            .unwrap(),
            "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1"
        );
        let f = expected_identity(&args, None).unwrap_err();
        assert_eq!(f.exit_code(), 2);
        assert!(f.message.contains("provenance-identity"), "{}", f.message);
    }

    #[test]
    fn npm_purls_escape_the_scope() {
        assert_eq!(npm_purls("@a/b", "1.0.0")[0], "pkg:npm/%40a/b@1.0.0");
        assert_eq!(npm_purls("b", "1.0.0")[0], "pkg:npm/b@1.0.0");
    }

    #[test]
    fn a_pep740_attestation_becomes_a_v03_dsse_bundle() {
        let a = json!({"version": 1, "verification_material": {"certificate": "Y2VydA==",
            "transparency_entries": [{"logIndex": "1"}]},
            "envelope": {"statement": "c3RtdA==", "signature": "c2ln"}});
        let b: Value = serde_json::from_slice(&pep740_bundle(&a).unwrap()).unwrap();
        assert_eq!(b["mediaType"], BUNDLE_V03);
        assert_eq!(
            b["verificationMaterial"]["certificate"]["rawBytes"],
            "Y2VydA=="
        );
        assert_eq!(b["dsseEnvelope"]["payloadType"], INTOTO);
        assert_eq!(b["dsseEnvelope"]["signatures"][0]["sig"], "c2ln");
        let missing = pep740_bundle(&json!({"version": 1})).unwrap_err();
        assert!(missing.message.contains("verification_material"));
    }
}
