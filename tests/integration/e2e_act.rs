//! The composite action on a real runner (act): outputs declared in action.yml reach later steps
//! and later jobs, and a failed guard stops the pipeline.

use crate::support::act;
use crate::support::github_api::GitHubApi;

use act::ActRepo;

fn line_value<'a>(log: &'a str, marker: &str) -> Vec<&'a str> {
    log.lines()
        .filter_map(|l| l.find(marker).map(|i| l[i + marker.len()..].trim()))
        .collect()
}

fn release_repo() -> ActRepo {
    let mut repo = ActRepo::new(&["chain.yml"]);
    repo.tag("v1.1.0");
    repo.commit("feature");
    repo.tag("v1.2.0");
    repo.commit("next");
    repo
}

#[test]
fn push_to_main_chains_guard_into_image_tags() {
    let repo = release_repo();
    let run = repo.act(
        "push",
        &[
            ("EXPECT_CHANNEL", "main"),
            ("EXPECT_TAG", "ghcr.io/acme/app:latest"),
        ],
        None,
    );
    run.assert_success();
    let guard = line_value(&run.log, "E2E-GUARD ");
    let images = line_value(&run.log, "E2E-IMAGES ");
    assert_eq!(guard.len(), 1, "{}", run.log);
    assert!(
        guard[0].starts_with("channel=main npm=1.3.0-dev."),
        "{}",
        guard[0]
    );
    // The images job saw exactly the channel and commit the guard decided.
    let sha = guard[0].split("sha=").nth(1).unwrap();
    assert_eq!(sha.len(), 40);
    assert_eq!(
        images,
        vec![format!("channel=main version=latest sha={sha}")]
    );
    let tags = line_value(&run.log, "E2E-TAG ");
    assert!(tags.contains(&"ghcr.io/acme/app:latest"), "{tags:?}");
    assert!(
        tags.iter().any(|t| t.starts_with("ghcr.io/acme/app:sha-")),
        "{tags:?}"
    );
}

#[test]
fn tag_above_the_latest_release_is_a_release_build() {
    let repo = release_repo();
    repo.tag("v1.3.0");
    let payload = serde_json::json!({"ref": "refs/tags/v1.3.0"});
    let run = repo.act(
        "push",
        &[
            ("EXPECT_CHANNEL", "release"),
            ("EXPECT_TAG", "ghcr.io/acme/app:1.3.0"),
        ],
        Some(&payload),
    );
    run.assert_success();
    let guard = line_value(&run.log, "E2E-GUARD ");
    assert!(
        guard[0].starts_with("channel=release npm=1.3.0 version=1.3.0 "),
        "{guard:?}"
    );
    let images = line_value(&run.log, "E2E-IMAGES ");
    assert!(
        images[0].starts_with("channel=release version=1.3.0 "),
        "{images:?}"
    );
    let tags = line_value(&run.log, "E2E-TAG ");
    for expected in [
        "ghcr.io/acme/app:1.3.0",
        "ghcr.io/acme/app:1.3",
        "ghcr.io/acme/app:1",
    ] {
        assert!(tags.contains(&expected), "{expected} missing from {tags:?}");
    }
}

#[test]
fn tag_below_the_latest_release_fails_in_the_guard_and_never_reaches_images() {
    let mut repo = release_repo();
    repo.commit("old line fix");
    repo.tag("v1.1.5");
    let payload = serde_json::json!({"ref": "refs/tags/v1.1.5"});
    let run = repo.act(
        "push",
        &[
            ("EXPECT_CHANNEL", "release"),
            ("EXPECT_TAG", "ghcr.io/acme/app:1.1.5"),
        ],
        Some(&payload),
    );
    run.assert_failure();
    assert!(
        run.log.contains("refusing v1.1.5: v1.2.0 already exists"),
        "{}",
        run.log
    );
    assert!(
        line_value(&run.log, "E2E-IMAGES ").is_empty(),
        "images job ran:\n{}",
        run.log
    );
}

/// A docker/metadata-action workflow (its README's semver example) with only `uses:` changed:
/// the later step gets the same tags metadata-action documents, through the outputs and
/// DOCKER_METADATA_OUTPUT_* alike. The example has no checkout step, so the repository's
/// metadata and release tags come from the REST API (a local stand-in) with the job's token.
fn metadata_repo() -> ActRepo {
    let mut repo = ActRepo::new(&["metadata-action-semver.yml"]);
    repo.tag("v1.1.0");
    repo.commit("feature");
    repo
}

const META_TOKEN: &str = "ghs_e2e_metadata_token";

/// act names a repository without a remote `nektos/act`.
fn metadata_api(tags: &[&str]) -> GitHubApi {
    let api = GitHubApi::start("nektos/act", META_TOKEN);
    api.with(|s| {
        s.tags = tags.iter().map(|t| t.to_string()).collect();
        s.repo = Some(serde_json::json!({
            "name": "app", "full_name": "nektos/act", "html_url": "https://github.com/nektos/act",
            "description": "The app", "license": {"spdx_id": "Apache-2.0"}, "default_branch": "main"
        }));
    });
    api
}

fn metadata_act(repo: &ActRepo, api: &GitHubApi, git_ref: &str) -> act::ActRun {
    let payload = serde_json::json!({ "ref": git_ref });
    let url = api.url();
    repo.act(
        "push",
        &[
            ("GITHUB_API_URL", url.as_str()),
            ("GITHUB_TOKEN", META_TOKEN),
        ],
        Some(&payload),
    )
}

#[test]
fn metadata_action_workflow_on_a_release_tag() {
    let repo = metadata_repo();
    repo.tag("v1.2.3");
    let api = metadata_api(&["v1.1.0", "v1.2.3"]);
    let run = metadata_act(&repo, &api, "refs/tags/v1.2.3");
    run.assert_success();
    assert_eq!(
        line_value(&run.log, "E2E-META version="),
        ["1.2.3"],
        "{}",
        run.log
    );
    // metadata-action's README: `1.2.3`, `1.2`, `latest` for refs/tags/v1.2.3.
    assert_eq!(
        line_value(&run.log, "E2E-META-TAG "),
        ["name/app:1.2.3", "name/app:1.2", "name/app:latest"],
        "{}",
        run.log
    );
    let labels = line_value(&run.log, "E2E-META-LABEL ");
    for label in [
        "org.opencontainers.image.version=1.2.3",
        "org.opencontainers.image.description=The app",
        "org.opencontainers.image.licenses=Apache-2.0",
    ] {
        assert!(labels.contains(&label), "{label} missing: {labels:?}");
    }
    assert_eq!(line_value(&run.log, "E2E-META-BAKE "), ["ok"]);
}

#[test]
fn metadata_action_workflow_on_a_branch_and_below_a_release() {
    let mut repo = metadata_repo();
    let api = metadata_api(&["v1.1.0", "v2.0.0"]);
    let run = metadata_act(&repo, &api, "refs/heads/main");
    run.assert_success();
    assert_eq!(
        line_value(&run.log, "E2E-META-TAG "),
        ["name/app:main"],
        "{}",
        run.log
    );
    // A patch of the 1.1 line after 2.0.0: metadata-action would move `latest` back to it; the
    // default protection keeps `1.1` (the highest in 1.1.x) and withholds `latest` with a notice.
    repo.commit("fix on the 1.1 line");
    repo.tag("v1.1.1");
    api.with(|s| s.tags.push("v1.1.1".into()));
    let run = metadata_act(&repo, &api, "refs/tags/v1.1.1");
    run.assert_success();
    assert_eq!(
        line_value(&run.log, "E2E-META-TAG "),
        ["name/app:1.1.1", "name/app:1.1"],
        "{}",
        run.log
    );
    assert!(
        run.log
            .contains("floating tag `latest` withheld: 1.1.1 is below the existing release v2.0.0"),
        "{}",
        run.log
    );
}

/// A per-mode action (`ameideio/release-action/version-guard@v1`, resolving the binary through
/// the shared `dist/resolve.sh`) and a metadata-action step giving only `images`, on a real
/// runner (act): the guard's outputs reach later steps, and the step with no `mode` gets the
/// peer's default tags for a push to a branch.
#[test]
fn per_mode_action_and_a_metadata_action_step_with_only_images() {
    let mut repo = ActRepo::new(&["per-mode.yml"]);
    repo.tag("v1.1.0");
    repo.commit("feature");
    let payload = serde_json::json!({ "ref": "refs/heads/main" });
    let run = repo.act("push", &[], Some(&payload));
    run.assert_success();
    let guard = line_value(&run.log, "E2E-PERMODE ");
    assert_eq!(guard.len(), 1, "{}", run.log);
    assert!(
        guard[0].starts_with("channel=main npm=1.1.1-dev."),
        "{}",
        run.log
    );
    assert_eq!(
        line_value(&run.log, "E2E-PERMODE-TAG "),
        ["name/app:main"],
        "{}",
        run.log
    );
}
