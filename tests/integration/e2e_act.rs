//! The composite action on a real runner (act): outputs declared in action.yml reach later steps
//! and later jobs, and a failed guard stops the pipeline.

use crate::support::act;

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
