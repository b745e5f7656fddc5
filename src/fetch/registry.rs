//! Package coordinates resolved against their registries, and the registry protocol smoke.
//!
//! - `npm:name@version`: the packument (abbreviated, `Accept: application/vnd.npm.install-v1+json`)
//!   names the tarball and its `dist.integrity`; the tarball must match it.
//! - `pypi:name==version`: the PEP 503 simple page (PEP 691 JSON when offered) names the files
//!   with a `#sha256=` fragment; the chosen file (a `none-any` wheel, else another wheel, else the
//!   sdist) must hash to it.
//! - `go:module@version`: the GOPROXY `.info` (its `Version` must equal the one asked for),
//!   `.mod` and `.zip` (every entry under `module@version/`); the `go.sum` lines are computed.
//!
//! `check-registry` adds the protocol checks listed per registry below; each failure is a guard
//! failure naming the URL.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use base64::Engine as _;
use reqwest::Url;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::download::{self, Auth, Download, Downloaded, Fetcher, Integrity};
use super::{ArtifactKind, CacheTimings, Check, Fetched, RemoteOptions};
use crate::archive;
use crate::error::{Failure, Result};

pub const NPM_ABBREVIATED: &str = "application/vnd.npm.install-v1+json";
pub const PYPI_SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";

fn base_url(input: &str, url: &str) -> Result<Url> {
    let trimmed = url.trim().trim_end_matches('/');
    Url::parse(&format!("{trimmed}/"))
        .ok()
        .filter(|u| u.scheme() == "https" || u.scheme() == "http")
        .ok_or_else(|| {
            Failure::usage(
                format!("malformed {input}"),
                format!("{input} {url:?} is not an http(s) URL"),
            )
            .with_fix(format!("set {input} to the registry's base URL"))
        })
}

fn protocol_failure(title: &str, message: String) -> Failure {
    Failure::guard(title.to_string(), message)
        .with_fix("the registry does not serve what was published: check the publish step and the registry (or the proxy in front of it)")
}

fn check(checks: &mut Vec<Check>, fetcher: &Fetcher, name: &str, detail: String) {
    fetcher.log(&format!("check-registry: {name}: {detail}"));
    checks.push(Check {
        name: name.to_string(),
        detail,
    });
}

/// Parses a registry document; a body that does not parse is a protocol failure naming the URL.
pub fn json<T: for<'de> Deserialize<'de>>(response: &download::Response, what: &str) -> Result<T> {
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

fn download(
    fetcher: &Fetcher,
    request: &Download,
    twice: bool,
) -> Result<(Downloaded, Option<CacheTimings>)> {
    download::download_maybe_twice(fetcher, request, twice)
}

// ---------------------------------------------------------------------------------------------
// npm

/// The parts of an npm packument (full or abbreviated) the action reads.
#[derive(Debug, Deserialize)]
pub struct Packument {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "dist-tags")]
    pub dist_tags: BTreeMap<String, String>,
    #[serde(default)]
    pub versions: BTreeMap<String, NpmVersion>,
}

#[derive(Debug, Deserialize)]
pub struct NpmVersion {
    #[serde(default)]
    pub dist: Option<NpmDist>,
}

#[derive(Debug, Deserialize)]
pub struct NpmDist {
    pub tarball: String,
    #[serde(default)]
    pub integrity: Option<String>,
    #[serde(default)]
    pub shasum: Option<String>,
}

/// `@scope/name` → `@scope%2fname` (the form npm requests).
pub fn npm_packument_path(name: &str) -> String {
    name.replace('/', "%2f")
}

/// The registry's base URL (from the input named `input`) and the credentials that go to it,
/// masked before anything can print them.
pub fn registry_with_auth(
    fetcher: &Fetcher,
    input: &str,
    value: &str,
    opts: &RemoteOptions,
    npm: bool,
) -> Result<(Url, Option<Auth>)> {
    let base = base_url(input, value)?;
    let token = opts.token_for(&download::host_of(&base), npm);
    if let Some(t) = &token {
        fetcher.mask(t);
    }
    let auth = token.map(|t| Auth::bearer_for(&base, t));
    Ok((base, auth))
}

/// Fetches `npm:name@version` (see the module docs).
pub fn fetch_npm(
    fetcher: &Fetcher,
    name: &str,
    version: &str,
    opts: &RemoteOptions,
    expected: Option<Integrity>,
    dir: &Path,
) -> Result<Fetched> {
    let (base, auth) = registry_with_auth(fetcher, "npm-registry", &opts.npm_registry, opts, true)?;
    let packument_url = base
        .join(&npm_packument_path(name))
        .map_err(|e| Failure::usage("malformed npm package name", format!("{name}: {e}")))?;
    let accept = format!("{NPM_ABBREVIATED}; q=1.0, application/json; q=0.8, */*");
    let response = fetcher.get(packument_url.as_str(), auth.as_ref(), Some(&accept))?;
    let packument: Packument = json(&response, "packument")?;
    let mut checks = Vec::new();
    let mut verified = Vec::new();

    let Some(entry) = packument.versions.get(version) else {
        let mut known: Vec<&String> = packument.versions.keys().collect();
        known.sort_by_key(|v| semver::Version::parse(v).ok());
        let last: Vec<&str> = known.iter().rev().take(5).map(|s| s.as_str()).collect();
        let tags: Vec<String> = packument
            .dist_tags
            .iter()
            .map(|(t, v)| format!("{t}={v}"))
            .collect();
        return Err(Failure::guard(
            "version not in the registry",
            format!(
                "GET {packument_url} lists no version {version} of {name} (latest versions: {}; \
                 dist-tags: {})",
                if last.is_empty() {
                    "none".into()
                } else {
                    last.join(", ")
                },
                if tags.is_empty() {
                    "none".into()
                } else {
                    tags.join(", ")
                }
            ),
        )
        .with_fix("check the publish step succeeded for this version and registry"));
    };
    let Some(dist) = &entry.dist else {
        return Err(protocol_failure(
            "packument version has no dist",
            format!("GET {packument_url}: version {version} has no dist (tarball, integrity)"),
        ));
    };

    if opts.check_registry {
        let content_type = response.header("content-type").unwrap_or("").to_string();
        let form = if content_type.starts_with(NPM_ABBREVIATED) {
            "abbreviated (application/vnd.npm.install-v1+json)"
        } else {
            "full (the registry ignored the abbreviated Accept)"
        };
        check(
            &mut checks,
            fetcher,
            "packument",
            format!("{packument_url}: {form}, lists {version}"),
        );
        if packument.name.as_deref() != Some(name) {
            return Err(protocol_failure(
                "packument names another package",
                format!(
                    "GET {packument_url} returned a packument named {:?}, not {name}",
                    packument.name
                ),
            ));
        }
        let tags: Vec<String> = packument
            .dist_tags
            .iter()
            .filter(|(_, v)| v.as_str() == version)
            .map(|(t, _)| t.clone())
            .collect();
        if packument.dist_tags.is_empty() {
            return Err(protocol_failure(
                "packument has no dist-tags",
                format!("GET {packument_url} returned no dist-tags (npm install needs latest)"),
            ));
        }
        check(
            &mut checks,
            fetcher,
            "dist-tags",
            if tags.is_empty() {
                format!("no dist-tag points at {version}")
            } else {
                format!("{} → {version}", tags.join(", "))
            },
        );
        if dist.integrity.is_none() {
            return Err(protocol_failure(
                "packument has no dist.integrity",
                format!("GET {packument_url}: version {version} has no dist.integrity"),
            ));
        }
        // The full document must agree with the abbreviated one.
        let full = fetcher.get(
            packument_url.as_str(),
            auth.as_ref(),
            Some("application/json"),
        )?;
        let full: Packument = json(&full, "packument")?;
        let full_integrity = full
            .versions
            .get(version)
            .and_then(|v| v.dist.as_ref())
            .and_then(|d| d.integrity.clone());
        if full_integrity != dist.integrity {
            return Err(protocol_failure(
                "full and abbreviated packuments disagree",
                format!(
                    "GET {packument_url}: version {version} has integrity {:?} in the full \
                     packument and {:?} in the abbreviated one",
                    full_integrity, dist.integrity
                ),
            ));
        }
        check(
            &mut checks,
            fetcher,
            "full packument",
            format!("agrees on {version}'s dist.integrity"),
        );
    }

    let mut expect = Vec::new();
    match &dist.integrity {
        Some(sri) => {
            expect.push(Integrity::parse_sri(sri)?.from("dist.integrity in the packument"))
        }
        None => verified.push(format!(
            "the packument has no dist.integrity for {version} (shasum {} not checked)",
            dist.shasum.as_deref().unwrap_or("none")
        )),
    }
    if let Some(e) = expected.clone() {
        expect.push(e);
    }
    let tarball = Url::parse(&dist.tarball)
        .or_else(|_| base.join(&dist.tarball))
        .map_err(|e| {
            protocol_failure(
                "packument has a malformed tarball URL",
                format!("GET {packument_url}: dist.tarball {:?}: {e}", dist.tarball),
            )
        })?;
    let file_name = super::sanitize_file_name(
        &format!(
            "{}-{version}.tgz",
            name.trim_start_matches('@').replace('/', "-")
        ),
        "package.tgz",
    );
    let dest = dir.join(&file_name);
    let request = Download {
        url: tarball.to_string(),
        dest: dest.clone(),
        expected: expect.clone(),
        size: None,
        auth: auth.clone(),
        accept: None,
    };
    let (done, cache) = download(fetcher, &request, opts.check_cache)?;
    for e in &expect {
        verified.push(format!("tarball matches {}", e.describe()));
    }
    if opts.check_registry {
        check(
            &mut checks,
            fetcher,
            "tarball integrity",
            format!("{tarball} matches {}", done.sri512()),
        );
        let (pkg_name, pkg_version) = npm_tarball_manifest(&dest, &tarball)?;
        if pkg_name != name || pkg_version != version {
            return Err(protocol_failure(
                "tarball holds another package",
                format!(
                    "{tarball}: package/package.json is {pkg_name}@{pkg_version}, not \
                     {name}@{version}"
                ),
            ));
        }
        check(
            &mut checks,
            fetcher,
            "tarball package.json",
            format!("{pkg_name}@{pkg_version}"),
        );
    }
    Ok(Fetched {
        source: format!("npm:{name}@{version}"),
        url: tarball.to_string(),
        path: dest,
        kind: ArtifactKind::NpmTarball,
        bytes: done.bytes,
        sha256: done.sha256_hex(),
        verified,
        checks,
        cache,
    })
}

/// Most bytes read of a manifest (package.json, METADATA) inside an archive.
const MANIFEST_LIMIT: u64 = 16 * 1024 * 1024;

/// Name and version from `package/package.json` in an npm tarball; `url` names it in errors.
pub fn npm_tarball_manifest(path: &Path, url: &dyn std::fmt::Display) -> Result<(String, String)> {
    let bad =
        |why: String| protocol_failure("tarball is not an npm package", format!("{url}: {why}"));
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let what = format!("the tarball {url}");
    let stream = archive::Capped::new(
        flate2::read::GzDecoder::new(file),
        what.clone(),
        archive::MAX_UNPACKED,
    );
    let mut tarball = tar::Archive::new(stream);
    let entries = tarball.entries().map_err(|e| bad(e.to_string()))?;
    let mut budget = archive::Budget::new(what, archive::MAX_ENTRIES, archive::MAX_UNPACKED);
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(format!("unreadable tar: {e}")))?;
        budget
            .entry(entry.header().size().unwrap_or(u64::MAX))
            .map_err(bad)?;
        let is_manifest = entry
            .path()
            .map(|p| p.to_string_lossy() == "package/package.json")
            .unwrap_or(false);
        if is_manifest {
            let text =
                archive::read_capped(&mut entry, "package.json", MANIFEST_LIMIT).map_err(bad)?;
            let value: serde_json::Value =
                serde_json::from_slice(&text).map_err(|e| bad(format!("package.json: {e}")))?;
            let field = |k: &str| {
                value
                    .get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            return Ok((field("name"), field("version")));
        }
    }
    Err(bad("no package/package.json".into()))
}

// ---------------------------------------------------------------------------------------------
// PyPI

/// PEP 503 normalized name: lowercase, runs of `-_.` → `-`.
pub fn pep503_normalize(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in name.trim().chars() {
        if c == '-' || c == '_' || c == '.' {
            if !dash {
                out.push('-');
            }
            dash = true;
        } else {
            out.push(c.to_ascii_lowercase());
            dash = false;
        }
    }
    out
}

/// A file on a simple index page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    pub filename: String,
    pub url: String,
    pub sha256: Option<String>,
    pub yanked: bool,
}

#[derive(Deserialize)]
struct SimpleJson {
    files: Vec<SimpleJsonFile>,
}

#[derive(Deserialize)]
struct SimpleJsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
    #[serde(default)]
    yanked: serde_json::Value,
}

/// The files of a PEP 691 JSON simple page.
pub fn parse_simple_json(response: &download::Response) -> Result<Vec<IndexFile>> {
    let page: SimpleJson = json(response, "PEP 691 simple page")?;
    let base = Url::parse(&response.url).ok();
    Ok(page
        .files
        .into_iter()
        .map(|f| IndexFile {
            url: resolve(base.as_ref(), &f.url),
            sha256: f.hashes.get("sha256").map(|h| h.to_ascii_lowercase()),
            yanked: !matches!(
                f.yanked,
                serde_json::Value::Null | serde_json::Value::Bool(false)
            ),
            filename: f.filename,
        })
        .collect())
}

fn resolve(base: Option<&Url>, href: &str) -> String {
    match base.and_then(|b| b.join(href).ok()) {
        Some(u) => u.to_string(),
        None => href.to_string(),
    }
}

fn html_unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
}

/// The `<a href>` links of a PEP 503 page.
pub fn parse_simple_html(page_url: &str, html: &str) -> Vec<IndexFile> {
    let base = Url::parse(page_url).ok();
    let anchor = regex::Regex::new(r#"(?is)<a\s([^>]*)>(.*?)</a>"#).expect("static regex");
    let href = regex::Regex::new(r#"(?is)\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#)
        .expect("static regex");
    let mut files = Vec::new();
    for cap in anchor.captures_iter(html) {
        let attrs = &cap[1];
        let Some(h) = href.captures(attrs) else {
            continue;
        };
        let raw = h
            .get(1)
            .or(h.get(2))
            .or(h.get(3))
            .map(|m| html_unescape(m.as_str()))
            .unwrap_or_default();
        let (link, fragment) = raw.split_once('#').unwrap_or((&raw, ""));
        let sha256 = fragment
            .strip_prefix("sha256=")
            .map(|h| h.to_ascii_lowercase());
        let text = html_unescape(cap[2].trim());
        let filename = if text.is_empty() {
            link.rsplit('/').next().unwrap_or("").to_string()
        } else {
            text
        };
        files.push(IndexFile {
            filename,
            url: resolve(base.as_ref(), link),
            sha256,
            yanked: attrs.to_ascii_lowercase().contains("data-yanked"),
        });
    }
    files
}

/// (normalized name, version, is wheel, is pure) of a distribution file name.
pub fn dist_parts(filename: &str) -> Option<(String, String, bool, bool)> {
    if let Some(stem) = filename.strip_suffix(".whl") {
        let parts: Vec<&str> = stem.split('-').collect();
        if parts.len() < 5 {
            return None;
        }
        let pure = stem.ends_with("-none-any");
        return Some((pep503_normalize(parts[0]), parts[1].to_string(), true, pure));
    }
    let stem = [".tar.gz", ".zip", ".tar.bz2", ".tgz"]
        .iter()
        .find_map(|ext| filename.strip_suffix(ext))?;
    let (name, version) = stem.rsplit_once('-')?;
    Some((pep503_normalize(name), version.to_string(), false, false))
}

/// PEP 440 equality (`1.0` == `1.0.0`), else the strings.
pub fn same_version(a: &str, b: &str) -> bool {
    match (
        pep440_rs::Version::from_str(a),
        pep440_rs::Version::from_str(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The file to install: a `none-any` wheel, else the first wheel, else the sdist.
pub fn choose_python_file<'f>(
    files: &'f [IndexFile],
    name: &str,
    version: &str,
) -> Option<&'f IndexFile> {
    let wanted = pep503_normalize(name);
    let matching: Vec<(&IndexFile, bool, bool)> = files
        .iter()
        .filter_map(|f| {
            let (n, v, wheel, pure) = dist_parts(&f.filename)?;
            (n == wanted && same_version(&v, version)).then_some((f, wheel, pure))
        })
        .collect();
    matching
        .iter()
        .find(|(_, w, p)| *w && *p)
        .or_else(|| matching.iter().find(|(_, w, _)| *w))
        .or_else(|| matching.first())
        .map(|(f, _, _)| *f)
}

/// Fetches `pypi:name==version` (see the module docs).
pub fn fetch_pypi(
    fetcher: &Fetcher,
    name: &str,
    version: &str,
    opts: &RemoteOptions,
    expected: Option<Integrity>,
    dir: &Path,
) -> Result<Fetched> {
    let (base, auth) = registry_with_auth(fetcher, "pypi-index", &opts.pypi_index, opts, false)?;
    let normalized = pep503_normalize(name);
    let page_url = base
        .join(&format!("{normalized}/"))
        .map_err(|e| Failure::usage("malformed PyPI name", format!("{name}: {e}")))?;
    let accept =
        format!("{PYPI_SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01");
    let response = fetcher.get(page_url.as_str(), auth.as_ref(), Some(&accept))?;
    let content_type = response.header("content-type").unwrap_or("").to_string();
    let offered_json = content_type.starts_with(PYPI_SIMPLE_JSON);
    let files = if offered_json {
        parse_simple_json(&response)?
    } else {
        parse_simple_html(&response.url, &response.text())
    };
    let mut checks = Vec::new();
    let mut verified = Vec::new();
    let Some(file) = choose_python_file(&files, name, version).cloned() else {
        let names: Vec<&str> = files
            .iter()
            .rev()
            .take(8)
            .map(|f| f.filename.as_str())
            .collect();
        return Err(Failure::guard(
            "version not in the index",
            format!(
                "GET {page_url} lists no file of {name} {version} (files: {})",
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            ),
        )
        .with_fix("check the publish step succeeded for this version and index (pypi-index)"));
    };

    if opts.check_registry {
        let form = if offered_json {
            "PEP 691 JSON"
        } else {
            "PEP 503 HTML (no JSON offered)"
        };
        check(
            &mut checks,
            fetcher,
            "simple page",
            format!("{page_url}: {form}, lists {}", file.filename),
        );
        if offered_json {
            // The HTML form must list the same file with the same hash.
            let html = fetcher.get(page_url.as_str(), auth.as_ref(), Some("text/html"))?;
            let html_files = parse_simple_html(&html.url, &html.text());
            let twin = html_files.iter().find(|f| f.filename == file.filename);
            match twin {
                Some(t) if t.sha256 == file.sha256 => check(
                    &mut checks,
                    fetcher,
                    "PEP 503 HTML",
                    format!("agrees on {}'s sha256", file.filename),
                ),
                Some(t) => {
                    return Err(protocol_failure(
                        "JSON and HTML simple pages disagree",
                        format!(
                            "GET {page_url}: {} has sha256 {:?} in JSON and {:?} in HTML",
                            file.filename, file.sha256, t.sha256
                        ),
                    ))
                }
                None => {
                    return Err(protocol_failure(
                        "JSON and HTML simple pages disagree",
                        format!(
                            "GET {page_url}: {} is in the JSON page but not the HTML one",
                            file.filename
                        ),
                    ))
                }
            }
        }
        if file.sha256.is_none() {
            return Err(protocol_failure(
                "simple page link has no sha256",
                format!(
                    "GET {page_url}: the link to {} has no #sha256= fragment",
                    file.filename
                ),
            ));
        }
        if file.yanked {
            return Err(protocol_failure(
                "file is yanked",
                format!("GET {page_url}: {} is marked yanked", file.filename),
            )
            .with_fix("un-yank the release or publish a new version"));
        }
    }

    let mut expect = Vec::new();
    match &file.sha256 {
        Some(h) => expect.push(
            Integrity::parse_sha256_hex(h)?.from(format!("#sha256= on the simple page {page_url}")),
        ),
        None => verified.push(format!(
            "the simple page gives no sha256 for {}",
            file.filename
        )),
    }
    if let Some(e) = expected.clone() {
        expect.push(e);
    }
    let file_name = super::sanitize_file_name(&file.filename, "dist");
    let dest = dir.join(&file_name);
    let request = Download {
        url: file.url.clone(),
        dest: dest.clone(),
        expected: expect.clone(),
        size: None,
        auth: auth.clone(),
        accept: None,
    };
    let (done, cache) = download(fetcher, &request, opts.check_cache)?;
    for e in &expect {
        verified.push(format!("{} matches {}", file.filename, e.describe()));
    }
    if opts.check_registry {
        check(
            &mut checks,
            fetcher,
            "download sha256",
            format!("{} hashes to sha256:{}", file.url, done.sha256_hex()),
        );
        if file.filename.ends_with(".whl") {
            let (n, v) = wheel_metadata(&dest, &file.url)?;
            if pep503_normalize(&n) != normalized || !same_version(&v, version) {
                return Err(protocol_failure(
                    "wheel holds another distribution",
                    format!("{}: METADATA says {n} {v}, not {name} {version}", file.url),
                ));
            }
            check(&mut checks, fetcher, "wheel METADATA", format!("{n} {v}"));
        }
    }
    Ok(Fetched {
        source: format!("pypi:{name}=={version}"),
        url: file.url,
        path: dest,
        kind: ArtifactKind::PythonDist,
        bytes: done.bytes,
        sha256: done.sha256_hex(),
        verified,
        checks,
        cache,
    })
}

/// Name and Version from a wheel's `*.dist-info/METADATA`; `url` names it in errors.
pub fn wheel_metadata(path: &Path, url: &str) -> Result<(String, String)> {
    let bad = |why: String| protocol_failure("file is not a valid wheel", format!("{url}: {why}"));
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(format!("not a zip: {e}")))?;
    let mut budget = archive::Budget::new(
        format!("the wheel {url}"),
        archive::MAX_ENTRIES,
        archive::MAX_UNPACKED,
    );
    for i in 0..archive.len() {
        let size = archive
            .by_index_raw(i)
            .map_err(|e| bad(e.to_string()))?
            .size();
        budget.entry(size).map_err(bad)?;
    }
    let name = (0..archive.len())
        .filter_map(|i| archive.name_for_index(i)?.ok().map(|n| n.into_owned()))
        .find(|n| n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)
        .ok_or_else(|| bad("no *.dist-info/METADATA".into()))?;
    let entry = archive.by_name(&name).map_err(|e| bad(e.to_string()))?;
    let text = archive::read_capped(entry, &name, MANIFEST_LIMIT).map_err(bad)?;
    let text = String::from_utf8_lossy(&text);
    let field = |key: &str| {
        text.lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
            .unwrap_or_default()
    };
    Ok((field("Name:"), field("Version:")))
}

// ---------------------------------------------------------------------------------------------
// Go

pub use crate::version::go::escape_path as go_escape;

/// The first http(s) entry of a GOPROXY list.
pub fn first_proxy(goproxy: &str) -> Option<String> {
    goproxy
        .split([',', '|'])
        .map(str::trim)
        .find(|p| p.starts_with("https://") || p.starts_with("http://"))
        .map(str::to_string)
}

/// Go's dirhash `h1:` over `(name, sha256)` pairs.
pub fn go_h1(files: &mut [(String, [u8; 32])]) -> String {
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = Sha256::new();
    for (name, digest) in files.iter() {
        summary.update(format!("{}  {}\n", hex::encode(digest), name));
    }
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(summary.finalize())
    )
}

/// A GOPROXY `@v/<version>.info` document.
#[derive(Deserialize)]
pub struct GoInfo {
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "Time", default)]
    pub time: Option<String>,
}

/// Fetches `go:module@version` (see the module docs) into a GOPROXY tree under `dir/goproxy`.
pub fn fetch_go(
    fetcher: &Fetcher,
    module: &str,
    version: &str,
    opts: &RemoteOptions,
    expected: Option<Integrity>,
    dir: &Path,
) -> Result<Fetched> {
    let proxy = first_proxy(&opts.goproxy).ok_or_else(|| {
        Failure::usage(
            "goproxy has no http(s) proxy",
            format!(
                "goproxy {:?} lists no https:// proxy to fetch from",
                opts.goproxy
            ),
        )
        .with_fix("set goproxy to a proxy URL, e.g. https://proxy.golang.org")
    })?;
    let base = base_url("goproxy", &proxy)?;
    let token = opts.token_for(&download::host_of(&base), false);
    if let Some(t) = &token {
        fetcher.mask(t);
    }
    let auth = token.map(|t| Auth::bearer_for(&base, t));
    let escaped = go_escape(module);
    let escaped_version = go_escape(version);
    let at_v = base
        .join(&format!("{escaped}/@v/"))
        .map_err(|e| Failure::usage("malformed Go module path", format!("{module}: {e}")))?;
    let url = |suffix: &str| -> Result<Url> {
        at_v.join(suffix)
            .map_err(|e| Failure::usage("malformed Go version", format!("{version}: {e}")))
    };
    let mut checks = Vec::new();
    let mut verified = Vec::new();

    let info_url = url(&format!("{escaped_version}.info"))?;
    let info_response = fetcher.get(info_url.as_str(), auth.as_ref(), None)?;
    let info: GoInfo = json(&info_response, ".info")?;
    if info.version != version {
        return Err(Failure::guard(
            "GOPROXY resolved another version",
            format!(
                "GET {info_url} answered Version {:?}, not {version}",
                info.version
            ),
        )
        .with_fix("ask for the canonical version (vMAJOR.MINOR.PATCH) that was tagged"));
    }
    verified.push(format!(".info Version is {version}"));

    if opts.check_registry {
        let list_url = url("list")?;
        let list = fetcher.get(list_url.as_str(), auth.as_ref(), None)?.text();
        let is_pseudo = regex::Regex::new(r"\d{14}-[0-9a-f]{12}(\+incompatible)?$")
            .map(|r| r.is_match(version))
            .unwrap_or(false);
        if list.lines().any(|l| l.trim() == version) {
            check(
                &mut checks,
                fetcher,
                "@v/list",
                format!("{list_url} lists {version}"),
            );
        } else if is_pseudo {
            check(
                &mut checks,
                fetcher,
                "@v/list",
                format!("{version} is a pseudo-version (not listed, as expected)"),
            );
        } else {
            return Err(protocol_failure(
                "version missing from @v/list",
                format!(
                    "GET {list_url} does not list {version} (it lists: {})",
                    list.trim().replace('\n', ", ")
                ),
            ));
        }
        check(
            &mut checks,
            fetcher,
            ".info",
            format!(
                "Version {}{}",
                info.version,
                info.time
                    .as_deref()
                    .map(|t| format!(", Time {t}"))
                    .unwrap_or_default()
            ),
        );
    }

    let proxy_dir = dir.join("goproxy");
    let local_v = proxy_dir.join(&escaped).join("@v");
    std::fs::create_dir_all(&local_v).map_err(|e| {
        Failure::usage(
            "cannot create the GOPROXY directory",
            format!("{}: {e}", local_v.display()),
        )
    })?;
    let write = |name: &str, bytes: &[u8]| -> Result<()> {
        std::fs::write(local_v.join(name), bytes).map_err(|e| {
            Failure::usage(
                "cannot write the GOPROXY directory",
                format!("{}: {e}", local_v.display()),
            )
        })
    };
    write(&format!("{escaped_version}.info"), &info_response.body)?;

    let mod_url = url(&format!("{escaped_version}.mod"))?;
    let go_mod = fetcher.get(mod_url.as_str(), auth.as_ref(), None)?;
    write(&format!("{escaped_version}.mod"), &go_mod.body)?;
    let mod_text = go_mod.text();
    let declared = mod_text.lines().find_map(|l| {
        let l = l.trim();
        l.strip_prefix("module")
            .filter(|rest| rest.starts_with([' ', '\t']))
            .map(|rest| rest.trim().trim_matches('"').to_string())
    });
    if declared.as_deref() != Some(module) {
        return Err(protocol_failure(
            "go.mod declares another module",
            format!(
                "GET {mod_url}: the module line is {:?}, not {module}",
                declared.unwrap_or_default()
            ),
        ));
    }
    if opts.check_registry {
        check(&mut checks, fetcher, ".mod", format!("module {module}"));
    }

    let zip_name = format!("{escaped_version}.zip");
    let zip_url = url(&zip_name)?;
    let dest = local_v.join(&zip_name);
    let request = Download {
        url: zip_url.to_string(),
        dest: dest.clone(),
        expected: expected.clone().into_iter().collect(),
        size: None,
        auth: auth.clone(),
        accept: None,
    };
    let (done, cache) = download(fetcher, &request, opts.check_cache)?;
    if let Some(e) = &expected {
        verified.push(format!("module zip matches {}", e.describe()));
    }
    let (h1, zip_go_mod) = verify_module_zip(&dest, &zip_url, module, version)?;
    if let Some(zip_go_mod) = &zip_go_mod {
        if zip_go_mod != &go_mod.body {
            return Err(protocol_failure(
                "module zip and .mod disagree",
                format!("{zip_url}: its go.mod differs from {mod_url}"),
            ));
        }
    }
    // Go hashes the .mod under the bare name `go.mod` (modfetch.HashGoMod).
    let mut mod_files = vec![("go.mod".to_string(), Sha256::digest(&go_mod.body).into())];
    let mod_h1 = go_h1(&mut mod_files);
    verified.push(format!("every zip entry is under {module}@{version}/"));
    verified.push(format!("go.sum: {module} {version} {h1}"));
    verified.push(format!("go.sum: {module} {version}/go.mod {mod_h1}"));
    if opts.check_registry {
        check(
            &mut checks,
            fetcher,
            ".zip",
            format!(
                "entries under {module}@{version}/{}, {h1}",
                if zip_go_mod.is_some() {
                    ", go.mod equals .mod"
                } else {
                    ""
                }
            ),
        );
    }
    write("list", format!("{version}\n").as_bytes())?;
    Ok(Fetched {
        source: format!("go:{module}@{version}"),
        url: zip_url.to_string(),
        path: dest,
        kind: ArtifactKind::GoModule {
            module: module.to_string(),
            version: version.to_string(),
            proxy_dir,
        },
        bytes: done.bytes,
        sha256: done.sha256_hex(),
        verified,
        checks,
        cache,
    })
}

/// Checks every entry is a file under `module@version/` (no `..`, no absolute paths) and returns
/// the `h1:` hash and the zip's go.mod, if it has one; `url` names it in errors.
pub fn verify_module_zip(
    path: &Path,
    url: &dyn std::fmt::Display,
    module: &str,
    version: &str,
) -> Result<(String, Option<Vec<u8>>)> {
    let bad = |why: String| protocol_failure("invalid module zip", format!("{url}: {why}"));
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(format!("not a zip: {e}")))?;
    let prefix = format!("{module}@{version}/");
    let mut hashes = Vec::new();
    let mut go_mod = None;
    let what = format!("the module zip {url}");
    let mut budget = archive::Budget::new(
        what.clone(),
        archive::MAX_ENTRIES,
        archive::MAX_GO_ZIP_UNPACKED,
    );
    let mut left = archive::MAX_GO_ZIP_UNPACKED;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        budget.entry(entry.size()).map_err(bad)?;
        let name = entry
            .name()
            .map_err(|e| bad(format!("entry {i}: {e}")))?
            .into_owned();
        if !name.starts_with(&prefix)
            || name.contains('\\')
            || name.split('/').any(|c| c == ".." || c == ".")
        {
            return Err(bad(format!("entry {name:?} is not under {prefix}")));
        }
        if entry.is_symlink() {
            return Err(bad(format!(
                "entry {name:?} is a link: module zips hold only files"
            )));
        }
        if entry.is_dir() {
            continue;
        }
        // Sizes in the zip's directory can lie: the bytes actually inflated count too.
        let bytes = archive::read_capped(entry, &what, left).map_err(bad)?;
        left -= bytes.len() as u64;
        if name == format!("{prefix}go.mod") {
            go_mod = Some(bytes.clone());
        }
        hashes.push((name, Sha256::digest(&bytes).into()));
    }
    if hashes.is_empty() {
        return Err(bad("the zip has no files".into()));
    }
    Ok((go_h1(&mut hashes), go_mod))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_go_paths() {
        assert_eq!(
            go_escape("github.com/Azure/SDK"),
            "github.com/!azure/!s!d!k"
        );
        assert_eq!(go_escape("v1.0.0-RC1"), "v1.0.0-!r!c1");
    }

    #[test]
    fn normalizes_pypi_names() {
        assert_eq!(pep503_normalize("Foo__Bar.baz"), "foo-bar-baz");
    }

    #[test]
    fn chooses_python_files() {
        let f = |n: &str| IndexFile {
            filename: n.into(),
            url: n.into(),
            sha256: None,
            yanked: false,
        };
        let files = vec![
            f("my_pkg-1.0.tar.gz"),
            f("my_pkg-1.0-cp311-cp311-linux_x86_64.whl"),
            f("my_pkg-1.0-py3-none-any.whl"),
            f("my_pkg-1.1-py3-none-any.whl"),
        ];
        assert_eq!(
            choose_python_file(&files, "My-Pkg", "1.0.0")
                .unwrap()
                .filename,
            "my_pkg-1.0-py3-none-any.whl"
        );
        assert!(choose_python_file(&files, "my-pkg", "2.0").is_none());
    }

    #[test]
    fn parses_simple_html() {
        let html = r#"<html><body><a href="../../packages/p-1.0.tar.gz#sha256=ABCD" data-requires-python="&gt;=3.8">p-1.0.tar.gz</a>
            <a href='https://files.example/p-1.0-py3-none-any.whl' data-yanked="">p-1.0-py3-none-any.whl</a></body></html>"#;
        let files = parse_simple_html("http://h/simple/p/", html);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].url, "http://h/packages/p-1.0.tar.gz");
        assert_eq!(files[0].sha256.as_deref(), Some("abcd"));
        assert!(files[1].yanked);
    }

    #[test]
    fn go_h1_has_go_sum_form() {
        // Checked against `go mod download -json` in tests/fetch_registries.rs.
        let mut files = vec![(
            "go.mod".to_string(),
            Sha256::digest(b"module example.com/m\n").into(),
        )];
        let h1 = go_h1(&mut files);
        assert!(h1.starts_with("h1:") && h1.len() == 47, "{h1}");
    }
}
