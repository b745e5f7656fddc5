//! Workflow commands (`::error::`, `::group::`, `::add-mask::`, …) with the runner's escaping.
//!
//! The runner unescapes `%25`, `%0D`, `%0A` in messages and additionally `%3A` and `%2C` in
//! properties (see actions/toolkit `command.ts`). Anything else is passed through, so an unescaped
//! newline in a message would let a value inject a command of its own.

/// Severity of an annotation, as the runner names it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Notice,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

/// An annotation on the run (and, with a file, on the line in the pull request).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotation {
    pub title: Option<String>,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub end_line: Option<usize>,
    pub col: Option<usize>,
    pub end_column: Option<usize>,
    pub message: String,
}

impl Annotation {
    pub fn new(message: impl Into<String>) -> Self {
        Annotation {
            message: message.into(),
            ..Default::default()
        }
    }

    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    pub fn file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub fn col(mut self, col: usize) -> Self {
        self.col = Some(col);
        self
    }

    /// The `::level file=…,line=…::message` command line (without the trailing newline).
    pub fn to_command(&self, level: Level) -> String {
        let mut props: Vec<(&str, String)> = Vec::new();
        if let Some(file) = &self.file {
            props.push(("file", file.clone()));
        }
        for (key, value) in [
            ("line", self.line),
            ("endLine", self.end_line),
            ("col", self.col),
            ("endColumn", self.end_column),
        ] {
            if let Some(v) = value {
                props.push((key, v.to_string()));
            }
        }
        if let Some(title) = &self.title {
            props.push(("title", title.clone()));
        }
        command(level.as_str(), &props, &self.message)
    }
}

/// Escapes a command's message (data) part.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Formats `::name k=v,k=v::message`.
pub fn command(name: &str, props: &[(&str, String)], message: &str) -> String {
    let mut out = format!("::{name}");
    if !props.is_empty() {
        out.push(' ');
        let joined: Vec<String> = props
            .iter()
            .map(|(k, v)| format!("{k}={}", escape_property(v)))
            .collect();
        out.push_str(&joined.join(","));
    }
    out.push_str("::");
    out.push_str(&escape_data(message));
    out
}

/// Makes untrusted text safe to print where the runner reads workflow commands (stdout and
/// stderr of a step). The runner splits lines on LF and on a bare CR, trims leading whitespace,
/// and takes a line starting `::` (or the older `##[`) as a command: `::add-mask::`,
/// `::stop-commands::`, `::warning::` in a file name or a package's metadata would speak in the
/// binary's name. So every CR, CRLF and LF ends a line here (the result uses LF only), and a line
/// that would start a command is prefixed with `> `. Everything printed that is not a command
/// the binary formats itself goes through this.
pub fn neutralise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    for (i, line) in normalised.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let start = line.trim_start();
        if start.starts_with("::") || start.starts_with("##[") {
            out.push_str("> ");
        }
        out.push_str(line);
    }
    out
}

/// The `::add-mask::` lines for a secret: the whole value and, for a multi-line value, each line,
/// because the runner masks line by line in the log.
pub fn mask_commands(secret: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if secret.trim().is_empty() {
        return lines;
    }
    lines.push(command("add-mask", &[], secret));
    if secret.contains('\n') || secret.contains('\r') {
        for part in secret.split(['\n', '\r']) {
            if !part.trim().is_empty() {
                lines.push(command("add-mask", &[], part));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_message_and_properties_like_the_toolkit() {
        let a = Annotation::new("50% done\r\nnext")
            .title("a:b,c")
            .file("src/a,b.ts")
            .line(3)
            .col(7);
        assert_eq!(
            a.to_command(Level::Error),
            "::error file=src/a%2Cb.ts,line=3,col=7,title=a%3Ab%2Cc::50%25 done%0D%0Anext"
        );
    }

    #[test]
    fn untrusted_lines_cannot_start_a_command() {
        assert_eq!(
            neutralise("a.ts\n::add-mask::x\rb\r  ::warning::w\r\n##[error]e\n"),
            "a.ts\n> ::add-mask::x\nb\n>   ::warning::w\n> ##[error]e\n"
        );
        assert_eq!(neutralise("plain: text"), "plain: text");
    }

    #[test]
    fn multi_line_secret_masks_each_line() {
        let m = mask_commands("abc\ndef");
        assert_eq!(
            m,
            vec![
                "::add-mask::abc%0Adef",
                "::add-mask::abc",
                "::add-mask::def"
            ]
        );
        assert!(mask_commands("  ").is_empty());
    }
}
