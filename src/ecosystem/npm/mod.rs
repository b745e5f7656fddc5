//! npm: tarballs (`*.tgz`, `npm pack`), the npm registry's packuments, and node-semver versions.

pub mod fetch;
mod publish;
mod smoke;

use crate::ecosystem::remote::Fetched;
use crate::ecosystem::smoke::{Package, PackageManager, Plan, Report};
use crate::ecosystem::{
    invalid_override, Ecosystem, FetchRequest, Identity, Inspected, VersionContext,
};
use crate::error::Result;
use crate::runner::outputs::OutputSpec;
use crate::runner::sandbox;
use crate::runner::Runner;
use crate::version::npm;
use crate::version::tags::TagVersion;

/// The public registry `npm:` entries come from by default.
pub const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org";

pub struct Npm;

static IDENTITY: Identity = Identity {
    name: "npm",
    key: "npm",
    label: "npm",
    artifacts: "an npm tarball (*.tgz)",
    entry_points: "the package name or a `./subpath`",
    version_grammar: "npm (semver)",
    coordinate_example: "npm:@scope/name@1.2.3 or npm:name@1.2.3",
    manifest_file: "ts.json",
    version_output: OutputSpec {
        name: "npm-version",
        description: "The npm version (node-semver valid, normalized).",
    },
    token_variable: Some("NODE_AUTH_TOKEN"),
};

impl Ecosystem for Npm {
    fn identity(&self) -> &'static Identity {
        &IDENTITY
    }
    fn recognises_file(&self, name: &str, chosen: bool) -> bool {
        // A `.tar.gz` is an npm tarball only when the user says so (it may be an sdist).
        name.ends_with(".tgz") || (chosen && name.ends_with(".tar.gz"))
    }
    fn normalize_version(&self, raw: &str) -> std::result::Result<String, String> {
        let v = raw.trim_start_matches(['v', '=']);
        semver::Version::parse(v)
            .map(|v| v.to_string())
            .map_err(|e| e.to_string())
    }
    fn require_tools(&self, plan: &Plan) -> Result<()> {
        sandbox::require_tool(
            "node",
            "to load npm packages",
            "install Node.js (actions/setup-node)",
        )?;
        match plan.package_manager {
            PackageManager::Pnpm => sandbox::require_tool(
                "pnpm",
                "to install npm tarballs (package-manager: pnpm)",
                "install pnpm (pnpm/action-setup, or `npm install -g pnpm@10`), or set package-manager: npm",
            )?,
            PackageManager::Npm => sandbox::require_tool(
                "npm",
                "to install npm tarballs (package-manager: npm)",
                "install Node.js with npm (actions/setup-node)",
            )?,
        };
        Ok(())
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
        let (name, version) = match rest.rfind('@') {
            Some(i) if i > 0 => (&rest[..i], &rest[i + 1..]),
            _ => return None,
        };
        let scoped_ok = !name.starts_with('@') || name.matches('/').count() == 1;
        if name.is_empty() || version.is_empty() || !scoped_ok || name.contains(' ') {
            return None;
        }
        Some((name.into(), version.into()))
    }
    fn check_coordinate(&self, name: &str) -> std::result::Result<(), String> {
        crate::version::npm::check_package_name(name)
    }
    fn display_coordinate(&self, name: &str, version: &str) -> String {
        format!("npm:{name}@{version}")
    }
    fn fetch(&self, r: &FetchRequest<'_>) -> Result<Fetched> {
        fetch::fetch_npm(
            r.fetcher,
            r.name,
            r.version,
            r.opts,
            r.expected.clone(),
            r.dir,
        )
    }

    fn release_version(&self, _ctx: &VersionContext<'_>, tag: &TagVersion) -> Result<String> {
        Ok(release_semver(tag).to_string())
    }
    fn snapshot_version(&self, ctx: &VersionContext<'_>) -> Result<String> {
        Ok(npm::snapshot(ctx.base(), ctx.timestamp, ctx.short_sha()).to_string())
    }
    fn override_version(&self, ctx: &VersionContext<'_>) -> Result<Option<(String, String)>> {
        let variables = [format!("{}_TS_SDK_VERSION", ctx.env_prefix)];
        let Some((source, value)) =
            ctx.override_value(&ctx.inputs.npm_version, "npm-version", &variables)
        else {
            return Ok(None);
        };
        npm::validate(&value).map_err(|why| invalid_override(&source, &value, &why))?;
        ctx.runner
            .log(&format!("npm version {value} from {source}"));
        Ok(Some((source, value)))
    }

    fn has_provenance(&self) -> bool {
        true
    }
    fn publish(&self) -> Option<&dyn crate::ecosystem::Publish> {
        Some(self)
    }
}

/// A release tag's semver without build metadata (npm drops it; Cargo and Go refuse to compare it).
pub fn release_semver(tag: &TagVersion) -> semver::Version {
    let mut v = tag.version.clone();
    v.build = semver::BuildMetadata::EMPTY;
    v
}

impl Inspected for smoke::Inspected {
    fn claims(&self, entry: &str) -> bool {
        smoke::Inspected::claims(self, entry)
    }
    fn smoke(self: Box<Self>, plan: &Plan, runner: &mut Runner) -> Result<Report> {
        smoke::smoke(*self, plan, runner)
    }
}
