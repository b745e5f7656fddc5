//! The signing certificate: its chain to a Fulcio CA of the trusted root (valid at each signing
//! time), that it is a code-signing leaf and not a CA, and the identity it carries (its SAN and
//! the OIDC issuer extension).

use der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectAltName};
use x509_cert::Certificate;

use super::asn1::tlv;
use super::keys::{signature_hash, PublicKey};
use super::trust_root::{Authority, TrustedRoot};
use super::{format_time, Check, Rejection};

const BASIC_CONSTRAINTS: &str = "2.5.29.19";
const EXTENDED_KEY_USAGE: &str = "2.5.29.37";
const SUBJECT_ALT_NAME: &str = "2.5.29.17";
const CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
/// Fulcio's OIDC issuer, the first (raw string) form.
const ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
/// Fulcio's OIDC issuer, the DER UTF8String form.
const ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
/// Fulcio's `otherName` SAN for usernames.
const OTHER_NAME_USERNAME: &str = "1.3.6.1.4.1.57264.1.7";

/// A parsed certificate with the bytes its signature is over.
pub(crate) struct Cert {
    pub(crate) der: Vec<u8>,
    pub(crate) cert: Certificate,
    tbs: Vec<u8>,
}

fn chain_error(message: impl Into<String>) -> Rejection {
    Rejection::new(Check::CertificateChain, message)
}

impl Cert {
    pub(crate) fn parse(der: &[u8], what: &str) -> Result<Cert, Rejection> {
        let cert = Certificate::from_der(der)
            .map_err(|e| chain_error(format!("{what} is not a DER X.509 certificate: {e}")))?;
        let tbs = tlv(der)
            .and_then(|outer| tlv(outer.contents))
            .map(|inner| inner.whole.to_vec())
            .ok_or_else(|| chain_error(format!("{what} is not a DER X.509 certificate")))?;
        Ok(Cert {
            der: der.to_vec(),
            cert,
            tbs,
        })
    }

    pub(crate) fn not_before(&self) -> i64 {
        secs(self.cert.tbs_certificate.validity.not_before)
    }

    pub(crate) fn not_after(&self) -> i64 {
        secs(self.cert.tbs_certificate.validity.not_after)
    }

    pub(crate) fn valid_at(&self, time: i64) -> bool {
        self.not_before() <= time && time <= self.not_after()
    }

    pub(crate) fn spki_der(&self) -> Vec<u8> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap_or_default()
    }

    pub(crate) fn public_key(&self) -> Result<PublicKey, String> {
        PublicKey::from_spki_der(&self.spki_der())
    }

    pub(crate) fn extension(&self, oid: &str) -> Option<&x509_cert::ext::Extension> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id.to_string() == oid)
    }

    pub(crate) fn is_ca(&self) -> bool {
        self.extension(BASIC_CONSTRAINTS)
            .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
            .is_some_and(|bc| bc.ca)
    }

    pub(crate) fn is_self_issued(&self) -> bool {
        self.cert.tbs_certificate.subject == self.cert.tbs_certificate.issuer
    }

    /// Whether `issuer`'s key made this certificate's signature.
    pub(crate) fn signed_by(&self, issuer: &Cert) -> Result<(), String> {
        if self.cert.tbs_certificate.issuer != issuer.cert.tbs_certificate.subject {
            return Err("the issuer name is not the CA's subject".into());
        }
        let oid = self.cert.signature_algorithm.oid.to_string();
        let hash =
            signature_hash(&oid).ok_or(format!("an unsupported signature algorithm {oid}"))?;
        let sig = self
            .cert
            .signature
            .as_bytes()
            .ok_or("the signature is not a whole number of bytes")?;
        issuer.public_key()?.verify(hash, &self.tbs, sig)
    }

    /// Every SAN value: URIs, e-mail addresses and Fulcio's username `otherName`.
    pub(crate) fn subject_alt_names(&self) -> Vec<String> {
        let Some(ext) = self.extension(SUBJECT_ALT_NAME) else {
            return Vec::new();
        };
        let Ok(san) = SubjectAltName::from_der(ext.extn_value.as_bytes()) else {
            return Vec::new();
        };
        san.0
            .iter()
            .filter_map(|name| match name {
                GeneralName::UniformResourceIdentifier(s) | GeneralName::Rfc822Name(s) => {
                    Some(s.to_string())
                }
                GeneralName::OtherName(other)
                    if other.type_id.to_string() == OTHER_NAME_USERNAME =>
                {
                    der::asn1::Utf8StringRef::try_from(&other.value)
                        .ok()
                        .map(|s| s.to_string())
                }
                _ => None,
            })
            .collect()
    }

    /// The OIDC issuer extension (the DER form first, then the raw one).
    pub(crate) fn oidc_issuer(&self) -> Option<String> {
        if let Some(ext) = self.extension(ISSUER_V2) {
            return der::asn1::Utf8StringRef::from_der(ext.extn_value.as_bytes())
                .ok()
                .map(|s| s.to_string());
        }
        self.extension(ISSUER_V1)
            .and_then(|e| String::from_utf8(e.extn_value.as_bytes().to_vec()).ok())
    }

    fn has_code_signing(&self) -> bool {
        self.extension(EXTENDED_KEY_USAGE)
            .and_then(|e| ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok())
            .is_some_and(|eku| eku.0.iter().any(|oid| oid.to_string() == CODE_SIGNING))
    }
}

fn secs(time: x509_cert::time::Time) -> i64 {
    i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// The leaf is a code-signing certificate, not a CA.
pub(crate) fn check_leaf(leaf: &Cert) -> Result<(), Rejection> {
    if leaf.is_ca() {
        return Err(chain_error("the signing certificate is a CA certificate")
            .expected("a leaf certificate (basicConstraints CA false)"));
    }
    if !leaf.has_code_signing() {
        return Err(
            chain_error("the signing certificate is not for code signing")
                .expected(format!("extended key usage codeSigning ({CODE_SIGNING})")),
        );
    }
    Ok(())
}

/// The leaf chains to one of the root's Fulcio CAs, every certificate and the CA's window valid
/// at each of `times`. Returns the leaf's issuer (for the SCTs' issuer key hash).
pub(crate) fn verify_chain(
    leaf: &Cert,
    root: &TrustedRoot,
    times: &[i64],
) -> Result<Cert, Rejection> {
    let mut reasons = Vec::new();
    for authority in &root.certificate_authorities {
        match chain_through(leaf, authority, times) {
            Ok(issuer) => return Ok(issuer),
            Err(reason) => reasons.push(format!("{}: {reason}", authority.uri)),
        }
    }
    Err(chain_error(
        "the signing certificate does not chain to a certificate authority of the trusted root",
    )
    .expected(format!(
        "a chain to one of {} CA(s), valid at {}",
        root.certificate_authorities.len(),
        times
            .iter()
            .map(|t| format_time(*t))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .found(if reasons.is_empty() {
        "no certificate authorities".to_string()
    } else {
        reasons.join("; ")
    }))
}

fn chain_through(leaf: &Cert, authority: &Authority, times: &[i64]) -> Result<Cert, String> {
    let certs = authority
        .chain
        .iter()
        .enumerate()
        .map(|(i, der)| Cert::parse(der, &format!("certificate {i}")).map_err(|e| e.message))
        .collect::<Result<Vec<_>, _>>()?;
    leaf.signed_by(&certs[0])?;
    for pair in certs.windows(2) {
        pair[0].signed_by(&pair[1])?;
    }
    for (i, cert) in certs.iter().enumerate() {
        if !cert.is_ca() {
            return Err(format!("certificate {i} of the CA's chain is not a CA"));
        }
    }
    for &time in times {
        if !authority.valid.contains(time) {
            return Err(format!("the CA is not trusted at {}", format_time(time)));
        }
        if !leaf.valid_at(time) {
            return Err(format!(
                "the signing certificate is valid from {} to {}, not at {}",
                format_time(leaf.not_before()),
                format_time(leaf.not_after()),
                format_time(time)
            ));
        }
        if let Some(cert) = certs.iter().find(|c| !c.valid_at(time)) {
            return Err(format!(
                "a CA certificate is valid until {}, not at {}",
                format_time(cert.not_after()),
                format_time(time)
            ));
        }
    }
    Ok(certs
        .into_iter()
        .next()
        .expect("an authority's chain is not empty"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_roots_chains_are_cas() {
        for root in [TrustedRoot::public_good(), TrustedRoot::staging()] {
            for ca in &root.certificate_authorities {
                for der in &ca.chain {
                    let cert = Cert::parse(der, "ca").unwrap();
                    assert!(cert.is_ca());
                }
            }
        }
    }
}
