//! Go modules: served at the expected version from a temp `file://` GOPROXY (the layout
//! `proxy.golang.org` uses), required by a temp consumer module that imports every non-internal
//! library package, built with `go build` and checked with `go list -m`. Nothing comes from the
//! public proxy or checksum database.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use crate::archive;
use crate::ecosystem::smoke::{Package, Plan, Report};
use crate::error::{Failure, Result};
use crate::runner::sandbox::{self, Sandbox};
use crate::runner::Runner;
use crate::version::go::escape_path as escape;

const FILE_LIMIT: u64 = 64 * 1024 * 1024;

/// Where the module's files come from.
pub(crate) enum Source {
    /// A module directory: files are zipped under `module@version/` at smoke time.
    Dir(Vec<(String, PathBuf)>),
    /// A module zip already laid out as `module@version/…`.
    Zip,
}

pub(crate) struct Inspected {
    package: Package,
    report: Report,
    module: String,
    version: String,
    go_mod: Vec<u8>,
    source: Source,
    packages: Vec<String>,
}

impl Inspected {
    pub(crate) fn claims(&self, entry: &str) -> bool {
        !self.module.is_empty()
            && (entry == self.module || entry.starts_with(&format!("{}/", self.module)))
    }
}

pub(crate) fn inspect(package: &Package, expected: &str, runner: &mut Runner) -> Result<Inspected> {
    let mut report = Report::new(package, expected);
    let mut inspected = Inspected {
        package: package.clone(),
        report: Report::new(package, expected),
        module: String::new(),
        version: expected.to_string(),
        go_mod: Vec::new(),
        source: Source::Zip,
        packages: Vec::new(),
    };
    let start = Instant::now();
    let read = if package.path.is_dir() {
        read_dir(&package.path)
    } else {
        read_zip(&package.path)
    };
    let module = match read {
        Ok(m) => m,
        Err(problem) => {
            runner.log(&format!("{}: {problem}", package.display));
            report.fail("module", "open", start.elapsed(), &problem);
            inspected.report = report;
            return Ok(inspected);
        }
    };
    // The path names directories of the GOPROXY tree written below: a path the go command would
    // refuse (`../../outside`, `/abs`) must not get that far.
    if let Err(why) = crate::version::go::check_module_path(&module.path) {
        let go_mod = String::from_utf8_lossy(&module.go_mod);
        let line = module_directive_line(&go_mod).unwrap_or(1);
        return Err(Failure::usage(
            "Invalid Go module path",
            format!(
                "{}: go.mod line {line}: module {:?} is not a valid module path: {why}",
                package.display, module.path
            ),
        )
        .with_fix("declare the module by its import path, e.g. `module example.com/org/repo`"));
    }
    report.name = module.path.clone();
    report.pass("go.mod", "open", start.elapsed());
    if let Some(zip_version) = &module.zip_version {
        if zip_version != expected {
            report.fail(
                "module",
                "version",
                start.elapsed(),
                &format!(
                    "the module zip is {}@{zip_version}, expected {expected}",
                    module.path
                ),
            );
        }
    }
    let packages = library_packages(&module.path, &module.go_files);
    runner.log(&format!(
        "{} is module {}: {} library package(s): {}",
        package.display,
        module.path,
        packages.len(),
        packages.join(", ")
    ));
    inspected.module = module.path;
    inspected.go_mod = module.go_mod;
    inspected.source = module.source;
    inspected.packages = packages;
    inspected.report = report;
    Ok(inspected)
}

/// A module read from a directory or a module zip, without unpacking anything.
pub(crate) struct Module {
    pub(crate) path: String,
    pub(crate) go_mod: Vec<u8>,
    /// Paths relative to the module root with their package clause.
    go_files: Vec<(String, Option<String>)>,
    pub(crate) source: Source,
    /// For a zip: the version its `module@version/` prefix names.
    pub(crate) zip_version: Option<String>,
}

/// The 1-based line of the `module` directive, for error messages.
fn module_directive_line(go_mod: &str) -> Option<usize> {
    go_mod
        .lines()
        .position(|l| module_path(l).is_some())
        .map(|i| i + 1)
}

/// The `module` directive of a go.mod.
fn module_path(go_mod: &str) -> Option<String> {
    go_mod.lines().find_map(|l| {
        let l = l.split("//").next()?.trim();
        let rest = l.strip_prefix("module")?;
        if !rest.starts_with([' ', '\t', '"']) {
            return None;
        }
        let path = rest.trim().trim_matches('"').trim_matches('`').to_string();
        (!path.is_empty()).then_some(path)
    })
}

pub(crate) fn read_dir(root: &Path) -> std::result::Result<Module, String> {
    let go_mod =
        std::fs::read(root.join("go.mod")).map_err(|e| format!("cannot read go.mod: {e}"))?;
    let path =
        module_path(&String::from_utf8_lossy(&go_mod)).ok_or("go.mod has no `module` directive")?;
    let mut files = Vec::new();
    collect_files(root, root, &mut files).map_err(|e| format!("cannot read the module: {e}"))?;
    let mut go_files = Vec::new();
    for (rel, abs) in &files {
        if rel.ends_with(".go") && !rel.ends_with("_test.go") {
            let text = std::fs::read(abs).map_err(|e| format!("cannot read {rel}: {e}"))?;
            go_files.push((rel.clone(), package_clause(&String::from_utf8_lossy(&text))));
        }
    }
    Ok(Module {
        path,
        go_mod,
        go_files,
        source: Source::Dir(files),
        zip_version: None,
    })
}

/// The files the go command zips from a module directory (golang.org/x/mod/zip
/// `CreateFromDir`): regular files only (links are skipped), no VCS directories, no nested
/// modules (a directory with its own go.mod), and no files of vendored packages, as
/// `isVendoredPackage` decides them (kept with its known offset quirk, because changing it would
/// change every module's checksum). Paths are relative to the module root, `/`-separated, sorted.
pub(crate) fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type()?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if kind.is_dir() {
            let nested_module =
                std::fs::symlink_metadata(path.join("go.mod")).is_ok_and(|m| !m.is_dir());
            if [".git", ".hg", ".svn", ".bzr"].contains(&name.as_str()) || nested_module {
                continue;
            }
            collect_files(root, &path, out)?;
        } else if kind.is_file() && !is_vendored_package(&rel) {
            out.push((rel, path));
        }
    }
    Ok(())
}

/// x/mod/zip's `isVendoredPackage`: a file below a package directory under `vendor/`
/// (`vendor/modules.txt` itself is kept).
fn is_vendored_package(name: &str) -> bool {
    let rest = if let Some(rest) = name.strip_prefix("vendor/") {
        rest
    } else if name.contains("/vendor/") {
        // Go offsets by the length of "/vendor/" from the start of the name, not from where it
        // was found (golang.org/issue/31562).
        name.get("/vendor/".len()..).unwrap_or("")
    } else {
        return false;
    };
    rest.contains('/')
}

pub(crate) fn read_zip(path: &Path) -> std::result::Result<Module, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the zip: {e}"))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("not a zip archive: {e}"))?;
    let mut prefix: Option<String> = None;
    let mut go_mod = None;
    let mut go_files = Vec::new();
    let mut budget = archive::Budget::new(
        format!("the module zip {}", path.display()),
        archive::MAX_ENTRIES,
        archive::MAX_GO_ZIP_UNPACKED,
    );
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| format!("unreadable entry: {e}"))?;
        budget.entry(entry.size())?;
        let name = entry
            .name()
            .map_err(|e| format!("an entry has an unreadable name: {e}"))?
            .to_string();
        if name.contains('\\')
            || Path::new(&name)
                .components()
                .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(format!(
                "refused entry {name:?}: its path is absolute or contains `..`"
            ));
        }
        if entry.is_symlink() {
            return Err(format!(
                "refused entry {name:?}: module zips cannot contain links"
            ));
        }
        // The module path may contain slashes: the prefix ends at the first `/` after the `@`.
        let first = name
            .find('@')
            .and_then(|at| name[at..].find('/').map(|end| name[..at + end].to_string()))
            .ok_or_else(|| format!("entry {name:?} is not under a `module@version/` directory"))?;
        match &prefix {
            None => prefix = Some(first.clone()),
            Some(p) if *p != first => {
                return Err(format!(
                    "entry {name:?} is outside {p:?}: a module zip holds one module"
                ))
            }
            _ => {}
        }
        let rel = name[first.len()..].trim_start_matches('/').to_string();
        if entry.is_dir() || rel.is_empty() {
            continue;
        }
        if rel == "go.mod" || (rel.ends_with(".go") && !rel.ends_with("_test.go")) {
            let mut buf = Vec::new();
            entry
                .by_ref()
                .take(FILE_LIMIT)
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read {name}: {e}"))?;
            if rel == "go.mod" {
                go_mod = Some(buf);
            } else {
                go_files.push((rel, package_clause(&String::from_utf8_lossy(&buf))));
            }
        }
    }
    let prefix = prefix.ok_or("the zip is empty")?;
    let (zip_module, zip_version) = prefix.rsplit_once('@').ok_or("no `@` in the zip prefix")?;
    let go_mod = go_mod.ok_or(format!("the zip has no {prefix}/go.mod"))?;
    let path =
        module_path(&String::from_utf8_lossy(&go_mod)).ok_or("go.mod has no `module` directive")?;
    if path != zip_module {
        return Err(format!(
            "the zip is laid out as {zip_module}@… but its go.mod declares module {path}"
        ));
    }
    Ok(Module {
        path,
        go_mod,
        go_files,
        source: Source::Zip,
        zip_version: Some(zip_version.to_string()),
    })
}

/// The package name a Go file declares, skipping comments; `None` for files excluded by
/// `//go:build ignore`.
fn package_clause(text: &str) -> Option<String> {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("//") {
            let (line, tail) = after.split_once('\n').unwrap_or((after, ""));
            if line.trim() == "go:build ignore" || line.trim() == "+build ignore" {
                return None;
            }
            rest = tail;
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map(|(_, t)| t).unwrap_or("");
        } else {
            break;
        }
    }
    let after = rest.strip_prefix("package")?;
    let name: String = after
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Import paths of the packages a consumer can import: not `internal`, `testdata`, `vendor`,
/// `_` or `.` directories, and not commands (`package main`).
fn library_packages(module: &str, go_files: &[(String, Option<String>)]) -> Vec<String> {
    let mut dirs: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (rel, name) in go_files {
        let Some(name) = name else { continue };
        let dir = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let hidden = dir.split('/').any(|part| {
            part == "internal"
                || part == "testdata"
                || part == "vendor"
                || part.starts_with('_')
                || part.starts_with('.')
        });
        if hidden {
            continue;
        }
        *dirs
            .entry(dir.to_string())
            .or_default()
            .entry(name.clone())
            .or_default() += 1;
    }
    let mut packages = BTreeSet::new();
    for (dir, names) in dirs {
        let name = names
            .iter()
            .filter(|(n, _)| n.as_str() != "documentation")
            .max_by_key(|(_, count)| **count)
            .map(|(n, _)| n.as_str());
        if matches!(name, Some("main") | None) {
            continue;
        }
        packages.insert(if dir.is_empty() {
            module.to_string()
        } else {
            format!("{module}/{dir}")
        });
    }
    packages.into_iter().collect()
}

/// Lays out the module in a `file://` GOPROXY directory.
fn write_proxy(inspected: &Inspected, proxy: &Path) -> Result<()> {
    let dir = proxy.join(escape(&inspected.module)).join("@v");
    std::fs::create_dir_all(&dir)?;
    let version = &inspected.version;
    let escaped = escape(version);
    std::fs::write(dir.join("list"), format!("{version}\n"))?;
    let now = crate::version::now_rfc3339();
    std::fs::write(
        dir.join(format!("{escaped}.info")),
        serde_json::json!({"Version": version, "Time": now}).to_string(),
    )?;
    std::fs::write(dir.join(format!("{escaped}.mod")), &inspected.go_mod)?;
    let zip_path = dir.join(format!("{escaped}.zip"));
    match &inspected.source {
        Source::Zip => {
            std::fs::copy(&inspected.package.path, &zip_path)?;
        }
        Source::Dir(files) => {
            let file = std::fs::File::create(&zip_path)?;
            let mut zip = zip::ZipWriter::new(file);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            let prefix = format!("{}@{version}", inspected.module);
            for (rel, abs) in files {
                zip.start_file(format!("{prefix}/{rel}"), options)
                    .map_err(anyhow::Error::from)?;
                let mut f = std::fs::File::open(abs)?;
                std::io::copy(&mut f, &mut zip)?;
            }
            zip.finish().map_err(anyhow::Error::from)?.flush()?;
        }
    }
    Ok(())
}

fn go_command(sandbox: &Sandbox, cwd: &Path, proxy: &str) -> std::process::Command {
    let mut cmd = sandbox.command("go", cwd);
    cmd.env("GOPROXY", proxy)
        .env("GOSUMDB", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOPATH", sandbox.path().join("gopath"))
        .env("GOMODCACHE", sandbox.path().join("gopath/pkg/mod"))
        .env("GOCACHE", sandbox.path().join("gocache"))
        .env("GOWORK", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GO111MODULE", "on")
        .env("GONOSUMDB", "")
        .env("GOPRIVATE", "");
    for key in ["GOROOT", "CGO_ENABLED", "CC", "CXX"] {
        if let Some(v) = crate::runner::env::os_value(key) {
            cmd.env(key, v);
        }
    }
    cmd
}

/// The Go toolchain's `major.minor`, for the consumer's go.mod.
fn go_version(sandbox: &Sandbox, consumer: &Path, proxy: &str) -> Result<String> {
    let mut cmd = go_command(sandbox, consumer, proxy);
    cmd.args(["env", "GOVERSION"]);
    let run = sandbox::run(&mut cmd)?;
    run.output
        .trim()
        .strip_prefix("go")
        .map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."))
        .filter(|v| run.ok && v.contains('.'))
        .ok_or_else(|| {
            Failure::usage(
                "Go does not start",
                format!("`go env GOVERSION` failed: {}", run.tail()),
            )
            .with_fix("install Go (actions/setup-go, or apt-get install golang-go)")
        })
}

/// The consumer module: requires `module` at `version` and imports every package of it.
fn write_consumer(
    consumer: &Path,
    module: &str,
    version: &str,
    packages: &[String],
    go_version: &str,
) -> Result<()> {
    std::fs::write(
        consumer.join("go.mod"),
        format!("module smokeinstall.invalid/consumer\n\ngo {go_version}\n\nrequire {module} {version}\n"),
    )?;
    let imports: String = packages.iter().map(|p| format!("\t_ {p:?}\n")).collect();
    std::fs::write(
        consumer.join("main.go"),
        format!("// Imports every library package of {module} so the build compiles them.\npackage main\n\nimport (\n{imports})\n\nfunc main() {{}}\n"),
    )?;
    Ok(())
}

pub(crate) fn smoke(inspected: Inspected, plan: &Plan, runner: &mut Runner) -> Result<Report> {
    let packages = if plan.imports.is_empty() {
        inspected.packages.clone()
    } else {
        plan.imports.clone()
    };
    let module = inspected.module.clone();
    let version = inspected.version.clone();
    let label = if module.is_empty() {
        inspected.package.display.clone()
    } else {
        module.clone()
    };
    let skip_rest = |report: &mut Report, why: &str| {
        for p in &packages {
            report.skip(p, "build", why);
        }
        report.skip("consumer", "go build ./...", why);
        report.skip(&label, "version", why);
    };
    if !inspected.report.healthy() {
        let mut report = inspected.report;
        report.skip(&label, "download", "not run: the module failed inspection");
        skip_rest(&mut report, "not run: the module failed inspection");
        return Ok(report);
    }
    let sandbox = Sandbox::new("go")?;
    let consumer = sandbox.dir("consumer")?;
    // A `go:` entry arrives as the GOPROXY tree the fetch wrote from the registry's own files;
    // a local module gets a tree built from its directory or zip.
    let proxy_dir = match &inspected.package.local_registry {
        Some(fetched) => fetched.clone(),
        None => {
            let dir = sandbox.dir("proxy")?;
            write_proxy(&inspected, &dir)?;
            dir
        }
    };
    let mut report = inspected.report;
    let mut proxy = format!("file://{}", proxy_dir.display());
    if let Some(registry) = &plan.registry {
        proxy.push(',');
        proxy.push_str(registry);
        if let Some(token) = &plan.registry_token {
            // go reads ~/.netrc for GOPROXY hosts.
            sandbox.write_netrc(registry, token)?;
        }
    }

    let go_version = go_version(&sandbox, &consumer, &proxy)?;
    write_consumer(&consumer, &module, &version, &packages, &go_version)?;

    let downloaded = runner.phase("go-install", |r| {
        let mut cmd = go_command(&sandbox, &consumer, &proxy);
        cmd.args(["mod", "download", "--", &module]);
        let run = sandbox::run(&mut cmd)?;
        r.log(&format!(
            "go mod download {module}@{version}: {}",
            if run.ok { "ok" } else { "failed" }
        ));
        Ok(report.tool(&label, "download", &run))
    })?;
    let holds_credential = plan.registry.is_some() && plan.registry_token.is_some();
    let downloaded = downloaded
        && (!holds_credential
            || download_dependencies(&sandbox, &consumer, &proxy, &label, &mut report, runner)?);
    // Nothing is built while the credential is in the sandbox: cgo runs the module's C code
    // through the compiler, which can include any file it can read (`#include`, `.incbin`) and
    // echo it in an error. With a credential everything was downloaded above; the build runs
    // with the credential gone and no proxy at all.
    sandbox.remove_credentials()?;
    if !downloaded {
        skip_rest(&mut report, "not run: the download failed");
        return Ok(report);
    }
    let proxy = if holds_credential { "off" } else { &proxy };

    build_packages(&sandbox, &consumer, proxy, &packages, &mut report, runner)?;
    check_listed_version(
        &sandbox,
        &consumer,
        proxy,
        (&module, &version),
        &label,
        &mut report,
        runner,
    )?;
    Ok(report)
}

/// Downloads every module the consumer's build needs, while the registry credential is in the
/// sandbox: `go list -deps` loads the packages (it reads and parses the source; it compiles
/// nothing and runs neither cgo nor the C compiler). Returns whether it succeeded; a failure is
/// the `download` check's.
fn download_dependencies(
    sandbox: &Sandbox,
    consumer: &Path,
    proxy: &str,
    label: &str,
    report: &mut Report,
    runner: &mut Runner,
) -> Result<bool> {
    runner.phase("go-download", |r| {
        let mut cmd = go_command(sandbox, consumer, proxy);
        cmd.args(["list", "-deps", "--", "./..."]);
        let run = sandbox::run(&mut cmd)?;
        r.log(&format!(
            "go list -deps ./... (every module the build needs, downloaded with the credential): {}",
            if run.ok { "ok" } else { "failed" }
        ));
        Ok(run.ok || report.tool(label, "download", &run))
    })
}

/// Builds every library package, then the consumer that imports them all.
fn build_packages(
    sandbox: &Sandbox,
    consumer: &Path,
    proxy: &str,
    packages: &[String],
    report: &mut Report,
    runner: &mut Runner,
) -> Result<()> {
    runner.phase("go-build", |r| {
        let mut all_built = true;
        for package in packages {
            let mut cmd = go_command(sandbox, consumer, proxy);
            cmd.args(["build", "--", package]);
            let run = sandbox::run(&mut cmd)?;
            r.log(&format!(
                "go build {package}: {}",
                if run.ok { "ok" } else { "failed" }
            ));
            all_built &= report.tool(package, "build", &run);
        }
        if all_built {
            let mut cmd = go_command(sandbox, consumer, proxy);
            cmd.args(["build", "./..."]);
            let run = sandbox::run(&mut cmd)?;
            r.log(&format!(
                "go build ./... (consumer): {}",
                if run.ok { "ok" } else { "failed" }
            ));
            report.tool("consumer", "go build ./...", &run);
        } else {
            report.skip(
                "consumer",
                "go build ./...",
                "not run: a package does not build",
            );
        }
        Ok(())
    })
}

/// The version `go list -m` shows for the module, against the expected one.
fn check_listed_version(
    sandbox: &Sandbox,
    consumer: &Path,
    proxy: &str,
    (module, version): (&str, &str),
    label: &str,
    report: &mut Report,
    runner: &mut Runner,
) -> Result<()> {
    runner.phase("go-version", |r| {
        let mut cmd = go_command(sandbox, consumer, proxy);
        cmd.args(["list", "-m", "--", module]);
        let run = sandbox::run(&mut cmd)?;
        if !run.ok {
            report.tool(label, "version", &run);
            return Ok(());
        }
        let line = run.output.lines().next().unwrap_or("").trim().to_string();
        let found = line.split_whitespace().nth(1).unwrap_or("");
        r.log(&format!("go list -m: {line}"));
        if found == version {
            report.pass(label, "version", run.duration);
        } else {
            report.fail(
                label,
                "version",
                run.duration,
                &format!("go list -m shows {line:?}, expected {module} {version}"),
            );
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_packages_are_left_out_as_the_go_command_does() {
        // Cases from x/mod/zip's isVendoredPackage, quirk included.
        assert!(!is_vendored_package("vendor/modules.txt"));
        assert!(is_vendored_package("vendor/example.com/dep/dep.go"));
        assert!(!is_vendored_package("sub/vendor.go"));
        assert!(!is_vendored_package("go.mod"));
        // The offset counts from the start of the name, so a file directly in a nested vendor
        // directory counts as vendored too (golang.org/issue/31562).
        assert!(is_vendored_package("a/vendor/x.go"));
        assert!(is_vendored_package("a/vendor/b/x.go"));
    }

    #[test]
    fn package_clauses_skip_comments_and_ignored_files() {
        assert_eq!(
            package_clause("// Copyright\n/* x */\npackage sdk // c\n").as_deref(),
            Some("sdk")
        );
        assert_eq!(package_clause("//go:build ignore\n\npackage main\n"), None);
    }

    #[test]
    fn libraries_exclude_internal_and_commands() {
        let files: Vec<(String, Option<String>)> = [
            ("sdk.go", "sdk"),
            ("client/c.go", "client"),
            ("internal/x/x.go", "x"),
            ("cmd/tool/main.go", "main"),
            ("testdata/t.go", "t"),
        ]
        .iter()
        .map(|(p, n)| (p.to_string(), Some(n.to_string())))
        .collect();
        assert_eq!(
            library_packages("example.com/sdk", &files),
            vec!["example.com/sdk", "example.com/sdk/client"]
        );
    }

    #[test]
    fn module_paths_escape_capitals() {
        assert_eq!(escape("github.com/Azure/SDK"), "github.com/!azure/!s!d!k");
        assert_eq!(
            module_path("// c\nmodule \"example.com/m/v2\"\n\ngo 1.19\n").as_deref(),
            Some("example.com/m/v2")
        );
    }
}
