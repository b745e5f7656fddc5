//! Snapshots of what users see (step summaries, outputs, the pull-request comment) with what
//! changes between runs and machines filtered out: durations, temp paths, ports on 127.0.0.1,
//! digests and commit shas, timestamps. Call sites keep `insta::assert_snapshot!` so the snapshot
//! is named after their own module:
//!
//! ```ignore
//! snap::settings().bind(|| insta::assert_snapshot!("npm_pass_summary", run.summary));
//! ```

/// Each volatile part, as a regex and what stands in for it. Order matters: the longer digests
/// before the shorter, paths before the rest.
const FILTERS: &[(&str, &str)] = &[
    // A temp dir (tempfile's `.tmpXXXXXX`, whatever TMPDIR is) and anything below it.
    (r"(?:/[\w.+-]+)*/\.tmp[\w]{6}(?:/[\w.@%+-]+)*", "[temp]"),
    // A port on the loopback registries the tests start.
    (r"(127\.0\.0\.1|localhost):\d{2,5}", "$1:[port]"),
    // SRI and hex digests, commit shas.
    (r"sha512-[A-Za-z0-9+/]{86}==", "sha512-[sri]"),
    (r"\b[0-9a-f]{128}\b", "[sha512]"),
    (r"\b[0-9a-f]{64}\b", "[sha256]"),
    (r"\b[0-9a-f]{40}\b", "[sha]"),
    (r"\bh1:[A-Za-z0-9+/]{43}=", "h1:[sum]"),
    // Dates and times as the modes print them.
    (
        r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z| UTC)?",
        "[timestamp]",
    ),
    // A digest the summary shortens to its first characters.
    (r"\b(sha256:|sha512-|h1:)[A-Za-z0-9+/]{12,}…", "$1[digest]…"),
    // Python's own frames in a traceback: where it is installed and its line numbers.
    (
        r#"File (\\?)"[^"\\]*/lib/python3[^"\\]*\\?", line \d+"#,
        "File $1\"[python]$1\", line [n]",
    ),
    (
        r#"File (\\?)"(?:&lt;|<)frozen ([\w.]+)(?:&gt;|>)\\?", line \d+"#,
        "File $1\"<frozen $2>$1\", line [n]",
    ),
    (
        r"File &quot;[^&]*/lib/python3[^&]*&quot;, line \d+",
        "File &quot;[python]&quot;, line [n]",
    ),
    (
        r#"File "&lt;frozen ([\w.]+)&gt;", line \d+"#,
        "File \"&lt;frozen $1&gt;\", line [n]",
    ),
    (
        r#"File "[^"]*/lib/python3[^"]*", line \d+"#,
        "File \"[python]\", line [n]",
    ),
    // Durations: `0.12s`, `12.34s`, `340ms`, and `duration-ms` in the `results` output.
    (r#""duration-ms": \d+"#, "\"duration-ms\": [ms]"),
    (r"\b\d+\.\d\ds\b", "[t]"),
    (r"\b\d+ms\b", "[t]"),
];

/// insta's settings with the filters above.
pub(crate) fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (regex, replacement) in FILTERS {
        settings.add_filter(regex, *replacement);
    }
    settings
}

/// The outputs a run wrote, one `name: value` per line in name order, for a snapshot next to the
/// summary. Values that are JSON documents are pretty-printed so a change reads as a line.
pub(crate) fn outputs(run: &super::harness::Run) -> String {
    let mut text = String::new();
    for (name, value) in &run.outputs {
        let shown = match serde_json::from_str::<serde_json::Value>(value) {
            Ok(v @ (serde_json::Value::Array(_) | serde_json::Value::Object(_))) => {
                serde_json::to_string_pretty(&v).unwrap_or_else(|_| value.clone())
            }
            _ => value.clone(),
        };
        text.push_str(&format!("{name}: {shown}\n"));
    }
    text
}

/// The summary and the outputs of one run, as one snapshot: what a user sees of the step.
pub(crate) fn seen(run: &super::harness::Run) -> String {
    format!(
        "exit {}\n\n--- outputs\n{}\n--- summary\n{}",
        run.code,
        outputs(run),
        run.summary
    )
}
