//! Artifacts in an OCI registry (distribution API v2), as ORAS and `helm push` store them.
//!
//! `oci://host[:port]/name:tag` or `oci://host[:port]/name@sha256:<hex>`, optionally with
//! `#<file name>` (the layer whose `org.opencontainers.image.title` annotation is that name) and
//! `?artifactType=<media type>` (which manifest of an index to take). The registry is reached over
//! https, or over http for loopback hosts (`localhost`, `127.0.0.1`, `[::1]`).
//!
//! Authentication follows the registry's challenge: `WWW-Authenticate: Bearer realm=…,
//! service=…,scope=…` gets a token from the realm (anonymously, or with Basic credentials where the
//! password is the registry token, as GHCR accepts); `Basic` sends the token directly. A
//! `registry-token` of the form `user:password` names the user; otherwise the user is
//! `release-action`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use url::Url;

use super::download::{self, Auth, Download, Fetcher, Integrity};
use super::{File, TransportOptions};
use crate::error::{Failure, Result};

pub const MEDIA_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MEDIA_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const MEDIA_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";
pub const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";

/// A parsed `oci://` reference (without the scheme).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host` or `host:port`.
    pub host: String,
    /// Repository name, e.g. `org/charts/app`.
    pub name: String,
    /// Tag, when not by digest.
    pub tag: Option<String>,
    /// `sha256:<hex>`, when by digest.
    pub digest: Option<String>,
    /// `#<title>`: the layer to take.
    pub title: Option<String>,
    /// `?artifactType=…`: the manifest of an index to take.
    pub artifact_type: Option<String>,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.host, self.name)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        if let Some(t) = &self.artifact_type {
            write!(f, "?artifactType={t}")?;
        }
        if let Some(title) = &self.title {
            write!(f, "#{title}")?;
        }
        Ok(())
    }
}

impl Reference {
    /// Parses `host/name:tag` or `host/name@sha256:…` (what follows `oci://`).
    pub fn parse(text: &str) -> Result<Reference> {
        let bad = |why: &str| {
            Failure::usage(
                "Malformed oci:// entry",
                format!("oci://{text} is not a valid OCI reference: {why}"),
            )
            .with_fix(
                "write it as oci://ghcr.io/owner/name:1.2.3 or oci://ghcr.io/owner/name@sha256:<hex> \
                 (optionally #<file name> to pick a layer)",
            )
        };
        let (rest, title) = match text.split_once('#') {
            Some((r, t)) if !t.is_empty() => (r, Some(t.to_string())),
            Some(_) => return Err(bad("empty #file name")),
            None => (text, None),
        };
        let (rest, artifact_type) = match rest.split_once('?') {
            Some((r, q)) => {
                let mut at = None;
                for pair in q.split('&') {
                    match pair.split_once('=') {
                        Some(("artifactType", v)) if !v.is_empty() => at = Some(v.to_string()),
                        _ => return Err(bad("the only query parameter is artifactType=<type>")),
                    }
                }
                (r, at)
            }
            None => (rest, None),
        };
        let (host, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("no repository name after the host"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let (name, tag, digest) = if let Some((n, d)) = path.split_once('@') {
            if !d.starts_with("sha256:") || d.len() != 71 || hex::decode(&d[7..]).is_err() {
                return Err(bad("the digest must be sha256:<64 hex>"));
            }
            (n.to_string(), None, Some(d.to_ascii_lowercase()))
        } else {
            let last_slash = path.rfind('/').map(|i| i + 1).unwrap_or(0);
            match path[last_slash..].rfind(':') {
                Some(i) => {
                    let i = last_slash + i;
                    (path[..i].to_string(), Some(path[i + 1..].to_string()), None)
                }
                None => return Err(bad("a tag (:1.2.3) or a digest (@sha256:…) is required")),
            }
        };
        let valid_name = !name.is_empty()
            && name.split('/').all(|c| {
                !c.is_empty()
                    && c.chars().all(|ch| {
                        ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch)
                    })
            });
        if !valid_name {
            return Err(bad("the repository name must be lowercase path components"));
        }
        if let Some(tag) = &tag {
            let ok = !tag.is_empty()
                && tag.len() <= 128
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                && !tag.starts_with(['.', '-']);
            if !ok {
                return Err(bad("the tag has characters a registry does not accept"));
            }
        }
        Ok(Reference {
            host: host.to_string(),
            name,
            tag,
            digest,
            title,
            artifact_type,
        })
    }

    fn scheme(&self) -> &'static str {
        let host = self
            .host
            .rsplit_once(':')
            .map_or(self.host.as_str(), |(h, p)| {
                if p.chars().all(|c| c.is_ascii_digit()) {
                    h
                } else {
                    self.host.as_str()
                }
            });
        if host == "localhost" || host.starts_with("127.") || host == "[::1]" {
            "http"
        } else {
            "https"
        }
    }

    /// `https://host/v2/<name>/`.
    pub fn base_url(&self) -> String {
        format!("{}://{}/v2/{}/", self.scheme(), self.host, self.name)
    }

    fn reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    artifact_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
}

/// A registry session: the repository's base URL and the credentials that work for it.
struct Session<'f, 'a> {
    fetcher: &'f Fetcher<'a>,
    reference: &'f Reference,
    base: Url,
    token: Option<String>,
    auth: Option<Auth>,
}

impl<'f, 'a> Session<'f, 'a> {
    /// A session with the registry of `reference`: its base URL, the token for its host (masked
    /// in logs) and authentication done. `malformed` titles a reference that makes no URL.
    fn open(
        fetcher: &'f Fetcher<'a>,
        reference: &'f Reference,
        opts: &dyn TransportOptions,
        malformed: &str,
        scheme: &str,
    ) -> Result<Session<'f, 'a>> {
        let base = Url::parse(&reference.base_url())
            .map_err(|e| Failure::usage(malformed, format!("{scheme}{reference}: {e}")))?;
        let token = opts.token_for_host(&reference.host);
        if let Some(t) = &token {
            fetcher.mask(t);
        }
        let mut session = Session {
            fetcher,
            reference,
            base,
            token,
            auth: None,
        };
        session.authenticate()?;
        Ok(session)
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .map_err(|e| Failure::usage("Malformed OCI URL", format!("{}{path}: {e}", self.base)))
    }

    /// GET a document, answering an auth challenge once.
    fn get(&self, path: &str, accept: &str) -> Result<download::Response> {
        let url = self.url(path)?;
        self.fetcher
            .get(url.as_str(), self.auth.as_ref(), Some(accept))
    }

    /// Probes `/v2/<name>/manifests/<ref>`: on a 401, authenticates from the challenge.
    fn authenticate(&mut self) -> Result<()> {
        let url = self.url(&format!("manifests/{}", self.reference.reference()))?;
        let response = self.fetcher.get_passing(
            url.as_str(),
            self.auth.as_ref(),
            Some(ACCEPT_MANIFESTS),
            &[401],
        )?;
        if response.status != 401 {
            return Ok(());
        }
        let challenge = response
            .header("www-authenticate")
            .unwrap_or("")
            .to_string();
        let (scheme, params) = parse_challenge(&challenge);
        let (user, password) = self.credentials();
        match scheme.to_ascii_lowercase().as_str() {
            "bearer" => {
                let bearer = self.bearer_token(&url, &params, &user, password.as_deref())?;
                self.fetcher.mask(&bearer);
                self.auth = Some(Auth::bearer_for(&self.base, bearer));
            }
            "basic" => {
                let Some(password) = password else {
                    return Err(Failure::guard(
                        "Registry requires credentials",
                        format!("GET {url} answered 401 (Basic) and no registry-token was given"),
                    )
                    .with_fix("set registry-token (user:password or a token) for this registry"));
                };
                self.auth = Some(Auth::basic_for(&self.base, &user, &password));
            }
            _ => {
                return Err(Failure::guard(
                    "Registry requires an unsupported authentication",
                    format!("GET {url} answered 401 with WWW-Authenticate {challenge:?}"),
                )
                .with_fix("use a registry that supports Bearer or Basic authentication"))
            }
        }
        Ok(())
    }

    /// User and password from `registry-token`: `user:password`, else the token as the password
    /// of a placeholder user; no token, no password.
    fn credentials(&self) -> (String, Option<String>) {
        match &self.token {
            Some(t) => match t.split_once(':') {
                Some((u, p)) => (u.to_string(), Some(p.to_string())),
                None => ("release-action".to_string(), Some(t.clone())),
            },
            None => (String::new(), None),
        }
    }

    /// Asks the challenge's token service (`realm`) for a pull token, with the credentials when
    /// there are any, else anonymously.
    fn bearer_token(
        &self,
        url: &Url,
        params: &BTreeMap<String, String>,
        user: &str,
        password: Option<&str>,
    ) -> Result<String> {
        let realm = params.get("realm").cloned().unwrap_or_default();
        let mut realm_url = Url::parse(&realm).map_err(|e| {
            Failure::guard(
                "Registry sent an unusable auth challenge",
                format!("GET {url} answered 401 with realm {realm:?}: {e}"),
            )
            .with_fix("check the registry's token service configuration")
        })?;
        {
            let mut q = realm_url.query_pairs_mut();
            if let Some(service) = params.get("service") {
                q.append_pair("service", service);
            }
            let scope = params
                .get("scope")
                .cloned()
                .unwrap_or_else(|| format!("repository:{}:pull", self.reference.name));
            q.append_pair("scope", &scope);
        }
        let realm_auth = password.map(|p| Auth::basic_for(&realm_url, user, p));
        let how = if realm_auth.is_some() {
            "with registry-token"
        } else {
            "anonymously"
        };
        self.fetcher.log(&format!(
            "{} asks for a bearer token: requesting one from {} {how}",
            self.reference.host,
            origin_and_path(&realm_url)
        ));
        let token_response = self
            .fetcher
            .get(realm_url.as_str(), realm_auth.as_ref(), None)
            .map_err(|f| {
                if password.is_none() {
                    Failure::guard(f.title.clone(), f.message.clone())
                        .with_fix("the registry does not allow anonymous pulls: set registry-token")
                } else {
                    f
                }
            })?;
        #[derive(Deserialize)]
        struct TokenBody {
            token: Option<String>,
            access_token: Option<String>,
        }
        let body: TokenBody = serde_json::from_slice(&token_response.body).map_err(|e| {
            Failure::guard(
                "Registry token service answered without a token",
                format!(
                    "GET {} returned no JSON token: {e}",
                    origin_and_path(&realm_url)
                ),
            )
        })?;
        body.token.or(body.access_token).ok_or_else(|| {
            Failure::guard(
                "Registry token service answered without a token",
                format!(
                    "GET {} returned JSON without token/access_token",
                    origin_and_path(&realm_url)
                ),
            )
        })
    }
}

fn origin_and_path(url: &Url) -> String {
    format!("{}{}", download::origin_of(url), url.path())
}

/// `Bearer realm="…",service="…",scope="…"` → ("Bearer", {realm, service, scope}).
pub fn parse_challenge(header: &str) -> (String, BTreeMap<String, String>) {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n)
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
        }
        params.insert(key, value.trim().to_string());
    }
    (scheme.to_string(), params)
}

fn is_index(m: &Manifest, content_type: Option<&str>) -> bool {
    let media = m.media_type.as_deref().or(content_type).unwrap_or("");
    media.starts_with(MEDIA_OCI_INDEX)
        || media.starts_with(MEDIA_DOCKER_LIST)
        || m.manifests.is_some()
}

/// Parses a manifest or index and validates every field later code builds paths, URLs or file
/// names from, so a hostile answer is a clear exit 2 naming the registry and the field, never a
/// panic or a request to a path the registry chose.
fn parse_manifest(host: &str, url: &str, body: &[u8]) -> Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(body).map_err(|e| {
        Failure::usage(
            "Registry returned an unreadable manifest",
            format!("registry {host}: GET {url} returned a manifest that is not valid JSON: {e}"),
        )
        .with_fix("push the artifact again with oras push or helm push")
    })?;
    let descriptors = manifest
        .layers
        .iter()
        .enumerate()
        .map(|(i, d)| (format!("layers[{i}]"), d))
        .chain(
            manifest
                .manifests
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, d)| (format!("manifests[{i}]"), d)),
        );
    for (field, descriptor) in descriptors {
        if !is_sha256_digest(&descriptor.digest) {
            return Err(Failure::usage(
                "Registry returned an invalid digest",
                format!(
                    "registry {host}: GET {url}: {field}.digest is {:?}, not sha256:<64 lower-case hex>",
                    descriptor.digest.chars().take(100).collect::<String>()
                ),
            )
            .with_fix("the registry's answer is malformed: push the artifact again, or check the registry"));
        }
        if let Some(title) = descriptor.annotations.get(TITLE_ANNOTATION) {
            if title.is_empty() || title.len() > 255 || title.chars().any(char::is_control) {
                return Err(Failure::usage(
                    "Registry returned an invalid file name",
                    format!(
                        "registry {host}: GET {url}: {field}.annotations[\"{TITLE_ANNOTATION}\"] \
                         is not a file name (empty, over 255 bytes, or with control characters)"
                    ),
                )
                .with_fix("push the file again with a plain file name"));
            }
        }
    }
    Ok(manifest)
}

/// `sha256:` and 64 lower-case hex digits, as OCI's digest grammar has it for sha256.
fn is_sha256_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Fetches the artifact's layer into `dir`.
pub fn fetch(
    fetcher: &Fetcher,
    reference: &Reference,
    opts: &dyn TransportOptions,
    expected: Option<Integrity>,
    dir: &Path,
) -> Result<File> {
    let session = Session::open(fetcher, reference, opts, "Malformed oci:// entry", "oci://")?;
    let mut verified = Vec::new();
    let (manifest, manifest_digest) = resolve_manifest(&session, &mut verified)?;

    let layer = choose_layer(reference, &manifest.layers)?;
    let file_name = layer_file_name(reference, layer);
    let mut expect = vec![Integrity::parse_oci(&layer.digest)?.from(format!(
        "layer digest {} in manifest {manifest_digest}",
        layer.digest
    ))];
    if let Some(e) = expected.clone() {
        expect.push(e);
    }
    let blob_url = session.url(&format!("blobs/{}", layer.digest))?;
    let request = Download {
        url: blob_url.to_string(),
        dest: dir.join(&file_name),
        expected: expect,
        size: layer.size,
        auth: session.auth.clone(),
        accept: None,
    };
    let (done, cache) = download::download_maybe_twice(fetcher, &request, opts.check_cache())?;
    verified.push(format!(
        "layer {} ({} bytes) matches its digest {}",
        file_name, done.bytes, layer.digest
    ));
    if let Some(e) = &expected {
        verified.push(format!("{} matches the expected digest", e.describe()));
    }
    Ok(File {
        source: format!("oci://{reference}"),
        url: blob_url.to_string(),
        path: dir.join(&file_name),
        bytes: done.bytes,
        sha256: done.sha256_hex(),
        verified,
        cache,
    })
}

/// The image manifest the reference names, and its digest: through an index, the entry of the
/// asked-for artifactType (else the first); a plain manifest must have that artifactType.
fn resolve_manifest(session: &Session, verified: &mut Vec<String>) -> Result<(Manifest, String)> {
    let reference = session.reference;
    let manifest_path = format!("manifests/{}", reference.reference());
    let response = session.get(&manifest_path, ACCEPT_MANIFESTS)?;
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&response.body)));
    verify_manifest_digest(&response, reference.digest.as_deref(), &digest)?;
    verified.push(format!("manifest {} ({digest})", reference.reference()));
    let mut manifest = parse_manifest(&reference.host, &response.url, &response.body)?;

    if !is_index(&manifest, response.header("content-type")) {
        check_artifact_type(reference, &manifest)?;
        return Ok((manifest, digest));
    }
    let entries = manifest.manifests.take().unwrap_or_default();
    let chosen = choose_index_entry(reference, &entries)?;
    let child_path = format!("manifests/{}", chosen.digest);
    let child = session.get(&child_path, ACCEPT_MANIFESTS)?;
    let child_digest = format!("sha256:{}", hex::encode(Sha256::digest(&child.body)));
    verify_manifest_digest(&child, Some(&chosen.digest), &child_digest)?;
    verified.push(format!("index entry manifest {child_digest}"));
    let child_manifest = parse_manifest(&reference.host, &child.url, &child.body)?;
    Ok((child_manifest, child_digest))
}

/// The index entry to follow: the one of `?artifactType=` when given, else the first.
fn choose_index_entry<'e>(
    reference: &Reference,
    entries: &'e [Descriptor],
) -> Result<&'e Descriptor> {
    let Some(at) = &reference.artifact_type else {
        return entries.first().ok_or_else(|| {
            Failure::guard(
                "Empty OCI index",
                format!("oci://{reference}: the image index lists no manifests"),
            )
            .with_fix("push the artifact again")
        });
    };
    entries
        .iter()
        .find(|d| d.artifact_type.as_deref() == Some(at.as_str()))
        .ok_or_else(|| {
            let types: Vec<&str> = entries
                .iter()
                .filter_map(|d| d.artifact_type.as_deref())
                .collect();
            Failure::guard(
                "No manifest of that artifactType in the index",
                format!(
                    "oci://{reference}: the index has no manifest with artifactType {at} \
                     (it has: {})",
                    if types.is_empty() {
                        "none".into()
                    } else {
                        types.join(", ")
                    }
                ),
            )
            .with_fix("push the artifact with that --artifact-type, or fix ?artifactType=")
        })
}

/// With `?artifactType=`, a plain manifest's artifactType (else its config's media type) must be it.
fn check_artifact_type(reference: &Reference, manifest: &Manifest) -> Result<()> {
    let Some(at) = &reference.artifact_type else {
        return Ok(());
    };
    let actual = manifest
        .artifact_type
        .clone()
        .or_else(|| manifest.config.as_ref().map(|c| c.media_type.clone()));
    if actual.as_deref() != Some(at.as_str()) {
        return Err(Failure::guard(
            "Artifact type does not match",
            format!(
                "oci://{reference}: the manifest's artifactType is {}, not {at}",
                actual.unwrap_or_else(|| "unset".into())
            ),
        )
        .with_fix("fix ?artifactType= or push with the intended artifact type"));
    }
    Ok(())
}

fn verify_manifest_digest(
    response: &download::Response,
    wanted: Option<&str>,
    actual: &str,
) -> Result<()> {
    if let Some(wanted) = wanted {
        if wanted != actual {
            return Err(Failure::guard(
                "Manifest does not match its digest",
                format!(
                    "GET {} returned a manifest hashing to {actual}, not {wanted}",
                    response.url
                ),
            )
            .with_fix("the registry serves different bytes than were pushed: push again"));
        }
    }
    if let Some(header) = response.header("docker-content-digest") {
        if header.starts_with("sha256:") && header != actual {
            return Err(Failure::guard(
                "Manifest does not match its digest",
                format!(
                    "GET {} returned a manifest hashing to {actual}, but Docker-Content-Digest \
                     says {header}",
                    response.url
                ),
            )
            .with_fix("the registry serves different bytes than were pushed: push again"));
        }
    }
    Ok(())
}

fn choose_layer<'m>(reference: &Reference, layers: &'m [Descriptor]) -> Result<&'m Descriptor> {
    let titles: Vec<String> = layers
        .iter()
        .map(|l| {
            l.annotations
                .get(TITLE_ANNOTATION)
                .cloned()
                .unwrap_or_else(|| format!("<untitled {}>", l.media_type))
        })
        .collect();
    if let Some(title) = &reference.title {
        return layers
            .iter()
            .find(|l| l.annotations.get(TITLE_ANNOTATION) == Some(title))
            .ok_or_else(|| {
                Failure::guard(
                    "No layer with that file name",
                    format!(
                        "oci://{reference}: no layer is titled {title:?} (layers: {})",
                        titles.join(", ")
                    ),
                )
                .with_fix("name one of the pushed files after #, or push the file with oras push")
            });
    }
    match layers {
        [] => Err(Failure::guard(
            "Artifact has no layers",
            format!("oci://{reference}: the manifest has no layers"),
        )
        .with_fix("push the file with oras push or helm push")),
        [only] => Ok(only),
        _ => {
            let charts: Vec<&Descriptor> = layers
                .iter()
                .filter(|l| l.media_type == HELM_CHART_LAYER)
                .collect();
            if let [chart] = charts.as_slice() {
                return Ok(chart);
            }
            Err(Failure::usage(
                "Artifact has several layers",
                format!(
                    "oci://{reference}: the manifest has {} layers ({})",
                    layers.len(),
                    titles.join(", ")
                ),
            )
            .with_fix("pick one with oci://…#<file name>"))
        }
    }
}

fn layer_file_name(reference: &Reference, layer: &Descriptor) -> String {
    if let Some(title) = layer.annotations.get(TITLE_ANNOTATION) {
        return super::sanitize_file_name(title, "artifact");
    }
    let last = reference.name.rsplit('/').next().unwrap_or("artifact");
    let version = reference.tag.clone().unwrap_or_else(|| {
        let hex = layer.digest.trim_start_matches("sha256:");
        hex.get(..12).unwrap_or(hex).to_string()
    });
    let ext = if layer.media_type.ends_with("tar+gzip") || layer.media_type.ends_with(".gzip") {
        ".tgz"
    } else if layer.media_type.ends_with("+tar") || layer.media_type.ends_with(".tar") {
        ".tar"
    } else if layer.media_type.ends_with("+zip") || layer.media_type.ends_with(".zip") {
        ".zip"
    } else {
        ""
    };
    super::sanitize_file_name(&format!("{last}-{version}{ext}"), "artifact")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let r = Reference::parse("ghcr.io/owner/charts/app:1.2.3#app.tgz").unwrap();
        assert_eq!(r.host, "ghcr.io");
        assert_eq!(r.name, "owner/charts/app");
        assert_eq!(r.tag.as_deref(), Some("1.2.3"));
        assert_eq!(r.title.as_deref(), Some("app.tgz"));
        assert_eq!(r.base_url(), "https://ghcr.io/v2/owner/charts/app/");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("127.0.0.1:5000/x@{d}")).unwrap();
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.base_url(), "http://127.0.0.1:5000/v2/x/");
        assert!(Reference::parse("ghcr.io/owner/app").is_err());
        assert!(Reference::parse("ghcr.io/Owner/app:1").is_err());
        assert!(Reference::parse("ghcr.io/app@sha256:abc").is_err());
    }

    #[test]
    fn parses_bearer_challenges() {
        let (scheme, p) = parse_challenge(
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/a:pull""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(p["realm"], "https://ghcr.io/token");
        assert_eq!(p["service"], "ghcr.io");
        assert_eq!(p["scope"], "repository:o/a:pull");
        let (scheme, p) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!(scheme, "Basic");
        assert_eq!(p["realm"], "Registry Realm");
    }
}

/// A Sigstore bundle attached to an image: where it was found and its bytes.
#[derive(Debug, Clone)]
pub struct AttachedBundle {
    /// The referrer manifest that carried it.
    pub manifest: String,
    /// How it was found: `referrers API`, `referrers tag sha256-<hex>`, `cosign tag …`.
    pub via: String,
    pub bundle: Vec<u8>,
    /// cosign's legacy `.sig` form: the simple-signing payload the bundle's message signature is
    /// over (it names the image digest it signs); `None` for a Sigstore bundle layer.
    pub payload: Option<Vec<u8>>,
}

/// What is attached to an image digest, and how the registry was asked.
#[derive(Debug, Clone, Default)]
pub struct Attached {
    pub bundles: Vec<AttachedBundle>,
    /// The questions asked, in order (`GET …/referrers/<digest>: 404`, …), for the summary.
    pub asked: Vec<String>,
}

/// Media types of a Sigstore bundle layer (cosign's `--new-bundle-format`, `oras attach`).
pub fn is_bundle_media_type(media_type: &str) -> bool {
    media_type == "application/vnd.dev.sigstore.bundle.v0.3+json"
        || media_type.starts_with("application/vnd.dev.sigstore.bundle+json")
}

/// The Sigstore bundles attached to `reference` (which names a digest): the OCI 1.1 referrers
/// API, and when the registry answers 404 to it, the referrers tag schema (`sha256-<hex>`, an
/// index) and cosign's `sha256-<hex>.sig` tag (simple-signing layers, each turned into a v0.1
/// bundle with its payload). A referrers answer that is not an OCI index, a manifest or blob that
/// does not match its digest, is exit 2 (or 1 for a digest mismatch) naming the URL.
pub fn attached_bundles(
    fetcher: &Fetcher,
    reference: &Reference,
    opts: &dyn TransportOptions,
) -> Result<Attached> {
    let Some(digest) = reference.digest.clone() else {
        return Err(Failure::usage(
            "Image without a digest",
            format!("{reference}: signatures are attached to a digest"),
        )
        .with_fix("name the image by digest: host/name@sha256:<digest>"));
    };
    let session = Session::open(fetcher, reference, opts, "Malformed image reference", "")?;
    let mut attached = Attached::default();
    let tag = format!("sha256-{}", digest.trim_start_matches("sha256:"));
    let accept = format!("{MEDIA_OCI_INDEX}, {ACCEPT_MANIFESTS}");
    let api = session.url(&format!("referrers/{digest}"))?;
    let response = fetcher.get_passing(
        api.as_str(),
        session.auth.as_ref(),
        Some(MEDIA_OCI_INDEX),
        &[404],
    )?;
    attached
        .asked
        .push(format!("GET {api}: HTTP {}", response.status));
    let (index, via) = if response.status == 404 {
        cosign_signatures(&session, &format!("{tag}.sig"), &mut attached)?;
        let url = session.url(&format!("manifests/{tag}"))?;
        let response =
            fetcher.get_passing(url.as_str(), session.auth.as_ref(), Some(&accept), &[404])?;
        attached
            .asked
            .push(format!("GET {url}: HTTP {}", response.status));
        if response.status == 404 {
            return Ok(attached);
        }
        (response, format!("referrers tag {tag}"))
    } else {
        (response, "referrers API".to_string())
    };
    let manifest = parse_manifest(&reference.host, &index.url, &index.body)?;
    if !is_index(&manifest, index.header("content-type")) {
        return Err(Failure::usage(
            "Registry returned something that is not a referrers index",
            format!(
                "registry {}: GET {} answered {:?} without `manifests`: not an OCI image index",
                reference.host,
                index.url,
                index.header("content-type").unwrap_or("no content type")
            ),
        )
        .with_fix("check the registry (or the proxy in front of it)"));
    }
    for entry in manifest.manifests.unwrap_or_default() {
        let path = format!("manifests/{}", entry.digest);
        let response = session.get(&path, ACCEPT_MANIFESTS)?;
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&response.body)));
        verify_manifest_digest(&response, Some(&entry.digest), &actual)?;
        let child = parse_manifest(&reference.host, &response.url, &response.body)?;
        for layer in child
            .layers
            .iter()
            .filter(|l| is_bundle_media_type(&l.media_type))
        {
            let blob = session.get(&format!("blobs/{}", layer.digest), "*/*")?;
            let got = format!("sha256:{}", hex::encode(Sha256::digest(&blob.body)));
            if got != layer.digest {
                return Err(Failure::guard(
                    "Blob does not match its digest",
                    format!(
                        "GET {} returned bytes hashing to {got}, not {}",
                        blob.url, layer.digest
                    ),
                )
                .with_fix("the registry serves different bytes than were pushed"));
            }
            attached.bundles.push(AttachedBundle {
                manifest: entry.digest.clone(),
                via: via.clone(),
                bundle: blob.body.to_vec(),
                payload: None,
            });
        }
    }
    Ok(attached)
}

/// A blob of the session's repository, checked against its digest (exit 1 when it differs).
fn verified_blob(session: &Session, digest: &str) -> Result<Vec<u8>> {
    let blob = session.get(&format!("blobs/{digest}"), "*/*")?;
    let got = format!("sha256:{}", hex::encode(Sha256::digest(&blob.body)));
    if got != digest {
        return Err(Failure::guard(
            "Blob does not match its digest",
            format!(
                "GET {} returned bytes hashing to {got}, not {digest}",
                blob.url
            ),
        )
        .with_fix("the registry serves different bytes than were pushed"));
    }
    Ok(blob.body.to_vec())
}

/// cosign's legacy signatures under `tag` (`sha256-<hex>.sig`): each simple-signing layer with
/// its signature, certificate and Rekor bundle annotations, as a v0.1 Sigstore bundle (the
/// leaf certificate only: the CA chain comes from the trusted root).
fn cosign_signatures(session: &Session, tag: &str, attached: &mut Attached) -> Result<()> {
    let url = session.url(&format!("manifests/{tag}"))?;
    let response = session.fetcher.get_passing(
        url.as_str(),
        session.auth.as_ref(),
        Some(ACCEPT_MANIFESTS),
        &[404],
    )?;
    attached
        .asked
        .push(format!("GET {url}: HTTP {}", response.status));
    if response.status == 404 {
        return Ok(());
    }
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&response.body)));
    verify_manifest_digest(&response, None, &digest)?;
    let manifest = parse_manifest(&session.reference.host, &response.url, &response.body)?;
    let simple = "application/vnd.dev.cosign.simplesigning.v1+json";
    for layer in manifest.layers.iter().filter(|l| l.media_type == simple) {
        let payload = verified_blob(session, &layer.digest)?;
        let bundle = legacy_bundle(&layer.annotations, &payload).map_err(|why| {
            Failure::usage(
                "Registry returned an unreadable cosign signature",
                format!("GET {url}: layer {}: {why}", layer.digest),
            )
        })?;
        attached.bundles.push(AttachedBundle {
            manifest: digest.clone(),
            via: format!("cosign tag {tag}"),
            bundle,
            payload: Some(payload),
        });
    }
    Ok(())
}

/// The annotations of a cosign simple-signing layer as a v0.1 bundle over `payload`.
fn legacy_bundle(
    annotations: &BTreeMap<String, String>,
    payload: &[u8],
) -> std::result::Result<Vec<u8>, String> {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let get = |k: &str| annotations.get(k).ok_or(format!("no annotation {k}"));
    let signature = get("dev.cosignproject.cosign/signature")?;
    let leaf: String = get("dev.sigstore.cosign/certificate")?
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let rekor: serde_json::Value = serde_json::from_str(get("dev.sigstore.cosign/bundle")?)
        .map_err(|e| format!("dev.sigstore.cosign/bundle: {e}"))?;
    let p = &rekor["Payload"];
    let body_b64 = p["body"]
        .as_str()
        .ok_or("the Rekor bundle has no Payload.body")?;
    let body: serde_json::Value = base64::engine::general_purpose::STANDARD
        .decode(body_b64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the Rekor body is not base64 JSON")?;
    let log_id = hex::decode(p["logID"].as_str().unwrap_or_default())
        .map_err(|e| format!("the Rekor bundle's logID: {e}"))?;
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": {
            "x509CertificateChain": {"certificates": [{"rawBytes": leaf}]},
            "tlogEntries": [{
                "logIndex": p["logIndex"].as_i64().unwrap_or(-1).to_string(),
                "logId": {"keyId": b64(&log_id)},
                "kindVersion": {"kind": body["kind"], "version": body["apiVersion"]},
                "integratedTime": p["integratedTime"].as_i64().unwrap_or(-1).to_string(),
                "inclusionPromise": {"signedEntryTimestamp": rekor["SignedEntryTimestamp"]},
                "canonicalizedBody": body_b64,
            }],
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64(&Sha256::digest(payload))},
            "signature": signature,
        },
    });
    Ok(bundle.to_string().into_bytes())
}
