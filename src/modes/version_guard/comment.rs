//! The pull-request comment: when the guard fails on a pull request, one comment (found again by a
//! hidden marker) says why and how to fix it; when a later run passes, the same comment says so.
//! Commenting never decides the run: a token that may not comment (fork pull requests get a
//! read-only one) is a warning.

use super::Decision;
use crate::error::{Failure, Result};
use crate::github::api::{Api, ApiError};
use crate::github::Context;
use crate::runner::Runner;

/// The hidden marker; the tag prefix keeps monorepo guards (one per package) apart.
pub(super) fn marker(tag_prefix: &str) -> String {
    format!("<!-- release-action:version-guard tag-prefix={tag_prefix} -->")
}

/// Text for the comment's markdown that can render as nothing but text: the failure quotes
/// values from files, tags and inputs a pull request controls, which must not become links,
/// images or HTML. Markdown punctuation is backslash-escaped; `<`, `>` and `&` become entities
/// (a backslash does not stop raw HTML); `:` is escaped so `https://…` is not autolinked, and the
/// dot after `www` likewise. Newlines stay: they separate the message's lines.
pub(super) fn escape_markdown(text: &str) -> String {
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
pub(super) fn escape_markdown_keeping_code(text: &str) -> String {
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

pub(super) fn failure_body(d: &Decision, failure: &Failure) -> String {
    let mut body = format!(
        "{}\n### ❌ version-guard: {}\n\n{}\n",
        marker(&d.tag_prefix),
        escape_markdown_keeping_code(&failure.title),
        escape_markdown_keeping_code(&failure.message)
    );
    if let Some(fix) = &failure.fix {
        body.push_str(&format!(
            "\n**How to fix:** {}\n",
            escape_markdown_keeping_code(fix)
        ));
    }
    if let Some(sha) = &d.sha {
        body.push_str(&format!("\n<sub>Checked commit {sha}.</sub>\n"));
    }
    body
}

pub(super) fn passing_body(d: &Decision) -> String {
    let mut body = format!(
        "{}\n### ✅ version-guard passes\n\nThe problem reported here earlier is fixed.\n",
        marker(&d.tag_prefix)
    );
    let mut rows = vec![
        ("Channel", d.channel.clone().unwrap_or_else(|| "—".into())),
        (
            "Base version",
            d.base_version.clone().unwrap_or_else(|| "—".into()),
        ),
    ];
    rows.extend(d.versions_by_label());
    body.push_str("\n| | Value |\n|---|---|\n");
    for (name, value) in rows {
        body.push_str(&format!(
            "| {name} | {} |\n",
            crate::runner::summary::cell(&escape_markdown(&value))
        ));
    }
    if let Some(sha) = &d.sha {
        body.push_str(&format!("\n<sub>Checked commit {sha}.</sub>\n"));
    }
    body
}

/// Creates, updates or leaves the comment for this run's result.
pub(super) fn sync(
    runner: &Runner,
    ctx: &Context,
    token: Option<&str>,
    decision: &Decision,
    result: &Result<()>,
) {
    let Some(token) = token else {
        if result.is_err() {
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
        let existing = api.find_comment(number, &marker(&decision.tag_prefix), &own)?;
        match (result, existing) {
            (Err(failure), Some(c)) => {
                api.update_comment(c.id, &failure_body(decision, failure))?;
                Ok(format!("updated comment {} on #{number}", c.id))
            }
            (Err(failure), None) => {
                let c = api.create_comment(number, &failure_body(decision, failure))?;
                Ok(format!("commented on #{number} (comment {})", c.id))
            }
            (Ok(()), Some(c)) => {
                api.update_comment(c.id, &passing_body(decision))?;
                Ok(format!("updated comment {} on #{number}: passes now", c.id))
            }
            (Ok(()), None) => Ok("passes; nothing to comment".to_string()),
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

#[cfg(test)]
mod code_span_tests {
    use super::escape_markdown_keeping_code as keep;

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
}
