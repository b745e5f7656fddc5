//! Python: wheels (`*.whl`), PEP 503/691 simple indexes, and PEP 440 versions.

pub mod fetch;
mod publish;
mod smoke;

use crate::ecosystem::remote::Fetched;
use crate::ecosystem::smoke::{Package, Plan, Report};
use crate::ecosystem::{
    invalid_override, Ecosystem, FetchRequest, Identity, Inspected, VersionContext,
};
use crate::error::{Failure, Result};
use crate::runner::outputs::OutputSpec;
use crate::runner::Runner;
use crate::version::pep440;
use crate::version::tags::TagVersion;

/// The public index `pypi:` entries come from by default.
pub const DEFAULT_INDEX: &str = "https://pypi.org/simple";

pub struct Pypi;

static IDENTITY: Identity = Identity {
    name: "python",
    key: "pypi",
    label: "PyPI",
    artifacts: "a wheel (*.whl)",
    entry_points: "a module of a wheel",
    version_grammar: "PEP 440",
    coordinate_example: "pypi:name==1.2.3",
    manifest_file: "python.json",
    version_output: OutputSpec {
        name: "pypi-version",
        description: "The PyPI version (PEP 440 normal form).",
    },
    token_variable: None,
};

impl Ecosystem for Pypi {
    fn identity(&self) -> &'static Identity {
        &IDENTITY
    }
    fn recognises_file(&self, name: &str, _chosen: bool) -> bool {
        name.ends_with(".whl")
    }
    fn normalize_version(&self, raw: &str) -> std::result::Result<String, String> {
        raw.parse::<pep440_rs::Version>()
            .map(|_| raw.to_string())
            .map_err(|e| e.to_string())
    }
    fn require_tools(&self, _plan: &Plan) -> Result<()> {
        smoke::interpreter().map(|_| ())
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
        match rest.split_once("==") {
            Some((n, v)) if !n.trim().is_empty() && !v.trim().is_empty() => {
                Some((n.trim().into(), v.trim().into()))
            }
            _ => None,
        }
    }
    fn check_coordinate(&self, name: &str) -> std::result::Result<(), String> {
        crate::version::pep440::check_distribution_name(name)
    }
    fn display_coordinate(&self, name: &str, version: &str) -> String {
        format!("pypi:{name}=={version}")
    }
    fn fetch(&self, r: &FetchRequest<'_>) -> Result<Fetched> {
        fetch::fetch_pypi(
            r.fetcher,
            r.name,
            r.version,
            r.opts,
            r.expected.clone(),
            r.dir,
        )
    }
    fn accept_fetched(&self, fetched: &Fetched) -> Result<()> {
        let name = fetched
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if name.ends_with(".whl") {
            return Ok(());
        }
        Err(Failure::usage(
            "No wheel to smoke",
            format!(
                "input `packages`: {} resolved to {name}, a source distribution: \
                 smoke-install installs wheels only",
                fetched.source
            ),
        )
        .with_fix("publish a wheel for this version (python -m build --wheel) next to the sdist"))
    }

    fn release_version(&self, _ctx: &VersionContext<'_>, tag: &TagVersion) -> Result<String> {
        pep440::from_semver(&tag.version)
            .map(|v| v.to_string())
            .map_err(|e| {
                Failure::usage("No PyPI version for this tag", format!("tag {}: {e}", tag.tag))
                    .with_fix("use a prerelease PyPI understands (-alpha.N, -beta.N, -rc.N, -dev.N), or set `pypi-version`")
            })
    }
    fn snapshot_version(&self, ctx: &VersionContext<'_>) -> Result<String> {
        Ok(pep440::snapshot(
            ctx.base(),
            ctx.timestamp,
            ctx.short_sha(),
            ctx.inputs.pypi_local_version,
        )
        .to_string())
    }
    fn override_version(&self, ctx: &VersionContext<'_>) -> Result<Option<(String, String)>> {
        let p = ctx.env_prefix;
        let variables = [
            format!("{p}_PYTHON_SDK_VERSION"),
            format!("{p}_SDK_VERSION"),
        ];
        let Some((source, value)) =
            ctx.override_value(&ctx.inputs.pypi_version, "pypi-version", &variables)
        else {
            return Ok(None);
        };
        let v = pep440::normalize(&value).map_err(|why| invalid_override(&source, &value, &why))?;
        if !ctx.inputs.pypi_local_version && v.is_local() {
            return Err(invalid_override(
                &source,
                &value,
                "`pypi-local-version` is false and PyPI refuses local versions (`+…`)",
            ));
        }
        let normal = v.to_string();
        if normal != value {
            ctx.runner.notice(&format!(
                "{source} {value:?} is written {normal} in PEP 440 normal form"
            ));
        }
        ctx.runner
            .log(&format!("PyPI version {normal} from {source}"));
        Ok(Some((source, normal)))
    }

    fn has_provenance(&self) -> bool {
        true
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
