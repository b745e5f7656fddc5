//! One module per mode. Each exposes `Args` (its inputs, as clap flags), `OUTPUTS` (every output
//! it may set, declared in `action.yml` too) and `run`.

pub mod channel_tags;
pub mod policy_check;
pub mod pr_comment;
pub mod publish_check;
pub mod smoke_install;
pub mod verify;
pub mod verify_bundle;
pub mod version_guard;

use crate::runner::outputs::OutputSpec;

/// Every mode's name and outputs, for `--help`, the docs and the action.yml consistency test.
pub fn all_outputs() -> Vec<(&'static str, Vec<OutputSpec>)> {
    vec![
        ("version-guard", version_guard::outputs()),
        ("channel-tags", channel_tags::OUTPUTS.to_vec()),
        ("smoke-install", smoke_install::OUTPUTS.to_vec()),
        ("policy-check", policy_check::OUTPUTS.to_vec()),
        ("publish-check", publish_check::OUTPUTS.to_vec()),
        ("verify", verify::OUTPUTS.to_vec()),
        ("verify-bundle", verify_bundle::OUTPUTS.to_vec()),
    ]
}
