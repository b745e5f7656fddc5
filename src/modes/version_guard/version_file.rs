//! The base version from a file the repository already keeps: `package.json`, `pyproject.toml`
//! (`[project]` or `[tool.poetry]`, or a dynamic version that `[tool.setuptools.dynamic]` points
//! at an `attr` or a `file`), `setup.cfg` (`[metadata] version`, also `attr:`/`file:`), a Python
//! file's `__version__` / `BASE_VERSION` / `VERSION` assignment, Helm's `Chart.yaml` (`version`),
//! `Cargo.toml` (`[package]` or `[workspace.package]`) or a plain `VERSION` file (its first
//! non-empty line).

use std::path::Path;

use crate::error::{Failure, Location, Result};
use crate::version::pep440;

/// Which grammar the file's version follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Grammar {
    Semver,
    Pep440,
    /// A plain file: semver, or PEP 440 when it is not semver.
    Either,
}

#[derive(Debug, Clone)]
pub(super) struct FileVersion {
    pub file: String,
    pub line: usize,
    pub text: String,
    pub grammar: Grammar,
}

impl FileVersion {
    pub(super) fn location(&self) -> Location {
        Location {
            file: self.file.clone(),
            line: Some(self.line),
            col: None,
        }
    }

    fn invalid(&self, why: &str) -> Failure {
        Failure::usage(
            "Invalid version file",
            format!(
                "{}, line {}: version {:?} {why}",
                self.file, self.line, self.text
            ),
        )
        .at(self.location())
    }

    /// `major.minor.patch` of the file's version; a prerelease or dev part is dropped (the
    /// snapshot adds its own).
    pub(super) fn core(&self) -> Result<semver::Version> {
        if self.grammar != Grammar::Pep440 {
            if let Ok(v) = semver::Version::parse(&self.text) {
                return Ok(semver::Version::new(v.major, v.minor, v.patch));
            }
            if self.grammar == Grammar::Semver {
                return Err(self.invalid("is not semver (e.g. 1.2.3)"));
            }
        }
        let v = pep440::normalize(&self.text).map_err(|e| self.invalid(&e))?;
        let release = v.release();
        if release.len() > 3 || v.epoch() != 0 {
            return Err(self.invalid("has no major.minor.patch form"));
        }
        let part = |i: usize| release.get(i).copied().unwrap_or(0);
        Ok(semver::Version::new(part(0), part(1), part(2)))
    }

    /// Whether the file says the same version as a release tag.
    pub(super) fn matches(&self, tag: &semver::Version) -> bool {
        if self.grammar != Grammar::Pep440 {
            if let Ok(v) = semver::Version::parse(&self.text) {
                return v.cmp_precedence(tag).is_eq();
            }
        }
        match (pep440::normalize(&self.text), pep440::from_semver(tag)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

/// The names a Python version module assigns, in the order they are looked for.
const PYTHON_VERSION_NAMES: &[&str] = &["__version__", "BASE_VERSION", "VERSION"];

const FORMATS: &str = "package.json, pyproject.toml, setup.cfg, a Python file (__version__, BASE_VERSION or VERSION), Chart.yaml, Cargo.toml or a VERSION file";

/// Reads the version from `path` (relative to `dir` unless absolute).
pub(super) fn read(dir: &Path, path: &str) -> Result<FileVersion> {
    // Inside the workspace only: a symlink committed as the version file must not make the
    // binary read (and quote) a file from elsewhere on the runner.
    let full = crate::runner::inputs::path_in_workspace(
        "version-file",
        &dir.join(path).to_string_lossy(),
        crate::runner::inputs::Access::Read,
    )?;
    let text = std::fs::read_to_string(&full).map_err(|e| {
        Failure::usage(
            "Cannot read the version file",
            format!("input `version-file`: cannot read {path}: {e}"),
        )
        .with_fix(format!(
            "point `version-file` at {FORMATS}, relative to the workspace"
        ))
    })?;
    let name = Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    // Versions that live in another file (`attr:`/`file:` pointers) are read from there, and the
    // location named in errors is that file's.
    let base = full.parent().unwrap_or(dir).to_path_buf();
    let found = match name.as_str() {
        "package.json" => from_package_json(&text)?,
        "pyproject.toml" => match from_toml(&text, &["project", "tool.poetry"]) {
            Some((line, v)) => Some((line, v, Grammar::Pep440)),
            None => match dynamic_pointer(&text, path)? {
                Some(pointer) => return pointer.resolve(dir, &base, path),
                None => None,
            },
        },
        "setup.cfg" => match from_ini(&text, "metadata", "version") {
            Some((line, v)) => match Pointer::from_setup_cfg(&v, path, line)? {
                Some(pointer) => return pointer.resolve(dir, &base, path),
                None => Some((line, v, Grammar::Pep440)),
            },
            None => None,
        },
        "chart.yaml" => from_chart_yaml(&text, path)?,
        "cargo.toml" => from_toml(&text, &["package", "workspace.package"])
            .map(|(line, v)| (line, v, Grammar::Semver)),
        _ if name.ends_with(".py") => from_python(&text, path, PYTHON_VERSION_NAMES)?,
        _ => text
            .lines()
            .enumerate()
            .find(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| (n + 1, l.trim().to_string(), Grammar::Either)),
    };
    let Some((line, version, grammar)) = found else {
        return Err(Failure::usage(
            "No version in the version file",
            format!("input `version-file`: {path} has no version"),
        )
        .with_fix(match name.as_str() {
            "package.json" => "add a \"version\" field",
            "pyproject.toml" => {
                "set `version` in [project], or point [tool.setuptools.dynamic] `version` at an `attr` or a `file`"
            }
            "setup.cfg" => "set `version` in [metadata]",
            "chart.yaml" => "set the chart's `version`",
            _ if name.ends_with(".py") => "assign `__version__ = \"1.2.3\"` (or BASE_VERSION, VERSION) at the top level",
            "cargo.toml" => "set `version` in [package] or [workspace.package]",
            _ => "write the version on the file's first line",
        })
        .at(Location {
            file: path.to_string(),
            line: None,
            col: None,
        }));
    };
    Ok(FileVersion {
        file: path.to_string(),
        line,
        text: version,
        grammar,
    })
}

/// Where a dynamic version lives: setuptools' `attr` (a module attribute) or `file`.
enum Pointer {
    Attr { target: String, line: usize },
    File { target: String, line: usize },
}

fn pointer_error(path: &str, line: usize, why: String) -> Failure {
    Failure::usage(
        "Invalid version file",
        format!("{path}, line {line}: {why}"),
    )
    .at(Location {
        file: path.to_string(),
        line: Some(line),
        col: None,
    })
}

impl Pointer {
    /// `attr: pkg.__version__` or `file: VERSION` in setup.cfg; `None` for a literal version.
    fn from_setup_cfg(value: &str, path: &str, line: usize) -> Result<Option<Pointer>> {
        let value = value.trim();
        if let Some(target) = value.strip_prefix("attr:") {
            return Ok(Some(Pointer::Attr {
                target: target.trim().to_string(),
                line,
            }));
        }
        if let Some(target) = value.strip_prefix("file:") {
            let files: Vec<&str> = target
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .collect();
            if files.len() != 1 {
                return Err(pointer_error(
                    path,
                    line,
                    format!("`version = {value}` must name one file"),
                ));
            }
            return Ok(Some(Pointer::File {
                target: files[0].to_string(),
                line,
            }));
        }
        Ok(None)
    }

    /// Reads the version the pointer names. Only files inside the workspace `dir` are read: the
    /// pointer is repository content, and a pull request could aim it anywhere.
    fn resolve(&self, dir: &Path, base: &Path, from: &str) -> Result<FileVersion> {
        let (target, line) = match self {
            Pointer::Attr { target, line } | Pointer::File { target, line } => (target, *line),
        };
        let inside = |relative: &str| -> Option<std::path::PathBuf> {
            let candidate = base.join(relative);
            let real = candidate.canonicalize().ok()?;
            let root = dir.canonicalize().ok()?;
            (crate::runner::inputs::is_within(&real, &root) && real.is_file()).then_some(real)
        };
        let display = |real: &Path| -> String {
            let root = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
            real.strip_prefix(&root)
                .unwrap_or(real)
                .to_string_lossy()
                .into_owned()
        };
        match self {
            Pointer::File { .. } => {
                let Some(real) = inside(target) else {
                    return Err(pointer_error(from, line, format!(
                        "the version file {target:?} it points at does not exist inside the workspace"
                    )));
                };
                let shown = display(&real);
                let text = std::fs::read_to_string(&real)
                    .map_err(|e| pointer_error(from, line, format!("cannot read {shown}: {e}")))?;
                let Some((n, v)) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty())
                else {
                    return Err(pointer_error(
                        from,
                        line,
                        format!("{shown}, which it points at, is empty"),
                    ));
                };
                Ok(FileVersion {
                    file: shown,
                    line: n + 1,
                    text: v.trim().to_string(),
                    grammar: Grammar::Pep440,
                })
            }
            Pointer::Attr { .. } => {
                let (module, attribute) = target.rsplit_once('.').unwrap_or(("", target.as_str()));
                let valid = |s: &str| {
                    !s.is_empty()
                        && s.split('.').all(|p| {
                            !p.is_empty()
                                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        })
                };
                if !valid(module) || !valid(attribute) {
                    return Err(pointer_error(
                        from,
                        line,
                        format!("`attr` must be `package.module.attribute`, got {target:?}"),
                    ));
                }
                let module_path = module.replace('.', "/");
                // The flat layout, then the src layout (setuptools' two automatic layouts).
                let candidates = [
                    format!("{module_path}.py"),
                    format!("{module_path}/__init__.py"),
                    format!("src/{module_path}.py"),
                    format!("src/{module_path}/__init__.py"),
                ];
                let Some(real) = candidates.iter().find_map(|c| inside(c)) else {
                    return Err(pointer_error(from, line, format!(
                        "the module {module} of `attr` {target:?} is not in the workspace (looked for {})",
                        candidates.join(", ")
                    )));
                };
                let shown = display(&real);
                let text = std::fs::read_to_string(&real)
                    .map_err(|e| pointer_error(from, line, format!("cannot read {shown}: {e}")))?;
                match from_python(&text, &shown, &[attribute])? {
                    Some((n, v, grammar)) => Ok(FileVersion {
                        file: shown,
                        line: n,
                        text: v,
                        grammar,
                    }),
                    None => Err(pointer_error(
                        from,
                        line,
                        format!("{shown} has no top-level `{attribute} = \"…\"` assignment"),
                    )),
                }
            }
        }
    }
}

/// pyproject.toml's dynamic version: `dynamic = ["version"]` in [project] with
/// `[tool.setuptools.dynamic] version = {attr = "…"}` or `{file = "…"}`.
fn dynamic_pointer(text: &str, path: &str) -> Result<Option<Pointer>> {
    let mut table = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = name.trim().to_string();
            continue;
        }
        if table != "tool.setuptools.dynamic" {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != "version" {
            continue;
        }
        let value = value.trim();
        let inner = value
            .strip_prefix('{')
            .and_then(|v| v.trim_end().strip_suffix('}'));
        let Some(inner) = inner else {
            return Err(pointer_error(path, n + 1, format!(
                "[tool.setuptools.dynamic] `version` must be {{attr = \"…\"}} or {{file = \"…\"}}, got {value}"
            )));
        };
        let Some((kind, target)) = inner.split_once('=') else {
            return Err(pointer_error(
                path,
                n + 1,
                format!("cannot read `version = {value}`"),
            ));
        };
        let target = target.trim();
        let target = target
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .or_else(|| target.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')));
        let Some(target) = target else {
            return Err(pointer_error(
                path,
                n + 1,
                format!("`version = {value}` must name one `attr` or `file` as a quoted string"),
            ));
        };
        let target = target.to_string();
        return match kind.trim() {
            "attr" => Ok(Some(Pointer::Attr {
                target,
                line: n + 1,
            })),
            "file" => Ok(Some(Pointer::File {
                target,
                line: n + 1,
            })),
            other => Err(pointer_error(
                path,
                n + 1,
                format!(
                "[tool.setuptools.dynamic] `version` has {other:?}: only `attr` and `file` are read"
            ),
            )),
        };
    }
    Ok(None)
}

/// The first top-level assignment `NAME = "…"` of one of `names` (an annotation `: str` is
/// allowed). Its value must be one string literal: anything else (a call, a name, an f-string,
/// concatenation) cannot be read without running Python, and is exit 2 naming the line.
fn from_python(text: &str, path: &str, names: &[&str]) -> Result<Option<(usize, String, Grammar)>> {
    for (n, raw) in text.lines().enumerate() {
        // Top level only: an indented assignment is inside a function, class or branch.
        if raw.starts_with([' ', '\t']) {
            continue;
        }
        let Some((target, value)) = raw.split_once('=') else {
            continue;
        };
        if value.starts_with('=') {
            continue; // `==`
        }
        let target = target.split(':').next().unwrap_or("").trim();
        if !names.contains(&target) {
            continue;
        }
        let value = value.trim();
        let literal = ['"', '\''].iter().find_map(|q| {
            let rest = value.strip_prefix(*q)?;
            let end = rest.find(*q)?;
            let (inside, after) = (&rest[..end], rest[end + 1..].trim());
            (!inside.contains('\\') && (after.is_empty() || after.starts_with('#')))
                .then(|| inside.trim().to_string())
        });
        return match literal {
            Some(v) => Ok(Some((n + 1, v, Grammar::Pep440))),
            None => Err(Failure::usage(
                "Invalid version file",
                format!("{path}, line {}: `{target}` must be assigned a plain string literal (e.g. {target} = \"1.2.3\"), got `{}`", n + 1, value),
            )
            .with_fix("assign the version as a string literal, or set `base-version`")
            .at(Location { file: path.to_string(), line: Some(n + 1), col: None })),
        };
    }
    Ok(None)
}

/// `key = value` (or `key: value`) in `[section]` of an INI file such as setup.cfg.
fn from_ini(text: &str, section: &str, key: &str) -> Option<(usize, String)> {
    let mut current = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_string();
            continue;
        }
        if current != section || raw.starts_with([' ', '\t']) {
            continue;
        }
        let Some(split) = line.find(['=', ':']) else {
            continue;
        };
        if line[..split].trim() == key {
            return Some((n + 1, line[split + 1..].trim().to_string()));
        }
    }
    None
}

/// Helm's Chart.yaml `version` (SemVer 2, as Helm requires).
fn from_chart_yaml(text: &str, path: &str) -> Result<Option<(usize, String, Grammar)>> {
    let yaml: yaml_serde::Value = yaml_serde::from_str(text).map_err(|e| {
        Failure::usage(
            "Invalid version file",
            format!("input `version-file`: {path} is not YAML: {e}"),
        )
    })?;
    let version = match &yaml["version"] {
        yaml_serde::Value::String(s) => s.trim().to_string(),
        yaml_serde::Value::Null => return Ok(None),
        other => {
            // `version: 1.2` is a YAML number; Helm wants a string SemVer.
            let shown = yaml_serde::to_string(other).unwrap_or_default();
            return Err(Failure::usage(
                "Invalid version file",
                format!(
                    "{path}: `version` must be a SemVer string, got {}",
                    shown.trim()
                ),
            ));
        }
    };
    let line = text
        .lines()
        .position(|l| l.starts_with("version:"))
        .map(|n| n + 1)
        .unwrap_or(1);
    Ok(Some((line, version, Grammar::Semver)))
}

fn from_package_json(text: &str) -> Result<Option<(usize, String, Grammar)>> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Failure::usage(
            "Invalid version file",
            format!("input `version-file`: package.json is not JSON: {e}"),
        )
    })?;
    let Some(version) = json["version"].as_str() else {
        return Ok(None);
    };
    let line = text
        .lines()
        .position(|l| l.contains("\"version\""))
        .map(|n| n + 1)
        .unwrap_or(1);
    Ok(Some((line, version.trim().to_string(), Grammar::Semver)))
}

/// `version = "…"` in the first of `tables` that has one. A line-level reader, enough for the
/// `version` key of a manifest (a quoted string on one line), and it knows the line for errors.
fn from_toml(text: &str, tables: &[&str]) -> Option<(usize, String)> {
    let mut found: Vec<(usize, String, String)> = Vec::new();
    let mut table = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = name.trim().trim_matches('"').to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != "version" {
            continue;
        }
        let value = value.split('#').next().unwrap_or("").trim();
        let quoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')));
        if let Some(v) = quoted {
            found.push((n + 1, table.clone(), v.trim().to_string()));
        }
    }
    tables.iter().find_map(|t| {
        found
            .iter()
            .find(|(_, table, _)| table == t)
            .map(|(line, _, v)| (*line, v.clone()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temp directory inside the crate's `target/`: `read` only reads inside the workspace (the
    /// working directory when GITHUB_WORKSPACE is unset, as under `cargo test`).
    fn workspace_dir() -> tempfile::TempDir {
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        std::fs::create_dir_all(&target).unwrap();
        tempfile::tempdir_in(target).unwrap()
    }

    fn read_str(name: &str, text: &str) -> Result<FileVersion> {
        let dir = workspace_dir();
        std::fs::write(dir.path().join(name), text).unwrap();
        read(dir.path(), name)
    }

    #[test]
    fn reads_every_manifest() {
        let p = read_str(
            "package.json",
            "{\n  \"name\": \"x\",\n  \"version\": \"0.12.0\"\n}",
        )
        .unwrap();
        assert_eq!((p.text.as_str(), p.line), ("0.12.0", 3));
        let py = read_str(
            "pyproject.toml",
            "[build-system]\nrequires = []\n[project]\nname = \"x\"\nversion = \"0.12.0.dev0\"  # next\n",
        )
        .unwrap();
        assert_eq!(py.text, "0.12.0.dev0");
        assert_eq!(py.core().unwrap().to_string(), "0.12.0");
        let cargo = read_str(
            "Cargo.toml",
            "[package]\nname = \"x\"\nversion.workspace = true\n[workspace.package]\nversion = \"1.4.0\"\n",
        )
        .unwrap();
        assert_eq!((cargo.text.as_str(), cargo.line), ("1.4.0", 5));
        let plain = read_str("VERSION", "\n2.0.0-rc.1\n").unwrap();
        assert_eq!(plain.core().unwrap().to_string(), "2.0.0");
        assert!(plain.matches(&semver::Version::parse("2.0.0-rc.1").unwrap()));
    }

    fn read_tree(files: &[(&str, &str)], path: &str) -> Result<FileVersion> {
        let dir = workspace_dir();
        for (name, text) in files {
            let full = dir.path().join(name);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
        read(dir.path(), path)
    }

    #[test]
    fn reads_python_version_modules() {
        for (text, line) in [
            (
                "\"\"\"Doc.\"\"\"\nBASE_VERSION = \"0.12.0\"\n__version__ = BASE_VERSION\n",
                2,
            ),
            (
                "import os\n__version__: str = '0.12.0'  # bumped by release\n",
                2,
            ),
            (
                "def f():\n    VERSION = \"9.9.9\"\nVERSION = \"0.12.0\"\n",
                3,
            ),
        ] {
            let v = read_tree(&[("ameide_sdk/version.py", text)], "ameide_sdk/version.py").unwrap();
            assert_eq!((v.text.as_str(), v.line), ("0.12.0", line), "{text}");
            assert_eq!(v.core().unwrap().to_string(), "0.12.0");
        }
        for text in [
            "__version__ = get_version()\n",
            "__version__ = f\"{MAJOR}.1.0\"\n",
            "__version__ = \"0.1\" + \".0\"\n",
        ] {
            let err = read_tree(&[("v.py", text)], "v.py").unwrap_err();
            assert_eq!(err.exit_code(), 2);
            assert!(
                err.message.contains("v.py, line 1") && err.message.contains("string literal"),
                "{}",
                err.message
            );
        }
        let none = read_tree(&[("v.py", "X = 1\n")], "v.py").unwrap_err();
        assert!(none.message.contains("has no version"));
    }

    #[test]
    fn reads_setup_cfg_and_dynamic_pyproject_versions() {
        let cfg = read_tree(
            &[(
                "setup.cfg",
                "[options]\nversion = 9\n[metadata]\nname = x\nversion = 0.12.0rc1\n",
            )],
            "setup.cfg",
        )
        .unwrap();
        assert_eq!((cfg.text.as_str(), cfg.line), ("0.12.0rc1", 5));
        let attr = read_tree(
            &[
                (
                    "setup.cfg",
                    "[metadata]\nversion = attr: ameide_sdk.version.BASE_VERSION\n",
                ),
                ("src/ameide_sdk/version.py", "BASE_VERSION = \"0.12.0\"\n"),
            ],
            "setup.cfg",
        )
        .unwrap();
        assert_eq!(
            (attr.file.as_str(), attr.text.as_str()),
            ("src/ameide_sdk/version.py", "0.12.0")
        );
        let pyproject =
            "[project]\nname = \"x\"\ndynamic = [\"version\"]\n[tool.setuptools.dynamic]\n";
        let by_attr = read_tree(
            &[
                (
                    "pyproject.toml",
                    &format!("{pyproject}version = {{attr = \"ameide_sdk.__version__\"}}\n"),
                ),
                ("ameide_sdk/__init__.py", "\n__version__ = \"1.4.0\"\n"),
            ],
            "pyproject.toml",
        )
        .unwrap();
        assert_eq!(
            (by_attr.file.as_str(), by_attr.line, by_attr.text.as_str()),
            ("ameide_sdk/__init__.py", 2, "1.4.0")
        );
        let by_file = read_tree(
            &[
                (
                    "pyproject.toml",
                    &format!("{pyproject}version = {{ file = \"VERSION\" }}\n"),
                ),
                ("VERSION", "2.0.0\n"),
            ],
            "pyproject.toml",
        )
        .unwrap();
        assert_eq!(by_file.text, "2.0.0");
        // A pointer out of the workspace is not followed.
        let outside = read_tree(
            &[(
                "pyproject.toml",
                &format!("{pyproject}version = {{file = \"../../etc/hostname\"}}\n"),
            )],
            "pyproject.toml",
        )
        .unwrap_err();
        assert!(
            outside
                .message
                .contains("does not exist inside the workspace"),
            "{}",
            outside.message
        );
        let missing = read_tree(
            &[(
                "pyproject.toml",
                &format!("{pyproject}version = {{attr = \"nope.__version__\"}}\n"),
            )],
            "pyproject.toml",
        )
        .unwrap_err();
        assert!(
            missing.message.contains("pyproject.toml, line 5"),
            "{}",
            missing.message
        );
    }

    #[test]
    fn reads_helm_charts() {
        let chart = read_tree(
            &[(
                "charts/app/Chart.yaml",
                "apiVersion: v2\nname: app\nversion: 1.4.0\nappVersion: \"2.0\"\n",
            )],
            "charts/app/Chart.yaml",
        )
        .unwrap();
        assert_eq!(
            (chart.text.as_str(), chart.line, chart.grammar),
            ("1.4.0", 3, Grammar::Semver)
        );
        let number = read_tree(&[("Chart.yaml", "version: 1.4\n")], "Chart.yaml").unwrap_err();
        assert!(
            number.message.contains("must be a SemVer string"),
            "{}",
            number.message
        );
    }

    #[test]
    fn missing_versions_are_usage_errors() {
        let err = read_str("pyproject.toml", "[project]\ndynamic = [\"version\"]\n").unwrap_err();
        assert!(err
            .fix
            .as_deref()
            .unwrap_or("")
            .contains("tool.setuptools.dynamic"));
        assert_eq!(err.exit_code(), 2);
        assert!(err.message.contains("pyproject.toml has no version"));
        let bad = read_str("Cargo.toml", "[package]\nversion = \"1.2\"\n").unwrap();
        let err = bad.core().unwrap_err();
        assert!(err.message.contains("line 2"), "{}", err.message);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: crate::runner::env::value("PROPTEST_CASES").and_then(|v| v.parse().ok()).unwrap_or(1_000),
            failure_persistence: None,
            ..Default::default()
        })]

        /// The version-file readers and the base they yield, on arbitrary text: an error, never a
        /// panic.
        #[test]
        fn version_file_readers_never_panic(
            text in "[\\[\\]\"' =#.\\n\\-+a-z0-9{}:,\u{e9}]{0,200}|\\PC{0,100}",
            version in "[0-9.a-z+\\-!]{0,20}",
        ) {
            let _ = from_package_json(&text);
            let _ = from_toml(&text, &["project", "tool.poetry", "package", "workspace.package"]);
            let _ = from_python(&text, "v.py", PYTHON_VERSION_NAMES);
            let _ = from_ini(&text, "metadata", "version");
            let _ = from_chart_yaml(&text, "Chart.yaml");
            let _ = dynamic_pointer(&text, "pyproject.toml");
            for grammar in [Grammar::Semver, Grammar::Pep440, Grammar::Either] {
                let file = FileVersion { file: "VERSION".into(), line: 1, text: version.clone(), grammar };
                if let Ok(core) = file.core() {
                    proptest::prop_assert!(core.pre.is_empty() && core.build.is_empty());
                }
                let _ = file.matches(&semver::Version::new(1, 2, 3));
            }
        }
    }
}
