//! RFC 3161 signed timestamps: a timestamp authority of the trusted root (trusted at the
//! generation time, its certificates valid then) signed a TSTInfo whose message imprint is the
//! hash of the bundle's signature. The generation time is a signing time.

use der::asn1::ObjectIdentifier;
use der::Decode;

use super::asn1::{tlv, Tlv};
use super::certificate::Cert;
use super::keys::signature_hash;
use super::trust_root::{Authority, TrustedRoot};
use super::{format_time, Check, DigestAlgorithm, Rejection};

const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

fn ts_error(message: impl Into<String>) -> Rejection {
    Rejection::new(Check::Timestamp, message)
}

fn malformed(what: &str) -> Rejection {
    ts_error(format!("the RFC 3161 timestamp is malformed: {what}"))
}

fn oid(element: &Tlv) -> Option<String> {
    ObjectIdentifier::from_der(element.whole)
        .ok()
        .map(|o| o.to_string())
}

fn digest_algorithm(oid: &str) -> Option<DigestAlgorithm> {
    match oid {
        "2.16.840.1.101.3.4.2.1" => Some(DigestAlgorithm::Sha256),
        "2.16.840.1.101.3.4.2.2" => Some(DigestAlgorithm::Sha384),
        "2.16.840.1.101.3.4.2.3" => Some(DigestAlgorithm::Sha512),
        _ => None,
    }
}

/// The parts of a timestamp token that are checked.
struct Token {
    tst_info: Vec<u8>,
    imprint_algorithm: DigestAlgorithm,
    imprint: Vec<u8>,
    gen_time: i64,
    digest_algorithm: DigestAlgorithm,
    /// The DER SET of signed attributes (the `[0] IMPLICIT` tag made a SET again).
    signed_attrs: Vec<u8>,
    message_digest: Vec<u8>,
    signature_algorithm: String,
    signature: Vec<u8>,
}

/// `YYYYMMDDhhmmss[.f*]Z`.
fn generalized_time(text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let whole = text.split('.').next()?;
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &whole[..4],
        &whole[4..6],
        &whole[6..8],
        &whole[8..10],
        &whole[10..12],
        &whole[12..14]
    );
    super::parse_rfc3339(&iso)
}

/// A `TimeStampResp` (or a bare `TimeStampToken`) to its `SignedData`'s contents.
fn signed_data(der: &[u8]) -> Result<&[u8], Rejection> {
    let outer = tlv(der)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("not a DER SEQUENCE"))?;
    let first = tlv(outer.contents).ok_or_else(|| malformed("empty"))?;
    let content_info = if first.tag == 0x06 {
        outer
    } else {
        // TimeStampResp: status PKIStatusInfo, then the token.
        let status = tlv(first.contents)
            .filter(|s| s.tag == 0x02)
            .ok_or_else(|| malformed("no status"))?;
        if !matches!(status.contents, [0] | [1]) {
            return Err(ts_error(
                "the timestamp authority did not grant the timestamp",
            ));
        }
        tlv(first.rest)
            .filter(|t| t.tag == 0x30)
            .ok_or_else(|| malformed("no timeStampToken"))?
    };
    let content_type = tlv(content_info.contents).ok_or_else(|| malformed("no content type"))?;
    if oid(&content_type).as_deref() != Some(SIGNED_DATA) {
        return Err(malformed("the token is not CMS SignedData"));
    }
    let explicit = tlv(content_type.rest)
        .filter(|t| t.tag == 0xa0)
        .ok_or_else(|| malformed("no content"))?;
    let sd = tlv(explicit.contents)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("no SignedData"))?;
    Ok(sd.contents)
}

fn parse_token(der: &[u8]) -> Result<Token, Rejection> {
    let sd = signed_data(der)?;
    let version = tlv(sd).ok_or_else(|| malformed("no version"))?;
    let digest_algs = tlv(version.rest).ok_or_else(|| malformed("no digestAlgorithms"))?;
    let encap = tlv(digest_algs.rest)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("no encapContentInfo"))?;
    let econtent_type = tlv(encap.contents).ok_or_else(|| malformed("no eContentType"))?;
    if oid(&econtent_type).as_deref() != Some(TST_INFO) {
        return Err(malformed("the signed content is not a TSTInfo"));
    }
    let econtent = tlv(econtent_type.rest)
        .filter(|t| t.tag == 0xa0)
        .and_then(|t| tlv(t.contents))
        .filter(|t| t.tag == 0x04)
        .ok_or_else(|| malformed("no eContent"))?;
    let tst_info = econtent.contents.to_vec();
    // Skip certificates [0] and crls [1] to the signerInfos SET.
    let mut rest = encap.rest;
    let signer_infos = loop {
        let next = tlv(rest).ok_or_else(|| malformed("no signerInfos"))?;
        if next.tag == 0x31 {
            break next;
        }
        rest = next.rest;
    };
    let signer = tlv(signer_infos.contents)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("no SignerInfo"))?;
    let (imprint_algorithm, imprint, gen_time) = parse_tst_info(&tst_info)?;
    let mut token = Token {
        tst_info,
        imprint_algorithm,
        imprint,
        gen_time,
        digest_algorithm: DigestAlgorithm::Sha256,
        signed_attrs: Vec::new(),
        message_digest: Vec::new(),
        signature_algorithm: String::new(),
        signature: Vec::new(),
    };
    parse_signer_info(signer.contents, &mut token)?;
    Ok(token)
}

fn parse_signer_info(si: &[u8], token: &mut Token) -> Result<(), Rejection> {
    let version = tlv(si).ok_or_else(|| malformed("no SignerInfo version"))?;
    let sid = tlv(version.rest).ok_or_else(|| malformed("no sid"))?;
    let digest_alg = tlv(sid.rest)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("no digestAlgorithm"))?;
    let digest_oid = tlv(digest_alg.contents)
        .and_then(|t| oid(&t))
        .unwrap_or_default();
    token.digest_algorithm = digest_algorithm(&digest_oid)
        .ok_or_else(|| ts_error(format!("unsupported digest algorithm {digest_oid}")))?;
    let attrs = tlv(digest_alg.rest)
        .filter(|t| t.tag == 0xa0)
        .ok_or_else(|| ts_error("the timestamp has no signed attributes"))?;
    let mut set = attrs.whole.to_vec();
    set[0] = 0x31;
    token.signed_attrs = set;
    let mut items = attrs.contents;
    while let Some(attr) = tlv(items) {
        items = attr.rest;
        let attr_type = tlv(attr.contents).ok_or_else(|| malformed("an empty attribute"))?;
        if oid(&attr_type).as_deref() == Some(MESSAGE_DIGEST) {
            let value = tlv(attr_type.rest)
                .and_then(|values| tlv(values.contents))
                .filter(|v| v.tag == 0x04)
                .ok_or_else(|| malformed("the messageDigest attribute"))?;
            token.message_digest = value.contents.to_vec();
        }
    }
    let sig_alg = tlv(attrs.rest)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("no signatureAlgorithm"))?;
    token.signature_algorithm = tlv(sig_alg.contents)
        .and_then(|t| oid(&t))
        .unwrap_or_default();
    let signature = tlv(sig_alg.rest)
        .filter(|t| t.tag == 0x04)
        .ok_or_else(|| malformed("no signature"))?;
    token.signature = signature.contents.to_vec();
    Ok(())
}

fn parse_tst_info(der: &[u8]) -> Result<(DigestAlgorithm, Vec<u8>, i64), Rejection> {
    let seq = tlv(der)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("TSTInfo"))?;
    let version = tlv(seq.contents).ok_or_else(|| malformed("TSTInfo version"))?;
    let policy = tlv(version.rest).ok_or_else(|| malformed("TSTInfo policy"))?;
    let imprint = tlv(policy.rest)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("messageImprint"))?;
    let alg = tlv(imprint.contents)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| malformed("messageImprint algorithm"))?;
    let alg_oid = tlv(alg.contents).and_then(|t| oid(&t)).unwrap_or_default();
    let algorithm = digest_algorithm(&alg_oid)
        .ok_or_else(|| ts_error(format!("unsupported message imprint algorithm {alg_oid}")))?;
    let hashed = tlv(alg.rest)
        .filter(|t| t.tag == 0x04)
        .ok_or_else(|| malformed("hashedMessage"))?;
    let serial = tlv(imprint.rest).ok_or_else(|| malformed("serialNumber"))?;
    let gen_time = tlv(serial.rest)
        .filter(|t| t.tag == 0x18)
        .ok_or_else(|| malformed("genTime"))?;
    let time = generalized_time(gen_time.contents).ok_or_else(|| malformed("genTime"))?;
    Ok((algorithm, hashed.contents.to_vec(), time))
}

/// Verifies one timestamp over `signature`; returns its generation time.
pub(crate) fn verify(der: &[u8], signature: &[u8], root: &TrustedRoot) -> Result<i64, Rejection> {
    let token = parse_token(der)?;
    if token.imprint_algorithm.digest(signature) != token.imprint {
        return Err(ts_error("the timestamp is not over the bundle's signature")
            .expected(hex::encode(token.imprint_algorithm.digest(signature)))
            .found(hex::encode(&token.imprint)));
    }
    if token.digest_algorithm.digest(&token.tst_info) != token.message_digest {
        return Err(ts_error(
            "the timestamp's messageDigest attribute is not the TSTInfo's digest",
        ));
    }
    let hash = signature_hash(&token.signature_algorithm)
        .or(matches!(
            token.signature_algorithm.as_str(),
            EC_PUBLIC_KEY | RSA_ENCRYPTION
        )
        .then_some(token.digest_algorithm))
        .ok_or_else(|| {
            ts_error(format!(
                "unsupported signature algorithm {}",
                token.signature_algorithm
            ))
        })?;
    let mut reasons = Vec::new();
    for authority in &root.timestamp_authorities {
        match by_authority(&token, hash, authority) {
            Ok(()) => return Ok(token.gen_time),
            Err(reason) => reasons.push(format!("{}: {reason}", authority.uri)),
        }
    }
    Err(
        ts_error("no timestamp authority of the trusted root signed the timestamp")
            .expected(format!(
                "a signature by one of {} timestamp authorities, trusted at {}",
                root.timestamp_authorities.len(),
                format_time(token.gen_time)
            ))
            .found(if reasons.is_empty() {
                "no timestamp authorities".to_string()
            } else {
                reasons.join("; ")
            }),
    )
}

fn by_authority(token: &Token, hash: DigestAlgorithm, authority: &Authority) -> Result<(), String> {
    if !authority.valid.contains(token.gen_time) {
        return Err(format!("not trusted at {}", format_time(token.gen_time)));
    }
    let certs = authority
        .chain
        .iter()
        .map(|der| Cert::parse(der, "a TSA certificate").map_err(|e| e.message))
        .collect::<Result<Vec<_>, _>>()?;
    for pair in certs.windows(2) {
        pair[0].signed_by(&pair[1])?;
    }
    if let Some(cert) = certs.iter().find(|c| !c.valid_at(token.gen_time)) {
        return Err(format!(
            "a certificate of its chain is valid from {} to {}, not at {}",
            format_time(cert.not_before()),
            format_time(cert.not_after()),
            format_time(token.gen_time)
        ));
    }
    certs[0]
        .public_key()?
        .verify(hash, &token.signed_attrs, &token.signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_times_with_and_without_fractions() {
        assert_eq!(generalized_time(b"20250612120220Z"), Some(1_749_729_740));
        assert_eq!(
            generalized_time(b"20250612120220.123Z"),
            Some(1_749_729_740)
        );
        assert_eq!(generalized_time(b"20250612120220"), None);
        assert_eq!(generalized_time(b"2025061212022Z"), None);
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bytes in [
            &b""[..],
            b"\x30",
            b"\x30\x00",
            b"\x30\x03\x30\x01\x02",
            b"\x04\x00",
        ] {
            assert!(verify(bytes, b"sig", &TrustedRoot::public_good()).is_err());
        }
    }
}
