//! What publish-check and an ecosystem's publish question exchange: the [`Artifact`] found on
//! disk, what it says about itself ([`Local`]), what its registry said ([`Remote`], [`State`]),
//! both together ([`Checked`], for `reconcile`), the version to suggest ([`Bump`]) and the
//! helpers every question shares (registry URLs, digests, unreadable artifacts).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest as _, Sha256, Sha512};

use super::{Eco, Publish};
use crate::error::{Failure, Result};
use crate::fetch;

/// What the registry holds for one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Not in the registry: publish it.
    Absent,
    /// In the registry with the same bytes (the same digest).
    Identical,
    /// The same version is in the registry with other bytes.
    Different,
    /// PyPI: the version is on the index, but with none of this build's file names.
    OtherFiles,
}

impl State {
    /// As `results` spells it.
    pub fn name(self) -> &'static str {
        match self {
            State::Absent => "absent",
            State::Identical => "identical",
            State::Different => "different",
            State::OtherFiles => "other-files",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Absent => "🆕 absent",
            State::Identical => "✅ identical",
            State::Different => "❌ different",
            State::OtherFiles => "❌ other files",
        }
    }
}

/// An artifact as found on disk, before it is read.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub path: PathBuf,
    /// The path as written (relative to the working directory): what `to-publish` lists.
    pub display: String,
    /// The ecosystem that claimed it (one whose [`Ecosystem::publish`] is set).
    ///
    /// [`Ecosystem::publish`]: crate::ecosystem::Ecosystem::publish
    pub ecosystem: Eco,
}

impl Artifact {
    /// Its ecosystem's publish question.
    pub fn publish(&self) -> &'static dyn Publish {
        self.ecosystem
            .publish()
            .expect("only an ecosystem with a publish question claims an artifact")
    }

    /// The file name (for a directory, its last component).
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// What an artifact says about itself.
#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub version: String,
    /// `sha512-…` (npm), `sha256:<hex>` (Python, Cargo), `h1:…` of the module zip (Go).
    pub digest: String,
    /// Go: the `h1:` of go.mod, as go.sum holds it.
    pub go_mod_digest: Option<String>,
    /// Python: the file name the index will list.
    pub file_name: String,
    /// Digests of the artifact file (npm, Python, Cargo).
    pub sha256: Option<[u8; 32]>,
    pub sha512: Option<[u8; 64]>,
}

/// What the registry said.
#[derive(Debug, Clone)]
pub struct Remote {
    pub state: State,
    /// The document asked (packument, simple page, `.info`, sparse index file).
    pub url: String,
    pub digest: Option<String>,
    pub go_mod_digest: Option<String>,
    /// Python: files of this version on the index.
    pub version_files: Vec<String>,
    /// The attestation gate's answer for an identical artifact (`None`: not asked).
    pub provenance: Option<super::provenance::Provenance>,
}

impl Remote {
    /// What the registry said at `url` before its answer is read: nothing published there yet.
    pub fn absent(url: &impl ToString) -> Self {
        Remote {
            state: State::Absent,
            url: url.to_string(),
            digest: None,
            go_mod_digest: None,
            version_files: Vec::new(),
            provenance: None,
        }
    }
}

/// One artifact with what it says about itself and what its registry said.
#[derive(Debug, Clone)]
pub struct Checked {
    pub artifact: Artifact,
    pub local: Local,
    pub remote: Remote,
}

/// An http(s) registry URL (or, for a GOPROXY, `file://`), without credentials in it.
pub fn check_url(input: &str, raw: &str, allow_file: bool) -> Result<url::Url> {
    // Before anything can echo the value.
    fetch::refuse_url_userinfo(input, raw)?;
    let bad = |why: &str| {
        Failure::invalid_input(
            input,
            format!("{raw:?} {why}"),
            format!("set `{input}` to the registry's base URL, with any token in `registry-token`"),
        )
    };
    let url = url::Url::parse(raw.trim()).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    let scheme_ok =
        matches!(url.scheme(), "https" | "http") || (allow_file && url.scheme() == "file");
    if !scheme_ok {
        return Err(bad(if allow_file {
            "is not an http(s) or file:// URL"
        } else {
            "is not an http(s) URL"
        }));
    }
    Ok(url)
}

/// sha256 and sha512 of a file, read once.
pub fn file_digests(path: &Path, display: &str) -> Result<([u8; 32], [u8; 64])> {
    let mut file = std::fs::File::open(path).map_err(|e| {
        Failure::usage("Cannot read an artifact", format!("{display}: {e}"))
            .with_fix("build the artifacts before this step")
    })?;
    let mut sha256 = Sha256::new();
    let mut sha512 = Sha512::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| Failure::usage("Cannot read an artifact", format!("{display}: {e}")))?;
        if n == 0 {
            break;
        }
        sha256.update(&buf[..n]);
        sha512.update(&buf[..n]);
    }
    Ok((sha256.finalize().into(), sha512.finalize().into()))
}

/// An artifact that cannot be read as what its name says: a usage error naming it.
pub fn bad_artifact(display: &str, why: impl std::fmt::Display) -> Failure {
    Failure::usage(
        "Unreadable artifact",
        format!("input `packages`: {display}: {why}"),
    )
    .with_fix("rebuild the artifact; publish-check reads name and version from it")
}

/// What the fix suggests after a version that is already published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bump {
    /// The next patch release (`1.2.3` → `1.2.4`).
    Next(String),
    /// The patch (the last release number) is the largest number a version can hold, so there is
    /// no next patch; with the next release of a higher component (`1.3.0`), when there is one.
    NoNextPatch(Option<String>),
    /// No obvious successor: a prerelease, or a version that does not parse.
    Unknown,
}

impl Bump {
    /// Why the usual hint is missing, for a version without a next patch.
    fn no_next_patch(version: &str) -> String {
        format!(
            "there is no next patch of {version} (its last number is the largest a version can hold)"
        )
    }

    /// The summary's action for a conflict.
    pub fn action(&self, version: &str) -> String {
        match self {
            Bump::Next(next) => format!("bump the version (e.g. {next})"),
            Bump::NoNextPatch(Some(next)) => format!(
                "bump the version: {}, e.g. {next}",
                Bump::no_next_patch(version)
            ),
            Bump::NoNextPatch(None) => format!(
                "{}, and no higher number either: release under a new name",
                Bump::no_next_patch(version)
            ),
            Bump::Unknown => format!("bump the version past {version}"),
        }
    }

    /// The annotation's fix for a conflict of `name`.
    pub fn fix(&self, name: &str, version: &str) -> String {
        match self {
            Bump::Next(next) => format!("bump {name} past {version} (e.g. {next})"),
            Bump::NoNextPatch(Some(next)) => format!(
                "bump {name} past {version}: {}, e.g. {next}",
                Bump::no_next_patch(version)
            ),
            Bump::NoNextPatch(None) => format!(
                "{name}: {}, and no higher number either: release under a new name",
                Bump::no_next_patch(version)
            ),
            Bump::Unknown => format!("bump {name} past {version}"),
        }
    }
}

/// The next patch release after a semver `version` (a leading `v` kept), with checked
/// arithmetic: at the largest patch, the next minor (or major); a prerelease has no obvious
/// successor.
pub fn next_semver_patch(version: &str) -> Bump {
    let (prefix, bare) = match version.strip_prefix('v') {
        Some(bare) => ("v", bare),
        None => ("", version),
    };
    let Ok(v) = semver::Version::parse(bare) else {
        return Bump::Unknown;
    };
    if !v.pre.is_empty() {
        return Bump::Unknown;
    }
    let show =
        |major, minor, patch| format!("{prefix}{}", semver::Version::new(major, minor, patch));
    if let Some(patch) = v.patch.checked_add(1) {
        return Bump::Next(show(v.major, v.minor, patch));
    }
    let higher = match v.minor.checked_add(1) {
        Some(minor) => Some(show(v.major, minor, 0)),
        None => v.major.checked_add(1).map(|major| show(major, 0, 0)),
    };
    Bump::NoNextPatch(higher)
}
