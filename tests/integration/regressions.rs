//! Bugs the robustness work found (property tests and fuzzing), each pinned by the run that
//! showed it.

use crate::support::harness;

use harness::{Gha, Repo};

fn guard(repo: &Repo, git_ref: &str) -> Gha {
    Gha::new()
        .input("mode", "version-guard")
        .env("GITHUB_REF", git_ref)
        .cwd(repo.path())
}

/// A tag whose patch is u64::MAX: the next patch (the default base) and the Go pseudo-version
/// both added one to it, which panicked in debug builds and wrapped to 0 in release builds (a
/// base *below* the latest release).
#[test]
fn latest_tag_at_the_largest_patch_is_a_usage_error_not_a_panic() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.2.18446744073709551615");
    repo.commit("two");
    let run = guard(&repo, "refs/heads/main").run();
    run.assert_code(2);
    assert!(!run.stdout.contains("panicked"), "{}", run.describe());
    assert!(!run.stdout.contains("a bug"), "{}", run.describe());
    let error = &run.commands("error")[0];
    assert!(error.contains("1.2.18446744073709551615"), "{error}");
    assert!(error.contains("base-version"), "{error}");
}

/// With an explicit base, the Go pseudo-version after that tag still needs patch + 1: Go itself
/// computes it in decimal without a limit, and so does the action now.
#[test]
fn go_pseudo_version_after_the_largest_patch_matches_the_go_command() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.2.18446744073709551615");
    let sha = repo.commit("two");
    let run = guard(&repo, "refs/heads/main")
        .input("base-version", "1.3.0")
        .run();
    run.assert_code(0);
    let go = run.out("go-version");
    assert!(
        go.starts_with("v1.2.18446744073709551616-0.") && go.ends_with(&sha[..12]),
        "{go}"
    );
}

/// A base above node-semver's Number.MAX_SAFE_INTEGER made npm versions npm refuses.
#[test]
fn base_version_above_npm_limit_is_refused() {
    let mut repo = Repo::new();
    repo.commit("one");
    let run = guard(&repo, "refs/heads/main")
        .input("base-version", "9007199254740992.0.0")
        .run();
    run.assert_code(2);
    let error = &run.commands("error")[0];
    assert!(error.contains("9007199254740992.0.0"), "{error}");
    assert!(error.contains("9007199254740991"), "{error}");
    let ok = guard(&repo, "refs/heads/main")
        .input("base-version", "9007199254740991.0.0")
        .run();
    ok.assert_code(0);
    assert!(ok
        .out("npm-version")
        .starts_with("9007199254740991.0.0-dev."));
}
