//! The GitHub REST API over the blocking HTTP/1.1 transport (`fetch::http`): release tags (every
//! page), the repository's metadata, a commit's date and pull-request comments.
//!
//! `GITHUB_API_URL` is the base, so GitHub Enterprise Server (`https://ghe.example.com/api/v3`)
//! works. Redirects are followed (at most 10), the token only to the same host.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use ureq::http::{header, Method};
use url::Url;

/// Most bytes one answer of the API may have.
const MAX_ANSWER: u64 = 64 * 1024 * 1024;

type Answer = ureq::http::Response<ureq::Body>;

/// What went wrong talking to the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// GitHub answered with an error status.
    Status { status: u16, message: String },
    /// No answer (network, TLS, an unreadable body).
    Transport(String),
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            ApiError::Transport(_) => None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Status { status, message } => write!(f, "HTTP {status}: {message}"),
            ApiError::Transport(message) => write!(f, "{message}"),
        }
    }
}

/// A transport error with its whole source chain: the error's Display is terse.
fn transport(err: &dyn std::error::Error) -> ApiError {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    ApiError::Transport(message)
}

/// An answer's body, at most [`MAX_ANSWER`] bytes.
fn read_body(response: &mut Answer) -> Result<Vec<u8>, ApiError> {
    response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_vec()
        .map_err(|e| transport(&e))
}

/// GitHub's error payload: `{"message": …}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    message: String,
}

/// The `rel="next"` URL of a `Link` header, if any.
fn next_link(headers: &header::HeaderMap) -> Option<String> {
    let value = headers.get(header::LINK)?.to_str().ok()?;
    value.split(',').find_map(|part| {
        let (url, params) = part.trim().split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        is_next.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[derive(Debug, Deserialize)]
struct TagItem {
    name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub login: String,
}

/// The bot that authors what the workflow's `GITHUB_TOKEN` (the GitHub Actions app's
/// installation token) writes.
pub const ACTIONS_BOT_LOGIN: &str = "github-actions[bot]";

pub struct Api {
    agent: ureq::Agent,
    /// The API's base URL, without a trailing `/`.
    base: String,
    token: String,
    /// `owner/name`
    repository: String,
}

impl Api {
    /// A client for `repository` (`owner/name`) at `api_url`, authenticated with `token`.
    pub fn new(api_url: &str, token: &str, repository: &str) -> Result<Api, ApiError> {
        let base = api_url.trim_end_matches('/').to_string();
        Url::parse(&base).map_err(|e| transport(&e))?;
        let agent = crate::fetch::http::agent().map_err(ApiError::Transport)?;
        Ok(Api {
            agent,
            base,
            token: token.to_string(),
            repository: repository.to_string(),
        })
    }

    /// One request with the token, to the API's own origin only; an error status is
    /// [`ApiError::Status`] with GitHub's message.
    fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ApiError> {
        let parsed = Url::parse(url).map_err(|e| transport(&e))?;
        let base = Url::parse(&self.base).map_err(|e| transport(&e))?;
        if parsed.origin() != base.origin() {
            return Err(ApiError::Transport(format!(
                "refusing to send the token to {url}: not the API's origin {}",
                base.origin().ascii_serialization()
            )));
        }
        let proxy = crate::fetch::http::proxy_for(&parsed).map_err(ApiError::Transport)?;
        let token = format!("Bearer {}", self.token);
        let answer = match (method, body) {
            (m, None) if m == Method::GET => {
                self.prepare(self.agent.get(url), proxy, &token).call()
            }
            (method, body) => {
                let json = serde_json::to_vec(&body).map_err(|e| transport(&e))?;
                let request = if method == Method::PATCH {
                    self.agent.patch(url)
                } else {
                    self.agent.post(url)
                };
                self.prepare(request, proxy, &token)
                    .header(header::CONTENT_TYPE, "application/json")
                    .send(&json[..])
            }
        };
        let mut response = answer.map_err(|e| transport(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = read_body(&mut response)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let message = serde_json::from_str::<ErrorBody>(&text)
            .map(|b| b.message)
            .unwrap_or_else(|_| {
                let text = text.trim();
                if text.is_empty() {
                    status.canonical_reason().unwrap_or("error").to_string()
                } else {
                    text.chars().take(200).collect()
                }
            });
        Err(ApiError::Status {
            status: status.as_u16(),
            message,
        })
    }

    /// The token, `Accept`, timeouts (30 s to connect, 60 s per read), redirects (at most 10,
    /// the token only to the same host) and the proxy of one request.
    fn prepare<B>(
        &self,
        request: ureq::RequestBuilder<B>,
        proxy: Option<ureq::Proxy>,
        token: &str,
    ) -> ureq::RequestBuilder<B> {
        request
            .config()
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_per_read(Some(Duration::from_secs(60)))
            .max_redirects(10)
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::SameHost)
            .proxy(proxy)
            .build()
            .header(header::AUTHORIZATION, token)
            .header(header::ACCEPT, "application/vnd.github+json")
    }

    fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        route: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, ApiError> {
        let url = format!("{}{route}", self.base);
        let mut response = self.send(method, &url, body)?;
        let bytes = read_body(&mut response)?;
        serde_json::from_slice(&bytes).map_err(|e| transport(&e))
    }

    /// Every item of a list, reading every page (`Link: rel="next"`).
    fn all_pages<T: DeserializeOwned>(&self, route: &str) -> Result<Vec<T>, ApiError> {
        let mut url = Some(format!("{}{route}?per_page=100", self.base));
        let mut all = Vec::new();
        while let Some(current) = url.take() {
            let mut response = self.send(Method::GET, &current, None)?;
            url = next_link(response.headers());
            let bytes = read_body(&mut response)?;
            let page: Vec<T> = serde_json::from_slice(&bytes).map_err(|e| transport(&e))?;
            all.extend(page);
        }
        Ok(all)
    }

    /// Every tag name of the repository, reading every page (`Link: rel="next"`).
    pub fn tag_names(&self) -> Result<Vec<String>, ApiError> {
        let route = format!("/repos/{}/tags", self.repository);
        let all: Vec<TagItem> = self.all_pages(&route)?;
        Ok(all.into_iter().map(|t| t.name).collect())
    }

    /// The repository itself (`GET /repos/{owner}/{repo}`): name, description, license, default
    /// branch, as GitHub documents the payload.
    pub fn repository(&self) -> Result<serde_json::Value, ApiError> {
        let route = format!("/repos/{}", self.repository);
        self.json(Method::GET, &route, None)
    }

    /// The committer date of commit `sha` (`GET /repos/{owner}/{repo}/commits/{sha}`,
    /// `commit.committer.date`, RFC 3339), as GitHub documents the payload.
    pub fn commit_date(&self, sha: &str) -> Result<String, ApiError> {
        let route = format!("/repos/{}/commits/{sha}", self.repository);
        let commit: serde_json::Value = self.json(Method::GET, &route, None)?;
        commit["commit"]["committer"]["date"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                ApiError::Transport(format!("the commit {sha} has no commit.committer.date"))
            })
    }

    /// The login the token writes as: `GET /user` for a user's token; an installation token
    /// (GITHUB_TOKEN), which `GET /user` refuses with 403, writes as `github-actions[bot]`.
    pub fn own_login(&self) -> Result<String, ApiError> {
        let answer: Result<User, ApiError> = self.json(Method::GET, "/user", None);
        match answer {
            Ok(user) => Ok(user.login),
            Err(e) if e.status() == Some(403) => Ok(ACTIONS_BOT_LOGIN.to_string()),
            Err(e) => Err(e),
        }
    }

    /// The first comment on issue or pull request `number` that `author` wrote and whose body
    /// contains `marker`. Anyone can paste the marker into a comment: only our own count.
    pub fn find_comment(
        &self,
        number: u64,
        marker: &str,
        author: &str,
    ) -> Result<Option<Comment>, ApiError> {
        let route = format!("/repos/{}/issues/{number}/comments", self.repository);
        let all: Vec<Comment> = self.all_pages(&route)?;
        Ok(all.into_iter().find(|c| {
            c.user.as_ref().is_some_and(|u| u.login == author)
                && c.body.as_deref().is_some_and(|b| b.contains(marker))
        }))
    }

    pub fn create_comment(&self, number: u64, body: &str) -> Result<Comment, ApiError> {
        let route = format!("/repos/{}/issues/{number}/comments", self.repository);
        let body = serde_json::json!({ "body": body });
        self.json(Method::POST, &route, Some(&body))
    }

    /// Updates a comment with `PATCH /repos/{owner}/{repo}/issues/comments/{id}` (the documented
    /// method).
    pub fn update_comment(&self, id: u64, body: &str) -> Result<Comment, ApiError> {
        let route = format!("/repos/{}/issues/comments/{id}", self.repository);
        let body = serde_json::json!({ "body": body });
        self.json(Method::PATCH, &route, Some(&body))
    }
}
