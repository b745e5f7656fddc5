//! The actions and the binary agree. The root action.yml (with `mode:`): every flag of every mode
//! is an input passed through `env:` and it declares no other, every output a mode may set is
//! declared (GitHub drops undeclared outputs of a composite action). Each per-mode action
//! (`<mode>/action.yml`) is exactly what the binary's definitions generate, and declares exactly
//! that mode's inputs and outputs. No `${{ }}` expression is interpolated into a `run:` script.

use std::collections::BTreeSet;

use yaml_serde::Value;

fn read(path: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(path: &str) -> Value {
    yaml_serde::from_str(&read(path)).unwrap_or_else(|e| panic!("{path} parses: {e}"))
}

fn action() -> Value {
    parse("action.yml")
}

/// Every action file: the root one and one per mode.
fn action_files() -> Vec<String> {
    let mut files = vec!["action.yml".to_string()];
    files.extend(
        release_action::action_file::modes()
            .into_iter()
            .map(|m| format!("{m}/action.yml")),
    );
    files
}

/// The flags of a mode that are action inputs (not the hidden ones, not `--help`).
fn flags(sub: &clap::Command) -> BTreeSet<String> {
    sub.get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long())
        .filter(|l| *l != "help")
        .map(str::to_string)
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_flag_is_an_input_passed_through_env() {
    let action = action();
    let inputs = keys(&action["inputs"]);
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let run_step = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("run"))
        .unwrap();
    let env = keys(&run_step["env"]);
    let cmd = release_action::cli::command();
    let mut every_flag = BTreeSet::from(["mode".to_string(), "build-from-source".to_string()]);
    for sub in cmd.get_subcommands() {
        every_flag.extend(flags(sub));
        for long in flags(sub) {
            let long = long.as_str();
            assert!(
                inputs.contains(long),
                "{}: --{long} is not an input in action.yml",
                sub.get_name()
            );
            let var = format!("INPUT_{}", long.to_uppercase());
            assert!(
                env.contains(&var),
                "action.yml run step does not pass {var}"
            );
            // A secret reaches only the mode that reads it (trust_secrets checks which).
            let expected = match long {
                "token" => {
                    "${{ (inputs.mode == 'version-guard' || inputs.mode == 'publish-check' || inputs.mode == 'smoke-install' || inputs.mode == 'verify' || inputs.mode == 'verify-bundle') && inputs.token || '' }}".to_string()
                }
                // verify reads the images' registry token too.
                "registry-token" => {
                    "${{ (inputs.mode == 'smoke-install' || inputs.mode == 'publish-check' || inputs.mode == 'verify') && inputs.registry-token || '' }}".to_string()
                }
                "npm-token" | "pypi-token" | "go-token" | "cargo-token" => {
                    format!("${{{{ (inputs.mode == 'smoke-install' || inputs.mode == 'publish-check') && inputs.{long} || '' }}}}")
                }
                // channel-tags in either form: `mode: channel-tags`, or no mode at all.
                "github-token" => {
                    "${{ (inputs.mode == 'channel-tags' || inputs.mode == '') && inputs.github-token || '' }}".to_string()
                }
                _ => format!("${{{{ inputs.{long} }}}}"),
            };
            assert_eq!(
                run_step["env"][var.as_str()].as_str(),
                Some(expected.as_str()),
                "{var}"
            );
            assert!(action["inputs"][long]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()));
        }
    }
    // No input the binary does not read: a typo'd or stale input would pass silently.
    assert_eq!(
        inputs, every_flag,
        "action.yml's inputs and the binary's flags"
    );
    // The workflow's token, as docker/metadata-action's `github-token` defaults to it.
    for input in ["token", "github-token"] {
        assert_eq!(
            action["inputs"][input]["default"].as_str(),
            Some("${{ github.token }}"),
            "{input}"
        );
    }
}

/// `<mode>/action.yml` is what the binary generates (`cargo run --example action_yml`).
#[test]
fn every_mode_action_is_generated_from_the_binary() {
    for mode in release_action::action_file::modes() {
        let path = format!("{mode}/action.yml");
        let expected = release_action::action_file::render(&mode).unwrap();
        assert!(
            read(&path) == expected,
            "{path} differs from the binary's definitions: run `cargo run --example action_yml`"
        );
    }
}

/// Each per-mode action declares exactly the inputs the binary reads for that mode (and
/// `build-from-source`), passes each one to it, and declares exactly the mode's outputs.
#[test]
fn every_mode_action_declares_exactly_its_modes_inputs_and_outputs() {
    let cmd = release_action::cli::command();
    let all_outputs = release_action::modes::all_outputs();
    let mut modes = 0;
    for sub in cmd.get_subcommands() {
        let mode = sub.get_name();
        let action = parse(&format!("{mode}/action.yml"));
        let mut expected = flags(sub);
        assert!(!expected.is_empty(), "{mode}");
        let steps = action["runs"]["steps"].as_sequence().unwrap();
        let run_step = steps
            .iter()
            .find(|s| s["id"].as_str() == Some("run"))
            .unwrap();
        assert_eq!(run_step["env"]["INPUT_MODE"].as_str(), Some(mode));
        let passed: BTreeSet<String> = keys(&run_step["env"])
            .into_iter()
            .filter_map(|v| v.strip_prefix("INPUT_").map(str::to_lowercase))
            .filter(|v| v != "mode")
            .collect();
        assert_eq!(passed, expected, "{mode}: inputs passed to the binary");
        expected.insert("build-from-source".to_string());
        assert_eq!(keys(&action["inputs"]), expected, "{mode}: inputs");
        let outputs: BTreeSet<String> = all_outputs
            .iter()
            .find(|(m, _)| *m == mode)
            .unwrap()
            .1
            .iter()
            .map(|o| o.name.to_string())
            .collect();
        assert_eq!(keys(&action["outputs"]), outputs, "{mode}: outputs");
        modes += 1;
    }
    assert_eq!(modes, 7);
    let channel_tags = parse("channel-tags/action.yml");
    assert_eq!(
        channel_tags["inputs"]["github-token"]["default"].as_str(),
        Some("${{ github.token }}")
    );
}

/// The words about modes and ecosystems agree with the binary's lists: every mode in the crate's
/// descriptions, every ecosystem in the help of the modes that handle all of them.
#[test]
fn descriptions_name_every_mode_and_ecosystem() {
    let modes = release_action::action_file::modes();
    let cargo_toml = read("Cargo.toml");
    let description = cargo_toml
        .lines()
        .find(|l| l.starts_with("description"))
        .unwrap();
    let lib = read("src/lib.rs");
    let crate_doc: String = lib.lines().take_while(|l| l.starts_with("//!")).collect();
    let root = action();
    for mode in &modes {
        assert!(description.contains(mode.as_str()), "Cargo.toml: {mode}");
        assert!(crate_doc.contains(mode.as_str()), "src/lib.rs: {mode}");
        assert!(
            root["inputs"]["mode"]["description"]
                .as_str()
                .unwrap()
                .contains(mode.as_str()),
            "action.yml mode: {mode}"
        );
    }
    let cmd = release_action::cli::command();
    for mode in ["version-guard", "smoke-install"] {
        let about = cmd
            .find_subcommand(mode)
            .unwrap()
            .get_about()
            .unwrap()
            .to_string();
        for eco in release_action::ecosystem::ALL {
            let label = eco.identity().label;
            assert!(
                about.contains(label),
                "{mode}'s help lacks {label}: {about}"
            );
        }
    }
}

#[test]
fn every_output_is_declared() {
    let action = action();
    let outputs = keys(&action["outputs"]);
    for (mode, specs) in release_action::modes::all_outputs() {
        for spec in specs {
            assert!(
                outputs.contains(spec.name),
                "{mode} output {} is not declared",
                spec.name
            );
            assert_eq!(
                action["outputs"][spec.name]["value"].as_str(),
                Some(format!("${{{{ steps.run.outputs.{} }}}}", spec.name).as_str())
            );
        }
    }
}

#[test]
fn no_expression_inside_run_scripts() {
    for file in action_files() {
        let action = parse(&file);
        for step in action["runs"]["steps"].as_sequence().unwrap() {
            if let Some(run) = step["run"].as_str() {
                assert!(!run.contains("${{"), "{file}: expression inside run: {run}");
            }
            if let Some(shell) = step["shell"].as_str() {
                assert_eq!(shell, "bash --noprofile --norc -euo pipefail {0}", "{file}");
            }
        }
    }
}
