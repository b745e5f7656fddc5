//! A local stand-in for the GitHub REST API on 127.0.0.1: a tiny HTTP/1.1 server in a thread that
//! speaks GitHub's documented payloads, `Link` pagination and error bodies, and records every
//! request. Point the binary at it with `GITHUB_API_URL`.
//!
//! Endpoints:
//! - `GET  {base}/repos/{owner}/{repo}` (when `State::repo` is set)
//! - `GET  {base}/repos/{owner}/{repo}/tags?per_page=N&page=P`
//! - `GET  {base}/repos/{owner}/{repo}/issues/{n}/comments?per_page=N&page=P`
//! - `POST {base}/repos/{owner}/{repo}/issues/{n}/comments`
//! - `PATCH {base}/repos/{owner}/{repo}/issues/comments/{id}`
//! - `GET  {base}/user`: the token's user; 403 "Resource not accessible by integration" for an
//!   installation token such as `GITHUB_TOKEN` (whose comments `github-actions[bot]` authors)

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Request {
    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub(crate) fn query(&self, name: &str) -> Option<String> {
        let query = self.target.split_once('?')?.1;
        query.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Comment {
    pub id: u64,
    pub issue: u64,
    pub body: String,
    /// The author's login; empty for "someone else" (`octocat`, a user).
    pub author: String,
}

/// The bot that authors what `GITHUB_TOKEN` writes.
pub(crate) const ACTIONS_BOT: &str = "github-actions[bot]";

/// What the fake GitHub holds and how it misbehaves.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// `owner/repo` this server knows; any other repository is a 404.
    pub repository: String,
    pub token: String,
    /// Tag names, in the order the API lists them.
    pub tags: Vec<String>,
    /// The repository object `GET /repos/{owner}/{repo}` answers; a 404 when `None`.
    pub repo: Option<serde_json::Value>,
    pub comments: Vec<Comment>,
    pub next_comment_id: u64,
    /// Answer writes (POST/PATCH) with 403, as GitHub does for a fork's read-only token.
    pub forbid_writes: bool,
    /// The token's user (a personal access token): `GET /user` answers it and it authors new
    /// comments. `None`: an installation token (`GET /user` is 403; `github-actions[bot]` authors).
    pub token_user: Option<String>,
    /// Commit sha → committer date (RFC 3339) for `GET /repos/{owner}/{repo}/commits/{sha}`;
    /// another sha is a 422 "No commit found for SHA", as GitHub answers.
    pub commit_dates: std::collections::BTreeMap<String, String>,
    /// An origin (`http://host:port`) the `Link` header's URLs point to instead of this server's:
    /// a hostile or confused API sending the client elsewhere with its token.
    pub link_origin: Option<String>,
    pub requests: Vec<Request>,
}

pub(crate) struct GitHubApi {
    pub state: Arc<Mutex<State>>,
    port: u16,
    /// Path prefix of the API (`/api/v3` on GitHub Enterprise Server), empty on github.com.
    prefix: String,
}

impl GitHubApi {
    pub(crate) fn start(repository: &str, token: &str) -> GitHubApi {
        Self::start_at(repository, token, "")
    }

    /// A server whose API lives under `prefix` (e.g. `/api/v3`).
    pub(crate) fn start_at(repository: &str, token: &str, prefix: &str) -> GitHubApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            repository: repository.to_string(),
            token: token.to_string(),
            next_comment_id: 1000,
            ..Default::default()
        }));
        let shared = state.clone();
        let prefix_owned = prefix.to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let state = shared.clone();
                let prefix = prefix_owned.clone();
                std::thread::spawn(move || serve_connection(stream, state, port, &prefix));
            }
        });
        GitHubApi {
            state,
            port,
            prefix: prefix.to_string(),
        }
    }

    /// The value for `GITHUB_API_URL`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.port, self.prefix)
    }

    pub(crate) fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    pub(crate) fn comments(&self) -> Vec<Comment> {
        self.state.lock().unwrap().comments.clone()
    }

    pub(crate) fn with(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap());
    }
}

fn serve_connection(stream: TcpStream, state: Arc<Mutex<State>>, port: u16, prefix: &str) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    // Keep-alive: answer requests until the client closes the connection.
    while let Some(request) = read_request(&mut reader) {
        let (status, headers, body) = {
            let mut state = state.lock().unwrap();
            state.requests.push(request.clone());
            let (status, mut headers, body) = respond(&mut state, &request, port, prefix);
            if let Some(origin) = &state.link_origin {
                let ours = format!("http://127.0.0.1:{port}");
                for (k, v) in &mut headers {
                    if k == "Link" {
                        *v = v.replace(&ours, origin);
                    }
                }
            }
            (status, headers, body)
        };
        let reason = match status {
            200 => "OK",
            201 => "Created",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            _ => "Status",
        };
        let mut head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(body.as_bytes()).is_err()
        {
            return;
        }
        let _ = writer.flush();
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_lowercase(), v.trim().to_string());
        }
    }
    let mut body = Vec::new();
    if let Some(len) = headers
        .get("content-length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        body.resize(len, 0);
        reader.read_exact(&mut body).ok()?;
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    Some(Request {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn error(status: u16, message: &str) -> (u16, Vec<(String, String)>, String) {
    (
        status,
        Vec::new(),
        serde_json::json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.to_string(),
        })
        .to_string(),
    )
}

/// One page of `items` with GitHub's `Link` header (`next`, `last`, `first`, `prev`).
fn page(
    items: Vec<serde_json::Value>,
    request: &Request,
    port: u16,
) -> (u16, Vec<(String, String)>, String) {
    let per_page: usize = request
        .query("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page: usize = request
        .query("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let pages = items.len().div_ceil(per_page).max(1);
    let slice: Vec<_> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let link = |p: usize, rel: &str| {
        format!(
            "<http://127.0.0.1:{port}{}?per_page={per_page}&page={p}>; rel=\"{rel}\"",
            request.path()
        )
    };
    let mut links = Vec::new();
    if page < pages {
        links.push(link(page + 1, "next"));
        links.push(link(pages, "last"));
    }
    if page > 1 {
        links.push(link(page - 1, "prev"));
        links.push(link(1, "first"));
    }
    let mut headers = Vec::new();
    if !links.is_empty() {
        headers.push(("Link".to_string(), links.join(", ")));
    }
    (200, headers, serde_json::Value::Array(slice).to_string())
}

fn user_json(login: &str) -> serde_json::Value {
    let bot = login.ends_with("[bot]");
    serde_json::json!({
        "login": login, "id": if bot { 41898282 } else { 583231 }, "node_id": "MDQ6VXNlcjU4MzIzMQ==",
        "type": if bot { "Bot" } else { "User" }, "site_admin": false,
        "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4", "gravatar_id": "",
        "url": format!("https://api.github.com/users/{login}"), "html_url": format!("https://github.com/{login}"),
        "followers_url": "", "following_url": "", "gists_url": "", "starred_url": "", "subscriptions_url": "",
        "organizations_url": "", "repos_url": "", "events_url": "", "received_events_url": ""
    })
}

fn comment_json(c: &Comment, port: u16, repository: &str) -> serde_json::Value {
    let author = if c.author.is_empty() {
        "octocat"
    } else {
        c.author.as_str()
    };
    serde_json::json!({
        "id": c.id,
        "node_id": format!("IC_{}", c.id),
        "url": format!("http://127.0.0.1:{port}/repos/{repository}/issues/comments/{}", c.id),
        "html_url": format!("https://github.com/{repository}/pull/{}#issuecomment-{}", c.issue, c.id),
        "issue_url": format!("http://127.0.0.1:{port}/repos/{repository}/issues/{}", c.issue),
        "body": c.body,
        "user": user_json(author),
        "created_at": "2024-01-02T03:04:05Z",
        "updated_at": "2024-01-02T03:04:05Z",
        "author_association": "NONE",
    })
}

/// `GET /repos/{owner}/{repo}/commits/{sha}`: the documented commit object, or GitHub's 422.
fn commit(state: &State, sha: &str, port: u16) -> (u16, Vec<(String, String)>, String) {
    let Some(date) = state.commit_dates.get(sha) else {
        return error(422, &format!("No commit found for SHA: {sha}"));
    };
    let repository = &state.repository;
    let person = serde_json::json!({"name": "Monalisa Octocat", "email": "support@github.com", "date": date});
    let body = serde_json::json!({
        "sha": sha,
        "url": format!("http://127.0.0.1:{port}/repos/{repository}/commits/{sha}"),
        "commit": {
            "author": person,
            "committer": person,
            "message": "Fix all the bugs",
            "tree": {"sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"},
        },
        "parents": [],
    });
    (200, Vec::new(), body.to_string())
}

fn respond(
    state: &mut State,
    request: &Request,
    port: u16,
    prefix: &str,
) -> (u16, Vec<(String, String)>, String) {
    let auth = request
        .headers
        .get("authorization")
        .cloned()
        .unwrap_or_default();
    if auth != format!("Bearer {}", state.token) && auth != format!("token {}", state.token) {
        return error(401, "Bad credentials");
    }
    let Some(path) = request.path().strip_prefix(prefix) else {
        return error(404, "Not Found");
    };
    if request.method == "GET" && path == "/user" {
        return match &state.token_user {
            Some(login) => (200, Vec::new(), user_json(login).to_string()),
            None => error(403, "Resource not accessible by integration"),
        };
    }
    if request.method == "GET" && path == format!("/repos/{}", state.repository) {
        return match &state.repo {
            Some(repo) => (200, Vec::new(), repo.to_string()),
            None => error(404, "Not Found"),
        };
    }
    let repo_prefix = format!("/repos/{}/", state.repository);
    let Some(rest) = path.strip_prefix(&repo_prefix) else {
        return error(404, "Not Found");
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let repository = state.repository.clone();
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["tags"]) => {
            let items = state
                .tags
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "name": t,
                        "commit": {"sha": "c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc", "url": format!("http://127.0.0.1:{port}/repos/{repository}/commits/c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc")},
                        "zipball_url": format!("http://127.0.0.1:{port}/repos/{repository}/zipball/{t}"),
                        "tarball_url": format!("http://127.0.0.1:{port}/repos/{repository}/tarball/{t}"),
                        "node_id": "MDM6UmVmcmVmcy90YWdzL3YwLjEuMA==",
                    })
                })
                .collect();
            page(items, request, port)
        }
        ("GET", ["commits", sha]) => commit(state, sha, port),
        ("GET", ["issues", n, "comments"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            let items = state
                .comments
                .iter()
                .filter(|c| c.issue == n)
                .map(|c| comment_json(c, port, &repository))
                .collect();
            page(items, request, port)
        }
        ("POST", ["issues", n, "comments"]) => {
            if state.forbid_writes {
                return error(403, "Resource not accessible by integration");
            }
            let body: serde_json::Value = serde_json::from_str(&request.body).unwrap_or_default();
            let c = Comment {
                id: state.next_comment_id,
                issue: n.parse().unwrap_or(0),
                body: body["body"].as_str().unwrap_or("").to_string(),
                author: state
                    .token_user
                    .clone()
                    .unwrap_or_else(|| ACTIONS_BOT.to_string()),
            };
            state.next_comment_id += 1;
            state.comments.push(c.clone());
            (
                201,
                Vec::new(),
                comment_json(&c, port, &repository).to_string(),
            )
        }
        ("PATCH", ["issues", "comments", id]) => {
            if state.forbid_writes {
                return error(403, "Resource not accessible by integration");
            }
            let id: u64 = id.parse().unwrap_or(0);
            let body: serde_json::Value = serde_json::from_str(&request.body).unwrap_or_default();
            let Some(c) = state.comments.iter_mut().find(|c| c.id == id) else {
                return error(404, "Not Found");
            };
            c.body = body["body"].as_str().unwrap_or("").to_string();
            let c = c.clone();
            (
                200,
                Vec::new(),
                comment_json(&c, port, &repository).to_string(),
            )
        }
        _ => error(404, "Not Found"),
    }
}
