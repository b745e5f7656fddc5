//! Every version version-guard emits, checked by the tool that will read it: node-semver for npm,
//! Python's `packaging` for PyPI, and the go command (which verifies pseudo-versions against the
//! git repository: timestamp, revision and base tag).

use crate::support;
use crate::support::harness;

use harness::{Gha, Repo, Run};
use support::tools;

fn guard(repo: &Repo, git_ref: &str) -> Gha {
    Gha::new()
        .input("mode", "version-guard")
        .env("GITHUB_REF", git_ref)
        .cwd(repo.path())
}

fn ok(gha: Gha) -> Run {
    let run = gha.run();
    run.assert_code(0);
    run
}

#[test]
fn npm_and_pypi_versions_are_valid_normalized_and_ordered_by_the_real_tools() {
    let mut repo = Repo::new();
    repo.commit("one");
    let first_ever = ok(guard(&repo, "refs/heads/main"));
    repo.tag("v0.11.0");
    repo.commit("two");
    let snap1 = ok(guard(&repo, "refs/heads/main"));
    repo.commit("three");
    let snap2 = ok(guard(&repo, "refs/heads/feature/x"));
    let no_local = ok(guard(&repo, "refs/heads/main").input("pypi-local-version", "false"));
    // A sha made only of digits, with a leading zero: the `g` keeps it an alphanumeric identifier.
    let digits = ok(guard(&repo, "refs/heads/main")
        .input("sha", "0123456789012345678901234567890123456789")
        .input("timestamp", "20240102060405"));
    assert_eq!(digits.out("short-sha"), "012345678901");
    let mut tag_runs = Vec::new();
    for tag in [
        "v0.12.0-alpha.1",
        "v0.12.0-beta.2",
        "v0.12.0-rc.1",
        "v0.12.0-dev.3",
        "v0.12.0",
    ] {
        repo.commit(tag);
        repo.tag(tag);
        tag_runs.push(ok(guard(&repo, &format!("refs/tags/{tag}"))));
    }
    let expected_pypi = ["0.12.0a1", "0.12.0b2", "0.12.0rc1", "0.12.0.dev3", "0.12.0"];
    for (run, pypi) in tag_runs.iter().zip(expected_pypi) {
        assert_eq!(run.out("pypi-version"), pypi);
    }

    let all: Vec<&Run> = [&first_ever, &snap1, &snap2, &no_local, &digits]
        .into_iter()
        .chain(tag_runs.iter())
        .collect();
    let npm: Vec<&str> = all.iter().map(|r| r.out("npm-version")).collect();
    let valid = tools::node_semver_valid(&npm);
    for (v, verdict) in npm.iter().zip(&valid) {
        assert_eq!(verdict.as_deref(), Some(*v), "node-semver valid({v})");
    }
    let pypi: Vec<&str> = all.iter().map(|r| r.out("pypi-version")).collect();
    let printed = tools::packaging_str(&pypi);
    for (v, p) in pypi.iter().zip(&printed) {
        assert_eq!(p, v, "packaging Version({v})");
    }

    // Snapshots sort above the latest release, below their base, and later commits sort higher.
    let (s1, s2) = (snap1.out("npm-version"), snap2.out("npm-version"));
    let npm_order = [
        ("0.11.0", s1),
        (s1, "0.11.1"),
        (s1, s2),
        ("0.0.1", first_ever.out("npm-version")),
    ];
    assert_eq!(
        tools::node_semver_lt(&npm_order),
        [true; 4],
        "{npm_order:?}"
    );
    let (p1, p2, p3) = (
        snap1.out("pypi-version"),
        snap2.out("pypi-version"),
        no_local.out("pypi-version"),
    );
    let pypi_order = [
        ("0.11.0", p1),
        (p1, "0.11.1"),
        (p1, p2),
        ("0.11.0", p3),
        (p3, "0.11.1"),
        ("0.12.0a1", "0.12.0"),
    ];
    assert_eq!(
        tools::packaging_lt(&pypi_order),
        [true; 6],
        "{pypi_order:?}"
    );
}

#[test]
fn go_accepts_every_go_version_against_the_repository() {
    let mut repo = Repo::new();
    std::fs::write(
        repo.path().join("go.mod"),
        format!("module {}\n\ngo 1.19\n", tools::GO_MODULE),
    )
    .unwrap();
    std::fs::write(
        repo.path().join("sdk.go"),
        "package sdk\n\nconst Name = \"sdk\"\n",
    )
    .unwrap();
    let go = tools::GoModules::new(repo.path());
    let mut checked = Vec::new();
    let mut check = |run: &Run, expect_prefix: &str| {
        let v = run.out("go-version").to_string();
        assert!(
            v.starts_with(expect_prefix),
            "{v} should start with {expect_prefix}"
        );
        assert_eq!(go.get(&v).as_deref(), Ok(v.as_str()), "go get @{v}");
        checked.push(v);
    };

    let c1 = repo.commit("one");
    check(&ok(guard(&repo, "refs/heads/main")), "v0.0.0-2024");
    repo.tag("v0.1.0");
    // The commit carries the tag: its Go version is the tag (Go refuses a pseudo-version from it).
    check(&ok(guard(&repo, "refs/heads/main")), "v0.1.0");
    repo.commit("two");
    let after_release = ok(guard(&repo, "refs/heads/main"));
    check(&after_release, "v0.1.1-0.");
    // The timestamp input changes npm and PyPI, never Go's (Go checks the commit time).
    let explicit = ok(guard(&repo, "refs/heads/main").input("timestamp", "20990101000000"));
    assert_eq!(explicit.out("go-version"), after_release.out("go-version"));
    repo.annotated_tag("v0.2.0-rc.1");
    repo.commit("three");
    check(&ok(guard(&repo, "refs/heads/dev")), "v0.2.0-rc.1.0.");
    repo.tag("v0.2.0");
    check(&ok(guard(&repo, "refs/tags/v0.2.0")), "v0.2.0");
    // An older commit, built after newer tags exist: its base is what is reachable from it.
    let old = ok(guard(&repo, "refs/heads/main").input("sha", &c1));
    assert_eq!(old.out("go-version"), "v0.1.0");
    assert_eq!(checked.len(), 5);

    // The check is real: one second off and go refuses the version.
    let good = after_release.out("go-version");
    let ts_start = "v0.1.1-0.".len();
    let ts: u64 = good[ts_start..ts_start + 14].parse().unwrap();
    let wrong = format!("{}{}{}", &good[..ts_start], ts + 1, &good[ts_start + 14..]);
    let err = go.get(&wrong).unwrap_err();
    assert!(
        err.contains("does not match version-control timestamp"),
        "{err}"
    );
}

#[test]
fn go_accepts_the_go_versions_of_a_major_version_module() {
    let v2 = format!("{}/v2", tools::GO_MODULE);
    let write_module = |repo: &Repo, module: &str| {
        std::fs::write(
            repo.path().join("go.mod"),
            format!("module {module}\n\ngo 1.19\n"),
        )
        .unwrap();
        std::fs::write(
            repo.path().join("sdk.go"),
            "package sdk\n\nconst Name = \"sdk\"\n",
        )
        .unwrap();
    };
    let guard_v2 = |repo: &Repo, git_ref: &str| ok(guard(repo, git_ref).input("go-module", &v2));

    // v1 history: the module path has no suffix and the tags are v1.
    let mut repo = Repo::new();
    write_module(&repo, tools::GO_MODULE);
    repo.commit("one");
    repo.tag("v1.0.0");
    repo.commit("two");
    repo.tag("v1.2.0");
    // The module moves to /v2: no v2 tag yet, so the v1 tags are no base for it.
    write_module(&repo, &v2);
    let c3 = repo.commit("three");
    let mut go = tools::GoModules::new(repo.path());
    go.module = v2.clone();

    let untagged = guard_v2(&repo, "refs/heads/main");
    let v = untagged.out("go-version");
    assert_eq!(v, format!("v2.0.0-20240102060405-{}", &c3[..12]));
    assert_eq!(go.get(v).as_deref(), Ok(v), "go get {v2}@{v}");

    repo.commit("four");
    repo.tag("v2.1.0");
    let tag_build = guard_v2(&repo, "refs/tags/v2.1.0");
    assert_eq!(tag_build.out("go-version"), "v2.1.0");
    assert_eq!(go.get("v2.1.0").as_deref(), Ok("v2.1.0"));

    let c5 = repo.commit("five");
    let after = guard_v2(&repo, "refs/heads/main");
    let v = after.out("go-version");
    assert_eq!(v, format!("v2.1.1-0.20240102080405-{}", &c5[..12]));
    assert_eq!(go.get(v).as_deref(), Ok(v), "go get {v2}@{v}");

    // The check is real: without `go-module` the base is the v1 tag, and go refuses that v1
    // pseudo-version (its base tag exists and is an ancestor) for the /v2 module.
    let no_module = ok(guard(&repo, "refs/heads/main"));
    let wrong = no_module.out("go-version");
    assert_eq!(wrong, format!("v1.2.1-0.20240102080405-{}", &c5[..12]));
    let err = go.get(wrong).unwrap_err();
    assert!(err.contains("major version must match"), "{err}");
}
