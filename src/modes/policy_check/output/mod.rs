//! Report formats, side by side: `github` (annotations and the step summary), `text`, `json`
//! and `sarif`.

pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use super::Violation;

/// `file:line:col`.
pub fn place(v: &Violation) -> String {
    format!("{}:{}:{}", v.file, v.line, v.col)
}

/// "3 errors" / "1 warning".
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
