//! Inputs, read the way `@actions/core` reads them, and shared by every mode.
//!
//! An input `tag-prefix` arrives as `INPUT_TAG-PREFIX` (upper-cased, spaces to `_`, hyphens kept);
//! `INPUT_TAG_PREFIX` is accepted too because some shells cannot export a hyphenated name. Values
//! are trimmed and an empty value means "not given". Every input is also a flag
//! (`--tag-prefix v`) and a flag given on the command line beats the environment: the environment
//! is turned into flags before clap parses, so validation, defaults and `--help` live in one place.

use std::ffi::OsString;

/// The variable the runner sets for an input.
pub fn env_name(input: &str) -> String {
    format!("INPUT_{}", input.replace(' ', "_").to_uppercase())
}

/// An input's value from the environment, trimmed; `None` when unset or blank.
pub fn from_env(input: &str) -> Option<(String, String)> {
    let hyphen = env_name(input);
    let underscore = hyphen.replace('-', "_");
    for name in [hyphen, underscore] {
        if let Ok(value) = std::env::var(&name) {
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
        .find_map(|name| std::env::var(&name).ok().filter(|v| !v.is_empty()))
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

/// The mode a step without `mode` asks for: docker/metadata-action's inputs (`tags`, `flavor`)
/// are channel-tags, so a metadata-action step changes only its `uses:` line.
fn implied_mode() -> Option<String> {
    ["tags", "flavor"]
        .iter()
        .any(|input| from_env(input).is_some())
        .then(|| "channel-tags".to_string())
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
        None => match from_env("mode").map(|(_, m)| m).or_else(implied_mode) {
            Some(mode) => {
                argv.insert(1.min(argv.len()), OsString::from(&mode));
                mode
            }
            None => return (argv, injected),
        },
    };
    let Some(sub) = cmd.find_subcommand(&mode) else {
        return (argv, injected);
    };
    for arg in sub.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if long == "help" || long == "version" {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_follow_actions_core() {
        assert_eq!(env_name("tag-prefix"), "INPUT_TAG-PREFIX");
        assert_eq!(env_name("my input"), "INPUT_MY_INPUT");
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
