//! Versions of `type=semver`/`type=pep440` rules, and what we add on top of metadata-action: a
//! floating tag (`latest`, `{{major}}`, `{{major}}.{{minor}}`) is never given to a version below an
//! existing release of its line, so re-running an old release's workflow (or releasing a patch of
//! an older line) does not move `latest` or `1` backwards.

use std::str::FromStr;

use semver::Version;

use super::expr::Template;
use super::flavor::Flavor;
use super::Decision;
use crate::error::{Failure, Result};
use crate::git::Git;
use crate::github::Context;
use crate::runner::Runner;
use crate::version::tags::Line;

/// A parsed semver or pep440 version, as the rule's pattern sees it.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub prerelease: bool,
    /// The exact (normalised) version a prerelease is tagged with.
    pub exact: String,
    pub placeholders: Vec<(&'static str, String)>,
    /// The version for release-line comparisons; `None` for prereleases.
    pub release: Option<Version>,
}

/// node-semver's strict reading: an optional leading `v`, then a semver version.
pub fn parse_semver(text: &str) -> Option<Version> {
    let t = text.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    Version::parse(t).ok()
}

pub fn semver_scope(raw: &str) -> Option<Parsed> {
    let v = parse_semver(raw)?;
    let mut plain = v.clone();
    plain.build = semver::BuildMetadata::EMPTY;
    let join = |s: &str| s.split('.').collect::<Vec<_>>().join(",");
    let prerelease = !v.pre.is_empty();
    Some(Parsed {
        prerelease,
        exact: plain.to_string(),
        placeholders: vec![
            ("version", plain.to_string()),
            ("major", v.major.to_string()),
            ("minor", v.minor.to_string()),
            ("patch", v.patch.to_string()),
            ("raw", raw.to_string()),
            ("prerelease", join(v.pre.as_str())),
            ("build", join(v.build.as_str())),
        ],
        release: (!prerelease).then(|| plain.clone()),
    })
}

pub fn pep440_scope(raw: &str) -> Option<Parsed> {
    let v = pep440_rs::Version::from_str(raw.trim()).ok()?;
    let part = |i: usize| v.release().get(i).copied().unwrap_or(0);
    let prerelease = v.is_pre() || v.is_dev() || v.is_post();
    let clean = v.to_string();
    Some(Parsed {
        prerelease,
        exact: clean.clone(),
        placeholders: vec![
            ("raw", raw.to_string()),
            ("version", clean),
            ("major", part(0).to_string()),
            ("minor", part(1).to_string()),
            ("patch", part(2).to_string()),
        ],
        release: (!prerelease && v.local().is_empty())
            .then(|| Version::new(part(0), part(1), part(2))),
    })
}

/// A version-like release tag name (`v1.2.3`, `1.2`), as a stable version; `None` for
/// prereleases and other names.
fn stable_release(name: &str) -> Option<Version> {
    let bare = name.strip_prefix(['v', 'V']).unwrap_or(name);
    if let Some(v) = parse_semver(bare) {
        return v.pre.is_empty().then_some(v);
    }
    pep440_scope(bare).and_then(|p| p.release)
}

/// A floating tag and its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floating(pub Line);

/// A pattern floats when it names the major (and maybe the minor) but nothing that pins one
/// release (`{{version}}`, `{{patch}}`, `{{raw}}`, …).
pub fn classify(pattern: &Template, parsed: &Parsed) -> Option<Floating> {
    parsed.release.as_ref()?;
    let names: Vec<&str> = pattern.names().collect();
    let pins = names
        .iter()
        .any(|n| matches!(*n, "version" | "patch" | "raw" | "prerelease" | "build"));
    if pins {
        return None;
    }
    if names.contains(&"minor") {
        Some(Floating(Line::Minor))
    } else if names.contains(&"major") {
        Some(Floating(Line::Major))
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatingPolicy {
    Protect,
    FollowMetadataAction,
}

impl FloatingPolicy {
    pub fn parse(input: &str) -> Result<FloatingPolicy> {
        match input.trim() {
            "" | "protect" => Ok(FloatingPolicy::Protect),
            "follow-metadata-action" => Ok(FloatingPolicy::FollowMetadataAction),
            other => Err(Failure::invalid_input(
                "floating-tags",
                format!("{other:?} is not `protect` or `follow-metadata-action`"),
                "set `floating-tags` to `protect` (the default) or `follow-metadata-action`",
            )),
        }
    }
}

/// A floating tag not given, and why.
#[derive(Debug, Clone)]
pub struct Withheld {
    pub tag: String,
    pub reason: String,
}

impl Withheld {
    pub fn message(&self) -> String {
        format!(
            "floating tag `{}` withheld: {} (floating tags never move backwards; `floating-tags: follow-metadata-action` gives them as docker/metadata-action does)",
            self.tag, self.reason
        )
    }
}

/// The repository's stable releases: git's tags when the clone has them, else the REST API's.
fn releases(
    git: &Git,
    token: Option<&str>,
    ctx: &Context,
    current: &Version,
    runner: &Runner,
) -> std::result::Result<Vec<(String, Version)>, String> {
    let parse_all = |names: Vec<String>| -> Vec<(String, Version)> {
        names
            .into_iter()
            .filter_map(|n| stable_release(&n).map(|v| (n, v)))
            .collect()
    };
    let from_git = git.tag_names().ok().map(parse_all);
    if let Some(found) = &from_git {
        let others = found.iter().any(|(_, v)| v != current);
        // actions/checkout's default depth-1 clone fetches no other tag: "no other release"
        // cannot be told from "not fetched" there.
        if others || !git.is_shallow() {
            return Ok(found.clone());
        }
    }
    let (Some(token), Some(repository)) = (token, ctx.repository.as_deref()) else {
        return Err(if from_git.is_some() {
            "the clone is shallow without release tags and there is no token to list them from the API".into()
        } else {
            "the directory is not a git repository and there is no token to list release tags from the API".into()
        });
    };
    runner.mask(token);
    crate::github::api::Api::new(&ctx.api_url, token, repository)
        .and_then(|api| api.tag_names())
        .map(parse_all)
        .map_err(|e| format!("the REST API did not list the release tags ({e})"))
}

fn line_text(line: Line, v: &Version) -> String {
    match line {
        Line::All => "of all releases".into(),
        Line::Major => format!("in {}.x", v.major),
        Line::Minor => format!("in {}.{}.x", v.major, v.minor),
    }
}

/// Where the repository's releases are read from.
pub struct ReleaseSources<'a> {
    pub git: &'a Git,
    pub token: Option<&'a str>,
    pub ctx: &'a Context,
    /// version-guard's `latest-version`, enough for `latest` when the tags are unknown.
    pub latest_from_versions: Option<&'a Version>,
}

/// Removes floating tags a higher release of their line already has; returns what was withheld.
pub fn protect(
    d: &mut Decision,
    flavor: &Flavor,
    policy: FloatingPolicy,
    sources: &ReleaseSources,
    runner: &Runner,
) -> Result<Vec<Withheld>> {
    let wants_latest = d.latest == Some(true) && !d.entries.is_empty();
    let any_floating = d.entries.iter().any(|e| e.floating.is_some());
    let Some(current) = d.release.clone() else {
        return Ok(Vec::new());
    };
    if policy == FloatingPolicy::FollowMetadataAction || (!wants_latest && !any_floating) {
        return Ok(Vec::new());
    }
    let known = releases(sources.git, sources.token, sources.ctx, &current, runner);
    let latest_from_versions = sources.latest_from_versions;
    let higher = |line: Line| -> std::result::Result<Option<(String, Version)>, String> {
        let known = match (&known, line, latest_from_versions) {
            (Ok(known), _, _) => known,
            // version-guard's `latest-version` is enough for `latest` (over all releases).
            (Err(_), Line::All, Some(latest)) => {
                return Ok(
                    (latest.cmp_precedence(&current) == std::cmp::Ordering::Greater).then(|| {
                        (
                            format!("{latest} (version-guard's latest-version)"),
                            latest.clone(),
                        )
                    }),
                )
            }
            (Err(why), _, _) => return Err(why.clone()),
        };
        Ok(known
            .iter()
            .filter(|(_, v)| match line {
                Line::All => true,
                Line::Major => v.major == current.major,
                Line::Minor => v.major == current.major && v.minor == current.minor,
            })
            .filter(|(_, v)| v.cmp_precedence(&current) == std::cmp::Ordering::Greater)
            .max_by(|a, b| a.1.cmp_precedence(&b.1))
            .cloned())
    };
    let reason = |line: Line| -> Option<String> {
        match higher(line) {
            Ok(None) => None,
            Ok(Some((tag, _))) => Some(format!(
                "{current} is below the existing release {tag} {}",
                line_text(line, &current)
            )),
            Err(why) => Some(format!(
                "the existing releases are unknown ({why}), so {current} cannot be shown to be the highest {}; use actions/checkout with `fetch-depth: 0` or pass `github-token`",
                line_text(line, &current)
            )),
        }
    };
    let mut withheld = Vec::new();
    let mut kept = Vec::new();
    for entry in std::mem::take(&mut d.entries) {
        match entry.floating.and_then(|Floating(line)| reason(line)) {
            Some(why) => withheld.push(Withheld {
                tag: entry.tag.clone(),
                reason: why,
            }),
            None => kept.push(entry),
        }
    }
    // A tag an exact rule also gives stays (it is not floating there).
    withheld.retain(|w| !kept.iter().any(|e| e.tag == w.tag));
    d.entries = kept;
    if wants_latest {
        if let Some(why) = reason(Line::All) {
            d.latest = Some(false);
            let name = flavor.latest_tag();
            withheld.push(Withheld {
                tag: name,
                reason: why,
            });
        }
    }
    Ok(withheld)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_and_pep440_placeholders() {
        let s = semver_scope("v1.2.3").unwrap();
        assert!(!s.prerelease);
        assert_eq!(s.placeholders[0], ("version", "1.2.3".to_string()));
        assert_eq!(s.placeholders[4], ("raw", "v1.2.3".to_string()));
        assert!(semver_scope("v2.0.8-beta.67").unwrap().prerelease);
        assert!(semver_scope("1.2").is_none());
        let p = pep440_scope("1.2").unwrap();
        assert_eq!(p.release, Some(Version::new(1, 2, 0)));
        assert_eq!(pep440_scope("1.1beta2").unwrap().exact, "1.1b2");
        assert!(pep440_scope("1.2post1").unwrap().prerelease);
    }

    #[test]
    fn floating_patterns() {
        let p = semver_scope("1.2.3").unwrap();
        let c = |s: &str| classify(&Template::parse(s).unwrap(), &p);
        assert_eq!(c("{{major}}"), Some(Floating(Line::Major)));
        assert_eq!(c("v{{major}}.{{minor}}"), Some(Floating(Line::Minor)));
        assert_eq!(c("{{version}}"), None);
        assert_eq!(c("{{major}}.{{minor}}.{{patch}}"), None);
        assert_eq!(stable_release("v1.2.3"), Some(Version::new(1, 2, 3)));
        assert_eq!(stable_release("v1.2.3-rc.1"), None);
        assert_eq!(stable_release("latest"), None);
    }
}
