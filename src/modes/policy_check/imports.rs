//! Imports, extracted per language with regexes compiled once. This is not a parser: it finds
//! the module names a boundary rule cares about, with their exact position. A linear scan first
//! finds each file's comments and string literals (see [`Lexed`]): comments (and, in Python, all
//! strings) are blanked out before matching, and a match whose keyword sits inside a literal, or
//! whose module is not a literal of its own, is dropped. Relative imports are also resolved to
//! what they name in the repository (TypeScript/JavaScript to a repo-relative path, Python to a
//! dotted package), so a boundary cannot be stepped around with `../../`.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    TypeScript,
    Python,
    Go,
    Proto,
}

impl Language {
    pub fn of(path: &str) -> Option<Language> {
        let ext = path.rsplit_once('.').map(|(_, e)| e)?;
        match ext {
            "ts" | "tsx" | "mts" | "cts" | "js" | "jsx" | "mjs" | "cjs" => {
                Some(Language::TypeScript)
            }
            "py" | "pyi" => Some(Language::Python),
            "go" => Some(Language::Go),
            "proto" => Some(Language::Proto),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// Byte offset and length of the module name in the file.
    pub offset: usize,
    pub len: usize,
    /// The module as written.
    pub module: String,
    /// Every name a rule is matched against: the module as written, then what it resolves to.
    pub candidates: Vec<String>,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static import regex")
}

static TS_FROM: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\b(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"\n]+)['"]"#));
static TS_BARE: LazyLock<Regex> = LazyLock::new(|| re(r#"\bimport\s*['"]([^'"\n]+)['"]"#));
static TS_CALL: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\b(?:import|require)\s*\(\s*['"`]([^'"`\n]+)['"`]\s*\)"#));
static PY_IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?m)^[ \t]*import[ \t]+([A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?)*)",
    )
});
// The names: a parenthesised list (across lines), or one line continued with backslashes.
static PY_FROM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?m)^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import(?:[ \t]*\(([^)]*)|[ \t]+([^\n\\(]*(?:\\\r?\n[^\n\\]*)*))",
    )
});
static PY_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Za-z_][\w.]*"));
static GO_SINGLE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?m)^[ \t]*import[ \t]+(?:[\w.]+[ \t]+)?"([^"\n]+)""#));
static GO_BLOCK: LazyLock<Regex> = LazyLock::new(|| re(r"(?ms)^[ \t]*import[ \t]*\((.*?)\)"));
static GO_BLOCK_ITEM: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?m)^[ \t]*(?:[\w.]+[ \t]+)?"([^"\n]+)""#));
static PROTO_IMPORT: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?m)^[ \t]*import[ \t]+(?:(?:public|weak)[ \t]+)?"([^"\n]+)"[ \t]*;"#));

/// The imports of one file. `path` is repo-relative; `root` is the repository, used to find
/// Python package roots (`__init__.py`) for relative imports.
pub fn extract(language: Language, path: &str, text: &str, root: &Path) -> Vec<Import> {
    // Every form needs one of these words: a file without them is not scanned.
    let keyword =
        text.contains("import") || (language == Language::TypeScript && text.contains("require"));
    if !keyword {
        return Vec::new();
    }
    let lexed = Lexed::new(language, text);
    let code: &str = &lexed.code;
    let found = match language {
        Language::TypeScript => typescript_imports(code, path),
        Language::Python => python_imports(code, path, root),
        Language::Go => go_imports(code),
        Language::Proto => proto_imports(code),
    };
    // A module that is quoted must be a string literal of its own: the quote before it opens one.
    let mut imports: Vec<Import> = found
        .into_iter()
        .filter(|f| {
            !lexed.in_literal(f.keyword) && (!f.quoted || lexed.literal_at(f.module.start - 1))
        })
        .map(|f| Import {
            offset: f.module.start,
            len: f.module.len(),
            module: text[f.module].to_string(),
            candidates: f.candidates,
        })
        .collect();
    imports.sort_by_key(|i| i.offset);
    imports.dedup_by_key(|i| i.offset);
    imports
}

/// An import as a pattern matched it, before the checks against comments and literals.
struct Found {
    /// Where the match (its keyword) starts.
    keyword: usize,
    /// The module's byte range.
    module: Range<usize>,
    /// Whether the module is written as a string literal.
    quoted: bool,
    candidates: Vec<String>,
}

/// `import … from '…'`, `export … from '…'`, `import '…'`, `import('…')` and `require('…')`.
fn typescript_imports(code: &str, path: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for regex in [&*TS_FROM, &*TS_BARE, &*TS_CALL] {
        for c in regex.captures_iter(code) {
            let m = c.get(1).expect("group 1");
            found.push(Found {
                keyword: c.get(0).expect("match").start(),
                module: m.range(),
                quoted: true,
                candidates: ts_candidates(path, m.as_str()),
            });
        }
    }
    found
}

/// `import a, b as c` (each module) and `from x import y` (`x`, and relative to the file's
/// package, what `x` and `x.y` resolve to).
fn python_imports(code: &str, path: &str, root: &Path) -> Vec<Found> {
    let mut found = Vec::new();
    for c in PY_IMPORT.captures_iter(code) {
        let list = c.get(1).expect("group 1");
        for name in list.as_str().split(',') {
            let module = name.split_whitespace().next().unwrap_or_default();
            if module.is_empty() {
                continue;
            }
            let start = list.start() + offset_in(list.as_str(), module);
            found.push(Found {
                keyword: start,
                module: start..start + module.len(),
                quoted: false,
                candidates: vec![module.to_string()],
            });
        }
    }
    for c in PY_FROM.captures_iter(code) {
        let m = c.get(1).expect("group 1");
        let names = c
            .get(2)
            .or(c.get(3))
            .map(|n| n.as_str())
            .unwrap_or_default();
        found.push(Found {
            keyword: m.start(),
            module: m.range(),
            quoted: false,
            candidates: python_from_candidates(path, m.as_str(), names, root),
        });
    }
    found
}

/// `from module import names`: the module as written, then (when it resolves) its absolute
/// package and each imported name under it.
fn python_from_candidates(path: &str, module: &str, names: &str, root: &Path) -> Vec<String> {
    let mut candidates = vec![module.to_string()];
    if let Some(base) = python_absolute(path, module, root) {
        // `c as d` imports `c`; `d` is only its local name.
        let mut alias = false;
        for name in PY_NAME.find_iter(names) {
            if std::mem::replace(&mut alias, name.as_str() == "as") || alias {
                continue;
            }
            if !base.is_empty() {
                candidates.push(format!("{base}.{}", name.as_str()));
            } else {
                candidates.push(name.as_str().to_string());
            }
        }
        if !base.is_empty() {
            candidates.insert(1, base);
        }
    }
    candidates.dedup();
    candidates
}

/// `import "…"` and every item of an `import ( … )` block.
fn go_imports(code: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for c in GO_SINGLE.captures_iter(code) {
        let m = c.get(1).expect("group 1");
        found.push(Found {
            keyword: c.get(0).expect("match").start(),
            module: m.range(),
            quoted: true,
            candidates: vec![m.as_str().to_string()],
        });
    }
    for block in GO_BLOCK.captures_iter(code) {
        let keyword = block.get(0).expect("match").start();
        let body = block.get(1).expect("group 1");
        for item in GO_BLOCK_ITEM.captures_iter(body.as_str()) {
            let inner = item.get(1).expect("group 1");
            let start = body.start() + inner.start();
            found.push(Found {
                keyword,
                module: start..start + inner.len(),
                quoted: true,
                candidates: vec![inner.as_str().to_string()],
            });
        }
    }
    found
}

/// `import "…";`, `import public "…";` and `import weak "…";`.
fn proto_imports(code: &str) -> Vec<Found> {
    PROTO_IMPORT
        .captures_iter(code)
        .map(|c| {
            let m = c.get(1).expect("group 1");
            Found {
                keyword: c.get(0).expect("match").start(),
                module: m.range(),
                quoted: true,
                candidates: vec![m.as_str().to_string()],
            }
        })
        .collect()
}

/// One file's comments and literals, found in a single pass over its bytes. Comments are
/// blanked in `code` (bytes to spaces, newlines kept, so every offset, line and `^` anchor is
/// the same as in the text); string, template and regular-expression literals are kept and
/// listed in `literals`, because a module specifier is one. Python lists none: its imports name
/// no strings, so its strings (docstrings included) are blanked like comments.
///
/// This is a tokenizer, not a parser. JavaScript's regex-or-division `/` is decided by the
/// token before it; JSX text is read as code, where an apostrophe opens a string that ends at
/// the line's end. Every range starts and ends at an ASCII byte or the end of the text, so
/// blanking keeps the text UTF-8.
struct Lexed<'a> {
    code: Cow<'a, str>,
    literals: Vec<Range<usize>>,
}

impl<'a> Lexed<'a> {
    fn new(language: Language, text: &'a str) -> Self {
        let mut lexer = Lexer {
            bytes: text.as_bytes(),
            blanked: None,
            literals: Vec::new(),
        };
        match language {
            Language::TypeScript => lexer.c_like(true),
            Language::Go | Language::Proto => lexer.c_like(false),
            Language::Python => lexer.python(),
        }
        let code = match lexer.blanked {
            // Whole UTF-8 sequences became spaces (see above), so this cannot fail.
            Some(bytes) => Cow::Owned(String::from_utf8(bytes).expect("blanked text is UTF-8")),
            None => Cow::Borrowed(text),
        };
        Lexed {
            code,
            literals: lexer.literals,
        }
    }

    /// Whether `offset` is inside a literal (its opening quote included).
    fn in_literal(&self, offset: usize) -> bool {
        let i = self.literals.partition_point(|r| r.end <= offset);
        self.literals.get(i).is_some_and(|r| r.start <= offset)
    }

    /// Whether a literal opens at `offset`.
    fn literal_at(&self, offset: usize) -> bool {
        let i = self.literals.partition_point(|r| r.start < offset);
        self.literals.get(i).is_some_and(|r| r.start == offset)
    }
}

struct Lexer<'a> {
    bytes: &'a [u8],
    /// A copy of the text with comments blanked, made at the first comment.
    blanked: Option<Vec<u8>>,
    literals: Vec<Range<usize>>,
}

/// Words after which a JavaScript `/` starts a regular expression rather than dividing.
const REGEX_AFTER: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"instanceof",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"case",
    b"do",
    b"else",
    b"yield",
    b"await",
];

impl Lexer<'_> {
    fn blank(&mut self, range: Range<usize>) {
        let blanked = self.blanked.get_or_insert_with(|| self.bytes.to_vec());
        for b in &mut blanked[range] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }

    /// The end of a line comment starting at `i`: the newline, or the end of the text.
    fn line_end(&self, i: usize) -> usize {
        self.bytes[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.bytes.len(), |p| i + p)
    }

    /// The end of a quoted string opening at `i` (past its closing quote), or of its line when
    /// the line ends first (before the newline; a backslash continues it).
    fn quoted_end(&self, i: usize) -> usize {
        let quote = self.bytes[i];
        let mut j = i + 1;
        while let Some(&b) = self.bytes.get(j) {
            match b {
                b'\\' => j += 2,
                b'\n' => return j,
                _ if b == quote => return j + 1,
                _ => j += 1,
            }
        }
        self.bytes.len()
    }

    /// TypeScript/JavaScript (`js`: templates and regular expressions), Go and proto: `//` and
    /// `/* */` comments; `'` and `"` strings; `` ` `` raw strings (Go) or templates (JS).
    fn c_like(&mut self, js: bool) {
        let len = self.bytes.len();
        // Per open template `${`, the depth of `{` inside it.
        let mut templates: Vec<u32> = Vec::new();
        // The last byte of the last token, for regex-or-division.
        let mut last: Option<usize> = None;
        // After a `/` that looked like a regular expression but ran into the end of its line,
        // the rest of that line is not tried again (which keeps the scan linear).
        let mut no_regex_before = 0;
        let mut i = 0;
        while i < len {
            let b = self.bytes[i];
            let next = self.bytes.get(i + 1).copied();
            match b {
                b'/' if next == Some(b'/') => {
                    let end = self.line_end(i);
                    self.blank(i..end);
                    i = end;
                }
                b'/' if next == Some(b'*') => {
                    let end = self.bytes[i + 2..]
                        .windows(2)
                        .position(|w| w == b"*/")
                        .map_or(len, |p| i + 2 + p + 2);
                    self.blank(i..end);
                    i = end;
                }
                b'"' | b'\'' => {
                    let end = self.quoted_end(i);
                    self.literals.push(i..end);
                    last = Some(end - 1);
                    i = end;
                }
                b'`' if !js => {
                    let end = self.bytes[i + 1..]
                        .iter()
                        .position(|&b| b == b'`')
                        .map_or(len, |p| i + 1 + p + 1);
                    self.literals.push(i..end);
                    last = Some(end - 1);
                    i = end;
                }
                b'`' => i = self.template(i, &mut templates, &mut last),
                b'}' if js && templates.last() == Some(&0) => {
                    templates.pop();
                    i = self.template(i, &mut templates, &mut last);
                }
                b'/' if js && i >= no_regex_before && self.regex_may_start(last) => {
                    match self.regex_end(i) {
                        Ok(end) => {
                            self.literals.push(i..end);
                            last = Some(end - 1);
                            i = end;
                        }
                        Err(line_end) => {
                            no_regex_before = line_end;
                            last = Some(i);
                            i += 1;
                        }
                    }
                }
                _ => {
                    if let Some(depth) = templates.last_mut() {
                        match b {
                            b'{' => *depth += 1,
                            b'}' => *depth -= 1,
                            _ => {}
                        }
                    }
                    if !b.is_ascii_whitespace() {
                        last = Some(i);
                    }
                    i += 1;
                }
            }
        }
    }

    /// A template literal's text from `i` (its opening `` ` ``, or the `}` closing a `${`) to
    /// its closing `` ` `` or next `${`, which pushes a new expression depth. Returns the end.
    fn template(&mut self, i: usize, templates: &mut Vec<u32>, last: &mut Option<usize>) -> usize {
        let len = self.bytes.len();
        let mut j = i + 1;
        let end = loop {
            match self.bytes.get(j) {
                None => break len,
                Some(b'\\') => j += 2,
                Some(b'`') => break j + 1,
                Some(b'$') if self.bytes.get(j + 1) == Some(&b'{') => {
                    templates.push(0);
                    break j + 2;
                }
                Some(_) => j += 1,
            }
        };
        let end = end.min(len);
        self.literals.push(i..end);
        *last = Some(end - 1);
        end
    }

    /// Whether a `/` after the token ending at `last` starts a regular expression: at the
    /// start, after an operator or opening punctuation, or after a keyword such as `return`.
    fn regex_may_start(&self, last: Option<usize>) -> bool {
        let Some(last) = last else { return true };
        let b = self.bytes[last];
        if is_word_byte(b) {
            let start = self.bytes[..=last]
                .iter()
                .rposition(|&b| !is_word_byte(b))
                .map_or(0, |p| p + 1);
            return REGEX_AFTER.contains(&&self.bytes[start..=last]);
        }
        !matches!(b, b')' | b']' | b'}' | b'"' | b'\'' | b'`' | b'/')
    }

    /// The end of a regular-expression literal opening at `i` (past its closing `/`; flags are
    /// read as code), or, when the line ends first (it was a division after all), `Err` with
    /// where the scan stopped.
    fn regex_end(&self, i: usize) -> Result<usize, usize> {
        let mut class = false;
        let mut j = i + 1;
        while let Some(&b) = self.bytes.get(j) {
            match b {
                b'\\' if self.bytes.get(j + 1) != Some(&b'\n') => j += 2,
                b'\n' => return Err(j),
                b'[' => {
                    class = true;
                    j += 1
                }
                b']' => {
                    class = false;
                    j += 1
                }
                b'/' if !class => return Ok(j + 1),
                _ => j += 1,
            }
        }
        Err(self.bytes.len())
    }

    /// Python: `#` comments and every string (prefixes stay; triple-quoted ones across lines,
    /// others to the end of the line unless continued with a backslash) are blanked.
    fn python(&mut self) {
        let len = self.bytes.len();
        let mut i = 0;
        while i < len {
            match self.bytes[i] {
                b'#' => {
                    let end = self.line_end(i);
                    self.blank(i..end);
                    i = end;
                }
                quote @ (b'"' | b'\'') => {
                    let end = if self.bytes[i..].starts_with(&[quote; 3]) {
                        let mut j = i + 3;
                        loop {
                            match self.bytes.get(j) {
                                None => break len,
                                Some(b'\\') => j += 2,
                                Some(_) if self.bytes[j..].starts_with(&[quote; 3]) => break j + 3,
                                Some(_) => j += 1,
                            }
                        }
                    } else {
                        self.quoted_end(i)
                    };
                    let end = end.min(len);
                    self.blank(i..end);
                    i = end;
                }
                _ => i += 1,
            }
        }
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Byte offset of `part`, a subslice of `whole`, within `whole`.
fn offset_in(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

/// A relative TypeScript/JavaScript specifier also names the repo-relative path it resolves to.
fn ts_candidates(path: &str, specifier: &str) -> Vec<String> {
    let mut candidates = vec![specifier.to_string()];
    if specifier.starts_with("./") || specifier.starts_with("../") {
        let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        if let Some(resolved) = normalize(&format!("{dir}/{specifier}")) {
            candidates.push(resolved);
        }
    }
    candidates
}

/// Collapses `.` and `..` in a `/` path; `None` when it climbs out of the repository.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The absolute dotted module a Python `from` names: itself when absolute; for `.x`/`..x`, the
/// file's package (found by walking up `__init__.py` files, or its directory for namespace
/// packages) climbed one level per extra dot. `None` when it climbs out of the repository.
fn python_absolute(path: &str, module: &str, root: &Path) -> Option<String> {
    let dots = module.chars().take_while(|&c| c == '.').count();
    if dots == 0 {
        return Some(module.to_string());
    }
    let rest = &module[dots..];
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut segments: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    // The package name starts below the highest directory that is still a regular package.
    let mut top = segments.len();
    while top > 0
        && root
            .join(segments[..top].join("/"))
            .join("__init__.py")
            .is_file()
    {
        top -= 1;
    }
    if top == segments.len() {
        top = 0;
    }
    for _ in 1..dots {
        if segments.len() <= top {
            return None;
        }
        segments.pop();
    }
    let mut package: Vec<&str> = segments[top..].to_vec();
    if !rest.is_empty() {
        package.push(rest);
    }
    Some(package.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules(language: Language, path: &str, text: &str) -> Vec<(String, Vec<String>)> {
        extract(language, path, text, Path::new("/nonexistent"))
            .into_iter()
            .map(|i| (i.module, i.candidates))
            .collect()
    }

    #[test]
    fn typescript_forms() {
        let text = "import a from 'a';\nimport {\n  b,\n} from \"b\";\nexport * from './c';\nimport 'd';\nconst e = await import('e');\nconst f = require(\"f\");\n// import g from 'g';\n";
        let found: Vec<String> = modules(Language::TypeScript, "src/x/y.ts", text)
            .into_iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(found, ["a", "b", "./c", "d", "e", "f"]);
        let rel = modules(
            Language::TypeScript,
            "services/api/src/x.ts",
            "import x from '../../../packages/p/gen';",
        );
        assert_eq!(rel[0].1, ["../../../packages/p/gen", "packages/p/gen"]);
    }

    #[test]
    fn python_forms() {
        let text = "import os, ameide_core_proto.v1 as pb\nfrom ameide_sdk import client\n  # from nope import x\nfrom . import sibling\n";
        let found = modules(Language::Python, "services/api/app/main.py", text);
        let names: Vec<&str> = found.iter().map(|m| m.0.as_str()).collect();
        assert_eq!(names, ["os", "ameide_core_proto.v1", "ameide_sdk", "."]);
        assert_eq!(
            found[3].1,
            [".", "services.api.app", "services.api.app.sibling"]
        );
    }

    #[test]
    fn go_and_proto_forms() {
        let go = "package x\n\nimport \"fmt\"\nimport (\n\t\"os\"\n\tpb \"github.com/a/packages/p/gen\"\n)\n";
        let names: Vec<String> = modules(Language::Go, "x.go", go)
            .into_iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(names, ["fmt", "os", "github.com/a/packages/p/gen"]);
        let proto = "syntax = \"proto3\";\nimport \"a/b.proto\";\nimport public \"c.proto\";\n";
        let names: Vec<String> = modules(Language::Proto, "x.proto", proto)
            .into_iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(names, ["a/b.proto", "c.proto"]);
    }

    /// Module, 1-based line and column (in characters) of every import.
    fn positions(language: Language, path: &str, text: &str) -> Vec<(String, usize, usize)> {
        let index = crate::modes::policy_check::text::LineIndex::new(text);
        extract(language, path, text, Path::new("/nonexistent"))
            .into_iter()
            .map(|i| {
                assert_eq!(&text[i.offset..i.offset + i.len], i.module);
                let (line, col) = index.position(i.offset);
                (i.module, line, col)
            })
            .collect()
    }

    fn at(module: &str, line: usize, col: usize) -> (String, usize, usize) {
        (module.to_string(), line, col)
    }

    #[test]
    fn typescript_skips_comments_and_strings() {
        let text = concat!(
            "/* import a from 'blocked';\n",
            " * require(\"doc\")\n",
            " */\n",
            "const s = \"import x from 'forbidden'\";\n",
            "const t = 'require(\"nope\")';\n",
            "const u = `import y from \"tpl\"\n  import 'tpl-line2'`;\n",
            "const v = `${require(\"real\")} import z from 'tpl2' ${ {a: import(`inner`)}.a }`;\n",
            "/* é */ import /* from 'inner' */ b from \"b\"; // import c from 'c'\n",
            "const w = a / b; import e from 'e'; const q = c / d;\n",
            "const re = /import d from 'd'/; const quote = /'/g; import f from \"f\";\n",
            "function g(s) { return /\"/.test(s) } import h from 'h';\n",
        );
        assert_eq!(
            positions(Language::TypeScript, "src/x.ts", text),
            [
                at("real", 8, 23),
                at("inner", 8, 67),
                at("b", 9, 43),
                at("e", 10, 33),
                at("f", 11, 68),
                at("h", 12, 53),
            ]
        );
    }

    #[test]
    fn go_skips_comments_and_raw_strings() {
        let text = concat!(
            "package x\n\n",
            "/*\nimport \"blocked\"\n*/\n",
            "import \"fmt\" // import \"c\"\n",
            "var s = `\nimport \"raw\"\n`\n",
            "import (\n",
            "\t// \"commented\"\n",
            "\t\"os\" // see (docs)\n",
            "\t/* \"inner\" */ \"strings\"\n",
            ")\n",
            "var q = '\"'\n",
            "import \"after\"\n",
        );
        assert_eq!(
            positions(Language::Go, "x.go", text),
            [
                at("fmt", 6, 9),
                at("os", 12, 3),
                at("strings", 13, 17),
                at("after", 16, 9),
            ]
        );
    }

    #[test]
    fn python_skips_docstrings_and_reads_parenthesised_names() {
        let text = concat!(
            "\"\"\"Docs.\n\nimport forbidden\nfrom forbidden import x\n\"\"\"\n",
            "import os  # import hidden\n",
            "s = '''\nimport also_hidden\n'''\n",
            "from pkg.mod import (\n",
            "    a,  # from nope import b\n",
            "    c as d,\n",
            ")\n",
            "from other import e, \\\n    f\n",
            "from third import(g)\n",
        );
        assert_eq!(
            positions(Language::Python, "x.py", text),
            [
                at("os", 6, 8),
                at("pkg.mod", 10, 6),
                at("other", 14, 6),
                at("third", 16, 6)
            ]
        );
        let found = modules(Language::Python, "x.py", text);
        assert_eq!(
            found[1].1,
            ["pkg.mod", "pkg.mod.a", "pkg.mod.c"],
            "names across lines, no alias, nothing from the comment"
        );
        assert_eq!(found[2].1, ["other", "other.e", "other.f"]);
        assert_eq!(found[3].1, ["third", "third.g"]);
    }

    #[test]
    fn proto_skips_comments() {
        let text = concat!(
            "syntax = \"proto3\";\n",
            "// import \"line.proto\";\n",
            "/* import \"block.proto\";\n",
            "import \"block2.proto\"; */\n",
            "import \"real.proto\"; /* import \"after.proto\"; */\n",
        );
        assert_eq!(
            positions(Language::Proto, "x.proto", text),
            [at("real.proto", 5, 9)]
        );
    }

    #[test]
    fn unterminated_literals_and_comments_end_cleanly() {
        // A string ends with its line; a comment or template left open runs to the end.
        let ts = "const s = 'open\nimport a from 'a';\n/* open";
        assert_eq!(
            positions(Language::TypeScript, "x.ts", ts),
            [at("a", 2, 16)]
        );
        let ts = "import a from 'a';\nconst t = `open\nimport b from 'b';\n";
        assert_eq!(
            positions(Language::TypeScript, "x.ts", ts),
            [at("a", 1, 16)]
        );
        let py = "import a\n'''open\nimport b\n";
        assert_eq!(positions(Language::Python, "x.py", py), [at("a", 1, 8)]);
    }
}
