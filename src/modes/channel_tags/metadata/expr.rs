//! The `{{…}}` expressions of docker/metadata-action's inputs: the small part of Handlebars they
//! use (a name, optional arguments, optional `key=value` options), evaluated against a scope, and
//! moment.js-style date formats (`{{date 'YYYYMMDD' tz='Asia/Tokyo'}}`).
//!
//! Output of `{{…}}` is HTML-escaped as Handlebars does (`{{{…}}}` is not); block expressions
//! (`{{#if}}`, partials) are refused with an error instead of being passed through half-understood.

use jiff::{tz::TimeZone, Timestamp, Zoned};

/// One argument of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// `'text'` or `"text"`
    Str(String),
    /// A bare word: in Handlebars a lookup in the context, which holds no data here, so it has
    /// no value (`{{commit_date YYYY-MM-DD}}` formats with the default format, as the peer does).
    Path(String),
}

impl Arg {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Arg::Str(s) => Some(s),
            Arg::Path(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub name: String,
    pub args: Vec<Arg>,
    pub options: Vec<(String, Arg)>,
    escaped: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Text(String),
    Expr(Call),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    nodes: Vec<Node>,
}

/// What names mean where a template is evaluated.
pub trait Scope {
    /// The value of `call`; `Ok(None)` when the scope has no such name (it renders as nothing,
    /// as a missing property does in Handlebars).
    fn value(&self, call: &Call) -> Result<Option<String>, String>;
}

fn split_words(inner: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in inner.chars() {
        match quote {
            Some(q) if c == q => {
                current.push(c);
                quote = None;
            }
            Some(_) => current.push(c),
            None if c == '\'' || c == '"' => {
                current.push(c);
                quote = Some(c);
            }
            None if c.is_whitespace() => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            None => current.push(c),
        }
    }
    if quote.is_some() {
        return Err(format!("unclosed quote in `{{{{{inner}}}}}`"));
    }
    if !current.is_empty() {
        words.push(current);
    }
    Ok(words)
}

fn parse_arg(word: &str) -> Arg {
    let quoted = word.len() >= 2
        && ((word.starts_with('\'') && word.ends_with('\''))
            || (word.starts_with('"') && word.ends_with('"')));
    if quoted {
        Arg::Str(word[1..word.len() - 1].to_string())
    } else {
        Arg::Path(word.to_string())
    }
}

fn parse_call(inner: &str, escaped: bool) -> Result<Call, String> {
    let inner = inner
        .trim()
        .trim_start_matches('~')
        .trim_end_matches('~')
        .trim();
    if let Some(c) = inner.chars().next().filter(|c| "#/^>&".contains(*c)) {
        return Err(format!(
            "`{{{{{inner}}}}}`: block and partial expressions (`{{{{{c}…}}}}`) are not supported; use plain expressions like {{{{branch}}}}"
        ));
    }
    let words = split_words(inner)?;
    let Some((name, rest)) = words.split_first() else {
        return Err("an empty expression `{{}}`".into());
    };
    if name.starts_with(['\'', '"']) {
        return Err(format!("`{{{{{inner}}}}}` does not start with a name"));
    }
    let mut call = Call {
        name: name.clone(),
        args: Vec::new(),
        options: Vec::new(),
        escaped,
    };
    for word in rest {
        match word.split_once('=') {
            Some((key, value))
                if !key.is_empty()
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                call.options.push((key.to_string(), parse_arg(value)))
            }
            _ => call.args.push(parse_arg(word)),
        }
    }
    Ok(call)
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, String> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        let mut rest = source;
        while let Some(i) = rest.find("{{") {
            // `\{{` is a literal `{{`.
            if i > 0 && rest.as_bytes()[i - 1] == b'\\' {
                text.push_str(&rest[..i - 1]);
                text.push_str("{{");
                rest = &rest[i + 2..];
                continue;
            }
            text.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let (escaped, close, body_start) = if after.starts_with('{') {
                (false, "}}}", 1)
            } else {
                (true, "}}", 0)
            };
            let body = &after[body_start..];
            if body.starts_with('!') {
                let end = body
                    .find("}}")
                    .ok_or_else(|| format!("unclosed comment `{{{{!` in {source:?}"))?;
                rest = &body[end + 2..];
                continue;
            }
            let end = body
                .find(close)
                .ok_or_else(|| format!("unclosed `{{{{` in {source:?}"))?;
            if !text.is_empty() {
                nodes.push(Node::Text(std::mem::take(&mut text)));
            }
            nodes.push(Node::Expr(parse_call(&body[..end], escaped)?));
            rest = &body[end + close.len()..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            nodes.push(Node::Text(text));
        }
        Ok(Template { nodes })
    }

    /// The template is exactly `{{raw}}` (spaces inside the braces allowed).
    pub fn is_raw_statement(&self) -> bool {
        matches!(self.nodes.as_slice(), [Node::Expr(call)] if call.name == "raw")
    }

    /// The names the template's expressions use.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().filter_map(|n| match n {
            Node::Expr(call) => Some(call.name.as_str()),
            Node::Text(_) => None,
        })
    }

    pub fn render(&self, scope: &dyn Scope) -> Result<String, String> {
        let mut out = String::new();
        for node in &self.nodes {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Expr(call) => {
                    let value = match scope.value(call)? {
                        Some(v) => v,
                        None if call.args.is_empty() && call.options.is_empty() => String::new(),
                        None => return Err(format!("unknown helper `{}`", call.name)),
                    };
                    if call.escaped {
                        out.push_str(&escape_html(&value));
                    } else {
                        out.push_str(&value);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Parses and renders in one go.
pub fn render(source: &str, scope: &dyn Scope) -> Result<String, String> {
    Template::parse(source)?.render(scope)
}

/// Handlebars' escaping of `{{…}}` output.
fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '`' => out.push_str("&#x60;"),
            '=' => out.push_str("&#x3D;"),
            other => out.push(other),
        }
    }
    out
}

/// `{{date …}}` and `{{commit_date …}}`: `time` formatted with the first argument as a moment.js
/// format in the zone of option `tz` (UTC by default).
pub fn format_date_call(call: &Call, time: Timestamp) -> Result<String, String> {
    let mut zone = TimeZone::UTC;
    for (key, value) in &call.options {
        match key.as_str() {
            "tz" => {
                let name = value.as_str().unwrap_or_default();
                // A zone is an IANA name, never a path into (or out of) the tz database.
                if name.starts_with('/') || name.split('/').any(|part| part == ".." || part == ".")
                {
                    return Err(format!(
                        "{{{{{} … tz='{name}'}}}}: not a time zone name",
                        call.name
                    ));
                }
                zone = TimeZone::get(name).map_err(|e| {
                    format!(
                        "{{{{{} … tz='{name}'}}}}: unknown time zone ({e})",
                        call.name
                    )
                })?;
            }
            other => {
                return Err(format!(
                    "{{{{{} …}}}}: unknown attribute `{other}` (only `tz` is known)",
                    call.name
                ))
            }
        }
    }
    let format = call.args.first().and_then(Arg::as_str);
    Ok(format_moment(&time.to_zoned(zone), format))
}

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn ordinal(n: i64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn offset(z: &Zoned, colon: bool) -> String {
    let seconds = z.offset().seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

/// The tokens moment.js formats, longest first at each position.
const TOKENS: &[&str] = &[
    "YYYY", "YY", "Y", "MMMM", "MMM", "MM", "Mo", "M", "DDDD", "DDDo", "DDD", "DD", "Do", "D",
    "dddd", "ddd", "dd", "do", "d", "E", "e", "HH", "H", "hh", "h", "kk", "k", "mm", "m", "ss",
    "s", "A", "a", "ZZ", "Z", "X", "x", "Q",
];

/// Formats `z` like moment.js's `format()`: tokens (`YYYY`, `MM`, `DD`, `HH`, `mm`, `ss`, `SSS`,
/// `Z`, …), `[literal]` text, other characters as they are. No format is moment's default
/// (`YYYY-MM-DDTHH:mm:ssZ`, with `Z` for UTC).
pub fn format_moment(z: &Zoned, format: Option<&str>) -> String {
    let default;
    let format = match format {
        Some(f) => f,
        None => {
            default = if z.offset().seconds() == 0 {
                "YYYY-MM-DDTHH:mm:ss[Z]"
            } else {
                "YYYY-MM-DDTHH:mm:ssZ"
            };
            default
        }
    };
    let mut out = String::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if c == '[' {
            if let Some(end) = rest.find(']') {
                out.push_str(&rest[1..end]);
                rest = &rest[end + 1..];
                continue;
            }
        }
        if c == '\\' && rest.len() > 1 {
            let next = rest[1..].chars().next().unwrap_or_default();
            out.push(next);
            rest = &rest[1 + next.len_utf8()..];
            continue;
        }
        if c == 'S' {
            let n = rest.chars().take_while(|c| *c == 'S').count().min(9);
            let nanos = format!("{:09}", z.subsec_nanosecond());
            out.push_str(&nanos[..n]);
            rest = &rest[n..];
            continue;
        }
        let Some(token) = TOKENS.iter().find(|t| rest.starts_with(**t)) else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        };
        let hour12 = match z.hour() % 12 {
            0 => 12,
            h => h,
        };
        let weekday = z.weekday().to_sunday_zero_offset() as usize;
        let value = match *token {
            "YYYY" => format!("{:04}", z.year()),
            "YY" => format!("{:02}", z.year().rem_euclid(100)),
            "Y" => z.year().to_string(),
            "MMMM" => MONTHS[z.month() as usize - 1].to_string(),
            "MMM" => MONTHS[z.month() as usize - 1][..3].to_string(),
            "MM" => format!("{:02}", z.month()),
            "Mo" => ordinal(z.month() as i64),
            "M" => z.month().to_string(),
            "DDDD" => format!("{:03}", z.day_of_year()),
            "DDDo" => ordinal(z.day_of_year() as i64),
            "DDD" => z.day_of_year().to_string(),
            "DD" => format!("{:02}", z.day()),
            "Do" => ordinal(z.day() as i64),
            "D" => z.day().to_string(),
            "dddd" => WEEKDAYS[weekday].to_string(),
            "ddd" => WEEKDAYS[weekday][..3].to_string(),
            "dd" => WEEKDAYS[weekday][..2].to_string(),
            "do" => ordinal(weekday as i64),
            "d" | "e" => weekday.to_string(),
            "E" => z.weekday().to_monday_one_offset().to_string(),
            "HH" => format!("{:02}", z.hour()),
            "H" => z.hour().to_string(),
            "hh" => format!("{hour12:02}"),
            "h" => hour12.to_string(),
            "kk" => format!("{:02}", if z.hour() == 0 { 24 } else { z.hour() }),
            "k" => (if z.hour() == 0 { 24 } else { z.hour() }).to_string(),
            "mm" => format!("{:02}", z.minute()),
            "m" => z.minute().to_string(),
            "ss" => format!("{:02}", z.second()),
            "s" => z.second().to_string(),
            "A" => (if z.hour() < 12 { "AM" } else { "PM" }).to_string(),
            "a" => (if z.hour() < 12 { "am" } else { "pm" }).to_string(),
            "ZZ" => offset(z, false),
            "Z" => offset(z, true),
            "X" => z.timestamp().as_second().to_string(),
            "x" => z.timestamp().as_millisecond().to_string(),
            "Q" => ((z.month() - 1) / 3 + 1).to_string(),
            _ => unreachable!("every token is handled"),
        };
        out.push_str(&value);
        rest = &rest[token.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Words;
    impl Scope for Words {
        fn value(&self, call: &Call) -> Result<Option<String>, String> {
            Ok(match call.name.as_str() {
                "branch" => Some("a=b".into()),
                "date" => Some(format_date_call(
                    call,
                    Timestamp::from_second(1_578_616_200).unwrap(),
                )?),
                _ => None,
            })
        }
    }

    #[test]
    fn renders_names_helpers_and_escapes() {
        assert_eq!(render("x-{{branch}}", &Words).unwrap(), "x-a&#x3D;b");
        assert_eq!(render("x-{{{ branch }}}", &Words).unwrap(), "x-a=b");
        assert_eq!(render("{{nothing}}-", &Words).unwrap(), "-");
        assert_eq!(
            render("{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}", &Words).unwrap(),
            "20200110-093000"
        );
        assert_eq!(
            render("{{date YYYY}}", &Words).unwrap(),
            "2020-01-10T00:30:00Z"
        );
        assert_eq!(
            render("{{date 'YYYY-MM-DDTHH:mm:ss.SSS[Z]'}}", &Words).unwrap(),
            "2020-01-10T00:30:00.000Z"
        );
        assert!(render("{{date 'x' zone='UTC'}}", &Words).is_err());
        assert!(render("{{date 'x' tz='../../etc/passwd'}}", &Words).is_err());
        assert!(render("{{date 'x' tz='Nowhere/City'}}", &Words).is_err());
        assert!(render("{{#if x}}y{{/if}}", &Words).is_err());
        assert!(render("{{nope 'x'}}", &Words)
            .unwrap_err()
            .contains("unknown helper"));
        assert!(render("{{branch", &Words).is_err());
        assert_eq!(render("\\{{branch}}", &Words).unwrap(), "{{branch}}");
    }

    #[test]
    fn raw_statements() {
        for (p, raw) in [
            ("{{ raw }}.{{ version }}", false),
            ("{{ raw }}", true),
            ("{{raw}}", true),
            ("{{ raw}}", true),
            ("v{{raw}}", false),
        ] {
            assert_eq!(Template::parse(p).unwrap().is_raw_statement(), raw, "{p}");
        }
    }

    #[test]
    fn moment_tokens() {
        let z = Timestamp::from_second(1_578_616_200)
            .unwrap()
            .to_zoned(TimeZone::get("America/New_York").unwrap());
        assert_eq!(
            format_moment(&z, Some("YYYY-MM-DD hh:mm A Z dddd MMM Do")),
            "2020-01-09 07:30 PM -05:00 Thursday Jan 9th"
        );
        assert_eq!(format_moment(&z, None), "2020-01-09T19:30:00-05:00");
    }
}
