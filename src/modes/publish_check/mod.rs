//! The publish-check mode: before a release job publishes, ask each registry whether this exact
//! artifact is already there, so the job is safe to re-run.
//!
//! For every built artifact in `packages` the name and version are read from the artifact itself
//! (package.json, METADATA / PKG-INFO, go.mod and the zip prefix, a crate's Cargo.toml), the
//! registry is asked, and the artifact is `absent` (publish it), `identical` (already published,
//! byte for byte: skip it) or `different` (the registry holds other bytes under the same version:
//! fail, bump the version). A PyPI version that exists with none of our file names is
//! `other-files`, a conflict too.
//!
//! Only a registry's own "not found" (HTTP 404, and 410 for a GOPROXY or a Cargo index; a missing
//! file in a `file://` GOPROXY) means absent. A registry that cannot be reached, refuses the
//! credentials or answers something unreadable stops the run with exit 2 and no outputs: guessing
//! "absent" would publish over a version, guessing "identical" would skip a release.
//!
//! The mode never names an ecosystem: each one's question lives in its folder
//! (`src/ecosystem/<name>/publish.rs`) behind [`crate::ecosystem::Publish`] with the same two
//! steps, `local` (read the artifact) and `query` (ask the registry and decide), and this module
//! iterates [`crate::ecosystem::ALL`].

use std::path::Path;

use serde::Serialize;

use crate::ecosystem::provenance::{self, Gate, Provenance, ProvenanceArgs};
use crate::ecosystem::publish::{Artifact, Bump, Checked, Local, State};
use crate::ecosystem::remote::{self, RemoteOptions};
use crate::ecosystem::{self, Eco, PublishInputs, PublishQuery, RegistryTokens, RegistryUrls};
use crate::error::{Failure, Result};
use crate::fetch::{self, Fetcher};
use crate::modes::smoke_install::packages::expand_local;
use crate::runner::outputs::OutputSpec;
use crate::runner::{inputs, Annotation, Level, Runner};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IfPublished {
    /// An identical artifact in the registry is fine: nothing to do for it.
    Skip,
    /// Any artifact whose version is already in the registry fails the step.
    Fail,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Built artifacts to check: paths or globs, separated by newlines or commas. `*.tgz` is an
    /// npm tarball, `*.whl` a wheel, `*.tar.gz` a Python sdist, a directory with a go.mod or a
    /// module `.zip` a Go module, `*.crate` a crate.
    #[arg(long, value_name = "PATHS")]
    pub packages: Option<String>,

    /// What an artifact already in the registry means: skip (an identical one needs nothing) or
    /// fail (any published version fails the step).
    #[arg(long, value_enum, default_value = "skip")]
    pub if_published: IfPublished,

    /// Each ecosystem's own publish-check inputs (`go-version`).
    #[command(flatten)]
    pub ecosystem_inputs: PublishInputs,

    /// The registry each ecosystem's artifacts are published to.
    #[command(flatten)]
    pub registries: RegistryUrls,

    /// Token for the one registry `packages` needs (exit 2 when the artifacts belong to more
    /// than one ecosystem: use the per-registry tokens). Sent only to that registry's origin
    /// (over https, or http to this machine): as `Authorization: Bearer <token>`, to a Cargo
    /// index as is (as cargo sends it). Defaults: NODE_AUTH_TOKEN for the npm registry;
    /// PKG_GITHUB_COM_TOKEN, else GITHUB_TOKEN, for GitHub hosts only.
    #[arg(long, value_name = "TOKEN")]
    pub registry_token: Option<String>,

    /// Each registry's own token (`npm-token`, `pypi-token`, `go-token`, `cargo-token`).
    #[command(flatten)]
    pub tokens: RegistryTokens,

    /// Retries after the first attempt on connection errors, timeouts, 5xx, 408 and 429.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub retries: u32,

    /// Timeout in seconds: one deadline per request attempt, covering the connection, every
    /// redirect (at most 10) and the body.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,

    /// The attestation gate for `identical` artifacts (`provenance`, `provenance-identity`,
    /// `provenance-issuer`, `trusted-root`).
    #[command(flatten)]
    pub provenance: ProvenanceArgs,

    /// On pull requests, explain a failure in one comment (`comment-on-pr`, `token`).
    #[command(flatten)]
    pub comment: crate::modes::pr_comment::CommentArgs,
}

pub const OUTPUTS: &[OutputSpec] = &[
    OutputSpec {
        name: "results",
        description: "JSON array: per artifact its path, ecosystem, name, version, state (absent, identical, different, other-files), local and registry digests and the registry URL asked.",
    },
    OutputSpec {
        name: "to-publish",
        description: "The paths of the absent artifacts, one per line, as written in `packages` (empty when nothing is left to publish).",
    },
    OutputSpec {
        name: "to-publish-json",
        description: "The same paths as `to-publish`, as a JSON array of strings (`[]` when nothing is left to publish): unambiguous for any file name.",
    },
    OutputSpec {
        name: "published",
        description: "true when nothing is left to publish (every artifact is already in the registry, identical), else false.",
    },
    OutputSpec {
        name: "provenance",
        description: "JSON object: per identical npm or PyPI artifact (its path) verified, none or failed (the attestation gate; unset with `provenance: off`).",
    },
];

/// One line of `results`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Outcome {
    pub path: String,
    pub ecosystem: Eco,
    pub name: String,
    pub version: String,
    pub state: State,
    pub local_digest: String,
    pub registry_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_go_mod_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_go_mod_digest: Option<String>,
    pub registry_url: String,
    /// Python: the files the index lists for this version.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registry_files: Vec<String>,
    /// The attestation gate's answer (identical npm and PyPI artifacts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

impl From<Checked> for Outcome {
    fn from(
        Checked {
            artifact,
            local,
            remote,
        }: Checked,
    ) -> Outcome {
        Outcome {
            path: artifact.display,
            ecosystem: artifact.ecosystem,
            name: local.name,
            version: local.version,
            state: remote.state,
            local_digest: local.digest,
            registry_digest: remote.digest,
            local_go_mod_digest: local.go_mod_digest,
            registry_go_mod_digest: remote.go_mod_digest,
            registry_url: remote.url,
            registry_files: remote.version_files,
            provenance: remote.provenance,
        }
    }
}

/// What publish-check works on, checked once before any registry is asked: the artifacts (each
/// claimed by an ecosystem that publishes), every registry it will ask, and how to ask them.
struct Inputs {
    artifacts: Vec<Artifact>,
    ecosystem_inputs: PublishInputs,
    options: RemoteOptions,
    if_published: IfPublished,
}

impl Inputs {
    fn from_args(args: Args, workflow_ref: Option<&str>) -> Result<Inputs> {
        // Before anything quotes a URL or connects anywhere, credentials in any URL input are
        // refused, whether or not this run needs that registry.
        for (input, value) in args.registries.inputs() {
            fetch::refuse_url_userinfo(input, value)?;
        }
        let artifacts = resolve(&args, &std::env::current_dir()?)?;
        check_registries(&artifacts, &args.registries)?;
        let mut tokens = args.tokens;
        bind_registry_token(
            &artifacts,
            &args.registries,
            args.registry_token,
            &mut tokens,
        )?;
        // The gate (and its identity) only for artifacts whose registry carries provenance.
        let gate = if artifacts.iter().any(|a| a.ecosystem.has_provenance()) {
            Gate::from_args(&args.provenance, workflow_ref)?
        } else {
            None
        };
        Ok(Inputs {
            artifacts,
            ecosystem_inputs: args.ecosystem_inputs,
            options: RemoteOptions {
                retries: args.retries,
                timeout: args.timeout,
                registry_token: None,
                registries: args.registries,
                tokens,
                gate,
                ..RemoteOptions::default()
            },
            if_published: args.if_published,
        })
    }
}

pub fn run(args: Args, runner: &mut Runner) -> Result<()> {
    let comment = args.comment.clone();
    let scope = args.packages.clone().unwrap_or_default();
    crate::modes::pr_comment::run_commenting("publish-check", &scope, &comment, runner, |runner| {
        check(args, runner)
    })
}

fn check(args: Args, runner: &mut Runner) -> Result<()> {
    let Inputs {
        artifacts,
        ecosystem_inputs,
        options,
        if_published,
    } = Inputs::from_args(args, runner.env().workflow_ref.as_deref())?;
    let locals = inspect(&artifacts, &ecosystem_inputs, runner)?;
    let fetcher = Fetcher::from_options(&options, runner)?;
    let mut checked = query(&fetcher, &options, artifacts, locals)?;
    reconcile(&mut checked);
    let outcomes: Vec<Outcome> = checked.into_iter().map(Outcome::from).collect();
    finish(&outcomes, if_published, runner)
}

/// The ecosystems among the artifacts, in registration order.
fn ecosystems_of(artifacts: &[Artifact]) -> impl Iterator<Item = Eco> + '_ {
    ecosystem::ALL
        .iter()
        .copied()
        .filter(|e| artifacts.iter().any(|a| ecosystem::same(a.ecosystem, *e)))
}

/// Each registry that will be asked, checked before any artifact is read.
fn check_registries(artifacts: &[Artifact], registries: &RegistryUrls) -> Result<()> {
    for eco in ecosystems_of(artifacts) {
        let publish = eco
            .publish()
            .expect("claimed by an ecosystem that publishes");
        let input = publish.registry_input();
        let value = registries
            .value_of(input)
            .expect("every registry input is a RegistryUrls field");
        publish.check_registry(value)?;
    }
    Ok(())
}

/// `registry-token` is the token of the one registry the artifacts are published to: bound to
/// that registry's input, it reaches no other. Artifacts of several ecosystems need a token per
/// registry (exit 2 naming them), and `registry-token` beside that registry's own token is
/// ambiguous (exit 2).
fn bind_registry_token(
    artifacts: &[Artifact],
    registries: &RegistryUrls,
    token: Option<String>,
    tokens: &mut RegistryTokens,
) -> Result<()> {
    let Some(token) = token.filter(|t| !t.trim().is_empty()) else {
        return Ok(());
    };
    // A registry asked from disk (a `file://` GOPROXY) receives no token.
    let inputs: Vec<&'static str> = ecosystems_of(artifacts)
        .filter_map(|e| e.publish().map(|p| p.registry_input()))
        .filter(|i| asked_over_http(registries.value_of(i).unwrap_or_default()))
        .collect();
    if let [input] = inputs.as_slice() {
        let own = RegistryTokens::input_for(input);
        if tokens.for_registry(input).is_some() {
            return Err(Failure::invalid_input(
                "registry-token",
                format!("is given together with `{own}`, the token of `{input}`: which one to send is unclear"),
                format!("keep only `{own}`"),
            ));
        }
        tokens.bind(input, token);
        return Ok(());
    }
    let reached: Vec<String> = inputs
        .iter()
        .map(|i| format!("`{i}` ({})", registries.value_of(i).unwrap_or_default()))
        .collect();
    let own: Vec<String> = inputs
        .iter()
        .map(|i| format!("`{}`", RegistryTokens::input_for(i)))
        .collect();
    Err(Failure::invalid_input(
        "registry-token",
        format!(
            "`packages` holds artifacts of {} registries, {}: one token would reach every one of \
             them, and a token is bound to one registry",
            inputs.len(),
            reached.join(", ")
        ),
        format!(
            "give each registry its own token ({}) and leave `registry-token` empty",
            own.join(", ")
        ),
    ))
}

/// Whether the entry publish-check asks of a registry input (of a list, the first http(s) or
/// `file://` one) is an http(s) URL.
fn asked_over_http(value: &str) -> bool {
    value
        .split([',', '|'])
        .map(|v| v.trim().trim_start_matches("sparse+"))
        .find(|v| v.starts_with("https://") || v.starts_with("http://") || v.starts_with("file://"))
        .is_some_and(|v| !v.starts_with("file://"))
}

/// Phase 1: what each artifact says about itself.
fn inspect(
    artifacts: &[Artifact],
    inputs: &PublishInputs,
    runner: &mut Runner,
) -> Result<Vec<Local>> {
    let mut locals = Vec::with_capacity(artifacts.len());
    for artifact in artifacts {
        let local = runner.phase("inspect", |r| {
            let local = artifact.publish().local(artifact, inputs)?;
            r.log(&format!(
                "{} is {} {} ({})",
                artifact.display, local.name, local.version, local.digest
            ));
            Ok(local)
        })?;
        locals.push(local);
    }
    Ok(locals)
}

/// Phase 2: what each registry holds for each artifact.
fn query(
    fetcher: &Fetcher,
    options: &RemoteOptions,
    artifacts: Vec<Artifact>,
    locals: Vec<Local>,
) -> Result<Vec<Checked>> {
    let mut checked = Vec::with_capacity(artifacts.len());
    for (artifact, local) in artifacts.into_iter().zip(locals) {
        let publish = artifact.publish();
        let request = PublishQuery {
            fetcher,
            options,
            registry: options
                .registries
                .value_of(publish.registry_input())
                .expect("every registry input is a RegistryUrls field"),
        };
        let remote = publish
            .query(&request, &local)
            .map_err(|f| unreachable_registry(f, artifact.ecosystem, &local))?;
        fetcher.log(&format!(
            "{} {}@{}: {} ({})",
            artifact.ecosystem.name(),
            local.name,
            local.version,
            remote.state.name(),
            remote.url
        ));
        checked.push(Checked {
            artifact,
            local,
            remote,
        });
    }
    Ok(checked)
}

/// Phase 3: decisions that need all of one ecosystem's artifacts together.
fn reconcile(checked: &mut [Checked]) {
    for eco in ecosystem::ALL {
        let Some(publish) = eco.publish() else {
            continue;
        };
        let mut group: Vec<&mut Checked> = checked
            .iter_mut()
            .filter(|c| ecosystem::same(c.artifact.ecosystem, *eco))
            .collect();
        if !group.is_empty() {
            publish.reconcile(&mut group);
        }
    }
}

/// A registry that could not answer the question: exit 2, whatever the fetch layer called it
/// (it calls a refused request a guard failure, which here would read as "different").
fn unreachable_registry(failure: Failure, ecosystem: Eco, local: &Local) -> Failure {
    let mut fix = failure.fix.clone().unwrap_or_default();
    if !fix.is_empty() {
        fix.push_str("; ");
    }
    fix.push_str(
        "publish-check never takes a registry it cannot read as \"absent\": fix the registry \
         URL, the token or the network and re-run",
    );
    Failure::usage(
        format!("Cannot tell whether it is published: {}", failure.title),
        format!(
            "{} {}@{}: {}",
            ecosystem.name(),
            local.name,
            local.version,
            failure.message
        ),
    )
    .with_fix(fix)
}

/// The `packages` input as artifacts, each with its kind; remote entries are refused.
fn resolve(args: &Args, cwd: &Path) -> Result<Vec<Artifact>> {
    let items = args
        .packages
        .as_deref()
        .map(inputs::list)
        .unwrap_or_default();
    if items.is_empty() {
        return Err(Failure::usage(
            "No packages to check",
            "input `packages` is empty: publish-check needs the built artifacts it is about to publish",
        )
        .with_fix("set `packages`, e.g. `dist/*.tgz`, `dist/*.whl`, `dist/*.tar.gz`, `target/package/*.crate` or the directory of a Go module"));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut artifacts = Vec::new();
    for item in &items {
        if remote::Source::parse(item).is_some() {
            return Err(Failure::usage(
                "Remote entry in `packages`",
                format!(
                    "input `packages`: {item:?} names something in a registry; publish-check \
                     checks the artifacts this build is about to publish"
                ),
            )
            .with_fix("list the built files (dist/*.tgz, dist/*.whl, …) or module directories"));
        }
        for (path, display) in expand_local(item, cwd)? {
            if !seen.insert(path.clone()) {
                continue;
            }
            let ecosystem = classify(&path, &display)?;
            artifacts.push(Artifact {
                path,
                display,
                ecosystem,
            });
        }
    }
    Ok(artifacts)
}

/// The ecosystem whose publish question claims a path.
fn classify(path: &Path, display: &str) -> Result<Eco> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let publishing = || {
        ecosystem::ALL
            .iter()
            .filter_map(|e| Some((*e, e.publish()?)))
    };
    if let Some((eco, _)) = publishing().find(|(_, p)| p.claims(path, &name)) {
        return Ok(eco);
    }
    let forms: Vec<&str> = publishing().map(|(_, p)| p.publish_artifacts()).collect();
    let (title, what) = if path.is_dir() {
        ("Directory is not a package", "a directory that")
    } else {
        ("Unknown artifact type", "a file that")
    };
    Err(Failure::usage(
        title,
        format!(
            "input `packages`: {display} is {what} publish-check cannot read as a package: \
             it reads {}",
            forms.join(", ")
        ),
    )
    .with_fix("list only built artifacts in `packages`"))
}

fn short(digest: Option<&str>) -> String {
    match digest {
        None => "—".to_string(),
        Some(d) if d.len() > 28 => format!("{}…", &d[..27]),
        Some(d) => d.to_string(),
    }
}

/// What the registry's answer asks of the release job for one outcome.
fn next_version(outcome: &Outcome) -> Bump {
    outcome
        .ecosystem
        .publish()
        .map_or(Bump::Unknown, |p| p.next_version(&outcome.version))
}

/// Phase 4: outputs, the summary, and a guard failure for every conflict.
fn finish(outcomes: &[Outcome], if_published: IfPublished, runner: &mut Runner) -> Result<()> {
    let conflicts: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| match o.state {
            State::Different | State::OtherFiles => true,
            State::Identical => if_published == IfPublished::Fail,
            State::Absent => false,
        })
        .collect();
    set_outputs(outcomes, conflicts.is_empty(), runner)?;
    let unverified = outcomes.iter().any(|o| {
        o.provenance
            .as_ref()
            .is_some_and(|p| p.status == provenance::Status::Failed)
    });
    write_summary(
        outcomes,
        (conflicts.len(), unverified),
        if_published,
        runner,
    );
    let answers: Vec<(String, &Provenance)> = outcomes
        .iter()
        .filter_map(|o| o.provenance.as_ref().map(|p| (o.path.clone(), p)))
        .collect();
    if conflicts.is_empty() {
        provenance::report(&answers, runner)?;
    }
    let count = |s: State| outcomes.iter().filter(|o| o.state == s).count();
    if conflicts.is_empty() {
        runner.log(&format!(
            "{} artifact(s) to publish, {} already published identically",
            count(State::Absent),
            count(State::Identical)
        ));
        return Ok(());
    }
    Err(report_conflicts(&conflicts, runner))
}

fn set_outputs(outcomes: &[Outcome], no_conflicts: bool, runner: &mut Runner) -> Result<()> {
    let to_publish: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.state == State::Absent)
        .map(|o| o.path.as_str())
        .collect();
    let published = to_publish.is_empty() && no_conflicts;
    let json = serde_json::to_string(outcomes).map_err(anyhow::Error::from)?;
    runner.set_output("results", json);
    runner.set_output("to-publish", to_publish.join("\n"));
    let to_publish_json = serde_json::to_string(&to_publish).map_err(anyhow::Error::from)?;
    runner.set_output("to-publish-json", to_publish_json);
    runner.set_output("published", if published { "true" } else { "false" });
    Ok(())
}

/// `(conflicts, unverified)`: how many artifacts conflict, and whether provenance failed.
fn write_summary(
    outcomes: &[Outcome],
    (conflicts, unverified): (usize, bool),
    if_published: IfPublished,
    runner: &mut Runner,
) {
    let count = |s: State| outcomes.iter().filter(|o| o.state == s).count();
    let summary = runner.summary();
    summary.heading(
        2,
        &format!(
            "{} publish-check: {} to publish, {} already published, {} in conflict",
            if conflicts == 0 && !unverified {
                "✅"
            } else {
                "❌"
            },
            count(State::Absent),
            count(State::Identical),
            conflicts
        ),
    );
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            let action = match o.state {
                State::Absent => "publish".to_string(),
                State::Identical if if_published == IfPublished::Skip => "skip".to_string(),
                _ => next_version(o).action(&o.version),
            };
            vec![
                format!("`{}`", o.path),
                o.ecosystem.name().to_string(),
                o.name.clone(),
                o.version.clone(),
                o.state.label().to_string(),
                short(Some(&o.local_digest)),
                short(o.registry_digest.as_deref()),
                action,
            ]
        })
        .collect();
    summary.table(
        &[
            "Artifact",
            "Ecosystem",
            "Name",
            "Version",
            "State",
            "Local digest",
            "Registry digest",
            "Action",
        ],
        &rows,
    );
}

/// One annotation per conflict, and the guard failure that lists them.
fn report_conflicts(conflicts: &[&Outcome], runner: &mut Runner) -> Failure {
    let mut lines = Vec::new();
    for o in conflicts {
        let why = conflict_reason(o);
        let bump = next_version(o).fix(&o.name, &o.version);
        runner.annotate(
            Level::Error,
            Annotation::new(format!("{why}: {bump}"))
                .title(format!("{} {} is already published", o.name, o.version)),
        );
        lines.push(format!("- {} ({}): {why}", o.path, o.ecosystem.name()));
    }
    Failure::guard(
        "Version already published",
        format!(
            "{} artifact(s) cannot be published under their version:\n{}",
            conflicts.len(),
            lines.join("\n")
        ),
    )
    .with_fix(
        "a published version is immutable: bump the version (the step summary names each one) \
         and rebuild; never publish other bytes under a version consumers may already have",
    )
}

fn conflict_reason(o: &Outcome) -> String {
    match o.state {
        State::Different => format!(
            "{} {} is already in the registry with different bytes (registry {}, this build {})",
            o.name,
            o.version,
            o.registry_digest.as_deref().unwrap_or("?"),
            o.local_digest
        ),
        State::OtherFiles => format!(
            "{} {} is already on the index with other files ({}), none of them this build's {}",
            o.name,
            o.version,
            o.registry_files.join(", "),
            Path::new(&o.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
        _ => format!(
            "{} {} is already published (if-published: fail)",
            o.name, o.version
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecosystem::publish::check_url;

    #[test]
    fn suggests_the_next_version() {
        let next = |eco: &str, v: &str| {
            ecosystem::by_name(eco)
                .and_then(|e| e.publish())
                .map(|p| p.next_version(v))
                .unwrap()
        };
        let to = |v: &str| Bump::Next(v.to_string());
        assert_eq!(next("npm", "1.2.3"), to("1.2.4"));
        assert_eq!(next("go", "v0.4.0"), to("v0.4.1"));
        assert_eq!(next("cargo", "0.4.0"), to("0.4.1"));
        assert_eq!(next("npm", "1.2.3-rc.1"), Bump::Unknown);
        assert_eq!(next("python", "1.0"), to("1.0.1"));
        assert_eq!(next("python", "1.0rc1"), Bump::Unknown);
    }

    #[test]
    fn the_largest_patch_has_no_next_patch_in_any_ecosystem() {
        let max = u64::MAX;
        let higher = |v: &str| Bump::NoNextPatch(Some(v.to_string()));
        for eco in ["npm", "cargo", "python"] {
            let next = |v: &str| {
                ecosystem::by_name(eco)
                    .unwrap()
                    .publish()
                    .unwrap()
                    .next_version(v)
            };
            assert_eq!(next(&format!("1.2.{max}")), higher("1.3.0"), "{eco}");
            assert_eq!(next(&format!("1.{max}.{max}")), higher("2.0.0"), "{eco}");
            assert_eq!(
                next(&format!("{max}.{max}.{max}")),
                Bump::NoNextPatch(None),
                "{eco}"
            );
        }
        let go = ecosystem::by_name("go").unwrap().publish().unwrap();
        assert_eq!(go.next_version(&format!("v1.2.{max}")), higher("v1.3.0"));
        let python = ecosystem::by_name("python").unwrap().publish().unwrap();
        assert_eq!(
            python.next_version(&format!("1.{max}")),
            Bump::Next(format!("1.{max}.1"))
        );
        assert_eq!(
            python.next_version(&format!("1.2.3.{max}")),
            higher("1.2.4.0")
        );
        let hint = Bump::NoNextPatch(Some("1.3.0".into())).fix("x", "1.2.9");
        assert!(
            hint.contains("no next patch") && hint.contains("e.g. 1.3.0"),
            "{hint}"
        );
    }

    #[test]
    fn every_ecosystem_publishes_through_a_registry_input() {
        let urls = RegistryUrls::default();
        for eco in ecosystem::ALL {
            let publish = eco.publish().expect("every registered ecosystem publishes");
            assert!(urls.value_of(publish.registry_input()).is_some());
        }
    }

    #[test]
    fn a_registry_read_from_disk_gets_no_token() {
        assert!(asked_over_http("https://proxy.golang.org,direct"));
        assert!(asked_over_http("sparse+https://index.crates.io/"));
        assert!(!asked_over_http(
            "file:///srv/proxy,https://proxy.golang.org"
        ));
        assert!(!asked_over_http("off"));
    }

    #[test]
    fn registry_urls_carry_no_credentials() {
        assert!(check_url("npm-registry", "https://r.example/", false).is_ok());
        let err = check_url("npm-registry", "https://u:p@r.example/", false).unwrap_err();
        assert!(err.message.contains("credentials") && err.exit_code() == 2);
        assert!(check_url("goproxy", "file:///tmp/p", false).is_err());
        assert!(check_url("goproxy", "file:///tmp/p", true).is_ok());
    }
}
