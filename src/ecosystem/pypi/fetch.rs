//! `pypi:name==version`: the PEP 503 simple page (PEP 691 JSON when offered) names the files
//! with a `#sha256=` fragment; the chosen file (a `none-any` wheel, else another wheel, else the
//! sdist) must hash to it.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use serde::Deserialize;
use url::Url;

use crate::archive;
use crate::ecosystem::provenance::{self, Gate, Provenance};
use crate::ecosystem::registry_client::MANIFEST_LIMIT;
pub(crate) use crate::ecosystem::registry_client::{
    check, download, json, protocol_failure, registry_with_auth,
};
use crate::ecosystem::remote::{Fetched, RemoteOptions};
use crate::error::{Failure, Result};
use crate::fetch::download::{self, Auth, Download, Fetcher, Integrity};
use crate::fetch::Check;

/// PEP 691's JSON form of a simple page.
pub const PYPI_SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";

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
    /// PEP 740: the file's provenance URL (JSON `provenance`, HTML `data-provenance`).
    pub provenance: Option<String>,
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
    #[serde(default)]
    provenance: Option<String>,
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
            provenance: f.provenance,
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
            provenance: data_provenance(attrs),
        });
    }
    files
}

/// PEP 740's `data-provenance` attribute of an anchor, unescaped.
fn data_provenance(attrs: &str) -> Option<String> {
    let attr =
        regex::Regex::new(r#"(?is)\bdata-provenance\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#)
            .expect("static regex");
    let c = attr.captures(attrs)?;
    c.get(1)
        .or(c.get(2))
        .or(c.get(3))
        .map(|m| html_unescape(m.as_str()))
}

/// The gate's answer for `file` of a simple page at `page_url` (its bytes hash to `sha256_hex`).
pub(crate) fn provenance_of(
    gate: &Gate,
    fetcher: &Fetcher,
    (base, page_url, auth): (&Url, &str, Option<&Auth>),
    file: &IndexFile,
    sha256_hex: &str,
) -> Result<Provenance> {
    let Some(href) = file.provenance.as_deref() else {
        return Ok(Provenance::none(
            gate,
            page_url,
            &format!("the index page of {}", file.filename),
        ));
    };
    let url = provenance::advertised_url(base, page_url, href)?;
    let digest = hex::decode(sha256_hex).unwrap_or_default();
    provenance::check_pypi(gate, fetcher, &url, auth, &file.filename, &digest)
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
    let (base, auth) = registry_with_auth(
        fetcher,
        "pypi-index",
        &opts.registries.pypi_index,
        opts,
        None,
    )?;
    let normalized = pep503_normalize(name);
    let page_url = base
        .join(&format!("{normalized}/"))
        .map_err(|e| Failure::usage("Malformed PyPI name", format!("{name}: {e}")))?;
    let page = SimplePage::get(fetcher, &page_url, auth.as_ref())?;
    let mut checks = Vec::new();
    let mut verified = Vec::new();
    let Some(file) = choose_python_file(&page.files, name, version).cloned() else {
        return Err(not_in_index(&page, name, version));
    };
    if opts.check_registry {
        check_simple_page(fetcher, &page, auth.as_ref(), &file, &mut checks)?;
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
    let file_name = crate::fetch::sanitize_file_name(&file.filename, "dist");
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
            check_wheel_metadata(fetcher, &dest, &file.url, name, version, &mut checks)?;
        }
    }
    let provenance = match &opts.gate {
        Some(gate) => Some(provenance_of(
            gate,
            fetcher,
            (&base, page_url.as_str(), auth.as_ref()),
            &file,
            &done.sha256_hex(),
        )?),
        None => None,
    };
    Ok(Fetched {
        verified,
        checks,
        cache,
        provenance,
        ..Fetched::package(
            &super::Pypi,
            format!("pypi:{name}=={version}"),
            file.url,
            dest,
            &done,
        )
    })
}

/// A project's simple page as the index served it: PEP 691 JSON when offered, else PEP 503 HTML.
struct SimplePage {
    url: Url,
    files: Vec<IndexFile>,
    offered_json: bool,
}

impl SimplePage {
    fn get(fetcher: &Fetcher, url: &Url, auth: Option<&Auth>) -> Result<Self> {
        let accept = format!(
            "{PYPI_SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
        );
        let response = fetcher.get(url.as_str(), auth, Some(&accept))?;
        let content_type = response.header("content-type").unwrap_or("");
        let offered_json = content_type.starts_with(PYPI_SIMPLE_JSON);
        let files = if offered_json {
            parse_simple_json(&response)?
        } else {
            parse_simple_html(&response.url, &response.text())
        };
        Ok(Self {
            url: url.clone(),
            files,
            offered_json,
        })
    }
}

/// The guard failure for a version the page has no file of, naming up to eight files it has.
fn not_in_index(page: &SimplePage, name: &str, version: &str) -> Failure {
    let names: Vec<&str> = page
        .files
        .iter()
        .rev()
        .take(8)
        .map(|f| f.filename.as_str())
        .collect();
    Failure::guard(
        "Version not in the index",
        format!(
            "GET {} lists no file of {name} {version} (files: {})",
            page.url,
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        ),
    )
    .with_fix("check the publish step succeeded for this version and index (pypi-index)")
}

/// `check-registry` on the simple page: the HTML form agrees with the JSON one on the chosen
/// file's hash, the link has a `#sha256=` fragment, and the file is not yanked.
fn check_simple_page(
    fetcher: &Fetcher,
    page: &SimplePage,
    auth: Option<&Auth>,
    file: &IndexFile,
    checks: &mut Vec<Check>,
) -> Result<()> {
    let page_url = &page.url;
    let form = if page.offered_json {
        "PEP 691 JSON"
    } else {
        "PEP 503 HTML (no JSON offered)"
    };
    check(
        checks,
        fetcher,
        "simple page",
        format!("{page_url}: {form}, lists {}", file.filename),
    );
    if page.offered_json {
        // The HTML form must list the same file with the same hash.
        let html = fetcher.get(page_url.as_str(), auth, Some("text/html"))?;
        let html_files = parse_simple_html(&html.url, &html.text());
        let twin = html_files.iter().find(|f| f.filename == file.filename);
        match twin {
            Some(t) if t.sha256 == file.sha256 => check(
                checks,
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
    Ok(())
}

/// `check-registry` on a downloaded wheel: its METADATA names the distribution and version asked for.
fn check_wheel_metadata(
    fetcher: &Fetcher,
    wheel: &Path,
    url: &str,
    name: &str,
    version: &str,
    checks: &mut Vec<Check>,
) -> Result<()> {
    let (n, v) = wheel_metadata(wheel, url)?;
    if pep503_normalize(&n) != pep503_normalize(name) || !same_version(&v, version) {
        return Err(protocol_failure(
            "wheel holds another distribution",
            format!("{url}: METADATA says {n} {v}, not {name} {version}"),
        ));
    }
    check(checks, fetcher, "wheel METADATA", format!("{n} {v}"));
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
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
            provenance: None,
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
}
