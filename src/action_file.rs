//! The per-mode actions (`<mode>/action.yml`, used as `ameideio/release-action/<mode>@v1`),
//! written from the binary's own definitions: the mode's clap `Args` (names, help, defaults) and
//! its `OUTPUTS`. `cargo run --example action_yml` writes them; the `action_yml` integration test
//! fails when a committed file differs from [`render`].

use crate::cli;
use crate::modes;

/// The comment every generated file starts with.
pub const GENERATED: &str =
    "# Generated from the binary's definitions by `cargo run --example action_yml`: do not edit.";

/// The inputs whose default is the workflow's token, `(mode, input)`: the `token` of the modes
/// that comment on pull requests, and channel-tags' `github-token` as docker/metadata-action's (its `token` is the alias, with
/// no default of its own). Registry tokens have none.
const WORKFLOW_TOKEN_INPUTS: &[(&str, &str)] = &[
    ("version-guard", "token"),
    ("publish-check", "token"),
    ("smoke-install", "token"),
    ("verify", "token"),
    ("verify-bundle", "token"),
    ("channel-tags", "github-token"),
];

/// The shell of every step: no profile, strict.
const SHELL: &str = "bash --noprofile --norc -euo pipefail {0}";

/// One input of a mode, as its action declares it.
pub struct Input {
    pub name: String,
    pub description: String,
    pub default: Option<String>,
}

/// The names of the modes, in `--help` order.
pub fn modes() -> Vec<String> {
    cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect()
}

/// The inputs a mode's action declares: every flag of the mode but the hidden ones, with its
/// help as description and its default (the workflow's token for `token`/`github-token`).
pub fn inputs(mode: &str) -> Vec<Input> {
    let cmd = cli::command();
    let Some(sub) = cmd.find_subcommand(mode) else {
        return Vec::new();
    };
    sub.get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|arg| {
            let long = arg.get_long()?;
            if long == "help" {
                return None;
            }
            let help = arg
                .get_long_help()
                .or_else(|| arg.get_help())
                .map(ToString::to_string)
                .unwrap_or_default();
            let defaults: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            let default = if WORKFLOW_TOKEN_INPUTS.contains(&(mode, long)) {
                Some("${{ github.token }}".to_string())
            } else if defaults.is_empty() {
                None
            } else {
                Some(defaults.join(","))
            };
            Some(Input {
                name: long.to_string(),
                description: one_line(&help),
                default,
            })
        })
        .collect()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A YAML double-quoted scalar (JSON's string syntax is a subset of it).
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// The text of `<mode>/action.yml`, or `None` for an unknown mode.
pub fn render(mode: &str) -> Option<String> {
    let cmd = cli::command();
    let sub = cmd.find_subcommand(mode)?;
    let about = one_line(
        &sub.get_long_about()
            .or_else(|| sub.get_about())
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    let outputs = modes::all_outputs()
        .into_iter()
        .find(|(name, _)| *name == mode)
        .map(|(_, o)| o)
        .unwrap_or_default();
    let mut y = String::new();
    let mut line = |text: String| {
        y.push_str(&text);
        y.push('\n');
    };
    line(GENERATED.to_string());
    line(format!("name: release-action {mode}"));
    line(format!("description: {}", quoted(&about)));
    line("author: ameideio".into());
    line("branding:\n  icon: shield\n  color: green\n".into());
    line("inputs:".into());
    line("  build-from-source:".into());
    line(
        "    description: \"Build the binary with cargo instead of downloading the pinned release \
         (needs a Rust toolchain).\""
            .into(),
    );
    line("    required: false\n    default: \"false\"".into());
    let inputs = inputs(mode);
    for input in &inputs {
        line(format!("  {}:", input.name));
        line(format!("    description: {}", quoted(&input.description)));
        line("    required: false".into());
        if let Some(default) = &input.default {
            line(format!("    default: {}", quoted(default)));
        }
    }
    line("\noutputs:".into());
    for output in &outputs {
        line(format!("  {}:", output.name));
        line(format!("    description: {}", quoted(output.description)));
        line(format!(
            "    value: ${{{{ steps.run.outputs.{} }}}}",
            output.name
        ));
    }
    line("\nruns:\n  using: composite\n  steps:".into());
    line("    - name: Resolve the release-action binary\n      id: resolve".into());
    line(format!("      shell: {SHELL}\n      env:"));
    line("        BUILD_FROM_SOURCE: ${{ inputs.build-from-source }}".into());
    line("        ACTION_PATH: ${{ github.action_path }}".into());
    line("      run: bash \"$ACTION_PATH/../dist/resolve.sh\"".into());
    line(format!(
        "    - name: Run release-action {mode}\n      id: run"
    ));
    line(format!("      shell: {SHELL}\n      env:"));
    line("        RELEASE_ACTION_RESOLVED: ${{ steps.resolve.outputs.path }}".into());
    line(format!("        INPUT_MODE: {mode}"));
    for input in &inputs {
        line(format!(
            "        INPUT_{}: ${{{{ inputs.{} }}}}",
            input.name.to_uppercase(),
            input.name
        ));
    }
    line(
        "      # exec: no shell stays above the binary holding the inputs (secrets included) in \
         its\n      # environment, where package code the mode runs could read them in /proc.\n      \
         run: exec \"$RELEASE_ACTION_RESOLVED\""
            .into(),
    );
    Some(y)
}
