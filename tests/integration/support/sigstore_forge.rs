//! The Sigstore forge (tests/tools/sigstore_forge.py) run into a temp dir: a trusted root,
//! bundles (untampered and tampered, one check each), and the registry payloads the attestation
//! gate reads (npm's attestations document, PyPI's PEP 740 provenance, cosign's OCI forms), all
//! listed in the forge's `manifest.json`. sigstore-python and pypi-attestations accept every
//! untampered bundle and reject every tampered one (tests/tools/sigstore_forge_check.py), so a
//! verdict of ours that differs is ours to explain. The forge runs on the tools venv's python3
//! (scripts/install-tools.sh pins its `cryptography` and `rfc8785`); a missing tool fails the
//! test.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

pub(crate) struct Forged {
    dir: TempDir,
    pub manifest: Value,
}

/// One bundle the forge made, with what a verifier must answer for it.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub name: String,
    pub bundle: PathBuf,
    pub artifact: PathBuf,
    pub identity: String,
    pub issuer: String,
    /// `verified` or `rejected`.
    pub expect: String,
    /// The check a tampered bundle breaks (e.g. `SCT`, `inclusion proof`); None when untampered.
    pub check: Option<String>,
    /// `message` (a signature over the artifact) or `dsse` (an in-toto statement about it).
    pub kind: String,
}

impl Forged {
    /// Forges with the default seed (the same certificates and trusted root on every run).
    pub(crate) fn new() -> Self {
        Self::with_args(&[])
    }

    /// Forges with extra arguments, e.g. `--seed S`, `--npm-tarball F --npm-name N
    /// --npm-version V`, `--wheel F --pypi-version V`, `--image-digest sha256:H --image-repo R`.
    pub(crate) fn with_args(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/sigstore_forge.py");
        let out = Command::new("python3")
            .arg(&script)
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("python3 could not start ({e})"));
        assert!(
            out.status.success(),
            "the forge failed (run scripts/install-tools.sh and source scripts/tools-env.sh):\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(dir.path().join("manifest.json")).expect("manifest");
        let manifest = serde_json::from_str(&text).expect("manifest.json is JSON");
        Forged { dir, manifest }
    }

    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the forge's output, from a relative path the manifest names.
    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub(crate) fn trusted_root(&self) -> PathBuf {
        self.path("trusted_root.json")
    }

    /// The identity (a GitHub release workflow at a tag) the untampered certificates carry.
    pub(crate) fn identity(&self) -> &str {
        self.manifest["identity"].as_str().expect("identity")
    }

    pub(crate) fn issuer(&self) -> &str {
        self.manifest["issuer"].as_str().expect("issuer")
    }

    pub(crate) fn cases(&self) -> Vec<Case> {
        let cases = self.manifest["cases"].as_array().expect("cases");
        cases.iter().map(|c| self.case_of(c)).collect()
    }

    pub(crate) fn case(&self, name: &str) -> Case {
        self.cases()
            .into_iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("the forge made no case {name:?}"))
    }

    fn case_of(&self, c: &Value) -> Case {
        let text = |key: &str| c[key].as_str().unwrap_or_default().to_string();
        Case {
            name: text("name"),
            bundle: self.path(&text("bundle")),
            artifact: self.path(&text("artifact")),
            identity: text("identity"),
            issuer: text("issuer"),
            expect: text("expect"),
            check: c["check"].as_str().map(str::to_string),
            kind: text("kind"),
        }
    }

    /// A registry form's entry in the manifest: `npm`, `pypi` or `oci` (paths in it are
    /// relative to `dir()` unless given to the forge as absolute paths).
    pub(crate) fn registry(&self, form: &str) -> &Value {
        &self.manifest["registry"][form]
    }
}
