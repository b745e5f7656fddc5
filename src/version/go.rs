//! Go module versions: `v` + semver, and the pseudo-versions the go command itself builds for
//! untagged commits (golang.org/x/mod/module.PseudoVersion). The go command checks a pseudo-version
//! against the repository: its timestamp must be the commit's committer time in UTC, its 12-hex
//! revision the commit, and its base the highest tag reachable from the commit.

use semver::Version;

/// Go's case-encoding of module paths and versions in the proxy protocol and module cache:
/// each capital letter becomes `!` and the lower-case letter (`Azure` → `!azure`).
pub fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The major version a module path asks for: `example.com/m/v3` → 3; `None` without a `/vN`
/// suffix (majors 0 and 1).
pub fn path_major(module: &str) -> Option<u64> {
    let last = module.trim_end_matches('/').rsplit('/').next()?;
    let n = last.strip_prefix('v')?;
    if n.is_empty() || n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse::<u64>().ok().filter(|n| *n >= 2)
}

/// Whether a module with path major `major` may use a version with major `v` (Go's
/// `CheckPathMajor`, without `+incompatible`).
pub fn major_allowed(path_major: Option<u64>, v: u64) -> bool {
    match path_major {
        Some(n) => v == n,
        None => v <= 1,
    }
}

/// Checks that `text` is a canonical Go module version (`v1.2.3`, `v1.2.3-rc.1`, a
/// pseudo-version); returns why not.
pub fn validate(text: &str, path_major: Option<u64>) -> Result<Version, String> {
    let Some(rest) = text.strip_prefix('v') else {
        let hint = if Version::parse(text).is_ok() {
            format!(" (did you mean \"v{text}\"?)")
        } else {
            String::new()
        };
        return Err(format!("a Go version starts with `v`{hint}"));
    };
    let version =
        Version::parse(rest).map_err(|e| format!("not `v` followed by a semver version: {e}"))?;
    if !version.build.is_empty() {
        return Err("Go module versions carry no build metadata".to_string());
    }
    if !major_allowed(path_major, version.major) {
        return Err(match path_major {
            Some(n) => format!("the module path ends in /v{n}, so its versions must be v{n}.x.y"),
            None => format!(
                "major {} needs a /v{} suffix on the module path (set `go-module`)",
                version.major, version.major
            ),
        });
    }
    Ok(version)
}

/// The pseudo-version of commit `short_sha` (12 hex) made at `timestamp` (`YYYYMMDDHHMMSS`, UTC
/// committer time), after `base`, the highest tag reachable from it (if any).
pub fn pseudo_version(
    base: Option<&Version>,
    path_major: Option<u64>,
    timestamp: &str,
    short_sha: &str,
) -> String {
    match base {
        // After a release vX.Y.Z: vX.Y.(Z+1)-0.<ts>-<sha>, which sorts above vX.Y.Z and below
        // vX.Y.(Z+1).
        // The go command increments the patch in decimal, without a limit: so does this.
        Some(b) if b.pre.is_empty() => format!(
            "v{}.{}.{}-0.{timestamp}-{short_sha}",
            b.major,
            b.minor,
            u128::from(b.patch) + 1
        ),
        // After a prerelease vX.Y.Z-pre: vX.Y.Z-pre.0.<ts>-<sha>.
        Some(b) => format!(
            "v{}.{}.{}-{}.0.{timestamp}-{short_sha}",
            b.major, b.minor, b.patch, b.pre
        ),
        None => format!("v{}.0.0-{timestamp}-{short_sha}", path_major.unwrap_or(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_versions_follow_the_go_command() {
        let ts = "20240102030405";
        let sha = "0123456789ab";
        let v = |s: &str| Version::parse(s).unwrap();
        assert_eq!(
            pseudo_version(Some(&v("0.11.0")), None, ts, sha),
            "v0.11.1-0.20240102030405-0123456789ab"
        );
        assert_eq!(
            pseudo_version(Some(&v("1.0.0-rc.1")), None, ts, sha),
            "v1.0.0-rc.1.0.20240102030405-0123456789ab"
        );
        assert_eq!(
            pseudo_version(None, None, ts, sha),
            "v0.0.0-20240102030405-0123456789ab"
        );
        assert_eq!(
            pseudo_version(None, Some(3), ts, sha),
            "v3.0.0-20240102030405-0123456789ab"
        );
        for p in [
            pseudo_version(Some(&v("0.11.0")), None, ts, sha),
            pseudo_version(None, None, ts, sha),
        ] {
            assert!(validate(&p, None).is_ok(), "{p}");
        }
    }

    #[test]
    fn pseudo_version_after_the_largest_patch_does_not_overflow() {
        let v = Version::parse("1.2.18446744073709551615").unwrap();
        assert_eq!(
            pseudo_version(Some(&v), None, "20240102030405", "0123456789ab"),
            "v1.2.18446744073709551616-0.20240102030405-0123456789ab"
        );
    }

    #[test]
    fn module_majors() {
        assert_eq!(path_major("example.com/sdk/v2"), Some(2));
        assert_eq!(path_major("example.com/sdk"), None);
        assert_eq!(path_major("example.com/v1"), None);
        assert!(validate("v2.0.0", None).is_err());
        assert!(validate("v2.0.0", Some(2)).is_ok());
        assert!(validate("1.2.3", None)
            .unwrap_err()
            .contains("did you mean"));
        assert!(validate("v1.2.3+meta", None).is_err());
    }
}
