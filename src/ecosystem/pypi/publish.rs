//! PyPI: a wheel's `*.dist-info/METADATA` (or an sdist's `PKG-INFO`) names the project and
//! version; the index's simple page for the project (PEP 691 JSON when offered, else PEP 503 HTML)
//! lists the uploaded files with their sha256. The same file name with the same sha256 is
//! identical, with another sha256 different; a version on the index with none of this build's
//! file names is `other-files`.

use std::path::Path;

use super::fetch::{self as registry, pep503_normalize, PYPI_SIMPLE_JSON};
use super::Pypi;
use crate::archive;
use crate::ecosystem::publish::{
    bad_artifact, file_digests, Artifact, Bump, Checked, Local, Remote, State,
};
use crate::ecosystem::{Publish, PublishInputs, PublishQuery};
use crate::error::{Failure, Result};

/// Most bytes read of PKG-INFO.
const PKG_INFO_LIMIT: u64 = 16 * 1024 * 1024;

impl Publish for Pypi {
    fn claims(&self, _path: &Path, name: &str) -> bool {
        name.ends_with(".whl") || name.ends_with(".tar.gz")
    }
    fn publish_artifacts(&self) -> &'static str {
        "wheels (*.whl), Python sdists (*.tar.gz)"
    }
    fn registry_input(&self) -> &'static str {
        "pypi-index"
    }
    fn local(&self, artifact: &Artifact, _inputs: &PublishInputs) -> Result<Local> {
        local(artifact)
    }
    fn query(&self, request: &PublishQuery<'_>, local: &Local) -> Result<Remote> {
        query(request, local)
    }
    fn reconcile(&self, checked: &mut [&mut Checked]) {
        other_files(checked);
    }
    fn next_version(&self, version: &str) -> Bump {
        next_release(version)
    }
}

/// The next release after a final PEP 440 `version`: its last release segment plus one, on at
/// least three segments (`1.0` → `1.0.1`). Checked: when the last segment is the largest number
/// a version can hold, the first segment before it that can grow does, and the rest restart at
/// zero (`1.2.<max>` → `1.3.0`).
fn next_release(version: &str) -> Bump {
    let Ok(v) = version.parse::<pep440_rs::Version>() else {
        return Bump::Unknown;
    };
    if v.is_pre() || v.is_dev() || v.is_post() || v.is_local() {
        return Bump::Unknown;
    }
    let mut release = v.release().to_vec();
    while release.len() < 3 {
        release.push(0);
    }
    let show = |release: &[u64]| {
        release
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(".")
    };
    let last = release.len() - 1;
    if let Some(next) = release[last].checked_add(1) {
        release[last] = next;
        return Bump::Next(show(&release));
    }
    let Some(i) = (0..last).rev().find(|&i| release[i] < u64::MAX) else {
        return Bump::NoNextPatch(None);
    };
    release[i] += 1;
    for later in &mut release[i + 1..] {
        *later = 0;
    }
    Bump::NoNextPatch(Some(show(&release)))
}

fn local(artifact: &Artifact) -> Result<Local> {
    let is_wheel = artifact.file_name().to_lowercase().ends_with(".whl");
    let (name, version) = if is_wheel {
        registry::wheel_metadata(&artifact.path, &artifact.display)
            .map_err(|f| bad_artifact(&artifact.display, &f.message))?
    } else {
        sdist_metadata(&artifact.path, &artifact.display)
            .map_err(|why| bad_artifact(&artifact.display, why))?
    };
    if name.is_empty() || version.is_empty() {
        return Err(bad_artifact(
            &artifact.display,
            "its metadata has no Name or no Version",
        ));
    }
    // The core metadata rule for a name (letters, digits, `._-`, alphanumeric at both ends): an
    // index refuses anything else, and nothing else may reach the index's URL.
    let valid_name = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !valid_name {
        return Err(bad_artifact(
            &artifact.display,
            format!("Name {name:?} is not a valid project name"),
        ));
    }
    let parsed: pep440_rs::Version = version.parse().map_err(|e| {
        bad_artifact(
            &artifact.display,
            format!("Version {version:?} is not PEP 440: {e}"),
        )
    })?;
    let file_name = artifact.file_name();
    // The index lists the file by its name: a name that disagrees with the metadata would be
    // refused by the index (and would hide a mix-up of builds).
    match registry::dist_parts(&file_name) {
        Some((n, v, _, _))
            if n == pep503_normalize(&name) && registry::same_version(&v, &version) => {}
        _ => {
            return Err(bad_artifact(
                &artifact.display,
                format!(
                    "the file name does not name {name} {version}, the project and version its \
                     metadata declares"
                ),
            ))
        }
    }
    let (sha256, _) = file_digests(&artifact.path, &artifact.display)?;
    Ok(Local {
        name,
        version: parsed.to_string(),
        digest: format!("sha256:{}", hex::encode(sha256)),
        go_mod_digest: None,
        file_name,
        sha256: Some(sha256),
        sha512: None,
    })
}

/// Name and Version from `<name>-<version>/PKG-INFO` in an sdist (a gzipped tarball).
fn sdist_metadata(path: &Path, display: &str) -> std::result::Result<(String, String), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let (mut tarball, mut budget) = archive::tar_gz(file, format!("the sdist {display}"));
    let entries = tarball
        .entries()
        .map_err(|e| format!("not a gzipped tarball: {e}"))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("unreadable tar: {e}"))?;
        budget.entry(entry.header().size().unwrap_or(u64::MAX))?;
        let is_pkg_info = entry.path().is_ok_and(|p| {
            let parts: Vec<_> = p.components().collect();
            parts.len() == 2 && parts[1].as_os_str() == "PKG-INFO"
        });
        if is_pkg_info && entry.header().entry_type().is_file() {
            let text = archive::read_capped(entry, "PKG-INFO", PKG_INFO_LIMIT)?;
            let text = String::from_utf8_lossy(&text);
            let field = |key: &str| {
                text.lines()
                    .take_while(|l| !l.trim().is_empty())
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.trim()
                            .eq_ignore_ascii_case(key)
                            .then(|| v.trim().to_string())
                    })
                    .unwrap_or_default()
            };
            return Ok((field("Name"), field("Version")));
        }
    }
    Err("no <name>-<version>/PKG-INFO at its root: not an sdist".into())
}

fn query(request: &PublishQuery<'_>, local: &Local) -> Result<Remote> {
    let fetcher = request.fetcher;
    let (base, auth) = registry::registry_with_auth(
        fetcher,
        Pypi.registry_input(),
        request.registry,
        request.options,
        None,
    )?;
    let normalized = pep503_normalize(&local.name);
    let url = base
        .join(&format!("{normalized}/"))
        .map_err(|e| Failure::usage("Malformed project name", format!("{}: {e}", local.name)))?;
    let accept =
        format!("{PYPI_SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01");
    let response = fetcher.get_passing(url.as_str(), auth.as_ref(), Some(&accept), &[404])?;
    let mut remote = Remote::absent(&url);
    if response.status == 404 {
        return Ok(remote);
    }
    let content_type = response.header("content-type").unwrap_or("").to_string();
    let files = if content_type.starts_with(PYPI_SIMPLE_JSON) {
        let files = registry::parse_simple_json(&response)?;
        let name = serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|v| v["name"].as_str().map(pep503_normalize));
        if name.as_deref() != Some(normalized.as_str()) {
            return Err(not_the_project_page(
                &url,
                &content_type,
                &normalized,
                "its `name` is not the project's",
            ));
        }
        files
    } else {
        let text = response.text();
        let lower = text.to_ascii_lowercase();
        // An HTML page without links is a project with no files; anything that is not HTML at
        // all (an error page of a proxy, JSON of another API) cannot be read as "absent".
        if !lower.contains("<html") && !lower.contains("<!doctype") && !lower.contains("<a ") {
            return Err(Failure::usage(
                "Index returned something that is not a simple page",
                format!(
                    "GET {url} answered {content_type:?} that is neither PEP 691 JSON nor PEP 503 HTML"
                ),
            )
            .with_fix("set pypi-index to the index's simple API, e.g. https://pypi.org/simple"));
        }
        let files = registry::parse_simple_html(&response.url, &text);
        if !html_names_project(&text, &files, &normalized) {
            return Err(not_the_project_page(
                &url,
                &content_type,
                &normalized,
                "it lists no file of the project and is not titled `Links for` it",
            ));
        }
        files
    };
    remote.version_files = files
        .iter()
        .filter(|f| {
            registry::dist_parts(&f.filename).is_some_and(|(n, v, _, _)| {
                n == normalized && registry::same_version(&v, &local.version)
            })
        })
        .map(|f| f.filename.clone())
        .collect();
    let Some(file) = files.iter().find(|f| f.filename == local.file_name) else {
        return Ok(remote);
    };
    let sha256 = file.sha256.as_deref().ok_or_else(|| {
        Failure::usage(
            "Index gives no sha256",
            format!(
                "GET {url}: {} is on the index without a sha256 to compare",
                file.filename
            ),
        )
    })?;
    let local_hex = local.sha256.map(hex::encode).unwrap_or_default();
    remote.state = if sha256.eq_ignore_ascii_case(&local_hex) {
        State::Identical
    } else {
        State::Different
    };
    remote.digest = Some(format!("sha256:{}", sha256.to_ascii_lowercase()));
    if let (State::Identical, Some(gate)) = (remote.state, &request.options.gate) {
        let at = (&base, response.url.as_str(), auth.as_ref());
        remote.provenance = Some(registry::provenance_of(
            gate, fetcher, at, file, &local_hex,
        )?);
    }
    Ok(remote)
}

/// Whether an HTML page is the simple page of `normalized`: it links a distribution of the
/// project, or (a project without files) its title or heading says `Links for <project>`. A login
/// page, an error page or another project's page is neither.
fn html_names_project(text: &str, files: &[registry::IndexFile], normalized: &str) -> bool {
    let links_one = files
        .iter()
        .any(|f| registry::dist_parts(&f.filename).is_some_and(|(n, _, _, _)| n == normalized));
    let lower = text.to_ascii_lowercase();
    let titled = lower.match_indices("links for ").any(|(at, found)| {
        let rest = &lower[at + found.len()..];
        let name = rest.split(['<', '\n']).next().unwrap_or("").trim();
        pep503_normalize(name) == normalized
    });
    links_one || titled
}

fn not_the_project_page(url: &url::Url, content_type: &str, project: &str, why: &str) -> Failure {
    Failure::usage(
        "Index returned a page that is not the project's",
        format!("GET {url} answered {content_type:?}, not the simple page of {project}: {why}"),
    )
    .with_fix("set pypi-index to the index's simple API, e.g. https://pypi.org/simple")
}

/// A version already on the index with none of this build's files for it: every such artifact
/// becomes `other-files` (another build was uploaded under this version). A version on the
/// index with some of our files is a re-run that stopped half-way: the rest stays `absent`.
fn other_files(checked: &mut [&mut Checked]) {
    let key = |c: &Checked| (pep503_normalize(&c.local.name), c.local.version.clone());
    for i in 0..checked.len() {
        let remote = &checked[i].remote;
        if remote.state != State::Absent || remote.version_files.is_empty() {
            continue;
        }
        let ours_on_index = checked.iter().any(|other| {
            key(other) == key(checked[i]) && remote.version_files.contains(&other.local.file_name)
        });
        if !ours_on_index {
            checked[i].remote.state = State::OtherFiles;
        }
    }
}
