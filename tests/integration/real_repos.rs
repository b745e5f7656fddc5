//! Tag sets and set-ups shaped like real repositories: bare version tags (`0.0.1` … `15.2.0` with
//! `14.0.0-rc1`-style prereleases), one tag prefix per crate in one repository (`grep-0.4.1`,
//! `ignore-0.4.33`), monorepo prefixes (`yamlpath/v0.34.0`) and a repository with more than 1,000
//! tags. On a branch the latest release is the semver maximum of the prefix's stable tags; the
//! latest release's own tag build passes with `latest-tag` the release before it. Also: overrides
//! on release tags, `SOURCE_GIT_SHA` abbreviations, legacy variables and maintenance releases.
//! (The tag shapes are facts about public repositories; no code or text of theirs is used.)

use crate::support;
use crate::support::harness;

use harness::{git, Gha, Repo, Run};
use support::github_api::GitHubApi;

/// Creates `names` as lightweight tags on HEAD in one git process (1,000 `git tag` calls would
/// dominate the test's time).
fn tag_all(repo: &Repo, names: &[String]) {
    use std::io::Write;
    let head = repo.head();
    let mut child = harness::git_command(repo.path())
        .args(["update-ref", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for name in names {
        writeln!(stdin, "create refs/tags/{name} {head}").unwrap();
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

fn guard(repo: &Repo, git_ref: &str, prefix: Option<&str>) -> Gha {
    let gha = Gha::new()
        .input("mode", "version-guard")
        .env("GITHUB_REF", git_ref)
        .cwd(repo.path());
    match prefix {
        Some(p) => gha.input("tag-prefix", p),
        None => gha,
    }
}

/// A repository whose history carries `names`, one more commit on top.
fn repo_with_tags(names: &[String]) -> Repo {
    let mut repo = Repo::new();
    repo.commit("history");
    tag_all(&repo, names);
    repo.commit("after the tags");
    repo
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Bare tags as a long-lived project has them: every major from 0 to 15, two-digit minors that
/// git's name sort puts in the wrong place, and `-rcN` prereleases before majors.
fn bare_tags() -> Vec<String> {
    let mut tags = vec!["0.0.1".to_string(), "0.0.2".to_string()];
    for major in 0..=15u64 {
        for minor in [0u64, 1, 2, 9, 10] {
            if major == 15 && minor > 2 {
                continue;
            }
            tags.push(format!("{major}.{minor}.0"));
        }
        tags.push(format!("{major}.0.0-rc1"));
    }
    tags.push("14.0.0-rc2".into());
    tags.push("16.0.0-rc1".into());
    tags
}

/// The latest release on a branch, and the latest release's own tag build, for one prefix.
#[track_caller]
fn assert_latest(repo: &Repo, prefix: Option<&str>, latest: &str, before: &str) {
    let branch = guard(repo, "refs/heads/main", prefix).run();
    branch.assert_code(0);
    assert_eq!(branch.out("latest-tag"), latest, "{}", branch.describe());
    let tag = guard(repo, &format!("refs/tags/{latest}"), prefix).run();
    tag.assert_code(0);
    assert_eq!(tag.out("channel"), "release");
    assert_eq!(tag.out("latest-tag"), before, "{}", tag.describe());
}

#[test]
fn bare_version_tags_with_tag_prefix_none() {
    let mut tags = bare_tags();
    // A stray `v` tag and a crate tag are other prefixes, not releases of this one.
    tags.extend(strings(&["v99.0.0", "grep-1.0.0", "latest", "15.3"]));
    let repo = repo_with_tags(&tags);
    assert_latest(&repo, Some("none"), "15.2.0", "15.1.0");
    let branch = guard(&repo, "refs/heads/main", Some("none")).run();
    assert_eq!(branch.out("latest-version"), "15.2.0");
    assert_eq!(branch.out("base-version"), "15.2.1");
    let versions: serde_json::Value = serde_json::from_str(branch.out("versions")).unwrap();
    assert_eq!(versions["tag-prefix"], "");
    // A prerelease tag build, `14.0.0-rc1` style: below the latest release, so refused.
    let rc = guard(&repo, "refs/tags/14.0.0-rc2", Some("none")).run();
    rc.assert_code(1);
    assert!(rc
        .stdout
        .contains("refusing 14.0.0-rc2: 15.2.0 already exists"));
    // Without `none` the default `v` applies, which is what an empty input gives: no releases
    // (v99.0.0 aside), and a bare tag build is not a release tag.
    let default = guard(&repo, "refs/tags/15.2.0", Some("")).run();
    default.assert_code(1);
    assert!(
        default.stdout.contains("is not `v` followed by a semver"),
        "{}",
        default.describe()
    );
    // A bare tag that is not semver, with `none`: the message says what a bare tag must be.
    let bad = guard(&repo, "refs/tags/15.3", Some("none")).run();
    bad.assert_code(1);
    assert!(bad.stdout.contains("is not a bare semver version"));
}

#[test]
fn a_new_bare_release_above_the_latest_passes() {
    let mut tags = bare_tags();
    tags.push("16.0.0".into());
    let repo = repo_with_tags(&tags);
    let run = guard(&repo, "refs/tags/16.0.0", Some("none")).run();
    run.assert_code(0);
    assert_eq!(run.out("latest-tag"), "15.2.0");
    assert_eq!(run.out("npm-version"), "16.0.0");
    assert_eq!(run.out("pypi-version"), "16.0.0");
    assert_eq!(run.out("go-version"), "v16.0.0");
}

#[test]
fn crate_prefixed_tags_in_one_repository() {
    let tags = strings(&[
        "0.9.0",
        "13.0.0",
        "14.1.0",
        "14.1.1",
        "grep-0.2.12",
        "grep-0.3.0",
        "grep-0.3.2",
        "grep-0.4.0",
        "grep-0.4.1",
        "ignore-0.4.9",
        "ignore-0.4.22",
        "ignore-0.4.23",
        "ignore-0.4.33",
        "globset-0.4.16",
    ]);
    let repo = repo_with_tags(&tags);
    assert_latest(&repo, Some("grep-"), "grep-0.4.1", "grep-0.4.0");
    assert_latest(&repo, Some("ignore-"), "ignore-0.4.33", "ignore-0.4.23");
    // The binary's own bare tags ignore every crate's.
    assert_latest(&repo, Some("none"), "14.1.1", "14.1.0");
    // A crate's release below its own latest is refused, whatever the other crates are at.
    let old = guard(&repo, "refs/tags/ignore-0.4.22", Some("ignore-")).run();
    old.assert_code(1);
    assert!(old
        .stdout
        .contains("refusing ignore-0.4.22: ignore-0.4.33 already exists"));
}

#[test]
fn monorepo_prefixes() {
    let tags = strings(&[
        "v1.0.0",
        "v1.5.0",
        "yamlpath/v0.9.0",
        "yamlpath/v0.10.0",
        "yamlpath/v0.33.0",
        "yamlpath/v0.34.0",
        "yamlpath/v0.35.0-rc.1",
        "github-actions-models/v0.38.0",
    ]);
    let repo = repo_with_tags(&tags);
    assert_latest(
        &repo,
        Some("yamlpath/v"),
        "yamlpath/v0.34.0",
        "yamlpath/v0.33.0",
    );
    assert_latest(&repo, None, "v1.5.0", "v1.0.0");
    assert_latest(
        &repo,
        Some("github-actions-models/v"),
        "github-actions-models/v0.38.0",
        "",
    );
}

/// 1,200 tags, semver order unlike name order (`v1.99.9` < `v1.100.0`), the highest created
/// first, prereleases above it.
fn many_tags() -> Vec<String> {
    let mut tags = vec!["v1.119.9".to_string(), "v2.0.0-rc.1".to_string()];
    for minor in 0..120u64 {
        for patch in 0..10u64 {
            if (minor, patch) != (119, 9) {
                tags.push(format!("v1.{minor}.{patch}"));
            }
        }
    }
    tags.extend((0..30).map(|n| format!("nightly-{n}")));
    tags
}

#[test]
fn more_than_a_thousand_tags_from_git() {
    let tags = many_tags();
    assert!(tags.len() > 1000);
    let repo = repo_with_tags(&tags);
    assert_latest(&repo, None, "v1.119.9", "v1.119.8");
}

#[test]
fn more_than_a_thousand_tags_from_the_api_on_the_latest_release_tag() {
    const REPOSITORY: &str = "acme/big";
    const TOKEN: &str = "ghs_real_repos_token";
    let mut origin = Repo::new();
    origin.commit("one");
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    git(
        parent.path(),
        &["clone", "-q", "--depth", "1", "--no-tags", &url, "clone"],
    );
    let api = GitHubApi::start(REPOSITORY, TOKEN);
    api.with(|s| s.tags = many_tags());
    let run = |git_ref: &str| -> Run {
        Gha::new()
            .input("mode", "version-guard")
            .input("token", TOKEN)
            .env("GITHUB_REF", git_ref)
            .env("GITHUB_REPOSITORY", REPOSITORY)
            .env("GITHUB_API_URL", &api.url())
            .cwd(&parent.path().join("clone"))
            .run()
    };
    let branch = run("refs/heads/main");
    branch.assert_code(0);
    assert_eq!(branch.out("latest-tag"), "v1.119.9");
    let tag = run("refs/tags/v1.119.9");
    tag.assert_code(0);
    assert_eq!(tag.out("latest-tag"), "v1.119.8");
}

// --- channel-tags reuses a bare prefix ----------------------------------------------------------

#[test]
fn channel_tags_reuses_the_bare_prefix_of_versions() {
    let repo = repo_with_tags(&bare_tags());
    let tag_ref = "refs/tags/15.2.0";
    let guarded = guard(&repo, tag_ref, Some("none")).run();
    guarded.assert_code(0);
    let versions = guarded.out("versions").to_string();
    let tags = |prefix: Option<&str>| {
        let gha = Gha::new()
            .input("mode", "channel-tags")
            .input("images", "ghcr.io/acme/app")
            .input("versions", &versions)
            .env("GITHUB_REF", tag_ref)
            .cwd(repo.path());
        match prefix {
            Some(p) => gha.input("tag-prefix", p),
            None => gha,
        }
        .run()
    };
    // No `tag-prefix` (what action.yml passes when the workflow gives none): `versions` decides.
    let reused = tags(None);
    reused.assert_code(0);
    assert!(
        reused.out("tag-names").lines().any(|t| t == "15.2.0"),
        "{}",
        reused.describe()
    );
    assert!(reused.out("tag-names").lines().any(|t| t == "15"));
    // An explicit prefix beats the one in `versions`.
    let explicit = tags(Some("v"));
    explicit.assert_code(1);
    assert!(explicit.stdout.contains("is not `v` followed by a semver"));
}

// --- overrides on release tags ------------------------------------------------------------------

#[test]
fn an_override_on_a_release_tag_must_equal_the_tag() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v0.11.0");
    repo.commit("two");
    repo.tag("v0.12.0");
    repo.tag("v0.13.0-rc.1");
    let on_tag = |git_ref: &str, variable: &str, value: &str| {
        guard(&repo, git_ref, None).env(variable, value).run()
    };
    // The hole: an older version smuggled in through the variable.
    let npm = on_tag("refs/tags/v0.12.0", "AMEIDE_TS_SDK_VERSION", "0.1.0");
    npm.assert_code(1);
    let error = npm.commands("error").join("\n");
    assert!(
        error.contains("AMEIDE_TS_SDK_VERSION is 0.1.0 but the tag v0.12.0 is npm version 0.12.0"),
        "{error}"
    );
    assert!(error.contains("unset AMEIDE_TS_SDK_VERSION"), "{error}");
    assert!(!npm.outputs.contains_key("versions"));
    // The same version restated passes, in each ecosystem's form.
    on_tag("refs/tags/v0.12.0", "AMEIDE_TS_SDK_VERSION", "0.12.0").assert_code(0);
    let pypi = on_tag(
        "refs/tags/v0.13.0-rc.1",
        "AMEIDE_PYTHON_SDK_VERSION",
        "0.13.0-rc1",
    );
    pypi.assert_code(0);
    assert_eq!(pypi.out("pypi-version"), "0.13.0rc1");
    let pypi_wrong = on_tag("refs/tags/v0.13.0-rc.1", "AMEIDE_SDK_VERSION", "0.13.0rc2");
    pypi_wrong.assert_code(1);
    assert!(pypi_wrong.stdout.contains(
        "AMEIDE_SDK_VERSION is 0.13.0rc2 but the tag v0.13.0-rc.1 is PyPI version 0.13.0rc1"
    ));
    let go_wrong = on_tag("refs/tags/v0.12.0", "GO_SDK_VERSION", "v0.11.0");
    go_wrong.assert_code(1);
    assert!(go_wrong
        .stdout
        .contains("GO_SDK_VERSION is v0.11.0 but the tag v0.12.0 is Go version v0.12.0"));
    on_tag("refs/tags/v0.12.0", "AMEIDE_GO_SDK_VERSION", "v0.12.0").assert_code(0);
    // The input is checked the same way, and named.
    let input = guard(&repo, "refs/tags/v0.12.0", None)
        .input("npm-version", "0.12.1")
        .run();
    input.assert_code(1);
    assert!(input
        .stdout
        .contains("input `npm-version` is 0.12.1 but the tag"));
    // On a branch an override is still free.
    let branch = on_tag("refs/heads/main", "AMEIDE_TS_SDK_VERSION", "0.1.0");
    branch.assert_code(0);
    assert_eq!(branch.out("npm-version"), "0.1.0");
}

// --- SOURCE_GIT_SHA -----------------------------------------------------------------------------

/// A directory with no git repository, like an unpacked release tarball.
fn tarball_build(source_sha: &str) -> (tempfile::TempDir, Run) {
    let dir = tempfile::tempdir().unwrap();
    let run = Gha::new()
        .input("mode", "version-guard")
        .input("base-version", "1.2.0")
        .input("tags-from", "auto")
        .env("GITHUB_REF", "refs/heads/main")
        .env("SOURCE_GIT_SHA", source_sha)
        .env("SOURCE_DATE_EPOCH", "1704164645")
        .env("GITHUB_REPOSITORY", "acme/none")
        .cwd(dir.path())
        .run();
    (dir, run)
}

#[test]
fn source_git_sha_abbreviated_without_a_repository_is_used_as_given() {
    let api = GitHubApi::start("acme/none", "t");
    let dir = tempfile::tempdir().unwrap();
    let run = Gha::new()
        .input("mode", "version-guard")
        .input("base-version", "1.2.0")
        .input("token", "t")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_REPOSITORY", "acme/none")
        .env("GITHUB_API_URL", &api.url())
        .env("SOURCE_GIT_SHA", "0123456789AB")
        .env("SOURCE_DATE_EPOCH", "1704164645")
        .cwd(dir.path())
        .run();
    run.assert_code(0);
    assert_eq!(run.out("sha"), "0123456789ab");
    assert_eq!(run.out("short-sha"), "0123456789ab");
    assert_eq!(
        run.out("npm-version"),
        "1.2.0-dev.20240102030405.g0123456789ab"
    );
    let notice = run.commands("notice").join("\n");
    assert!(
        notice.contains("0123456789ab from SOURCE_GIT_SHA is abbreviated")
            && notice.contains("the full sha is unknown"),
        "{}",
        run.describe()
    );
    // channel-tags takes the abbreviated sha from `versions`.
    let tags = Gha::new()
        .input("mode", "channel-tags")
        .input("images", "ghcr.io/acme/app")
        .input("versions", run.out("versions"))
        .env("GITHUB_REF", "refs/heads/main")
        .cwd(dir.path())
        .run();
    tags.assert_code(0);
    assert!(tags.out("tag-names").contains("sha-0123456789ab"));
}

#[test]
fn source_git_sha_abbreviated_is_expanded_by_git() {
    // A repository that has the commit but no checkout (HEAD unborn): git knows the full sha.
    let mut origin = Repo::new();
    let full = origin.commit("one");
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "unborn"]);
    git(
        dir.path(),
        &["fetch", "-q", &origin.path().display().to_string(), "main"],
    );
    let run = Gha::new()
        .input("mode", "version-guard")
        .input("base-version", "1.2.0")
        .env("GITHUB_REF", "refs/heads/main")
        .env("SOURCE_GIT_SHA", &full[..12])
        .cwd(dir.path())
        .run();
    run.assert_code(0);
    assert_eq!(run.out("sha"), full);
    assert!(run.commands("notice").is_empty(), "{}", run.describe());
}

#[test]
fn source_git_sha_malformed_says_so() {
    let too_long = "a".repeat(41);
    for bad in [
        "0123456789a",
        "not-a-sha-at-all",
        too_long.as_str(),
        "0123456789ag",
    ] {
        let (_dir, run) = tarball_build(bad);
        run.assert_code(2);
        let error = run.commands("error").join("\n");
        assert!(
            error.contains("SOURCE_GIT_SHA must be 12 to 40 hex digits")
                && error.contains(&format!("{bad:?}").to_lowercase()),
            "{bad}: {}",
            run.describe()
        );
    }
}

// --- legacy variables ---------------------------------------------------------------------------

#[test]
fn a_legacy_variable_that_is_set_gets_a_warning_naming_its_replacement() {
    let mut repo = Repo::new();
    repo.commit("one");
    let run = guard(&repo, "refs/heads/main", None)
        .input("env-prefix", "ACME")
        .env("SDK_TS_SNAPSHOT_VERSION", "0.0.1-snapshot")
        .run();
    run.assert_code(0);
    let warning = run.commands("warning").join("\n");
    assert!(
        warning.contains("SDK_TS_SNAPSHOT_VERSION is set but release-action no longer reads it")
            && warning.contains("use ACME_TS_SDK_VERSION"),
        "{}",
        run.describe()
    );
    // It changes nothing.
    assert_ne!(run.out("npm-version"), "0.0.1-snapshot");
    let unset = guard(&repo, "refs/heads/main", None).run();
    assert!(unset.commands("warning").is_empty(), "{}", unset.describe());
}

// --- maintenance releases -----------------------------------------------------------------------

#[test]
fn a_maintenance_release_equal_to_an_existing_one_is_refused() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v1.4.1");
    repo.commit("two");
    repo.tag("v2.1.0");
    repo.commit("three");
    repo.tag("v1.4.1+rebuild");
    let run = guard(&repo, "refs/tags/v1.4.1+rebuild", None)
        .input("maintenance-releases", "true")
        .run();
    run.assert_code(1);
    assert!(
        run.stdout
            .contains("refusing v1.4.1+rebuild: v2.1.0 already exists")
            && run.stdout.contains("the 1.x line is already at v1.4.1"),
        "{}",
        run.describe()
    );
    // One above the line's best passes.
    repo.tag("v1.4.2");
    guard(&repo, "refs/tags/v1.4.2", None)
        .input("maintenance-releases", "true")
        .run()
        .assert_code(0);
}

// --- versions kept in code ----------------------------------------------------------------------

#[test]
fn the_base_version_from_a_python_module_and_a_helm_chart() {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v0.11.0");
    std::fs::create_dir_all(repo.path().join("ameide_sdk")).unwrap();
    std::fs::write(
        repo.path().join("ameide_sdk/version.py"),
        "# the next release\nBASE_VERSION = \"0.12.0\"\n__version__ = BASE_VERSION\n",
    )
    .unwrap();
    std::fs::create_dir_all(repo.path().join("charts/app")).unwrap();
    std::fs::write(
        repo.path().join("charts/app/Chart.yaml"),
        "apiVersion: v2\nname: app\nversion: 0.13.0\n",
    )
    .unwrap();
    repo.commit("two");
    repo.tag("v0.12.1");
    let run = guard(&repo, "refs/heads/main", None)
        .input("version-file", "ameide_sdk/version.py")
        .run();
    // 0.12.0 is not above the latest release v0.12.1: refused, pointing at the line.
    run.assert_code(1);
    let error = run.commands("error").join("\n");
    assert!(
        error.contains("file=ameide_sdk/version.py,line=2"),
        "{error}"
    );
    let chart = guard(&repo, "refs/heads/main", None)
        .input("version-file", "charts/app/Chart.yaml")
        .run();
    chart.assert_code(0);
    assert_eq!(chart.out("base-version"), "0.13.0");
    // On a tag the file must say the tag's version.
    let tag = guard(&repo, "refs/tags/v0.12.1", None)
        .input("version-file", "ameide_sdk/version.py")
        .run();
    tag.assert_code(1);
    assert!(tag
        .stdout
        .contains("ameide_sdk/version.py says 0.12.0 but the tag v0.12.1 is version 0.12.1"));
    // A computed version cannot be read: exit 2 naming the line.
    std::fs::write(
        repo.path().join("ameide_sdk/version.py"),
        "import importlib.metadata\n__version__ = importlib.metadata.version(\"ameide-sdk\")\n",
    )
    .unwrap();
    let computed = guard(&repo, "refs/heads/main", None)
        .input("version-file", "ameide_sdk/version.py")
        .run();
    computed.assert_code(2);
    assert!(computed.stdout.contains(
        "ameide_sdk/version.py, line 2: `__version__` must be assigned a plain string literal"
    ));
}

// --- smoke-install against a registry that requires authentication ------------------------------

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_symlink() {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle))
            {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn smoke_install_authenticates_to_a_private_npm_registry_with_pnpm_and_npm() {
    let server = support::servers::verdaccio_requiring_auth();
    let token = support::servers::verdaccio_user(&server, "ci-reader", "s3cret-pass");
    support::servers::npm_publish(&server, &token, "@private/dep", "1.0.0", None);
    let work = tempfile::tempdir().unwrap();
    crate::ecosystem::npm::npm_tarball(
        work.path(),
        "app.tgz",
        &[
            (
                "package.json",
                r#"{"name": "@acme/app", "version": "1.2.3", "main": "index.js", "dependencies": {"@private/dep": "^1.0.0"}}"#,
            ),
            ("index.js", "module.exports = require('@private/dep');\n"),
        ],
    );
    let registry = format!("{}/", server.base());
    let smoke = |manager: &str| {
        Gha::new()
            .input("mode", "smoke-install")
            .input("packages", "app.tgz")
            .input("expected-version", "1.2.3")
            .input("package-manager", manager)
            .input("registry", &registry)
            .cwd(work.path())
    };
    let home = std::env::var("HOME").unwrap_or_default();
    for manager in ["pnpm", "npm"] {
        let runs = [
            (
                "registry-token",
                smoke(manager).input("registry-token", &token),
            ),
            (
                "NODE_AUTH_TOKEN",
                smoke(manager).env("NODE_AUTH_TOKEN", &token),
            ),
        ];
        for (how, gha) in runs {
            let run = gha.run();
            run.assert_code(0);
            assert_eq!(run.out("passed"), "true", "{manager} with {how}");
            // `::add-mask::` is how the runner learns the secret (it never shows that line).
            let shown: String = run
                .stdout
                .lines()
                .filter(|l| !l.starts_with("::add-mask::"))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                run.stdout.contains(&format!("::add-mask::{token}")),
                "{manager} {how}: the token is not masked"
            );
            for (what, text) in [
                ("stdout", &shown),
                ("stderr", &run.stderr),
                ("GITHUB_OUTPUT", &run.output_text),
                ("summary", &run.summary),
            ] {
                assert!(
                    !text.contains(&token),
                    "{manager} {how}: the token is in {what}"
                );
            }
            // The sandbox (under RUNNER_TEMP, the harness dir) is gone, and nothing else holds it.
            assert_eq!(
                files_containing(gha.path(), &token),
                Vec::<std::path::PathBuf>::new()
            );
            assert_eq!(
                files_containing(work.path(), &token),
                Vec::<std::path::PathBuf>::new()
            );
            for file in [".npmrc", ".netrc"] {
                let path = std::path::Path::new(&home).join(file);
                assert!(!std::fs::read_to_string(path)
                    .unwrap_or_default()
                    .contains(&token));
            }
        }
        // Without a token the registry refuses, and the failure says so.
        let run = smoke(manager).run();
        run.assert_code(1);
        let error = run.commands("error").join("\n");
        assert!(
            error.contains("install `@acme/app` failed"),
            "{manager}: {error}"
        );
        assert!(
            error.contains("401") || error.contains("E401") || error.contains("Unauthorized"),
            "{manager}: {error}"
        );
    }
}

// --- example workflows set up every tool they call ----------------------------------------------

/// Commands GitHub's hosted Ubuntu image ships on PATH. Source: actions/runner-images,
/// images/ubuntu/Ubuntu2404-Readme.md (image 20250907.24.1): "Language and Runtime" (Bash, Dash,
/// Node.js, Python), "Package Management" (npm, pip, pip3, pipx, yarn), "Tools" and "CLI Tools"
/// (git, jq, yq, docker, gh, zstd), the apt packages (coreutils, curl, wget, tar, zip, unzip,
/// findutils, make, gcc, shellcheck), plus shell builtins. Not there: pnpm, and go (only in the
/// tool cache, put on PATH by actions/setup-go).
const HOSTED_IMAGE_COMMANDS: &[&str] = &[
    "bash",
    "sh",
    "dash",
    "node",
    "npm",
    "npx",
    "python",
    "python3",
    "pip",
    "pip3",
    "pipx",
    "yarn",
    "git",
    "jq",
    "yq",
    "docker",
    "gh",
    "zstd",
    "curl",
    "wget",
    "tar",
    "gzip",
    "zip",
    "unzip",
    "make",
    "gcc",
    "shellcheck",
    "echo",
    "printf",
    "ls",
    "cat",
    "test",
    "[",
    "mkdir",
    "cp",
    "mv",
    "rm",
    "sed",
    "awk",
    "grep",
    "find",
    "xargs",
    "sort",
    "head",
    "tail",
    "tee",
    "env",
    "true",
    "false",
    "cd",
    "export",
    "set",
    "exit",
    "read",
    "wc",
    "tr",
    "cut",
    "basename",
    "dirname",
    // bash builtins
    "mapfile",
    "readarray",
    "continue",
    "break",
    "return",
    "local",
    "shift",
    "unset",
    "trap",
];

/// Commands a setup action puts on PATH for the steps after it.
fn provided_by(uses: &str) -> &'static [&'static str] {
    let action = uses.split('@').next().unwrap_or("");
    match action {
        "pnpm/action-setup" => &["pnpm"],
        "actions/setup-node" => &["node", "npm", "npx"],
        "actions/setup-go" => &["go"],
        "actions/setup-python" => &["python", "python3", "pip", "pip3"],
        _ => &[],
    }
}

/// The script with every quoted string (which may span lines, like a jq program) replaced by
/// `"Q"` on the line where it starts: what is inside quotes is an argument, never a command.
fn without_quoted_text(script: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut comment = false;
    let mut prev = '\n';
    for c in script.chars() {
        // A `#` that starts a word outside quotes comments out the rest of the line (and any
        // apostrophe in it).
        if comment {
            if c == '\n' {
                comment = false;
                out.push(c);
            }
            prev = c;
            continue;
        }
        if quote.is_none() && !escaped && c == '#' && prev.is_whitespace() {
            comment = true;
            prev = c;
            continue;
        }
        prev = c;
        match quote {
            None if escaped => {
                escaped = false;
                out.push(c);
            }
            None if c == '\\' => {
                escaped = true;
                out.push(c);
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push_str("\"Q\"");
            }
            None => out.push(c),
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
        }
    }
    out
}

/// The commands a `run:` script starts: the first word of every simple command (after variable
/// assignments and shell keywords). Words built from expansions (`"$BUILD_COMMAND"`) are unknown
/// here and skipped.
fn commands_of_script(script: &str) -> Vec<String> {
    const KEYWORDS: &[&str] = &[
        "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
        "!", "{", "}", "time", "in", "[[", "]]",
    ];
    let mut out = Vec::new();
    for line in without_quoted_text(script).lines() {
        let line = line.split(" #").next().unwrap_or("");
        if line.trim_start().starts_with('#') {
            continue;
        }
        for part in line.split(['&', '|', ';', '(', ')']) {
            let word = part
                .split_whitespace()
                .find(|w| !w.contains('=') && !KEYWORDS.contains(w));
            if let Some(w) = word {
                if !w.starts_with(['$', '"', '\'', '-', '<', '>', '*']) && !w.contains('/') {
                    out.push(w.to_string());
                }
            }
        }
    }
    out
}

/// The commands a step calls: its script's, and for release-action's smoke-install the node
/// client it installs npm tarballs with (`package-manager`, default pnpm) and node itself.
fn commands_of_step(step: &yaml_serde::Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(run) = step["run"].as_str() {
        out.extend(commands_of_script(run));
    }
    let uses = step["uses"].as_str().unwrap_or("");
    if uses.starts_with("ameideio/release-action@")
        && step["with"]["mode"].as_str() == Some("smoke-install")
    {
        let manager = step["with"]["package-manager"].as_str().unwrap_or("pnpm");
        out.extend(["node".to_string(), manager.to_string()]);
    }
    out
}

/// Per job, each command called that no earlier step provides and the hosted image lacks.
fn unprovided_tools(workflow: &str) -> Vec<String> {
    let doc: yaml_serde::Value = yaml_serde::from_str(workflow).expect("workflow parses");
    let mut missing = Vec::new();
    let Some(jobs) = doc["jobs"].as_mapping() else {
        return missing;
    };
    for (name, job) in jobs {
        let name = name.as_str().unwrap_or("?");
        let mut provided: Vec<&str> = HOSTED_IMAGE_COMMANDS.to_vec();
        for step in job["steps"].as_sequence().into_iter().flatten() {
            for command in commands_of_step(step) {
                if !provided.contains(&command.as_str()) {
                    missing.push(format!("job {name}: {command}"));
                }
            }
            provided.extend_from_slice(provided_by(step["uses"].as_str().unwrap_or("")));
        }
    }
    missing
}

#[test]
fn example_workflows_set_up_every_tool_they_call() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workflows");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let missing = unprovided_tools(&text);
        assert!(
            missing.is_empty(),
            "{}: {missing:?} (set each up in an earlier step, pinned by commit)",
            entry.path().display()
        );
        checked += 1;
    }
    assert!(checked >= 4);
}

#[test]
fn the_tool_check_catches_a_tool_nobody_set_up() {
    let smoke_without_pnpm = "jobs:\n  smoke:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ameideio/release-action@v1\n        with:\n          mode: smoke-install\n";
    assert_eq!(
        unprovided_tools(smoke_without_pnpm),
        vec!["job smoke: pnpm"]
    );
    let npm = smoke_without_pnpm.replace(
        "mode: smoke-install\n",
        "mode: smoke-install\n          package-manager: npm\n",
    );
    assert!(unprovided_tools(&npm).is_empty());
    let set_up_too_late = "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pnpm install && go build ./...\n      - uses: pnpm/action-setup@a15d269cd4658e1107c09f1fabf4cbd7bd1f308a\n      - run: VERSION=1 pnpm pack\n";
    assert_eq!(
        unprovided_tools(set_up_too_late),
        vec!["job build: pnpm", "job build: go"]
    );
    assert_eq!(
        commands_of_script(
            "if [ -n \"$X\" ]; then echo hi | tee out; fi  # go\nA=1 B=2 docker build ."
        ),
        vec!["[", "echo", "tee", "docker"]
    );
    // A quoted program spanning lines is an argument, a comment's apostrophe opens no quote.
    assert_eq!(
        commands_of_script(
            "# the proxy's answer\njq -r '.[] | select(.a)\n  | .b' <<<\"$R\" | sort -u\n} >>\"$OUT\"\ntwine upload"
        ),
        vec!["jq", "sort", "twine"]
    );
}

// --- the composite action under act, bare tags --------------------------------------------------

#[test]
fn bare_tags_through_the_composite_action_under_act() {
    let mut repo = support::act::ActRepo::new(&["bare-tags.yml"]);
    repo.tag("14.0.0-rc1");
    repo.commit("fourteen");
    repo.tag("14.0.0");
    repo.commit("fifteen one");
    repo.tag("15.1.0");
    repo.commit("fifteen two");
    repo.tag("15.2.0");
    let payload = serde_json::json!({"ref": "refs/tags/15.2.0"});
    let run = repo.act("push", &[], Some(&payload));
    run.assert_success();
    let printed = |marker: &str| -> Vec<String> {
        let mut v: Vec<String> = run
            .log
            .lines()
            .filter_map(|l| {
                let shown = &l[l.find("| ")? + 2..];
                shown.strip_prefix(marker).map(|s| s.trim().to_string())
            })
            .collect();
        v.dedup();
        v
    };
    assert_eq!(
        printed("E2E-BARE "),
        vec!["channel=release version=15.2.0 latest-tag=15.1.0 prefix=[]"],
        "{}",
        run.log
    );
    let tags = printed("E2E-BARE-TAG ");
    for expected in [
        "ghcr.io/acme/app:15.2.0",
        "ghcr.io/acme/app:15.2",
        "ghcr.io/acme/app:15",
    ] {
        assert!(
            tags.iter().any(|t| t == expected),
            "{expected} missing from {tags:?}\n{}",
            run.log
        );
    }
}

#[test]
fn smoke_install_authenticates_to_a_private_pypi_index_through_netrc() {
    use support::fault_server::{serve_private_project, token_authorization, FaultServer};
    const TOKEN: &str = "pypi-private-token-7f3a9c";
    let server = FaultServer::start();
    let expect = token_authorization(TOKEN);
    // A PEP 503 index holding the dependency, every path behind authentication.
    let files = tempfile::tempdir().unwrap();
    let dep = support::packages::wheel(
        files.path(),
        "acme_dep",
        "1.0.0",
        &[("acme_dep/__init__.py", "")],
        &[],
    );
    serve_private_project(&server, TOKEN, "acme-dep", &dep);
    let work = tempfile::tempdir().unwrap();
    support::packages::wheel(
        work.path(),
        "acme_sdk",
        "1.0.0",
        &[("acme_sdk/__init__.py", "import acme_dep\n")],
        &["acme-dep>=1.0"],
    );
    let smoke = || {
        Gha::new()
            .input("mode", "smoke-install")
            .input("packages", "acme_sdk-1.0.0-py3-none-any.whl")
            .input("expected-version", "1.0.0")
            .input("registry", &format!("{}/simple/", server.base()))
            .cwd(work.path())
    };
    let gha = smoke().input("registry-token", TOKEN);
    let run = gha.run();
    run.assert_code(0);
    assert!(server
        .requests("/simple/acme-dep/")
        .iter()
        .any(|r| r.header("authorization") == Some(expect.as_str())));
    assert_token_shown_nowhere(&run, &gha, TOKEN);
    // Without the token the index answers 401 and the install fails.
    let without = smoke().run();
    without.assert_code(1);
    let error = without.commands("error").join("\n");
    assert!(
        error.contains("acme-dep") || error.contains("acme_dep"),
        "{}",
        without.describe()
    );
}

/// `token` is in no log line but the runner's `::add-mask::`, in no output or summary, and in no
/// file left in the harness's temp dir (RUNNER_TEMP, where the sandbox was).
#[track_caller]
fn assert_token_shown_nowhere(run: &Run, gha: &Gha, token: &str) {
    for text in [&run.stderr, &run.output_text, &run.summary] {
        assert!(!text.contains(token));
    }
    assert!(run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .all(|l| !l.contains(token)));
    assert_eq!(
        files_containing(gha.path(), token),
        Vec::<std::path::PathBuf>::new()
    );
}

/// go reads `~/.netrc` for GOPROXY hosts, and sends it only over https: a private GOPROXY behind
/// its own CA (every path behind Basic auth as `__token__`) serves a dependency of the local
/// module under test. With `registry-token` (and `SSL_CERT_FILE` naming the CA, which the
/// sandbox passes through) the build passes; without the token go's 401 fails it.
#[test]
fn smoke_install_authenticates_to_a_private_goproxy_through_netrc() {
    use std::io::Write as _;
    const TOKEN: &str = "goproxy-private-token-9c2e7a";
    let proxy = tempfile::tempdir().unwrap();
    let at_v = proxy.path().join("example.com/dep/@v");
    std::fs::create_dir_all(&at_v).unwrap();
    let dep_mod = "module example.com/dep\n\ngo 1.19\n";
    std::fs::write(at_v.join("list"), "v1.0.0\n").unwrap();
    std::fs::write(
        at_v.join("v1.0.0.info"),
        r#"{"Version":"v1.0.0","Time":"2026-01-02T03:04:05Z"}"#,
    )
    .unwrap();
    std::fs::write(at_v.join("v1.0.0.mod"), dep_mod).unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(at_v.join("v1.0.0.zip")).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for (name, text) in [
        ("go.mod", dep_mod),
        (
            "dep.go",
            "// Package dep is private.\npackage dep\n\nfunc Word() string { return \"hi\" }\n",
        ),
    ] {
        zip.start_file(format!("example.com/dep@v1.0.0/{name}"), options)
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    let authorization = support::fault_server::token_authorization(TOKEN);
    let (server, cert) = support::servers::https_static_with_auth(proxy.path(), &authorization);

    let work = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("go.mod", "module example.com/app\n\ngo 1.19\n\nrequire example.com/dep v1.0.0\n"),
        ("app.go", "// Package app uses the private dependency.\npackage app\n\nimport \"example.com/dep\"\n\nfunc Hello() string { return dep.Word() }\n"),
    ] {
        let path = work.path().join("app").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let smoke = || {
        Gha::new()
            .input("mode", "smoke-install")
            .input("packages", "app")
            .input("expected-version", "v1.2.3")
            .input("registry", &format!("https://127.0.0.1:{}/", server.port))
            .env("SSL_CERT_FILE", cert.to_str().unwrap())
            .cwd(work.path())
    };
    let gha = smoke().input("registry-token", TOKEN);
    let run = gha.run();
    run.assert_code(0);
    assert!(
        run.stdout.contains("go build example.com/app: ok"),
        "{}",
        run.describe()
    );
    assert_token_shown_nowhere(&run, &gha, TOKEN);
    let without = smoke().run();
    without.assert_code(1);
    let error = without.commands("error").join("\n");
    assert!(
        error.contains("example.com/dep") && error.contains("401"),
        "{}",
        without.describe()
    );
}
