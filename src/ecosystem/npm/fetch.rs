//! `npm:name@version`: the packument (abbreviated, `Accept: application/vnd.npm.install-v1+json`)
//! names the tarball and its `dist.integrity`; the tarball must match it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use url::Url;

use crate::archive;
use crate::ecosystem::provenance::{self, Gate, Provenance};
use crate::ecosystem::registry_client::MANIFEST_LIMIT;
pub(crate) use crate::ecosystem::registry_client::{
    check, download, json, protocol_failure, registry_with_auth,
};
use crate::ecosystem::remote::{Fetched, RemoteOptions};
use crate::ecosystem::Ecosystem as _;
use crate::error::{Failure, Result};
use crate::fetch::download::{Auth, Download, Downloaded, Fetcher, Integrity, Response};
use crate::fetch::Check;

/// The abbreviated packument's media type (what npm itself asks for).
pub const NPM_ABBREVIATED: &str = "application/vnd.npm.install-v1+json";

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
    /// `{url, provenance: {predicateType}}`: the registry holds attestations for this version.
    #[serde(default)]
    pub attestations: Option<NpmAttestations>,
}

#[derive(Debug, Deserialize)]
pub struct NpmAttestations {
    pub url: String,
}

/// The gate's answer for `name@version` whose tarball has `sha512`, from the packument at
/// `packument_url` of the registry at `base` (`at`: base, packument URL, credentials).
pub(crate) fn provenance_of(
    gate: &Gate,
    fetcher: &Fetcher,
    (base, packument_url, auth): (&Url, &str, Option<&Auth>),
    dist: &NpmDist,
    name: &str,
    version: &str,
    sha512: &[u8],
) -> Result<Provenance> {
    let Some(attestations) = &dist.attestations else {
        return Ok(Provenance::none(
            gate,
            packument_url,
            &format!("the packument of {name}@{version}"),
        ));
    };
    let url = provenance::advertised_url(base, packument_url, &attestations.url)?;
    provenance::check_npm(gate, fetcher, &url, auth, name, version, sha512)
}

/// `@scope/name` → `@scope%2fname` (the form npm requests).
pub fn npm_packument_path(name: &str) -> String {
    name.replace('/', "%2f")
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
    let (base, auth) = registry_with_auth(
        fetcher,
        "npm-registry",
        &opts.registries.npm_registry,
        opts,
        super::Npm.token_variable(),
    )?;
    let packument_url = base
        .join(&npm_packument_path(name))
        .map_err(|e| Failure::usage("Malformed npm package name", format!("{name}: {e}")))?;
    let accept = format!("{NPM_ABBREVIATED}; q=1.0, application/json; q=0.8, */*");
    let response = fetcher.get(packument_url.as_str(), auth.as_ref(), Some(&accept))?;
    let packument: Packument = json(&response, "packument")?;
    // Only this package's own packument may name the tarball to install.
    check_packument_name(&packument, &packument_url, name)?;
    let mut checks = Vec::new();
    let mut verified = Vec::new();

    let Some(entry) = packument.versions.get(version) else {
        return Err(version_missing(&packument, &packument_url, name, version));
    };
    let Some(dist) = &entry.dist else {
        return Err(protocol_failure(
            "packument version has no dist",
            format!("GET {packument_url}: version {version} has no dist (tarball, integrity)"),
        ));
    };

    if opts.check_registry {
        check_packument(
            fetcher,
            &response,
            &packument,
            dist,
            &packument_url,
            auth.as_ref(),
            version,
            &mut checks,
        )?;
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
    let tarball = tarball_url(&base, dist, &packument_url)?;
    let dest = dir.join(tarball_file_name(name, version));
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
        check_tarball(fetcher, &tarball, &dest, &done, name, version, &mut checks)?;
    }
    let at = (&base, packument_url.as_str(), auth.as_ref());
    Ok(Fetched {
        verified,
        checks,
        cache,
        provenance: gate_answer(opts, fetcher, at, dist, (name, version), &dest)?,
        ..Fetched::package(
            &super::Npm,
            format!("npm:{name}@{version}"),
            tarball.to_string(),
            dest,
            &done,
        )
    })
}

/// The gate's answer for the downloaded tarball at `dest` (`None` without a gate).
fn gate_answer(
    opts: &RemoteOptions,
    fetcher: &Fetcher,
    at: (&Url, &str, Option<&Auth>),
    dist: &NpmDist,
    (name, version): (&str, &str),
    dest: &Path,
) -> Result<Option<Provenance>> {
    let Some(gate) = &opts.gate else {
        return Ok(None);
    };
    let sha512 = file_sha512(dest)?;
    provenance_of(gate, fetcher, at, dist, name, version, &sha512).map(Some)
}

/// The sha512 of a downloaded file.
fn file_sha512(path: &Path) -> Result<Vec<u8>> {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha512::new();
    let mut file = std::fs::File::open(path)?;
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher.finalize().to_vec())
}

/// The packument must name the package asked for.
fn check_packument_name(packument: &Packument, packument_url: &Url, name: &str) -> Result<()> {
    if packument.name.as_deref() != Some(name) {
        return Err(Failure::usage(
            "Packument names another package",
            format!(
                "GET {packument_url} returned JSON named {:?}: not the packument of {name}",
                packument.name
            ),
        )
        .with_fix(
            "set npm-registry to the registry's base URL (its packuments name the package)",
        ));
    }
    Ok(())
}

/// `dist.tarball`, absolute or relative to the registry's base URL.
fn tarball_url(base: &Url, dist: &NpmDist, packument_url: &Url) -> Result<Url> {
    Url::parse(&dist.tarball)
        .or_else(|_| base.join(&dist.tarball))
        .map_err(|e| {
            protocol_failure(
                "packument has a malformed tarball URL",
                format!("GET {packument_url}: dist.tarball {:?}: {e}", dist.tarball),
            )
        })
}

/// `scope-name-1.2.3.tgz`, kept to safe characters.
fn tarball_file_name(name: &str, version: &str) -> String {
    crate::fetch::sanitize_file_name(
        &format!(
            "{}-{version}.tgz",
            name.trim_start_matches('@').replace('/', "-")
        ),
        "package.tgz",
    )
}

/// The guard failure for a version the packument does not list, with what it does list.
fn version_missing(
    packument: &Packument,
    packument_url: &Url,
    name: &str,
    version: &str,
) -> Failure {
    let mut known: Vec<&String> = packument.versions.keys().collect();
    known.sort_by_key(|v| semver::Version::parse(v).ok());
    let last: Vec<&str> = known.iter().rev().take(5).map(|s| s.as_str()).collect();
    let tags: Vec<String> = packument
        .dist_tags
        .iter()
        .map(|(t, v)| format!("{t}={v}"))
        .collect();
    Failure::guard(
        "Version not in the registry",
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
    .with_fix("check the publish step succeeded for this version and registry")
}

/// `check-registry` on the packument: its form, dist-tags, dist.integrity, and the full
/// document agreeing with the abbreviated one.
#[allow(clippy::too_many_arguments)]
fn check_packument(
    fetcher: &Fetcher,
    response: &Response,
    packument: &Packument,
    dist: &NpmDist,
    packument_url: &Url,
    auth: Option<&Auth>,
    version: &str,
    checks: &mut Vec<Check>,
) -> Result<()> {
    let content_type = response.header("content-type").unwrap_or("").to_string();
    let form = if content_type.starts_with(NPM_ABBREVIATED) {
        "abbreviated (application/vnd.npm.install-v1+json)"
    } else {
        "full (the registry ignored the abbreviated Accept)"
    };
    check(
        checks,
        fetcher,
        "packument",
        format!("{packument_url}: {form}, lists {version}"),
    );
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
        checks,
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
    let full = fetcher.get(packument_url.as_str(), auth, Some("application/json"))?;
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
        checks,
        fetcher,
        "full packument",
        format!("agrees on {version}'s dist.integrity"),
    );
    Ok(())
}

/// `check-registry` on the tarball: its integrity, and the package.json inside naming this
/// package and version.
fn check_tarball(
    fetcher: &Fetcher,
    tarball: &Url,
    dest: &Path,
    done: &Downloaded,
    name: &str,
    version: &str,
    checks: &mut Vec<Check>,
) -> Result<()> {
    check(
        checks,
        fetcher,
        "tarball integrity",
        format!("{tarball} matches {}", done.sri512()),
    );
    let (pkg_name, pkg_version) = npm_tarball_manifest(dest, tarball)?;
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
        checks,
        fetcher,
        "tarball package.json",
        format!("{pkg_name}@{pkg_version}"),
    );
    Ok(())
}

/// Name and version from `package/package.json` in an npm tarball; `url` names it in errors.
pub fn npm_tarball_manifest(path: &Path, url: &dyn std::fmt::Display) -> Result<(String, String)> {
    let bad =
        |why: String| protocol_failure("tarball is not an npm package", format!("{url}: {why}"));
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let (mut tarball, mut budget) = archive::tar_gz(file, format!("the tarball {url}"));
    let entries = tarball.entries().map_err(|e| bad(e.to_string()))?;
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
