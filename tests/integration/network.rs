//! Company networks and long transfers, end to end with the real binary: a registry behind a
//! private certificate authority (trusted through `SSL_CERT_FILE` / `SSL_CERT_DIR`, refused at
//! once without), an egress proxy (`HTTPS_PROXY`, `NO_PROXY`) and a slow link that shows progress.

use crate::support::connect_proxy::ConnectProxy;
use crate::support::fault_server::{FaultServer, Reply};
use crate::support::harness::*;
use crate::support::packages;
use crate::support::servers;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest as _, Sha256};

const TARBALL: &str = "dl/sdk-0.12.0.tgz";

/// A real npm package tarball, `extra` bytes of hex text inside to make it as big as needed.
fn npm_tarball(extra: usize) -> Vec<u8> {
    let manifest = json!({
        "name": "@scope/sdk",
        "version": "0.12.0",
        "main": "index.js",
        "license": "MIT"
    })
    .to_string();
    let mut filler = String::with_capacity(extra);
    let mut block = Sha256::digest(b"filler").to_vec();
    while filler.len() < extra {
        block = Sha256::digest(&block).to_vec();
        filler.push_str(&hex::encode(&block));
    }
    packages::tarball(
        "package",
        &[
            ("package.json", manifest.as_str()),
            ("index.js", "exports.version = \"0.12.0\";\n"),
            ("filler.txt", filler.as_str()),
        ],
    )
}

/// A directory serving the tarball at [`TARBALL`]; returns the tarball's sha256.
fn site(root: &Path) -> String {
    let bytes = npm_tarball(0);
    std::fs::create_dir_all(root.join("dl")).unwrap();
    std::fs::write(root.join(TARBALL), &bytes).unwrap();
    hex::encode(Sha256::digest(&bytes))
}

fn smoke(url: &str, sha256: &str) -> Gha {
    Gha::new()
        .input("mode", "smoke-install")
        .input("packages", url)
        .input("expected-version", "0.12.0")
        .input("sha256", sha256)
}

#[test]
fn registry_behind_a_private_ca_is_trusted_through_ssl_cert_file_and_refused_at_once_without() {
    let root = tempfile::tempdir().unwrap();
    let sha = site(root.path());
    let (server, ca) = servers::https_static_private_ca(root.path());
    let url = format!("https://127.0.0.1:{}/{TARBALL}", server.port);

    let trusted = smoke(&url, &sha)
        .env("SSL_CERT_FILE", ca.to_str().unwrap())
        .run();
    trusted.assert_code(0);
    assert!(
        trusted.stdout.contains("matches the expected digest") || trusted.out("passed") == "true",
        "{}",
        trusted.describe()
    );

    // SSL_CERT_DIR: a directory of PEM files, as a company image installs its CA.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&ca, dir.path().join("example-corp-root.pem")).unwrap();
    let by_dir = smoke(&url, &sha)
        .env("SSL_CERT_DIR", dir.path().to_str().unwrap())
        .run();
    by_dir.assert_code(0);

    // Without it the certificate is unknown: one attempt, exit 2, a fix that names SSL_CERT_FILE.
    let started = Instant::now();
    let refused = smoke(&url, &sha).run();
    let took = started.elapsed();
    refused.assert_code(2);
    assert!(
        !refused.stdout.contains("retry 1/"),
        "a certificate error was retried:\n{}",
        refused.stdout
    );
    let errors = refused.commands("error");
    assert_eq!(errors.len(), 1, "{}", refused.describe());
    let error = &errors[0];
    for needle in [url.as_str(), "certificate", "SSL_CERT_FILE"] {
        assert!(error.contains(needle), "{needle:?} missing from {error}");
    }
    assert!(!error.contains("raise retries"), "{error}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    println!("private CA refused in {} ms", took.as_millis());
}

#[test]
fn https_proxy_carries_the_download_and_no_proxy_bypasses_it() {
    let root = tempfile::tempdir().unwrap();
    let sha = site(root.path());
    let (server, ca) = servers::https_static_private_ca(root.path());
    let url = format!("https://127.0.0.1:{}/{TARBALL}", server.port);
    let proxy = ConnectProxy::start();
    let through = || {
        smoke(&url, &sha)
            .env("SSL_CERT_FILE", ca.to_str().unwrap())
            .env("HTTPS_PROXY", &proxy.url())
    };

    through().run().assert_code(0);
    let connect = format!("CONNECT 127.0.0.1:{} HTTP/1.1", server.port);
    assert_eq!(
        proxy.seen(),
        std::slice::from_ref(&connect),
        "the download went through the proxy"
    );

    through().env("NO_PROXY", "127.0.0.1").run().assert_code(0);
    assert_eq!(proxy.seen(), [connect], "NO_PROXY bypassed the proxy");
}

#[test]
fn slow_download_logs_progress_inside_its_group() {
    let bytes = npm_tarball(6 << 20);
    let total = bytes.len();
    assert!(total > 2 << 20, "{total}");
    let server = FaultServer::start();
    let chunk = total / 40 + 1;
    server.script(
        &format!("/{TARBALL}"),
        vec![Reply::Drip {
            body: bytes.clone(),
            chunk,
            every: Duration::from_millis(60),
        }],
    );
    let url = server.url(&format!("/{TARBALL}"));
    let run = smoke(&url, &hex::encode(Sha256::digest(&bytes)))
        .env("RELEASE_ACTION_PROGRESS_MS", "400")
        .run();
    run.assert_code(0);
    let group = run
        .stdout
        .split("::group::")
        .find(|g| g.contains(&format!("GET {url}")) || g.contains("progress"))
        .map(|g| g.split("::endgroup::").next().unwrap_or(""))
        .unwrap_or("");
    let of = format!("of {:.1} MiB", total as f64 / 1048576.0);
    let progress: Vec<&str> = group
        .lines()
        .filter(|l| l.contains(&format!("GET {url}: ")) && l.contains(&of) && l.contains("MiB/s"))
        .collect();
    assert!(
        progress.len() >= 2,
        "no progress lines in the group:\n{}",
        run.stdout
    );
    println!("{} progress lines, e.g. {}", progress.len(), progress[0]);
}
