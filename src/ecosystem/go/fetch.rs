//! `go:module@version`: the GOPROXY `.info` (its `Version` must equal the one asked for),
//! `.mod` and `.zip` (every entry under `module@version/`); the `go.sum` lines are computed.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::archive;
pub(crate) use crate::ecosystem::registry_client::{
    check, download, json, protocol_failure, registry_with_auth,
};
use crate::ecosystem::remote::{ArtifactKind, Fetched, RemoteOptions};
use crate::error::{Failure, Result};
use crate::fetch::download::{Download, Fetcher, Integrity};
use crate::fetch::Check;

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

/// The `.info` document must name exactly the version asked for.
fn check_info_version(info: &GoInfo, info_url: &Url, version: &str) -> Result<()> {
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
    Ok(())
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
    let (base, auth) = registry_with_auth(fetcher, "goproxy", &proxy_url(opts)?, opts, None)?;
    let remote = ProxyVersion::new(&base, module, version)?;
    let get = |url: &Url| fetcher.get(url.as_str(), auth.as_ref(), None);
    let mut checks = Vec::new();
    let mut verified = Vec::new();

    let info_url = remote.url("info")?;
    let info_response = get(&info_url)?;
    let info: GoInfo = json(&info_response, ".info")?;
    check_info_version(&info, &info_url, version)?;
    verified.push(format!(".info Version is {version}"));
    if opts.check_registry {
        let list_url = remote.list_url()?;
        check_listed(
            fetcher,
            &list_url,
            &get(&list_url)?.text(),
            version,
            &mut checks,
        )?;
        check(&mut checks, fetcher, ".info", info_detail(&info));
    }

    let local = LocalProxy::create(dir, &remote.escaped_module)?;
    local.write(&remote.file_name("info"), &info_response.body)?;

    let mod_url = remote.url("mod")?;
    let go_mod = get(&mod_url)?;
    local.write(&remote.file_name("mod"), &go_mod.body)?;
    check_declared_module(&go_mod.text(), &mod_url, module)?;
    if opts.check_registry {
        check(&mut checks, fetcher, ".mod", format!("module {module}"));
    }

    let zip_url = remote.url("zip")?;
    let dest = local.version_dir.join(remote.file_name("zip"));
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
    if zip_go_mod.as_ref().is_some_and(|m| m != &go_mod.body) {
        return Err(protocol_failure(
            "module zip and .mod disagree",
            format!("{zip_url}: its go.mod differs from {mod_url}"),
        ));
    }
    // Go hashes the .mod under the bare name `go.mod` (modfetch.HashGoMod).
    let mut mod_files = vec![("go.mod".to_string(), Sha256::digest(&go_mod.body).into())];
    let mod_h1 = go_h1(&mut mod_files);
    verified.push(format!("every zip entry is under {module}@{version}/"));
    verified.push(format!("go.sum: {module} {version} {h1}"));
    verified.push(format!("go.sum: {module} {version}/go.mod {mod_h1}"));
    if opts.check_registry {
        let go_mod_note = if zip_go_mod.is_some() {
            ", go.mod equals .mod"
        } else {
            ""
        };
        check(
            &mut checks,
            fetcher,
            ".zip",
            format!("entries under {module}@{version}/{go_mod_note}, {h1}"),
        );
    }
    local.write("list", format!("{version}\n").as_bytes())?;
    Ok(Fetched {
        source: format!("go:{module}@{version}"),
        url: zip_url.to_string(),
        path: dest,
        kind: ArtifactKind::Package {
            ecosystem: &super::Go,
            local_registry: Some(local.root),
        },
        bytes: done.bytes,
        sha256: done.sha256_hex(),
        verified,
        checks,
        cache,
        provenance: None,
    })
}

/// The proxy to fetch from: the first http(s) entry of the `goproxy` input.
fn proxy_url(opts: &RemoteOptions) -> Result<String> {
    first_proxy(&opts.registries.goproxy).ok_or_else(|| {
        Failure::usage(
            "Input `goproxy` has no http(s) proxy",
            format!(
                "goproxy {:?} lists no https:// proxy to fetch from",
                opts.registries.goproxy
            ),
        )
        .with_fix("set goproxy to a proxy URL, e.g. https://proxy.golang.org")
    })
}

/// One module version's GOPROXY endpoints: `<proxy>/<module>/@v/<version>.{info,mod,zip}` and
/// `<proxy>/<module>/@v/list`, with module and version in Go's case escaping.
struct ProxyVersion<'a> {
    at_v: Url,
    escaped_module: String,
    escaped_version: String,
    version: &'a str,
}

impl<'a> ProxyVersion<'a> {
    fn new(base: &Url, module: &str, version: &'a str) -> Result<Self> {
        let escaped_module = go_escape(module);
        let at_v = base
            .join(&format!("{escaped_module}/@v/"))
            .map_err(|e| Failure::usage("Malformed Go module path", format!("{module}: {e}")))?;
        Ok(Self {
            at_v,
            escaped_module,
            escaped_version: go_escape(version),
            version,
        })
    }

    /// `<version>.<extension>`, the name of the file in the proxy and in the local copy.
    fn file_name(&self, extension: &str) -> String {
        format!("{}.{extension}", self.escaped_version)
    }

    fn url(&self, extension: &str) -> Result<Url> {
        self.join(&self.file_name(extension))
    }

    fn list_url(&self) -> Result<Url> {
        self.join("list")
    }

    fn join(&self, suffix: &str) -> Result<Url> {
        self.at_v
            .join(suffix)
            .map_err(|e| Failure::usage("Malformed Go version", format!("{}: {e}", self.version)))
    }
}

/// `check-registry`: `@v/list` names the version, unless it is a pseudo-version (which proxies
/// do not list).
fn check_listed(
    fetcher: &Fetcher,
    list_url: &Url,
    list: &str,
    version: &str,
    checks: &mut Vec<Check>,
) -> Result<()> {
    let is_pseudo = regex::Regex::new(r"\d{14}-[0-9a-f]{12}(\+incompatible)?$")
        .map(|r| r.is_match(version))
        .unwrap_or(false);
    if list.lines().any(|l| l.trim() == version) {
        check(
            checks,
            fetcher,
            "@v/list",
            format!("{list_url} lists {version}"),
        );
    } else if is_pseudo {
        check(
            checks,
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
    Ok(())
}

/// The `.info` finding: its Version and, when the proxy gives one, its Time.
fn info_detail(info: &GoInfo) -> String {
    format!(
        "Version {}{}",
        info.version,
        info.time
            .as_deref()
            .map(|t| format!(", Time {t}"))
            .unwrap_or_default()
    )
}

/// The `.mod`'s `module` line must name the module asked for.
fn check_declared_module(mod_text: &str, mod_url: &Url, module: &str) -> Result<()> {
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
    Ok(())
}

/// The GOPROXY tree written for the Go toolchain to install from (`GOPROXY=file://<root>`).
struct LocalProxy {
    root: PathBuf,
    version_dir: PathBuf,
}

impl LocalProxy {
    fn create(dir: &Path, escaped_module: &str) -> Result<Self> {
        let root = dir.join("goproxy");
        let version_dir = root.join(escaped_module).join("@v");
        std::fs::create_dir_all(&version_dir).map_err(|e| {
            Failure::usage(
                "Cannot create the GOPROXY directory",
                format!("{}: {e}", version_dir.display()),
            )
        })?;
        Ok(Self { root, version_dir })
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        std::fs::write(self.version_dir.join(name), bytes).map_err(|e| {
            Failure::usage(
                "Cannot write the GOPROXY directory",
                format!("{}: {e}", self.version_dir.display()),
            )
        })
    }
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
