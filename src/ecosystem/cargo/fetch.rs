//! `cargo:name@version` from a sparse registry index (RFC 2789, what crates.io serves at
//! `https://index.crates.io/`): `config.json` gives the download URL template `dl`, the index
//! file (`3/s/syn`, `se/rd/serde`, …) lists one JSON line per version with the `.crate`'s sha256
//! `cksum`, and the `.crate` must hash to it.
//!
//! `check-registry` adds: `config.json` has `dl`; every index line parses and names the crate; the
//! version is not yanked; the `.crate`'s own Cargo.toml says the same name and version.

use std::path::Path;

use serde::Deserialize;
use url::Url;

use super::crate_file;
use super::index_path;
use crate::ecosystem::registry_client::{base_url, check, download, json, protocol_failure};
use crate::ecosystem::remote::Fetched;
use crate::ecosystem::FetchRequest;
use crate::error::{Failure, Result};
use crate::fetch::download::{Download, Integrity};
use crate::fetch::Check;

#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    dl: Option<String>,
}

/// One line of a sparse index file: one published version.
#[derive(Deserialize)]
pub(super) struct IndexLine {
    pub(super) name: String,
    pub(super) vers: String,
    pub(super) cksum: String,
    #[serde(default)]
    pub(super) yanked: bool,
}

/// The download URL of one `.crate`, from config.json's `dl` (markers, else `/{crate}/{version}/download`).
pub fn download_url(dl: &str, name: &str, version: &str, cksum: &str) -> String {
    let markers = [
        "{crate}",
        "{version}",
        "{prefix}",
        "{lowerprefix}",
        "{sha256-checksum}",
    ];
    if !markers.iter().any(|m| dl.contains(m)) {
        return format!("{}/{name}/{version}/download", dl.trim_end_matches('/'));
    }
    let prefix = index_path(name);
    let prefix = prefix.rsplit_once('/').map_or("", |(p, _)| p).to_string();
    // index_path lower-cases; {prefix} keeps the crate's own case.
    let cased_prefix = match name.len() {
        1 | 2 => prefix.clone(),
        3 => format!("3/{}", &name[..1]),
        _ => format!("{}/{}", &name[..2], &name[2..4]),
    };
    dl.replace("{crate}", name)
        .replace("{version}", version)
        .replace("{prefix}", &cased_prefix)
        .replace("{lowerprefix}", &prefix)
        .replace("{sha256-checksum}", cksum)
}

/// Fetches `cargo:name@version` (see the module docs).
pub fn fetch_crate(r: &FetchRequest<'_>) -> Result<Fetched> {
    let (fetcher, name, version, opts) = (r.fetcher, r.name, r.version, r.opts);
    let raw = opts.registries.cargo_index.trim();
    let base = base_url("cargo-index", raw.strip_prefix("sparse+").unwrap_or(raw))?;
    let mut checks = Vec::new();
    let url = |path: &str| -> Result<Url> {
        base.join(path)
            .map_err(|e| Failure::usage("Malformed `cargo-index`", format!("{base}{path}: {e}")))
    };

    let dl = download_template(r, &url("config.json")?, &mut checks)?;
    let index_url = url(&index_path(name))?;
    let entry = index_entry(r, &index_url, &mut checks)?;

    let cksum = entry.cksum.to_ascii_lowercase();
    let mut expect =
        vec![Integrity::parse_sha256_hex(&cksum)?.from(format!("the cksum in {index_url}"))];
    expect.extend(r.expected.clone());
    let crate_url = download_url(&dl, &entry.name, version, &cksum);
    let dest = r.dir.join(crate::fetch::sanitize_file_name(
        &format!("{}-{version}.crate", entry.name),
        "download.crate",
    ));
    let request = Download {
        url: crate_url.clone(),
        dest: dest.clone(),
        expected: expect.clone(),
        size: None,
        auth: None,
        accept: None,
    };
    let (done, cache) = download(fetcher, &request, opts.check_cache)?;
    let verified = expect
        .iter()
        .map(|e| format!("{} matches {}", dest.display(), e.describe()))
        .collect();
    if opts.check_registry {
        check_crate_manifest(r, &dest, &crate_url, &mut checks)?;
    }
    Ok(Fetched {
        verified,
        checks,
        cache,
        ..Fetched::package(
            &super::Cargo,
            format!("cargo:{name}@{version}"),
            crate_url,
            dest,
            &done,
        )
    })
}

/// The index's `config.json` `dl` template; an index without one cannot serve any crate.
fn download_template(
    r: &FetchRequest<'_>,
    config_url: &Url,
    checks: &mut Vec<Check>,
) -> Result<String> {
    let config: Config = json(
        &r.fetcher.get(config_url.as_str(), None, None)?,
        "config.json",
    )?;
    let dl = config.dl.filter(|d| !d.trim().is_empty()).ok_or_else(|| {
        protocol_failure(
            "sparse index without a download URL",
            format!("{config_url} has no `dl`: cargo could not download any crate from it"),
        )
    })?;
    if r.opts.check_registry {
        check(
            checks,
            r.fetcher,
            "config.json",
            format!("{config_url} has dl {dl}"),
        );
    }
    Ok(dl)
}

/// The index file's line for the requested version. With `check-registry` every line must parse
/// and name the crate, and the version must not be yanked.
fn index_entry(
    r: &FetchRequest<'_>,
    index_url: &Url,
    checks: &mut Vec<Check>,
) -> Result<IndexLine> {
    let (name, version, check_registry) = (r.name, r.version, r.opts.check_registry);
    let index = r.fetcher.get(index_url.as_str(), None, None)?;
    let mut found = None;
    for (n, line) in index.text().lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<IndexLine>(line) {
            Ok(entry) => {
                if check_registry && !entry.name.eq_ignore_ascii_case(name) {
                    return Err(protocol_failure(
                        "sparse index lists another crate",
                        format!(
                            "{index_url} line {}: name {:?}, expected {name:?}",
                            n + 1,
                            entry.name
                        ),
                    ));
                }
                if entry.vers == version {
                    found = Some(entry);
                }
            }
            Err(e) if check_registry => {
                return Err(protocol_failure(
                    "sparse index line does not parse",
                    format!("{index_url} line {}: {e}", n + 1),
                ))
            }
            Err(_) => {}
        }
    }
    let entry = found.ok_or_else(|| {
        Failure::guard(
            "Crate version not in the index",
            format!("{index_url} lists no version {version} of {name}"),
        )
        .with_fix("publish the version first, or fix the `cargo:` entry")
    })?;
    if check_registry {
        if entry.yanked {
            return Err(protocol_failure(
                "crate version is yanked",
                format!("{index_url}: {name} {version} is yanked: cargo will not resolve it"),
            ));
        }
        check(
            checks,
            r.fetcher,
            "index",
            format!("{index_url} lists {name} {version}"),
        );
    }
    Ok(entry)
}

/// `check-registry`: the downloaded `.crate`'s own Cargo.toml names the requested crate and version.
fn check_crate_manifest(
    r: &FetchRequest<'_>,
    dest: &Path,
    crate_url: &str,
    checks: &mut Vec<Check>,
) -> Result<()> {
    let (name, version) = (r.name, r.version);
    let c = crate_file::read(dest)
        .map_err(|why| protocol_failure("unreadable .crate", format!("{crate_url}: {why}")))?;
    if !c.name.eq_ignore_ascii_case(name) || c.version != version {
        return Err(protocol_failure(
            ".crate does not match the index",
            format!(
                "{crate_url} holds {} {}, but the index entry is {name} {version}",
                c.name, c.version
            ),
        ));
    }
    check(
        checks,
        r.fetcher,
        ".crate",
        format!("Cargo.toml says {} {}", c.name, c.version),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_urls_follow_the_dl_template() {
        assert_eq!(
            download_url("https://static.crates.io/crates", "serde", "1.0.0", "ab"),
            "https://static.crates.io/crates/serde/1.0.0/download"
        );
        assert_eq!(
            download_url(
                "http://h/{prefix}/{crate}-{version}.crate?{sha256-checksum}",
                "Serde",
                "1.0.0",
                "ab"
            ),
            "http://h/Se/rd/Serde-1.0.0.crate?ab"
        );
        assert_eq!(
            download_url("http://h/{lowerprefix}/{crate}", "syn", "2.0.0", "ab"),
            "http://h/3/s/syn"
        );
    }
}
