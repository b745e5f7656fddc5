//! The policy file: parsed strictly (unknown keys are errors), validated per rule kind, and
//! compiled once (globs into glob sets, regexes into regex sets) before the walk starts.
//!
//! Every error here is a usage failure (exit 2) that names the file, line and column: a policy
//! nobody can read must not pass as "no violations".

use std::collections::BTreeSet;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use jiff::civil::Date;
use regex::{Regex, RegexSet};
use serde::Deserialize;

use crate::error::{Failure, Location, Result};

use super::Severity;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    waivers: Vec<RawWaiver>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    ForbiddenImports,
    RequiredEnv,
    AllowedRegistries,
    ForbiddenHosts,
    ForbiddenPatterns,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::ForbiddenImports => "forbidden-imports",
            RuleKind::RequiredEnv => "required-env",
            RuleKind::AllowedRegistries => "allowed-registries",
            RuleKind::ForbiddenHosts => "forbidden-hosts",
            RuleKind::ForbiddenPatterns => "forbidden-patterns",
        }
    }

    /// The keys a rule of this kind may have besides `id`, `kind`, `severity` and `message`,
    /// and which of them it must have.
    fn keys(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            RuleKind::ForbiddenImports => (&["from", "except", "to"], &["from", "to"]),
            RuleKind::RequiredEnv => (&["names", "modes", "events"], &["names"]),
            RuleKind::AllowedRegistries | RuleKind::ForbiddenHosts => {
                (&["hosts", "packages", "files", "except"], &["hosts"])
            }
            RuleKind::ForbiddenPatterns => (&["patterns", "files", "except"], &["patterns"]),
        }
    }
}

/// One rule as written. Kind-specific keys are optional here and checked against the kind
/// afterwards, so a misplaced key is reported with the rule's kind rather than as a serde puzzle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    kind: RuleKind,
    severity: Severity,
    message: String,
    from: Option<Vec<String>>,
    except: Option<Vec<String>>,
    to: Option<Vec<String>>,
    names: Option<Vec<String>>,
    modes: Option<Vec<String>>,
    events: Option<Vec<String>>,
    hosts: Option<Vec<String>>,
    packages: Option<Vec<String>>,
    files: Option<Vec<String>>,
    patterns: Option<Vec<String>>,
}

impl RawRule {
    fn present_keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let fields: [(&'static str, bool); 10] = [
            ("from", self.from.is_some()),
            ("except", self.except.is_some()),
            ("to", self.to.is_some()),
            ("names", self.names.is_some()),
            ("modes", self.modes.is_some()),
            ("events", self.events.is_some()),
            ("hosts", self.hosts.is_some()),
            ("packages", self.packages.is_some()),
            ("files", self.files.is_some()),
            ("patterns", self.patterns.is_some()),
        ];
        for (name, present) in fields {
            if present {
                keys.push(name);
            }
        }
        keys
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    rule: String,
    paths: Vec<String>,
    reason: String,
    expires: String,
}

/// A path filter: `include` globs minus `except` globs, matched against repo-relative paths.
#[derive(Debug)]
pub struct PathFilter {
    include: Option<GlobSet>,
    except: Option<GlobSet>,
}

impl PathFilter {
    pub fn matches(&self, path: &str) -> bool {
        let included = self.include.as_ref().is_none_or(|set| set.is_match(path));
        included && !self.except.as_ref().is_some_and(|set| set.is_match(path))
    }

    /// True when the filter lists files explicitly (a registry rule then reads those files
    /// whatever their name).
    pub fn is_explicit(&self) -> bool {
        self.include.is_some()
    }
}

#[derive(Debug)]
pub enum Check {
    ForbiddenImports {
        from: PathFilter,
        /// Module patterns as written, in the order of `to`.
        to: Vec<String>,
        modules: RegexSet,
    },
    RequiredEnv {
        /// Each name with the line it is listed on in the policy file.
        names: Vec<(String, Location)>,
        modes: Option<Vec<String>>,
        events: Option<Vec<String>>,
    },
    RegistryHosts {
        /// `true` for allowed-registries (hosts not listed are violations), `false` for
        /// forbidden-hosts (hosts listed are violations).
        allow: bool,
        hosts: Vec<String>,
        host_set: GlobSet,
        packages: Option<GlobSet>,
        files: PathFilter,
    },
    ForbiddenPatterns {
        patterns: Vec<String>,
        set: RegexSet,
        regexes: Vec<Regex>,
        files: PathFilter,
    },
}

#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub kind: RuleKind,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    pub check: Check,
}

#[derive(Debug)]
pub struct Waiver {
    pub rule: String,
    pub paths: Vec<String>,
    pub path_set: GlobSet,
    pub reason: String,
    pub expires: Date,
    pub location: Location,
}

#[derive(Debug)]
pub struct Policy {
    /// The policy file, as given (relative to the working directory when relative).
    pub path: String,
    pub rules: Vec<Rule>,
    pub waivers: Vec<Waiver>,
}

/// Finds where things are in the policy text, for errors found after parsing. The parser keeps
/// no positions for values, so rules and waivers are found by their one required key (`id:` for
/// a rule, `rule:` for a waiver) in document order, and values by their text within that item.
struct Locator<'a> {
    file: &'a str,
    text: &'a str,
    rule_lines: Vec<usize>,
    waiver_lines: Vec<usize>,
}

impl<'a> Locator<'a> {
    fn new(file: &'a str, text: &'a str) -> Self {
        let item_key =
            |key: &str| Regex::new(&format!(r"^\s*(?:-\s+)?{key}\s*:")).expect("static regex");
        let (id_key, rule_key) = (item_key("id"), item_key("rule"));
        let mut section = "";
        let mut rule_lines = Vec::new();
        let mut waiver_lines = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if !line.starts_with([' ', '\t', '-', '#']) && line.contains(':') {
                section = if line.starts_with("rules:") {
                    "rules"
                } else if line.starts_with("waivers:") {
                    "waivers"
                } else {
                    ""
                };
                continue;
            }
            if section == "rules" && id_key.is_match(line) {
                rule_lines.push(i + 1);
            }
            if section == "waivers" && rule_key.is_match(line) {
                waiver_lines.push(i + 1);
            }
        }
        Locator {
            file,
            text,
            rule_lines,
            waiver_lines,
        }
    }

    fn at(&self, line: usize, col: usize) -> Location {
        Location {
            file: self.file.to_string(),
            line: Some(line),
            col: Some(col),
        }
    }

    /// The first line of item `index` and the line where the next item starts.
    fn span(lines: &[usize], index: usize) -> (usize, usize) {
        let start = lines.get(index).copied().unwrap_or(1);
        let end = lines.get(index + 1).copied().unwrap_or(usize::MAX);
        (start, end)
    }

    fn item(&self, lines: &[usize], index: usize) -> Location {
        let (start, _) = Self::span(lines, index);
        let col = self
            .text
            .lines()
            .nth(start.saturating_sub(1))
            .map(|l| l.len() - l.trim_start_matches([' ', '-']).len() + 1)
            .unwrap_or(1);
        self.at(start, col)
    }

    fn rule(&self, index: usize) -> Location {
        self.item(&self.rule_lines, index)
    }

    fn waiver(&self, index: usize) -> Location {
        self.item(&self.waiver_lines, index)
    }

    /// Where `needle` first appears in item `index`, falling back to the item itself.
    fn find_in(&self, lines: &[usize], index: usize, needle: &str) -> Location {
        let (start, end) = Self::span(lines, index);
        for (i, line) in self.text.lines().enumerate() {
            let n = i + 1;
            if n < start || n >= end {
                continue;
            }
            if let Some(pos) = line.find(needle) {
                return self.at(n, line[..pos].chars().count() + 1);
            }
        }
        self.item(lines, index)
    }

    fn in_rule(&self, index: usize, needle: &str) -> Location {
        self.find_in(&self.rule_lines, index, needle)
    }

    fn in_waiver(&self, index: usize, needle: &str) -> Location {
        self.find_in(&self.waiver_lines, index, needle)
    }
}

fn invalid(title: &str, message: String, at: Location) -> Failure {
    Failure::usage(title, message)
        .with_fix(
            "correct the policy file; every key is described in schema/release-policy.schema.json \
             and the README, section policy-check",
        )
        .at(at)
}

fn describe(at: &Location) -> String {
    format!(
        "{}:{}:{}",
        at.file,
        at.line.unwrap_or(1),
        at.col.unwrap_or(1)
    )
}

/// A glob over repo-relative paths: `*` stays within a directory, `**` crosses them.
fn path_glob(pattern: &str) -> std::result::Result<globset::Glob, globset::Error> {
    GlobBuilder::new(pattern.trim_start_matches("./"))
        .literal_separator(true)
        .build()
}

fn glob_set(
    patterns: &[String],
    build: impl Fn(&str) -> std::result::Result<globset::Glob, globset::Error>,
    locate: impl Fn(&str) -> Location,
    what: &str,
) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = build(pattern).map_err(|e| {
            let at = locate(pattern);
            invalid(
                "Invalid glob in the policy",
                format!(
                    "{}: {what} glob {pattern:?} is invalid: {}",
                    describe(&at),
                    e.kind()
                ),
                at,
            )
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|e| {
        let at = locate("");
        invalid(
            "Invalid glob in the policy",
            format!("{}: {e}", describe(&at)),
            at,
        )
    })
}

/// A module pattern as a regex. `*` matches anything (module names mix `/`, `.` and `-`); a
/// pattern also matches every submodule below what it names; a leading `*/` also matches
/// nothing, so `*/packages/x/*` matches the repo-relative `packages/x/y` a relative import
/// resolves to.
pub fn module_regex(pattern: &str) -> String {
    let mut body = pattern;
    let mut out = String::from("^");
    if let Some(rest) = body.strip_prefix("*/") {
        out.push_str("(?:.*/)?");
        body = rest;
    }
    let (body, tail) = match body.strip_suffix("/*") {
        Some(b) => (b, "(?:/.*)?"),
        None => match body.strip_suffix(".*") {
            Some(b) => (b, r"(?:\..*)?"),
            None => (body, ""),
        },
    };
    for c in body.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push_str(tail);
    out.push_str("(?:[/.].*)?$");
    out
}

/// A host from a `hosts:` entry, which may be written as a URL.
pub fn host_of(entry: &str) -> String {
    let rest = entry.split_once("://").map(|(_, r)| r).unwrap_or(entry);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = if authority.starts_with('[') {
        authority
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    host.to_ascii_lowercase()
}

/// "Today" for waiver expiry: `RELEASE_ACTION_TODAY=YYYY-MM-DD` when set (tests, or checking a
/// policy as of a date), otherwise the current UTC date.
pub fn today() -> Result<Date> {
    match crate::runner::env::string("RELEASE_ACTION_TODAY") {
        Some(value) if !value.trim().is_empty() => parse_date(value.trim()).ok_or_else(|| {
            Failure::usage(
                "Invalid RELEASE_ACTION_TODAY",
                format!("RELEASE_ACTION_TODAY={value:?} is not a date in YYYY-MM-DD form"),
            )
            .with_fix("unset RELEASE_ACTION_TODAY or set it to a date such as 2025-01-31")
        }),
        _ => Ok(jiff::tz::Offset::UTC
            .to_datetime(jiff::Timestamp::now())
            .date()),
    }
}

/// Exactly `YYYY-MM-DD`, a real date (no week or ordinal dates, no signed or 6-digit years).
fn parse_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return None;
    }
    let field = |range: std::ops::Range<usize>| text[range].parse::<i16>().ok();
    Date::new(field(0..4)?, field(5..7)? as i8, field(8..10)? as i8).ok()
}

/// Reads, parses, validates and compiles the policy file.
pub fn load(path: &str, display: &str) -> Result<Policy> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let (title, fix) = if e.kind() == std::io::ErrorKind::NotFound {
            (
                "Policy file not found",
                "create the policy file (see the README, section policy-check) or point the `policy` input at it",
            )
        } else {
            ("Cannot read the policy file", "check the `policy` input and the file's permissions")
        };
        Failure::usage(title, format!("policy {display}: {e}")).with_fix(fix)
    })?;
    parse(&text, display)
}

/// The policy file as committed at `git_ref`: what a pull request cannot change.
pub fn read_at_ref(root: &std::path::Path, git_ref: &str, display: &str) -> Result<String> {
    let fix = "set `policy-ref` to a commit, branch or tag the checkout has (for a pull request, \
               `${{ github.event.pull_request.base.sha }}` with `fetch-depth: 0` or a fetch of that \
               commit)";
    // A ref is never an option to git.
    if git_ref.starts_with('-') {
        return Err(Failure::invalid_input(
            "policy-ref",
            format!("{git_ref:?} is not a git ref"),
            fix,
        ));
    }
    let git = crate::git::Git::new(root);
    if !git.is_work_tree() {
        return Err(Failure::usage(
            "Input `policy-ref` needs a git repository",
            format!(
                "input `policy-ref` is {git_ref:?} but {} is not a git checkout",
                root.display()
            ),
        )
        .with_fix("check out the repository with actions/checkout, or leave `policy-ref` empty"));
    }
    let commit = git.rev_parse(git_ref).map_err(|_| {
        Failure::usage(
            "Input `policy-ref` names no commit",
            format!("input `policy-ref`: {git_ref:?} is not a commit in this checkout"),
        )
        .with_fix(fix)
    })?;
    git.run(&["cat-file", "blob", &format!("{commit}:./{display}")])
        .map_err(|_| {
            Failure::usage(
                "Policy file not found",
                format!("policy {display} does not exist at {git_ref} ({commit})"),
            )
            .with_fix("commit the policy file on the base branch first, or point `policy` at it")
        })
}

pub fn parse(text: &str, display: &str) -> Result<Policy> {
    let raw: RawPolicy = yaml_serde::from_str(text).map_err(|e| malformed(&e, display))?;
    let locator = Locator::new(display, text);
    if let Some(version) = raw.version {
        if version != 1 {
            let at = locator.at(1, 1);
            return Err(invalid(
                "Unsupported policy version",
                format!(
                    "{display}: version {version} is not supported; this release reads version 1"
                ),
                at,
            ));
        }
    }
    let mut rules = Vec::new();
    let mut ids = BTreeSet::new();
    for (index, raw_rule) in raw.rules.into_iter().enumerate() {
        let rule = compile_rule(raw_rule, index, &locator)?;
        if !ids.insert(rule.id.clone()) {
            let at = rule.location.clone();
            return Err(invalid(
                "Duplicate rule id",
                format!(
                    "{}: rule id {:?} is used twice; ids must be unique",
                    describe(&at),
                    rule.id
                ),
                at,
            ));
        }
        rules.push(rule);
    }
    let waivers = raw
        .waivers
        .into_iter()
        .enumerate()
        .map(|(index, raw_waiver)| compile_waiver(raw_waiver, index, &ids, &locator))
        .collect::<Result<Vec<_>>>()?;
    Ok(Policy {
        path: display.to_string(),
        rules,
        waivers,
    })
}

/// A file the YAML parser rejects: the parser's first line, at its line and column.
fn malformed(e: &yaml_serde::Error, display: &str) -> Failure {
    let (line, col) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    let at = Location {
        file: display.to_string(),
        line: Some(line),
        col: Some(col),
    };
    // The parser quotes the value it choked on, which for a file that is not a policy is the
    // whole file: quote one line of it at most.
    let message = e.to_string();
    let mut message = message.lines().next().unwrap_or_default().to_string();
    if message.chars().count() > 200 {
        message = message.chars().take(200).collect::<String>() + "…";
    }
    invalid(
        "Malformed policy file",
        format!("{}: {message}", describe(&at)),
        at,
    )
}

/// A waiver names a rule of the policy, says why, lists paths and expires on a date.
fn compile_waiver(
    raw_waiver: RawWaiver,
    index: usize,
    ids: &BTreeSet<String>,
    locator: &Locator,
) -> Result<Waiver> {
    let location = locator.waiver(index);
    if !ids.contains(&raw_waiver.rule) {
        let at = locator.in_waiver(index, &raw_waiver.rule);
        return Err(invalid(
            "Waiver for an unknown rule",
            format!(
                "{}: waiver names rule {:?}, but the policy has no rule with that id (rules: {})",
                describe(&at),
                raw_waiver.rule,
                ids.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
            at,
        ));
    }
    if raw_waiver.reason.trim().is_empty() {
        return Err(invalid(
            "Waiver without a reason",
            format!(
                "{}: the waiver for {:?} has an empty reason; say why the rule does not apply",
                describe(&location),
                raw_waiver.rule
            ),
            location,
        ));
    }
    if raw_waiver.paths.is_empty() {
        return Err(invalid(
            "Waiver without paths",
            format!(
                "{}: the waiver for {:?} lists no paths; list the files it covers",
                describe(&location),
                raw_waiver.rule
            ),
            location,
        ));
    }
    let expires = parse_date(raw_waiver.expires.trim()).ok_or_else(|| {
        let at = locator.in_waiver(index, &raw_waiver.expires);
        invalid(
            "Invalid waiver expiry date",
            format!(
                "{}: expires {:?} is not a date in YYYY-MM-DD form",
                describe(&at),
                raw_waiver.expires
            ),
            at,
        )
    })?;
    let path_set = glob_set(
        &raw_waiver.paths,
        path_glob,
        |p| locator.in_waiver(index, p),
        "waiver path",
    )?;
    Ok(Waiver {
        rule: raw_waiver.rule,
        paths: raw_waiver.paths,
        path_set,
        reason: raw_waiver.reason.trim().to_string(),
        expires,
        location,
    })
}

fn compile_rule(raw: RawRule, index: usize, locator: &Locator) -> Result<Rule> {
    let location = locator.rule(index);
    check_rule_id(&raw, index, locator)?;
    if raw.message.trim().is_empty() {
        return Err(invalid(
            "Rule without a message",
            format!(
                "{}: rule {:?} has an empty message; say why the rule exists and how to fix a violation",
                describe(&location),
                raw.id
            ),
            location,
        ));
    }
    check_rule_keys(&raw, index, locator)?;
    let rule = RuleSource {
        raw: &raw,
        index,
        locator,
    };
    let check = match raw.kind {
        RuleKind::ForbiddenImports => {
            let to = raw.to.clone().unwrap_or_default();
            let modules = RegexSet::new(to.iter().map(|p| module_regex(p)))
                .map_err(|e| anyhow::anyhow!("module patterns of {}: {e}", raw.id))?;
            Check::ForbiddenImports {
                from: rule.path_filter(raw.from.as_ref(), "from")?,
                to,
                modules,
            }
        }
        RuleKind::RequiredEnv => Check::RequiredEnv {
            names: rule.env_names()?,
            modes: raw.modes.clone(),
            events: raw.events.clone(),
        },
        RuleKind::AllowedRegistries | RuleKind::ForbiddenHosts => rule.registry_check()?,
        RuleKind::ForbiddenPatterns => rule.pattern_check()?,
    };
    Ok(Rule {
        id: raw.id,
        kind: raw.kind,
        severity: raw.severity,
        message: raw.message.trim().to_string(),
        location,
        check,
    })
}

/// An id is letters, digits, `-`, `_` or `.` (inline waivers name it), and not a built-in one.
fn check_rule_id(raw: &RawRule, index: usize, locator: &Locator) -> Result<()> {
    let id_ok = !raw.id.is_empty()
        && raw
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !id_ok {
        let at = locator.in_rule(index, &raw.id);
        return Err(invalid(
            "Invalid rule id",
            format!(
                "{}: rule id {:?} must be letters, digits, '-', '_' or '.' (inline waivers name it)",
                describe(&at),
                raw.id
            ),
            at,
        ));
    }
    if super::BUILTIN_RULES.iter().any(|b| b.id == raw.id) {
        let at = locator.in_rule(index, &raw.id);
        return Err(invalid(
            "Reserved rule id",
            format!(
                "{}: rule id {:?} is reserved for a built-in finding (waivers, unscanned files); choose another id",
                describe(&at),
                raw.id
            ),
            at,
        ));
    }
    Ok(())
}

/// Every key applies to the rule's kind, and the kind's required keys are non-empty.
fn check_rule_keys(raw: &RawRule, index: usize, locator: &Locator) -> Result<()> {
    let (allowed, required) = raw.kind.keys();
    let present = raw.present_keys();
    for key in &present {
        if !allowed.contains(key) {
            let at = locator.in_rule(index, &format!("{key}:"));
            return Err(invalid(
                "Key does not apply to this rule kind",
                format!(
                    "{}: rule {:?} is {}, which has no `{key}` key (it takes: {})",
                    describe(&at),
                    raw.id,
                    raw.kind.as_str(),
                    allowed.join(", ")
                ),
                at,
            ));
        }
    }
    for key in required {
        let empty = match *key {
            "from" => raw.from.as_ref().is_none_or(Vec::is_empty),
            "to" => raw.to.as_ref().is_none_or(Vec::is_empty),
            "names" => raw.names.as_ref().is_none_or(Vec::is_empty),
            "hosts" => raw.hosts.as_ref().is_none_or(Vec::is_empty),
            "patterns" => raw.patterns.as_ref().is_none_or(Vec::is_empty),
            _ => !present.contains(key),
        };
        if empty {
            let location = locator.rule(index);
            return Err(invalid(
                "Rule is missing a key",
                format!(
                    "{}: rule {:?} ({}) needs a non-empty `{key}` list",
                    describe(&location),
                    raw.id,
                    raw.kind.as_str()
                ),
                location,
            ));
        }
    }
    Ok(())
}

/// One rule as written and where it stands, for compiling its kind's check.
struct RuleSource<'r> {
    raw: &'r RawRule,
    index: usize,
    locator: &'r Locator<'r>,
}

impl RuleSource<'_> {
    fn locate(&self, needle: &str) -> Location {
        self.locator.in_rule(self.index, needle)
    }

    /// `include` globs (the rule's `from` or `files`) minus its `except` globs.
    fn path_filter(&self, include: Option<&Vec<String>>, what: &str) -> Result<PathFilter> {
        let locate = |needle: &str| self.locate(needle);
        Ok(PathFilter {
            include: include
                .map(|p| glob_set(p, path_glob, locate, what))
                .transpose()?,
            except: self
                .raw
                .except
                .as_ref()
                .map(|p| glob_set(p, path_glob, locate, "except"))
                .transpose()?,
        })
    }

    /// required-env's `names`, each an environment variable name, with where it is listed.
    fn env_names(&self) -> Result<Vec<(String, Location)>> {
        let names = self.raw.names.clone().unwrap_or_default();
        let mut located = Vec::new();
        for name in names {
            let valid = !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let at = self.locate(&name);
            if !valid {
                return Err(invalid(
                    "Invalid environment variable name",
                    format!(
                        "{}: {name:?} in rule {:?} is not an environment variable name",
                        describe(&at),
                        self.raw.id
                    ),
                    at,
                ));
            }
            located.push((name, at));
        }
        Ok(located)
    }

    /// allowed-registries and forbidden-hosts: host globs (a URL counts as its host), optional
    /// package globs, and the files to read.
    fn registry_check(&self) -> Result<Check> {
        let raw = self.raw;
        let locate = |needle: &str| self.locate(needle);
        let hosts: Vec<String> = raw
            .hosts
            .clone()
            .unwrap_or_default()
            .iter()
            .map(|h| host_of(h))
            .collect();
        let host_set = glob_set(
            &hosts,
            |h| GlobBuilder::new(h).case_insensitive(true).build(),
            locate,
            "host",
        )?;
        let packages = raw
            .packages
            .as_ref()
            .map(|p| glob_set(p, |g| GlobBuilder::new(g).build(), locate, "package"))
            .transpose()?;
        Ok(Check::RegistryHosts {
            allow: raw.kind == RuleKind::AllowedRegistries,
            hosts,
            host_set,
            packages,
            files: self.path_filter(raw.files.as_ref(), "files")?,
        })
    }

    /// forbidden-patterns: each pattern a valid (multi-line) regex, compiled alone and as a set.
    fn pattern_check(&self) -> Result<Check> {
        let raw = self.raw;
        let patterns = raw.patterns.clone().unwrap_or_default();
        let mut regexes = Vec::new();
        for pattern in &patterns {
            let regex = regex::RegexBuilder::new(pattern)
                .multi_line(true)
                .build()
                .map_err(|e| {
                    let at = self.locate(pattern);
                    invalid(
                        "Invalid regex in the policy",
                        format!(
                            "{}: pattern {pattern:?} of rule {:?} is not a valid regex: {}",
                            describe(&at),
                            raw.id,
                            e.to_string().lines().last().unwrap_or_default().trim()
                        ),
                        at,
                    )
                })?;
            regexes.push(regex);
        }
        let set = regex::RegexSetBuilder::new(&patterns)
            .multi_line(true)
            .build()
            .map_err(|e| anyhow::anyhow!("patterns of {}: {e}", raw.id))?;
        Ok(Check::ForbiddenPatterns {
            patterns,
            set,
            regexes,
            files: self.path_filter(raw.files.as_ref(), "files")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiver_dates_are_exactly_yyyy_mm_dd() {
        assert_eq!(
            parse_date("2030-01-31"),
            Some(jiff::civil::date(2030, 1, 31))
        );
        assert_eq!(
            parse_date("2024-02-29"),
            Some(jiff::civil::date(2024, 2, 29))
        );
        assert!(parse_date("2024-02-29") < parse_date("2024-03-01"));
        for bad in [
            "2023-02-29",
            "2030-04-31",
            "2030-13-01",
            "2030-00-10",
            "2030-01-00",
            "2030-1-31",
            "20300131",
            "+02030-01-31",
            "2030-01-31T00:00",
            "31/01/2030",
            "2030-W05-1",
            "2030-031",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    fn matches(pattern: &str, module: &str) -> bool {
        Regex::new(&module_regex(pattern)).unwrap().is_match(module)
    }

    #[test]
    fn module_patterns_cover_submodules_not_siblings() {
        assert!(matches("ameide_core_proto", "ameide_core_proto"));
        assert!(matches("ameide_core_proto", "ameide_core_proto.v1.x_pb2"));
        assert!(!matches("ameide_core_proto", "ameide_core_proto_extra"));
        assert!(matches(
            "@ameideio/ameide-core-proto*",
            "@ameideio/ameide-core-proto-ts/gen"
        ));
        assert!(matches(
            "*/packages/ameide_core_proto/*",
            "github.com/ameideio/ameide/packages/ameide_core_proto/gen/go"
        ));
        assert!(matches(
            "*/packages/ameide_core_proto/*",
            "packages/ameide_core_proto"
        ));
        assert!(!matches(
            "*/packages/ameide_core_proto/*",
            "packages/ameide_sdk"
        ));
    }

    #[test]
    fn hosts_may_be_written_as_urls() {
        assert_eq!(
            host_of("https://user:pw@NPM.pkg.github.com:443/ameideio"),
            "npm.pkg.github.com"
        );
        assert_eq!(host_of("registry.npmjs.org"), "registry.npmjs.org");
    }
}
