//! DSSE envelopes: the pre-authentication encoding a signature is over, and the in-toto
//! statement a payload carries, whose subjects name the artifacts it is about.

use serde_json::Value;

use super::{Artifact, Check, DigestAlgorithm, Rejection};

pub(crate) const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`.
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subject {
    pub(crate) name: String,
    /// Algorithm name as the statement spells it, and the lowercase hex digest.
    pub(crate) digests: Vec<(String, String)>,
}

/// An in-toto statement (v0.1 or v1).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InTotoStatement {
    pub(crate) statement_type: String,
    pub(crate) predicate_type: String,
    pub(crate) subjects: Vec<Subject>,
    pub(crate) predicate: Value,
}

fn bad(message: impl Into<String>) -> Rejection {
    Rejection::new(Check::Subject, message)
}

impl InTotoStatement {
    pub(crate) fn from_payload(payload: &[u8]) -> Result<InTotoStatement, Rejection> {
        let value: Value = serde_json::from_slice(payload).map_err(|e| {
            bad(format!(
                "the DSSE payload is not a JSON in-toto statement: {e}"
            ))
        })?;
        let statement_type = value
            .get("_type")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("the in-toto statement has no `_type`"))?
            .to_string();
        if !statement_type.starts_with("https://in-toto.io/Statement/") {
            return Err(bad("not an in-toto statement")
                .expected("_type https://in-toto.io/Statement/v1")
                .found(statement_type));
        }
        let predicate_type = value
            .get("predicateType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut subjects = Vec::new();
        for (i, s) in value
            .get("subject")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("the in-toto statement has no `subject` list"))?
            .iter()
            .enumerate()
        {
            let digest = s
                .get("digest")
                .and_then(Value::as_object)
                .ok_or_else(|| bad(format!("subject[{i}] has no `digest` object")))?;
            let digests = digest
                .iter()
                .filter_map(|(alg, v)| v.as_str().map(|v| (alg.clone(), v.to_ascii_lowercase())))
                .collect();
            subjects.push(Subject {
                name: s
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                digests,
            });
        }
        Ok(InTotoStatement {
            statement_type,
            predicate_type,
            subjects,
            predicate: value.get("predicate").cloned().unwrap_or(Value::Null),
        })
    }

    /// The artifact is one of the subjects: some digest a subject lists that can be computed
    /// for the artifact (sha256, sha384, sha512) equals it.
    pub(crate) fn check_subject(&self, artifact: &Artifact) -> Result<(), Rejection> {
        for subject in &self.subjects {
            for (alg, value) in &subject.digests {
                let Some(algorithm) = DigestAlgorithm::from_name(alg) else {
                    continue;
                };
                if artifact
                    .digest(algorithm)
                    .is_some_and(|d| hex::encode(d) == *value)
                {
                    return Ok(());
                }
            }
        }
        let listed: Vec<String> = self
            .subjects
            .iter()
            .flat_map(|s| {
                s.digests
                    .iter()
                    .map(move |(a, v)| format!("{} {a}:{v}", s.name))
            })
            .collect();
        Err(
            bad("the artifact is not a subject of the in-toto statement")
                .expected(artifact.describe())
                .found(if listed.is_empty() {
                    "no subjects".to_string()
                } else {
                    listed.join(", ")
                }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // The DSSE protocol document's example: type "http://example.com/HelloWorld",
        // body "hello world".
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn a_subject_matches_by_any_digest_it_lists() {
        let payload = br#"{"_type":"https://in-toto.io/Statement/v1","predicateType":"p",
            "subject":[{"name":"a","digest":{"sha512":"SHA512HEX","gitCommit":"x"}},
                       {"name":"b","digest":{"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}}],
            "predicate":{"k":1}}"#;
        let st = InTotoStatement::from_payload(payload).unwrap();
        assert_eq!(st.subjects.len(), 2);
        assert!(st.check_subject(&Artifact::Bytes(b"hello")).is_ok());
        let digest = Artifact::parse_digest(
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        )
        .unwrap();
        assert!(st.check_subject(&digest).is_ok());
        let err = st.check_subject(&Artifact::Bytes(b"other")).unwrap_err();
        assert_eq!(err.check, Check::Subject);
        assert!(err.found.unwrap().contains("b sha256:2cf2"));
    }

    #[test]
    fn not_a_statement() {
        assert!(InTotoStatement::from_payload(b"[]").is_err());
        assert!(InTotoStatement::from_payload(br#"{"_type":"x","subject":[]}"#).is_err());
    }
}
