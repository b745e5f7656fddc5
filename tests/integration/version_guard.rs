//! version-guard against real git repositories in temp dirs: the latest release, the guard rules,
//! channels, snapshot versions, timestamps, overrides, manifests and the step summary.

use crate::support::harness;
use crate::support::snap;

use harness::{git, Gha, Repo, Run};

/// A run of version-guard in `repo` on `git_ref`.
fn guard(repo: &Repo, git_ref: &str) -> Gha {
    Gha::new()
        .input("mode", "version-guard")
        .env("GITHUB_REF", git_ref)
        .cwd(repo.path())
}

fn versions(run: &Run) -> serde_json::Value {
    serde_json::from_str(run.out("versions")).expect("versions is JSON")
}

/// UTC `YYYYMMDDHHMMSS` of the repository clock's last commit.
fn stamp(repo: &Repo) -> String {
    jiff::Timestamp::from_second(repo.clock())
        .unwrap()
        .strftime("%Y%m%d%H%M%S")
        .to_string()
}

fn summary_filtered(run: &Run, sha: &str) -> String {
    run.summary
        .replace(sha, "<sha>")
        .replace(&sha[..12], "<short-sha>")
}

#[test]
fn snapshot_on_main_after_a_release() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v0.11.0");
    let sha = repo.commit("two");
    let ts = stamp(&repo);
    assert_eq!(ts, "20240102050405");
    let run = guard(&repo, "refs/heads/main").run();
    run.assert_code(0);
    let short = &sha[..12];
    assert_eq!(run.out("channel"), "main");
    assert_eq!(run.out("is-release"), "false");
    assert_eq!(run.out("is-prerelease"), "false");
    assert_eq!(run.out("base-version"), "0.11.1");
    assert_eq!(run.out("latest-tag"), "v0.11.0");
    assert_eq!(run.out("latest-version"), "0.11.0");
    assert_eq!(run.out("npm-version"), format!("0.11.1-dev.{ts}.g{short}"));
    assert_eq!(run.out("version"), run.out("npm-version"));
    assert_eq!(run.out("pypi-version"), format!("0.11.1.dev{ts}+g{short}"));
    assert_eq!(run.out("go-version"), format!("v0.11.1-0.{ts}-{short}"));
    assert_eq!(run.out("sha"), sha);
    assert_eq!(run.out("short-sha"), short);
    assert_eq!(run.out("timestamp"), ts);
    let v = versions(&run);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "base-version",
            "cargo-version",
            "channel",
            "format-version",
            "go-version",
            "is-prerelease",
            "is-release",
            "latest-tag",
            "latest-version",
            "npm-version",
            "pypi-version",
            "sha",
            "short-sha",
            "tag-prefix",
            "timestamp",
            "version"
        ]
    );
    assert_eq!(v["is-release"], serde_json::json!(false));
    assert_eq!(v["tag-prefix"], "v");
    for name in [
        "npm-version",
        "pypi-version",
        "go-version",
        "channel",
        "sha",
    ] {
        assert_eq!(v[name].as_str().unwrap(), run.out(name), "{name}");
    }
    insta::assert_snapshot!("summary_snapshot_on_main", summary_filtered(&run, &sha));
    let outputs = snap::outputs(&run)
        .replace(&sha, "<sha>")
        .replace(&sha[..12], "<short-sha>");
    snap::settings().bind(|| insta::assert_snapshot!("outputs_snapshot_on_main", outputs));
}

#[test]
fn same_commit_same_versions_and_later_commits_sort_higher() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.0.0");
    repo.commit("two");
    let first = guard(&repo, "refs/heads/main").run();
    let again = guard(&repo, "refs/heads/main").run();
    assert_eq!(first.out("versions"), again.out("versions"));
    repo.commit("three");
    let later = guard(&repo, "refs/heads/main").run();
    assert!(later.out("timestamp") > first.out("timestamp"));
    let a = semver::Version::parse(first.out("npm-version")).unwrap();
    let b = semver::Version::parse(later.out("npm-version")).unwrap();
    assert!(a < b);
}

#[test]
fn no_release_yet_starts_at_0_1_0() {
    let mut repo = Repo::new();
    let sha = repo.commit("one");
    let ts = stamp(&repo);
    let run = guard(&repo, "refs/heads/main").run();
    run.assert_code(0);
    assert_eq!(run.out("base-version"), "0.1.0");
    assert_eq!(run.out("latest-tag"), "");
    assert_eq!(run.out("latest-version"), "");
    assert_eq!(run.out("go-version"), format!("v0.0.0-{ts}-{}", &sha[..12]));
    assert_eq!(versions(&run)["latest-tag"], "");
}

#[test]
fn latest_release_is_the_highest_stable_semver_not_the_newest_or_git_order() {
    let mut repo = Repo::new();
    repo.commit("one");
    for t in [
        "v0.9.0",
        "v0.10.0",
        "v0.2.0",
        "v1.0.0-rc.1",
        "v0.10.1-beta.1",
        "latest",
        "vnope",
    ] {
        repo.tag(t);
    }
    repo.commit("two");
    repo.annotated_tag("v0.3.0"); // newest, but not highest
    repo.commit("three");
    let run = guard(&repo, "refs/heads/dev").run();
    run.assert_code(0);
    assert_eq!(run.out("channel"), "dev");
    assert_eq!(run.out("latest-tag"), "v0.10.0");
    assert_eq!(run.out("base-version"), "0.10.1");
}

#[test]
fn thousands_of_tags_from_git() {
    let mut repo = Repo::new();
    let sha = repo.commit("one");
    let mut refs = String::new();
    for major in 0..3 {
        for minor in 0..40 {
            for patch in 0..25 {
                refs.push_str(&format!(
                    "create refs/tags/v{major}.{minor}.{patch} {sha}\n"
                ));
            }
        }
    }
    refs.push_str(&format!("create refs/tags/v3.0.0-rc.1 {sha}\n"));
    let mut child = harness::git_command(repo.path())
        .args(["update-ref", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(refs.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    repo.commit("two");
    let run = guard(&repo, "refs/heads/main").run();
    run.assert_code(0);
    assert_eq!(run.out("latest-tag"), "v2.39.24");
    assert!(run.stdout.contains("3001 tags from git"), "{}", run.stdout);
    // Go's base is the highest reachable tag its module may use: v0/v1 without a /vN path.
    assert!(
        run.out("go-version").starts_with("v1.39.25-0."),
        "{}",
        run.out("go-version")
    );
}

#[test]
fn release_tag_builds_the_release_itself() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v0.11.0");
    repo.commit("two");
    repo.annotated_tag("v0.12.0-rc.1");
    let run = guard(&repo, "refs/tags/v0.12.0-rc.1").run();
    run.assert_code(0);
    assert_eq!(run.out("channel"), "prerelease");
    assert_eq!(run.out("is-prerelease"), "true");
    assert_eq!(run.out("is-release"), "false");
    assert_eq!(run.out("npm-version"), "0.12.0-rc.1");
    assert_eq!(run.out("pypi-version"), "0.12.0rc1");
    assert_eq!(run.out("go-version"), "v0.12.0-rc.1");
    assert_eq!(run.out("version"), "0.12.0-rc.1");
    assert_eq!(run.out("base-version"), "0.12.0");
    assert_eq!(run.out("latest-tag"), "v0.11.0");

    repo.commit("three");
    repo.tag("v0.12.0");
    let run = guard(&repo, "refs/tags/v0.12.0")
        .input("expect-release", "true")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("channel"), "release");
    assert_eq!(versions(&run)["is-release"], serde_json::json!(true));
    assert_eq!(run.out("pypi-version"), "0.12.0");
    assert_eq!(run.out("go-version"), "v0.12.0");
    // The tag being built is not its own "latest release".
    assert_eq!(run.out("latest-tag"), "v0.11.0");
}

#[test]
fn refuses_a_release_below_the_latest() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.3.0");
    let sha = repo.commit("two");
    repo.tag("v1.2.0");
    let run = guard(&repo, "refs/tags/v1.2.0").run();
    run.assert_code(1);
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1, "{}", run.describe());
    assert!(
        errors[0].contains("refusing v1.2.0: v1.3.0 already exists"),
        "{}",
        errors[0]
    );
    assert!(!run.outputs.contains_key("versions"));
    assert_eq!(run.out("channel"), "release");
    insta::assert_snapshot!(
        "summary_refusing_older_release",
        summary_filtered(&run, &sha)
    );
    let outputs = snap::outputs(&run)
        .replace(&sha, "<sha>")
        .replace(&sha[..12], "<short-sha>");
    snap::settings().bind(|| insta::assert_snapshot!("outputs_refusing_older_release", outputs));

    // Equal versions are not above either.
    repo.commit("three");
    repo.tag("v1.3.0+rebuild");
    guard(&repo, "refs/tags/v1.3.0+rebuild")
        .run()
        .assert_code(1);
}

#[test]
fn maintenance_releases_pass_when_highest_of_their_major() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.4.0");
    repo.commit("two");
    repo.tag("v2.1.0");
    repo.commit("three");
    repo.tag("v1.4.1");
    repo.tag("v1.3.9");
    let without = guard(&repo, "refs/tags/v1.4.1").run();
    without.assert_code(1);
    assert!(
        without.stdout.contains("maintenance-releases"),
        "{}",
        without.stdout
    );
    let with = guard(&repo, "refs/tags/v1.4.1")
        .input("maintenance-releases", "true")
        .run();
    with.assert_code(0);
    assert_eq!(with.out("npm-version"), "1.4.1");
    assert_eq!(with.commands("notice").len(), 1, "{}", with.stdout);
    let older = guard(&repo, "refs/tags/v1.3.9")
        .input("maintenance-releases", "true")
        .run();
    older.assert_code(1);
    assert!(older
        .stdout
        .contains("refusing v1.3.9: v2.1.0 already exists"));
}

#[test]
fn a_tag_that_is_not_prefix_plus_semver_fails() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("nightly");
    let run = guard(&repo, "refs/tags/nightly").run();
    run.assert_code(1);
    assert!(run.commands("error")[0].contains("not `v` followed by a semver"));
    repo.tag("v1.2");
    guard(&repo, "refs/tags/v1.2").run().assert_code(1);
}

#[test]
fn monorepo_prefixes_only_see_their_own_tags() {
    let mut repo = Repo::new();
    repo.commit("one");
    for t in ["sdk/go/v0.4.0", "sdk/ts/v9.0.0", "v3.0.0", "sdk/go/v0.3.9"] {
        repo.tag(t);
    }
    repo.commit("two");
    let run = guard(&repo, "refs/heads/main")
        .input("tag-prefix", "sdk/go/v")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("latest-tag"), "sdk/go/v0.4.0");
    assert_eq!(run.out("base-version"), "0.4.1");
    assert!(run.out("go-version").starts_with("v0.4.1-0."));
    assert_eq!(versions(&run)["tag-prefix"], "sdk/go/v");
    repo.tag("sdk/go/v0.5.0");
    let run = guard(&repo, "refs/tags/sdk/go/v0.5.0")
        .input("tag-prefix", "sdk/go/v")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("go-version"), "v0.5.0");
    repo.tag("sdk/go/v0.3.0");
    let run = guard(&repo, "refs/tags/sdk/go/v0.3.0")
        .input("tag-prefix", "sdk/go/v")
        .run();
    run.assert_code(1);
    assert!(run
        .stdout
        .contains("refusing sdk/go/v0.3.0: sdk/go/v0.5.0 already exists"));
}

#[test]
fn version_files_give_the_base_and_must_agree_with_tags() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.2.0");
    std::fs::write(
        repo.path().join("package.json"),
        "{\n  \"name\": \"sdk\",\n  \"version\": \"1.3.0\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        repo.path().join("pyproject.toml"),
        "[project]\nname = \"sdk\"\nversion = \"1.3.0rc1\"\n",
    )
    .unwrap();
    std::fs::write(
        repo.path().join("Cargo.toml"),
        "[package]\nname = \"sdk\"\nversion = \"1.2.0\"\n",
    )
    .unwrap();
    std::fs::write(repo.path().join("VERSION"), "1.4.0\n").unwrap();
    repo.commit("two");

    let run = guard(&repo, "refs/heads/main")
        .input("version-file", "package.json")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("base-version"), "1.3.0");
    let run = guard(&repo, "refs/heads/main")
        .input("version-file", "VERSION")
        .run();
    assert_eq!(run.out("base-version"), "1.4.0");
    // base-version beats the file.
    let run = guard(&repo, "refs/heads/main")
        .input("version-file", "VERSION")
        .input("base-version", "2.0.0")
        .run();
    assert_eq!(run.out("base-version"), "2.0.0");

    // A file still at the released version: snapshots would sort below it.
    let run = guard(&repo, "refs/heads/main")
        .input("version-file", "Cargo.toml")
        .run();
    run.assert_code(1);
    let error = &run.commands("error")[0];
    assert!(error.contains("file=Cargo.toml,line=3"), "{error}");
    assert!(
        error.contains(
            "base version 1.2.0 (from Cargo.toml (line 3)) is not above the latest release v1.2.0"
        ),
        "{error}"
    );

    repo.tag("v1.3.0-rc.1");
    // PEP 440 compares in its own normal form: 1.3.0rc1 == 1.3.0-rc.1.
    guard(&repo, "refs/tags/v1.3.0-rc.1")
        .input("version-file", "pyproject.toml")
        .run()
        .assert_code(0);
    repo.tag("v1.3.0");
    let run = guard(&repo, "refs/tags/v1.3.0")
        .input("version-file", "package.json")
        .run();
    run.assert_code(0);
    let run = guard(&repo, "refs/tags/v1.3.0")
        .input("version-file", "pyproject.toml")
        .run();
    run.assert_code(1);
    assert!(run.commands("error")[0]
        .contains("pyproject.toml says 1.3.0rc1 but the tag v1.3.0 is version 1.3.0"));

    let missing = guard(&repo, "refs/heads/main")
        .input("version-file", "nope/package.json")
        .run();
    missing.assert_code(2);
    assert!(missing.commands("error")[0].contains("cannot read nope/package.json"));
}

#[test]
fn base_version_must_be_above_the_latest_release() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v0.11.0");
    repo.commit("two");
    let run = guard(&repo, "refs/heads/main")
        .input("base-version", "0.11.0")
        .run();
    run.assert_code(1);
    assert!(run.commands("error")[0].contains(
        "base version 0.11.0 (from input `base-version`) is not above the latest release v0.11.0"
    ));
    let run = guard(&repo, "refs/heads/main")
        .input("base-version", "0.12")
        .run();
    run.assert_code(2);
    assert!(run.commands("error")[0].contains("input `base-version`: must be major.minor.patch"));
    let run = guard(&repo, "refs/heads/main")
        .input("base-version", "0.12.0")
        .run();
    run.assert_code(0);
    assert!(run.out("npm-version").starts_with("0.12.0-dev."));
}

#[test]
fn expect_release_fails_off_tags() {
    let mut repo = Repo::new();
    repo.commit("one");
    let run = guard(&repo, "refs/heads/main")
        .input("expect-release", "true")
        .run();
    run.assert_code(1);
    assert!(run.commands("error")[0].contains("release builds must run from a tag"));
    let bad = guard(&repo, "refs/heads/main")
        .input("expect-release", "yes")
        .run();
    bad.assert_code(2);
    assert!(bad.commands("error")[0].contains("expect-release"));
}

#[test]
fn channels_from_branches() {
    let mut repo = Repo::new();
    repo.commit("one");
    let channel = |r: &str| {
        guard(&repo, r)
            .input("channels", "main=main\nrelease/*=rc\n")
            .run()
    };
    assert_eq!(channel("refs/heads/release/1.x").out("channel"), "rc");
    assert_eq!(channel("refs/heads/feature/x").out("channel"), "branch");
    assert_eq!(channel("refs/heads/dev").out("channel"), "branch");
    let bad = guard(&repo, "refs/heads/main")
        .input("channels", "main")
        .run();
    bad.assert_code(2);
    assert!(bad.commands("error")[0].contains("input `channels`, line 1"));
}

#[test]
fn pull_requests_use_the_head_sha_from_the_event() {
    let mut repo = Repo::new();
    let head = repo.commit("one");
    let ts = stamp(&repo);
    let gha = guard(&repo, "refs/pull/7/merge");
    let event = gha.path().join("event.json");
    std::fs::write(
        &event,
        serde_json::json!({"number": 7, "pull_request": {"number": 7, "head": {"sha": head, "ref": "feature"}}}).to_string(),
    )
    .unwrap();
    let run = gha
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", event.to_str().unwrap())
        .env("GITHUB_SHA", &"f".repeat(40))
        .input("comment-on-pr", "false")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("channel"), "pr");
    assert_eq!(run.out("sha"), head);
    assert_eq!(run.out("timestamp"), ts);
}

#[test]
fn timestamps_explicit_source_date_epoch_and_now() {
    let mut repo = Repo::new();
    let sha = repo.commit("one");
    let commit_ts = stamp(&repo);
    let run = guard(&repo, "refs/heads/main")
        .input("timestamp", "20250101000000")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("timestamp"), "20250101000000");
    assert!(run.out("npm-version").contains(".20250101000000.g"));
    // Go checks the commit time, so Go keeps it whatever the timestamp input says.
    assert_eq!(
        run.out("go-version"),
        format!("v0.0.0-{commit_ts}-{}", &sha[..12])
    );

    let run = guard(&repo, "refs/heads/main")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .run();
    assert_eq!(run.out("timestamp"), "20231114221320");
    let run = guard(&repo, "refs/heads/main")
        .input("timestamp", "now")
        .run();
    assert_eq!(run.out("timestamp").len(), 14);
    assert_ne!(run.out("timestamp"), commit_ts);

    for bad in ["20241301000000", "2024", "yesterday"] {
        let run = guard(&repo, "refs/heads/main")
            .input("timestamp", bad)
            .run();
        run.assert_code(2);
        assert!(run.commands("error")[0].contains("timestamp"), "{bad}");
    }
    let run = guard(&repo, "refs/heads/main")
        .env("SOURCE_DATE_EPOCH", "soon")
        .run();
    run.assert_code(2);
    assert!(run.commands("error")[0].contains("SOURCE_DATE_EPOCH"));
}

#[test]
fn sha_falls_back_to_source_git_sha_outside_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let base = || {
        Gha::new()
            .input("mode", "version-guard")
            .env("GITHUB_REF", "refs/heads/main")
            .cwd(dir.path())
    };
    // No repository, no sha at all: exit 2 naming every source.
    let run = base().run();
    run.assert_code(2);
    let error = &run.commands("error")[0];
    for source in [
        "`sha` input",
        "GITHUB_SHA",
        "git rev-parse HEAD",
        "SOURCE_GIT_SHA",
    ] {
        assert!(error.contains(source), "{source}: {error}");
    }
    // With a sha but no repository and no token, tags cannot be read: exit 2, not a silent pass.
    let run = base()
        .env("SOURCE_GIT_SHA", sha)
        .input("timestamp", "20240101000000")
        .run();
    run.assert_code(2);
    assert!(run.commands("error")[0].contains("not a git repository and there is no token"));
}

#[test]
fn overrides_win_and_are_validated() {
    let mut repo = Repo::new();
    repo.commit("one");
    let run = guard(&repo, "refs/heads/main")
        .env("AMEIDE_TS_SDK_VERSION", "2.0.0-beta.1")
        .env("AMEIDE_SDK_VERSION", "2.0.0-BETA.1")
        .env("GO_SDK_VERSION", "v0.2.0")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("npm-version"), "2.0.0-beta.1");
    assert_eq!(run.out("version"), "2.0.0-beta.1");
    assert_eq!(run.out("pypi-version"), "2.0.0b1");
    assert_eq!(run.out("go-version"), "v0.2.0");

    let run = guard(&repo, "refs/heads/main")
        .input("env-prefix", "ACME")
        .env("ACME_PYTHON_SDK_VERSION", "3.1.4")
        .env("ACME_SDK_VERSION", "9.9.9")
        .env("ACME_GO_SDK_VERSION", "v0.3.0")
        .input("npm-version", "1.0.0")
        .env("ACME_TS_SDK_VERSION", "7.7.7")
        .run();
    assert_eq!(run.out("pypi-version"), "3.1.4");
    assert_eq!(run.out("go-version"), "v0.3.0");
    assert_eq!(run.out("npm-version"), "1.0.0");

    for (var, value, said) in [
        (
            "AMEIDE_TS_SDK_VERSION",
            "v1.2.3",
            "AMEIDE_TS_SDK_VERSION is \"v1.2.3\"",
        ),
        ("AMEIDE_TS_SDK_VERSION", "1.2.3+build", "build metadata"),
        (
            "AMEIDE_PYTHON_SDK_VERSION",
            "1.2.3-nightly",
            "AMEIDE_PYTHON_SDK_VERSION",
        ),
        ("AMEIDE_GO_SDK_VERSION", "1.2.3", "did you mean \"v1.2.3\""),
        ("GO_SDK_VERSION", "v2.0.0", "/v2 suffix"),
    ] {
        let run = guard(&repo, "refs/heads/main").env(var, value).run();
        run.assert_code(2);
        let error = &run.commands("error")[0];
        assert!(error.contains(said), "{var}={value}: {error}");
    }
    let run = guard(&repo, "refs/heads/main")
        .input("pypi-local-version", "false")
        .input("pypi-version", "1.0.0+local")
        .run();
    run.assert_code(2);
    assert!(run.commands("error")[0].contains("input `pypi-version`"));
}

#[test]
fn pypi_without_local_version_and_go_module_majors() {
    let mut repo = Repo::new();
    let sha = repo.commit("one");
    let ts = stamp(&repo);
    let run = guard(&repo, "refs/heads/main")
        .input("pypi-local-version", "false")
        .input("go-module", "example.com/sdk/v3")
        .input("base-version", "3.0.0")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("pypi-version"), format!("3.0.0.dev{ts}"));
    assert_eq!(run.out("go-version"), format!("v3.0.0-{ts}-{}", &sha[..12]));
}

#[test]
fn manifest_dir_gets_versions_and_per_language_files() {
    let mut repo = Repo::new();
    let sha = repo.commit("one");
    // Inside the workspace: a path input may not lead out of it.
    let out = repo.path().join("manifest/versions");
    let run = guard(&repo, "refs/heads/main")
        .input("manifest-dir", out.to_str().unwrap())
        .run();
    run.assert_code(0);
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap()
    };
    assert_eq!(read("versions.json"), versions(&run));
    for (file, output) in [
        ("ts.json", "npm-version"),
        ("python.json", "pypi-version"),
        ("go.json", "go-version"),
    ] {
        let v = read(file);
        assert_eq!(v["version"], run.out(output), "{file}");
        assert_eq!(v["sha"], sha.as_str());
        assert_eq!(v["timestamp"], run.out("timestamp"));
        assert_eq!(v["channel"], "main");
        assert_eq!(v.as_object().unwrap().len(), 4);
    }
}

#[test]
fn shallow_clones_are_refused_without_a_token() {
    let mut origin = Repo::new();
    origin.commit("one");
    origin.tag("v1.0.0");
    origin.commit("two");
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    git(
        parent.path(),
        &["clone", "-q", "--depth", "1", &url, "clone"],
    );
    let clone = parent.path().join("clone");
    let run = |tags_from: &str| {
        Gha::new()
            .input("mode", "version-guard")
            .input("tags-from", tags_from)
            .env("GITHUB_REF", "refs/heads/main")
            .cwd(&clone)
            .run()
    };
    for mode in ["git", "auto"] {
        let r = run(mode);
        r.assert_code(2);
        assert!(
            r.commands("error")[0].contains("fetch-depth: 0"),
            "{mode}: {}",
            r.stdout
        );
        assert!(!r.outputs.contains_key("npm-version"));
    }
    let r = run("api");
    r.assert_code(2);
    assert!(r.commands("error")[0].contains("needs a token"));
    let r = run("svn");
    r.assert_code(2);
}

#[test]
fn a_tag_whose_major_does_not_match_the_go_module_path_is_refused() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.0.0");
    repo.commit("two");
    repo.tag("v1.3.0");
    // go would refuse v1.3.0 for a /v2 module: the release must not go out.
    let run = guard(&repo, "refs/tags/v1.3.0")
        .input("go-module", "example.com/sdk/v2")
        .run();
    run.assert_code(1);
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1, "{}", run.describe());
    assert!(
        errors[0].contains("tag v1.3.0 is major 1, but go-module example.com/sdk/v2 takes v2.x.y"),
        "{}",
        errors[0]
    );
    assert!(run.summary.contains("How to fix"), "{}", run.summary);
    // A v2 tag for a module without a /vN suffix is refused the same way.
    repo.commit("three");
    repo.tag("v2.0.0");
    let run = guard(&repo, "refs/tags/v2.0.0")
        .input("go-module", "example.com/sdk")
        .run();
    run.assert_code(1);
    assert!(run.stdout.contains("path ending in /v2"), "{}", run.stdout);
    // The matching module path passes.
    let run = guard(&repo, "refs/tags/v2.0.0")
        .input("go-module", "example.com/sdk/v2")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("go-version"), "v2.0.0");
}

/// Every git process the run's phases started (each phase logs its count).
fn git_processes(run: &Run) -> usize {
    git_processes_in(run, "")
}

/// The git processes started in the phases whose log lines start with `prefix`.
fn git_processes_in(run: &Run, prefix: &str) -> usize {
    let counts: Vec<usize> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.split(" ms, ").nth(1)?.split(' ').next()?.parse().ok())
        .collect();
    assert!(!counts.is_empty(), "no phase log: {}", run.stdout);
    counts.iter().sum()
}

/// The timestamp git's own `show -s --format=%ct` gives `rev`, as version-guard writes it.
fn git_stamp(repo: &Repo, rev: &str) -> String {
    let seconds: i64 = git(repo.path(), &["show", "-s", "--format=%ct", rev])
        .parse()
        .unwrap();
    jiff::Timestamp::from_second(seconds)
        .unwrap()
        .strftime("%Y%m%d%H%M%S")
        .to_string()
}

#[test]
fn a_packed_repository_runs_no_git_process() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.0.0");
    let sha = repo.commit("two");
    for tag in ["v1.1.0", "v1.1.1", "v1.2.0-rc.1"] {
        repo.tag(tag);
    }
    // The layout a fetched repository has: objects in a pack, refs in packed-refs.
    git(repo.path(), &["gc", "-q"]);
    let loose = repo.path().join(".git/objects").join(&sha[..2]);
    assert!(!loose.exists(), "the commit is packed");
    for with_sha in [true, false] {
        let mut gha = guard(&repo, "refs/heads/main");
        if with_sha {
            gha = gha.env("GITHUB_SHA", &sha);
        }
        let run = gha.run();
        run.assert_code(0);
        assert_eq!(run.out("sha"), sha);
        assert_eq!(run.out("latest-tag"), "v1.1.1");
        assert_eq!(run.out("timestamp"), stamp(&repo));
        assert_eq!(run.out("timestamp"), git_stamp(&repo, &sha));
        assert_eq!(
            git_processes(&run),
            0,
            "GITHUB_SHA set: {with_sha}\n{}",
            run.stdout
        );
    }
}

#[test]
fn deltified_commits_get_the_time_git_shows() {
    let mut repo = Repo::new();
    let body = "A paragraph every commit message shares, line after line.\n".repeat(40);
    for i in 0..30 {
        repo.commit(&format!("commit {i}\n\n{body}"));
    }
    git(
        repo.path(),
        &["repack", "-q", "-adf", "--depth=50", "--window=250"],
    );
    // Some commits are deltas now, which git answers for; others are whole.
    let mut deltas = 0;
    for (i, sha) in git(repo.path(), &["rev-list", "HEAD"]).lines().enumerate() {
        let run = guard(&repo, "refs/heads/main").env("GITHUB_SHA", sha).run();
        run.assert_code(0);
        assert_eq!(run.out("timestamp"), git_stamp(&repo, sha), "commit {i}");
        // The commit's time is asked in the context phase: git answers only for a delta.
        deltas += git_processes_in(&run, "[version-guard:context]");
    }
    assert!(
        deltas > 0,
        "no commit was a delta: the fallback went untested"
    );
    assert!(deltas < 30, "no commit was read in-process");
}

#[test]
fn a_corrupt_commit_object_gets_the_same_answer_as_before() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.0.0");
    let sha = repo.commit("two");
    let path = repo
        .path()
        .join(".git/objects")
        .join(&sha[..2])
        .join(&sha[2..]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0xff;
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, bytes).unwrap();
    let run = guard(&repo, "refs/heads/main")
        .env("GITHUB_SHA", &sha)
        .run();
    // As before the in-process reader: git cannot read it either, so the time is unknown, the
    // build clock is used and the run says so.
    run.assert_code(0);
    let warnings = run.commands("warning").join("\n");
    assert!(
        warnings.contains(&format!("commit {sha} is not in the local clone")),
        "{}",
        run.describe()
    );
    assert_ne!(run.out("timestamp"), stamp(&repo));
    assert!(git_processes(&run) >= 1, "git was asked");
}
