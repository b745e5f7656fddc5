//! release-action: version-guard, channel-tags, smoke-install and policy-check for GitHub Actions.

pub mod cli;
pub mod error;
pub mod modes;
pub mod runner;
pub mod version;
