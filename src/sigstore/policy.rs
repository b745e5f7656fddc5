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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_key_must_be_a_pem_public_key() {
        let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAUXjQpFt2oBA7n7s1bliwEFXYXgf+AIQH1LzzZYfllu8=\n-----END PUBLIC KEY-----\n";
        let policy = Policy::public_key_pem(pem).unwrap();
        assert_eq!(policy.describe(), "the Ed25519 public key given");
        assert!(Policy::public_key_pem(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
        )
        .is_err());
        let err =
            Policy::public_key_pem("-----BEGIN PUBLIC KEY-----\nMFkw!!\n-----END PUBLIC KEY-----")
                .unwrap_err();
        assert!(err.contains("PEM"), "{err}");
    }
}
