//! Running smoke-install and reading its `results` output: what every smoke-install test does
//! before its own assertions.

use std::path::Path;

use serde_json::Value;

use super::harness::{Gha, Run};

/// smoke-install with `dir` as the working directory (the workspace).
pub(crate) fn smoke(dir: &Path) -> Gha {
    Gha::new().input("mode", "smoke-install").cwd(dir)
}

/// smoke-install in `dir` on `packages`, expecting `version`.
pub(crate) fn smoke_expecting(dir: &Path, packages: &str, version: &str) -> Run {
    smoke(dir)
        .input("packages", packages)
        .input("expected-version", version)
        .run()
}

/// The `results` output: one object per package.
pub(crate) fn results(run: &Run) -> Vec<Value> {
    serde_json::from_str::<Value>(run.out("results"))
        .unwrap_or_else(|e| panic!("results is not JSON: {e}\n{}", run.describe()))
        .as_array()
        .unwrap()
        .clone()
}

/// (entry point, check, outcome) of every check of a package.
pub(crate) fn checks(package: &Value) -> Vec<(String, String, String)> {
    package["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["entry-point"].as_str().unwrap().to_string(),
                c["check"].as_str().unwrap().to_string(),
                c["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Whether a package has the check `check` of `entry` with this outcome.
pub(crate) fn has_check(package: &Value, entry: &str, check: &str, outcome: &str) -> bool {
    checks(package)
        .iter()
        .any(|(e, c, o)| e == entry && c == check && o == outcome)
}

/// The outcome of the check `check` of `entry`, if the package has it.
pub(crate) fn outcome(package: &Value, entry: &str, check: &str) -> Option<String> {
    checks(package)
        .into_iter()
        .find(|(e, c, _)| e == entry && c == check)
        .map(|(_, _, o)| o)
}
