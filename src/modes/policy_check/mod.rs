//! The policy-check mode: repository rules (import boundaries, required environment, allowed
//! registries and forbidden hosts, forbidden patterns) from one policy file, checked in one
//! parallel walk of the repository, reported as annotations, a step summary, text, JSON or SARIF.

mod checkout;
pub mod config;
pub mod imports;
mod index;
pub mod output;
pub mod registry_refs;
pub mod rules;
pub mod scan;
pub mod text;
pub mod waivers;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Failure, Result};
use crate::runner::inputs::{self, Access};
use crate::runner::outputs::OutputSpec;
use crate::runner::{Level, Runner};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The policy file, relative to the working directory (the repository root); inside the
    /// workspace.
    #[arg(
        long,
        value_name = "FILE",
        default_value = ".github/release-policy.yml"
    )]
    pub policy: String,

    /// Read the policy file from this git ref (e.g. the pull request's base commit) instead of
    /// the working tree, so a pull request cannot weaken the policy that checks it. Empty: the
    /// working tree.
    #[arg(long, value_name = "REF", default_value = "")]
    pub policy_ref: String,

    /// Report format: github (annotations and step summary), text, json or sarif (on stdout).
    /// auto is github inside a workflow and text at a terminal. `--format` by hand.
    #[arg(
        long = "policy-format",
        visible_alias = "format",
        value_name = "FORMAT",
        value_enum,
        default_value = "auto"
    )]
    pub format: Format,

    /// Also write a SARIF 2.1.0 report to this path (relative to the working directory), for
    /// github/codeql-action/upload-sarif. Empty: no file.
    #[arg(long, value_name = "PATH", default_value = "")]
    pub sarif: String,

    /// Which violations fail the step (exit 1): error, warning (errors and warnings) or never.
    #[arg(long, value_name = "LEVEL", value_enum, default_value = "error")]
    pub fail_on: FailOn,

    /// The context this check runs in (for example release or pull-request): required-env
    /// rules with `modes:` apply only when it is listed.
    #[arg(long, value_name = "NAME", default_value = "")]
    pub policy_mode: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Auto,
    Github,
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

pub const OUTPUTS: &[OutputSpec] = &[
    OutputSpec {
        name: "violations",
        description: "Number of violations that were not waived (all severities).",
    },
    OutputSpec {
        name: "errors",
        description: "Number of error-severity violations that were not waived.",
    },
    OutputSpec {
        name: "warnings",
        description: "Number of warning-severity violations that were not waived.",
    },
    OutputSpec {
        name: "sarif-file",
        description: "Path of the SARIF report written (the `sarif` input), empty when none.",
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Notice,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Notice => "notice",
        }
    }

    pub fn level(self) -> Level {
        match self {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Notice => Level::Notice,
        }
    }
}

/// How a violation was waived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Waived {
    /// A `release-action: allow <rule> -- <reason>` comment at `line` of the same file.
    Inline { line: usize, reason: String },
    /// A waiver in the policy file, at `line`.
    Policy {
        line: usize,
        reason: String,
        expires: String,
    },
}

impl Waived {
    pub fn reason(&self) -> &str {
        match self {
            Waived::Inline { reason, .. } | Waived::Policy { reason, .. } => reason,
        }
    }
}

/// One finding: a rule broken at a place in a file.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub rule: String,
    pub severity: Severity,
    /// Repo-relative, `/`-separated.
    pub file: String,
    pub line: usize,
    pub col: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_col: Option<usize>,
    /// What is wrong at this place, in one sentence.
    pub detail: String,
    /// The text that broke the rule (an import, a host, a match), for stable fingerprints.
    #[serde(skip)]
    pub matched: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<Waived>,
}

/// Rules the mode itself reports on (waivers); not configurable, and ids users cannot take.
pub struct BuiltinRule {
    pub id: &'static str,
    /// What the rule is about: `waiver` or `scan` (a file the scan could not check).
    pub kind: &'static str,
    pub severity: Severity,
    pub message: &'static str,
}

pub const WAIVER_EXPIRED: BuiltinRule = BuiltinRule {
    id: "waiver-expired",
    kind: "waiver",
    severity: Severity::Error,
    message: "A waiver in the policy file is past its `expires` date, so it no longer applies. \
              Fix what it waived, or extend `expires` with a reason that still holds.",
};

pub const WAIVER_UNUSED: BuiltinRule = BuiltinRule {
    id: "waiver-unused",
    kind: "waiver",
    severity: Severity::Warning,
    message: "A waiver matched no violation: what it waived is gone or it names the wrong rule or \
              paths. Remove it so it cannot hide a future violation.",
};

pub const INLINE_WAIVER_INVALID: BuiltinRule = BuiltinRule {
    id: "inline-waiver-invalid",
    kind: "waiver",
    severity: Severity::Warning,
    message: "An inline waiver needs a reason: `release-action: allow <rule-id> -- <reason>`. \
              Without one it waives nothing.",
};

pub const SYMLINK_NOT_SCANNED: BuiltinRule = BuiltinRule {
    id: "symlink-not-scanned",
    kind: "scan",
    severity: Severity::Warning,
    message: "A symlink the policy would read points outside the repository (or nowhere), so its \
              content was not checked, yet tools read the file it points at. Commit the file \
              itself instead of a link, or waive the finding with a reason.",
};

pub const FILE_TOO_LARGE: BuiltinRule = BuiltinRule {
    id: "file-too-large",
    kind: "scan",
    severity: Severity::Error,
    message: "A text file the policy would read is larger than policy-check's per-file cap \
              (16 MiB), so its content was not checked. Make it smaller, or exclude it from the \
              rules that read it (`files`/`except`) or waive the finding with a reason.",
};

pub const BUILTIN_RULES: &[&BuiltinRule] = &[
    &WAIVER_EXPIRED,
    &WAIVER_UNUSED,
    &INLINE_WAIVER_INVALID,
    &SYMLINK_NOT_SCANNED,
    &FILE_TOO_LARGE,
];

/// Everything one run found.
pub struct Report {
    pub policy: config::Policy,
    pub files_scanned: usize,
    /// Sorted by file, line, column and rule; waived ones included (with `waived` set).
    pub violations: Vec<Violation>,
}

impl Report {
    pub fn active(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.waived.is_none())
    }

    pub fn waived(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.waived.is_some())
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.active().filter(|v| v.severity == severity).count()
    }

    /// The message (why and fix) of a rule, configured or built in.
    pub fn rule_message(&self, id: &str) -> &str {
        self.policy
            .rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.message.as_str())
            .or_else(|| BUILTIN_RULES.iter().find(|b| b.id == id).map(|b| b.message))
            .unwrap_or("")
    }

    pub fn rule_kind(&self, id: &str) -> &'static str {
        self.policy
            .rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.kind.as_str())
            .or_else(|| BUILTIN_RULES.iter().find(|b| b.id == id).map(|b| b.kind))
            .unwrap_or("waiver")
    }
}

/// The inputs, checked once: paths resolved inside the workspace, the report format decided, the
/// date waivers expire against.
struct Inputs {
    /// The repository root (the working directory).
    root: PathBuf,
    /// The policy file joined to the root, as the repository names it.
    policy_path: PathBuf,
    /// The policy file with every symlink resolved (inside the workspace).
    policy_real: PathBuf,
    /// The policy file's name in messages (relative to the root).
    policy_display: String,
    /// `policy-ref`, when given: the git ref the policy is read from.
    policy_ref: Option<String>,
    /// `sarif` as given and resolved, when given.
    sarif: Option<(String, PathBuf)>,
    /// `auto` decided: github in a workflow, text at a terminal.
    format: Format,
    fail_on: FailOn,
    policy_mode: String,
    /// `GITHUB_EVENT_NAME`, for required-env rules with `events:`.
    event_name: Option<String>,
    today: jiff::civil::Date,
}

impl Inputs {
    fn from_args(args: Args, runner: &Runner) -> Result<Inputs> {
        let root = std::env::current_dir()?;
        let policy_path = resolve(&root, &args.policy);
        // Path inputs stay inside the workspace (a committed symlink cannot lead out of it).
        let policy_real = inputs::path_in_workspace("policy", &args.policy, Access::Read)?;
        let sarif = match args.sarif.trim() {
            "" => None,
            sarif => Some((
                sarif.to_string(),
                inputs::path_in_workspace("sarif", sarif, Access::Write)?,
            )),
        };
        let policy_display = relative(&root, &policy_path)
            .unwrap_or_else(|| args.policy.trim_start_matches("./").to_string());
        let format = match args.format {
            Format::Auto if runner.in_actions() => Format::Github,
            Format::Auto => Format::Text,
            other => other,
        };
        Ok(Inputs {
            today: config::today()?,
            policy_ref: Some(args.policy_ref.trim().to_string()).filter(|r| !r.is_empty()),
            root,
            policy_path,
            policy_real,
            policy_display,
            sarif,
            format,
            fail_on: args.fail_on,
            policy_mode: args.policy_mode,
            event_name: runner.env().event_name.clone(),
        })
    }
}

pub fn run(args: Args, runner: &mut Runner) -> Result<()> {
    let inputs = Inputs::from_args(args, runner)?;
    let policy = runner.phase("config", |r| load_policy(&inputs, r))?;
    let (files_scanned, mut violations) =
        runner.phase("scan", |r| scan_repository(&inputs, &policy, r))?;
    runner.phase("waivers", |r| {
        let extra = waivers::apply_policy(&mut violations, &policy, inputs.today);
        r.log(&format!(
            "{} waived, {} waiver finding(s)",
            violations.iter().filter(|v| v.waived.is_some()).count(),
            extra.len()
        ));
        violations.extend(extra);
        Ok(())
    })?;
    violations.sort_by(|a, b| {
        (&a.file, a.line, a.col, &a.rule, &a.detail)
            .cmp(&(&b.file, b.line, b.col, &b.rule, &b.detail))
    });
    let report = Report {
        policy,
        files_scanned,
        violations,
    };
    let sarif_file = runner.phase("report", |r| write_report(&inputs, &report, r))?;
    set_outputs(&inputs, &report, sarif_file, runner);
    verdict(&inputs, &report)
}

/// The policy, from the working tree or from `policy-ref`.
fn load_policy(inputs: &Inputs, runner: &Runner) -> Result<config::Policy> {
    let display = &inputs.policy_display;
    let policy = match &inputs.policy_ref {
        None => config::load(&inputs.policy_real.to_string_lossy(), display)?,
        Some(policy_ref) => {
            let text = config::read_at_ref(&inputs.root, policy_ref, display)?;
            config::parse(&text, display)?
        }
    };
    let from = match &inputs.policy_ref {
        None => String::new(),
        Some(policy_ref) => format!(" (from {policy_ref})"),
    };
    runner.log(&format!(
        "{}{from}: {} rule(s), {} waiver(s)",
        display,
        policy.rules.len(),
        policy.waivers.len()
    ));
    if policy.rules.is_empty() {
        runner.warning(&format!(
            "{display}{from} has no rules, so policy-check checks nothing. If a pull request \
             emptied it, read the policy from the base branch with `policy-ref`."
        ));
    }
    Ok(policy)
}

/// Every finding of the walk and of the required-env rules, inline waivers applied.
fn scan_repository(
    inputs: &Inputs,
    policy: &config::Policy,
    runner: &Runner,
) -> Result<(usize, Vec<Violation>)> {
    let policy_rel = relative(&inputs.root, &inputs.policy_path);
    let found = scan::scan(&inputs.root, policy, policy_rel.as_deref())?;
    runner.log(&format!(
        "{} file(s) read (listed by {}), {} finding(s) before waivers",
        found.files_read,
        found.listing,
        found.violations.len()
    ));
    let mut violations = found.violations;
    violations.extend(rules::required_env::check(
        policy,
        &inputs.policy_mode,
        inputs.event_name.as_deref(),
    ));
    let inline_extra = waivers::apply_inline(&mut violations, found.inline_waivers, policy);
    violations.extend(inline_extra);
    Ok((found.files_read, violations))
}

/// The SARIF file (when asked for) and the report in the chosen format; returns the SARIF path
/// as given.
fn write_report(inputs: &Inputs, report: &Report, runner: &mut Runner) -> Result<Option<String>> {
    let sarif_file = if let Some((given, path)) = &inputs.sarif {
        output::sarif::write(report, path)?;
        runner.log(&format!("SARIF written to {given}"));
        Some(given.clone())
    } else {
        None
    };
    match inputs.format {
        Format::Github | Format::Auto => output::github::report(report, runner, inputs.fail_on),
        Format::Text => runner.print_report(&output::text::render(report)),
        Format::Json => runner.print_report(&output::json::render(report)),
        Format::Sarif => runner.print_report(&output::sarif::render(report)),
    }
    Ok(sarif_file)
}

fn set_outputs(inputs: &Inputs, report: &Report, sarif_file: Option<String>, runner: &mut Runner) {
    // By hand, a text/json/sarif report owns stdout; the outputs would be appended to it.
    let stdout_is_report =
        !matches!(inputs.format, Format::Github | Format::Auto) && !runner.writes_output_file();
    if !stdout_is_report {
        runner.set_output("violations", report.active().count().to_string());
        runner.set_output("errors", report.count(Severity::Error).to_string());
        runner.set_output("warnings", report.count(Severity::Warning).to_string());
        runner.set_output("sarif-file", sarif_file.unwrap_or_default());
    }
}

/// Exit 1 when violations at the `fail-on` level remain.
fn verdict(inputs: &Inputs, report: &Report) -> Result<()> {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let failing = match inputs.fail_on {
        FailOn::Error => errors,
        FailOn::Warning => errors + warnings,
        FailOn::Never => 0,
    };
    if failing > 0 {
        let what = match inputs.fail_on {
            FailOn::Warning => "error or warning",
            _ => "error",
        };
        return Err(Failure::guard(
            "Policy violations",
            format!(
                "{failing} {what} violation(s) of {} ({errors} error(s), {warnings} warning(s))",
                report.policy.path
            ),
        )
        .with_fix(
            "fix each violation listed, or waive it with a reason: an inline \
             `release-action: allow <rule-id> -- <reason>` comment or a waiver in the policy file",
        ));
    }
    Ok(())
}

fn resolve(root: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

/// `path` relative to `root`, `/`-separated, when it is inside it.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    Some(text::slash_path(rel))
}
