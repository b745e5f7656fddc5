//! The one HTTP client: retries with backoff, integrity checked before a file reaches its final
//! path, and credentials that stay on their host.
//!
//! Retried: connection errors and resets, timeouts, a body cut short, 5xx, 408 and 429 (a
//! `Retry-After` is honoured, capped by [`super::RETRY_MAX_WAIT_ENV`], default 60 s). Never
//! retried: any other 4xx, which fails at once naming the URL and the status. Redirects are
//! followed here (at most 10, then exit 2 naming the chain), and an `Authorization` header only
//! goes to the origin (scheme, host and port) it was given for. A registry's document ([`Fetcher::get`])
//! is only taken from the origin asked: a redirect to another origin is exit 2, never followed;
//! a file ([`Fetcher::download`]) may come from anywhere (a CDN). `timeout` is one deadline per
//! attempt: connecting, every redirect hop, the headers and the body together.
//!
//! TLS trusts the built-in roots (webpki-roots) and the system store, or `SSL_CERT_FILE` /
//! `SSL_CERT_DIR` when set (rustls-native-certs); a certificate the server shows that none of them
//! vouches for fails at once (no retry can change it), with a fix naming `SSL_CERT_FILE`. Proxies
//! come from `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` and `NO_PROXY`, read as curl does
//! ([`super::http`], the blocking HTTP/1.1 transport under this client). A
//! body that takes longer than [`super::PROGRESS_ENV`] (default 3 s) logs what it has of how much,
//! and the rate, that often.

use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use sha2::{Digest as _, Sha256, Sha512};
use ureq::http::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, LOCATION, RETRY_AFTER};
use ureq::http::StatusCode;
use url::Url;

use super::{CacheTimings, Log, TransportOptions};
use crate::error::{Failure, Result};

/// Most bytes a metadata document (packument, index page, manifest) may have.
const MAX_DOCUMENT: usize = 64 * 1024 * 1024;
const MAX_REDIRECTS: usize = 10;

/// A digest algorithm and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Digest {
    Sha256(Vec<u8>),
    Sha512(Vec<u8>),
}

/// An expected digest and where it came from (named in errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integrity {
    pub digest: Digest,
    pub from: String,
}

impl Integrity {
    /// A hex sha256 (the `sha256` input, a `#sha256=` fragment).
    pub fn parse_sha256_hex(hex_text: &str) -> Result<Integrity> {
        let text = hex_text.trim().to_ascii_lowercase();
        let text = text.strip_prefix("sha256:").unwrap_or(&text);
        match hex::decode(text) {
            Ok(bytes) if bytes.len() == 32 => Ok(Integrity {
                digest: Digest::Sha256(bytes),
                from: "sha256".into(),
            }),
            _ => Err(Failure::usage(
                "Malformed sha256",
                format!("{hex_text:?} is not a sha256 digest (64 hex characters)"),
            )
            .with_fix("give the sha256 as 64 hex characters, e.g. from `sha256sum FILE`")),
        }
    }

    /// Subresource Integrity: `sha512-<base64>` or `sha256-<base64>`; of several space-separated
    /// values the strongest supported one is used.
    pub fn parse_sri(sri: &str) -> Result<Integrity> {
        let mut best: Option<Integrity> = None;
        for part in sri.split_whitespace() {
            let (algo, b64) = match part.split_once('-') {
                Some(x) => x,
                None => continue,
            };
            let b64 = b64.split('?').next().unwrap_or(b64);
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) else {
                continue;
            };
            let digest = match (algo, bytes.len()) {
                ("sha512", 64) => Digest::Sha512(bytes),
                ("sha256", 32) => Digest::Sha256(bytes),
                _ => continue,
            };
            let strong = matches!(digest, Digest::Sha512(_));
            if best.is_none() || strong {
                best = Some(Integrity {
                    digest,
                    from: "integrity".into(),
                });
            }
        }
        best.ok_or_else(|| {
            Failure::usage(
                "Malformed integrity",
                format!("{sri:?} is not a sha512-… or sha256-… Subresource Integrity value"),
            )
            .with_fix("give integrity as sha512-<base64> (npm's dist.integrity) or sha256-<base64>")
        })
    }

    /// An OCI digest `sha256:<hex>`.
    pub fn parse_oci(digest: &str) -> Result<Integrity> {
        match digest.strip_prefix("sha256:") {
            Some(hex_text) => Integrity::parse_sha256_hex(hex_text).map(|mut i| {
                i.from = format!("OCI digest {digest}");
                i
            }),
            None => Err(Failure::guard(
                "Unsupported OCI digest",
                format!("{digest:?} is not a sha256:<hex> digest"),
            )
            .with_fix("push the artifact with sha256 digests (the OCI default)")),
        }
    }

    pub fn from(mut self, from: impl Into<String>) -> Self {
        self.from = from.into();
        self
    }

    /// `sha512-<base64>` or `sha256-<base64>`.
    pub fn sri(&self) -> String {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        match &self.digest {
            Digest::Sha256(b) => format!("sha256-{}", b64(b)),
            Digest::Sha512(b) => format!("sha512-{}", b64(b)),
        }
    }

    /// For logs and the summary: `sha256:<hex> (from …)`.
    pub fn describe(&self) -> String {
        match &self.digest {
            Digest::Sha256(b) => format!("sha256:{} ({})", hex::encode(b), self.from),
            Digest::Sha512(_) => format!("{} ({})", self.sri(), self.from),
        }
    }

    fn matches(&self, done: &Downloaded) -> bool {
        match &self.digest {
            Digest::Sha256(b) => b.as_slice() == done.sha256,
            Digest::Sha512(b) => b.as_slice() == done.sha512,
        }
    }

    fn actual(&self, done: &Downloaded) -> String {
        let copy = |digest| Integrity {
            digest,
            from: String::new(),
        };
        match &self.digest {
            Digest::Sha256(_) => format!("sha256:{}", hex::encode(done.sha256)),
            Digest::Sha512(_) => copy(Digest::Sha512(done.sha512.to_vec())).sri(),
        }
    }
}

/// Credentials for one origin (`scheme://host:port`). Never printed.
#[derive(Clone)]
pub struct Auth {
    origin: String,
    header: String,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Auth({}, ***)", self.origin)
    }
}

impl Auth {
    /// `Authorization: Bearer <token>` for `url`'s origin.
    pub fn bearer_for(url: &Url, token: impl AsRef<str>) -> Auth {
        Auth {
            origin: origin_of(url),
            header: format!("Bearer {}", token.as_ref()),
        }
    }

    /// `Authorization: <token>` as is for `url`'s origin: what cargo sends to a registry.
    pub fn verbatim_for(url: &Url, token: impl AsRef<str>) -> Auth {
        Auth {
            origin: origin_of(url),
            header: token.as_ref().to_string(),
        }
    }

    /// `Authorization: Basic base64(user:password)` for `url`'s origin.
    pub fn basic_for(url: &Url, user: &str, password: &str) -> Auth {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Auth {
            origin: origin_of(url),
            header: format!("Basic {encoded}"),
        }
    }

    /// Whether the header may be sent to `url`: its own origin only, and never in clear text
    /// over plain http except to this machine (local test registries).
    pub fn applies_to(&self, url: &Url) -> bool {
        self.origin == origin_of(url) && (url.scheme() == "https" || is_loopback(url))
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// Whether `url` names this machine (`localhost`, `127.0.0.0/8`, `[::1]`).
pub fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `host` or `host:port` of a URL.
pub fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// `scheme://host:port` of a URL (the port always spelled out).
pub fn origin_of(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// A file to download.
#[derive(Debug, Clone)]
pub struct Download {
    pub url: String,
    /// Final path; the bytes land in a temp file beside it and are renamed only once verified.
    pub dest: PathBuf,
    /// Digests the file must match (all of them).
    pub expected: Vec<Integrity>,
    /// Expected size in bytes (an OCI descriptor's `size`).
    pub size: Option<u64>,
    pub auth: Option<Auth>,
    pub accept: Option<String>,
}

/// A downloaded, verified file.
#[derive(Debug, Clone)]
pub struct Downloaded {
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: [u8; 32],
    pub sha512: [u8; 64],
    /// The URL the bytes finally came from, after redirects.
    pub final_url: String,
}

impl Downloaded {
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
    pub fn sri512(&self) -> String {
        format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(self.sha512)
        )
    }
}

/// A response read into memory.
#[derive(Debug, Clone)]
pub struct Response {
    /// The URL that answered, after redirects.
    pub url: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

enum Attempt<T> {
    Done(T),
    Retry {
        reason: String,
        wait: Option<Duration>,
    },
    Fail(Failure),
}

/// Why [`Fetcher::send`] produced no response.
enum SendError {
    Retry(String),
    Fail(Failure),
}

impl SendError {
    fn attempt<T>(self) -> Attempt<T> {
        match self {
            SendError::Retry(reason) => Attempt::Retry { reason, wait: None },
            SendError::Fail(f) => Attempt::Fail(f),
        }
    }
}

/// An answer's status line and headers, its body still to read, and the URL that gave it.
type Answer = (ureq::http::Response<ureq::Body>, Url);

/// The HTTP client and its retry policy.
pub struct Fetcher<'a> {
    agent: ureq::Agent,
    pub retries: u32,
    pub timeout: Duration,
    pub base_delay: Duration,
    pub max_wait: Duration,
    /// How often a transfer in progress is logged.
    pub progress_every: Duration,
    log: &'a dyn Log,
    /// Requests sent, counting retries and redirects (for tests and the summary).
    requests: std::cell::Cell<u64>,
}

fn env_millis(name: &str) -> Option<Duration> {
    crate::runner::env::value(name)
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_millis)
}

impl<'a> Fetcher<'a> {
    /// A fetcher with `retries` and `timeout` from the inputs, and the retry base delay and
    /// wait cap from `RELEASE_ACTION_RETRY_BASE_MS` / `RELEASE_ACTION_RETRY_MAX_WAIT_MS`.
    pub fn from_options(opts: &dyn TransportOptions, log: &'a dyn Log) -> Result<Fetcher<'a>> {
        if opts.timeout() == 0 {
            return Err(Failure::invalid_input(
                "timeout",
                "must be a positive number of seconds, got 0",
                "set timeout to a number of seconds, e.g. 30",
            ));
        }
        let mut fetcher = Fetcher::new(log, opts.retries(), Duration::from_secs(opts.timeout()))?;
        if let Some(token) = opts.registry_token() {
            log.mask(token.trim());
        }
        fetcher.base_delay = env_millis(super::RETRY_BASE_ENV).unwrap_or(super::DEFAULT_RETRY_BASE);
        fetcher.max_wait =
            env_millis(super::RETRY_MAX_WAIT_ENV).unwrap_or(super::DEFAULT_RETRY_MAX_WAIT);
        fetcher.progress_every = env_millis(super::PROGRESS_ENV).unwrap_or(super::DEFAULT_PROGRESS);
        Ok(fetcher)
    }

    /// A fetcher with explicit settings (base delay 1 s, wait cap 60 s; change the fields).
    pub fn new(log: &'a dyn Log, retries: u32, timeout: Duration) -> Result<Fetcher<'a>> {
        let agent =
            super::http::agent().map_err(|e| Failure::usage("Cannot build the HTTP client", e))?;
        Ok(Fetcher {
            agent,
            retries,
            timeout,
            base_delay: super::DEFAULT_RETRY_BASE,
            max_wait: super::DEFAULT_RETRY_MAX_WAIT,
            progress_every: super::DEFAULT_PROGRESS,
            log,
            requests: std::cell::Cell::new(0),
        })
    }

    pub fn log(&self, message: &str) {
        self.log.log(message);
    }

    /// Masks a secret in the job log.
    pub fn mask(&self, secret: &str) {
        self.log.mask(secret);
    }

    /// HTTP requests sent so far, counting retries and redirect hops.
    pub fn requests_sent(&self) -> u64 {
        self.requests.get()
    }

    /// GET into memory; any status outside 2xx fails (after retries for retryable ones).
    pub fn get(&self, url: &str, auth: Option<&Auth>, accept: Option<&str>) -> Result<Response> {
        self.get_passing(url, auth, accept, &[])
    }

    /// GET into memory, handing back the statuses in `pass` (e.g. 401 for an auth challenge,
    /// 404 for an optional document) instead of failing on them.
    pub fn get_passing(
        &self,
        url: &str,
        auth: Option<&Auth>,
        accept: Option<&str>,
        pass: &[u16],
    ) -> Result<Response> {
        let parsed = parse_url(url)?;
        self.with_retries("GET", url, || self.attempt_get(&parsed, auth, accept, pass))
    }

    /// Downloads to `dest` (verified), retrying as needed.
    pub fn download(&self, request: &Download) -> Result<Downloaded> {
        let parsed = parse_url(&request.url)?;
        let dir = request
            .dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| {
            Failure::usage(
                "Cannot create the download directory",
                format!("{}: {e}", dir.display()),
            )
        })?;
        let (temp, done) = self.with_retries("GET", &request.url, || {
            self.attempt_download(&parsed, request, &dir)
        })?;
        if let Some(size) = request.size {
            if done.bytes != size {
                return Err(Failure::guard(
                    "Download has the wrong size",
                    format!(
                        "GET {} returned {} bytes but {} were expected",
                        request.url, done.bytes, size
                    ),
                )
                .with_fix(
                    "the artifact changed or is corrupt: republish it and check its digest",
                ));
            }
        }
        for expected in &request.expected {
            if !expected.matches(&done) {
                return Err(Failure::guard(
                    "Download does not match its digest",
                    format!(
                        "GET {} returned {} bytes hashing to {}, but {} was expected; the file \
                         was discarded",
                        request.url,
                        done.bytes,
                        expected.actual(&done),
                        expected.describe()
                    ),
                )
                .with_fix(
                    "check the expected digest; if it is right, the registry serves different \
                     bytes than were published: republish the artifact",
                ));
            }
        }
        temp.persist(&request.dest).map_err(|e| {
            Failure::usage(
                "Cannot save the download",
                format!("{}: {}", request.dest.display(), e.error),
            )
        })?;
        Ok(Downloaded {
            path: request.dest.clone(),
            ..done
        })
    }

    fn with_retries<T>(
        &self,
        method: &str,
        url: &str,
        mut attempt: impl FnMut() -> Attempt<T>,
    ) -> Result<T> {
        let mut retry = 0u32;
        loop {
            match attempt() {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(failure) => return Err(failure),
                Attempt::Retry { reason, wait } => {
                    if retry >= self.retries {
                        let attempts = retry + 1;
                        return Err(Failure::usage(
                            "Download failed",
                            format!(
                                "{method} {url} failed after {attempts} attempt{}: {reason}",
                                if attempts == 1 { "" } else { "s" }
                            ),
                        )
                        .with_fix(
                            "check that the registry is reachable and healthy; raise retries or \
                             timeout if it is slow",
                        ));
                    }
                    retry += 1;
                    let delay = self.delay(retry, wait);
                    self.log(&format!(
                        "{method} {url}: {reason}; retry {retry}/{} in {} ms",
                        self.retries,
                        delay.as_millis()
                    ));
                    std::thread::sleep(delay);
                }
            }
        }
    }

    /// Exponential backoff with jitter (50–100 % of `base * 2^(n-1)`), or `Retry-After`; both
    /// capped by `max_wait`.
    fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_wait);
        }
        let exp = self.base_delay.saturating_mul(
            1u32.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let exp = exp.min(self.max_wait);
        let jitter = (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0;
        exp.mul_f64(0.5 + jitter / 2.0)
    }

    /// Sends a GET, following at most [`MAX_REDIRECTS`] redirects, all within one deadline
    /// (`timeout` covers the request with its redirects and the body, not each hop). The
    /// `Authorization` header only goes to its origin; with [`AnswerFrom::OwnOrigin`], a redirect to
    /// another origin is refused instead of followed. The answer's body is still to be read,
    /// within what is left of the deadline.
    fn send(
        &self,
        url: &Url,
        auth: Option<&Auth>,
        accept: Option<&str>,
        from: AnswerFrom,
    ) -> std::result::Result<Answer, SendError> {
        let deadline = Instant::now() + self.timeout;
        let mut chain = vec![url.clone()];
        loop {
            let current = chain.last().unwrap_or(url).clone();
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(SendError::Retry(timed_out(self.timeout, &chain)));
            }
            self.requests.set(self.requests.get() + 1);
            let response = match self.hop(&current, auth, accept, left)? {
                Ok(r) => r,
                Err(ureq::Error::Timeout(_)) => {
                    return Err(SendError::Retry(timed_out(self.timeout, &chain)))
                }
                Err(e) => {
                    if let Some(problem) = certificate_problem(&e) {
                        return Err(SendError::Fail(untrusted_certificate(&current, &problem)));
                    }
                    return Err(SendError::Retry(describe_error(&e, self.timeout)));
                }
            };
            if !response.status().is_redirection() || response.status() == StatusCode::NOT_MODIFIED
            {
                return Ok((response, current));
            }
            let next = next_hop(&current, &response, url, from).map_err(SendError::Fail)?;
            if let Some(auth) = auth {
                if auth.applies_to(&current) && !auth.applies_to(&next) {
                    self.log(&format!(
                        "GET {current} redirected to {}: credentials are not sent to another host",
                        origin_of(&next)
                    ));
                }
            }
            chain.push(next);
            if chain.len() > MAX_REDIRECTS + 1 {
                return Err(SendError::Fail(
                    Failure::usage(
                        "Too many redirects",
                        format!(
                            "GET {url} redirected more than {MAX_REDIRECTS} times: {}",
                            show_chain(&chain)
                        ),
                    )
                    .with_fix("check the URL; the server has a redirect loop"),
                ));
            }
        }
    }

    /// One GET of one hop, with `left` of the deadline (for its body too), through the proxy
    /// the environment names for it.
    fn hop(
        &self,
        url: &Url,
        auth: Option<&Auth>,
        accept: Option<&str>,
        left: Duration,
    ) -> std::result::Result<
        std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        SendError,
    > {
        let proxy = super::http::proxy_for(url).map_err(|problem| {
            SendError::Fail(
                Failure::usage("Unusable proxy setting", format!("GET {url}: {problem}"))
                    .with_fix("set the proxy variable to http://host:port (or https://host:port)"),
            )
        })?;
        let mut request = self
            .agent
            .get(url.as_str())
            .config()
            .timeout_global(Some(left))
            .proxy(proxy)
            .build();
        if let Some(headers) = request.headers_mut() {
            headers.extend(request_headers(url, auth, accept));
        }
        Ok(request.call())
    }

    /// Classifies a non-2xx status: retry (5xx, 408, 429) or fail at once (other 4xx).
    fn status_attempt<T>(
        &self,
        url: &Url,
        response: &ureq::http::Response<ureq::Body>,
    ) -> Attempt<T> {
        let status = response.status();
        let code = status.as_u16();
        if status.is_server_error() || code == 408 || code == 429 {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let wait = retry_after.as_deref().and_then(parse_retry_after);
            let reason = match &retry_after {
                Some(ra) => format!("HTTP {status} (Retry-After: {ra})"),
                None => format!("HTTP {status}"),
            };
            return Attempt::Retry { reason, wait };
        }
        let fix = match code {
            401 | 403 => "the registry refused the credentials: set registry-token (or \
                          NODE_AUTH_TOKEN / GITHUB_TOKEN for GitHub hosts) to a token that can \
                          read this package"
                .to_string(),
            404 | 410 => "check the name and version; if it was just published, check the \
                          publish step succeeded and the registry URL is the one it published to"
                .to_string(),
            _ => "check the URL and the registry's documentation for this status".to_string(),
        };
        Attempt::Fail(
            Failure::guard(
                format!("HTTP {code} from the registry"),
                format!("GET {url} returned HTTP {status}"),
            )
            .with_fix(fix),
        )
    }

    fn attempt_get(
        &self,
        url: &Url,
        auth: Option<&Auth>,
        accept: Option<&str>,
        pass: &[u16],
    ) -> Attempt<Response> {
        let (mut response, final_url) = match self.send(url, auth, accept, AnswerFrom::OwnOrigin) {
            Ok(r) => r,
            Err(e) => return e.attempt(),
        };
        let status = response.status();
        if !status.is_success() && !pass.contains(&status.as_u16()) {
            return self.status_attempt(url, &response);
        }
        let headers = response.headers().clone();
        let declared = response.body().content_length();
        let mut body = Vec::new();
        let mut reader = response.body_mut().as_reader();
        let mut progress = Progress::new(url, declared, self.progress_every);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    body.extend_from_slice(&buf[..n]);
                    progress.update(body.len() as u64, self.log);
                    if body.len() > MAX_DOCUMENT {
                        return Attempt::Fail(Failure::guard(
                            "Response too large",
                            format!("GET {url} returned more than {MAX_DOCUMENT} bytes"),
                        ));
                    }
                }
                Err(e) => {
                    let of = declared.map(|l| format!(" of {l}")).unwrap_or_default();
                    return Attempt::Retry {
                        reason: format!(
                            "{} after {}{of} bytes",
                            describe_error(&ureq::Error::from(e), self.timeout),
                            body.len()
                        ),
                        wait: None,
                    };
                }
            }
        }
        if let Some(len) = declared {
            if body.len() as u64 != len {
                return Attempt::Retry {
                    reason: format!(
                        "body truncated: {} of {len} bytes (Content-Length)",
                        body.len()
                    ),
                    wait: None,
                };
            }
        }
        Attempt::Done(Response {
            url: final_url.to_string(),
            status: status.as_u16(),
            headers,
            body,
        })
    }

    fn attempt_download(
        &self,
        url: &Url,
        request: &Download,
        dir: &Path,
    ) -> Attempt<(tempfile::NamedTempFile, Downloaded)> {
        let auth = request.auth.as_ref();
        let (mut response, final_url) =
            match self.send(url, auth, request.accept.as_deref(), AnswerFrom::AnyOrigin) {
                Ok(r) => r,
                Err(e) => return e.attempt(),
            };
        if !response.status().is_success() {
            return self.status_attempt(url, &response);
        }
        let declared = response.body().content_length();
        let mut temp = match tempfile::Builder::new()
            .prefix(".partial-")
            .tempfile_in(dir)
        {
            Ok(t) => t,
            Err(e) => {
                return Attempt::Fail(Failure::usage(
                    "Cannot create a temp file",
                    format!("{}: {e}", dir.display()),
                ))
            }
        };
        let mut sha256 = Sha256::new();
        let mut sha512 = Sha512::new();
        let mut bytes = 0u64;
        let mut reader = response.body_mut().as_reader();
        let mut progress = Progress::new(url, declared, self.progress_every);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let chunk = &buf[..n];
                    sha256.update(chunk);
                    sha512.update(chunk);
                    bytes += n as u64;
                    progress.update(bytes, self.log);
                    if let Err(e) = temp.write_all(chunk) {
                        return Attempt::Fail(Failure::usage(
                            "Cannot write the download",
                            format!("{}: {e}", temp.path().display()),
                        ));
                    }
                }
                Err(e) => {
                    let of = declared.map(|l| format!(" of {l}")).unwrap_or_default();
                    return Attempt::Retry {
                        reason: format!(
                            "body cut short ({}) after {bytes}{of} bytes",
                            describe_error(&ureq::Error::from(e), self.timeout)
                        ),
                        wait: None,
                    };
                }
            }
        }
        if let Some(len) = declared {
            if bytes != len {
                return Attempt::Retry {
                    reason: format!("body truncated: {bytes} of {len} bytes (Content-Length)"),
                    wait: None,
                };
            }
        }
        if let Err(e) = temp.flush() {
            return Attempt::Fail(Failure::usage(
                "Cannot write the download",
                format!("{}: {e}", temp.path().display()),
            ));
        }
        let done = Downloaded {
            path: temp.path().to_path_buf(),
            bytes,
            sha256: sha256.finalize().into(),
            sha512: sha512.finalize().into(),
            final_url: final_url.to_string(),
        };
        Attempt::Done((temp, done))
    }
}

/// Where an answer may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnswerFrom {
    /// A registry's document (packument, simple page, `.info`, index file, manifest): only the
    /// origin asked answers it; a redirect to another origin (a login page, an SSO portal) is
    /// no answer and is refused, never followed.
    OwnOrigin,
    /// A file (a tarball, a wheel, a blob): any origin, e.g. a CDN.
    AnyOrigin,
}

/// The headers of one hop: `Accept`, and `Authorization` only for its own origin.
fn request_headers(url: &Url, auth: Option<&Auth>, accept: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(accept) = accept.and_then(|a| HeaderValue::from_str(a).ok()) {
        headers.insert(ACCEPT, accept);
    }
    if let Some(auth) = auth.filter(|a| a.applies_to(url)) {
        if let Ok(mut v) = HeaderValue::from_str(&auth.header) {
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
    }
    headers
}

/// Where a redirect of `current` leads: its `Location`, refused when it has none usable, or
/// when it leaves the origin first asked (`asked`) for a document.
fn next_hop(
    current: &Url,
    response: &ureq::http::Response<ureq::Body>,
    asked: &Url,
    from: AnswerFrom,
) -> Result<Url> {
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|l| current.join(l).ok());
    let Some(next) = location else {
        return Err(Failure::usage(
            "Bad redirect",
            format!("GET {current} answered {status} without a usable Location header"),
        )
        .with_fix("report the broken redirect to the registry's operator"));
    };
    if from == AnswerFrom::OwnOrigin && origin_of(&next) != origin_of(asked) {
        let via = if current == asked {
            String::new()
        } else {
            format!(" (via {current})")
        };
        return Err(Failure::usage(
            "Registry answer from another origin",
            format!(
                "GET {asked} answered {status}{via} redirecting to {next}, another origin \
                 ({}, not {}): only the registry's own answer can say what it holds, and a \
                 login page or SSO portal elsewhere is none",
                origin_of(&next),
                origin_of(asked)
            ),
        )
        .with_fix(
            "set the registry input to the URL that serves the registry itself (no redirect to \
             another host, scheme or port); if the registry sends unauthenticated requests to \
             a login page, give it a token that can read the package",
        ));
    }
    Ok(next)
}

/// `a → b → c`, for messages.
fn show_chain(chain: &[Url]) -> String {
    chain
        .iter()
        .map(Url::as_str)
        .collect::<Vec<_>>()
        .join(" → ")
}

/// A request (with its redirects) that ran out of its one deadline.
fn timed_out(timeout: Duration, chain: &[Url]) -> String {
    let secs = timeout.as_secs_f64();
    match chain.len() {
        0 | 1 => format!("timed out after {secs} s"),
        n => format!(
            "timed out after {secs} s, the request's one deadline for all its {} redirects ({})",
            n - 1,
            show_chain(chain)
        ),
    }
}

fn parse_url(url: &str) -> Result<Url> {
    Url::parse(url)
        .map_err(|e| Failure::usage("Malformed URL", format!("{url}: {e}")).with_fix("fix the URL"))
}

fn describe_error(e: &ureq::Error, timeout: Duration) -> String {
    use std::io::ErrorKind as K;
    let connect = match e {
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_) => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            K::ConnectionRefused
                | K::ConnectionAborted
                | K::NotConnected
                | K::AddrNotAvailable
                | K::HostUnreachable
                | K::NetworkUnreachable
        ),
        _ => super::http::rustls_error(e).is_some(),
    };
    if matches!(e, ureq::Error::Timeout(_)) {
        format!("timed out after {} s", timeout.as_secs_f64())
    } else if connect {
        format!("connection failed ({})", root_cause(e))
    } else {
        format!("request failed ({})", root_cause(e))
    }
}

/// What is wrong with the server's certificate, when that is why a request failed: rustls's
/// error inside the request's error.
fn certificate_problem(e: &ureq::Error) -> Option<String> {
    let tls = super::http::rustls_error(e)?;
    matches!(
        tls,
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
    )
    .then(|| tls.to_string())
}

/// A server whose certificate is not trusted: exit 2 at once, naming the URL, what rustls said,
/// what is trusted and how to add a company's CA.
fn untrusted_certificate(url: &Url, problem: &str) -> Failure {
    let set: Vec<String> = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .filter_map(|name| crate::runner::env::value(name).map(|v| format!("{name}={v}")))
        .collect();
    let trusted = if set.is_empty() {
        "the built-in roots and the system certificate store".to_string()
    } else {
        format!("the built-in roots and {}", set.join(" and "))
    };
    Failure::usage(
        "TLS certificate not trusted",
        format!(
            "GET {url}: the server's certificate is not trusted ({problem}); trusted are \
             {trusted}. Not retried: another attempt meets the same certificate"
        ),
    )
    .with_fix(
        "if the registry's certificate comes from a private (company) certificate authority, \
         set SSL_CERT_FILE to that CA's certificate (a PEM file), or SSL_CERT_DIR to a \
         directory of them, in the step's or the job's env:",
    )
}

/// Logs a transfer's progress every `every`: `GET url: 1.5 MiB of 8.0 MiB (18 %) at 0.5 MiB/s`.
struct Progress {
    url: String,
    total: Option<u64>,
    every: Duration,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new(url: &Url, total: Option<u64>, every: Duration) -> Progress {
        let now = Instant::now();
        Progress {
            url: url.to_string(),
            total,
            every,
            started: now,
            last: now,
        }
    }

    fn update(&mut self, have: u64, log: &dyn Log) {
        if self.last.elapsed() < self.every {
            return;
        }
        self.last = Instant::now();
        let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        let rate = mib(have) / self.started.elapsed().as_secs_f64().max(0.001);
        let of = match self.total {
            Some(total) if total > 0 => format!(
                "of {:.1} MiB ({} %)",
                mib(total),
                have.saturating_mul(100) / total
            ),
            _ => "so far".to_string(),
        };
        log.log(&format!(
            "GET {}: {:.1} MiB {of} at {rate:.1} MiB/s",
            self.url,
            mib(have)
        ));
    }
}

/// The innermost cause of a failed request, as the OS or rustls said it.
fn root_cause(e: &ureq::Error) -> String {
    if let Some(tls) = super::http::rustls_error(e) {
        return tls.to_string();
    }
    match e {
        ureq::Error::Io(io) => {
            let mut source: &(dyn std::error::Error + 'static) = io;
            while let Some(next) = source.source() {
                source = next;
            }
            source.to_string()
        }
        other => other.to_string(),
    }
}

/// `Retry-After`: delay-seconds or an HTTP-date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    static HTTP_DATE: jiff::fmt::rfc2822::DateTimeParser =
        jiff::fmt::rfc2822::DateTimeParser::new();
    let date = HTTP_DATE.parse_timestamp(value).ok()?;
    let secs = date.as_second() - jiff::Timestamp::now().as_second();
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// Downloads once, or twice with `check_cache` (the second copy must hash the same), timing both.
pub fn download_maybe_twice(
    fetcher: &Fetcher,
    request: &Download,
    twice: bool,
) -> Result<(Downloaded, Option<CacheTimings>)> {
    let start = Instant::now();
    let first = fetcher.download(request)?;
    let first_time = start.elapsed();
    if !twice {
        return Ok((first, None));
    }
    let mut again = request.clone();
    let name = request
        .dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    again.dest = request.dest.with_file_name(format!(".second-{name}"));
    let start = Instant::now();
    let second = fetcher.download(&again)?;
    let second_time = start.elapsed();
    let _ = std::fs::remove_file(&again.dest);
    if second.sha256 != first.sha256 {
        return Err(Failure::guard(
            "The registry served different bytes twice",
            format!(
                "GET {} returned sha256:{} then sha256:{}",
                request.url,
                first.sha256_hex(),
                second.sha256_hex()
            ),
        )
        .with_fix("a cache in front of the registry holds a stale copy: purge it and republish"));
    }
    fetcher.log(&format!(
        "check-cache {}: first {} ms, second {} ms",
        request.url,
        first_time.as_millis(),
        second_time.as_millis()
    ));
    Ok((
        first,
        Some(CacheTimings {
            first: first_time,
            second: second_time,
        }),
    ))
}

#[cfg(test)]
mod tests {

    #[test]
    fn credentials_never_travel_in_clear_text_off_this_machine() {
        let url = |u: &str| Url::parse(u).unwrap();
        let remote = Auth::bearer_for(&url("http://registry.example.com/"), "t");
        assert!(!remote.applies_to(&url("http://registry.example.com/pkg")));
        let secure = Auth::bearer_for(&url("https://registry.example.com/"), "t");
        assert!(secure.applies_to(&url("https://registry.example.com/pkg")));
        assert!(!secure.applies_to(&url("https://other.example.com/pkg")));
        for local in [
            "http://127.0.0.1:4873/",
            "http://localhost:4873/",
            "http://[::1]:4873/",
        ] {
            let auth = Auth::bearer_for(&url(local), "t");
            assert!(auth.applies_to(&url(&format!("{local}pkg"))), "{local}");
        }
    }

    use super::*;

    #[test]
    fn parses_integrity_forms() {
        let hex_text = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let i = Integrity::parse_sha256_hex(hex_text).unwrap();
        assert_eq!(
            i.sri(),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert!(Integrity::parse_sha256_hex("abc").is_err());
        let sri = Integrity::parse_sri(
            "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk= sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
        )
        .unwrap();
        assert!(matches!(sri.digest, Digest::Sha512(_)));
        assert!(Integrity::parse_sri("sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=").is_err());
    }

    #[test]
    fn parses_retry_after() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        // An HTTP-date two minutes ahead waits about two minutes (the clock moves meanwhile).
        let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&ahead)
            .unwrap();
        assert!(date.ends_with(" GMT"), "{date}");
        let wait = parse_retry_after(&date).unwrap().as_secs();
        assert!((115..=120).contains(&wait), "{date}: {wait}");
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("Sun, 31 Nov 1994 08:49:37 GMT"), None);
    }

    #[test]
    fn auth_is_bound_to_its_origin() {
        let url = Url::parse("https://registry.example/a").unwrap();
        let auth = Auth::bearer_for(&url, "t");
        assert!(auth.applies_to(&Url::parse("https://registry.example:443/b").unwrap()));
        assert!(!auth.applies_to(&Url::parse("http://registry.example/b").unwrap()));
        assert!(!auth.applies_to(&Url::parse("https://cdn.example/b").unwrap()));
        assert!(!format!("{auth:?}").contains('t') || !format!("{auth:?}").contains("Bearer"));
    }
}
