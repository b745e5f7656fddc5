//! The `versions` input: version-guard's `versions` document ([`VersionsDocument`]), whose
//! decisions (channel, version, sha, timestamp) channel-tags reuses so a build's packages and
//! images agree. This is channel-tags' checked view of it: the keys it needs, validated once.

use crate::error::Result;
use crate::github::context::is_sha_prefix;
use crate::version::document::{invalid as bad, VersionsDocument};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    pub channel: String,
    pub is_release: bool,
    pub is_prerelease: bool,
    pub version: String,
    pub sha: String,
    pub short_sha: Option<String>,
    /// `YYYYMMDDhhmmss`, UTC.
    pub timestamp: String,
    pub latest_version: Option<semver::Version>,
    pub tag_prefix: Option<String>,
}

/// A key channel-tags needs: present and not blank.
fn required(key: &str, value: &Option<String>) -> Result<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| bad(format!("key `{key}` is missing or empty")))
}

fn optional(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Versions {
    pub fn parse(text: &str) -> Result<Versions> {
        let doc = VersionsDocument::parse(text)?;
        let flag = |key: &str, value: Option<bool>| {
            value.ok_or_else(|| bad(format!("key `{key}` is missing")))
        };
        let sha = required("sha", &doc.sha)?.to_lowercase();
        // version-guard writes an abbreviated sha (12+ hex) when only SOURCE_GIT_SHA knew it.
        if !is_sha_prefix(&sha) {
            return Err(bad(format!(
                "key `sha` must be a commit sha (12 to 40 hex digits), got {sha:?}"
            )));
        }
        let timestamp = required("timestamp", &doc.timestamp)?;
        crate::version::parse_timestamp(&timestamp).map_err(|_| {
            bad(format!(
                "key `timestamp` must be YYYYMMDDhhmmss (UTC), got {timestamp:?}"
            ))
        })?;
        let latest_version = match optional(&doc.latest_version) {
            Some(v) => Some(semver::Version::parse(&v).map_err(|e| {
                bad(format!(
                    "key `latest-version` is not a semver version ({e}): {v:?}"
                ))
            })?),
            None => None,
        };
        Ok(Versions {
            channel: required("channel", &doc.channel)?,
            is_release: flag("is-release", doc.is_release)?,
            is_prerelease: flag("is-prerelease", doc.is_prerelease)?,
            version: required("version", &doc.version)?,
            sha,
            short_sha: optional(&doc.short_sha),
            timestamp,
            latest_version,
            tag_prefix: doc.tag_prefix,
        })
    }

    /// The timestamp as seconds since the epoch.
    pub fn unix_time(&self) -> i64 {
        crate::version::timestamp_unix(&self.timestamp).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> serde_json::Value {
        serde_json::json!({
            "channel": "main", "is-release": false, "is-prerelease": "false",
            "base-version": "0.12.0", "version": "0.12.0-dev.20240102030405.g0123456789ab",
            "latest-tag": "v0.11.0", "latest-version": "0.11.0",
            "sha": "0123456789abcdef0123456789abcdef01234567", "short-sha": "0123456789ab",
            "timestamp": "20240102030405", "tag-prefix": "v"
        })
    }

    #[test]
    fn parses_version_guard_output() {
        let v = Versions::parse(&sample().to_string()).unwrap();
        assert_eq!(v.channel, "main");
        assert!(!v.is_release && !v.is_prerelease);
        assert_eq!(v.latest_version.as_ref().unwrap().to_string(), "0.11.0");
        assert_eq!(v.unix_time(), 1_704_164_645);
    }

    #[test]
    fn names_the_input_and_key() {
        let err = Versions::parse("not json").unwrap_err();
        assert!(
            err.message.starts_with("input `versions`: not JSON"),
            "{}",
            err.message
        );
        assert_eq!(err.exit_code(), 2);
        for key in ["channel", "sha", "timestamp", "is-release", "version"] {
            let mut v = sample();
            v.as_object_mut().unwrap().remove(key);
            let err = Versions::parse(&v.to_string()).unwrap_err();
            assert!(
                err.message.contains(&format!("key `{key}`")),
                "{}",
                err.message
            );
        }
        let mut v = sample();
        v["is-release"] = serde_json::json!("yes");
        assert!(Versions::parse(&v.to_string()).is_err());
        v = sample();
        v["timestamp"] = serde_json::json!("2024-01-02");
        assert!(Versions::parse(&v.to_string()).is_err());
    }
}
