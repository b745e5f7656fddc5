//! What the signer must be: a certificate identity (its SAN, exactly) issued through an OIDC
//! issuer (exactly), or the holder of one public key.

use super::keys::PublicKey;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Policy {
    /// e.g. `https://github.com/<owner>/<repo>/.github/workflows/release.yml@refs/tags/v1.2.3`
    /// issued by `https://token.actions.githubusercontent.com`.
    Identity {
        san: String,
        issuer: String,
    },
    PublicKey(PublicKey),
}

impl Policy {
    /// A PEM SubjectPublicKeyInfo: ECDSA P-256 or P-384, Ed25519 or RSA.
    pub(crate) fn public_key_pem(pem: &str) -> Result<Policy, String> {
        PublicKey::from_pem(pem).map(Policy::PublicKey)
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Policy::Identity { san, issuer } => format!("{san} (issuer {issuer})"),
            Policy::PublicKey(key) => format!("the {} public key given", key.describe()),
        }
    }
}
