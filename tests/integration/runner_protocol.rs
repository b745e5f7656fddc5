//! The runner protocol, end to end through the real binary: outputs, masks, annotations, exit codes.

use crate::support::harness::*;

#[test]
fn no_mode_is_a_usage_error_with_an_annotation_and_summary() {
    let run = Gha::new().run();
    run.assert_code(2);
    assert_eq!(run.commands("error").len(), 1, "{}", run.describe());
    assert!(run.summary.contains("No mode given"), "{}", run.summary);
    assert!(run.outputs.is_empty());
}

#[test]
fn invalid_boolean_input_names_the_input_and_variable() {
    let run = Gha::new()
        .input("mode", "version-guard")
        .input("expect-release", "yes")
        .run();
    run.assert_code(2);
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1, "{}", run.describe());
    assert!(
        errors[0].contains("input `expect-release` (from INPUT_EXPECT-RELEASE)"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("is not a boolean"), "{}", errors[0]);
    assert!(!errors[0].contains("For more information"), "{}", errors[0]);
    assert!(
        run.summary.contains("version-guard: Invalid input"),
        "{}",
        run.summary
    );
    // A usage error writes no outputs.
    assert!(run.outputs.is_empty());
}

#[test]
fn underscore_spelling_of_an_input_is_accepted_and_a_flag_beats_the_environment() {
    let mut repo = Repo::new();
    repo.commit("first");
    let run = Gha::new()
        .env("INPUT_EXPECT_RELEASE", "maybe")
        .args(&[
            "version-guard",
            "--expect-release",
            "false",
            "--base-version",
            "0.3.0",
        ])
        .env("GITHUB_REF", "refs/heads/main")
        .cwd(repo.path())
        .run();
    // The flag wins over the (invalid) environment value.
    run.assert_code(0);
    assert_eq!(run.out("channel"), "main");
    let run = Gha::new()
        .input("mode", "version-guard")
        .env("INPUT_EXPECT_RELEASE", "maybe")
        .run();
    run.assert_code(2);
    assert!(
        run.stdout.contains("(from INPUT_EXPECT_RELEASE)"),
        "{}",
        run.stdout
    );
}

#[test]
fn secrets_are_masked_before_anything_else_is_printed() {
    let run = Gha::new()
        .input("mode", "version-guard")
        .input("token", "ghp_secret123\nsecond-line")
        .env("NODE_AUTH_TOKEN", "npm_tok")
        .run();
    let first_lines: Vec<&str> = run.stdout.lines().take(4).collect();
    assert!(
        first_lines.iter().all(|l| l.starts_with("::add-mask::")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("::add-mask::ghp_secret123\n"));
    assert!(run.stdout.contains("::add-mask::second-line\n"));
    assert!(run.stdout.contains("::add-mask::npm_tok\n"));
    // Nowhere else.
    let rest: String = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect();
    assert!(!rest.contains("ghp_secret123"));
    assert!(!run.summary.contains("ghp_secret123"));
}

#[test]
fn no_masks_at_a_terminal() {
    let run = Gha::new()
        .input("mode", "version-guard")
        .input("token", "ghp_secret123")
        .run_at_terminal();
    assert!(!run.stdout.contains("ghp_secret123"));
    assert!(!run.stderr.contains("ghp_secret123"));
}

#[test]
fn help_lists_every_mode_and_input() {
    let run = Gha::new().arg("--help").run_at_terminal();
    run.assert_code(0);
    for mode in [
        "version-guard",
        "channel-tags",
        "smoke-install",
        "policy-check",
    ] {
        assert!(run.stdout.contains(mode), "{mode} missing from --help");
    }
}
