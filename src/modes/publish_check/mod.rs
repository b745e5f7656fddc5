//! The publish-check mode: before a release job publishes, ask each registry whether this exact
//! artifact is already there, so the job is safe to re-run.
//!
//! For every built artifact in `packages` the name and version are read from the artifact itself
//! (package.json, METADATA / PKG-INFO, go.mod and the zip prefix), the registry is asked, and the
//! artifact is `absent` (publish it), `identical` (already published, byte for byte: skip it) or
//! `different` (the registry holds other bytes under the same version: fail, bump the version).
//! A PyPI version that exists with none of our file names is `other-files`, a conflict too.
//!
//! Only a registry's own "not found" (HTTP 404, and 410 for a GOPROXY; a missing file in a
//! `file://` GOPROXY) means absent. A registry that cannot be reached, refuses the credentials or
//! answers something unreadable stops the run with exit 2 and no outputs: guessing "absent" would
//! publish over a version, guessing "identical" would skip a release.
//!
//! Each ecosystem lives in its own submodule with the same two steps: `local` (read the
//! artifact) and `query` (ask the registry and decide).

mod go;
mod npm;
mod pypi;

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest as _, Sha256, Sha512};

use crate::error::{Failure, Result};
use crate::fetch::{self, Fetcher, RemoteOptions};
use crate::modes::smoke_install::packages::expand_local;

/// The ecosystems publish-check queries. It still matches on them instead of going through
/// [`crate::ecosystem::Ecosystem`] (it landed beside the contract, not on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ecosystem {
    Npm,
    Python,
    Go,
}

impl Ecosystem {
    pub fn name(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::Python => "python",
            Ecosystem::Go => "go",
        }
    }
}
use crate::modes::OutputSpec;
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
    /// module `.zip` a Go module.
    #[arg(long, value_name = "PATHS")]
    pub packages: Option<String>,

    /// What an artifact already in the registry means: skip (an identical one needs nothing) or
    /// fail (any published version fails the step).
    #[arg(long, value_enum, default_value = "skip")]
    pub if_published: IfPublished,

    /// The version of the Go module directories in `packages` (a directory carries none; a module
    /// zip names its own): version-guard's `go-version`.
    #[arg(long, value_name = "VERSION")]
    pub go_version: Option<String>,

    /// The npm registry the tarballs are published to.
    #[arg(long, default_value = crate::ecosystem::npm::DEFAULT_REGISTRY, value_name = "URL")]
    pub npm_registry: String,

    /// The simple index (PEP 503/691) the Python distributions are uploaded to.
    #[arg(long, default_value = crate::ecosystem::pypi::DEFAULT_INDEX, value_name = "URL")]
    pub pypi_index: String,

    /// The GOPROXY the Go modules are served from: the first http(s) or file:// entry of a comma
    /// or pipe separated list.
    #[arg(long, default_value = crate::ecosystem::go::DEFAULT_GOPROXY, value_name = "URL")]
    pub goproxy: String,

    /// Token for the registries. Defaults: NODE_AUTH_TOKEN for the npm registry;
    /// PKG_GITHUB_COM_TOKEN, else GITHUB_TOKEN, for GitHub hosts only. Sent only to the origin of
    /// each registry.
    #[arg(long, value_name = "TOKEN")]
    pub registry_token: Option<String>,

    /// Retries after the first attempt on connection errors, timeouts, 5xx, 408 and 429.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub retries: u32,

    /// Per-request timeout in seconds (connect, headers and body).
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
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
        name: "published",
        description: "true when nothing is left to publish (every artifact is already in the registry, identical), else false.",
    },
];

/// What the registry holds for one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Not in the registry: publish it.
    Absent,
    /// In the registry with the same bytes (the same digest).
    Identical,
    /// The same version is in the registry with other bytes.
    Different,
    /// PyPI: the version is on the index, but with none of this build's file names.
    OtherFiles,
}

impl State {
    /// As `results` spells it.
    fn name(self) -> &'static str {
        match self {
            State::Absent => "absent",
            State::Identical => "identical",
            State::Different => "different",
            State::OtherFiles => "other-files",
        }
    }

    fn label(self) -> &'static str {
        match self {
            State::Absent => "🆕 absent",
            State::Identical => "✅ identical",
            State::Different => "❌ different",
            State::OtherFiles => "❌ other files",
        }
    }
}

/// An artifact as found on disk, before it is read.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub path: PathBuf,
    /// The path as written (relative to the working directory): what `to-publish` lists.
    pub display: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NpmTarball,
    Wheel,
    Sdist,
    GoDir,
    GoZip,
}

impl Kind {
    fn ecosystem(self) -> Ecosystem {
        match self {
            Kind::NpmTarball => Ecosystem::Npm,
            Kind::Wheel | Kind::Sdist => Ecosystem::Python,
            Kind::GoDir | Kind::GoZip => Ecosystem::Go,
        }
    }
}

/// What an artifact says about itself.
#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub version: String,
    /// `sha512-…` (npm), `sha256:<hex>` (Python), `h1:…` of the module zip (Go).
    pub digest: String,
    /// Go: the `h1:` of go.mod, as go.sum holds it.
    pub go_mod_digest: Option<String>,
    /// Python: the file name the index will list.
    pub file_name: String,
    /// Digests of the artifact file (npm, Python).
    pub sha256: Option<[u8; 32]>,
    pub sha512: Option<[u8; 64]>,
}

/// What the registry said.
#[derive(Debug, Clone)]
pub struct Remote {
    pub state: State,
    /// The document asked (packument, simple page, `.info`).
    pub url: String,
    pub digest: Option<String>,
    pub go_mod_digest: Option<String>,
    /// Python: files of this version on the index.
    pub version_files: Vec<String>,
}

/// One line of `results`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Outcome {
    pub path: String,
    pub ecosystem: Ecosystem,
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
}

pub fn run(args: Args, runner: &mut Runner) -> Result<()> {
    // Before anything quotes a URL or connects anywhere.
    for (input, value) in [
        ("npm-registry", args.npm_registry.as_str()),
        ("pypi-index", args.pypi_index.as_str()),
        ("goproxy", args.goproxy.as_str()),
    ] {
        fetch::refuse_url_userinfo(input, value)?;
    }
    let artifacts = resolve(&args, &std::env::current_dir()?)?;
    let options = RemoteOptions {
        retries: args.retries,
        timeout: args.timeout,
        registry_token: args.registry_token.clone(),
        registries: crate::ecosystem::RegistryUrls {
            npm_registry: args.npm_registry.clone(),
            pypi_index: args.pypi_index.clone(),
            goproxy: args.goproxy.clone(),
            ..crate::ecosystem::RegistryUrls::default()
        },
        ..RemoteOptions::default()
    };
    // Every input is checked before the first request.
    let has = |e: Ecosystem| artifacts.iter().any(|a| a.kind.ecosystem() == e);
    if has(Ecosystem::Npm) {
        check_url("npm-registry", &options.registries.npm_registry, false)?;
    }
    if has(Ecosystem::Python) {
        check_url("pypi-index", &options.registries.pypi_index, false)?;
    }
    let goproxy = if has(Ecosystem::Go) {
        Some(go::proxy(&options.registries.goproxy)?)
    } else {
        None
    };
    let go_version = args
        .go_version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());

    let mut locals = Vec::new();
    for artifact in &artifacts {
        let local = runner.phase("inspect", |r| {
            let local = match artifact.kind {
                Kind::NpmTarball => npm::local(artifact),
                Kind::Wheel | Kind::Sdist => pypi::local(artifact),
                Kind::GoDir | Kind::GoZip => go::local(artifact, go_version),
            }?;
            r.log(&format!(
                "{} is {} {} ({})",
                artifact.display, local.name, local.version, local.digest
            ));
            Ok(local)
        })?;
        locals.push(local);
    }

    let fetcher = Fetcher::from_options(&options, runner)?;
    let mut remotes = Vec::new();
    for (artifact, local) in artifacts.iter().zip(&locals) {
        let ecosystem = artifact.kind.ecosystem();
        let remote = match ecosystem {
            Ecosystem::Npm => npm::query(&fetcher, &options, local),
            Ecosystem::Python => pypi::query(&fetcher, &options, local),
            Ecosystem::Go => go::query(
                &fetcher,
                &options,
                goproxy.as_ref().expect("checked above"),
                local,
            ),
        }
        .map_err(|f| unreachable_registry(f, ecosystem, local))?;
        fetcher.log(&format!(
            "{} {}@{}: {} ({})",
            ecosystem.name(),
            local.name,
            local.version,
            remote.state.name(),
            remote.url
        ));
        remotes.push(remote);
    }
    pypi::other_files(&artifacts, &locals, &mut remotes);

    let outcomes: Vec<Outcome> = artifacts
        .iter()
        .zip(locals)
        .zip(remotes)
        .map(|((artifact, local), remote)| Outcome {
            path: artifact.display.clone(),
            ecosystem: artifact.kind.ecosystem(),
            name: local.name,
            version: local.version,
            state: remote.state,
            local_digest: local.digest,
            registry_digest: remote.digest,
            local_go_mod_digest: local.go_mod_digest,
            registry_go_mod_digest: remote.go_mod_digest,
            registry_url: remote.url,
            registry_files: remote.version_files,
        })
        .collect();
    finish(&outcomes, args.if_published, runner)
}

/// A registry that could not answer the question: exit 2, whatever the fetch layer called it
/// (it calls a refused request a guard failure, which here would read as "different").
fn unreachable_registry(failure: Failure, ecosystem: Ecosystem, local: &Local) -> Failure {
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

/// An http(s) registry URL (or, for a GOPROXY, `file://`), without credentials in it.
pub fn check_url(input: &str, raw: &str, allow_file: bool) -> Result<reqwest::Url> {
    // Before anything can echo the value.
    fetch::refuse_url_userinfo(input, raw)?;
    let bad = |why: &str| {
        Failure::usage(
            format!("Invalid `{input}`"),
            format!("input `{input}`: {raw:?} {why}"),
        )
        .with_fix(format!(
            "set `{input}` to the registry's base URL, with any token in `registry-token`"
        ))
    };
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    let scheme_ok =
        matches!(url.scheme(), "https" | "http") || (allow_file && url.scheme() == "file");
    if !scheme_ok {
        return Err(bad(if allow_file {
            "is not an http(s) or file:// URL"
        } else {
            "is not an http(s) URL"
        }));
    }
    Ok(url)
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
        .with_fix("set `packages`, e.g. `dist/*.tgz`, `dist/*.whl`, `dist/*.tar.gz` or the directory of a Go module"));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut artifacts = Vec::new();
    for item in &items {
        if fetch::Source::parse(item).is_some() {
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
            let kind = classify(&path, &display)?;
            artifacts.push(Artifact {
                path,
                display,
                kind,
            });
        }
    }
    Ok(artifacts)
}

fn classify(path: &Path, display: &str) -> Result<Kind> {
    if path.is_dir() {
        if path.join("go.mod").is_file() {
            return Ok(Kind::GoDir);
        }
        return Err(Failure::usage(
            "Directory is not a Go module",
            format!("input `packages`: {display} is a directory without a go.mod"),
        )
        .with_fix("list npm tarballs, wheels, sdists, Go module directories or module zips"));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".tgz") {
        Ok(Kind::NpmTarball)
    } else if name.ends_with(".whl") {
        Ok(Kind::Wheel)
    } else if name.ends_with(".tar.gz") {
        Ok(Kind::Sdist)
    } else if name.ends_with(".zip") {
        Ok(Kind::GoZip)
    } else {
        Err(Failure::usage(
            "Unknown artifact type",
            format!(
                "input `packages`: {display} is not an npm tarball (*.tgz), a wheel (*.whl), a \
                 Python sdist (*.tar.gz), a Go module zip (*.zip) or a directory with a go.mod"
            ),
        )
        .with_fix("list only built artifacts in `packages`"))
    }
}

/// sha256 and sha512 of a file, read once.
pub fn file_digests(path: &Path, display: &str) -> Result<([u8; 32], [u8; 64])> {
    let mut file = std::fs::File::open(path).map_err(|e| {
        Failure::usage("Cannot read an artifact", format!("{display}: {e}"))
            .with_fix("build the artifacts before this step")
    })?;
    let mut sha256 = Sha256::new();
    let mut sha512 = Sha512::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| Failure::usage("Cannot read an artifact", format!("{display}: {e}")))?;
        if n == 0 {
            break;
        }
        sha256.update(&buf[..n]);
        sha512.update(&buf[..n]);
    }
    Ok((sha256.finalize().into(), sha512.finalize().into()))
}

/// An artifact that cannot be read as what its name says: a usage error naming it.
pub fn bad_artifact(display: &str, why: impl std::fmt::Display) -> Failure {
    Failure::usage(
        "Unreadable artifact",
        format!("input `packages`: {display}: {why}"),
    )
    .with_fix("rebuild the artifact; publish-check reads name and version from it")
}

/// A version after `version` to suggest in the fix: the next patch (npm, Go) or the next
/// release segment (PEP 440).
fn next_version(ecosystem: Ecosystem, version: &str) -> Option<String> {
    match ecosystem {
        Ecosystem::Npm | Ecosystem::Go => {
            let bare = version.strip_prefix('v').unwrap_or(version);
            let v = semver::Version::parse(bare).ok()?;
            let next = if v.pre.is_empty() {
                semver::Version::new(v.major, v.minor, v.patch + 1)
            } else {
                return None;
            };
            Some(if ecosystem == Ecosystem::Go {
                format!("v{next}")
            } else {
                next.to_string()
            })
        }
        Ecosystem::Python => {
            let v: pep440_rs::Version = version.parse().ok()?;
            if v.is_pre() || v.is_dev() || v.is_post() || v.is_local() {
                return None;
            }
            let mut release = v.release().to_vec();
            while release.len() < 3 {
                release.push(0);
            }
            *release.last_mut()? += 1;
            Some(
                release
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join("."),
            )
        }
    }
}

fn short(digest: Option<&str>) -> String {
    match digest {
        None => "—".to_string(),
        Some(d) if d.len() > 28 => format!("{}…", &d[..27]),
        Some(d) => d.to_string(),
    }
}

fn finish(outcomes: &[Outcome], if_published: IfPublished, runner: &mut Runner) -> Result<()> {
    let to_publish: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.state == State::Absent)
        .map(|o| o.path.as_str())
        .collect();
    let conflicts: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| match o.state {
            State::Different | State::OtherFiles => true,
            State::Identical => if_published == IfPublished::Fail,
            State::Absent => false,
        })
        .collect();
    let published = to_publish.is_empty() && conflicts.is_empty();
    let json = serde_json::to_string(outcomes).map_err(anyhow::Error::from)?;
    runner.set_output("results", json);
    runner.set_output("to-publish", to_publish.join("\n"));
    runner.set_output("published", if published { "true" } else { "false" });

    let count = |s: State| outcomes.iter().filter(|o| o.state == s).count();
    let summary = runner.summary();
    summary.heading(
        2,
        &format!(
            "{} publish-check: {} to publish, {} already published, {} in conflict",
            if conflicts.is_empty() { "✅" } else { "❌" },
            count(State::Absent),
            count(State::Identical),
            conflicts.len()
        ),
    );
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            let action = match o.state {
                State::Absent => "publish".to_string(),
                State::Identical if if_published == IfPublished::Skip => "skip".to_string(),
                _ => match next_version(o.ecosystem, &o.version) {
                    Some(next) => format!("bump the version (e.g. {next})"),
                    None => format!("bump the version past {}", o.version),
                },
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

    if conflicts.is_empty() {
        runner.log(&format!(
            "{} artifact(s) to publish, {} already published identically",
            count(State::Absent),
            count(State::Identical)
        ));
        return Ok(());
    }
    let mut lines = Vec::new();
    for o in &conflicts {
        let why = match o.state {
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
        };
        let bump = match next_version(o.ecosystem, &o.version) {
            Some(next) => format!("bump {} past {} (e.g. {next})", o.name, o.version),
            None => format!("bump {} past {}", o.name, o.version),
        };
        runner.annotate(
            Level::Error,
            Annotation::new(format!("{why}: {bump}"))
                .title(format!("{} {} is already published", o.name, o.version)),
        );
        lines.push(format!("- {} ({}): {why}", o.path, o.ecosystem.name()));
    }
    Err(Failure::guard(
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
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_next_version() {
        assert_eq!(
            next_version(Ecosystem::Npm, "1.2.3").as_deref(),
            Some("1.2.4")
        );
        assert_eq!(
            next_version(Ecosystem::Go, "v0.4.0").as_deref(),
            Some("v0.4.1")
        );
        assert_eq!(next_version(Ecosystem::Npm, "1.2.3-rc.1"), None);
        assert_eq!(
            next_version(Ecosystem::Python, "1.0").as_deref(),
            Some("1.0.1")
        );
        assert_eq!(next_version(Ecosystem::Python, "1.0rc1"), None);
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
