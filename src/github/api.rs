//! The GitHub REST API, through octocrab: release tags (every page), the repository's metadata, a
//! commit's date and pull-request comments.
//!
//! Blocking on the outside: a current-thread tokio runtime is created only when an `Api` is made,
//! so runs that never touch the API start no runtime. `GITHUB_API_URL` is the base, so GitHub
//! Enterprise Server (`https://ghe.example.com/api/v3`) works.

use std::time::Duration;

use octocrab::{Octocrab, Page};
use serde::Deserialize;

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

fn api_error(err: octocrab::Error) -> ApiError {
    match err {
        octocrab::Error::GitHub { source, .. } => ApiError::Status {
            status: source.status_code.as_u16(),
            message: source.message.clone(),
        },
        other => {
            // The error's Display is terse; its source chain says what actually failed.
            let mut message = other.to_string();
            let mut source = std::error::Error::source(&other);
            while let Some(s) = source {
                message.push_str(&format!(": {s}"));
                source = s.source();
            }
            ApiError::Transport(message)
        }
    }
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
    runtime: tokio::runtime::Runtime,
    crab: Octocrab,
    /// `owner/name`
    repository: String,
}

impl Api {
    /// A client for `repository` (`owner/name`) at `api_url`, authenticated with `token`.
    pub fn new(api_url: &str, token: &str, repository: &str) -> Result<Api, ApiError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ApiError::Transport(format!("cannot start the HTTP runtime: {e}")))?;
        let base = api_url.trim_end_matches('/').to_string();
        // octocrab's builder registers tower services, which needs a runtime context.
        let crab = runtime.block_on(async {
            Octocrab::builder()
                .base_uri(base.as_str())
                .map_err(api_error)?
                .personal_token(token.to_string())
                .set_connect_timeout(Some(Duration::from_secs(30)))
                .set_read_timeout(Some(Duration::from_secs(60)))
                .build()
                .map_err(api_error)
        })?;
        Ok(Api {
            runtime,
            crab,
            repository: repository.to_string(),
        })
    }

    /// Every tag name of the repository, reading every page (`Link: rel="next"`).
    pub fn tag_names(&self) -> Result<Vec<String>, ApiError> {
        let route = format!("/repos/{}/tags", self.repository);
        self.runtime.block_on(async {
            let first: Page<TagItem> = self
                .crab
                .get(&route, Some(&[("per_page", "100")]))
                .await
                .map_err(api_error)?;
            let all = self.crab.all_pages(first).await.map_err(api_error)?;
            Ok(all.into_iter().map(|t| t.name).collect())
        })
    }

    /// The repository itself (`GET /repos/{owner}/{repo}`): name, description, license, default
    /// branch, as GitHub documents the payload.
    pub fn repository(&self) -> Result<serde_json::Value, ApiError> {
        let route = format!("/repos/{}", self.repository);
        self.runtime
            .block_on(async { self.crab.get(route, None::<&()>).await.map_err(api_error) })
    }

    /// The committer date of commit `sha` (`GET /repos/{owner}/{repo}/commits/{sha}`,
    /// `commit.committer.date`, RFC 3339), as GitHub documents the payload.
    pub fn commit_date(&self, sha: &str) -> Result<String, ApiError> {
        let route = format!("/repos/{}/commits/{sha}", self.repository);
        let commit: serde_json::Value = self
            .runtime
            .block_on(async { self.crab.get(route, None::<&()>).await.map_err(api_error) })?;
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
        let answer: Result<User, ApiError> = self
            .runtime
            .block_on(async { self.crab.get("/user", None::<&()>).await.map_err(api_error) });
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
        self.runtime.block_on(async {
            let first: Page<Comment> = self
                .crab
                .get(&route, Some(&[("per_page", "100")]))
                .await
                .map_err(api_error)?;
            let all = self.crab.all_pages(first).await.map_err(api_error)?;
            Ok(all.into_iter().find(|c| {
                c.user.as_ref().is_some_and(|u| u.login == author)
                    && c.body.as_deref().is_some_and(|b| b.contains(marker))
            }))
        })
    }

    pub fn create_comment(&self, number: u64, body: &str) -> Result<Comment, ApiError> {
        let route = format!("/repos/{}/issues/{number}/comments", self.repository);
        self.runtime.block_on(async {
            self.crab
                .post(route, Some(&serde_json::json!({ "body": body })))
                .await
                .map_err(api_error)
        })
    }

    /// Updates a comment with `PATCH /repos/{owner}/{repo}/issues/comments/{id}` (the documented
    /// method; octocrab's own helper sends POST).
    pub fn update_comment(&self, id: u64, body: &str) -> Result<Comment, ApiError> {
        let route = format!("/repos/{}/issues/comments/{id}", self.repository);
        self.runtime.block_on(async {
            self.crab
                .patch(route, Some(&serde_json::json!({ "body": body })))
                .await
                .map_err(api_error)
        })
    }
}
