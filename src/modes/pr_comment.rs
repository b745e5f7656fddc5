//! The pull-request comment, shared by the modes that explain a failure on the pull request
//! (version-guard, publish-check, smoke-install, verify, verify-bundle): one comment per mode and
//! step, found again by a hidden marker, says why the run failed; a later passing run updates it
//! to say so. Commenting never decides the run: a token that may not comment (fork pull requests
//! get a read-only one) is a warning, and only the token's own comments are edited.

use crate::error::{Failure, Kind, Result, Table};
use crate::github::api::{Api, ApiError};
use crate::github::Context;
use crate::runner::{self, inputs, Runner};

/// `comment-on-pr` and `token`, for the modes whose failures are explained on the pull request.
#[derive(Debug, Clone, clap::Args)]
pub struct CommentArgs {
    /// On pull requests, explain a failure in one comment (updated when a later run passes).
    #[arg(long, value_name = "BOOL", value_parser = inputs::boolean, default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    pub comment_on_pr: bool,

    /// GitHub token for the pull-request comment (`pull-requests: write`); default GITHUB_TOKEN.
    #[arg(long)]
    pub token: Option<String>,
}

/// The hidden marker of one comment: `key` names the mode and whatever keeps two of its steps
/// apart (version-guard: the tag prefix; the other modes: the step's `GITHUB_ACTION` id).
pub fn marker(key: &str) -> String {
    format!("<!-- release-action:{key} -->")
}

/// Text for the comment's markdown that can render as nothing but text: the failure quotes
/// values from files, tags, inputs and registries a pull request controls, which must not become
/// links, images or HTML. Markdown punctuation is backslash-escaped; `<`, `>` and `&` become
/// entities (a backslash does not stop raw HTML); `:` is escaped so `https://…` is not
/// autolinked, and the dot after `www` likewise. Newlines stay: they separate the message's lines.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut previous = String::new();
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '!' | '#' | '|' | '~' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '.' if previous.to_ascii_lowercase().ends_with("www") => out.push_str("\\."),
            '\r' => {}
            _ => out.push(c),
        }
        previous.push(c);
        if previous.len() > 3 {
            previous.remove(0);
        }
    }
    out
}

/// [`escape_markdown`], but a pair of backticks on one line stays a code span: `base-version`
/// renders as code. A code span renders its content literally (no link, image, HTML or
/// emphasis), so what is inside needs no escaping; an unpaired or empty pair is escaped.
pub fn escape_markdown_keeping_code(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for (i, part) in parts.iter().enumerate() {
        let inside = i % 2 == 1;
        let closed = i + 1 < parts.len();
        if inside && closed && !part.trim().is_empty() && !part.contains(['\n', '\r']) {
            out.push('`');
            out.push_str(part);
            out.push('`');
            continue;
        }
        if inside {
            out.push_str("\\`");
        }
        out.push_str(&escape_markdown(part));
        if inside && closed {
            out.push_str("\\`");
        }
    }
    out
}

/// A markdown table whose every cell is escaped text (no code spans: a cell's backticks come
/// from registry answers as often as from our own messages); `\|` keeps a pipe in its cell and
/// a newline becomes `<br>`.
pub fn table(table: &Table) -> String {
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells
            .iter()
            .map(|c| escape_markdown(c).replace('\n', "<br>"))
            .collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut out = row(&table.headers);
    out.push_str(&format!("|{}\n", "---|".repeat(table.headers.len())));
    for cells in &table.rows {
        out.push_str(&row(cells));
    }
    out
}

/// What the comment says for a run.
pub enum Body {
    /// The run failed: create or update the comment.
    Failed(String),
    /// The run passed: update an existing comment, post none.
    Passed(String),
}

/// Creates, updates or leaves the comment marked `marker` on the pull request for `body`.
pub fn sync(runner: &Runner, ctx: &Context, token: Option<&str>, marker: &str, body: &Body) {
    let Some(token) = token else {
        if matches!(body, Body::Failed(_)) {
            runner.log("no token: the failure is not commented on the pull request");
        }
        return;
    };
    let (Some(number), Some(repository)) = (ctx.pull_request_number(), ctx.repository.as_deref())
    else {
        runner.log("no pull request number or GITHUB_REPOSITORY: no comment");
        return;
    };
    let outcome = (|| -> std::result::Result<String, ApiError> {
        let api = Api::new(&ctx.api_url, token, repository)?;
        let own = api.own_login()?;
        let existing = api.find_comment(number, marker, &own)?;
        match (body, existing) {
            (Body::Failed(text), Some(c)) => {
                api.update_comment(c.id, text)?;
                Ok(format!("updated comment {} on #{number}", c.id))
            }
            (Body::Failed(text), None) => {
                let c = api.create_comment(number, text)?;
                Ok(format!("commented on #{number} (comment {})", c.id))
            }
            (Body::Passed(text), Some(c)) => {
                api.update_comment(c.id, text)?;
                Ok(format!("updated comment {} on #{number}: passes now", c.id))
            }
            (Body::Passed(_), None) => Ok("passes; nothing to comment".to_string()),
        }
    })();
    match outcome {
        Ok(message) => runner.log(&message),
        Err(e) if e.status() == Some(403) => runner.warning(&format!(
            "cannot comment on pull request #{number} ({e}): the token may not write to pull requests \
             (pull requests from forks get a read-only token). Grant `pull-requests: write`, or set \
             `comment-on-pr: false`."
        )),
        Err(e) => runner.warning(&format!("cannot comment on pull request #{number}: {e}")),
    }
}

/// The `token` input, else GITHUB_TOKEN.
pub fn token(input: Option<&str>, runner: &Runner) -> Option<String> {
    input
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .or_else(|| runner.env().github_token.clone())
}

/// The marker key of `mode`'s comment: the mode, the job (`GITHUB_JOB`) and a short hash of what
/// the step checks (`scope`: its packages, images or bundle), so two steps of one mode keep their
/// own comments. Not the step's `GITHUB_ACTION`: inside the composite action every use of a mode
/// runs as the same inner step (`run`), so two jobs would share, and overwrite, one comment: a
/// passing job could mark another job's failure as passed.
fn key(mode: &str, scope: &str) -> String {
    use sha2::{Digest as _, Sha256};
    let scope = hex::encode(&Sha256::digest(scope.as_bytes())[..4]);
    match runner::env::string("GITHUB_JOB").filter(|s| !s.trim().is_empty()) {
        Some(job) => {
            // Inside an HTML comment: nothing that could close it.
            let mut job: String = job
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            while job.contains("--") {
                job = job.replace("--", "-");
            }
            format!("{mode} job={job} scope={scope}")
        }
        None => format!("{mode} scope={scope}"),
    }
}

fn failure_body(marker: &str, mode: &str, failure: &Failure, sha: Option<&str>) -> String {
    let mut body = format!(
        "{marker}\n### ❌ {mode}: {}\n\n",
        escape_markdown_keeping_code(&failure.title)
    );
    match &failure.table {
        Some(t) => {
            let lead = failure.message.lines().next().unwrap_or_default();
            body.push_str(&format!(
                "{}\n\n{}",
                escape_markdown_keeping_code(lead),
                table(t)
            ));
        }
        None => body.push_str(&format!(
            "{}\n",
            escape_markdown_keeping_code(&failure.message)
        )),
    }
    if let Some(fix) = &failure.fix {
        body.push_str(&format!(
            "\n**How to fix:** {}\n",
            escape_markdown_keeping_code(fix)
        ));
    }
    if let Some(sha) = sha {
        body.push_str(&format!("\n<sub>Checked commit {sha}.</sub>\n"));
    }
    body
}

fn passing_body(marker: &str, mode: &str, sha: Option<&str>) -> String {
    let mut body =
        format!("{marker}\n### ✅ {mode} passes\n\nThe problem reported here earlier is fixed.\n");
    if let Some(sha) = sha {
        body.push_str(&format!("\n<sub>Checked commit {sha}.</sub>\n"));
    }
    body
}

/// Runs `mode`'s check and, on a pull-request event with `comment-on-pr`, explains a guard
/// failure (exit 1) in the mode's comment or marks an earlier one as passed. A run that could
/// not check (exit 2) leaves the comment as it is: it neither failed nor passed the check.
pub fn run_commenting(
    mode: &str,
    scope: &str,
    args: &CommentArgs,
    runner: &mut Runner,
    check: impl FnOnce(&mut Runner) -> Result<()>,
) -> Result<()> {
    if !args.comment_on_pr {
        return check(runner);
    }
    let ctx = match Context::from_env(&std::env::current_dir()?) {
        Ok(ctx) if ctx.is_pull_request_event() => Some(ctx),
        Ok(_) => None,
        // Commenting never decides the run, but a comment that cannot be made is said.
        Err(e) => {
            runner.warning(&format!(
                "cannot read the event (no pull-request comment): {}",
                e.message
            ));
            None
        }
    };
    let token = token(args.token.as_deref(), runner);
    if let Some(t) = &token {
        runner.mask(t);
    }
    let result = check(runner);
    let Some(ctx) = ctx else {
        return result;
    };
    let sha = ctx
        .pull_request_head_sha()
        .or_else(|| ctx.github_sha.clone());
    let marker = marker(&key(mode, scope));
    let body = match &result {
        Ok(()) => Body::Passed(passing_body(&marker, mode, sha.as_deref())),
        Err(f) if f.kind == Kind::Guard => {
            Body::Failed(failure_body(&marker, mode, f, sha.as_deref()))
        }
        Err(_) => return result,
    };
    runner.phase("comment", |r| {
        sync(r, &ctx, token.as_deref(), &marker, &body);
        Ok(())
    })?;
    result
}

#[cfg(test)]
mod tests {
    use super::escape_markdown_keeping_code as keep;
    use super::*;

    #[test]
    fn code_spans_render_and_everything_else_stays_escaped() {
        assert_eq!(keep("set `base-version`"), "set `base-version`");
        assert_eq!(
            keep("tag `<img src=x>` then [a](https://e.x)"),
            "tag `<img src=x>` then \\[a\\](https\\://e.x)"
        );
        assert_eq!(keep("odd ` <b>"), "odd \\` &lt;b&gt;");
        assert_eq!(keep("empty `` pair"), "empty \\`\\` pair");
        assert_eq!(keep("a `x\ny` b"), "a \\`x\ny\\` b");
    }

    #[test]
    fn table_cells_are_text_and_cannot_break_the_row() {
        let t = Table {
            headers: vec!["Artifact".into(), "Found".into()],
            rows: vec![vec![
                "`a`".into(),
                "<img src=x> [x](http://e.x) | ::error::x\nnext".into(),
            ]],
        };
        assert_eq!(
            table(&t),
            "| Artifact | Found |\n|---|---|\n| \\`a\\` | &lt;img src=x&gt; \\[x\\](http\\://e.x) \\| \\:\\:error\\:\\:x<br>next |\n"
        );
    }
}
