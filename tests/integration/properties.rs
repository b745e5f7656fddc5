//! Property tests: the versions version-guard computes, and every parser on arbitrary input.
//!
//! The case count is `PROPTEST_CASES` when set (e.g. `PROPTEST_CASES=100000 cargo test --release
//! --test properties`); the defaults keep `cargo test` quick. docs/robustness.md has the large runs.

use std::path::Path;
use std::str::FromStr;

use proptest::prelude::*;
use proptest::test_runner::Config;
use regex::Regex;
use release_action::channel::{self, Channels};
use release_action::ecosystem::remote;
use release_action::ecosystem::{go as go_eco, npm as npm_eco, pypi as pypi_eco};
use release_action::fetch::download::{self, Integrity};
use release_action::fetch::oci;
use release_action::github::context::{Context, RefKind};
use release_action::modes::channel_tags::{docker, labels, template, versions};
use release_action::modes::policy_check::{config, imports, registry_refs};
use release_action::version::format_timestamp;
use release_action::version::tags::{Line, Releases, TagVersion};
use release_action::version::{go, npm, pep440};
use semver::Version;

/// node-semver's `Number.MAX_SAFE_INTEGER`: the largest number version-guard accepts in a base.
const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;
/// 9999-12-31T23:59:59Z: the last second with a four-digit year.
const LAST_TIMESTAMP: i64 = 253_402_300_799;

fn cases(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn number() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..20,
        0u64..100_000,
        Just(MAX_SAFE_INTEGER - 1),
        0u64..=MAX_SAFE_INTEGER,
    ]
}

/// A base version: what `base-version` accepts (major.minor.patch, no prerelease).
fn base() -> impl Strategy<Value = Version> {
    (number(), number(), number()).prop_map(|(a, b, c)| Version::new(a, b, c))
}

/// A release strictly below `base`, as the guard requires of the latest release.
fn release_below(base: &Version) -> impl Strategy<Value = Version> {
    let b = base.clone();
    (0u8..3, any::<u64>(), any::<u64>()).prop_filter_map(
        "base 0.0.0 has nothing below",
        move |(which, x, y)| {
            let (maj, min, pat) = (b.major, b.minor, b.patch);
            let below = match which {
                0 if pat > 0 => Version::new(maj, min, x % pat),
                1 if min > 0 => Version::new(maj, x % min, y % (MAX_SAFE_INTEGER + 1)),
                2 if maj > 0 => Version::new(x % maj, y % (MAX_SAFE_INTEGER + 1), x % 1000),
                _ if pat > 0 => Version::new(maj, min, pat - 1),
                _ if min > 0 => Version::new(maj, min - 1, 0),
                _ if maj > 0 => Version::new(maj - 1, 0, 0),
                _ => return None,
            };
            Some(below)
        },
    )
}

fn sha() -> impl Strategy<Value = String> {
    "[0-9a-f]{40}"
}

/// Two unix times, the second strictly later, within the range a 14-digit timestamp can carry.
fn two_times() -> impl Strategy<Value = (i64, i64)> {
    (0i64..LAST_TIMESTAMP, 1i64..=LAST_TIMESTAMP).prop_map(|(a, d)| {
        let b = (a + d).min(LAST_TIMESTAMP);
        (a, if b == a { a + 1 } else { b })
    })
}

/// golang.org/x/mod/module's `pseudoVersionRE`, and the rest of its `IsPseudoVersion` rules: the
/// version is canonical semver with a `v` (no build metadata).
fn is_go_pseudo_version(v: &str) -> bool {
    static RE: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(
            r"^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$",
        )
        .unwrap()
    });
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    RE.is_match(v)
        && v.matches('-').count() >= 2
        && Version::parse(rest).is_ok_and(|s| s.to_string() == rest && s.build.is_empty())
}

fn go_semver(v: &str) -> Version {
    Version::parse(v.strip_prefix('v').expect("a Go version starts with v")).expect("Go semver")
}

proptest! {
    #![proptest_config(cases(2_000))]

    /// npm snapshots: strict semver, printed back unchanged, accepted by the override validator,
    /// above the latest release, below the base, and ordered by time.
    #[test]
    fn npm_snapshots_are_valid_and_ordered(
        (base, latest) in base().prop_flat_map(|b| (Just(b.clone()), release_below(&b))),
        (t1, t2) in two_times(),
        sha in sha(),
    ) {
        let ts1 = format_timestamp(t1).unwrap();
        let ts2 = format_timestamp(t2).unwrap();
        prop_assert_eq!(ts1.len(), 14);
        let a = npm::snapshot(&base, &ts1, &sha[..12]);
        let text = a.to_string();
        let parsed = Version::parse(&text).unwrap();
        prop_assert_eq!(parsed.to_string(), text.clone());
        prop_assert!(npm::validate(&text).is_ok(), "{} refused: {:?}", text, npm::validate(&text));
        prop_assert!(latest < parsed && parsed < base, "{} < {} < {}", latest, parsed, base);
        let b = npm::snapshot(&base, &ts2, &sha[..12]);
        prop_assert!(parsed < b, "{} < {}", parsed, b);
        // Whatever the sha, a later timestamp wins.
        let other = npm::snapshot(&base, &ts2, "000000000000");
        prop_assert!(parsed < other);
    }

    /// PyPI snapshots: PEP 440 normal form (with and without the local part), above the latest
    /// release, below the base, and ordered by time.
    #[test]
    fn pypi_snapshots_are_normal_and_ordered(
        (base, latest) in base().prop_flat_map(|b| (Just(b.clone()), release_below(&b))),
        (t1, t2) in two_times(),
        sha in sha(),
        local in any::<bool>(),
    ) {
        let ts1 = format_timestamp(t1).unwrap();
        let ts2 = format_timestamp(t2).unwrap();
        let a = pep440::snapshot(&base, &ts1, &sha[..12], local);
        let text = a.to_string();
        let parsed = pep440_rs::Version::from_str(&text).unwrap();
        prop_assert_eq!(parsed.to_string(), text.clone());
        prop_assert_eq!(pep440::normalize(&text).unwrap().to_string(), text.clone());
        prop_assert_eq!(parsed.is_local(), local);
        let pep = |v: &Version| pep440_rs::Version::from_str(&v.to_string()).unwrap();
        prop_assert!(pep(&latest) < parsed && parsed < pep(&base), "{} {} {}", latest, text, base);
        let b = pep440::snapshot(&base, &ts2, &sha[..12], local);
        prop_assert!(parsed < b, "{} < {}", text, b);
    }

    /// Go pseudo-versions: the go command's grammar, canonical semver, above the tag they derive
    /// from, below that tag's next patch (or the next prerelease), and ordered by time.
    #[test]
    fn go_pseudo_versions_are_valid_and_ordered(
        latest in prop_oneof![
            base().prop_map(Some),
            // Go has no number limit: the whole u64 range, up to a patch of u64::MAX.
            (any::<u64>(), any::<u64>(), prop_oneof![any::<u64>(), Just(u64::MAX)])
                .prop_map(|(a, b, c)| Some(Version::new(a, b, c))),
            (base(), "(alpha|beta|rc)\\.[1-9][0-9]{0,3}").prop_map(|(b, pre)| {
                let mut v = b;
                v.pre = semver::Prerelease::new(&pre).unwrap();
                Some(v)
            }),
            Just(None),
        ],
        major in prop_oneof![Just(None), (2u64..40).prop_map(Some)],
        (t1, t2) in two_times(),
        sha in sha(),
    ) {
        let ts1 = format_timestamp(t1).unwrap();
        let ts2 = format_timestamp(t2).unwrap();
        // The base is a tag the module's major allows, as go_snapshot chooses it.
        let latest = latest.map(|mut v| {
            v.major = major.unwrap_or(v.major.min(1));
            v
        });
        let a = go::pseudo_version(latest.as_ref(), major, &ts1, &sha[..12]);
        if let Some(l) = latest.as_ref().filter(|l| l.patch == u64::MAX && l.pre.is_empty()) {
            // Past u64: the go command's decimal increment, checked as text (semver::Version, and
            // so the checks below, stop at u64).
            prop_assert_eq!(
                a.clone(),
                format!("v{}.{}.18446744073709551616-0.{ts1}-{}", l.major, l.minor, &sha[..12])
            );
            return Ok(());
        }
        prop_assert!(is_go_pseudo_version(&a), "{} is not a Go pseudo-version", a);
        prop_assert!(go::validate(&a, major).is_ok(), "{}: {:?}", a, go::validate(&a, major));
        let v = go_semver(&a);
        prop_assert_eq!(format!("v{v}"), a.clone());
        if let Some(l) = &latest {
            prop_assert!(l.cmp_precedence(&v).is_lt(), "{} < {}", l, a);
            let mut ceiling = l.clone();
            if l.pre.is_empty() {
                ceiling.patch = ceiling.patch.saturating_add(1);
            } else {
                ceiling.pre = semver::Prerelease::new(&format!("{}.1", l.pre)).unwrap();
            }
            // (Above u64::MAX the ceiling is not a semver::Version; the grammar check covers it.)
            if l.patch < u64::MAX || !l.pre.is_empty() {
                prop_assert!(v.cmp_precedence(&ceiling).is_lt(), "{} < {}", a, ceiling);
            }
        }
        let b = go_semver(&go::pseudo_version(latest.as_ref(), major, &ts2, &sha[..12]));
        prop_assert!(v.cmp_precedence(&b).is_lt(), "{} < {}", v, b);
    }

    /// Release tags print back unchanged and sort as semver.
    #[test]
    fn tags_round_trip_and_sort(
        versions in proptest::collection::vec(
            (0u64..5, 0u64..5, 0u64..5, proptest::option::of("(rc|beta)\\.[0-9]")),
            1..12,
        ),
        prefix in "(v|sdk/go/v|release-)",
    ) {
        let names: Vec<String> = versions
            .iter()
            .map(|(a, b, c, pre)| match pre {
                Some(p) => format!("{prefix}{a}.{b}.{c}-{p}"),
                None => format!("{prefix}{a}.{b}.{c}"),
            })
            .collect();
        for name in &names {
            let tag = TagVersion::parse(name, &prefix).unwrap();
            prop_assert_eq!(format!("{prefix}{}", tag.version), name.clone());
        }
        let releases = Releases::from_tag_names(&names, &prefix);
        prop_assert_eq!(releases.len(), names.len());
        prop_assert!(releases.all().windows(2).all(|w| w[0].version <= w[1].version));
        if let Some(latest) = releases.latest_stable() {
            prop_assert!(releases.is_highest(&latest.version, Line::All));
            prop_assert!(releases.all().iter().filter(|t| !t.is_prerelease()).all(|t| t.version <= latest.version));
        }
    }
}

// -------------------------------------------------------------------------------------------------
// Every parser on arbitrary input: no panic, and positions stay inside the text.

/// Arbitrary bytes (read lossily, as the action reads files), text drawn from the characters the
/// grammars care about, and mutations of real inputs.
fn text(seeds: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        "[ \\t\\n\\r:#\\-a-z0-9\"'\\[\\]{}.,/*@=\\\\$()<>+!%&?|~^`;_A-Z\u{e9}\u{1f600}]{0,300}",
        (
            proptest::sample::select(seeds),
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            "[\\PC\\n]{0,12}"
        )
            .prop_map(|(seed, a, b, insert)| {
                // Cut the seed at two char boundaries and splice something in between.
                let bounds: Vec<usize> = seed
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([seed.len()])
                    .collect();
                let (x, y) = (a.get(&bounds), b.get(&bounds));
                let (x, y) = (*x.min(y), *x.max(y));
                format!("{}{}{}", &seed[..x], insert, &seed[y..])
            }),
    ]
}

const POLICIES: &[&str] = &[
    "version: 1\nrules:\n  - id: no-direct-proto\n    kind: forbidden-imports\n    severity: error\n    message: m\n    from: [\"services/**\"]\n    except: [\"services/**/*_test.go\"]\n    to:\n      - \"@ameideio/ameide-core-proto*\"\n      - ameide_core_proto\n      - \"*/packages/ameide_core_proto/*\"\n",
    "rules:\n  - id: creds\n    kind: required-env\n    severity: error\n    message: Set it.\n    names: [REG_USER, REG_TOKEN]\n    modes: [release]\n    events: [push]\n",
    "rules:\n  - id: no-todo\n    kind: forbidden-patterns\n    severity: warning\n    message: Track work.\n    patterns: ['TODO', '(?i)fixme\\\\b']\n    files: [\"src/**\"]\nwaivers:\n  - rule: no-todo\n    files: [\"src/legacy/**\"]\n    reason: old\n    expires: 2030-01-01\n",
    "rules:\n  - id: gh\n    kind: allowed-registries\n    severity: error\n    message: m\n    hosts: [npm.pkg.github.com]\n    packages: [\"@ameideio/*\"]\n  - id: mirrors\n    kind: forbidden-hosts\n    severity: notice\n    message: m\n    hosts: [\"*.mirror.example\", pypi.example.org]\n",
];

const SOURCES: &[&str] = &[
    "import a from 'a';\nimport {\n  b,\n} from \"../b\";\nexport * from './c';\nimport 'd';\nconst e = await import('e');\nconst f = require(\"f\");\n// import g from 'g';\n",
    "import os, sys as system\nfrom ..pkg.mod import (a,\n  b)\nfrom . import x  # comment\nfrom ...... import y\n",
    "package main\n\nimport (\n\t\"fmt\"\n\tp \"example.com/x/packages/ameide_core_proto/v1\"\n)\nimport y \"z\"\n",
    "syntax = \"proto3\";\nimport public \"a/b.proto\";\nimport weak \"c.proto\";\n",
    "/* import a from 'a';\n */ const s = `x ${require(\"b\")} y`; const r = /'\"/; import c from 'c'; // é\n",
    "\"\"\"import a\nfrom b import c\n\"\"\"\nfrom ..d import (e,  # f\n  g as h)\nx = '\\\nimport i'\n",
    "import (\n\t/* \"a\" */ \"b\" // (c)\n)\nvar s = `\nimport \"d\"\n`\n",
    "registry=https://registry.npmjs.org/\n@ameideio:registry=https://npm.pkg.github.com\n",
    "lockfileVersion: '9.0'\npackages:\n  '@a/b@1.0.0':\n    resolution: {integrity: sha512-x, tarball: https://m.example/b.tgz}\n  c@2.0.0:\n    resolution: {integrity: sha512-y}\n",
    "{\"packages\": {\"node_modules/a\": {\"resolved\": \"https://registry.npmjs.org/a/-/a-1.tgz\"}}}",
    "[global]\nindex-url = https://pypi.org/simple\nextra-index-url =\n    https://a.example/simple\n    https://b.example/simple\n",
    "--index-url https://pypi.org/simple\n-i https://x.example\nrequests==2.0 --hash=sha256:00\n",
    "GOPROXY=https://proxy.golang.org,direct\nGOPRIVATE=example.com\n",
    "jobs:\n  a:\n    steps:\n      - run: npm config set registry https://r.example/\n        env:\n          PIP_INDEX_URL: https://pypi.example.org/simple\n",
];

const VERSIONS: &[&str] = &[
    "1.2.3",
    "v1.2.3-rc.1+build.5",
    "0.12.0-dev.20240102030405.g0123456789ab",
    "1.2.3.dev4+g0123",
    "1!2.0.post1",
    "v0.11.1-0.20240102030405-0123456789ab",
    "{\"version\":\"1.2.3\",\"npm\":\"1.2.3\",\"pypi\":\"1.2.3\",\"go\":\"v1.2.3\",\"sha\":\"0123456789abcdef0123456789abcdef01234567\",\"timestamp\":\"20240102030405\",\"channel\":\"main\"}",
    "type=sha,prefix=sha-\n{{version}}\n{{major}}.{{minor}}\nmain=latest,{{sha}}\n",
    "org.opencontainers.image.title=x\nfoo=bar\n",
    "main=main\nrelease/*=rc\n",
];

const EVENTS: &[&str] = &[
    "{\"pull_request\": {\"number\": 7, \"head\": {\"sha\": \"0123456789abcdef0123456789abcdef01234567\", \"ref\": \"feature/x\"}}}",
    "{\"number\": 18446744073709551615, \"pull_request\": {\"head\": {\"sha\": 5, \"ref\": [1]}}}",
    "{\"pull_request\": null}",
    "[]",
    "\"refs/pull/1/merge\"",
];

const RESPONSES: &[&str] = &[
    "<html><body><a href=\"../../packages/acme_sdk-1.0.0-py3-none-any.whl#sha256=00ff\" data-requires-python=\"&gt;=3.8\">acme_sdk-1.0.0-py3-none-any.whl</a><a href=\"x.tar.gz\">x</a></body></html>",
    "Bearer realm=\"https://ghcr.io/token\",service=\"ghcr.io\",scope=\"repository:o/n:pull\"",
    "Basic realm=\"x\", Bearer error=\"insufficient_scope\"",
    "ghcr.io/owner/name:1.2.3#chart.tgz",
    "localhost:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef?artifactType=application/x",
    "sha512-AAAA sha256-BBBB",
    "https://npm.pkg.github.com/@scope/pkg@1.2.3",
    "oci://ghcr.io/o/n:1",
    "Wed, 21 Oct 2015 07:28:00 GMT",
];

fn check_positions_policy(text: &str) {
    let _ = config::parse(text, "policy.yml");
    let _ = config::module_regex(text);
    let _ = config::host_of(text);
}

proptest! {
    #![proptest_config(cases(3_000))]

    #[test]
    fn policy_parser_never_panics(text in text(POLICIES)) {
        check_positions_policy(&text);
    }

    #[test]
    fn import_and_registry_extraction_never_panic(text in text(SOURCES)) {
        let root = Path::new("/nonexistent-proptest-root");
        for (path, language) in [
            ("src/a/b.ts", imports::Language::TypeScript),
            ("pkg/sub/mod.py", imports::Language::Python),
            ("cmd/main.go", imports::Language::Go),
            ("proto/x.proto", imports::Language::Proto),
        ] {
            for import in imports::extract(language, path, &text, root) {
                prop_assert!(import.offset + import.len <= text.len());
                prop_assert!(text.is_char_boundary(import.offset));
                prop_assert_eq!(&text[import.offset..import.offset + import.len], import.module.as_str());
            }
        }
        for path in [
            ".npmrc", "pnpm-lock.yaml", "package-lock.json", "pip.conf", "requirements.txt",
            "uv.lock", "pyproject.toml", "go.mod", "go.env", ".github/workflows/ci.yml",
        ] {
            let file = registry_refs::RefFile::of(path).unwrap();
            for r in registry_refs::extract(file, &text) {
                prop_assert!(r.offset <= text.len(), "{:?} in {:?}", r, text);
                prop_assert!(text.is_char_boundary(r.offset));
            }
        }
    }

    #[test]
    fn version_and_tag_parsers_never_panic(text in text(VERSIONS), prefix in "(|v|sdk/v|\\PC{0,3})") {
        let _ = TagVersion::parse(&text, &prefix);
        let names: Vec<&str> = text.split(['\n', ',']).collect();
        let releases = Releases::from_tag_names(&names, &prefix);
        if let Some(l) = releases.latest_stable() {
            prop_assert!(releases.is_highest(&l.version, Line::Minor));
        }
        if let Ok(v) = npm::validate(&text) {
            prop_assert_eq!(v.to_string(), text.clone());
        }
        if let Ok(v) = pep440::normalize(&text) {
            prop_assert_eq!(pep440::normalize(&v.to_string()).unwrap().to_string(), v.to_string());
        }
        let _ = go::validate(&text, go::path_major(&prefix));
        let _ = go::path_major(&text);
        if let Ok(v) = Version::parse(&text) {
            let _ = pep440::from_semver(&v);
        }
        let _ = versions::Versions::parse(&text);
        let _ = template::ChannelTags::parse(&text);
        let _ = template::Template::parse(&text);
        let _ = template::parse_sha_tag(&text);
        if let Some(tag) = docker::sanitize_tag(&text) {
            prop_assert!(docker::is_valid_tag(&tag), "{:?} -> {:?}", text, tag);
        }
        let _ = docker::image_name(&text);
        let _ = labels::parse_extra(&text);
        let _ = Channels::parse(&text);
    }

    #[test]
    fn event_payload_and_ref_never_panic(payload in text(EVENTS), git_ref in text(&["refs/pull/12/merge", "refs/tags/v1.2.3", "refs/heads/main"])) {
        let _ = RefKind::parse(&git_ref);
        let event = serde_json::from_str(&payload).unwrap_or(serde_json::Value::String(payload.clone()));
        let channels = Channels::parse(channel::DEFAULT_CHANNELS).unwrap();
        for event_name in ["push", "pull_request", "pull_request_target"] {
            let ctx = Context {
                git_ref: git_ref.clone(),
                event_name: event_name.into(),
                event: event.clone(),
                ..Context::default()
            };
            let _ = ctx.pull_request_number();
            if let Some(sha) = ctx.pull_request_head_sha() {
                prop_assert_eq!(sha.len(), 40);
            }
            let _ = ctx.pull_request_head_ref();
            let _ = channel::decide(&ctx, &channels, "v");
        }
    }

    #[test]
    fn registry_response_parsers_never_panic(text in text(RESPONSES)) {
        let _ = pypi_eco::fetch::parse_simple_html("https://pypi.example.org/simple/acme-sdk/", &text);
        let _ = pypi_eco::fetch::pep503_normalize(&text);
        let _ = go_eco::fetch::go_escape(&text);
        let _ = go_eco::fetch::first_proxy(&text);
        let _ = npm_eco::fetch::npm_packument_path(&text);
        let _ = oci::parse_challenge(&text);
        let _ = oci::Reference::parse(&text);
        let _ = Integrity::parse_sri(&text);
        let _ = Integrity::parse_oci(&text);
        let _ = Integrity::parse_sha256_hex(&text);
        let _ = download::parse_retry_after(&text);
        let _ = remote::Source::parse(&text);
    }
}
