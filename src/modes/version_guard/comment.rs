//! The pull-request comment: when the guard fails on a pull request, one comment (found again by a
//! hidden marker) says why and how to fix it; when a later run passes, the same comment says so.
//! Commenting never decides the run: a token that may not comment (fork pull requests get a
//! read-only one) is a warning.

use super::Decision;
use crate::error::{Failure, Result};
use crate::github::Context;
use crate::modes::pr_comment::{self, escape_markdown, escape_markdown_keeping_code, Body};
use crate::runner::Runner;

/// The hidden marker; the tag prefix keeps monorepo guards (one per package) apart.
pub(super) fn marker(tag_prefix: &str) -> String {
    pr_comment::marker(&format!("version-guard tag-prefix={tag_prefix}"))
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
    let body = match result {
        Err(failure) => Body::Failed(failure_body(decision, failure)),
        Ok(()) => Body::Passed(passing_body(decision)),
    };
    pr_comment::sync(runner, ctx, token, &marker(&decision.tag_prefix), &body);
}
