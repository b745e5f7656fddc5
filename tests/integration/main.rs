//! The one integration-test binary: every test drives the real `release-action` binary (or the
//! library) from here. One binary links the crate once, where twenty binaries linked it twenty
//! times; `support` holds everything the tests share.

// Tests report what they measured (case counts, timings) on stdout.
#![allow(clippy::print_stdout, clippy::print_stderr)]
// Tests set up and read the environment a runner gives the binary; the rule that only
// src/runner/ reads it (clippy.toml) is about the binary.
#![allow(clippy::disallowed_methods)]

mod support;

mod action_yml;
mod archives;
mod attestation_gate;
mod attestations;
mod channel_tags;
mod channel_tags_metadata;
mod confinement;
mod e2e_act;
mod e2e_workflows;
mod ecosystem;
mod fetch_download;
mod fetch_oci;
mod gate_comment;
mod layers;
mod network;
mod newcomer;
mod outputs_adversarial;
mod policy_check;
mod policy_check_git;
mod properties;
mod publish_check;
mod publish_versions;
mod readable;
mod real_repos;
mod registry_answers;
mod regressions;
mod resolve_script;
mod runner_protocol;
mod secrets;
mod smoke_install;
mod smoke_install_remote;
mod token_binding;
mod trust_boundaries;
mod trust_builds;
mod trust_secrets;
mod verify_bundle;
mod version_guard;
mod version_guard_api;
mod version_guard_tools;
