//! npm tarballs: read safely, every file `package.json` points at must be in the tarball, then
//! installed with pnpm (or npm) into a fresh consumer project that has no route to the public
//! registry, and every entry point loaded by Node through `import()` and `require()`.

use std::collections::BTreeSet;
use std::path::{Component, Path};
use std::time::Instant;

use serde_json::Value;

use crate::archive;
use crate::ecosystem::smoke::{Package, PackageManager, Plan, Report};
use crate::error::Result;
use crate::runner::sandbox::{self, Sandbox};
use crate::runner::Runner;

/// Where dependencies resolve when no `registry` is given: a loopback port nothing listens on,
/// so a lookup fails at once with ECONNREFUSED instead of reaching the public registry.
pub(super) const OFFLINE_REGISTRY: &str = "http://127.0.0.1:9/";

/// Dependency specs that point outside the published package: they install for the author and
/// break for every consumer.
const LOCAL_PROTOCOLS: &[&str] = &["file:", "link:", "workspace:", "catalog:"];

/// The largest package.json read from a tarball.
const MANIFEST_LIMIT: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EntryPoint {
    /// What a consumer writes: `@scope/sdk` or `@scope/sdk/proto.js`.
    pub specifier: String,
    pub import: bool,
    pub require: bool,
    /// A JSON module: `import()` needs `with: { type: "json" }`.
    pub json: bool,
}

pub(super) struct Inspected {
    package: Package,
    report: Report,
    name: String,
    entry_points: Vec<EntryPoint>,
}

impl Inspected {
    pub(super) fn claims(&self, entry: &str) -> bool {
        entry == "."
            || entry.starts_with("./")
            || (!self.name.is_empty()
                && (entry == self.name || entry.starts_with(&format!("{}/", self.name))))
    }
}

/// A tarball's file list and manifest, read without unpacking anything.
struct Tarball {
    files: BTreeSet<String>,
    manifest: Vec<u8>,
}

pub(super) fn inspect(package: &Package, expected: &str, runner: &mut Runner) -> Result<Inspected> {
    let mut report = Report::new(package, expected);
    let start = Instant::now();
    let mut inspected = Inspected {
        package: package.clone(),
        report: Report::new(package, expected),
        name: String::new(),
        entry_points: Vec::new(),
    };
    let tarball = match read_tarball(&package.path) {
        Ok(t) => t,
        Err(problem) => {
            runner.log(&format!("{}: {problem}", package.display));
            report.fail("tarball", "open", start.elapsed(), &problem);
            inspected.report = report;
            return Ok(inspected);
        }
    };
    report.pass("tarball", "open", start.elapsed());

    let start = Instant::now();
    let manifest: Value = match serde_json::from_slice(&tarball.manifest) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            report.fail(
                "package.json",
                "manifest",
                start.elapsed(),
                "package.json is not a JSON object",
            );
            inspected.report = report;
            return Ok(inspected);
        }
        Err(e) => {
            report.fail(
                "package.json",
                "manifest",
                start.elapsed(),
                &format!("package.json is not valid JSON: {e}"),
            );
            inspected.report = report;
            return Ok(inspected);
        }
    };
    let name = manifest["name"].as_str().unwrap_or("").to_string();
    report.name = name.clone();
    inspected.name = name.clone();
    let mut problems = Vec::new();
    if name.is_empty() {
        problems.push("package.json has no \"name\"".to_string());
    } else if let Err(why) = crate::version::npm::check_package_name(&name) {
        problems.push(format!("package.json \"name\": {why}"));
    }
    if manifest["version"].as_str().is_none() {
        problems.push("package.json has no \"version\"".to_string());
    }
    problems.extend(missing_targets(&manifest, &tarball.files));
    problems.extend(local_dependencies(&manifest));
    if problems.is_empty() {
        report.pass("package.json", "manifest", start.elapsed());
    } else {
        for p in &problems {
            runner.log(&format!("{}: {p}", package.display));
        }
        report.fail(
            "package.json",
            "manifest",
            start.elapsed(),
            &problems.join("\n"),
        );
    }
    inspected.entry_points = entry_points(&name, &manifest, &tarball.files);
    runner.log(&format!(
        "{} is {}@{}: {} entry point(s): {}",
        package.display,
        name,
        manifest["version"].as_str().unwrap_or("?"),
        inspected.entry_points.len(),
        inspected
            .entry_points
            .iter()
            .map(|e| e.specifier.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    inspected.report = report;
    Ok(inspected)
}

/// Reads the tarball's index, refusing anything that would land outside the package when
/// unpacked: `..`, absolute paths, links that leave the package, devices.
fn read_tarball(path: &Path) -> std::result::Result<Tarball, String> {
    let (mut archive, mut budget) = archive::open_tar_gz(path, "the tarball")?;
    let entries = archive
        .entries()
        .map_err(|e| format!("not a gzipped tarball: {e}"))?;
    let mut files = BTreeSet::new();
    let mut manifest = None;
    let mut root: Option<String> = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("not a readable gzipped tarball: {e}"))?;
        budget.entry(entry.header().size().unwrap_or(u64::MAX))?;
        let raw = entry
            .path()
            .map_err(|e| format!("an entry has an unreadable path: {e}"))?
            .into_owned();
        let shown = raw.display().to_string();
        check_relative(&raw).map_err(|why| format!("refused entry {shown:?}: {why}"))?;
        let mut parts = raw.components();
        let first = parts
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        // npm unpacks with the first directory stripped, whatever its name.
        match &root {
            None => root = Some(first.clone()),
            Some(r) if *r != first => {
                return Err(format!(
                    "refused entry {shown:?}: outside the package directory {r:?}"
                ))
            }
            _ => {}
        }
        let inner: String = parts
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name()
                .map_err(|e| format!("refused link {shown:?}: unreadable target: {e}"))?
                .ok_or_else(|| format!("refused link {shown:?}: no target"))?
                .into_owned();
            let inside = if kind.is_hard_link() {
                check_relative(&target).is_ok()
            } else {
                let parent = Path::new(&inner).parent().unwrap_or(Path::new(""));
                stays_inside(&parent.join(&target))
            };
            if !inside {
                return Err(format!(
                    "refused link {shown:?} -> {:?}: it points outside the package",
                    target.display()
                ));
            }
            files.insert(inner);
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            if inner == "package.json" {
                // Over the cap is an error, never a cut-off manifest parsed as if whole.
                let buf = crate::archive::read_capped(&mut entry, "package.json", MANIFEST_LIMIT)
                    .map_err(|e| format!("cannot read package.json: {e}"))?;
                manifest = Some(buf);
            }
            files.insert(inner);
        } else if kind.is_dir() || kind.is_pax_global_extensions() {
            continue;
        } else {
            return Err(format!(
                "refused entry {shown:?}: {kind:?} entries have no place in a package"
            ));
        }
    }
    let manifest = manifest.ok_or("the tarball has no package.json at its root")?;
    Ok(Tarball { files, manifest })
}

fn check_relative(path: &Path) -> std::result::Result<(), &'static str> {
    for c in path.components() {
        match c {
            Component::ParentDir => return Err("its path contains `..`"),
            Component::RootDir | Component::Prefix(_) => return Err("its path is absolute"),
            _ => {}
        }
    }
    if path.as_os_str().is_empty() {
        return Err("its path is empty");
    }
    Ok(())
}

/// Whether a path relative to the package root stays inside it once `..` is applied.
fn stays_inside(path: &Path) -> bool {
    let mut depth: i64 = 0;
    for c in path.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::RootDir | Component::Prefix(_) => return false,
            Component::CurDir => {}
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

/// `exports` split into subpaths, each with its conditions tree.
fn export_subpaths(exports: &Value) -> std::result::Result<Vec<(String, &Value)>, String> {
    match exports {
        Value::Object(map) => {
            let dotted = map.keys().filter(|k| k.starts_with('.')).count();
            if dotted == 0 {
                Ok(vec![(".".to_string(), exports)])
            } else if dotted == map.len() {
                Ok(map.iter().map(|(k, v)| (k.clone(), v)).collect())
            } else {
                Err("\"exports\" mixes subpaths (\"./…\") and conditions at the same level".into())
            }
        }
        Value::Null => Ok(Vec::new()),
        other => Ok(vec![(".".to_string(), other)]),
    }
}

/// Every target in a conditions tree, with the conditions that lead to it.
fn leaves<'a>(value: &'a Value, path: &mut Vec<String>, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((path.join("."), s)),
        Value::Array(items) => {
            for item in items {
                leaves(item, path, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                path.push(k.clone());
                leaves(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Node's target resolution for one set of conditions (`default` always matches).
fn resolve<'a>(value: &'a Value, conditions: &[&str]) -> Option<&'a str> {
    match value {
        Value::String(s) => Some(s),
        Value::Array(items) => items.iter().find_map(|i| resolve(i, conditions)),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| *k == "default" || conditions.contains(&k.as_str()))
            .find_map(|(_, v)| resolve(v, conditions)),
        _ => None,
    }
}

const IMPORT_CONDITIONS: &[&str] = &["node", "import"];
const REQUIRE_CONDITIONS: &[&str] = &["node", "require"];

fn has_condition(value: &Value, name: &str) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| k == name || has_condition(v, name)),
        Value::Array(items) => items.iter().any(|i| has_condition(i, name)),
        _ => false,
    }
}

fn strip_dot(target: &str) -> &str {
    target.strip_prefix("./").unwrap_or(target)
}

/// Files matching a `*` pattern target, with what the `*` stood for.
fn pattern_matches<'a>(target: &str, files: &'a BTreeSet<String>) -> Vec<(&'a str, String)> {
    let target = strip_dot(target);
    let Some((prefix, suffix)) = target.split_once('*') else {
        return Vec::new();
    };
    files
        .iter()
        .filter(|f| f.len() >= prefix.len() + suffix.len())
        .filter(|f| f.starts_with(prefix) && f.ends_with(suffix))
        .map(|f| {
            (
                f.as_str(),
                f[prefix.len()..f.len() - suffix.len()].to_string(),
            )
        })
        .collect()
}

/// Targets named by `exports`, `main`, `module`, `types`/`typings` and `bin` that are not in
/// the tarball.
fn missing_targets(manifest: &Value, files: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    match export_subpaths(&manifest["exports"]) {
        Err(e) => problems.push(e),
        Ok(subpaths) => {
            for (subpath, tree) in subpaths {
                let mut found = Vec::new();
                leaves(tree, &mut Vec::new(), &mut found);
                for (conditions, target) in found {
                    let place = if conditions.is_empty() {
                        format!("exports[{subpath:?}]")
                    } else {
                        format!("exports[{subpath:?}].{conditions}")
                    };
                    if !target.starts_with("./") {
                        problems.push(format!(
                            "{place} = {target:?}: export targets must start with \"./\""
                        ));
                    } else if !stays_inside(Path::new(strip_dot(target))) {
                        problems.push(format!(
                            "{place} = {target:?}: the target leaves the package"
                        ));
                    } else if target.contains('*') {
                        if pattern_matches(target, files).is_empty() {
                            problems.push(format!(
                                "{place} = {target:?}: no file in the tarball matches"
                            ));
                        }
                    } else if target.ends_with('/') {
                        if !files.iter().any(|f| f.starts_with(strip_dot(target))) {
                            problems.push(format!(
                                "{place} = {target:?}: no such directory in the tarball"
                            ));
                        }
                    } else if !files.contains(strip_dot(target)) {
                        problems.push(format!(
                            "{place} = {target:?}: file is missing from the tarball"
                        ));
                    }
                }
            }
        }
    }
    if let Some(main) = manifest["main"].as_str() {
        if main_file(main, files).is_none() {
            problems.push(format!("main = {main:?}: file is missing from the tarball"));
        }
    }
    for field in ["module", "types", "typings"] {
        if let Some(target) = manifest[field].as_str() {
            if !files.contains(normalize(target).as_str()) {
                problems.push(format!(
                    "{field} = {target:?}: file is missing from the tarball"
                ));
            }
        }
    }
    let bins: Vec<(String, String)> = match &manifest["bin"] {
        Value::String(s) => vec![("bin".into(), s.clone())],
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (format!("bin.{k}"), s.to_string())))
            .collect(),
        _ => Vec::new(),
    };
    for (place, target) in bins {
        if !files.contains(normalize(&target).as_str()) {
            problems.push(format!(
                "{place} = {target:?}: file is missing from the tarball"
            ));
        }
    }
    problems
}

fn normalize(target: &str) -> String {
    Path::new(target)
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The file Node loads for `main`, trying the extensions it tries.
fn main_file(main: &str, files: &BTreeSet<String>) -> Option<String> {
    let base = normalize(main);
    [
        "",
        ".js",
        ".json",
        ".node",
        "/index.js",
        "/index.json",
        "/index.node",
    ]
    .iter()
    .map(|ext| format!("{base}{ext}"))
    .map(|c| c.trim_start_matches('/').to_string())
    .find(|c| files.contains(c))
}

fn local_dependencies(manifest: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for field in ["dependencies", "optionalDependencies", "peerDependencies"] {
        let Some(deps) = manifest[field].as_object() else {
            continue;
        };
        for (name, spec) in deps {
            let spec = spec.as_str().unwrap_or("");
            if LOCAL_PROTOCOLS.iter().any(|p| spec.starts_with(p)) {
                problems.push(format!(
                    "{field}.{name} = {spec:?}: a local dependency cannot be installed by consumers \
                     (publish it and depend on a version)"
                ));
            }
        }
    }
    problems
}

/// Every entry point a consumer can load, and how.
fn entry_points(name: &str, manifest: &Value, files: &BTreeSet<String>) -> Vec<EntryPoint> {
    let specifier = |subpath: &str| {
        if subpath == "." {
            name.to_string()
        } else {
            format!("{name}/{}", subpath.trim_start_matches("./"))
        }
    };
    let mut points: Vec<EntryPoint> = Vec::new();
    if manifest.get("exports").is_some_and(|e| !e.is_null()) {
        let Ok(subpaths) = export_subpaths(&manifest["exports"]) else {
            return points;
        };
        for (subpath, tree) in &subpaths {
            let import = resolve(tree, IMPORT_CONDITIONS);
            let require =
                resolve(tree, REQUIRE_CONDITIONS).filter(|_| has_condition(tree, "require"));
            if subpath.ends_with('/') {
                continue;
            }
            if subpath.contains('*') {
                let Some(target) = import.or(require) else {
                    continue;
                };
                for (_, stem) in pattern_matches(target, files) {
                    let expanded = subpath.replacen('*', &stem, 1);
                    let excluded = subpaths.iter().any(|(other, v)| {
                        v.is_null() && (other == &expanded || glob_like(other, &expanded))
                    });
                    if !excluded {
                        points.push(EntryPoint {
                            specifier: specifier(&expanded),
                            import: import.is_some(),
                            require: require.is_some(),
                            json: target.ends_with(".json"),
                        });
                    }
                }
                continue;
            }
            if import.is_some() || require.is_some() {
                points.push(EntryPoint {
                    specifier: specifier(subpath),
                    import: import.is_some(),
                    require: require.is_some(),
                    json: import.or(require).is_some_and(|t| t.ends_with(".json")),
                });
            }
        }
    } else {
        let main = manifest["main"].as_str().unwrap_or("index.js");
        if main_file(main, files).is_some() {
            let esm = manifest["type"].as_str() == Some("module");
            points.push(EntryPoint {
                specifier: name.to_string(),
                import: true,
                require: !esm,
                json: main_file(main, files).is_some_and(|f| f.ends_with(".json")),
            });
        }
    }
    points.dedup_by(|a, b| a.specifier == b.specifier);
    points
}

fn glob_like(pattern: &str, candidate: &str) -> bool {
    match pattern.split_once('*') {
        Some((p, s)) => candidate.starts_with(p) && candidate.ends_with(s),
        None => pattern == candidate,
    }
}

pub(super) fn smoke(inspected: Inspected, plan: &Plan, runner: &mut Runner) -> Result<Report> {
    let Inspected {
        package,
        mut report,
        name,
        entry_points,
    } = inspected;
    let points = choose(&name, entry_points, &plan.imports);
    if !report.healthy() {
        let why = "not run: the tarball failed inspection";
        report.skip(&name_or(&name, &package), "install", why);
        for p in &points {
            skip_loads(&mut report, p, why);
        }
        report.skip("package.json", "version", why);
        return Ok(report);
    }
    let sandbox = Sandbox::new("npm")?;
    let consumer = sandbox.dir("consumer")?;
    let tgz_name = package
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "package.tgz".into());
    let tgz = sandbox.path().join(&tgz_name);
    std::fs::copy(&package.path, &tgz)?;
    write_consumer(&sandbox, &consumer, plan)?;

    if !install(&sandbox, &consumer, plan, &tgz, &name, &mut report, runner)? {
        for p in &points {
            skip_loads(&mut report, p, "not run: the install failed");
        }
        report.skip("package.json", "version", "not run: the install failed");
        return Ok(report);
    }
    load(&consumer, &sandbox, &points, &mut report, runner)?;
    check_installed_version(&consumer, &name, &mut report, runner)?;
    Ok(report)
}

/// Installs the tarball into the consumer. With a registry credential in the sandbox, the install
/// runs with `--ignore-scripts`; the credential is then removed and `rebuild` runs every
/// lifecycle script, so no package's install script (the tested one's or a dependency's) can
/// read it. Returns whether the install (and its scripts) succeeded.
fn install(
    sandbox: &Sandbox,
    consumer: &Path,
    plan: &Plan,
    tgz: &Path,
    name: &str,
    report: &mut Report,
    runner: &mut Runner,
) -> Result<bool> {
    let holds_credential = plan.registry.is_some() && plan.registry_token.is_some();
    let tgz_name = tgz.file_name().unwrap_or_default().to_string_lossy();
    let installed = runner.phase("npm-install", |r| {
        let mut cmd = install_command(sandbox, consumer, plan, tgz);
        if holds_credential {
            cmd.arg("--ignore-scripts");
        }
        let run = sandbox::run(&mut cmd)?;
        r.log(&format!(
            "{} add file:{tgz_name}{}: {} in {:.2}s",
            manager_name(plan.package_manager),
            if holds_credential { " --ignore-scripts" } else { "" },
            if run.ok { "ok" } else { "failed" },
            run.duration.as_secs_f64()
        ));
        if !run.ok && plan.registry.is_none() && run.output.contains("127.0.0.1:9") {
            let mut error = run.tail();
            error.push_str(
                "\n(smoke-install installs offline: dependencies come only from the `registry` input)",
            );
            report.fail(name, "install", run.duration, &error);
            return Ok(false);
        }
        Ok(report.tool(name, "install", &run))
    })?;
    sandbox.remove_credentials()?;
    if !installed || !holds_credential {
        return Ok(installed);
    }
    runner.phase("npm-scripts", |r| {
        let mut cmd = manager_command(sandbox, consumer, plan);
        cmd.arg("rebuild");
        let run = sandbox::run(&mut cmd)?;
        r.log(&format!(
            "{} rebuild (install scripts, the registry credential removed): {}",
            manager_name(plan.package_manager),
            if run.ok { "ok" } else { "failed" }
        ));
        Ok(report.tool(name, "install scripts", &run))
    })
}

/// Imports and requires every chosen entry point from the consumer, each in its own node.
fn load(
    consumer: &Path,
    sandbox: &Sandbox,
    points: &[EntryPoint],
    report: &mut Report,
    runner: &mut Runner,
) -> Result<()> {
    runner.phase("npm-load", |r| {
        for point in points {
            if point.import {
                let mut cmd = sandbox.command("node", consumer);
                let script = if point.json {
                    "await import(process.argv[1], { with: { type: 'json' } })"
                } else {
                    "await import(process.argv[1])"
                };
                cmd.args(["--input-type=module", "-e", script, "--", &point.specifier]);
                let run = sandbox::run(&mut cmd)?;
                r.log(&format!(
                    "import({:?}): {}",
                    point.specifier,
                    if run.ok { "ok" } else { "failed" }
                ));
                report.tool(&point.specifier, "import", &run);
            }
            if point.require {
                let mut cmd = sandbox.command("node", consumer);
                cmd.args(["-e", "require(process.argv[1])", "--", &point.specifier]);
                let run = sandbox::run(&mut cmd)?;
                r.log(&format!(
                    "require({:?}): {}",
                    point.specifier,
                    if run.ok { "ok" } else { "failed" }
                ));
                report.tool(&point.specifier, "require", &run);
            }
        }
        Ok(())
    })
}

/// Reads the installed package.json's version and compares it with the expected one.
fn check_installed_version(
    consumer: &Path,
    name: &str,
    report: &mut Report,
    runner: &mut Runner,
) -> Result<()> {
    runner.phase("npm-version", |r| {
        let start = Instant::now();
        let path = consumer
            .join("node_modules")
            .join(name)
            .join("package.json");
        let installed = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| v["version"].as_str().map(str::to_string));
        let expected = report.expected_version.clone();
        match installed {
            Some(v) if same_semver(&v, &expected) => {
                r.log(&format!("installed {name}@{v}"));
                report.pass("package.json", "version", start.elapsed());
            }
            Some(v) => {
                r.log(&format!("installed {name}@{v}, expected {expected}"));
                report.fail(
                    "package.json",
                    "version",
                    start.elapsed(),
                    &format!("installed {name} is version {v}, expected {expected}"),
                );
            }
            None => report.fail(
                "package.json",
                "version",
                start.elapsed(),
                &format!("node_modules/{name}/package.json has no version after the install"),
            ),
        }
        Ok(())
    })
}

fn name_or(name: &str, package: &Package) -> String {
    if name.is_empty() {
        package.display.clone()
    } else {
        name.to_string()
    }
}

fn skip_loads(report: &mut Report, point: &EntryPoint, why: &str) {
    if point.import {
        report.skip(&point.specifier, "import", why);
    }
    if point.require {
        report.skip(&point.specifier, "require", why);
    }
}

/// The entry points to load: all of them, or those `imports` names (an entry the package does
/// not export is still loaded with `import()`, as a consumer would try).
fn choose(name: &str, all: Vec<EntryPoint>, imports: &[String]) -> Vec<EntryPoint> {
    if imports.is_empty() {
        return all;
    }
    imports
        .iter()
        .map(|entry| {
            let specifier = if entry == "." {
                name.to_string()
            } else if let Some(rest) = entry.strip_prefix("./") {
                format!("{name}/{rest}")
            } else {
                entry.clone()
            };
            all.iter()
                .find(|p| p.specifier == specifier)
                .cloned()
                .unwrap_or_else(|| EntryPoint {
                    json: specifier.ends_with(".json"),
                    specifier,
                    import: true,
                    require: false,
                })
        })
        .collect()
}

fn same_semver(a: &str, b: &str) -> bool {
    match (
        semver::Version::parse(a.trim_start_matches(['v', '='])),
        semver::Version::parse(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn manager_name(manager: PackageManager) -> &'static str {
    match manager {
        PackageManager::Pnpm => "pnpm",
        PackageManager::Npm => "npm",
    }
}

/// The consumer project, written directly (no `pnpm init`): its own workspace root, so a
/// `pnpm-workspace.yaml` or a `packageManager` field in a parent directory cannot capture the
/// install, and an `.npmrc` that keeps the store, cache and registry inside the sandbox.
fn write_consumer(sandbox: &Sandbox, consumer: &Path, plan: &Plan) -> Result<()> {
    std::fs::write(
        consumer.join("package.json"),
        "{\n  \"name\": \"smoke-install-consumer\",\n  \"version\": \"0.0.0\",\n  \"private\": true\n}\n",
    )?;
    if plan.package_manager == PackageManager::Pnpm {
        std::fs::write(consumer.join("pnpm-workspace.yaml"), "packages: []\n")?;
    }
    let registry = plan.registry.as_deref().unwrap_or(OFFLINE_REGISTRY);
    let mut npmrc = format!(
        "registry={registry}\n\
         store-dir={store}\n\
         cache-dir={cache}\n\
         cache={cache}\n\
         update-notifier=false\n\
         manage-package-manager-versions=false\n\
         package-manager-strict=false\n\
         fund=false\n\
         audit=false\n",
        store = sandbox.path().join("store").display(),
        cache = sandbox.path().join("cache").display(),
    );
    if let (Some(_), Some(token)) = (&plan.registry, &plan.registry_token) {
        // Auth goes into the user-level npmrc (the sandbox's HOME): pnpm 10 ignores auth settings
        // in a project's .npmrc ("Ignored project-level auth setting"), npm reads both.
        let scope = registry
            .trim_start_matches("https:")
            .trim_start_matches("http:");
        let scope = if scope.ends_with('/') {
            scope.to_string()
        } else {
            format!("{scope}/")
        };
        sandbox.write_credentials(".npmrc", &format!("{scope}:_authToken={token}\n"))?;
    }
    if plan.registry.is_none() {
        // The offline registry refuses every connection: retrying only delays the failure.
        npmrc.push_str("fetch-retries=0\n");
    }
    std::fs::write(consumer.join(".npmrc"), npmrc)?;
    Ok(())
}

/// pnpm or npm in the consumer, unprompted and with no package-manager pinning of its own.
fn manager_command(sandbox: &Sandbox, consumer: &Path, plan: &Plan) -> std::process::Command {
    let mut cmd = sandbox.command(manager_name(plan.package_manager), consumer);
    cmd.env("CI", "true")
        .env("COREPACK_ENABLE_STRICT", "0")
        .env("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0");
    cmd
}

/// `pnpm add file:<tgz>` / `npm install file:<tgz>`.
fn install_command(
    sandbox: &Sandbox,
    consumer: &Path,
    plan: &Plan,
    tgz: &Path,
) -> std::process::Command {
    let mut cmd = manager_command(sandbox, consumer, plan);
    cmd.arg(match plan.package_manager {
        PackageManager::Pnpm => "add",
        PackageManager::Npm => "install",
    })
    .arg(format!("file:{}", tgz.display()));
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn files(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn conditions_decide_import_and_require() {
        let manifest = json!({
            "exports": {
                ".": {"types": "./dist/index.d.ts", "import": "./dist/index.js", "require": "./dist/index.cjs"},
                "./proto.js": "./dist/proto.js",
                "./types": {"types": "./dist/t.d.ts"},
                "./features/*.js": "./dist/features/*.js",
                "./features/private/*": null
            }
        });
        let f = files(&[
            "dist/index.js",
            "dist/index.cjs",
            "dist/index.d.ts",
            "dist/proto.js",
            "dist/t.d.ts",
            "dist/features/a.js",
            "dist/features/b.js",
        ]);
        let points = entry_points("@s/sdk", &manifest, &f);
        let names: Vec<(&str, bool, bool)> = points
            .iter()
            .map(|p| (p.specifier.as_str(), p.import, p.require))
            .collect();
        assert_eq!(
            names,
            vec![
                ("@s/sdk", true, true),
                ("@s/sdk/features/a.js", true, false),
                ("@s/sdk/features/b.js", true, false),
                ("@s/sdk/proto.js", true, false),
            ]
        );
        assert!(missing_targets(&manifest, &f).is_empty());
    }

    #[test]
    fn missing_and_escaping_targets_are_named() {
        let manifest = json!({
            "main": "dist/index",
            "types": "./dist/index.d.ts",
            "bin": {"sdk": "./bin/cli.js"},
            "exports": {".": {"import": "./dist/index.js"}, "./up": "./../x.js", "./bad": "dist/x.js"}
        });
        let problems = missing_targets(&manifest, &files(&["package.json"]));
        let text = problems.join("\n");
        assert!(text.contains("exports[\".\"].import = \"./dist/index.js\": file is missing"));
        assert!(text.contains("leaves the package"));
        assert!(text.contains("must start with"));
        assert!(text.contains("main = \"dist/index\""));
        assert!(text.contains("types = \"./dist/index.d.ts\""));
        assert!(text.contains("bin.sdk"));
    }

    #[test]
    fn local_dependencies_are_errors() {
        let manifest = json!({"dependencies": {"a": "file:../a", "b": "^1", "c": "workspace:*"}, "peerDependencies": {"d": "link:../d"}});
        let problems = local_dependencies(&manifest);
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn links_must_stay_inside() {
        assert!(stays_inside(Path::new("dist/../lib/x.js")));
        assert!(!stays_inside(Path::new("dist/../../x")));
        assert!(!stays_inside(Path::new("/etc/passwd")));
    }
}
