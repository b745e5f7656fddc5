//! The run's context, from the variables the runner sets (`GITHUB_REF`, `GITHUB_SHA`,
//! `GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`, …), with git as the fallback when run by hand.

use std::path::Path;

use crate::error::{Failure, Result};
use crate::git::Git;

/// What the ref is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefKind {
    /// `refs/heads/<name>`
    Branch(String),
    /// `refs/tags/<name>`
    Tag(String),
    /// `refs/pull/<number>/merge` (or `/head`)
    PullRequest(u64),
    /// Anything else, or no ref at all.
    Other(String),
}

impl RefKind {
    pub fn parse(full: &str) -> RefKind {
        if let Some(name) = full.strip_prefix("refs/heads/") {
            return RefKind::Branch(name.to_string());
        }
        if let Some(name) = full.strip_prefix("refs/tags/") {
            return RefKind::Tag(name.to_string());
        }
        if let Some(rest) = full.strip_prefix("refs/pull/") {
            if let Some(n) = rest.split('/').next().and_then(|n| n.parse().ok()) {
                return RefKind::PullRequest(n);
            }
        }
        RefKind::Other(full.to_string())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Context {
    /// `GITHUB_REF`, e.g. `refs/heads/main`; empty when unknown.
    pub git_ref: String,
    pub event_name: String,
    /// The event payload (`GITHUB_EVENT_PATH`), `Null` when there is none.
    pub event: serde_json::Value,
    /// `GITHUB_SHA`: on pull requests this is the merge commit, not the head.
    pub github_sha: Option<String>,
    /// `owner/name`
    pub repository: Option<String>,
    pub server_url: String,
    pub api_url: String,
}

fn env(name: &str) -> Option<String> {
    crate::runner::env::value(name)
}

impl Context {
    /// Reads the runner's variables. With no `GITHUB_REF` (a person at a terminal), the ref is the
    /// branch `git` has checked out in `dir`.
    pub fn from_env(dir: &Path) -> Result<Context> {
        let event = match env("GITHUB_EVENT_PATH") {
            Some(path) if Path::new(&path).exists() => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Failure::usage(
                        "Cannot read the event payload",
                        format!("GITHUB_EVENT_PATH={path}: {e}"),
                    )
                })?;
                serde_json::from_str(&text).map_err(|e| {
                    Failure::usage(
                        "Invalid event payload",
                        format!("GITHUB_EVENT_PATH={path}: not JSON ({e})"),
                    )
                })?
            }
            _ => serde_json::Value::Null,
        };
        let git_ref = env("GITHUB_REF")
            .or_else(|| {
                Git::new(dir)
                    .current_branch()
                    .map(|b| format!("refs/heads/{b}"))
            })
            .unwrap_or_default();
        Ok(Context {
            git_ref,
            event_name: env("GITHUB_EVENT_NAME").unwrap_or_default(),
            event,
            github_sha: env("GITHUB_SHA"),
            repository: env("GITHUB_REPOSITORY"),
            server_url: env("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into()),
            api_url: env("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()),
        })
    }

    /// The ref for logs and summaries; `(none)` when the run has none.
    pub fn ref_display(&self) -> &str {
        if self.git_ref.is_empty() {
            "(none)"
        } else {
            &self.git_ref
        }
    }

    pub fn ref_kind(&self) -> RefKind {
        RefKind::parse(&self.git_ref)
    }

    pub fn is_pull_request_event(&self) -> bool {
        matches!(
            self.event_name.as_str(),
            "pull_request" | "pull_request_target"
        )
    }

    /// The pull request number, from the payload or the `refs/pull/N/…` ref.
    pub fn pull_request_number(&self) -> Option<u64> {
        self.event["pull_request"]["number"]
            .as_u64()
            .or_else(|| self.event["number"].as_u64())
            .or(match self.ref_kind() {
                RefKind::PullRequest(n) => Some(n),
                _ => None,
            })
    }

    /// The pull request's head sha: the commit that was pushed. `GITHUB_SHA` on a pull request is a
    /// merge commit that no branch contains, so versions built from it would be unreachable.
    pub fn pull_request_head_sha(&self) -> Option<String> {
        self.event["pull_request"]["head"]["sha"]
            .as_str()
            .filter(|s| is_full_sha(s))
            .map(str::to_string)
    }

    /// The pull request's head branch (`GITHUB_HEAD_REF` or the payload).
    pub fn pull_request_head_ref(&self) -> Option<String> {
        env("GITHUB_HEAD_REF").or_else(|| {
            self.event["pull_request"]["head"]["ref"]
                .as_str()
                .map(str::to_string)
        })
    }

    /// The commit this build is about: the `sha` input, else the pull request's head, else
    /// `GITHUB_SHA`, else `git rev-parse HEAD`, else `SOURCE_GIT_SHA`.
    pub fn resolve_sha(&self, input: Option<&str>, git: &Git) -> Result<String> {
        if let Some(sha) = input.map(str::trim).filter(|s| !s.is_empty()) {
            if !is_full_sha(sha) {
                return Err(Failure::invalid_input(
                    "sha",
                    format!("must be a full 40-character hex commit sha, got {sha:?}"),
                    "give the full sha (`git rev-parse HEAD`), or leave `sha` empty for the pull \
                     request's head, GITHUB_SHA or the checked-out commit",
                ));
            }
            return Ok(sha.to_lowercase());
        }
        if let Some(sha) = self.pull_request_head_sha() {
            return Ok(sha);
        }
        if let Some(sha) = self.github_sha.as_deref().filter(|s| is_full_sha(s)) {
            return Ok(sha.to_lowercase());
        }
        if let Ok(sha) = git.rev_parse("HEAD") {
            return Ok(sha);
        }
        if let Some(sha) = env("SOURCE_GIT_SHA") {
            return source_git_sha(&sha, git);
        }
        Err(Failure::usage(
            "No commit sha",
            "could not tell which commit this is: no `sha` input, no pull_request.head.sha in the \
             event payload, no GITHUB_SHA, no git repository (git rev-parse HEAD) and no SOURCE_GIT_SHA",
        )
        .with_fix("check out the repository (actions/checkout), set the `sha` input, or set SOURCE_GIT_SHA"))
    }
}

/// `SOURCE_GIT_SHA` (release tarballs, builds without `.git`): 12 to 40 hex digits, what
/// `git rev-parse --short=12` gives and up. git expands an abbreviation when a repository has the
/// commit; otherwise it is used as given (versions need only 12 digits) and the caller says the
/// full sha is unknown ([`is_full_sha`] is false).
fn source_git_sha(value: &str, git: &Git) -> Result<String> {
    let value = value.to_lowercase();
    if !is_sha_prefix(&value) {
        return Err(Failure::usage(
            "Invalid SOURCE_GIT_SHA",
            format!(
                "SOURCE_GIT_SHA must be 12 to 40 hex digits (a commit sha, full or \
                 `git rev-parse --short=12`), got {value:?}"
            ),
        )
        .with_fix("set SOURCE_GIT_SHA to `git rev-parse HEAD` of the source, or unset it"));
    }
    if value.len() < 40 {
        if let Ok(full) = git.rev_parse(&value) {
            return Ok(full);
        }
    }
    Ok(value)
}

/// 12 to 40 hex digits: a sha, or an abbreviation long enough for a version's `g<sha12>`.
pub fn is_sha_prefix(s: &str) -> bool {
    (12..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_refs() {
        assert_eq!(
            RefKind::parse("refs/heads/feature/x#1"),
            RefKind::Branch("feature/x#1".into())
        );
        assert_eq!(
            RefKind::parse("refs/tags/v1.2.3"),
            RefKind::Tag("v1.2.3".into())
        );
        assert_eq!(
            RefKind::parse("refs/pull/42/merge"),
            RefKind::PullRequest(42)
        );
        assert_eq!(RefKind::parse(""), RefKind::Other(String::new()));
    }

    #[test]
    fn pull_request_head_sha_comes_from_the_payload() {
        let ctx = Context {
            git_ref: "refs/pull/7/merge".into(),
            event_name: "pull_request".into(),
            event: serde_json::json!({"number": 7, "pull_request": {"number": 7, "head": {"sha": "a".repeat(40), "ref": "feat"}}}),
            github_sha: Some("b".repeat(40)),
            ..Default::default()
        };
        assert_eq!(ctx.pull_request_head_sha().unwrap(), "a".repeat(40));
        assert_eq!(ctx.pull_request_number(), Some(7));
        let git = Git::new("/nonexistent");
        assert_eq!(ctx.resolve_sha(None, &git).unwrap(), "a".repeat(40));
        assert!(ctx.resolve_sha(Some("abc"), &git).is_err());
    }
}
