//! Go: the module path comes from go.mod, the version from a module zip's `module@version/`
//! prefix or, for a module directory (which carries none), from `go-version`. The GOPROXY's
//! `@v/<version>.info` says whether the version exists; its module zip and go.mod are then
//! compared with the local module through the go command's own `h1:` hashes (dirhash Hash1, the
//! lines go.sum holds), computed here: the zip's over `module@version/<file>` entries, go.mod's
//! over the single name `go.mod`. A module directory is hashed over the files the go command
//! would zip from it (x/mod/zip `CreateFromDir` rules), so run this on a clean checkout.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use url::Url;

use super::fetch::{self as registry, go_escape, go_h1, GoInfo};
use super::smoke as module_reader;
use super::Go;
use crate::archive;
use crate::ecosystem::publish::{
    bad_artifact, check_url, next_semver_patch, Artifact, Bump, Local, Remote, State,
};
use crate::ecosystem::remote::RemoteOptions;
use crate::ecosystem::{Publish, PublishInputs, PublishQuery};
use crate::error::{Failure, Result};
use crate::fetch::download::{Download, Fetcher};
use crate::runner::sandbox::Sandbox;
use crate::version::go as go_version;

impl Publish for Go {
    fn claims(&self, path: &Path, name: &str) -> bool {
        if path.is_dir() {
            path.join("go.mod").is_file()
        } else {
            name.ends_with(".zip")
        }
    }
    fn publish_artifacts(&self) -> &'static str {
        "Go module zips (*.zip), directories with a go.mod"
    }
    fn registry_input(&self) -> &'static str {
        "goproxy"
    }
    fn check_registry(&self, value: &str) -> Result<()> {
        proxy(value).map(|_| ())
    }
    fn local(&self, artifact: &Artifact, inputs: &PublishInputs) -> Result<Local> {
        let wanted = inputs
            .go_version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        local(artifact, wanted)
    }
    fn query(&self, request: &PublishQuery<'_>, local: &Local) -> Result<Remote> {
        let proxy = proxy(request.registry)?;
        query(request.fetcher, request.options, &proxy, local)
    }
    fn next_version(&self, version: &str) -> Bump {
        next_semver_patch(version)
    }
}

/// The GOPROXY asked: an HTTP proxy or a `file://` tree.
#[derive(Debug, Clone)]
enum Proxy {
    Http(String),
    File(PathBuf),
}

/// The first http(s) or `file://` entry of a GOPROXY list (`direct` and `off` are skipped: they
/// are no registry to ask).
fn proxy(goproxy: &str) -> Result<Proxy> {
    let entry = goproxy
        .split([',', '|'])
        .map(str::trim)
        .find(|p| p.starts_with("https://") || p.starts_with("http://") || p.starts_with("file://"))
        .ok_or_else(|| {
            Failure::invalid_input(
                "goproxy",
                format!("{goproxy:?} lists no http(s) or file:// proxy to ask"),
                "set goproxy to the proxy the module is served from, e.g. https://proxy.golang.org",
            )
        })?;
    let url = check_url("goproxy", entry, true)?;
    if url.scheme() == "file" {
        let dir = url.to_file_path().map_err(|_| {
            Failure::invalid_input(
                "goproxy",
                format!("{entry:?} is not a local directory"),
                "give a file:// URL of a directory laid out as a GOPROXY",
            )
        })?;
        return Ok(Proxy::File(dir));
    }
    Ok(Proxy::Http(entry.to_string()))
}

fn h1_of_go_mod(go_mod: &[u8]) -> String {
    go_h1(&mut [("go.mod".to_string(), Sha256::digest(go_mod).into())])
}

fn local(artifact: &Artifact, wanted: Option<&str>) -> Result<Local> {
    let bad = |why: String| bad_artifact(&artifact.display, why);
    let module = if artifact.path.is_dir() {
        module_reader::read_dir(&artifact.path)
    } else {
        module_reader::read_zip(&artifact.path)
    }
    .map_err(bad)?;
    let version = match (&module.zip_version, wanted) {
        (Some(zip), Some(w)) if zip != w => {
            return Err(Failure::usage(
                "Module zip and `go-version` disagree",
                format!(
                    "input `packages`: {} is {}@{zip}, but input `go-version` is {w}",
                    artifact.display, module.path
                ),
            )
            .with_fix("rebuild the module zip at the version being released, or fix go-version"))
        }
        (Some(zip), _) => zip.clone(),
        (None, Some(w)) => w.to_string(),
        (None, None) => {
            return Err(Failure::usage(
                "No version for a Go module directory",
                format!(
                    "input `packages`: {} is a module directory, which carries no version, and \
                     input `go-version` is empty",
                    artifact.display
                ),
            )
            .with_fix(
                "pass `go-version: ${{ steps.version.outputs.go-version }}` from version-guard",
            ))
        }
    };
    // A module path is `/`-separated elements of letters, digits and `-._~` (x/mod
    // `CheckPath`); `.` and `..` elements would walk out of the proxy's tree.
    let valid_path = !module.path.is_empty()
        && module.path.split('/').all(|e| {
            !e.is_empty()
                && e != "."
                && e != ".."
                && e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        });
    if !valid_path {
        return Err(bad(format!(
            "go.mod declares {:?}, which is not a valid module path",
            module.path
        )));
    }
    // The go command serves `+incompatible` only for a major ≥ 2 without a go.mod, and drops
    // any other build metadata (a tag with it is no module version): there is no such version
    // to ask a GOPROXY for, so the question would always say "absent".
    if version.ends_with("+incompatible") {
        return Err(Failure::usage(
            "Invalid Go version",
            format!(
                "{} @ {version:?}: a module with a go.mod is never served as +incompatible",
                module.path
            ),
        )
        .with_fix(
            "publish a major ≥ 2 under a /vN module path, and set go-version to that version",
        ));
    }
    go_version::validate(&version, go_version::path_major(&module.path)).map_err(|why| {
        Failure::usage(
            "Invalid Go version",
            format!("{} @ {version:?}: {why}", module.path),
        )
    })?;
    let digest = match &module.source {
        module_reader::Source::Dir(files) => {
            dir_h1(&module.path, &version, files).map_err(|e| bad(e.to_string()))?
        }
        module_reader::Source::Zip => {
            let (h1, _) = registry::verify_module_zip(
                &artifact.path,
                &artifact.display.as_str(),
                &module.path,
                &version,
            )
            .map_err(|f| bad(f.message.clone()))?;
            h1
        }
    };
    Ok(Local {
        name: module.path.clone(),
        version,
        digest,
        go_mod_digest: Some(h1_of_go_mod(&module.go_mod)),
        file_name: String::new(),
        sha256: None,
        sha512: None,
    })
}

/// Hash1 of a module directory: each file as the zip would hold it, `module@version/<path>`.
fn dir_h1(module: &str, version: &str, files: &[(String, PathBuf)]) -> std::io::Result<String> {
    let mut left = archive::MAX_GO_ZIP_UNPACKED;
    let mut hashes = Vec::with_capacity(files.len());
    for (rel, abs) in files {
        let mut hasher = Sha256::new();
        let file = std::fs::File::open(abs)?;
        let what = format!("the module {module}");
        let n = std::io::copy(&mut archive::Capped::new(file, what, left), &mut hasher)?;
        left -= n;
        hashes.push((
            format!("{module}@{version}/{rel}"),
            hasher.finalize().into(),
        ));
    }
    Ok(go_h1(&mut hashes))
}

fn query(
    fetcher: &Fetcher,
    options: &RemoteOptions,
    proxy: &Proxy,
    local: &Local,
) -> Result<Remote> {
    let escaped = go_escape(&local.name);
    let escaped_version = go_escape(&local.version);
    let absent = |url: String| Remote::absent(&url);
    let (info_url, go_mod, zip_h1) = match proxy {
        Proxy::File(root) => {
            let at_v = root.join(&escaped).join("@v");
            let info_path = at_v.join(format!("{escaped_version}.info"));
            let shown = format!("file://{}", info_path.display());
            let Some(info) = read_info_file(&info_path, &shown)? else {
                return Ok(absent(shown));
            };
            check_info(&info, &shown, &local.version)?;
            let mod_path = at_v.join(format!("{escaped_version}.mod"));
            let go_mod = std::fs::read(&mod_path)
                .map_err(|e| unreadable(&format!("file://{}", mod_path.display()), e))?;
            let zip_path = at_v.join(format!("{escaped_version}.zip"));
            let zip_shown = format!("file://{}", zip_path.display());
            if let Err(e) = std::fs::metadata(&zip_path) {
                return Err(unreadable(&zip_shown, e));
            }
            let (h1, _) = registry::verify_module_zip(
                &zip_path,
                &zip_shown.as_str(),
                &local.name,
                &local.version,
            )?;
            (shown, go_mod, h1)
        }
        Proxy::Http(base) => {
            let (base, auth) = crate::ecosystem::registry_client::registry_with_auth(
                fetcher, "goproxy", base, options, None,
            )?;
            let at_v = base
                .join(&format!("{escaped}/@v/"))
                .map_err(|e| Failure::usage("Malformed Go module path", format!("{e}")))?;
            let url = |suffix: &str| -> Result<Url> {
                at_v.join(&format!("{escaped_version}{suffix}"))
                    .map_err(|e| Failure::usage("Malformed Go version", format!("{e}")))
            };
            let info_url = url(".info")?;
            // A GOPROXY answers 404 or 410 for a version it does not have.
            let info = fetcher.get_passing(info_url.as_str(), auth.as_ref(), None, &[404, 410])?;
            if info.status == 404 || info.status == 410 {
                return Ok(absent(info_url.to_string()));
            }
            check_info(&info.body, info_url.as_str(), &local.version)?;
            let go_mod = fetcher
                .get(url(".mod")?.as_str(), auth.as_ref(), None)?
                .body;
            let zip_url = url(".zip")?;
            let dir = Sandbox::new("publish-check")?;
            let dest = dir.path().join("module.zip");
            fetcher.download(&Download {
                url: zip_url.to_string(),
                dest: dest.clone(),
                expected: Vec::new(),
                size: None,
                auth: auth.clone(),
                accept: None,
            })?;
            let (h1, _) =
                registry::verify_module_zip(&dest, &zip_url, &local.name, &local.version)?;
            (info_url.to_string(), go_mod, h1)
        }
    };
    let mod_h1 = h1_of_go_mod(&go_mod);
    let same =
        Some(&zip_h1) == Some(&local.digest) && Some(&mod_h1) == local.go_mod_digest.as_ref();
    Ok(Remote {
        state: if same {
            State::Identical
        } else {
            State::Different
        },
        url: info_url,
        digest: Some(zip_h1),
        go_mod_digest: Some(mod_h1),
        version_files: Vec::new(),
        provenance: None,
    })
}

/// A file:// GOPROXY's `.info`; `None` when there is no entry at all.
fn read_info_file(info_path: &std::path::Path, shown: &str) -> Result<Option<Vec<u8>>> {
    match std::fs::read(info_path) {
        Ok(bytes) => Ok(Some(bytes)),
        // Only no entry at all is "not there": a dangling symlink is an entry that cannot be
        // read.
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                && std::fs::symlink_metadata(info_path).is_err() =>
        {
            Ok(None)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(unreadable(
            shown,
            std::io::Error::other(format!("{e}: a dangling symlink")),
        )),
        Err(e) => Err(unreadable(shown, e)),
    }
}

fn unreadable(what: &str, e: std::io::Error) -> Failure {
    Failure::usage("GOPROXY file unreadable", format!("{what}: {e}"))
}

/// The `.info` must parse and name the version asked for (a proxy that resolves a query to
/// another version is not saying this one exists).
fn check_info(body: &[u8], url: &str, version: &str) -> Result<()> {
    let info: GoInfo = serde_json::from_slice(body).map_err(|e| {
        Failure::usage(
            "GOPROXY returned an unreadable .info",
            format!("{url}: not the JSON of a version ({e})"),
        )
    })?;
    if info.version != version {
        return Err(Failure::usage(
            "GOPROXY resolved another version",
            format!("{url} answered Version {:?}, not {version}", info.version),
        ));
    }
    Ok(())
}
