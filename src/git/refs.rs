//! Tags read from git's own files, without a git process: `packed-refs` and the loose refs under
//! `refs/tags`, in a repository whose layout is plain. Anything this reader is not sure it reads
//! exactly as git does (reftable or any `extensions`, includes in the config, alternates, a
//! `GIT_*` variable that moves the repository, a symlink or a symbolic ref, a ref file that is not
//! one object name, a name git might refuse, a `.lock` file) is `None`, and the caller asks git.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Variables that change where git finds the repository or its refs: with any of them set, git
/// answers for itself.
const GIT_VARIABLES: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_SHALLOW_FILE",
    "GIT_REF_PARANOIA",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_DEFAULT_REF_FORMAT",
    "GIT_REPLACE_REF_BASE",
    "GIT_GRAFT_FILE",
];

/// A repository found the way git finds it from a directory, with a layout this reader knows.
#[derive(Debug, Clone)]
pub(crate) struct Repo {
    /// The git directory: `.git`, or `.git/worktrees/<name>` for a linked worktree (its `HEAD`).
    git_dir: PathBuf,
    /// The common directory: `.git`, or the main repository's for a linked worktree.
    common: PathBuf,
    pub(crate) shallow: bool,
}

/// One tag: its object, and the commit (or other non-tag object) it peels to when git's files
/// say so without reading the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    pub(crate) oid: Oid,
    pub(crate) peeled: Option<Oid>,
}

/// An object name as bytes: 10,000 tags read without 20,000 small strings.
pub(crate) type Oid = [u8; 20];

/// The object name `text` spells (40 hex digits, either case).
pub(crate) fn parse_oid(text: &str) -> Option<Oid> {
    let mut oid = [0u8; 20];
    (text.len() == 40)
        .then(|| hex::decode_to_slice(text, &mut oid).ok())
        .flatten()
        .map(|()| oid)
}

/// Finds the repository `dir` is in, or `None` when git must answer (including "not a
/// repository": git's own discovery has rules this reader does not repeat).
pub(crate) fn discover(dir: &Path) -> Option<Repo> {
    if GIT_VARIABLES
        .iter()
        .any(|name| crate::runner::env::string(name).is_some())
    {
        return None;
    }
    let dir = fs::canonicalize(dir).ok()?;
    let home_device = device(&dir)?;
    for level in dir.ancestors() {
        if device(level)? != home_device {
            return None; // git stops at a file-system boundary
        }
        let dotgit = level.join(".git");
        match fs::symlink_metadata(&dotgit) {
            Ok(meta) if meta.is_dir() => return repo_at(&dotgit),
            Ok(meta) if meta.is_file() => return repo_at(&gitdir_file(&dotgit, level)?),
            Ok(_) => return None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A bare repository (or a git directory) here: git's rules, git's answer.
                if level.join("HEAD").exists() || level.join("objects").exists() {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
    None
}

#[cfg(unix)]
fn device(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).ok().map(|m| m.dev())
}

#[cfg(not(unix))]
fn device(_: &Path) -> Option<u64> {
    None
}

/// `.git` as a file: `gitdir: <path>` (a linked worktree or a submodule).
fn gitdir_file(dotgit: &Path, level: &Path) -> Option<PathBuf> {
    let text = fs::read_to_string(dotgit).ok()?;
    let target = text
        .strip_prefix("gitdir: ")?
        .trim_end_matches(['\n', '\r']);
    if target.is_empty() || target.contains('\n') {
        return None;
    }
    Some(level.join(target))
}

/// The git directory's layout, checked: `HEAD`, `objects` and `refs` where git expects them, no
/// reftable, no extension, include or alternates.
fn repo_at(git_dir: &Path) -> Option<Repo> {
    if !fs::symlink_metadata(git_dir.join("HEAD")).ok()?.is_file() {
        return None;
    }
    let common = match fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) => {
            let rel = text.trim_end_matches(['\n', '\r']);
            if rel.is_empty() || rel.contains('\n') {
                return None;
            }
            git_dir.join(rel)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => git_dir.to_path_buf(),
        Err(_) => return None,
    };
    for dir in ["objects", "refs"] {
        if !fs::symlink_metadata(common.join(dir)).ok()?.is_dir() {
            return None;
        }
    }
    for unusual in ["reftable", "objects/info/alternates", "config.worktree"] {
        if fs::symlink_metadata(common.join(unusual)).is_ok() {
            return None;
        }
    }
    if git_dir != common && fs::symlink_metadata(git_dir.join("config.worktree")).is_ok() {
        return None;
    }
    let config = match fs::read_to_string(common.join("config")) {
        Ok(text) => text.to_ascii_lowercase(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(_) => return None,
    };
    if ["extensions", "include", "refstorage"]
        .iter()
        .any(|word| config.contains(word))
    {
        return None;
    }
    // git calls the repository shallow when the file exists, whatever it holds.
    let shallow = match fs::symlink_metadata(common.join("shallow")) {
        Ok(meta) if meta.is_file() => true,
        Ok(_) => return None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(_) => return None,
    };
    Some(Repo {
        git_dir: git_dir.to_path_buf(),
        common,
        shallow,
    })
}

impl Repo {
    /// Every tag by name (without `refs/tags/`), in git's order (bytewise by name), or `None`
    /// when a file holds anything this reader does not read exactly as git does.
    pub(crate) fn tags(&self) -> Option<BTreeMap<String, Tag>> {
        let mut tags = packed_tags(&self.common.join("packed-refs"))?;
        loose_tags(&self.common.join("refs/tags"), "", &mut tags)?;
        Some(tags)
    }

    /// The object directory, when git reads objects from it as they are stored: no replace refs
    /// (`git replace`) and no grafts, which make git show another commit in place of the one
    /// named. (Alternates are refused by [`discover`] already.)
    pub(crate) fn objects(&self) -> Option<PathBuf> {
        if fs::symlink_metadata(self.common.join("info/grafts")).is_ok() {
            return None;
        }
        match fs::read_dir(self.common.join("refs/replace")) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return None;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return None,
        }
        let packed = match fs::read(self.common.join("packed-refs")) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(_) => return None,
        };
        if packed.windows(13).any(|w| w == b"refs/replace/") {
            return None;
        }
        Some(self.common.join("objects"))
    }

    /// The object `HEAD` names: detached (an object name), or a symbolic ref to a branch
    /// (`ref: refs/heads/…`) read from its loose file or `packed-refs`. `None` for anything else
    /// (an unborn branch, a ref to a ref, a symlink), which git answers.
    pub(crate) fn head(&self) -> Option<String> {
        let text = read_ref_file(&self.git_dir.join("HEAD"))?;
        let Some(target) = text.strip_prefix("ref: ") else {
            return is_oid(&text).then(|| text.to_ascii_lowercase());
        };
        if !target.starts_with("refs/heads/") || !valid_refname(target) {
            return None;
        }
        match fs::symlink_metadata(self.common.join(target)) {
            Ok(meta) if meta.is_file() => {
                let oid = read_ref_file(&self.common.join(target))?;
                is_oid(&oid).then(|| oid.to_ascii_lowercase())
            }
            Ok(_) => None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                packed_ref(&self.common.join("packed-refs"), target)
            }
            Err(_) => None,
        }
    }
}

/// A ref file's one line, without its newline; `None` for a symlink or anything unreadable.
fn read_ref_file(path: &Path) -> Option<String> {
    if !fs::symlink_metadata(path).ok()?.is_file() {
        return None;
    }
    let text = fs::read_to_string(path).ok()?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    (!line.contains('\n') && !line.contains('\r')).then(|| line.to_string())
}

/// `refname`'s object in `packed-refs`, when every line there is one git writes.
fn packed_ref(path: &Path, refname: &str) -> Option<String> {
    let text = String::from_utf8(fs::read(path).ok()?).ok()?;
    let mut found = None;
    for (i, line) in text.split_terminator('\n').enumerate() {
        if i == 0 && line.starts_with("# pack-refs with:") {
            continue;
        }
        if let Some(peeled) = line.strip_prefix('^') {
            if !is_oid(peeled) {
                return None;
            }
            continue;
        }
        let (oid, name) = line.split_once(' ')?;
        if !is_oid(oid) || !valid_refname(name) {
            return None;
        }
        if name == refname {
            if found.is_some() {
                return None;
            }
            found = Some(oid.to_ascii_lowercase());
        }
    }
    found
}

fn is_oid(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `packed-refs`: a `# pack-refs with:` header, `<oid> <refname>` lines, each optionally followed
/// by `^<peeled oid>`. git writes it sorted, so the map is built in one pass from the sorted list.
fn packed_tags(path: &Path) -> Option<BTreeMap<String, Tag>> {
    let text = match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).ok()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(BTreeMap::new()),
        Err(_) => return None,
    };
    let mut lines = text.split_terminator('\n').peekable();
    let mut tags_peeled = false;
    if let Some(header) = lines
        .peek()
        .and_then(|l| l.strip_prefix("# pack-refs with:"))
    {
        let traits: Vec<&str> = header.split_ascii_whitespace().collect();
        tags_peeled = traits.contains(&"fully-peeled") || traits.contains(&"peeled");
        lines.next();
    }
    let mut tags: Vec<(String, Tag)> = Vec::new();
    let mut last_is_tag = false;
    for line in lines {
        if let Some(peeled) = line.strip_prefix('^') {
            // Only right after a tag's line, once.
            if !std::mem::take(&mut last_is_tag) {
                return None;
            }
            tags.last_mut()?.1.peeled = Some(parse_oid(peeled)?);
            continue;
        }
        let (oid, refname) = line.split_once(' ')?;
        let oid = parse_oid(oid)?;
        if !valid_refname(refname) {
            return None;
        }
        last_is_tag = false;
        if let Some(name) = refname.strip_prefix("refs/tags/") {
            // With the trait and no `^` line, the object is known not to be a tag: it peels to itself.
            let peeled = tags_peeled.then_some(oid);
            tags.push((name.to_string(), Tag { oid, peeled }));
            last_is_tag = true;
        }
    }
    // Sorted (or not: `collect` sorts), a later line for the same name winning as before.
    Some(tags.into_iter().collect())
}

/// The loose refs under `dir` (`prefix` is their name so far), over the packed ones.
fn loose_tags(dir: &Path, prefix: &str, tags: &mut BTreeMap<String, Tag>) -> Option<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && prefix.is_empty() => return Some(()),
        Err(_) => return None,
    };
    for entry in entries {
        let entry = entry.ok()?;
        let file_name = entry.file_name().into_string().ok()?;
        let name = format!("{prefix}{file_name}");
        let kind = entry.file_type().ok()?;
        if file_name.starts_with('.') || file_name.ends_with(".lock") {
            return None;
        }
        if kind.is_dir() {
            loose_tags(&entry.path(), &format!("{name}/"), tags)?;
        } else if kind.is_file() {
            let text = fs::read_to_string(entry.path()).ok()?;
            let oid = parse_oid(text.strip_suffix('\n').unwrap_or(&text))?;
            if !valid_refname(&format!("refs/tags/{name}")) {
                return None;
            }
            let tag = Tag { oid, peeled: None };
            tags.insert(name, tag);
        } else {
            return None; // a symlink, a socket…: git's rules
        }
    }
    Some(())
}

/// A conservative subset of the names `git check-ref-format` accepts: ASCII letters, digits and
/// `._-+/@`, components that neither start with `.` nor end with `.` or `.lock`, no `..`.
fn valid_refname(name: &str) -> bool {
    !name.is_empty()
        && name != "@"
        && !name.contains("..")
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'/' | b'@')
        })
        && name.split('/').all(|c| {
            !c.is_empty() && !c.starts_with('.') && !c.ends_with('.') && !c.ends_with(".lock")
        })
}

#[cfg(test)]
mod tests;
