//! The process environment, read here and in `github::context` only: clippy's
//! `disallowed-methods` (clippy.toml) refuses `std::env::var` and friends everywhere else.
//!
//! Modes receive what the runner tells them about the run as one typed [`RunEnv`]
//! ([`super::Runner::env`]) and read it while converting their `Args` into inputs. Shared code
//! that looks a variable up by a name it is given (a registry's token variable, a version
//! override's variables, a policy's `required-env`) and the sandboxes that pass a few variables on
//! to a tool use the functions below, so every read of the environment goes through this file.

use std::ffi::OsString;
use std::path::PathBuf;

/// What the runner's variables say about this run, read once when the [`super::Runner`] starts.
#[derive(Debug, Clone, Default)]
pub struct RunEnv {
    /// `RUNNER_TEMP`: the runner's scratch directory, cleaned after the job.
    pub runner_temp: Option<PathBuf>,
    /// `GITHUB_TOKEN` from the environment (the `token` input comes first where a mode reads one).
    pub github_token: Option<String>,
    /// `SOURCE_DATE_EPOCH`: a reproducible build's clock (seconds, not yet checked).
    pub source_date_epoch: Option<String>,
    /// `GITHUB_EVENT_NAME` (`push`, `pull_request`, …).
    pub event_name: Option<String>,
    /// `GITHUB_WORKFLOW_REF` (`owner/repo/.github/workflows/release.yml@refs/tags/v1.2.3`): the
    /// default identity a provenance signature must carry.
    pub workflow_ref: Option<String>,
}

impl RunEnv {
    pub fn from_process() -> RunEnv {
        RunEnv {
            runner_temp: runner_temp(),
            github_token: value("GITHUB_TOKEN"),
            source_date_epoch: value("SOURCE_DATE_EPOCH"),
            event_name: value("GITHUB_EVENT_NAME"),
            workflow_ref: value("GITHUB_WORKFLOW_REF"),
        }
    }

    /// Where files for later steps go: `RUNNER_TEMP`, else the system temp dir.
    pub fn scratch_dir(&self) -> PathBuf {
        self.runner_temp.clone().unwrap_or_else(std::env::temp_dir)
    }
}

/// A variable's value, trimmed; `None` when unset, blank or not UTF-8.
#[allow(clippy::disallowed_methods)]
pub fn value(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A variable's value exactly as set (blank included); `None` when unset or not UTF-8.
#[allow(clippy::disallowed_methods)]
pub fn string(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A variable's value as the OS holds it, for passing on to a child process unchanged.
#[allow(clippy::disallowed_methods)]
pub fn os_value(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// Every variable's name, for removing some from what a child process inherits.
#[allow(clippy::disallowed_methods)]
pub fn names() -> Vec<OsString> {
    std::env::vars_os().map(|(name, _)| name).collect()
}

/// Every variable whose name and value are UTF-8, for the runner's own scans (`INPUT_*`, secrets
/// to mask). A variable that is not UTF-8 is no input and no secret this binary reads.
#[allow(clippy::disallowed_methods)]
pub(crate) fn utf8_vars() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect()
}

/// `RUNNER_TEMP` when set and not empty.
pub fn runner_temp() -> Option<PathBuf> {
    os_value("RUNNER_TEMP")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `PATH` as this process has it: what a sandboxed tool inherits and where tools are found.
pub fn search_path() -> Option<OsString> {
    os_value("PATH")
}
