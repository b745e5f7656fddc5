//! Go: module directories (with a go.mod) and module zips, GOPROXY, and Go module versions
//! (pseudo-versions for untagged builds, the `/vN` major rule).

pub mod fetch;
mod publish;
pub(crate) mod smoke;

use std::path::Path;

use crate::ecosystem::remote::Fetched;
use crate::ecosystem::smoke::{Package, Plan, Report};
use crate::ecosystem::{
    invalid_override, Ecosystem, FetchRequest, Identity, Inspected, VersionContext,
};
use crate::error::{Failure, Result};
use crate::runner::outputs::OutputSpec;
use crate::runner::sandbox;
use crate::runner::Runner;
use crate::version::format_timestamp;
use crate::version::go;
use crate::version::tags::{Releases, TagVersion};

/// The public proxy `go:` entries come from by default.
pub const DEFAULT_GOPROXY: &str = "https://proxy.golang.org";

pub struct Go;

static IDENTITY: Identity = Identity {
    name: "go",
    key: "go",
    label: "Go",
    artifacts: "a Go module (a *.zip, or a directory with a go.mod)",
    entry_points: "a package path inside a module",
    version_grammar: "Go module",
    coordinate_example: "go:example.com/mod@v1.2.3",
    manifest_file: "go.json",
    version_output: OutputSpec {
        name: "go-version",
        description: "The Go module version or pseudo-version.",
    },
    token_variable: None,
};

impl Ecosystem for Go {
    fn identity(&self) -> &'static Identity {
        &IDENTITY
    }
    fn recognises_file(&self, name: &str, _chosen: bool) -> bool {
        name.ends_with(".zip")
    }
    fn serves_file_registry(&self) -> bool {
        true
    }
    fn recognises_dir(&self, dir: &Path) -> bool {
        dir.join("go.mod").is_file()
    }
    fn normalize_version(&self, raw: &str) -> std::result::Result<String, String> {
        let bare = raw.strip_prefix('v').unwrap_or(raw);
        let bare_core = bare.strip_suffix("+incompatible").unwrap_or(bare);
        let v = semver::Version::parse(bare_core).map_err(|e| e.to_string())?;
        if v.build.is_empty() {
            Ok(format!("v{bare}"))
        } else {
            Err("Go versions carry no build metadata (only +incompatible)".into())
        }
    }
    fn require_tools(&self, _plan: &Plan) -> Result<()> {
        sandbox::require_tool(
            "go",
            "to build Go modules",
            "install Go (actions/setup-go, or apt-get install golang-go)",
        )
        .map(|_| ())
    }
    fn inspect(
        &self,
        package: &Package,
        expected: &str,
        runner: &mut Runner,
    ) -> Result<Box<dyn Inspected>> {
        Ok(Box::new(smoke::inspect(package, expected, runner)?))
    }

    fn parse_coordinate(&self, rest: &str) -> Option<(String, String)> {
        match rest.rsplit_once('@') {
            Some((m, v)) if !m.is_empty() && v.starts_with('v') => Some((m.into(), v.into())),
            _ => None,
        }
    }
    fn check_coordinate(&self, name: &str) -> std::result::Result<(), String> {
        crate::version::go::check_module_path(name)
            .map_err(|why| format!("{name:?} is not a Go module path: {why}"))
    }
    fn display_coordinate(&self, name: &str, version: &str) -> String {
        format!("go:{name}@{version}")
    }
    fn fetch(&self, r: &FetchRequest<'_>) -> Result<Fetched> {
        fetch::fetch_go(
            r.fetcher,
            r.name,
            r.version,
            r.opts,
            r.expected.clone(),
            r.dir,
        )
    }

    fn check_version_inputs(&self, inputs: &crate::ecosystem::VersionInputs) -> Result<()> {
        if let Some(module) = &inputs.go_module {
            if module.contains(char::is_whitespace) || module.starts_with('/') || module.is_empty()
            {
                return Err(Failure::invalid_input(
                    "go-module",
                    format!("must be a module path like example.com/sdk/v2, got {module:?}"),
                    "give the module path of go.mod's `module` line, or leave `go-module` empty",
                ));
            }
        }
        Ok(())
    }
    fn release_version(&self, ctx: &VersionContext<'_>, tag: &TagVersion) -> Result<String> {
        let semver = crate::ecosystem::npm::release_semver(tag);
        let path_major = path_major(ctx);
        // The go command refuses a version whose major does not match the module path (`/v2`
        // needs v2.x.y; no suffix allows v0 and v1): releasing it would publish a Go version
        // nobody can `go get`.
        if let Some(module) = ctx.inputs.go_module.as_deref() {
            if !go::major_allowed(path_major, tag.version.major) {
                let wanted = match path_major {
                    Some(n) => format!("v{n}.x.y"),
                    None => "v0.x.y or v1.x.y".to_string(),
                };
                return Err(Failure::guard(
                    "Tag does not match the Go module's major version",
                    format!(
                        "tag {} is major {}, but go-module {module} takes {wanted}: the go command refuses v{semver}",
                        tag.tag, tag.version.major,
                    ),
                )
                .with_fix(if tag.version.major >= 2 {
                    format!(
                        "tag a {wanted} release, or set `go-module` to the path ending in /v{}",
                        tag.version.major
                    )
                } else {
                    format!("tag a {wanted} release, or set `go-module` to the path without a /vN suffix")
                }));
            }
        }
        Ok(format!("v{semver}"))
    }
    fn snapshot_version(&self, ctx: &VersionContext<'_>) -> Result<String> {
        snapshot(ctx)
    }
    fn override_version(&self, ctx: &VersionContext<'_>) -> Result<Option<(String, String)>> {
        let variables = [
            format!("{}_GO_SDK_VERSION", ctx.env_prefix),
            "GO_SDK_VERSION".to_string(),
        ];
        let Some((source, value)) =
            ctx.override_value(&ctx.inputs.go_version, "go-version", &variables)
        else {
            return Ok(None);
        };
        go::validate(&value, path_major(ctx))
            .map_err(|why| invalid_override(&source, &value, &why))?;
        ctx.runner.log(&format!("Go version {value} from {source}"));
        Ok(Some((source, value)))
    }

    fn publish(&self) -> Option<&dyn crate::ecosystem::Publish> {
        Some(self)
    }
}

fn path_major(ctx: &VersionContext<'_>) -> Option<u64> {
    ctx.inputs.go_module.as_deref().and_then(go::path_major)
}

/// The Go pseudo-version of an untagged build, built the way the go command checks it: the base is
/// the highest tag reachable from the commit whose major the module allows, the time is the
/// commit's committer time in UTC.
fn snapshot(ctx: &VersionContext<'_>) -> Result<String> {
    let (sha, short, git, runner) = (ctx.sha, ctx.short_sha(), ctx.git, ctx.runner);
    let path_major = path_major(ctx);
    let commit_time = git.committer_time(sha).ok().and_then(format_timestamp);
    let go_time = match &commit_time {
        Some(t) => t.clone(),
        None => {
            runner.warning(&format!(
                "commit {sha} is not in the local clone: the Go pseudo-version uses timestamp \
                 {}, and the go command will refuse it unless that is the commit's committer \
                 time. Use `fetch-depth: 0` in actions/checkout.",
                ctx.timestamp
            ));
            ctx.timestamp.to_string()
        }
    };
    // Go reads tags `<dir>/vX.Y.Z`; a prefix that does not end in `v` makes tags Go cannot see.
    let go_prefix = ctx.tag_prefix.ends_with('v');
    let allowed = |t: &TagVersion| go_prefix && go::major_allowed(path_major, t.version.major);
    let highest = |names: &[String]| -> Option<TagVersion> {
        Releases::from_tag_names(names, ctx.tag_prefix)
            .all()
            .iter()
            .filter(|t| allowed(t) && t.version.build.is_empty())
            .max_by(|a, b| a.version.cmp_precedence(&b.version))
            .cloned()
    };
    let base = if ctx.from_git && commit_time.is_some() {
        // The highest tag of all, when it is merged into the commit, is the highest merged one:
        // one ancestry question (none when it is on the commit) instead of listing every tag.
        let base = match highest(ctx.tag_names) {
            Some(top) if git.tag_is_merged_into(&top.tag, sha) == Some(true) => Some(top),
            _ => highest(&git.tags_merged_into(sha)?),
        };
        if let Some(b) = &base {
            // Go refuses a pseudo-version derived from a tag on the commit itself: that commit's
            // Go version is the tag.
            let on_commit = match git.tag_points_at(&b.tag, sha) {
                Some(answer) => answer,
                None => git.tags_pointing_at(sha)?.contains(&b.tag),
            };
            if on_commit {
                runner.log(&format!(
                    "Go version v{} is the tag on this commit",
                    b.version
                ));
                return Ok(format!("v{}", b.version));
            }
        }
        base
    } else {
        let base = highest(ctx.tag_names);
        if let Some(b) = &base {
            runner.warning(&format!(
                "the Go pseudo-version assumes {} is an ancestor of {short}: the clone is too shallow \
                 to check (use `fetch-depth: 0`)",
                b.tag
            ));
        }
        base
    };
    Ok(go::pseudo_version(
        base.as_ref().map(|t| &t.version),
        path_major,
        &go_time,
        short,
    ))
}

impl Inspected for smoke::Inspected {
    fn claims(&self, entry: &str) -> bool {
        smoke::Inspected::claims(self, entry)
    }
    fn smoke(self: Box<Self>, plan: &Plan, runner: &mut Runner) -> Result<Report> {
        smoke::smoke(*self, plan, runner)
    }
}
