//! Issue #22, items 4, 5, 7, 8 and 10: answers that are not the registry's own (a redirect to a
//! login page on another origin, a page that is not the document for the name asked), a
//! `file://` GOPROXY entry that exists but cannot be read, a slow or endless redirect chain,
//! control characters in artifact names and paths next to the workspace whose names start with
//! the workspace's. Each test performs the attack against the built binary with real local
//! servers on 127.0.0.1.

use crate::support::fault_server::{FaultServer, Reply};
use crate::support::harness::*;
use crate::support::packages;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha512};

const MODULE: &str = "example.com/Acme/hello";
const PACKUMENT: &str = "/@acme%2fhello";
const SIMPLE: &str = "/simple/hello-pkg/";
const INFO: &str = "/example.com/!acme/hello/@v/v1.2.0.info";
const CRATE_INDEX: &str = "/pc/-d/pc-demo";
const LOGIN_PAGE: &str = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>\
    <form action=\"/login\" method=\"post\"><input name=\"user\"></form>\
    <a href=\"/help\">Help</a></body></html>";

fn npm_tarball() -> Vec<u8> {
    let manifest =
        json!({"name": "@acme/hello", "version": "1.0.0", "main": "index.js", "license": "MIT"})
            .to_string();
    packages::tarball(
        "package",
        &[
            ("package.json", manifest.as_str()),
            ("index.js", "exports.hello = () => 1;\n"),
        ],
    )
}

/// A workspace with one artifact of each ecosystem: `dist/acme-hello-1.0.0.tgz`,
/// `dist/hello_pkg-1.0.0-py3-none-any.whl`, the Go module directory `mod` and
/// `pc-demo-0.2.0.crate`.
fn workspace() -> tempfile::TempDir {
    let workspace = tempfile::tempdir().unwrap();
    let dist = workspace.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("acme-hello-1.0.0.tgz"), npm_tarball()).unwrap();
    packages::wheel(
        &dist,
        "hello_pkg",
        "1.0.0",
        &[("hello_pkg/__init__.py", "")],
        &[],
    );
    let module = workspace.path().join("mod");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(module.join("go.mod"), format!("module {MODULE}\n")).unwrap();
    std::fs::write(module.join("hello.go"), "package hello\n").unwrap();
    crate::ecosystem::cargo::cargo_package(
        workspace.path(),
        "pc-demo",
        "0.2.0",
        "pub fn answer() -> u32 { 42 }\n",
    );
    workspace
}

/// One ecosystem's question: the artifact, the registry input and its value for `server`, and
/// the path the registry is asked.
struct Question {
    ecosystem: &'static str,
    packages: &'static str,
    input: &'static str,
    path: &'static str,
}

const QUESTIONS: &[Question] = &[
    Question {
        ecosystem: "npm",
        packages: "dist/*.tgz",
        input: "npm-registry",
        path: PACKUMENT,
    },
    Question {
        ecosystem: "python",
        packages: "dist/*.whl",
        input: "pypi-index",
        path: SIMPLE,
    },
    Question {
        ecosystem: "go",
        packages: "mod",
        input: "goproxy",
        path: INFO,
    },
    Question {
        ecosystem: "cargo",
        packages: "*.crate",
        input: "cargo-index",
        path: CRATE_INDEX,
    },
];

impl Question {
    fn registry(&self, server: &FaultServer) -> String {
        match self.ecosystem {
            "python" => format!("{}/simple/", server.base()),
            "cargo" => format!("sparse+{}/", server.base()),
            _ => server.base(),
        }
    }

    fn run(&self, workspace: &Path, server: &FaultServer) -> Run {
        Gha::new()
            .cwd(workspace)
            .input("mode", "publish-check")
            .input("packages", self.packages)
            .input(self.input, &self.registry(server))
            .input("go-version", "v1.2.0")
            .input("registry-token", "registry-answers-token-0123456789")
            .input("retries", "0")
            .input("timeout", "5")
            .env("RELEASE_ACTION_RETRY_BASE_MS", "5")
            .run()
    }
}

/// The run stopped with exit 2 before any output, naming `needles` in its errors.
#[track_caller]
fn assert_refused(run: &Run, what: &str, needles: &[&str]) {
    assert_eq!(run.code, 2, "{what}: exit 2 expected\n{}", run.describe());
    assert!(
        run.outputs.is_empty(),
        "{what}: no outputs (no `to-publish`) expected: {:?}",
        run.outputs
    );
    let errors = run.commands("error").join("\n") + &run.summary;
    for needle in needles {
        assert!(
            errors.contains(needle),
            "{what}: the error should name {needle:?}\n{}",
            run.describe()
        );
    }
}

// ------------------------------------------------------------- 4: answers from elsewhere

/// The registry redirects the question to another origin (an SSO portal): there the token is
/// withheld and the portal answers 404 (npm, Go, Cargo) or a 200 login page (PyPI). None of it is
/// the registry's answer: exit 2 naming the URL asked and where it was sent, and the other origin
/// is never asked.
#[test]
fn a_redirect_to_another_origin_is_never_read_as_absent() {
    let workspace = workspace();
    for q in QUESTIONS {
        let registry = FaultServer::start();
        let portal = FaultServer::start();
        registry.script(
            q.path,
            vec![Reply::Redirect(portal.url("/sso/login?next=registry"))],
        );
        portal.script(
            "/sso/login",
            vec![if q.ecosystem == "python" {
                Reply::with_header(200, "Content-Type", "text/html", LOGIN_PAGE)
            } else {
                Reply::status(404)
            }],
        );
        let run = q.run(workspace.path(), &registry);
        assert_refused(
            &run,
            q.ecosystem,
            &[&registry.url(q.path), &portal.base(), "another origin"],
        );
        assert!(
            portal.all_requests().is_empty(),
            "{}: the other origin must not be asked: {:?}",
            q.ecosystem,
            portal.all_requests()
        );
    }
}

/// The same with a same-origin redirect that ends in the registry's own 404 stays `absent`: the
/// refusal is about the origin, not about redirects.
#[test]
fn a_same_origin_redirect_to_the_registrys_own_404_is_absent() {
    let workspace = workspace();
    for q in QUESTIONS {
        let registry = FaultServer::start();
        registry.script(q.path, vec![Reply::Redirect("/moved/elsewhere".into())]);
        let run = q.run(workspace.path(), &registry);
        run.assert_code(0);
        let results: Value = serde_json::from_str(run.out("results")).unwrap();
        assert_eq!(results[0]["state"], "absent", "{}", q.ecosystem);
        assert_eq!(registry.count("/moved/elsewhere"), 1, "{}", q.ecosystem);
    }
}

/// Same-origin 200 answers that are not the document for the name asked: a login page or another
/// project's simple page (PyPI), a packument without the package's name (npm), an empty index
/// file (Cargo), an HTML `.info` (Go). Each is exit 2 naming the URL, never `absent`.
#[test]
fn a_200_that_is_not_the_registrys_document_for_the_name_is_exit_2() {
    let workspace = workspace();
    let other_project = "<!DOCTYPE html><html><body>\
        <a href=\"/files/other-1.0.0.tar.gz#sha256=00\">other-1.0.0.tar.gz</a></body></html>";
    let html = |body: &str| Reply::with_header(200, "Content-Type", "text/html", body.to_string());
    let cases: Vec<(&str, Reply, &str)> = vec![
        (
            "python",
            html(LOGIN_PAGE),
            "not the simple page of hello-pkg",
        ),
        (
            "python",
            html(other_project),
            "not the simple page of hello-pkg",
        ),
        (
            "npm",
            Reply::ok(r#"{"versions": {}}"#),
            "not the packument of @acme/hello",
        ),
        (
            "npm",
            Reply::ok(r#"{}"#),
            "not the packument of @acme/hello",
        ),
        ("cargo", Reply::ok(""), "no line for pc-demo"),
        ("go", html(LOGIN_PAGE), "not the JSON of a version"),
    ];
    for (ecosystem, reply, needle) in cases {
        let q = QUESTIONS.iter().find(|q| q.ecosystem == ecosystem).unwrap();
        let registry = FaultServer::start();
        registry.script(q.path, vec![reply]);
        let run = q.run(workspace.path(), &registry);
        assert_refused(&run, ecosystem, &[&registry.url(q.path), needle]);
    }
}

/// A refused or failing answer of any registry is exit 2, never `absent` (only 404, and for a
/// GOPROXY and a sparse index 410, say "not there").
#[test]
fn statuses_other_than_the_registrys_not_found_are_exit_2() {
    let workspace = workspace();
    for q in QUESTIONS {
        for status in [401, 403, 451, 500] {
            let registry = FaultServer::start();
            registry.script(q.path, vec![Reply::status(status)]);
            let run = q.run(workspace.path(), &registry);
            assert_refused(
                &run,
                &format!("{} HTTP {status}", q.ecosystem),
                &[&registry.url(q.path), &status.to_string()],
            );
        }
    }
}

fn packument(tarball: &[u8], tarball_url: &str) -> String {
    let sri = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(tarball))
    );
    json!({"name": "@acme/hello", "dist-tags": {"latest": "1.0.0"},
           "versions": {"1.0.0": {"name": "@acme/hello", "version": "1.0.0",
                                  "dist": {"integrity": sri, "tarball": tarball_url}}}})
    .to_string()
}

/// smoke-install's `npm:` and `pypi:` entries: the registry redirects the packument (simple page)
/// to another origin that serves a well-formed document and the package. That origin is not the
/// registry: exit 2 naming both, nothing is downloaded from it or installed.
#[test]
fn smoke_install_never_takes_a_registry_document_from_another_origin() {
    let registry = FaultServer::start();
    let elsewhere = FaultServer::start();
    let tarball = npm_tarball();
    registry.script(PACKUMENT, vec![Reply::Redirect(elsewhere.url(PACKUMENT))]);
    elsewhere.script(
        PACKUMENT,
        vec![Reply::ok(packument(
            &tarball,
            &elsewhere.url("/hello-1.0.0.tgz"),
        ))],
    );
    elsewhere.script("/hello-1.0.0.tgz", vec![Reply::ok(tarball)]);
    let run = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", "npm:@acme/hello@1.0.0")
        .input("npm-registry", &registry.base())
        .input("expected-version", "1.0.0")
        .input("retries", "0")
        .run();
    assert_refused(
        &run,
        "npm:",
        &[
            &registry.url(PACKUMENT),
            &elsewhere.base(),
            "another origin",
        ],
    );
    assert_eq!(elsewhere.count("/hello-1.0.0.tgz"), 0, "{}", run.describe());
    assert_eq!(elsewhere.count(PACKUMENT), 0, "{}", run.describe());

    registry.script(SIMPLE, vec![Reply::Redirect(elsewhere.url(SIMPLE))]);
    let page = "<!DOCTYPE html><html><body><a href=\"/files/hello_pkg-1.0.0-py3-none-any.whl\">\
        hello_pkg-1.0.0-py3-none-any.whl</a></body></html>";
    elsewhere.script(
        SIMPLE,
        vec![Reply::with_header(200, "Content-Type", "text/html", page)],
    );
    let run = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", "pypi:hello-pkg==1.0.0")
        .input("pypi-index", &format!("{}/simple/", registry.base()))
        .input("expected-version", "1.0.0")
        .input("retries", "0")
        .run();
    assert_refused(
        &run,
        "pypi:",
        &[&registry.url(SIMPLE), &elsewhere.base(), "another origin"],
    );
    assert_eq!(elsewhere.count(SIMPLE), 0, "{}", run.describe());
}

// ------------------------------------------------------------- 7: one deadline per request

/// Ten hops of one second each against `timeout: 2`: each hop alone is within the timeout, the
/// request is not. Exit 2 naming the timeout, well before the ten seconds the chain takes.
#[test]
fn a_slow_redirect_chain_shares_one_deadline() {
    let workspace = workspace();
    let registry = FaultServer::start();
    let hop = |n: usize| format!("/hop/{n}");
    registry.script(
        PACKUMENT,
        vec![Reply::delayed(
            Duration::from_secs(1),
            Reply::Redirect(hop(1)),
        )],
    );
    for n in 1..10 {
        registry.script(
            &hop(n),
            vec![Reply::delayed(
                Duration::from_secs(1),
                Reply::Redirect(hop(n + 1)),
            )],
        );
    }
    let start = Instant::now();
    let run = Gha::new()
        .cwd(workspace.path())
        .input("mode", "publish-check")
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &registry.base())
        .input("retries", "0")
        .input("timeout", "2")
        .run();
    let elapsed = start.elapsed();
    println!(
        "ten 1 s redirect hops against timeout 2: exit {} after {elapsed:?}",
        run.code
    );
    assert_refused(
        &run,
        "slow chain",
        &[&registry.url(PACKUMENT), "timed out after 2 s"],
    );
    assert!(
        elapsed < Duration::from_secs(7),
        "the timeout covers the whole chain: took {elapsed:?}"
    );
    assert!(
        registry.count(&hop(4)) == 0,
        "{:?}",
        registry.all_requests()
    );
}

/// An endless same-origin redirect chain: exit 2 after at most 10 redirects, naming the chain.
/// (smoke-install's URL entry, which used to call it a guard failure: exit 1.)
#[test]
fn an_endless_redirect_chain_is_exit_2_naming_the_chain() {
    let server = FaultServer::start();
    let hop = |n: usize| format!("/loop/{n}/pkg-1.0.0.tgz");
    for n in 0..20 {
        server.script(&hop(n), vec![Reply::Redirect(hop(n + 1))]);
    }
    let run = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", &server.url(&hop(0)))
        .input("expected-version", "1.0.0")
        .input("retries", "0")
        .run();
    assert_refused(
        &run,
        "redirect loop",
        &[
            "redirected more than 10 times",
            &server.url(&hop(0)),
            &server.url(&hop(10)),
        ],
    );
    assert_eq!(server.count(&hop(11)), 0, "{:?}", server.all_requests());
}

// ------------------------------------------------------------- 5: unreadable is not absent

/// A `file://` GOPROXY tree with the version's `.info`.
fn goproxy_with_info(root: &Path) -> PathBuf {
    let at_v = root.join("example.com/!acme/hello/@v");
    std::fs::create_dir_all(&at_v).unwrap();
    at_v.join("v1.2.0.info")
}

fn go_check(workspace: &Path, proxy: &Path) -> Gha {
    Gha::new()
        .cwd(workspace)
        .input("mode", "publish-check")
        .input("packages", "mod")
        .input("goproxy", &format!("file://{}", proxy.display()))
        .input("go-version", "v1.2.0")
}

/// The `.info` exists but cannot be read: a directory in its place, a dangling symlink, `@v` a
/// file. Each is exit 2 naming the file, never `absent`.
#[test]
fn an_unreadable_goproxy_info_is_exit_2_not_absent() {
    let workspace = workspace();
    type Plant = fn(&Path);
    let plants: [(&str, Plant, &str); 3] = [
        (
            "a directory",
            |info| std::fs::create_dir(info).unwrap(),
            "directory",
        ),
        (
            "a dangling symlink",
            |info| std::os::unix::fs::symlink(info.with_extension("gone"), info).unwrap(),
            "dangling symlink",
        ),
        (
            "@v a file",
            |info| {
                let at_v = info.parent().unwrap();
                std::fs::remove_dir(at_v).unwrap();
                std::fs::write(at_v, "not a directory").unwrap();
            },
            "directory",
        ),
    ];
    for (what, plant, needle) in plants {
        let proxy = tempfile::tempdir().unwrap();
        let info = goproxy_with_info(proxy.path());
        plant(&info);
        let run = go_check(workspace.path(), proxy.path()).run();
        assert_refused(
            &run,
            what,
            &["v1.2.0.info", "GOPROXY file unreadable", needle],
        );
    }
    // The control: with no `.info` at all, the version is absent.
    let proxy = tempfile::tempdir().unwrap();
    goproxy_with_info(proxy.path());
    let run = go_check(workspace.path(), proxy.path()).run();
    run.assert_code(0);
    assert_eq!(run.out("to-publish"), "mod");
}

/// An `.info` with mode 000, read by an unprivileged user (root reads any file, so the binary
/// runs as `nobody`): EACCES is exit 2, not `absent`. The control run, readable, goes on to read
/// the `.info` (and finds its `.mod` missing, also exit 2, for another reason).
#[test]
fn a_goproxy_info_the_runner_may_not_read_is_exit_2_not_absent() {
    use std::os::unix::fs::PermissionsExt;
    const NOBODY: u32 = 65534;
    let workspace = workspace();
    let proxy = tempfile::tempdir().unwrap();
    let info = goproxy_with_info(proxy.path());
    std::fs::write(&info, r#"{"Version":"v1.2.0"}"#).unwrap();
    for dir in [workspace.path(), proxy.path()] {
        std::process::Command::new("chmod")
            .args(["-R", "a+rX"])
            .arg(dir)
            .status()
            .unwrap();
    }
    std::fs::set_permissions(&info, std::fs::Permissions::from_mode(0o000)).unwrap();
    let run = go_check(workspace.path(), proxy.path()).uid(NOBODY).run();
    assert_refused(&run, "mode 000", &["v1.2.0.info", "Permission denied"]);

    std::fs::set_permissions(&info, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = go_check(workspace.path(), proxy.path()).uid(NOBODY).run();
    assert_refused(&run, "readable .info, no .mod", &["v1.2.0.mod"]);
}

// ------------------------------------------------------------- 8: control characters in names

/// `dist/app⏎root.tgz` (and names with CR, TAB and ESC): one file to the glob, but two lines of
/// `to-publish`, the second naming `root.tgz`, which was never checked. publish-check and
/// smoke-install refuse it with exit 2, naming it escaped, before any registry is asked.
#[test]
fn an_artifact_name_with_a_control_character_is_exit_2() {
    for (name, escaped) in [
        ("app\nroot.tgz", r"app\nroot.tgz"),
        ("app\rroot.tgz", r"app\rroot.tgz"),
        ("app\troot.tgz", r"app\troot.tgz"),
        ("app\u{1b}[31mroot.tgz", r"app\u{1b}[31mroot.tgz"),
    ] {
        let workspace = tempfile::tempdir().unwrap();
        let dist = workspace.path().join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join(name), npm_tarball()).unwrap();
        let registry = FaultServer::start();
        let run = Gha::new()
            .cwd(workspace.path())
            .input("mode", "publish-check")
            .input("packages", "dist/*.tgz")
            .input("npm-registry", &registry.base())
            .run();
        assert_refused(&run, escaped, &[escaped, "control character"]);
        assert!(registry.all_requests().is_empty(), "{escaped}");
        let run = Gha::new()
            .cwd(workspace.path())
            .input("mode", "smoke-install")
            .input("packages", "dist/*.tgz")
            .input("expected-version", "1.0.0")
            .run();
        assert_refused(&run, escaped, &[escaped, "control character"]);
    }
}

/// `to-publish-json` lists exactly what `to-publish` lists, as a JSON array of strings: a path
/// that holds a comma, a quote or a space is one item there.
#[test]
fn to_publish_has_a_json_array_beside_the_lines() {
    let workspace = tempfile::tempdir().unwrap();
    let dist = workspace.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("acme hello, \"1.0.0\".tgz"), npm_tarball()).unwrap();
    let registry = FaultServer::start();
    let run = Gha::new()
        .cwd(workspace.path())
        .input("mode", "publish-check")
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &registry.base())
        .run();
    run.assert_code(0);
    assert_eq!(run.out("to-publish"), "dist/acme hello, \"1.0.0\".tgz");
    let listed: Vec<String> = serde_json::from_str(run.out("to-publish-json")).unwrap();
    assert_eq!(listed, vec!["dist/acme hello, \"1.0.0\".tgz".to_string()]);

    registry.script(PACKUMENT, vec![Reply::ok(packument(&npm_tarball(), "x"))]);
    let run = Gha::new()
        .cwd(workspace.path())
        .input("mode", "publish-check")
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &registry.base())
        .run();
    run.assert_code(0);
    assert_eq!(run.out("to-publish"), "");
    assert_eq!(run.out("to-publish-json"), "[]");
}

// ------------------------------------------------------------- 10: sibling of the workspace

/// `<root>/src/repo` (the workspace) and `<root>/src/repo-other`, whose name starts with the
/// workspace's: a valid npm tarball, a policy and a VERSION there.
fn workspace_and_sibling() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("src/repo");
    let other = root.path().join("src/repo-other");
    std::fs::create_dir_all(repo.join("dist")).unwrap();
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("secret-1.0.0.tgz"), npm_tarball()).unwrap();
    std::fs::write(other.join("policy.yml"), "rules: []\n").unwrap();
    std::fs::write(other.join("VERSION"), "1.0.0\n").unwrap();
    std::os::unix::fs::symlink(
        "../../repo-other/secret-1.0.0.tgz",
        repo.join("dist/app-1.0.0.tgz"),
    )
    .unwrap();
    (root, repo, other)
}

fn in_repo(repo: &Path, mode: &str) -> Gha {
    Gha::new()
        .cwd(repo)
        .env("GITHUB_WORKSPACE", repo.to_str().unwrap())
        .input("mode", mode)
}

/// By `../repo-other/…` and by a symlink in the repository, a package of the sibling directory
/// is refused by smoke-install and publish-check (exit 2, "outside the workspace", the registry
/// never asked).
#[test]
fn packages_in_a_sibling_whose_name_starts_with_the_workspaces_are_refused() {
    let (_root, repo, other) = workspace_and_sibling();
    let registry = FaultServer::start();
    for packages in [
        "../repo-other/secret-1.0.0.tgz",
        "dist/*.tgz",
        "dist/app-1.0.0.tgz",
    ] {
        let run = in_repo(&repo, "publish-check")
            .input("packages", packages)
            .input("npm-registry", &registry.base())
            .run();
        assert_refused(
            &run,
            packages,
            &["outside the workspace", other.to_str().unwrap()],
        );
        let run = in_repo(&repo, "smoke-install")
            .input("packages", packages)
            .input("expected-version", "1.0.0")
            .run();
        assert_refused(
            &run,
            packages,
            &["outside the workspace", other.to_str().unwrap()],
        );
    }
    assert!(registry.all_requests().is_empty());
}

/// Path inputs: policy-check's `policy` and version-guard's `version-file` in the sibling.
#[test]
fn path_inputs_in_a_sibling_whose_name_starts_with_the_workspaces_are_refused() {
    let (_root, repo, _other) = workspace_and_sibling();
    git(&repo, &["init", "-q"]);
    commit_all_at(&repo, 1_700_000_000, "init");
    let run = in_repo(&repo, "policy-check")
        .input("policy", "../repo-other/policy.yml")
        .run();
    assert_refused(&run, "policy", &["outside the workspace", "policy"]);
    let run = in_repo(&repo, "version-guard")
        .input("version-file", "../repo-other/VERSION")
        .run();
    assert_refused(
        &run,
        "version-file",
        &["outside the workspace", "version-file"],
    );
}
