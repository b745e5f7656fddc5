//! The bundle's JSON (protobuf-specs `dev.sigstore.bundle.v1.Bundle`): media types v0.1, v0.2,
//! v0.3 and v0.3's newer spelling; a message signature or a DSSE envelope; a certificate, a
//! certificate chain or a public key hint; transparency log entries and RFC 3161 timestamps.

use serde_json::Value;

use super::{base64_decode, Check, DigestAlgorithm, Rejection};

/// The largest bundle read (a real one is a few KiB; a DSSE payload can be larger).
pub(crate) const MAX_BUNDLE_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Version {
    V01,
    V02,
    V03,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Material {
    /// v0.3: the leaf alone (DER).
    Certificate(Vec<u8>),
    /// v0.1 and v0.2: the leaf first, then (optionally) intermediates (DER).
    Chain(Vec<Vec<u8>>),
    /// A key the verifier knows by other means.
    PublicKey { hint: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub(crate) payload: Vec<u8>,
    pub(crate) payload_type: String,
    pub(crate) signatures: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    Message {
        digest: Option<(DigestAlgorithm, Vec<u8>)>,
        signature: Vec<u8>,
    },
    Dsse(Envelope),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InclusionProof {
    pub(crate) log_index: u64,
    pub(crate) root_hash: Vec<u8>,
    pub(crate) tree_size: u64,
    pub(crate) hashes: Vec<Vec<u8>>,
    pub(crate) checkpoint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlogEntry {
    pub(crate) log_index: u64,
    pub(crate) log_id: Vec<u8>,
    pub(crate) kind: String,
    pub(crate) version: String,
    /// 0 when absent (Rekor v2 has none).
    pub(crate) integrated_time: i64,
    pub(crate) signed_entry_timestamp: Option<Vec<u8>>,
    pub(crate) inclusion_proof: Option<InclusionProof>,
    pub(crate) body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bundle {
    pub(crate) version: Version,
    pub(crate) material: Material,
    pub(crate) tlog_entries: Vec<TlogEntry>,
    /// DER `TimeStampResp`s.
    pub(crate) timestamps: Vec<Vec<u8>>,
    pub(crate) content: Content,
}

fn bad(message: impl Into<String>) -> Rejection {
    Rejection::new(Check::Bundle, message)
}

/// `field` of `value`, which must be an object; protobuf JSON spells fields in lowerCamelCase
/// and readers accept the proto name too.
fn field<'v>(value: &'v Value, camel: &str, snake: &str) -> Option<&'v Value> {
    value.get(camel).or_else(|| value.get(snake))
}

fn object<'v>(
    value: &'v Value,
    camel: &str,
    snake: &str,
    place: &str,
) -> Result<&'v Value, Rejection> {
    match field(value, camel, snake) {
        Some(v) if v.is_object() => Ok(v),
        Some(_) => Err(bad(format!("{place}.{camel} is not an object"))),
        None => Err(bad(format!("{place}.{camel} is missing"))),
    }
}

fn string<'v>(
    value: &'v Value,
    camel: &str,
    snake: &str,
    place: &str,
) -> Result<&'v str, Rejection> {
    match field(value, camel, snake) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(bad(format!("{place}.{camel} is not a string"))),
        None => Err(bad(format!("{place}.{camel} is missing"))),
    }
}

fn bytes(value: &Value, camel: &str, snake: &str, place: &str) -> Result<Vec<u8>, Rejection> {
    let text = string(value, camel, snake, place)?;
    base64_decode(text).ok_or_else(|| bad(format!("{place}.{camel} is not valid base64")))
}

/// A protobuf int64: a JSON string of digits (or a number); absent is 0.
fn int64(value: &Value, camel: &str, snake: &str, place: &str) -> Result<i64, Rejection> {
    let parsed = match field(value, camel, snake) {
        None => return Ok(0),
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        Some(_) => None,
    };
    parsed.ok_or_else(|| bad(format!("{place}.{camel} is not an integer")))
}

fn uint64(value: &Value, camel: &str, snake: &str, place: &str) -> Result<u64, Rejection> {
    let n = int64(value, camel, snake, place)?;
    u64::try_from(n).map_err(|_| bad(format!("{place}.{camel} is negative")).found(n.to_string()))
}

fn array<'v>(
    value: &'v Value,
    camel: &str,
    snake: &str,
    place: &str,
) -> Result<&'v [Value], Rejection> {
    match field(value, camel, snake) {
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(bad(format!("{place}.{camel} is not an array"))),
        None => Ok(&[]),
    }
}

fn version(media_type: &str) -> Option<Version> {
    match media_type {
        "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some(Version::V01),
        "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some(Version::V02),
        "application/vnd.dev.sigstore.bundle+json;version=0.3"
        | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some(Version::V03),
        _ => None,
    }
}

impl Bundle {
    pub(crate) fn from_json(json: &[u8]) -> Result<Bundle, Rejection> {
        if json.len() > MAX_BUNDLE_BYTES {
            return Err(bad(format!(
                "the bundle is {} bytes, over the limit of {MAX_BUNDLE_BYTES}",
                json.len()
            )));
        }
        let value: Value = serde_json::from_slice(json)
            .map_err(|e| bad(format!("the bundle is not JSON: {e}")))?;
        if !value.is_object() {
            return Err(bad("the bundle is not a JSON object"));
        }
        let media_type = string(&value, "mediaType", "media_type", "bundle")?;
        let version = version(media_type).ok_or_else(|| {
            bad("unknown bundle media type")
                .expected("application/vnd.dev.sigstore.bundle+json;version=0.1, 0.2 or 0.3, or application/vnd.dev.sigstore.bundle.v0.3+json")
                .found(media_type)
        })?;
        let vm = object(
            &value,
            "verificationMaterial",
            "verification_material",
            "bundle",
        )?;
        let material = material(vm, version)?;
        let mut tlog_entries = Vec::new();
        for (i, entry) in array(vm, "tlogEntries", "tlog_entries", "verificationMaterial")?
            .iter()
            .enumerate()
        {
            tlog_entries.push(tlog_entry(entry, &format!("tlogEntries[{i}]"))?);
        }
        let mut timestamps = Vec::new();
        if let Some(tvd) = field(
            vm,
            "timestampVerificationData",
            "timestamp_verification_data",
        ) {
            let place = "timestampVerificationData";
            for (i, ts) in array(tvd, "rfc3161Timestamps", "rfc3161_timestamps", place)?
                .iter()
                .enumerate()
            {
                let place = format!("rfc3161Timestamps[{i}]");
                timestamps.push(bytes(ts, "signedTimestamp", "signed_timestamp", &place)?);
            }
        }
        let content = content(&value)?;
        Ok(Bundle {
            version,
            material,
            tlog_entries,
            timestamps,
            content,
        })
    }

    /// The signature the transparency log and the timestamps are over.
    pub(crate) fn signature(&self) -> &[u8] {
        match &self.content {
            Content::Message { signature, .. } => signature,
            Content::Dsse(envelope) => envelope.signatures.first().map_or(&[][..], |s| s),
        }
    }
}

fn material(vm: &Value, version: Version) -> Result<Material, Rejection> {
    let place = "verificationMaterial";
    if let Some(cert) = field(vm, "certificate", "certificate") {
        if version < Version::V03 {
            return Err(bad(format!(
                "{place}.certificate is a v0.3 field; this is a v0.{} bundle",
                version as u8 + 1
            )));
        }
        return Ok(Material::Certificate(bytes(
            cert,
            "rawBytes",
            "raw_bytes",
            "certificate",
        )?));
    }
    if let Some(chain) = field(vm, "x509CertificateChain", "x509_certificate_chain") {
        let mut certs = Vec::new();
        for (i, cert) in array(
            chain,
            "certificates",
            "certificates",
            "x509CertificateChain",
        )?
        .iter()
        .enumerate()
        {
            certs.push(bytes(
                cert,
                "rawBytes",
                "raw_bytes",
                &format!("certificates[{i}]"),
            )?);
        }
        if certs.is_empty() {
            return Err(bad("the bundle's certificate chain is empty"));
        }
        return Ok(Material::Chain(certs));
    }
    if let Some(key) = field(vm, "publicKey", "public_key") {
        let hint = field(key, "hint", "hint")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        return Ok(Material::PublicKey { hint });
    }
    Err(bad(
        "the bundle has no certificate, certificate chain or public key",
    ))
}

fn tlog_entry(entry: &Value, place: &str) -> Result<TlogEntry, Rejection> {
    let log_index = uint64(entry, "logIndex", "log_index", place)?;
    let log_id = bytes(
        object(entry, "logId", "log_id", place)?,
        "keyId",
        "key_id",
        "logId",
    )?;
    let kv = object(entry, "kindVersion", "kind_version", place)?;
    let kind = string(kv, "kind", "kind", "kindVersion")?.to_string();
    let version = string(kv, "version", "version", "kindVersion")?.to_string();
    let integrated_time = int64(entry, "integratedTime", "integrated_time", place)?;
    let signed_entry_timestamp = match field(entry, "inclusionPromise", "inclusion_promise") {
        Some(promise) => Some(bytes(
            promise,
            "signedEntryTimestamp",
            "signed_entry_timestamp",
            "inclusionPromise",
        )?),
        None => None,
    };
    let inclusion_proof = match field(entry, "inclusionProof", "inclusion_proof") {
        Some(proof) => Some(inclusion_proof(proof)?),
        None => None,
    };
    let body = bytes(entry, "canonicalizedBody", "canonicalized_body", place)?;
    Ok(TlogEntry {
        log_index,
        log_id,
        kind,
        version,
        integrated_time,
        signed_entry_timestamp,
        inclusion_proof,
        body,
    })
}

fn inclusion_proof(proof: &Value) -> Result<InclusionProof, Rejection> {
    let place = "inclusionProof";
    let mut hashes = Vec::new();
    for (i, h) in array(proof, "hashes", "hashes", place)?.iter().enumerate() {
        let text = h
            .as_str()
            .ok_or_else(|| bad(format!("{place}.hashes[{i}] is not a string")))?;
        hashes.push(
            base64_decode(text)
                .ok_or_else(|| bad(format!("{place}.hashes[{i}] is not valid base64")))?,
        );
    }
    let checkpoint = match field(proof, "checkpoint", "checkpoint") {
        Some(cp) => Some(string(cp, "envelope", "envelope", "checkpoint")?.to_string()),
        None => None,
    };
    Ok(InclusionProof {
        log_index: uint64(proof, "logIndex", "log_index", place)?,
        root_hash: bytes(proof, "rootHash", "root_hash", place)?,
        tree_size: uint64(proof, "treeSize", "tree_size", place)?,
        hashes,
        checkpoint,
    })
}

fn content(value: &Value) -> Result<Content, Rejection> {
    if let Some(ms) = field(value, "messageSignature", "message_signature") {
        let place = "messageSignature";
        let signature = bytes(ms, "signature", "signature", place)?;
        let digest = match field(ms, "messageDigest", "message_digest") {
            Some(md) => {
                let name = string(md, "algorithm", "algorithm", "messageDigest")?;
                let algorithm = DigestAlgorithm::from_name(name).ok_or_else(|| {
                    bad("unknown message digest algorithm").found(name.to_string())
                })?;
                Some((algorithm, bytes(md, "digest", "digest", "messageDigest")?))
            }
            None => None,
        };
        return Ok(Content::Message { digest, signature });
    }
    if let Some(env) = field(value, "dsseEnvelope", "dsse_envelope") {
        let place = "dsseEnvelope";
        let payload = bytes(env, "payload", "payload", place)?;
        let payload_type = string(env, "payloadType", "payload_type", place)?.to_string();
        let mut signatures = Vec::new();
        for (i, sig) in array(env, "signatures", "signatures", place)?
            .iter()
            .enumerate()
        {
            signatures.push(bytes(sig, "sig", "sig", &format!("signatures[{i}]"))?);
        }
        return Ok(Content::Dsse(Envelope {
            payload,
            payload_type,
            signatures,
        }));
    }
    Err(bad(
        "the bundle has neither a messageSignature nor a dsseEnvelope",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert_eq!(
            version("application/vnd.dev.sigstore.bundle.v0.3+json"),
            Some(Version::V03)
        );
        assert_eq!(
            version("application/vnd.dev.sigstore.bundle+json;version=0.1"),
            Some(Version::V01)
        );
        assert_eq!(
            version("application/vnd.dev.sigstore.bundle+json;version=99.9"),
            None
        );
    }

    #[test]
    fn a_negative_log_index_is_refused() {
        let entry = serde_json::json!({
            "logIndex": "-1", "logId": {"keyId": "AAAA"},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
            "canonicalizedBody": "e30="
        });
        let err = tlog_entry(&entry, "tlogEntries[0]").unwrap_err();
        assert_eq!(err.check, Check::Bundle);
        assert!(err.message.contains("negative"), "{err}");
    }

    #[test]
    fn invalid_base64_is_refused() {
        let json = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial":{"publicKey":{"hint":"k"}},
            "messageSignature":{"signature":"not*base64"}}"#;
        let err = Bundle::from_json(json).unwrap_err();
        assert!(err.message.contains("base64"), "{err}");
    }
}
