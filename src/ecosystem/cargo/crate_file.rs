//! Reading a `.crate` (what `cargo package` writes): a gzipped tarball of `<name>-<version>/…`
//! whose `Cargo.toml` is the normalized manifest. Read without unpacking, under the same caps as
//! every other archive.

use std::io::Read;
use std::path::{Component, Path};

use crate::archive;

/// Most bytes read of the manifest.
const MANIFEST_LIMIT: u64 = 4 * 1024 * 1024;

/// What a `.crate` says about itself.
#[derive(Debug, Clone)]
pub(super) struct CrateFile {
    pub name: String,
    pub version: String,
    /// The library target's crate name (`-` → `_`), when there is one.
    pub lib: Option<String>,
    /// `[features]`, for the index entry.
    pub features: serde_json::Map<String, serde_json::Value>,
    /// Dependencies as a registry index lists them.
    pub deps: Vec<serde_json::Value>,
}

/// Reads the manifest and the file list of a `.crate`.
pub(super) fn read(path: &Path) -> Result<CrateFile, String> {
    let (mut tar, mut budget) = archive::open_tar_gz(path, "the .crate")?;
    let entries = tar
        .entries()
        .map_err(|e| format!("not a gzipped tarball: {e}"))?;
    let mut root: Option<String> = None;
    let mut manifest = None;
    let mut has_lib_rs = false;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("not a readable gzipped tarball: {e}"))?;
        budget.entry(entry.header().size().unwrap_or(u64::MAX))?;
        let raw = entry
            .path()
            .map_err(|e| format!("an entry has an unreadable path: {e}"))?
            .into_owned();
        if !raw.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(format!(
                "refused entry {:?}: not a plain relative path",
                raw
            ));
        }
        let mut parts = raw.components();
        let first = parts
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        match &root {
            None => root = Some(first.clone()),
            Some(r) if *r != first => {
                return Err(format!(
                    "refused entry {:?}: outside the crate directory {r:?}",
                    raw
                ))
            }
            _ => {}
        }
        let inner = parts.as_path().to_string_lossy().into_owned();
        if inner == "Cargo.toml" {
            let mut text = String::new();
            archive::Capped::new(&mut entry, "Cargo.toml", MANIFEST_LIMIT)
                .read_to_string(&mut text)
                .map_err(|e| format!("Cargo.toml is unreadable: {e}"))?;
            manifest = Some(text);
        } else if inner == "src/lib.rs" {
            has_lib_rs = true;
        }
    }
    let root = root.ok_or("the .crate is empty")?;
    let text = manifest.ok_or_else(|| format!("the .crate has no {root}/Cargo.toml"))?;
    let crate_file = parse_manifest(&text, has_lib_rs)?;
    let wanted = format!("{}-{}", crate_file.name, crate_file.version);
    if root != wanted {
        return Err(format!(
            "the .crate's directory is {root:?} but its Cargo.toml says {wanted:?}"
        ));
    }
    Ok(crate_file)
}

fn parse_manifest(text: &str, has_lib_rs: bool) -> Result<CrateFile, String> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e| format!("Cargo.toml does not parse: {e}"))?;
    let package = doc
        .get("package")
        .and_then(|p| p.as_table())
        .ok_or("Cargo.toml has no [package]")?;
    let string = |key: &str| -> Result<String, String> {
        package
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("Cargo.toml's [package] has no string `{key}`"))
    };
    let name = string("name")?;
    let version = string("version")?;
    let lib_table = doc.get("lib").and_then(|l| l.as_table());
    let lib = if lib_table.is_some() || has_lib_rs {
        let lib_name = lib_table
            .and_then(|l| l.get("name"))
            .and_then(|n| n.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| name.replace('-', "_"));
        Some(lib_name)
    } else {
        None
    };
    let features = doc
        .get("features")
        .and_then(|f| serde_json::to_value(f).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let mut deps = Vec::new();
    collect_deps(&doc, None, &mut deps);
    if let Some(targets) = doc.get("target").and_then(|t| t.as_table()) {
        for (target, table) in targets {
            if let Some(table) = table.as_table() {
                collect_deps(table, Some(target), &mut deps);
            }
        }
    }
    Ok(CrateFile {
        name,
        version,
        lib,
        features,
        deps,
    })
}

/// `[dependencies]` and `[build-dependencies]` as index entries (dev-dependencies do not reach a
/// dependent's build).
fn collect_deps(table: &toml::Table, target: Option<&str>, deps: &mut Vec<serde_json::Value>) {
    for (section, kind) in [("dependencies", "normal"), ("build-dependencies", "build")] {
        let Some(section) = table.get(section).and_then(|d| d.as_table()) else {
            continue;
        };
        for (key, spec) in section {
            let (req, detail) = match spec {
                toml::Value::String(req) => (req.clone(), None),
                toml::Value::Table(t) => (
                    t.get("version")
                        .and_then(|v| v.as_str())
                        .unwrap_or("*")
                        .to_string(),
                    Some(t),
                ),
                _ => continue,
            };
            let get_bool = |k: &str, default: bool| {
                detail
                    .and_then(|t| t.get(k))
                    .and_then(|v| v.as_bool())
                    .unwrap_or(default)
            };
            let features: Vec<String> = detail
                .and_then(|t| t.get("features"))
                .and_then(|f| f.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let package = detail
                .and_then(|t| t.get("package"))
                .and_then(|p| p.as_str());
            let mut dep = serde_json::json!({
                "name": package.unwrap_or(key),
                "req": req,
                "features": features,
                "optional": get_bool("optional", false),
                "default_features": get_bool("default-features", true),
                "target": target,
                "kind": kind,
            });
            if package.is_some() {
                dep["package"] = serde_json::Value::String(package.unwrap_or(key).to_string());
                dep["name"] = serde_json::Value::String(key.clone());
            }
            deps.push(dep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_normalized_manifest() {
        let text = r#"
[package]
edition = "2021"
name = "smoke-demo"
version = "0.3.0"

[lib]
name = "smoke_demo"
path = "src/lib.rs"

[features]
default = ["std"]
std = []

[dependencies.serde]
version = "1"
optional = true

[target.'cfg(unix)'.build-dependencies]
cc = "1.0"
"#;
        let c = parse_manifest(text, false).unwrap();
        assert_eq!(
            (c.name.as_str(), c.version.as_str()),
            ("smoke-demo", "0.3.0")
        );
        assert_eq!(c.lib.as_deref(), Some("smoke_demo"));
        assert_eq!(c.features["default"], serde_json::json!(["std"]));
        assert_eq!(c.deps.len(), 2);
        assert_eq!(c.deps[0]["optional"], true);
        assert_eq!(c.deps[1]["kind"], "build");
        assert_eq!(c.deps[1]["target"], "cfg(unix)");
        assert!(parse_manifest("[package]\nname = \"x\"\n", false).is_err());
        assert!(
            parse_manifest("[package]\nname = \"x\"\nversion = \"1.0.0\"\n", false)
                .unwrap()
                .lib
                .is_none()
        );
    }
}
