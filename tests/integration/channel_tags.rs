//! channel-tags end to end through the real binary: a table of refs and event payloads, with the
//! outputs, the bake file and the summary snapshotted, and every invariant's exit code.

use crate::support::harness::*;
use crate::support::snap;

use std::collections::BTreeMap;

use serde_json::Value;

const IMAGE: &str = "ghcr.io/org/app";

/// A repository with one commit carrying `tags`.
fn repo(tags: &[&str]) -> Repo {
    let mut repo = Repo::new();
    repo.commit("first");
    for t in tags {
        repo.tag(t);
    }
    repo
}

fn gha(repo: &Repo, git_ref: &str) -> Gha {
    Gha::new()
        .input("mode", "channel-tags")
        .input("images", IMAGE)
        .env("GITHUB_REF", git_ref)
        .env("GITHUB_REPOSITORY", "org/app")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .cwd(repo.path())
}

/// Outputs as a snapshot. `json` and the bake file repeat the tags, labels and annotations: they
/// are checked against those outputs here, and only what they add (the bake target and args) is
/// snapshotted.
fn snapshot(gha: &Gha, run: &Run) -> BTreeMap<String, Value> {
    run.assert_code(0);
    let lines = |name: &str| -> Vec<String> { run.out(name).lines().map(str::to_string).collect() };
    let label_map: serde_json::Map<String, Value> = lines("labels")
        .iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), Value::String(v.to_string()))
        })
        .collect();
    let json: Value = serde_json::from_str(run.out("json")).unwrap();
    assert_eq!(json["tags"], serde_json::json!(lines("tags")));
    assert_eq!(json["labels"], Value::Object(label_map));
    assert_eq!(json["annotations"], serde_json::json!(lines("annotations")));

    let path = std::path::PathBuf::from(run.out("bake-file"));
    assert!(
        path.starts_with(gha.path()),
        "bake file {} is not in RUNNER_TEMP",
        path.display()
    );
    let bake: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let targets = bake["target"].as_object().unwrap();
    assert_eq!(targets.len(), 1);
    let (target_name, target) = targets.iter().next().unwrap();
    for key in ["tags", "labels", "annotations"] {
        assert_eq!(target[key], json[key], "bake file {key}");
    }

    let mut map: BTreeMap<String, Value> = run
        .outputs
        .iter()
        .filter(|(k, _)| !["json", "bake-file"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    map.insert(
        "bake-file".into(),
        serde_json::json!({"target": target_name, "args": target["args"]}),
    );
    map
}

fn tag_names(run: &Run) -> Vec<&str> {
    run.out("tag-names").lines().collect()
}

/// A table row: snapshot name, `GITHUB_REF`, release tags in the repository, inputs.
type Case<'a> = (&'a str, String, &'a [&'a str], Vec<(&'a str, &'a str)>);

#[test]
fn refs_table() {
    let long_branch = format!("feature/{}", "a".repeat(192));
    assert_eq!(long_branch.len(), 200);
    let cases: Vec<Case> = vec![
        ("main", "refs/heads/main".into(), &["v1.0.0"], vec![]),
        ("dev", "refs/heads/dev".into(), &[], vec![]),
        ("feature_branch", "refs/heads/feature/x#1".into(), &[], vec![]),
        ("release", "refs/tags/v1.2.3".into(), &["v1.0.0", "v1.2.3"], vec![]),
        (
            "prerelease",
            "refs/tags/v1.2.3-rc.1".into(),
            &["v1.2.2", "v1.2.3-rc.1"],
            vec![(
                "channel-tags",
                "prerelease={version},{major}.{minor},latest",
            )],
        ),
        (
            "older_line_release",
            "refs/tags/v1.9.1".into(),
            &["v1.9.0", "v2.0.1", "v1.9.1"],
            vec![("channel-tags", "release={version},{major}.{minor},{major},latest")],
        ),
        (
            "highest_release_gets_latest",
            "refs/tags/v2.1.0".into(),
            &["v1.9.0", "v2.0.1", "v2.1.0", "v3.0.0-rc.1"],
            vec![("channel-tags", "release={version},{major}.{minor},{major},latest")],
        ),
        ("major_zero", "refs/tags/v0.3.0".into(), &["v0.2.0", "v0.3.0"], vec![]),
        ("pull_request_ref", "refs/pull/42/merge".into(), &[], vec![]),
        ("long_branch", format!("refs/heads/{long_branch}"), &[], vec![]),
        (
            "labels_and_no_sha_tag",
            "refs/heads/main".into(),
            &[],
            vec![
                ("labels", "org.opencontainers.image.licenses=Apache-2.0\nteam=infra\norg.opencontainers.image.url="),
                ("sha-tag", "false"),
                ("images", "GHCR.io/Org/App\ndocker.io/org/app, ghcr.io/org/app"),
                ("bake-target", "meta"),
            ],
        ),
    ];
    for (name, git_ref, tags, inputs) in cases {
        let repo = repo(tags);
        let mut g = gha(&repo, &git_ref);
        for (k, v) in inputs {
            g = g.input(k, v);
        }
        let run = g.run();
        insta::assert_yaml_snapshot!(name, snapshot(&g, &run));
        // Every tag is valid for a registry, whatever the ref was.
        for tag in tag_names(&run) {
            assert!(tag.len() <= 128, "{tag}");
            assert!(!tag.starts_with(['.', '-']), "{tag}");
            assert!(
                tag.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
                "{tag}"
            );
        }
    }
}

#[test]
fn floating_tags_never_move_backwards() {
    let repo = repo(&["v1.9.0", "v2.0.1", "v1.9.1"]);
    let g = gha(&repo, "refs/tags/v1.9.1").input(
        "channel-tags",
        "release={version},{major}.{minor},{major},latest",
    );
    let run = g.run();
    run.assert_code(0);
    assert_eq!(tag_names(&run)[..3], ["1.9.1", "1.9", "1"]);
    assert!(tag_names(&run)[3].starts_with("sha-"));
    assert!(!tag_names(&run).contains(&"latest"));
    assert_eq!(run.out("version"), "1.9.1");
    // A release that ships without `latest` must be seen: a warning annotation, not a log line.
    let warnings = run.commands("warning");
    assert_eq!(warnings.len(), 1, "{}", run.describe());
    assert!(
        warnings[0].contains("`latest` not given")
            && warnings[0].contains("v2.0.1 is a higher stable release"),
        "{warnings:?}"
    );
    insta::assert_snapshot!("older_line_release_summary", run.summary);

    // A patch to an older minor line: the minor tag stays with its own highest patch.
    let repo = self::repo(&["v1.8.5", "v1.8.3", "v1.9.0"]);
    let run = gha(&repo, "refs/tags/v1.8.3").run();
    run.assert_code(0);
    assert_eq!(tag_names(&run)[0], "1.8.3");
    assert!(!tag_names(&run).contains(&"1.8"), "{:?}", tag_names(&run));
    assert!(!tag_names(&run).contains(&"1"), "{:?}", tag_names(&run));
    assert!(
        run.summary
            .contains("v1.8.5 is a higher stable release in 1.8.x"),
        "{}",
        run.summary
    );
}

#[test]
fn main_summary() {
    let repo = repo(&[]);
    let run = gha(&repo, "refs/heads/main").run();
    run.assert_code(0);
    insta::assert_snapshot!("main_summary", run.summary);
}

/// A pull_request event: the payload's head sha is the build's commit (not GITHUB_SHA, a merge
/// commit no branch contains), the head branch fills {branch}, and the repository's description
/// and license become labels.
#[test]
fn pull_request_event_uses_the_head_sha() {
    let repo = repo(&[]);
    let head = repo.head();
    let g = gha(&repo, "refs/pull/7/merge");
    let payload = serde_json::json!({
        "number": 7,
        "pull_request": {"number": 7, "head": {"sha": head, "ref": "feat/login"}},
        "repository": {"description": "The app", "license": {"spdx_id": "MIT"}}
    });
    let event = g.path().join("event.json");
    std::fs::write(&event, payload.to_string()).unwrap();
    let g = g
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", event.to_str().unwrap())
        .env("GITHUB_SHA", &"f".repeat(40))
        .input("channel-tags", "pr=pr-{pr},{branch}");
    let run = g.run();
    run.assert_code(0);
    assert_eq!(run.out("channel"), "pr");
    assert_eq!(
        tag_names(&run),
        ["pr-7", "feat-login", &format!("sha-{}", &head[..12])]
    );
    let labels = run.out("labels");
    assert!(labels.contains(&format!("org.opencontainers.image.revision={head}")));
    assert!(labels.contains("org.opencontainers.image.description=The app"));
    assert!(labels.contains("org.opencontainers.image.licenses=MIT"));
    // Created is the head commit's committer time, not the clock.
    assert!(
        labels.contains("org.opencontainers.image.created=2024-01-02T04:04:05Z"),
        "{labels}"
    );
    assert!(run.commands("warning").is_empty(), "{}", run.describe());
}

/// actions/checkout's default for a pull request: the merge commit at depth 1, without the head
/// commit. The labels still come out, dated by the merge commit, with a warning saying so.
#[test]
fn pull_request_head_missing_from_a_shallow_checkout() {
    let mut repo = repo(&[]);
    let merge = repo.commit("merge");
    let head = "a".repeat(40);
    let g = gha(&repo, "refs/pull/7/merge");
    let event = g.path().join("event.json");
    std::fs::write(
        &event,
        serde_json::json!({"number": 7, "pull_request": {"number": 7, "head": {"sha": head, "ref": "feat"}}})
            .to_string(),
    )
    .unwrap();
    let run = g
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", event.to_str().unwrap())
        .env("GITHUB_SHA", &merge)
        .run();
    run.assert_code(0);
    let labels = run.out("labels");
    assert!(
        labels.contains(&format!("org.opencontainers.image.revision={head}")),
        "{labels}"
    );
    // The second commit, an hour after the first.
    assert!(
        labels.contains("org.opencontainers.image.created=2024-01-02T05:04:05Z"),
        "{labels}"
    );
    let warnings = run.commands("warning").join("\n");
    assert!(
        warnings.contains("not in the checkout"),
        "{}",
        run.describe()
    );
}

fn versions_json(repo: &Repo, overrides: &[(&str, Value)]) -> String {
    let mut v = serde_json::json!({
        "channel": "main", "is-release": false, "is-prerelease": false,
        "base-version": "0.12.0", "version": "0.12.0-dev.20240102030405.g0123456789ab",
        "latest-tag": "v0.11.0", "latest-version": "0.11.0",
        "npm-version": "0.12.0-dev.20240102030405.g0123456789ab",
        "pypi-version": "0.12.0.dev20240102030405", "go-version": "v0.12.0-dev.20240102030405.g0123456789ab",
        "sha": repo.head(), "short-sha": &repo.head()[..12],
        "timestamp": "20240102030405", "tag-prefix": "v"
    });
    for (k, val) in overrides {
        v[*k] = val.clone();
    }
    v.to_string()
}

#[test]
fn versions_decisions_are_reused() {
    let repo = repo(&[]);
    let g = gha(&repo, "refs/heads/main")
        .input(
            "versions",
            &versions_json(&repo, &[("channel", "edge".into())]),
        )
        .input("channel-tags", "edge=edge,{version}");
    let run = g.run();
    insta::assert_yaml_snapshot!("versions_on_main", snapshot(&g, &run));
    assert_eq!(run.out("channel"), "edge");
    // The version tag first; created from versions.timestamp.
    assert_eq!(
        tag_names(&run)[0],
        "0.12.0-dev.20240102030405.g0123456789ab"
    );
    assert!(run
        .out("labels")
        .contains("org.opencontainers.image.created=2024-01-02T03:04:05Z"));
}

#[test]
fn shallow_clone_without_tags_is_a_loud_usage_error() {
    let origin = repo(&["v1.0.0", "v1.1.0"]);
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    git(
        clone.path(),
        &["clone", "-q", "--depth", "1", "--no-tags", &url, "."],
    );
    let run = Gha::new()
        .input("mode", "channel-tags")
        .input("images", IMAGE)
        .env("GITHUB_REF", "refs/tags/v1.1.0")
        .cwd(clone.path())
        .run();
    run.assert_code(2);
    assert!(run.stdout.contains("fetch-depth: 0"), "{}", run.describe());
    assert!(
        run.summary.contains("Release tags not fetched"),
        "{}",
        run.summary
    );
    assert!(run.outputs.is_empty(), "no outputs after a usage error");

    // With version-guard's latest-version, `latest` can be decided; `{major}` cannot.
    let versions = serde_json::json!({
        "channel": "release", "is-release": true, "is-prerelease": false, "version": "1.1.0",
        "sha": git(clone.path(), &["rev-parse", "HEAD"]), "timestamp": "20240102030405",
        "latest-version": "1.0.0"
    })
    .to_string();
    let base = || {
        Gha::new()
            .input("mode", "channel-tags")
            .input("images", IMAGE)
            .input("versions", &versions)
            .env("GITHUB_REF", "refs/tags/v1.1.0")
            .cwd(clone.path())
    };
    let run = base()
        .input("channel-tags", "release={version},latest")
        .run();
    run.assert_code(0);
    assert_eq!(tag_names(&run)[..2], ["1.1.0", "latest"]);
    let run = base().run();
    run.assert_code(2);
    assert!(
        run.stdout.contains("need every release tag"),
        "{}",
        run.describe()
    );
}

#[test]
fn invariants_fail_with_exit_1() {
    let repo = repo(&["v1.0.0"]);
    // A release channel on a branch.
    let run = gha(&repo, "refs/heads/main")
        .input("channels", "main=release")
        .run();
    run.assert_code(1);
    assert!(
        run.summary.contains("A release channel on a branch"),
        "{}",
        run.summary
    );

    // versions says is-release while the ref is a branch.
    let run = gha(&repo, "refs/heads/main")
        .input(
            "versions",
            &versions_json(
                &repo,
                &[("is-release", true.into()), ("channel", "release".into())],
            ),
        )
        .run();
    run.assert_code(1);
    assert!(
        run.summary.contains("A release on a branch"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("is-release=true"), "{}", run.summary);

    // versions computed for another tag.
    let run = gha(&repo, "refs/tags/v1.0.0")
        .input(
            "versions",
            &versions_json(
                &repo,
                &[
                    ("is-release", true.into()),
                    ("channel", "release".into()),
                    ("version", "1.0.1".into()),
                ],
            ),
        )
        .run();
    run.assert_code(1);
    assert!(
        run.summary
            .contains("Input `versions` does not match the tag"),
        "{}",
        run.summary
    );

    // A semver placeholder requested on a branch build.
    let run = gha(&repo, "refs/heads/main")
        .input("channel-tags", "main=latest,{major}.{minor}")
        .run();
    run.assert_code(1);
    assert!(run.summary.contains("{major}, {minor}"), "{}", run.summary);

    // A branch whose name reads as a version.
    for branch in ["2.0", "v3", "1.2.3-rc.1"] {
        let run = gha(&repo, &format!("refs/heads/{branch}")).run();
        run.assert_code(1);
        assert!(
            run.summary.contains("looks like a release version"),
            "{branch}: {}",
            run.summary
        );
    }

    // A literal version in a branch channel's tags.
    let run = gha(&repo, "refs/heads/dev")
        .input("channel-tags", "dev=dev,1.0.0")
        .run();
    run.assert_code(1);

    // A tag that is not a release version.
    let run = gha(&repo, "refs/tags/nightly").run();
    run.assert_code(1);
}

#[test]
fn bad_inputs_fail_with_exit_2_naming_the_input() {
    let repo = repo(&[]);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("versions", "{not json")],
            "input `versions`: not JSON",
        ),
        (
            vec![("versions", r#"{"channel":"main"}"#)],
            "input `versions`: key `",
        ),
        (
            vec![("channel-tags", "main=latest\nbogus")],
            "input `channel-tags`, line 2",
        ),
        (
            vec![("channel-tags", "main={nope}")],
            "unknown placeholder {nope}",
        ),
        (vec![("labels", "novalue")], "input `labels`, line 1"),
        (vec![("images", "ghcr.io/org/app:1.0")], "input `images`"),
        (vec![("sha-tag", "{bad}")], "input `sha-tag`"),
        (vec![("channels", "main")], "input `channels`, line 1"),
        (vec![("channel-tags", "main={pr}")], "uses {pr}"),
        (
            vec![("channel-tags", "main="), ("sha-tag", "none")],
            "gets no tags",
        ),
    ];
    for (inputs, expected) in cases {
        let mut g = gha(&repo, "refs/heads/main");
        for (k, v) in &inputs {
            g = g.input(k, v);
        }
        let run = g.run();
        run.assert_code(2);
        let errors = run.commands("error").join("\n");
        assert!(
            errors.contains(expected),
            "{inputs:?}: expected {expected:?} in\n{}",
            run.describe()
        );
        assert!(run.outputs.is_empty(), "{inputs:?}");
    }
    let run = Gha::new()
        .input("mode", "channel-tags")
        .env("GITHUB_REF", "refs/heads/main")
        .cwd(repo.path())
        .run();
    run.assert_code(2);
    assert!(run
        .commands("error")
        .join("")
        .contains("input `images`: not set, but it is required"));
}

#[test]
fn source_date_epoch_sets_created() {
    let repo = repo(&[]);
    let run = gha(&repo, "refs/heads/main")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .run();
    run.assert_code(0);
    assert!(run
        .out("labels")
        .contains("org.opencontainers.image.created=2023-11-14T22:13:20Z"));
}

/// docker/metadata-action's form (`tags`/`flavor` rules): what a user sees of a tag push with
/// semver rules, and of a run whose rule cannot be read.
#[test]
fn metadata_action_form_summary_and_outputs() {
    let repo = repo(&["v1.0.0", "v1.2.3"]);
    let run = gha(&repo, "refs/tags/v1.2.3")
        .input(
            "tags",
            "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=ref,event=branch\ntype=sha",
        )
        .input("flavor", "latest=auto")
        .env("GITHUB_SHA", &repo.head())
        .env("GITHUB_EVENT_NAME", "push")
        .run();
    run.assert_code(0);
    assert_eq!(
        tag_names(&run),
        [
            "1.2.3",
            "1.2",
            &format!("sha-{}", &repo.head()[..7]),
            "latest"
        ]
    );
    let seen = snap::seen(&run)
        .replace(&repo.head(), "[sha]")
        .replace(&repo.head()[..7], "[short-sha]");
    snap::settings().bind(|| insta::assert_snapshot!("metadata_action_tag_push_seen", seen));

    let run = gha(&repo, "refs/tags/v1.2.3")
        .input(
            "tags",
            "type=semver,pattern={{version}}\ntype=nonsense,value=x",
        )
        .env("GITHUB_SHA", &repo.head())
        .run();
    run.assert_code(2);
    assert!(run.outputs.is_empty(), "{:?}", run.outputs);
    snap::settings()
        .bind(|| insta::assert_snapshot!("metadata_action_bad_rule_seen", snap::seen(&run)));
}
