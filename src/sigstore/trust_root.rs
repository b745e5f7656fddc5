//! trusted_root.json (protobuf-specs `dev.sigstore.trustroot.v1.TrustedRoot`): the Fulcio
//! certificate authorities, the Rekor logs, the CT logs and the timestamp authorities, each
//! with the window it is trusted for (`validFor`, both ends inclusive; an open end is open).

use serde_json::Value;

use super::keys::PublicKey;
use super::{base64_decode, parse_rfc3339, Check, Rejection};

/// The public-good instance's trusted root, as shipped by the PyPI package sigstore 4.5.1
/// (docs/attestations.md says how to refresh it).
static PUBLIC_GOOD: &[u8] = include_bytes!("roots/public-good.json");
/// The staging instance's trusted root, from the same package.
static STAGING: &[u8] = include_bytes!("roots/staging.json");

/// `validFor`: from `start` to `end`, both inclusive; no `end` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Validity {
    pub(crate) start: i64,
    pub(crate) end: Option<i64>,
}

impl Validity {
    pub(crate) fn contains(&self, time: i64) -> bool {
        self.start <= time && self.end.is_none_or(|end| time <= end)
    }

    const ALWAYS: Validity = Validity {
        start: i64::MIN,
        end: None,
    };
}

/// A transparency log (Rekor) or a certificate transparency log.
#[derive(Debug, Clone)]
pub(crate) struct Log {
    pub(crate) base_url: String,
    pub(crate) log_id: Vec<u8>,
    /// A key this build cannot use is kept as its reason: it fails only the entries it signed.
    pub(crate) key: Result<PublicKey, String>,
    pub(crate) valid: Validity,
}

impl Log {
    /// The host of `baseUrl` (what a checkpoint's signature line names).
    pub(crate) fn host(&self) -> &str {
        let rest = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }
}

/// A certificate authority (Fulcio) or a timestamp authority.
#[derive(Debug, Clone)]
pub(crate) struct Authority {
    pub(crate) uri: String,
    /// DER certificates, the one closest to the leaf first, the root last.
    pub(crate) chain: Vec<Vec<u8>>,
    pub(crate) valid: Validity,
}

#[derive(Debug, Clone)]
pub(crate) struct TrustedRoot {
    pub(crate) tlogs: Vec<Log>,
    pub(crate) ctlogs: Vec<Log>,
    pub(crate) certificate_authorities: Vec<Authority>,
    pub(crate) timestamp_authorities: Vec<Authority>,
}

fn bad(message: impl Into<String>) -> Rejection {
    Rejection::new(Check::TrustedRoot, message)
}

fn list<'v>(value: &'v Value, name: &str) -> Result<&'v [Value], Rejection> {
    match value.get(name) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(bad(format!("`{name}` is not an array"))),
    }
}

fn text<'v>(value: &'v Value, name: &str, place: &str) -> Result<&'v str, Rejection> {
    value
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("{place}: `{name}` is missing or not a string")))
}

fn bytes(value: &Value, name: &str, place: &str) -> Result<Vec<u8>, Rejection> {
    base64_decode(text(value, name, place)?)
        .ok_or_else(|| bad(format!("{place}: `{name}` is not valid base64")))
}

fn validity(value: Option<&Value>, place: &str) -> Result<Validity, Rejection> {
    let Some(range) = value else {
        return Ok(Validity::ALWAYS);
    };
    let time = |name: &str| -> Result<Option<i64>, Rejection> {
        match range.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => parse_rfc3339(s).map(Some).ok_or_else(|| {
                bad(format!(
                    "{place}: validFor.{name} is not an RFC 3339 time: {s}"
                ))
            }),
            Some(_) => Err(bad(format!("{place}: validFor.{name} is not a string"))),
        }
    };
    let start = time("start")?.ok_or_else(|| {
        bad(format!(
            "{place}: validFor has no start (a time range must have one)"
        ))
    })?;
    let end = time("end")?;
    if end.is_some_and(|end| end < start) {
        return Err(bad(format!("{place}: validFor ends before it starts")));
    }
    Ok(Validity { start, end })
}

fn log(value: &Value, place: &str) -> Result<Log, Rejection> {
    let key = value
        .get("publicKey")
        .ok_or_else(|| bad(format!("{place}: `publicKey` is missing")))?;
    let raw = bytes(key, "rawBytes", &format!("{place}.publicKey"))?;
    let log_id = value
        .get("logId")
        .ok_or_else(|| bad(format!("{place}: `logId` is missing")))?;
    Ok(Log {
        base_url: value
            .get("baseUrl")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        log_id: bytes(log_id, "keyId", &format!("{place}.logId"))?,
        key: match key.get("keyDetails").and_then(Value::as_str) {
            Some(details) if details.starts_with("PKCS1_RSA") => PublicKey::from_pkcs1_rsa(&raw),
            _ => PublicKey::from_spki_der(&raw),
        },
        valid: validity(key.get("validFor"), &format!("{place}.publicKey"))?,
    })
}

fn authority(value: &Value, place: &str) -> Result<Authority, Rejection> {
    let chain = value
        .get("certChain")
        .ok_or_else(|| bad(format!("{place}: `certChain` is missing")))?;
    let mut certs = Vec::new();
    for (i, cert) in list(chain, "certificates")?.iter().enumerate() {
        certs.push(bytes(
            cert,
            "rawBytes",
            &format!("{place}.certChain.certificates[{i}]"),
        )?);
    }
    if certs.is_empty() {
        return Err(bad(format!("{place}: the certificate chain is empty")));
    }
    Ok(Authority {
        uri: value
            .get("uri")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        chain: certs,
        valid: validity(value.get("validFor"), place)?,
    })
}

impl TrustedRoot {
    pub(crate) fn from_json(json: &[u8]) -> Result<TrustedRoot, Rejection> {
        let value: Value = serde_json::from_slice(json)
            .map_err(|e| bad(format!("the trusted root is not JSON: {e}")))?;
        if !value.is_object() {
            return Err(bad("the trusted root is not a JSON object"));
        }
        // Every trusted root names its media type; without it, a JSON file that is something
        // else entirely (`{"mediaType": 3}`) would read as a root that trusts nothing, and every
        // bundle would fail later for a reason that hides the real one.
        let media_type = match value.get("mediaType") {
            Some(Value::String(media_type)) => media_type.as_str(),
            Some(other) => {
                return Err(bad("the trusted root's mediaType is not a string")
                    .expected("application/vnd.dev.sigstore.trustedroot+json;version=0.1")
                    .found(other.to_string()))
            }
            None => {
                return Err(bad("the trusted root has no mediaType")
                    .expected("application/vnd.dev.sigstore.trustedroot+json;version=0.1"))
            }
        };
        if !media_type.starts_with("application/vnd.dev.sigstore.trustedroot") {
            return Err(bad("unknown trusted root media type")
                .expected("application/vnd.dev.sigstore.trustedroot+json;version=0.1")
                .found(media_type));
        }
        let logs = |name: &str| -> Result<Vec<Log>, Rejection> {
            list(&value, name)?
                .iter()
                .enumerate()
                .map(|(i, v)| log(v, &format!("{name}[{i}]")))
                .collect()
        };
        let authorities = |name: &str| -> Result<Vec<Authority>, Rejection> {
            list(&value, name)?
                .iter()
                .enumerate()
                .map(|(i, v)| authority(v, &format!("{name}[{i}]")))
                .collect()
        };
        Ok(TrustedRoot {
            tlogs: logs("tlogs")?,
            ctlogs: logs("ctlogs")?,
            certificate_authorities: authorities("certificateAuthorities")?,
            timestamp_authorities: authorities("timestampAuthorities")?,
        })
    }

    /// The embedded snapshot of the public-good (production) instance's root.
    pub(crate) fn public_good() -> TrustedRoot {
        Self::from_json(PUBLIC_GOOD).expect("the embedded public-good trusted root parses")
    }

    /// The embedded snapshot of the staging instance's root.
    pub(crate) fn staging() -> TrustedRoot {
        Self::from_json(STAGING).expect("the embedded staging trusted root parses")
    }

    pub(crate) fn tlog(&self, log_id: &[u8]) -> Option<&Log> {
        self.tlogs.iter().find(|l| l.log_id == log_id)
    }

    pub(crate) fn ctlog(&self, log_id: &[u8]) -> Option<&Log> {
        self.ctlogs.iter().find(|l| l.log_id == log_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_roots_parse_and_their_keys_are_usable() {
        for root in [TrustedRoot::public_good(), TrustedRoot::staging()] {
            assert!(!root.tlogs.is_empty());
            assert!(!root.ctlogs.is_empty());
            assert!(!root.certificate_authorities.is_empty());
            for log in root.tlogs.iter().chain(&root.ctlogs) {
                assert!(log.key.is_ok(), "{}: {:?}", log.base_url, log.key);
            }
        }
    }

    #[test]
    fn validity_is_inclusive_at_both_ends_and_needs_a_start() {
        let range =
            serde_json::json!({"start": "2024-01-01T00:00:00Z", "end": "2024-01-02T00:00:00Z"});
        let v = validity(Some(&range), "x").unwrap();
        assert!(v.contains(1_704_067_200));
        assert!(v.contains(1_704_153_600));
        assert!(!v.contains(1_704_153_601));
        assert!(!v.contains(1_704_067_199));
        let open = validity(
            Some(&serde_json::json!({"start": "2024-01-01T00:00:00Z"})),
            "x",
        )
        .unwrap();
        assert!(open.contains(i64::MAX));
        let err = validity(
            Some(&serde_json::json!({"end": "2024-01-02T00:00:00Z"})),
            "tlogs[0]",
        )
        .unwrap_err();
        assert!(err.message.contains("no start"), "{err}");
    }

    #[test]
    fn malformed_roots_are_refused() {
        assert!(TrustedRoot::from_json(b"{").is_err());
        assert!(TrustedRoot::from_json(b"[]").is_err());
        assert!(TrustedRoot::from_json(br#"{"tlogs": 3}"#).is_err());
        // Valid JSON that is no trusted root: refused for its media type, not trusted as empty.
        for not_a_root in [&br#"{"mediaType": 3}"#[..], br#"{"tlogs": []}"#, b"{}"] {
            let err = TrustedRoot::from_json(not_a_root).unwrap_err();
            assert!(err.message.contains("mediaType"), "{err}");
        }
    }
}
