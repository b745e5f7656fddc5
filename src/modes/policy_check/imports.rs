//! Imports, extracted per language with regexes compiled once. This is not a parser: it finds
//! the module names a boundary rule cares about, with their exact position, and skips imports
//! in line comments. Relative imports are also resolved to what they name in the repository
//! (TypeScript/JavaScript to a repo-relative path, Python to a dotted package), so a boundary
//! cannot be stepped around with `../../`.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::text::LineIndex;

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

    fn line_comment(self) -> &'static str {
        match self {
            Language::Python => "#",
            _ => "//",
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
static PY_FROM: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([^\n#]*)"));
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
    let index = LineIndex::new(text);
    let commented = |offset: usize| {
        let before = index.before(offset);
        let trimmed = before.trim_start();
        before.contains(language.line_comment())
            || trimmed.starts_with('*')
            || trimmed.starts_with("/*")
    };
    let mut imports = Vec::new();
    let mut push = |offset: usize, module: &str, candidates: Vec<String>| {
        if !commented(offset) {
            imports.push(Import {
                offset,
                len: module.len(),
                module: module.to_string(),
                candidates,
            });
        }
    };
    match language {
        Language::TypeScript => {
            for regex in [&*TS_FROM, &*TS_BARE, &*TS_CALL] {
                for c in regex.captures_iter(text) {
                    let m = c.get(1).expect("group 1");
                    push(m.start(), m.as_str(), ts_candidates(path, m.as_str()));
                }
            }
        }
        Language::Python => {
            for c in PY_IMPORT.captures_iter(text) {
                let list = c.get(1).expect("group 1");
                for name in list.as_str().split(',') {
                    let module = name.split_whitespace().next().unwrap_or_default();
                    if module.is_empty() {
                        continue;
                    }
                    let start = list.start() + offset_in(list.as_str(), module);
                    push(start, module, vec![module.to_string()]);
                }
            }
            for c in PY_FROM.captures_iter(text) {
                let m = c.get(1).expect("group 1");
                let base = python_absolute(path, m.as_str(), root);
                let mut candidates = vec![m.as_str().to_string()];
                if let Some(base) = base {
                    let names = c.get(2).map(|n| n.as_str()).unwrap_or_default();
                    for name in PY_NAME.find_iter(names) {
                        if name.as_str() == "as" {
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
                push(m.start(), m.as_str(), candidates);
            }
        }
        Language::Go => {
            for c in GO_SINGLE.captures_iter(text) {
                let m = c.get(1).expect("group 1");
                push(m.start(), m.as_str(), vec![m.as_str().to_string()]);
            }
            for block in GO_BLOCK.captures_iter(text) {
                let body = block.get(1).expect("group 1");
                for item in GO_BLOCK_ITEM.captures_iter(body.as_str()) {
                    let inner = item.get(1).expect("group 1");
                    push(
                        body.start() + inner.start(),
                        inner.as_str(),
                        vec![inner.as_str().to_string()],
                    );
                }
            }
        }
        Language::Proto => {
            for c in PROTO_IMPORT.captures_iter(text) {
                let m = c.get(1).expect("group 1");
                push(m.start(), m.as_str(), vec![m.as_str().to_string()]);
            }
        }
    }
    imports.sort_by_key(|i| i.offset);
    imports.dedup_by_key(|i| i.offset);
    imports
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
}
