//! Signed certificate timestamps embedded in the signing certificate (RFC 6962 §3.3): each is a
//! CT log's signature over the precertificate (the leaf's TBS without the SCT extension) and the
//! issuer's key hash. At least one must verify against a CT log of the trusted root.

use der::{Decode, Encode};

use super::certificate::Cert;
use super::trust_root::TrustedRoot;
use super::{format_time, Check, DigestAlgorithm, Rejection};

const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sct {
    pub(crate) log_id: Vec<u8>,
    /// Milliseconds since the epoch.
    pub(crate) timestamp: u64,
    pub(crate) extensions: Vec<u8>,
    pub(crate) hash: u8,
    pub(crate) signature: Vec<u8>,
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u16(&mut self) -> Option<usize> {
        self.take(2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n)
    }
}

/// The TLS `SignedCertificateTimestampList` (inside the extension's OCTET STRING).
pub(crate) fn parse_list(list: &[u8]) -> Option<Vec<Sct>> {
    let mut outer = Reader(list);
    let mut items = Reader(outer.vec16()?);
    if !outer.0.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    while !items.0.is_empty() {
        let mut r = Reader(items.vec16()?);
        if r.take(1)? != [0] {
            return None;
        }
        let log_id = r.take(32)?.to_vec();
        let ts = r.take(8)?;
        let timestamp = u64::from_be_bytes(ts.try_into().ok()?);
        let extensions = r.vec16()?.to_vec();
        let alg = r.take(2)?;
        let signature = r.vec16()?.to_vec();
        if !r.0.is_empty() {
            return None;
        }
        out.push(Sct {
            log_id,
            timestamp,
            extensions,
            hash: alg[0],
            signature,
        });
    }
    Some(out)
}

fn ct_error(message: impl Into<String>) -> Rejection {
    Rejection::new(Check::CertificateTransparency, message)
}

/// What a CT log signed for a precertificate entry.
fn signed_data(sct: &Sct, issuer_key_hash: &[u8], tbs: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8, 0u8]; // v1, certificate_timestamp
    out.extend_from_slice(&sct.timestamp.to_be_bytes());
    out.extend_from_slice(&[0, 1]); // precert_entry
    out.extend_from_slice(issuer_key_hash);
    let len = u32::try_from(tbs.len()).unwrap_or(u32::MAX).to_be_bytes();
    out.extend_from_slice(&len[1..]);
    out.extend_from_slice(tbs);
    let ext_len = u16::try_from(sct.extensions.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&ext_len.to_be_bytes());
    out.extend_from_slice(&sct.extensions);
    out
}

/// The leaf's TBS with the SCT list extension taken out, re-encoded.
fn precertificate_tbs(leaf: &Cert) -> Result<Vec<u8>, Rejection> {
    let mut tbs = leaf.cert.tbs_certificate.clone();
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| e.extn_id.to_string() != SCT_LIST);
    }
    tbs.to_der()
        .map_err(|e| ct_error(format!("the certificate cannot be re-encoded: {e}")))
}

/// At least one embedded SCT verifies against a CT log of the trusted root trusted at its time.
pub(crate) fn verify(leaf: &Cert, issuer: &Cert, root: &TrustedRoot) -> Result<(), Rejection> {
    let ext = leaf.extension(SCT_LIST).ok_or_else(|| {
        ct_error("the signing certificate has no embedded signed certificate timestamps")
    })?;
    let list = der::asn1::OctetStringRef::from_der(ext.extn_value.as_bytes())
        .map_err(|_| ct_error("the SCT list extension is not an OCTET STRING"))?;
    let scts = parse_list(list.as_bytes())
        .ok_or_else(|| ct_error("the SCT list extension is malformed"))?;
    let tbs = precertificate_tbs(leaf)?;
    let issuer_key_hash = DigestAlgorithm::Sha256.digest(&issuer.spki_der());
    let mut reasons = Vec::new();
    for sct in &scts {
        let Some(log) = root.ctlog(&sct.log_id) else {
            reasons.push(format!(
                "log {} is not in the trusted root",
                hex::encode(&sct.log_id)
            ));
            continue;
        };
        let seconds = i64::try_from(sct.timestamp / 1000).unwrap_or(i64::MAX);
        if !log.valid.contains(seconds) {
            reasons.push(format!(
                "{} is not trusted at {}",
                log.base_url,
                format_time(seconds)
            ));
            continue;
        }
        let hash = match sct.hash {
            4 => DigestAlgorithm::Sha256,
            5 => DigestAlgorithm::Sha384,
            6 => DigestAlgorithm::Sha512,
            other => {
                reasons.push(format!("unsupported hash algorithm {other}"));
                continue;
            }
        };
        let result = log.key.as_ref().map_err(Clone::clone).and_then(|key| {
            key.verify(
                hash,
                &signed_data(sct, &issuer_key_hash, &tbs),
                &sct.signature,
            )
        });
        match result {
            Ok(()) => return Ok(()),
            Err(e) => reasons.push(format!("{}: {e}", log.base_url)),
        }
    }
    Err(
        ct_error("no embedded SCT verifies against a CT log of the trusted root")
            .expected("an SCT signed by a CT log of the trusted root")
            .found(if reasons.is_empty() {
                "no SCTs".to_string()
            } else {
                reasons.join("; ")
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sct_list_parses_and_trailing_bytes_are_refused() {
        let mut sct = vec![0u8];
        sct.extend([7u8; 32]);
        sct.extend(1_700_000_000_000u64.to_be_bytes());
        sct.extend([0, 2, 0xAB, 0xCD]); // extensions
        sct.extend([4, 3, 0, 3, 1, 2, 3]); // sha256, ecdsa, 3-byte signature
        let mut items = (u16::try_from(sct.len()).unwrap()).to_be_bytes().to_vec();
        items.extend(&sct);
        let mut list = (u16::try_from(items.len()).unwrap()).to_be_bytes().to_vec();
        list.extend(&items);
        let parsed = parse_list(&list).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].timestamp, 1_700_000_000_000);
        assert_eq!(parsed[0].extensions, vec![0xAB, 0xCD]);
        assert_eq!(parsed[0].signature, vec![1, 2, 3]);
        list.push(0);
        assert!(parse_list(&list).is_none());
    }
}
