//! Remote sources: every download the binary makes goes through here.
//!
//! - [`download`]: one HTTP client with retries (exponential backoff with jitter on connection
//!   errors, timeouts, 5xx, 408 and 429 honouring `Retry-After`), integrity (sha256 hex or SRI,
//!   checked before the file reaches its final path) and per-host authentication that never
//!   follows a redirect to another host.
//! - [`oci`]: artifacts in an OCI registry (`oci://host/name:tag` or `@sha256:…`), as ORAS and
//!   `helm push` store them.
//! - [`registry_client`]: what the registry clients share. Each ecosystem's client (`npm:`, `pypi:`,
//!   `go:`, `cargo:` coordinates resolved against their registries, and the registry protocol
//!   smoke of `check-registry`) lives in its folder under `src/ecosystem/`, reached through
//!   [`crate::ecosystem::Ecosystem::fetch`].
//!
//! Every fetch returns a [`Fetched`]: the local file (inside the directory it was given) and what
//! was verified, so smoke-install can install it exactly like a local artifact.

pub mod download;
pub mod oci;
pub mod registry_client;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ecosystem::{self, Eco, FetchRequest, RegistryTokens, RegistryUrls};
use crate::error::{Failure, Result};
use crate::runner::{inputs, Runner};

pub use download::{Digest, Fetcher, Integrity};

/// Environment variable (milliseconds) for the first retry delay; later retries double it.
pub const RETRY_BASE_ENV: &str = "RELEASE_ACTION_RETRY_BASE_MS";
/// Environment variable (milliseconds) capping any single wait, including `Retry-After`.
pub const RETRY_MAX_WAIT_ENV: &str = "RELEASE_ACTION_RETRY_MAX_WAIT_MS";
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_millis(1000);
pub const DEFAULT_RETRY_MAX_WAIT: Duration = Duration::from_secs(60);
/// Environment variable (milliseconds) for how often a transfer in progress is logged.
pub const PROGRESS_ENV: &str = "RELEASE_ACTION_PROGRESS_MS";
pub const DEFAULT_PROGRESS: Duration = Duration::from_secs(3);

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
        let names: Vec<&str> = ecosystem::TOKEN_INPUTS.iter().map(|(t, _)| *t).collect();
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

/// The first http(s) URL of a registry input's value (a GOPROXY list; a Cargo index without its
/// `sparse+`).
pub fn first_registry_url(value: &str) -> &str {
    value
        .split([',', '|'])
        .map(|v| v.trim().trim_start_matches("sparse+"))
        .find(|v| v.starts_with("https://") || v.starts_with("http://"))
        .unwrap_or("")
}

/// `host:port` of an http(s) URL: where a token sent for it goes.
fn origin_key(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url.trim()).ok()?;
    Some(format!(
        "{}:{}",
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?
    ))
}

/// Refuses credentials written into a URL (`https://user:pass@host/…`) anywhere in an input's
/// value: they would be printed in logs, annotations and the summary, and sent as Basic auth to
/// whatever host the URL names. Tokens have their own masked inputs. Every `scheme://` word of
/// the value is checked (lists, GOPROXY's `,`/`|` lists); the error names the input and shows the
/// URL with its userinfo replaced by `***`, so the secret is never echoed.
pub fn refuse_url_userinfo(input: &str, value: &str) -> Result<()> {
    for word in value.split(|c: char| c.is_whitespace() || c == ',' || c == '|') {
        let Some(scheme_end) = word.find("://") else {
            continue;
        };
        let rest = &word[scheme_end + 3..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let Some(at) = rest[..authority_end].rfind('@') else {
            continue;
        };
        let shown = format!("{}***@{}", &word[..scheme_end + 3], &rest[at + 1..]);
        return Err(Failure::usage(
            format!("Credentials in input `{input}`"),
            format!(
                "input `{input}`: {shown} carries credentials in the URL (user:password@); they \
                 would be printed in the log and sent to that host"
            ),
        )
        .with_fix(
            "remove the user:password@ part and pass the token through `registry-token` \
             (masked, sent only to that registry's host)",
        ));
    }
    Ok(())
}

/// Hosts a GitHub token may be sent to without being named for them.
pub fn is_github_host(host: &str) -> bool {
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    host == "ghcr.io"
        || host == "github.com"
        || host == "api.github.com"
        || host.ends_with(".pkg.github.com")
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
            return Some(match reqwest::Url::parse(entry) {
                Ok(_) => Ok(Source::Url(entry.to_string())),
                Err(e) => Err(bad("URL", "https://host/path/file.tgz").with_fix(format!(
                    "fix the URL ({e}); write it as https://host/path/file.tgz"
                ))),
            });
        }
        if let Some(rest) = entry.strip_prefix("oci://") {
            return Some(oci::Reference::parse(rest).map(Source::Oci));
        }
        for &ecosystem in ecosystem::ALL {
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

/// One registry protocol check and its outcome detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub detail: String,
}

/// Timings of the two fetches `check-cache` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheTimings {
    pub first: Duration,
    pub second: Duration,
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
}

impl Fetched {
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

/// Where progress goes: the runner's log, or any callback (tests).
pub trait Log {
    fn log(&self, message: &str);
    fn mask(&self, _secret: &str) {}
}

impl Log for Runner {
    fn log(&self, message: &str) {
        Runner::log(self, message)
    }
    fn mask(&self, secret: &str) {
        Runner::mask(self, secret)
    }
}

impl<F: Fn(&str)> Log for F {
    fn log(&self, message: &str) {
        self(message)
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
        Source::Url(url) => fetch_url(fetcher, source, url, opts, expected, dir),
        Source::Oci(reference) => oci::fetch(fetcher, reference, opts, expected, dir),
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

fn fetch_url(
    fetcher: &Fetcher,
    source: &Source,
    url: &str,
    opts: &RemoteOptions,
    expected: Option<Integrity>,
    dir: &Path,
) -> Result<Fetched> {
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        Failure::usage("Malformed URL", format!("{url}: {e}")).with_fix("fix the URL")
    })?;
    let host = download::host_of(&parsed);
    let token = opts.token_for(None, &host, None);
    let auth = token.map(|t| download::Auth::bearer_for(&parsed, t));
    let name = file_name_from_url(&parsed);
    let dest = dir.join(&name);
    let request = download::Download {
        url: url.to_string(),
        dest: dest.clone(),
        expected: expected.clone().into_iter().collect(),
        size: None,
        auth: auth.clone(),
        accept: None,
    };
    let (done, cache) = download::download_maybe_twice(fetcher, &request, opts.check_cache)?;
    let mut verified = Vec::new();
    if let Some(e) = &expected {
        verified.push(format!("{} matches the expected digest", e.describe()));
    } else {
        verified.push("no expected digest given: only the length was checked".into());
    }
    Ok(Fetched {
        source: source.display(),
        url: url.to_string(),
        path: dest,
        kind: ArtifactKind::File,
        bytes: done.bytes,
        sha256: done.sha256_hex(),
        verified,
        checks: Vec::new(),
        cache,
    })
}

/// A safe local file name from the last URL segment.
pub(crate) fn file_name_from_url(url: &reqwest::Url) -> String {
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back().map(str::to_string))
        .unwrap_or_default();
    sanitize_file_name(&last, "download")
}

/// Keeps a file name to `[A-Za-z0-9._+-]`, never empty, never `.`/`..`.
pub(crate) fn sanitize_file_name(name: &str, fallback: &str) -> String {
    let decoded = percent_decode(name);
    let base = decoded.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() || clean.chars().all(|c| c == '.') {
        fallback.to_string()
    } else {
        clean
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // Bytes, not `&s[..]`: a `%` before a multi-byte character must not slice inside it.
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn file_names_are_sanitized() {
        assert_eq!(sanitize_file_name("..", "x"), "x");
        assert_eq!(sanitize_file_name("a%2Fb.tgz", "x"), "b.tgz");
        assert_eq!(sanitize_file_name("pkg 1.tgz", "x"), "pkg_1.tgz");
    }

    #[test]
    fn github_tokens_stay_on_github_hosts() {
        assert!(is_github_host("ghcr.io"));
        assert!(is_github_host("npm.pkg.github.com"));
        assert!(!is_github_host("evil.com"));
        assert!(!is_github_host("github.com.evil.com"));
    }
}
