//! The ecosystem contract: everything the modes need to know about one package ecosystem, behind
//! one trait, and the registry of the ecosystems this build knows ([`ALL`]).
//!
//! smoke-install, fetch, version-guard and publish-check never name an ecosystem: they iterate
//! [`ALL`] (or ask [`by_name`] / [`recognise`]) and call the trait (publish-check through its
//! companion [`Publish`], from [`Ecosystem::publish`]). An ecosystem is one folder
//! (`src/ecosystem/<name>/`) with a unit struct implementing [`Ecosystem`]; adding one means that
//! folder, a line in [`ALL`], its registry URL in [`RegistryUrls`], its version-guard inputs in
//! [`VersionInputs`] and any publish-check inputs in [`PublishInputs`] (all flattened into the
//! modes' flags here, so the binary's flags stay in one place), action.yml and the README.
//! DEVELOPMENT.md has the checklist.

pub mod cargo;
pub mod go;
pub mod npm;
pub mod provenance;
pub mod publish;
pub mod pypi;
pub(crate) mod registry_client;
pub mod remote;
pub mod smoke;

use std::path::Path;

use semver::Version;

use crate::error::{Failure, Result};
use crate::fetch::download::Fetcher;
use crate::fetch::Integrity;
use crate::git::Git;
use crate::runner::outputs::OutputSpec;
use crate::runner::{inputs, Runner};
use crate::version::tags::TagVersion;
use publish::{check_url, Artifact, Bump, Checked, Local, Remote};
use remote::{Fetched, RemoteOptions};
use smoke::{Package, Plan, Report};

/// Every ecosystem this build knows, in the order they are reported (outputs, summaries).
pub static ALL: &[&dyn Ecosystem] = &[&npm::Npm, &pypi::Pypi, &go::Go, &cargo::Cargo];

/// A registered ecosystem.
pub type Eco = &'static dyn Ecosystem;

/// What an ecosystem is called and how it is described: data, so an implementation is only
/// behaviour plus one `static IDENTITY: Identity`. Each field is documented on the trait method
/// of the same name.
pub struct Identity {
    pub name: &'static str,
    pub key: &'static str,
    pub label: &'static str,
    pub artifacts: &'static str,
    pub entry_points: &'static str,
    pub version_grammar: &'static str,
    pub coordinate_example: &'static str,
    pub manifest_file: &'static str,
    pub version_output: OutputSpec,
    pub token_variable: Option<&'static str>,
}

/// One package ecosystem. Methods are grouped by the mode that uses them.
pub trait Ecosystem: Sync {
    // ----------------------------------------------------------------------------- identity

    /// Its words: names, messages and output names, one table per ecosystem. The methods below
    /// that return a word read it from here.
    fn identity(&self) -> &'static Identity;

    /// The value of smoke-install's `ecosystem` input and of `results[].ecosystem`: `npm`,
    /// `python`, `go`, `cargo`.
    fn name(&self) -> &'static str {
        self.identity().name
    }

    /// The registry's short name: the prefix of a remote entry (`npm:`, `pypi:`, …) and the key
    /// of this ecosystem's version in the `versions` document (`<key>-version`).
    fn key(&self) -> &'static str {
        self.identity().key
    }

    /// How people write it in prose and tables: `npm`, `PyPI`, `Go`, `Cargo`.
    fn label(&self) -> &'static str {
        self.identity().label
    }

    // ------------------------------------------------------- smoke-install: recognise, inspect

    /// The artifacts it smokes, for messages: `an npm tarball (*.tgz)`.
    fn artifacts(&self) -> &'static str {
        self.identity().artifacts
    }

    /// Whether a file (its lower-cased name) is this ecosystem's artifact; `chosen` is true when
    /// the `ecosystem` input names this ecosystem (an ambiguous name may then be claimed).
    fn recognises_file(&self, name: &str, chosen: bool) -> bool;

    /// Whether a directory is one of its packages (a Go module with its go.mod).
    fn recognises_dir(&self, _dir: &Path) -> bool {
        false
    }

    /// The environment variable that holds this registry's token when `registry-token` is not
    /// given (npm: NODE_AUTH_TOKEN, as actions/setup-node arranges).
    fn token_variable(&self) -> Option<&'static str> {
        self.identity().token_variable
    }

    /// Whether its installer can read dependencies from a `file://` registry (GOPROXY can).
    fn serves_file_registry(&self) -> bool {
        false
    }

    /// The name of the version grammar, for messages: `npm (semver)`, `PEP 440`.
    fn version_grammar(&self) -> &'static str {
        self.identity().version_grammar
    }

    /// An expected version in this ecosystem's normal spelling, or why it is not one.
    fn normalize_version(&self, raw: &str) -> std::result::Result<String, String>;

    /// What an `imports` entry names, for messages: `the package name or a ./subpath`.
    fn entry_points(&self) -> &'static str {
        self.identity().entry_points
    }

    /// Checks that the tools it needs are on PATH before anything runs.
    fn require_tools(&self, plan: &Plan) -> Result<()>;

    /// Reads the artifact without installing it: name, version, entry points.
    fn inspect(
        &self,
        package: &Package,
        expected: &str,
        runner: &mut Runner,
    ) -> Result<Box<dyn Inspected>>;

    // ------------------------------------------------------------------------------- fetch

    /// `name@version` of a remote entry after the `<key>:` prefix, or `None` when malformed.
    fn parse_coordinate(&self, rest: &str) -> Option<(String, String)>;

    /// Checks a coordinate's name by the registry's rules before it reaches a URL or a path;
    /// the error is the fix to show.
    fn check_coordinate(&self, _name: &str) -> std::result::Result<(), String> {
        Ok(())
    }

    /// A well-formed remote entry, for messages: `npm:@scope/name@1.2.3 or npm:name@1.2.3`.
    fn coordinate_example(&self) -> &'static str {
        self.identity().coordinate_example
    }

    /// A remote entry as written.
    fn display_coordinate(&self, name: &str, version: &str) -> String;

    /// Resolves a coordinate against the registry, downloads and verifies the artifact into
    /// `dir`, and with `check-registry` checks the registry protocol.
    fn fetch(&self, request: &FetchRequest<'_>) -> Result<Fetched>;

    /// Refuses a fetched artifact it cannot smoke (a Python sdist).
    fn accept_fetched(&self, _fetched: &Fetched) -> Result<()> {
        Ok(())
    }

    // ------------------------------------------------------------------------ version-guard

    /// version-guard's output holding this ecosystem's version.
    fn version_output(&self) -> OutputSpec {
        self.identity().version_output
    }

    /// Checks this ecosystem's version-guard inputs before anything is read.
    fn check_version_inputs(&self, _inputs: &VersionInputs) -> Result<()> {
        Ok(())
    }

    /// The version of a release-tag build.
    fn release_version(&self, ctx: &VersionContext<'_>, tag: &TagVersion) -> Result<String>;

    /// The version of an untagged build: a snapshot that sorts above the latest release.
    fn snapshot_version(&self, ctx: &VersionContext<'_>) -> Result<String>;

    /// An override from its input or environment variables, validated (and logged), if any:
    /// where it came from (`input `npm-version``, a variable) and the version.
    fn override_version(&self, _ctx: &VersionContext<'_>) -> Result<Option<(String, String)>> {
        Ok(None)
    }

    /// The file `manifest-dir` gets for this ecosystem (`ts.json`, …).
    fn manifest_file(&self) -> &'static str {
        self.identity().manifest_file
    }

    // ------------------------------------------------------------------------ publish-check

    /// Its publish question, when publish-check can ask its registry.
    fn publish(&self) -> Option<&dyn Publish> {
        None
    }

    // ------------------------------------------------------------------- the attestation gate

    /// Whether its registry publishes provenance the gate checks (npm's attestations, PyPI's
    /// PEP 740): the `provenance` inputs matter (and need an identity) only then.
    fn has_provenance(&self) -> bool {
        false
    }
}

/// publish-check's question for one ecosystem: is this exact artifact already in the registry?
/// Each implementation lives in `src/ecosystem/<name>/publish.rs`.
pub trait Publish: Sync {
    /// Whether publish-check takes this path as one of its artifacts (`name`: the file name,
    /// lower-cased).
    fn claims(&self, path: &Path, name: &str) -> bool;

    /// The artifacts it checks, for messages: `an npm tarball (*.tgz)`.
    fn publish_artifacts(&self) -> &'static str;

    /// The input naming its registry: one of [`RegistryUrls::inputs`].
    fn registry_input(&self) -> &'static str;

    /// Checks the registry input before any artifact is read.
    fn check_registry(&self, value: &str) -> Result<()> {
        check_url(self.registry_input(), value, false).map(|_| ())
    }

    /// Reads name, version and digests from the artifact itself.
    fn local(&self, artifact: &Artifact, inputs: &PublishInputs) -> Result<Local>;

    /// Asks the registry and decides absent, identical or different. Only the registry's own
    /// "not found" is absent; anything unreadable is an error.
    fn query(&self, request: &PublishQuery<'_>, local: &Local) -> Result<Remote>;

    /// Decisions that need all of this ecosystem's artifacts at once (PyPI: a version on the
    /// index with none of this build's files).
    fn reconcile(&self, _checked: &mut [&mut Checked]) {}

    /// A version after `version` to suggest in the fix (checked arithmetic: a version whose
    /// last number cannot grow says so).
    fn next_version(&self, version: &str) -> Bump;
}

/// One registry question of publish-check.
pub struct PublishQuery<'a> {
    pub fetcher: &'a Fetcher<'a>,
    pub options: &'a RemoteOptions,
    /// The value of [`Publish::registry_input`].
    pub registry: &'a str,
}

/// Each ecosystem's publish-check inputs (flattened into publish-check's flags).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PublishInputs {
    /// The version of the Go module directories in `packages` (a directory carries none; a module
    /// zip names its own): version-guard's `go-version`.
    #[arg(long, value_name = "VERSION")]
    pub go_version: Option<String>,
}

/// A package after inspection, ready to install.
pub trait Inspected {
    /// Whether an `imports` entry names one of its entry points.
    fn claims(&self, entry: &str) -> bool;
    /// Installs it into a fresh consumer and loads every entry point (checks go to the report).
    fn smoke(self: Box<Self>, plan: &Plan, runner: &mut Runner) -> Result<Report>;
}

/// One remote coordinate to fetch, and how.
pub struct FetchRequest<'a> {
    pub fetcher: &'a Fetcher<'a>,
    pub name: &'a str,
    pub version: &'a str,
    pub opts: &'a RemoteOptions,
    pub expected: Option<Integrity>,
    pub dir: &'a Path,
}

/// What version-guard decided before the versions, for each ecosystem to compute its own.
pub struct VersionContext<'a> {
    pub inputs: &'a VersionInputs,
    /// Prefix of the override variables (`<PREFIX>_TS_SDK_VERSION`, …).
    pub env_prefix: &'a str,
    pub tag_prefix: &'a str,
    /// The next planned version (snapshots only).
    pub base: Option<&'a Version>,
    pub sha: &'a str,
    pub timestamp: &'a str,
    /// Every release tag name, and whether they came from local git.
    pub tag_names: &'a [String],
    pub from_git: bool,
    pub git: &'a Git,
    pub runner: &'a Runner,
}

impl VersionContext<'_> {
    pub fn short_sha(&self) -> &str {
        &self.sha[..12]
    }

    pub fn base(&self) -> &Version {
        self.base
            .expect("the base is decided before snapshot versions")
    }

    /// An override: the input, else the first of `variables` that is set.
    pub fn override_value(
        &self,
        input: &Option<String>,
        input_name: &str,
        variables: &[String],
    ) -> Option<(String, String)> {
        if let Some(v) = input.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            return Some((format!("input `{input_name}`"), v.to_string()));
        }
        variables
            .iter()
            .find_map(|name| crate::runner::env::value(name).map(|v| (name.clone(), v)))
    }
}

/// An override that is not a version of its ecosystem: a usage error naming where it came from.
pub fn invalid_override(source: &str, value: &str, why: &str) -> Failure {
    Failure::usage(
        "Invalid version override",
        format!("{source} is {value:?}: {why}"),
    )
    .with_fix(format!("fix or unset {source}"))
}

/// Each ecosystem's registry (flattened into smoke-install's flags for remote entries and into
/// publish-check's for the registry it asks).
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryUrls {
    /// npm registry: where `npm:` entries come from, and the one publish-check asks.
    #[arg(long, default_value = npm::DEFAULT_REGISTRY, value_name = "URL")]
    pub npm_registry: String,

    /// PEP 503/691 simple index: where `pypi:` entries come from, and the one publish-check asks.
    #[arg(long, default_value = pypi::DEFAULT_INDEX, value_name = "URL")]
    pub pypi_index: String,

    /// GOPROXY (a comma or pipe separated list): `go:` entries come from its first http(s) entry;
    /// publish-check asks its first http(s) or file:// entry.
    #[arg(long, default_value = go::DEFAULT_GOPROXY, value_name = "URL")]
    pub goproxy: String,

    /// Sparse registry index (`sparse+https://…/`; the prefix is optional): where `cargo:`
    /// entries come from, and the one publish-check asks.
    #[arg(long, default_value = cargo::DEFAULT_INDEX, value_name = "URL")]
    pub cargo_index: String,
}

impl Default for RegistryUrls {
    fn default() -> Self {
        RegistryUrls {
            npm_registry: npm::DEFAULT_REGISTRY.into(),
            pypi_index: pypi::DEFAULT_INDEX.into(),
            goproxy: go::DEFAULT_GOPROXY.into(),
            cargo_index: cargo::DEFAULT_INDEX.into(),
        }
    }
}

impl RegistryUrls {
    /// Each registry input's name and value, for checks that apply to every URL input.
    pub fn inputs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("npm-registry", self.npm_registry.as_str()),
            ("pypi-index", self.pypi_index.as_str()),
            ("goproxy", self.goproxy.as_str()),
            ("cargo-index", self.cargo_index.as_str()),
        ]
    }
}

/// Each ecosystem's registry token (flattened beside [`RegistryUrls`] into smoke-install's and
/// publish-check's flags). A token is bound to the registry input it is named for: it goes to that
/// registry's origin and never to another ecosystem's registry.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RegistryTokens {
    /// Token for `npm-registry` only (`Authorization: Bearer`). Masked.
    #[arg(long, value_name = "TOKEN")]
    pub npm_token: Option<String>,

    /// Token for `pypi-index` only (`Authorization: Bearer`). Masked.
    #[arg(long, value_name = "TOKEN")]
    pub pypi_token: Option<String>,

    /// Token for `goproxy` only (its first http(s) entry; `Authorization: Bearer`). Masked.
    #[arg(long, value_name = "TOKEN")]
    pub go_token: Option<String>,

    /// Token for `cargo-index` only (as cargo sends it: `Authorization: <token>`). Masked.
    #[arg(long, value_name = "TOKEN")]
    pub cargo_token: Option<String>,
}

/// Each token input and the registry input it is bound to.
pub const TOKEN_INPUTS: [(&str, &str); 4] = [
    ("npm-token", "npm-registry"),
    ("pypi-token", "pypi-index"),
    ("go-token", "goproxy"),
    ("cargo-token", "cargo-index"),
];

impl RegistryTokens {
    fn slot(&mut self, registry_input: &str) -> Option<&mut Option<String>> {
        match registry_input {
            "npm-registry" => Some(&mut self.npm_token),
            "pypi-index" => Some(&mut self.pypi_token),
            "goproxy" => Some(&mut self.go_token),
            "cargo-index" => Some(&mut self.cargo_token),
            _ => None,
        }
    }

    /// The token bound to the registry input `registry_input`, if one is given (not blank).
    pub fn for_registry(&self, registry_input: &str) -> Option<&str> {
        let value = match registry_input {
            "npm-registry" => &self.npm_token,
            "pypi-index" => &self.pypi_token,
            "goproxy" => &self.go_token,
            "cargo-index" => &self.cargo_token,
            _ => &None,
        };
        value.as_deref().map(str::trim).filter(|t| !t.is_empty())
    }

    /// Binds `token` to the registry input `registry_input`.
    pub fn bind(&mut self, registry_input: &str, token: String) {
        if let Some(slot) = self.slot(registry_input) {
            *slot = Some(token);
        }
    }

    /// The token input bound to the registry input `registry_input`.
    pub fn input_for(registry_input: &str) -> &'static str {
        TOKEN_INPUTS
            .iter()
            .find(|(_, r)| *r == registry_input)
            .map_or("registry-token", |(t, _)| t)
    }
}

/// Each ecosystem's version-guard inputs (flattened into version-guard's flags).
#[derive(Debug, Clone, clap::Args)]
pub struct VersionInputs {
    /// Use this npm version instead of computing one.
    #[arg(long)]
    pub npm_version: Option<String>,

    /// Use this PyPI version instead of computing one.
    #[arg(long)]
    pub pypi_version: Option<String>,

    /// Use this Go version instead of computing one.
    #[arg(long)]
    pub go_version: Option<String>,

    /// The Go module path; a `/vN` suffix sets the major of Go versions.
    #[arg(long)]
    pub go_module: Option<String>,

    /// Add `+g<sha>` to PyPI snapshots (set false for uploads to PyPI, which refuses local versions).
    #[arg(long, value_name = "BOOL", value_parser = inputs::boolean, default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    pub pypi_local_version: bool,
}

impl RegistryUrls {
    /// The value of the registry input named `input`.
    pub fn value_of(&self, input: &str) -> Option<&str> {
        self.inputs()
            .into_iter()
            .find_map(|(name, value)| (name == input).then_some(value))
    }
}

/// The ecosystem named `name` (smoke-install's `ecosystem` values).
pub fn by_name(name: &str) -> Option<Eco> {
    ALL.iter().copied().find(|e| e.name() == name)
}

/// The ecosystem whose artifact a file is (by its lower-cased name), if exactly one claims it.
pub fn recognise(name: &str, chosen: Option<Eco>) -> Option<Eco> {
    ALL.iter()
        .copied()
        .find(|e| e.recognises_file(name, chosen.is_some_and(|c| same(c, *e))))
}

/// Whether two handles are the same ecosystem.
pub fn same(a: Eco, b: Eco) -> bool {
    a.name() == b.name()
}

/// Every artifact form, for messages: "an npm tarball (*.tgz), a wheel (*.whl), …".
pub fn all_artifacts() -> String {
    let forms: Vec<&str> = ALL.iter().map(|e| e.artifacts()).collect();
    match forms.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => forms.join(""),
    }
}

/// Every remote coordinate prefix, for messages: "npm:, pypi:, go:, cargo:".
pub fn all_prefixes() -> String {
    ALL.iter()
        .map(|e| format!("{}:", e.key()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// smoke-install's `ecosystem` input: `auto` (`None`) or a registered ecosystem.
#[derive(Debug, Clone, Copy)]
pub struct Choice(pub Option<Eco>);

/// Parses smoke-install's `ecosystem` input: `auto` or a registered name.
pub fn parse_choice(value: &str) -> std::result::Result<Choice, String> {
    let value = value.trim();
    if value == "auto" {
        return Ok(Choice(None));
    }
    by_name(value).map(|e| Choice(Some(e))).ok_or_else(|| {
        let names: Vec<&str> = ALL.iter().map(|e| e.name()).collect();
        format!("expected auto or one of {}", names.join(", "))
    })
}

impl std::fmt::Debug for dyn Ecosystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for dyn Ecosystem {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for dyn Ecosystem {}

impl PartialOrd for dyn Ecosystem {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Registration order.
impl Ord for dyn Ecosystem {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let position = |e: &dyn Ecosystem| ALL.iter().position(|r| r.name() == e.name());
        position(self).cmp(&position(other))
    }
}

impl serde::Serialize for dyn Ecosystem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_keys_are_unique() {
        let mut names: Vec<&str> = ALL.iter().map(|e| e.name()).collect();
        let mut keys: Vec<&str> = ALL.iter().map(|e| e.key()).collect();
        names.sort();
        names.dedup();
        keys.sort();
        keys.dedup();
        assert_eq!((names.len(), keys.len()), (ALL.len(), ALL.len()));
        assert!(parse_choice("auto").unwrap().0.is_none());
        assert_eq!(parse_choice("python").unwrap().0.unwrap().key(), "pypi");
        assert!(parse_choice("ruby").is_err());
    }

    #[test]
    fn files_are_recognised_by_one_ecosystem() {
        let name = |f: &str, chosen: Option<&str>| {
            recognise(f, chosen.and_then(by_name)).map(|e| e.name())
        };
        assert_eq!(name("a-1.0.0.tgz", None), Some("npm"));
        assert_eq!(name("a-1.0-py3-none-any.whl", None), Some("python"));
        assert_eq!(name("a.zip", None), Some("go"));
        assert_eq!(name("a-1.0.0.crate", None), Some("cargo"));
        assert_eq!(name("a-1.0.0.tar.gz", None), None);
        assert_eq!(name("a-1.0.0.tar.gz", Some("npm")), Some("npm"));
    }
}
