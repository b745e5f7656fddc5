//! The smoke-install mode: installs built packages (npm tarballs, Python wheels, Go modules) into
//! a fresh isolated consumer project, the way a user would, and proves every entry point loads at
//! the expected version. Nothing is fetched from a public registry: dependencies come only from
//! the `registry` input, otherwise any lookup fails loudly.
//!
//! A `packages` entry may also be remote (a URL, `oci://`, `npm:`, `pypi:`, `go:`): the `fetch`
//! phase downloads it with [`crate::fetch`] (retries, integrity, credentials, `check-registry`,
//! `check-cache`) into a temp directory under `RUNNER_TEMP`, and from then on it is smoked like a
//! local artifact. Every fetch happens before any install: a download that fails stops the run
//! with nothing installed.
//!
//! Each ecosystem lives in its own folder under `src/ecosystem/` and goes through the same
//! phases, reached through [`crate::ecosystem::Ecosystem`]: `inspect` (read the artifact without
//! unpacking it), `install`, `load` (import every entry point) and `version`. A failed check does not stop the run: every package is smoked and every failure
//! reported, then the run exits 1.

pub(crate) mod packages;

use crate::runner::summary::{code, text};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::ecosystem::provenance::{self, Gate, Provenance, ProvenanceArgs};
use crate::ecosystem::remote::{self, RemoteOptions, Source};
use crate::ecosystem::smoke::{FetchReport, Outcome, Package, PackageManager, Plan, Report};
use crate::ecosystem::{self, Eco};
use crate::error::{Failure, Kind, Result};
use crate::fetch::{self, Fetcher};
use crate::runner::outputs::OutputSpec;
use crate::runner::{confine, inputs, sandbox, Runner};
pub use packages::Entry;
use packages::ExpectedVersion;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Packages to smoke: paths or globs, separated by newlines or commas. `*.tgz` is npm, `*.whl`
    /// is Python, a directory with a go.mod or a module `.zip` is Go. An entry may also be remote:
    /// `https://…/file.tgz`, `oci://host/name:tag` (or `@sha256:…`), `npm:name@version`,
    /// `pypi:name==version`, `go:module@version`.
    #[arg(long, value_name = "PATHS")]
    pub packages: Option<String>,

    /// Which ecosystem the packages are: auto (from the file name), npm, python, go or cargo.
    #[arg(long, value_parser = ecosystem::parse_choice, default_value = "auto")]
    pub ecosystem: ecosystem::Choice,

    /// The version every package must install at (npm semver, PEP 440, or a Go `v` version).
    #[arg(long, value_name = "VERSION")]
    pub expected_version: Option<String>,

    /// version-guard's `versions` JSON: gives each ecosystem its version (`npm-version`,
    /// `pypi-version`, `go-version`). Use instead of `expected-version`.
    #[arg(long, value_name = "JSON")]
    pub versions: Option<String>,

    /// Entry points to load instead of all of them: npm specifiers or `./subpaths`, Python
    /// modules, Go package import paths (newlines or commas).
    #[arg(long, value_name = "LIST")]
    pub imports: Option<String>,

    /// The npm client that installs tarballs: pnpm or npm.
    #[arg(long, value_enum, default_value = "pnpm")]
    pub package_manager: PackageManager,

    /// A private registry for dependencies (npm registry URL, PyPI simple index URL or GOPROXY
    /// URL). Without it the install is fully offline.
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,

    /// Where and how remote entries are fetched.
    #[command(flatten)]
    pub remote: RemoteOptions,

    /// The attestation gate for registry entries (`npm:`, `pypi:`): `provenance`,
    /// `provenance-identity`, `provenance-issuer`, `trusted-root`.
    #[command(flatten)]
    pub provenance: ProvenanceArgs,

    /// On pull requests, explain a failure in one comment (`comment-on-pr`, `token`).
    #[command(flatten)]
    pub comment: crate::modes::pr_comment::CommentArgs,
}

pub const OUTPUTS: &[OutputSpec] = &[
    OutputSpec {
        name: "passed",
        description: "true when every package installed and every entry point loaded at the expected version, else false.",
    },
    OutputSpec {
        name: "results",
        description: "JSON array: per package its ecosystem, name, expected version, outcome, duration and every check (entry point, check, outcome, duration, error); for a remote entry also what was fetched from where, what was verified, the registry checks, the cache timings and its provenance.",
    },
    OutputSpec {
        name: "provenance",
        description: "JSON object: per npm or PyPI registry entry (as written) verified, none or failed (the attestation gate; unset with `provenance: off` or without registry entries).",
    },
];

/// The inputs, checked once: entries resolved (local ones classified, remote ones parsed), the
/// expected-version source read, the remote options checked. Nothing is fetched yet.
struct Inputs {
    entries: Vec<Entry>,
    /// The remote entries, in order (one fetched package each).
    remote: Vec<Source>,
    expected: ExpectedVersion,
    /// `imports`: explicit entry points, empty for all of them.
    imports: Vec<String>,
    /// `registry` as given (checked against the packages' ecosystems once they are known).
    registry: Option<String>,
    package_manager: PackageManager,
    ecosystem: Option<Eco>,
    options: RemoteOptions,
}

impl Inputs {
    fn from_args(mut args: Args, workflow_ref: Option<&str>) -> Result<Inputs> {
        // Before anything quotes an entry or connects anywhere.
        let own = [
            ("packages", args.packages.as_deref()),
            ("registry", args.registry.as_deref()),
        ];
        let registries = args.remote.registries.inputs();
        for (input, value) in own
            .into_iter()
            .chain(registries.into_iter().map(|(i, v)| (i, Some(v))))
        {
            fetch::refuse_url_userinfo(input, value.unwrap_or_default())?;
        }
        let entries = packages::resolve(
            args.packages.as_deref(),
            args.ecosystem.0,
            &std::env::current_dir()?,
        )?;
        let remote: Vec<Source> = entries
            .iter()
            .filter_map(|e| match e {
                Entry::Remote(source) => Some(source.clone()),
                Entry::Local(_) => None,
            })
            .collect();
        // Everything that can be checked before a download is checked before it.
        let known: BTreeSet<Eco> = entries
            .iter()
            .filter_map(|e| match e {
                Entry::Local(p) => Some(p.ecosystem),
                Entry::Remote(source) => source.ecosystem(),
            })
            .collect();
        let expected = ExpectedVersion::from_inputs(
            args.expected_version.as_deref(),
            args.versions.as_deref(),
        )?;
        expected.for_ecosystems(&known)?;
        check_remote_inputs(&args.remote, remote.len())?;
        // The gate (and its identity) only for registry entries that can carry provenance.
        if remote
            .iter()
            .any(|s| s.ecosystem().is_some_and(|e| e.has_provenance()))
        {
            args.remote.gate = Gate::from_args(&args.provenance, workflow_ref)?;
        }
        args.remote.check_registry_token(
            args.registry.as_deref().filter(|r| !r.trim().is_empty()),
            &remote,
        )?;
        Ok(Inputs {
            entries,
            remote,
            expected,
            imports: args
                .imports
                .as_deref()
                .map(inputs::list)
                .unwrap_or_default(),
            registry: args
                .registry
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string),
            package_manager: args.package_manager,
            ecosystem: args.ecosystem.0,
            options: args.remote,
        })
    }
}

/// What the packages need besides themselves, decided once every package is known.
struct Setup {
    versions: packages::Versions,
    registry: Option<String>,
}

pub fn run(args: Args, runner: &mut Runner) -> Result<()> {
    let comment = args.comment.clone();
    let scope = args.packages.clone().unwrap_or_default();
    crate::modes::pr_comment::run_commenting("smoke-install", &scope, &comment, runner, |runner| {
        check(args, runner)
    })
}

fn check(args: Args, runner: &mut Runner) -> Result<()> {
    let mut inputs = Inputs::from_args(args, runner.env().workflow_ref.as_deref())?;
    // Downloads live in one temp dir under RUNNER_TEMP, removed when the run ends.
    let downloads = if inputs.remote.is_empty() {
        None
    } else {
        Some(sandbox::Sandbox::new("fetch")?)
    };
    let fetched = match &downloads {
        None => Vec::new(),
        Some(dir) => {
            let fetched = runner.phase("fetch", |r| fetch_all(&inputs, dir.path(), r));
            match fetched {
                Ok(f) => f,
                Err(failure) => {
                    // The check ran and the registry said no: nothing was installed.
                    if failure.kind == Kind::Guard {
                        runner.set_output("passed", "false");
                    }
                    return Err(failure);
                }
            }
        }
    };
    // Nothing unverified is installed: the gate's failure stops the run before package code.
    let answers = match gate(&fetched, runner) {
        Ok(answers) => answers,
        Err(failure) => {
            runner.set_output("passed", "false");
            return Err(failure);
        }
    };
    let packages = with_fetched(std::mem::take(&mut inputs.entries), fetched);
    let setup = set_up(&inputs, &packages)?;
    let inspected = inspect_all(&inputs, &packages, &setup, runner)?;
    let reports = smoke_all(&inputs, &packages, &setup, inspected, runner)?;
    warn_if_unconfined(runner);
    let result = finish(reports, runner);
    report(&answers, runner)?;
    result
}

/// The attestation gate's answers for the fetched registry packages. When one failed: the
/// summary section, the `provenance` output and exit 1, before anything is installed; else the
/// answers, reported after the smoke-install table.
fn gate(fetched: &[Package], runner: &mut Runner) -> Result<Vec<(String, Provenance)>> {
    let answers: Vec<(String, Provenance)> = fetched
        .iter()
        .filter_map(|p| {
            let f = p.fetched.as_ref()?;
            Some((f.source.clone(), f.provenance.as_deref()?.clone()))
        })
        .collect();
    if answers
        .iter()
        .any(|(_, p)| p.status == provenance::Status::Failed)
    {
        report(&answers, runner)?;
    }
    Ok(answers)
}

fn report(answers: &[(String, Provenance)], runner: &mut Runner) -> Result<()> {
    let refs: Vec<(String, &Provenance)> = answers.iter().map(|(a, p)| (a.clone(), p)).collect();
    provenance::report(&refs, runner)
}

/// Package code ran without the namespaces of `runner::confine`: said where it is seen, with the
/// limit named, since the step's success then proves less.
fn warn_if_unconfined(runner: &mut Runner) {
    if let Some(confine::Isolation::Unavailable(why)) = confine::decided() {
        runner.warning(&format!(
            "Package code ran without file-system isolation ({why}). It could write files the \
             runner or a later step reads (GITHUB_ENV, GITHUB_PATH, GITHUB_OUTPUT, the workspace) \
             and see the step's other processes. Run smoke-install where unprivileged user \
             namespaces are allowed (GitHub's ubuntu-22.04 runners; on ubuntu-24.04 run \
             `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` first), and never \
             after a step that leaves a credential on disk."
        ));
    }
}

/// The packages in `packages` order: local entries as they are, remote ones as fetched.
fn with_fetched(entries: Vec<Entry>, fetched: Vec<Package>) -> Vec<Package> {
    let mut fetched = fetched.into_iter();
    entries
        .into_iter()
        .map(|e| match e {
            Entry::Local(p) => p,
            Entry::Remote(_) => fetched.next().expect("one package per remote entry"),
        })
        .collect()
}

/// Every package's expected version, the `registry` checked, and the tools each ecosystem needs.
fn set_up(inputs: &Inputs, packages: &[Package]) -> Result<Setup> {
    let ecosystems: BTreeSet<Eco> = packages.iter().map(|p| p.ecosystem).collect();
    let setup = Setup {
        versions: inputs.expected.for_ecosystems(&ecosystems)?,
        registry: inputs
            .registry
            .as_deref()
            .map(|r| packages::registry(r, packages))
            .transpose()?,
    };
    for ecosystem in &ecosystems {
        ecosystem.require_tools(&plan_for(inputs, &setup, packages, *ecosystem, Vec::new()))?;
    }
    Ok(setup)
}

/// The plan for one ecosystem's packages, with `imports` its entry points.
fn plan_for(
    inputs: &Inputs,
    setup: &Setup,
    packages: &[Package],
    ecosystem: Eco,
    imports: Vec<String>,
) -> Plan {
    Plan {
        registry: setup.registry.clone(),
        registry_token: None,
        package_manager: inputs.package_manager,
        imports,
        siblings: packages
            .iter()
            .filter(|p| p.ecosystem == ecosystem)
            .map(|p| p.path.clone())
            .collect(),
    }
}

/// Inspects every package first: a bad `imports` entry is a usage error before any install runs.
fn inspect_all(
    inputs: &Inputs,
    packages: &[Package],
    setup: &Setup,
    runner: &mut Runner,
) -> Result<Vec<(Eco, Box<dyn ecosystem::Inspected>)>> {
    let mut inspected = Vec::new();
    for package in packages {
        let expected = setup.versions.for_ecosystem(package.ecosystem).to_string();
        let phase = format!("{}-inspect", package.ecosystem.name());
        let item = runner.phase(&phase, |r| package.ecosystem.inspect(package, &expected, r))?;
        inspected.push((package.ecosystem, item));
    }
    let mut unclaimed: Vec<&String> = inputs.imports.iter().collect();
    for (_, item) in &inspected {
        unclaimed.retain(|entry| !item.claims(entry));
    }
    if let Some(entry) = unclaimed.first() {
        return Err(Failure::usage(
            "Unknown entry point in `imports`",
            format!(
                "input `imports`: {entry:?} is not an entry point of any package given in `packages` ({})",
                ecosystem::ALL
                    .iter()
                    .map(|e| format!("{}: {}", e.label(), e.entry_points()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )
        .with_fix("name an entry point of one of the packages, or leave `imports` empty to load all of them"));
    }
    Ok(inspected)
}

/// Installs and loads every inspected package; a failed check is reported, not returned.
fn smoke_all(
    inputs: &Inputs,
    packages: &[Package],
    setup: &Setup,
    inspected: Vec<(Eco, Box<dyn ecosystem::Inspected>)>,
    runner: &mut Runner,
) -> Result<Vec<Report>> {
    let mut reports = Vec::new();
    for (ecosystem, item) in inspected {
        let registry_token = registry_token(&inputs.options, setup.registry.as_deref(), ecosystem)?;
        if let Some(token) = &registry_token {
            runner.mask(token);
        }
        let imports = inputs
            .imports
            .iter()
            .filter(|e| item.claims(e))
            .cloned()
            .collect();
        let mut plan = plan_for(inputs, setup, packages, ecosystem, imports);
        plan.registry_token = registry_token;
        let start = Instant::now();
        let mut report = item.smoke(&plan, runner)?;
        report.duration_ms = start.elapsed();
        report.passed = report.healthy();
        reports.push(report);
    }
    Ok(reports)
}

/// `sha256` and `integrity` pin one artifact: they need exactly one remote entry.
fn check_remote_inputs(opts: &RemoteOptions, remote: usize) -> Result<()> {
    let pinned = [("sha256", &opts.sha256), ("integrity", &opts.integrity)]
        .into_iter()
        .find_map(|(name, v)| v.as_ref().map(|_| name));
    if let Some(input) = pinned {
        if remote != 1 {
            return Err(Failure::invalid_input(
                input,
                format!(
                    "pins the digest of one remote artifact, but `packages` has {remote} remote entries (URLs, oci://, {})",
                    ecosystem::all_prefixes()
                ),
                format!(
                    "smoke one remote entry per step when you pin its digest, or remove `{input}` (oci:// and {} entries are verified against their registry anyway)",
                    ecosystem::all_prefixes()
                ),
            ));
        }
    }
    opts.expected()?;
    Ok(())
}

/// Fetches every remote entry into its own directory under `dir`, in the `fetch` phase.
fn fetch_all(inputs: &Inputs, dir: &Path, runner: &mut Runner) -> Result<Vec<Package>> {
    let runner: &Runner = runner;
    let fetcher = Fetcher::from_options(&inputs.options, runner)?;
    let mut packages = Vec::new();
    for (i, source) in inputs.remote.iter().enumerate() {
        let display = source.display();
        runner.log(&format!("fetching {display}"));
        let start = Instant::now();
        let fetched = remote::fetch_with(
            &fetcher,
            source,
            &inputs.options,
            &dir.join(format!("entry-{i}")),
        )
        .map_err(|f| f.prefixed(format!("input `packages`: {display}: ")))?;
        let report = FetchReport::new(&fetched, start.elapsed());
        for line in &report.lines {
            runner.log(line);
        }
        let ecosystem = packages::classify_fetched(&fetched, inputs.ecosystem)?;
        let local_registry = match &fetched.kind {
            remote::ArtifactKind::Package { local_registry, .. } => local_registry.clone(),
            remote::ArtifactKind::File => None,
        };
        packages.push(Package {
            path: fetched.path.clone(),
            display,
            ecosystem,
            local_registry,
            fetched: Some(report),
        });
    }
    Ok(packages)
}

/// The token for the `registry` input: `registry-token`, else NODE_AUTH_TOKEN for npm, else
/// PKG_GITHUB_COM_TOKEN (then GITHUB_TOKEN) when the registry is a GitHub host — the same rule as
/// for remote entries ([`RemoteOptions::token_for`]), so a token named for GitHub never reaches
/// another host. It goes into files inside the sandbox's HOME, where each tool reads credentials,
/// so it must be one line without spaces: anything else could inject settings into those files.
fn registry_token(
    remote: &RemoteOptions,
    registry: Option<&str>,
    ecosystem: Eco,
) -> Result<Option<String>> {
    let Some(registry) = registry else {
        return Ok(None);
    };
    let Some(host) = url::Url::parse(registry)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
    else {
        return Ok(None);
    };
    let token = remote.token_for(None, &host, ecosystem.token_variable());
    if let Some(t) = &token {
        if t.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '#')
        {
            return Err(Failure::usage(
                "Invalid registry token",
                format!(
                    "the token for the registry {host} contains spaces, control characters or `#`, \
                     which cannot be written into .npmrc or .netrc (the value is not shown)"
                ),
            )
            .with_fix("check `registry-token` (or NODE_AUTH_TOKEN / PKG_GITHUB_COM_TOKEN) holds only the token"));
        }
    }
    Ok(token)
}

fn format_duration(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

fn finish(reports: Vec<Report>, runner: &mut Runner) -> Result<()> {
    let passed = reports.iter().all(|r| r.passed);
    let json = serde_json::to_string(&reports).map_err(anyhow::Error::from)?;
    runner.set_output("passed", if passed { "true" } else { "false" });
    runner.set_output("results", json);

    let summary = runner.summary();
    summary.heading(
        2,
        &format!(
            "{} smoke-install: {} of {} package(s) passed",
            if passed { "✅" } else { "❌" },
            reports.iter().filter(|r| r.passed).count(),
            reports.len()
        ),
    );
    for report in &reports {
        summary.heading(
            3,
            &format!(
                "{} {} {} {} ({}, {})",
                if report.passed { "✅" } else { "❌" },
                code(&report.package),
                if report.name.is_empty() {
                    "".to_string()
                } else {
                    format!("· {}", text(&report.name))
                },
                text(&report.expected_version),
                report.ecosystem.name(),
                format_duration(report.duration_ms)
            ),
        );
        let rows: Vec<Vec<String>> = report
            .checks
            .iter()
            .map(|c| {
                vec![
                    text(&c.entry_point),
                    text(&c.check),
                    c.outcome.label().to_string(),
                    format_duration(c.duration_ms),
                    c.error
                        .as_deref()
                        .map(|e| text(&excerpt(e, 8)))
                        .unwrap_or_default(),
                ]
            })
            .collect();
        if let Some(fetched) = &report.fetched {
            let lines: String = fetched
                .lines
                .iter()
                .map(|l| format!("- {}\n", text(&l.replace(['\r', '\n'], " "))))
                .collect();
            summary.raw(&format!("{lines}\n"));
        }
        summary.table(
            &["Entry point", "Check", "Outcome", "Duration", "Error"],
            &rows,
        );
    }

    if passed {
        runner.log(&format!(
            "{} package(s) installed and loaded at the expected version",
            reports.len()
        ));
        return Ok(());
    }
    Err(failure(&reports))
}

/// The guard failure: every failed check with its error for the annotation, a pointer to the
/// tables for the summary (which already shows them).
fn failure(reports: &[Report]) -> Failure {
    let mut lines = Vec::new();
    for report in reports {
        for check in report
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Failed)
        {
            lines.push(format!(
                "- {} ({}): {} `{}` failed:\n{}",
                report.package,
                report.ecosystem.name(),
                check.check,
                check.entry_point,
                indent(&excerpt(check.error.as_deref().unwrap_or(""), 14))
            ));
        }
    }
    Failure::guard(
        "Smoke install failed",
        format!("{} check(s) failed:\n{}", lines.len(), lines.join("\n")),
    )
    // The tables below hold each failed check with its error: said once there.
    .with_summary_message(format!(
        "{} check(s) failed: each is in the tables below, with its error.",
        lines.len()
    ))
    .with_fix(
        "fix the package build (missing files, versions, dependencies, code that fails on import) \
         and rebuild the artifacts; the step summary lists every check",
    )
}

/// The start and the end of a tool's output: Node puts the error first, Python last.
fn excerpt(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= n {
        return text.to_string();
    }
    let head = n / 3;
    let tail = n - head;
    format!(
        "{}\n…\n{}",
        lines[..head].join("\n"),
        lines[lines.len() - tail..].join("\n")
    )
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
