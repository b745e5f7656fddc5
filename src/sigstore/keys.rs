//! Public keys and signature checks: ECDSA P-256/P-384 (RustCrypto, over a digest, so a
//! signature can be checked against an artifact's digest alone), Ed25519 and RSA PKCS#1 v1.5
//! (ring, over the message).

use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoRef;

use super::DigestAlgorithm;

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const ED25519: &str = "1.3.101.112";
const RSA: &str = "1.2.840.113549.1.1.1";

#[derive(Debug, Clone)]
enum Kind {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(Vec<u8>),
    /// The DER `RSAPublicKey`.
    Rsa(Vec<u8>),
}

/// A public key and the DER SubjectPublicKeyInfo it was read from (what two keys are compared
/// by).
#[derive(Debug, Clone)]
pub(crate) struct PublicKey {
    kind: Kind,
    spki: Vec<u8>,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki == other.spki
    }
}

impl PublicKey {
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<PublicKey, String> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| format!("not a DER SubjectPublicKeyInfo: {e}"))?;
        let kind = Self::kind(&spki)?;
        let spki = spki.to_der().map_err(|e| e.to_string())?;
        Ok(PublicKey { kind, spki })
    }

    fn kind(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<Kind, String> {
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or("the public key is not a whole number of bytes")?;
        let algorithm = spki.algorithm.oid.to_string();
        match algorithm.as_str() {
            EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters_oid()
                    .map_err(|_| "an EC key without a named curve")?
                    .to_string();
                match curve.as_str() {
                    P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                        .map(Kind::P256)
                        .map_err(|_| "an invalid P-256 point".to_string()),
                    P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                        .map(Kind::P384)
                        .map_err(|_| "an invalid P-384 point".to_string()),
                    other => Err(format!("an EC key on an unsupported curve {other}")),
                }
            }
            ED25519 if bits.len() == 32 => Ok(Kind::Ed25519(bits.to_vec())),
            ED25519 => Err("an Ed25519 key that is not 32 bytes".into()),
            RSA => Ok(Kind::Rsa(bits.to_vec())),
            other => Err(format!("an unsupported key algorithm {other}")),
        }
    }

    /// A PKCS#1 `RSAPublicKey` (trusted roots' `PKCS1_RSA_*` keys are given that way).
    pub(crate) fn from_pkcs1_rsa(der: &[u8]) -> Result<PublicKey, String> {
        if super::asn1::tlv(der).is_none_or(|t| t.tag != 0x30 || !t.rest.is_empty()) {
            return Err("not a DER RSAPublicKey".into());
        }
        Ok(PublicKey {
            kind: Kind::Rsa(der.to_vec()),
            spki: der.to_vec(),
        })
    }

    /// A PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub(crate) fn from_pem(text: &str) -> Result<PublicKey, String> {
        let der =
            pem_block(text, "PUBLIC KEY").ok_or("no PEM `-----BEGIN PUBLIC KEY-----` block")?;
        Self::from_spki_der(&der)
    }

    pub(crate) fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    pub(crate) fn describe(&self) -> &'static str {
        match self.kind {
            Kind::P256(_) => "ECDSA P-256",
            Kind::P384(_) => "ECDSA P-384",
            Kind::Ed25519(_) => "Ed25519",
            Kind::Rsa(_) => "RSA",
        }
    }

    /// The hash a signature by this key is made over by default (Sigstore's key details).
    pub(crate) fn default_hash(&self) -> DigestAlgorithm {
        match self.kind {
            Kind::P384(_) => DigestAlgorithm::Sha384,
            _ => DigestAlgorithm::Sha256,
        }
    }

    /// A signature over `message` with `hash` (ECDSA and RSA; Ed25519 ignores it).
    pub(crate) fn verify(
        &self,
        hash: DigestAlgorithm,
        message: &[u8],
        sig: &[u8],
    ) -> Result<(), String> {
        match &self.kind {
            Kind::P256(_) | Kind::P384(_) => self.verify_digest(hash, &hash.digest(message), sig),
            Kind::Ed25519(raw) => {
                ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, raw)
                    .verify(message, sig)
                    .map_err(|_| "the Ed25519 signature does not verify".to_string())
            }
            Kind::Rsa(raw) => {
                let alg: &dyn ring::signature::VerificationAlgorithm = match hash {
                    DigestAlgorithm::Sha256 => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    DigestAlgorithm::Sha384 => &ring::signature::RSA_PKCS1_2048_8192_SHA384,
                    DigestAlgorithm::Sha512 => &ring::signature::RSA_PKCS1_2048_8192_SHA512,
                };
                ring::signature::UnparsedPublicKey::new(alg, raw)
                    .verify(message, sig)
                    .map_err(|_| "the RSA signature does not verify".to_string())
            }
        }
    }

    /// A signature over a digest (ECDSA only: Ed25519 and RSA here need the message).
    pub(crate) fn verify_digest(
        &self,
        hash: DigestAlgorithm,
        digest: &[u8],
        sig: &[u8],
    ) -> Result<(), String> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        if digest.len() != hash.len() {
            return Err(format!(
                "a {} digest must be {} bytes",
                hash.name(),
                hash.len()
            ));
        }
        match &self.kind {
            Kind::P256(k) => {
                let sig = p256::ecdsa::Signature::from_der(sig)
                    .map_err(|_| "the ECDSA signature is not DER".to_string())?;
                k.verify_prehash(digest, &sig)
                    .map_err(|_| "the ECDSA P-256 signature does not verify".to_string())
            }
            Kind::P384(k) => {
                let sig = p384::ecdsa::Signature::from_der(sig)
                    .map_err(|_| "the ECDSA signature is not DER".to_string())?;
                k.verify_prehash(digest, &sig)
                    .map_err(|_| "the ECDSA P-384 signature does not verify".to_string())
            }
            _ => Err(format!(
                "a {} signature can only be checked over the artifact itself, not its digest",
                self.describe()
            )),
        }
    }
}

/// The DER inside the first PEM block labelled `label`.
pub(crate) fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop].split_whitespace().collect();
    super::base64_decode(&body)
}

/// An X.509 signature algorithm: the hash, and whether it names the key's kind.
pub(crate) fn signature_hash(oid: &str) -> Option<DigestAlgorithm> {
    match oid {
        "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" | "1.3.101.112" => {
            Some(DigestAlgorithm::Sha256)
        }
        "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => Some(DigestAlgorithm::Sha384),
        "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => Some(DigestAlgorithm::Sha512),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pem_key_round_trips_through_spki() {
        // The conformance suite's style of key: an ECDSA P-256 SPKI in PEM.
        let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwr\nkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==\n-----END PUBLIC KEY-----\n";
        let key = PublicKey::from_pem(pem).unwrap();
        assert_eq!(key.describe(), "ECDSA P-256");
        let der = pem_block(pem, "PUBLIC KEY").unwrap();
        assert_eq!(key.spki_der(), der);
    }

    #[test]
    fn not_a_key_is_an_error() {
        assert!(PublicKey::from_pem("hello").is_err());
        assert!(PublicKey::from_spki_der(b"\x30\x00").is_err());
    }

    const MESSAGE: &[u8] = b"hello sigstore";

    /// Keys and signatures made by openssl 3 over MESSAGE (`pkeyutl -sign -rawin` for Ed25519,
    /// `dgst -sha256`/`-sha384 -sign` for RSA and P-384).
    const ED25519_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAUXjQpFt2oBA7n7s1bliwEFXYXgf+AIQH1LzzZYfllu8=
-----END PUBLIC KEY-----\n";
    const ED25519_SIG: &str =
        "CEjMofa+SIryyZ7PS1r5jXW0dY0IoQSrkETTatAd/KnZ0W3y1phutDuirHRrQzSWAunMc/+29l9sp+PZKvAQDg==";
    const RSA_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1hZdV1q8MAUtnD9reR3I
zR/tWc75NrZKQStl7a0D17aI9VObkHMfQyUFrZsOByDs5a85Ty1ZrHi8ybNEJbjE
QphlfXeIr200+jdIT0Am793XwnmYPiiwVNMTAyXe9Gs6tP28QTqpx5aJQUuZqpzT
D4YdFfnHEcuDjUNK5qU92CkGbtCqADOE2j6V+yjzvxneBV27aFGIc5gT0t9GzzcB
riumFLLItW4nFpAjRuVE5KPH+bVDg8V/+KCJlJoByYoNKsUPTV8J38Qi9XvNOvf6
gqzgpYl5iUxVoyNlZjT/EzFB+IsSjXbqoKSZAes1Y3JyKlfz6mq8hd+DGoARAW+T
4wIDAQAB
-----END PUBLIC KEY-----\n";
    const RSA_SIG: &str = "wfHa3lqD+220YAVMRaK/07Uttigt9kYK8Ue5L7BuVGwPLj8C1cblc3aOgUWUDBPsH+YlJvo8Xfx4qa7O8HAsax46LhvJL5fsLZ5WiaeICUtsZJ9AcpwFSqFLnQLibQrdiNCZk3bE3U1N/ccTec+G7L67Z9XPB4vXLuR4P2lXzu5tU3uYCVV+YfiDp87lSrkQrF+eap3I93f6eHTU8iya6xUzAh1g+fSVPbXXyxurswtKQF5yW9xVeWHC8SqOfiS/nB0JpJe90xFG4amP1ToSdbMrtnXxuFmRZ2CPBkeLp9u4jmgsfX9T9zuoijknVQkj0pIryUb47z6h90DsIil0ZQ==";
    const P384_PEM: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAExN0EhyLL2Mo/kM7HygAUp3yjjg0HB1Dn
q6JD84iKMCDQKT+4dRNujTuhJJckeAYEQQnznrs+9Gwn3U7y71Vqt7W2oqLH1VDe
BIQuOv0n5zWh2FKGZmX6gSb+J15C8AtS
-----END PUBLIC KEY-----\n";
    const P384_SIG: &str = "MGQCMCm9wHuXcYQUuM0CsY5vL9nGdc38spwU8S9AjBPbbpA0BmNkGCeulcaXJvjTqyZQEQIwJQT6f53D0ktq3ATxVUo6MyVnNrqeq1eAyrVPZTTtlpRshZfNMVzFlLOqjobt8xR2";

    fn b64(text: &str) -> Vec<u8> {
        crate::sigstore::base64_decode(text).unwrap()
    }

    #[test]
    fn ed25519_rsa_and_p384_signatures_verify_and_a_flipped_bit_does_not() {
        let cases = [
            (ED25519_PEM, ED25519_SIG, "Ed25519", DigestAlgorithm::Sha256),
            (RSA_PEM, RSA_SIG, "RSA", DigestAlgorithm::Sha256),
            (P384_PEM, P384_SIG, "ECDSA P-384", DigestAlgorithm::Sha384),
        ];
        for (pem, sig, kind, hash) in cases {
            let key = PublicKey::from_pem(pem).unwrap();
            assert_eq!(key.describe(), kind);
            let sig = b64(sig);
            key.verify(hash, MESSAGE, &sig).unwrap();
            assert!(key.verify(hash, b"hello sigstorE", &sig).is_err(), "{kind}");
            let mut bad = sig.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(key.verify(hash, MESSAGE, &bad).is_err(), "{kind}");
        }
        // Over the digest alone: ECDSA yes, Ed25519 and RSA need the message.
        let p384 = PublicKey::from_pem(P384_PEM).unwrap();
        let digest = DigestAlgorithm::Sha384.digest(MESSAGE);
        p384.verify_digest(DigestAlgorithm::Sha384, &digest, &b64(P384_SIG))
            .unwrap();
        assert!(p384
            .verify_digest(DigestAlgorithm::Sha256, &digest, &b64(P384_SIG))
            .is_err());
        let ed = PublicKey::from_pem(ED25519_PEM).unwrap();
        let err = ed
            .verify_digest(
                DigestAlgorithm::Sha256,
                &DigestAlgorithm::Sha256.digest(MESSAGE),
                &b64(ED25519_SIG),
            )
            .unwrap_err();
        assert!(err.contains("over the artifact itself"), "{err}");
    }
}
