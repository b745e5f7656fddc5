//! smoke-install end to end: the real binary installs fixtures these tests build (npm tarballs,
//! wheels, Go modules) with real pnpm, npm, node, python venv/pip and go.

use crate::ecosystem::go::{go_module, good_go_files};
use crate::ecosystem::npm::good_sdk;
use crate::support::smoke::{checks, has_check, results, smoke};
use crate::support::snap;

#[test]
fn go_module_and_npm_tarball_pass_together_from_versions_json() {
    let work = tempfile::tempdir().unwrap();
    go_module(work.path(), &good_go_files());
    good_sdk(work.path(), "0.12.0-dev.20240102030405.g0123456789ab");
    let run = smoke(work.path())
        .input("packages", "gosdk\n*.tgz")
        .input(
            "versions",
            r#"{"is-release":"false","npm-version":"0.12.0-dev.20240102030405.g0123456789ab","pypi-version":"0.12.0.dev20240102030405+g0123456789ab","go-version":"v0.11.1-0.20240102030405-0123456789ab"}"#,
        )
        .run();
    run.assert_code(0);
    snap::settings().bind(|| insta::assert_snapshot!("go_and_npm_pass_seen", snap::seen(&run)));
    let results = results(&run);
    assert_eq!(results.len(), 2);
    let go = &results[0];
    assert_eq!(go["name"], "example.com/sdk");
    assert_eq!(
        go["expected-version"],
        "v0.11.1-0.20240102030405-0123456789ab"
    );
    let built: Vec<String> = checks(go)
        .into_iter()
        .filter(|(_, c, _)| c == "build")
        .map(|(e, _, o)| format!("{e} {o}"))
        .collect();
    // Not the internal package, not the command.
    assert_eq!(
        built,
        ["example.com/sdk passed", "example.com/sdk/client passed"]
    );
    assert!(has_check(go, "consumer", "go build ./...", "passed"));
    assert!(has_check(go, "example.com/sdk", "version", "passed"));
    assert!(run
        .stdout
        .contains("go list -m: example.com/sdk v0.11.1-0.20240102030405-0123456789ab"));
    assert_eq!(results[1]["ecosystem"], "npm");
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_inputs_are_usage_errors_naming_the_input() {
    let work = tempfile::tempdir().unwrap();
    good_sdk(work.path(), "1.0.0");
    std::fs::write(work.path().join("notes.txt"), "x").unwrap();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "input `packages` is empty"),
        (
            vec![("packages", "dist/*.tgz"), ("expected-version", "1.0.0")],
            "input `packages`: \"dist/*.tgz\" matches no file",
        ),
        (
            vec![("packages", "missing.tgz"), ("expected-version", "1.0.0")],
            "does not exist",
        ),
        (
            vec![("packages", "notes.txt"), ("expected-version", "1.0.0")],
            "is not an npm tarball",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("ecosystem", "python"),
                ("expected-version", "1.0.0"),
            ],
            "input `ecosystem` is python",
        ),
        (
            vec![("packages", "*.tgz")],
            "neither `expected-version` nor `versions`",
        ),
        (
            vec![("packages", "*.tgz"), ("expected-version", "1.0")],
            "input `expected-version`: \"1.0\" is not a valid npm",
        ),
        (
            vec![("packages", "*.tgz"), ("versions", "{not json")],
            "input `versions`: not JSON",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("versions", r#"{"pypi-version":"1.0.0"}"#),
            ],
            "input `versions`: no string \"npm-version\"",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("versions", "{}"),
                ("expected-version", "1.0.0"),
            ],
            "are both set",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("expected-version", "1.0.0"),
                ("registry", "ftp://x"),
            ],
            "input `registry`",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("expected-version", "1.0.0"),
                ("imports", "other-package/x"),
            ],
            "input `imports`: \"other-package/x\"",
        ),
        (
            vec![
                ("packages", "*.tgz"),
                ("expected-version", "1.0.0"),
                ("package-manager", "yarn"),
            ],
            "package-manager",
        ),
    ];
    for (inputs, expected) in cases {
        let mut gha = smoke(work.path());
        for (k, v) in &inputs {
            gha = gha.input(k, v);
        }
        let run = gha.run();
        assert_eq!(run.code, 2, "{inputs:?}\n{}", run.describe());
        let errors = run.commands("error");
        assert_eq!(errors.len(), 1, "{inputs:?}\n{}", run.describe());
        assert!(errors[0].contains(expected), "{inputs:?}: {}", errors[0]);
        assert!(!run.stdout.contains("panicked"));
    }
}
