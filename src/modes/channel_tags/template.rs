//! The `channel-tags` input: lines `<channel>=<tag>,<tag>` whose tags are templates with
//! placeholders (`{version}`, `{major}.{minor}`, `sha-{short-sha}`, …).

use crate::error::{Failure, Result};
use crate::version::tags::Line;

pub const DEFAULT_CHANNEL_TAGS: &str = "main=latest\n\
    dev=dev\n\
    pr=pr-{pr}\n\
    branch={branch}\n\
    release={version},{major}.{minor},{major}\n\
    prerelease={version}";

pub const DEFAULT_SHA_TAG: &str = "sha-{short-sha}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    Version,
    Major,
    Minor,
    Patch,
    Sha,
    ShortSha,
    Branch,
    Pr,
    Channel,
}

impl Placeholder {
    const ALL: [Placeholder; 9] = [
        Placeholder::Version,
        Placeholder::Major,
        Placeholder::Minor,
        Placeholder::Patch,
        Placeholder::Sha,
        Placeholder::ShortSha,
        Placeholder::Branch,
        Placeholder::Pr,
        Placeholder::Channel,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Version => "version",
            Placeholder::Major => "major",
            Placeholder::Minor => "minor",
            Placeholder::Patch => "patch",
            Placeholder::Sha => "sha",
            Placeholder::ShortSha => "short-sha",
            Placeholder::Branch => "branch",
            Placeholder::Pr => "pr",
            Placeholder::Channel => "channel",
        }
    }

    fn from_name(name: &str) -> Option<Placeholder> {
        Placeholder::ALL.into_iter().find(|p| p.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value(Placeholder),
}

/// How a tag moves between releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Names one build (`{version}`, `sha-{short-sha}`): never moves.
    Exact,
    /// Moves to each new release of a line (`{major}`, `{major}.{minor}`, `latest`): given only to
    /// the highest stable release of that line, so it never moves backwards.
    Floating(Line),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub source: String,
    parts: Vec<Part>,
}

/// The values placeholders expand to; `None` where this build has no such value.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub version: Option<String>,
    pub major: Option<String>,
    pub minor: Option<String>,
    pub patch: Option<String>,
    pub sha: Option<String>,
    pub short_sha: Option<String>,
    pub branch: Option<String>,
    pub pr: Option<String>,
    pub channel: Option<String>,
}

impl Values {
    fn get(&self, p: Placeholder) -> Option<&str> {
        match p {
            Placeholder::Version => self.version.as_deref(),
            Placeholder::Major => self.major.as_deref(),
            Placeholder::Minor => self.minor.as_deref(),
            Placeholder::Patch => self.patch.as_deref(),
            Placeholder::Sha => self.sha.as_deref(),
            Placeholder::ShortSha => self.short_sha.as_deref(),
            Placeholder::Branch => self.branch.as_deref(),
            Placeholder::Pr => self.pr.as_deref(),
            Placeholder::Channel => self.channel.as_deref(),
        }
    }
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = source;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                None => {
                    parts.push(Part::Text(rest.to_string()));
                    break;
                }
                Some(i) if rest.as_bytes()[i] == b'}' => {
                    return Err(format!("unmatched `}}` in {source:?}"));
                }
                Some(i) => {
                    if i > 0 {
                        parts.push(Part::Text(rest[..i].to_string()));
                    }
                    let after = &rest[i + 1..];
                    let end = after
                        .find('}')
                        .ok_or_else(|| format!("unclosed `{{` in {source:?}"))?;
                    let name = after[..end].trim();
                    let placeholder = Placeholder::from_name(name).ok_or_else(|| {
                        format!(
                            "unknown placeholder {{{name}}} in {source:?} (known: {})",
                            Placeholder::ALL
                                .iter()
                                .map(|p| format!("{{{}}}", p.name()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })?;
                    parts.push(Part::Value(placeholder));
                    rest = &after[end + 1..];
                }
            }
        }
        if parts.is_empty() {
            return Err("an empty tag".into());
        }
        Ok(Template {
            source: source.to_string(),
            parts,
        })
    }

    pub fn uses(&self, p: Placeholder) -> bool {
        self.parts.contains(&Part::Value(p))
    }

    /// A tag that names one version or one commit is exact; anything else (`{major}`,
    /// `{major}.{minor}`, a fixed word like `latest` or `stable`) floats.
    pub fn kind(&self) -> Kind {
        let exact = [
            Placeholder::Version,
            Placeholder::Patch,
            Placeholder::Sha,
            Placeholder::ShortSha,
            Placeholder::Pr,
        ];
        if exact.iter().any(|p| self.uses(*p)) {
            Kind::Exact
        } else if self.uses(Placeholder::Minor) {
            Kind::Floating(Line::Minor)
        } else if self.uses(Placeholder::Major) {
            Kind::Floating(Line::Major)
        } else {
            Kind::Floating(Line::All)
        }
    }

    /// The semver placeholders this template uses, which only a tag build can fill.
    pub fn semver_placeholders(&self) -> Vec<Placeholder> {
        [Placeholder::Major, Placeholder::Minor, Placeholder::Patch]
            .into_iter()
            .filter(|p| self.uses(*p))
            .collect()
    }

    /// The expanded tag, or the first placeholder this build has no value for.
    pub fn expand(&self, values: &Values) -> Result<String, Placeholder> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Value(p) => out.push_str(values.get(*p).ok_or(*p)?),
            }
        }
        Ok(out)
    }
}

/// One channel's tags, and the line of the input they came from (`None`: a default).
#[derive(Debug, Clone)]
pub struct ChannelLine {
    pub channel: String,
    pub templates: Vec<Template>,
    pub line: Option<usize>,
}

/// The parsed `channel-tags` input over the defaults: a channel the input names replaces its
/// default line; channels it does not name keep theirs.
#[derive(Debug, Clone)]
pub struct ChannelTags {
    lines: Vec<ChannelLine>,
}

fn parse_lines(input: &str, from_input: bool) -> Result<Vec<ChannelLine>> {
    let mut lines: Vec<ChannelLine> = Vec::new();
    for (n, raw) in input.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| {
            Failure::invalid_input_line(
                "channel-tags",
                n + 1,
                format!("{why}: {line:?}"),
                "write one `<channel>=<tag>,<tag>` per line, e.g. `main=latest,edge` or \
                 `release={version},{major}.{minor}`; `<channel>=` gives a channel no tags",
            )
        };
        let Some((channel, tags)) = line.split_once('=') else {
            return Err(bad("expected `<channel>=<tag>,<tag>`"));
        };
        let channel = channel.trim();
        if channel.is_empty()
            || !channel
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(bad(
                "the channel must be a non-empty name of letters, digits, `-`, `_` and `.`",
            ));
        }
        if let Some(earlier) = lines.iter().find(|l| l.channel == channel) {
            return Err(bad(&format!(
                "channel `{channel}` is already given on line {}",
                earlier.line.unwrap_or(0)
            )));
        }
        let mut templates = Vec::new();
        for tag in tags.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            templates.push(Template::parse(tag).map_err(|why| bad(&why))?);
        }
        lines.push(ChannelLine {
            channel: channel.to_string(),
            templates,
            line: from_input.then_some(n + 1),
        });
    }
    Ok(lines)
}

impl ChannelTags {
    pub fn parse(input: &str) -> Result<ChannelTags> {
        let given = parse_lines(input, true)?;
        let mut lines = parse_lines(DEFAULT_CHANNEL_TAGS, false)?;
        for line in given {
            match lines.iter_mut().find(|l| l.channel == line.channel) {
                Some(slot) => *slot = line,
                None => lines.push(line),
            }
        }
        Ok(ChannelTags { lines })
    }

    /// The tags of `channel`. A channel with no line (one added by the `channels` input) is
    /// tagged with its own name, so its builds can be deployed by channel like `main` and `dev`.
    pub fn for_channel(&self, channel: &str) -> ChannelLine {
        self.lines
            .iter()
            .find(|l| l.channel == channel)
            .cloned()
            .unwrap_or_else(|| ChannelLine {
                channel: channel.to_string(),
                templates: vec![Template::parse("{channel}").expect("a valid template")],
                line: None,
            })
    }
}

/// The `sha-tag` input: a template, or `false`/`none` for no sha tag. (An empty input means "not
/// given" to the runner, so it cannot be the way to turn the tag off.)
pub fn parse_sha_tag(input: &str) -> Result<Option<Template>> {
    let value = input.trim();
    if matches!(
        value.to_ascii_lowercase().as_str(),
        "false" | "none" | "off" | ""
    ) {
        return Ok(None);
    }
    Template::parse(value).map(Some).map_err(|why| {
        Failure::invalid_input(
            "sha-tag",
            why,
            "use a template such as `sha-{short-sha}`, or `false` for no sha tag",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let k = |s: &str| Template::parse(s).unwrap().kind();
        assert_eq!(k("{version}"), Kind::Exact);
        assert_eq!(k("sha-{short-sha}"), Kind::Exact);
        assert_eq!(k("{major}.{minor}"), Kind::Floating(Line::Minor));
        assert_eq!(k("v{major}"), Kind::Floating(Line::Major));
        assert_eq!(k("latest"), Kind::Floating(Line::All));
        assert_eq!(k("{major}.{minor}.{patch}"), Kind::Exact);
    }

    #[test]
    fn expands_and_reports_missing_values() {
        let t = Template::parse("pr-{pr}-{short-sha}").unwrap();
        let mut v = Values {
            short_sha: Some("abc".into()),
            ..Default::default()
        };
        assert_eq!(t.expand(&v), Err(Placeholder::Pr));
        v.pr = Some("42".into());
        assert_eq!(t.expand(&v).unwrap(), "pr-42-abc");
    }

    #[test]
    fn bad_templates_are_refused() {
        assert!(Template::parse("{nope}")
            .unwrap_err()
            .contains("unknown placeholder {nope}"));
        assert!(Template::parse("{version")
            .unwrap_err()
            .contains("unclosed"));
        assert!(Template::parse("a}").unwrap_err().contains("unmatched"));
    }

    #[test]
    fn input_lines_replace_defaults_by_channel() {
        let ct = ChannelTags::parse("main=latest,edge\nrc=rc,{channel}-next\npr=").unwrap();
        let sources = |c: &str| {
            ct.for_channel(c)
                .templates
                .iter()
                .map(|t| t.source.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(sources("main"), ["latest", "edge"]);
        assert_eq!(sources("dev"), ["dev"]);
        assert_eq!(sources("rc"), ["rc", "{channel}-next"]);
        assert!(sources("pr").is_empty());
        assert_eq!(sources("nightly"), ["{channel}"]);
        assert_eq!(ct.for_channel("rc").line, Some(2));
    }

    #[test]
    fn errors_name_the_input_and_line() {
        let err = ChannelTags::parse("main=latest\n\nbad line").unwrap_err();
        assert!(
            err.message.contains("input `channel-tags`, line 3"),
            "{}",
            err.message
        );
        assert_eq!(err.exit_code(), 2);
        let err = ChannelTags::parse("main=a\nmain=b").unwrap_err();
        assert!(
            err.message.contains("already given on line 1"),
            "{}",
            err.message
        );
        let err = ChannelTags::parse("dev={sha}-{bogus}").unwrap_err();
        assert!(err.message.contains("line 1"), "{}", err.message);
    }

    #[test]
    fn sha_tag_can_be_turned_off() {
        assert!(parse_sha_tag("false").unwrap().is_none());
        assert!(parse_sha_tag("None").unwrap().is_none());
        assert_eq!(
            parse_sha_tag("sha-{sha}").unwrap().unwrap().source,
            "sha-{sha}"
        );
        assert!(parse_sha_tag("{x}").is_err());
    }
}
