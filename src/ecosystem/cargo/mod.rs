//! Cargo: crates (`*.crate`, what `cargo package` writes), sparse registry indexes, and semver
//! versions (snapshots in the same form as npm's, which Cargo sorts the same way).

mod crate_file;
pub mod fetch;
mod publish;
mod smoke;

use crate::ecosystem::remote::Fetched;
use crate::ecosystem::smoke::{Package, Plan, Report};
use crate::ecosystem::{Ecosystem, FetchRequest, Identity, Inspected, VersionContext};
use crate::error::{Failure, Result};
use crate::runner::outputs::OutputSpec;
use crate::runner::sandbox;
use crate::runner::Runner;
use crate::version::npm;
use crate::version::tags::TagVersion;

/// crates.io's sparse index, where `cargo:` entries come from by default.
pub const DEFAULT_INDEX: &str = "sparse+https://index.crates.io/";

pub struct Cargo;

/// The path of a crate's file in a registry index: `1/a`, `2/ab`, `3/a/abc`, `se/rd/serde`
/// (lower-cased), the layout of both sparse indexes and local registries.
pub fn index_path(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.len() {
        0 => String::new(),
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

/// Crate names are ASCII letters, digits, `-` and `_` (crates.io's rule), at most 64 long.
fn valid_crate_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

static IDENTITY: Identity = Identity {
    name: "cargo",
    key: "cargo",
    label: "Cargo",
    artifacts: "a crate (*.crate)",
    entry_points: "the library's crate name",
    version_grammar: "Cargo (semver)",
    coordinate_example: "cargo:name@1.2.3",
    manifest_file: "cargo.json",
    version_output: OutputSpec {
        name: "cargo-version",
        description: "The Cargo version (semver; snapshots as for npm).",
    },
    token_variable: None,
};

impl Ecosystem for Cargo {
    fn identity(&self) -> &'static Identity {
        &IDENTITY
    }
    fn recognises_file(&self, name: &str, _chosen: bool) -> bool {
        name.ends_with(".crate")
    }
    fn normalize_version(&self, raw: &str) -> std::result::Result<String, String> {
        semver::Version::parse(raw.strip_prefix('v').unwrap_or(raw))
            .map(|v| v.to_string())
            .map_err(|e| e.to_string())
    }
    fn require_tools(&self, plan: &Plan) -> Result<()> {
        if plan.registry.is_some() {
            return Err(Failure::invalid_input(
                "registry",
                "is set, but crates are smoked offline: their dependencies come only from the other .crate files in `packages`",
                "list the dependencies' .crate files in `packages`, or smoke crates in a step without `registry`",
            ));
        }
        sandbox::require_tool(
            "cargo",
            "to build crates",
            "install Rust (dtolnay/rust-toolchain, or rustup)",
        )
        .map(|_| ())
    }
    fn inspect(
        &self,
        package: &Package,
        expected: &str,
        runner: &mut Runner,
    ) -> Result<Box<dyn Inspected>> {
        Ok(Box::new(smoke::inspect(package, expected, runner)?))
    }

    fn parse_coordinate(&self, rest: &str) -> Option<(String, String)> {
        let (name, version) = rest.split_once('@')?;
        (valid_crate_name(name) && semver::Version::parse(version).is_ok())
            .then(|| (name.to_string(), version.to_string()))
    }
    fn display_coordinate(&self, name: &str, version: &str) -> String {
        format!("cargo:{name}@{version}")
    }
    fn fetch(&self, request: &FetchRequest<'_>) -> Result<Fetched> {
        fetch::fetch_crate(request)
    }

    fn release_version(&self, _ctx: &VersionContext<'_>, tag: &TagVersion) -> Result<String> {
        Ok(crate::ecosystem::npm::release_semver(tag).to_string())
    }
    fn snapshot_version(&self, ctx: &VersionContext<'_>) -> Result<String> {
        Ok(npm::snapshot(ctx.base(), ctx.timestamp, ctx.short_sha()).to_string())
    }

    fn publish(&self) -> Option<&dyn crate::ecosystem::Publish> {
        Some(self)
    }
}

impl Inspected for smoke::Inspected {
    fn claims(&self, entry: &str) -> bool {
        smoke::Inspected::claims(self, entry)
    }
    fn smoke(self: Box<Self>, plan: &Plan, runner: &mut Runner) -> Result<Report> {
        smoke::smoke(*self, plan, runner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_follow_cargo() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("Syn"), "3/s/syn");
        assert_eq!(index_path("serde_json"), "se/rd/serde_json");
    }

    #[test]
    fn coordinates_are_name_at_semver() {
        assert!(Cargo.parse_coordinate("serde@1.0.0").is_some());
        for bad in ["serde", "serde@1.0", "../x@1.0.0", "-x@1.0.0", "@1.0.0"] {
            assert!(Cargo.parse_coordinate(bad).is_none(), "{bad}");
        }
    }
}
