//! How a run ends when it does not succeed.
//!
//! The exit code is the contract with workflows: 1 means "the check ran and said no" (the thing
//! the user asked us to catch), 2 means "the check could not run" (usage, configuration or
//! environment). Every failure carries what to do about it, because it ends up in an annotation,
//! the step summary and, for version-guard, on the pull request.

use std::fmt;

/// A place in a file an annotation can point at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: Option<usize>,
    pub col: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A guard or policy said no: exit 1.
    Guard,
    /// Bad input, bad configuration or an unusable environment: exit 2.
    Usage,
}

/// A failure, boxed so `Result<T, Failure>` stays one pointer wide on the happy path.
#[derive(Debug, Clone)]
pub struct Failure(Box<Details>);

#[derive(Debug, Clone)]
pub struct Details {
    pub kind: Kind,
    /// One line, used as the annotation title and the summary heading.
    pub title: String,
    /// What went wrong, with the names of the inputs, files or tags involved.
    pub message: String,
    /// What the user should do about it.
    pub fix: Option<String>,
    pub location: Option<Location>,
    /// What the step summary says instead of `message`, when the mode's own summary already
    /// shows the details (the annotation, seen alone, keeps them).
    pub summary_message: Option<String>,
    /// The failure's details as a table (raw, untrusted cells), for the pull-request comment:
    /// e.g. the attestation gate's artifact, expected, found and failed check.
    pub table: Option<Table>,
}

/// A failure's details as rows under headers; cells are raw text, escaped where shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub type Result<T, E = Failure> = std::result::Result<T, E>;

impl Failure {
    fn new(kind: Kind, title: impl Into<String>, message: impl Into<String>) -> Self {
        Failure(Box::new(Details {
            kind,
            title: sentence_case(&title.into()),
            message: message.into(),
            fix: None,
            location: None,
            summary_message: None,
            table: None,
        }))
    }

    pub fn guard(title: impl Into<String>, message: impl Into<String>) -> Self {
        Failure::new(Kind::Guard, title, message)
    }

    pub fn usage(title: impl Into<String>, message: impl Into<String>) -> Self {
        Failure::new(Kind::Usage, title, message)
    }

    /// An input the mode cannot use (exit 2), in the one form every mode reports it: the title
    /// names the input (``Invalid input `tag-prefix` ``), the message says what is wrong with the
    /// value (``input `tag-prefix`: <problem>``), the fix what to give instead.
    pub fn invalid_input(input: &str, problem: impl fmt::Display, fix: impl Into<String>) -> Self {
        Failure::usage(
            format!("Invalid input `{input}`"),
            format!("input `{input}`: {problem}"),
        )
        .with_fix(fix)
    }

    /// [`Failure::invalid_input`] for one line (1-based) of a lines input
    /// (``input `channels`, line 2: <problem>``).
    pub fn invalid_input_line(
        input: &str,
        line: usize,
        problem: impl fmt::Display,
        fix: impl Into<String>,
    ) -> Self {
        Failure::usage(
            format!("Invalid input `{input}`"),
            format!("input `{input}`, line {line}: {problem}"),
        )
        .with_fix(fix)
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.0.fix = Some(fix.into());
        self
    }

    /// The step summary's shorter message, where the mode's summary already holds the details:
    /// a failure is then stated once there.
    pub fn with_summary_message(mut self, message: impl Into<String>) -> Self {
        self.0.summary_message = Some(message.into());
        self
    }

    /// The details as a table (raw cells), shown on the pull request.
    pub fn with_table(mut self, table: Table) -> Self {
        self.0.table = Some(table);
        self
    }

    /// Puts context (which input, which entry) before the message.
    pub fn prefixed(mut self, prefix: impl AsRef<str>) -> Self {
        self.0.message = format!("{}{}", prefix.as_ref(), self.0.message);
        self
    }

    pub fn at(mut self, location: Location) -> Self {
        self.0.location = Some(location);
        self
    }

    pub fn exit_code(&self) -> i32 {
        match self.kind {
            Kind::Guard => 1,
            Kind::Usage => 2,
        }
    }
}

impl std::ops::Deref for Failure {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.title, self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, " (fix: {fix})")?;
        }
        Ok(())
    }
}

/// The one title style: sentence case, starting with a capital, no trailing period. Applied where
/// every failure is made, so a title written in another style still reads like the others.
fn sentence_case(title: &str) -> String {
    let title = title.trim().trim_end_matches('.');
    let mut chars = title.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => title.to_string(),
    }
}

/// Anything unexpected (an I/O error, a tool that would not start) is an environment problem:
/// the check could not run, so it exits 2.
impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Failure::usage("The check could not run", format!("{err:#}"))
    }
}

impl From<std::io::Error> for Failure {
    fn from(err: std::io::Error) -> Self {
        Failure::from(anyhow::Error::from(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_names_the_input_in_the_title_and_the_message() {
        let failure = Failure::invalid_input(
            "tag-prefix",
            "cannot contain spaces, got \"v 1\"",
            "use the text before the version, e.g. `v`",
        );
        assert_eq!(failure.kind, Kind::Usage);
        assert_eq!(failure.exit_code(), 2);
        assert_eq!(failure.title, "Invalid input `tag-prefix`");
        assert_eq!(
            failure.message,
            "input `tag-prefix`: cannot contain spaces, got \"v 1\""
        );
        assert_eq!(
            failure.fix.as_deref(),
            Some("use the text before the version, e.g. `v`")
        );
        let line = Failure::invalid_input_line("channels", 2, "expected `=`", "fix it");
        assert_eq!(line.title, "Invalid input `channels`");
        assert_eq!(line.message, "input `channels`, line 2: expected `=`");
    }

    #[test]
    fn titles_are_sentence_case_without_a_trailing_period() {
        assert_eq!(
            Failure::usage("malformed sha256", "m").title,
            "Malformed sha256"
        );
        assert_eq!(
            Failure::guard("Policy violations.", "m").title,
            "Policy violations"
        );
        // Only the first letter changes; names and code stay as written.
        assert_eq!(
            Failure::usage("`registry` is not used for crates", "m").title,
            "`registry` is not used for crates"
        );
        assert_eq!(
            Failure::usage("download has the wrong size", "m").title,
            "Download has the wrong size"
        );
        // The message keeps its own style.
        assert_eq!(
            Failure::usage("x", "lowercase message.").message,
            "lowercase message."
        );
    }
}
