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

/// Checks a module path by the go command's rules (golang.org/x/mod/module `CheckPath`): path
/// elements of ASCII letters, digits and `-._~`, none empty, none `.`/`..`, none starting with a
/// dot or ending with one, no Windows-reserved names; no leading `/` or `-`, no `//`, no trailing
/// `/`; a first element of lower-case letters, digits, `-` and `.` that contains a dot; and a
/// valid major suffix (`/v2`…, not `/v0`, `/v1` or `/v02`). Returns why the path is invalid.
/// The go command refuses such a module, and the path is later joined into file paths.
pub fn check_module_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty module path".into());
    }
    if path.starts_with('-') {
        return Err("leading dash".into());
    }
    if path.starts_with('/') {
        return Err("leading slash".into());
    }
    if path.contains("//") {
        return Err("double slash".into());
    }
    if path.ends_with('/') {
        return Err("trailing slash".into());
    }
    for elem in path.split('/') {
        check_path_element(elem)?;
    }
    let first = path.split('/').next().unwrap_or("");
    if !first.contains('.') {
        return Err(format!(
            "missing dot in first path element {first:?} (a module path starts with a domain)"
        ));
    }
    if let Some(c) = first
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '.'))
    {
        return Err(format!("invalid char {c:?} in first path element"));
    }
    if !valid_major_suffix(path) {
        return Err("invalid major version suffix (use /v2, /v3, …)".into());
    }
    Ok(())
}

fn check_path_element(elem: &str) -> Result<(), String> {
    if elem.is_empty() {
        return Err("empty path element".into());
    }
    if elem.bytes().all(|b| b == b'.') {
        return Err(format!("invalid path element {elem:?}"));
    }
    if elem.starts_with('.') {
        return Err(format!("leading dot in path element {elem:?}"));
    }
    if elem.ends_with('.') {
        return Err(format!("trailing dot in path element {elem:?}"));
    }
    if let Some(c) = elem
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')))
    {
        return Err(format!("invalid char {c:?} in path element {elem:?}"));
    }
    let short = elem.split('.').next().unwrap_or(elem);
    const RESERVED: &[&str] = &["CON", "PRN", "AUX", "NUL"];
    let upper = short.to_ascii_uppercase();
    let numbered = (upper.starts_with("COM") || upper.starts_with("LPT"))
        && upper.len() == 4
        && upper.as_bytes()[3].is_ascii_digit();
    if RESERVED.contains(&upper.as_str()) || numbered {
        return Err(format!(
            "{short:?} disallowed as path element component on Windows"
        ));
    }
    if let Some(tilde) = short.rfind('~') {
        let suffix = &short[tilde + 1..];
        if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "trailing tilde and digits in path element {elem:?}"
            ));
        }
    }
    Ok(())
}

/// golang.org/x/mod/module `SplitPathVersion`'s validity: `gopkg.in/…` ends in `.vN`; elsewhere a
/// final `/vN` must be N ≥ 2 without a leading zero or dots.
fn valid_major_suffix(path: &str) -> bool {
    if path.starts_with("gopkg.in/") {
        let base = path.strip_suffix("-unstable").unwrap_or(path);
        let digits = base.len() - base.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let major = &base[base.len() - digits..];
        return base[..base.len() - digits].ends_with(".v")
            && !major.is_empty()
            && (major == "0" || !major.starts_with('0'));
    }
    let bytes = path.as_bytes();
    let mut i = bytes.len();
    let mut dot = false;
    while i > 0 && (bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b'.') {
        dot |= bytes[i - 1] == b'.';
        i -= 1;
    }
    if i <= 1 || i == bytes.len() || bytes[i - 1] != b'v' || bytes[i - 2] != b'/' {
        return true;
    }
    let major = &path[i - 2..];
    !(dot || major.len() <= 2 || major.as_bytes()[2] == b'0' || major == "/v1")
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
    fn module_paths_follow_the_go_commands_rules() {
        for good in [
            "example.com/m",
            "github.com/Org/Repo/v2",
            "golang.org/x/mod",
            "gopkg.in/yaml.v3",
            "gopkg.in/check.v1",
            "example.com/a_b~c/d-e.f",
        ] {
            assert_eq!(check_module_path(good), Ok(()), "{good}");
        }
        for bad in [
            "../../../outside",
            "/abs/path",
            "example.com/../x",
            "example.com/./x",
            "-flag.com/m",
            "example.com//m",
            "example.com/m/",
            "nodot/m",
            "Example.com/m",
            "example.com/.hidden",
            "example.com/trailing.",
            "example.com/a b",
            "example.com/a\\b",
            "example.com/con",
            "example.com/LPT1.txt",
            "example.com/abc~1",
            "example.com/m/v1",
            "example.com/m/v0",
            "example.com/m/v02",
            "gopkg.in/yaml",
            "",
        ] {
            assert!(check_module_path(bad).is_err(), "{bad}");
        }
    }

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
