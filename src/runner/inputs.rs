//! Inputs, read the way `@actions/core` reads them, and shared by every mode.
//!
//! An input `tag-prefix` arrives as `INPUT_TAG-PREFIX` (upper-cased, spaces to `_`, hyphens kept);
//! `INPUT_TAG_PREFIX` is accepted too because some shells cannot export a hyphenated name. Values
//! are trimmed and an empty value means "not given". Every input is also a flag
//! (`--tag-prefix v`) and a flag given on the command line beats the environment: the environment
//! is turned into flags before clap parses, so validation, defaults and `--help` live in one place.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use crate::error::{Failure, Result};

/// The workspace every path input must stay in: `GITHUB_WORKSPACE`, else the working directory.
pub fn workspace() -> Result<PathBuf> {
    let dir = super::env::os_value("GITHUB_WORKSPACE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .map_or_else(std::env::current_dir, Ok)?;
    std::fs::canonicalize(&dir).map_err(|e| {
        Failure::usage(
            "No workspace",
            format!("the workspace {} cannot be read: {e}", dir.display()),
        )
    })
}

/// Refuses, with exit 2, a resolved (symlink-free) path outside the workspace or, when
/// `runner_temp_too`, outside `RUNNER_TEMP` as well: the runner's own scratch directory, where
/// workflows often build packages. `value` is what the user wrote for input `input`.
pub fn confine(input: &str, value: &str, resolved: &Path, runner_temp_too: bool) -> Result<()> {
    let workspace = workspace()?;
    let runner_temp = super::env::runner_temp()
        .filter(|_| runner_temp_too)
        .and_then(|v| std::fs::canonicalize(v).ok());
    if is_within(resolved, &workspace) || runner_temp.is_some_and(|temp| is_within(resolved, &temp))
    {
        return Ok(());
    }
    let also = if runner_temp_too {
        " (or RUNNER_TEMP)"
    } else {
        ""
    };
    Err(Failure::usage(
        "Path outside the workspace",
        format!(
            "input `{input}`: {value} resolves to {}, outside the workspace {}{also}",
            resolved.display(),
            workspace.display()
        ),
    )
    .with_fix(format!(
        "give `{input}` a path inside the workspace (GITHUB_WORKSPACE){also}; a symlink in the \
         repository cannot lead out of it"
    )))
}

/// Whether `path` is `root` or below it, comparing whole path components: `/src/repo-other/x`
/// is not inside `/src/repo`, though its text starts with it. Both paths are expected resolved
/// (absolute, no symlink, no `..`).
pub fn is_within(path: &Path, root: &Path) -> bool {
    path.starts_with(root)
}

/// What a path input is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A file or directory the binary reads: every symlink in it is resolved.
    Read,
    /// A file the binary creates: its directory is resolved, the name itself is not (the file is
    /// then created without following a symlink, see [`create_file`]). May also be in
    /// `RUNNER_TEMP`, the runner's own scratch directory.
    Write,
    /// A directory the binary writes files into (with [`create_file`]): resolved like `Read`,
    /// and may also be in `RUNNER_TEMP`.
    WriteDir,
}

/// Resolves path input `input` (relative to the working directory) and refuses, with exit 2, a
/// path that leads outside the workspace, through `..`, an absolute path or a symlink committed
/// to the repository. Returns the resolved path, which holds no symlink (but, for
/// [`Access::Write`], its last component).
pub fn path_in_workspace(input: &str, value: &str, access: Access) -> Result<PathBuf> {
    let joined = std::env::current_dir()?.join(value);
    let (dir, last) = match (access, joined.file_name()) {
        (Access::Write, Some(name)) => (
            joined.parent().map(Path::to_path_buf).unwrap_or_default(),
            Some(name.to_owned()),
        ),
        _ => (joined.clone(), None),
    };
    let mut resolved = resolve_existing(&dir);
    if let Some(last) = last {
        resolved.push(last);
    }
    confine(input, value, &resolved, access != Access::Read)?;
    Ok(resolved)
}

/// The real path of the longest existing prefix of `path`, with the rest appended (`..` in the
/// rest taken lexically, since nothing there exists to be a symlink).
fn resolve_existing(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    // Components after the existing prefix, last first; `None` is `..`.
    let mut rest: Vec<Option<std::ffi::OsString>> = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                match part {
                    None => {
                        out.pop();
                    }
                    Some(name) => out.push(name),
                }
            }
            return out;
        }
        let Some(last) = existing.components().next_back() else {
            return path.to_path_buf();
        };
        match last {
            Component::Normal(name) => rest.push(Some(name.to_owned())),
            Component::ParentDir => rest.push(None),
            _ => {}
        }
        if !existing.pop() {
            return path.to_path_buf();
        }
    }
}

/// Creates (or truncates) an output file without following a symlink at its name, so a link
/// committed where an output goes cannot redirect the write.
pub fn create_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            std::io::Error::other(format!(
                "{} is a symlink; outputs never follow one",
                path.display()
            ))
        } else {
            e
        }
    })?;
    file.write_all(bytes)
}

/// The variable the runner sets for an input.
pub fn env_name(input: &str) -> String {
    format!("INPUT_{}", input.replace(' ', "_").to_uppercase())
}

/// An input's value from the environment, trimmed; `None` when unset or blank.
pub fn from_env(input: &str) -> Option<(String, String)> {
    let hyphen = env_name(input);
    let underscore = hyphen.replace('-', "_");
    for name in [hyphen, underscore] {
        if let Some(value) = super::env::string(&name) {
            let value = value.trim();
            if !value.is_empty() {
                return Some((name, value.to_string()));
            }
        }
    }
    None
}

/// An input's value exactly as given (not trimmed), for inputs whose whitespace matters (a
/// separator of `" "`); `None` when unset or empty.
pub fn untrimmed_from_env(input: &str) -> Option<String> {
    let hyphen = env_name(input);
    let underscore = hyphen.replace('-', "_");
    [hyphen, underscore]
        .into_iter()
        .find_map(|name| super::env::string(&name).filter(|v| !v.is_empty()))
}

/// The booleans `@actions/core`'s `getBooleanInput` accepts (the YAML 1.2 core schema), and no
/// others: `yes`, `1` or `on` are errors, not a silent false.
pub fn boolean(value: &str) -> Result<bool, String> {
    match value.trim() {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" => Ok(false),
        other => Err(format!(
            "{other:?} is not a boolean: use true or false (true|True|TRUE|false|False|FALSE)"
        )),
    }
}

/// A list input: items separated by newlines or commas, each trimmed, blanks dropped.
pub fn list(value: &str) -> Vec<String> {
    value
        .split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A lines input (for values that contain commas, like `channel-tags`): one item per line,
/// trimmed, blanks and `#` comments dropped.
pub fn lines(value: &str) -> Vec<String> {
    value
        .lines()
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// docker/metadata-action's own inputs (but `github-token`, which the action fills in with the
/// workflow's token): a step without `mode` that gives any of them is a metadata-action step.
pub const METADATA_ACTION_INPUTS: &[&str] = &[
    "images",
    "tags",
    "flavor",
    "labels",
    "annotations",
    "sep-tags",
    "sep-labels",
    "sep-annotations",
    "bake-target",
    "context",
];

/// The hidden channel-tags flag that selects docker/metadata-action's form (its default `tags`
/// and `flavor` included) for a step that names no mode.
pub const METADATA_ACTION_FLAG: &str = "--metadata-action";

/// The mode a step without `mode` asks for: docker/metadata-action's inputs are channel-tags in
/// metadata-action's form, defaults included, so a metadata-action step changes only its `uses:`
/// line. Returns the arguments to insert.
fn implied_mode() -> Option<Vec<OsString>> {
    METADATA_ACTION_INPUTS
        .iter()
        .any(|input| untrimmed_from_env(input).is_some())
        .then(|| vec!["channel-tags".into(), METADATA_ACTION_FLAG.into()])
}

/// Where an input's value came from, to name it in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromEnv {
    pub input: String,
    pub variable: String,
}

/// Turns `INPUT_*` variables into flags for the chosen mode.
///
/// With no mode on the command line, `INPUT_MODE` picks it (that is how `action.yml` runs the
/// binary). For every flag of that mode not already on the command line, a non-blank `INPUT_*`
/// value is appended as `--name=value`. Returns the new argv and which inputs came from the
/// environment.
pub fn argv_with_env_inputs(
    cmd: &clap::Command,
    argv: Vec<OsString>,
) -> (Vec<OsString>, Vec<FromEnv>) {
    let mut argv = argv;
    let mut injected = Vec::new();
    let mode_names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
    let wants_help = argv
        .iter()
        .skip(1)
        .any(|a| a == "--help" || a == "-h" || a == "--version" || a == "-V" || a == "help");
    let position = argv
        .iter()
        .skip(1)
        .position(|a| mode_names.iter().any(|m| a == *m))
        .map(|p| p + 1);
    let mode = match position {
        Some(p) => argv[p].to_string_lossy().into_owned(),
        None if wants_help => return (argv, injected),
        None => {
            let inserted = match from_env("mode") {
                Some((_, mode)) => Some(vec![OsString::from(mode)]),
                None => implied_mode(),
            };
            let Some(inserted) = inserted else {
                return (argv, injected);
            };
            let mode = inserted[0].to_string_lossy().into_owned();
            let at = 1.min(argv.len());
            argv.splice(at..at, inserted);
            mode
        }
    };
    let Some(sub) = cmd.find_subcommand(&mode) else {
        return (argv, injected);
    };
    for arg in sub.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        // A hidden flag is the binary's own (e.g. `--metadata-action`), never an input.
        if long == "help" || long == "version" || arg.is_hide_set() {
            continue;
        }
        let flag = format!("--{long}");
        let given = argv.iter().any(|a| {
            let a = a.to_string_lossy();
            a == flag || a.starts_with(&format!("{flag}="))
        });
        if given {
            continue;
        }
        if let Some((variable, value)) = from_env(long) {
            argv.push(OsString::from(format!("{flag}={value}")));
            injected.push(FromEnv {
                input: long.to_string(),
                variable,
            });
        }
    }
    (argv, injected)
}

/// Inputs of the composite action that are not flags of the binary.
const ACTION_ONLY_INPUTS: &[&str] = &["mode", "build-from-source"];

/// Warnings for `INPUT_*` variables the chosen mode does not read: an input of another mode
/// (unless it holds that input's default, which action.yml passes to every mode) or a name that
/// is no input at all (a typo such as `INPUT_TAG-PRFIX`), with the closest input suggested.
/// Values are never quoted: some are secrets.
pub fn unread_inputs(cmd: &clap::Command, mode: &str) -> Vec<String> {
    let Some(selected) = cmd.find_subcommand(mode) else {
        return Vec::new();
    };
    let longs = |sub: &clap::Command| -> Vec<String> {
        sub.get_arguments()
            .filter_map(|a| a.get_long().map(str::to_string))
            .collect()
    };
    let reads: Vec<String> = longs(selected)
        .into_iter()
        .chain(
            cmd.get_arguments()
                .filter_map(|a| a.get_long().map(str::to_string)),
        )
        .collect();
    let mut warnings = Vec::new();
    let mut vars: Vec<(String, String)> = super::env::utf8_vars()
        .into_iter()
        .filter(|(name, value)| name.starts_with("INPUT_") && !value.trim().is_empty())
        .collect();
    vars.sort();
    for (variable, value) in vars {
        let raw = variable["INPUT_".len()..].to_lowercase();
        let names = [raw.clone(), raw.replace('_', "-")];
        let is = |list: &[String]| names.iter().find(|n| list.contains(n)).cloned();
        if names
            .iter()
            .any(|n| ACTION_ONLY_INPUTS.contains(&n.as_str()))
            || is(&reads).is_some()
        {
            continue;
        }
        // Where the input belongs, and whether it holds that mode's default.
        let mut owners = Vec::new();
        let mut is_default = false;
        let mut input = None;
        for sub in cmd.get_subcommands() {
            for arg in sub.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                if !names.iter().any(|n| n == long) {
                    continue;
                }
                input = Some(long.to_string());
                owners.push(sub.get_name().to_string());
                let default: Vec<String> = arg
                    .get_default_values()
                    .iter()
                    .map(|v| v.to_string_lossy().trim().to_string())
                    .collect();
                is_default |= default.join(",") == value.trim();
            }
        }
        match input {
            Some(_) if is_default => {}
            Some(input) => warnings.push(format!(
                "input `{input}` ({variable}) is not read by {mode}: it is an input of {}. \
                 Remove it from this step, or run the mode that reads it.",
                owners.join(", ")
            )),
            None => {
                let known: Vec<String> = cmd
                    .get_subcommands()
                    .flat_map(longs)
                    .chain(ACTION_ONLY_INPUTS.iter().map(|s| s.to_string()))
                    .collect();
                let closest = known
                    .iter()
                    .map(|k| (edit_distance(k, &names[1]), k))
                    .filter(|(d, _)| *d <= 2)
                    .min();
                let hint = closest
                    .map(|(_, k)| format!(" Did you mean `{k}`?"))
                    .unwrap_or_default();
                warnings.push(format!(
                    "{variable} is not an input of release-action, so it is ignored.{hint}"
                ));
            }
        }
    }
    warnings
}

/// Levenshtein distance, for suggesting the input a typo meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (row[j] + 1).min(cur + 1).min(prev + usize::from(ca != *cb));
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confinement_compares_path_components_not_text() {
        let root = Path::new("/home/runner/work/src/repo");
        for inside in [
            "/home/runner/work/src/repo",
            "/home/runner/work/src/repo/",
            "/home/runner/work/src/repo/dist/app.tgz",
            "/home/runner/work/src/repo/repo-other",
        ] {
            assert!(is_within(Path::new(inside), root), "{inside}");
        }
        for outside in [
            "/home/runner/work/src/repo-other/secret",
            "/home/runner/work/src/repo-other",
            "/home/runner/work/src/repo.bak/x",
            "/home/runner/work/src/rep",
            "/home/runner/work/src",
            "/",
        ] {
            assert!(!is_within(Path::new(outside), root), "{outside}");
        }
        // A root given with a trailing slash means the same directory.
        let slashed = Path::new("/home/runner/work/src/repo/");
        assert!(!is_within(
            Path::new("/home/runner/work/src/repo-other/x"),
            slashed
        ));
        assert!(is_within(
            Path::new("/home/runner/work/src/repo/x"),
            slashed
        ));
    }

    #[test]
    fn env_names_follow_actions_core() {
        assert_eq!(env_name("tag-prefix"), "INPUT_TAG-PREFIX");
        assert_eq!(env_name("my input"), "INPUT_MY_INPUT");
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("tag-prefix", "tag-prfix"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "ab"), 2);
    }

    #[test]
    fn booleans_are_strict() {
        for t in ["true", "True", "TRUE", " true "] {
            assert_eq!(boolean(t), Ok(true));
        }
        for f in ["false", "False", "FALSE"] {
            assert_eq!(boolean(f), Ok(false));
        }
        for bad in ["yes", "1", "on", "tRue", ""] {
            assert!(boolean(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lists_split_on_newlines_and_commas() {
        assert_eq!(list("a, b\n\n c ,\n"), vec!["a", "b", "c"]);
        assert_eq!(
            lines("main=latest,sha\n# c\n\n dev=dev "),
            vec!["main=latest,sha", "dev=dev"]
        );
    }
}
