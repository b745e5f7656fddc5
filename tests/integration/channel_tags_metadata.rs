//! channel-tags with docker/metadata-action's configuration, proven against the peer's own test
//! table: every case of its `__tests__/meta.test.ts` (transcribed as facts into
//! tests/fixtures/metadata-action/cases.jsonl, one row per case, named as the peer names it; the
//! event facts in tests/fixtures/metadata-action/events/) runs through the real binary with a
//! runner-like environment and a local stand-in for the REST API, and its outputs are compared
//! with the peer's expectations.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::support::github_api::GitHubApi;
use crate::support::harness::{Gha, Repo, Run};

const TOKEN: &str = "ghs_metadata_port_token";
const REPOSITORY: &str = "docker/test-docker-action";
/// The peer's test pins the clock at 2020-01-10T00:30:00Z; SOURCE_DATE_EPOCH is ours.
const CLOCK: &str = "1578616200";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metadata-action")
}

fn rows() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("cases.jsonl")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The repository the peer's test serves from its API mock (its `repo.json`): the facts the
/// default labels are made of.
fn repo_facts() -> Value {
    json!({
        "id": 1296269,
        "name": "Hello-World",
        "full_name": "octocat/Hello-World",
        "html_url": "https://github.com/octocat/Hello-World",
        "description": "This your first repo!",
        "default_branch": "master",
        "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"}
    })
}

fn api(tags: &[&str]) -> GitHubApi {
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    api.with(|s| {
        s.repo = Some(repo_facts());
        s.tags = tags.iter().map(|t| t.to_string()).collect();
    });
    api
}

fn lines(text: &str) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n').map(str::to_string).collect()
    }
}

struct Outcome {
    run: Run,
    env_file: String,
    /// Keeps RUNNER_TEMP (the bake files) until the row is compared.
    _runner: Gha,
}

/// Runs one row; `extra` inputs are added (e.g. `floating-tags`).
fn run_row(row: &Value, api: &GitHubApi, extra: &[(&str, &str)]) -> Outcome {
    let event = row["event"].as_str().unwrap();
    // No `mode`: the step is the peer's, with only its `uses:` line changed.
    let mut gha = Gha::new()
        .input("github-token", TOKEN)
        .env("GITHUB_API_URL", &api.url())
        .env("SOURCE_DATE_EPOCH", CLOCK);
    let env_text = std::fs::read_to_string(fixtures().join(format!("events/{event}.env"))).unwrap();
    for line in env_text.lines().filter(|l| l.contains('=')) {
        let (k, v) = line.split_once('=').unwrap();
        gha = gha.env(k, v);
    }
    let payload = fixtures().join(format!("events/{event}.json"));
    if payload.exists() {
        gha = gha.env("GITHUB_EVENT_PATH", payload.to_str().unwrap());
    }
    if let Some(env) = row["env"].as_object() {
        for (k, v) in env {
            gha = gha.env(k, v.as_str().unwrap());
        }
    }
    let inputs = row["inputs"].as_object().unwrap();
    for (k, v) in inputs {
        gha = gha.input(k, v.as_str().unwrap());
    }
    for (k, v) in extra {
        gha = gha.input(k, v);
    }
    let env_path = gha.path().join("github_env");
    std::fs::write(&env_path, "").unwrap();
    let gha = gha.env("GITHUB_ENV", env_path.to_str().unwrap());
    let run = gha.run();
    let env_file = std::fs::read_to_string(&env_path).unwrap();
    Outcome {
        run,
        env_file,
        _runner: gha,
    }
}

fn read_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}")))
        .unwrap()
}

/// The differences between our outputs and the row's expectations, one line each.
fn differences(row: &Value, outcome: &Outcome) -> Vec<String> {
    let run = &outcome.run;
    let expect = &row["expect"];
    let mut diffs = Vec::new();
    if run.code != 0 {
        return vec![format!("exit {}: {}", run.code, run.describe())];
    }
    let mut check = |what: &str, ours: Value, theirs: &Value| {
        if &ours != theirs {
            diffs.push(format!("{what}: ours {ours} / peer {theirs}"));
        }
    };
    let levels = row["env"]["DOCKER_METADATA_ANNOTATIONS_LEVELS"]
        .as_str()
        .unwrap_or("manifest");
    if let Some(version) = expect.get("version") {
        check("version", json!(run.out("version")), version);
    }
    match expect.get("tags") {
        Some(Value::String(joined)) => check("tags", json!(run.out("tags")), &json!(joined)),
        Some(list) => check("tags", json!(lines(run.out("tags"))), list),
        None => {}
    }
    if let Some(labels) = expect.get("labels") {
        check("labels", json!(lines(run.out("labels"))), labels);
    }
    if let Some(Value::Array(plain)) = expect.get("annotations") {
        let theirs: Vec<String> = levels
            .split(',')
            .flat_map(|l| {
                plain
                    .iter()
                    .map(move |a| format!("{l}:{}", a.as_str().unwrap()))
            })
            .collect();
        check(
            "annotations",
            json!(lines(run.out("annotations"))),
            &json!(theirs),
        );
    }
    if let Some(j) = expect.get("json") {
        check("json", serde_json::from_str(run.out("json")).unwrap(), j);
    }
    for file in [
        "bake-file-tags",
        "bake-file-labels",
        "bake-file-annotations",
        "bake-file",
    ] {
        if let Some(theirs) = expect.get(file) {
            check(file, read_json(run.out(file)), theirs);
        }
    }
    diffs
}

/// What the runner reads from `$GITHUB_ENV`, by the same heredoc rules as outputs.
fn env_vars(text: &str) -> std::collections::BTreeMap<String, String> {
    crate::support::harness::parse_output_file(text).unwrap()
}

#[test]
fn every_metadata_action_case_with_floating_tags_as_the_peer_gives_them() {
    let api = api(&[]);
    let rows = rows();
    assert_eq!(
        rows.len(),
        131,
        "the peer's meta.test.ts tables have 131 cases"
    );
    let mut failures = Vec::new();
    let mut defaults = 0;
    for row in &rows {
        let inputs = row["inputs"].as_object().unwrap();
        if !inputs.contains_key("tags") && !inputs.contains_key("flavor") {
            defaults += 1;
        }
        let outcome = run_row(row, &api, &[("floating-tags", "follow-metadata-action")]);
        let diffs = differences(row, &outcome);
        if !diffs.is_empty() {
            failures.push(format!(
                "{}/{}:\n  {}",
                row["table"],
                row["name"],
                diffs.join("\n  ")
            ));
            continue;
        }
        // DOCKER_METADATA_OUTPUT_* carry the same values as the outputs.
        let env = env_vars(&outcome.env_file);
        for (name, value) in &outcome.run.outputs {
            let var = format!(
                "DOCKER_METADATA_OUTPUT_{}",
                name.to_uppercase().replace('-', "_")
            );
            assert_eq!(env.get(&var), Some(value), "{}: {var}", row["name"]);
        }
    }
    println!(
        "metadata-action port (floating-tags: follow-metadata-action, no `mode`): identical {} / total {} ({} rows give no `tags`/`flavor` and rely on the peer's defaults)",
        rows.len() - failures.len(),
        rows.len(),
        defaults
    );
    assert!(
        failures.is_empty(),
        "{} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The repository's releases the protected pass runs against: a later patch in 1.1.x and a
/// 2.0.0, so `1.1`, `1` and `latest` of v1.1.1 and `latest` of any 1.x are not the highest.
const RELEASES: &[&str] = &["v1.1.1", "v1.1.2", "v2.0.0"];

/// The cases the default protection changes against RELEASES: the floating tags withheld (the
/// test fails if the set changes). Why: every case's release is v1.1.1 (the tag ref) or v1.2.3
/// (a `value=`); v1.1.2 is higher in 1.1.x and in 1.x than v1.1.1, and v2.0.0 is higher than both
/// over all releases, so `1.1` and `1` of v1.1.1 and `latest` (with any flavor prefix/suffix) of
/// both are withheld. Prereleases, branches, pull requests and non-version tags get no floating
/// tag to withhold, and `{{version}}`/`{{raw}}`/`{{major}}.{{minor}}.{{patch}}` tags name one
/// release and are always given.
const PROTECTED: &[(&str, &str)] = &[
    ("push/push14", "latest"),
    ("tag/tag11", "1.1, 1, latest"),
    ("tag/tag12", "latest"),
    ("tag/tag21", "latest-dev"),
    ("tag/tag22", "foo-latest-dev"),
    ("tag/tag23", "1.1, latest"),
    ("tag/tag24", "latest"),
    ("tag/tag28", "1.1, 1, latest"),
    ("tag/tag33", "1.1, 1, latest"),
    ("tag/tag34", "latest"),
    ("tag/push35", "latest"),
    ("raw/raw05", "1.1, 1, latest"),
    ("json/json05", "1.1, 1, latest"),
    ("bakeFile/bakeFile05", "1.1, 1, latest"),
];

#[test]
fn every_metadata_action_case_with_floating_tags_protected() {
    let api = api(RELEASES);
    let rows = rows();
    let mut identical = 0;
    let mut protected: Vec<(String, String)> = Vec::new();
    let mut failures = Vec::new();
    for row in &rows {
        let outcome = run_row(row, &api, &[]);
        let key = format!(
            "{}/{}",
            row["table"].as_str().unwrap(),
            row["name"].as_str().unwrap()
        );
        let diffs = differences(row, &outcome);
        if diffs.is_empty() {
            identical += 1;
            continue;
        }
        // A protected case: the same as the peer but without some floating tags, each
        // announced by a warning.
        let notices = outcome.run.commands("warning");
        let withheld: Vec<String> = notices
            .iter()
            .filter_map(|n| n.split("floating tag `").nth(1))
            .filter_map(|rest| rest.split('`').next())
            .map(str::to_string)
            .collect();
        let follow = run_row(row, &api, &[("floating-tags", "follow-metadata-action")]);
        let theirs = lines(follow.run.out("tag-names"));
        let ours = lines(outcome.run.out("tag-names"));
        let expected: Vec<String> = theirs
            .iter()
            .filter(|t| !withheld.contains(t))
            .cloned()
            .collect();
        if withheld.is_empty() || ours != expected {
            failures.push(format!("{key}: {}", diffs.join("; ")));
            continue;
        }
        protected.push((key, withheld.join(", ")));
    }
    println!("metadata-action port (floating-tags protected, releases {RELEASES:?}): identical {identical} / protected {} / total {}", protected.len(), rows.len());
    for (key, why) in &protected {
        println!("  protected {key}: withheld {why}");
    }
    assert!(
        failures.is_empty(),
        "{} cases differ beyond protection:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let found: Vec<(&str, &str)> = protected
        .iter()
        .map(|(k, w)| (k.as_str(), w.as_str()))
        .collect();
    assert_eq!(found, PROTECTED, "the protected cases changed");
}

/// A tag push in a real clone: the releases come from git's tags, `created` from the commit.
fn tag_push(repo: &Repo, tag: &str, tags_input: &str) -> Run {
    Gha::new()
        .input("mode", "channel-tags")
        .input("images", "ghcr.io/acme/app")
        .input("tags", tags_input)
        .env("GITHUB_REF", &format!("refs/tags/{tag}"))
        .env("GITHUB_SHA", &repo.head())
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_REPOSITORY", "acme/app")
        .cwd(repo.path())
        .run()
}

const SEMVER_RULES: &str = "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=semver,pattern={{major}}";

#[test]
fn a_patch_of_an_older_line_keeps_its_line_tags_but_not_latest() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.0.0");
    repo.commit("two");
    repo.tag("v2.0.0");
    repo.commit("fix for 1.x");
    repo.tag("v1.0.1");
    let run = tag_push(&repo, "v1.0.1", SEMVER_RULES);
    run.assert_code(0);
    assert_eq!(run.out("tag-names"), "1.0.1\n1.0\n1");
    assert!(run.commands("notice").is_empty(), "{}", run.describe());
    let notices = run.commands("warning");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0]
            .contains("floating tag `latest` withheld: 1.0.1 is below the existing release v2.0.0"),
        "{notices:?}"
    );
    assert!(
        run.summary.contains("Withheld floating tags"),
        "{}",
        run.summary
    );
    // created is the commit's committer time (2024-01-02T06:04:05Z), never the clock.
    assert!(
        run.out("labels")
            .contains("org.opencontainers.image.created=2024-01-02T06:04:05.000Z"),
        "{}",
        run.out("labels")
    );
    // `follow-metadata-action`: `latest` moves back to 1.0.1, as metadata-action moves it.
    let run = Gha::new()
        .input("mode", "channel-tags")
        .input("images", "ghcr.io/acme/app")
        .input("tags", SEMVER_RULES)
        .input("floating-tags", "follow-metadata-action")
        .env("GITHUB_REF", "refs/tags/v1.0.1")
        .env("GITHUB_SHA", &repo.head())
        .cwd(repo.path())
        .run();
    run.assert_code(0);
    assert_eq!(run.out("tag-names"), "1.0.1\n1.0\n1\nlatest");
    assert!(run.commands("warning").is_empty());
}

#[test]
fn a_shallow_clone_without_tags_and_no_token_withholds_floating_tags_loudly() {
    let mut origin = Repo::new();
    origin.commit("one");
    origin.tag("v1.0.0");
    origin.commit("two");
    origin.tag("v1.1.0");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    crate::support::harness::git(
        clone.path(),
        &["clone", "-q", "--depth", "1", "--no-tags", &url, "."],
    );
    let run = Gha::new()
        .input("mode", "channel-tags")
        .input("images", "ghcr.io/acme/app")
        .input("tags", SEMVER_RULES)
        .env("GITHUB_REF", "refs/tags/v1.1.0")
        .env("GITHUB_SHA", &origin.head())
        .cwd(clone.path())
        .run();
    run.assert_code(0);
    assert_eq!(run.out("tag-names"), "1.1.0");
    let notices = run.commands("warning");
    assert_eq!(notices.len(), 3, "{notices:?}");
    assert!(
        notices
            .iter()
            .all(|n| n.contains("the existing releases are unknown")),
        "{notices:?}"
    );
}

#[test]
fn knobs_and_separators() {
    let mut repo = Repo::new();
    let sha = repo.commit("one");
    let gha = Gha::new()
        .input("mode", "channel-tags")
        .input(
            "images",
            "name=ghcr.io/Acme/App\nname=docker.io/acme/app,enable=false",
        )
        .input(
            "tags",
            "type=sha\ntype=raw,value=x-{{sha}}\n# a comment\ntype=ref,event=branch",
        )
        .input("sep-tags", ",")
        .env("GITHUB_REF", "refs/heads/feature/A#1")
        .env("GITHUB_SHA", &sha)
        .env("DOCKER_METADATA_SHORT_SHA_LENGTH", "10")
        .env("DOCKER_METADATA_SET_OUTPUT_ENV", "false")
        .cwd(repo.path());
    let run = gha.run();
    run.assert_code(0);
    let short = &sha[..10];
    assert_eq!(
        run.out("tags"),
        // By priority: ref (600), raw (200), sha (100).
        format!(
            "ghcr.io/acme/app:feature-A-1,ghcr.io/acme/app:x-{short},ghcr.io/acme/app:sha-{short}"
        )
    );
    assert_eq!(run.out("version"), "feature-A-1");
    let bake: Value = read_json(run.out("bake-file-tags"));
    assert_eq!(
        bake["target"]["docker-metadata-action"]["args"]["DOCKER_META_IMAGES"],
        "ghcr.io/acme/app"
    );
}

#[test]
fn bad_configuration_is_a_clear_error_with_no_outputs() {
    for (tags, env, what) in [
        (
            "type=raw,value=a\ntype=semver",
            None,
            "input `tags`, line 2: type=semver needs a `pattern`",
        ),
        (
            "type=raw,value={{#if x}}y{{/if}}",
            None,
            "block and partial expressions",
        ),
        (
            "type=match,pattern=(?<=v)\\d+",
            None,
            "not a regular expression",
        ),
        (
            "type=raw,value=-dash",
            None,
            "does not follow Docker's grammar",
        ),
        (
            "type=raw,value={{date 'YYYY' tz='Mars/Base'}}",
            None,
            "unknown time zone",
        ),
        (
            "type=sha",
            Some(("DOCKER_METADATA_SHORT_SHA_LENGTH", "seven")),
            "is not a number",
        ),
        (
            "type=raw,value=a,enable=maybe",
            None,
            "`enable` must give true or false",
        ),
    ] {
        let mut gha = Gha::new()
            .input("mode", "channel-tags")
            .input("tags", tags)
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_SHA", &"a".repeat(40));
        if let Some((k, v)) = env {
            gha = gha.env(k, v);
        }
        let run = gha.run();
        run.assert_code(2);
        assert!(
            run.stdout.contains(what),
            "{tags}: {what}\n{}",
            run.describe()
        );
        assert!(run.outputs.is_empty(), "{tags}: {:?}", run.outputs);
    }
    let run = Gha::new()
        .input("mode", "channel-tags")
        .input("flavor", "latest=sometimes")
        .run();
    run.assert_code(2);
    assert!(
        run.stdout.contains("input `flavor`, line 1"),
        "{}",
        run.describe()
    );
}

/// The `org.opencontainers.image.revision` label of a run.
fn revision_label(run: &Run) -> String {
    lines(run.out("labels"))
        .into_iter()
        .find_map(|l| {
            l.strip_prefix("org.opencontainers.image.revision=")
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// metadata-action's `context: git`: the ref and commit come from the checkout's HEAD instead of
/// GITHUB_REF/GITHUB_SHA, for each state actions/checkout leaves: a branch, a detached HEAD at a
/// tag, a detached HEAD at a pull request's merge ref. A HEAD that nothing names, an unknown
/// value, and `context: git` without metadata-action's `tags`/`flavor` are usage errors.
#[test]
fn context_git_takes_the_ref_and_commit_from_the_checkout() {
    use crate::support::harness::git;
    let mut repo = Repo::new();
    repo.commit("one");
    let unnamed = repo.head();
    repo.commit("two");
    let head = repo.head();
    git(repo.path(), &["checkout", "-q", "-b", "feature/x"]);
    let run = |context: Option<&str>, tags: Option<&str>| {
        let mut gha = Gha::new()
            .input("mode", "channel-tags")
            .input("images", "ghcr.io/acme/app")
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_SHA", &unnamed)
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_REPOSITORY", "acme/app")
            .cwd(repo.path());
        if let Some(tags) = tags {
            gha = gha.input("tags", tags);
        }
        if let Some(context) = context {
            gha = gha.input("context", context);
        }
        gha.run()
    };
    let rules = Some("type=ref,event=branch\ntype=ref,event=tag\ntype=ref,event=pr\ntype=sha");
    let tags_of = |run: &Run| {
        run.assert_code(0);
        lines(run.out("tags"))
    };

    // The workflow's ref and sha, as before.
    let workflow = run(None, rules);
    assert_eq!(
        tags_of(&workflow),
        [
            "ghcr.io/acme/app:main".to_string(),
            format!("ghcr.io/acme/app:sha-{}", &unnamed[..7])
        ]
    );
    assert_eq!(revision_label(&workflow), unnamed);

    // On a branch.
    let branch = run(Some("git"), rules);
    assert_eq!(
        tags_of(&branch),
        [
            "ghcr.io/acme/app:feature-x".to_string(),
            format!("ghcr.io/acme/app:sha-{}", &head[..7])
        ]
    );
    assert_eq!(revision_label(&branch), head);

    // Detached at a tag, as a tag push checks out (a tag ref gets `latest`, `latest=auto`).
    git(repo.path(), &["tag", "v1.2.3"]);
    git(repo.path(), &["checkout", "-q", "--detach", "v1.2.3"]);
    assert_eq!(
        tags_of(&run(Some("git"), rules)),
        [
            "ghcr.io/acme/app:v1.2.3".to_string(),
            format!("ghcr.io/acme/app:sha-{}", &head[..7]),
            "ghcr.io/acme/app:latest".to_string()
        ]
    );

    // Detached at a pull request's merge ref, as actions/checkout fetches it.
    git(
        repo.path(),
        &["commit", "-q", "--allow-empty", "-m", "merge of #7"],
    );
    let merge = git(repo.path(), &["rev-parse", "HEAD"]);
    git(
        repo.path(),
        &["update-ref", "refs/remotes/pull/7/merge", &merge],
    );
    git(
        repo.path(),
        &["checkout", "-q", "--detach", "refs/remotes/pull/7/merge"],
    );
    assert_eq!(
        tags_of(&run(Some("git"), rules)),
        [
            "ghcr.io/acme/app:pr-7".to_string(),
            format!("ghcr.io/acme/app:sha-{}", &merge[..7])
        ]
    );

    // Errors, each naming `context`, with no outputs.
    git(repo.path(), &["checkout", "-q", "--detach", &unnamed]);
    for (context, tags, why) in [
        ("git", rules, "no branch, tag or pull request ref"),
        ("branch", rules, "is not `workflow` or `git`"),
        ("git", None, "applies only with `tags` or `flavor`"),
    ] {
        let run = run(Some(context), tags);
        run.assert_code(2);
        let error = run.commands("error").join("\n");
        assert!(
            error.contains("Invalid input `context`") && error.contains(why),
            "{context} {tags:?}: {}",
            run.describe()
        );
        assert!(run.outputs.is_empty(), "{}", run.describe());
    }
}

/// `{{commit_date}}` with no checkout (metadata-action needs none): a `workflow_dispatch` has no
/// commits in its payload and the working directory holds no repository, so the date comes from
/// the REST API's commit (`commit.committer.date`), as the peer reads it. Without a token there
/// is no date to find and it is "now" (SOURCE_DATE_EPOCH here), as for the peer.
#[test]
fn commit_date_comes_from_the_rest_api_when_no_checkout_has_the_commit() {
    const SHA: &str = "860c1904a1ce19322e91ac35af1ab07466440c37";
    let api = api(&[]);
    api.with(|s| {
        s.commit_dates
            .insert(SHA.to_string(), "2024-03-15T10:20:30Z".to_string());
    });
    let empty = tempfile::tempdir().unwrap();
    let run = |token: Option<&str>| {
        let mut gha = Gha::new()
            .input("mode", "channel-tags")
            .input("images", "ghcr.io/acme/app")
            .input("tags", "type=raw,value={{commit_date 'YYYYMMDD-HHmmss'}}")
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_SHA", SHA)
            .env("GITHUB_EVENT_NAME", "workflow_dispatch")
            .env("GITHUB_REPOSITORY", REPOSITORY)
            .env("GITHUB_API_URL", &api.url())
            .env("SOURCE_DATE_EPOCH", CLOCK)
            .cwd(empty.path());
        if let Some(token) = token {
            gha = gha.input("github-token", token);
        }
        gha.run()
    };
    let with_token = run(Some(TOKEN));
    with_token.assert_code(0);
    assert_eq!(
        lines(with_token.out("tags")),
        ["ghcr.io/acme/app:20240315-102030"],
        "{}",
        with_token.describe()
    );
    let without = run(None);
    without.assert_code(0);
    assert_eq!(
        lines(without.out("tags")),
        ["ghcr.io/acme/app:20200110-003000"],
        "{}",
        without.describe()
    );
    // A commit the API does not know (422): "now", and a warning that says why.
    api.with(|s| s.commit_dates.clear());
    let unknown = run(Some(TOKEN));
    unknown.assert_code(0);
    assert_eq!(
        lines(unknown.out("tags")),
        ["ghcr.io/acme/app:20200110-003000"]
    );
    let warnings = unknown.commands("warning").join("\n");
    assert!(
        warnings.contains(SHA) && warnings.contains("the commit date is now"),
        "{}",
        unknown.describe()
    );
}

/// A step with no `mode` and only metadata-action's `images` and `labels` (#24): the peer's
/// default rules apply (a push to a branch is tagged with the branch), and a label line without
/// `=` is dropped, as the peer drops it, with a warning naming it, not a failure. With
/// `mode: channel-tags` the same inputs are channel-tags' own form, which refuses the line.
#[test]
fn a_step_without_mode_is_metadata_action_with_its_defaults() {
    let mut repo = Repo::new();
    let sha = repo.commit("one");
    let step = |mode: Option<&str>| {
        let mut gha = Gha::new()
            .input("images", "ghcr.io/acme/app")
            .input("labels", "just-a-word\norg.example.team=core")
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_SHA", &sha)
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_REPOSITORY", "acme/app")
            .cwd(repo.path());
        if let Some(mode) = mode {
            gha = gha.input("mode", mode);
        }
        gha.run()
    };
    let run = step(None);
    run.assert_code(0);
    assert_eq!(lines(run.out("tags")), ["ghcr.io/acme/app:main"]);
    let labels = lines(run.out("labels"));
    assert!(
        labels.contains(&"org.example.team=core".to_string()),
        "{labels:?}"
    );
    assert!(
        !labels.iter().any(|l| l.contains("just-a-word")),
        "{labels:?}"
    );
    let warnings = run.commands("warning").join("\n");
    assert!(
        warnings.contains("input `labels`, line 1") && warnings.contains("just-a-word"),
        "{}",
        run.describe()
    );
    let own = step(Some("channel-tags"));
    own.assert_code(2);
    assert!(
        own.stdout.contains("input `labels`, line 1"),
        "{}",
        own.describe()
    );
}

/// Found by running the peer's own bundle side by side (bench/metadata_action_side_by_side.py):
/// when no tag is generated there is no version, and the peer's bake files carry no
/// `DOCKER_META_VERSION` argument at all (an undefined value JSON leaves out), not an empty one.
#[test]
fn without_a_version_the_bake_files_have_no_version_argument_as_the_peers() {
    let api = api(&[]);
    let row = json!({"event": "null", "inputs": {"images": "user/app"}});
    let outcome = run_row(&row, &api, &[]);
    outcome.run.assert_code(0);
    assert_eq!(outcome.run.out("version"), "");
    let tags = read_json(outcome.run.out("bake-file-tags"));
    assert_eq!(
        tags,
        json!({"target": {"docker-metadata-action": {
            "tags": [], "args": {"DOCKER_META_IMAGES": "user/app"}}}}),
    );
    let both = read_json(outcome.run.out("bake-file"));
    assert_eq!(
        both["target"]["docker-metadata-action"]["args"],
        json!({"DOCKER_META_IMAGES": "user/app"})
    );
    // With a version the argument is there.
    let row = json!({"event": "push_dev", "inputs": {"images": "user/app"}});
    let outcome = run_row(&row, &api, &[]);
    let tags = read_json(outcome.run.out("bake-file-tags"));
    assert_eq!(
        tags["target"]["docker-metadata-action"]["args"],
        json!({"DOCKER_META_IMAGES": "user/app", "DOCKER_META_VERSION": "dev"})
    );
}

/// The peer reads a list input as CSV twice (found side by side with its bundle): the input's
/// lines first (a field in quotes loses them, `""` is a quote), then each rule. A comma inside
/// an attribute therefore needs its quotes doubled inside a quoted line, as the peer's own test
/// table has it; the same line with single quotes reaches the rule parser without them, where the
/// peer's pattern `^release\d{1` matches nothing and its step gives no tag with a warning. Here
/// that pattern is no regular expression: exit 2 naming the line, never a silent empty result.
#[test]
fn list_inputs_are_read_as_csv_before_each_rule_as_the_peer_reads_them() {
    let api = api(&[]);
    let step = |tags: &str| {
        let row = json!({"event": "tag_release1", "inputs": {"images": "user/app", "tags": tags}});
        run_row(&row, &api, &[])
    };
    let doubled = step(r#""type=match,""pattern=^release\d{1,2}""""#);
    doubled.run.assert_code(0);
    assert_eq!(
        lines(doubled.run.out("tags")),
        ["user/app:release1", "user/app:latest"]
    );
    // Quotes around a field without a comma only go away: the rule is the same.
    let plain = step(r#"type=match,"pattern=^release\d",group=0"#);
    plain.run.assert_code(0);
    assert_eq!(
        lines(plain.run.out("tags")),
        ["user/app:release1", "user/app:latest"]
    );
    let single = step(r#"type=match,"pattern=^release\d{1,2}""#);
    single.run.assert_code(2);
    assert!(
        single.run.stdout.contains("input `tags`, line 1")
            && single.run.stdout.contains("not a regular expression"),
        "{}",
        single.run.describe()
    );
    assert!(single.run.outputs.is_empty(), "{}", single.run.describe());
    // `labels` too: a quoted line keeps its comma and loses its quotes, as the peer's.
    let row = json!({"event": "push_dev", "inputs": {"images": "user/app",
        "labels": "\"org.example.note=a, b\""}});
    let labelled = run_row(&row, &api, &[]);
    labelled.run.assert_code(0);
    assert!(
        lines(labelled.run.out("labels")).contains(&"org.example.note=a, b".to_string()),
        "{}",
        labelled.run.out("labels")
    );
}
