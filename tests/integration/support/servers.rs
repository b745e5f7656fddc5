//! Real servers for the remote-sources tests, started on 127.0.0.1 and killed in Drop:
//! Verdaccio (npm), pypiserver (PyPI), `python3 -m http.server` (a GOPROXY directory) and the
//! Docker distribution registry. A missing tool fails the test loudly, naming the install command.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use sha2::{Digest as _, Sha256};
use tempfile::TempDir;

/// A free port: bind 127.0.0.1:0, read it, release it.
pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// Status, lower-cased headers and body.
pub(crate) type HttpReply = (u16, Vec<(String, String)>, Vec<u8>);

/// A minimal HTTP/1.1 client (Connection: close) for setting servers up.
pub(crate) fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpReply> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("http:// only"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(req.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP head"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let hdrs: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if hdrs
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Ok((status, hdrs, body))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size =
            usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

pub(crate) fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A child process and its temp dir, killed and removed on drop.
pub(crate) struct Server {
    pub port: u16,
    pub dir: TempDir,
    child: Child,
    name: &'static str,
}

impl Server {
    pub(crate) fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `path` until it answers (any HTTP status), at most 180 s: Verdaccio alone takes
    /// seconds to start, and over a minute on a 2-core machine under a full test run's load.
    fn wait_ready(mut self, path: &str) -> Server {
        let url = format!("{}{path}", self.base());
        let deadline = std::time::Instant::now() + Duration::from_secs(180);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log =
                    std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
                panic!(
                    "{} exited ({status}) before it was ready:\n{log}",
                    self.name
                );
            }
            if http("GET", &url, &[], b"").is_ok_and(|(s, _, _)| s != 0) {
                return self;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        panic!("{} did not answer {url} within 180 s:\n{log}", self.name);
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(name: &'static str, mut cmd: Command, dir: TempDir, port: u16, install: &str) -> Server {
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name} ({e}); install it with: {install}"));
    Server {
        port,
        dir,
        child,
        name,
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) const VERDACCIO_INSTALL: &str = "npm ci --prefix tests/tools/verdaccio";
pub(crate) const PYPISERVER_INSTALL: &str = "python3 -m pip install pypiserver==2.4.2";
pub(crate) const REGISTRY_INSTALL: &str = "apt-get install docker-registry";

/// Verdaccio 6.8.0 with no uplinks: `@private/*` needs a login, everything else is public to
/// read; publishing needs a login (users via `PUT /-/user/org.couchdb.user:NAME`).
pub(crate) fn verdaccio() -> Server {
    verdaccio_with_access("$all")
}

/// Verdaccio where every package needs a login to read, as a private registry does.
pub(crate) fn verdaccio_requiring_auth() -> Server {
    verdaccio_with_access("$authenticated")
}

/// Verdaccio 6.8.0 whose packages outside `@private/*` are readable by `access`.
fn verdaccio_with_access(access: &str) -> Server {
    let bin = repo_root().join("tests/tools/verdaccio/node_modules/verdaccio/bin/verdaccio");
    assert!(
        bin.exists(),
        "Verdaccio is not installed at {}: run `{VERDACCIO_INSTALL}`",
        bin.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = format!(
        "storage: {storage}\n\
         auth:\n  htpasswd:\n    file: {htpasswd}\n    max_users: 100\n\
         uplinks: {{}}\n\
         packages:\n  '@private/*':\n    access: $authenticated\n    publish: $authenticated\n\
         \x20 '**':\n    access: {access}\n    publish: $authenticated\n\
         web:\n  enable: false\n\
         listen: 127.0.0.1:{port}\n\
         log: {{ type: stdout, format: pretty, level: warn }}\n",
        storage = dir.path().join("storage").display(),
        htpasswd = dir.path().join("htpasswd").display(),
    );
    let config_path = dir.path().join("config.yaml");
    std::fs::write(&config_path, config).unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(&bin)
        .arg("--config")
        .arg(&config_path)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
        .env("XDG_DATA_HOME", dir.path().join("xdg"));
    spawn("verdaccio", cmd, dir, port, VERDACCIO_INSTALL).wait_ready("/-/ping")
}

/// Creates a Verdaccio user and returns its token.
pub(crate) fn verdaccio_user(server: &Server, name: &str, password: &str) -> String {
    let body = serde_json::json!({"name": name, "password": password}).to_string();
    let (status, _, body) = http(
        "PUT",
        &format!("{}/-/user/org.couchdb.user:{name}", server.base()),
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .unwrap();
    assert!(
        status == 201 || status == 200,
        "adding a Verdaccio user: {status} {}",
        String::from_utf8_lossy(&body)
    );
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["token"].as_str().expect("token").to_string()
}

/// `npm publish` of a tiny package to Verdaccio; `tag` for prereleases.
pub(crate) fn npm_publish(
    server: &Server,
    token: &str,
    name: &str,
    version: &str,
    tag: Option<&str>,
) {
    let work = tempfile::tempdir().unwrap();
    let pkg = work.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("package.json"),
        serde_json::json!({"name": name, "version": version, "main": "index.js", "license": "MIT"})
            .to_string(),
    )
    .unwrap();
    std::fs::write(
        pkg.join("index.js"),
        format!("module.exports = {{ version: {version:?} }};\n"),
    )
    .unwrap();
    npm_publish_path(server, token, &pkg, tag);
}

/// `npm publish <path>` (a package directory or a packed tarball) to Verdaccio, with a temp
/// npmrc holding the token; `tag` for prereleases.
pub(crate) fn npm_publish_path(server: &Server, token: &str, path: &Path, tag: Option<&str>) {
    let work = tempfile::tempdir().unwrap();
    let npmrc = work.path().join("npmrc");
    std::fs::write(
        &npmrc,
        format!(
            "registry={base}/\n//127.0.0.1:{port}/:_authToken={token}\n",
            base = server.base(),
            port = server.port
        ),
    )
    .unwrap();
    let mut cmd = Command::new("npm");
    cmd.current_dir(work.path())
        .arg("publish")
        .arg(path)
        .arg("--registry")
        .arg(format!("{}/", server.base()))
        .arg("--userconfig")
        .arg(&npmrc)
        .arg("--cache")
        .arg(work.path().join("cache"))
        .arg("--logs-dir")
        .arg(work.path().join("logs"))
        .env("HOME", work.path())
        .env_remove("NODE_AUTH_TOKEN")
        .env_remove("npm_config_userconfig");
    if let Some(tag) = tag {
        cmd.args(["--tag", tag]);
    }
    let out = cmd.output().expect("npm must be installed");
    assert!(
        out.status.success(),
        "npm publish {} failed:\n{}\n{}\n--- verdaccio\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
}

/// pypiserver 2.4.2 serving `packages` (a temp dir under the server's), no auth, no fallback.
pub(crate) fn pypiserver() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let packages = dir.path().join("packages");
    std::fs::create_dir_all(&packages).unwrap();
    pypiserver_in(dir, &packages, &[])
}

/// pypiserver serving an existing directory of distributions (a wheelhouse), as an index to
/// install from; its log (`Server::log`) names every request.
pub(crate) fn pypiserver_of(packages: &Path) -> Server {
    pypiserver_in(tempfile::tempdir().unwrap(), packages, &["-v"])
}

fn pypiserver_in(dir: TempDir, packages: &Path, extra: &[&str]) -> Server {
    let probe = Command::new("python3")
        .args(["-c", "import pypiserver; print(pypiserver.__version__)"])
        .output()
        .expect("python3 must be installed");
    assert!(
        probe.status.success(),
        "pypiserver is not installed: run `{PYPISERVER_INSTALL}`\n{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "pypiserver", "run", "-i", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .args(["-a", ".", "-P", ".", "--disable-fallback"])
        .args(extra)
        .arg(packages)
        .env("HOME", dir.path());
    spawn("pypiserver", cmd, dir, port, PYPISERVER_INSTALL).wait_ready("/simple/")
}

/// `python3 -m http.server` serving `root` (a GOPROXY tree).
pub(crate) fn static_http(root: &Path) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
        .arg(root)
        .arg(port.to_string());
    spawn("python3 -m http.server", cmd, dir, port, "python3").wait_ready("/")
}

/// A static file server over HTTPS on 127.0.0.1 (Python's http.server wrapped in TLS) that answers
/// 401 with a Basic challenge unless the request's Authorization equals `authorization`; what a
/// private GOPROXY or index behind a company CA looks like. Returns the server and its
/// self-signed certificate (made by `openssl` for IP 127.0.0.1), for `SSL_CERT_FILE`.
pub(crate) fn https_static_with_auth(root: &Path, authorization: &str) -> (Server, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    openssl(
        Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
    );
    let server = serve_https(dir, root, &cert, &key, authorization);
    (server, cert)
}

/// A static file server over HTTPS on 127.0.0.1 whose certificate (for IP 127.0.0.1) a private
/// certificate authority signed, as a company's CA signs its registry's: no built-in or system
/// root trusts it. Returns the server and the CA's certificate (in the server's directory, alive as
/// long as the server), for `SSL_CERT_FILE`.
pub(crate) fn https_static_private_ca(root: &Path) -> (Server, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    openssl(
        Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=Example Corp Private Root CA"])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
            .arg("-keyout")
            .arg(at("ca.key"))
            .arg("-out")
            .arg(at("ca.pem")),
    );
    openssl(
        Command::new("openssl")
            .args([
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=127.0.0.1",
            ])
            .arg("-keyout")
            .arg(at("key.pem"))
            .arg("-out")
            .arg(at("leaf.csr")),
    );
    std::fs::write(
        at("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        Command::new("openssl")
            .args(["x509", "-req", "-days", "1", "-set_serial", "7"])
            .arg("-in")
            .arg(at("leaf.csr"))
            .arg("-CA")
            .arg(at("ca.pem"))
            .arg("-CAkey")
            .arg(at("ca.key"))
            .arg("-extfile")
            .arg(at("leaf.ext"))
            .arg("-out")
            .arg(at("cert.pem")),
    );
    let (ca, cert, key) = (at("ca.pem"), at("cert.pem"), at("key.pem"));
    (serve_https(dir, root, &cert, &key, ""), ca)
}

#[track_caller]
fn openssl(cmd: &mut Command) {
    let out = cmd
        .output()
        .expect("openssl must be installed (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Python's http.server over TLS with `cert` and `key`, serving `root`; with `authorization`
/// not empty, every request without that Authorization is answered 401.
fn serve_https(dir: TempDir, root: &Path, cert: &Path, key: &Path, authorization: &str) -> Server {
    let port = free_port();
    let script = r#"import functools, http.server, ssl, sys
root, port, cert, key, expect = sys.argv[1:6]
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if expect and self.headers.get("Authorization") != expect:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="private"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), functools.partial(Handler, directory=root))
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print("ready", flush=True)
server.serve_forever()
"#;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", script])
        .arg(root)
        .arg(port.to_string())
        .arg(cert)
        .arg(key)
        .arg(authorization);
    let server = spawn("python3 https server", cmd, dir, port, "python3");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the https server did not listen:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// The Docker distribution registry (`/usr/bin/docker-registry`) with filesystem storage.
pub(crate) fn docker_registry() -> Server {
    docker_registry_with(None)
}

/// The registry with htpasswd (Basic) auth for one user; the bcrypt hash comes from bcryptjs
/// (installed with Verdaccio).
pub(crate) fn docker_registry_with_user(user: &str, password: &str) -> Server {
    docker_registry_with(Some((user, password)))
}

fn docker_registry_with(user: Option<(&str, &str)>) -> Server {
    let bin = Path::new("/usr/bin/docker-registry");
    assert!(
        bin.exists(),
        "docker-registry is not installed: run `{REGISTRY_INSTALL}`"
    );
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
         delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: test-only-secret\n",
        dir.path().join("storage").display()
    );
    let mut config = config;
    if let Some((name, password)) = user {
        let bcryptjs = repo_root().join("tests/tools/verdaccio/node_modules/bcryptjs");
        assert!(
            bcryptjs.exists(),
            "bcryptjs missing: run `{VERDACCIO_INSTALL}`"
        );
        let out = Command::new("node")
            .arg("-e")
            .arg("console.log(require(process.argv[1]).hashSync(process.argv[2], 10))")
            .arg(&bcryptjs)
            .arg(password)
            .output()
            .expect("node must be installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let htpasswd = dir.path().join("htpasswd");
        std::fs::write(&htpasswd, format!("{name}:{hash}\n")).unwrap();
        config.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: test-registry\n    path: {}\n",
            htpasswd.display()
        ));
    }
    let config_path = dir.path().join("config.yml");
    std::fs::write(&config_path, config).unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg("serve").arg(&config_path);
    spawn("docker-registry", cmd, dir, port, REGISTRY_INSTALL).wait_ready("/v2/")
}

// ---------------------------------------------------------------- OCI pushes

/// Media types of OCI documents the tests push.
pub(crate) const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";
pub(crate) const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const INDEX: &str = "application/vnd.oci.image.index.v1+json";

pub(crate) fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

pub(crate) fn descriptor(media: &str, bytes: &[u8], title: Option<&str>) -> serde_json::Value {
    let mut d = json!({"mediaType": media, "digest": digest(bytes), "size": bytes.len()});
    if let Some(t) = title {
        d["annotations"] = json!({"org.opencontainers.image.title": t});
    }
    d
}

/// Blob upload: POST /v2/<name>/blobs/uploads/ then PUT <location>&digest=….
pub(crate) fn push_blob(base: &str, auth: Option<&str>, name: &str, bytes: &[u8]) -> String {
    let auth_header: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    let mut put_headers = vec![("Content-Type", "application/octet-stream")];
    put_headers.extend(auth_header.iter().copied());
    let d = digest(bytes);
    let (status, headers, body) = http(
        "POST",
        &format!("{base}/v2/{name}/blobs/uploads/"),
        &auth_header,
        b"",
    )
    .unwrap();
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    let location = header(&headers, "location").unwrap().to_string();
    let location = if location.starts_with("http") {
        location
    } else {
        format!("{base}{location}")
    };
    let sep = if location.contains('?') { '&' } else { '?' };
    let (status, _, body) = http(
        "PUT",
        &format!("{location}{sep}digest={d}"),
        &put_headers,
        bytes,
    )
    .unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    d
}

pub(crate) fn push_manifest(
    base: &str,
    auth: Option<&str>,
    name: &str,
    reference: &str,
    media: &str,
    doc: &serde_json::Value,
) -> String {
    let mut put_headers = vec![("Content-Type", media)];
    put_headers.extend(auth.map(|a| ("Authorization", a)));
    let bytes = serde_json::to_vec(doc).unwrap();
    let (status, headers, body) = http(
        "PUT",
        &format!("{base}/v2/{name}/manifests/{reference}"),
        &put_headers,
        &bytes,
    )
    .unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let d = digest(&bytes);
    assert_eq!(header(&headers, "docker-content-digest"), Some(d.as_str()));
    d
}

/// An ORAS-style artifact: empty config, one layer per file titled with its name.
pub(crate) fn push_artifact(
    base: &str,
    auth: Option<&str>,
    name: &str,
    tag: &str,
    artifact_type: &str,
    files: &[(&str, &[u8])],
) -> String {
    let config = push_blob(base, auth, name, b"{}");
    let layers: Vec<serde_json::Value> = files
        .iter()
        .map(|(title, bytes)| {
            push_blob(base, auth, name, bytes);
            descriptor("application/vnd.oci.image.layer.v1.tar", bytes, Some(title))
        })
        .collect();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": EMPTY_CONFIG, "digest": config, "size": 2},
        "layers": layers,
        "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}
    });
    push_manifest(base, auth, name, tag, MANIFEST, &manifest)
}
