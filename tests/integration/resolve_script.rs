//! `dist/resolve.sh` against a local HTTP server on 127.0.0.1 that serves release assets built by
//! the test: download and verify, cache hits without a request, retries on transient errors, fail
//! closed on a checksum mismatch (nothing cached), unsupported platforms, and the committed
//! manifest's shape.

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::support::harness::git;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
pub(crate) const VERSION: &str = "9.9.9-test";
pub(crate) const FAKE_OUTPUT: &str = "release-action 9.9.9-test (served by the test)";

fn script() -> PathBuf {
    Path::new(ROOT).join("dist/resolve.sh")
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A small executable that stands in for the real binary.
pub(crate) fn fake_binary() -> Vec<u8> {
    format!("#!/bin/sh\necho '{FAKE_OUTPUT}'\n").into_bytes()
}

pub(crate) fn tar_gz(name: &str, content: &[u8]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o755);
    header.set_mtime(0);
    header.set_cksum();
    builder.append_data(&mut header, name, content).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

fn zip_file(name: &str, content: &[u8]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
    writer.start_file(name, options).unwrap();
    writer.write_all(content).unwrap();
    writer.finish().unwrap().into_inner()
}

/// What the server answers for one path: first the queued error statuses, then the body.
#[derive(Default)]
struct Route {
    errors: VecDeque<u16>,
    body: Option<Vec<u8>>,
}

#[derive(Default)]
struct State {
    routes: BTreeMap<String, Route>,
    requests: Vec<String>,
}

/// A tiny HTTP/1.1 server on 127.0.0.1 (one request per connection) that records every request.
pub(crate) struct Server {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub(crate) fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                serve(stream, &shared);
            }
        });
        Server { port, state }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn route(&self, path: &str, body: Vec<u8>) {
        self.state.lock().unwrap().routes.insert(
            path.to_string(),
            Route {
                errors: VecDeque::new(),
                body: Some(body),
            },
        );
    }

    fn fail_next(&self, path: &str, status: u16) {
        let mut state = self.state.lock().unwrap();
        state
            .routes
            .entry(path.to_string())
            .or_default()
            .errors
            .push_back(status);
    }

    pub(crate) fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<State>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let path = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("")
        .to_string();
    let (status, body) = {
        let mut state = state.lock().unwrap();
        state.requests.push(path.clone());
        match state.routes.get_mut(&path) {
            Some(route) => match route.errors.pop_front() {
                Some(status) => (status, b"try again".to_vec()),
                None => match &route.body {
                    Some(body) => (200, body.clone()),
                    None => (404, b"not found".to_vec()),
                },
            },
            None => (404, b"not found".to_vec()),
        }
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let header = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(header.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}

/// One runner's worth of directories: tool cache, temp, GITHUB_OUTPUT, GITHUB_PATH.
pub(crate) struct Runner {
    dir: TempDir,
    os: String,
    arch: String,
    extra: Vec<(String, String)>,
}

pub(crate) struct Resolved {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    stderr: String,
    output: String,
    path_file: String,
}

impl Resolved {
    pub(crate) fn describe(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}\n--- GITHUB_OUTPUT\n{}",
            self.code, self.stdout, self.stderr, self.output
        )
    }

    /// The `path=` the next step of action.yml reads.
    pub(crate) fn path(&self) -> PathBuf {
        let line = self
            .output
            .lines()
            .find_map(|l| l.strip_prefix("path="))
            .unwrap_or_else(|| panic!("no path= output\n{}", self.describe()));
        PathBuf::from(line)
    }

    pub(crate) fn errors(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("::error"))
            .collect()
    }
}

impl Runner {
    pub(crate) fn new(os: &str, arch: &str) -> Runner {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["toolcache", "temp"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        Runner {
            dir,
            os: os.into(),
            arch: arch.into(),
            extra: Vec::new(),
        }
    }

    pub(crate) fn tool_cache(&self) -> PathBuf {
        self.dir.path().join("toolcache")
    }

    pub(crate) fn env(mut self, name: &str, value: &str) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }

    /// Writes a manifest pinning `url` with `sha256` for this runner's platform, and the fake
    /// binary's sha256 as the binary inside it.
    pub(crate) fn manifest(&self, url: &str, sha256: Option<&str>) -> PathBuf {
        let binary = sha256.map(|_| sha256_hex(&fake_binary()));
        self.manifest_pinning(url, sha256, binary.as_deref())
    }

    /// Writes a manifest pinning `url` with the asset's `sha256` and the `binary` sha256.
    pub(crate) fn manifest_pinning(
        &self,
        url: &str,
        sha256: Option<&str>,
        binary: Option<&str>,
    ) -> PathBuf {
        let pin = |v: Option<&str>| v.map_or("null".to_string(), |s| format!("\"{s}\""));
        let text = format!(
            "{{\n  \"version\": \"{VERSION}\",\n  \"published\": {},\n  \"assets\": {{\n    \"{}-{}\": {{ \"url\": \"{url}\", \"sha256\": {}, \"binary_sha256\": {} }}\n  }}\n}}\n",
            sha256.is_some(),
            self.os,
            self.arch,
            pin(sha256),
            pin(binary)
        );
        let path = self.dir.path().join("manifest.json");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs `bash dist/resolve.sh` as step one of action.yml would, with fresh output files.
    pub(crate) fn resolve(&self, manifest: &Path) -> Resolved {
        let output = self.dir.path().join("github_output");
        let path_file = self.dir.path().join("github_path");
        std::fs::write(&output, "").unwrap();
        std::fs::write(&path_file, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.arg(script()).env_clear();
        for key in ["PATH", "HOME", "LANG", "SYSTEMROOT"] {
            if let Ok(v) = std::env::var(key) {
                cmd.env(key, v);
            }
        }
        cmd.env("RUNNER_OS", &self.os)
            .env("RUNNER_ARCH", &self.arch)
            .env("RUNNER_TOOL_CACHE", self.tool_cache())
            .env("RUNNER_TEMP", self.dir.path().join("temp"))
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_PATH", &path_file)
            .env("BUILD_FROM_SOURCE", "false")
            .env("RELEASE_ACTION_MANIFEST", manifest)
            // No waiting between attempts: the retry policy, not the clock, is under test.
            .env("RELEASE_ACTION_RETRY_DELAY", "0")
            .current_dir(self.dir.path());
        for (k, v) in &self.extra {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run bash dist/resolve.sh");
        Resolved {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            output: std::fs::read_to_string(&output).unwrap(),
            path_file: std::fs::read_to_string(&path_file).unwrap(),
        }
    }

    /// Every file under the tool cache, relative to it.
    fn cached_files(&self) -> Vec<String> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    out.push(format!(
                        "{}/",
                        path.strip_prefix(root).unwrap().to_string_lossy()
                    ));
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().to_string_lossy().into());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.tool_cache(), &self.tool_cache(), &mut out);
        out.sort();
        out
    }
}

pub(crate) fn run_binary(path: &Path) -> String {
    let out = Command::new(path)
        .output()
        .expect("run the resolved binary");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A server with the fake binary published as a tar.gz; returns the URL and its sha256.
pub(crate) fn published_tar_gz(server: &Server) -> (String, String) {
    let asset = tar_gz("release-action", &fake_binary());
    let sha = sha256_hex(&asset);
    server.route("/download/release-action-test.tar.gz", asset);
    (server.url("/download/release-action-test.tar.gz"), sha)
}

#[test]
fn first_run_downloads_and_verifies_second_run_uses_the_cache_without_a_request() {
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    let runner = Runner::new("Linux", "X64");
    let manifest = runner.manifest(&url, Some(&sha));

    let first = runner.resolve(&manifest);
    assert_eq!(first.code, 0, "{}", first.describe());
    assert_eq!(server.requests(), ["/download/release-action-test.tar.gz"]);
    let expected = runner
        .tool_cache()
        .join(format!("release-action/{VERSION}/x64/release-action"));
    assert_eq!(first.path(), expected, "{}", first.describe());
    assert_eq!(run_binary(&first.path()), FAKE_OUTPUT);
    assert!(first.stdout.contains(&format!("sha256 verified: {sha}")));
    assert_eq!(
        first.path_file.trim_end(),
        expected.parent().unwrap().to_str().unwrap()
    );
    let marker = std::fs::read_to_string(
        runner
            .tool_cache()
            .join(format!("release-action/{VERSION}/x64.complete")),
    )
    .unwrap();
    assert!(marker.contains(&format!("asset_sha256={sha}")), "{marker}");
    // Only the unpacked binary and the marker: the download itself and the temp dir are gone.
    assert_eq!(
        runner.cached_files(),
        [
            "release-action/".to_string(),
            format!("release-action/{VERSION}/"),
            format!("release-action/{VERSION}/x64.complete"),
            format!("release-action/{VERSION}/x64/"),
            format!("release-action/{VERSION}/x64/release-action"),
        ]
    );

    let second = runner.resolve(&manifest);
    assert_eq!(second.code, 0, "{}", second.describe());
    assert_eq!(server.requests().len(), 1, "the cache hit made a request");
    assert!(
        second.stdout.contains("from the tool cache"),
        "{}",
        second.describe()
    );
    assert_eq!(second.path(), expected);
    assert_eq!(run_binary(&second.path()), FAKE_OUTPUT);
}

#[test]
fn a_503_then_200_is_retried_and_succeeds() {
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    server.fail_next("/download/release-action-test.tar.gz", 503);
    let runner = Runner::new("Linux", "ARM64");
    let resolved = runner.resolve(&runner.manifest(&url, Some(&sha)));
    assert_eq!(resolved.code, 0, "{}", resolved.describe());
    assert_eq!(server.requests().len(), 2);
    assert!(
        resolved.stdout.contains("HTTP 503); retrying"),
        "{}",
        resolved.describe()
    );
    assert_eq!(run_binary(&resolved.path()), FAKE_OUTPUT);
    assert!(resolved
        .path()
        .ends_with(format!("{VERSION}/arm64/release-action")));
}

#[test]
fn retries_stop_after_the_last_attempt() {
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    for _ in 0..3 {
        server.fail_next("/download/release-action-test.tar.gz", 503);
    }
    let runner = Runner::new("Linux", "X64").env("RELEASE_ACTION_DOWNLOAD_ATTEMPTS", "3");
    let resolved = runner.resolve(&runner.manifest(&url, Some(&sha)));
    assert_eq!(resolved.code, 1, "{}", resolved.describe());
    assert_eq!(server.requests().len(), 3);
    assert!(
        resolved.errors()[0].contains("attempt 3 of 3")
            && resolved.errors()[0].contains("HTTP 503"),
        "{}",
        resolved.describe()
    );
    assert_eq!(
        runner.cached_files(),
        ["release-action/", &format!("release-action/{VERSION}/")]
    );
}

#[test]
fn a_404_is_not_retried() {
    let server = Server::start();
    let runner = Runner::new("Linux", "X64");
    let sha = sha256_hex(b"whatever");
    let resolved = runner.resolve(&runner.manifest(&server.url("/missing.tar.gz"), Some(&sha)));
    assert_eq!(resolved.code, 1, "{}", resolved.describe());
    assert_eq!(server.requests(), ["/missing.tar.gz"]);
    assert!(
        resolved.errors()[0].contains("Download failed")
            && resolved.errors()[0].contains("HTTP 404"),
        "{}",
        resolved.describe()
    );
}

#[test]
fn a_checksum_mismatch_fails_closed_and_caches_nothing() {
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    let runner = Runner::new("Linux", "X64");
    let wrong = sha256_hex(b"a different build");
    let resolved = runner.resolve(&runner.manifest(&url, Some(&wrong)));
    assert_eq!(resolved.code, 1, "{}", resolved.describe());
    assert_eq!(server.requests().len(), 1);
    let errors = resolved.errors();
    assert_eq!(errors.len(), 1, "{}", resolved.describe());
    assert!(
        errors[0].starts_with("::error title=Checksum mismatch::")
            && errors[0].contains(&sha)
            && errors[0].contains(&wrong),
        "{}",
        errors[0]
    );
    assert!(!resolved.output.contains("path="), "{}", resolved.output);
    assert_eq!(resolved.path_file, "");
    // No binary, no marker, no temp dir: nothing that a later run could mistake for a cache.
    assert_eq!(
        runner.cached_files(),
        ["release-action/", &format!("release-action/{VERSION}/")]
    );

    // The same runner with the right pin downloads again and succeeds.
    let fixed = runner.resolve(&runner.manifest(&url, Some(&sha)));
    assert_eq!(fixed.code, 0, "{}", fixed.describe());
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn an_unknown_runner_arch_fails_with_a_clear_message_and_no_request() {
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    for (os, arch) in [("Linux", "ARM"), ("Windows", "ARM64"), ("Linux", "S390X")] {
        let runner = Runner::new(os, arch);
        let resolved = runner.resolve(&runner.manifest(&url, Some(&sha)));
        assert_eq!(resolved.code, 2, "{}", resolved.describe());
        let errors = resolved.errors();
        assert_eq!(errors.len(), 1, "{}", resolved.describe());
        assert!(
            errors[0].starts_with("::error title=Unsupported platform::")
                && errors[0].contains(&format!("RUNNER_OS={os} RUNNER_ARCH={arch}"))
                && errors[0].contains("build-from-source: true"),
            "{}",
            errors[0]
        );
        assert!(runner.cached_files().is_empty());
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_platform_missing_from_the_manifest_is_an_error() {
    let runner = Runner::new("Linux", "X64");
    let other = Runner::new("macOS", "ARM64");
    // A manifest for macOS-ARM64 only, used on Linux-X64.
    let manifest = other.manifest("https://example.invalid/a.tar.gz", Some(&sha256_hex(b"x")));
    let resolved = runner.resolve(&manifest);
    assert_eq!(resolved.code, 2, "{}", resolved.describe());
    assert!(
        resolved.errors()[0].contains("has no asset for Linux-X64"),
        "{}",
        resolved.describe()
    );
}

#[test]
fn an_unpublished_entry_fails_closed_naming_the_way_out() {
    let runner = Runner::new("macOS", "X64");
    let resolved = runner.resolve(&runner.manifest("https://example.invalid/a.tar.gz", None));
    assert_eq!(resolved.code, 2, "{}", resolved.describe());
    let errors = resolved.errors();
    assert!(
        errors[0].contains("pins no published binary for macOS-X64")
            && errors[0].contains("use a released tag")
            && errors[0].contains("build-from-source: true"),
        "{}",
        resolved.describe()
    );
    assert!(runner.cached_files().is_empty());
}

#[test]
fn plain_http_is_refused_except_to_the_loopback() {
    let runner = Runner::new("Linux", "X64");
    let sha = sha256_hex(b"x");
    for url in [
        "http://example.com/release-action.tar.gz",
        "http://127.0.0.1.example.com/release-action.tar.gz",
        "ftp://example.com/release-action.tar.gz",
        "http://127.0.0.1:1@example.com/release-action.tar.gz",
        "http://localhost.example.com/release-action.tar.gz",
        "https://user@example.com/release-action.tar.gz",
    ] {
        let resolved = runner.resolve(&runner.manifest(url, Some(&sha)));
        assert_eq!(resolved.code, 2, "{url}: {}", resolved.describe());
        assert!(
            resolved.errors()[0].contains("Insecure asset URL"),
            "{url}: {}",
            resolved.describe()
        );
    }
}

#[test]
fn a_tampered_or_incomplete_cache_is_not_trusted() {
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    let runner = Runner::new("Linux", "X64");
    let manifest = runner.manifest(&url, Some(&sha));
    let first = runner.resolve(&manifest);
    assert_eq!(first.code, 0, "{}", first.describe());
    let bin = first.path();

    // Someone rewrites the cached binary: its hash no longer matches the marker.
    std::fs::write(&bin, "#!/bin/sh\necho tampered\n").unwrap();
    let second = runner.resolve(&manifest);
    assert_eq!(second.code, 0, "{}", second.describe());
    assert_eq!(server.requests().len(), 2);
    assert!(second
        .stdout
        .contains("does not match the pinned binary sha256"));
    assert_eq!(run_binary(&second.path()), FAKE_OUTPUT);

    // Without the marker, a binary that hashes to the pin is still the pinned binary: the hash,
    // not the marker, decides.
    let marker = runner
        .tool_cache()
        .join(format!("release-action/{VERSION}/x64.complete"));
    std::fs::remove_file(&marker).unwrap();
    let third = runner.resolve(&manifest);
    assert_eq!(third.code, 0, "{}", third.describe());
    assert_eq!(server.requests().len(), 2);
    assert!(third.stdout.contains("from the tool cache"));

    // A cache from another build of the same version (a different asset sha) is not reused.
    let rebuilt_binary = b"#!/bin/sh\necho rebuilt\n";
    let rebuilt = tar_gz("release-action", rebuilt_binary);
    let rebuilt_sha = sha256_hex(&rebuilt);
    server.route("/download/rebuilt.tar.gz", rebuilt);
    let fourth = runner.resolve(&runner.manifest_pinning(
        &server.url("/download/rebuilt.tar.gz"),
        Some(&rebuilt_sha),
        Some(&sha256_hex(rebuilt_binary)),
    ));
    assert_eq!(fourth.code, 0, "{}", fourth.describe());
    assert_eq!(server.requests().len(), 3);
    assert_eq!(run_binary(&fourth.path()), "rebuilt");
}

#[test]
fn a_windows_zip_asset_unpacks_release_action_exe() {
    let server = Server::start();
    let asset = zip_file("release-action.exe", &fake_binary());
    let sha = sha256_hex(&asset);
    server.route("/dl/release-action-x86_64-pc-windows-msvc.zip", asset);
    let runner = Runner::new("Windows", "X64");
    let manifest = runner.manifest(
        &server.url("/dl/release-action-x86_64-pc-windows-msvc.zip"),
        Some(&sha),
    );
    let resolved = runner.resolve(&manifest);
    assert_eq!(resolved.code, 0, "{}", resolved.describe());
    let path = resolved.path();
    assert!(
        path.ends_with(format!("{VERSION}/x64/release-action.exe")),
        "{path:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), fake_binary());
}

#[test]
fn an_asset_without_the_binary_is_refused_and_not_cached() {
    let server = Server::start();
    let asset = tar_gz("bin/release-action", &fake_binary());
    let sha = sha256_hex(&asset);
    server.route("/nested.tar.gz", asset);
    let runner = Runner::new("Linux", "X64");
    let resolved = runner.resolve(&runner.manifest(&server.url("/nested.tar.gz"), Some(&sha)));
    assert_eq!(resolved.code, 1, "{}", resolved.describe());
    assert!(resolved.errors()[0].contains("does not contain release-action at its top level"));
    assert_eq!(
        runner.cached_files(),
        ["release-action/", &format!("release-action/{VERSION}/")]
    );
}

#[test]
fn release_action_bin_overrides_everything() {
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    let runner = Runner::new("Linux", "X64");
    let bin = runner.dir.path().join("my-release-action");
    std::fs::write(&bin, fake_binary()).unwrap();
    make_executable(&bin);
    let runner = runner.env("RELEASE_ACTION_BIN", bin.to_str().unwrap());
    let resolved = runner.resolve(&runner.manifest(&url, Some(&sha)));
    assert_eq!(resolved.code, 0, "{}", resolved.describe());
    assert_eq!(resolved.path(), bin);
    assert!(server.requests().is_empty());
    assert!(runner.cached_files().is_empty());

    let missing =
        Runner::new("Linux", "X64").env("RELEASE_ACTION_BIN", "/nonexistent/release-action");
    let resolved = missing.resolve(&missing.manifest(&url, Some(&sha)));
    assert_eq!(resolved.code, 2, "{}", resolved.describe());
    assert!(resolved.errors()[0].contains("is not an executable file"));
}

/// Issue #22 item 2: inside a workflow an earlier step (or package code it ran) can set any
/// variable for later steps through GITHUB_ENV. A RELEASE_ACTION_BIN or RELEASE_ACTION_MANIFEST
/// it chose, outside the action's own directory, is refused (exit 2) and never run; the action's
/// own local build is still taken, and by hand (no GITHUB_ACTIONS) the override is free.
#[test]
fn inside_a_workflow_an_override_from_outside_the_action_is_refused() {
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    let runner = Runner::new("Linux", "X64");
    let planted = runner.dir.path().join("planted-release-action");
    std::fs::write(&planted, fake_binary()).unwrap();
    make_executable(&planted);
    let manifest = runner.manifest(&url, Some(&sha));

    let chosen = Runner::new("Linux", "X64")
        .env("GITHUB_ACTIONS", "true")
        .env("RELEASE_ACTION_BIN", planted.to_str().unwrap());
    let resolved = chosen.resolve(&manifest);
    assert_eq!(resolved.code, 2, "{}", resolved.describe());
    assert!(
        resolved.errors()[0].contains("outside the action's directory"),
        "{}",
        resolved.describe()
    );
    assert!(
        !resolved.output.contains("path="),
        "{}",
        resolved.describe()
    );

    // The manifest is refused the same way: it would pin a binary of that step's choosing.
    let run = Runner::new("Linux", "X64").env("GITHUB_ACTIONS", "true");
    let resolved = run.resolve(&run.manifest(&url, Some(&sha)));
    assert_eq!(resolved.code, 2, "{}", resolved.describe());
    assert!(resolved.errors()[0].contains("RELEASE_ACTION_MANIFEST"));

    // The action's own build (here, the binary cargo built inside this checkout) is taken.
    let own = Runner::new("Linux", "X64")
        .env("GITHUB_ACTIONS", "true")
        .env("RELEASE_ACTION_BIN", crate::support::harness::BIN);
    let resolved = own.resolve(&Path::new(ROOT).join("dist/manifest.json"));
    assert_eq!(resolved.code, 0, "{}", resolved.describe());

    // By hand the override is free (release_action_bin_overrides_everything).
    let by_hand = Runner::new("Linux", "X64").env("RELEASE_ACTION_BIN", planted.to_str().unwrap());
    assert_eq!(by_hand.resolve(&manifest).code, 0);
}

#[test]
fn build_from_source_accepts_only_booleans() {
    let runner = Runner::new("Linux", "X64").env("BUILD_FROM_SOURCE", "yes");
    let resolved = runner.resolve(&runner.manifest("https://example.invalid/a.tar.gz", None));
    assert_eq!(resolved.code, 2, "{}", resolved.describe());
    assert!(
        resolved.errors()[0].contains("build-from-source must be true or false, got 'yes'"),
        "{}",
        resolved.describe()
    );
}

/// macOS has no `sha256sum`: the script verifies with `shasum -a 256` there. Run it with a PATH
/// holding only the tools it needs, `shasum` but no `sha256sum`.
#[cfg(unix)]
#[test]
fn verifies_with_shasum_when_sha256sum_is_missing() {
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    let tools = tempfile::tempdir().unwrap();
    for tool in [
        "bash", "curl", "tar", "gzip", "mkdir", "mktemp", "rm", "mv", "sed", "tr", "dirname",
        "chmod", "sleep", "cat", "shasum", "perl", "sh", "echo",
    ] {
        let found = std::env::var_os("PATH")
            .and_then(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join(tool))
                    .find(|c| c.is_file())
            })
            .unwrap_or_else(|| panic!("{tool} not found on PATH"));
        std::os::unix::fs::symlink(found, tools.path().join(tool)).unwrap();
    }
    let runner = Runner::new("macOS", "ARM64").env("PATH", tools.path().to_str().unwrap());
    let manifest = runner.manifest(&url, Some(&sha));
    let resolved = runner.resolve(&manifest);
    assert_eq!(resolved.code, 0, "{}", resolved.describe());
    assert!(resolved.stdout.contains(&format!("sha256 verified: {sha}")));
    let wrong = runner.manifest(&url, Some(&sha256_hex(b"other")));
    std::fs::remove_dir_all(runner.tool_cache().join("release-action")).unwrap();
    let refused = runner.resolve(&wrong);
    assert_eq!(refused.code, 1, "{}", refused.describe());
    assert!(refused.errors()[0].contains("Checksum mismatch"));
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) {}

/// The committed manifest: the crate's version, all five platforms, one asset per line in the
/// form resolve.sh reads, https URLs under that version's release, and either every checksum
/// (published) or none (not yet released).
#[test]
fn the_committed_manifest_pins_this_version_for_every_platform() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("dist/manifest.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        json["version"], version,
        "dist/manifest.json is not for {version}"
    );
    let assets = json["assets"].as_object().unwrap();
    let platforms = [
        ("Linux-X64", "x86_64-unknown-linux-musl.tar.gz"),
        ("Linux-ARM64", "aarch64-unknown-linux-musl.tar.gz"),
        ("macOS-X64", "x86_64-apple-darwin.tar.gz"),
        ("macOS-ARM64", "aarch64-apple-darwin.tar.gz"),
        ("Windows-X64", "x86_64-pc-windows-msvc.zip"),
    ];
    assert_eq!(
        assets.keys().collect::<Vec<_>>().len(),
        platforms.len(),
        "{assets:?}"
    );
    let published = json["published"].as_bool().unwrap();
    for (platform, suffix) in platforms {
        let entry = &assets[platform];
        assert_eq!(
            entry["url"].as_str().unwrap(),
            format!(
                "https://github.com/ameideio/release-action/releases/download/v{version}/release-action-{suffix}"
            )
        );
        assert_eq!(
            entry["sha256"].is_null(),
            entry["binary_sha256"].is_null(),
            "{platform}: the asset and its binary are pinned together"
        );
        match entry["sha256"].as_str() {
            Some(sha) => {
                assert!(
                    published,
                    "{platform} has a checksum but published is false"
                );
                assert!(
                    sha.len() == 64
                        && sha
                            .chars()
                            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                );
            }
            None => {
                assert!(entry["sha256"].is_null());
                assert!(
                    !published,
                    "{platform} has no checksum but published is true"
                );
            }
        }
        // One asset per line, in the exact form resolve.sh matches.
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("\"{platform}\":")))
            .unwrap();
        assert!(
            line.trim_end().ends_with("},") || line.trim_end().ends_with('}'),
            "{line}"
        );
    }

    // And resolve.sh reads it: an unpublished manifest fails closed on every platform, a
    // published one gets as far as the download (not attempted here: no network in tests).
    if !published {
        for (platform, _) in platforms {
            let (os, arch) = platform.split_once('-').unwrap();
            let runner = Runner::new(os, arch);
            let resolved = runner.resolve(&Path::new(ROOT).join("dist/manifest.json"));
            assert_eq!(resolved.code, 2, "{}", resolved.describe());
            assert!(
                resolved.errors()[0].contains(&format!("pins no published binary for {platform}")),
                "{}",
                resolved.describe()
            );
        }
    }
}

/// The composite action under `act` (host mode, no Docker): its own `dist/manifest.json` pins an
/// asset holding the real binary, served by the local server. Job one downloads and verifies it,
/// job two finds it in the tool cache without a request; both run `release-action --version`
/// from the PATH the resolve step set. RELEASE_ACTION_BIN is not set.
#[test]
fn the_composite_action_under_act_downloads_once_then_uses_the_cache() {
    let server = Server::start();
    let real = std::fs::read(env!("CARGO_BIN_EXE_release-action")).unwrap();
    let asset = tar_gz_of_binary(&real);
    let sha = sha256_hex(&asset);
    let bin_sha = sha256_hex(&real);
    server.route(
        "/releases/download/v-act/release-action-linux.tar.gz",
        asset,
    );
    let url = server.url("/releases/download/v-act/release-action-linux.tar.gz");

    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let home = tmp.path().join("home");
    let tool_cache = tmp.path().join("toolcache");
    for dir in [
        &home,
        &tool_cache,
        &repo.join("dist"),
        &repo.join(".github/workflows"),
    ] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let version = env!("CARGO_PKG_VERSION");
    write_action_repo(
        &repo,
        &format!(
            "{{\n  \"version\": \"{version}\",\n  \"published\": true,\n  \"assets\": {{\n    \"Linux-X64\": {{ \"url\": \"{url}\", \"sha256\": \"{sha}\", \"binary_sha256\": \"{bin_sha}\" }},\n    \"Linux-ARM64\": {{ \"url\": \"{url}\", \"sha256\": \"{sha}\", \"binary_sha256\": \"{bin_sha}\" }}\n  }}\n}}\n"
        ),
    );
    let log = run_act_push(&repo, &home);

    assert!(!log.contains("RELEASE_ACTION_BIN"), "{log}");
    let first_verified = log.lines().any(|l| {
        l.starts_with("[resolve/first]") && l.contains(&format!("sha256 verified: {sha}"))
    });
    assert!(
        first_verified,
        "job first did not download and verify\n{log}"
    );
    let second_cached = log
        .lines()
        .any(|l| l.starts_with("[resolve/second]") && l.contains("from the tool cache"));
    assert!(second_cached, "job second did not use the cache\n{log}");
    for job in ["first", "second"] {
        assert!(
            log.lines()
                .any(|l| l.starts_with(&format!("[resolve/{job}]"))
                    && l.contains(&format!("on PATH: release-action {version}"))),
            "job {job} did not run the resolved binary from PATH\n{log}"
        );
    }
    assert_eq!(
        server.requests(),
        ["/releases/download/v-act/release-action-linux.tar.gz"],
        "{log}"
    );
    // The marker written last is there for the second job.
    assert!(
        log.lines().any(|l| l.starts_with("[resolve/second]")
            && (l.contains("cache: x64.complete") || l.contains("cache: arm64.complete"))),
        "{log}"
    );
}

/// A release asset as the release workflow packs it: `release-action` (mode 755) in a .tar.gz.
fn tar_gz_of_binary(binary: &[u8]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    let mut header = tar::Header::new_gnu();
    header.set_size(binary.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    builder
        .append_data(&mut header, "release-action", binary)
        .unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

/// A git repository holding the composite action (the committed action.yml and resolve.sh, the
/// given `dist/manifest.json`) and a workflow of two jobs that use it, the second after the first.
fn write_action_repo(repo: &Path, manifest: &str) {
    std::fs::copy(script(), repo.join("dist/resolve.sh")).unwrap();
    std::fs::write(repo.join("dist/manifest.json"), manifest).unwrap();
    // act cannot load an action.yml whose `outputs:` holds only comments (the modes fill it in):
    // give this copy one placeholder output in that case. The steps are the committed ones.
    let action = std::fs::read_to_string(Path::new(ROOT).join("action.yml")).unwrap();
    let parsed: yaml_serde::Value = yaml_serde::from_str(&action).unwrap();
    let action = if parsed["outputs"].is_null() {
        action.replacen(
            "\noutputs:\n",
            "\noutputs:\n  placeholder:\n    description: only in the act test's copy\n    value: x\n",
            1,
        )
    } else {
        action
    };
    std::fs::write(repo.join("action.yml"), action).unwrap();
    // The mode's own result does not matter here (continue-on-error): the resolve step and the
    // binary it put on the PATH do.
    let job = |needs: &str| {
        format!(
            "    runs-on: ubuntu-latest\n{needs}    steps:\n      - uses: actions/checkout@v4\n      - uses: ./\n        continue-on-error: true\n        with:\n          mode: policy-check\n      - run: 'echo \"on PATH: $(release-action --version)\"'\n      - run: 'for f in \"$RUNNER_TOOL_CACHE\"/release-action/*/*.complete; do echo \"cache: ${{f##*/}}\"; done'\n"
        )
    };
    std::fs::write(
        repo.join(".github/workflows/resolve.yml"),
        format!(
            "name: resolve\non: push\njobs:\n  first:\n{}  second:\n{}",
            job(""),
            job("    needs: first\n")
        ),
    )
    .unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "act test"]);
}

/// `act push` in host mode (no Docker) with RELEASE_ACTION_BIN unset; its log, after asserting
/// that it succeeded.
fn run_act_push(repo: &Path, home: &Path) -> String {
    let out = Command::new("act")
        .args(["push", "-P", "ubuntu-latest=-self-hosted"])
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("ACT_DISABLE_VERSION_CHECK", "1")
        .env_remove("RELEASE_ACTION_BIN")
        .env_remove("RELEASE_ACTION_MANIFEST")
        .current_dir(repo)
        .output()
        .expect("run act");
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "act failed\n{log}");
    log
}

fn run_script(script: &str, args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(Path::new(ROOT).join(script))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The committed manifest is exactly what scripts/write-manifest.sh writes for this version
/// (with no assets while unreleased), so the release's prepare step and resolve.sh agree.
#[test]
fn the_committed_manifest_is_what_write_manifest_writes() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("dist/manifest.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let base = format!("https://github.com/ameideio/release-action/releases/download/v{version}");
    let empty = tempfile::tempdir().unwrap();
    let written = run_script(
        "scripts/write-manifest.sh",
        &[version, &base, empty.path().to_str().unwrap()],
    );
    if json["published"] == false {
        assert_eq!(
            written, text,
            "regenerate dist/manifest.json with scripts/write-manifest.sh"
        );
    } else {
        // Published: same shape and URLs, with the checksums the prepare step computed.
        let written: serde_json::Value = serde_json::from_str(&written).unwrap();
        for (platform, entry) in written["assets"].as_object().unwrap() {
            assert_eq!(json["assets"][platform]["url"], entry["url"]);
        }
    }
}

/// The release path end to end, minus GitHub: scripts/package.sh packages a binary,
/// scripts/write-manifest.sh pins it, resolve.sh downloads, verifies and unpacks it.
#[test]
fn packaged_assets_and_a_written_manifest_resolve() {
    let server = Server::start();
    let assets = tempfile::tempdir().unwrap();
    let built = assets.path().join("built-binary");
    std::fs::write(&built, fake_binary()).unwrap();
    make_executable(&built);
    let out_dir = assets.path().join("out");
    for target in ["x86_64-unknown-linux-musl", "x86_64-pc-windows-msvc"] {
        let line = run_script(
            "scripts/package.sh",
            &[target, built.to_str().unwrap(), out_dir.to_str().unwrap()],
        );
        let (path, sha) = line.trim().split_once(' ').unwrap();
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(sha256_hex(&bytes), sha);
        let name = Path::new(path).file_name().unwrap().to_str().unwrap();
        server.route(&format!("/v1.2.3/{name}"), bytes);
    }
    let manifest_text = run_script(
        "scripts/write-manifest.sh",
        &["1.2.3", &server.url("/v1.2.3/"), out_dir.to_str().unwrap()],
    );
    let json: serde_json::Value = serde_json::from_str(&manifest_text).unwrap();
    assert_eq!(json["published"], false, "three platforms have no asset");
    assert!(json["assets"]["macOS-ARM64"]["sha256"].is_null());

    for (os, bin) in [
        ("Linux", "release-action"),
        ("Windows", "release-action.exe"),
    ] {
        let runner = Runner::new(os, "X64");
        let manifest = runner.dir.path().join("written.json");
        std::fs::write(&manifest, &manifest_text).unwrap();
        let resolved = runner.resolve(&manifest);
        assert_eq!(resolved.code, 0, "{}", resolved.describe());
        assert!(resolved.path().ends_with(format!("1.2.3/x64/{bin}")));
        assert_eq!(std::fs::read(resolved.path()).unwrap(), fake_binary());
    }
    let runner = Runner::new("macOS", "ARM64");
    let manifest = runner.dir.path().join("written.json");
    std::fs::write(&manifest, &manifest_text).unwrap();
    let resolved = runner.resolve(&manifest);
    assert_eq!(resolved.code, 2, "{}", resolved.describe());
    assert!(resolved.errors()[0].contains("pins no published binary for macOS-ARM64"));
    assert_eq!(server.requests().len(), 2);
}
