//! Remote sources: every download the binary makes goes through here.
//!
//! - [`download`]: one HTTP client with retries (exponential backoff with jitter on connection
//!   errors, timeouts, 5xx, 408 and 429 honouring `Retry-After`), integrity (sha256 hex or SRI,
//!   checked before the file reaches its final path) and per-host authentication that never
//!   follows a redirect to another host.
//! - [`oci`]: artifacts in an OCI registry (`oci://host/name:tag` or `@sha256:…`), as ORAS and
//!   `helm push` store them.
//!
//! This layer knows URLs, bytes, retries and integrity, not ecosystems: the remote entries
//! (`Source`), the flags that name each ecosystem's registry (`RemoteOptions`) and what a fetch
//! returns (`Fetched`) live one layer up, in `ecosystem::remote`, and the registry clients
//! with their ecosystem (`src/ecosystem/<name>/fetch.rs`, sharing
//! `ecosystem::registry_client`). A download here returns a [`File`]: the local file
//! (inside the directory it was given) and what was verified.

pub mod download;
pub(crate) mod http;
pub mod oci;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Failure, Result};
use crate::runner::Runner;

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

/// What a download needs from the inputs that configure it (`retries`, `timeout`, the
/// `registry-token`), without knowing which mode or ecosystem they came from. The inputs
/// themselves are `ecosystem::remote::RemoteOptions`.
pub trait TransportOptions {
    /// Retries after the first attempt.
    fn retries(&self) -> u32;
    /// Seconds per request attempt.
    fn timeout(&self) -> u64;
    /// The `registry-token` input, masked as soon as a fetcher exists.
    fn registry_token(&self) -> Option<&String>;
    /// The token for a request to `host` that belongs to no ecosystem's registry (a URL, an
    /// `oci://` host).
    fn token_for_host(&self, host: &str) -> Option<String>;
    /// Fetch twice and report both timings (`check-cache`).
    fn check_cache(&self) -> bool;
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
pub fn origin_key(url: &str) -> Option<String> {
    let url = url::Url::parse(url.trim()).ok()?;
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

/// A downloaded file: where it is (inside the directory the download was given), where it came
/// from and what was verified.
#[derive(Debug, Clone)]
pub struct File {
    /// The entry as written.
    pub source: String,
    /// Where the bytes came from (before redirects).
    pub url: String,
    pub path: PathBuf,
    pub bytes: u64,
    /// sha256 of the file, hex.
    pub sha256: String,
    /// What was verified, one line each.
    pub verified: Vec<String>,
    /// `check-cache` timings.
    pub cache: Option<CacheTimings>,
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

/// Downloads `url` (the entry `source` as written) into `dir`, checked against `expected`.
pub fn fetch_url(
    fetcher: &Fetcher,
    source: &str,
    url: &str,
    opts: &dyn TransportOptions,
    expected: Option<Integrity>,
    dir: &Path,
) -> Result<File> {
    let parsed = url::Url::parse(url).map_err(|e| {
        Failure::usage("Malformed URL", format!("{url}: {e}")).with_fix("fix the URL")
    })?;
    let host = download::host_of(&parsed);
    let token = opts.token_for_host(&host);
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
    let (done, cache) = download::download_maybe_twice(fetcher, &request, opts.check_cache())?;
    let mut verified = Vec::new();
    if let Some(e) = &expected {
        verified.push(format!("{} matches the expected digest", e.describe()));
    } else {
        verified.push("no expected digest given: only the length was checked".into());
    }
    Ok(File {
        source: source.to_string(),
        url: url.to_string(),
        path: dest,
        bytes: done.bytes,
        sha256: done.sha256_hex(),
        verified,
        cache,
    })
}

/// A safe local file name from the last URL segment.
pub(crate) fn file_name_from_url(url: &url::Url) -> String {
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
