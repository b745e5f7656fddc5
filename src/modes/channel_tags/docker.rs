//! Docker's reference grammar for tags and repository names.
//!
//! A tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}` (distribution/reference). A registry refuses
//! anything else at push time, after the whole image has been built, so tags are made valid here.

use sha2::{Digest, Sha256};

/// The longest tag a registry accepts.
pub const MAX_TAG_LEN: usize = 128;

/// Hex digits of the hash that keeps cut tags distinct.
const CUT_HASH_LEN: usize = 8;

fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'
}

/// Makes `raw` a valid Docker tag: every run of characters outside the grammar becomes one `-`
/// (as docker/metadata-action does, so `feature/x#1` is `feature-x-1` in both), leading `.` and
/// `-` are dropped, and a tag over 128 characters is cut and ends in `-<hash of the whole tag>`
/// so two long names that share their first 119 characters still get different tags.
///
/// `None` when nothing valid is left (`///`, `..`).
pub fn sanitize_tag(raw: &str) -> Option<String> {
    let mut tag = String::with_capacity(raw.len());
    let mut in_run = false;
    for c in raw.chars() {
        if is_tag_char(c) {
            tag.push(c);
            in_run = false;
        } else if !in_run {
            tag.push('-');
            in_run = true;
        }
    }
    let tag = tag.trim_start_matches(['.', '-']);
    if tag.is_empty() {
        return None;
    }
    if tag.len() <= MAX_TAG_LEN {
        return Some(tag.to_string());
    }
    let hash = hex::encode(Sha256::digest(tag.as_bytes()));
    // Only ASCII is left, so byte offsets are character offsets.
    let keep = MAX_TAG_LEN - CUT_HASH_LEN - 1;
    Some(format!("{}-{}", &tag[..keep], &hash[..CUT_HASH_LEN]))
}

/// Whether `tag` is valid as it stands.
pub fn is_valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphanumeric() || first == '_' => {}
        _ => return false,
    }
    tag.len() <= MAX_TAG_LEN && chars.all(is_tag_char)
}

/// Checks an `images` item and lower-cases it (repository names are lower-case only; registries
/// refuse `ghcr.io/Org/App`, while GitHub owner names are often capitalised).
pub fn image_name(raw: &str) -> Result<String, String> {
    let name = raw.trim().to_lowercase();
    if name.is_empty() {
        return Err("an image name is empty".into());
    }
    if name.chars().any(char::is_whitespace) {
        return Err(format!("{raw:?} contains whitespace"));
    }
    if name.contains('@') {
        return Err(format!(
            "{raw:?} has a digest: give the repository only (e.g. ghcr.io/org/app)"
        ));
    }
    // A colon after the last slash is a tag (`app:1`); before it, a registry port (`host:5000/app`).
    let last = name.rsplit('/').next().unwrap_or(&name);
    if last.contains(':') {
        return Err(format!(
            "{raw:?} has a tag: give the repository only (e.g. ghcr.io/org/app); tags come from `channel-tags`"
        ));
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return Err(format!("{raw:?} is not a repository name"));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn invalid_characters_become_dashes() {
        assert_eq!(sanitize_tag("feature/x#1").unwrap(), "feature-x-1");
        assert_eq!(sanitize_tag("a//b").unwrap(), "a-b");
        assert_eq!(sanitize_tag("1.2.3+build.5").unwrap(), "1.2.3-build.5");
        assert_eq!(sanitize_tag(".hidden").unwrap(), "hidden");
        assert_eq!(sanitize_tag("-/x").unwrap(), "x");
        assert_eq!(sanitize_tag("héllo").unwrap(), "h-llo");
        assert_eq!(sanitize_tag("/.-"), None);
    }

    #[test]
    fn long_tags_are_cut_with_a_hash() {
        let a = format!("{}a", "x".repeat(200));
        let b = format!("{}b", "x".repeat(200));
        let (ta, tb) = (sanitize_tag(&a).unwrap(), sanitize_tag(&b).unwrap());
        assert_eq!(ta.len(), MAX_TAG_LEN);
        assert_ne!(ta, tb);
        assert!(ta.starts_with(&"x".repeat(119)));
        assert_eq!(sanitize_tag(&"y".repeat(128)).unwrap(), "y".repeat(128));
    }

    #[test]
    fn image_names() {
        assert_eq!(image_name("GHCR.io/Org/App").unwrap(), "ghcr.io/org/app");
        assert_eq!(
            image_name("localhost:5000/app").unwrap(),
            "localhost:5000/app"
        );
        assert!(image_name("app:1.0").is_err());
        assert!(image_name("app@sha256:abc").is_err());
        assert!(image_name("my app").is_err());
    }

    proptest! {
        #[test]
        fn sanitized_tags_follow_the_grammar(raw in "\\PC{0,300}") {
            if let Some(tag) = sanitize_tag(&raw) {
                prop_assert!(is_valid_tag(&tag), "{tag:?}");
                // Already valid tags are kept as they are.
                prop_assert_eq!(sanitize_tag(&tag), Some(tag.clone()));
            }
        }

        #[test]
        fn cut_tags_stay_distinct(a in "[a-z]{130,200}", b in "[a-z]{130,200}") {
            prop_assume!(a != b);
            prop_assert_ne!(sanitize_tag(&a), sanitize_tag(&b));
        }
    }
}
