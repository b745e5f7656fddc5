//! The channel-tags mode: container image tags and OCI labels per channel, a drop-in for
//! docker/metadata-action (same output names) that never moves a floating tag backwards.
//!
//! - Semver tags only on tag refs; `{major}`, `{major}.{minor}` and fixed words like `latest` on
//!   a release only when it is the highest stable release of that line among the existing tags.
//! - A branch build never gets a tag that looks like a release version, and a release channel
//!   never comes from a branch.
//! - Tags follow Docker's grammar; labels are reproducible (`created` is the commit's time).

pub mod docker;
pub mod labels;
pub mod metadata;
pub mod template;
pub mod versions;

use crate::runner::summary::{code, text};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use semver::Version;
use serde::Serialize;

use crate::channel::{self, Build, Channels, DEFAULT_CHANNELS};
use crate::error::{Failure, Result};
use crate::git::Git;
use crate::github::Context;
use crate::runner::outputs::OutputSpec;
use crate::runner::{inputs, Runner};
use crate::version::tags::{Line, Releases};
use template::{ChannelTags, Kind, Placeholder, Template, Values};
use versions::Versions;

pub const DEFAULT_BAKE_TARGET: &str = "docker-metadata-action";

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Images to tag, one per line or comma-separated (e.g. ghcr.io/org/app). Required.
    /// Names are lower-cased; give no tag or digest.
    #[arg(long)]
    pub images: Option<String>,

    /// Lines `<branch-glob>=<channel>`: the channel of a branch build (first match wins; other
    /// branches are `branch`). Tags are `release`/`prerelease`, pull requests `pr`.
    #[arg(long, default_value = DEFAULT_CHANNELS)]
    pub channels: String,

    /// Lines `<channel>=<tag>,<tag>`; placeholders {version} {major} {minor} {patch} {sha}
    /// {short-sha} {branch} {pr} {channel}. A line replaces that channel's default; `<channel>=`
    /// gives it no tags. A channel with no line is tagged with its name.
    #[arg(long = "channel-tags", default_value = template::DEFAULT_CHANNEL_TAGS)]
    pub channel_tags: String,

    /// A tag every build gets, from the same placeholders; `false` (or `none`) for no sha tag.
    #[arg(long = "sha-tag", default_value = template::DEFAULT_SHA_TAG)]
    pub sha_tag: String,

    /// version-guard's `versions` output (JSON): reuse its channel, version, sha and timestamp.
    #[arg(long)]
    pub versions: Option<String>,

    /// The prefix of release tags, `none` for bare tags [default: `tag-prefix` of `versions`, else v].
    #[arg(long = "tag-prefix", value_parser = crate::version::tags::parse_prefix_input)]
    pub tag_prefix: Option<String>,

    /// Extra labels, lines `key=value`; they replace default labels by key, `key=` removes one.
    #[arg(long)]
    pub labels: Option<String>,

    /// The target name in the bake file.
    #[arg(long = "bake-target", default_value = DEFAULT_BAKE_TARGET)]
    pub bake_target: String,

    /// The commit (full sha) [default: the pull request's head, else GITHUB_SHA, else HEAD].
    #[arg(long)]
    pub sha: Option<String>,

    /// docker/metadata-action's tag rules, one per line (`type=semver,pattern={{version}}`, …).
    /// Given (or `flavor`), channel-tags follows metadata-action's semantics.
    #[arg(long)]
    pub tags: Option<String>,

    /// docker/metadata-action's flavor lines: `latest=auto|true|false`, `prefix=…`, `suffix=…`,
    /// `onlatest=true`.
    #[arg(long)]
    pub flavor: Option<String>,

    /// With `tags`/`flavor`: annotation lines `key=value` (expressions allowed).
    #[arg(long)]
    pub annotations: Option<String>,

    /// With `tags`/`flavor`: separator of the `tags` and `tag-names` outputs [default: newline].
    #[arg(long = "sep-tags")]
    pub sep_tags: Option<String>,

    /// With `tags`/`flavor`: separator of the `labels` output [default: newline].
    #[arg(long = "sep-labels")]
    pub sep_labels: Option<String>,

    /// With `tags`/`flavor`: separator of the `annotations` output [default: newline].
    #[arg(long = "sep-annotations")]
    pub sep_annotations: Option<String>,

    /// With `tags`/`flavor`: where the ref and commit come from, as docker/metadata-action's
    /// `context`: `workflow` (the GitHub context) or `git` (the checkout's HEAD: its branch, or
    /// the tag or pull request ref a detached HEAD is at) [default: workflow].
    #[arg(long)]
    pub context: Option<String>,

    /// With `tags`/`flavor`: `protect` (a floating tag never goes to a version below an existing
    /// release of its line) or `follow-metadata-action`.
    #[arg(long = "floating-tags", default_value = "protect")]
    pub floating_tags: String,

    /// Token for the REST API (metadata-action's input name; `token` works too): the repository's
    /// description and license when the payload lacks them, release tags in a shallow clone.
    #[arg(long = "github-token")]
    pub github_token: Option<String>,

    /// GitHub token for the REST API (see `github-token`).
    #[arg(long)]
    pub token: Option<String>,

    /// docker/metadata-action's form even without `tags`/`flavor` (its default rules): what a
    /// step without `mode` that gives metadata-action's inputs asks for. Not an action input.
    #[arg(long = "metadata-action", hide = true)]
    pub metadata_action: bool,
}

pub const OUTPUTS: &[OutputSpec] = &[
    OutputSpec {
        name: "tags",
        description: "Image tags, `image:tag` one per line (docker/build-push-action `tags`).",
    },
    OutputSpec {
        name: "tag-names",
        description: "The tags without image names, one per line; the version tag first.",
    },
    OutputSpec {
        name: "labels",
        description: "OCI labels, `key=value` one per line (docker/build-push-action `labels`).",
    },
    OutputSpec {
        name: "annotations",
        description: "OCI annotations, `manifest:key=value` one per line.",
    },
    OutputSpec {
        name: "json",
        description: "{\"tags\":[…],\"labels\":{…},\"annotations\":[…]}, as docker/metadata-action writes it.",
    },
    OutputSpec {
        name: "version",
        description: "The first tag (the version tag on releases).",
    },
    OutputSpec {
        name: "channel",
        description: "The build's channel: main, dev, pr, branch, release, prerelease or a custom one.",
    },
    OutputSpec {
        name: "bake-file",
        description: "Path of a docker buildx bake JSON file with the tags, labels and annotations.",
    },
    OutputSpec {
        name: "bake-file-tags",
        description: "With `tags`/`flavor`: path of the bake file with the tags (as docker/metadata-action).",
    },
    OutputSpec {
        name: "bake-file-labels",
        description: "With `tags`/`flavor`: path of the bake file with the labels.",
    },
    OutputSpec {
        name: "bake-file-annotations",
        description: "With `tags`/`flavor`: path of the bake file with the annotations.",
    },
];

/// The inputs, checked.
struct Inputs {
    images: Vec<String>,
    channels: Channels,
    channel_tags: ChannelTags,
    sha_tag: Option<Template>,
    versions: Option<Versions>,
    tag_prefix: String,
    extra_labels: Vec<(String, String)>,
    bake_target: String,
    sha: Option<String>,
    /// SOURCE_DATE_EPOCH, for `created` when `versions` is not given.
    source_date_epoch: Option<String>,
    /// Where the bake file goes: RUNNER_TEMP, else the system temp dir.
    scratch_dir: PathBuf,
}

impl Inputs {
    fn from_args(args: &Args, runner: &Runner) -> Result<Inputs> {
        let raw_images = args.images.as_deref().map(inputs::list).unwrap_or_default();
        if raw_images.is_empty() {
            return Err(Failure::invalid_input(
                "images",
                "not set, but it is required (the images to tag, e.g. ghcr.io/org/app)",
                "set `images:` to one image per line",
            ));
        }
        let mut images: Vec<String> = Vec::new();
        for raw in &raw_images {
            let name = docker::image_name(raw).map_err(|why| {
                Failure::invalid_input(
                    "images",
                    why,
                    "list repositories only, one per line, e.g. ghcr.io/org/app",
                )
            })?;
            if !images.contains(&name) {
                images.push(name);
            }
        }
        let versions = match args.versions.as_deref() {
            Some(text) if !text.trim().is_empty() => Some(Versions::parse(text)?),
            _ => None,
        };
        let tag_prefix = args
            .tag_prefix
            .clone()
            .or_else(|| versions.as_ref().and_then(|v| v.tag_prefix.clone()))
            .unwrap_or_else(|| "v".to_string());
        let bake_target = args.bake_target.trim().to_string();
        if bake_target.is_empty()
            || !bake_target
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(Failure::invalid_input(
                "bake-target",
                format!(
                    "{bake_target:?} is not a bake target name (letters, digits, `-`, `_`, `.`)"
                ),
                format!("use a name such as {DEFAULT_BAKE_TARGET}"),
            ));
        }
        Ok(Inputs {
            images,
            channels: Channels::parse(&args.channels)?,
            channel_tags: ChannelTags::parse(&args.channel_tags)?,
            sha_tag: template::parse_sha_tag(&args.sha_tag)?,
            versions,
            tag_prefix,
            extra_labels: labels::parse_extra(args.labels.as_deref().unwrap_or(""))?,
            bake_target,
            sha: args.sha.clone(),
            source_date_epoch: runner.env().source_date_epoch.clone(),
            scratch_dir: runner.env().scratch_dir(),
        })
    }
}

/// What this build is.
struct Decision {
    build: Build,
    channel: String,
    sha: String,
    short_sha: String,
    /// The version `{version}` expands to: the tag's on tag builds, version-guard's snapshot
    /// version on other builds when `versions` is given.
    version: Option<String>,
    created: i64,
    created_from: &'static str,
    /// Why `created` is not the build commit's own time, when it is not.
    created_warning: Option<String>,
}

fn decide(inputs: &Inputs, ctx: &Context, git: &Git) -> Result<Decision> {
    let build = channel::decide(ctx, &inputs.channels, &inputs.tag_prefix)?;
    let mut channel = build.channel.clone();
    let mut version = build.tag.as_ref().map(|t| t.version.to_string());
    if let Some(v) = &inputs.versions {
        match &build.tag {
            None if v.is_release || v.is_prerelease => {
                return Err(Failure::guard(
                    "A release on a branch",
                    format!(
                        "input `versions` says is-release={} is-prerelease={} (channel `{}`, version {}), but the ref {} is not a tag: only a tag ref may publish release images",
                        v.is_release, v.is_prerelease, v.channel, v.version, ctx.git_ref
                    ),
                )
                .with_fix("pass the `versions` output of version-guard from this same run; release by pushing a tag"));
            }
            None => {
                channel = v.channel.clone();
                version = Some(v.version.clone());
            }
            Some(tag) => {
                let same_version =
                    Version::parse(&v.version).is_ok_and(|parsed| parsed == tag.version);
                if v.channel != build.channel
                    || v.is_release != build.is_release()
                    || v.is_prerelease != build.is_prerelease()
                    || !same_version
                {
                    return Err(Failure::guard(
                        "Input `versions` does not match the tag",
                        format!(
                            "the ref is tag {} ({} {}), but input `versions` says channel `{}`, version {}, is-release={}",
                            tag.tag, build.channel, tag.version, v.channel, v.version, v.is_release
                        ),
                    )
                    .with_fix("pass the `versions` output of version-guard from this same run"));
                }
            }
        }
    }
    if build.tag.is_none() && (channel == "release" || channel == "prerelease") {
        return Err(Failure::guard(
            "A release channel on a branch",
            format!(
                "the channel is `{channel}` but the ref {} is not a tag: release and prerelease images come only from tag refs",
                ctx.git_ref
            ),
        )
        .with_fix("map branches to other channel names in `channels`, and release by pushing a tag"));
    }
    let sha = match &inputs.versions {
        Some(v) => v.sha.clone(),
        None => ctx.resolve_sha(inputs.sha.as_deref(), git)?,
    };
    let short_sha = inputs
        .versions
        .as_ref()
        .and_then(|v| v.short_sha.clone())
        .unwrap_or_else(|| sha[..12].to_string());
    let (created, created_from, created_warning) =
        created_time(inputs, git, &sha, channel == "pr")?;
    Ok(Decision {
        build,
        channel,
        sha,
        short_sha,
        version,
        created,
        created_from,
        created_warning,
    })
}

/// `created`: version-guard's timestamp, else SOURCE_DATE_EPOCH, else the commit's committer
/// time. Never the clock: the same commit must give the same labels (and image digests).
fn created_time(
    inputs: &Inputs,
    git: &Git,
    sha: &str,
    pull_request: bool,
) -> Result<(i64, &'static str, Option<String>)> {
    if let Some(v) = &inputs.versions {
        return Ok((v.unix_time(), "versions.timestamp", None));
    }
    if let Some(epoch) = &inputs.source_date_epoch {
        let seconds = epoch.parse::<i64>().map_err(|_| {
            Failure::usage(
                "Invalid SOURCE_DATE_EPOCH",
                format!("SOURCE_DATE_EPOCH={epoch:?} is not a whole number of seconds"),
            )
        })?;
        return Ok((seconds, "SOURCE_DATE_EPOCH", None));
    }
    let missing = match git.committer_time(sha) {
        Ok(seconds) => return Ok((seconds, "commit time", None)),
        Err(e) => e,
    };
    // actions/checkout fetches a pull request's merge commit with depth 1, so its head commit
    // (the build's sha) is not in the clone. The merge commit is: its time is fixed once GitHub
    // made it, which keeps a re-run's labels the same.
    if pull_request {
        if let Ok(seconds) = git.committer_time("HEAD") {
            let warning = format!(
                "the pull request's head commit {sha} is not in the checkout (a shallow clone), so                  `org.opencontainers.image.created` is the checked-out merge commit's time; use                  actions/checkout with `fetch-depth: 0` or `ref: ${{{{ github.event.pull_request.head.sha }}}}`                  for the head commit's"
            );
            return Ok((seconds, "merge commit time", Some(warning)));
        }
    }
    Err(Failure::usage(
        "Cannot date the commit",
        format!(
            "the image's `created` label is the committer time of {sha}, but: {}",
            missing.message
        ),
    )
    .with_fix(
        "check out the repository (actions/checkout), or set SOURCE_DATE_EPOCH, or pass `versions`",
    ))
}

fn rfc3339(seconds: i64) -> Result<String> {
    // `Z` for UTC, no fraction for a whole second: 2024-01-02T03:04:05Z.
    jiff::Timestamp::from_second(seconds)
        .map(|time| time.to_string())
        .map_err(|e| {
            Failure::usage(
                "Invalid time",
                format!("{seconds} is not a valid time: {e}"),
            )
        })
}

/// The release tags a floating-tag decision is made against.
enum History {
    Tags(Releases),
    /// A shallow clone without tags, with version-guard's `latest-version`: enough for `latest`,
    /// not for `{major}` or `{major}.{minor}`.
    LatestOnly(Option<Version>),
}

fn history(
    git: &Git,
    prefix: &str,
    current: &Version,
    versions: Option<&Versions>,
) -> Result<History> {
    let names = git.tag_names().ok();
    let releases = names
        .as_deref()
        .map(|n| Releases::from_tag_names(n, prefix))
        .unwrap_or_default();
    let others = releases
        .all()
        .iter()
        .filter(|t| t.version != *current)
        .count();
    // actions/checkout's default fetch-depth 1 fetches the pushed tag and no other: with no other
    // release tag in a shallow clone, "no earlier release" cannot be told from "not fetched".
    let blind = names.is_none() || (others == 0 && git.is_shallow());
    if !blind {
        return Ok(History::Tags(releases));
    }
    if let Some(v) = versions {
        return Ok(History::LatestOnly(v.latest_version.clone()));
    }
    Err(no_tags_failure(names.is_none(), false))
}

fn no_tags_failure(not_a_repo: bool, latest_only: bool) -> Failure {
    let what = if not_a_repo {
        "the working directory is not a git repository, so the existing release tags are unknown"
    } else {
        "this is a shallow clone without release tags (actions/checkout fetches no tags by default)"
    };
    let need = if latest_only {
        "`versions` gives the latest release, enough for `latest`, but `{major}` and `{major}.{minor}` need every release tag"
    } else {
        "floating tags (`{major}`, `{major}.{minor}`, `latest`) are given only to the highest release of their line, which needs every release tag"
    };
    Failure::usage("Release tags not fetched", format!("{what}: {need}")).with_fix(
        "use actions/checkout with `fetch-depth: 0` (or `fetch-tags: true`); or pass `versions` from version-guard and keep only `{version}` and `latest` in the release line of `channel-tags`",
    )
}

impl History {
    /// `None` when this version may take a floating tag of `line`, else the reason it may not.
    fn higher_release(&self, version: &Version, line: Line) -> Result<Option<String>> {
        match self {
            History::Tags(releases) => {
                if releases.is_highest(version, line) {
                    return Ok(None);
                }
                let (best, scope) = match line {
                    Line::All => (releases.latest_stable(), String::new()),
                    Line::Major => (
                        releases.latest_stable_in_major(version.major),
                        format!(" in {}.x", version.major),
                    ),
                    Line::Minor => (
                        releases.latest_stable_in_minor(version.major, version.minor),
                        format!(" in {}.{}.x", version.major, version.minor),
                    ),
                };
                Ok(Some(format!(
                    "{} is a higher stable release{scope}",
                    best.map(|b| b.tag.as_str()).unwrap_or("a newer tag")
                )))
            }
            History::LatestOnly(latest) => match line {
                Line::All => Ok(latest
                    .as_ref()
                    .filter(|l| version.cmp_precedence(l) == std::cmp::Ordering::Less)
                    .map(|l| format!("{l} is a higher stable release (versions.latest-version)"))),
                _ => Err(no_tags_failure(false, true)),
            },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct PlannedTag {
    name: String,
    template: String,
    why: String,
    /// Made from `{version}`: such a tag goes first.
    is_version: bool,
}

#[derive(Debug, Clone, Serialize)]
struct SkippedTag {
    template: String,
    reason: String,
    /// Withheld by the never-backwards rule (a higher release has it): a warning, since the
    /// release ships without it.
    #[serde(skip)]
    backwards: bool,
}

#[derive(Debug, Default)]
struct Plan {
    tags: Vec<PlannedTag>,
    skipped: Vec<SkippedTag>,
}

/// Whether a tag looks like a release version (`1`, `1.2`, `v1.2.3`, `1.2.3-rc.1`): such tags come
/// only from tag refs, or a branch push could overwrite what a release published.
fn looks_like_version(tag: &str) -> bool {
    let bare = tag.strip_prefix(['v', 'V']).unwrap_or(tag);
    let numeric = !bare.is_empty()
        && bare.split('.').count() <= 3
        && bare
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    numeric || Version::parse(bare).is_ok()
}

fn plan_tags(inputs: &Inputs, decision: &Decision, git: &Git) -> Result<Plan> {
    let line = inputs.channel_tags.for_channel(&decision.channel);
    let where_ = match line.line {
        Some(n) => format!("`channel-tags` line {n}"),
        None => "the default `channel-tags`".to_string(),
    };
    let values = tag_values(decision);
    let mut candidates: Vec<(&Template, String)> = line
        .templates
        .iter()
        .map(|t| (t, format!("channel `{}` ({where_})", decision.channel)))
        .collect();
    if let Some(sha_tag) = &inputs.sha_tag {
        candidates.push((sha_tag, "`sha-tag`".to_string()));
    }
    let mut plan = Plan::default();
    let mut history: Option<History> = None;
    for (template, origin) in candidates {
        refuse_semver_on_branch(decision, template, &origin)?;
        let why = match floating_tag(inputs, decision, git, template, &origin, &mut history)? {
            Ok(why) => why,
            Err(skipped) => {
                plan.skipped.push(skipped);
                continue;
            }
        };
        let tag = expand_tag(inputs, decision, &values, template, &origin, why)?;
        if !plan.tags.iter().any(|t| t.name == tag.name) {
            plan.tags.push(tag);
        }
    }
    // The version tag first: docker/metadata-action's `version` output and the version label are
    // the first tag.
    plan.tags.sort_by_key(|t| !t.is_version);
    if plan.tags.is_empty() {
        return Err(no_tags(decision, &plan, &where_));
    }
    Ok(plan)
}

/// What the placeholders of a tag template expand to for this build.
fn tag_values(decision: &Decision) -> Values {
    let tag = decision.build.tag.as_ref();
    Values {
        version: decision.version.clone(),
        major: tag.map(|t| t.version.major.to_string()),
        minor: tag.map(|t| t.version.minor.to_string()),
        patch: tag.map(|t| t.version.patch.to_string()),
        sha: Some(decision.sha.clone()),
        short_sha: Some(decision.short_sha.clone()),
        branch: decision.build.branch.clone(),
        pr: decision.build.pull_request.map(|n| n.to_string()),
        channel: Some(decision.channel.clone()),
    }
}

/// Semver placeholders exist only on tag refs.
fn refuse_semver_on_branch(decision: &Decision, template: &Template, origin: &str) -> Result<()> {
    let semver_parts = template.semver_placeholders();
    if decision.build.tag.is_some() || semver_parts.is_empty() {
        return Ok(());
    }
    Err(Failure::guard(
        "A version tag on a branch build",
        format!(
            "{origin} asks for {:?}, a release version tag, on {} (channel `{}`): {} exist only on tag refs",
            template.source,
            decision.build.branch.as_deref().map(|b| format!("branch {b}")).unwrap_or_else(|| "a non-tag ref".into()),
            decision.channel,
            semver_parts.iter().map(|p| format!("{{{}}}", p.name())).collect::<Vec<_>>().join(", ")
        ),
    )
    .with_fix("remove the semver placeholders from this channel's `channel-tags` line"))
}

/// Why a template's tag is given (`Ok`), or why a floating tag (`{major}`, `latest`, …) is not:
/// prereleases, major 0 and releases below the highest of their line get none. `history` is read
/// once, when the first floating tag needs it.
fn floating_tag(
    inputs: &Inputs,
    decision: &Decision,
    git: &Git,
    template: &Template,
    origin: &str,
    history: &mut Option<History>,
) -> Result<Result<String, SkippedTag>> {
    let (Some(tag), Kind::Floating(floating)) = (decision.build.tag.as_ref(), template.kind())
    else {
        return Ok(Ok(origin.to_string()));
    };
    let skipped = |reason: String, backwards: bool| {
        Ok(Err(SkippedTag {
            template: template.source.clone(),
            reason,
            backwards,
        }))
    };
    let skip = |reason: String| skipped(reason, false);
    if tag.is_prerelease() {
        return skip(format!(
            "{} is a prerelease: prereleases get only exact tags like {{version}}",
            tag.tag
        ));
    }
    if floating == Line::Major && tag.version.major == 0 {
        return skip(
            "major version 0 gets no major-only tag (0.x releases may break each other)".into(),
        );
    }
    if history.is_none() {
        *history = Some(history_for(inputs, git, &tag.version)?);
    }
    let Some(known) = history.as_ref() else {
        return Ok(Ok(origin.to_string()));
    };
    if let Some(reason) = known.higher_release(&tag.version, floating)? {
        let reason = format!(
            "{reason}: the tag stays there, never moved back to {}",
            tag.tag
        );
        return skipped(reason, true);
    }
    Ok(Ok(format!(
        "{origin}; {} is the highest stable release {}",
        tag.tag,
        line_name(floating, &tag.version)
    )))
}

/// The template expanded into a valid Docker tag, refused when a branch build would get a tag
/// that reads as a release version.
fn expand_tag(
    inputs: &Inputs,
    decision: &Decision,
    values: &Values,
    template: &Template,
    origin: &str,
    mut why: String,
) -> Result<PlannedTag> {
    let raw = template.expand(values).map_err(|missing| {
        Failure::usage(
            "Tag placeholder without a value",
            format!(
                "{origin}: {:?} uses {{{}}}, which a {} build does not have",
                template.source,
                missing.name(),
                decision.channel
            ),
        )
        .with_fix(match missing {
            Placeholder::Version => "pass `versions` from version-guard for branch builds, or use {version} only on release channels",
            Placeholder::Pr => "use {pr} only on the `pr` channel",
            Placeholder::Branch => "use {branch} only on branch and pr channels",
            _ => "use this placeholder only on channels that have it",
        })
    })?;
    let Some(name) = docker::sanitize_tag(&raw) else {
        return Err(Failure::usage(
            "Tag is empty",
            format!(
                "{origin}: {:?} gives {raw:?}, which has no character Docker accepts in a tag",
                template.source
            ),
        ));
    };
    if decision.build.tag.is_none()
        && looks_like_version(&name)
        && !is_snapshot_version(inputs, &name)
    {
        return Err(Failure::guard(
            "A version tag on a branch build",
            format!(
                "{origin}: {:?} gives the tag {name:?}, which looks like a release version, on ref {} (channel `{}`): version tags come only from tag refs",
                template.source,
                decision.build.branch.as_deref().unwrap_or("(not a tag)"),
                decision.channel
            ),
        )
        .with_fix("rename the branch or change the channel's tags so they cannot be read as a version"));
    }
    if name != raw {
        why.push_str(&format!("; made a valid Docker tag from {raw:?}"));
    }
    Ok(PlannedTag {
        name,
        template: template.source.clone(),
        why,
        is_version: template.uses(Placeholder::Version),
    })
}

fn no_tags(decision: &Decision, plan: &Plan, where_: &str) -> Failure {
    Failure::usage(
        "No tags",
        format!(
            "channel `{}` gets no tags ({where_}) and `sha-tag` is off{}",
            decision.channel,
            if plan.skipped.is_empty() {
                String::new()
            } else {
                format!(
                    "; skipped: {}",
                    plan.skipped
                        .iter()
                        .map(|s| format!("{} ({})", s.template, s.reason))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
        ),
    )
    .with_fix("give the channel a tag in `channel-tags`, or turn `sha-tag` back on")
}

fn history_for(inputs: &Inputs, git: &Git, version: &Version) -> Result<History> {
    history(git, &inputs.tag_prefix, version, inputs.versions.as_ref())
}

fn line_name(line: Line, v: &Version) -> String {
    match line {
        Line::All => "overall".into(),
        Line::Major => format!("in {}.x", v.major),
        Line::Minor => format!("in {}.{}.x", v.major, v.minor),
    }
}

/// version-guard's snapshot version (`0.12.0-dev.20240102030405.g0123456789ab`) may tag a branch
/// build: its pre-release part says what it is, and it names one commit.
fn is_snapshot_version(inputs: &Inputs, tag: &str) -> bool {
    inputs.versions.as_ref().is_some_and(|v| {
        Version::parse(&v.version).is_ok_and(|parsed| !parsed.pre.is_empty())
            && docker::sanitize_tag(&v.version).as_deref() == Some(tag)
    })
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    tags: &'a [String],
    labels: &'a BTreeMap<String, String>,
    annotations: &'a [String],
}

#[derive(Serialize)]
struct BakeTarget<'a> {
    tags: &'a [String],
    labels: &'a BTreeMap<String, String>,
    annotations: &'a [String],
    args: BTreeMap<&'static str, String>,
}

/// Writes the bake file in `RUNNER_TEMP` (or the system temp dir), under a fresh name: two
/// channel-tags steps in one job must not overwrite each other's file.
fn write_bake_file(dir: &Path, text: &str) -> Result<PathBuf> {
    let mut file = tempfile::Builder::new()
        .prefix("channel-tags-bake-")
        .suffix(".json")
        .tempfile_in(dir)
        .map_err(|e| {
            Failure::usage(
                "Cannot write the bake file",
                format!("in {}: {e}", dir.display()),
            )
        })?;
    file.write_all(text.as_bytes())?;
    let (_, path) = file
        .keep()
        .map_err(|e| Failure::usage("Cannot write the bake file", e.to_string()))?;
    Ok(path)
}

/// docker/metadata-action's configuration: a step without `mode` (the hidden
/// `--metadata-action`), or a given `tags` or `flavor` input.
fn metadata_form(args: &Args) -> bool {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    args.metadata_action || given(&args.tags) || given(&args.flavor)
}

pub fn run(args: Args, runner: &mut Runner) -> Result<()> {
    if metadata_form(&args) {
        return run_metadata_form(&args, runner);
    }
    run_own_form(args, runner)
}

/// docker/metadata-action's form, with its inputs and its token.
fn run_metadata_form(args: &Args, runner: &mut Runner) -> Result<()> {
    let token = args
        .github_token
        .clone()
        .or_else(|| args.token.clone())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .or_else(|| runner.env().github_token.clone());
    metadata::run(
        metadata::MetaArgs {
            images: args.images.as_deref(),
            tags: args.tags.as_deref(),
            flavor: args.flavor.as_deref(),
            labels: args.labels.as_deref(),
            annotations: args.annotations.as_deref(),
            sep_tags: args.sep_tags.as_deref(),
            sep_labels: args.sep_labels.as_deref(),
            sep_annotations: args.sep_annotations.as_deref(),
            bake_target: &args.bake_target,
            context: args.context.as_deref(),
            token,
            floating_tags: &args.floating_tags,
            versions: match args.versions.as_deref() {
                Some(text) if !text.trim().is_empty() => Some(Versions::parse(text)?),
                _ => None,
            },
        },
        runner,
    )
}

/// channel-tags' own form: tags per channel from the ref (or version-guard's `versions`).
fn run_own_form(args: Args, runner: &mut Runner) -> Result<()> {
    // channel-tags' own form takes the ref from the workflow (or version-guard's `versions`):
    // a `context: git` that it would ignore is refused rather than passed silently.
    if args.context.as_deref().map(str::trim) == Some("git") {
        return Err(Failure::invalid_input(
            "context",
            "`git` is docker/metadata-action's and applies only with `tags` or `flavor`",
            "add metadata-action's `tags` (or `flavor: latest=auto`), or leave `context` unset",
        ));
    }
    let dir = std::env::current_dir()?;
    let git = Git::new(&dir);
    let inputs = Inputs::from_args(&args, runner)?;
    let ctx = Context::from_env(&dir)?;

    let decision = runner.phase("decide", |r| {
        let decision = decide(&inputs, &ctx, &git)?;
        r.log(&format!(
            "ref {} -> channel `{}`, commit {}{}",
            ctx.ref_display(),
            decision.channel,
            decision.sha,
            if inputs.versions.is_some() {
                " (from `versions`)"
            } else {
                ""
            }
        ));
        if let Some(warning) = &decision.created_warning {
            r.warning(warning);
        }
        Ok(decision)
    })?;
    // Outputs that hold whatever happens next: the channel is decided.
    runner.set_output("channel", decision.channel.clone());

    let plan = runner.phase("tags", |r| {
        let plan = plan_tags(&inputs, &decision, &git)?;
        for t in &plan.tags {
            r.log(&format!("{}  <- {}", t.name, t.why));
        }
        for s in &plan.skipped {
            if s.backwards {
                r.warning(&format!(
                    "`{}` not given: {} (floating tags never move backwards)",
                    s.template, s.reason
                ));
            } else {
                r.log(&format!("skipped {}: {}", s.template, s.reason));
            }
        }
        Ok(plan)
    })?;

    let image = ImageMetadata::new(&inputs, &ctx, &decision, &plan)?;
    let bake_path = runner.phase("bake-file", |r| {
        let path = write_bake_file(&inputs.scratch_dir, &image.bake_file(&inputs)?)?;
        r.log(&format!("wrote {}", path.display()));
        Ok(path)
    })?;
    image.set_outputs(runner, &bake_path)?;
    write_summary(
        runner,
        &inputs,
        &ctx,
        &decision,
        &plan,
        &image.labels,
        &image.created,
    );
    Ok(())
}

/// What the image gets: its tags on every image, the labels and the annotations.
struct ImageMetadata {
    /// The tags without an image name, the version tag first.
    tag_names: Vec<String>,
    /// `<image>:<tag>` for every image and tag.
    image_tags: Vec<String>,
    labels: BTreeMap<String, String>,
    annotations: Vec<String>,
    /// `created`, RFC 3339.
    created: String,
}

impl ImageMetadata {
    fn new(inputs: &Inputs, ctx: &Context, decision: &Decision, plan: &Plan) -> Result<Self> {
        let tag_names: Vec<String> = plan.tags.iter().map(|t| t.name.clone()).collect();
        let created = rfc3339(decision.created)?;
        let labels = labels::merge(
            labels::defaults(&labels::Facts {
                ctx,
                version: &tag_names[0],
                created_rfc3339: &created,
                revision: &decision.sha,
            }),
            &inputs.extra_labels,
        );
        let annotations = labels::annotations(&labels);
        let image_tags: Vec<String> = inputs
            .images
            .iter()
            .flat_map(|image| tag_names.iter().map(move |t| format!("{image}:{t}")))
            .collect();
        Ok(ImageMetadata {
            tag_names,
            image_tags,
            labels,
            annotations,
            created,
        })
    }

    /// The version: the first tag (docker/metadata-action's `version` output).
    fn version(&self) -> &str {
        &self.tag_names[0]
    }

    fn bake_file(&self, inputs: &Inputs) -> Result<String> {
        let bake = serde_json::json!({
            "target": {
                inputs.bake_target.clone(): BakeTarget {
                    tags: &self.image_tags,
                    labels: &self.labels,
                    annotations: &self.annotations,
                    args: BTreeMap::from([
                        ("DOCKER_META_IMAGES", inputs.images.join(",")),
                        ("DOCKER_META_VERSION", self.version().to_string()),
                    ]),
                }
            }
        });
        Ok(serde_json::to_string_pretty(&bake).map_err(anyhow::Error::from)? + "\n")
    }

    fn set_outputs(&self, runner: &mut Runner, bake_path: &Path) -> Result<()> {
        let json = serde_json::to_string(&JsonOutput {
            tags: &self.image_tags,
            labels: &self.labels,
            annotations: &self.annotations,
        })
        .map_err(anyhow::Error::from)?;
        runner.set_output("tags", self.image_tags.join("\n"));
        runner.set_output("tag-names", self.tag_names.join("\n"));
        runner.set_output(
            "labels",
            self.labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        runner.set_output("annotations", self.annotations.join("\n"));
        runner.set_output("json", json);
        runner.set_output("version", self.version().to_string());
        runner.set_output("bake-file", bake_path.to_string_lossy().into_owned());
        Ok(())
    }
}

fn write_summary(
    runner: &mut Runner,
    inputs: &Inputs,
    ctx: &Context,
    decision: &Decision,
    plan: &Plan,
    labels: &BTreeMap<String, String>,
    created: &str,
) {
    let summary = runner.summary();
    summary.heading(
        2,
        &format!("channel-tags: {} channel", code(&decision.channel)),
    );
    summary.paragraph(&format!(
        "Ref {} · commit {} · created {} ({}){}",
        code(ctx.ref_display()),
        code(&decision.short_sha),
        text(created),
        text(decision.created_from),
        if inputs.versions.is_some() {
            " · decisions from version-guard's `versions`"
        } else {
            ""
        }
    ));
    summary.paragraph(&format!(
        "Images: {}",
        inputs
            .images
            .iter()
            .map(|i| code(i))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let rows: Vec<Vec<String>> = plan
        .tags
        .iter()
        .map(|t| vec![text(&t.name), text(&t.template), text(&t.why)])
        .collect();
    summary.table(&["Tag", "Template", "Why"], &rows);
    if !plan.skipped.is_empty() {
        summary.heading(3, "Not given");
        let rows: Vec<Vec<String>> = plan
            .skipped
            .iter()
            .map(|s| vec![text(&s.template), text(&s.reason)])
            .collect();
        summary.table(&["Template", "Why not"], &rows);
    }
    summary.heading(3, "Labels");
    let rows: Vec<Vec<String>> = labels.iter().map(|(k, v)| vec![text(k), text(v)]).collect();
    summary.table(&["Label", "Value"], &rows);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_looking_tags() {
        for t in ["1", "1.2", "v1.2.3", "1.2.3-rc.1", "V2", "0.12.0-dev.1"] {
            assert!(looks_like_version(t), "{t}");
        }
        for t in [
            "latest", "dev", "pr-42", "1.x", "3-alpine", "v", "1.2.3.4", "sha-0123",
        ] {
            assert!(!looks_like_version(t), "{t}");
        }
    }

    #[test]
    fn rfc3339_is_utc() {
        assert_eq!(rfc3339(1_704_164_645).unwrap(), "2024-01-02T03:04:05Z");
    }
}
