//! The tracked paths of a checkout, read from git's index file in-process: what
//! `git ls-files --cached` lists, without the process and without git's own copy of the index in
//! memory (on a 100,000-file checkout git holds 30 MiB to list it; this holds the paths, about a
//! third of the index file).
//!
//! Versions 2, 3 and 4 of the format (gitformat-index(5)), SHA-1 or SHA-256 object names. A
//! split index, a sparse index, an extension git marks as required that this reader does not
//! know, or anything malformed is [`Unusual`]: the caller asks git instead.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Why only git can list this checkout's tracked files.
pub(super) type Unusual = &'static str;

const GITLINK: u32 = 0o160000;
const SPARSE_DIR: u32 = 0o040000;

/// Paths relative to the scanned directory, sorted as git sorts them (by bytes), each once.
#[derive(Default)]
pub(super) struct Tracked {
    bytes: Vec<u8>,
    /// Where each path ends in `bytes`.
    ends: Vec<u32>,
    /// The indexes of submodules' gitlinks (sorted).
    gitlinks: Vec<u32>,
}

/// What the index says of a directory in the work tree.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum DirInIndex {
    /// A submodule: git lists nothing below it.
    Gitlink,
    /// Tracked files below it: git walks it whatever it holds.
    HasTracked,
    /// Nothing: a directory only the work tree has.
    Untracked,
}

impl Tracked {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn path(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    pub(super) fn is_gitlink(&self, i: usize) -> bool {
        u32::try_from(i).is_ok_and(|i| self.gitlinks.binary_search(&i).is_ok())
    }

    /// The index of `path` when it is tracked.
    pub(super) fn find(&self, path: &[u8]) -> Option<usize> {
        let i = self.partition(|p| p < path);
        (i < self.len() && self.path(i) == path).then_some(i)
    }

    /// The first index whose path is not `before`.
    fn partition(&self, before: impl Fn(&[u8]) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if before(self.path(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// What the index holds at directory `dir` (git's `directory_exists_in_index`).
    pub(super) fn dir(&self, dir: &[u8]) -> DirInIndex {
        if self.find(dir).is_some_and(|i| self.is_gitlink(i)) {
            return DirInIndex::Gitlink;
        }
        let mut key = Vec::with_capacity(dir.len() + 1);
        key.extend_from_slice(dir);
        key.push(b'/');
        let i = self.partition(|p| p < key.as_slice());
        if i < self.len() && self.path(i).starts_with(&key) {
            DirInIndex::HasTracked
        } else {
            DirInIndex::Untracked
        }
    }

    fn push(&mut self, path: &[u8], mode: u32) -> Result<(), Unusual> {
        if let Some(last) = self.len().checked_sub(1).map(|i| self.path(i)) {
            match last.cmp(path) {
                // Another stage of an unmerged path.
                std::cmp::Ordering::Equal => return Ok(()),
                std::cmp::Ordering::Greater => return Err("the index is not sorted"),
                std::cmp::Ordering::Less => {}
            }
        }
        if mode == GITLINK {
            self.gitlinks.push(self.len() as u32);
        }
        self.bytes.extend_from_slice(path);
        let end =
            u32::try_from(self.bytes.len()).map_err(|_| "the index is over 4 GiB of paths")?;
        self.ends.push(end);
        Ok(())
    }
}

/// Reads the index at `path`, keeping the entries below `prefix` (`dir/…/`, or empty for the
/// whole work tree) with the prefix taken off. `hash_len` is 20 (SHA-1) or 32 (SHA-256). No
/// index file is an empty index, as git has it before the first `git add`.
pub(super) fn read(path: &Path, prefix: &[u8], hash_len: usize) -> Result<Tracked, Unusual> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Tracked::default()),
        Err(_) => return Err("the index cannot be read"),
    };
    let size = file
        .metadata()
        .map_err(|_| "the index cannot be read")?
        .len();
    let mut r = Reader {
        inner: BufReader::with_capacity(64 * 1024, file),
        pos: 0,
    };
    let mut header = [0u8; 12];
    r.exact(&mut header)?;
    if &header[..4] != b"DIRC" {
        return Err("the index has no index signature");
    }
    let version = be32(&header[4..8]);
    if !(2..=4).contains(&version) {
        return Err("the index is of a version this reader does not know");
    }
    let count = be32(&header[8..12]);
    let (tracked, unnamed) = entries(&mut r, version, count, hash_len, prefix)?;
    extensions(&mut r, size, hash_len)?;
    if unnamed {
        return Err("the index holds an entry with no path");
    }
    Ok(tracked)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The index file, read once front to back, counting bytes.
struct Reader {
    inner: BufReader<File>,
    pos: u64,
}

impl Reader {
    fn exact(&mut self, buf: &mut [u8]) -> Result<(), Unusual> {
        self.inner
            .read_exact(buf)
            .map_err(|_| "the index ends early")?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    /// Reads up to and including a NUL into `buf` (without the NUL).
    fn until_nul(&mut self, buf: &mut Vec<u8>) -> Result<(), Unusual> {
        let n = self
            .inner
            .read_until(0, buf)
            .map_err(|_| "the index cannot be read")?;
        self.pos += n as u64;
        if buf.pop() != Some(0) {
            return Err("the index ends early");
        }
        Ok(())
    }

    fn skip(&mut self, n: u64) -> Result<(), Unusual> {
        let copied = std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink())
            .map_err(|_| "the index cannot be read")?;
        if copied != n {
            return Err("the index ends early");
        }
        self.pos += n;
        Ok(())
    }

    /// Git's variable-length integer (index v4's path prefix lengths).
    fn varint(&mut self) -> Result<u64, Unusual> {
        let mut byte = [0u8; 1];
        self.exact(&mut byte)?;
        let mut value = u64::from(byte[0] & 0x7f);
        while byte[0] & 0x80 != 0 {
            value = value
                .checked_add(1)
                .filter(|v| v >> 57 == 0)
                .ok_or("the index holds a malformed length")?;
            self.exact(&mut byte)?;
            value = (value << 7) + u64::from(byte[0] & 0x7f);
        }
        Ok(value)
    }
}

/// The entries below `prefix`, and whether one had no path.
fn entries(
    r: &mut Reader,
    version: u32,
    count: u32,
    hash_len: usize,
    prefix: &[u8],
) -> Result<(Tracked, bool), Unusual> {
    let mut tracked = Tracked::default();
    // ctime, mtime, dev, ino, mode, uid, gid, size, the object name, flags.
    let fixed = 40 + hash_len + 2;
    let mut head = vec![0u8; fixed + 2];
    let mut path = Vec::new();
    let mut unnamed = false;
    for _ in 0..count {
        r.exact(&mut head[..fixed])?;
        let mode = be32(&head[24..28]);
        let flags = u16::from_be_bytes([head[fixed - 2], head[fixed - 1]]);
        let mut entry_len = fixed;
        if flags & 0x4000 != 0 {
            if version < 3 {
                return Err("the index holds an extended entry in version 2");
            }
            r.exact(&mut head[fixed..fixed + 2])?;
            entry_len += 2;
        }
        if mode == SPARSE_DIR {
            return Err("the index is sparse");
        }
        if version == 4 {
            let strip = r.varint()?;
            let keep = usize::try_from(strip)
                .ok()
                .and_then(|s| path.len().checked_sub(s))
                .ok_or("the index holds a malformed path")?;
            path.truncate(keep);
            r.until_nul(&mut path)?;
        } else {
            path.clear();
            r.until_nul(&mut path)?;
            // NUL padding to a multiple of 8 bytes, the path's own NUL included.
            let padded = (entry_len + path.len() + 8) & !7;
            r.skip((padded - entry_len - path.len() - 1) as u64)?;
        }
        let name_len = usize::from(flags & 0xfff);
        if name_len < 0xfff && name_len != path.len() {
            return Err("the index holds a malformed path");
        }
        if path.is_empty() {
            // A split index's replaced entry (its `link` extension comes after the entries).
            unnamed = true;
        } else if let Some(rest) = path.strip_prefix(prefix) {
            tracked.push(rest, mode)?;
        }
    }
    Ok((tracked, unnamed))
}

/// The extensions after the entries, up to the checksum: a split index or a sparse one, or one
/// git requires and this reader does not know, leaves the listing to git.
fn extensions(r: &mut Reader, size: u64, hash_len: usize) -> Result<(), Unusual> {
    let hash_len = hash_len as u64;
    while r.pos + hash_len < size {
        let mut head = [0u8; 8];
        r.exact(&mut head)?;
        match &head[..4] {
            b"link" => return Err("the index is split"),
            b"sdir" => return Err("the index is sparse"),
            [b'A'..=b'Z', ..] => {}
            _ => return Err("the index has an extension this reader does not know"),
        }
        r.skip(u64::from(be32(&head[4..8])))?;
    }
    if r.pos + hash_len != size {
        return Err("the index ends early");
    }
    Ok(())
}
