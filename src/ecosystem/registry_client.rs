//! What every registry client shares: base URLs, credentials, JSON bodies, downloads and the
//! `check-registry` findings. The clients themselves (npm packuments, PyPI simple pages, GOPROXY,
//! the Cargo sparse index) live with their ecosystem in `src/ecosystem/<name>/fetch.rs`.
//!
//! `check-registry` adds each client's protocol checks; each failure is a guard failure naming
//! the URL.

use serde::Deserialize;
use url::Url;

use super::remote::RemoteOptions;
use crate::error::{Failure, Result};
use crate::fetch::download::{self, Auth, Download, Downloaded, Fetcher};
use crate::fetch::{CacheTimings, Check};

/// Most bytes read of a manifest (package.json, METADATA) inside an archive.
pub(crate) const MANIFEST_LIMIT: u64 = 16 * 1024 * 1024;

pub(crate) fn base_url(input: &str, url: &str) -> Result<Url> {
    let trimmed = url.trim().trim_end_matches('/');
    Url::parse(&format!("{trimmed}/"))
        .ok()
        .filter(|u| u.scheme() == "https" || u.scheme() == "http")
        .ok_or_else(|| {
            Failure::invalid_input(
                input,
                format!("{url:?} is not an http(s) URL"),
                format!("set {input} to the registry's base URL"),
            )
        })
}

pub(crate) fn protocol_failure(title: &str, message: String) -> Failure {
    Failure::guard(title.to_string(), message)
        .with_fix("the registry does not serve what was published: check the publish step and the registry (or the proxy in front of it)")
}

pub(crate) fn check(checks: &mut Vec<Check>, fetcher: &Fetcher, name: &str, detail: String) {
    fetcher.log(&format!("check-registry: {name}: {detail}"));
    checks.push(Check {
        name: name.to_string(),
        detail,
    });
}

/// Parses a registry document; a body that does not parse is a protocol failure naming the URL.
pub(crate) fn json<T: for<'de> Deserialize<'de>>(
    response: &download::Response,
    what: &str,
) -> Result<T> {
    serde_json::from_slice(&response.body).map_err(|e| {
        protocol_failure(
            &format!("registry returned an unreadable {what}"),
            format!(
                "GET {} returned a {what} that does not parse: {e}",
                response.url
            ),
        )
    })
}

pub(crate) fn download(
    fetcher: &Fetcher,
    request: &Download,
    twice: bool,
) -> Result<(Downloaded, Option<CacheTimings>)> {
    download::download_maybe_twice(fetcher, request, twice)
}

/// The registry's base URL (from the input named `input`) and the credentials that go to it
/// as `Authorization: Bearer <token>`, masked before anything can print them.
pub(crate) fn registry_with_auth(
    fetcher: &Fetcher,
    input: &str,
    value: &str,
    opts: &RemoteOptions,
    token_variable: Option<&str>,
) -> Result<(Url, Option<Auth>)> {
    let (base, token) = registry_with_token(fetcher, input, value, opts, token_variable)?;
    let auth = token.map(|t| Auth::bearer_for(&base, t));
    Ok((base, auth))
}

/// The registry's base URL and its token (see [`RemoteOptions::token_for`]), masked, for a
/// registry that wants the token in another form than a Bearer header.
pub(crate) fn registry_with_token(
    fetcher: &Fetcher,
    input: &str,
    value: &str,
    opts: &RemoteOptions,
    token_variable: Option<&str>,
) -> Result<(Url, Option<String>)> {
    let base = base_url(input, value)?;
    let token = opts.token_for(Some(input), &download::host_of(&base), token_variable);
    if let Some(t) = &token {
        fetcher.mask(t);
    }
    Ok((base, token))
}
