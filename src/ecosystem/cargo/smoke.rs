//! Cargo crates: every `.crate` in `packages` goes into a temp local registry (cargo's
//! `local-registry` source: an index in the sparse layout plus the `.crate` files, each listed
//! with its sha256 `cksum`), which replaces crates.io for a fresh consumer crate that depends on
//! the crate at its exact version. `cargo generate-lockfile --offline` resolves it, `cargo
//! metadata` says which version cargo resolved, `cargo build --offline` compiles the library.
//! Nothing comes from crates.io: a dependency that is not among the `.crate` files fails the
//! resolve loudly.

use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::{Digest as _, Sha256};

use super::crate_file::{self, CrateFile};
use super::index_path;
use crate::ecosystem::smoke::{Package, Plan, Report};
use crate::error::Result;
use crate::runner::sandbox::{self, Sandbox};
use crate::runner::Runner;

pub(super) struct Inspected {
    report: Report,
    crate_file: Option<CrateFile>,
}

impl Inspected {
    pub(super) fn claims(&self, entry: &str) -> bool {
        self.crate_file
            .as_ref()
            .is_some_and(|c| c.name == entry || c.lib.as_deref() == Some(entry))
    }
}

pub(super) fn inspect(package: &Package, expected: &str, runner: &mut Runner) -> Result<Inspected> {
    let mut report = Report::new(package, expected);
    let start = Instant::now();
    match crate_file::read(&package.path) {
        Ok(c) => {
            report.name = c.name.clone();
            report.pass(
                &format!("{}-{}.crate", c.name, c.version),
                "manifest",
                start.elapsed(),
            );
            Ok(Inspected {
                report,
                crate_file: Some(c),
            })
        }
        Err(problem) => {
            runner.log(&format!("{}: {problem}", package.display));
            report.fail("crate", "manifest", start.elapsed(), &problem);
            Ok(Inspected {
                report,
                crate_file: None,
            })
        }
    }
}

/// A cargo command in the sandbox: its own CARGO_HOME and target dir, offline, with the rustup
/// toolchain of the caller.
fn cargo(sandbox: &Sandbox, cwd: &Path) -> Result<std::process::Command> {
    let mut cmd = sandbox.command("cargo", cwd);
    cmd.env("CARGO_HOME", sandbox.dir("cargo-home")?)
        .env("CARGO_TARGET_DIR", sandbox.dir("target")?)
        .env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_TERM_COLOR", "never");
    // rustup finds its toolchains under the real HOME; the sandbox HOME is empty.
    let rustup_home = crate::runner::env::os_value("RUSTUP_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            crate::runner::env::os_value("HOME")
                .map(|h| PathBuf::from(h).join(".rustup"))
                .filter(|p| p.is_dir())
        });
    if let Some(home) = rustup_home {
        cmd.env("RUSTUP_HOME", home);
    }
    if let Some(toolchain) = crate::runner::env::os_value("RUSTUP_TOOLCHAIN") {
        cmd.env("RUSTUP_TOOLCHAIN", toolchain);
    }
    Ok(cmd)
}

/// Writes every readable `.crate` of `crates` into a local registry at `dir`.
fn write_registry(dir: &Path, crates: &[PathBuf]) -> Result<()> {
    std::fs::create_dir_all(dir.join("index"))?;
    for path in crates {
        let Ok(c) = crate_file::read(path) else {
            continue;
        };
        let bytes = std::fs::read(path)?;
        let cksum = hex::encode(Sha256::digest(&bytes));
        std::fs::write(dir.join(format!("{}-{}.crate", c.name, c.version)), &bytes)?;
        let entry = serde_json::json!({
            "name": c.name, "vers": c.version, "deps": c.deps, "cksum": cksum,
            "features": c.features, "yanked": false,
        });
        let index_file = dir.join("index").join(index_path(&c.name));
        if let Some(parent) = index_file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut lines = std::fs::read_to_string(&index_file).unwrap_or_default();
        lines.push_str(&format!("{entry}\n"));
        std::fs::write(&index_file, lines)?;
    }
    Ok(())
}

fn toml_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

pub(super) fn smoke(inspected: Inspected, plan: &Plan, runner: &mut Runner) -> Result<Report> {
    let Inspected {
        mut report,
        crate_file,
    } = inspected;
    let label = crate_file
        .as_ref()
        .map_or_else(|| report.package.clone(), |c| c.name.clone());
    let Some(c) = crate_file.filter(|_| report.healthy()) else {
        for check in ["resolve", "version", "build"] {
            report.skip(&label, check, "not run: the crate failed inspection");
        }
        return Ok(report);
    };
    let sandbox = Sandbox::new("cargo")?;
    let registry = sandbox.dir("registry")?;
    write_registry(&registry, &plan.siblings)?;
    let consumer = sandbox.dir("consumer")?;
    let libs: Vec<String> = if plan.imports.is_empty() {
        c.lib.iter().cloned().collect()
    } else {
        plan.imports
            .iter()
            .filter(|e| c.lib.as_deref() == Some(e.as_str()))
            .cloned()
            .collect()
    };
    write_consumer(&consumer, &registry, &c, &libs)?;

    let resolved = runner.phase("cargo-install", |_| {
        let mut cmd = cargo(&sandbox, &consumer)?;
        cmd.args(["generate-lockfile", "--offline"]);
        let run = sandbox::run(&mut cmd)?;
        Ok(report.tool(&label, "resolve", &run))
    })?;
    if !resolved {
        report.skip(
            &label,
            "version",
            "not run: cargo could not resolve the crate",
        );
        report.skip(
            &label,
            "build",
            "not run: cargo could not resolve the crate",
        );
        return Ok(report);
    }
    check_resolved_version(&sandbox, &consumer, &c, &label, &mut report, runner)?;
    runner.phase("cargo-build", |_| {
        let mut cmd = cargo(&sandbox, &consumer)?;
        cmd.args(["build", "--offline"]);
        let run = sandbox::run(&mut cmd)?;
        let entry = libs.first().cloned().unwrap_or_else(|| label.clone());
        report.tool(&entry, "build", &run);
        Ok(())
    })?;
    Ok(report)
}

/// The consumer crate: depends on exactly `c`'s version, takes crates only from the local
/// registry at `registry`, and re-exports `libs` so the build compiles them.
fn write_consumer(consumer: &Path, registry: &Path, c: &CrateFile, libs: &[String]) -> Result<()> {
    std::fs::create_dir_all(consumer.join("src"))?;
    std::fs::create_dir_all(consumer.join(".cargo"))?;
    std::fs::write(
        consumer.join("Cargo.toml"),
        format!(
            "[package]\nname = \"release-action-smoke-consumer\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{} = {}\n\n[workspace]\n",
            toml_string(&c.name),
            toml_string(&format!("={}", c.version))
        ),
    )?;
    std::fs::write(
        consumer.join(".cargo/config.toml"),
        format!(
            "[source.crates-io]\nreplace-with = \"smoke\"\n\n[source.smoke]\nlocal-registry = {}\n",
            toml_string(&registry.display().to_string())
        ),
    )?;
    let lib_rs: String = libs.iter().map(|l| format!("pub use {l};\n")).collect();
    std::fs::write(consumer.join("src/lib.rs"), lib_rs)?;
    Ok(())
}

/// The version cargo resolved for `c` (`cargo metadata`), against the expected one.
fn check_resolved_version(
    sandbox: &Sandbox,
    consumer: &Path,
    c: &CrateFile,
    label: &str,
    report: &mut Report,
    runner: &mut Runner,
) -> Result<()> {
    runner.phase("cargo-version", |_| {
        let start = Instant::now();
        let mut cmd = cargo(sandbox, consumer)?;
        cmd.args(["metadata", "--offline", "--format-version", "1"]);
        let run = sandbox::run(&mut cmd)?;
        // The tool's output interleaves stderr ("Unpacking …"); the JSON is its own line.
        let found = run
            .output
            .lines()
            .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .and_then(|m| {
                m["packages"].as_array()?.iter().find_map(|p| {
                    (p["name"] == c.name.as_str() && !p["source"].is_null())
                        .then(|| p["version"].as_str().map(str::to_string))
                        .flatten()
                })
            });
        let expected = report.expected_version.clone();
        match found {
            Some(v) if same_version(&v, &expected) => {
                report.pass(label, "version", start.elapsed())
            }
            Some(v) => report.fail(
                label,
                "version",
                start.elapsed(),
                &format!("cargo resolved {} {v}, expected {expected}", c.name),
            ),
            None => report.fail(
                label,
                "version",
                start.elapsed(),
                &format!(
                    "cargo metadata does not list {} from the registry: {}",
                    c.name,
                    sandbox::tail(&run.output)
                ),
            ),
        }
        Ok(())
    })
}

fn same_version(a: &str, b: &str) -> bool {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
