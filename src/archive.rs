//! Caps for the archives the action reads (npm tarballs, wheels, Go module zips): no archive is
//! unpacked to disk, but reading one still inflates it, so a decompression bomb or an archive of a
//! million entries must stop with an error naming the archive, not exhaust memory or time.

use std::io::{self, Read};

/// Most entries one archive may hold. The largest real SDK packages hold a few thousand files.
pub const MAX_ENTRIES: usize = 100_000;

/// Most bytes an npm tarball or a wheel may hold once inflated.
pub const MAX_UNPACKED: u64 = 1 << 30;

/// Most bytes a Go module zip may hold once inflated: the go command's own limit
/// (golang.org/x/mod/zip `MaxZipFile`).
pub const MAX_GO_ZIP_UNPACKED: u64 = 500 << 20;

/// Counts what an archive declares as it is read and refuses it once it passes a cap.
#[derive(Debug)]
pub struct Budget {
    what: String,
    entries: usize,
    bytes: u64,
    max_entries: usize,
    max_bytes: u64,
}

impl Budget {
    /// `what` names the archive in errors (its path or URL).
    pub fn new(what: impl Into<String>, max_entries: usize, max_bytes: u64) -> Budget {
        Budget {
            what: what.into(),
            entries: 0,
            bytes: 0,
            max_entries,
            max_bytes,
        }
    }

    /// Accounts one entry of `size` (uncompressed) bytes, as its header declares.
    pub fn entry(&mut self, size: u64) -> Result<(), String> {
        self.entries += 1;
        if self.entries > self.max_entries {
            return Err(format!(
                "{} has more than {} entries: refused as a possible archive bomb",
                self.what, self.max_entries
            ));
        }
        self.bytes = self.bytes.saturating_add(size);
        if self.bytes > self.max_bytes {
            return Err(format!(
                "{} would inflate to more than {} bytes: refused as a possible decompression bomb",
                self.what, self.max_bytes
            ));
        }
        Ok(())
    }
}

/// A reader that fails once more than `limit` bytes have come through it: the guard for a
/// decompressed stream whose headers lie about their sizes.
pub struct Capped<R> {
    inner: R,
    what: String,
    left: u64,
    limit: u64,
}

impl<R: Read> Capped<R> {
    pub fn new(inner: R, what: impl Into<String>, limit: u64) -> Capped<R> {
        Capped {
            inner,
            what: what.into(),
            left: limit,
            limit,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One more byte decides between "exactly at the limit" and "over it".
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(format!(
                    "{} inflates to more than {} bytes: refused as a possible decompression bomb",
                    self.what, self.limit
                ))),
            };
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Reads at most `limit` bytes of one entry; more is an error (not a silent truncation, which
/// would parse a cut-off file as if it were whole).
pub fn read_capped(reader: impl Read, what: &str, limit: u64) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    Capped::new(reader, what, limit)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    Ok(buf)
}

/// A gzipped tarball read from `R` under the caps: the decompressed stream stops at
/// [`MAX_UNPACKED`] bytes, and the [`Budget`] that comes with it counts entries and their sizes
/// (call `budget.entry(size)` for each).
pub type TarGzOf<R> = tar::Archive<Capped<flate2::read::GzDecoder<R>>>;

/// A gzipped tarball on disk, opened under the caps.
pub type TarGz = TarGzOf<std::fs::File>;

/// Opens a gzipped tarball from any reader under the caps; `what` names it in errors ("the sdist
/// dist/x-1.0.tar.gz"). The one place the caps are put on a tarball.
pub fn tar_gz<R: Read>(reader: R, what: impl Into<String>) -> (TarGzOf<R>, Budget) {
    let what = what.into();
    let stream = Capped::new(
        flate2::read::GzDecoder::new(reader),
        what.clone(),
        MAX_UNPACKED,
    );
    let budget = Budget::new(what, MAX_ENTRIES, MAX_UNPACKED);
    (tar::Archive::new(stream), budget)
}

/// A gzipped tarball at `path`; `kind` names the file in errors ("the tarball").
pub fn open_tar_gz(path: &std::path::Path, kind: &str) -> Result<(TarGz, Budget), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {kind}: {e}"))?;
    Ok(tar_gz(file, format!("{kind} {}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_counts_entries_and_bytes() {
        let mut b = Budget::new("x.tgz", 2, 10);
        assert!(b.entry(4).is_ok());
        assert!(b.entry(6).is_ok());
        let e = b.entry(0).unwrap_err();
        assert!(
            e.contains("x.tgz") && e.contains("more than 2 entries"),
            "{e}"
        );
        let mut b = Budget::new("y.whl", 10, 10);
        assert!(b.entry(u64::MAX).unwrap_err().contains("y.whl"));
    }

    #[test]
    fn capped_reader_allows_the_limit_and_refuses_more() {
        let ok = read_capped(&[7u8; 16][..], "a", 16).unwrap();
        assert_eq!(ok.len(), 16);
        let e = read_capped(&[7u8; 17][..], "b.zip", 16).unwrap_err();
        assert!(
            e.contains("b.zip") && e.contains("more than 16 bytes"),
            "{e}"
        );
        let e = read_capped(io::repeat(0), "zeros", 1 << 20).unwrap_err();
        assert!(e.contains("decompression bomb"), "{e}");
    }

    #[test]
    fn a_tarball_from_a_reader_that_is_not_gzip_is_refused() {
        let (mut tar, _) = tar_gz(&b"not gzip at all"[..], "the sdist x.tar.gz");
        let failed = tar
            .entries()
            .and_then(|mut entries| entries.next().transpose())
            .is_err();
        assert!(failed);
    }
}
