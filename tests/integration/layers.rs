//! The source reads top to bottom: a lower layer never imports a higher one, modules import no
//! circle, no function is over 100 lines, and `unsafe` stays behind its fence. These tests read
//! `src/**/*.rs` (the code, not its comments or strings) rather than the binary: they are the
//! lints the compiler has no words for. DEVELOPMENT.md ("Layers") draws the same picture.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top to bottom; a module may import its own layer or a lower one. `lib` and `main` are the
/// crate root (they declare every module).
const LAYERS: &[&[&str]] = &[
    // Generates the per-mode action.yml files from the CLI's definitions.
    &["action_file"],
    &["cli"],
    &["modes"],
    &["ecosystem"],
    &["fetch", "github", "git", "channel", "archive", "sigstore"],
    &["version"],
    &["runner"],
    &["error"],
];

/// The most lines a function may span, from its `fn` line to its closing brace.
const MAX_FN_LINES: usize = 100;

/// The only modules where `unsafe` may appear: raw syscalls.
const UNSAFE_ALLOWED: &[&str] = &["src/runner/secrets.rs", "src/runner/confine.rs"];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file: its path relative to the crate (`src/…`), its module path
/// (`["modes", "policy_check", "scan"]`) and its text.
fn sources() -> Vec<(String, Vec<String>, String)> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    assert!(
        files.len() > 50,
        "found only {} files under src/",
        files.len()
    );
    files
        .into_iter()
        .map(|path| {
            let rel = path
                .strip_prefix(src_dir())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let mut module: Vec<String> = rel
                .trim_end_matches(".rs")
                .split('/')
                .map(String::from)
                .collect();
            if module.last().is_some_and(|m| m == "mod") || rel == "lib.rs" || rel == "main.rs" {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            (format!("src/{rel}"), module, text)
        })
        .collect()
}

/// The code of a Rust file with comments and the contents of string and char literals blanked
/// (newlines kept, so line numbers stay right).
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&b, i) {
            // A raw string r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            out.push('"');
            i = j + 1;
            loop {
                if i >= b.len() {
                    break;
                }
                if b[i] == '"' && (0..hashes).all(|k| b.get(i + 1 + k) == Some(&'#')) {
                    out.push('"');
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(b[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push('"');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{7f}'), or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                out.push_str("' '");
                i = j + 1;
            } else if b.get(i + 2) == Some(&'\'') {
                out.push_str("' '");
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

/// `use` trees expanded into paths: `use super::{a, b::{c, d}}` → `super::a`, `super::b::c`, ….
fn expand_use(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let base = join(prefix, head);
        let mut depth = 0;
        let mut start = 0;
        for (k, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_use(&inner[start..k], &base, out);
                    start = k + 1;
                }
                _ => {}
            }
        }
        expand_use(&inner[start..], &base, out);
    } else if !tree.is_empty() {
        let path = tree.split(" as ").next().unwrap().trim();
        out.push(join(prefix, path));
    }
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (_, true) => prefix.to_string(),
        _ => format!("{prefix}::{path}"),
    }
}

/// Every path a file names that starts at `crate`, `super` or `self`, with its line.
fn named_paths(code: &str) -> Vec<(usize, String)> {
    let mut paths = Vec::new();
    // `use` statements, which may span lines and group paths.
    let mut rest = code;
    let mut offset = 0;
    while let Some(at) = rest.find("use ") {
        let absolute = offset + at;
        let word_start =
            absolute == 0 || !code[..absolute].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let end = rest[at..].find(';').map(|e| at + e).unwrap_or(rest.len());
        if word_start {
            let line = code[..absolute].matches('\n').count() + 1;
            let mut expanded = Vec::new();
            expand_use(&rest[at + 4..end], "", &mut expanded);
            paths.extend(expanded.into_iter().map(|p| (line, p)));
        }
        offset += end;
        rest = &code[offset..];
    }
    // Paths in expressions and types: `crate::runner::env::value(…)`, `super::Violation`.
    for (n, line) in code.lines().enumerate() {
        for root in ["crate::", "super::", "self::"] {
            let mut from = 0;
            while let Some(at) = line[from..].find(root) {
                let start = from + at;
                from = start + root.len();
                if start > 0
                    && line[..start]
                        .ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
                {
                    continue;
                }
                let path: String = line[start..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                paths.push((n + 1, path.trim_end_matches(':').to_string()));
            }
        }
    }
    paths
}

/// The module a path leads to: the longest known module it starts with.
fn target_module(
    from: &[String],
    path: &str,
    modules: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    // `super` of a file (mod.rs or not) is its parent module.
    let mut base: Vec<String> = from.to_vec();
    match segments.first().copied() {
        Some("crate") => {
            base.clear();
            segments.remove(0);
        }
        Some("self") => {
            segments.remove(0);
        }
        Some("super") => {
            while segments.first() == Some(&"super") {
                base.pop();
                segments.remove(0);
            }
        }
        _ => return None,
    }
    let mut best = None;
    let mut candidate = base.clone();
    if modules.contains(&candidate) {
        best = Some(candidate.clone());
    }
    for s in segments {
        candidate.push(s.to_string());
        if modules.contains(&candidate) {
            best = Some(candidate.clone());
        } else {
            break;
        }
    }
    best
}

/// Module-to-module imports: (from, to, where).
fn imports() -> Vec<(Vec<String>, Vec<String>, String)> {
    let files = sources();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(_, m, _)| m.clone()).collect();
    let mut edges = Vec::new();
    for (rel, module, text) in &files {
        let code = code_only(text);
        for (line, path) in named_paths(&code) {
            let Some(to) = target_module(module, &path, &modules) else {
                continue;
            };
            if &to != module {
                edges.push((module.clone(), to, format!("{rel}:{line} ({path})")));
            }
        }
    }
    edges
}

fn layer_of(module: &[String]) -> Option<usize> {
    let top = module.first()?;
    LAYERS
        .iter()
        .position(|layer| layer.contains(&top.as_str()))
}

#[test]
fn no_lower_layer_imports_a_higher_one() {
    let edges = imports();
    assert!(edges.len() > 200, "read only {} imports", edges.len());
    let mut unplaced = BTreeSet::new();
    let mut upward = Vec::new();
    for (from, to, at) in &edges {
        let (Some(a), Some(b)) = (layer_of(from), layer_of(to)) else {
            for m in [from, to] {
                if !m.is_empty() && layer_of(m).is_none() {
                    unplaced.insert(m[0].clone());
                }
            }
            continue;
        };
        if b < a {
            upward.push(format!("{} → {}: {at}", from.join("::"), to.join("::")));
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules in no layer (add them to LAYERS and DEVELOPMENT.md): {unplaced:?}"
    );
    assert!(
        upward.is_empty(),
        "a lower layer imports a higher one:\n{}",
        upward.join("\n")
    );
}

/// Sibling modules (children of one parent) that import each other, directly or through other
/// siblings. A child importing its parent (or the other way) is how Rust modules work.
#[test]
fn no_import_circle_between_modules() {
    let mut graph: BTreeMap<Vec<String>, BTreeMap<Vec<String>, String>> = BTreeMap::new();
    for (from, to, at) in imports() {
        let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        if common == from.len() || common == to.len() {
            continue;
        }
        let a = from[..=common].to_vec();
        let b = to[..=common].to_vec();
        graph.entry(a).or_default().entry(b).or_insert(at);
    }
    let mut circles = Vec::new();
    for start in graph.keys() {
        if let Some(path) = find_path(&graph, start, start) {
            circles.push(path);
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

/// A path of imports from `from` back to `to`, described edge by edge.
fn find_path(
    graph: &BTreeMap<Vec<String>, BTreeMap<Vec<String>, String>>,
    from: &[String],
    to: &[String],
) -> Option<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![(from.to_vec(), Vec::<String>::new())];
    while let Some((node, trail)) = stack.pop() {
        for (next, at) in graph.get(&node).into_iter().flatten() {
            let step = format!("{} → {} at {at}", node.join("::"), next.join("::"));
            let mut trail = trail.clone();
            trail.push(step);
            if next == to {
                return Some(trail.join("; "));
            }
            if seen.insert(next.clone()) {
                stack.push((next.clone(), trail));
            }
        }
    }
    None
}

/// Every function's span, from the line of its `fn` to the line of its closing brace.
fn function_spans(code: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let chars: Vec<(usize, char)> = code
        .lines()
        .enumerate()
        .flat_map(|(n, l)| l.chars().chain(std::iter::once('\n')).map(move |c| (n, c)))
        .collect();
    let mut spans = Vec::new();
    let mut line_start = vec![0usize; lines.len() + 1];
    {
        let mut k = 0;
        for (n, l) in lines.iter().enumerate() {
            line_start[n] = k;
            k += l.chars().count() + 1;
        }
    }
    for (n, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        // The body: the first `{` at bracket depth 0 after the name, unless `;` comes first.
        let mut k = line_start[n] + line.find(" fn ").map_or(0, |p| p + 4).min(line.len());
        let mut parens = 0i32;
        let mut open = None;
        while k < chars.len() {
            match chars[k].1 {
                '(' | '[' | '<' => parens += 1,
                ')' | ']' | '>' => parens -= 1,
                '{' if parens <= 0 => {
                    open = Some(k);
                    break;
                }
                ';' if parens <= 0 => break,
                _ => {}
            }
            k += 1;
        }
        let Some(open) = open else { continue };
        let mut depth = 0;
        let mut close = None;
        for (j, &(ln, c)) in chars.iter().enumerate().skip(open) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(ln);
                        break;
                    }
                }
                _ => {}
            }
            let _ = j;
        }
        let close =
            close.unwrap_or_else(|| panic!("no closing brace for fn {name} at line {}", n + 1));
        spans.push((name, n + 1, close - n + 1));
    }
    spans
}

fn fn_name(line: &str) -> Option<String> {
    let padded = format!(" {}", line.trim_start());
    let at = padded.find(" fn ")?;
    let before = padded[..at].trim();
    let qualifiers = [
        "pub", "const", "async", "unsafe", "extern", "\"C\"", "\" \"",
    ];
    let ok = before.is_empty()
        || before
            .split_whitespace()
            .all(|w| qualifiers.contains(&w) || w.starts_with("pub("));
    if !ok {
        return None;
    }
    let name: String = padded[at + 4..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

#[test]
fn every_function_is_within_100_lines() {
    let mut counted = 0;
    let mut over = Vec::new();
    for (rel, _, text) in sources() {
        for (name, line, lines) in function_spans(&code_only(&text)) {
            counted += 1;
            if lines > MAX_FN_LINES {
                over.push(format!("{rel}:{line} fn {name}: {lines} lines"));
            }
        }
    }
    assert!(counted > 1000, "found only {counted} functions");
    assert!(
        over.is_empty(),
        "functions over {MAX_FN_LINES} lines:\n{}",
        over.join("\n")
    );
}

/// The counter itself: a function is counted from `fn` to its brace, comments, blank lines and
/// strings (even with `/*` or braces in them) included.
#[test]
fn the_function_counter_counts_what_clippy_skips() {
    let body = "    // a comment\n\n    let s = \"*/* {\";\n".repeat(40);
    let text = format!("pub(crate) fn long() {{\n{body}}}\n\nfn short() -> u8 {{ 1 }}\n");
    let spans = function_spans(&code_only(&text));
    assert_eq!(
        spans,
        vec![("long".to_string(), 1, 122), ("short".to_string(), 124, 1)]
    );
}

#[test]
fn unsafe_only_behind_its_fence_and_documented() {
    let mut outside = Vec::new();
    let mut undocumented = Vec::new();
    let mut blocks = 0;
    for (rel, _, text) in sources() {
        let code = code_only(&text);
        let raw: Vec<&str> = text.lines().collect();
        for (n, line) in code.lines().enumerate() {
            let words = line.split(|c: char| !(c.is_alphanumeric() || c == '_'));
            if !words.into_iter().any(|w| w == "unsafe") {
                continue;
            }
            if !UNSAFE_ALLOWED.contains(&rel.as_str()) {
                outside.push(format!("{rel}:{}", n + 1));
                continue;
            }
            if !line.contains("unsafe {") {
                continue;
            }
            blocks += 1;
            // The SAFETY comment is on the lines just above (or on the same line).
            let documented = (n.saturating_sub(6)..=n).any(|k| raw[k].contains("SAFETY:"));
            if !documented {
                undocumented.push(format!("{rel}:{}", n + 1));
            }
        }
    }
    assert!(
        blocks >= 10,
        "found only {blocks} unsafe blocks in {UNSAFE_ALLOWED:?}"
    );
    assert!(
        outside.is_empty(),
        "unsafe outside {UNSAFE_ALLOWED:?}: {outside:?}"
    );
    assert!(
        undocumented.is_empty(),
        "unsafe blocks without a `// SAFETY:` comment: {undocumented:?}"
    );
}
