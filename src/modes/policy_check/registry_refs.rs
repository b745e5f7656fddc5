//! Registry references: where a repository's files say packages come from. Registry and index
//! hosts in package manager configuration, lockfiles, Go settings and workflow files, each with
//! its position and, where the file says, the package resolved from it. The registry-host rules
//! (`rules/registry_hosts.rs`) check them.

use std::sync::LazyLock;

use regex::Regex;

use super::config::host_of;

/// The kinds of file registry references are read from, known by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefFile {
    Npmrc,
    PnpmLock,
    PackageLock,
    PipConf,
    Requirements,
    UvLock,
    Pyproject,
    GoMod,
    GoEnv,
    Workflow,
}

impl RefFile {
    pub fn of(path: &str) -> Option<RefFile> {
        let name = path.rsplit('/').next().unwrap_or(path);
        Some(match name {
            ".npmrc" => RefFile::Npmrc,
            "pnpm-lock.yaml" => RefFile::PnpmLock,
            "package-lock.json" | "npm-shrinkwrap.json" => RefFile::PackageLock,
            "pip.conf" | "pip.ini" => RefFile::PipConf,
            "uv.lock" => RefFile::UvLock,
            "pyproject.toml" => RefFile::Pyproject,
            "go.mod" => RefFile::GoMod,
            "go.env" => RefFile::GoEnv,
            n if n.starts_with("requirements") && n.ends_with(".txt") => RefFile::Requirements,
            n if path.starts_with(".github/workflows/")
                && (n.ends_with(".yml") || n.ends_with(".yaml")) =>
            {
                RefFile::Workflow
            }
            _ => return None,
        })
    }
}

/// pnpm records no tarball URL for a package from the default registry.
pub const PNPM_DEFAULT_REGISTRY: &str = "registry.npmjs.org";

/// One registry reference: the host a file names as a package source, where it names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRef {
    pub offset: usize,
    pub len: usize,
    pub host: String,
    /// The URL or setting value as written (or a note when the host is implied).
    pub url: String,
    /// The package resolved from this host, or `@scope/*` for a scope's registry setting.
    pub package: Option<String>,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static registry regex")
}

static NPMRC: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)^[ \t]*(?:(@[\w.-]+):)?registry[ \t]*=[ \t]*(\S+)"));
static PNPM_TARBALL: LazyLock<Regex> =
    LazyLock::new(|| re(r"tarball:[ \t]*['\x22]?([^\s,}'\x22]+)"));
static LOCK_KEY: LazyLock<Regex> = LazyLock::new(|| re(r#"^[ \t]*"([^"]*)"[ \t]*:[ \t]*\{"#));
static LOCK_RESOLVED: LazyLock<Regex> = LazyLock::new(|| re(r#""resolved"[ \t]*:[ \t]*"([^"]+)""#));
static PIP_CONF: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?m)^[ \t]*(?:index-url|extra-index-url|find-links)[ \t]*[=:][ \t]*(\S+)|^[ \t]+(https?://\S+)[ \t]*$",
    )
});
static REQUIREMENTS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?m)^[ \t]*(?:-i|--index-url|--extra-index-url|-f|--find-links)(?:[ \t]+|=)(\S+)|^[ \t]*([A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?[ \t]*@[ \t]*((?:git\+)?https?://\S+)",
    )
});
static UV_SOURCE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"source[ \t]*=[ \t]*\{[^}\n]*\b(?:registry|url)[ \t]*=[ \t]*"([^"]+)""#));
static UV_NAME: LazyLock<Regex> = LazyLock::new(|| re(r#"^name[ \t]*=[ \t]*"([^"]+)""#));
static PYPROJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"^[ \t]*(?:url|index-url|extra-index-url|default-index|find-links)[ \t]*=[ \t]*["']([^"']+)["']"#,
    )
});
static GO_MOD_PATH: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^[ \t]*(?:(?:require|replace)[ \t]+)?([a-z0-9.-]+\.[a-z]{2,}(?:/[^\s]*)?)[ \t]+(?:v\d|=>)")
});
static GOPROXY: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\bGOPROXY[ \t]*[:=][ \t]*["']?([^"'\s#]+)"#));
static WORKFLOW: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"registry-url:[ \t]*["']?([^"'\s#]+)"#,
        r#"|--(?:registry|index-url|extra-index-url|find-links)(?:[ \t]+|=)["']?(https?://[^"'\s]+)"#,
        r#"|[ \t]-i[ \t]+["']?(https?://[^"'\s]+)"#,
        r#"|config[ \t]+set[ \t]+(?:@[\w.-]+:)?registry[ \t=]+["']?([^"'\s]+)"#,
        r#"|\b(?:NPM_CONFIG_REGISTRY|npm_config_registry|PIP_INDEX_URL|PIP_EXTRA_INDEX_URL|UV_INDEX_URL|UV_DEFAULT_INDEX|UV_EXTRA_INDEX_URL|UV_INDEX)[ \t]*[:=][ \t]*["']?([^"'\s#]+)"#,
    ))
});

fn line_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = offset;
        offset += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}

fn url_ref(offset: usize, value: &str, package: Option<String>) -> Option<RegistryRef> {
    let host = host_of(value);
    if host.is_empty() || host.starts_with('$') || (!host.contains('.') && host != "localhost") {
        return None;
    }
    Some(RegistryRef {
        offset,
        len: value.len(),
        host,
        url: value.to_string(),
        package,
    })
}

/// Every registry reference in one file of a known kind.
pub fn extract(file: RefFile, text: &str) -> Vec<RegistryRef> {
    let mut refs = Vec::new();
    match file {
        RefFile::Npmrc => {
            for c in NPMRC.captures_iter(text) {
                let url = c.get(2).expect("group 2");
                let package = c.get(1).map(|s| format!("{}/*", s.as_str()));
                refs.extend(url_ref(url.start(), url.as_str(), package));
            }
        }
        RefFile::PnpmLock => pnpm_lock(text, &mut refs),
        RefFile::PackageLock => {
            let mut package = None;
            for (start, line) in line_offsets(text) {
                if let Some(c) = LOCK_KEY.captures(line) {
                    let key = c.get(1).expect("group 1").as_str();
                    let name = key.rsplit("node_modules/").next().unwrap_or(key);
                    package = (!name.is_empty()).then(|| name.to_string());
                }
                if let Some(c) = LOCK_RESOLVED.captures(line) {
                    let url = c.get(1).expect("group 1");
                    refs.extend(url_ref(start + url.start(), url.as_str(), package.clone()));
                }
            }
        }
        RefFile::PipConf => {
            for c in PIP_CONF.captures_iter(text) {
                let url = c.get(1).or(c.get(2)).expect("one group");
                refs.extend(url_ref(url.start(), url.as_str(), None));
            }
        }
        RefFile::Requirements => {
            for c in REQUIREMENTS.captures_iter(text) {
                if let Some(url) = c.get(1) {
                    refs.extend(url_ref(url.start(), url.as_str(), None));
                } else if let (Some(name), Some(url)) = (c.get(2), c.get(3)) {
                    let value = url.as_str().trim_start_matches("git+");
                    let offset = url.start() + (url.len() - value.len());
                    refs.extend(url_ref(offset, value, Some(name.as_str().to_string())));
                }
            }
        }
        RefFile::UvLock => {
            let mut package = None;
            for (start, line) in line_offsets(text) {
                if line.starts_with("[[package]]") {
                    package = None;
                }
                if let Some(c) = UV_NAME.captures(line) {
                    package = Some(c[1].to_string());
                }
                if let Some(c) = UV_SOURCE.captures(line) {
                    let url = c.get(1).expect("group 1");
                    refs.extend(url_ref(start + url.start(), url.as_str(), package.clone()));
                }
            }
        }
        RefFile::Pyproject => pyproject(text, &mut refs),
        RefFile::GoMod => go_mod(text, &mut refs),
        RefFile::GoEnv => goproxy(text, &mut refs),
        RefFile::Workflow => {
            goproxy(text, &mut refs);
            for c in WORKFLOW.captures_iter(text) {
                if let Some(url) = (1..=5).find_map(|i| c.get(i)) {
                    refs.extend(url_ref(url.start(), url.as_str(), None));
                }
            }
        }
    }
    refs.sort_by_key(|r| r.offset);
    refs.dedup_by_key(|r| r.offset);
    refs
}

/// pyproject.toml: package source URLs, outside the project's `urls` tables.
fn pyproject(text: &str, refs: &mut Vec<RegistryRef>) {
    let mut section = String::new();
    for (start, line) in line_offsets(text) {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.trim_matches(['[', ']']).to_string();
            continue;
        }
        // Project links (homepage, docs) are not package sources.
        if section.ends_with("urls") {
            continue;
        }
        if let Some(c) = PYPROJECT.captures(line) {
            let url = c.get(1).expect("group 1");
            refs.extend(url_ref(start + url.start(), url.as_str(), None));
        }
    }
}

/// go.mod: every module path required or replaced (its first element is the host).
fn go_mod(text: &str, refs: &mut Vec<RegistryRef>) {
    for (start, line) in line_offsets(text) {
        let code = line.split("//").next().unwrap_or(line);
        if code.trim_start().starts_with("module") {
            continue;
        }
        if let Some(c) = GO_MOD_PATH.captures(code) {
            let path = c.get(1).expect("group 1");
            let host = path.as_str().split('/').next().unwrap_or_default();
            refs.push(RegistryRef {
                offset: start + path.start(),
                len: path.len(),
                host: host.to_ascii_lowercase(),
                url: path.as_str().to_string(),
                package: Some(path.as_str().to_string()),
            });
        }
    }
}

/// `GOPROXY=a,b|direct`: every proxy in the list (`direct` and `off` are not hosts).
fn goproxy(text: &str, refs: &mut Vec<RegistryRef>) {
    for c in GOPROXY.captures_iter(text) {
        let list = c.get(1).expect("group 1");
        let mut offset = list.start();
        for entry in list.as_str().split_inclusive([',', '|']) {
            let value = entry.trim_end_matches([',', '|']);
            if !matches!(value, "direct" | "off" | "") {
                refs.extend(url_ref(offset, value, None));
            }
            offset += entry.len();
        }
    }
}

/// pnpm-lock.yaml: under `packages:`, a `tarball:` URL names the registry; an entry with an
/// `integrity` but no tarball came from the default registry.
fn pnpm_lock(text: &str, refs: &mut Vec<RegistryRef>) {
    struct Entry {
        offset: usize,
        key_len: usize,
        name: String,
        integrity: bool,
        tarball: bool,
    }
    let flush = |entry: Option<Entry>, refs: &mut Vec<RegistryRef>| {
        if let Some(e) = entry {
            if e.integrity && !e.tarball {
                refs.push(RegistryRef {
                    offset: e.offset,
                    len: e.key_len,
                    host: PNPM_DEFAULT_REGISTRY.to_string(),
                    url: format!(
                        "{PNPM_DEFAULT_REGISTRY} (pnpm's default registry: no tarball URL)"
                    ),
                    package: Some(e.name),
                });
            }
        }
    };
    let mut in_packages = false;
    let mut entry: Option<Entry> = None;
    for (start, line) in line_offsets(text) {
        if !line.starts_with([' ', '\t']) && !line.is_empty() {
            flush(entry.take(), refs);
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        if !in_packages {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 2 && line.trim_end().ends_with(':') {
            flush(entry.take(), refs);
            let key = line.trim().trim_end_matches(':');
            let unquoted = key.trim_matches(['\'', '"']);
            let offset = start + indent + (key.len() - key.trim_start_matches(['\'', '"']).len());
            entry = Some(Entry {
                offset,
                key_len: unquoted.len(),
                name: pnpm_package_name(unquoted),
                integrity: false,
                tarball: false,
            });
            continue;
        }
        if let Some(e) = entry.as_mut() {
            if line.contains("integrity:") {
                e.integrity = true;
            }
            if let Some(c) = PNPM_TARBALL.captures(line) {
                e.tarball = true;
                let url = c.get(1).expect("group 1");
                refs.extend(url_ref(
                    start + url.start(),
                    url.as_str(),
                    Some(e.name.clone()),
                ));
            }
        }
    }
    flush(entry.take(), refs);
}

/// The package name in a pnpm lock key: `/@s/n@1.0.0(peer)` (v6), `@s/n@1.0.0` (v9) or
/// `/@s/n/1.0.0` (v5).
fn pnpm_package_name(key: &str) -> String {
    let key = key.trim_start_matches('/');
    let (scope, rest) = match key.strip_prefix('@') {
        Some(rest) => match rest.split_once('/') {
            Some((scope, rest)) => (format!("@{scope}/"), rest),
            None => (String::new(), key),
        },
        None => (String::new(), key),
    };
    let name = rest.split(['@', '/', '(']).next().unwrap_or(rest);
    format!("{scope}{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(source: RefFile, text: &str) -> Vec<(String, Option<String>)> {
        extract(source, text)
            .into_iter()
            .map(|r| (r.host, r.package))
            .collect()
    }

    #[test]
    fn pnpm_lock_tarballs_and_default_registry() {
        let lock = "lockfileVersion: '9.0'\n\npackages:\n\n  '@ameideio/sdk@1.2.0':\n    resolution: {integrity: sha512-x, tarball: https://npm.pkg.github.com/download/@ameideio/sdk/1.2.0/abc}\n\n  '@ameideio/ameide-core-proto@0.1.0':\n    resolution: {integrity: sha512-y}\n\n  left-pad@1.3.0:\n    resolution: {integrity: sha512-z}\n\nsnapshots:\n\n  left-pad@1.3.0: {}\n";
        assert_eq!(
            hosts(RefFile::PnpmLock, lock),
            vec![
                ("npm.pkg.github.com".into(), Some("@ameideio/sdk".into())),
                (
                    "registry.npmjs.org".into(),
                    Some("@ameideio/ameide-core-proto".into())
                ),
                ("registry.npmjs.org".into(), Some("left-pad".into())),
            ]
        );
        assert_eq!(pnpm_package_name("/@a/b@1.0.0(react@18.0.0)"), "@a/b");
        assert_eq!(pnpm_package_name("/@a/b/1.0.0"), "@a/b");
    }

    #[test]
    fn npmrc_scopes_and_goproxy() {
        assert_eq!(
            hosts(RefFile::Npmrc, "@ameideio:registry=https://npm.pkg.github.com\nregistry=https://registry.npmjs.org/\n//npm.pkg.github.com/:_authToken=${T}\n"),
            vec![
                ("npm.pkg.github.com".into(), Some("@ameideio/*".into())),
                ("registry.npmjs.org".into(), None)
            ]
        );
        assert_eq!(
            hosts(
                RefFile::GoEnv,
                "GOPROXY=https://proxy.golang.org,https://goproxy.io|direct\n"
            ),
            vec![
                ("proxy.golang.org".into(), None),
                ("goproxy.io".into(), None)
            ]
        );
    }
}
