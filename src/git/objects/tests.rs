//! The in-process committer time against git's own (`git show -s --format=%ct`), over real
//! repositories made by git: loose, packed, deltified, worktrees, and the layouts left to git.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{committer_time, loose_commit, parse_committer_time, read_commit, Loose};
use crate::git::Git;

fn git_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    let mut child = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@e")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@e")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git runs");
    let input = stdin.unwrap_or_default().to_vec();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    child.wait_with_output().unwrap()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_in(dir, args, None);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

/// git's own answer, or `None` when git fails.
fn git_time(dir: &Path, rev: &str) -> Option<i64> {
    let out = git_in(dir, &["show", "-s", "--format=%ct", rev], None);
    out.status.success().then(|| {
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    })
}

/// `n` commits with distinct committer times.
fn repo(n: usize) -> tempfile::TempDir {
    repo_with(n, "")
}

/// `n` commits with distinct committer times, each message ending in `body` (a long one shared
/// by all gives a repack deltas to make).
fn repo_with(n: usize, body: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    for i in 0..n {
        std::fs::write(dir.join("f"), format!("{i}\n").repeat(50)).unwrap();
        git(dir, &["add", "f"]);
        let date = format!("@{} +0200", 1_700_000_000 + i * 3_601);
        let out = Command::new("git")
            .current_dir(dir)
            .args([
                "commit",
                "-q",
                "-m",
                &format!("commit {i}\n\nbody {i}\n{body}"),
            ])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@e")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@e")
            .env("GIT_AUTHOR_DATE", "@1 +0000")
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    tmp
}

fn commits(dir: &Path) -> Vec<String> {
    git(dir, &["rev-list", "HEAD"])
        .lines()
        .map(str::to_string)
        .collect()
}

fn objects(dir: &Path) -> PathBuf {
    PathBuf::from(git(
        dir,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    ))
    .join("objects")
}

/// Every commit: the in-process answer (where there is one) and `Git`'s are git's own.
/// Returns how many were read in-process.
fn assert_same_as_git(dir: &Path) -> usize {
    let mut in_process = 0;
    for oid in commits(dir) {
        let theirs = git_time(dir, &oid).expect("git knows its commit");
        if let Some(ours) = committer_time(&objects(dir), &oid) {
            assert_eq!(ours, theirs, "{oid}");
            in_process += 1;
        }
        assert_eq!(Git::new(dir).committer_time(&oid).unwrap(), theirs, "{oid}");
    }
    in_process
}

#[test]
fn loose_commits_read_as_git_shows_them() {
    let tmp = repo(5);
    let dir = tmp.path();
    assert!(!dir
        .join(".git/objects/pack")
        .read_dir()
        .unwrap()
        .any(|_| true));
    assert_eq!(assert_same_as_git(dir), 5);
    let g = Git::new(dir);
    assert!(g.reads_commit_in_process("HEAD"));
    assert_eq!(
        g.committer_time("HEAD").unwrap(),
        git_time(dir, "HEAD").unwrap()
    );
    assert_eq!(
        g.rev_parse("HEAD").unwrap(),
        git(dir, &["rev-parse", "HEAD"])
    );
}

#[test]
fn packed_commits_read_as_git_shows_them() {
    let tmp = repo(30);
    let dir = tmp.path();
    git(dir, &["gc", "-q"]);
    assert!(
        !dir.join(".git/refs/heads/main").exists(),
        "packed refs too"
    );
    let head = commits(dir)[0].clone();
    assert!(!dir.join(".git/objects").join(&head[..2]).exists());
    assert_eq!(assert_same_as_git(dir), 30, "whole commits in a pack");
    let g = Git::new(dir);
    assert!(
        g.reads_commit_in_process("HEAD"),
        "HEAD through packed-refs"
    );
    assert_eq!(g.rev_parse("HEAD").unwrap(), head);
    assert!(g.reads_commit_in_process(&head.to_ascii_uppercase()));
}

#[test]
fn deltified_commits_fall_back_to_git_with_the_same_answer() {
    let body = "A long paragraph every commit message shares, line after line.\n".repeat(40);
    let tmp = repo_with(60, &body);
    let dir = tmp.path();
    git(dir, &["repack", "-q", "-adf", "--depth=50", "--window=250"]);
    let in_process = assert_same_as_git(dir);
    assert!(in_process > 0, "some commits are stored whole");
    // Whether git made any commit a delta is its choice; count what it did.
    let verify = git(dir, &["verify-pack", "-v", &pack_idx(dir)]);
    let deltas = verify
        .lines()
        .filter(|l| l.contains(" commit ") && l.split_whitespace().count() > 5)
        .count();
    assert!(deltas > 0, "git made no commit a delta: {verify}");
    assert_eq!(in_process, 60 - deltas, "{verify}");
}

fn pack_idx(dir: &Path) -> String {
    let pack = dir.join(".git/objects/pack");
    let idx = pack
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    idx.to_str().unwrap().to_string()
}

/// A commit object written as given (`hash-object --literally`): its name.
fn write_commit(dir: &Path, text: &str) -> String {
    assert_eq!(
        git(dir, &["mktree"]),
        TREE,
        "the empty tree, which git show reads"
    );
    let out = git_in(
        dir,
        &[
            "hash-object",
            "-t",
            "commit",
            "-w",
            "--literally",
            "--stdin",
        ],
        Some(text.as_bytes()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

const TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"; // the empty tree

#[test]
fn signed_headers_and_a_committer_line_in_the_message_do_not_confuse_it() {
    let tmp = repo(1);
    let dir = tmp.path();
    let text = format!(
        "tree {TREE}\nauthor A <a@e> 1000 +0000\ncommitter C <c@e> 1700000123 -0530\n\
         mergetag object {TREE}\n type commit\n tag v1\n tagger X <x@e> 5 +0000\n \n committer Fake <f@e> 7 +0000\n\
         gpgsig -----BEGIN PGP SIGNATURE-----\n \n committer Evil <e@e> 9 +0000\n -----END PGP SIGNATURE-----\n\
         \nsubject\n\ncommitter Message <m@e> 11 +0000\n"
    );
    let oid = write_commit(dir, &text);
    assert_eq!(git_time(dir, &oid), Some(1_700_000_123));
    assert_eq!(committer_time(&objects(dir), &oid), Some(1_700_000_123));
    assert_eq!(Git::new(dir).committer_time(&oid).unwrap(), 1_700_000_123);
    // Packed too.
    git(dir, &["update-ref", "refs/heads/signed", &oid]);
    git(dir, &["gc", "-q"]);
    assert_eq!(committer_time(&objects(dir), &oid), Some(1_700_000_123));
}

#[test]
fn doubtful_headers_are_left_to_git() {
    let ok = format!("tree {TREE}\ncommitter C <c@e> 42 +0000\n\nm\n");
    assert_eq!(parse_committer_time(ok.as_bytes()), Some(42));
    // The committer line in the message only: no committer header.
    let only_in_message =
        format!("tree {TREE}\nauthor A <a@e> 1 +0000\n\ncommitter C <c@e> 42 +0000\n");
    assert_eq!(parse_committer_time(only_in_message.as_bytes()), None);
    for bad in [
        "committer C <c@e> 42 +0000\n\nm\n".to_string(), // no tree first
        format!("tree {TREE}\ncommitter C <c@e> 42 +0000\n"), // no blank line
        format!("tree {TREE}\ncommitter C <c@e> 42 +0000\ncommitter D <d@e> 43 +0000\n\n"),
        format!("tree {TREE}\ncommitter C <c@e> 42\n\n"),
        format!("tree {TREE}\ncommitter C <c@e> -42 +0000\n\n"),
        format!("tree {TREE}\ncommitter C <c@e> 0042 +0000\n\n"),
        format!("tree {TREE}\ncommitter C <c@e> 99999999999999999999 +0000\n\n"),
        format!("tree {TREE}\ncommitter C c@e 42 +0000\n\n"),
        format!("tree {TREE}\ncommitter C <c@e> 42 +0000 trailing\n\n"),
        format!("tree {TREE}\ncommitter C <c@e>  42 +0000\n\n"),
    ] {
        assert_eq!(parse_committer_time(bad.as_bytes()), None, "{bad:?}");
    }
}

fn loose_path(dir: &Path, oid: &str) -> PathBuf {
    dir.join(".git/objects").join(&oid[..2]).join(&oid[2..])
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Overwrites a loose object (git makes them read-only).
fn overwrite(path: &Path, bytes: &[u8]) {
    std::fs::remove_file(path).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_corrupt_loose_object_is_left_to_git_which_fails_as_before() {
    let tmp = repo(2);
    let dir = tmp.path();
    let head = commits(dir)[0].clone();
    let path = loose_path(dir, &head);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0xff;
    overwrite(&path, &bytes);
    assert_eq!(git_time(dir, &head), None, "git refuses it");
    assert!(matches!(loose_commit(&objects(dir), &head), Loose::Doubt));
    let g = Git::new(dir);
    assert!(!g.reads_commit_in_process(&head));
    assert!(g.committer_time(&head).is_err());
    assert!(g.rev_parse("HEAD").is_err());
}

#[test]
fn another_commit_under_the_name_is_left_to_git() {
    let tmp = repo(2);
    let dir = tmp.path();
    let [head, parent] = [commits(dir)[0].clone(), commits(dir)[1].clone()];
    // The parent's object, well-formed, under HEAD's name: its SHA-1 is not the name.
    let parent_bytes = std::fs::read(loose_path(dir, &parent)).unwrap();
    overwrite(&loose_path(dir, &head), &parent_bytes);
    assert!(read_commit(&objects(dir), &head).is_none());
    let g = Git::new(dir);
    assert!(!g.reads_commit_in_process(&head));
    assert_eq!(g.committer_time(&head).ok(), git_time(dir, &head));
}

#[test]
fn a_huge_or_wrong_kind_of_object_is_left_to_git() {
    let tmp = repo(1);
    let dir = tmp.path();
    let fake = "ab".repeat(20);
    let path = loose_path(dir, &fake);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Claims 100 GB: refused from the header, nothing of that size allocated.
    overwrite_or_create(&path, &zlib(b"commit 100000000000\0tree"));
    assert!(matches!(loose_commit(&objects(dir), &fake), Loose::Doubt));
    // Claims more than it holds, or less.
    overwrite_or_create(&path, &zlib(b"commit 10\0tree"));
    assert!(matches!(loose_commit(&objects(dir), &fake), Loose::Doubt));
    overwrite_or_create(&path, &zlib(b"commit 2\0tree"));
    assert!(matches!(loose_commit(&objects(dir), &fake), Loose::Doubt));
    // A header with no end.
    overwrite_or_create(&path, &zlib(&[b'c'; 4096]));
    assert!(matches!(loose_commit(&objects(dir), &fake), Loose::Doubt));
    // A tree or a blob: git shows something else for it; it answers.
    let blob = git_in(dir, &["hash-object", "-w", "--stdin"], Some(b"x\n"));
    let blob = String::from_utf8(blob.stdout).unwrap().trim().to_string();
    assert!(committer_time(&objects(dir), &blob).is_none());
    assert!(committer_time(&objects(dir), TREE).is_none());
    assert!(!Git::new(dir).reads_commit_in_process(&blob));
}

fn overwrite_or_create(path: &Path, bytes: &[u8]) {
    let _ = std::fs::remove_file(path);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_linked_worktree_reads_its_own_head() {
    let tmp = repo(3);
    let dir = tmp.path();
    git(dir, &["gc", "-q"]);
    let wt = tempfile::tempdir().unwrap();
    let wt = wt.path().join("wt");
    git(
        dir,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "side",
            wt.to_str().unwrap(),
            "HEAD~2",
        ],
    );
    let g = Git::new(&wt);
    assert!(g.reads_commit_in_process("HEAD"));
    assert_eq!(
        g.rev_parse("HEAD").unwrap(),
        git(&wt, &["rev-parse", "HEAD"])
    );
    assert_eq!(
        g.committer_time("HEAD").unwrap(),
        git_time(&wt, "HEAD").unwrap()
    );
    assert_ne!(
        g.committer_time("HEAD").unwrap(),
        git_time(dir, "HEAD").unwrap()
    );
    // Detached, in the worktree only.
    let middle = git(dir, &["rev-parse", "HEAD~1"]);
    git(&wt, &["checkout", "-q", "--detach", &middle]);
    let g = Git::new(&wt);
    assert_eq!(
        g.committer_time("HEAD").unwrap(),
        git_time(&wt, "HEAD").unwrap()
    );
    assert_eq!(
        g.rev_parse("HEAD").unwrap(),
        git(&wt, &["rev-parse", "HEAD"])
    );
}

/// Layouts left to git: `Git` says so, and gives git's answer.
fn assert_git_answers(dir: &Path, rev: &str) {
    let g = Git::new(dir);
    assert!(
        !g.reads_commit_in_process(rev),
        "{} read in-process",
        dir.display()
    );
    assert_eq!(g.committer_time(rev).unwrap(), git_time(dir, rev).unwrap());
}

#[test]
fn alternates_sha256_and_replaced_commits_are_left_to_git() {
    let tmp = repo(3);
    let dir = tmp.path();
    let clone = tempfile::tempdir().unwrap();
    let shared = clone.path().join("shared");
    git(
        clone.path(),
        &["clone", "-q", "--shared", dir.to_str().unwrap(), "shared"],
    );
    assert_git_answers(&shared, "HEAD");

    let sha256 = clone.path().join("sha256");
    std::fs::create_dir(&sha256).unwrap();
    git(&sha256, &["init", "-q", "--object-format=sha256"]);
    git(&sha256, &["commit", "-q", "--allow-empty", "-m", "c"]);
    assert_git_answers(&sha256, "HEAD");

    let [head, parent] = [commits(dir)[0].clone(), commits(dir)[1].clone()];
    assert!(Git::new(dir).reads_commit_in_process(&head));
    git(dir, &["replace", &head, &parent]);
    assert_git_answers(dir, &head);
    assert_eq!(
        git_time(dir, &head),
        git_time(dir, &parent),
        "git shows the replacement"
    );
    git(dir, &["pack-refs", "--all"]);
    assert!(!dir.join(".git/refs/replace").join(&head).exists());
    assert_git_answers(dir, &head);
}

#[test]
fn a_missing_commit_or_an_unborn_branch_is_left_to_git() {
    let tmp = repo(1);
    let dir = tmp.path();
    let g = Git::new(dir);
    let missing = "12".repeat(20);
    assert!(!g.reads_commit_in_process(&missing));
    assert!(g.committer_time(&missing).is_err());
    git(dir, &["checkout", "-q", "--orphan", "unborn"]);
    let g = Git::new(dir);
    assert!(!g.reads_commit_in_process("HEAD"));
    assert!(g.committer_time("HEAD").is_err());
}
