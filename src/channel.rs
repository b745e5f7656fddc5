//! Which channel a build belongs to, decided from its ref. Shared by version-guard and
//! channel-tags so that the packages and the images of one build always agree.
//!
//! - a tag `<prefix><semver>`: `release`, or `prerelease` when the version has a pre-release part;
//! - a pull request: `pr`;
//! - a branch: the channel of the first `channels` line whose glob matches it (`main=main`,
//!   `dev=dev` by default), else `branch`.

use globset::{Glob, GlobMatcher};

use crate::error::{Failure, Result};
use crate::github::{Context, RefKind};
use crate::version::tags::TagVersion;

pub const DEFAULT_CHANNELS: &str = "main=main\ndev=dev";

/// The `channels` input: lines `<branch-glob>=<channel>`.
#[derive(Debug, Clone)]
pub struct Channels {
    rules: Vec<(GlobMatcher, String)>,
}

impl Channels {
    pub fn parse(input: &str) -> Result<Channels> {
        let mut rules = Vec::new();
        for (n, line) in input.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| {
                Failure::invalid_input_line(
                    "channels",
                    n + 1,
                    format!("{why}: {line:?}"),
                    "write one `<branch-glob>=<channel>` per line, e.g. `release/*=rc`",
                )
            };
            let Some((glob, channel)) = line.split_once('=') else {
                return Err(bad("expected `<branch-glob>=<channel>`"));
            };
            let (glob, channel) = (glob.trim(), channel.trim());
            if glob.is_empty() || channel.is_empty() {
                return Err(bad("the glob and the channel must both be non-empty"));
            }
            if !channel
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            {
                return Err(bad(
                    "a channel name may only contain letters, digits, `-`, `_` and `.`",
                ));
            }
            let matcher = Glob::new(glob)
                .map_err(|e| bad(&format!("invalid glob ({e})")))?
                .compile_matcher();
            rules.push((matcher, channel.to_string()));
        }
        Ok(Channels { rules })
    }

    /// The channel for a branch name.
    pub fn for_branch(&self, branch: &str) -> String {
        self.rules
            .iter()
            .find(|(glob, _)| glob.is_match(branch))
            .map(|(_, channel)| channel.clone())
            .unwrap_or_else(|| "branch".to_string())
    }
}

impl Default for Channels {
    fn default() -> Self {
        Channels::parse(DEFAULT_CHANNELS).expect("default channels parse")
    }
}

/// What a build is, from its ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    pub channel: String,
    /// The release tag, on tag refs.
    pub tag: Option<TagVersion>,
    pub branch: Option<String>,
    pub pull_request: Option<u64>,
}

impl Build {
    pub fn is_release(&self) -> bool {
        self.tag.as_ref().is_some_and(|t| !t.is_prerelease())
    }

    pub fn is_prerelease(&self) -> bool {
        self.tag.as_ref().is_some_and(|t| t.is_prerelease())
    }
}

/// Decides the channel. A tag ref that does not parse as `<prefix><semver>` is refused (exit 1):
/// building a release from it would publish a version nobody asked for.
pub fn decide(ctx: &Context, channels: &Channels, tag_prefix: &str) -> Result<Build> {
    let mut build = Build {
        channel: String::new(),
        tag: None,
        branch: None,
        pull_request: None,
    };
    match ctx.ref_kind() {
        RefKind::Tag(name) => {
            let tag = TagVersion::parse(&name, tag_prefix).ok_or_else(|| {
                let expected = if tag_prefix.is_empty() {
                    "a bare semver version (e.g. 1.2.3; `tag-prefix: none`)".to_string()
                } else {
                    format!("`{tag_prefix}` followed by a semver version (e.g. {tag_prefix}1.2.3)")
                };
                Failure::guard(
                    "Tag is not a release version",
                    format!("tag {name:?} is not {expected}"),
                )
                .with_fix(format!(
                    "push a tag named {tag_prefix}<major>.<minor>.<patch>[-<prerelease>], or set `tag-prefix` to this repository's prefix"
                ))
            })?;
            build.channel = if tag.is_prerelease() {
                "prerelease"
            } else {
                "release"
            }
            .to_string();
            build.tag = Some(tag);
        }
        RefKind::PullRequest(n) => {
            build.channel = "pr".into();
            build.pull_request = Some(n);
            build.branch = ctx.pull_request_head_ref();
        }
        RefKind::Branch(name) if ctx.is_pull_request_event() => {
            build.channel = "pr".into();
            build.pull_request = ctx.pull_request_number();
            build.branch = Some(name);
        }
        RefKind::Branch(name) => {
            build.channel = channels.for_branch(&name);
            build.branch = Some(name);
        }
        RefKind::Other(other) => {
            if ctx.is_pull_request_event() {
                build.channel = "pr".into();
                build.pull_request = ctx.pull_request_number();
            } else {
                return Err(Failure::usage(
                    "Unknown ref",
                    format!("cannot decide a channel for ref {other:?}: expected refs/heads/…, refs/tags/… or refs/pull/…"),
                )
                .with_fix("run on a push, tag or pull_request event, or set GITHUB_REF"));
            }
        }
    }
    Ok(build)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(git_ref: &str) -> Context {
        Context {
            git_ref: git_ref.into(),
            ..Default::default()
        }
    }

    #[test]
    fn channels_from_refs() {
        let ch = Channels::parse("main=main\ndev=dev\nrelease/*=rc").unwrap();
        let d = |r: &str| decide(&ctx(r), &ch, "v").map(|b| b.channel);
        assert_eq!(d("refs/heads/main").unwrap(), "main");
        assert_eq!(d("refs/heads/dev").unwrap(), "dev");
        assert_eq!(d("refs/heads/release/1.x").unwrap(), "rc");
        assert_eq!(d("refs/heads/feature/x#1").unwrap(), "branch");
        assert_eq!(d("refs/tags/v1.2.3").unwrap(), "release");
        assert_eq!(d("refs/tags/v1.2.3-rc.1").unwrap(), "prerelease");
        assert_eq!(d("refs/pull/42/merge").unwrap(), "pr");
        let err = d("refs/tags/nightly").unwrap_err();
        assert_eq!(err.exit_code(), 1);
    }

    #[test]
    fn bad_channels_name_the_line() {
        let err = Channels::parse("main=main\nnonsense").unwrap_err();
        assert!(err.message.contains("line 2"), "{}", err.message);
        assert_eq!(err.exit_code(), 2);
    }
}
