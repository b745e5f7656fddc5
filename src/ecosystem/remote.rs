//! Remote entries and what fetching one returns: the contract between smoke-install and the
//! registry clients. [`Source`] is a `packages` entry that is not a local path (a URL, `oci://`,
//! or `<key>:<coordinate>` of an ecosystem), [`RemoteOptions`] the flags that say how to fetch
//! (the transport's, and each ecosystem's registry and token), [`Fetched`] the local file and
//! what was verified, so smoke-install installs it exactly like a local artifact. URLs and OCI
//! layers are downloaded by `crate::fetch`; a coordinate goes to its ecosystem's
//! [`Ecosystem::fetch`](super::Ecosystem::fetch).

use std::path::{Path, PathBuf};

use super::{Eco, FetchRequest, RegistryTokens, RegistryUrls};
use crate::error::{Failure, Result};
use crate::fetch::download::{self, Fetcher, Integrity};
use crate::fetch::{
    self, first_registry_url, is_github_host, oci, origin_key, CacheTimings, Check, File, Log,
    TransportOptions,
};
use crate::runner::inputs;

/// Inputs for remote sources, flattened into the flags of the modes that fetch
/// (`#[command(flatten)] remote: RemoteOptions`).
#[derive(Debug, Clone, clap::Args)]
pub struct RemoteOptions {
    /// Retries after the first attempt on connection errors, timeouts, 5xx, 408 and 429; at
    /// most 10 (waits grow exponentially, so more would hold a runner for hours).
    #[arg(long, default_value_t = 4, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,

    /// Timeout in seconds, 1 to 600: one deadline per request attempt, covering the connection,
    /// every redirect (at most 10) and the body.
    #[arg(long, default_value_t = 30, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,

    /// Token for `registry`, or for the one registry the remote entries come from (an oci://
    /// host, a URL's host, or an ecosystem's registry without its own token): refused when it
    /// would reach more than one origin. Defaults: NODE_AUTH_TOKEN for the npm registry;
    /// PKG_GITHUB_COM_TOKEN, else GITHUB_TOKEN, for GitHub hosts (ghcr.io, npm.pkg.github.com,
    /// …) only.
    #[arg(long, value_name = "TOKEN")]
    pub registry_token: Option<String>,

    /// Each ecosystem's registry for its remote entries.
    #[command(flatten)]
    pub registries: RegistryUrls,

    /// Each ecosystem's registry token, sent only to that registry.
    #[command(flatten)]
    pub tokens: RegistryTokens,

    /// Check the registry protocol for each remote entry (packument, simple page, GOPROXY
    /// endpoints) and fail on any inconsistency.
    #[arg(long, value_name = "BOOL", value_parser = inputs::boolean, default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub check_registry: bool,

    /// Fetch each remote artifact twice and report both timings (a cold and a warm cache).
    #[arg(long, value_name = "BOOL", value_parser = inputs::boolean, default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub check_cache: bool,

    /// Expected sha256 (hex) of the artifact, for a single remote entry.
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,

    /// Expected Subresource Integrity (`sha512-…` or `sha256-…`) of the artifact, for a single
    /// remote entry.
    #[arg(long, value_name = "SRI")]
    pub integrity: Option<String>,

    /// The attestation gate for registry packages, parsed by the mode from its `provenance`
    /// inputs (`None`: `provenance: off`, or a mode without the gate).
    #[arg(skip)]
    pub gate: Option<std::sync::Arc<super::provenance::Gate>>,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            retries: 4,
            timeout: 30,
            registry_token: None,
            registries: RegistryUrls::default(),
            tokens: RegistryTokens::default(),
            check_registry: false,
            check_cache: false,
            sha256: None,
            integrity: None,
            gate: None,
        }
    }
}

impl RemoteOptions {
    /// The expected digest from `sha256`/`integrity`, validated.
    pub fn expected(&self) -> Result<Option<Integrity>> {
        match (&self.sha256, &self.integrity) {
            (Some(_), Some(_)) => Err(Failure::usage(
                "Both sha256 and integrity given",
                "only one expected digest can be given for a remote entry",
            )
            .with_fix("keep either sha256 (hex) or integrity (sha512-…/sha256-…)")),
            (Some(hex), None) => Integrity::parse_sha256_hex(hex).map(Some),
            (None, Some(sri)) => Integrity::parse_sri(sri).map(Some),
            (None, None) => Ok(None),
        }
    }

    /// The token for a request to `host`: the token bound to `registry_input` (the ecosystem
    /// registry input the request is for, e.g. `npm-token` for `npm-registry`), else
    /// `registry-token` (which the mode has bound to the one origin it may reach, see
    /// [`RemoteOptions::bind_registry_token`]), else the one from the environment for this kind of
    /// registry: the registry's own variable (npm: NODE_AUTH_TOKEN), then a GitHub token for
    /// GitHub hosts.
    pub fn token_for(
        &self,
        registry_input: Option<&str>,
        host: &str,
        token_variable: Option<&str>,
    ) -> Option<String> {
        let own = registry_input.and_then(|i| self.tokens.for_registry(i));
        let general = self
            .registry_token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        if let Some(t) = own.or(general) {
            return Some(t.to_string());
        }
        let env = crate::runner::env::value;
        if let Some(t) = token_variable.and_then(env) {
            return Some(t);
        }
        if is_github_host(host) {
            return env("PKG_GITHUB_COM_TOKEN").or_else(|| env("GITHUB_TOKEN"));
        }
        None
    }
}

impl RemoteOptions {
    /// smoke-install: `registry-token` goes to `registry` and to the registry of every remote
    /// entry without a token of its own (an oci:// host, a URL's host, an ecosystem registry whose
    /// token input is empty). One token is bound to one registry: when those are more than one
    /// origin, exit 2 before anything is sent.
    pub fn check_registry_token(&self, registry: Option<&str>, sources: &[Source]) -> Result<()> {
        let given = self.registry_token.as_deref().map(str::trim);
        if given.is_none_or(str::is_empty) {
            return Ok(());
        }
        let mut reached: Vec<(String, String)> = Vec::new();
        let mut add = |url: &str, what: String| {
            if let Some(key) = origin_key(url) {
                if !reached.iter().any(|(k, _)| *k == key) {
                    reached.push((key, what));
                }
            }
        };
        if let Some(r) = registry {
            add(r, format!("`registry` ({})", r.trim()));
        }
        for source in sources {
            match source {
                Source::Url(url) => add(url, url.clone()),
                Source::Oci(r) => add(&format!("https://{}/", r.host), format!("oci://{}", r.host)),
                Source::Registry { ecosystem, .. } => {
                    let Some(input) = ecosystem.publish().map(|p| p.registry_input()) else {
                        continue;
                    };
                    if self.tokens.for_registry(input).is_some() {
                        continue;
                    }
                    let value = self.registries.value_of(input).unwrap_or_default();
                    add(first_registry_url(value), format!("`{input}` ({value})"));
                }
            }
        }
        if reached.len() <= 1 {
            return Ok(());
        }
        let names: Vec<&str> = super::TOKEN_INPUTS.iter().map(|(t, _)| *t).collect();
        Err(Failure::invalid_input(
            "registry-token",
            format!(
                "one token would reach {} registries: {}; a token is bound to one registry",
                reached.len(),
                reached
                    .iter()
                    .map(|(_, what)| what.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "keep `registry-token` for one registry and give each ecosystem's registry its own \
                 token ({}), or smoke entries from different registries in separate steps",
                names.join(", ")
            ),
        ))
    }
}

impl TransportOptions for RemoteOptions {
    fn retries(&self) -> u32 {
        self.retries
    }
    fn timeout(&self) -> u64 {
        self.timeout
    }
    fn registry_token(&self) -> Option<&String> {
        self.registry_token.as_ref()
    }
    fn token_for_host(&self, host: &str) -> Option<String> {
        self.token_for(None, host, None)
    }
    fn check_cache(&self) -> bool {
        self.check_cache
    }
}

/// A remote entry of smoke-install's `packages` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `https://…` or `http://…`: a file by URL.
    Url(String),
    /// `oci://host/name:tag` or `oci://host/name@sha256:…`.
    Oci(oci::Reference),
    /// `<key>:<coordinate>` of a registered ecosystem: `npm:name@version`,
    /// `pypi:name==version`, `go:module@version`, `cargo:name@version`.
    Registry {
        ecosystem: Eco,
        name: String,
        version: String,
    },
}

impl Source {
    /// `None` when the entry is not a remote form (a local path or glob).
    pub fn parse(entry: &str) -> Option<Result<Source>> {
        let entry = entry.trim();
        let bad = |form: &str, example: &str| {
            Failure::usage(
                format!("Malformed {form} entry"),
                format!("{entry:?} is not a valid {form} entry"),
            )
            .with_fix(format!("write it as {example}"))
        };
        if entry.starts_with("https://") || entry.starts_with("http://") {
            return Some(match url::Url::parse(entry) {
                Ok(_) => Ok(Source::Url(entry.to_string())),
                Err(e) => Err(bad("URL", "https://host/path/file.tgz").with_fix(format!(
                    "fix the URL ({e}); write it as https://host/path/file.tgz"
                ))),
            });
        }
        if let Some(rest) = entry.strip_prefix("oci://") {
            return Some(oci::Reference::parse(rest).map(Source::Oci));
        }
        for &ecosystem in super::ALL {
            let Some(rest) = entry
                .strip_prefix(ecosystem.key())
                .and_then(|r| r.strip_prefix(':'))
            else {
                continue;
            };
            let form = format!("{}:", ecosystem.key());
            let example = ecosystem.coordinate_example();
            return Some(match ecosystem.parse_coordinate(rest) {
                Some((name, version)) => match ecosystem.check_coordinate(&name) {
                    Ok(()) => Ok(Source::Registry {
                        ecosystem,
                        name,
                        version,
                    }),
                    Err(why) => Err(bad(&form, example).with_fix(why)),
                },
                None => Err(bad(&form, example)),
            });
        }
        None
    }

    /// The entry as written.
    pub fn display(&self) -> String {
        match self {
            Source::Url(u) => u.clone(),
            Source::Oci(r) => format!("oci://{r}"),
            Source::Registry {
                ecosystem,
                name,
                version,
            } => ecosystem.display_coordinate(name, version),
        }
    }

    /// The ecosystem a registry coordinate belongs to (a URL or OCI layer is known only once
    /// fetched).
    pub fn ecosystem(&self) -> Option<Eco> {
        match self {
            Source::Registry { ecosystem, .. } => Some(*ecosystem),
            Source::Url(_) | Source::Oci(_) => None,
        }
    }
}

/// What kind of artifact was fetched, so smoke-install picks the installer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactKind {
    /// A package its ecosystem's registry served. `local_registry` is a tree in the registry's
    /// own layout the fetch wrote (Go: a GOPROXY tree `<module>/@v/{list,V.info,V.mod,V.zip}`
    /// for `GOPROXY=file://…`), served to the installer instead of one built from the file.
    Package {
        ecosystem: Eco,
        local_registry: Option<PathBuf>,
    },
    /// Anything else (a URL or an OCI layer): classify by file name.
    File,
}

impl ArtifactKind {
    /// The ecosystem of a registry package.
    pub fn ecosystem(&self) -> Option<Eco> {
        match self {
            ArtifactKind::Package { ecosystem, .. } => Some(*ecosystem),
            ArtifactKind::File => None,
        }
    }
}

/// A fetched artifact.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The entry as written.
    pub source: String,
    /// Where the bytes came from (after resolving coordinates; before redirects).
    pub url: String,
    /// The local file, inside the directory given to [`fetch`].
    pub path: PathBuf,
    pub kind: ArtifactKind,
    pub bytes: u64,
    /// sha256 of the file, hex.
    pub sha256: String,
    /// What was verified, one line each (`sha512 integrity from the packument`, …).
    pub verified: Vec<String>,
    /// Registry protocol checks that passed (`check-registry`).
    pub checks: Vec<Check>,
    /// `check-cache` timings.
    pub cache: Option<CacheTimings>,
    /// The attestation gate's answer for a registry package (`None`: not asked).
    pub provenance: Option<super::provenance::Provenance>,
}

impl Fetched {
    /// A file a URL or an OCI layer gave (classified later by its name).
    pub fn file(f: File) -> Self {
        Fetched {
            source: f.source,
            url: f.url,
            path: f.path,
            kind: ArtifactKind::File,
            bytes: f.bytes,
            sha256: f.sha256,
            verified: f.verified,
            checks: Vec::new(),
            cache: f.cache,
            provenance: None,
        }
    }

    /// A package an ecosystem's registry client downloaded to `path` (`done`), with nothing yet
    /// verified or checked: the client fills those in with struct update syntax.
    pub fn package(
        ecosystem: Eco,
        source: String,
        url: String,
        path: PathBuf,
        done: &download::Downloaded,
    ) -> Self {
        Fetched {
            source,
            url,
            path,
            kind: ArtifactKind::Package {
                ecosystem,
                local_registry: None,
            },
            bytes: done.bytes,
            sha256: done.sha256_hex(),
            verified: Vec::new(),
            checks: Vec::new(),
            cache: None,
            provenance: None,
        }
    }

    /// Lines for the log and the step summary: what was fetched, verified and checked.
    pub fn report_lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "{} → {} ({} bytes, sha256:{})",
            self.source,
            self.path.display(),
            self.bytes,
            self.sha256
        )];
        lines.extend(self.verified.iter().map(|v| format!("verified: {v}")));
        lines.extend(
            self.checks
                .iter()
                .map(|c| format!("check-registry {}: {}", c.name, c.detail)),
        );
        if let Some(t) = &self.cache {
            lines.push(format!(
                "check-cache: first fetch {} ms, second {} ms",
                t.first.as_millis(),
                t.second.as_millis()
            ));
        }
        lines
    }
}

/// Fetches one remote entry into `dir` (a temp dir owned by the caller).
pub fn fetch(source: &Source, opts: &RemoteOptions, dir: &Path, log: &dyn Log) -> Result<Fetched> {
    let fetcher = Fetcher::from_options(opts, log)?;
    fetch_with(&fetcher, source, opts, dir)
}

/// Like [`fetch`], with a [`Fetcher`] the caller built (to share it or tune it).
pub fn fetch_with(
    fetcher: &Fetcher,
    source: &Source,
    opts: &RemoteOptions,
    dir: &Path,
) -> Result<Fetched> {
    let expected = opts.expected()?;
    std::fs::create_dir_all(dir).map_err(|e| {
        Failure::usage(
            "Cannot create the download directory",
            format!("{}: {e}", dir.display()),
        )
    })?;
    match source {
        Source::Url(url) => fetch::fetch_url(fetcher, &source.display(), url, opts, expected, dir)
            .map(Fetched::file),
        Source::Oci(reference) => {
            oci::fetch(fetcher, reference, opts, expected, dir).map(Fetched::file)
        }
        Source::Registry {
            ecosystem,
            name,
            version,
        } => ecosystem.fetch(&FetchRequest {
            fetcher,
            name,
            version,
            opts,
            expected,
            dir,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecosystem;

    #[test]
    fn parses_remote_entries() {
        let parsed = |entry: &str| match Source::parse(entry).unwrap().unwrap() {
            Source::Registry {
                ecosystem,
                name,
                version,
            } => (ecosystem.name(), name, version),
            other => panic!("{other:?}"),
        };
        let owned = |e: &'static str, n: &str, v: &str| (e, n.to_string(), v.to_string());
        assert_eq!(
            parsed("npm:@scope/pkg@1.2.3-rc.1"),
            owned("npm", "@scope/pkg", "1.2.3-rc.1")
        );
        assert_eq!(parsed("pypi:My_Pkg==1.0"), owned("python", "My_Pkg", "1.0"));
        assert_eq!(
            parsed("go:example.com/A/b@v1.2.3"),
            owned("go", "example.com/A/b", "v1.2.3")
        );
        for entry in ["npm:@scope/pkg@1.2.3-rc.1", "pypi:My_Pkg==1.0"] {
            assert_eq!(Source::parse(entry).unwrap().unwrap().display(), entry);
        }
        assert!(Source::parse("./dist/pkg.tgz").is_none());
        assert!(Source::parse("npm:@scope/pkg").unwrap().is_err());
        assert!(Source::parse("pypi:pkg").unwrap().is_err());
        assert!(Source::parse("go:example.com/m@1.0.0").unwrap().is_err());
    }

    #[derive(clap::Parser, Debug)]
    struct Flattened {
        #[command(flatten)]
        remote: RemoteOptions,
    }

    #[test]
    fn options_flatten_into_a_mode() {
        use clap::Parser;
        let d = Flattened::try_parse_from(["x"]).unwrap().remote;
        let want = RemoteOptions::default();
        assert_eq!(
            (d.retries, d.timeout, d.check_registry, d.check_cache),
            (want.retries, want.timeout, false, false)
        );
        assert_eq!(d.registries.npm_registry, ecosystem::npm::DEFAULT_REGISTRY);
        assert_eq!(d.registries.pypi_index, ecosystem::pypi::DEFAULT_INDEX);
        assert_eq!(d.registries.goproxy, ecosystem::go::DEFAULT_GOPROXY);
        // The way INPUT_* variables arrive: --name=value.
        let o = Flattened::try_parse_from([
            "x",
            "--retries=2",
            "--timeout=5",
            "--check-registry=true",
            "--check-cache=False",
            "--registry-token=t",
            "--integrity=sha512-x",
        ])
        .unwrap()
        .remote;
        assert_eq!((o.retries, o.timeout), (2, 5));
        assert!(o.check_registry && !o.check_cache);
        assert_eq!(o.registry_token.as_deref(), Some("t"));
        assert!(Flattened::try_parse_from(["x", "--check-registry=yes"]).is_err());
    }
}
