//! action.yml and the binary agree: every flag of every mode is an input passed through `env:`,
//! every output a mode may set is declared (GitHub drops undeclared outputs of a composite action),
//! and no `${{ }}` expression is interpolated into a `run:` script.

use std::collections::BTreeSet;

use yaml_serde::Value;

fn action() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
    yaml_serde::from_str(&text).expect("action.yml parses")
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
    for sub in cmd.get_subcommands() {
        for arg in sub.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if long == "help" {
                continue;
            }
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
                    "${{ inputs.mode == 'version-guard' && inputs.token || '' }}".to_string()
                }
                "registry-token" | "npm-token" | "pypi-token" | "go-token" | "cargo-token" => {
                    format!("${{{{ (inputs.mode == 'smoke-install' || inputs.mode == 'publish-check') && inputs.{long} || '' }}}}")
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
    let action = action();
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "expression inside run: {run}");
        }
        if let Some(shell) = step["shell"].as_str() {
            assert_eq!(shell, "bash --noprofile --norc -euo pipefail {0}");
        }
    }
}
