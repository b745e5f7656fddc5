//! The attestation gate's failures on the pull request (issue #26 item 3): publish-check posts one
//! comment with the failure's table (artifact, expected, found, failed check), a later pass
//! updates it, a fork's read-only token is a warning, and a hostile signer identity is escaped.
//! GitHub is the local REST stand-in (support/github_api.rs), the registry the npm stand-in of
//! attestation_gate.rs, the provenance the forge's.

use std::path::Path;

use crate::attestation_gate::{
    npm_case, npm_registry, npm_registry_with_tarball, npm_tarball, publish_check, VERSION,
    WORKFLOW_REF,
};
use crate::support::github_api::{Comment, GitHubApi};
use crate::support::harness::{Gha, Run};
use crate::support::sigstore_forge::Forged;

const REPOSITORY: &str = "acme/sdk";
const TOKEN: &str = "ghs_gate_comment_token_123";
const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";
/// The start of publish-check's marker in job `check-npm` (a hash of the step's `packages` follows).
const MARKER: &str = "<!-- release-action:publish-check job=check-npm scope=";

/// publish-check on pull request #7, commenting through `api`, in job `check-npm`.
fn on_pull_request(gha: Gha, api: &GitHubApi) -> Run {
    on_pull_request_in_job(gha, api, "check-npm")
}

/// The same in `job`. Every use of a mode runs as the composite action's inner step `run`, so
/// `GITHUB_ACTION` is `run` in every job, as on GitHub.
fn on_pull_request_in_job(gha: Gha, api: &GitHubApi, job: &str) -> Run {
    let event = gha.path().join("event.json");
    std::fs::write(
        &event,
        serde_json::json!({"number": 7, "pull_request": {"number": 7, "head": {"sha": HEAD, "ref": "feature"}}})
            .to_string(),
    )
    .unwrap();
    gha.input("token", TOKEN)
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", event.to_str().unwrap())
        .env("GITHUB_REF", "refs/pull/7/merge")
        .env("GITHUB_REPOSITORY", REPOSITORY)
        .env("GITHUB_API_URL", &api.url())
        .env("GITHUB_ACTION", "run")
        .env("GITHUB_JOB", job)
        .run()
}

fn ours(api: &GitHubApi) -> Vec<Comment> {
    api.comments()
        .into_iter()
        .filter(|c| c.body.contains("release-action:publish-check"))
        .collect()
}

fn writes(api: &GitHubApi) -> Vec<String> {
    api.requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path()))
        .collect()
}

#[test]
fn provenance_failure_is_commented_on_the_pull_request_and_a_pass_updates_it() {
    let tarball = npm_tarball("a");
    let (workspace, forged) = npm_case(&tarball, &tarball);
    let server = npm_registry(&tarball, &forged, false);
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    let failed = on_pull_request(
        publish_check(workspace.path(), &forged, &server.base()).input("provenance", "required"),
        &api,
    );
    failed.assert_code(1);
    let comments = ours(&api);
    assert_eq!(comments.len(), 1, "{}", failed.describe());
    let body = &comments[0].body;
    assert_eq!(comments[0].issue, 7);
    assert!(body.starts_with(MARKER), "{body}");
    // The table's row: artifact, expected, found, failed check.
    let row = body
        .lines()
        .find(|l| l.starts_with("| dist/forge-pkg-1.2.3.tgz |"))
        .unwrap_or_else(|| panic!("no row for the artifact:\n{body}"));
    assert!(
        row.contains("none published") && row.ends_with("| present |"),
        "{row}"
    );
    insta::assert_snapshot!(
        "gate_comment_failure",
        body.replace(WORKFLOW_REF, "<workflow-ref>")
    );

    // Provenance is optional again: the run passes and the same comment says so.
    let passed = on_pull_request(
        publish_check(workspace.path(), &forged, &server.base()),
        &api,
    );
    passed.assert_code(0);
    let comments = ours(&api);
    assert_eq!(comments.len(), 1);
    insta::assert_snapshot!("gate_comment_passing", comments[0].body);
    assert_eq!(
        writes(&api),
        [
            "POST /repos/acme/sdk/issues/7/comments".to_string(),
            format!("PATCH /repos/acme/sdk/issues/comments/{}", comments[0].id),
        ]
    );
}

/// Two jobs run publish-check through the composite action (the same inner step id, `run`): one
/// fails, then the other passes. The passing job must not turn the failing job's comment into
/// "passes"; each job has its own comment.
#[test]
fn another_job_passing_leaves_this_jobs_failure_comment_alone() {
    let tarball = npm_tarball("a");
    let (workspace, forged) = npm_case(&tarball, &tarball);
    let server = npm_registry(&tarball, &forged, false);
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    let failed = on_pull_request_in_job(
        publish_check(workspace.path(), &forged, &server.base()).input("provenance", "required"),
        &api,
        "npm",
    );
    failed.assert_code(1);
    let passed = on_pull_request_in_job(
        publish_check(workspace.path(), &forged, &server.base()),
        &api,
        "docs",
    );
    passed.assert_code(0);
    // The docs job passed and had no comment of its own: it posts nothing and edits nothing.
    let comments = ours(&api);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(writes(&api), ["POST /repos/acme/sdk/issues/7/comments"]);
    let npm = comments
        .iter()
        .find(|c| c.body.contains("job=npm "))
        .expect("the npm job's comment");
    assert!(
        npm.body.contains("### ❌ publish-check") && !npm.body.contains("passes"),
        "the failing job's comment still says it failed:\n{}",
        npm.body
    );
}

#[test]
fn a_read_only_token_is_a_warning_and_the_gate_decides_the_exit_code() {
    let tarball = npm_tarball("a");
    let (workspace, forged) = npm_case(&tarball, &tarball);
    let server = npm_registry(&tarball, &forged, false);
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    api.with(|s| s.forbid_writes = true);
    let run = on_pull_request(
        publish_check(workspace.path(), &forged, &server.base()).input("provenance", "required"),
        &api,
    );
    run.assert_code(1);
    assert!(
        run.commands("warning")
            .iter()
            .any(|w| w.contains("cannot comment on pull request #7") && w.contains("HTTP 403")),
        "{}",
        run.stdout
    );
    assert!(api.comments().is_empty());
    // The token is masked before anything could print it.
    assert!(
        run.stdout.contains(&format!("::add-mask::{TOKEN}")),
        "{}",
        run.stdout
    );
}

const HOSTILE: &str =
    "https://github.com/x/<img src=x onerror=alert(1)>[x](http://evil.example)::error::owned/.github/workflows/r.yml@refs/tags/v1";

#[test]
fn a_hostile_signer_identity_is_escaped_in_the_comment() {
    let tarball = npm_tarball("a");
    let workspace = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(workspace.path().join("dist")).unwrap();
    std::fs::write(workspace.path().join("dist/forge-pkg-1.2.3.tgz"), &tarball).unwrap();
    let signed: &Path = &workspace.path().join("signed.tgz");
    std::fs::write(signed, &tarball).unwrap();
    let forged = Forged::with_args(&[
        "--npm-tarball",
        signed.to_str().unwrap(),
        "--npm-identity",
        HOSTILE,
    ]);
    let server = npm_registry(&tarball, &forged, true);
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    let run = on_pull_request(
        publish_check(workspace.path(), &forged, &server.base()),
        &api,
    );
    run.assert_code(1);
    let comments = ours(&api);
    assert_eq!(comments.len(), 1, "{}", run.describe());
    let body = &comments[0].body;
    assert!(body.contains("identity"), "{body}");
    for raw in ["<img", "[x](", "http://evil", "::error::"] {
        assert!(!body.contains(raw), "{raw} unescaped:\n{body}");
    }
    assert!(
        body.contains("&lt;img src=x onerror=alert(1)&gt;\\[x\\](http\\://evil.example)\\:\\:error\\:\\:owned"),
        "{body}"
    );
}

/// verify-bundle on pull request #7: a bundle by another identity is commented (marker with the
/// mode and step), and a bundle that verifies in the same step updates the comment to "passes".
#[test]
fn verify_bundle_failure_is_commented_and_a_pass_updates_it() {
    let forged = Forged::new();
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    let tampered = forged.case("tampered-identity");
    let happy = forged
        .cases()
        .into_iter()
        .find(|c| c.expect == "verified" && c.kind == "message" && c.identity == tampered.identity)
        .expect("an untampered message bundle of the same identity");
    let verify = |case: &crate::support::sigstore_forge::Case| {
        Gha::new()
            .input("mode", "verify-bundle")
            .input("bundle", case.bundle.to_str().unwrap())
            .input("artifact", case.artifact.to_str().unwrap())
            .input("certificate-identity", &case.identity)
            .input("certificate-oidc-issuer", &case.issuer)
            .input("trusted-root", forged.trusted_root().to_str().unwrap())
    };
    let failed = on_pull_request(verify(&tampered), &api);
    failed.assert_code(1);
    let comments: Vec<Comment> = api
        .comments()
        .into_iter()
        .filter(|c| {
            c.body
                .contains("<!-- release-action:verify-bundle job=check-npm scope=")
        })
        .collect();
    assert_eq!(comments.len(), 1, "{}", failed.describe());
    let row = comments[0]
        .body
        .lines()
        .find(|l| l.starts_with("| ") && l.ends_with("| identity |"))
        .unwrap_or_else(|| panic!("no failure row:\n{}", comments[0].body));
    assert!(
        row.contains("evil-owner") && row.contains("https\\://"),
        "{row}"
    );

    on_pull_request(verify(&happy), &api).assert_code(0);
    let comments = api.comments();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.contains("### ✅ verify-bundle passes"),
        "{}",
        comments[0].body
    );
}

/// smoke-install of a registry package whose provenance is about other bytes, on pull request
/// #7: nothing is installed (exit 1) and the comment names the entry and the `subject` check.
#[test]
fn smoke_install_provenance_failure_is_commented() {
    let tarball = npm_tarball("a");
    let (_workspace, forged) = npm_case(&tarball, &npm_tarball("signed"));
    let server = npm_registry_with_tarball(&tarball, &forged);
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    let gha = Gha::new()
        .env("GITHUB_WORKFLOW_REF", WORKFLOW_REF)
        .input("mode", "smoke-install")
        .input("packages", "npm:forge-pkg@1.2.3")
        .input("npm-registry", &server.base())
        .input("expected-version", VERSION)
        .input("trusted-root", forged.trusted_root().to_str().unwrap());
    let run = on_pull_request(gha, &api);
    run.assert_code(1);
    let comments: Vec<Comment> = api
        .comments()
        .into_iter()
        .filter(|c| {
            c.body
                .contains("<!-- release-action:smoke-install job=check-npm scope=")
        })
        .collect();
    assert_eq!(comments.len(), 1, "{}", run.describe());
    let row = comments[0]
        .body
        .lines()
        .find(|l| l.starts_with("| npm\\:forge-pkg@1.2.3 |"))
        .unwrap_or_else(|| panic!("no failure row:\n{}", comments[0].body));
    assert!(row.ends_with("| subject |"), "{row}");
}
