//! A commit's committer time read from git's object store without a git process: a loose object
//! (`objects/xx/yyyy…`, zlib) or a whole commit in a pack (`objects/pack/*.idx` version 2, then
//! the `.pack` entry). Anything else (a delta, an object that is not a commit, a header this
//! reader doubts, an object over [`MAX_OBJECT`], a name that is not the SHA-1 of what was read)
//! is `None`, and the caller asks git: a fallback, never a different answer.

use std::fs::{self, File};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use sha1::{Digest as _, Sha1};

/// The largest commit read in-process (a signed merge with a long message is a few KiB).
const MAX_OBJECT: u64 = 4 << 20;

/// The committer time of commit `oid` (40 hex digits) in the object directory `objects`.
pub(crate) fn committer_time(objects: &Path, oid: &str) -> Option<i64> {
    let body = read_commit(objects, oid)?;
    parse_committer_time(&body)
}

/// The commit's content (without git's `commit <len>\0` header), checked against its name.
pub(crate) fn read_commit(objects: &Path, oid: &str) -> Option<Vec<u8>> {
    let name = parse_oid(oid)?;
    let body = match loose_commit(objects, oid) {
        Loose::Found(body) => body,
        Loose::Missing => packed_commit(&objects.join("pack"), &name)?,
        Loose::Doubt => return None,
    };
    let header = format!("commit {}\0", body.len());
    let mut hasher = Sha1::new();
    hasher.update(header.as_bytes());
    hasher.update(&body);
    (hasher.finalize()[..] == name[..]).then_some(body)
}

fn parse_oid(oid: &str) -> Option<[u8; 20]> {
    if oid.len() != 40 {
        return None;
    }
    let mut name = [0u8; 20];
    hex::decode_to_slice(oid, &mut name).ok()?;
    Some(name)
}

enum Loose {
    Found(Vec<u8>),
    Missing,
    Doubt,
}

fn loose_commit(objects: &Path, oid: &str) -> Loose {
    let oid = oid.to_ascii_lowercase();
    let path = objects.join(&oid[..2]).join(&oid[2..]);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loose::Missing,
        Err(_) => return Loose::Doubt,
    };
    let mut inflated = flate2::read::ZlibDecoder::new(BufReader::new(file));
    let mut header = Vec::new();
    let mut byte = [0u8; 1];
    while header.len() < 32 {
        match inflated.read(&mut byte) {
            Ok(1) if byte[0] == 0 => break,
            Ok(1) => header.push(byte[0]),
            _ => return Loose::Doubt,
        }
    }
    let Some(len) = header
        .strip_prefix(b"commit ")
        .and_then(parse_decimal)
        .filter(|len| *len <= MAX_OBJECT)
    else {
        return Loose::Doubt;
    };
    match read_exactly(inflated, len) {
        Some(body) => Loose::Found(body),
        None => Loose::Doubt,
    }
}

/// Decimal digits without a sign or a leading zero (git writes lengths so).
fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 12 || (digits[0] == b'0' && digits.len() > 1) {
        return None;
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Exactly `len` bytes and then the end of the stream: more or fewer is `None`.
fn read_exactly(reader: impl Read, len: u64) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    reader.take(len + 1).read_to_end(&mut body).ok()?;
    (body.len() as u64 == len).then_some(body)
}

/// The commit from whichever pack's index names it, stored whole (not as a delta).
fn packed_commit(pack_dir: &Path, name: &[u8; 20]) -> Option<Vec<u8>> {
    let mut indexes: Vec<_> = fs::read_dir(pack_dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .collect();
    indexes.sort();
    for idx in indexes {
        if let Some((offset, count)) = find_in_index(&idx, name) {
            return pack_entry(&idx.with_extension("pack"), offset, count);
        }
    }
    None
}

const FANOUT: u64 = 8;
const TABLE: u64 = FANOUT + 256 * 4;

fn read_u32(file: &File, at: u64) -> Option<u32> {
    let mut word = [0u8; 4];
    file.read_exact_at(&mut word, at).ok()?;
    Some(u32::from_be_bytes(word))
}

/// Index version 2: magic, fanout, sorted names, CRCs, 4-byte offsets (the high bit sends to
/// the 8-byte table), then two checksums. Binary search by reads, not by loading the file.
/// `Some((offset in the pack, objects in the pack))` when the name is there.
fn find_in_index(path: &Path, name: &[u8; 20]) -> Option<(u64, u32)> {
    let file = File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let mut head = [0u8; 8];
    file.read_exact_at(&mut head, 0).ok()?;
    if head != [0xff, b't', b'O', b'c', 0, 0, 0, 2] || size < TABLE + 40 {
        return None;
    }
    let count = read_u32(&file, FANOUT + 255 * 4)?;
    let n = u64::from(count);
    if size < TABLE + 28 * n + 40 {
        return None;
    }
    let first = name[0] as u64;
    let mut lo = match first {
        0 => 0,
        _ => read_u32(&file, FANOUT + (first - 1) * 4)?,
    };
    let mut hi = read_u32(&file, FANOUT + first * 4)?;
    if lo > hi || hi > count {
        return None;
    }
    let mut entry = [0u8; 20];
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        file.read_exact_at(&mut entry, TABLE + 20 * u64::from(mid))
            .ok()?;
        match entry.cmp(name) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => {
                let offset = pack_offset(&file, size, n, u64::from(mid))?;
                return Some((offset, count));
            }
        }
    }
    None
}

fn pack_offset(file: &File, size: u64, n: u64, index: u64) -> Option<u64> {
    let small = read_u32(file, TABLE + 24 * n + 4 * index)?;
    if small & 0x8000_0000 == 0 {
        return Some(u64::from(small));
    }
    let at = TABLE + 28 * n + 8 * u64::from(small & 0x7fff_ffff);
    if at + 8 + 40 > size {
        return None;
    }
    let mut big = [0u8; 8];
    file.read_exact_at(&mut big, at).ok()?;
    Some(u64::from_be_bytes(big))
}

/// The entry at `offset` in the pack: a commit stored whole (type 1), inflated to its size.
fn pack_entry(path: &Path, offset: u64, count: u32) -> Option<Vec<u8>> {
    let mut file = File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let mut head = [0u8; 12];
    file.read_exact_at(&mut head, 0).ok()?;
    let version = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    let objects = u32::from_be_bytes([head[8], head[9], head[10], head[11]]);
    if &head[..4] != b"PACK" || !(2..=3).contains(&version) || objects != count {
        return None;
    }
    if offset < 12 || offset >= size.saturating_sub(20) {
        return None;
    }
    let mut entry = [0u8; 10];
    let got = file.read_at(&mut entry, offset).ok()?;
    let (kind, len, header_len) = entry_header(&entry[..got])?;
    if kind != 1 || len > MAX_OBJECT {
        return None; // not a commit, or a delta (6, 7): git answers
    }
    file.seek(SeekFrom::Start(offset + header_len)).ok()?;
    let inflated = flate2::read::ZlibDecoder::new(BufReader::new(file));
    read_exactly(inflated, len)
}

/// A pack entry's header: type in bits 4–6 of the first byte, size in its low 4 bits and 7 more
/// bits per continued byte. `(type, size, header length)`.
fn entry_header(bytes: &[u8]) -> Option<(u8, u64, u64)> {
    let first = *bytes.first()?;
    let kind = (first >> 4) & 7;
    let mut len = u64::from(first & 0x0f);
    let mut shift = 4;
    let mut used = 1;
    let mut byte = first;
    while byte & 0x80 != 0 {
        byte = *bytes.get(used)?;
        if shift > 56 {
            return None;
        }
        len |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        used += 1;
    }
    Some((kind, len, used as u64))
}

/// The seconds of the `committer` header line (`committer Name <email> <seconds> <±hhmm>`),
/// read only from the headers: they end at the first blank line, and a line starting with a space
/// continues the header before it (`gpgsig`, `mergetag`). `None` for anything doubtful: no
/// `tree` first, no blank line, no or two `committer` lines, a date that is not plain digits.
pub(crate) fn parse_committer_time(body: &[u8]) -> Option<i64> {
    let end = body.windows(2).position(|w| w == b"\n\n")?;
    let mut lines = body[..end].split(|b| *b == b'\n');
    if !lines.next()?.starts_with(b"tree ") {
        return None;
    }
    let mut found = None;
    for line in lines {
        if let Some(ident) = line.strip_prefix(b"committer ") {
            if found.is_some() {
                return None;
            }
            found = Some(ident_seconds(ident)?);
        }
    }
    found
}

/// After the last `>`: ` <seconds> <±hhmm>` and nothing else.
fn ident_seconds(ident: &[u8]) -> Option<i64> {
    let lt = ident.iter().position(|b| *b == b'<')?;
    let gt = ident.iter().rposition(|b| *b == b'>')?;
    if gt < lt {
        return None;
    }
    let rest = ident[gt + 1..].strip_prefix(b" ")?;
    let space = rest.iter().position(|b| *b == b' ')?;
    let (digits, zone) = (&rest[..space], &rest[space + 1..]);
    let zone_ok = zone.len() == 5
        && matches!(zone[0], b'+' | b'-')
        && zone[1..].iter().all(u8::is_ascii_digit);
    if !zone_ok {
        return None;
    }
    i64::try_from(parse_decimal(digits)?).ok()
}

#[cfg(test)]
mod tests;
