//! Sigstore bundle verification: pure functions over the bytes they are given (a bundle, the
//! artifact or its digest, a policy, a trusted root, the current time). No I/O, no printing.
//!
//! One file per concern: [`asn1`] (a minimal DER reader), [`bundle`] (the bundle's JSON, media types v0.1 to v0.3),
//! [`trust_root`] (trusted_root.json), [`keys`] (public keys and signatures), [`certificate`]
//! (Fulcio chain, identity), [`sct`] (embedded SCTs), [`tlog`] (Rekor v1 and v2 entries,
//! inclusion proofs, checkpoints), [`timestamp`] (RFC 3161), [`dsse`] (envelopes and in-toto
//! statements), [`policy`] (what the signer must be), [`verify`] (the order of the checks).

pub(crate) mod asn1;
pub(crate) mod bundle;
pub(crate) mod certificate;
pub(crate) mod dsse;
pub(crate) mod keys;
pub(crate) mod policy;
pub(crate) mod sct;
pub(crate) mod timestamp;
pub(crate) mod tlog;
pub(crate) mod trust_root;
mod verify;

use std::fmt;
use std::time::SystemTime;

pub(crate) use dsse::InTotoStatement;
pub(crate) use policy::Policy;
pub(crate) use trust_root::TrustedRoot;

/// Which check said no: what a step summary shows first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// The bundle itself: JSON, media type, missing or malformed fields.
    Bundle,
    /// The trusted root: JSON, keys, validity windows.
    TrustedRoot,
    /// The signing certificate's chain to a Fulcio CA of the trusted root.
    CertificateChain,
    /// The signed certificate timestamps embedded in the signing certificate.
    CertificateTransparency,
    /// The transparency log entry: its signed timestamp, inclusion proof, checkpoint, body.
    TransparencyLog,
    /// RFC 3161 signed timestamps.
    Timestamp,
    /// The signature over the artifact or the DSSE envelope.
    Signature,
    /// The certificate's identity and issuer, or the public key, against the policy.
    Identity,
    /// The artifact against the in-toto statement's subjects, or the bundle's digest.
    Subject,
}

impl Check {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Check::Bundle => "bundle",
            Check::TrustedRoot => "trusted root",
            Check::CertificateChain => "certificate chain",
            Check::CertificateTransparency => "certificate transparency",
            Check::TransparencyLog => "transparency log",
            Check::Timestamp => "timestamp",
            Check::Signature => "signature",
            Check::Identity => "identity",
            Check::Subject => "subject",
        }
    }
}

/// Why a bundle was not accepted: which check, what was expected, what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) check: Check,
    pub(crate) expected: Option<String>,
    pub(crate) found: Option<String>,
    pub(crate) message: String,
}

impl Rejection {
    pub(crate) fn new(check: Check, message: impl Into<String>) -> Self {
        Rejection {
            check,
            expected: None,
            found: None,
            message: message.into(),
        }
    }

    pub(crate) fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    pub(crate) fn found(mut self, found: impl Into<String>) -> Self {
        self.found = Some(found.into());
        self
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check.label(), self.message)?;
        if let Some(expected) = &self.expected {
            write!(f, "; expected {expected}")?;
        }
        if let Some(found) = &self.found {
            write!(f, "; found {found}")?;
        }
        Ok(())
    }
}

/// A shorthand for the many `map_err`s of one check.
pub(crate) fn reject<T>(check: Check, message: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection::new(check, message))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DigestAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    pub(crate) fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha384 => "sha384",
            DigestAlgorithm::Sha512 => "sha512",
        }
    }

    /// `sha256`, `SHA2_256`, `sha-256`, … (bundles, Rekor bodies and in-toto subjects spell it
    /// differently).
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "sha256" | "sha2256" => Some(DigestAlgorithm::Sha256),
            "sha384" | "sha2384" => Some(DigestAlgorithm::Sha384),
            "sha512" | "sha2512" => Some(DigestAlgorithm::Sha512),
            _ => None,
        }
    }

    pub(crate) fn len(self) -> usize {
        match self {
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        match self {
            DigestAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
            DigestAlgorithm::Sha384 => sha2::Sha384::digest(data).to_vec(),
            DigestAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// What was signed: the artifact's bytes, or only its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Artifact<'a> {
    Bytes(&'a [u8]),
    Digest {
        algorithm: DigestAlgorithm,
        value: Vec<u8>,
    },
}

impl Artifact<'_> {
    /// `sha256:<64 hex>` (the conformance protocol's form; sha384 and sha512 too), or `None`
    /// when the text is not of that form (then it names a file).
    pub(crate) fn parse_digest(text: &str) -> Option<Artifact<'static>> {
        let (name, hex_value) = text.split_once(':')?;
        let algorithm = match name {
            "sha256" => DigestAlgorithm::Sha256,
            "sha384" => DigestAlgorithm::Sha384,
            "sha512" => DigestAlgorithm::Sha512,
            _ => return None,
        };
        if hex_value.len() != algorithm.len() * 2
            || !hex_value.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return None;
        }
        let value = hex::decode(hex_value).ok()?;
        Some(Artifact::Digest { algorithm, value })
    }

    /// The artifact's digest with `algorithm`, when it can be had (bytes: always; a digest: only
    /// with its own algorithm).
    pub(crate) fn digest(&self, algorithm: DigestAlgorithm) -> Option<Vec<u8>> {
        match self {
            Artifact::Bytes(bytes) => Some(algorithm.digest(bytes)),
            Artifact::Digest {
                algorithm: own,
                value,
            } => (*own == algorithm).then(|| value.clone()),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Artifact::Bytes(bytes) => format!(
                "sha256:{}",
                hex::encode(DigestAlgorithm::Sha256.digest(bytes))
            ),
            Artifact::Digest { algorithm, value } => {
                format!("{}:{}", algorithm.name(), hex::encode(value))
            }
        }
    }
}

/// What a verified bundle says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verified {
    /// The certificate's identity (its SAN), or `public key <sha256 of the key>`.
    pub(crate) identity: String,
    /// The certificate's OIDC issuer; empty for a public key.
    pub(crate) issuer: String,
    /// The earliest verified signing time (unix seconds).
    pub(crate) signed_at: i64,
    /// The in-toto statement of a DSSE bundle.
    pub(crate) statement: Option<InTotoStatement>,
}

/// Verifies `bundle_json` over `artifact` for `policy` against `root` at `now`. Every check in
/// [`verify`] must pass; the first that does not is the rejection.
pub(crate) fn verify_bundle(
    bundle_json: &[u8],
    artifact: &Artifact,
    policy: &Policy,
    root: &TrustedRoot,
    now: SystemTime,
) -> Result<Verified, Rejection> {
    let bundle = bundle::Bundle::from_json(bundle_json)?;
    verify::verify(&bundle, artifact, policy, root, unix_seconds(now))
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Standard base64 as protobuf JSON writes it (URL-safe, unpadded and line-wrapped accepted too,
/// as protobuf readers do).
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
    const URL: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
    // Line breaks are allowed (MIME-style wrapped base64, as Go's and Python's decoders accept).
    let text: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    STD.decode(&text).or_else(|_| URL.decode(&text)).ok()
}

/// RFC 3339 (`2021-03-07T03:20:29.000Z`) to unix seconds.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// Unix seconds as RFC 3339, for messages.
pub(crate) fn format_time(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_input_is_parsed_only_in_the_protocol_form() {
        let hex64 = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
        let Some(Artifact::Digest { algorithm, value }) =
            Artifact::parse_digest(&format!("sha256:{hex64}"))
        else {
            panic!("a sha256 digest");
        };
        assert_eq!(
            (algorithm, hex::encode(value)),
            (DigestAlgorithm::Sha256, hex64.to_string())
        );
        assert!(Artifact::parse_digest(&format!("sha256:{}", &hex64[..63])).is_none());
        assert!(Artifact::parse_digest(&format!("sha256:{hex64}0")).is_none());
        assert!(Artifact::parse_digest(&format!("sha256:{}g", &hex64[..63])).is_none());
        assert!(Artifact::parse_digest(&format!("md5:{hex64}")).is_none());
        assert!(Artifact::parse_digest("a.txt").is_none());
        assert!(Artifact::parse_digest(&format!("sha512:{hex64}{hex64}")).is_some());
        assert!(
            Artifact::parse_digest(&format!("sha384:{}", &format!("{hex64}{hex64}")[..96]))
                .is_some()
        );
    }

    #[test]
    fn a_digest_artifact_answers_only_for_its_own_algorithm() {
        let bytes = Artifact::Bytes(b"abc");
        let sha256 = bytes.digest(DigestAlgorithm::Sha256).unwrap();
        let digest = Artifact::Digest {
            algorithm: DigestAlgorithm::Sha256,
            value: sha256.clone(),
        };
        assert_eq!(digest.digest(DigestAlgorithm::Sha256), Some(sha256));
        assert_eq!(digest.digest(DigestAlgorithm::Sha512), None);
        assert_eq!(bytes.describe(), digest.describe());
    }

    #[test]
    fn base64_as_protobuf_json_readers_take_it() {
        assert_eq!(base64_decode("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(base64_decode("aGVsbG8"), Some(b"hello".to_vec()));
        assert_eq!(base64_decode("aGVs\nbG8=\n"), Some(b"hello".to_vec()));
        assert_eq!(base64_decode("-_8="), Some(vec![0xfb, 0xff]));
        assert_eq!(base64_decode("aGV sbG8="), None);
        assert_eq!(base64_decode("!!!!"), None);
    }

    #[test]
    fn digest_algorithm_names_in_every_spelling() {
        for name in ["sha256", "SHA2_256", "sha-256", "SHA256"] {
            assert_eq!(
                DigestAlgorithm::from_name(name),
                Some(DigestAlgorithm::Sha256),
                "{name}"
            );
        }
        assert_eq!(
            DigestAlgorithm::from_name("SHA2_384"),
            Some(DigestAlgorithm::Sha384)
        );
        assert_eq!(
            DigestAlgorithm::from_name("sha512"),
            Some(DigestAlgorithm::Sha512)
        );
        assert_eq!(DigestAlgorithm::from_name("sha1"), None);
    }
}
