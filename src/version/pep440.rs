//! PyPI versions: PEP 440, in the normal form `packaging.version.Version` prints.

use std::str::FromStr;

use pep440_rs::Version;

/// Checks a distribution name by PEP 508 (the core metadata `Name` field): ASCII letters and
/// digits, with `.`, `_` and `-` only between them. Such a name never starts with `-`, so pip can
/// not take it for an option. Returns why not.
pub fn check_distribution_name(name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    if bytes.is_empty() {
        return Err("empty distribution name".into());
    }
    if !alnum(&bytes[0]) || !alnum(&bytes[bytes.len() - 1]) {
        return Err(format!(
            "{name:?} is not a PEP 508 distribution name: it must start and end with a letter or digit"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "{name:?} is not a PEP 508 distribution name: {c:?} is not a letter, digit, `.`, `_` or `-`"
        ));
    }
    Ok(())
}

/// The normal form of a PEP 440 version, or why `text` is not one.
pub fn normalize(text: &str) -> Result<Version, String> {
    Version::from_str(text.trim()).map_err(|e| format!("not a PEP 440 version: {e}"))
}

/// The PEP 440 form of a semver version: `1.2.3-rc.1` → `1.2.3rc1`, `1.2.3-alpha.2` → `1.2.3a2`,
/// `1.2.3-dev.4` → `1.2.3.dev4`. PEP 440 accepts these spellings and normalizes them; a prerelease
/// it has no word for (`1.2.3-nightly`) has no PyPI form.
pub fn from_semver(version: &semver::Version) -> Result<Version, String> {
    let text = version.to_string();
    Version::from_str(&text).map_err(|_| {
        format!(
            "{text} has no PEP 440 form: PyPI prereleases are a, b, rc or dev with a number \
             (e.g. {}.{}.{}-rc.1)",
            version.major, version.minor, version.patch
        )
    })
}

/// A snapshot: `<base>.dev<timestamp>+g<sha12>`, or `<base>.dev<timestamp>` without the local
/// part (PyPI refuses local versions on upload).
pub fn snapshot(base: &semver::Version, timestamp: &str, short_sha: &str, local: bool) -> Version {
    let mut text = format!(
        "{}.{}.{}.dev{timestamp}",
        base.major, base.minor, base.patch
    );
    if local {
        // `g` keeps an all-digit sha from being read as a number (and losing its leading zeros).
        text.push_str(&format!("+g{short_sha}"));
    }
    Version::from_str(&text).expect("a snapshot is a valid PEP 440 version")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pep(s: &str) -> String {
        from_semver(&semver::Version::parse(s).unwrap())
            .map(|v| v.to_string())
            .unwrap_or_else(|e| e)
    }

    #[test]
    fn semver_prereleases_map_to_pep440() {
        assert_eq!(pep("1.2.3"), "1.2.3");
        assert_eq!(pep("1.2.3-rc.1"), "1.2.3rc1");
        assert_eq!(pep("1.2.3-alpha.2"), "1.2.3a2");
        assert_eq!(pep("1.2.3-beta.1"), "1.2.3b1");
        assert_eq!(pep("1.2.3-dev.4"), "1.2.3.dev4");
        assert!(pep("1.2.3-nightly").contains("no PEP 440 form"));
    }

    #[test]
    fn snapshots_are_normal_and_ordered() {
        let base = semver::Version::parse("0.12.0").unwrap();
        let a = snapshot(&base, "20240102030405", "0123456789ab", true);
        assert_eq!(a.to_string(), "0.12.0.dev20240102030405+g0123456789ab");
        let b = snapshot(&base, "20240102030405", "0123456789ab", false);
        assert_eq!(b.to_string(), "0.12.0.dev20240102030405");
        assert!(normalize("0.11.0").unwrap() < b);
        assert!(b < normalize("0.12.0").unwrap());
        assert_eq!(normalize("1.2.3-RC.1").unwrap().to_string(), "1.2.3rc1");
    }
}
