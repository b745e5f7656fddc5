//! policy-check, driven through the real binary against a fixture monorepo (TypeScript, Python,
//! Go, proto, lockfiles, workflows) that trips every rule kind and every waiver case.

use crate::support::harness::*;
use crate::support::snap;

use std::path::{Path, PathBuf};

use serde_json::Value;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/policy-check");
/// Between the fixture's live waiver (2099) and its expired one (2024-03-31).
const TODAY: &str = "2025-06-01";

/// A harness whose working directory is a fresh copy of the fixture monorepo (no `.git`), with
/// a git-ignored file that would break a rule if the walk read it.
fn monorepo() -> (Gha, PathBuf) {
    let gha = Gha::new();
    let repo = gha.path().join("repo");
    copy_dir(&Path::new(FIXTURE).join("monorepo"), &repo);
    let ignored = repo.join("services/api/generated");
    std::fs::create_dir_all(&ignored).unwrap();
    std::fs::write(
        ignored.join("client.ts"),
        "import { X } from \"@ameideio/ameide-core-proto/generated\";\n",
    )
    .unwrap();
    let gha = gha
        .cwd(&repo)
        .input("mode", "policy-check")
        .env("RELEASE_ACTION_TODAY", TODAY)
        .env("NPM_TOKEN", "npm_abc123");
    (gha, repo)
}

/// A harness in an empty repository with just this policy.
fn repo_with(policy: &str, files: &[(&str, &str)]) -> (Gha, PathBuf) {
    let gha = Gha::new();
    let repo = gha.path().join("repo");
    std::fs::create_dir_all(repo.join(".github")).unwrap();
    std::fs::write(repo.join(".github/release-policy.yml"), policy).unwrap();
    for (path, text) in files {
        let path = repo.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let gha = gha
        .cwd(&repo)
        .input("mode", "policy-check")
        .env("RELEASE_ACTION_TODAY", TODAY);
    (gha, repo)
}

fn schema(path: &Path) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn assert_valid_sarif(text: &str) -> Value {
    let sarif: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let validator = schema(&Path::new(FIXTURE).join("sarif-schema-2.1.0.json"));
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF is not valid 2.1.0: {errors:#?}");
    sarif
}

/// `file:line:col` of every annotation of one level.
fn annotated(run: &Run, level: &str) -> Vec<String> {
    run.commands(level)
        .iter()
        .filter_map(|c| {
            let props = c.split("::").nth(1)?.split_once(' ')?.1;
            let get = |key: &str| {
                props
                    .split(',')
                    .find_map(|p| p.strip_prefix(&format!("{key}=")))
                    .map(str::to_string)
            };
            Some(format!("{}:{}:{}", get("file")?, get("line")?, get("col")?))
        })
        .collect()
}

#[test]
fn fixture_monorepo_trips_every_rule_kind_and_waiver_case() {
    let (gha, repo) = monorepo();
    let gha = gha.input("sarif", "reports/policy.sarif");
    let run = gha.run();
    run.assert_code(1);
    assert_eq!(run.out("errors"), "13");
    assert_eq!(run.out("warnings"), "15");
    assert_eq!(run.out("violations"), "29");
    assert_eq!(run.out("sarif-file"), "reports/policy.sarif");

    // Each violation on its exact line and column; GitHub shows 10 per level, and the failure
    // itself takes one error slot.
    let errors = annotated(&run, "error");
    let warnings = annotated(&run, "warning");
    assert_eq!(errors.len(), 9, "{errors:#?}");
    assert_eq!(warnings.len(), 10, "{warnings:#?}");
    assert_eq!(run.commands("error").len(), 10);
    for expected in [
        ".github/release-policy.yml:21:24", // PKG_REGISTRY_TOKEN missing (required-env)
        ".github/release-policy.yml:21:44", // GITHUB_SHA missing: every name, not just the first
        ".github/release-policy.yml:64:5",  // expired waiver
        ".npmrc:1:20",                      // scope from the public registry
        "pnpm-lock.yaml:16:4",              // no tarball: default registry
        "services/api/src/index.ts:2:27",   // import … from
        "services/api/src/index.ts:3:28",   // relative import resolved into packages/
    ] {
        assert!(
            errors.contains(&expected.to_string()),
            "{expected} not in {errors:#?}"
        );
    }
    assert!(warnings.contains(&".github/workflows/ci.yml:7:41".to_string()));
    assert!(run.stdout.contains(
        "title=no-direct-proto (forbidden-imports)::imports `@ameideio/ameide-core-proto/gen/envelope`"
    ));
    // The git-ignored file is never read, even without a git repository.
    assert!(!run.stdout.contains("services/api/generated"));
    assert!(!run.summary.contains("services/api/generated"));
    assert!(run
        .stdout
        .contains("not annotated (GitHub shows 10 per level)"));
    insta::assert_snapshot!("fixture_summary", run.summary);
    snap::settings().bind(|| insta::assert_snapshot!("fixture_outputs", snap::outputs(&run)));

    let sarif_text = std::fs::read_to_string(repo.join("reports/policy.sarif")).unwrap();
    let sarif = assert_valid_sarif(&sarif_text);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        29 + 3,
        "active and waived (suppressed) results"
    );
    let suppressed = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .count();
    assert_eq!(suppressed, 3);
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.starts_with('/') && !uri.contains(".."), "{uri}");
        assert!(r["partialFingerprints"]["releaseActionPolicy/v1"].is_string());
    }
    insta::with_settings!({filters => vec![
        (r#""semanticVersion": "[^"]+""#, r#""semanticVersion": "[version]""#),
    ]}, {
        insta::assert_snapshot!("fixture_sarif", sarif_text);
    });
}

#[test]
fn fingerprints_survive_lines_moving() {
    let fingerprints = |repo_edit: Option<&str>| {
        let (gha, repo) = monorepo();
        if let Some(prefix) = repo_edit {
            let file = repo.join("services/api/src/index.ts");
            let text = std::fs::read_to_string(&file).unwrap();
            std::fs::write(&file, format!("{prefix}{text}")).unwrap();
        }
        let run = gha.arg("--format").arg("sarif").run_at_terminal();
        let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ruleId"] == "no-direct-proto")
            .map(|r| {
                r["partialFingerprints"]["releaseActionPolicy/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect::<std::collections::BTreeSet<_>>()
    };
    let before = fingerprints(None);
    let after = fingerprints(Some("// a new header line\n\n"));
    assert!(before.len() > 3);
    assert_eq!(before, after);
}

#[test]
fn text_and_json_reports_own_stdout_by_hand() {
    let (gha, _repo) = monorepo();
    let run = gha.arg("--format").arg("text").run_at_terminal();
    run.assert_code(1);
    assert!(run.stdout.contains(
        "services/go/main.go:7:6: error[no-direct-proto] imports `github.com/ameideio/ameide/packages/ameide_core_proto/gen/go/v1`"
    ));
    assert!(run.stdout.contains(
        "services/proto/api.proto:6:9: error[no-direct-proto] imports `ameide_core_proto/v1/common.proto`"
    ));
    assert!(run
        .stdout
        .contains("policy-check: 29 violations (13 errors, 15 warnings, 1 notice), 3 waived"));
    assert!(
        !run.stdout.contains("violations="),
        "outputs mixed into the report"
    );

    let (gha, _repo) = monorepo();
    let run = gha.arg("--format").arg("json").run_at_terminal();
    run.assert_code(1);
    let report: Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    assert_eq!(report["counts"]["errors"], 13);
    assert_eq!(report["counts"]["waived"], 3);
    let waived = report["waived"].as_array().unwrap();
    assert!(waived
        .iter()
        .any(|w| w["file"] == "services/api/src/legacy.ts"
            && w["waived"]["kind"] == "policy"
            && w["waived"]["expires"] == "2099-12-31"));
    assert!(waived
        .iter()
        .any(|w| w["file"] == "services/api/src/index.ts" && w["waived"]["kind"] == "inline"));
}

#[test]
fn python_imports_and_expired_waivers() {
    let (gha, _repo) = monorepo();
    let run = gha.arg("--format").arg("json").run_at_terminal();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let at = |file: &str, rule: &str| {
        report["violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["file"] == file && v["rule"] == rule)
            .map(|v| format!("{}:{}", v["line"], v["col"]))
            .collect::<Vec<_>>()
    };
    // The worker's waiver expired, so its violation is back, next to the expiry error.
    assert_eq!(
        at("services/worker/worker/main.py", "no-direct-proto"),
        ["1:12"]
    );
    assert_eq!(at(".github/release-policy.yml", "waiver-expired"), ["64:5"]);
    assert_eq!(at(".github/release-policy.yml", "waiver-unused"), ["68:5"]);
    // Inline: a reasonless allow waives nothing; one above a line with no violation is unused.
    assert_eq!(
        at("services/api/src/index.ts", "inline-waiver-invalid"),
        ["7:67"]
    );
    assert_eq!(at("services/api/src/index.ts", "no-direct-proto").len(), 4);
    assert_eq!(at("services/api/src/legacy.ts", "waiver-unused"), ["2:4"]);
    assert_eq!(at("scripts/build.sh", "inline-waiver-invalid"), ["4:3"]);
    // The `except` glob keeps the Go test file out; the sdk package is outside `from`.
    assert!(at("services/go/main_test.go", "no-direct-proto").is_empty());
    assert!(at("packages/sdk-ts/src/index.ts", "no-direct-proto").is_empty());

    // With today past the live waiver's date too, it expires as well.
    let (gha, _repo) = monorepo();
    let run = gha
        .env("RELEASE_ACTION_TODAY", "2100-01-01")
        .arg("--format")
        .arg("json")
        .run_at_terminal();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let expired = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["rule"] == "waiver-expired")
        .count();
    assert_eq!(expired, 3);
}

#[test]
fn sarif_on_stdout_is_valid_and_carries_rule_help() {
    let (gha, _repo) = monorepo();
    let run = gha.arg("--format").arg("sarif").run_at_terminal();
    run.assert_code(1);
    let sarif = assert_valid_sarif(&run.stdout);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "no-direct-proto",
            "registry-credentials",
            "release-signing",
            "ameide-packages-from-github",
            "no-untrusted-mirrors",
            "no-deprecated-scripts",
            "no-console",
            "waiver-expired",
            "waiver-unused",
            "inline-waiver-invalid"
        ]
    );
    for r in rules {
        assert!(!r["help"]["text"].as_str().unwrap().is_empty());
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
    }
}

const ENV_POLICY: &str = r#"
rules:
  - id: creds
    kind: required-env
    severity: error
    message: Set the registry credentials.
    names: [REG_USER, REG_TOKEN]
  - id: release-only
    kind: required-env
    severity: error
    message: Releases need a signing key.
    names: [SIGNING_KEY]
    modes: [release]
  - id: push-only
    kind: required-env
    severity: warning
    message: Pushes need the cache key.
    names: [CACHE_KEY]
    events: [push]
"#;

#[test]
fn required_env_names_every_missing_variable() {
    let (gha, _repo) = repo_with(ENV_POLICY, &[]);
    let run = gha.env("REG_TOKEN", "   ").run();
    run.assert_code(1);
    assert_eq!(run.out("errors"), "2");
    let errors = run.commands("error");
    assert!(errors
        .iter()
        .any(|e| e.contains(".github/release-policy.yml,line=7,col=13")
            && e.contains("`REG_USER` is not set")));
    assert!(errors
        .iter()
        .any(|e| e.contains("line=7,col=23") && e.contains("`REG_TOKEN` is empty")));
    assert!(!run.stdout.contains("SIGNING_KEY") && !run.stdout.contains("CACHE_KEY"));

    let (gha, _repo) = repo_with(ENV_POLICY, &[]);
    let run = gha
        .env("REG_USER", "u")
        .env("REG_TOKEN", "t")
        .env("GITHUB_EVENT_NAME", "push")
        .input("policy-mode", "release")
        .run();
    run.assert_code(1);
    assert_eq!(run.out("errors"), "1");
    assert_eq!(run.out("warnings"), "1");
    assert!(run.stdout.contains("`SIGNING_KEY` is not set"));
    assert!(run.stdout.contains("`CACHE_KEY` is not set"));

    let (gha, _repo) = repo_with(ENV_POLICY, &[]);
    let run = gha
        .env("REG_USER", "u")
        .env("REG_TOKEN", "t")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("violations"), "0");
    assert!(run.summary.contains("no violations"));
}

const PATTERN_POLICY: &str = r#"
rules:
  - id: no-todo
    kind: forbidden-patterns
    severity: warning
    message: Track work in issues.
    patterns: ['TODO']
    files: ["src/**"]
"#;

#[test]
fn fail_on_decides_the_exit_code() {
    let files = [("src/a.txt", "TODO: one\n")];
    let (gha, _repo) = repo_with(PATTERN_POLICY, &files);
    gha.run().assert_code(0);
    let (gha, _repo) = repo_with(PATTERN_POLICY, &files);
    let run = gha.input("fail-on", "warning").run();
    run.assert_code(1);
    assert_eq!(run.out("warnings"), "1");
    let (gha, _repo) = repo_with(PATTERN_POLICY, &files);
    gha.input("fail-on", "never").run().assert_code(0);
    let (gha, _repo) = repo_with(PATTERN_POLICY, &files);
    let run = gha.input("fail-on", "sometimes").run();
    run.assert_code(2);
    assert!(run.stdout.contains("fail-on"), "{}", run.stdout);
}

#[test]
fn annotations_stay_within_github_limits_and_the_summary_has_all() {
    let policy = PATTERN_POLICY.replace("severity: warning", "severity: error");
    let text: String = (0..25).map(|i| format!("TODO {i}\n")).collect();
    let (gha, _repo) = repo_with(&policy, &[("src/many.txt", &text)]);
    let run = gha.run();
    run.assert_code(1);
    assert_eq!(run.out("errors"), "25");
    assert_eq!(annotated(&run, "error").len(), 9);
    assert_eq!(run.commands("error").len(), 10);
    assert_eq!(run.summary.matches("| `src/many.txt:").count(), 25);
    assert!(run.summary.contains("16 violations appear only below"));
}

#[test]
fn ignore_files_are_honoured_outside_git() {
    let files = [
        (".gitignore", "build/\n"),
        ("src/.ignore", "skip.txt\n"),
        ("src/build/out.txt", "TODO\n"),
        ("src/skip.txt", "TODO\n"),
        ("src/keep.txt", "TODO\n"),
    ];
    let (gha, _repo) = repo_with(PATTERN_POLICY, &files);
    let run = gha.arg("--format").arg("json").run_at_terminal();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let files: Vec<&str> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["src/keep.txt"]);
}

#[test]
fn missing_policy_file_is_a_usage_error() {
    let gha = Gha::new();
    let dir = gha.path().to_path_buf();
    let run = gha.cwd(&dir).input("mode", "policy-check").run();
    run.assert_code(2);
    assert!(
        run.stdout.contains("Policy file not found"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(".github/release-policy.yml"));
    assert!(run.outputs.is_empty());
}

/// Policies the binary must refuse (exit 2) at the given `file:line:col`.
const BAD_POLICIES: &[(&str, &str, &str)] = &[
    ("malformed YAML", "rules:\n  - id: a\n    kind: [\n", "policy.yml:3:11"),
    (
        "unknown key",
        "rules:\n  - id: a\n    kind: forbidden-patterns\n    severity: error\n    message: m\n    patterns: [x]\n    paterns: [y]\n",
        "policy.yml:7:5",
    ),
    (
        "bad severity",
        "rules:\n  - id: a\n    kind: forbidden-patterns\n    severity: fatal\n    message: m\n    patterns: [x]\n",
        "policy.yml:4:15",
    ),
    (
        "bad regex",
        "rules:\n  - id: a\n    kind: forbidden-patterns\n    severity: error\n    message: m\n    patterns:\n      - 'ok'\n      - 'broken('\n",
        "policy.yml:8:10",
    ),
    (
        "bad glob",
        "rules:\n  - id: a\n    kind: forbidden-imports\n    severity: error\n    message: m\n    from: ['src/[a']\n    to: [x]\n",
        "policy.yml:6:13",
    ),
    (
        "key of another kind",
        "rules:\n  - id: a\n    kind: required-env\n    severity: error\n    message: m\n    names: [A]\n    to: [x]\n",
        "policy.yml:7:5",
    ),
    (
        "waiver without reason",
        "rules:\n  - id: a\n    kind: required-env\n    severity: error\n    message: m\n    names: [A]\nwaivers:\n  - rule: a\n    paths: [x]\n    expires: 2030-01-01\n",
        "policy.yml:8:5",
    ),
    (
        "waiver with a bad date",
        "rules:\n  - id: a\n    kind: required-env\n    severity: error\n    message: m\n    names: [A]\nwaivers:\n  - rule: a\n    paths: [x]\n    reason: r\n    expires: 31/01/2030\n",
        "policy.yml:11:14",
    ),
    (
        "waiver for an unknown rule",
        "rules:\n  - id: a\n    kind: required-env\n    severity: error\n    message: m\n    names: [A]\nwaivers:\n  - rule: b\n    paths: [x]\n    reason: r\n    expires: 2030-01-01\n",
        "policy.yml:8:11",
    ),
    (
        "reserved rule id",
        "rules:\n  - id: waiver-unused\n    kind: required-env\n    severity: error\n    message: m\n    names: [A]\n",
        "policy.yml:2:9",
    ),
];

#[test]
fn bad_policies_exit_2_naming_file_line_and_column() {
    for (name, policy, at) in BAD_POLICIES {
        let gha = Gha::new();
        std::fs::write(gha.path().join("policy.yml"), policy).unwrap();
        let dir = gha.path().to_path_buf();
        let run = gha
            .cwd(&dir)
            .input("mode", "policy-check")
            .input("policy", "policy.yml")
            .run();
        assert_eq!(run.code, 2, "{name}: {}", run.describe());
        let (file, rest) = at.split_once(':').unwrap();
        let (line, col) = rest.split_once(':').unwrap();
        let annotation = format!("::error file={file},line={line},col={col},");
        assert!(
            run.stdout.contains(&annotation) && run.stdout.contains(at),
            "{name}: expected {at}\n{}",
            run.stdout
        );
        assert!(
            run.outputs.is_empty(),
            "{name}: outputs after a usage error"
        );
    }
}

fn policy_json(yaml: &str) -> Value {
    yaml_serde::from_str(yaml).expect("policy YAML parses")
}

#[test]
fn policy_schema_accepts_what_the_binary_accepts() {
    let validator =
        schema(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/release-policy.schema.json"));
    let fixture =
        std::fs::read_to_string(Path::new(FIXTURE).join("monorepo/.github/release-policy.yml"))
            .unwrap();
    let valid = [fixture.as_str(), ENV_POLICY, PATTERN_POLICY];
    for policy in valid {
        let errors: Vec<String> = validator
            .iter_errors(&policy_json(policy))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{policy}");
    }
    // Every YAML-valid policy the binary refuses, the schema refuses too.
    for (name, policy, _) in BAD_POLICIES.iter().filter(|(n, ..)| *n != "malformed YAML") {
        if matches!(
            *name,
            "bad regex" | "bad glob" | "waiver for an unknown rule"
        ) {
            continue; // Not expressible in JSON Schema; the binary's errors cover them.
        }
        assert!(
            !validator.is_valid(&policy_json(policy)),
            "schema accepts {name}"
        );
    }
}

#[test]
fn a_clean_repository_passes() {
    let (gha, repo) = repo_with(PATTERN_POLICY, &[("src/a.txt", "done\n")]);
    // The harness owns the temp dir: keep it alive to read the SARIF file.
    let gha = gha.input("sarif", "out.sarif");
    let run = gha.run();
    run.assert_code(0);
    assert_eq!(run.out("violations"), "0");
    assert_eq!(run.out("errors"), "0");
    assert!(run.commands("error").is_empty() && run.commands("warning").is_empty());
    let sarif = std::fs::read_to_string(repo.join("out.sarif")).unwrap();
    let sarif = assert_valid_sarif(&sarif);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 0);
    snap::settings().bind(|| insta::assert_snapshot!("clean_repository_seen", snap::seen(&run)));
}

#[test]
fn imports_in_comments_and_strings_are_not_violations() {
    let policy = r#"
rules:
  - id: no-proto
    kind: forbidden-imports
    severity: error
    message: Use the SDK.
    from: ["src/**"]
    to: [proto]
"#;
    let files = [
        (
            "src/a.ts",
            "/* import x from 'proto';\n */\nconst s = \"require('proto')\";\nimport { y } from 'proto/y';\n",
        ),
        (
            "src/b.py",
            "\"\"\"Usage:\n\nimport proto\n\"\"\"\nfrom proto import (\n    a,\n)\n",
        ),
    ];
    let (gha, _repo) = repo_with(policy, &files);
    let run = gha.run();
    run.assert_code(1);
    assert_eq!(annotated(&run, "error"), ["src/a.ts:4:20", "src/b.py:5:6"]);
}
