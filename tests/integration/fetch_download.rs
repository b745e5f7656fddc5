//! The download layer against a fault-injecting server on 127.0.0.1: retries, Retry-After,
//! 404, truncated bodies, wrong digests, stalls, and credentials across redirects.

use crate::support::fault_server;

use std::cell::RefCell;
use std::time::Duration;

use base64::Engine as _;
use fault_server::{FaultServer, Reply};
use release_action::ecosystem::remote::{self, RemoteOptions, Source};
use release_action::error::Kind;
use release_action::fetch::download::{Auth, Download};
use release_action::fetch::{self, Fetcher, Integrity};
use sha2::{Digest as _, Sha256, Sha512};

struct Logs(RefCell<Vec<String>>);

impl Logs {
    fn new() -> Logs {
        Logs(RefCell::new(Vec::new()))
    }
    fn matching(&self, needle: &str) -> Vec<String> {
        self.0
            .borrow()
            .iter()
            .filter(|l| l.contains(needle))
            .cloned()
            .collect()
    }
    fn all(&self) -> String {
        self.0.borrow().join("\n")
    }
}

impl fetch::Log for Logs {
    fn log(&self, message: &str) {
        self.0.borrow_mut().push(message.to_string());
    }
}

/// A fetcher that retries quickly (10 ms base) so tests do not sleep long.
fn fetcher(logs: &Logs, retries: u32, timeout: Duration) -> Fetcher<'_> {
    let mut f = Fetcher::new(logs, retries, timeout).unwrap();
    f.base_delay = Duration::from_millis(10);
    f.max_wait = Duration::from_millis(200);
    f
}

fn request(url: String, dir: &std::path::Path) -> Download {
    Download {
        url,
        dest: dir.join("artifact.tgz"),
        expected: Vec::new(),
        size: None,
        auth: None,
        accept: None,
    }
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn retries_503_then_succeeds() {
    let server = FaultServer::start();
    server.script(
        "/pkg.tgz",
        vec![
            Reply::status(503),
            Reply::status(502),
            Reply::status(500),
            Reply::ok("payload"),
        ],
    );
    let logs = Logs::new();
    let dir = tempfile::tempdir().unwrap();
    let done = fetcher(&logs, 4, Duration::from_secs(5))
        .download(&request(server.url("/pkg.tgz"), dir.path()))
        .unwrap();
    assert_eq!(std::fs::read(&done.path).unwrap(), b"payload");
    assert_eq!(server.count("/pkg.tgz"), 4);
    let retries = logs.matching("retry ");
    assert_eq!(retries.len(), 3, "{}", logs.all());
    assert!(
        retries[0].contains("HTTP 503") && retries[0].contains("retry 1/4"),
        "{}",
        retries[0]
    );
    assert!(retries[1].contains("HTTP 502") && retries[1].contains("retry 2/4"));
    assert!(retries[2].contains(&server.url("/pkg.tgz")));
}

#[test]
fn gives_up_after_the_retry_budget() {
    let server = FaultServer::start();
    server.script("/down", vec![Reply::status(503)]);
    let logs = Logs::new();
    let dir = tempfile::tempdir().unwrap();
    let err = fetcher(&logs, 2, Duration::from_secs(5))
        .download(&request(server.url("/down"), dir.path()))
        .unwrap_err();
    assert_eq!(server.count("/down"), 3, "1 attempt + 2 retries");
    assert!(err.message.contains(&server.url("/down")), "{err}");
    assert!(err.message.contains("503"), "{err}");
    assert!(err.message.contains("after 3 attempts"), "{err}");
    assert!(err.fix.is_some());
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
}

#[test]
fn honours_retry_after_on_429_and_caps_it() {
    let server = FaultServer::start();
    server.script(
        "/limited",
        vec![
            Reply::with_header(429, "Retry-After", "0", "slow down"),
            Reply::with_header(429, "Retry-After", "3600", "slow down"),
            Reply::with_header(408, "X-Why", "timeout", ""),
            Reply::ok("finally"),
        ],
    );
    let logs = Logs::new();
    let dir = tempfile::tempdir().unwrap();
    let done = fetcher(&logs, 4, Duration::from_secs(5))
        .download(&request(server.url("/limited"), dir.path()))
        .unwrap();
    assert_eq!(std::fs::read(&done.path).unwrap(), b"finally");
    assert_eq!(server.count("/limited"), 4);
    let retries = logs.matching("retry ");
    assert!(
        retries[0].contains("Retry-After: 0") && retries[0].contains("in 0 ms"),
        "{}",
        retries[0]
    );
    // An hour-long Retry-After is capped by max_wait (200 ms here).
    assert!(
        retries[1].contains("Retry-After: 3600") && retries[1].contains("in 200 ms"),
        "{}",
        retries[1]
    );
    assert!(retries[2].contains("HTTP 408"), "{}", retries[2]);
}

#[test]
fn not_found_fails_at_once_naming_url_and_status() {
    let server = FaultServer::start();
    server.script("/missing.tgz", vec![Reply::status(404)]);
    server.script("/forbidden.tgz", vec![Reply::status(403)]);
    let logs = Logs::new();
    let dir = tempfile::tempdir().unwrap();
    let f = fetcher(&logs, 4, Duration::from_secs(5));
    let err = f
        .download(&request(server.url("/missing.tgz"), dir.path()))
        .unwrap_err();
    assert_eq!(server.count("/missing.tgz"), 1, "a 404 is never retried");
    assert!(err.message.contains(&server.url("/missing.tgz")), "{err}");
    assert!(err.message.contains("404"), "{err}");
    assert_eq!(err.kind, Kind::Guard);
    assert!(err.fix.as_deref().unwrap().contains("publish"), "{err}");
    let err = f
        .download(&request(server.url("/forbidden.tgz"), dir.path()))
        .unwrap_err();
    assert_eq!(server.count("/forbidden.tgz"), 1);
    assert!(
        err.fix.as_deref().unwrap().contains("registry-token"),
        "{err}"
    );
    assert!(logs.matching("retry").is_empty(), "{}", logs.all());
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn truncated_body_is_never_written() {
    let server = FaultServer::start();
    server.script(
        "/short",
        vec![Reply::Truncated {
            declared: 1000,
            body: b"only a part".to_vec(),
        }],
    );
    server.script(
        "/short-once",
        vec![
            Reply::Truncated {
                declared: 100,
                body: b"part".to_vec(),
            },
            Reply::ok("the whole body"),
        ],
    );
    let logs = Logs::new();
    let dir = tempfile::tempdir().unwrap();
    let f = fetcher(&logs, 2, Duration::from_secs(5));
    let err = f
        .download(&request(server.url("/short"), dir.path()))
        .unwrap_err();
    assert_eq!(server.count("/short"), 3);
    assert!(err.message.contains("of 1000"), "{err}");
    assert!(
        files_in(dir.path()).is_empty(),
        "no partial file may remain: {:?}",
        files_in(dir.path())
    );
    let done = f
        .download(&request(server.url("/short-once"), dir.path()))
        .unwrap();
    assert_eq!(std::fs::read(&done.path).unwrap(), b"the whole body");
    assert_eq!(files_in(dir.path()), vec!["artifact.tgz"]);
}

#[test]
fn wrong_digest_is_rejected_and_discarded() {
    let server = FaultServer::start();
    server.script("/file", vec![Reply::ok("served bytes")]);
    let logs = Logs::new();
    let dir = tempfile::tempdir().unwrap();
    let f = fetcher(&logs, 4, Duration::from_secs(5));

    let wrong = hex::encode(Sha256::digest(b"published bytes"));
    let mut req = request(server.url("/file"), dir.path());
    req.expected = vec![Integrity::parse_sha256_hex(&wrong).unwrap()];
    let err = f.download(&req).unwrap_err();
    assert_eq!(err.kind, Kind::Guard);
    assert!(err.message.contains(&wrong), "{err}");
    assert!(
        err.message
            .contains(&hex::encode(Sha256::digest(b"served bytes"))),
        "{err}"
    );
    assert!(err.message.contains(&server.url("/file")), "{err}");
    assert_eq!(server.count("/file"), 1, "a digest mismatch is not retried");
    assert!(files_in(dir.path()).is_empty());

    let sri_wrong = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(b"other"))
    );
    req.expected = vec![Integrity::parse_sri(&sri_wrong).unwrap()];
    assert!(f.download(&req).is_err());
    assert!(files_in(dir.path()).is_empty());

    let sri_right = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(b"served bytes"))
    );
    req.expected = vec![Integrity::parse_sri(&sri_right).unwrap()];
    let done = f.download(&req).unwrap();
    assert_eq!(done.sri512(), sri_right);
    assert_eq!(files_in(dir.path()), vec!["artifact.tgz"]);
}

#[test]
fn stalled_response_times_out_and_is_retried() {
    let server = FaultServer::start();
    server.script(
        "/stall",
        vec![
            Reply::Stall {
                body: b"late".to_vec(),
                stall: Duration::from_secs(30),
            },
            Reply::ok("prompt"),
        ],
    );
    let logs = Logs::new();
    let dir = tempfile::tempdir().unwrap();
    let done = fetcher(&logs, 3, Duration::from_secs(1))
        .download(&request(server.url("/stall"), dir.path()))
        .unwrap();
    assert_eq!(std::fs::read(&done.path).unwrap(), b"prompt");
    assert_eq!(server.count("/stall"), 2);
    let retries = logs.matching("retry 1/3");
    assert_eq!(retries.len(), 1, "{}", logs.all());
    assert!(retries[0].contains("timed out"), "{}", retries[0]);
}

#[test]
fn connection_refused_is_retried_then_reported() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/x.tgz");
    let logs = Logs::new();
    let dir = tempfile::tempdir().unwrap();
    let err = fetcher(&logs, 2, Duration::from_secs(2))
        .download(&request(url.clone(), dir.path()))
        .unwrap_err();
    assert_eq!(
        logs.matching("connection failed").len(),
        2,
        "{}",
        logs.all()
    );
    assert!(
        err.message.contains(&url) && err.message.contains("connection failed"),
        "{err}"
    );
    assert_eq!(err.kind, Kind::Usage);
}

#[test]
fn authorization_never_follows_a_redirect_to_another_host() {
    let registry = FaultServer::start();
    let cdn = FaultServer::start();
    registry.script("/same", vec![Reply::Redirect("/moved".into())]);
    registry.script("/moved", vec![Reply::ok("same host")]);
    registry.script("/away", vec![Reply::Redirect(cdn.url("/blob"))]);
    cdn.script("/blob", vec![Reply::ok("from the cdn")]);
    let logs = Logs::new();
    let dir = tempfile::tempdir().unwrap();
    let f = fetcher(&logs, 1, Duration::from_secs(5));
    let base = url::Url::parse(&registry.base()).unwrap();
    let auth = Auth::bearer_for(&base, "s3cr3t-token");

    let mut req = request(registry.url("/same"), dir.path());
    req.auth = Some(auth.clone());
    f.download(&req).unwrap();
    assert_eq!(
        registry.requests("/moved")[0].header("authorization"),
        Some("Bearer s3cr3t-token"),
        "a same-origin redirect keeps the token"
    );

    req.url = registry.url("/away");
    let done = f.download(&req).unwrap();
    assert_eq!(std::fs::read(&done.path).unwrap(), b"from the cdn");
    assert_eq!(
        registry.requests("/away")[0].header("authorization"),
        Some("Bearer s3cr3t-token")
    );
    let at_cdn = cdn.requests("/blob");
    assert_eq!(at_cdn.len(), 1);
    assert_eq!(
        at_cdn[0].header("authorization"),
        None,
        "the token must not reach another host"
    );
    assert!(done.final_url.starts_with(&cdn.base()));
    assert_eq!(
        logs.matching("credentials are not sent to another host")
            .len(),
        1,
        "{}",
        logs.all()
    );
    assert!(!logs.all().contains("s3cr3t-token"), "{}", logs.all());
}

#[test]
fn fetch_by_url_sends_the_token_to_its_host_and_checks_the_cache() {
    let server = FaultServer::start();
    server.script("/dist/tool-1.0.tgz", vec![Reply::ok("tool bytes")]);
    let logs = Logs::new();
    let dir = tempfile::tempdir().unwrap();
    let digest = hex::encode(Sha256::digest(b"tool bytes"));
    let opts = RemoteOptions {
        registry_token: Some("url-token".into()),
        sha256: Some(digest.clone()),
        check_cache: true,
        ..RemoteOptions::default()
    };
    let source = Source::parse(&server.url("/dist/tool-1.0.tgz"))
        .unwrap()
        .unwrap();
    let fetched = remote::fetch(&source, &opts, dir.path(), &logs).unwrap();
    assert_eq!(fetched.path, dir.path().join("tool-1.0.tgz"));
    assert_eq!(fetched.sha256, digest);
    assert_eq!(fetched.bytes, 10);
    assert!(fetched.cache.is_some());
    assert_eq!(
        server.count("/dist/tool-1.0.tgz"),
        2,
        "check-cache fetches twice"
    );
    for r in server.requests("/dist/tool-1.0.tgz") {
        assert_eq!(r.header("authorization"), Some("Bearer url-token"));
    }
    assert_eq!(files_in(dir.path()), vec!["tool-1.0.tgz"]);
    assert_eq!(logs.matching("check-cache").len(), 1, "{}", logs.all());
    let report = fetched.report_lines();
    assert!(
        report[0].starts_with(&server.url("/dist/tool-1.0.tgz")),
        "{report:?}"
    );
    assert!(
        report.iter().any(|l| l.starts_with("verified: sha256:")),
        "{report:?}"
    );
    assert!(
        report
            .last()
            .unwrap()
            .starts_with("check-cache: first fetch"),
        "{report:?}"
    );

    // sha256 and integrity together are a usage error.
    let both = RemoteOptions {
        sha256: Some(digest),
        integrity: Some("sha512-AAAA".into()),
        ..RemoteOptions::default()
    };
    let err = remote::fetch(&source, &both, dir.path(), &logs).unwrap_err();
    assert_eq!(err.kind, Kind::Usage);
}

#[test]
fn retry_base_delay_comes_from_the_environment() {
    // Every test in this binary that sets it sets the same value.
    std::env::set_var(fetch::RETRY_BASE_ENV, "5");
    let logs = Logs::new();
    let f = Fetcher::from_options(&RemoteOptions::default(), &logs).unwrap();
    assert_eq!(f.base_delay, Duration::from_millis(5));
    assert_eq!(f.retries, 4);
    assert_eq!(f.timeout, Duration::from_secs(30));
}
