//! policy-check inside a git checkout scans exactly the files git lists with
//! `git ls-files --cached --others --exclude-standard` (tracked files, whatever the ignore files
//! say, plus untracked files git does not ignore), however the binary lists them. Every file in
//! the checkout below holds the forbidden word, so the set of files with a finding is the set of
//! files scanned; the test compares it with git's own listing, run by the test with the same
//! environment, over each kind of file git treats specially.

use crate::support::harness::*;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Every file holding `MARK` is a finding, whatever its name.
const POLICY: &str = r#"rules:
  - id: mark
    kind: forbidden-patterns
    severity: error
    message: No marks.
    patterns: ['MARK']
    files: ["**"]
"#;

const ROOT_GITIGNORE: &str = "# MARK
*.log
!important.log
build/
/top-only.txt
docs/**/gen/
\\#hash.txt
*.tmp
out/
!keep.gen
!keep.info
";

/// Writes `path` (creating its directory) with the forbidden word in it.
fn mark(repo: &Path, path: &str) {
    let path = repo.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, "MARK\n").unwrap();
}

fn symlink(target: impl AsRef<Path>, link: &Path) {
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// The checkout: tracked, untracked, ignored and tracked-but-ignored files, ignore files at
/// every level git reads (nested `.gitignore`, `.git/info/exclude`, the global excludes file
/// written by the caller), ignore files git does not read (`.ignore`, `.rgignore`, a symlinked
/// `.gitignore`), a nested repository, a directory holding tracked files and a `.git`, a
/// submodule's gitlink, a linked worktree inside the checkout, an invalid `.git`, symlinks in
/// and out, a deleted tracked file and a tracked file replaced by a directory.
fn checkout(gha: &Gha) -> PathBuf {
    let repo = gha.path().join("repo");
    std::fs::create_dir_all(repo.join(".github")).unwrap();
    std::fs::write(repo.join(".github/release-policy.yml"), POLICY).unwrap();
    std::fs::write(repo.join(".gitignore"), ROOT_GITIGNORE).unwrap();
    for path in [
        "src/a.js",
        "src/deep/c.py",
        "sub1/top-only.txt",
        "gone.js",
        "typechange",
        "src/.github/release-policy.yml",
    ] {
        mark(&repo, path);
    }
    std::fs::write(repo.join("src/.github/release-policy.yml"), POLICY).unwrap();
    // Files git does not read as ignore files: they hide nothing.
    std::fs::write(repo.join(".ignore"), "# MARK\nsrc/\n").unwrap();
    std::fs::write(repo.join(".rgignore"), "# MARK\nsrc/\n").unwrap();
    std::fs::write(repo.join("ignore-all"), "# MARK\n*\n").unwrap();
    symlink("src/a.js", &repo.join("link-in.js"));
    symlink("src", &repo.join("link-dir"));
    git(&repo, &["init", "-q", "-b", "main"]);
    commit_all_at(&repo, 1_704_164_645, "base");
    // Tracked although ignored: still tracked files.
    mark(&repo, "logs/keep.log");
    mark(&repo, "build/tracked.js");
    mark(&repo, "pkg/tracked.tmp");
    git(
        &repo,
        &[
            "add",
            "-f",
            "logs/keep.log",
            "build/tracked.js",
            "pkg/tracked.tmp",
        ],
    );
    commit_all_at(&repo, 1_704_168_245, "forced");
    untracked(gha, &repo);
    special_entries(&repo);
    repo
}

/// Untracked files, ignored by each kind of rule or not.
fn untracked(gha: &Gha, repo: &Path) {
    for path in [
        "src/b.js",
        "src/with space.js",
        "src/ünï.js",
        "app.log",
        "important.log",
        "src/deep/debug.log",
        "build/out.js",
        "top-only.txt",
        "docs/a/b/gen/x.md",
        "docs/gen/y.md",
        "docs/generated.md",
        "#hash.txt",
        "pkg/x.tmp",
        "pkg/keep.tmp",
        "out/x.js",
        "global-ignored.txt",
        "thing.gen",
        "keep.gen",
        "info-excluded.txt",
        "thing.info",
        "keep.info",
        "sym/s.js",
    ] {
        mark(repo, path);
    }
    // A nested .gitignore re-includes what the root's ignores; one under an ignored directory
    // cannot.
    std::fs::write(repo.join("pkg/.gitignore"), "# MARK\n!keep.tmp\n").unwrap();
    std::fs::write(repo.join("out/.gitignore"), "# MARK\n!x.js\n").unwrap();
    std::fs::write(
        repo.join(".git/info/exclude"),
        "info-excluded.txt\n*.info\n",
    )
    .unwrap();
    // git does not follow a symlinked .gitignore in the work tree.
    symlink("../ignore-all", &repo.join("sym/.gitignore"));
    let outside = gha.path().join("outside.txt");
    std::fs::write(&outside, "MARK\n").unwrap();
    symlink(&outside, &repo.join("link-out"));
    symlink("nowhere", &repo.join("link-dangling"));
    // Deleted from the work tree, and a tracked file that became a directory.
    std::fs::remove_file(repo.join("gone.js")).unwrap();
    std::fs::remove_file(repo.join("typechange")).unwrap();
    mark(repo, "typechange/t.js");
}

/// Repositories inside the checkout, a gitlink, and a `.git` that is not a repository.
fn special_entries(repo: &Path) {
    // An untracked nested repository: git lists the directory, never its files.
    mark(repo, "nested/n.js");
    git(&repo.join("nested"), &["init", "-q", "-b", "main"]);
    // A directory with its own `.git` whose files the outer index tracks: git walks it as any
    // other directory, with the outer ignore rules.
    mark(repo, "vendor/lib/x.js");
    mark(repo, "vendor/lib/y.js");
    mark(repo, "vendor/lib/z.log");
    git(&repo.join("vendor/lib"), &["init", "-q", "-b", "main"]);
    let blob = git(repo, &["hash-object", "-w", "vendor/lib/x.js"]);
    let entry = format!("100644,{},vendor/lib/x.js", blob.trim());
    git(repo, &["update-index", "--add", "--cacheinfo", &entry]);
    // A submodule's gitlink, its directory holding files of its own.
    let head = git(repo, &["rev-parse", "HEAD"]);
    let entry = format!("160000,{},sub", head.trim());
    git(repo, &["update-index", "--add", "--cacheinfo", &entry]);
    mark(repo, "sub/s.js");
    // A linked worktree inside the checkout (its `.git` is a file).
    git(repo, &["worktree", "add", "-q", "--detach", "inner-wt"]);
    // A `.git` that is not a repository: git lists the files around it.
    std::fs::create_dir_all(repo.join("notrepo/.git")).unwrap();
    mark(repo, "notrepo/n.js");
    mark(repo, "notrepo/.git/inside.js");
}

/// What git itself lists in `dir`, with the environment the binary gets.
fn git_listing(dir: &Path, env: &[(&str, String)]) -> Vec<String> {
    let mut cmd = Command::new("git");
    cmd.args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ])
    .current_dir(dir)
    .env_clear()
    .env("PATH", std::env::var("PATH").unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// The paths of git's listing policy-check can report: files and symlinks (those that lead
/// into the repository to a file), not directories or deleted files, and not the policy file.
fn reportable(dir: &Path, listing: &[String]) -> BTreeSet<String> {
    let real_dir = dir.canonicalize().unwrap();
    listing
        .iter()
        .filter(|p| p.as_str() != ".github/release-policy.yml")
        .filter(|p| match std::fs::symlink_metadata(dir.join(p)) {
            Ok(meta) if meta.is_file() => true,
            Ok(meta) if meta.is_symlink() => match dir.join(p).canonicalize() {
                Ok(real) => !real.starts_with(&real_dir) || real.is_file(),
                Err(_) => true,
            },
            _ => false,
        })
        .cloned()
        .collect()
}

/// The files policy-check reported, how many it read, and its log.
fn reported(gha: Gha, dir: &Path, env: &[(&str, String)]) -> (BTreeSet<String>, u64, String) {
    let mut gha = gha
        .cwd(dir)
        .input("mode", "policy-check")
        .arg("--format")
        .arg("json");
    for (k, v) in env {
        gha = gha.env(k, v);
    }
    let run = gha.run_at_terminal();
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: not a JSON report\n{}", run.describe()));
    let files = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["file"].as_str().unwrap().to_string())
        .collect();
    (files, report["files_read"].as_u64().unwrap(), run.stderr)
}

/// How policy-check lists a checkout it can list itself (its log says).
const OWN_LISTING: &str = "listed by git's index and a walk of the work tree";

/// Runs policy-check in `dir` and git's listing there, and compares them; `how` is the listing
/// policy-check's log must name.
fn assert_same_as_git(gha: Gha, dir: &Path, env: &[(&str, String)], how: &str) -> BTreeSet<String> {
    let listing = git_listing(dir, env);
    let expected = reportable(dir, &listing);
    // Symlinks that leave the repository or lead nowhere are findings without a read.
    let real_dir = dir.canonicalize().unwrap();
    let unread = expected
        .iter()
        .filter(|p| {
            dir.join(p)
                .canonicalize()
                .map_or(true, |r| !r.starts_with(&real_dir))
        })
        .count();
    // The harness (and the checkout with it) is gone after the run.
    let (files, files_read, log) = reported(gha, dir, env);
    assert!(log.contains(how), "not {how}:\n{log}");
    let missing: Vec<_> = expected.difference(&files).collect();
    let extra: Vec<_> = files.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "policy-check scanned a different set of files than git lists\n\
         not scanned: {missing:?}\nscanned but not listed by git: {extra:?}\ngit: {listing:?}"
    );
    assert_eq!(files_read, (expected.len() - unread) as u64, "{files:?}");
    expected
}

/// The global excludes file as git finds it by default: `$HOME/.config/git/ignore`.
fn home_with_default_excludes(gha: &Gha) -> Vec<(&'static str, String)> {
    let home = gha.path().join("home");
    std::fs::create_dir_all(home.join(".config/git")).unwrap();
    std::fs::write(
        home.join(".config/git/ignore"),
        "global-ignored.txt\n*.gen\n",
    )
    .unwrap();
    vec![
        ("HOME", home.to_str().unwrap().to_string()),
        ("GIT_CONFIG_NOSYSTEM", "1".to_string()),
    ]
}

#[test]
fn a_checkout_is_scanned_as_git_lists_it() {
    let gha = Gha::new();
    let env = home_with_default_excludes(&gha);
    let repo = checkout(&gha);
    let scanned = assert_same_as_git(gha, &repo, &env, OWN_LISTING);
    // The cases the checkout is built for, as git decided them.
    for listed in [
        "src/b.js",
        "src/ünï.js",
        "src/with space.js",
        "logs/keep.log",
        "build/tracked.js",
        "pkg/tracked.tmp",
        "pkg/keep.tmp",
        "important.log",
        "keep.gen",
        "keep.info",
        "sub1/top-only.txt",
        "vendor/lib/x.js",
        "vendor/lib/y.js",
        "sym/s.js",
        "sym/.gitignore",
        "typechange/t.js",
        "link-in.js",
        "link-out",
        "link-dangling",
        ".ignore",
        ".gitignore",
    ] {
        assert!(
            scanned.contains(listed),
            "{listed} not scanned: {scanned:?}"
        );
    }
    for ignored in [
        "app.log",
        "src/deep/debug.log",
        "build/out.js",
        "top-only.txt",
        "docs/a/b/gen/x.md",
        "docs/gen/y.md",
        "#hash.txt",
        "pkg/x.tmp",
        "out/x.js",
        "global-ignored.txt",
        "thing.gen",
        "info-excluded.txt",
        "thing.info",
        "vendor/lib/z.log",
        "nested/n.js",
        "sub/s.js",
        "inner-wt/src/a.js",
        "gone.js",
        "link-dir",
    ] {
        assert!(!scanned.contains(ignored), "{ignored} scanned: {scanned:?}");
    }
}

#[test]
fn a_subdirectory_of_a_checkout_is_scanned_as_git_lists_it() {
    let gha = Gha::new();
    let env = home_with_default_excludes(&gha);
    let repo = checkout(&gha);
    // The root's ignore rules reach into the subdirectory.
    let scanned = assert_same_as_git(gha, &repo.join("src"), &env, OWN_LISTING);
    assert!(scanned.contains("b.js"), "{scanned:?}");
    assert!(!scanned.contains("deep/debug.log"), "{scanned:?}");
}

#[test]
fn core_excludes_file_from_any_git_config_is_honoured() {
    // GIT_CONFIG_GLOBAL names the global config, which names the excludes file.
    let gha = Gha::new();
    let config = gha.path().join("gitconfig");
    let excludes = gha.path().join("my-excludes");
    std::fs::write(&excludes, "global-ignored.txt\n*.gen\n").unwrap();
    std::fs::write(
        &config,
        format!("[core]\n\texcludesFile = {}\n", excludes.display()),
    )
    .unwrap();
    let mut env = home_with_default_excludes(&gha);
    std::fs::remove_file(gha.path().join("home/.config/git/ignore")).unwrap();
    env.push(("GIT_CONFIG_GLOBAL", config.to_str().unwrap().to_string()));
    let repo = checkout(&gha);
    let scanned = assert_same_as_git(gha, &repo, &env, OWN_LISTING);
    assert!(!scanned.contains("global-ignored.txt"), "{scanned:?}");
    assert!(scanned.contains("keep.gen"), "{scanned:?}");

    // The repository's own config, relative to the work tree's top.
    let gha = Gha::new();
    let env = home_with_default_excludes(&gha);
    std::fs::remove_file(gha.path().join("home/.config/git/ignore")).unwrap();
    let repo = checkout(&gha);
    std::fs::write(repo.join("repo-excludes"), "# MARK\nthing.gen\n").unwrap();
    git(&repo, &["config", "core.excludesFile", "repo-excludes"]);
    let scanned = assert_same_as_git(gha, &repo, &env, OWN_LISTING);
    assert!(!scanned.contains("thing.gen"), "{scanned:?}");
    assert!(scanned.contains("global-ignored.txt"), "{scanned:?}");
}

#[test]
fn each_index_version_gives_the_same_files() {
    for (version, how) in [("2", OWN_LISTING), ("3", OWN_LISTING), ("4", OWN_LISTING)] {
        let gha = Gha::new();
        let env = home_with_default_excludes(&gha);
        let repo = checkout(&gha);
        git(&repo, &["update-index", "--index-version", version]);
        if version == "3" {
            // An intent-to-add entry has the extended flags version 3 brings.
            mark(&repo, "src/intent.js");
            git(&repo, &["add", "-N", "src/intent.js"]);
        }
        let scanned = assert_same_as_git(gha, &repo, &env, how);
        assert!(scanned.contains("logs/keep.log"), "v{version}: {scanned:?}");
    }
}

#[test]
fn what_only_git_can_list_is_listed_by_git() {
    // A split index, a `.git` that may or may not be a repository, core.ignoreCase: git's own
    // listing, with the same result.
    type Change = fn(&Path);
    let cases: [(&str, Change); 3] = [
        ("the index is split", |repo| {
            git(repo, &["update-index", "--split-index"]);
        }),
        (
            "a directory holds a `.git` git may or may not take for a repository",
            |repo| {
                std::fs::create_dir_all(repo.join("maybe/.git/objects")).unwrap();
                std::fs::write(repo.join("maybe/.git/HEAD"), "ref: refs/heads/main\n").unwrap();
                mark(repo, "maybe/m.js");
            },
        ),
        ("core.ignoreCase is set", |repo| {
            git(repo, &["config", "core.ignoreCase", "true"]);
        }),
    ];
    for (why, change) in cases {
        let gha = Gha::new();
        let env = home_with_default_excludes(&gha);
        let repo = checkout(&gha);
        change(&repo);
        assert_same_as_git(gha, &repo, &env, &format!("listed by git ls-files ({why}"));
    }
}
