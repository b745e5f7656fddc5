//! Where a run's facts come from, as metadata-action reads them: the ref, sha and commit date
//! from the workflow or the checkout (`context`), the repository's metadata from the payload or
//! the REST API, and the expressions every input may use (`{{branch}}`, `{{date}}`, …).

use super::*;

/// Where the ref, sha and commit date come from (metadata-action's `context` input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ContextSource {
    /// The GitHub context: `GITHUB_REF`, `GITHUB_SHA`, the event payload.
    Workflow,
    /// The checkout: HEAD's branch, or the tag or pull request ref a detached HEAD is at, HEAD's
    /// commit and its committer date. The event name and payload stay the workflow's.
    Git,
}

impl ContextSource {
    pub(super) fn parse(value: Option<&str>) -> Result<Self> {
        match value.map(str::trim).unwrap_or("") {
            "" | "workflow" => Ok(ContextSource::Workflow),
            "git" => Ok(ContextSource::Git),
            other => Err(Failure::invalid_input(
                "context",
                format!("{other:?} is not `workflow` or `git`"),
                "set `context` to `workflow` (the default) or `git`",
            )),
        }
    }
}

/// HEAD's ref as metadata-action's `context: git` reads it: the branch HEAD is on; for a detached
/// HEAD (what actions/checkout leaves for tags and pull requests) the tag it is at, else a
/// `pull/<n>/merge|head` ref, else a branch (local, or remote-tracking without the remote's name).
pub(super) fn head_ref(git: &Git) -> Result<String> {
    if let Ok(branch) = git.run(&["symbolic-ref", "-q", "HEAD"]) {
        let branch = branch.trim();
        if !branch.is_empty() {
            return Ok(branch.to_string());
        }
    }
    let decorations = git.run(&["show", "-s", "--pretty=%D", "HEAD"])?;
    let names: Vec<&str> = decorations
        .trim()
        .split(", ")
        .map(str::trim)
        .filter(|d| !d.is_empty() && *d != "HEAD" && *d != "grafted")
        .collect();
    if let Some(tag) = names.iter().find_map(|d| d.strip_prefix("tag: ")) {
        return Ok(format!("refs/tags/{tag}"));
    }
    let is_pull = |d: &&str| {
        let parts: Vec<&str> = d.split('/').collect();
        parts.len() == 3
            && parts[0] == "pull"
            && parts[1].bytes().all(|b| b.is_ascii_digit())
            && matches!(parts[2], "merge" | "head")
    };
    if let Some(pull) = names.iter().find(|d| is_pull(d)) {
        return Ok(format!("refs/{pull}"));
    }
    let remotes = git.run(&["remote"]).unwrap_or_default();
    let branch = names.iter().find_map(|d| match d.split_once('/') {
        Some((remote, rest)) if remotes.lines().any(|r| r.trim() == remote) => Some(rest),
        _ => None,
    });
    if let Some(branch) = branch.or_else(|| names.first().copied()) {
        return Ok(format!("refs/heads/{branch}"));
    }
    Err(Failure::invalid_input(
        "context",
        format!(
            "`git`: HEAD is detached at a commit that no branch, tag or pull request ref names ({:?})",
            decorations.trim()
        ),
        "check out a branch or tag (actions/checkout does), or use `context: workflow`",
    ))
}

/// The repository's metadata the default labels are made of.
#[derive(Debug, Default, Clone)]
pub(super) struct RepoInfo {
    pub(super) name: String,
    pub(super) description: String,
    pub(super) html_url: String,
    pub(super) license: String,
    pub(super) default_branch: String,
    pub(super) from: &'static str,
}

impl RepoInfo {
    pub(super) fn from_json(v: &serde_json::Value, from: &'static str) -> RepoInfo {
        let s = |x: &serde_json::Value| x.as_str().unwrap_or_default().to_string();
        RepoInfo {
            name: s(&v["name"]),
            description: s(&v["description"]),
            html_url: s(&v["html_url"]),
            license: s(&v["license"]["spdx_id"]),
            default_branch: s(&v["default_branch"]),
            from,
        }
    }
}

/// The event payload's `repository` when it has one (push, pull_request, …: no request needed),
/// else the REST API with the token, else what `GITHUB_REPOSITORY` says.
pub(super) fn repo_info(ctx: &Context, token: Option<&str>, runner: &Runner) -> RepoInfo {
    let payload = &ctx.event["repository"];
    if payload["html_url"].is_string() {
        return RepoInfo::from_json(payload, "event payload");
    }
    let Some(repository) = ctx.repository.clone() else {
        return RepoInfo {
            from: "nowhere (no payload repository, no GITHUB_REPOSITORY)",
            ..Default::default()
        };
    };
    if let Some(token) = token {
        runner.mask(token);
        let answer = crate::github::api::Api::new(&ctx.api_url, token, &repository)
            .and_then(|api| api.repository());
        match answer {
            Ok(v) => return RepoInfo::from_json(&v, "REST API"),
            Err(e) => runner.warning(&format!(
                "the event payload has no `repository` and the REST API answered {e}: title and url labels come from GITHUB_REPOSITORY, description and licenses are empty"
            )),
        }
    }
    RepoInfo {
        name: repository
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string(),
        html_url: format!("{}/{repository}", ctx.server_url.trim_end_matches('/')),
        from: "GITHUB_REPOSITORY",
        ..Default::default()
    }
}

/// The run as metadata-action sees it.
pub(super) struct MetaContext {
    pub(super) event_name: String,
    pub(super) git_ref: String,
    pub(super) sha: String,
    pub(super) short_sha: String,
    pub(super) payload: serde_json::Value,
    pub(super) repo: RepoInfo,
    /// "Now": SOURCE_DATE_EPOCH when set (a reproducible build's clock), else the clock.
    pub(super) now: Timestamp,
    pub(super) commit_date: Option<Timestamp>,
}

pub(super) fn env_value(name: &str) -> Option<String> {
    crate::runner::env::string(name).filter(|v| !v.trim().is_empty())
}

pub(super) fn source_date_epoch() -> Result<Option<Timestamp>> {
    let Some(epoch) = env_value("SOURCE_DATE_EPOCH") else {
        return Ok(None);
    };
    let bad = || {
        Failure::usage(
            "Invalid SOURCE_DATE_EPOCH",
            format!("SOURCE_DATE_EPOCH={epoch:?} is not a whole number of seconds"),
        )
    };
    let seconds = epoch.trim().parse::<i64>().map_err(|_| bad())?;
    Timestamp::from_second(seconds).map(Some).map_err(|_| bad())
}

/// The commit's date: from the push payload (`commits[]`, `head_commit`) as the peer reads it,
/// else from git, else (no checkout holds the commit) from the REST API with `token`, as the
/// peer falls back to it. `None` leaves "now".
pub(super) fn commit_date(
    payload: &serde_json::Value,
    sha: &str,
    git: &Git,
    api: Option<(&Context, &str)>,
    runner: &Runner,
) -> Option<Timestamp> {
    let parse = |v: &serde_json::Value| v.as_str().and_then(|t| t.parse::<Timestamp>().ok());
    if let Some(commits) = payload["commits"].as_array() {
        if let Some(c) = commits.iter().find(|c| c["id"].as_str() == Some(sha)) {
            if let Some(t) = parse(&c["timestamp"]) {
                return Some(t);
            }
        }
    }
    if payload["head_commit"]["id"].as_str() == Some(sha) {
        if let Some(t) = parse(&payload["head_commit"]["timestamp"]) {
            return Some(t);
        }
    }
    if sha.is_empty() {
        return None;
    }
    if let Some(time) = git
        .committer_time(sha)
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
    {
        return Some(time);
    }
    let (ctx, token) = api?;
    // Only a full sha goes into the request's path.
    if !crate::github::context::is_full_sha(sha) {
        return None;
    }
    let repository = ctx.repository.as_deref()?;
    let answer = crate::github::api::Api::new(&ctx.api_url, token, repository)
        .and_then(|api| api.commit_date(sha));
    match answer.map(|date| date.parse::<Timestamp>()) {
        Ok(Ok(time)) => Some(time),
        Ok(Err(e)) => {
            runner.warning(&format!(
                "the REST API gave commit {sha} a date that does not parse ({e}): the commit date is now"
            ));
            None
        }
        Err(e) => {
            runner.warning(&format!(
                "commit {sha} is not in this checkout and the REST API answered {e}: the commit date is now"
            ));
            None
        }
    }
}

pub(super) fn short_sha(sha: &str) -> Result<String> {
    let length = match env_value("DOCKER_METADATA_SHORT_SHA_LENGTH") {
        None => DEFAULT_SHORT_SHA_LENGTH,
        Some(v) => v.trim().parse::<usize>().map_err(|_| {
            Failure::usage(
                "Invalid DOCKER_METADATA_SHORT_SHA_LENGTH",
                format!("DOCKER_METADATA_SHORT_SHA_LENGTH={v:?} is not a number"),
            )
        })?,
    };
    Ok(sha.chars().take(length).collect())
}

pub(super) fn is_true(name: &str) -> Result<Option<bool>> {
    match env_value(name) {
        None => Ok(None),
        Some(v) => match v.trim().to_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(Failure::usage(
                format!("Invalid {name}"),
                format!("{name}={v:?}: use true or false"),
            )),
        },
    }
}

pub(super) fn meta_context(
    ctx: &Context,
    git: &Git,
    source: ContextSource,
    token: Option<&str>,
    runner: &Runner,
) -> Result<MetaContext> {
    let payload = if ctx.event.is_object() {
        ctx.event.clone()
    } else {
        serde_json::json!({})
    };
    if source == ContextSource::Git {
        let sha = git.rev_parse("HEAD")?;
        return Ok(MetaContext {
            event_name: ctx.event_name.clone(),
            short_sha: short_sha(&sha)?,
            commit_date: git
                .committer_time(&sha)
                .ok()
                .and_then(|s| Timestamp::from_second(s).ok()),
            repo: repo_info(ctx, token, runner),
            git_ref: head_ref(git)?,
            sha,
            payload,
            now: source_date_epoch()?.unwrap_or_else(Timestamp::now),
        });
    }
    let mut git_ref = crate::runner::env::string("GITHUB_REF").unwrap_or_default();
    // pull_request_target runs on the base branch; the peer tags it as the pull request.
    if ctx.event_name.contains("pull_request_target") {
        git_ref = format!("refs/pull/{}/merge", payload["number"]);
    }
    let mut sha = ctx
        .github_sha
        .clone()
        .or_else(|| git.rev_parse("HEAD").ok())
        .unwrap_or_default();
    if is_true("DOCKER_METADATA_PR_HEAD_SHA")? == Some(true)
        && ctx.event_name.contains("pull_request")
    {
        if let Some(head) = payload["pull_request"]["head"]["sha"].as_str() {
            sha = head.to_string();
        }
    }
    let now = source_date_epoch()?.unwrap_or_else(Timestamp::now);
    Ok(MetaContext {
        event_name: ctx.event_name.clone(),
        short_sha: short_sha(&sha)?,
        commit_date: commit_date(&payload, &sha, git, token.map(|t| (ctx, t)), runner),
        repo: repo_info(ctx, token, runner),
        git_ref,
        sha,
        payload,
        now,
    })
}

impl MetaContext {
    pub(super) fn branch(&self) -> &str {
        self.git_ref.strip_prefix("refs/heads/").unwrap_or("")
    }

    pub(super) fn tag(&self) -> &str {
        self.git_ref.strip_prefix("refs/tags/").unwrap_or("")
    }

    pub(super) fn is_tag(&self) -> bool {
        self.git_ref.starts_with("refs/tags/")
    }

    pub(super) fn is_default_branch(&self) -> bool {
        let branch = self
            .git_ref
            .strip_prefix("refs/heads/")
            .unwrap_or(&self.git_ref);
        if branch.is_empty() {
            return false;
        }
        if self.payload["repository"]["default_branch"].as_str() == Some(branch) {
            return true;
        }
        // These events always run on the default branch's last commit.
        ["create", "discussion", "issues", "schedule"]
            .iter()
            .any(|e| self.event_name.contains(e))
    }

    pub(super) fn base_ref(&self) -> String {
        if self.is_tag() {
            if let Some(b) = self.payload["base_ref"].as_str() {
                return b.strip_prefix("refs/heads/").unwrap_or(b).to_string();
            }
        }
        if self.git_ref.starts_with("refs/pull/") {
            if let Some(b) = self.payload["pull_request"]["base"]["ref"].as_str() {
                return b.to_string();
            }
        }
        String::new()
    }

    pub(super) fn commit_time(&self) -> Timestamp {
        self.commit_date.unwrap_or(self.now)
    }
}

/// The global expressions every input may use.
impl Scope for MetaContext {
    fn value(&self, call: &Call) -> std::result::Result<Option<String>, String> {
        let bool_text = |b: bool| Some(if b { "true" } else { "false" }.to_string());
        Ok(match call.name.as_str() {
            "branch" => Some(self.branch().to_string()),
            "tag" => Some(self.tag().to_string()),
            "sha" => Some(self.short_sha.clone()),
            "base_ref" => Some(self.base_ref()),
            "is_default_branch" => bool_text(self.is_default_branch()),
            "is_not_default_branch" => bool_text(!self.is_default_branch()),
            "date" => Some(expr::format_date_call(call, self.now)?),
            "commit_date" => Some(expr::format_date_call(call, self.commit_time())?),
            _ => None,
        })
    }
}

/// `type=schedule` patterns see only the two dates.
pub(super) struct DatesOnly<'a>(pub(super) &'a MetaContext);

impl Scope for DatesOnly<'_> {
    fn value(&self, call: &Call) -> std::result::Result<Option<String>, String> {
        match call.name.as_str() {
            "date" | "commit_date" => self.0.value(call),
            _ => Ok(None),
        }
    }
}
