//! Trust boundaries (issue 16, items 1–5, 8, 12, 13, 16, 17, 18): content a pull request, a
//! package or a registry controls can neither slip past a check, nor make the binary read or
//! write outside the workspace, nor speak to the runner in the binary's name. Each test performs
//! the attack against the built binary and asserts the safe outcome.

use crate::support::harness::*;

use std::path::PathBuf;

/// A policy that forbids one host in `.npmrc` files and one pattern in JavaScript.
const POLICY: &str = r#"version: 1
rules:
  - id: no-evil-registry
    kind: forbidden-hosts
    severity: error
    message: Only the company registry.
    hosts: ["evil.example.com"]
  - id: no-eval
    kind: forbidden-patterns
    severity: error
    message: No eval.
    patterns: ['\beval\(']
    files: ["**/*.js", "*.js"]
"#;

/// A git repository (committed) with the policy above and `files`; the harness runs policy-check
/// in it.
fn policy_repo(files: &[(&str, &[u8])]) -> (Gha, PathBuf) {
    let gha = Gha::new();
    let repo = gha.path().join("repo");
    std::fs::create_dir_all(repo.join(".github")).unwrap();
    std::fs::write(repo.join(".github/release-policy.yml"), POLICY).unwrap();
    for (path, bytes) in files {
        let path = repo.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    git(&repo, &["init", "-q", "-b", "main"]);
    commit_all_at(&repo, 1_704_164_645, "base");
    let gha = gha
        .cwd(&repo)
        .input("mode", "policy-check")
        .env("GITHUB_WORKSPACE", repo.to_str().unwrap());
    (gha, repo)
}

fn violations(run: &Run) -> usize {
    run.out("violations").parse().unwrap()
}

// ---- 1. invalid UTF-8 ----------------------------------------------------------------------

#[test]
fn invalid_utf8_in_a_comment_does_not_hide_a_violation() {
    // One byte that is not UTF-8 in a comment: node runs the file all the same.
    let (gha, _repo) = policy_repo(&[("src/index.js", b"// caf\xe9\nconst x = eval(\"1+1\");\n")]);
    let run = gha.run();
    run.assert_code(1);
    assert_eq!(violations(&run), 1, "{}", run.describe());
    assert!(
        run.stdout.contains("file=src/index.js,line=2"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_file_with_nul_bytes_is_binary_and_skipped() {
    // The content decides: a NUL byte makes a file binary (as git decides), not its encoding.
    let (gha, _repo) = policy_repo(&[("assets/blob.bin", b"\0\x01eval(x)\0")]);
    std::fs::write(
        gha.path().join("repo/.github/release-policy.yml"),
        POLICY.replace(r#"files: ["**/*.js", "*.js"]"#, r#"files: ["**"]"#),
    )
    .unwrap();
    let run = gha.run();
    run.assert_code(0);
    assert_eq!(violations(&run), 0, "{}", run.describe());
}

// ---- 2. symlinks ---------------------------------------------------------------------------

#[test]
fn a_symlinked_npmrc_inside_the_repository_is_scanned_as_its_target() {
    let (gha, repo) = policy_repo(&[(
        "config/npmrc",
        b"@acme:registry=https://evil.example.com/\n",
    )]);
    std::os::unix::fs::symlink("config/npmrc", repo.join(".npmrc")).unwrap();
    commit_all_at(&repo, 1_704_168_245, "link");
    let run = gha.run();
    run.assert_code(1);
    assert!(
        run.stdout.contains("file=.npmrc,line=1"),
        "the link was not read as its target\n{}",
        run.describe()
    );
}

#[test]
fn a_symlink_that_leaves_the_repository_is_a_finding() {
    let (gha, repo) = policy_repo(&[]);
    let outside = gha.path().join("outside-npmrc");
    std::fs::write(&outside, "registry=https://evil.example.com/\n").unwrap();
    std::os::unix::fs::symlink(&outside, repo.join(".npmrc")).unwrap();
    commit_all_at(&repo, 1_704_168_245, "link");
    let run = gha.run();
    // A warning by default: the step passes with `fail-on: error`, but not silently.
    run.assert_code(0);
    assert_eq!(run.out("warnings"), "1", "{}", run.describe());
    let warning = run
        .commands("warning")
        .into_iter()
        .find(|c| c.contains("symlink-not-scanned"))
        .unwrap_or_else(|| panic!("no symlink finding\n{}", run.describe()));
    assert!(warning.contains("file=.npmrc"), "{warning}");
    // The content outside was never read, so never echoed.
    assert!(
        !run.stdout.contains("evil.example.com/"),
        "{}",
        run.describe()
    );
    let failed = gha.input("fail-on", "warning").run();
    failed.assert_code(1);
}

// ---- 3. ignore files -----------------------------------------------------------------------

#[test]
fn dot_ignore_and_gitignore_cannot_hide_tracked_files() {
    let (gha, repo) = policy_repo(&[("src/a.js", b"eval(a)\n"), ("lib/b.js", b"eval(b)\n")]);
    // The pull request adds ignore files for files git still tracks.
    std::fs::write(repo.join(".ignore"), "src/\n").unwrap();
    std::fs::write(repo.join(".gitignore"), "lib/\nbuild/\n").unwrap();
    commit_all_at(&repo, 1_704_168_245, "hide");
    // An untracked, ignored file stays skipped.
    std::fs::create_dir_all(repo.join("build")).unwrap();
    std::fs::write(repo.join("build/out.js"), "eval(c)\n").unwrap();
    let run = gha.run();
    run.assert_code(1);
    assert_eq!(violations(&run), 2, "{}", run.describe());
    assert!(run.stdout.contains("file=src/a.js"));
    assert!(run.stdout.contains("file=lib/b.js"));
    assert!(!run.stdout.contains("file=build/out.js"));
}

// ---- 5. bounded memory ---------------------------------------------------------------------

#[test]
fn a_file_over_the_cap_is_a_finding_not_a_whole_read() {
    let (gha, repo) = policy_repo(&[]);
    // 17 MiB of JavaScript, sparse on disk, with the violation at the end.
    let big = repo.join("big.js");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(17 * 1024 * 1024).unwrap();
    drop(file);
    let mut bytes = std::fs::read(&big).unwrap();
    bytes.iter_mut().for_each(|b| *b = b' ');
    bytes.extend_from_slice(b"\neval(x)\n");
    std::fs::write(&big, bytes).unwrap();
    let run = gha.run();
    run.assert_code(1);
    let error = run
        .commands("error")
        .into_iter()
        .find(|c| c.contains("file-too-large"))
        .unwrap_or_else(|| panic!("no finding for the big file\n{}", run.describe()));
    assert!(error.contains("file=big.js"), "{error}");
    assert!(error.contains("16 MiB"), "{error}");
}

// ---- 4. the policy itself ------------------------------------------------------------------

#[test]
fn a_pull_request_cannot_weaken_the_policy_read_from_policy_ref() {
    let (gha, repo) = policy_repo(&[]);
    let base = git(&repo, &["rev-parse", "HEAD"]);
    // The pull request empties the policy and adds what it forbade.
    for weakened in ["version: 1\nrules: []\n", "{}\n", ""] {
        std::fs::write(repo.join(".github/release-policy.yml"), weakened).unwrap();
        std::fs::write(repo.join("index.js"), "eval(payload)\n").unwrap();
        let run = Gha::new()
            .cwd(&repo)
            .input("mode", "policy-check")
            .input("policy-ref", &base)
            .run();
        run.assert_code(1);
        assert!(run.stdout.contains("file=index.js"), "{}", run.describe());
    }
    // Without policy-ref, zero rules is at least a warning annotation.
    let run = gha.run();
    run.assert_code(0);
    assert!(
        run.commands("warning")
            .iter()
            .any(|w| w.contains("has no rules") && w.contains("policy-ref")),
        "{}",
        run.describe()
    );
    // A ref that is an option, or no commit, is a usage error naming the input.
    for bad in ["--output=/tmp/x", "no-such-branch"] {
        let run = Gha::new()
            .cwd(&repo)
            .input("mode", "policy-check")
            .input("policy-ref", bad)
            .run();
        run.assert_code(2);
        assert!(run.stdout.contains("policy-ref"), "{}", run.describe());
    }
}
