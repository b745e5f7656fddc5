//! The `versions` document: what version-guard decided, as one JSON object that later steps reuse
//! (`versions: ${{ steps.version.outputs.versions }}`). version-guard writes it; channel-tags and
//! smoke-install read it. This type is the only place that knows its keys.
//!
//! ```json
//! {"format-version": 1, "channel": "main", "is-release": false, "is-prerelease": false,
//!  "base-version": "0.12.0", "version": "0.12.0-dev.20240102030405.g0123456789ab",
//!  "latest-tag": "v0.11.0", "latest-version": "0.11.0", "tag-prefix": "v",
//!  "sha": "…40 hex…", "short-sha": "0123456789ab", "timestamp": "20240102030405",
//!  "npm-version": "…", "pypi-version": "…", "go-version": "…", "cargo-version": "…"}
//! ```
//!
//! Each ecosystem's version sits under `<key>-version` (the key is the ecosystem's
//! `Ecosystem::version_key`), the same name as version-guard's output, so a
//! workflow can read `fromJSON(steps.version.outputs.versions)['npm-version']`. In this type they
//! are one map keyed by ecosystem. A document without `format-version` was written before the
//! field existed and is format 1; a document from a newer format is refused with exit 2, because
//! its keys may mean something this build does not know.
//!
//! Every field is optional when read: each reader states which ones it needs (channel-tags needs
//! the channel and the commit, smoke-install only the versions of the packages it smokes), and
//! hand-written documents with just those keys are accepted.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Failure, Result};

/// The format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// version-guard's decisions. Field names are the JSON keys in kebab-case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct VersionsDocument {
    #[serde(default = "format_one")]
    pub format_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_release: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_prerelease: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<String>,
    /// The build's semver: the release on tags, the snapshot otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Empty when there is no release yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_sha: Option<String>,
    /// `YYYYMMDDhhmmss`, UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_prefix: Option<String>,
    /// Each ecosystem's version, by its version key (`npm`, `pypi`, `go`, `cargo`); written as
    /// `<key>-version`.
    #[serde(flatten, with = "per_ecosystem")]
    pub ecosystems: BTreeMap<String, String>,
}

/// The keys whose values are strings (besides each `<key>-version`).
const STRING_KEYS: &[&str] = &[
    "channel",
    "base-version",
    "version",
    "latest-tag",
    "latest-version",
    "sha",
    "short-sha",
    "timestamp",
    "tag-prefix",
];

fn format_one() -> u32 {
    1
}

/// `true`/`false`, or the strings "true"/"false" that hand-written documents use.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<bool>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Ok(Some(b)),
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) if s == "true" => Ok(Some(true)),
        serde_json::Value::String(s) if s == "false" => Ok(Some(false)),
        other => Err(serde::de::Error::custom(format!(
            "must be true or false, got {other}"
        ))),
    }
}

/// The map of ecosystem versions as flat `<key>-version` keys.
mod per_ecosystem {
    use super::*;

    pub(super) fn serialize<S: Serializer>(
        map: &BTreeMap<String, String>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(map.iter().map(|(k, v)| (format!("{k}-version"), v)))
    }

    /// Every key left over that ends in `-version` and holds a string; other keys (from a newer
    /// format 1 writer) are ignored.
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<BTreeMap<String, String>, D::Error> {
        let rest = BTreeMap::<String, serde_json::Value>::deserialize(d)?;
        Ok(rest
            .into_iter()
            .filter_map(|(k, v)| match (k.strip_suffix("-version"), v) {
                (Some(key), serde_json::Value::String(s)) if !key.is_empty() => {
                    Some((key.to_string(), s))
                }
                _ => None,
            })
            .collect())
    }
}

/// A usage error about the `versions` input.
pub fn invalid(why: impl std::fmt::Display) -> Failure {
    Failure::invalid_input(
        "versions",
        why,
        "pass version-guard's output unchanged: `versions: ${{ steps.<version-guard step id>.outputs.versions }}`",
    )
}

impl VersionsDocument {
    /// Reads the `versions` input. Errors name the input and the key, exit 2.
    pub fn parse(text: &str) -> Result<VersionsDocument> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| invalid(format!("not JSON ({e})")))?;
        let serde_json::Value::Object(map) = &value else {
            return Err(invalid("expected a JSON object"));
        };
        match map.get("format-version") {
            None => {}
            Some(serde_json::Value::Number(n)) if n.as_u64().is_some() => {
                let format = n.as_u64().unwrap_or_default();
                if format > u64::from(FORMAT_VERSION) {
                    return Err(Failure::invalid_input(
                        "versions",
                        format!(
                            "the document is format {format}, written by a newer \
                             release-action; this one reads format {FORMAT_VERSION} and older"
                        ),
                        "use the same release-action version for version-guard and this step",
                    ));
                }
            }
            Some(other) => {
                return Err(invalid(format!(
                    "key `format-version` must be a whole number, got {other}"
                )))
            }
        }
        // serde's type errors do not say which key; these do.
        for key in STRING_KEYS {
            match map.get(*key) {
                None | Some(serde_json::Value::Null | serde_json::Value::String(_)) => {}
                Some(other) => {
                    return Err(invalid(format!(
                        "key `{key}` must be a string, got {other}"
                    )))
                }
            }
        }
        for key in ["is-release", "is-prerelease"] {
            if let Some(v) = map.get(key) {
                let ok = v.is_boolean() || v.is_null() || v == "true" || v == "false";
                if !ok {
                    return Err(invalid(format!(
                        "key `{key}` must be true or false, got {v}"
                    )));
                }
            }
        }
        serde_json::from_value(value).map_err(|e| invalid(describe_serde(&e)))
    }

    /// The document as one line of JSON, keys in alphabetical order.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The document as a JSON value (keys sorted, as serde_json's map keeps them).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("the versions document serializes")
    }

    /// One ecosystem's version, by version key (`npm`, `pypi`, …), when set and not blank.
    pub fn ecosystem(&self, key: &str) -> Option<&str> {
        self.ecosystems
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// serde's message names the key through the field it failed on; say it the way the README does.
fn describe_serde(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // "invalid type: integer `5`, expected a string at line 1 column 12"
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> VersionsDocument {
        VersionsDocument {
            format_version: FORMAT_VERSION,
            channel: Some("main".into()),
            is_release: Some(false),
            is_prerelease: Some(false),
            base_version: Some("0.12.0".into()),
            version: Some("0.12.0-dev.20240102030405.g0123456789ab".into()),
            latest_tag: Some("v0.11.0".into()),
            latest_version: Some("0.11.0".into()),
            sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
            short_sha: Some("0123456789ab".into()),
            timestamp: Some("20240102030405".into()),
            tag_prefix: Some("v".into()),
            ecosystems: [
                ("npm", "0.12.0-dev.20240102030405.g0123456789ab"),
                ("pypi", "0.12.0.dev20240102030405+g0123456789ab"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        }
    }

    #[test]
    fn round_trips_with_flat_version_keys() {
        let doc = sample();
        let value = doc.to_value();
        assert_eq!(value["npm-version"], doc.ecosystems["npm"].as_str());
        assert_eq!(value["format-version"], 1);
        assert_eq!(value["is-release"], false);
        assert!(value.get("ecosystems").is_none());
        assert_eq!(VersionsDocument::parse(&doc.to_json()).unwrap(), doc);
    }

    #[test]
    fn documents_without_a_format_are_format_one_and_partial_ones_are_read() {
        let doc = VersionsDocument::parse(
            r#"{"channel":"main","is-release":"false","npm-version":"1.2.4","go-version":"v1.2.4"}"#,
        )
        .unwrap();
        assert_eq!(doc.format_version, 1);
        assert_eq!(doc.is_release, Some(false));
        assert_eq!(doc.ecosystem("go"), Some("v1.2.4"));
        assert_eq!(doc.ecosystem("pypi"), None);
        // base-version and latest-version are fields, not ecosystems.
        let doc =
            VersionsDocument::parse(r#"{"base-version":"1.0.0","latest-version":""}"#).unwrap();
        assert!(doc.ecosystems.is_empty());
    }

    #[test]
    fn a_newer_format_is_a_usage_error() {
        let err =
            VersionsDocument::parse(r#"{"format-version": 2, "channel": "main"}"#).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.message.contains("format 2"), "{}", err.message);
        assert!(
            err.message.starts_with("input `versions`"),
            "{}",
            err.message
        );
        let err = VersionsDocument::parse(r#"{"format-version": "1"}"#).unwrap_err();
        assert!(err.message.contains("`format-version`"), "{}", err.message);
    }

    #[test]
    fn wrong_types_name_the_input() {
        for text in [
            "not json",
            "[1]",
            r#"{"channel": 5}"#,
            r#"{"is-release": "yes"}"#,
        ] {
            let err = VersionsDocument::parse(text).unwrap_err();
            assert!(
                err.message.starts_with("input `versions`: "),
                "{text}: {}",
                err.message
            );
            if text.starts_with('{') {
                assert!(err.message.contains("key `"), "{text}: {}", err.message);
            }
            assert_eq!(err.exit_code(), 2);
        }
    }
}
