//! What people read: an exit-2 failure titled ❌ like exit 1, and plain-text errors at a terminal
//! (no `::error` lines, no `%0A`). Pinned with insta snapshots.

use crate::support::harness::*;

/// A usage error (exit 2) every mode reaches before anything runs: a malformed `base-version`.
fn bad_base_version() -> Gha {
    Gha::new()
        .input("mode", "version-guard")
        .input("base-version", "one.two")
}

#[test]
fn an_exit_2_failure_is_titled_like_exit_1() {
    let run = bad_base_version().run();
    run.assert_code(2);
    assert!(
        run.summary.starts_with("## ❌ version-guard: "),
        "{}",
        run.summary
    );
    assert!(!run.summary.contains("⚠️"), "{}", run.summary);
    insta::assert_snapshot!("usage_failure_summary", run.summary);
}

#[test]
fn at_a_terminal_errors_are_plain_text() {
    let run = bad_base_version().run_at_terminal();
    run.assert_code(2);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains("::error"), "{all}");
    assert!(!all.contains("%0A"), "{all}");
    assert!(all.contains("Fix: "), "{all}");
    insta::assert_snapshot!("terminal_usage_error", run.stderr);
}
