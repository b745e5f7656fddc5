//! One token, one registry (issue #22 item 6): a token is sent only to the registry it was given
//! for. Each registry origin is its own recording server on 127.0.0.1 (unscripted paths answer
//! 404, "not published"), so every Authorization header the binary sends is seen where it went.

use crate::support::fault_server::FaultServer;
use crate::support::harness::*;
use crate::support::packages;

use std::path::Path;

use serde_json::json;

/// The Authorization headers each request to `server` carried (`None` for none).
fn sent(server: &FaultServer) -> Vec<Option<String>> {
    server
        .all_requests()
        .iter()
        .map(|r| r.header("authorization").map(str::to_string))
        .collect()
}

/// dist/ with an npm tarball, a wheel and a crate, and a Go module directory.
fn release_build(ws: &Path) {
    let dist = ws.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let manifest = json!({"name": "bound", "version": "1.0.0", "license": "MIT"}).to_string();
    std::fs::write(
        dist.join("bound-1.0.0.tgz"),
        packages::tarball("package", &[("package.json", manifest.as_str())]),
    )
    .unwrap();
    packages::wheel(&dist, "bound", "1.0.0", &[("bound.py", "")], &[]);
    crate::ecosystem::cargo::cargo_package(&dist, "bound", "1.0.0", "pub fn a() {}\n");
    std::fs::create_dir_all(ws.join("mod")).unwrap();
    std::fs::write(ws.join("mod/go.mod"), "module example.com/bound\n").unwrap();
}

struct Registries {
    npm: FaultServer,
    pypi: FaultServer,
    go: FaultServer,
    cargo: FaultServer,
}

impl Registries {
    fn start() -> Registries {
        Registries {
            npm: FaultServer::start(),
            pypi: FaultServer::start(),
            go: FaultServer::start(),
            cargo: FaultServer::start(),
        }
    }

    fn publish_check(&self, ws: &Path) -> Gha {
        Gha::new()
            .cwd(ws)
            .input("mode", "publish-check")
            .env("RELEASE_ACTION_RETRY_BASE_MS", "5")
            .input("packages", "dist/*.tgz\ndist/*.whl\ndist/*.crate\nmod")
            .input("go-version", "v1.0.0")
            .input("npm-registry", &self.npm.base())
            .input("pypi-index", &format!("{}/simple/", self.pypi.base()))
            .input("goproxy", &self.go.base())
            .input("cargo-index", &format!("sparse+{}/", self.cargo.base()))
    }

    fn all(&self) -> [&FaultServer; 4] {
        [&self.npm, &self.pypi, &self.go, &self.cargo]
    }
}

#[test]
fn publish_check_sends_each_token_only_to_its_own_registry() {
    let workspace = tempfile::tempdir().unwrap();
    let ws = workspace.path();
    release_build(ws);
    let registries = Registries::start();

    // One token per registry: each origin sees its own, and only its own.
    let run = registries
        .publish_check(ws)
        .input("npm-token", "npm-secret-1")
        .input("pypi-token", "pypi-secret-2")
        .input("go-token", "go-secret-3")
        .input("cargo-token", "cargo-secret-4")
        .run();
    run.assert_code(0);
    assert_eq!(
        run.out("to-publish").lines().count(),
        4,
        "{}",
        run.describe()
    );
    let only = |server: &FaultServer, auth: &str| {
        let seen = sent(server);
        assert!(!seen.is_empty(), "{}", run.describe());
        assert!(
            seen.iter().all(|a| a.as_deref() == Some(auth)),
            "expected only {auth:?}, saw {seen:?}"
        );
    };
    only(&registries.npm, "Bearer npm-secret-1");
    only(&registries.pypi, "Bearer pypi-secret-2");
    only(&registries.go, "Bearer go-secret-3");
    only(&registries.cargo, "cargo-secret-4");
    for secret in [
        "npm-secret-1",
        "pypi-secret-2",
        "go-secret-3",
        "cargo-secret-4",
    ] {
        assert!(
            run.commands("add-mask").iter().any(|l| l.contains(secret)),
            "{secret} is masked"
        );
    }

    // One registry's token alone: the other registries get no credential at all.
    let npm_before = registries.npm.all_requests().len();
    let others_before: Vec<usize> = registries.all()[1..]
        .iter()
        .map(|s| s.all_requests().len())
        .collect();
    let run = registries
        .publish_check(ws)
        .input("npm-token", "npm-secret-1")
        .run();
    run.assert_code(0);
    assert!(sent(&registries.npm)[npm_before..]
        .iter()
        .all(|a| a.as_deref() == Some("Bearer npm-secret-1")));
    for (server, before) in registries.all()[1..].iter().zip(others_before) {
        let later = &sent(server)[before..];
        assert!(
            !later.is_empty() && later.iter().all(Option::is_none),
            "{later:?}"
        );
    }
}

#[test]
fn publish_check_refuses_one_token_for_several_registries() {
    let workspace = tempfile::tempdir().unwrap();
    let ws = workspace.path();
    release_build(ws);
    let registries = Registries::start();
    let run = registries
        .publish_check(ws)
        .input("registry-token", "one-secret-for-all")
        .run();
    run.assert_code(2);
    assert!(run.outputs.is_empty(), "{:?}", run.outputs);
    let errors = run.commands("error").join("\n");
    for word in [
        "registry-token",
        "npm-token",
        "pypi-token",
        "go-token",
        "cargo-token",
    ] {
        assert!(errors.contains(word), "{word}: {errors}");
    }
    for server in registries.all() {
        assert!(
            sent(server).is_empty(),
            "nothing is asked: {:?}",
            sent(server)
        );
    }
    assert!(!errors.contains("one-secret-for-all"), "{errors}");

    // With one ecosystem's artifacts it is that registry's token, and goes nowhere else.
    let run = Gha::new()
        .cwd(ws)
        .input("mode", "publish-check")
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &registries.npm.base())
        .input("pypi-index", &registries.pypi.base())
        .input("registry-token", "one-secret-for-all")
        .run();
    run.assert_code(0);
    assert_eq!(
        sent(&registries.npm),
        [Some("Bearer one-secret-for-all".to_string())]
    );
    assert!(sent(&registries.pypi).is_empty());

    // registry-token and the registry's own token at once: which one is meant is unclear.
    let run = Gha::new()
        .cwd(ws)
        .input("mode", "publish-check")
        .input("packages", "dist/*.tgz")
        .input("npm-registry", &registries.npm.base())
        .input("registry-token", "one-secret-for-all")
        .input("npm-token", "npm-secret-1")
        .run();
    run.assert_code(2);
    assert!(run.commands("error").join("\n").contains("npm-token"));
    assert_eq!(sent(&registries.npm).len(), 1, "no new request");
}

fn smoke(entries: &str, registries: &Registries) -> Gha {
    Gha::new()
        .input("mode", "smoke-install")
        .env("RELEASE_ACTION_RETRY_BASE_MS", "5")
        .input("packages", entries)
        .input("retries", "0")
        .input("expected-version", "1.0.0")
        .input("npm-registry", &registries.npm.base())
        .input("pypi-index", &format!("{}/simple/", registries.pypi.base()))
        .input("goproxy", &registries.go.base())
        .input(
            "cargo-index",
            &format!("sparse+{}/", registries.cargo.base()),
        )
}

#[test]
fn smoke_install_binds_tokens_to_their_registries() {
    let registries = Registries::start();
    // One token for entries from two registries: refused before anything is fetched.
    let run = smoke("npm:bound@1.0.0\npypi:bound==1.0.0", &registries)
        .input("registry-token", "one-secret-for-all")
        .run();
    run.assert_code(2);
    let errors = run.commands("error").join("\n");
    assert!(
        errors.contains("npm-token") && errors.contains("pypi-token"),
        "{errors}"
    );
    for server in registries.all() {
        assert!(sent(server).is_empty(), "{:?}", sent(server));
    }
    // `registry` (for dependencies) and an entry from another registry: the same.
    let run = smoke("npm:bound@1.0.0", &registries)
        .input("registry", &registries.go.base())
        .input("registry-token", "one-secret-for-all")
        .run();
    run.assert_code(2);
    assert!(sent(&registries.npm).is_empty());

    // Per-registry tokens: each entry's registry gets its own token, never another's.
    let _ = smoke("pypi:bound==1.0.0", &registries)
        .input("npm-token", "npm-secret-1")
        .input("pypi-token", "pypi-secret-2")
        .run();
    let pypi = sent(&registries.pypi);
    assert!(
        !pypi.is_empty()
            && pypi
                .iter()
                .all(|a| a.as_deref() == Some("Bearer pypi-secret-2")),
        "{pypi:?}"
    );
    assert!(sent(&registries.npm).is_empty());
    let _ = smoke("npm:bound@1.0.0", &registries)
        .input("npm-token", "npm-secret-1")
        .input("pypi-token", "pypi-secret-2")
        .run();
    let npm = sent(&registries.npm);
    assert!(
        !npm.is_empty()
            && npm
                .iter()
                .all(|a| a.as_deref() == Some("Bearer npm-secret-1")),
        "{npm:?}"
    );
    // One registry in play: registry-token is its token, as before.
    let before = sent(&registries.npm).len();
    let _ = smoke("npm:bound@1.0.0", &registries)
        .input("registry-token", "one-secret-for-all")
        .run();
    let npm = &sent(&registries.npm)[before..];
    assert!(
        !npm.is_empty()
            && npm
                .iter()
                .all(|a| a.as_deref() == Some("Bearer one-secret-for-all")),
        "{npm:?}"
    );
}
