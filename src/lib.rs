//! release-action: version-guard, channel-tags, smoke-install, policy-check, publish-check,
//! verify and verify-bundle for GitHub Actions.

pub mod action_file;
pub mod archive;
pub mod channel;
pub mod cli;
pub mod ecosystem;
pub mod error;
pub mod fetch;
pub mod git;
pub mod github;
pub mod modes;
// The runner protocol is the one place that prints (stdout is the runner's command channel).
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub mod runner;
pub(crate) mod sigstore;
pub mod version;
