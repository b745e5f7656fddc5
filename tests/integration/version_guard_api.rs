//! version-guard against a local GitHub REST API (tests/integration/support/github_api.rs): tags from the API
//! in shallow clones, every page read, errors, GitHub Enterprise base paths, and the pull-request
//! comment.

use crate::support;
use crate::support::harness;

use harness::{git, Gha, Repo, Run};
use support::github_api::{Comment, GitHubApi};

const REPOSITORY: &str = "acme/sdk";
const TOKEN: &str = "ghs_test_token_123";

/// A shallow clone (`--depth 1`, no tags), as actions/checkout makes by default.
fn shallow_clone(origin: &Repo) -> tempfile::TempDir {
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    git(
        parent.path(),
        &["clone", "-q", "--depth", "1", "--no-tags", &url, "clone"],
    );
    parent
}

fn guard(dir: &std::path::Path, api: &GitHubApi, git_ref: &str) -> Gha {
    Gha::new()
        .input("mode", "version-guard")
        .input("token", TOKEN)
        .env("GITHUB_REF", git_ref)
        .env("GITHUB_REPOSITORY", REPOSITORY)
        .env("GITHUB_API_URL", &api.url())
        .cwd(dir)
}

#[test]
fn shallow_clone_reads_every_page_of_tags_from_the_api() {
    let mut origin = Repo::new();
    origin.commit("one");
    origin.commit("two");
    let parent = shallow_clone(&origin);
    let clone = parent.path().join("clone");
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    // 2,500 tags, the highest release on the last page, a higher prerelease and other prefixes.
    api.with(|s| {
        for i in 0..2499 {
            s.tags.push(format!("v0.{}.{}", i / 100, i % 100));
        }
        s.tags.push("v1.0.0-rc.1".into());
        s.tags.push("sdk/go/v9.0.0".into());
        s.tags.push("v0.99.0".into());
    });
    let run = guard(&clone, &api, "refs/heads/main").run();
    run.assert_code(0);
    assert_eq!(run.out("latest-tag"), "v0.99.0");
    assert_eq!(run.out("base-version"), "0.99.1");
    assert!(run
        .stdout
        .contains(&format!("2502 tags from {}", api.url())));
    let pages: Vec<String> = api
        .requests()
        .iter()
        .filter(|r| r.path() == "/repos/acme/sdk/tags")
        .map(|r| r.query("page").unwrap_or_else(|| "1".into()))
        .collect();
    let expected: Vec<String> = (1..=26).map(|p| p.to_string()).collect();
    assert_eq!(pages, expected);
    assert!(api
        .requests()
        .iter()
        .all(|r| r.query("per_page").as_deref() == Some("100")));
    // The token never reaches the log in clear.
    assert!(!run.stdout.contains(TOKEN) || run.stdout.contains(&format!("::add-mask::{TOKEN}")));
    // Without ancestry in a shallow clone, Go's base (the highest tag, prereleases included) is
    // assumed to be an ancestor, and the run says so.
    assert!(
        run.out("go-version").starts_with("v1.0.0-rc.1.0."),
        "{}",
        run.out("go-version")
    );
    assert!(run
        .commands("warning")
        .iter()
        .any(|w| w.contains("assumes v1.0.0-rc.1 is an ancestor")));

    // tags-from: git refuses the same clone even with a token.
    let run = guard(&clone, &api, "refs/heads/main")
        .input("tags-from", "git")
        .run();
    run.assert_code(2);
    assert!(run.commands("error")[0].contains("fetch-depth: 0"));
}

#[test]
fn tag_builds_from_the_api_refuse_going_backwards() {
    let mut origin = Repo::new();
    origin.commit("one");
    let parent = shallow_clone(&origin);
    let clone = parent.path().join("clone");
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    api.with(|s| s.tags = vec!["v1.3.0".into(), "v1.2.0".into()]);
    let run = guard(&clone, &api, "refs/tags/v1.2.0")
        .input("tags-from", "api")
        .run();
    run.assert_code(1);
    assert!(run.commands("error")[0].contains("refusing v1.2.0: v1.3.0 already exists"));
}

#[test]
fn github_enterprise_base_path_is_kept() {
    let mut origin = Repo::new();
    origin.commit("one");
    let api = GitHubApi::start_at(REPOSITORY, TOKEN, "/api/v3");
    api.with(|s| s.tags = vec!["v2.0.0".into()]);
    let run = guard(origin.path(), &api, "refs/heads/main")
        .input("tags-from", "api")
        .run();
    run.assert_code(0);
    assert_eq!(run.out("latest-tag"), "v2.0.0");
    assert_eq!(api.requests()[0].path(), "/api/v3/repos/acme/sdk/tags");
}

#[test]
fn api_errors_exit_2_with_the_reason() {
    let mut origin = Repo::new();
    origin.commit("one");
    let api = GitHubApi::start("someone/else", TOKEN);
    let run = guard(origin.path(), &api, "refs/heads/main")
        .input("tags-from", "api")
        .run();
    run.assert_code(2);
    let error = &run.commands("error")[0];
    assert!(error.contains("HTTP 404: Not Found"), "{error}");
    assert!(error.contains("/repos/acme/sdk/tags"), "{error}");

    let api = GitHubApi::start(REPOSITORY, "another-token");
    let run = guard(origin.path(), &api, "refs/heads/main")
        .input("tags-from", "api")
        .run();
    run.assert_code(2);
    assert!(run.commands("error")[0].contains("HTTP 401: Bad credentials"));

    // Nothing listening: a transport error, still exit 2 and never a pass.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let run = Gha::new()
        .input("mode", "version-guard")
        .input("token", TOKEN)
        .input("tags-from", "api")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_REPOSITORY", REPOSITORY)
        .env("GITHUB_API_URL", &format!("http://127.0.0.1:{port}"))
        .cwd(origin.path())
        .run();
    run.assert_code(2);
    assert!(run.commands("error")[0].contains("Cannot read tags from the GitHub API"));
}

/// A pull-request run of version-guard in `repo`.
fn pr_run(repo: &Repo, api: &GitHubApi, base_version: &str) -> Run {
    let gha = guard(repo.path(), api, "refs/pull/7/merge");
    let event = gha.path().join("event.json");
    std::fs::write(
        &event,
        serde_json::json!({"number": 7, "pull_request": {"number": 7, "head": {"sha": repo.head(), "ref": "feature"}}})
            .to_string(),
    )
    .unwrap();
    gha.env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", event.to_str().unwrap())
        .input("base-version", base_version)
        .run()
}

fn comment_text(c: &Comment, repo: &Repo) -> String {
    c.body.replace(&repo.head(), "<sha>")
}

#[test]
fn pull_request_comment_is_created_updated_and_resolved() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v0.11.0");
    repo.commit("two");
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    // Someone else's comments, enough to push ours past the first page.
    api.with(|s| {
        for i in 0..120 {
            s.comments.push(Comment {
                id: i,
                issue: 7,
                body: format!("looks good {i}"),
                ..Default::default()
            });
        }
        s.comments.push(Comment {
            id: 500,
            issue: 8,
            body: "other pull request".into(),
            ..Default::default()
        });
    });

    let failed = pr_run(&repo, &api, "0.10.0");
    failed.assert_code(1);
    let ours: Vec<Comment> = api
        .comments()
        .into_iter()
        .filter(|c| c.body.contains("release-action:version-guard"))
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].issue, 7);
    // Inline code renders as code: no backslash before the backticks of `base-version`.
    assert!(
        ours[0].body.contains("in `base-version`") && !ours[0].body.contains("\\`"),
        "{}",
        ours[0].body
    );
    insta::assert_snapshot!("pr_comment_failure", comment_text(&ours[0], &repo));

    // A second failing run edits the same comment instead of adding one.
    repo.commit("three");
    pr_run(&repo, &api, "0.11.0").assert_code(1);
    let ours: Vec<Comment> = api
        .comments()
        .into_iter()
        .filter(|c| c.body.contains("release-action:version-guard"))
        .collect();
    assert_eq!(ours.len(), 1);
    assert!(ours[0].body.contains("base version 0.11.0"));
    let methods: Vec<String> = api
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path()))
        .collect();
    assert_eq!(
        methods,
        [
            "POST /repos/acme/sdk/issues/7/comments".to_string(),
            format!("PATCH /repos/acme/sdk/issues/comments/{}", ours[0].id),
        ]
    );

    // Passing now: the comment says so.
    let passed = pr_run(&repo, &api, "0.12.0");
    passed.assert_code(0);
    let ours: Vec<Comment> = api
        .comments()
        .into_iter()
        .filter(|c| c.body.contains("release-action:version-guard"))
        .collect();
    assert_eq!(ours.len(), 1);
    let text = comment_text(&ours[0], &repo).replace(&repo.head()[..12], "<short-sha>");
    insta::assert_snapshot!("pr_comment_passing", text);
}

#[test]
fn passing_pull_requests_without_a_comment_post_nothing() {
    let mut repo = Repo::new();
    repo.commit("one");
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    pr_run(&repo, &api, "0.2.0").assert_code(0);
    assert!(api.comments().is_empty());
    assert!(api.requests().iter().all(|r| r.method == "GET"));
}

#[test]
fn a_read_only_token_is_a_warning_not_a_failure() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.0.0");
    repo.commit("two");
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    api.with(|s| s.forbid_writes = true);
    // The guard's own failure decides the exit code; the refused comment only warns.
    let run = pr_run(&repo, &api, "0.9.0");
    run.assert_code(1);
    let warnings = run.commands("warning");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("cannot comment on pull request #7") && w.contains("HTTP 403")),
        "{}",
        run.stdout
    );
    assert!(api.comments().is_empty());
}

/// A `Link: rel="next"` to another origin (a hostile or confused API, a proxy rewriting links):
/// the token must never reach that host, and the run must not pass on a partial tag list.
#[test]
fn a_next_page_on_another_origin_gets_no_token_and_fails_closed() {
    let mut origin = Repo::new();
    origin.commit("one");
    let parent = shallow_clone(&origin);
    let clone = parent.path().join("clone");
    let elsewhere = GitHubApi::start(REPOSITORY, TOKEN);
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    let foreign = elsewhere.url();
    api.with(|s| {
        for i in 0..150 {
            s.tags.push(format!("v0.1.{i}"));
        }
        s.link_origin = Some(foreign.clone());
    });
    let run = guard(&clone, &api, "refs/heads/main").run();
    run.assert_code(2);
    assert!(
        run.stdout
            .contains(&format!("refusing to send the token to {foreign}")),
        "{}",
        run.stdout
    );
    let leaked: Vec<_> = elsewhere
        .requests()
        .into_iter()
        .filter(|r| r.headers.values().any(|v| v.contains(TOKEN)))
        .collect();
    assert!(leaked.is_empty(), "the token reached {foreign}: {leaked:?}");
    assert!(elsewhere.requests().is_empty());
}
