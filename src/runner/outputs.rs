//! Step outputs: `$GITHUB_OUTPUT` in the heredoc form, or the terminal when run by hand.
//!
//! Every value is written as `name<<ghadelimiter_<uuid>` … `ghadelimiter_<uuid>` with a fresh
//! random delimiter, the form `@actions/core` uses, so no value (a newline, a line reading `EOF`)
//! can end its own value early and inject another output. Outputs are buffered and written in one
//! append at the end of the run, so a run that fails to start leaves no partial outputs behind.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use crate::error::{Failure, Result};

/// An output a mode may set. `action.yml` must declare every one: GitHub drops undeclared
/// outputs of a composite action (a test checks the two agree).
#[derive(Debug, Clone, Copy)]
pub struct OutputSpec {
    pub name: &'static str,
    pub description: &'static str,
}

#[derive(Debug, Default)]
pub struct Outputs {
    /// Kept in the order the mode set them; a later set of the same name replaces the value.
    values: Vec<(String, String)>,
}

impl Outputs {
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        if let Some(slot) = self.values.iter_mut().find(|(n, _)| n == name) {
            slot.1 = value;
        } else {
            self.values.push((name.to_string(), value));
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The `$GITHUB_OUTPUT` text for every value, each with its own fresh delimiter.
    pub fn to_file_text(&self) -> Result<String> {
        let mut text = String::new();
        for (name, value) in &self.values {
            text.push_str(&heredoc(name, value)?);
        }
        Ok(text)
    }

    /// Appends everything to `path` (`$GITHUB_OUTPUT`) in one write.
    pub fn write_file(&self, path: &PathBuf) -> Result<()> {
        self.write_file_for(path, "GITHUB_OUTPUT")
    }

    /// Appends everything to `path`, the file of the runner's `variable` (`GITHUB_OUTPUT` or
    /// `GITHUB_ENV`: both read the same heredoc form), in one write.
    pub fn write_file_for(&self, path: &PathBuf, variable: &str) -> Result<()> {
        let text = self.to_file_text()?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                Failure::usage(
                    "Cannot write outputs",
                    format!("{variable}={}: {e}", path.display()),
                )
            })?;
        file.write_all(text.as_bytes())?;
        Ok(())
    }

    /// `name=value` lines for a person at a terminal.
    pub fn to_lines(&self) -> String {
        self.values
            .iter()
            .map(|(n, v)| format!("{n}={v}\n"))
            .collect()
    }

    /// One JSON object (`--json`), values as strings, in name order.
    pub fn to_json(&self) -> String {
        let map: BTreeMap<&str, &str> = self
            .values
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        serde_json::to_string_pretty(&map).unwrap_or_else(|_| "{}".to_string()) + "\n"
    }
}

/// One output in the heredoc form with a fresh `ghadelimiter_<uuid>` delimiter.
pub fn heredoc(name: &str, value: &str) -> Result<String> {
    heredoc_with(
        name,
        value,
        &format!("ghadelimiter_{}", uuid::Uuid::new_v4()),
    )
}

fn heredoc_with(name: &str, value: &str, delimiter: &str) -> Result<String> {
    if name.is_empty() || name.contains(['\n', '\r']) || name.contains("<<") || name.contains('=') {
        return Err(Failure::usage(
            "Invalid output name",
            format!("output name {name:?} must be non-empty and contain no newline, '=' or '<<'"),
        ));
    }
    // The runner's own rule (and @actions/core's): a delimiter that occurs in the name or value
    // could end the value early, so such a value is refused rather than written.
    if name.contains(delimiter) || value.contains(delimiter) {
        return Err(Failure::usage(
            "Unsafe output value",
            format!("output {name:?} contains the delimiter {delimiter:?}; refusing to write it"),
        ));
    }
    Ok(format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_values_that_contain_the_delimiter() {
        let err = heredoc_with("x", "a\nghadelimiter_1\nb", "ghadelimiter_1").unwrap_err();
        assert!(err.message.contains("contains the delimiter"));
        assert!(heredoc_with("a\nb", "v", "d").is_err());
        assert_eq!(heredoc_with("a", "v", "d").unwrap(), "a<<d\nv\nd\n");
    }

    #[test]
    fn delimiters_are_fresh_per_value() {
        let a = heredoc("a", "1").unwrap();
        let b = heredoc("a", "1").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("a<<ghadelimiter_"));
    }
}
