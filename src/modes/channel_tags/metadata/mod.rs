//! channel-tags with docker/metadata-action's configuration: when `tags` or `flavor` is given,
//! tags, labels, annotations, the JSON and the bake files follow metadata-action's documented
//! semantics (its README and source are the specification), so a workflow swaps only its `uses:`
//! line. On top, by default: a floating tag (`latest`, `{{major}}`, `{{major}}.{{minor}}`) is never
//! given to a version below an existing release of its line (`floating-tags:
//! follow-metadata-action` turns this off), and every tag passes Docker's grammar.

mod context;
pub mod expr;
pub mod flavor;
pub mod floating;
mod output;
pub mod rules;

use context::*;
use output::*;

use std::path::PathBuf;

use jiff::Timestamp;
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::docker;
use crate::error::{Failure, Result};
use crate::git::Git;
use crate::github::Context;
use crate::runner::{inputs, Runner};
use expr::{Call, Scope};
use flavor::Flavor;
use floating::{FloatingPolicy, Withheld};
use rules::{Rule, RuleType};

const DEFAULT_SHORT_SHA_LENGTH: usize = 7;

/// The inputs of this form, read by the mode's `Args`.
pub struct MetaArgs<'a> {
    pub images: Option<&'a str>,
    pub tags: Option<&'a str>,
    pub flavor: Option<&'a str>,
    pub labels: Option<&'a str>,
    pub annotations: Option<&'a str>,
    pub sep_tags: Option<&'a str>,
    pub sep_labels: Option<&'a str>,
    pub sep_annotations: Option<&'a str>,
    pub bake_target: &'a str,
    /// `context`: `workflow` or `git` (see [`ContextSource`]).
    pub context: Option<&'a str>,
    pub token: Option<String>,
    pub floating_tags: &'a str,
    /// version-guard's `versions`: its timestamp is `created`, its latest release decides
    /// `latest` when the clone has no release tags.
    pub versions: Option<super::versions::Versions>,
}

struct Image {
    name: String,
    enable: bool,
}

fn bad_input(input: &str, why: impl std::fmt::Display) -> Failure {
    Failure::usage(
        format!("Invalid input `{input}`"),
        format!("input `{input}`: {why}"),
    )
}

/// `images` as the peer reads it: one line of comma-separated names, or lines of
/// `name=…,enable=…` (a bare field is the name). Names must be repositories (Docker's grammar).
fn parse_images(input: &str) -> Result<Vec<Image>> {
    let lines = rules::input_lines(input);
    let fields_of = |n: usize, line: &str| {
        rules::csv_fields(line).map_err(|why| bad_input("images", format!("line {n}: {why}")))
    };
    let mut images = Vec::new();
    let old_form = match lines.as_slice() {
        [(n, line)] => fields_of(*n, line)?.iter().all(|f| !f.contains('=')),
        _ => false,
    };
    for (n, line) in &lines {
        let fields = fields_of(*n, line)?;
        if old_form {
            for field in fields.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
                images.push(Image {
                    name: field.to_string(),
                    enable: true,
                });
            }
            continue;
        }
        let mut image = Image {
            name: String::new(),
            enable: true,
        };
        for field in fields {
            match field.split_once('=') {
                None => image.name = field.trim().to_string(),
                Some((key, value)) => match (key.trim().to_lowercase().as_str(), value.trim()) {
                    ("name", v) => image.name = v.to_string(),
                    ("enable", "true") => image.enable = true,
                    ("enable", "false") => image.enable = false,
                    ("enable", v) => {
                        return Err(bad_input(
                            "images",
                            format!("line {n}: `enable={v}`: use true or false"),
                        ))
                    }
                    (k, _) => {
                        return Err(bad_input(
                            "images",
                            format!("line {n}: unknown attribute `{k}` (known: name, enable)"),
                        ))
                    }
                },
            }
        }
        if image.name.is_empty() {
            return Err(bad_input(
                "images",
                format!("line {n}: no image name: {line:?}"),
            ));
        }
        images.push(image);
    }
    for image in &mut images {
        image.name = docker::image_name(&image.name).map_err(|why| {
            bad_input("images", why).with_fix("list repositories only, e.g. ghcr.io/org/app")
        })?;
    }
    Ok(images)
}

/// A semver or pep440 version's placeholders.
struct VersionScope(Vec<(&'static str, String)>);

impl Scope for VersionScope {
    fn value(&self, call: &Call) -> std::result::Result<Option<String>, String> {
        Ok(self
            .0
            .iter()
            .find(|(k, _)| *k == call.name)
            .map(|(_, v)| v.clone()))
    }
}

/// One tag a rule gave, before protection.
#[derive(Debug, Clone)]
pub struct Entry {
    pub tag: String,
    pub rule: String,
    /// Set for `{{major}}` / `{{major}}.{{minor}}` tags of a stable release.
    pub floating: Option<floating::Floating>,
}

/// What the tag rules decided: metadata-action's `version` with where each tag came from.
#[derive(Debug, Default)]
pub struct Decision {
    pub entries: Vec<Entry>,
    pub latest: Option<bool>,
    /// The stable release version of this build, when a semver/pep440 rule found one.
    pub release: Option<semver::Version>,
    pub warnings: Vec<String>,
}

fn sanitize(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len());
    let mut in_run = false;
    for c in tag.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('-');
            in_run = true;
        }
    }
    out
}

struct Evaluator<'a> {
    ctx: &'a MetaContext,
    flavor: &'a Flavor,
}

fn expr_error(rule: &Rule, why: String) -> Failure {
    Failure::usage(
        "Invalid input `tags`",
        format!("input `tags`, line {}: {why}: {:?}", rule.line, rule.source),
    )
}

impl Evaluator<'_> {
    fn global(&self, text: &str, rule: &Rule) -> Result<String> {
        expr::render(text, self.ctx).map_err(|why| expr_error(rule, why))
    }

    /// The rule's prefix and suffix (else the flavor's) around `value`.
    fn decorate(&self, value: &str, rule: &Rule) -> Result<String> {
        let prefix = if rule.has("prefix") {
            self.global(rule.attr("prefix"), rule)?
        } else {
            self.global(&self.flavor.prefix, rule)?
        };
        let suffix = if rule.has("suffix") {
            self.global(rule.attr("suffix"), rule)?
        } else {
            self.global(&self.flavor.suffix, rule)?
        };
        Ok(format!("{prefix}{value}{suffix}"))
    }

    fn push(
        &self,
        d: &mut Decision,
        value: String,
        rule: &Rule,
        auto_latest: bool,
        floating: Option<floating::Floating>,
    ) {
        if value.is_empty() {
            return;
        }
        d.entries.push(Entry {
            tag: sanitize(&value),
            rule: rule.source.clone(),
            floating,
        });
        if d.latest.is_none() {
            d.latest = Some(self.flavor.latest_for(auto_latest));
        }
    }

    /// The version a semver/pep440/match rule reads: `value` when given, else the tag.
    fn version_source(&self, rule: &Rule) -> Result<Option<String>> {
        if !rule.attr("value").is_empty() {
            return self.global(rule.attr("value"), rule).map(Some);
        }
        Ok(self.ctx.is_tag().then(|| self.ctx.tag().to_string()))
    }

    fn apply_match_attr(&self, raw: String, rule: &Rule, d: &mut Decision) -> Result<String> {
        let pattern = rule.attr("match");
        if pattern.is_empty() {
            return Ok(raw);
        }
        let re = rules::js_regex(pattern, "").map_err(|why| expr_error(rule, why))?;
        match re.captures(&raw) {
            None => {
                d.warnings.push(format!("{pattern} does not match {raw}."));
                Ok(raw)
            }
            Some(c) => c.get(1).map(|m| m.as_str().to_string()).ok_or_else(|| {
                expr_error(
                    rule,
                    format!("`match={pattern}` has no group 1 (the version)"),
                )
            }),
        }
    }

    fn rule(&self, rule: &Rule, d: &mut Decision) -> Result<()> {
        match rule.kind {
            RuleType::Schedule => self.schedule_rule(rule, d),
            RuleType::Semver | RuleType::Pep440 => self.version_rule(rule, d),
            RuleType::Match => self.match_rule(rule, d),
            RuleType::Ref => self.ref_rule(rule, d),
            RuleType::Edge => self.edge_rule(rule, d),
            RuleType::Raw => {
                let value = self.global(rule.attr("value"), rule)?;
                let value = self.decorate(&value, rule)?;
                self.push(d, value, rule, false, None);
                Ok(())
            }
            RuleType::Sha => self.sha_rule(rule, d),
        }
    }

    /// `type=schedule`: the date pattern, on scheduled runs only.
    fn schedule_rule(&self, rule: &Rule, d: &mut Decision) -> Result<()> {
        if !self.ctx.event_name.contains("schedule") {
            return Ok(());
        }
        let value = expr::render(rule.attr("pattern"), &DatesOnly(self.ctx))
            .map_err(|why| expr_error(rule, why))?;
        let value = self.decorate(&value, rule)?;
        self.push(d, value, rule, false, None);
        Ok(())
    }

    /// `type=semver` and `type=pep440`: the pattern rendered from the version's parts; a
    /// prerelease gets its exact version only.
    fn version_rule(&self, rule: &Rule, d: &mut Decision) -> Result<()> {
        let Some(raw) = self.version_source(rule)? else {
            return Ok(());
        };
        let raw = self.apply_match_attr(raw, rule, d)?.replace('/', "-");
        let pattern =
            expr::Template::parse(rule.attr("pattern")).map_err(|why| expr_error(rule, why))?;
        let parsed = if rule.kind == RuleType::Semver {
            floating::semver_scope(&raw)
        } else {
            floating::pep440_scope(&raw)
        };
        let Some(parsed) = parsed else {
            d.warnings.push(if rule.kind == RuleType::Semver {
                format!("{raw} is not a valid semver. More info: https://semver.org/")
            } else {
                format!("{raw} does not conform to PEP 440. More info: https://www.python.org/dev/peps/pep-0440")
            });
            return Ok(());
        };
        if parsed.prerelease {
            // A prerelease gets its exact version only (`{{raw}}` keeps it as written).
            let value = if pattern.is_raw_statement() {
                raw.clone()
            } else {
                parsed.exact.clone()
            };
            let value = self.decorate(&value, rule)?;
            self.push(d, value, rule, false, None);
        } else {
            let value = pattern
                .render(&VersionScope(parsed.placeholders.clone()))
                .map_err(|why| expr_error(rule, why))?;
            let value = self.decorate(&value, rule)?;
            let floating = floating::classify(&pattern, &parsed);
            if d.release.is_none() {
                d.release = parsed.release.clone();
            }
            self.push(d, value, rule, true, floating);
        }
        Ok(())
    }

    /// `type=match`: a JavaScript regex (`/body/flags` or bare) over the version source, its
    /// `group` the tag.
    fn match_rule(&self, rule: &Rule, d: &mut Decision) -> Result<()> {
        let Some(raw) = self.version_source(rule)? else {
            return Ok(());
        };
        let pattern = rule.attr("pattern");
        let (body, flags) = rules::regex_literal(pattern);
        let re = rules::js_regex(body, flags).map_err(|why| expr_error(rule, why))?;
        let group: usize = rule.attr("group").trim().parse().unwrap_or(0);
        // With the `g` flag JavaScript's match lists every match, not groups.
        let found: Option<Option<String>> = if flags.contains('g') {
            let all: Vec<String> = re.find_iter(&raw).map(|m| m.as_str().to_string()).collect();
            (!all.is_empty()).then(|| all.get(group).cloned())
        } else {
            re.captures(&raw)
                .map(|c| c.get(group).map(|m| m.as_str().to_string()))
        };
        match found {
            None => d.warnings.push(format!("{pattern} does not match {raw}.")),
            Some(None) => d.warnings.push(format!(
                "Group {group} does not exist for {pattern} pattern."
            )),
            Some(Some(value)) => {
                let value = self.decorate(&value, rule)?;
                self.push(d, value, rule, true, None);
            }
        }
        Ok(())
    }

    /// `type=ref`: the branch, tag or pull request number of the ref, for the event it names.
    fn ref_rule(&self, rule: &Rule, d: &mut Decision) -> Result<()> {
        let ctx = self.ctx;
        let (value, auto) = match rule.attr("event") {
            "branch" if ctx.git_ref.starts_with("refs/heads/") => (ctx.branch().to_string(), false),
            "tag" if ctx.is_tag() => (ctx.tag().to_string(), true),
            "pr" if ctx.git_ref.starts_with("refs/pull/") => {
                let rest = &ctx.git_ref["refs/pull/".len()..];
                (
                    rest.strip_suffix("/merge").unwrap_or(rest).to_string(),
                    false,
                )
            }
            _ => return Ok(()),
        };
        let value = self.decorate(&value, rule)?;
        self.push(d, value, rule, auto, None);
        Ok(())
    }

    /// `type=edge`: `edge` on a push to the rule's branch (the default branch unless named).
    fn edge_rule(&self, rule: &Rule, d: &mut Decision) -> Result<()> {
        let ctx = self.ctx;
        if !ctx.git_ref.starts_with("refs/heads/") {
            return Ok(());
        }
        let branch = match rule.attr("branch") {
            "" => ctx.repo.default_branch.as_str(),
            b => b,
        };
        if branch != ctx.branch() {
            return Ok(());
        }
        let value = self.decorate("edge", rule)?;
        self.push(d, value, rule, false, None);
        Ok(())
    }

    /// `type=sha`: the short commit SHA, or the long one with `format=long`.
    fn sha_rule(&self, rule: &Rule, d: &mut Decision) -> Result<()> {
        let ctx = self.ctx;
        if ctx.sha.is_empty() {
            return Ok(());
        }
        let value = if rule.attr("format") == "long" {
            ctx.sha.clone()
        } else {
            ctx.short_sha.clone()
        };
        let value = self.decorate(&value, rule)?;
        self.push(d, value, rule, false, None);
        Ok(())
    }
}

fn decide(rules: &[Rule], flavor: &Flavor, ctx: &MetaContext) -> Result<Decision> {
    let evaluator = Evaluator { ctx, flavor };
    let mut d = Decision::default();
    for rule in rules {
        let enabled = evaluator.global(rule.attr("enable"), rule)?;
        match enabled.as_str() {
            "true" => {}
            "false" => continue,
            other => {
                return Err(expr_error(
                    rule,
                    format!("`enable` must give true or false, got {other:?}"),
                ))
            }
        }
        evaluator.rule(rule, &mut d)?;
    }
    Ok(d)
}

/// metadata-action's tag list: the rules' tags in order without repeats (the first is the
/// `version`), then `latest`; each checked against Docker's grammar.
fn tag_names(decision: &Decision, flavor: &Flavor) -> Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for e in &decision.entries {
        if !names.contains(&e.tag) {
            names.push(e.tag.clone());
        }
    }
    if !names.is_empty() && decision.latest == Some(true) {
        names.push(sanitize(&flavor.latest_tag()));
    }
    for name in &names {
        if !docker::is_valid_tag(name) {
            return Err(Failure::usage(
                "Invalid tag",
                format!("the tag {name:?} does not follow Docker's grammar (`[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}`): a registry would refuse the push"),
            )
            .with_fix("change the rule's prefix, suffix or value so the tag starts with a letter, digit or `_`"));
        }
    }
    Ok(names)
}

/// A value for logs: `(none)` when empty.
fn or_none(value: &str) -> &str {
    if value.is_empty() {
        "(none)"
    } else {
        value
    }
}

/// `sep-*` inputs keep their whitespace (`sep-tags: " "`), unlike other inputs.
fn separator(flag: Option<&str>, input: &str) -> String {
    inputs::untrimmed_from_env(input)
        .or_else(|| flag.map(str::to_string))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "\n".to_string())
}

/// The inputs of this form, checked once before anything runs.
struct MetaInputs {
    rules: Vec<Rule>,
    flavor: Flavor,
    images: Vec<Image>,
    policy: FloatingPolicy,
    bake_target: String,
    /// The `labels` and `annotations` lines with their line numbers.
    label_lines: Vec<(usize, String)>,
    annotation_lines: Vec<(usize, String)>,
    /// `DOCKER_METADATA_ANNOTATIONS_LEVELS`: where each annotation goes (`manifest`, `index`, …).
    annotation_levels: Vec<String>,
    /// `DOCKER_METADATA_SET_OUTPUT_ENV`: also export every output as `DOCKER_METADATA_OUTPUT_*`.
    set_env: bool,
    sep_tags: String,
    sep_labels: String,
    sep_annotations: String,
    context: ContextSource,
}

impl MetaInputs {
    fn parse(args: &MetaArgs) -> Result<Self> {
        let rules = rules::parse(args.tags.unwrap_or(""))?;
        let flavor = flavor::parse(args.flavor.unwrap_or(""))?;
        let images = parse_images(args.images.unwrap_or(""))?;
        let policy = FloatingPolicy::parse(args.floating_tags)?;
        let bake_target = args.bake_target.trim().to_string();
        if bake_target.is_empty()
            || bake_target
                .chars()
                .any(|c| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        {
            return Err(bad_input(
                "bake-target",
                format!(
                    "{bake_target:?} is not a bake target name (letters, digits, `-`, `_`, `.`)"
                ),
            ));
        }
        let lines_of = |input: Option<&str>| rules::input_lines(input.unwrap_or(""));
        let annotation_levels = env_value("DOCKER_METADATA_ANNOTATIONS_LEVELS")
            .unwrap_or_else(|| "manifest".into())
            .split(',')
            .map(|l| l.trim().to_string())
            .collect();
        Ok(Self {
            rules,
            flavor,
            images,
            policy,
            bake_target,
            label_lines: lines_of(args.labels),
            annotation_lines: lines_of(args.annotations),
            annotation_levels,
            set_env: is_true("DOCKER_METADATA_SET_OUTPUT_ENV")?.unwrap_or(true),
            sep_tags: separator(args.sep_tags, "sep-tags"),
            sep_labels: separator(args.sep_labels, "sep-labels"),
            sep_annotations: separator(args.sep_annotations, "sep-annotations"),
            context: ContextSource::parse(args.context)?,
        })
    }

    /// The names of the enabled images.
    fn enabled_images(&self) -> Vec<&str> {
        self.images
            .iter()
            .filter(|i| i.enable)
            .map(|i| i.name.as_str())
            .collect()
    }
}

/// The labels and (level-less) annotations. A line of either input without `=` is dropped, as the
/// peer drops it silently; here a warning says so, since a step lost a label.
fn labels_and_annotations(
    meta: &MetaContext,
    version: &str,
    created: &str,
    inputs: &MetaInputs,
    runner: &mut Runner,
) -> Result<(output::Pairs, output::Pairs)> {
    let (labels, dropped) = oci_pairs(meta, version, created, &inputs.label_lines)?;
    let (annotations, dropped_annotations) =
        oci_pairs(meta, version, created, &inputs.annotation_lines)?;
    for (input, dropped) in [("labels", dropped), ("annotations", dropped_annotations)] {
        for (n, line) in dropped {
            runner.warning(&format!(
                "input `{input}`, line {n}: {line:?} has no `=`, so it is no `key=value` and was \
                 dropped (as docker/metadata-action drops it)"
            ));
        }
    }
    Ok((labels, annotations))
}

/// The `context` phase: the metadata context, logged in one line.
fn read_context(
    ctx: &Context,
    git: &Git,
    source: ContextSource,
    token: Option<&str>,
    r: &mut Runner,
) -> Result<MetaContext> {
    let meta = meta_context(ctx, git, source, token, r)?;
    r.log(&format!(
        "context {} · event {} · ref {} · sha {} · repository metadata from {}",
        if source == ContextSource::Git {
            "git"
        } else {
            "workflow"
        },
        or_none(&meta.event_name),
        or_none(&meta.git_ref),
        or_none(&meta.sha),
        meta.repo.from,
    ));
    Ok(meta)
}

/// `level:key=value` for every annotation at every level asked for.
fn annotation_lines(inputs: &MetaInputs, raw: &[(String, String)]) -> Vec<String> {
    inputs
        .annotation_levels
        .iter()
        .flat_map(|level| raw.iter().map(move |(k, v)| format!("{level}:{k}={v}")))
        .collect()
}

pub fn run(args: MetaArgs, runner: &mut Runner) -> Result<()> {
    let dir = std::env::current_dir()?;
    let git = Git::new(&dir);
    let inputs = MetaInputs::parse(&args)?;

    let ctx = Context::from_env(&dir)?;
    let meta = runner.phase("context", |r| {
        read_context(&ctx, &git, inputs.context, args.token.as_deref(), r)
    })?;

    let sources = floating::ReleaseSources {
        git: &git,
        token: args.token.as_deref(),
        ctx: &ctx,
        latest_from_versions: args
            .versions
            .as_ref()
            .and_then(|v| v.latest_version.as_ref()),
    };
    let (decision, withheld) =
        runner.phase("tags", |r| decide_tags(&inputs, &meta, &sources, r))?;

    let names = tag_names(&decision, &inputs.flavor)?;
    let version = names.first().cloned().unwrap_or_default();
    if version.is_empty() {
        runner.warning("No Docker image version has been generated. Check tags input.");
    }
    let enabled = inputs.enabled_images();
    let tags = image_tags(&enabled, &names);
    if tags.is_empty() {
        runner.warning("No Docker tag has been generated. Check tags input.");
    }

    let created = created_label(args.versions.as_ref(), &meta, runner)?;
    let (labels, raw_annotations) =
        labels_and_annotations(&meta, &version, &created, &inputs, runner)?;
    let annotations = annotation_lines(&inputs, &raw_annotations);
    let label_lines_out: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();

    let json = serde_json::to_string(&JsonOutput {
        tags: &tags,
        tag_names: &names,
        labels: Ordered(&labels),
        annotations: &annotations,
    })
    .map_err(anyhow::Error::from)?;

    let bake = BakeContents {
        target: &inputs.bake_target,
        images: enabled.join(","),
        version: &version,
        tags: &tags,
        labels: &labels,
        annotations: &annotations,
    };
    let bake_files = runner.phase("bake-files", |r| write_bake_files(&bake, r))?;

    let mut outputs: Vec<(String, String)> = vec![
        ("version".into(), version.clone()),
        ("tags".into(), tags.join(&inputs.sep_tags)),
        ("tag-names".into(), names.join(&inputs.sep_tags)),
        ("labels".into(), label_lines_out.join(&inputs.sep_labels)),
        (
            "annotations".into(),
            annotations.join(&inputs.sep_annotations),
        ),
        ("json".into(), json),
    ];
    for (kind, path) in bake_files {
        let name = if kind.is_empty() {
            "bake-file".to_string()
        } else {
            format!("bake-file-{kind}")
        };
        outputs.push((name, path));
    }
    set_outputs(runner, &outputs, inputs.set_env);
    write_summary(
        runner,
        &meta,
        &decision,
        &names,
        &withheld,
        &labels,
        inputs.policy,
    );
    Ok(())
}

/// The rules' decision, with the floating tags a higher release already has withheld (by the
/// floating-tags policy); each withheld tag is a warning annotation.
fn decide_tags(
    inputs: &MetaInputs,
    meta: &MetaContext,
    sources: &floating::ReleaseSources,
    r: &mut Runner,
) -> Result<(Decision, Vec<Withheld>)> {
    let mut decision = decide(&inputs.rules, &inputs.flavor, meta)?;
    for w in &decision.warnings {
        r.warning(w);
    }
    let withheld = floating::protect(&mut decision, &inputs.flavor, inputs.policy, sources, r)?;
    // A release that ships without a floating tag (`latest` above all) must be seen: a warning.
    for w in &withheld {
        r.warning(&w.message());
    }
    Ok((decision, withheld))
}

/// Every tag name under every enabled image (`image:tag`); the bare names without images.
fn image_tags(enabled: &[&str], names: &[String]) -> Vec<String> {
    if enabled.is_empty() {
        names.to_vec()
    } else {
        enabled
            .iter()
            .flat_map(|i| names.iter().map(move |t| format!("{i}:{t}")))
            .collect()
    }
}

/// `org.opencontainers.image.created`: the versions document's time, else SOURCE_DATE_EPOCH,
/// else the commit's date, else (with a warning) the clock.
fn created_label(
    versions: Option<&super::versions::Versions>,
    meta: &MetaContext,
    runner: &mut Runner,
) -> Result<String> {
    let from_versions = versions.and_then(|v| Timestamp::from_second(v.unix_time()).ok());
    let created_at = match from_versions.or(source_date_epoch()?).or(meta.commit_date) {
        Some(t) => t,
        None => {
            runner.warning(&format!(
                "the commit {} is in neither the event payload nor the checkout, so `org.opencontainers.image.created` is the clock (as docker/metadata-action always has it); check out the repository or set SOURCE_DATE_EPOCH for a reproducible label",
                or_none(&meta.sha)
            ));
            meta.now
        }
    };
    Ok(created_at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_like_the_peer() {
        assert_eq!(sanitize("feature/a#b"), "feature-a-b");
        assert_eq!(sanitize("a//b"), "a-b");
    }

    #[test]
    fn locale_order_puts_lower_case_first_and_ignores_case() {
        let mut keys = vec!["org.b", "Foo", "foo", "org.a", "bar", "1x"];
        keys.sort_by(|a, b| locale_order(a, b));
        assert_eq!(keys, ["1x", "bar", "foo", "Foo", "org.a", "org.b"]);
    }

    #[test]
    fn images_in_both_forms() {
        let old = parse_images("org/app,ghcr.io/User/App").unwrap();
        assert_eq!(
            old.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            ["org/app", "ghcr.io/user/app"]
        );
        let new = parse_images("name=org/app\nname=ghcr.io/u/app,enable=false").unwrap();
        assert!(new[0].enable && !new[1].enable);
        assert!(parse_images("name=a,enable=maybe").is_err());
        assert!(parse_images("name=a,colour=red").is_err());
        assert!(parse_images("app:1.0").is_err());
    }
}
