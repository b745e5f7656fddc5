//! Which packages to smoke and at which version: the `packages`, `ecosystem`,
//! `expected-version`, `versions` and `registry` inputs, validated before anything runs.
//! A `packages` entry is a local path or glob, or a remote source (a URL, `oci://`, `npm:`,
//! `pypi:`, `go:`) that the `fetch` phase downloads before it is classified like a local file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use globset::GlobBuilder;

use crate::ecosystem::remote::{Fetched, Source};
use crate::ecosystem::smoke::Package;
use crate::ecosystem::{self, Eco};
use crate::error::{Failure, Result};
use crate::runner::inputs;
use crate::version::document::VersionsDocument;

/// One `packages` entry: local files (a path, or what a glob matched) or a remote source.
#[derive(Debug, Clone)]
pub enum Entry {
    Local(Package),
    Remote(Source),
}

/// Directories never searched by a glob: they hold other people's packages, not build output.
const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", ".venv", "__pycache__"];

/// Expands the `packages` input, in order: local paths and globs into files and directories, each
/// with its ecosystem; remote entries parsed (a malformed one is a usage error) but not fetched.
pub(crate) fn resolve(
    packages: Option<&str>,
    choice: Option<Eco>,
    cwd: &Path,
) -> Result<Vec<Entry>> {
    let items = packages.map(inputs::list).unwrap_or_default();
    if items.is_empty() {
        return Err(Failure::usage(
            "No packages to smoke",
            "input `packages` is empty: smoke-install needs the built artifacts to install",
        )
        .with_fix(
            "set `packages`, e.g. `dist/*.tgz`, `dist/*.whl` or the directory of a Go module",
        ));
    }
    let mut seen = BTreeSet::new();
    let mut packages = Vec::new();
    for item in &items {
        if let Some(source) = Source::parse(item) {
            let source = source.map_err(|f| f.prefixed("input `packages`: "))?;
            packages.push(Entry::Remote(source));
            continue;
        }
        for (canonical, display) in expand_local(item, cwd)? {
            if !seen.insert(canonical.clone()) {
                continue;
            }
            let ecosystem = classify(&canonical, &display, choice)?;
            packages.push(Entry::Local(Package {
                path: canonical,
                display,
                ecosystem,
                local_registry: None,
                fetched: None,
            }));
        }
    }
    Ok(packages)
}

/// One local `packages` entry (a path or a glob) as `(canonical path, path as shown)` pairs; a
/// path that does not exist or a glob that matches nothing is a usage error naming the entry.
pub(crate) fn expand_local(item: &str, cwd: &Path) -> Result<Vec<(PathBuf, String)>> {
    let matches = if is_glob(item) {
        let found = glob(item, cwd)?;
        if found.is_empty() {
            return Err(Failure::usage(
                "No package matches a pattern",
                format!(
                    "input `packages`: {item:?} matches no file under {}",
                    cwd.display()
                ),
            )
            .with_fix("build the packages before this step, or fix the pattern"));
        }
        found
    } else {
        let path = cwd.join(item);
        if !path.exists() {
            return Err(Failure::usage(
                "Package not found",
                format!(
                    "input `packages`: {item:?} does not exist (looked in {})",
                    cwd.display()
                ),
            )
            .with_fix("build the packages before this step, or fix the path"));
        }
        vec![path]
    };
    matches
        .into_iter()
        .map(|path| {
            let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
            let display = path
                .strip_prefix(cwd)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| path.display().to_string());
            refuse_control_characters(&display)?;
            // A package is read (and, after publish-check, uploaded): a symlink committed to the
            // repository must not make it some file elsewhere on the runner.
            inputs::confine("packages", &display, &canonical, true)?;
            Ok((canonical, display))
        })
        .collect()
}

/// A path with a control character (a newline, CR, TAB, ESC…) is one file here but, in a list
/// output or a log line, two lines or a terminal command: `dist/app⏎root.tgz` would make
/// `to-publish` name `root.tgz`, which was never checked. Refused, shown escaped.
fn refuse_control_characters(display: &str) -> Result<()> {
    if !display.chars().any(char::is_control) {
        return Ok(());
    }
    Err(Failure::usage(
        "Control character in a package path",
        format!(
            "input `packages`: {display:?} contains a control character: one file here, but \
             it would read as another name (or several lines) in outputs and logs"
        ),
    )
    .with_fix("rename the file without control characters (newline, CR, TAB, ESC…)"))
}

fn is_glob(item: &str) -> bool {
    item.contains(['*', '?', '[', '{'])
}

fn glob(pattern: &str, cwd: &Path) -> Result<Vec<PathBuf>> {
    let matcher = GlobBuilder::new(pattern.trim_start_matches("./"))
        .literal_separator(true)
        .build()
        .map_err(|e| {
            Failure::invalid_input(
                "packages",
                format!("{pattern:?} is not a valid glob: {e}"),
                "use `*`, `**`, `?` and `[...]` in paths, e.g. `dist/*.whl`",
            )
        })?
        .compile_matcher();
    // Walk only from the part of the pattern before the first wildcard.
    let pattern = pattern.trim_start_matches("./");
    let literal: Vec<&str> = pattern
        .split('/')
        .take_while(|part| !is_glob(part))
        .collect();
    let base_rel = if literal.len() == pattern.split('/').count() {
        PathBuf::new()
    } else {
        literal.iter().collect::<PathBuf>()
    };
    let base = if Path::new(pattern).is_absolute() {
        PathBuf::from("/").join(&base_rel)
    } else {
        cwd.join(&base_rel)
    };
    let mut found = Vec::new();
    walk(&base, &mut |path| {
        let rel = if Path::new(pattern).is_absolute() {
            path.to_path_buf()
        } else {
            path.strip_prefix(cwd).unwrap_or(path).to_path_buf()
        };
        if matcher.is_match(&rel) {
            found.push(path.to_path_buf());
        }
    });
    found.sort();
    Ok(found)
}

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        visit(&path);
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let name = entry.file_name();
        if is_dir && !SKIPPED_DIRS.iter().any(|s| name == *s) {
            walk(&path, visit);
        }
    }
}

fn classify(path: &Path, display: &str, choice: Option<Eco>) -> Result<Eco> {
    let detected = if path.is_dir() {
        match ecosystem::ALL.iter().find(|e| e.recognises_dir(path)) {
            Some(e) => Some(*e),
            None => {
                return Err(Failure::usage(
                    "Directory is not a package",
                    format!(
                        "input `packages`: {display} is a directory that is no package (a Go module needs its go.mod)"
                    ),
                )
                .with_fix(format!("list {}", ecosystem::all_artifacts())))
            }
        }
    } else {
        ecosystem::recognise(&file_name(path), choice)
    };
    choose(detected, &file_name(path), display, choice)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// The ecosystem of a fetched artifact: from what the registry said it is (`npm:`, `pypi:`, …),
/// else (a URL, an OCI layer) from its file name, as for a local file.
pub(crate) fn classify_fetched(fetched: &Fetched, choice: Option<Eco>) -> Result<Eco> {
    let name = file_name(&fetched.path);
    let detected = match fetched.kind.ecosystem() {
        Some(ecosystem) => {
            ecosystem.accept_fetched(fetched)?;
            Some(ecosystem)
        }
        None => ecosystem::recognise(&name, choice),
    };
    choose(detected, &name, &fetched.source, choice)
}

/// The detected ecosystem, checked against the `ecosystem` input.
fn choose(detected: Option<Eco>, name: &str, display: &str, wanted: Option<Eco>) -> Result<Eco> {
    match (detected, wanted) {
        (Some(d), Some(w)) if d != w => Err(Failure::usage(
            "Package does not match `ecosystem`",
            format!(
                "input `packages`: {display} is a {} package but input `ecosystem` is {}",
                d.name(),
                w.name()
            ),
        )
        .with_fix("set `ecosystem: auto` to smoke packages of several ecosystems together")),
        (Some(d), _) => Ok(d),
        (None, _) => Err(Failure::usage(
            "Unknown package type",
            format!(
                "input `packages`: {display} is not {}{}",
                ecosystem::all_artifacts(),
                if name.ends_with(".tar.gz") {
                    " (a .tar.gz is ambiguous: set `ecosystem: npm` for an npm tarball; Python sdists are not smoked, build a wheel)"
                } else {
                    ""
                }
            ),
        )
        .with_fix("list only built artifacts in `packages`")),
    }
}

/// The version each ecosystem must install at.
#[derive(Debug, Default)]
pub(crate) struct Versions(BTreeMap<&'static str, String>);

impl Versions {
    pub(crate) fn for_ecosystem(&self, ecosystem: Eco) -> &str {
        self.0.get(ecosystem.name()).map_or("", String::as_str)
    }
}

/// Where the expected versions come from: `expected-version` (one for every ecosystem) or
/// version-guard's `versions` document (one each).
#[derive(Debug)]
pub(crate) enum ExpectedVersion {
    Explicit(String),
    Document(Box<VersionsDocument>),
}

impl ExpectedVersion {
    /// Reads `expected-version` or `versions`: exactly one of them.
    pub(crate) fn from_inputs(
        expected_version: Option<&str>,
        versions: Option<&str>,
    ) -> Result<Self> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        match (given(expected_version), given(versions)) {
            (Some(_), Some(_)) => Err(Failure::usage(
                "Two expected versions",
                "inputs `expected-version` and `versions` are both set: smoke-install would not know which one to check",
            )
            .with_fix("set only one: `versions` (version-guard's output) to get each ecosystem's version, or `expected-version`")),
            (None, None) => Err(Failure::usage(
                "No expected version",
                "neither `expected-version` nor `versions` is set: smoke-install checks that packages install at the version the build computed",
            )
            .with_fix("pass `versions: ${{ steps.version.outputs.versions }}` from version-guard, or `expected-version`")),
            (Some(version), None) => Ok(ExpectedVersion::Explicit(version.to_string())),
            (None, Some(json)) => Ok(ExpectedVersion::Document(Box::new(VersionsDocument::parse(
                json,
            )?))),
        }
    }

    /// Each of `ecosystems`' version, checked against its ecosystem's grammar.
    pub(crate) fn for_ecosystems(&self, ecosystems: &BTreeSet<Eco>) -> Result<Versions> {
        let mut versions = Versions::default();
        match self {
            ExpectedVersion::Explicit(version) => {
                for ecosystem in ecosystems {
                    let v = normalize(*ecosystem, version, "expected-version")?;
                    versions.0.insert(ecosystem.name(), v);
                }
            }
            ExpectedVersion::Document(document) => {
                from_document(document, ecosystems, &mut versions)?
            }
        }
        Ok(versions)
    }
}

fn from_document(
    document: &VersionsDocument,
    ecosystems: &BTreeSet<Eco>,
    versions: &mut Versions,
) -> Result<()> {
    for ecosystem in ecosystems {
        let key = format!("{}-version", ecosystem.key());
        let raw = document.ecosystem(ecosystem.key()).ok_or_else(|| {
            Failure::invalid_input(
                "versions",
                format!(
                    "no string {key:?}, needed for the {} package(s)",
                    ecosystem.name()
                ),
                "pass version-guard's `versions` output unchanged, or use `expected-version`",
            )
        })?;
        let v = normalize(*ecosystem, raw, &format!("versions.{key}"))?;
        versions.0.insert(ecosystem.name(), v);
    }
    Ok(())
}

/// A version in its ecosystem's normal spelling, or a usage error naming the input.
fn normalize(ecosystem: Eco, raw: &str, input: &str) -> Result<String> {
    let raw = raw.trim();
    ecosystem.normalize_version(raw).map_err(|e| {
        Failure::invalid_input(
            input,
            format!(
                "{raw:?} is not a valid {} version: {e}",
                ecosystem.version_grammar()
            ),
            format!(
                "give `{input}` a {} version (version-guard's outputs are)",
                ecosystem.version_grammar()
            ),
        )
    })
}

/// The `registry` input, checked to be an http(s) URL (or a `file://` GOPROXY for Go).
pub(crate) fn registry(raw: &str, packages: &[Package]) -> Result<String> {
    let ok_scheme = raw.starts_with("https://")
        || raw.starts_with("http://")
        || (raw.starts_with("file://")
            && packages.iter().all(|p| p.ecosystem.serves_file_registry()));
    if !ok_scheme || raw.contains(char::is_whitespace) {
        return Err(Failure::invalid_input(
            "registry",
            format!("{raw:?} is not an http(s) URL"),
            "give the URL of a private registry, e.g. https://npm.pkg.github.com, or leave it empty to install offline",
        ));
    }
    Ok(raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eco(name: &str) -> Eco {
        ecosystem::by_name(name).unwrap()
    }

    #[test]
    fn go_versions_get_their_v() {
        assert_eq!(normalize(eco("go"), "1.2.3", "x").unwrap(), "v1.2.3");
        assert_eq!(
            normalize(eco("go"), "v0.11.1-0.20240102030405-0123456789ab", "x").unwrap(),
            "v0.11.1-0.20240102030405-0123456789ab"
        );
        assert!(normalize(eco("go"), "v1.2", "x").is_err());
        assert!(normalize(eco("go"), "v1.2.3+meta", "x").is_err());
    }

    #[test]
    fn npm_and_python_versions_are_checked() {
        assert_eq!(normalize(eco("npm"), "v1.2.3", "x").unwrap(), "1.2.3");
        assert!(normalize(eco("npm"), "1.2", "x").is_err());
        assert!(normalize(eco("python"), "0.12.0.dev20240102030405+g0123456789ab", "x").is_ok());
        let err = normalize(eco("python"), "not a version", "versions.pypi-version").unwrap_err();
        assert!(err.message.contains("versions.pypi-version"));
    }
}
