//! release-action: version-guard, channel-tags, smoke-install and policy-check for GitHub Actions.

pub mod archive;
pub mod channel;
pub mod cli;
pub mod ecosystem;
pub mod error;
pub mod fetch;
pub mod git;
pub mod github;
pub mod modes;
pub mod runner;
pub mod secrets;
pub mod version;
