//! Release tags: `<prefix><semver>` names, compared as semver in-process. (git's `v:refname` sort
//! is not semver: it puts `v1.0.0` before `v1.0.0-rc.1`.)

use semver::Version;

/// The `tag-prefix` value that means "no prefix" (bare tags like `15.2.0`). An empty input cannot
/// say it: the runner sets every declared input, so an empty value means "not given" and the
/// default `v` applies. A word that no real prefix is keeps the meaning explicit in a workflow.
pub const NO_PREFIX: &str = "none";

/// Parses a `tag-prefix` input: [`NO_PREFIX`] is the empty prefix, anything else is taken as
/// written (a prefix with spaces is refused: no git tag has one).
pub fn parse_prefix_input(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value == NO_PREFIX {
        return Ok(String::new());
    }
    if value.chars().any(char::is_whitespace) {
        return Err(format!("a tag prefix cannot contain spaces, got {value:?}"));
    }
    Ok(value.to_string())
}

/// A tag that parses as the prefix followed by a semver version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagVersion {
    pub tag: String,
    pub version: Version,
}

impl TagVersion {
    /// `Some` when `tag` is exactly `prefix` + a valid semver version (`v1.2.3`, `sdk/go/v0.4.0-rc.1`).
    pub fn parse(tag: &str, prefix: &str) -> Option<TagVersion> {
        let rest = tag.strip_prefix(prefix)?;
        let version = Version::parse(rest).ok()?;
        Some(TagVersion {
            tag: tag.to_string(),
            version,
        })
    }

    pub fn is_prerelease(&self) -> bool {
        !self.version.pre.is_empty()
    }
}

/// Every release tag of one prefix.
#[derive(Debug, Clone, Default)]
pub struct Releases {
    /// Sorted ascending by version.
    tags: Vec<TagVersion>,
}

impl Releases {
    /// Keeps the names that parse with `prefix`; others (other prefixes, `latest`, typos) are ignored.
    pub fn from_tag_names<S: AsRef<str>>(names: &[S], prefix: &str) -> Releases {
        let mut tags: Vec<TagVersion> = names
            .iter()
            .filter_map(|n| TagVersion::parse(n.as_ref(), prefix))
            .collect();
        tags.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.tag.cmp(&b.tag)));
        Releases { tags }
    }

    pub fn len(&self) -> usize {
        self.tags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    pub fn all(&self) -> &[TagVersion] {
        &self.tags
    }

    fn stable(&self) -> impl DoubleEndedIterator<Item = &TagVersion> {
        self.tags.iter().filter(|t| !t.is_prerelease())
    }

    /// The latest release: the highest stable (non-prerelease) version.
    pub fn latest_stable(&self) -> Option<&TagVersion> {
        self.stable().next_back()
    }

    /// The highest stable release whose major is `major`.
    pub fn latest_stable_in_major(&self, major: u64) -> Option<&TagVersion> {
        self.stable().rfind(|t| t.version.major == major)
    }

    /// The highest stable release in `major.minor`.
    pub fn latest_stable_in_minor(&self, major: u64, minor: u64) -> Option<&TagVersion> {
        self.stable()
            .rfind(|t| t.version.major == major && t.version.minor == minor)
    }

    /// Whether `version` is at or above every stable release in its own line (all, one major,
    /// or one minor), comparing without build metadata.
    pub fn is_highest(&self, version: &Version, line: Line) -> bool {
        let best = match line {
            Line::All => self.latest_stable(),
            Line::Major => self.latest_stable_in_major(version.major),
            Line::Minor => self.latest_stable_in_minor(version.major, version.minor),
        };
        best.is_none_or(|b| version.cmp_precedence(&b.version) != std::cmp::Ordering::Less)
    }
}

/// A release line for floating tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    All,
    Major,
    Minor,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_order_not_git_order() {
        let r = Releases::from_tag_names(
            &[
                "v1.0.0",
                "v1.0.0-rc.1",
                "v0.9.0",
                "v1.10.0",
                "v1.9.0",
                "latest",
                "vfoo",
                "other/v9.0.0",
            ],
            "v",
        );
        assert_eq!(r.len(), 5);
        assert_eq!(r.latest_stable().unwrap().tag, "v1.10.0");
        assert_eq!(r.all()[1].tag, "v1.0.0-rc.1");
        assert_eq!(r.latest_stable_in_major(0).unwrap().tag, "v0.9.0");
    }

    #[test]
    fn monorepo_prefixes() {
        let r = Releases::from_tag_names(&["sdk/go/v0.4.0", "sdk/ts/v9.0.0", "v3.0.0"], "sdk/go/v");
        assert_eq!(r.latest_stable().unwrap().version.to_string(), "0.4.0");
        assert!(TagVersion::parse("v1.2", "v").is_none());
        assert!(TagVersion::parse("v01.2.3", "v").is_none());
    }

    #[test]
    fn none_is_the_empty_prefix() {
        assert_eq!(parse_prefix_input("none").as_deref(), Ok(""));
        assert_eq!(parse_prefix_input("sdk/go/v").as_deref(), Ok("sdk/go/v"));
        assert!(parse_prefix_input("a b").is_err());
        let r = Releases::from_tag_names(&["15.2.0", "14.0.0-rc1", "v99.0.0", "grep-1.0.0"], "");
        assert_eq!(r.len(), 2);
        assert_eq!(r.latest_stable().unwrap().tag, "15.2.0");
    }

    #[test]
    fn highest_in_line() {
        let r = Releases::from_tag_names(&["v1.9.0", "v2.0.1", "v2.1.0-rc.1"], "v");
        let v191 = Version::parse("1.9.1").unwrap();
        assert!(r.is_highest(&v191, Line::Major));
        assert!(r.is_highest(&v191, Line::Minor));
        assert!(!r.is_highest(&v191, Line::All));
    }
}
