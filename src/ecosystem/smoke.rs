//! What smoke-install and an ecosystem exchange: the [`Plan`] (registry, package manager,
//! entry points), the [`Package`] to smoke and the [`Report`] its checks go into. The mode builds
//! the plan and the packages and prints the reports; each ecosystem's `smoke` fills them in.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::Eco;
#[cfg(doc)]
use crate::ecosystem::remote::ArtifactKind;
use crate::ecosystem::remote::Fetched;
use crate::runner::sandbox::ToolRun;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PackageManager {
    Pnpm,
    Npm,
}

#[derive(Debug, Clone)]
pub struct Package {
    pub path: PathBuf,
    /// The path as the user wrote it (relative to the working directory), for reports.
    pub display: String,
    pub ecosystem: Eco,
    /// For a remote entry, a tree in the registry's own layout the fetch wrote (see
    /// [`ArtifactKind::Package`]), served as is instead of one built from the file.
    pub local_registry: Option<PathBuf>,
    /// For a remote entry: what was fetched from where and what was verified.
    pub fetched: Option<FetchReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    Failed,
    Skipped,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Passed => "✅ passed",
            Outcome::Failed => "❌ failed",
            Outcome::Skipped => "⏭️ skipped",
        }
    }
}

/// One thing checked about one entry point of one package.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Check {
    pub entry_point: String,
    pub check: String,
    pub outcome: Outcome,
    #[serde(serialize_with = "millis")]
    pub duration_ms: Duration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// Everything checked about one package.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    pub package: String,
    pub ecosystem: Eco,
    pub name: String,
    pub expected_version: String,
    pub passed: bool,
    #[serde(serialize_with = "millis")]
    pub duration_ms: Duration,
    /// For a remote entry: the fetch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetched: Option<FetchReport>,
    pub checks: Vec<Check>,
}

/// What the `fetch` phase did for a remote entry, as `results` reports it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct FetchReport {
    /// The entry as written.
    pub source: String,
    /// Where the bytes came from (after resolving coordinates).
    pub url: String,
    pub bytes: u64,
    pub sha256: String,
    /// What was verified, one line each.
    pub verified: Vec<String>,
    /// The registry protocol checks that passed (`check-registry`).
    pub registry_checks: Vec<RegistryCheck>,
    /// The two download timings (`check-cache`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheReport>,
    #[serde(serialize_with = "millis")]
    pub duration_ms: Duration,
    /// The attestation gate's answer for a registry package (boxed: most packages have none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Box<super::provenance::Provenance>>,
    /// Lines for the log and the step summary.
    #[serde(skip)]
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegistryCheck {
    pub name: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CacheReport {
    #[serde(serialize_with = "millis")]
    pub first_ms: Duration,
    #[serde(serialize_with = "millis")]
    pub second_ms: Duration,
}

impl FetchReport {
    pub fn new(fetched: &Fetched, duration: Duration) -> Self {
        // The first report line names the temp file, gone once the run ends: say where the
        // bytes came from instead.
        let from = if fetched.source == fetched.url {
            String::new()
        } else {
            format!(" from {}", fetched.url)
        };
        let mut lines = vec![format!(
            "{} fetched{from} ({} bytes, sha256:{})",
            fetched.source, fetched.bytes, fetched.sha256
        )];
        lines.extend(fetched.report_lines().into_iter().skip(1));
        FetchReport {
            provenance: fetched.provenance.clone().map(Box::new),
            source: fetched.source.clone(),
            url: fetched.url.clone(),
            bytes: fetched.bytes,
            sha256: fetched.sha256.clone(),
            verified: fetched.verified.clone(),
            registry_checks: fetched
                .checks
                .iter()
                .map(|c| RegistryCheck {
                    name: c.name.clone(),
                    detail: c.detail.clone(),
                })
                .collect(),
            cache: fetched.cache.map(|t| CacheReport {
                first_ms: t.first,
                second_ms: t.second,
            }),
            duration_ms: duration,
            lines,
        }
    }
}

impl Report {
    pub fn new(package: &Package, expected_version: &str) -> Self {
        let mut report = Report {
            package: package.display.clone(),
            ecosystem: package.ecosystem,
            name: String::new(),
            expected_version: expected_version.to_string(),
            passed: true,
            duration_ms: Duration::ZERO,
            fetched: package.fetched.clone(),
            checks: Vec::new(),
        };
        if let Some(fetched) = &package.fetched {
            report.pass(&fetched.url, "fetch", fetched.duration_ms);
        }
        report
    }

    pub fn pass(&mut self, entry_point: &str, check: &str, duration: Duration) {
        self.push(entry_point, check, Outcome::Passed, duration, None);
    }

    pub fn fail(&mut self, entry_point: &str, check: &str, duration: Duration, error: &str) {
        self.push(
            entry_point,
            check,
            Outcome::Failed,
            duration,
            Some(error.trim().to_string()),
        );
    }

    pub fn skip(&mut self, entry_point: &str, check: &str, why: &str) {
        self.push(
            entry_point,
            check,
            Outcome::Skipped,
            Duration::ZERO,
            Some(why.to_string()),
        );
    }

    /// Records a tool run as a check: passed when the tool succeeded, else its output.
    pub fn tool(&mut self, entry_point: &str, check: &str, run: &ToolRun) -> bool {
        if run.ok {
            self.pass(entry_point, check, run.duration);
        } else {
            let output = run.tail();
            let error = if output.is_empty() {
                "failed without output".to_string()
            } else {
                output
            };
            self.fail(entry_point, check, run.duration, &error);
        }
        run.ok
    }

    fn push(
        &mut self,
        entry_point: &str,
        check: &str,
        outcome: Outcome,
        duration: Duration,
        error: Option<String>,
    ) {
        self.checks.push(Check {
            entry_point: entry_point.to_string(),
            check: check.to_string(),
            outcome,
            duration_ms: duration,
            error,
        });
    }

    /// True when nothing failed so far.
    pub fn healthy(&self) -> bool {
        !self.checks.iter().any(|c| c.outcome == Outcome::Failed)
    }
}

/// What every ecosystem needs to know besides the package itself.
pub struct Plan {
    pub registry: Option<String>,
    /// The credential for `registry`, written only into the sandbox (smoke-install's `registry-token`).
    pub registry_token: Option<String>,
    pub package_manager: PackageManager,
    /// Explicit entry points from `imports`, or empty for "all of them".
    pub imports: Vec<String>,
    /// Every package of the same ecosystem in `packages` (pip finds a wheel's dependencies
    /// among them).
    pub siblings: Vec<std::path::PathBuf>,
}
