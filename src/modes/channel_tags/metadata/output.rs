//! What the metadata-action form writes: OCI labels and annotations, the JSON and bake files,
//! the outputs (and their `DOCKER_METADATA_OUTPUT_*` copies) and the step summary.

use super::*;

/// Label or annotation pairs, `(key, value)`.
pub(super) type Pairs = Vec<(String, String)>;

/// Labels or annotations: the eight OCI keys, then the input's lines (expressions expanded);
/// later keys replace earlier ones, values may be empty; sorted by key the way JavaScript's
/// `localeCompare` sorts. A line of the input without `=` is left out and returned, with its line
/// number, for a warning.
pub(super) fn oci_pairs(
    ctx: &MetaContext,
    version: &str,
    created: &str,
    extra: &[(usize, String)],
) -> Result<(Pairs, Vec<(usize, String)>)> {
    let repo = &ctx.repo;
    let mut lines: Vec<(Option<usize>, String)> = [
        format!("org.opencontainers.image.title={}", repo.name),
        format!("org.opencontainers.image.description={}", repo.description),
        format!("org.opencontainers.image.url={}", repo.html_url),
        format!("org.opencontainers.image.source={}", repo.html_url),
        format!("org.opencontainers.image.version={version}"),
        format!("org.opencontainers.image.created={created}"),
        format!("org.opencontainers.image.revision={}", ctx.sha),
        format!("org.opencontainers.image.licenses={}", repo.license),
    ]
    .into_iter()
    .map(|l| (None, l))
    .collect();
    for (n, line) in extra {
        lines.push((
            Some(*n),
            expr::render(line, ctx)
                .map_err(|why| bad_input("labels/annotations", format!("{why}: {line:?}")))?,
        ));
    }
    let mut pairs: Pairs = Vec::new();
    let mut dropped = Vec::new();
    for (n, line) in lines {
        // A line break in a value (a repository description, say) would split it into two
        // labels in docker/build-push-action's line-separated input.
        let line: String = line
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        let Some((key, value)) = line.split_once('=') else {
            dropped.extend(n.map(|n| (n, line)));
            continue;
        };
        match pairs.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => pairs.push((key.to_string(), value.to_string())),
        }
    }
    pairs.sort_by(|a, b| locale_order(&a.0, &b.0));
    Ok((pairs, dropped))
}

/// JavaScript's `localeCompare` (ICU root collation) for label keys: punctuation before digits
/// before letters, letters compared without case first, lower case before upper case on a tie.
pub(super) fn locale_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn key(c: char) -> (u8, u32) {
        const PUNCT: &str = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";
        if let Some(i) = PUNCT.find(c) {
            (1, i as u32)
        } else if c.is_ascii_digit() {
            (2, c as u32)
        } else if c.is_alphabetic() {
            (3, c.to_lowercase().next().unwrap_or(c) as u32)
        } else if c.is_whitespace() {
            (0, c as u32)
        } else {
            (1, 1000 + c as u32)
        }
    }
    let primary = a.chars().map(key).cmp(b.chars().map(key));
    primary.then_with(|| {
        // Tertiary: lower case first.
        a.chars()
            .map(|c| c.is_uppercase())
            .cmp(b.chars().map(|c| c.is_uppercase()))
    })
}

/// A JSON object that keeps its keys in the given order.
pub(super) struct Ordered<'a>(pub(super) &'a [(String, String)]);

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(serde::Serialize)]
pub(super) struct JsonOutput<'a> {
    pub(super) tags: &'a [String],
    #[serde(rename = "tag-names")]
    pub(super) tag_names: &'a [String],
    pub(super) labels: Ordered<'a>,
    pub(super) annotations: &'a [String],
}

#[derive(serde::Serialize)]
pub(super) struct BakeArgs<'a> {
    #[serde(rename = "DOCKER_META_IMAGES")]
    pub(super) images: String,
    /// Left out when there is no version: the peer's value is then undefined, which JSON drops.
    #[serde(rename = "DOCKER_META_VERSION", skip_serializing_if = "str::is_empty")]
    pub(super) version: &'a str,
}

#[derive(serde::Serialize, Default)]
pub(super) struct BakeTarget<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tags: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) labels: Option<Ordered<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) annotations: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) args: Option<BakeArgs<'a>>,
}

pub(super) fn bake_json(target: &str, body: BakeTarget) -> Result<String> {
    let doc = serde_json::json!({ "target": { target: body } });
    Ok(serde_json::to_string_pretty(&doc).map_err(anyhow::Error::from)?)
}

/// A fresh directory under RUNNER_TEMP for the bake files, named as the peer names them inside.
pub(super) fn bake_dir() -> Result<PathBuf> {
    let base = crate::runner::env::runner_temp().unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new()
        .prefix("docker-metadata-action-")
        .tempdir_in(&base)
        .map_err(|e| {
            Failure::usage(
                "Cannot write the bake files",
                format!("in {}: {e}", base.display()),
            )
        })?;
    Ok(dir.keep())
}

/// What the bake files hold.
pub(super) struct BakeContents<'a> {
    pub(super) target: &'a str,
    /// The enabled images, comma-separated (`DOCKER_META_IMAGES`).
    pub(super) images: String,
    pub(super) version: &'a str,
    pub(super) tags: &'a [String],
    pub(super) labels: &'a [(String, String)],
    pub(super) annotations: &'a [String],
}

/// Writes the bake files as metadata-action names them (`…-bake-tags.json`, `-labels`,
/// `-annotations`, and `…-bake.json` with tags, labels and args); returns each kind (`""` for
/// the combined file) with its path.
pub(super) fn write_bake_files(
    bake: &BakeContents,
    r: &mut Runner,
) -> Result<Vec<(&'static str, String)>> {
    let dir = bake_dir()?;
    let args = || BakeArgs {
        images: bake.images.clone(),
        version: bake.version,
    };
    let files = [
        (
            "tags",
            BakeTarget {
                tags: Some(bake.tags),
                args: Some(args()),
                ..Default::default()
            },
        ),
        (
            "labels",
            BakeTarget {
                labels: Some(Ordered(bake.labels)),
                ..Default::default()
            },
        ),
        (
            "annotations",
            BakeTarget {
                annotations: Some(bake.annotations),
                ..Default::default()
            },
        ),
        (
            "",
            BakeTarget {
                tags: Some(bake.tags),
                labels: Some(Ordered(bake.labels)),
                args: Some(args()),
                ..Default::default()
            },
        ),
    ];
    let mut paths = Vec::new();
    for (kind, body) in files {
        let name = if kind.is_empty() {
            "docker-metadata-action-bake.json".to_string()
        } else {
            format!("docker-metadata-action-bake-{kind}.json")
        };
        let path = dir.join(name);
        std::fs::write(&path, bake_json(bake.target, body)?).map_err(|e| {
            Failure::usage(
                "Cannot write the bake files",
                format!("{}: {e}", path.display()),
            )
        })?;
        paths.push((kind, path.to_string_lossy().into_owned()));
    }
    r.log(&format!("wrote {}", dir.display()));
    Ok(paths)
}

/// Sets every output and, with `DOCKER_METADATA_SET_OUTPUT_ENV`, exports it as
/// `DOCKER_METADATA_OUTPUT_<NAME>` (upper case, `_` for anything else).
pub(super) fn set_outputs(runner: &mut Runner, outputs: &[(String, String)], set_env: bool) {
    for (name, value) in outputs {
        runner.set_output(name, value.clone());
        if set_env {
            let var: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            runner.export_variable(&format!("DOCKER_METADATA_OUTPUT_{var}"), value.clone());
        }
    }
}

pub(super) fn write_summary(
    runner: &mut Runner,
    meta: &MetaContext,
    decision: &Decision,
    names: &[String],
    withheld: &[Withheld],
    labels: &[(String, String)],
    policy: FloatingPolicy,
) {
    let summary = runner.summary();
    summary.heading(2, "channel-tags (docker/metadata-action configuration)");
    summary.paragraph(&format!(
        "Ref `{}` · commit `{}` · floating tags: {}",
        or_none(&meta.git_ref),
        or_none(&meta.short_sha),
        match policy {
            FloatingPolicy::Protect => "protected (never moved below an existing release)",
            FloatingPolicy::FollowMetadataAction => "as metadata-action (`follow-metadata-action`)",
        }
    ));
    let rows: Vec<Vec<String>> = names
        .iter()
        .map(|n| {
            let rule = decision
                .entries
                .iter()
                .find(|e| &e.tag == n)
                .map(|e| e.rule.clone())
                .unwrap_or_else(|| "flavor `latest`".into());
            vec![n.clone(), rule]
        })
        .collect();
    summary.table(&["Tag", "Rule"], &rows);
    if !withheld.is_empty() {
        summary.heading(3, "Withheld floating tags");
        let rows: Vec<Vec<String>> = withheld
            .iter()
            .map(|w| vec![w.tag.clone(), w.reason.clone()])
            .collect();
        summary.table(&["Tag", "Why"], &rows);
    }
    summary.heading(3, "Labels");
    let rows: Vec<Vec<String>> = labels
        .iter()
        .map(|(k, v)| vec![k.clone(), v.clone()])
        .collect();
    summary.table(&["Label", "Value"], &rows);
}
