//! What a newcomer meets first: the README's links and the demo tour.
//!
//! - Every relative link and anchor in README.md and docs/ points at a file and a heading that
//!   exist (no network: external links are not followed).
//! - `examples/demo.sh` tours every mode on a machine that has only what `cargo build` and Node
//!   provide (no pnpm on PATH) and ends with a table in which every run has its expected exit code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::harness::BIN;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The markdown files a reader follows links through.
fn markdown_files() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = vec![root.join("README.md")];
    for dir in ["docs", "."] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "md") && !files.contains(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Markdown text with fenced code blocks and inline code spans blanked out, line by line.
fn prose_lines(text: &str) -> Vec<String> {
    let mut in_fence = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            lines.push(String::new());
            continue;
        }
        if in_fence {
            lines.push(String::new());
            continue;
        }
        let mut out = String::new();
        let mut in_code = false;
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
                out.push(' ');
            } else {
                out.push(if in_code { ' ' } else { c });
            }
        }
        lines.push(out);
    }
    lines
}

/// GitHub's heading anchors: lower case, punctuation dropped (but `-` and `_`), spaces to `-`;
/// a repeated heading gets `-1`, `-2`, ….
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let n = seen.entry(slug.clone()).or_insert(0);
        out.insert(if *n == 0 {
            slug.clone()
        } else {
            format!("{slug}-{n}")
        });
        *n += 1;
    }
    out
}

/// `(line number, target)` of every inline link and image in the prose.
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let re = regex::Regex::new(r"\]\(([^)\s]+)(?:\s+[^)]*)?\)").unwrap();
    let reference = regex::Regex::new(r"^\s*\[[^\]]+\]:\s*(\S+)").unwrap();
    let mut out = Vec::new();
    for (i, line) in prose_lines(text).iter().enumerate() {
        for cap in re.captures_iter(line) {
            out.push((i + 1, cap[1].to_string()));
        }
        if let Some(cap) = reference.captures(line) {
            out.push((i + 1, cap[1].to_string()));
        }
    }
    out
}

fn is_external(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// Every broken relative link or anchor in `files`, as `file:line: target (why)`.
fn broken_links(files: &[PathBuf]) -> Vec<String> {
    let root = repo_root();
    let mut broken = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        for (line, target) in link_targets(&text) {
            if is_external(&target) {
                continue;
            }
            let (path_part, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let dest = if path_part.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path_part)
            };
            if !dest.exists() {
                broken.push(format!("{shown}:{line}: {target} (no such file)"));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            if dest.extension().is_some_and(|e| e == "md") {
                let dest_text = std::fs::read_to_string(&dest).unwrap();
                if !anchors(&dest_text).contains(&anchor.to_lowercase()) {
                    broken.push(format!("{shown}:{line}: {target} (no such heading)"));
                }
            }
        }
    }
    broken
}

#[test]
fn every_relative_link_and_anchor_in_the_docs_points_somewhere() {
    let files = markdown_files();
    assert!(
        files.len() > 3,
        "expected README.md and docs/*.md, found {files:?}"
    );
    let broken = broken_links(&files);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_check_finds_a_missing_file_and_a_missing_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("doc.md");
    std::fs::write(
        dir.path().join("other.md"),
        "# Other page\n## `a-b` and c\n",
    )
    .unwrap();
    std::fs::write(
        &doc,
        "# Title\n\n## Publish → smoke\n\n[ok](other.md#a-b-and-c) [ok](#publish--smoke) \
         [ext](https://example.com/x)\n[gone](docs/remote-sources.md)\n[bad](other.md#nope)\n\
         ```\n[in code](nowhere.md)\n```\n",
    )
    .unwrap();
    let broken = broken_links(&[doc]);
    assert_eq!(broken.len(), 2, "{broken:?}");
    assert!(
        broken[0].contains("docs/remote-sources.md (no such file)"),
        "{broken:?}"
    );
    assert!(
        broken[1].contains("other.md#nope (no such heading)"),
        "{broken:?}"
    );
}

/// PATH without any directory that holds pnpm: a fresh machine after `cargo build` only.
fn path_without_pnpm() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .filter(|dir| !dir.join("pnpm").exists())
        .map(|dir| dir.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

#[test]
fn the_demo_tours_every_mode_with_the_expected_exit_codes_without_pnpm() {
    let bin = Path::new(BIN);
    let out = Command::new("bash")
        .arg(repo_root().join("examples/demo.sh"))
        .arg(bin)
        .env("PATH", path_without_pnpm())
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "demo failed:\n{stdout}\n{stderr}"
    );
    let table = stdout
        .split("=== results ===")
        .nth(1)
        .unwrap_or_else(|| panic!("no results table:\n{stdout}"));
    assert!(!table.contains("unexpected"), "{table}");
    for mode in [
        "version-guard",
        "channel-tags",
        "smoke-install",
        "policy-check",
        "publish-check",
    ] {
        assert!(
            table.lines().any(|l| l.starts_with(&format!("{mode}:"))),
            "{mode} missing from the demo's results:\n{table}"
        );
    }
    assert!(
        stdout.contains("package-manager: npm"),
        "the tour must say it fell back to npm:\n{stdout}"
    );
    assert!(
        table.contains("smoke-install: an npm tarball with npm"),
        "{table}"
    );
    // The re-run story, each with its own exit code (checked against "expected" above).
    for run in [
        "publish-check: a first release: the tarball is absent",
        "publish-check: the re-run: identical, nothing to publish",
        "publish-check: other bytes under the same version: different",
        "publish-check: the registry is down: never taken as absent",
    ] {
        assert!(table.contains(run), "{run} missing:\n{table}");
    }
}

/// The README is the adopter's page: short, and its quick start is the example workflow CI lints
/// (actionlint and zizmor in scripts/test.sh), word for word.
#[test]
fn the_readme_is_one_page_and_its_quick_start_is_the_linted_example() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines; the reference belongs in docs/"
    );
    let example = std::fs::read_to_string(root.join("examples/workflows/release.yml")).unwrap();
    let start = readme
        .find("## Quick start")
        .expect("README.md has a Quick start section");
    let block = readme[start..]
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the quick start holds a yaml block");
    assert_eq!(
        format!("{block}\n"),
        example,
        "README.md's quick start differs from examples/workflows/release.yml"
    );
    for mode in [
        "version-guard",
        "channel-tags",
        "smoke-install",
        "policy-check",
        "publish-check",
    ] {
        let page = format!("docs/{mode}.md");
        assert!(root.join(&page).exists(), "{page} is missing");
        assert!(
            readme.contains(&format!("]({page})")),
            "README.md does not link {page}"
        );
    }
}
