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

// ---- 12. workflow-command injection --------------------------------------------------------

/// Lines as the runner splits them: on LF, on CRLF and on a bare CR.
fn runner_lines(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .split(['\n', '\r'])
        .map(|l| l.trim_start().to_string())
        .collect()
}

#[test]
fn file_names_in_a_text_report_cannot_start_workflow_commands() {
    let (gha, _repo) = policy_repo(&[
        ("::add-mask::leak.js", b"eval(a)\n"),
        ("x\r::stop-commands::tok.js", b"eval(b)\n"),
        ("##[warning]old.js", b"eval(c)\n"),
    ]);
    let run = gha.input("policy-format", "text").run();
    run.assert_code(1);
    // The report is there…
    assert!(
        run.stdout.contains("add-mask::leak.js:1:1"),
        "{}",
        run.describe()
    );
    // …but no line of it is a command.
    for line in runner_lines(&run.stdout) {
        assert!(
            !line.starts_with("::add-mask")
                && !line.starts_with("::stop-commands")
                && !line.starts_with("##["),
            "injected command line {line:?}\n{}",
            run.describe()
        );
    }
}

// ---- 13. step summary ----------------------------------------------------------------------

/// Whether markdown would render HTML: a tag outside a code span.
fn renders_html(markdown: &str) -> Option<String> {
    let spans = regex::Regex::new(r"`[^`\n]*`").unwrap();
    markdown
        .lines()
        .map(|l| spans.replace_all(l, "").into_owned())
        .find(|l| {
            l.contains("<img") || l.contains("<a ") || l.replace("\\]", "").contains("](http")
        })
}

#[test]
fn untrusted_text_in_the_step_summary_cannot_render_html_or_links() {
    let (gha, _repo) = policy_repo(&[
        ("<img src=x onerror=alert(1)>.js", b"eval(1)\n"),
        (
            "src/a.js",
            b"eval(`<img src=https://evil.example/p.png>`)\n",
        ),
        ("src/b.js", b"eval(1) // [click](https://evil.example/)\n"),
    ]);
    std::fs::write(
        gha.path().join("repo/.github/release-policy.yml"),
        POLICY.replace(r"'\beval\('", r"'\beval\(.*'").replace(
            "No eval.",
            "No eval. <a href=https://evil.example/>docs</a>",
        ),
    )
    .unwrap();
    let run = gha.run();
    run.assert_code(1);
    assert!(run.summary.contains("src/a.js"), "{}", run.describe());
    if let Some(line) = renders_html(&run.summary) {
        panic!(
            "summary renders untrusted HTML or a link: {line}\n{}",
            run.summary
        );
    }
}

// ---- 8. path inputs stay in the workspace --------------------------------------------------

/// A file outside the workspace that must never be read or written.
fn foreign_file(gha: &Gha) -> PathBuf {
    let path = gha.path().join("credentials");
    std::fs::write(
        &path,
        "aws_secret_access_key=hunter2-do-not-print\nsecond line\n",
    )
    .unwrap();
    path
}

#[track_caller]
fn assert_refused(run: &Run, input: &str) {
    run.assert_code(2);
    assert!(
        run.stdout.contains("outside the workspace") && run.stdout.contains(input),
        "{}",
        run.describe()
    );
    let everything = format!("{}{}{}", run.stdout, run.stderr, run.summary);
    assert!(
        !everything.contains("hunter2"),
        "foreign file echoed\n{}",
        run.describe()
    );
}

#[test]
fn a_symlinked_version_file_cannot_read_outside_the_workspace() {
    let mut repo = Repo::new();
    repo.commit("base");
    let gha = Gha::new();
    let secret = foreign_file(&gha);
    std::os::unix::fs::symlink(&secret, repo.path().join("VERSION")).unwrap();
    let gha = gha
        .cwd(repo.path())
        .env("GITHUB_WORKSPACE", repo.path().to_str().unwrap())
        .input("mode", "version-guard")
        .input("version-file", "VERSION");
    assert_refused(&gha.run(), "version-file");
    let run = gha.input("version-file", "../credentials").run();
    assert_refused(&run, "version-file");
}

#[test]
fn a_symlinked_policy_cannot_read_outside_the_workspace() {
    let (gha, repo) = policy_repo(&[]);
    let secret = foreign_file(&gha);
    std::fs::remove_file(repo.join(".github/release-policy.yml")).unwrap();
    std::os::unix::fs::symlink(&secret, repo.join(".github/release-policy.yml")).unwrap();
    assert_refused(&gha.run(), "policy");
}

#[test]
fn outputs_are_never_written_through_a_symlink_or_outside() {
    let (gha, repo) = policy_repo(&[]);
    let secret = foreign_file(&gha);
    let before = std::fs::read(&secret).unwrap();
    std::os::unix::fs::symlink(&secret, repo.join("policy.sarif")).unwrap();
    let gha = gha.input("sarif", "policy.sarif");
    let run = gha.run();
    run.assert_code(2);
    assert!(run.stdout.contains("symlink"), "{}", run.describe());
    assert_eq!(
        std::fs::read(&secret).unwrap(),
        before,
        "written through the link"
    );
    // Nor a directory link, nor `..`.
    let outside_dir = gha.path().join("outside-dir");
    std::fs::create_dir_all(&outside_dir).unwrap();
    std::os::unix::fs::symlink(&outside_dir, repo.join("reports")).unwrap();
    for sarif in ["reports/policy.sarif", "../outside.sarif"] {
        let run = Gha::new()
            .cwd(&repo)
            .env("GITHUB_WORKSPACE", repo.to_str().unwrap())
            .input("mode", "policy-check")
            .input("sarif", sarif)
            .run();
        assert_refused(&run, "sarif");
    }
    assert_eq!(std::fs::read_dir(&outside_dir).unwrap().count(), 0);
    assert!(!gha.path().join("outside.sarif").exists());

    // version-guard's manifest-dir through a committed directory link.
    let mut vg = Repo::new();
    vg.commit("base");
    std::os::unix::fs::symlink(&outside_dir, vg.path().join("manifest")).unwrap();
    let run = Gha::new()
        .cwd(vg.path())
        .env("GITHUB_WORKSPACE", vg.path().to_str().unwrap())
        .input("mode", "version-guard")
        .input("base-version", "1.2.3")
        .input("manifest-dir", "manifest")
        .run();
    assert_refused(&run, "manifest-dir");
    assert_eq!(std::fs::read_dir(&outside_dir).unwrap().count(), 0);
}

/// A built package committed as a symlink (or named by an absolute path) that leads out of the
/// workspace and RUNNER_TEMP is refused by smoke-install and publish-check before anything reads
/// it: publish-check's `to-publish` would otherwise hand some file of the runner to `npm publish`.
/// A package built in RUNNER_TEMP, where workflows often build, is accepted.
#[test]
fn a_package_that_leads_out_of_the_workspace_is_refused_by_smoke_install_and_publish_check() {
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join("app-1.0.0.tgz");
    crate::ecosystem::npm::npm_tarball(
        elsewhere.path(),
        "app-1.0.0.tgz",
        &[
            (
                "package.json",
                r#"{"name": "app", "version": "1.0.0", "main": "index.js"}"#,
            ),
            ("index.js", "exports.ok = 'hunter2';\n"),
        ],
    );
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("dist")).unwrap();
    std::os::unix::fs::symlink(&outside, work.path().join("dist/app-1.0.0.tgz")).unwrap();
    let outside_str = outside.to_str().unwrap();
    for mode in ["smoke-install", "publish-check"] {
        for packages in ["dist/app-1.0.0.tgz", "dist/*.tgz", outside_str] {
            let mut gha = Gha::new()
                .cwd(work.path())
                .env("GITHUB_WORKSPACE", work.path().to_str().unwrap())
                .input("mode", mode)
                .input("packages", packages);
            if mode == "smoke-install" {
                gha = gha.input("expected-version", "1.0.0");
            } else {
                gha = gha.input("npm-registry", "http://127.0.0.1:9/");
            }
            let run = gha.run();
            assert_refused(&run, "packages");
            assert!(
                !run.stdout.contains("npm-install") && !run.stdout.contains("127.0.0.1:9"),
                "{mode} {packages}: went on after the refusal\n{}",
                run.describe()
            );
        }
    }
    // The same tarball built in RUNNER_TEMP is a package like any other.
    let gha = Gha::new();
    let built = gha.path().join("app-1.0.0.tgz");
    std::fs::copy(&outside, &built).unwrap();
    let run = gha
        .cwd(work.path())
        .env("GITHUB_WORKSPACE", work.path().to_str().unwrap())
        .input("mode", "smoke-install")
        .input("expected-version", "1.0.0")
        .input("package-manager", "npm")
        .input("packages", built.to_str().unwrap())
        .run();
    run.assert_code(0);
}

// ---- 17. labels are single-line ------------------------------------------------------------

#[test]
fn a_newline_in_the_repository_description_cannot_add_a_label() {
    let mut repo = Repo::new();
    repo.commit("first");
    let gha = Gha::new();
    let event = gha.path().join("event.json");
    let payload = serde_json::json!({
        "repository": {"description": "The app\norg.opencontainers.image.vendor=evil\r\nx=y"}
    });
    std::fs::write(&event, payload.to_string()).unwrap();
    let run = gha
        .cwd(repo.path())
        .input("mode", "channel-tags")
        .input("images", "ghcr.io/org/app")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_REPOSITORY", "org/app")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", event.to_str().unwrap())
        .run();
    run.assert_code(0);
    let labels = run.out("labels");
    assert!(
        labels
            .lines()
            .all(|l| !l.starts_with("org.opencontainers.image.vendor") && !l.starts_with("x=")),
        "{labels}"
    );
    assert!(
        labels.contains(
            "org.opencontainers.image.description=The app org.opencontainers.image.vendor=evil x=y"
        ),
        "{labels}"
    );
}

// ---- 18. METADATA over the cap -------------------------------------------------------------

#[test]
fn a_wheel_metadata_over_the_cap_is_an_error_not_cut_and_parsed() {
    let gha = Gha::new();
    // 17 MiB of METADATA (it compresses to almost nothing), Name and Version at the top.
    let padding = format!("pad ; extra == \"{}\"", "x".repeat(17 * 1024 * 1024));
    let wheel = crate::support::packages::wheel(
        gha.path(),
        "capped",
        "1.0.0",
        &[("capped/__init__.py", "")],
        &[&padding],
    );
    let run = gha
        .input("mode", "smoke-install")
        .input("packages", wheel.to_str().unwrap())
        .input("expected-version", "1.0.0")
        .run();
    assert_ne!(run.code, 0, "{}", run.describe());
    assert!(
        run.stdout.contains("METADATA") && run.stdout.contains("more than"),
        "{}",
        run.describe()
    );
}

// ---- 16. inputs nobody reads ---------------------------------------------------------------

#[test]
fn inputs_of_another_mode_and_misspelled_inputs_are_reported() {
    let mut repo = Repo::new();
    repo.commit("first");
    let run = Gha::new()
        .cwd(repo.path())
        .input("mode", "channel-tags")
        .input("images", "ghcr.io/org/app")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_REPOSITORY", "org/app")
        // version-guard's, with a value that is not its default: the user meant it.
        .input("expect-release", "true")
        // A typo of version-guard's tag-prefix.
        .input("tag-prfix", "sdk-v")
        // action.yml passes every input's default to every mode: not worth a warning.
        .input("policy", ".github/release-policy.yml")
        .input("fail-on", "error")
        .run();
    run.assert_code(0);
    let warnings = run.commands("warning");
    assert!(
        warnings.iter().any(|w| w
            .contains("input `expect-release` (INPUT_EXPECT-RELEASE) is not read by channel-tags")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("INPUT_TAG-PRFIX is not an input")
                && w.contains("Did you mean `tag-prefix`?")),
        "{warnings:#?}"
    );
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
}

#[test]
fn retries_and_timeout_have_upper_bounds() {
    for (input, value) in [("retries", "11"), ("timeout", "601"), ("timeout", "0")] {
        let run = Gha::new()
            .input("mode", "smoke-install")
            .input("packages", "npm:left-pad@1.3.0")
            .input(input, value)
            .run();
        run.assert_code(2);
        assert!(
            run.stdout.contains(&format!("input `{input}`")),
            "{}",
            run.describe()
        );
    }
}
