//! Command line: one subcommand per mode. Inside a workflow the same flags arrive as `INPUT_*`
//! variables (see [`crate::runner::inputs`]); the mode itself comes from `INPUT_MODE`.

use std::ffi::OsString;
use std::io::Write;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::error::Failure;
use crate::modes::{
    self, channel_tags, policy_check, publish_check, smoke_install, verify, verify_bundle,
    version_guard,
};
use crate::runner::{self, inputs, Runner};

#[derive(Debug, Parser)]
#[command(
    name = "release-action",
    version,
    about = "Guards releases in GitHub Actions: versions, image tags, smoke installs, policy and re-runnable publishing.",
    long_about = "Guards releases in GitHub Actions: versions, image tags, smoke installs, policy and re-runnable publishing.\n\n\
        Every flag is also read from INPUT_<NAME> (upper-cased, hyphens kept, e.g. INPUT_TAG-PREFIX; \
        INPUT_TAG_PREFIX works too), which is how the composite action passes its inputs. A flag on \
        the command line beats the environment. Without a mode argument, INPUT_MODE chooses it (a step with docker/metadata-action's `tags` or `flavor` and no mode is channel-tags).\n\n\
        Exit codes: 0 success, 1 a guard or policy failure, 2 a usage, configuration or environment error."
)]
pub struct Cli {
    /// Print outputs as one JSON object instead of name=value lines (when GITHUB_OUTPUT is unset).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub mode: Mode,
}

// One value per run, parsed once: boxing the larger modes' flags would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Mode {
    /// Find the latest release tag, refuse to go backwards, decide the channel and compute npm,
    /// PyPI, Go and Cargo versions.
    VersionGuard(version_guard::Args),
    /// Container image tags and OCI labels per channel (a drop-in for docker/metadata-action).
    ChannelTags(channel_tags::Args),
    /// Install built or published npm, PyPI, Go and Cargo packages into a fresh isolated project
    /// and load every entry point at the expected version.
    SmokeInstall(smoke_install::Args),
    /// Check repository rules (import boundaries, required env, registries, patterns).
    PolicyCheck(policy_check::Args),
    /// Before publishing: whether each built npm tarball, wheel, sdist, Go module or crate is
    /// already in its registry (absent, identical or different), so a release job is safe to
    /// re-run.
    PublishCheck(publish_check::Args),
    /// Before a deploy: the Sigstore signatures and attestations attached to each image digest
    /// (OCI referrers) must verify for the expected identity.
    Verify(verify::Args),
    /// Verify a Sigstore bundle (signature or attestation) for an artifact or its digest, against
    /// the signer's certificate identity and OIDC issuer, or a public key.
    VerifyBundle(verify_bundle::Args),
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::VersionGuard(_) => "version-guard",
            Mode::ChannelTags(_) => "channel-tags",
            Mode::SmokeInstall(_) => "smoke-install",
            Mode::PolicyCheck(_) => "policy-check",
            Mode::PublishCheck(_) => "publish-check",
            Mode::Verify(_) => "verify",
            Mode::VerifyBundle(_) => "verify-bundle",
        }
    }

    /// Values of flags whose names say they are secrets (`token`, `registry-token`, …).
    fn secret_values(matches: &clap::ArgMatches) -> Vec<String> {
        let Some((_, sub)) = matches.subcommand() else {
            return Vec::new();
        };
        sub.ids()
            .filter(|id| runner::is_secret_name(id.as_str()))
            .filter_map(|id| {
                sub.try_get_one::<String>(id.as_str())
                    .ok()
                    .flatten()
                    .cloned()
            })
            .collect()
    }
}

/// The clap command, with a long help that lists every mode's inputs and defaults.
pub fn command() -> clap::Command {
    let cmd = Cli::command();
    let mut text =
        String::from("Inputs of every mode (flag = action input; default in brackets):\n");
    for sub in cmd.get_subcommands() {
        text.push_str(&format!("\n  {}\n", sub.get_name()));
        for arg in sub.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if long == "help" {
                continue;
            }
            let default: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            let default = if default.is_empty() {
                String::new()
            } else {
                format!(" [{}]", default.join(",").replace('\n', "\\n"))
            };
            text.push_str(&format!("    --{long}{default}\n"));
        }
    }
    text.push_str("\nOutputs:\n");
    for (mode, outputs) in modes::all_outputs() {
        let names: Vec<&str> = outputs.iter().map(|o| o.name).collect();
        text.push_str(&format!("  {mode}: {}\n", names.join(", ")));
    }
    cmd.after_long_help(text)
}

fn install_panic_hook() {
    // No panic message reaches a user: a bug becomes an error annotation and exit code 2.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let line = crate::runner::commands::command(
            "error",
            &[("title", "release-action internal error".to_string())],
            &format!(
                "release-action hit an internal error{place}. This is a bug: please report it \
                 with the step's log at https://github.com/ameideio/release-action/issues"
            ),
        );
        let _ = writeln!(std::io::stdout(), "{line}");
        let _ = std::io::stdout().flush();
        std::process::exit(2);
    }));
}

/// Runs the binary with the process's arguments and environment; returns the exit code.
pub fn main() -> i32 {
    // The sandbox helper (runner::confine) is this binary too: a fresh, single-threaded image that
    // sets up namespaces and execs a tool. It runs before anything else, and reads no input.
    let argv: Vec<OsString> = std::env::args_os().collect();
    if argv
        .get(1)
        .is_some_and(|a| a == crate::runner::confine::HELPER_ARG)
    {
        crate::runner::confine::helper_main(&argv[2..]);
    }
    // First of all: package code smoke-install runs later can read this process's exec-time
    // environment, so the secrets leave it (by re-executing) before anything else happens.
    if let Err(message) = crate::runner::secrets::drop_from_process_environment() {
        let json = std::env::args_os().any(|a| a == "--json");
        let runner = Runner::from_env("release-action", json);
        runner.mask_environment_secrets();
        let failure = Failure::usage("Cannot protect the secrets", message).with_fix(
            "pass tokens only through the `token` and `registry-token` inputs, and report this \
             with the step's log if it persists",
        );
        return runner.finish(Err(failure));
    }
    run(std::env::args_os().collect())
}

pub fn run(argv: Vec<OsString>) -> i32 {
    install_panic_hook();
    let json = argv.iter().any(|a| a == "--json");
    Runner::from_env("release-action", json).mask_environment_secrets();

    let cmd = command();
    let (argv, from_env) = inputs::argv_with_env_inputs(&cmd, argv);
    // The mode the run was asked for, to name it in a usage error's summary.
    let asked: &'static str = modes::all_outputs()
        .into_iter()
        .map(|(name, _)| name)
        .find(|name| argv.iter().any(|a| a == *name))
        .unwrap_or("release-action");
    let matches = match cmd.try_get_matches_from(argv) {
        Ok(m) => m,
        Err(err) => return usage_error(err, &from_env, json, asked),
    };
    let probe = Runner::from_env("release-action", json);
    for secret in Mode::secret_values(&matches) {
        probe.mask(&secret);
    }
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return usage_error(err, &from_env, json, asked),
    };
    let mut runner = Runner::from_env(cli.mode.name(), cli.json);
    for warning in inputs::unread_inputs(&command(), cli.mode.name()) {
        runner.warning(&warning);
    }
    let result = match cli.mode {
        Mode::VersionGuard(args) => version_guard::run(args, &mut runner),
        Mode::ChannelTags(args) => channel_tags::run(args, &mut runner),
        Mode::SmokeInstall(args) => smoke_install::run(args, &mut runner),
        Mode::PolicyCheck(args) => policy_check::run(args, &mut runner),
        Mode::PublishCheck(args) => publish_check::run(args, &mut runner),
        Mode::Verify(args) => verify::run(args, &mut runner),
        Mode::VerifyBundle(args) => verify_bundle::run(args, &mut runner),
    };
    runner.finish(result)
}

fn usage_error(
    err: clap::Error,
    from_env: &[inputs::FromEnv],
    json: bool,
    mode: &'static str,
) -> i32 {
    use clap::error::{ContextKind, ErrorKind};
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            return 0;
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let runner = Runner::from_env("release-action", json);
            let modes: Vec<String> = command()
                .get_subcommands()
                .map(|s| s.get_name().to_string())
                .collect();
            let failure = Failure::usage(
                "No mode given",
                format!(
                    "release-action needs a mode: {}, or docker/metadata-action's inputs (`images`, \
                     `tags`, …) for channel-tags in metadata-action's form",
                    modes.join(", ")
                ),
            )
            .with_fix("set the action's `mode` input, or pass the mode as the first argument (release-action --help)");
            return runner.finish(Err(failure));
        }
        _ => {}
    }
    // Name the input (and its variable) when the bad value came from the environment.
    let flag = err
        .get(ContextKind::InvalidArg)
        .map(|v| v.to_string())
        .unwrap_or_default();
    let flag_name = flag
        .trim_start_matches("--")
        .split([' ', '=', '<'])
        .next()
        .unwrap_or("")
        .to_string();
    // clap's own framing ("error: …", "For more information, try '--help'.") is for a terminal;
    // the annotation and the summary carry the fix instead.
    let rendered = err.render().to_string();
    let mut message = rendered
        .trim()
        .trim_start_matches("error: ")
        .split("\n\nFor more information")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    if let Some(origin) = from_env.iter().find(|f| f.input == flag_name) {
        message = format!(
            "input `{}` (from {}): {}",
            origin.input,
            origin.variable,
            message.trim()
        );
    }
    let runner = Runner::from_env(mode, json);
    // The title names the input when clap's error is about one value (the one style of
    // [`Failure::invalid_input`]); the message stays clap's, which already names it.
    let title = match err.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation if !flag_name.is_empty() => {
            format!("Invalid input `{flag_name}`")
        }
        _ => "Invalid input".to_string(),
    };
    let failure = Failure::usage(title, message.trim().to_string()).with_fix(format!(
        "see `release-action {} --help` or the README for the accepted values",
        if mode == "release-action" {
            "<mode>"
        } else {
            mode
        }
    ));
    runner.finish(Err(failure))
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::Cli;

    /// Every boolean flag of every mode behaves the same: bare `--flag` is true, and
    /// `--flag=true|false` says so explicitly.
    #[test]
    fn every_boolean_flag_takes_the_bare_form_and_a_value() {
        let command = Cli::command();
        let mut checked = 0;
        for mode in command.get_subcommands() {
            for arg in mode.get_arguments() {
                let is_bool = arg
                    .get_value_names()
                    .is_some_and(|names| names.iter().any(|n| n == "BOOL"));
                if !is_bool {
                    continue;
                }
                let long = arg.get_long().unwrap();
                let parse = |flag: String| {
                    let mut argv = vec!["release-action".to_string(), mode.get_name().to_string()];
                    // Required inputs of the mode, so that only the flag under test decides.
                    for required in mode.get_arguments().filter(|a| a.is_required_set()) {
                        argv.push(format!("--{}=x", required.get_long().unwrap()));
                    }
                    argv.push(flag);
                    Cli::try_parse_from(argv)
                };
                for flag in [
                    format!("--{long}"),
                    format!("--{long}=true"),
                    format!("--{long}=false"),
                ] {
                    assert!(parse(flag.clone()).is_ok(), "{} {flag}", mode.get_name());
                }
                assert!(
                    parse(format!("--{long}=maybe")).is_err(),
                    "{} --{long}=maybe",
                    mode.get_name()
                );
                checked += 1;
            }
        }
        assert!(checked >= 5, "only {checked} boolean flags found");
    }
}
