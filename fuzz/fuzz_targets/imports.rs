//! Import extraction (every language) and registry/host extraction (every source) on arbitrary
//! bytes, as policy-check's scan reads repository files.
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use release_action::modes::policy_check::{imports, registry_refs};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let root = Path::new("/nonexistent-fuzz-root");
    for (path, language) in [
        ("src/a/b.ts", imports::Language::TypeScript),
        ("pkg/sub/mod.py", imports::Language::Python),
        ("cmd/main.go", imports::Language::Go),
        ("proto/x.proto", imports::Language::Proto),
    ] {
        for import in imports::extract(language, path, &text, root) {
            assert!(import.offset + import.len <= text.len());
        }
    }
    for path in [
        ".npmrc",
        "pnpm-lock.yaml",
        "package-lock.json",
        "pip.conf",
        "requirements.txt",
        "uv.lock",
        "pyproject.toml",
        "go.mod",
        "go.env",
        ".github/workflows/ci.yml",
    ] {
        let file = registry_refs::RefFile::of(path).expect("a known file");
        for r in registry_refs::extract(file, &text) {
            assert!(r.offset <= text.len());
        }
    }
});
