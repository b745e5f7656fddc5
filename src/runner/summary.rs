//! The step summary: markdown appended to `$GITHUB_STEP_SUMMARY`, kept under GitHub's 1 MiB cap.
//!
//! The summary is built as blocks (headings, paragraphs, tables). When it would not fit, whole
//! blocks are dropped from the end and a table is cut between rows (its header kept), then a
//! visible note says what was left out: a reader never sees half a table or a silently short list.

use std::io::Write;
use std::path::Path;

use crate::error::{Failure, Result};

/// GitHub refuses a step summary larger than 1 MiB.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Default, Clone)]
pub struct Summary {
    blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
enum Block {
    Text(String),
    Table { head: String, rows: Vec<String> },
}

impl Block {
    fn len(&self) -> usize {
        match self {
            Block::Text(t) => t.len(),
            Block::Table { head, rows } => {
                head.len() + rows.iter().map(|r| r.len()).sum::<usize>() + 1
            }
        }
    }

    fn render(&self) -> String {
        match self {
            Block::Text(t) => t.clone(),
            Block::Table { head, rows } => {
                let mut s = head.clone();
                for r in rows {
                    s.push_str(r);
                }
                s.push('\n');
                s
            }
        }
    }
}

/// Text that holds untrusted values (a file name, a package's metadata, a tool's output, a
/// reason from a file) for a heading, paragraph or cell. Single backticks pair into code spans,
/// as the binary's own messages use them (`` `name` ``), and a code span renders nothing; outside
/// them `&`, `<`, `>`, `[`, `]`, `\` and any unpaired or doubled backtick become entities, so the
/// text cannot render HTML, an image or a link, nor move where a code span starts or ends.
pub fn text(untrusted: &str) -> String {
    let chars: Vec<char> = untrusted.chars().collect();
    let tick = |i: usize| chars.get(i) == Some(&'`');
    // Lone backticks pair in order, as CommonMark pairs them once every other backtick is an
    // entity (a backslash before one is an entity too, so it cannot escape it).
    let mut delimiters: Vec<usize> = (0..chars.len())
        .filter(|&i| tick(i) && !(i > 0 && tick(i - 1)) && !tick(i + 1))
        .collect();
    if delimiters.len() % 2 == 1 {
        delimiters.pop();
    }
    let mut out = String::with_capacity(untrusted.len());
    let mut in_code = false;
    for (i, &c) in chars.iter().enumerate() {
        if delimiters.binary_search(&i).is_ok() {
            in_code = !in_code;
            out.push('`');
            continue;
        }
        if in_code {
            out.push(c);
            continue;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' => out.push_str("&#96;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '\\' => out.push_str("&#92;"),
            other => out.push(other),
        }
    }
    out
}

/// Untrusted text shown as code. A code span shows `<img>` as written; text holding a backtick
/// (which would close the span) becomes an escaped `<code>` element instead.
pub fn code(untrusted: &str) -> String {
    if untrusted.contains('`') || untrusted.contains(['\r', '\n']) {
        let escaped: String = untrusted
            .chars()
            .map(|c| match c {
                '&' => "&amp;".to_string(),
                '<' => "&lt;".to_string(),
                '>' => "&gt;".to_string(),
                '`' => "&#96;".to_string(),
                '\r' | '\n' => " ".to_string(),
                other => other.to_string(),
            })
            .collect();
        format!("<code>{escaped}</code>")
    } else {
        format!("`{untrusted}`")
    }
}

/// Escapes text for a markdown table cell: pipes and newlines would break the row. Other
/// backslashes are left alone (inside a code span GitHub would show a doubled one as two); only
/// one right before a pipe is doubled, so it cannot cancel the pipe's escape.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => out.push_str("<br>"),
            other => out.push(other),
        }
    }
    out
}

impl Summary {
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    pub fn heading(&mut self, level: usize, text: &str) -> &mut Self {
        let level = level.clamp(1, 6);
        self.blocks.push(Block::Text(format!(
            "{} {}\n\n",
            "#".repeat(level),
            text.trim()
        )));
        self
    }

    pub fn paragraph(&mut self, text: &str) -> &mut Self {
        self.blocks
            .push(Block::Text(format!("{}\n\n", text.trim_end())));
        self
    }

    /// Any markdown, taken as one block.
    pub fn raw(&mut self, markdown: &str) -> &mut Self {
        let mut s = markdown.to_string();
        if !s.ends_with('\n') {
            s.push('\n');
        }
        self.blocks.push(Block::Text(s));
        self
    }

    /// A table; cells are escaped here, so pass plain text (or markdown without pipes).
    pub fn table<S: AsRef<str>>(&mut self, headers: &[&str], rows: &[Vec<S>]) -> &mut Self {
        let mut head = format!(
            "| {} |\n",
            headers
                .iter()
                .map(|h| cell(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        head.push_str(&format!("|{}\n", "---|".repeat(headers.len())));
        let rows = rows
            .iter()
            .map(|r| {
                format!(
                    "| {} |\n",
                    r.iter()
                        .map(|c| cell(c.as_ref()))
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            })
            .collect();
        self.blocks.push(Block::Table { head, rows });
        self
    }

    /// Puts a block before everything else (failures go first).
    pub fn prepend(&mut self, other: Summary) {
        let mut blocks = other.blocks;
        blocks.append(&mut self.blocks);
        self.blocks = blocks;
    }

    /// The markdown, cut to fit in `limit` bytes.
    pub fn render(&self, limit: usize) -> String {
        let total: usize = self.blocks.iter().map(Block::len).sum();
        if total <= limit {
            return self.blocks.iter().map(Block::render).collect();
        }
        const NOTE_ROOM: usize = 256;
        let budget = limit.saturating_sub(NOTE_ROOM);
        let mut out = String::new();
        let mut dropped_rows = 0usize;
        let mut dropped_blocks = 0usize;
        for block in &self.blocks {
            if dropped_blocks > 0 || dropped_rows > 0 {
                dropped_blocks += 1;
                continue;
            }
            if out.len() + block.len() <= budget {
                out.push_str(&block.render());
                continue;
            }
            match block {
                Block::Table { head, rows } if out.len() + head.len() < budget => {
                    out.push_str(head);
                    let mut kept = 0;
                    for r in rows {
                        if out.len() + r.len() + 1 > budget {
                            break;
                        }
                        out.push_str(r);
                        kept += 1;
                    }
                    out.push('\n');
                    dropped_rows = rows.len() - kept;
                }
                _ => dropped_blocks += 1,
            }
        }
        out.push_str(&format!(
            "> [!WARNING]\n> Summary truncated to stay under GitHub's 1 MiB step summary limit: \
             {dropped_rows} table row(s) and {dropped_blocks} section(s) left out. \
             Run with `--format json` or read the job log for everything.\n"
        ));
        out
    }

    /// Appends to the step summary file, counting what earlier steps of this step already wrote.
    pub fn append_to(&self, path: &Path) -> Result<()> {
        let existing = std::fs::metadata(path)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        let text = self.render(SUMMARY_LIMIT.saturating_sub(existing));
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                Failure::usage(
                    "Cannot write the step summary",
                    format!("GITHUB_STEP_SUMMARY={}: {e}", path.display()),
                )
            })?;
        file.write_all(text.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_tables_between_rows_and_says_so() {
        let mut s = Summary::default();
        s.heading(2, "Big");
        let rows: Vec<Vec<String>> = (0..50_000)
            .map(|i| vec![format!("row {i}"), "x".repeat(40)])
            .collect();
        s.table(&["name", "value"], &rows);
        s.paragraph("after");
        let out = s.render(SUMMARY_LIMIT);
        assert!(out.len() <= SUMMARY_LIMIT);
        assert!(out.contains("Summary truncated"));
        // Every table line is whole: starts and ends with a pipe.
        for line in out.lines().filter(|l| l.starts_with('|')) {
            assert!(line.ends_with('|'), "cut row: {line}");
        }
        assert!(!out.contains("after"));
    }

    #[test]
    fn untrusted_text_cannot_render_html_links_or_code() {
        assert_eq!(
            text("<img src=x> & `a <b>` [l](u)"),
            "&lt;img src=x&gt; &amp; `a <b>` &#91;l&#93;(u)"
        );
        // A value that closes the binary's code span opens none of its own.
        assert_eq!(
            text("`eval(`<img>`)` matches"),
            "`eval(`&lt;img&gt;`)` matches"
        );
        assert_eq!(
            text("``<a>`` \\`<b>` `x"),
            "&#96;&#96;&lt;a&gt;&#96;&#96; &#92;`<b>` &#96;x"
        );
        assert_eq!(code("<img>"), "`<img>`");
        assert_eq!(code("a`<b>"), "<code>a&#96;&lt;b&gt;</code>");
    }

    #[test]
    fn cells_cannot_break_rows() {
        assert_eq!(cell("a|b\nc"), "a\\|b<br>c");
        assert_eq!(cell("x\r\ny"), "x<br>y");
        assert_eq!(cell(r"console\.log\("), r"console\.log\(");
        assert_eq!(cell(r"a\|b"), r"a\\\|b");
    }
}
