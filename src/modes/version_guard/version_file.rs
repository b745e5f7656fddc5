//! The base version from a file the repository already keeps: `package.json`, `pyproject.toml`
//! (`[project]` or `[tool.poetry]`), `Cargo.toml` (`[package]` or `[workspace.package]`) or a
//! plain `VERSION` file (its first non-empty line).

use std::path::Path;

use crate::error::{Failure, Location, Result};
use crate::version::pep440;

/// Which grammar the file's version follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grammar {
    Semver,
    Pep440,
    /// A plain file: semver, or PEP 440 when it is not semver.
    Either,
}

#[derive(Debug, Clone)]
pub struct FileVersion {
    pub file: String,
    pub line: usize,
    pub text: String,
    pub grammar: Grammar,
}

impl FileVersion {
    pub fn location(&self) -> Location {
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
    pub fn core(&self) -> Result<semver::Version> {
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
    pub fn matches(&self, tag: &semver::Version) -> bool {
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

/// Reads the version from `path` (relative to `dir` unless absolute).
pub fn read(dir: &Path, path: &str) -> Result<FileVersion> {
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
        .with_fix("point `version-file` at package.json, pyproject.toml, Cargo.toml or a VERSION file, relative to the workspace")
    })?;
    let name = Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let found = match name.as_str() {
        "package.json" => from_package_json(&text)?,
        "pyproject.toml" => from_toml(&text, &["project", "tool.poetry"])
            .map(|(line, v)| (line, v, Grammar::Pep440)),
        "cargo.toml" => from_toml(&text, &["package", "workspace.package"])
            .map(|(line, v)| (line, v, Grammar::Semver)),
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
                "set `version` in [project] (a dynamic version cannot be read: use `base-version`)"
            }
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

    fn read_str(name: &str, text: &str) -> Result<FileVersion> {
        let dir = tempfile::tempdir().unwrap();
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

    #[test]
    fn missing_versions_are_usage_errors() {
        let err = read_str("pyproject.toml", "[project]\ndynamic = [\"version\"]\n").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.message.contains("pyproject.toml has no version"));
        let bad = read_str("Cargo.toml", "[package]\nversion = \"1.2\"\n").unwrap();
        let err = bad.core().unwrap_err();
        assert!(err.message.contains("line 2"), "{}", err.message);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000),
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
