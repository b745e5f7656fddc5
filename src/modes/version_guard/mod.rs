//! The version-guard mode: find the latest release, refuse to go backwards, decide the channel and
//! compute npm, PyPI and Go versions that every tool accepts unchanged.
//!
//! The run is one pass: inputs and context, then the release tags (git or the REST API), then the
//! guard (tag builds must be above the latest release, snapshot bases too), then the versions. What
//! was decided is published (outputs, summary, manifest files) even when the guard says no, so the
//! summary and the pull-request comment can show it.

mod comment;
mod version_file;

use std::path::{Path, PathBuf};

use semver::Version;
use serde_json::json;

use crate::channel::{self, Build, Channels, DEFAULT_CHANNELS};
use crate::ecosystem::{self, Eco, VersionContext, VersionInputs};
use crate::error::{Failure, Result};
use crate::git::Git;
use crate::github::api::Api;
use crate::github::Context;
use crate::runner::outputs::OutputSpec;
use crate::runner::{inputs, Runner};
use crate::version::document::{VersionsDocument, FORMAT_VERSION};
use crate::version::tags::{Releases, TagVersion};
use crate::version::{format_timestamp, npm};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TagsFrom {
    /// Local git when the clone is complete, else the REST API.
    Auto,
    Git,
    Api,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// What comes before the semver in a release tag: `v` for v1.2.3, `sdk/go/v` for a monorepo,
    /// `none` for bare tags (15.2.0).
    #[arg(long, default_value = "v", value_parser = crate::version::tags::parse_prefix_input)]
    pub tag_prefix: String,

    /// Where release tags come from: auto (git when the clone is complete, else the API), git or api.
    #[arg(long, value_enum, default_value = "auto")]
    pub tags_from: TagsFrom,

    /// The next planned version (major.minor.patch), the base of snapshot versions.
    #[arg(long)]
    pub base_version: Option<String>,

    /// Read the base version from package.json, pyproject.toml, setup.cfg, a Python file, Chart.yaml,
    /// Cargo.toml or a plain VERSION file.
    #[arg(long)]
    pub version_file: Option<String>,

    /// Channels of branches: lines `<branch-glob>=<channel>`.
    #[arg(long, default_value = DEFAULT_CHANNELS)]
    pub channels: String,

    /// Fail unless this build runs from a release tag.
    #[arg(long, value_name = "BOOL", value_parser = inputs::boolean, default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub expect_release: bool,

    /// Let a release below the latest pass when it is the highest of its own major line.
    #[arg(long, value_name = "BOOL", value_parser = inputs::boolean, default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub maintenance_releases: bool,

    /// The commit (40 hex); default: the pull request's head, GITHUB_SHA, then git HEAD.
    #[arg(long)]
    pub sha: Option<String>,

    /// Snapshot timestamp: `commit` (SOURCE_DATE_EPOCH, else the committer time), `now`, or YYYYMMDDHHMMSS.
    #[arg(long, default_value = "commit")]
    pub timestamp: String,

    /// Each ecosystem's inputs: version overrides (`npm-version`, …), `go-module`,
    /// `pypi-local-version`.
    #[command(flatten)]
    pub ecosystems: VersionInputs,

    /// Prefix of the override variables (<PREFIX>_TS_SDK_VERSION, …).
    #[arg(long, default_value = "AMEIDE")]
    pub env_prefix: String,

    /// Write versions.json, ts.json, python.json and go.json into this directory.
    #[arg(long)]
    pub manifest_dir: Option<PathBuf>,

    /// On pull requests, explain a failure in one comment (updated when a later run passes).
    #[arg(long, value_name = "BOOL", value_parser = inputs::boolean, default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    pub comment_on_pr: bool,

    /// GitHub token for the REST API (tags in shallow clones, pull-request comments).
    #[arg(long)]
    pub token: Option<String>,
}

const COMMON_OUTPUTS: &[OutputSpec] = &[
    OutputSpec {
        name: "channel",
        description: "release, prerelease, main, dev, pr, branch or a channel from `channels`.",
    },
    OutputSpec {
        name: "is-release",
        description: "true on a stable release tag.",
    },
    OutputSpec {
        name: "is-prerelease",
        description: "true on a prerelease tag.",
    },
    OutputSpec {
        name: "base-version",
        description: "The version this build leads to (major.minor.patch).",
    },
    OutputSpec {
        name: "version",
        description: "The build's semver: the release on tags, the npm snapshot otherwise.",
    },
    OutputSpec {
        name: "latest-tag",
        description: "The latest stable release tag before this build (empty when none).",
    },
    OutputSpec {
        name: "latest-version",
        description: "The latest stable release version (empty when none).",
    },
];

const COMMIT_OUTPUTS: &[OutputSpec] = &[
    OutputSpec {
        name: "sha",
        description: "The commit (40 hex).",
    },
    OutputSpec {
        name: "short-sha",
        description: "The commit's first 12 hex digits.",
    },
    OutputSpec {
        name: "timestamp",
        description: "The snapshot timestamp, YYYYMMDDHHMMSS UTC.",
    },
    OutputSpec {
        name: "versions",
        description: "Every output above as one JSON object.",
    },
];

/// Every output: the common ones, each ecosystem's version, the commit and `versions`.
pub fn outputs() -> Vec<OutputSpec> {
    let mut all = COMMON_OUTPUTS.to_vec();
    all.extend(ecosystem::ALL.iter().map(|e| e.version_output()));
    all.extend_from_slice(COMMIT_OUTPUTS);
    all
}

/// What the run decided, filled in as it goes (a failure leaves later fields empty).
#[derive(Debug, Default, Clone)]
pub struct Decision {
    pub tag_prefix: String,
    pub channel: Option<String>,
    pub is_release: bool,
    pub is_prerelease: bool,
    pub base_version: Option<String>,
    /// Where `base_version` came from, for the summary: the tag, an input, a file and line, or
    /// the patch after the latest release.
    pub base_source: Option<String>,
    pub version: Option<String>,
    pub latest: Option<TagVersion>,
    /// Each ecosystem's version, in registration order (empty until all are decided).
    pub ecosystems: Vec<(Eco, String)>,
    pub sha: Option<String>,
    pub timestamp: Option<String>,
    /// Whether the latest release is known (tags were read).
    pub tags_read: bool,
}

impl Decision {
    /// Each ecosystem's label and version, `—` while undecided, for the summary and the comment.
    pub fn versions_by_label(&self) -> Vec<(&'static str, String)> {
        ecosystem::ALL
            .iter()
            .map(|e| {
                let version = self.ecosystems.iter().find(|(d, _)| d == e);
                (
                    e.label(),
                    version.map_or_else(|| "—".to_string(), |(_, v)| v.clone()),
                )
            })
            .collect()
    }

    fn short_sha(&self) -> Option<String> {
        self.sha.as_ref().map(|s| s[..12].to_string())
    }

    /// The `versions` document (only when everything is decided).
    fn document(&self) -> Option<VersionsDocument> {
        if self.ecosystems.is_empty() {
            return None;
        }
        Some(VersionsDocument {
            format_version: FORMAT_VERSION,
            channel: Some(self.channel.clone()?),
            is_release: Some(self.is_release),
            is_prerelease: Some(self.is_prerelease),
            base_version: Some(self.base_version.clone()?),
            version: Some(self.version.clone()?),
            latest_tag: Some(
                self.latest
                    .as_ref()
                    .map(|t| t.tag.clone())
                    .unwrap_or_default(),
            ),
            latest_version: Some(
                self.latest
                    .as_ref()
                    .map(|t| t.version.to_string())
                    .unwrap_or_default(),
            ),
            sha: Some(self.sha.clone()?),
            short_sha: Some(self.short_sha()?),
            timestamp: Some(self.timestamp.clone()?),
            tag_prefix: Some(self.tag_prefix.clone()),
            ecosystems: self
                .ecosystems
                .iter()
                .map(|(e, v)| (e.key().to_string(), v.clone()))
                .collect(),
        })
    }
}

/// The snapshot timestamp the `timestamp` input asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TimestampInput {
    /// SOURCE_DATE_EPOCH, else the commit's committer time.
    Commit,
    Now,
    /// `YYYYMMDDHHMMSS`, checked to be a real date and time.
    Fixed(String),
}

/// The inputs, checked once before anything is read from the repository.
struct Inputs {
    tag_prefix: String,
    tags_from: TagsFrom,
    base_version: Option<Version>,
    version_file: Option<String>,
    channels: Channels,
    expect_release: bool,
    maintenance_releases: bool,
    sha: Option<String>,
    timestamp: TimestampInput,
    ecosystems: VersionInputs,
    env_prefix: String,
    manifest_dir: Option<PathBuf>,
    /// `token`, else GITHUB_TOKEN.
    token: Option<String>,
    /// SOURCE_DATE_EPOCH, read by `timestamp: commit`.
    source_date_epoch: Option<String>,
}

impl Inputs {
    fn from_args(args: Args, token: Option<String>, runner: &Runner) -> Result<Inputs> {
        let prefix_ok = !args.env_prefix.is_empty()
            && args
                .env_prefix
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !prefix_ok {
            return Err(Failure::invalid_input(
                "env-prefix",
                format!(
                    "must be upper-case letters, digits and `_`, got {:?}",
                    args.env_prefix
                ),
                "use a prefix such as AMEIDE or MY_ORG",
            ));
        }
        if args.tag_prefix.chars().any(char::is_whitespace) {
            return Err(Failure::invalid_input(
                "tag-prefix",
                format!("cannot contain spaces, got {:?}", args.tag_prefix),
                "use the text before the version in your release tags, e.g. `v` or `sdk/go/v`",
            ));
        }
        let base_version = args.base_version.as_deref().map(parse_base).transpose()?;
        for ecosystem in ecosystem::ALL {
            ecosystem.check_version_inputs(&args.ecosystems)?;
        }
        Ok(Inputs {
            channels: Channels::parse(&args.channels)?,
            timestamp: parse_timestamp(&args.timestamp)?,
            tag_prefix: args.tag_prefix,
            tags_from: args.tags_from,
            base_version,
            version_file: args.version_file,
            expect_release: args.expect_release,
            maintenance_releases: args.maintenance_releases,
            sha: args.sha,
            ecosystems: args.ecosystems,
            env_prefix: args.env_prefix,
            manifest_dir: args.manifest_dir,
            token,
            source_date_epoch: runner.env().source_date_epoch.clone(),
        })
    }
}

pub fn run(args: Args, runner: &mut Runner) -> Result<()> {
    let dir = std::env::current_dir()?;
    let git = Git::new(&dir);
    let ctx = Context::from_env(&dir)?;
    // Known before the other inputs are checked, so a bad input is explained on the pull request.
    let comment_on_pr = args.comment_on_pr && ctx.is_pull_request_event();
    let token = args
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .or_else(|| runner.env().github_token.clone());
    let mut decision = Decision {
        tag_prefix: args.tag_prefix.clone(),
        ..Default::default()
    };
    let result = match Inputs::from_args(args, token.clone(), runner) {
        Ok(inputs) => {
            let result = decide(&inputs, &ctx, &git, &dir, &mut decision, runner);
            publish(&inputs, &decision, runner, result.is_ok())?;
            result
        }
        Err(failure) => Err(failure),
    };
    if comment_on_pr {
        runner.phase("comment", |r| {
            comment::sync(r, &ctx, token.as_deref(), &decision, &result);
            Ok(())
        })?;
    }
    result
}

fn decide(
    inputs: &Inputs,
    ctx: &Context,
    git: &Git,
    dir: &Path,
    decision: &mut Decision,
    runner: &mut Runner,
) -> Result<()> {
    let build = runner.phase("context", |r| decide_build(inputs, ctx, git, decision, r))?;
    let (tag_names, from_git) = runner.phase("tags", |r| read_tags(inputs, ctx, git, r))?;
    decision.tags_read = true;
    runner.phase("guard", |r| {
        guard(inputs, &build, &tag_names, dir, decision, r)
    })?;
    runner.phase("versions", |r| {
        versions(inputs, &build, &tag_names, from_git, git, decision, r)
    })
}

/// The build (channel, tag), the commit and the timestamp, from the run's context.
fn decide_build(
    inputs: &Inputs,
    ctx: &Context,
    git: &Git,
    decision: &mut Decision,
    runner: &Runner,
) -> Result<Build> {
    warn_legacy_variables(&inputs.env_prefix, runner);
    let build = channel::decide(ctx, &inputs.channels, &inputs.tag_prefix)?;
    decision.channel = Some(build.channel.clone());
    decision.is_release = build.is_release();
    decision.is_prerelease = build.is_prerelease();
    let sha = ctx.resolve_sha(inputs.sha.as_deref(), git)?;
    if !crate::github::context::is_full_sha(&sha) {
        runner.notice(&format!(
            "commit {sha} from SOURCE_GIT_SHA is abbreviated and no git repository here has it: \
             the full sha is unknown, so the `sha` output is these {} digits (versions use the first 12)",
            sha.len()
        ));
    }
    decision.sha = Some(sha.clone());
    decision.timestamp = Some(resolve_timestamp(inputs, &sha, git, runner)?);
    runner.log(&format!(
        "ref {} → channel {}; commit {sha}",
        ctx.ref_display(),
        build.channel
    ));
    if inputs.expect_release && build.tag.is_none() {
        return Err(Failure::guard(
            "Not a release build",
            format!(
                "`expect-release` is true but {} is not a release tag: release builds must run from a tag `{}<version>`",
                if ctx.git_ref.is_empty() { "this ref" } else { &ctx.git_ref },
                inputs.tag_prefix
            ),
        )
        .with_fix("run the release workflow on `push: tags`, or set `expect-release: false` for branch builds"));
    }
    Ok(build)
}

fn parse_base(text: &str) -> Result<Version> {
    match Version::parse(text.trim()) {
        Ok(v) if v.pre.is_empty() && v.build.is_empty() => Ok(v),
        _ => Err(Failure::invalid_input(
            "base-version",
            format!("must be major.minor.patch (e.g. 0.12.0), got {text:?}"),
            "set the next planned release without a `v` or a prerelease part",
        )),
    }
}

/// The `timestamp` input, checked.
fn parse_timestamp(input: &str) -> Result<TimestampInput> {
    const FIX: &str = "use `commit` (the default), `now`, or 14 digits YYYYMMDDHHMMSS in UTC";
    match input.trim() {
        "commit" => Ok(TimestampInput::Commit),
        "now" => Ok(TimestampInput::Now),
        digits if digits.len() == 14 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            crate::version::parse_timestamp(digits)
                .map(|_| TimestampInput::Fixed(digits.to_string()))
                .map_err(|e| {
                    Failure::invalid_input(
                        "timestamp",
                        format!("{digits:?} is not a real date and time ({e})"),
                        FIX,
                    )
                })
        }
        other => Err(Failure::invalid_input(
            "timestamp",
            format!("must be `commit`, `now` or YYYYMMDDHHMMSS, got {other:?}"),
            FIX,
        )),
    }
}

fn now_timestamp() -> String {
    format_timestamp(jiff::Timestamp::now().as_second()).expect("now is a valid time")
}

fn resolve_timestamp(inputs: &Inputs, sha: &str, git: &Git, runner: &Runner) -> Result<String> {
    match &inputs.timestamp {
        TimestampInput::Now => Ok(now_timestamp()),
        TimestampInput::Fixed(digits) => Ok(digits.clone()),
        TimestampInput::Commit => {
            if let Some(epoch) = &inputs.source_date_epoch {
                return epoch
                    .parse::<i64>()
                    .ok()
                    .and_then(format_timestamp)
                    .ok_or_else(|| {
                        Failure::usage(
                            "Invalid SOURCE_DATE_EPOCH",
                            format!("SOURCE_DATE_EPOCH must be seconds since 1970, got {epoch:?}"),
                        )
                    });
            }
            match git.committer_time(sha) {
                Ok(t) => format_timestamp(t).ok_or_else(|| {
                    Failure::usage(
                        "Git failed",
                        format!("commit {sha} has an impossible committer time {t}"),
                    )
                }),
                Err(_) => {
                    // A shallow pull-request checkout has the merge commit, not the head: its time
                    // is unknown here. The build clock keeps the run going, and says so.
                    runner.warning(&format!(
                        "commit {sha} is not in the local clone, so its committer time is unknown: \
                         the timestamp is the build clock and will differ on a re-run. Use \
                         `fetch-depth: 0` in actions/checkout or set `timestamp`."
                    ));
                    Ok(now_timestamp())
                }
            }
        }
    }
}

/// Whether tags come from the API (`true`) or local git, from `tags-from` and what the checkout
/// holds; exit 2 when neither can answer.
fn use_api(inputs: &Inputs, git: &Git, has_token: bool) -> Result<bool> {
    let shallow_fix = "check out the full history: `actions/checkout` with `fetch-depth: 0` \
                       (or give a `token` with `tags-from: auto` or `api`, to read tags from the API)";
    let state = git.shallow_state();
    let is_repo = state.is_some();
    let shallow = state == Some(true);
    let use_api = match inputs.tags_from {
        TagsFrom::Git => {
            if !is_repo {
                return Err(Failure::usage(
                    "No git repository",
                    format!(
                        "`tags-from: git` but {} is not a git repository",
                        git.dir().display()
                    ),
                )
                .with_fix(
                    "run actions/checkout with `fetch-depth: 0` first, or use `tags-from: api`",
                ));
            }
            if shallow {
                return Err(Failure::usage(
                    "Shallow clone",
                    "`tags-from: git` but the clone is shallow: it has neither the full history nor the \
                     tags, so the latest release cannot be found",
                )
                .with_fix(shallow_fix));
            }
            false
        }
        TagsFrom::Api => true,
        TagsFrom::Auto => {
            if is_repo && !shallow {
                false
            } else if has_token {
                true
            } else if shallow {
                return Err(Failure::usage(
                    "Shallow clone",
                    "the clone is shallow and there is no token for the API, so the latest release \
                     cannot be found (a shallow clone from actions/checkout has no tags)",
                )
                .with_fix(shallow_fix));
            } else {
                return Err(Failure::usage(
                    "No git repository",
                    format!(
                        "{} is not a git repository and there is no token for the API, so the latest release cannot be found",
                        git.dir().display()
                    ),
                )
                .with_fix("run actions/checkout with `fetch-depth: 0` first, or pass `token`"));
            }
        }
    };
    Ok(use_api)
}

/// Tag names, and whether they came from local git (whose history can answer ancestry questions).
fn read_tags(
    inputs: &Inputs,
    ctx: &Context,
    git: &Git,
    runner: &Runner,
) -> Result<(Vec<String>, bool)> {
    let token = inputs.token.clone();
    let use_api = use_api(inputs, git, token.is_some())?;
    if !use_api {
        let names = git.tag_names()?;
        runner.log(&format!("{} tags from git", names.len()));
        return Ok((names, true));
    }
    let Some(token) = token else {
        return Err(Failure::usage(
            "No token",
            "`tags-from: api` needs a token to read the repository's tags",
        )
        .with_fix("pass `token: ${{ github.token }}` (the default)"));
    };
    let Some(repository) = ctx.repository.as_deref() else {
        return Err(Failure::usage(
            "No repository",
            "reading tags from the API needs GITHUB_REPOSITORY (owner/name)",
        )
        .with_fix("run inside GitHub Actions, or set GITHUB_REPOSITORY"));
    };
    runner.mask(&token);
    let api_fail = |e: crate::github::api::ApiError| {
        let fix = match e.status() {
            Some(401) => "the token is invalid or expired: pass a valid `token`",
            Some(403) => "the token may not read this repository, or the rate limit is spent: grant `contents: read` or retry later",
            Some(404) => "check GITHUB_REPOSITORY and that the token can see the repository (`contents: read`)",
            _ => "check GITHUB_API_URL and the network, or check out with `fetch-depth: 0` and use `tags-from: git`",
        };
        Failure::usage(
            "Cannot read tags from the GitHub API",
            format!(
                "GET {}/repos/{repository}/tags failed: {e}",
                ctx.api_url.trim_end_matches('/')
            ),
        )
        .with_fix(fix)
    };
    let api = Api::new(&ctx.api_url, &token, repository).map_err(api_fail)?;
    let names = api.tag_names().map_err(api_fail)?;
    runner.log(&format!("{} tags from {}", names.len(), ctx.api_url));
    Ok((names, false))
}

fn guard(
    inputs: &Inputs,
    build: &Build,
    tag_names: &[String],
    dir: &Path,
    decision: &mut Decision,
    runner: &Runner,
) -> Result<()> {
    let file = match &inputs.version_file {
        Some(path) => Some(version_file::read(dir, path)?),
        None => None,
    };
    match &build.tag {
        Some(tag) => guard_release(inputs, tag, tag_names, file.as_ref(), decision, runner),
        None => guard_snapshot(inputs, tag_names, file.as_ref(), decision, runner),
    }
}

/// A tag build: the tag must be above the latest release (or the highest of its major line,
/// for maintenance releases) and agree with the version file.
fn guard_release(
    inputs: &Inputs,
    tag: &TagVersion,
    tag_names: &[String],
    file: Option<&version_file::FileVersion>,
    decision: &mut Decision,
    runner: &Runner,
) -> Result<()> {
    let prefix = &inputs.tag_prefix;
    // The tag being built is among the tags: the release to beat is the highest of the others.
    let others: Vec<&String> = tag_names.iter().filter(|n| **n != tag.tag).collect();
    let releases = Releases::from_tag_names(&others, prefix);
    decision.latest = releases.latest_stable().cloned();
    decision.base_version = Some(core(&tag.version).to_string());
    decision.base_source = Some(format!("the tag {}", tag.tag));
    if let Some(latest) = releases.latest_stable() {
        if tag.version.cmp_precedence(&latest.version).is_le() {
            let line_best = releases.latest_stable_in_major(tag.version.major);
            let highest_in_line =
                line_best.is_none_or(|b| tag.version.cmp_precedence(&b.version).is_gt());
            if inputs.maintenance_releases && highest_in_line {
                runner.notice(&format!(
                    "maintenance release {}: below {} but the highest of the {}.x line",
                    tag.tag, latest.tag, tag.version.major
                ));
            } else {
                let mut fix = format!(
                    "tag a version above {} (e.g. {prefix}{}), and delete {} if it was pushed by mistake",
                    latest.version,
                    next_patch(&latest.version),
                    tag.tag
                );
                if !inputs.maintenance_releases {
                    fix.push_str(
                        "; for a patch of an older major line set `maintenance-releases: true`",
                    );
                } else if let Some(b) = line_best {
                    fix.push_str(&format!(
                        "; the {}.x line is already at {}",
                        tag.version.major, b.tag
                    ));
                }
                return Err(Failure::guard(
                    "Release would go backwards",
                    format!("refusing {}: {} already exists", tag.tag, latest.tag),
                )
                .with_fix(fix));
            }
        }
    }
    if let Some(file) = file {
        if !file.matches(&tag.version) {
            return Err(Failure::guard(
                "Version file disagrees with the tag",
                format!(
                    "{} says {} but the tag {} is version {}",
                    file.file, file.text, tag.tag, tag.version
                ),
            )
            .with_fix(format!(
                "set the version in {} to {} before tagging, or tag the version the file says",
                file.file, tag.version
            ))
            .at(file.location()));
        }
    }
    runner.log(&format!(
        "release {} above {}",
        tag.tag,
        decision
            .latest
            .as_ref()
            .map_or("no earlier release", |t| t.tag.as_str())
    ));
    Ok(())
}

/// The base of a snapshot and where it came from: `base-version`, else the version file, else
/// the patch after the latest release.
fn snapshot_base(
    inputs: &Inputs,
    file: Option<&version_file::FileVersion>,
    releases: &Releases,
) -> Result<(Version, String)> {
    Ok(match (&inputs.base_version, file) {
        (Some(b), _) => (b.clone(), "input `base-version`".to_string()),
        (None, Some(f)) => (f.core()?, format!("{} (line {})", f.file, f.line)),
        (None, None) => match releases.latest_stable() {
            Some(l) => {
                let patch = l.version.patch.checked_add(1).ok_or_else(|| {
                    Failure::usage(
                        "Cannot compute the next version",
                        format!(
                            "the latest release {} has the largest patch number there is, so it has no next patch",
                            l.tag
                        ),
                    )
                    .with_fix("set `base-version` to the next planned release")
                })?;
                (
                    Version::new(l.version.major, l.version.minor, patch),
                    format!("the patch after {}", l.tag),
                )
            }
            None => (Version::new(0, 1, 0), "no release yet".to_string()),
        },
    })
}

/// A snapshot build: its base must have an npm form and be above the latest release (of its
/// major line, for maintenance branches).
fn guard_snapshot(
    inputs: &Inputs,
    tag_names: &[String],
    file: Option<&version_file::FileVersion>,
    decision: &mut Decision,
    runner: &Runner,
) -> Result<()> {
    let releases = Releases::from_tag_names(tag_names, &inputs.tag_prefix);
    decision.latest = releases.latest_stable().cloned();
    let (base, source) = snapshot_base(inputs, file, &releases)?;
    // npm reads versions as JavaScript numbers: a larger base makes snapshots npm refuses.
    if let Err(why) = npm::validate(&base.to_string()) {
        return Err(Failure::usage(
            "Base version too large",
            format!("base version {base} (from {source}) has no npm form: {why}"),
        )
        .with_fix("set `base-version` to the next planned release"));
    }
    decision.base_version = Some(base.to_string());
    decision.base_source = Some(source.clone());
    // The release a snapshot must sort above: the latest overall, or of its own major line for
    // maintenance branches.
    let floor = if inputs.maintenance_releases {
        releases.latest_stable_in_major(base.major)
    } else {
        releases.latest_stable()
    };
    if let Some(floor) = floor {
        if base.cmp_precedence(&floor.version).is_le() {
            let mut failure = Failure::guard(
                "Base version is not above the latest release",
                format!(
                    "base version {base} (from {source}) is not above the latest release {}: its snapshots would sort below {}",
                    floor.tag, floor.version
                ),
            )
            .with_fix(format!(
                "set the next planned version above {} (e.g. {}) in {}",
                floor.version,
                next_patch(&floor.version),
                if inputs.base_version.is_some() { "`base-version`" } else if file.is_some() { "the version file" } else { "`base-version`" }
            ));
            if let (None, Some(f)) = (&inputs.base_version, file) {
                failure = failure.at(f.location());
            }
            return Err(failure);
        }
    }
    runner.log(&format!(
        "base {base} from {source}; latest release {}",
        decision.latest.as_ref().map_or("none", |t| t.tag.as_str())
    ));
    Ok(())
}

fn core(v: &Version) -> Version {
    Version::new(v.major, v.minor, v.patch)
}

/// The patch after `v`, for messages: never overflows (the patch may be `u64::MAX`).
fn next_patch(v: &Version) -> String {
    format!("{}.{}.{}", v.major, v.minor, u128::from(v.patch) + 1)
}

/// Variables earlier set-ups read and this action does not: `(variable, replacement)`. Setting
/// one changes nothing, which is worth a warning (a workflow that still sets it expects an effect).
/// `{p}` is the `env-prefix`.
const LEGACY_VARIABLES: &[(&str, &str)] = &[(
    "SDK_TS_SNAPSHOT_VERSION",
    "{p}_TS_SDK_VERSION (or the `npm-version` input)",
)];

fn warn_legacy_variables(env_prefix: &str, runner: &Runner) {
    for (variable, replacement) in LEGACY_VARIABLES {
        // Looked up by name: these are the variables a workflow may still set, not the run's.
        if crate::runner::env::os_value(variable)
            .is_some_and(|v| !v.to_string_lossy().trim().is_empty())
        {
            let replacement = replacement.replace("{p}", env_prefix);
            runner.warning(&format!(
                "{variable} is set but release-action no longer reads it: use {replacement} instead"
            ));
        }
    }
}

/// On a release or prerelease tag the tag is the version: an override may only restate it (in
/// its ecosystem's form), or the guard's "never publish below the latest" would not hold.
fn override_agrees_with_tag(
    build: &Build,
    ecosystem: Eco,
    source: &str,
    value: &str,
    expected: &str,
) -> Result<()> {
    match &build.tag {
        Some(tag) if value != expected => Err(Failure::guard(
            "Version override disagrees with the tag",
            format!(
                "{source} is {value} but the tag {} is {} version {expected}: on a release tag the tag is the version",
                tag.tag,
                ecosystem.label()
            ),
        )
        .with_fix(format!(
            "unset {source} for tag builds (the tag's version is used), or set it to {expected}"
        ))),
        _ => Ok(()),
    }
}

/// Each ecosystem's version: computed from the tag or the snapshot base, then overridden.
fn versions(
    inputs: &Inputs,
    build: &Build,
    tag_names: &[String],
    from_git: bool,
    git: &Git,
    decision: &mut Decision,
    runner: &Runner,
) -> Result<()> {
    let base = decision
        .base_version
        .as_deref()
        .map(|b| Version::parse(b).expect("the base is a semver version"));
    let ctx = VersionContext {
        inputs: &inputs.ecosystems,
        env_prefix: &inputs.env_prefix,
        tag_prefix: &inputs.tag_prefix,
        base: base.as_ref(),
        sha: decision
            .sha
            .as_deref()
            .expect("sha is decided before versions"),
        timestamp: decision
            .timestamp
            .as_deref()
            .expect("timestamp is decided before versions"),
        tag_names,
        from_git,
        git,
        runner,
    };
    // Every computed version first (a tag one ecosystem cannot express fails before any
    // override is read), then the overrides.
    let mut computed = Vec::new();
    for &ecosystem in ecosystem::ALL {
        let version = match &build.tag {
            Some(tag) => ecosystem.release_version(&ctx, tag)?,
            None => ecosystem.snapshot_version(&ctx)?,
        };
        computed.push((ecosystem, version));
    }
    let mut versions = Vec::new();
    for (ecosystem, computed) in computed {
        let version = match ecosystem.override_version(&ctx)? {
            Some((source, value)) => {
                override_agrees_with_tag(build, ecosystem, &source, &value, &computed)?;
                value
            }
            None => computed,
        };
        versions.push((ecosystem, version));
    }
    // The build's semver is npm's version: node-semver is the strictest semver reader.
    decision.version = versions
        .iter()
        .find(|(e, _)| e.key() == "npm")
        .map(|(_, v)| v.clone());
    runner.log(
        &versions
            .iter()
            .map(|(e, v)| format!("{} {v}", e.label()))
            .collect::<Vec<_>>()
            .join(" · "),
    );
    decision.ecosystems = versions;
    Ok(())
}

/// Outputs, the summary table and the manifest files.
fn publish(inputs: &Inputs, d: &Decision, runner: &mut Runner, complete: bool) -> Result<()> {
    let mut set = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            runner.set_output(name, v);
        }
    };
    set("channel", d.channel.clone());
    if d.channel.is_some() {
        set("is-release", Some(d.is_release.to_string()));
        set("is-prerelease", Some(d.is_prerelease.to_string()));
    }
    set("base-version", d.base_version.clone());
    set("version", d.version.clone());
    if d.tags_read {
        set(
            "latest-tag",
            Some(d.latest.as_ref().map(|t| t.tag.clone()).unwrap_or_default()),
        );
        set(
            "latest-version",
            Some(
                d.latest
                    .as_ref()
                    .map(|t| t.version.to_string())
                    .unwrap_or_default(),
            ),
        );
    }
    for (ecosystem, version) in &d.ecosystems {
        set(ecosystem.version_output().name, Some(version.clone()));
    }
    set("sha", d.sha.clone());
    set("short-sha", d.short_sha());
    set("timestamp", d.timestamp.clone());
    let document = if complete { d.document() } else { None };
    if let Some(document) = &document {
        runner.set_output("versions", document.to_json());
    }

    if d.channel.is_some() {
        let summary = runner.summary();
        summary.heading(2, "version-guard");
        // Tags and versions come from the repository: text, not markdown.
        let rows: Vec<Vec<String>> = summary_rows(d)
            .into_iter()
            .map(|row| {
                row.iter()
                    .map(|c| crate::runner::summary::text(c))
                    .collect()
            })
            .collect();
        summary.table(&["", "Value"], &rows);
    }

    if let (Some(dir), Some(document)) = (&inputs.manifest_dir, &document) {
        let dir = &crate::runner::inputs::path_in_workspace(
            "manifest-dir",
            &dir.to_string_lossy(),
            crate::runner::inputs::Access::WriteDir,
        )?;
        write_manifest(dir, d, &document.to_value())?;
        let files: Vec<&str> = std::iter::once("versions.json")
            .chain(d.ecosystems.iter().map(|(e, _)| e.manifest_file()))
            .collect();
        runner.log(&format!("wrote {} to {}", files.join(", "), dir.display()));
    }
    Ok(())
}

/// `20261202100000` as `20261202100000 (2026-12-02 10:00:00 UTC)`: the digits are what the
/// versions carry, the date is what a reader checks.
fn readable_timestamp(digits: &str) -> String {
    let b = digits.as_bytes();
    if b.len() != 14 || !b.iter().all(u8::is_ascii_digit) {
        return digits.to_string();
    }
    format!(
        "{digits} ({}-{}-{} {}:{}:{} UTC)",
        &digits[0..4],
        &digits[4..6],
        &digits[6..8],
        &digits[8..10],
        &digits[10..12],
        &digits[12..14]
    )
}

fn summary_rows(d: &Decision) -> Vec<Vec<String>> {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let latest = if d.tags_read {
        d.latest
            .as_ref()
            .map_or("none".to_string(), |t| t.tag.clone())
    } else {
        "—".into()
    };
    let base = match (&d.base_version, &d.base_source) {
        (Some(v), Some(from)) => format!("{v} (from {from})"),
        (v, _) => or_dash(v),
    };
    let mut rows = vec![
        vec!["Channel".into(), or_dash(&d.channel)],
        vec!["Base version".into(), base],
        vec!["Latest release".into(), latest],
    ];
    rows.extend(
        d.versions_by_label()
            .into_iter()
            .map(|(label, v)| vec![label.to_string(), v]),
    );
    rows.push(vec!["Commit".into(), or_dash(&d.short_sha())]);
    rows.push(vec![
        "Timestamp".into(),
        d.timestamp
            .as_deref()
            .map_or_else(|| "—".to_string(), readable_timestamp),
    ]);
    rows
}

fn write_manifest(dir: &Path, d: &Decision, versions: &serde_json::Value) -> Result<()> {
    let fail = |e: std::io::Error| {
        Failure::usage(
            "Cannot write the manifest",
            format!("input `manifest-dir`: {}: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let write = |name: &str, value: &serde_json::Value| {
        let text = serde_json::to_string_pretty(value).expect("JSON serializes") + "\n";
        crate::runner::inputs::create_file(&dir.join(name), text.as_bytes()).map_err(fail)
    };
    write("versions.json", versions)?;
    for (ecosystem, version) in &d.ecosystems {
        let name = ecosystem.manifest_file();
        write(
            name,
            &json!({
                "version": version,
                "sha": d.sha,
                "timestamp": d.timestamp,
                "channel": d.channel,
            }),
        )?;
    }
    Ok(())
}
