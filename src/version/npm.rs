//! npm versions: semver 2.0.0 as node-semver reads it. An emitted version must come back unchanged
//! from node-semver's `valid()`, so it has no `v` prefix, no build metadata (npm drops it) and no
//! number above JavaScript's `Number.MAX_SAFE_INTEGER`.

use semver::{Prerelease, Version};

/// node-semver refuses numbers it cannot hold exactly in a JavaScript number.
const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;
/// node-semver's `MAX_LENGTH`.
const MAX_LENGTH: usize = 256;

/// Checks a package name by npm's rules (validate-npm-package-name's errors): not empty, at
/// most 214 characters, no leading `.`, `_` or `-`, no surrounding spaces, not `node_modules` or
/// `favicon.ico`, and URL-safe characters only (`@scope/name` with both parts URL-safe).
/// Returns why not.
pub fn check_package_name(name: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{name:?} is not a valid npm package name: {why}"));
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.len() > 214 {
        return bad("it is longer than 214 characters");
    }
    if name.trim() != name {
        return bad("it has leading or trailing spaces");
    }
    if name.starts_with('.') || name.starts_with('_') || name.starts_with('-') {
        return bad("it starts with `.`, `_` or `-`");
    }
    if matches!(
        name.to_ascii_lowercase().as_str(),
        "node_modules" | "favicon.ico"
    ) {
        return bad("the name is reserved");
    }
    // encodeURIComponent leaves exactly these unescaped.
    let url_safe = |part: &str| {
        !part.is_empty()
            && part.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, '-' | '_' | '.' | '!' | '~' | '*' | '\'' | '(' | ')')
            })
    };
    let ok = match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, pkg)) => {
                url_safe(scope) && url_safe(pkg) && !pkg.starts_with(['.', '_', '-'])
            }
            None => false,
        },
        None => url_safe(name),
    };
    if !ok {
        return bad("it may contain only URL-safe characters (`@scope/name` for a scope)");
    }
    Ok(())
}

/// Checks that `text` is a version npm publishes unchanged; returns why not.
pub fn validate(text: &str) -> Result<Version, String> {
    if text.len() > MAX_LENGTH {
        return Err(format!(
            "longer than npm's limit of {MAX_LENGTH} characters"
        ));
    }
    let version = Version::parse(text).map_err(|e| {
        let hint = match text.strip_prefix('v') {
            Some(rest) if Version::parse(rest).is_ok() => format!(" (did you mean {rest:?}?)"),
            _ => String::new(),
        };
        format!("not a semver version: {e}{hint}")
    })?;
    if !version.build.is_empty() {
        return Err(format!(
            "build metadata `+{}` is dropped by npm (node-semver's valid() returns {:?})",
            version.build,
            strip_build(&version).to_string()
        ));
    }
    let too_big = [version.major, version.minor, version.patch]
        .into_iter()
        .chain(
            version
                .pre
                .as_str()
                .split('.')
                .filter_map(|id| id.parse::<u64>().ok()),
        )
        .any(|n| n > MAX_SAFE_INTEGER);
    if too_big {
        return Err(format!(
            "a number is above node-semver's limit {MAX_SAFE_INTEGER}"
        ));
    }
    // `Version::parse` accepts exactly the normal form, so its display is the input; checked anyway
    // because "unchanged" is the contract.
    if version.to_string() != text {
        return Err(format!("not in normal form (npm would publish {version})"));
    }
    Ok(version)
}

fn strip_build(version: &Version) -> Version {
    let mut v = version.clone();
    v.build = semver::BuildMetadata::EMPTY;
    v
}

/// A snapshot: `<base>-dev.<timestamp>.g<sha12>`. The `g` keeps a sha made only of digits from
/// being a numeric identifier (invalid with a leading zero, compared as a number otherwise).
pub fn snapshot(base: &Version, timestamp: &str, short_sha: &str) -> Version {
    let mut v = Version::new(base.major, base.minor, base.patch);
    v.pre = Prerelease::new(&format!("dev.{timestamp}.g{short_sha}"))
        .expect("a timestamp and a hex sha make valid prerelease identifiers");
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_sorts_between_release_and_base() {
        let base = Version::parse("0.12.0").unwrap();
        let a = snapshot(&base, "20240102030405", "0123456789ab");
        let b = snapshot(&base, "20240102040405", "000000000000");
        assert_eq!(a.to_string(), "0.12.0-dev.20240102030405.g0123456789ab");
        assert!(validate(&a.to_string()).is_ok());
        assert!(validate(&b.to_string()).is_ok());
        assert!(a < b && b < base);
        assert!(Version::parse("0.11.9").unwrap() < a);
    }

    #[test]
    fn refuses_what_npm_would_change() {
        assert!(validate("v1.2.3").unwrap_err().contains("did you mean"));
        assert!(validate("1.2.3+build.1")
            .unwrap_err()
            .contains("build metadata"));
        assert!(validate("1.2").is_err());
        assert!(validate("1.2.3-01").is_err());
        assert!(validate("1.2.3-dev.99999999999999999").is_err());
        assert!(validate("1.2.3-rc.1").is_ok());
    }
}
