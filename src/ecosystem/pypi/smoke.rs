//! Python wheels: read the wheel's metadata and RECORD, install it by name and version into a
//! fresh venv with pip cut off from the machine's configuration and from PyPI, import every
//! top-level module it installs, check `importlib.metadata.version` and `pip check`.

use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use crate::archive;
use crate::ecosystem::smoke::{Package, Plan, Report};
use crate::error::{Failure, Result};
use crate::runner::sandbox::{self, Sandbox};
use crate::runner::Runner;

const METADATA_LIMIT: u64 = 16 * 1024 * 1024;

pub(super) struct Inspected {
    package: Package,
    report: Report,
    name: String,
    modules: Vec<String>,
}

impl Inspected {
    pub(super) fn claims(&self, entry: &str) -> bool {
        let top = entry.split('.').next().unwrap_or("");
        self.modules.iter().any(|m| m == top)
    }
}

/// The Python that creates the venvs, resolved through any shim (pyenv) with the caller's
/// environment, minus anything that would change how it starts.
pub(super) fn interpreter() -> Result<PathBuf> {
    let python = sandbox::find_on_path("python3")
        .or_else(|| sandbox::find_on_path("python"))
        .ok_or_else(|| {
            Failure::usage(
                "Python 3 is not installed",
                "smoke-install needs `python3` on PATH to create a venv for wheels",
            )
            .with_fix("install Python (actions/setup-python)")
        })?;
    let mut cmd = std::process::Command::new(&python);
    crate::runner::secrets::remove_from(&mut cmd);
    for key in crate::runner::env::names() {
        let key = key.to_string_lossy();
        if key.starts_with("PIP_") || key.starts_with("PYTHON") {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd.args(["-c", "import sys; print(sys.executable)"]);
    let run = sandbox::run(&mut cmd)?;
    let exe = run.output.lines().next().unwrap_or("").trim().to_string();
    if !run.ok || exe.is_empty() {
        return Err(Failure::usage(
            "Python 3 does not start",
            format!("{} failed: {}", python.display(), run.tail()),
        )
        .with_fix("install a working Python (actions/setup-python)"));
    }
    Ok(PathBuf::from(exe))
}

pub(super) fn inspect(package: &Package, expected: &str, runner: &mut Runner) -> Result<Inspected> {
    let mut report = Report::new(package, expected);
    let start = Instant::now();
    let wheel = match read_wheel(&package.path) {
        Ok(w) => w,
        Err(problem) => {
            runner.log(&format!("{}: {problem}", package.display));
            report.fail("wheel", "open", start.elapsed(), &problem);
            return Ok(Inspected {
                package: package.clone(),
                report,
                name: String::new(),
                modules: Vec::new(),
            });
        }
    };
    report.name = wheel.name.clone();
    runner.log(&format!(
        "{} is {} {}: modules {}",
        package.display,
        wheel.name,
        wheel.version,
        wheel.modules.join(", ")
    ));
    report.pass("wheel", "open", start.elapsed());
    let start = Instant::now();
    if !same_version(&wheel.version, expected) {
        report.fail(
            "METADATA",
            "version",
            start.elapsed(),
            &format!(
                "the wheel is {} {}, expected {expected}",
                wheel.name, wheel.version
            ),
        );
    }
    if wheel.modules.is_empty() {
        report.fail(
            "RECORD",
            "modules",
            start.elapsed(),
            "the wheel installs no importable module",
        );
    }
    Ok(Inspected {
        package: package.clone(),
        report,
        name: wheel.name,
        modules: wheel.modules,
    })
}

fn same_version(a: &str, b: &str) -> bool {
    match (
        a.trim().parse::<pep440_rs::Version>(),
        b.trim().parse::<pep440_rs::Version>(),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

struct Wheel {
    name: String,
    version: String,
    modules: Vec<String>,
}

fn read_wheel(path: &Path) -> std::result::Result<Wheel, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the wheel: {e}"))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("not a zip archive: {e}"))?;
    let mut names = Vec::new();
    let mut budget = archive::Budget::new(
        format!("the wheel {}", path.display()),
        archive::MAX_ENTRIES,
        archive::MAX_UNPACKED,
    );
    for i in 0..zip.len() {
        let entry = zip
            .by_index(i)
            .map_err(|e| format!("unreadable entry: {e}"))?;
        budget.entry(entry.size())?;
        let name = entry
            .name()
            .map_err(|e| format!("an entry has an unreadable name: {e}"))?
            .to_string();
        if name.contains('\\') || name.starts_with('/') {
            return Err(format!(
                "refused entry {name:?}: its path is absolute or uses backslashes"
            ));
        }
        if Path::new(&name)
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::RootDir))
        {
            return Err(format!("refused entry {name:?}: its path contains `..`"));
        }
        if entry.is_symlink() {
            return Err(format!(
                "refused entry {name:?}: wheels cannot contain links"
            ));
        }
        names.push(name);
    }
    let dist_infos: std::collections::BTreeSet<&str> = names
        .iter()
        .filter_map(|n| n.split('/').next())
        .filter(|d| d.ends_with(".dist-info"))
        .collect();
    let dist_info = match dist_infos.len() {
        1 => dist_infos.into_iter().next().unwrap().to_string(),
        0 => return Err("the wheel has no .dist-info directory".into()),
        _ => {
            return Err(format!(
                "the wheel has several .dist-info directories: {dist_infos:?}"
            ))
        }
    };
    // Over the cap is an error: a cut-off file parsed as if whole could say anything.
    let read =
        |zip: &mut zip::ZipArchive<std::fs::File>, file: &str| -> Result<Option<String>, String> {
            let name = format!("{dist_info}/{file}");
            let Ok(entry) = zip.by_name(&name) else {
                return Ok(None);
            };
            let buf = crate::archive::read_capped(entry, &name, METADATA_LIMIT)?;
            Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
        };
    let metadata = read(&mut zip, "METADATA")?.ok_or(format!("{dist_info}/METADATA is missing"))?;
    let header = |key: &str| {
        metadata
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(key)
                    .then(|| v.trim().to_string())
            })
    };
    let name = header("Name").ok_or(format!("{dist_info}/METADATA has no Name"))?;
    // The name is handed to pip (after `--`) and to importlib: only a PEP 508 name goes further.
    crate::version::pep440::check_distribution_name(&name)
        .map_err(|why| format!("{dist_info}/METADATA Name: {why}"))?;
    let version = header("Version").ok_or(format!("{dist_info}/METADATA has no Version"))?;
    let record = read(&mut zip, "RECORD")?.ok_or(format!("{dist_info}/RECORD is missing"))?;
    let mut modules = modules_from_record(&record);
    if modules.is_empty() {
        if let Some(top_level) = read(&mut zip, "top_level.txt")? {
            modules = top_level
                .lines()
                .map(str::trim)
                .filter(|m| is_identifier(m))
                .map(str::to_string)
                .collect();
        }
    }
    Ok(Wheel {
        name,
        version,
        modules,
    })
}

/// Top-level importable names from RECORD: packages (directories) and modules (`.py`, extension
/// modules), including those under `<name>.data/purelib|platlib`.
fn modules_from_record(record: &str) -> Vec<String> {
    let mut modules = std::collections::BTreeSet::new();
    for line in record.lines() {
        let path = record_path(line);
        let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() || parts[0].ends_with(".dist-info") {
            continue;
        }
        if parts[0].ends_with(".data") {
            if parts.len() > 2 && (parts[1] == "purelib" || parts[1] == "platlib") {
                parts.drain(..2);
            } else {
                continue;
            }
        }
        let top = parts[0];
        let name = if parts.len() > 1 {
            top
        } else if top.ends_with(".py") || top.ends_with(".so") || top.ends_with(".pyd") {
            top.split('.').next().unwrap_or("")
        } else {
            continue;
        };
        if is_identifier(name) && name != "__pycache__" {
            modules.insert(name.to_string());
        }
    }
    modules.into_iter().collect()
}

/// The path column of a RECORD line (CSV; quoted when the path has a comma).
fn record_path(line: &str) -> String {
    if let Some(rest) = line.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    out.push('"');
                    chars.next();
                } else {
                    break;
                }
            } else {
                out.push(c);
            }
        }
        out
    } else {
        line.split(',').next().unwrap_or("").to_string()
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

pub(super) fn smoke(inspected: Inspected, plan: &Plan, runner: &mut Runner) -> Result<Report> {
    let Inspected {
        package,
        mut report,
        name,
        modules,
    } = inspected;
    let modules = if plan.imports.is_empty() {
        modules
    } else {
        plan.imports.clone()
    };
    let label = if name.is_empty() {
        package.display.clone()
    } else {
        name.clone()
    };
    let skip_rest = |report: &mut Report, why: &str| {
        for m in &modules {
            report.skip(m, "import", why);
        }
        report.skip(&label, "version", why);
        report.skip(&label, "pip check", why);
    };
    if !report.healthy() {
        report.skip(&label, "install", "not run: the wheel failed inspection");
        skip_rest(&mut report, "not run: the wheel failed inspection");
        return Ok(report);
    }
    let python = interpreter()?;
    let sandbox = Sandbox::new("python")?;
    let links = sandbox.dir("wheels")?;
    for wheel in plan.siblings.iter().chain(std::iter::once(&package.path)) {
        if let Some(file) = wheel.file_name() {
            std::fs::copy(wheel, links.join(file))?;
        }
    }
    let venv = sandbox.path().join("venv");
    let venv_python = venv.join("bin").join("python");
    let expected = report.expected_version.clone();

    let target = InstallTarget {
        python: &python,
        venv: &venv,
        links: &links,
        requirement: format!("{name}=={expected}"),
        label: &label,
    };
    let installed = install(&sandbox, plan, &target, &mut report, runner)?;
    if !installed {
        skip_rest(&mut report, "not run: the install failed");
        return Ok(report);
    }

    import_modules(&sandbox, &venv_python, &modules, &mut report, runner)?;

    runner.phase("python-version", |r| {
        let mut cmd = pip_env(sandbox.command(&venv_python, &sandbox.tmp), &sandbox);
        cmd.args([
            "-I",
            "-c",
            "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))",
            &name,
        ]);
        let run = sandbox::run(&mut cmd)?;
        let found = run.output.lines().next().unwrap_or("").trim().to_string();
        if !run.ok {
            report.tool(&label, "version", &run);
        } else if same_version(&found, &expected) {
            r.log(&format!("importlib.metadata.version({name:?}) = {found}"));
            report.pass(&label, "version", run.duration);
        } else {
            r.log(&format!(
                "importlib.metadata.version({name:?}) = {found}, expected {expected}"
            ));
            report.fail(
                &label,
                "version",
                run.duration,
                &format!("importlib.metadata.version({name:?}) is {found}, expected {expected}"),
            );
        }

        let mut cmd = pip_env(sandbox.command(&venv_python, &sandbox.tmp), &sandbox);
        cmd.args(["-I", "-m", "pip", "check"]);
        let run = sandbox::run(&mut cmd)?;
        r.log(&format!("pip check: {}", run.tail()));
        report.tool(&label, "pip check", &run);
        Ok(())
    })?;
    Ok(report)
}

/// pip cut off from the machine: no config file, no `PIP_*` (the sandbox starts empty), no
/// prompts, nothing written outside the sandbox.
/// Imports every module in the venv's interpreter, each in its own process.
fn import_modules(
    sandbox: &Sandbox,
    venv_python: &Path,
    modules: &[String],
    report: &mut Report,
    runner: &mut Runner,
) -> Result<()> {
    runner.phase("python-import", |r| {
        for module in modules {
            let mut cmd = pip_env(sandbox.command(venv_python, &sandbox.tmp), sandbox);
            cmd.args([
                "-I",
                "-c",
                "import importlib, sys; importlib.import_module(sys.argv[1])",
                module,
            ]);
            let run = sandbox::run(&mut cmd)?;
            r.log(&format!(
                "import {module}: {}",
                if run.ok { "ok" } else { "failed" }
            ));
            report.tool(module, "import", &run);
        }
        Ok(())
    })
}

/// What the install phase installs, and where.
struct InstallTarget<'a> {
    python: &'a Path,
    venv: &'a Path,
    links: &'a Path,
    /// `name==version`.
    requirement: String,
    label: &'a str,
}

/// Creates the venv and installs the wheel into it. With an index credential the install is
/// split: `pip download --only-binary=:all:` fetches the wheel's dependencies while the
/// credential is in the sandbox (a wheel is unpacked, never run), the credential is removed, and
/// `pip install --no-index` installs from what was downloaded. An sdist dependency would run its
/// build backend's code during the download, which is why dependencies come only as wheels then.
fn install(
    sandbox: &Sandbox,
    plan: &Plan,
    target: &InstallTarget<'_>,
    report: &mut Report,
    runner: &mut Runner,
) -> Result<bool> {
    let venv_python = target.venv.join("bin").join("python");
    let credential = plan.registry.as_deref().zip(plan.registry_token.as_deref());
    let label = target.label;
    let installed = runner.phase("python-install", |r| {
        let mut cmd = pip_env(sandbox.command(target.python, sandbox.path()), sandbox);
        cmd.args(["-m", "venv"]).arg(target.venv);
        let run = sandbox::run(&mut cmd)?;
        if !run.ok {
            return Err(Failure::usage(
                "Cannot create a Python venv",
                format!("{} -m venv failed: {}", target.python.display(), run.tail()),
            )
            .with_fix("install the venv module (Debian: apt-get install python3-venv)"));
        }
        r.log(&format!(
            "venv created in {:.2}s",
            run.duration.as_secs_f64()
        ));
        let pip = |verb: &str| {
            let mut cmd = pip_env(sandbox.command(&venv_python, &sandbox.tmp), sandbox);
            cmd.args(["-I", "-m", "pip", verb, "--no-cache-dir", "--no-input"]);
            cmd
        };
        let wheelhouse = match credential {
            None => None,
            Some((index, token)) => {
                // pip reads ~/.netrc for an index without credentials in its URL: the token stays
                // out of the command line, where a process list or pip's log could show it.
                sandbox.write_netrc(index, token)?;
                let downloaded = download_wheels(sandbox, &venv_python, index, target, r);
                sandbox.remove_credentials()?;
                match downloaded? {
                    Ok(wheelhouse) => Some(wheelhouse),
                    Err((error, duration)) => {
                        report.fail(label, "install", duration, &error);
                        return Ok(false);
                    }
                }
            }
        };
        let mut cmd = pip("install");
        match (&plan.registry, &wheelhouse) {
            (Some(index), None) => cmd.args(["--index-url", index]),
            (_, Some(wheelhouse)) => cmd.arg("--no-index").arg("--find-links").arg(wheelhouse),
            (None, None) => cmd.arg("--no-index"),
        };
        cmd.arg("--find-links")
            .arg(target.links)
            .arg("--")
            .arg(&target.requirement);
        let run = sandbox::run(&mut cmd)?;
        r.log(&format!(
            "pip install {}: {} in {:.2}s",
            target.requirement,
            if run.ok { "ok" } else { "failed" },
            run.duration.as_secs_f64()
        ));
        Ok(report.tool(label, "install", &run))
    })?;
    // The credential was removed right after the download, before `pip install`.
    Ok(installed)
}

/// Added to a failed credentialed download: the likely cause and what to do.
const WHEELS_ONLY: &str = "\n(with a registry credential, smoke-install downloads dependencies \
only as wheels: building an sdist runs its code while the credential is present. If a dependency \
is published only as an sdist, add its wheel to `packages`.)";

/// The most rounds of the credentialed download (one per level of the dependency tree, and one
/// more per newly requested extra): a deeper tree is refused rather than followed forever.
const MAX_DOWNLOAD_ROUNDS: usize = 64;

/// Reads the METADATA of every wheel in a directory (argv[1]) and prints, as JSON, each
/// `Requires-Dist` that applies with the extras requested so far (argv[2], JSON: canonical name →
/// extras): its name, extras, the requirement without its marker, and its direct URL if any.
/// It runs pip's own `packaging` (vendored in the venv's pip) and never imports a package.
const REQUIREMENTS_SCRIPT: &str = r#"
import email.parser, json, os, sys, zipfile
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name
wheelhouse, extras = sys.argv[1], json.loads(sys.argv[2])
out = []
for file in sorted(os.listdir(wheelhouse)):
    try:
        with zipfile.ZipFile(os.path.join(wheelhouse, file)) as z:
            metas = [n for n in z.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if len(metas) != 1 or z.getinfo(metas[0]).file_size > 16 * 1024 * 1024:
                raise ValueError("no single .dist-info/METADATA of at most 16 MiB")
            text = z.read(metas[0]).decode("utf-8", "replace")
    except Exception as e:
        out.append({"from": file, "error": f"unreadable wheel: {e}"})
        continue
    meta = email.parser.Parser().parsestr(text, headersonly=True)
    wanted = [""] + extras.get(canonicalize_name(meta.get("Name") or ""), [])
    for line in meta.get_all("Requires-Dist") or []:
        try:
            req = Requirement(line)
        except Exception as e:
            out.append({"from": file, "error": f"Requires-Dist {line!r} does not parse: {e}"})
            continue
        if req.marker is not None and not any(req.marker.evaluate({"extra": x}) for x in wanted):
            continue
        url, req.marker = req.url, None
        out.append({"from": file, "line": line, "name": canonicalize_name(req.name),
                    "extras": sorted(req.extras), "requirement": str(req), "url": url})
print(json.dumps(out))
"#;

/// One applicable `Requires-Dist` of a downloaded wheel, as [`REQUIREMENTS_SCRIPT`] reads it.
#[derive(serde::Deserialize)]
struct Requirement {
    from: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    line: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    extras: Vec<String>,
    #[serde(default)]
    requirement: String,
    #[serde(default)]
    url: Option<String>,
}

/// What a failed credentialed download says, and how long it took.
type Refusal = (String, std::time::Duration);

/// Downloads the wheel and its dependencies while the index credential is in the sandbox,
/// without ever letting pip build anything. pip builds a direct-URL requirement
/// (`name @ file:…`, `@ git+…`, `@ https://…/x.tar.gz`) whatever `--only-binary` says, so pip
/// never sees one: every `pip download` is `--no-deps --only-binary=:all:` over name-based
/// requirements, and the dependencies are read from each downloaded wheel's METADATA here,
/// level by level. A direct-URL requirement that applies is refused, naming it.
fn download_wheels(
    sandbox: &Sandbox,
    venv_python: &Path,
    index: &str,
    target: &InstallTarget<'_>,
    r: &mut Runner,
) -> Result<std::result::Result<PathBuf, Refusal>> {
    let start = Instant::now();
    let wheelhouse = sandbox.dir("downloaded")?;
    let mut requested = std::collections::BTreeSet::from([target.requirement.clone()]);
    let mut extras: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        std::collections::BTreeMap::new();
    let mut pending = vec![target.requirement.clone()];
    for _ in 0..MAX_DOWNLOAD_ROUNDS {
        if !pending.is_empty() {
            let mut cmd = pip_env(sandbox.command(venv_python, &sandbox.tmp), sandbox);
            cmd.args([
                "-I",
                "-m",
                "pip",
                "download",
                "--no-cache-dir",
                "--no-input",
            ])
            .args(["--no-deps", "--only-binary=:all:", "--index-url", index])
            .arg("--dest")
            .arg(&wheelhouse)
            .arg("--find-links")
            .arg(target.links)
            .arg("--")
            .args(&pending);
            let run = sandbox::run(&mut cmd)?;
            r.log(&format!(
                "pip download --no-deps --only-binary=:all: {}: {} in {:.2}s",
                pending.join(" "),
                if run.ok { "ok" } else { "failed" },
                run.duration.as_secs_f64()
            ));
            if !run.ok {
                return Ok(Err((run.tail() + WHEELS_ONLY, start.elapsed())));
            }
            pending.clear();
        }
        let mut grew = false;
        for req in read_requirements(sandbox, venv_python, &wheelhouse, &extras)? {
            if let Some(error) = req.error {
                return Ok(Err((format!("{}: {error}", req.from), start.elapsed())));
            }
            if let Some(url) = &req.url {
                return Ok(Err((direct_url_refusal(&req, url), start.elapsed())));
            }
            let known = extras.entry(req.name.clone()).or_default();
            for extra in req.extras {
                grew |= known.insert(extra);
            }
            if requested.insert(req.requirement.clone()) {
                pending.push(req.requirement);
            }
        }
        if pending.is_empty() && !grew {
            return Ok(Ok(wheelhouse));
        }
    }
    Ok(Err((
        format!(
            "the dependencies of {} are more than {MAX_DOWNLOAD_ROUNDS} levels deep",
            target.requirement
        ),
        start.elapsed(),
    )))
}

/// The applicable requirements of every wheel downloaded so far ([`REQUIREMENTS_SCRIPT`]).
fn read_requirements(
    sandbox: &Sandbox,
    venv_python: &Path,
    wheelhouse: &Path,
    extras: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Result<Vec<Requirement>> {
    let mut cmd = pip_env(sandbox.command(venv_python, &sandbox.tmp), sandbox);
    cmd.args(["-I", "-c", REQUIREMENTS_SCRIPT])
        .arg(wheelhouse)
        .arg(serde_json::to_string(extras).unwrap_or_else(|_| "{}".into()));
    let run = sandbox::run(&mut cmd)?;
    let parsed = run
        .ok
        .then(|| serde_json::from_str::<Vec<Requirement>>(run.output.lines().next()?).ok())
        .flatten();
    parsed.ok_or_else(|| {
        Failure::usage(
            "Cannot read the downloaded wheels' dependencies",
            format!(
                "{} could not list the Requires-Dist of {}: {}",
                venv_python.display(),
                wheelhouse.display(),
                run.tail()
            ),
        )
        .with_fix("use a Python whose venv has pip (python -m ensurepip)")
    })
}

fn direct_url_refusal(req: &Requirement, url: &str) -> String {
    format!(
        "{from} requires `{line}`: `{name}` is a direct URL dependency ({url}), which pip would \
         fetch and build (running its build backend or setup.py) while the registry credential \
         is present. With `registry-token`, smoke-install takes every dependency from the index \
         by name, as a wheel: publish `{name}` as a wheel on the index and require it by name, or \
         add its wheel to `packages`.",
        from = req.from,
        line = req.line.trim(),
        name = req.name,
    )
}

fn pip_env(mut cmd: std::process::Command, sandbox: &Sandbox) -> std::process::Command {
    cmd.env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_INPUT", "1")
        .env("PYTHONNOUSERSITE", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("XDG_CACHE_HOME", sandbox.path().join("cache"));
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_come_from_record() {
        let record = "good/__init__.py,sha256=x,1\n\
                      good/sub/x.py,sha256=x,1\n\
                      single.py,sha256=x,1\n\
                      fast.cpython-311-x86_64-linux-gnu.so,sha256=x,1\n\
                      good-1.0.dist-info/METADATA,,\n\
                      good-1.0.data/purelib/extra/__init__.py,,\n\
                      good-1.0.data/scripts/tool,,\n\
                      \"we,ird/__init__.py\",,\n\
                      site.pth,,\n";
        assert_eq!(
            modules_from_record(record),
            vec!["extra", "fast", "good", "single"]
        );
    }

    #[test]
    fn pep440_versions_compare_normalized() {
        assert!(same_version("1.0", "1.0.0"));
        assert!(same_version(
            "0.12.0.dev20240102030405+g0123456789ab",
            "0.12.0.dev20240102030405+g0123456789ab"
        ));
        assert!(!same_version("1.0.1", "1.0.0"));
    }
}
