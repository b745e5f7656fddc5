//! Positions in file text: byte offsets to 1-based lines and columns (columns in characters, as
//! GitHub annotations count them), and repo-relative paths.

use std::cell::OnceCell;
use std::path::Path;

/// Line starts of one file, to turn match offsets into lines and columns. Found at the first
/// question: most files have nothing to report.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: OnceCell<Vec<usize>>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        LineIndex {
            text,
            starts: OnceCell::new(),
        }
    }

    fn starts(&self) -> &[usize] {
        self.starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(self.text.match_indices('\n').map(|(i, _)| i + 1));
            starts
        })
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let starts = self.starts();
        let line = match starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = starts[line];
        let col = self.text[start..offset.min(self.text.len())]
            .chars()
            .count()
            + 1;
        (line + 1, col)
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line(&self, line: usize) -> &'a str {
        let starts = self.starts();
        let Some(&start) = starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = starts.get(line).map(|e| e - 1).unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches('\r')
    }

    /// The text of the line before `offset`, on the same line.
    pub fn before(&self, offset: usize) -> &'a str {
        let (line, _) = self.position(offset);
        &self.text[self.starts()[line - 1]..offset]
    }
}

/// A relative path with `/` separators, whatever the platform.
pub fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_in_characters() {
        let idx = LineIndex::new("ab\nçd x\r\nlast");
        assert_eq!(idx.position(0), (1, 1));
        assert_eq!(idx.position(3), (2, 1));
        assert_eq!(idx.position(7), (2, 4));
        assert_eq!(idx.line(2), "çd x");
        assert_eq!(idx.line(3), "last");
        assert_eq!(idx.before(7), "çd ");
    }
}
