//! The `flavor` input of docker/metadata-action: `latest=auto|true|false`, `prefix=…`,
//! `suffix=…`, each optionally followed by `onlatest=true|false` (whether `latest` gets it too).

use crate::error::{Failure, Result};

use super::rules::{csv_fields, input_lines};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latest {
    /// `latest` when the first tag rule that gives a tag says so (a stable semver/pep440
    /// release, `type=match`, `type=ref,event=tag`).
    Auto,
    True,
    False,
}

#[derive(Debug, Clone)]
pub struct Flavor {
    pub latest: Latest,
    pub prefix: String,
    pub prefix_latest: bool,
    pub suffix: String,
    pub suffix_latest: bool,
}

impl Default for Flavor {
    fn default() -> Self {
        Flavor {
            latest: Latest::Auto,
            prefix: String::new(),
            prefix_latest: false,
            suffix: String::new(),
            suffix_latest: false,
        }
    }
}

impl Flavor {
    /// What a tag rule that would set `latest` under `auto` sets under this flavor.
    /// The `latest` tag, with the prefix and suffix that have `onlatest=true`.
    pub fn latest_tag(&self) -> String {
        let prefix = if self.prefix_latest {
            self.prefix.as_str()
        } else {
            ""
        };
        let suffix = if self.suffix_latest {
            self.suffix.as_str()
        } else {
            ""
        };
        format!("{prefix}latest{suffix}")
    }

    pub fn latest_for(&self, auto: bool) -> bool {
        match self.latest {
            Latest::Auto => auto,
            Latest::True => true,
            Latest::False => false,
        }
    }
}

pub fn parse(input: &str) -> Result<Flavor> {
    let mut flavor = Flavor::default();
    for (n, line) in input_lines(input) {
        let bad = |why: String| {
            Failure::invalid_input_line(
                "flavor",
                n,
                format!("{why}: {line:?}"),
                "write lines like `latest=auto`, `prefix=v,onlatest=true`, `suffix=-alpine`",
            )
        };
        let mut onlatest_for = "";
        for field in csv_fields(&line).map_err(&bad)? {
            let Some((key, value)) = field.split_once('=') else {
                return Err(bad(format!("`{field}` is not `key=value`")));
            };
            let (key, value) = (key.trim().to_lowercase(), value.trim());
            match key.as_str() {
                "latest" => {
                    flavor.latest = match value {
                        "auto" => Latest::Auto,
                        "true" => Latest::True,
                        "false" => Latest::False,
                        other => {
                            return Err(bad(format!("`latest={other}`: use auto, true or false")))
                        }
                    }
                }
                "prefix" => {
                    flavor.prefix = value.to_string();
                    onlatest_for = "prefix";
                }
                "suffix" => {
                    flavor.suffix = value.to_string();
                    onlatest_for = "suffix";
                }
                "onlatest" => {
                    let on = match value {
                        "true" => true,
                        "false" => false,
                        other => return Err(bad(format!("`onlatest={other}`: use true or false"))),
                    };
                    match onlatest_for {
                        "prefix" => flavor.prefix_latest = on,
                        "suffix" => flavor.suffix_latest = on,
                        _ => {}
                    }
                }
                other => {
                    return Err(bad(format!(
                        "unknown key `{other}` (known: latest, prefix, suffix, onlatest)"
                    )))
                }
            }
        }
    }
    Ok(flavor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flavor_lines() {
        let f = parse("latest=false\nprefix=v,onlatest=true\nsuffix=-alpine").unwrap();
        assert_eq!(f.latest, Latest::False);
        assert_eq!((f.prefix.as_str(), f.prefix_latest), ("v", true));
        assert_eq!((f.suffix.as_str(), f.suffix_latest), ("-alpine", false));
        assert!(parse("latest=maybe")
            .unwrap_err()
            .message
            .contains("line 1"));
        assert!(parse("colour=red").is_err());
        assert!(parse("prefix").is_err());
    }
}
