//! npm: the tarball's `package/package.json` names the package and version; the registry's
//! packument lists the published versions with `dist.integrity` (the sha512 of the tarball npm
//! uploaded), compared with the sha512 of the local tarball.

use base64::Engine as _;

use std::path::Path;

use super::fetch::{self as registry, Packument, NPM_ABBREVIATED};
use super::Npm;
use crate::ecosystem::publish::{
    bad_artifact, file_digests, next_semver_patch, Artifact, Bump, Local, Remote, State,
};
use crate::ecosystem::{Ecosystem as _, Publish, PublishInputs, PublishQuery};
use crate::error::{Failure, Result};
use crate::fetch::download::{Digest, Integrity};

impl Publish for Npm {
    fn claims(&self, _path: &Path, name: &str) -> bool {
        name.ends_with(".tgz")
    }
    fn publish_artifacts(&self) -> &'static str {
        "npm tarballs (*.tgz)"
    }
    fn registry_input(&self) -> &'static str {
        "npm-registry"
    }
    fn local(&self, artifact: &Artifact, _inputs: &PublishInputs) -> Result<Local> {
        local(artifact)
    }
    fn query(&self, request: &PublishQuery<'_>, local: &Local) -> Result<Remote> {
        query(request, local)
    }
    fn next_version(&self, version: &str) -> Bump {
        next_semver_patch(version)
    }
}

/// npm's rule for new package names (validate-npm-package-name): lower case, URL-safe, an
/// optional `@scope/`. Anything else cannot have been published, and must not reach a URL.
fn valid_name(name: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with(['.', '_'])
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._~".contains(&b))
    };
    name.len() <= 214
        && match name.strip_prefix('@') {
            Some(scoped) => match scoped.split_once('/') {
                Some((scope, rest)) => part(scope) && part(rest),
                None => false,
            },
            None => part(name),
        }
}

fn local(artifact: &Artifact) -> Result<Local> {
    let (name, raw_version) =
        registry::npm_tarball_manifest(&artifact.path, &artifact.display.as_str())
            .map_err(|f| bad_artifact(&artifact.display, &f.message))?;
    if !valid_name(&name) {
        return Err(bad_artifact(
            &artifact.display,
            format!("package.json has no valid npm package name (found {name:?})"),
        ));
    }
    // npm publishes the normalized version (`v1.2.3` → `1.2.3`) without build metadata
    // (`1.0.0+build.5` → `1.0.0`, semver.clean) and refuses an invalid one: the registry is
    // asked for the version it would store.
    let mut version = semver::Version::parse(raw_version.trim().trim_start_matches(['v', '=']))
        .map_err(|e| {
            bad_artifact(
                &artifact.display,
                format!("package.json version {raw_version:?} is not semver: {e}"),
            )
        })?;
    version.build = semver::BuildMetadata::EMPTY;
    let version = version.to_string();
    let (sha256, sha512) = file_digests(&artifact.path, &artifact.display)?;
    Ok(Local {
        name,
        version,
        digest: format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(sha512)
        ),
        go_mod_digest: None,
        file_name: String::new(),
        sha256: Some(sha256),
        sha512: Some(sha512),
    })
}

fn query(request: &PublishQuery<'_>, local: &Local) -> Result<Remote> {
    let fetcher = request.fetcher;
    let (base, auth) = registry::registry_with_auth(
        fetcher,
        Npm.registry_input(),
        request.registry,
        request.options,
        Npm.token_variable(),
    )?;
    let url = base
        .join(&registry::npm_packument_path(&local.name))
        .map_err(|e| {
            Failure::usage("Malformed npm package name", format!("{}: {e}", local.name))
        })?;
    let accept = format!("{NPM_ABBREVIATED}; q=1.0, application/json; q=0.8, */*");
    let response = fetcher.get_passing(url.as_str(), auth.as_ref(), Some(&accept), &[404])?;
    let absent = |url: &url::Url| Remote::absent(&url);
    if response.status == 404 {
        return Ok(absent(&url));
    }
    let packument: Packument = registry::json(&response, "packument")?;
    // Only the packument of this very package can say a version is not there: a document
    // without its name (an error page's JSON, another API) is no answer.
    if packument.name.as_deref() != Some(local.name.as_str()) {
        let named = packument
            .name
            .as_deref()
            .map_or("no name".to_string(), |n| format!("the name {n:?}"));
        return Err(Failure::usage(
            "Packument names another package",
            format!(
                "GET {url} answered HTTP {} with JSON carrying {named}: not the packument of {}",
                response.status, local.name
            ),
        )
        .with_fix(
            "set npm-registry to the registry's base URL (its packuments name the package)",
        ));
    }
    let Some(entry) = packument.versions.get(&local.version) else {
        return Ok(absent(&url));
    };
    let integrity = entry
        .dist
        .as_ref()
        .and_then(|d| d.integrity.as_deref())
        .ok_or_else(|| {
            Failure::usage(
                "Packument has no dist.integrity",
                format!(
                    "GET {url}: version {} is published but has no dist.integrity to compare",
                    local.version
                ),
            )
        })?;
    let published = Integrity::parse_sri(integrity).map_err(|f| {
        Failure::usage(
            "Packument has a malformed dist.integrity",
            format!("GET {url}: version {}: {}", local.version, f.message),
        )
    })?;
    let same = match &published.digest {
        Digest::Sha512(b) => local.sha512.is_some_and(|l| l.as_slice() == b.as_slice()),
        Digest::Sha256(b) => local.sha256.is_some_and(|l| l.as_slice() == b.as_slice()),
    };
    let provenance = match (
        &request.options.gate,
        same,
        entry.dist.as_ref(),
        local.sha512,
    ) {
        (Some(gate), true, Some(dist), Some(sha512)) => Some(registry::provenance_of(
            gate,
            fetcher,
            (&base, url.as_str(), auth.as_ref()),
            dist,
            &local.name,
            &local.version,
            &sha512,
        )?),
        _ => None,
    };
    Ok(Remote {
        state: if same {
            State::Identical
        } else {
            State::Different
        },
        url: url.to_string(),
        digest: Some(published.sri()),
        go_mod_digest: None,
        version_files: Vec::new(),
        provenance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_publishable_names_reach_a_url() {
        for ok in ["hello", "@acme/hello", "a.b-c_d~e"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "", "Hello", "@acme", "@acme/", "../x", "@a/../b", ".x", "a b", "@a/b/c",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
