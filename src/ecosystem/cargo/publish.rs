//! Cargo: the `.crate`'s own Cargo.toml (the normalized manifest `cargo package` writes) names
//! the crate and version; the sparse index file of the crate (`se/rd/serde`, one JSON line per
//! published version) gives that version's `cksum`, the sha256 of the `.crate` the registry holds,
//! compared with the sha256 of the local file.
//!
//! A 404 or 410 for the index file (cargo's own "no such crate") or a file without the version is
//! absent; a line that does not parse or names another crate is an unreadable index, never
//! "absent". A token goes, as cargo sends it, verbatim in `Authorization`, to the index's origin
//! only (over https, or http to this machine).

use std::path::Path;

use super::fetch::IndexLine;
use super::{crate_file, index_path, valid_crate_name, Cargo};
use crate::ecosystem::publish::{
    bad_artifact, check_url, file_digests, next_semver_patch, Artifact, Bump, Local, Remote, State,
};
use crate::ecosystem::registry_client::{protocol_failure, registry_with_token};
use crate::ecosystem::{Publish, PublishInputs, PublishQuery};
use crate::error::{Failure, Result};
use crate::fetch::download::Auth;

impl Publish for Cargo {
    fn claims(&self, _path: &Path, name: &str) -> bool {
        name.ends_with(".crate")
    }
    fn publish_artifacts(&self) -> &'static str {
        "crates (*.crate)"
    }
    fn registry_input(&self) -> &'static str {
        "cargo-index"
    }
    fn check_registry(&self, value: &str) -> Result<()> {
        check_url(self.registry_input(), without_sparse_prefix(value), false).map(|_| ())
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

/// cargo's `sparse+` marks the protocol, not the URL.
fn without_sparse_prefix(value: &str) -> &str {
    let value = value.trim();
    value.strip_prefix("sparse+").unwrap_or(value)
}

fn local(artifact: &Artifact) -> Result<Local> {
    let crate_file =
        crate_file::read(&artifact.path).map_err(|why| bad_artifact(&artifact.display, why))?;
    if !valid_crate_name(&crate_file.name) {
        return Err(bad_artifact(
            &artifact.display,
            format!(
                "Cargo.toml names {:?}, which is not a valid crate name",
                crate_file.name
            ),
        ));
    }
    let version = semver::Version::parse(&crate_file.version).map_err(|e| {
        bad_artifact(
            &artifact.display,
            format!(
                "Cargo.toml version {:?} is not semver: {e}",
                crate_file.version
            ),
        )
    })?;
    let (sha256, _) = file_digests(&artifact.path, &artifact.display)?;
    Ok(Local {
        name: crate_file.name,
        version: version.to_string(),
        digest: format!("sha256:{}", hex::encode(sha256)),
        go_mod_digest: None,
        file_name: artifact.file_name(),
        sha256: Some(sha256),
        sha512: None,
    })
}

fn query(request: &PublishQuery<'_>, local: &Local) -> Result<Remote> {
    let fetcher = request.fetcher;
    let (base, token) = registry_with_token(
        fetcher,
        Cargo.registry_input(),
        without_sparse_prefix(request.registry),
        request.options,
        None,
    )?;
    let auth = token.map(|t| Auth::verbatim_for(&base, t));
    let url = base
        .join(&index_path(&local.name))
        .map_err(|e| Failure::usage("Malformed crate name", format!("{}: {e}", local.name)))?;
    // cargo takes 404 and 410 for the index file as "no such crate".
    let response = fetcher.get_passing(url.as_str(), auth.as_ref(), None, &[404, 410])?;
    let mut remote = Remote::absent(&url);
    if response.status == 404 || response.status == 410 {
        return Ok(remote);
    }
    let text = response.text();
    // An index file lists every published version, one line each: an empty answer (a proxy's
    // empty 200) is no index file, and cannot say the version is absent.
    if text.trim().is_empty() {
        return Err(Failure::usage(
            "Sparse index file is empty",
            format!(
                "GET {url} answered HTTP {} with an empty body: no line for {}, not the index \
                 file of a crate",
                response.status, local.name
            ),
        )
        .with_fix("set cargo-index to the registry's sparse index (404 for a crate it lacks)"));
    }
    let Some(entry) = find_version(&text, url.as_str(), local)? else {
        return Ok(remote);
    };
    let cksum = entry.cksum.to_ascii_lowercase();
    if cksum.len() != 64 || !cksum.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(protocol_failure(
            "sparse index cksum is not a sha256",
            format!(
                "{url}: {} {} has cksum {:?}, not 64 hex digits",
                local.name, local.version, entry.cksum
            ),
        ));
    }
    let local_hex = local.sha256.map(hex::encode).unwrap_or_default();
    remote.state = if cksum == local_hex {
        State::Identical
    } else {
        State::Different
    };
    remote.digest = Some(format!("sha256:{cksum}"));
    Ok(remote)
}

/// The index line of `local`'s version, reading every line: one that does not parse or names
/// another crate makes the whole file unreadable (a version could hide behind it).
fn find_version(text: &str, url: &str, local: &Local) -> Result<Option<IndexLine>> {
    let wanted = semver::Version::parse(&local.version).ok();
    let mut found = None;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry: IndexLine = serde_json::from_str(line).map_err(|e| {
            protocol_failure(
                "sparse index line does not parse",
                format!("{url} line {}: {e}", n + 1),
            )
        })?;
        if !entry.name.eq_ignore_ascii_case(&local.name) {
            return Err(protocol_failure(
                "sparse index lists another crate",
                format!(
                    "{url} line {}: name {:?}, expected {:?}",
                    n + 1,
                    entry.name,
                    local.name
                ),
            ));
        }
        // A registry refuses a version that differs from a published one only in build
        // metadata (`1.0.0+a` after `1.0.0+b`): that is the same version.
        let same = semver::Version::parse(&entry.vers)
            .ok()
            .zip(wanted.as_ref())
            .is_some_and(|(v, w)| v.cmp_precedence(w).is_eq());
        if same {
            found = Some(entry);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(version: &str) -> Local {
        Local {
            name: "demo".into(),
            version: version.into(),
            digest: String::new(),
            go_mod_digest: None,
            file_name: String::new(),
            sha256: None,
            sha512: None,
        }
    }

    #[test]
    fn index_lines_are_all_read_and_build_metadata_is_the_same_version() {
        let line = |vers: &str| {
            format!(r#"{{"name":"demo","vers":"{vers}","deps":[],"cksum":"ab","features":{{}}}}"#)
        };
        let text = format!("{}\n\n{}\n", line("0.1.0"), line("1.0.0+build.1"));
        let found = find_version(&text, "u", &local("1.0.0")).unwrap();
        assert_eq!(found.map(|l| l.vers).as_deref(), Some("1.0.0+build.1"));
        assert!(find_version(&text, "u", &local("2.0.0")).unwrap().is_none());
        let bad = format!("{}\nnot json\n", line("1.0.0"));
        let err = find_version(&bad, "u", &local("1.0.0")).err().unwrap();
        assert!(err.message.contains("u line 2"), "{}", err.message);
        let other = r#"{"name":"other","vers":"1.0.0","deps":[],"cksum":"ab","features":{}}"#;
        assert!(find_version(other, "u", &local("1.0.0")).is_err());
        assert_eq!(without_sparse_prefix(" sparse+https://i/ "), "https://i/");
    }
}
