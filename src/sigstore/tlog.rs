//! Transparency log entries: Rekor v1 (a signed entry timestamp over canonical JSON, an
//! inclusion proof with a signed checkpoint) and Rekor v2 (an inclusion proof and checkpoint,
//! no integrated time). The entry's body must be about this bundle: its signature, its
//! certificate or key, and the artifact's digest (or the DSSE envelope).

use serde_json::Value;

use super::bundle::{Content, Envelope, InclusionProof, TlogEntry, Version};
use super::keys::{pem_block, PublicKey};
use super::trust_root::{Log, TrustedRoot};
use super::{base64_decode, dsse, format_time, Artifact, Check, DigestAlgorithm, Rejection};

fn tlog_error(message: impl Into<String>) -> Rejection {
    Rejection::new(Check::TransparencyLog, message)
}

/// JSON with sorted keys and no whitespace (RFC 8785 for the values Rekor signs: strings,
/// integers, objects, arrays).
pub(crate) fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// RFC 6962 leaf hash.
pub(crate) fn leaf_hash(data: &[u8]) -> Vec<u8> {
    let mut input = vec![0u8];
    input.extend_from_slice(data);
    DigestAlgorithm::Sha256.digest(&input)
}

fn node_hash(left: &[u8], right: &[u8]) -> Vec<u8> {
    let mut input = vec![1u8];
    input.extend_from_slice(left);
    input.extend_from_slice(right);
    DigestAlgorithm::Sha256.digest(&input)
}

/// The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or `None` when the proof's shape
/// does not fit the index and size.
pub(crate) fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[Vec<u8>],
) -> Option<Vec<u8>> {
    if index >= size {
        return None;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = leaf.to_vec();
    for p in proof {
        if p.len() != 32 || snode == 0 {
            return None;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    (snode == 0).then_some(r)
}

/// A signed note (c2sp.org/signed-note) carrying a checkpoint (c2sp.org/tlog-checkpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub(crate) origin: String,
    pub(crate) size: u64,
    pub(crate) root_hash: Vec<u8>,
    /// The note's text: what each signature is over.
    pub(crate) note: String,
    /// Name, key hint, signature.
    pub(crate) signatures: Vec<(String, Vec<u8>, Vec<u8>)>,
}

pub(crate) fn parse_checkpoint(envelope: &str) -> Result<Checkpoint, String> {
    let split = envelope
        .find("\n\n")
        .ok_or("the checkpoint has no blank line before its signatures")?;
    let note = &envelope[..=split];
    let mut lines = note.lines();
    let origin = lines.next().unwrap_or_default().to_string();
    if origin.is_empty() {
        return Err("the checkpoint has no origin line".into());
    }
    let size = lines
        .next()
        .and_then(|l| l.parse::<u64>().ok())
        .ok_or("the checkpoint's second line is not a tree size")?;
    let root_hash = lines
        .next()
        .and_then(base64_decode)
        .filter(|h| h.len() == 32)
        .ok_or("the checkpoint's third line is not a base64 SHA-256 root hash")?;
    let mut signatures = Vec::new();
    for line in envelope[split + 2..].lines().filter(|l| !l.is_empty()) {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| format!("not a signature line: {line:?}"))?;
        let (name, sig) = rest
            .split_once(' ')
            .ok_or_else(|| format!("not a signature line: {line:?}"))?;
        let sig = base64_decode(sig)
            .filter(|s| s.len() > 4)
            .ok_or_else(|| format!("the signature of {name} is not base64"))?;
        signatures.push((name.to_string(), sig[..4].to_vec(), sig[4..].to_vec()));
    }
    if signatures.is_empty() {
        return Err("the checkpoint has no signature".into());
    }
    Ok(Checkpoint {
        origin,
        size,
        root_hash,
        note: note.to_string(),
        signatures,
    })
}

impl Checkpoint {
    /// A signature by `log` (its name and key hint) verifies; others (witnesses) are ignored.
    pub(crate) fn verify(&self, log: &Log, key: &PublicKey) -> Result<(), String> {
        let host = log.host();
        let named = |name: &str| {
            name == host || name == self.origin || self.origin.starts_with(&format!("{name} - "))
        };
        let hint = log.log_id.get(..4).unwrap_or_default();
        let mut tried = 0;
        for (name, key_hint, sig) in &self.signatures {
            if !named(name) || key_hint != hint {
                continue;
            }
            tried += 1;
            if key
                .verify(DigestAlgorithm::Sha256, self.note.as_bytes(), sig)
                .is_ok()
            {
                return Ok(());
            }
        }
        if tried == 0 {
            Err(format!(
                "no signature on the checkpoint names the log {host} with key hint {}",
                hex::encode(hint)
            ))
        } else {
            Err(format!(
                "the log's signature on the checkpoint does not verify ({host})"
            ))
        }
    }
}

/// What the entry must be about.
pub(crate) struct Expected<'a> {
    pub(crate) content: &'a Content,
    pub(crate) signature: &'a [u8],
    /// The signing certificate (DER), or the key of a key bundle.
    pub(crate) certificate: Option<&'a [u8]>,
    pub(crate) key: &'a PublicKey,
    pub(crate) artifact: &'a Artifact<'a>,
}

/// A verified entry: the log it is in, and the integrated time its signed entry timestamp
/// vouches for (Rekor v1 with a promise).
pub(crate) struct VerifiedEntry<'r> {
    pub(crate) log: &'r Log,
    pub(crate) integrated_time: Option<i64>,
}

pub(crate) fn verify_entry<'r>(
    entry: &TlogEntry,
    version: Version,
    root: &'r TrustedRoot,
    expected: &Expected,
    now: i64,
) -> Result<VerifiedEntry<'r>, Rejection> {
    let log = root.tlog(&entry.log_id).ok_or_else(|| {
        tlog_error("the entry's log is not in the trusted root")
            .expected(format!(
                "one of {} log(s) of the trusted root",
                root.tlogs.len()
            ))
            .found(format!("log id {}", hex::encode(&entry.log_id)))
    })?;
    let key = log.key.as_ref().map_err(|e| {
        tlog_error(format!(
            "the key of log {} cannot be used: {e}",
            log.base_url
        ))
    })?;
    let rekor_v2 = matches!(
        (entry.kind.as_str(), entry.version.as_str()),
        ("hashedrekord" | "dsse", "0.0.2")
    );
    check_body(entry, expected)?;
    let mut integrated_time = None;
    if let Some(set) = &entry.signed_entry_timestamp {
        if rekor_v2 {
            return Err(tlog_error("a Rekor v2 entry carries an inclusion promise"));
        }
        verify_set(entry, key, set)?;
        if entry.integrated_time > now {
            return Err(tlog_error("the entry's integrated time is in the future")
                .expected(format!("at most {}", format_time(now)))
                .found(format_time(entry.integrated_time)));
        }
        integrated_time = Some(entry.integrated_time);
    }
    match &entry.inclusion_proof {
        Some(proof) => verify_inclusion(entry, proof, log, key, version == Version::V01)?,
        None if rekor_v2 || version >= Version::V02 => {
            return Err(tlog_error("the entry has no inclusion proof")
                .expected("an inclusion proof (bundle v0.2 and later, and every Rekor v2 entry)"))
        }
        None if integrated_time.is_none() => {
            return Err(tlog_error(
                "the entry has neither an inclusion proof nor a promise",
            ))
        }
        None => {}
    }
    Ok(VerifiedEntry {
        log,
        integrated_time,
    })
}

fn verify_set(entry: &TlogEntry, key: &PublicKey, set: &[u8]) -> Result<(), Rejection> {
    use base64::Engine;
    let payload = serde_json::json!({
        "body": base64::engine::general_purpose::STANDARD.encode(&entry.body),
        "integratedTime": entry.integrated_time,
        "logID": hex::encode(&entry.log_id),
        "logIndex": entry.log_index,
    });
    key.verify(
        DigestAlgorithm::Sha256,
        canonical_json(&payload).as_bytes(),
        set,
    )
    .map_err(|e| tlog_error(format!("the signed entry timestamp does not verify: {e}")))
}

fn verify_inclusion(
    entry: &TlogEntry,
    proof: &InclusionProof,
    log: &Log,
    key: &PublicKey,
    checkpoint_optional: bool,
) -> Result<(), Rejection> {
    let root = root_from_inclusion_proof(
        proof.log_index,
        proof.tree_size,
        &leaf_hash(&entry.body),
        &proof.hashes,
    )
    .ok_or_else(|| tlog_error("the inclusion proof does not fit its index and tree size"))?;
    if root != proof.root_hash {
        return Err(
            tlog_error("the inclusion proof does not lead to its root hash")
                .expected(hex::encode(&proof.root_hash))
                .found(hex::encode(&root)),
        );
    }
    let Some(envelope) = &proof.checkpoint else {
        if checkpoint_optional {
            return Ok(());
        }
        return Err(tlog_error("the inclusion proof has no checkpoint"));
    };
    let checkpoint = parse_checkpoint(envelope)
        .map_err(|e| tlog_error(format!("the checkpoint is malformed: {e}")))?;
    if checkpoint.size != proof.tree_size || checkpoint.root_hash != proof.root_hash {
        return Err(
            tlog_error("the checkpoint is not for the inclusion proof's tree")
                .expected(format!(
                    "size {} root {}",
                    proof.tree_size,
                    hex::encode(&proof.root_hash)
                ))
                .found(format!(
                    "size {} root {}",
                    checkpoint.size,
                    hex::encode(&checkpoint.root_hash)
                )),
        );
    }
    checkpoint.verify(log, key).map_err(tlog_error)
}

fn mismatch(what: &str) -> Rejection {
    tlog_error(format!("the log entry's {what} is not the bundle's"))
}

fn get<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, k| v.get(k))
}

fn get_str<'v>(value: &'v Value, path: &[&str]) -> Result<&'v str, Rejection> {
    get(value, path)
        .and_then(Value::as_str)
        .ok_or_else(|| tlog_error(format!("the log entry's body has no {}", path.join("."))))
}

fn get_b64(value: &Value, path: &[&str]) -> Result<Vec<u8>, Rejection> {
    base64_decode(get_str(value, path)?)
        .ok_or_else(|| tlog_error(format!("the log entry's {} is not base64", path.join("."))))
}

/// A verifier in a v1 body: base64 of a PEM certificate or public key.
fn same_verifier_pem(b64_pem: &[u8], expected: &Expected) -> bool {
    let Ok(text) = std::str::from_utf8(b64_pem) else {
        return false;
    };
    if let Some(der) = pem_block(text, "CERTIFICATE") {
        return expected.certificate == Some(der.as_slice());
    }
    pem_block(text, "PUBLIC KEY").is_some_and(|der| der == expected.key.spki_der())
}

/// A verifier in a v2 body: `{x509Certificate: {rawBytes}}` or `{publicKey: {rawBytes}}`.
fn same_verifier_v2(verifier: &Value, expected: &Expected) -> bool {
    let raw = |path: &[&str]| {
        get(verifier, path)
            .and_then(Value::as_str)
            .and_then(base64_decode)
    };
    if let Some(der) = raw(&["x509Certificate", "rawBytes"]) {
        return expected.certificate == Some(der.as_slice());
    }
    raw(&["publicKey", "rawBytes"]).is_some_and(|der| der == expected.key.spki_der())
}

fn artifact_digest(expected: &Expected, algorithm: &str) -> Result<Vec<u8>, Rejection> {
    let alg = DigestAlgorithm::from_name(algorithm).ok_or_else(|| {
        tlog_error(format!(
            "unknown digest algorithm {algorithm} in the log entry"
        ))
    })?;
    match expected.content {
        Content::Dsse(env) => Ok(alg.digest(&dsse::pae(&env.payload_type, &env.payload))),
        Content::Message { .. } => expected.artifact.digest(alg).ok_or_else(|| {
            tlog_error(format!(
                "the log entry records a {algorithm} digest; the artifact was given as another"
            ))
        }),
    }
}

fn check_body(entry: &TlogEntry, expected: &Expected) -> Result<(), Rejection> {
    let body: Value = serde_json::from_slice(&entry.body)
        .map_err(|e| tlog_error(format!("the log entry's body is not JSON: {e}")))?;
    let kind = get_str(&body, &["kind"])?;
    let api = get_str(&body, &["apiVersion"])?;
    if kind != entry.kind || api != entry.version {
        return Err(
            tlog_error("the log entry's body is not of its kind and version")
                .expected(format!("{} {}", entry.kind, entry.version))
                .found(format!("{kind} {api}")),
        );
    }
    match (kind, api, expected.content) {
        ("hashedrekord", "0.0.1", Content::Message { .. }) => hashedrekord_v1(&body, expected),
        ("hashedrekord", "0.0.2", _) => hashedrekord_v2(&body, expected),
        ("dsse", "0.0.1", Content::Dsse(env)) => dsse_v1(&body, env, expected),
        ("dsse", "0.0.2", Content::Dsse(env)) => dsse_v2(&body, env, expected),
        ("intoto", "0.0.2", Content::Dsse(env)) => intoto_v2(&body, env, expected),
        (kind, api, _) => Err(tlog_error(format!(
            "a {kind} {api} log entry cannot record this bundle's content"
        ))),
    }
}

fn hashedrekord_v1(body: &Value, expected: &Expected) -> Result<(), Rejection> {
    let spec = get(body, &["spec"]).ok_or_else(|| mismatch("spec"))?;
    let algorithm = get_str(spec, &["data", "hash", "algorithm"])?;
    let value = get_str(spec, &["data", "hash", "value"])?;
    let digest = artifact_digest(expected, algorithm)?;
    if !value.eq_ignore_ascii_case(&hex::encode(&digest)) {
        return Err(mismatch("artifact digest")
            .expected(hex::encode(&digest))
            .found(value.to_string()));
    }
    if get_b64(spec, &["signature", "content"])? != expected.signature {
        return Err(mismatch("signature"));
    }
    if !same_verifier_pem(
        &get_b64(spec, &["signature", "publicKey", "content"])?,
        expected,
    ) {
        return Err(mismatch("certificate or public key"));
    }
    Ok(())
}

fn hashedrekord_v2(body: &Value, expected: &Expected) -> Result<(), Rejection> {
    let spec = get(body, &["spec", "hashedRekordV002"]).ok_or_else(|| mismatch("spec"))?;
    let algorithm = get_str(spec, &["data", "algorithm"])?;
    let value = get_b64(spec, &["data", "digest"])?;
    let digest = artifact_digest(expected, algorithm)?;
    if value != digest {
        return Err(mismatch("digest")
            .expected(hex::encode(&digest))
            .found(hex::encode(&value)));
    }
    if get_b64(spec, &["signature", "content"])? != expected.signature {
        return Err(mismatch("signature"));
    }
    let verifier = get(spec, &["signature", "verifier"]).ok_or_else(|| mismatch("verifier"))?;
    if !same_verifier_v2(verifier, expected) {
        return Err(mismatch("certificate or public key"));
    }
    Ok(())
}

fn payload_hash_matches(algorithm: &str, value: &[u8], env: &Envelope) -> Result<(), Rejection> {
    let alg = DigestAlgorithm::from_name(algorithm).ok_or_else(|| {
        tlog_error(format!(
            "unknown digest algorithm {algorithm} in the log entry"
        ))
    })?;
    if alg.digest(&env.payload) != value {
        return Err(mismatch("DSSE payload hash"));
    }
    Ok(())
}

fn dsse_v1(body: &Value, env: &Envelope, expected: &Expected) -> Result<(), Rejection> {
    let spec = get(body, &["spec"]).ok_or_else(|| mismatch("spec"))?;
    let hex_value = get_str(spec, &["payloadHash", "value"])?;
    let value = hex::decode(hex_value).map_err(|_| mismatch("payload hash"))?;
    payload_hash_matches(get_str(spec, &["payloadHash", "algorithm"])?, &value, env)?;
    let sigs = get(spec, &["signatures"])
        .and_then(Value::as_array)
        .ok_or_else(|| mismatch("signatures"))?;
    if sigs.len() != env.signatures.len() {
        return Err(mismatch("signatures"));
    }
    for sig in sigs {
        let content = get_b64(sig, &["signature"])?;
        if !env.signatures.contains(&content) {
            return Err(mismatch("signature"));
        }
        if !same_verifier_pem(&get_b64(sig, &["verifier"])?, expected) {
            return Err(mismatch("certificate or public key"));
        }
    }
    Ok(())
}

fn dsse_v2(body: &Value, env: &Envelope, expected: &Expected) -> Result<(), Rejection> {
    let spec = get(body, &["spec", "dsseV002"]).ok_or_else(|| mismatch("spec"))?;
    let value = get_b64(spec, &["payloadHash", "digest"])?;
    payload_hash_matches(get_str(spec, &["payloadHash", "algorithm"])?, &value, env)?;
    let sigs = get(spec, &["signatures"])
        .and_then(Value::as_array)
        .ok_or_else(|| mismatch("signatures"))?;
    if sigs.len() != env.signatures.len() {
        return Err(mismatch("signatures"));
    }
    for sig in sigs {
        if !env.signatures.contains(&get_b64(sig, &["content"])?) {
            return Err(mismatch("signature"));
        }
        let verifier = get(sig, &["verifier"]).ok_or_else(|| mismatch("verifier"))?;
        if !same_verifier_v2(verifier, expected) {
            return Err(mismatch("certificate or public key"));
        }
    }
    Ok(())
}

fn intoto_v2(body: &Value, env: &Envelope, expected: &Expected) -> Result<(), Rejection> {
    let content = get(body, &["spec", "content"]).ok_or_else(|| mismatch("content"))?;
    let hex_value = get_str(content, &["payloadHash", "value"])?;
    let value = hex::decode(hex_value).map_err(|_| mismatch("payload hash"))?;
    payload_hash_matches(
        get_str(content, &["payloadHash", "algorithm"])?,
        &value,
        env,
    )?;
    let envelope = get(content, &["envelope"]).ok_or_else(|| mismatch("envelope"))?;
    if get_str(envelope, &["payloadType"])? != env.payload_type {
        return Err(mismatch("payload type"));
    }
    let sigs = get(envelope, &["signatures"])
        .and_then(Value::as_array)
        .ok_or_else(|| mismatch("signatures"))?;
    if sigs.len() != env.signatures.len() {
        return Err(mismatch("signatures"));
    }
    for sig in sigs {
        // intoto v0.0.2 stores the envelope's base64 signature base64-encoded once more.
        let once = get_b64(sig, &["sig"])?;
        let twice = std::str::from_utf8(&once).ok().and_then(base64_decode);
        if !env.signatures.contains(&once) && !twice.is_some_and(|s| env.signatures.contains(&s)) {
            return Err(mismatch("signature"));
        }
        if !same_verifier_pem(&get_b64(sig, &["publicKey"])?, expected) {
            return Err(mismatch("certificate or public key"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> Vec<u8> {
        leaf_hash(&[n])
    }

    /// The RFC 6962 tree hash of leaves `0..n`, computed from the definition.
    fn tree(leaves: &[Vec<u8>]) -> Vec<u8> {
        if leaves.len() == 1 {
            return leaves[0].clone();
        }
        let k = leaves.len().next_power_of_two() / 2;
        node_hash(&tree(&leaves[..k]), &tree(&leaves[k..]))
    }

    /// The audit path of leaf `m` from the definition (RFC 6962 §2.1.1).
    fn path(m: usize, leaves: &[Vec<u8>]) -> Vec<Vec<u8>> {
        if leaves.len() == 1 {
            return Vec::new();
        }
        let k = leaves.len().next_power_of_two() / 2;
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(tree(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(tree(&leaves[..k]));
            p
        }
    }

    #[test]
    fn inclusion_proofs_of_every_leaf_of_trees_up_to_33_lead_to_the_root() {
        for n in 1..=33u8 {
            let leaves: Vec<Vec<u8>> = (0..n).map(h).collect();
            let root = tree(&leaves);
            for m in 0..usize::from(n) {
                let proof = path(m, &leaves);
                let got = root_from_inclusion_proof(m as u64, u64::from(n), &leaves[m], &proof);
                assert_eq!(got.as_ref(), Some(&root), "leaf {m} of {n}");
                if let Some(first) = proof.first() {
                    let mut bad = proof.clone();
                    bad[0] = leaf_hash(first);
                    let got = root_from_inclusion_proof(m as u64, u64::from(n), &leaves[m], &bad);
                    assert_ne!(got.as_ref(), Some(&root));
                    let mut short = proof.clone();
                    short.pop();
                    assert_ne!(
                        root_from_inclusion_proof(m as u64, u64::from(n), &leaves[m], &short)
                            .as_ref(),
                        Some(&root)
                    );
                }
            }
            assert!(
                root_from_inclusion_proof(u64::from(n), u64::from(n), &leaves[0], &[]).is_none()
            );
        }
    }

    #[test]
    fn canonical_json_sorts_keys_without_whitespace() {
        let v = serde_json::json!({"logIndex": 3, "body": "x\"y", "b": [1, {"z": 1, "a": null}]});
        assert_eq!(
            canonical_json(&v),
            r#"{"b":[1,{"a":null,"z":1}],"body":"x\"y","logIndex":3}"#
        );
    }

    #[test]
    fn checkpoints_parse_and_need_origin_size_root_and_a_signature() {
        let cp = "rekor.sigstore.dev - 2605736670972794746\n75408393\nFnnj13Uu1jdksPc4HZLapKX329dVlD5+MGNsiqBq1XM=\n\n\u{2014} rekor.sigstore.dev wNI9ajBFAiBTyiBM9WtyOTgohje6QZ5rFGJUdMq7Wk3A6oThE98SUgIhAMvxDwa7FyqRqg+YV3rdPPrfS23w19iK+piMSGVOmP5w\n";
        let parsed = parse_checkpoint(cp).unwrap();
        assert_eq!(parsed.origin, "rekor.sigstore.dev - 2605736670972794746");
        assert_eq!(parsed.size, 75_408_393);
        assert_eq!(parsed.signatures.len(), 1);
        assert_eq!(
            parsed.signatures[0].1,
            base64_decode("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=").unwrap()[..4]
        );
        assert!(parsed.note.ends_with("XM=\n"));
        assert!(parse_checkpoint(&cp.replace("75408393\n", "")).is_err());
        assert!(
            parse_checkpoint(&cp.replace("rekor.sigstore.dev - 2605736670972794746\n", "\n"))
                .is_err()
        );
        assert!(parse_checkpoint(cp.split("\u{2014}").next().unwrap()).is_err());
    }
}
