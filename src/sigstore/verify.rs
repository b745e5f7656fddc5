//! The order of the checks: the bundle's material against the policy, the signature over the
//! artifact (or the DSSE envelope and its statement's subjects), the transparency log entries,
//! the timestamps, then the certificate at every verified signing time (chain, SCTs) and its
//! identity.

use super::bundle::{Bundle, Content, Material};
use super::certificate::{self, Cert};
use super::dsse::{self, InTotoStatement};
use super::keys::PublicKey;
use super::tlog::{self, Expected};
use super::{
    format_time, reject, sct, timestamp, Artifact, Check, DigestAlgorithm, Policy, Rejection,
    TrustedRoot, Verified,
};

/// Who signed: the leaf certificate (when there is one) and the key.
struct Signer {
    leaf: Option<Cert>,
    key: PublicKey,
}

fn signer(bundle: &Bundle, policy: &Policy) -> Result<Signer, Rejection> {
    let certs: &[Vec<u8>] = match (&bundle.material, policy) {
        (Material::PublicKey { .. }, Policy::PublicKey(key)) => {
            return Ok(Signer {
                leaf: None,
                key: key.clone(),
            })
        }
        (Material::PublicKey { hint }, Policy::Identity { .. }) => {
            return Err(Rejection::new(
                Check::Identity,
                "the bundle is signed with a key, not a certificate",
            )
            .expected(policy.describe())
            .found(format!("a public key (hint {hint:?})")))
        }
        (Material::Certificate(der), _) => std::slice::from_ref(der),
        (Material::Chain(certs), _) => certs,
    };
    let leaf = Cert::parse(&certs[0], "the signing certificate")?;
    for (i, der) in certs.iter().enumerate().skip(1) {
        let cert = Cert::parse(der, &format!("certificate {i} of the bundle's chain"))?;
        if cert.is_self_issued() {
            return Err(Rejection::new(
                Check::CertificateChain,
                "the bundle's certificate chain carries a root certificate",
            )
            .expected("the leaf and intermediates only: roots come from the trusted root")
            .found(format!("certificate {i} is self-issued")));
        }
    }
    if let Policy::PublicKey(_) = policy {
        return Err(Rejection::new(
            Check::Identity,
            "the bundle is signed with a certificate, not a key",
        )
        .expected(policy.describe())
        .found("a certificate"));
    }
    let key = leaf.public_key().map_err(|e| {
        Rejection::new(
            Check::CertificateChain,
            format!("the signing certificate's key cannot be used: {e}"),
        )
    })?;
    Ok(Signer {
        leaf: Some(leaf),
        key,
    })
}

fn signature_error(message: impl Into<String>) -> Rejection {
    Rejection::new(Check::Signature, message)
}

fn check_message(
    digest: Option<&(DigestAlgorithm, Vec<u8>)>,
    signature: &[u8],
    key: &PublicKey,
    artifact: &Artifact,
) -> Result<(), Rejection> {
    let algorithm = digest.map_or_else(|| key.default_hash(), |(a, _)| *a);
    let computed = artifact.digest(algorithm).ok_or_else(|| {
        Rejection::new(
            Check::Subject,
            format!(
                "the bundle signs a {} digest; the artifact was given as another",
                algorithm.name()
            ),
        )
    })?;
    if let Some((_, claimed)) = digest {
        if *claimed != computed {
            return Err(Rejection::new(
                Check::Subject,
                "the bundle's message digest is not the artifact's",
            )
            .expected(artifact.describe())
            .found(format!("{}:{}", algorithm.name(), hex::encode(claimed))));
        }
    }
    let result = match artifact {
        Artifact::Bytes(bytes) => key.verify(algorithm, bytes, signature),
        Artifact::Digest { .. } => key.verify_digest(algorithm, &computed, signature),
    };
    result.map_err(|e| {
        signature_error(format!(
            "the signature over the artifact does not verify: {e}"
        ))
    })
}

fn check_dsse(
    envelope: &super::bundle::Envelope,
    key: &PublicKey,
    artifact: &Artifact,
) -> Result<InTotoStatement, Rejection> {
    let [signature] = envelope.signatures.as_slice() else {
        return reject(
            Check::Signature,
            format!(
                "the DSSE envelope has {} signatures; exactly one is expected",
                envelope.signatures.len()
            ),
        );
    };
    let pae = dsse::pae(&envelope.payload_type, &envelope.payload);
    key.verify(key.default_hash(), &pae, signature)
        .map_err(|e| {
            signature_error(format!(
                "the DSSE envelope's signature does not verify: {e}"
            ))
        })?;
    if envelope.payload_type != dsse::IN_TOTO_PAYLOAD_TYPE {
        return Err(Rejection::new(
            Check::Subject,
            "the DSSE payload is not an in-toto statement",
        )
        .expected(dsse::IN_TOTO_PAYLOAD_TYPE)
        .found(envelope.payload_type.clone()));
    }
    let statement = InTotoStatement::from_payload(&envelope.payload)?;
    statement.check_subject(artifact)?;
    Ok(statement)
}

/// Every log entry verifies; returns the signing times they vouch for, and checks each log is
/// trusted at its entry's time (the integrated time, else the timestamps').
fn check_logs(
    bundle: &Bundle,
    signer: &Signer,
    artifact: &Artifact,
    root: &TrustedRoot,
    now: i64,
) -> Result<Vec<i64>, Rejection> {
    if bundle.tlog_entries.is_empty() {
        return reject(
            Check::TransparencyLog,
            "the bundle has no transparency log entry",
        );
    }
    let expected = Expected {
        content: &bundle.content,
        signature: bundle.signature(),
        certificate: signer.leaf.as_ref().map(|c| c.der.as_slice()),
        key: &signer.key,
        artifact,
    };
    let mut times = Vec::new();
    for entry in &bundle.tlog_entries {
        let verified = tlog::verify_entry(entry, bundle.version, root, &expected, now)?;
        times.push((verified.log, verified.integrated_time));
    }
    let mut stamped = Vec::new();
    for der in &bundle.timestamps {
        stamped.push(timestamp::verify(der, bundle.signature(), root)?);
    }
    let mut signing_times: Vec<i64> = times.iter().filter_map(|(_, t)| *t).collect();
    for (log, time) in &times {
        let at: Vec<i64> = time.map_or_else(|| stamped.clone(), |t| vec![t]);
        if let Some(t) = at.iter().find(|t| !log.valid.contains(**t)) {
            return Err(Rejection::new(
                Check::TransparencyLog,
                format!(
                    "the log {} is not trusted at the signing time",
                    log.base_url
                ),
            )
            .expected(format!(
                "a time in its validFor window from {}",
                format_time(log.valid.start)
            ))
            .found(format_time(*t)));
        }
    }
    signing_times.extend(stamped);
    if signing_times.is_empty() {
        return reject(
            Check::Timestamp,
            "the bundle has no verified signing time: a Rekor v2 entry needs an RFC 3161 timestamp",
        );
    }
    Ok(signing_times)
}

fn check_identity(leaf: &Cert, policy: &Policy) -> Result<(String, String), Rejection> {
    let sans = leaf.subject_alt_names();
    let issuer = leaf.oidc_issuer().unwrap_or_default();
    let Policy::Identity {
        san,
        issuer: want_issuer,
    } = policy
    else {
        return reject(Check::Identity, "a key policy cannot check a certificate");
    };
    if !sans.iter().any(|s| s == san) {
        return Err(Rejection::new(
            Check::Identity,
            "the certificate's identity is not the expected one",
        )
        .expected(san.clone())
        .found(if sans.is_empty() {
            "no subject alternative name".to_string()
        } else {
            sans.join(", ")
        }));
    }
    if issuer != *want_issuer {
        return Err(Rejection::new(
            Check::Identity,
            "the certificate's OIDC issuer is not the expected one",
        )
        .expected(want_issuer.clone())
        .found(if issuer.is_empty() {
            "no OIDC issuer extension".to_string()
        } else {
            issuer
        }));
    }
    Ok((san.clone(), issuer))
}

pub(super) fn verify(
    bundle: &Bundle,
    artifact: &Artifact,
    policy: &Policy,
    root: &TrustedRoot,
    now: i64,
) -> Result<Verified, Rejection> {
    let signer = signer(bundle, policy)?;
    let statement = match &bundle.content {
        Content::Message { digest, signature } => {
            check_message(digest.as_ref(), signature, &signer.key, artifact)?;
            None
        }
        Content::Dsse(envelope) => Some(check_dsse(envelope, &signer.key, artifact)?),
    };
    let times = check_logs(bundle, &signer, artifact, root, now)?;
    let signed_at = times.iter().copied().min().unwrap_or_default();
    let (identity, issuer) = match &signer.leaf {
        Some(leaf) => {
            certificate::check_leaf(leaf)?;
            let issuer_cert = certificate::verify_chain(leaf, root, &times)?;
            sct::verify(leaf, &issuer_cert, root)?;
            check_identity(leaf, policy)?
        }
        None => (
            format!(
                "public key sha256:{}",
                hex::encode(DigestAlgorithm::Sha256.digest(signer.key.spki_der()))
            ),
            String::new(),
        ),
    };
    Ok(Verified {
        identity,
        issuer,
        signed_at,
        statement,
    })
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine;
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::{Signature, SigningKey};
    use serde_json::{json, Value};

    use super::super::{verify_bundle, Check};
    use super::*;

    const ROOT_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

    const ARTIFACT: &[u8] = b"the release\n";
    const TIME: i64 = 1_750_000_000;

    fn signing_key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    fn spki(key: &SigningKey) -> Vec<u8> {
        let mut der = hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").unwrap();
        der.extend_from_slice(key.verifying_key().to_encoded_point(false).as_bytes());
        der
    }

    fn sign(key: &SigningKey, data: &[u8]) -> Vec<u8> {
        let sig: Signature = key.sign(data);
        sig.to_der().as_bytes().to_vec()
    }

    fn sha256(data: &[u8]) -> Vec<u8> {
        DigestAlgorithm::Sha256.digest(data)
    }

    /// A v0.1 key bundle (signed entry timestamp only) and its trusted root.
    fn fixture() -> (Value, TrustedRoot, Policy) {
        let (signer, log) = (signing_key(7), signing_key(9));
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            B64.encode(spki(&signer))
        );
        let signature = sign(&signer, ARTIFACT);
        let body = json!({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(sha256(ARTIFACT))}},
            "signature": {"content": B64.encode(&signature), "publicKey": {"content": B64.encode(&pem)}}}})
        .to_string();
        let log_id = sha256(&spki(&log));
        let set = json!({"body": B64.encode(&body), "integratedTime": TIME,
            "logID": hex::encode(&log_id), "logIndex": 3});
        let set = sign(&log, tlog::canonical_json(&set).as_bytes());
        let bundle = json!({
            "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
            "verificationMaterial": {"publicKey": {"hint": "k"}, "tlogEntries": [{
                "logIndex": "3", "logId": {"keyId": B64.encode(&log_id)},
                "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                "integratedTime": TIME.to_string(),
                "inclusionPromise": {"signedEntryTimestamp": B64.encode(&set)},
                "canonicalizedBody": B64.encode(&body)}]},
            "messageSignature": {"signature": B64.encode(&signature)}
        });
        let root = json!({"mediaType": ROOT_MEDIA_TYPE, "tlogs": [{"baseUrl": "https://log.invalid",
            "publicKey": {"rawBytes": B64.encode(spki(&log)), "validFor": {"start": "2020-01-01T00:00:00Z"}},
            "logId": {"keyId": B64.encode(&log_id)}}]});
        let root = TrustedRoot::from_json(root.to_string().as_bytes()).unwrap();
        (bundle, root, Policy::public_key_pem(&pem).unwrap())
    }

    fn check(
        bundle: &Value,
        root: &TrustedRoot,
        policy: &Policy,
        now: i64,
    ) -> Result<Verified, Rejection> {
        let now =
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(now).unwrap());
        verify_bundle(
            bundle.to_string().as_bytes(),
            &Artifact::Bytes(ARTIFACT),
            policy,
            root,
            now,
        )
    }

    #[test]
    fn every_bit_of_the_signature_body_and_set_matters() {
        let (bundle, root, policy) = fixture();
        let verified = check(&bundle, &root, &policy, TIME + 10).unwrap();
        assert_eq!(verified.signed_at, TIME);
        let fields = [
            "/messageSignature/signature",
            "/verificationMaterial/tlogEntries/0/canonicalizedBody",
            "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
        ];
        for field in fields {
            let original = B64
                .decode(bundle.pointer(field).unwrap().as_str().unwrap())
                .unwrap();
            for i in 0..original.len() {
                let mut bytes = original.clone();
                bytes[i] ^= 0x01;
                let mut tampered = bundle.clone();
                *tampered.pointer_mut(field).unwrap() = json!(B64.encode(&bytes));
                assert!(
                    check(&tampered, &root, &policy, TIME + 10).is_err(),
                    "{field} byte {i} flipped and the bundle still verified"
                );
            }
        }
    }

    #[test]
    fn an_integrated_time_after_now_is_refused() {
        let (bundle, root, policy) = fixture();
        let err = check(&bundle, &root, &policy, TIME - 1).unwrap_err();
        assert_eq!(err.check, Check::TransparencyLog);
        assert!(err.message.contains("future"), "{err}");
    }

    #[test]
    fn a_log_outside_its_validity_window_is_refused() {
        let (bundle, _, policy) = fixture();
        let log = signing_key(9);
        let root = json!({"mediaType": ROOT_MEDIA_TYPE, "tlogs": [{"baseUrl": "https://log.invalid",
            "publicKey": {"rawBytes": B64.encode(spki(&log)),
                "validFor": {"start": "2020-01-01T00:00:00Z", "end": "2025-06-15T15:06:39Z"}},
            "logId": {"keyId": B64.encode(sha256(&spki(&log)))}}]});
        let root = TrustedRoot::from_json(root.to_string().as_bytes()).unwrap();
        let err = check(&bundle, &root, &policy, TIME + 10).unwrap_err();
        assert_eq!(err.check, Check::TransparencyLog, "{err}");
        // The end is inclusive: a window ending at the integrated time accepts it.
        let root = json!({"mediaType": ROOT_MEDIA_TYPE, "tlogs": [{"baseUrl": "https://log.invalid",
            "publicKey": {"rawBytes": B64.encode(spki(&log)),
                "validFor": {"start": "2020-01-01T00:00:00Z", "end": "2025-06-15T15:06:40Z"}},
            "logId": {"keyId": B64.encode(sha256(&spki(&log)))}}]});
        let root = TrustedRoot::from_json(root.to_string().as_bytes()).unwrap();
        check(&bundle, &root, &policy, TIME + 10).unwrap();
    }

    #[test]
    fn arbitrary_bytes_never_verify_and_never_panic() {
        use proptest::prelude::*;
        let (bundle, root, policy) = fixture();
        let text = bundle.to_string().into_bytes();
        proptest!(ProptestConfig::with_cases(256), |(at in 0..text.len(), byte in any::<u8>(), cut in 0..text.len())| {
            let mut mutated = text.clone();
            mutated[at] = byte;
            let _ = verify_bundle(&mutated, &Artifact::Bytes(ARTIFACT), &policy, &root, std::time::SystemTime::now());
            prop_assert!(verify_bundle(&text[..cut], &Artifact::Bytes(ARTIFACT), &policy, &root, std::time::SystemTime::now()).is_err());
        });
    }
}
