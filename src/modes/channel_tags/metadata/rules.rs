//! The `tags` input in docker/metadata-action's form: one rule per line,
//! `type=<type>,<attr>=<value>,…`, or a bare value (a raw tag). Also the CSV field splitting the
//! `flavor` and `images` inputs share.

use std::collections::BTreeMap;

use crate::error::{Failure, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleType {
    Schedule,
    Semver,
    Pep440,
    Match,
    Edge,
    Ref,
    Raw,
    Sha,
}

impl RuleType {
    const ALL: [(RuleType, &'static str, u32); 8] = [
        (RuleType::Schedule, "schedule", 1000),
        (RuleType::Semver, "semver", 900),
        (RuleType::Pep440, "pep440", 900),
        (RuleType::Match, "match", 800),
        (RuleType::Edge, "edge", 700),
        (RuleType::Ref, "ref", 600),
        (RuleType::Raw, "raw", 200),
        (RuleType::Sha, "sha", 100),
    ];

    fn from_name(name: &str) -> Option<RuleType> {
        Self::ALL.iter().find(|t| t.1 == name).map(|t| t.0)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|t| t.0 == self)
            .map(|t| t.1)
            .unwrap_or("")
    }

    fn default_priority(self) -> u32 {
        Self::ALL
            .iter()
            .find(|t| t.0 == self)
            .map(|t| t.2)
            .unwrap_or(0)
    }
}

/// One rule of the `tags` input, with the peer's defaults filled in.
#[derive(Debug, Clone)]
pub struct Rule {
    pub kind: RuleType,
    /// Attributes by lower-cased name. Presence matters: `prefix=` (empty) overrides the flavor's
    /// prefix, no `prefix` does not.
    pub attrs: BTreeMap<String, String>,
    /// The line as written, for messages.
    pub source: String,
    /// 1-based line of the input.
    pub line: usize,
    pub priority: f64,
}

impl Rule {
    pub fn attr(&self, name: &str) -> &str {
        self.attrs.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn has(&self, name: &str) -> bool {
        self.attrs.contains_key(name)
    }
}

/// Splits one line into CSV fields (`,` separated, `"…"` quoted with `""` for a quote), as the
/// peer reads its list inputs: `type=match,"pattern=\d{1,2}"` keeps the comma in the pattern.
pub fn csv_fields(line: &str) -> std::result::Result<Vec<String>, String> {
    read_csv(line, false)
}

/// CSV fields of `line`; `relaxed` keeps a quote inside an unquoted field as text (the first
/// reading of a list input's line), else it is an error (the reading of a rule).
fn read_csv(line: &str, relaxed: bool) -> std::result::Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err(format!("a quoted field is not closed: {line:?}")),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(c) => {
                    return Err(format!(
                        "{c:?} after the closing quote of a field (quote the whole field): {line:?}"
                    ))
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') if !relaxed => {
                        return Err(format!(
                            "a quote inside an unquoted field (quote the whole field, e.g. \"pattern=…\"): {line:?}"
                        ))
                    }
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

/// The lines of a list input as the peer reads them: split on newlines, trimmed, blank lines and
/// lines starting with `#` dropped, and each line read as CSV once and joined back with `,` (the
/// peer's `getInputList` with `ignoreComma`): a field in quotes loses them and `""` in it is a
/// quote. The rules, images and flavor are then split into fields again (`csv_fields`), so a
/// comma inside an attribute needs its quotes doubled inside a quoted line:
/// `"type=match,""pattern=\d{1,2}"""`.
pub fn input_lines(value: &str) -> Vec<(usize, String)> {
    value
        .lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l.trim().to_string()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(n, l)| (n, unquote_line(&l)))
        .collect()
}

/// One line read as CSV with relaxed quotes (a quote inside an unquoted field is kept) and its
/// fields joined with `,`. A line that is not CSV (a quoted field not closed, text after a closing
/// quote) is left as written, for the rule parser to name.
fn unquote_line(line: &str) -> String {
    if !line.contains('"') {
        return line.to_string();
    }
    read_csv(line, true).map_or_else(|_| line.to_string(), |fields| fields.join(","))
}

const DEFAULT_RULES: &[&str] = &[
    "type=schedule",
    "type=ref,event=branch",
    "type=ref,event=tag",
    "type=ref,event=pr",
];

/// A JavaScript regular expression (`i`, `m`, `s` flags) as a Rust one. Lookaround and
/// backreferences, which Rust's engine does not have, are a clear error.
pub fn js_regex(pattern: &str, flags: &str) -> std::result::Result<regex::Regex, String> {
    let mut prefix = String::new();
    for (flag, inline) in [('i', "i"), ('m', "m"), ('s', "s")] {
        if flags.contains(flag) {
            prefix.push_str(inline);
        }
    }
    let source = if prefix.is_empty() {
        pattern.to_string()
    } else {
        format!("(?{prefix}){pattern}")
    };
    regex::Regex::new(&source).map_err(|e| {
        format!("the pattern {pattern:?} is not a regular expression this action reads: {e}")
    })
}

/// `/body/flags` (a JavaScript regex literal) or a plain pattern.
pub fn regex_literal(pattern: &str) -> (&str, &str) {
    match pattern.strip_prefix('/').and_then(|p| p.rsplit_once('/')) {
        Some((body, flags)) if !body.is_empty() => (body, flags),
        _ => (pattern, ""),
    }
}

fn parse_rule(source: &str, line: usize, given: bool) -> Result<Rule> {
    let bad = |why: String| {
        let place = if given {
            format!("input `tags`, line {line}")
        } else {
            "the default `tags`".to_string()
        };
        Failure::usage("Invalid input `tags`", format!("{place}: {why}: {source:?}")).with_fix(
            "write one rule per line as docker/metadata-action documents them, e.g. `type=ref,event=branch`, `type=semver,pattern={{version}}`, `type=raw,value=latest`; a comma inside an attribute: quote the line and double the attribute's quotes, `\"type=match,\"\"pattern=\\d{1,2}\"\"\"`",
        )
    };
    let fields = csv_fields(source).map_err(&bad)?;
    let (kind, mut attrs) = rule_attributes(fields).map_err(&bad)?;
    complete_attributes(kind, &mut attrs).map_err(&bad)?;
    check_patterns(kind, &attrs).map_err(&bad)?;
    attrs
        .entry("enable".to_string())
        .or_insert_with(|| "true".to_string());
    let priority = match attrs.get("priority") {
        None => kind.default_priority() as f64,
        Some(p) => p
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|p| p.is_finite())
            .ok_or_else(|| bad(format!("`priority={p}` is not a number")))?,
    };
    Ok(Rule {
        kind,
        attrs,
        source: source.to_string(),
        line,
        priority,
    })
}

/// The rule's type (`raw` when it names none) and its `key=value` attributes; a bare field is
/// the `value`.
fn rule_attributes(
    fields: Vec<String>,
) -> std::result::Result<(RuleType, BTreeMap<String, String>), String> {
    let mut kind = None;
    let mut attrs = BTreeMap::new();
    for field in fields {
        // The first `=` splits (a leading `=` does not: `=x` is a bare value).
        let split = field.find('=').filter(|i| *i > 0);
        match split {
            None => {
                attrs.insert("value".to_string(), field.trim().to_string());
            }
            Some(i) => {
                let key = field[..i].trim().to_lowercase();
                let value = field[i + 1..].trim().to_string();
                if key == "type" {
                    kind = Some(RuleType::from_name(&value).ok_or_else(|| {
                        format!(
                            "unknown type `{value}` (known: schedule, semver, pep440, match, edge, ref, raw, sha)"
                        )
                    })?);
                } else {
                    attrs.insert(key, value);
                }
            }
        }
    }
    Ok((kind.unwrap_or(RuleType::Raw), attrs))
}

/// Fills in the type's defaults (metadata-action's) and checks the attributes it requires.
fn complete_attributes(
    kind: RuleType,
    attrs: &mut BTreeMap<String, String>,
) -> std::result::Result<(), String> {
    fn set_default(attrs: &mut BTreeMap<String, String>, key: &str, value: &str) {
        attrs
            .entry(key.to_string())
            .or_insert_with(|| value.to_string());
    }
    match kind {
        RuleType::Schedule => set_default(attrs, "pattern", "nightly"),
        RuleType::Semver | RuleType::Pep440 => {
            if !attrs.contains_key("pattern") {
                return Err(format!("type={} needs a `pattern`", kind.name()));
            }
            set_default(attrs, "value", "");
            set_default(attrs, "match", "");
        }
        RuleType::Match => {
            if !attrs.contains_key("pattern") {
                return Err("type=match needs a `pattern`".into());
            }
            set_default(attrs, "group", "0");
            set_default(attrs, "value", "");
            if attrs["group"].trim().parse::<usize>().is_err() {
                return Err(format!("`group={}` is not a group number", attrs["group"]));
            }
        }
        RuleType::Edge => set_default(attrs, "branch", ""),
        RuleType::Ref => {
            match attrs.get("event").map(String::as_str) {
                None => {
                    return Err("type=ref needs `event=branch`, `event=tag` or `event=pr`".into())
                }
                Some("branch" | "tag" | "pr") => {}
                Some(other) => {
                    return Err(format!("`event={other}`: the event is branch, tag or pr"))
                }
            }
            if attrs["event"] == "pr" {
                set_default(attrs, "prefix", "pr-");
            }
        }
        RuleType::Raw => {
            if !attrs.contains_key("value") {
                return Err("type=raw needs a `value`".into());
            }
        }
        RuleType::Sha => {
            set_default(attrs, "prefix", "sha-");
            set_default(attrs, "format", "short");
            if !matches!(attrs["format"].as_str(), "short" | "long") {
                return Err(format!(
                    "`format={}`: the format is short or long",
                    attrs["format"]
                ));
            }
        }
    }
    Ok(())
}

/// Patterns are checked once here, not only on the refs they apply to.
fn check_patterns(
    kind: RuleType,
    attrs: &BTreeMap<String, String>,
) -> std::result::Result<(), String> {
    if kind == RuleType::Match {
        let (body, flags) = regex_literal(&attrs["pattern"]);
        js_regex(body, flags)?;
    }
    if matches!(kind, RuleType::Semver | RuleType::Pep440) && !attrs["match"].is_empty() {
        js_regex(&attrs["match"], "")?;
    }
    Ok(())
}

/// The rules of the `tags` input (the peer's default rules when it is empty), highest priority
/// first; rules of equal priority keep their order.
pub fn parse(input: &str) -> Result<Vec<Rule>> {
    let lines = input_lines(input);
    let mut rules = Vec::new();
    if lines.is_empty() {
        for source in DEFAULT_RULES {
            rules.push(parse_rule(source, 0, false)?);
        }
    } else {
        for (n, line) in &lines {
            rules.push(parse_rule(line, *n, true)?);
        }
    }
    rules.sort_by(|a, b| {
        b.priority
            .partial_cmp(&a.priority)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_lines_are_read_as_csv_once() {
        let lines = |v: &str| -> Vec<String> { input_lines(v).into_iter().map(|l| l.1).collect() };
        assert_eq!(
            lines(r#""type=match,""pattern=\d{1,2}""""#),
            [r#"type=match,"pattern=\d{1,2}""#]
        );
        assert_eq!(
            lines(r#"type=match,"pattern=\d{1,2}""#),
            [r#"type=match,pattern=\d{1,2}"#]
        );
        assert_eq!(lines("a,b\n# c\n\n d "), ["a,b", "d"]);
        assert_eq!(lines(r#"a"b,c"#), [r#"a"b,c"#]);
        assert_eq!(lines(r#""ab"#), [r#""ab"#]);
        assert_eq!(lines(r#""a"x,b"#), [r#""a"x,b"#]);
    }

    #[test]
    fn csv_fields_follow_quotes() {
        assert_eq!(
            csv_fields(r#"type=match,"pattern=\d{1,2}",group=1"#).unwrap(),
            ["type=match", r"pattern=\d{1,2}", "group=1"]
        );
        assert_eq!(csv_fields(r#""a""b",c"#).unwrap(), ["a\"b", "c"]);
        assert!(csv_fields(r#"a"b"#).is_err());
        assert!(csv_fields(r#""ab"#).is_err());
    }

    #[test]
    fn rules_get_defaults_and_sort_by_priority() {
        let rules =
            parse("type=sha\nlatest\ntype=ref,event=pr\ntype=semver,pattern={{version}}").unwrap();
        let kinds: Vec<_> = rules.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                RuleType::Semver,
                RuleType::Ref,
                RuleType::Raw,
                RuleType::Sha
            ]
        );
        assert_eq!(rules[1].attr("prefix"), "pr-");
        assert_eq!(rules[2].attr("value"), "latest");
        assert_eq!(rules[3].attr("format"), "short");
        assert_eq!(parse("").unwrap().len(), 4);
    }

    #[test]
    fn bad_rules_name_the_line() {
        for (input, what) in [
            ("type=raw,value=a\ntype=bogus", "line 2"),
            ("type=semver", "needs a `pattern`"),
            ("type=ref", "needs `event"),
            ("type=ref,event=push", "branch, tag or pr"),
            ("type=match,pattern=x,group=a", "not a group number"),
            ("type=sha,format=mid", "short or long"),
            ("type=raw,value=a,priority=high", "not a number"),
        ] {
            let err = parse(input).unwrap_err();
            assert!(err.message.contains(what), "{input}: {}", err.message);
            assert_eq!(err.exit_code(), 2);
        }
    }
}
