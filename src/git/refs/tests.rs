//! The in-process reader against git's own answer, over real repositories made by git.

use std::path::Path;
use std::process::Command;

use super::{discover, Repo};
use crate::git::Git;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@e")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@e")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// git's own list: names, objects and peeled objects, in its order.
fn git_tags(dir: &Path) -> Vec<(String, String, String)> {
    git(
        dir,
        &[
            "for-each-ref",
            "--format=%(refname:strip=2) %(objectname) %(*objectname)",
            "refs/tags",
        ],
    )
    .lines()
    .map(|l| {
        let mut parts = l.split(' ');
        let name = parts.next().unwrap().to_string();
        let oid = parts.next().unwrap().to_string();
        let peeled = parts.next().filter(|p| !p.is_empty()).map(str::to_string);
        let peeled = peeled.unwrap_or_else(|| oid.clone());
        (name, oid, peeled)
    })
    .collect()
}

/// A repository with three commits, lightweight and annotated tags (one annotated tag of a tag).
fn repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    for (i, tags) in [["v1.0.0", "a1"], ["v1.1.0", "a2"], ["v2.0.0", "a3"]]
        .iter()
        .enumerate()
    {
        git(
            dir,
            &["commit", "-q", "--allow-empty", "-m", &format!("c{i}")],
        );
        git(dir, &["tag", tags[0]]);
        git(dir, &["tag", "-a", "-m", "annotated", tags[1]]);
    }
    git(dir, &["tag", "-a", "-m", "tag of a tag", "nested", "a1"]);
    git(dir, &["tag", "release/sub/v3.0.0", "HEAD~1"]);
    tmp
}

fn local(dir: &Path) -> Repo {
    discover(dir).expect("a plain repository is read in-process")
}

/// Every name and object as git lists them; every peeled object the reader claims to know is
/// git's own.
fn assert_same_as_git(dir: &Path) {
    let ours = local(dir).tags().expect("tags read in-process");
    let theirs = git_tags(dir);
    let names: Vec<&String> = ours.keys().collect();
    let git_names: Vec<&String> = theirs.iter().map(|t| &t.0).collect();
    assert_eq!(names, git_names);
    for (name, oid, peeled) in &theirs {
        let tag = &ours[name];
        assert_eq!(&hex::encode(tag.oid), oid, "{name}");
        if let Some(ours) = tag.peeled.map(hex::encode) {
            assert_eq!(&ours, peeled, "{name} peels to {peeled}, not {ours}");
        }
    }
    assert_eq!(
        Git::new(dir).tag_names().unwrap(),
        git_names.into_iter().cloned().collect::<Vec<_>>()
    );
}

#[test]
fn loose_refs_read_as_git_lists_them() {
    let tmp = repo();
    assert!(!tmp.path().join(".git/packed-refs").exists());
    assert_same_as_git(tmp.path());
    assert!(!local(tmp.path()).shallow);
}

#[test]
fn packed_refs_read_as_git_lists_them_with_peeled_objects() {
    let tmp = repo();
    git(tmp.path(), &["pack-refs", "--all"]);
    assert!(!tmp.path().join(".git/refs/tags/v1.0.0").exists());
    assert_same_as_git(tmp.path());
    let tags = local(tmp.path()).tags().unwrap();
    // fully-peeled: every tag's peeled object is known, annotated or not.
    assert!(tags.values().all(|t| t.peeled.is_some()));
    assert_ne!(tags["a1"].oid, tags["a1"].peeled.unwrap());
    assert_eq!(tags["nested"].peeled, tags["v1.0.0"].peeled);
}

#[test]
fn loose_refs_over_packed_ones_read_as_git_lists_them() {
    let tmp = repo();
    let dir = tmp.path();
    git(dir, &["pack-refs", "--all"]);
    // Moved after packing: the loose ref wins over the packed line, as in git.
    git(dir, &["tag", "-f", "v1.0.0", "HEAD"]);
    git(dir, &["tag", "v9.0.0", "HEAD~2"]);
    git(dir, &["tag", "-d", "v1.1.0"]);
    assert_same_as_git(dir);
    let tags = local(dir).tags().unwrap();
    assert_eq!(
        tags["v1.0.0"].peeled, None,
        "a loose ref's peeled object is unknown"
    );
}

#[test]
fn a_linked_worktree_reads_the_common_tags() {
    let tmp = repo();
    let dir = tmp.path().join("main");
    std::fs::create_dir(&dir).unwrap();
    git(tmp.path(), &["pack-refs", "--all"]);
    let wt = tmp.path().join("wt");
    git(
        tmp.path(),
        &["worktree", "add", "-q", "--detach", wt.to_str().unwrap()],
    );
    git(&wt, &["tag", "from-worktree"]);
    assert_same_as_git(&wt);
    let sub = wt.join("sub");
    std::fs::create_dir(&sub).unwrap();
    assert_same_as_git(&sub);
}

/// Layouts the reader leaves to git: it must say so, and `Git` must still give git's answer.
fn assert_git_answers(dir: &Path) {
    let git_names: Vec<String> = git_tags(dir).into_iter().map(|t| t.0).collect();
    let g = Git::new(dir);
    assert!(
        !g.reads_tags_in_process(),
        "{} read in-process",
        dir.display()
    );
    assert_eq!(g.tag_names().unwrap(), git_names);
}

#[test]
fn a_symlinked_tag_ref_is_left_to_git() {
    let tmp = repo();
    std::os::unix::fs::symlink("v1.0.0", tmp.path().join(".git/refs/tags/linked")).unwrap();
    assert_git_answers(tmp.path());
    assert!(git_tags(tmp.path()).iter().any(|t| t.0 == "linked"));
}

#[test]
fn a_tag_ref_holding_garbage_or_a_symref_is_left_to_git() {
    let tmp = repo();
    let tags = tmp.path().join(".git/refs/tags");
    std::fs::write(tags.join("garbage"), "not an object name\n").unwrap();
    assert_git_answers(tmp.path());
    assert!(!git_tags(tmp.path()).iter().any(|t| t.0 == "garbage"));
    std::fs::remove_file(tags.join("garbage")).unwrap();
    std::fs::write(tags.join("symbolic"), "ref: refs/heads/main\n").unwrap();
    assert_git_answers(tmp.path());
}

#[test]
fn a_packed_refs_file_with_a_bad_line_is_left_to_git() {
    let tmp = repo();
    git(tmp.path(), &["pack-refs", "--all"]);
    let path = tmp.path().join(".git/packed-refs");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}not a packed ref\n")).unwrap();
    assert!(local(tmp.path()).tags().is_none());
}

#[test]
fn a_reftable_repository_is_left_to_git() {
    let tmp = tempfile::tempdir().unwrap();
    git(tmp.path(), &["init", "-q", "--ref-format=reftable"]);
    git(tmp.path(), &["commit", "-q", "--allow-empty", "-m", "c"]);
    git(tmp.path(), &["tag", "v1.0.0"]);
    assert!(discover(tmp.path()).is_none());
    assert_git_answers(tmp.path());
    assert_eq!(Git::new(tmp.path()).shallow_state(), Some(false));
}

#[test]
fn alternates_and_bare_repositories_are_left_to_git() {
    let tmp = repo();
    let clone = tempfile::tempdir().unwrap();
    let src = tmp.path().to_str().unwrap();
    git(clone.path(), &["clone", "-q", "--shared", src, "c"]);
    assert!(discover(&clone.path().join("c")).is_none());
    assert_git_answers(&clone.path().join("c"));
    git(clone.path(), &["clone", "-q", "--bare", src, "b.git"]);
    assert!(discover(&clone.path().join("b.git")).is_none());
}

#[test]
fn a_shallow_clone_is_shallow_as_git_says() {
    let tmp = repo();
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", tmp.path().display());
    git(clone.path(), &["clone", "-q", "--depth", "1", &url, "c"]);
    let dir = clone.path().join("c");
    assert!(local(&dir).shallow);
    assert_eq!(
        git(&dir, &["rev-parse", "--is-shallow-repository"]).trim(),
        "true"
    );
    assert_same_as_git(&dir);
}

#[test]
fn outside_a_repository_git_is_asked() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(discover(tmp.path()).is_none());
    assert_eq!(Git::new(tmp.path()).shallow_state(), None);
}

#[test]
fn points_at_and_merged_agree_with_git() {
    let tmp = repo();
    let dir = tmp.path();
    git(dir, &["pack-refs", "--all"]);
    let head = git(dir, &["rev-parse", "HEAD"]).trim().to_string();
    let g = Git::new(dir);
    let pointing = git(dir, &["tag", "--points-at", &head]);
    let merged = git(dir, &["tag", "--merged", "HEAD~1"]);
    for name in g.tag_names().unwrap() {
        let points = pointing.lines().any(|l| l == name);
        assert_eq!(g.tag_points_at(&name, &head), Some(points), "{name}");
        let on_parent = merged.lines().any(|l| l == name);
        let parent = git(dir, &["rev-parse", "HEAD~1"]);
        assert_eq!(
            g.tag_is_merged_into(&name, parent.trim()),
            Some(on_parent),
            "{name}"
        );
    }
}
