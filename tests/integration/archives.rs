//! Hostile archives handed to smoke-install: entries with `..`, absolute paths, links and hard
//! links pointing outside, device files, and decompression bombs (size and entry count). Each is
//! refused before any tool sees it, with an error naming the entry or the archive, and nothing
//! appears outside the temp dir: a sentinel directory the entries aim at stays empty.

use crate::support::harness::*;

use std::io::Write;
use std::path::{Path, PathBuf};

/// A temp dir with `pkgs/` (where the archive lives, the run's working directory) and an empty
/// `sentinel/` that hostile entries point at.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Work {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pkgs")).unwrap();
        std::fs::create_dir(dir.path().join("sentinel")).unwrap();
        Work { dir }
    }
    fn pkgs(&self) -> PathBuf {
        self.dir.path().join("pkgs")
    }
    fn sentinel(&self) -> PathBuf {
        self.dir.path().join("sentinel")
    }
    /// Runs smoke-install on `file` and checks the refusal and that nothing was written.
    fn refuses(&self, file: &str, expected: &str, why: &[&str]) -> Run {
        let before = listing(self.dir.path());
        let run = Gha::new()
            .input("mode", "smoke-install")
            .input("packages", file)
            .input("expected-version", expected)
            .cwd(&self.pkgs())
            .run();
        run.assert_code(1);
        let errors = run.commands("error").join("\n");
        for w in why {
            assert!(errors.contains(w), "expected {w:?} in\n{}", run.describe());
        }
        assert_eq!(
            std::fs::read_dir(self.sentinel()).unwrap().count(),
            0,
            "something was written to the sentinel dir"
        );
        assert_eq!(listing(self.dir.path()), before, "the temp dir changed");
        run
    }
}

const MANIFEST: &str = r#"{"name": "sdk", "version": "1.2.3", "main": "index.js"}"#;

enum Entry<'a> {
    File(&'a str, &'a [u8]),
    Link(tar::EntryType, &'a str, &'a str),
    Device(tar::EntryType, &'a str),
    /// A regular file whose header declares `size` bytes of zeros (all written).
    Zeros(&'a str, u64),
}

/// Writes names by hand into the header: the tar crate refuses `..` and absolute paths.
fn raw_header(name: &str, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(1_704_164_645);
    header.set_entry_type(kind);
    let field = &mut header.as_old_mut().name;
    field[..name.len()].copy_from_slice(name.as_bytes());
    header
}

fn tarball(dir: &Path, file: &str, entries: &[Entry]) -> PathBuf {
    let path = dir.join(file);
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    for entry in entries {
        match entry {
            Entry::File(name, data) => {
                let mut h = raw_header(name, tar::EntryType::Regular, data.len() as u64);
                h.set_cksum();
                tar.append(&h, *data).unwrap();
            }
            Entry::Link(kind, name, target) => {
                let mut h = raw_header(name, *kind, 0);
                let field = &mut h.as_old_mut().linkname;
                field[..target.len()].copy_from_slice(target.as_bytes());
                h.set_cksum();
                tar.append(&h, std::io::empty()).unwrap();
            }
            Entry::Device(kind, name) => {
                let mut h = raw_header(name, *kind, 0);
                h.set_device_major(1).unwrap();
                h.set_device_minor(3).unwrap();
                h.set_cksum();
                tar.append(&h, std::io::empty()).unwrap();
            }
            Entry::Zeros(name, size) => {
                let mut h = raw_header(name, tar::EntryType::Regular, *size);
                h.set_cksum();
                tar.append(&h, std::io::repeat(0).take_exact(*size))
                    .unwrap();
            }
        }
    }
    tar.into_inner().unwrap().finish().unwrap();
    path
}

trait TakeExact: std::io::Read + Sized {
    fn take_exact(self, n: u64) -> std::io::Take<Self> {
        self.take(n)
    }
}
impl<R: std::io::Read> TakeExact for R {}

// ---------------------------------------------------------------- npm tarballs

#[test]
fn tar_entry_with_dotdot_is_refused() {
    let w = Work::new();
    tarball(
        &w.pkgs(),
        "evil.tgz",
        &[
            Entry::File("package/package.json", MANIFEST.as_bytes()),
            Entry::File("package/../../sentinel/x.txt", b"gotcha"),
        ],
    );
    w.refuses("evil.tgz", "1.2.3", &["refused entry", "`..`"]);
}

#[test]
fn tar_entry_with_absolute_path_is_refused() {
    let w = Work::new();
    let abs = format!("{}/abs.txt", w.sentinel().display());
    tarball(
        &w.pkgs(),
        "evil.tgz",
        &[
            Entry::File("package/package.json", MANIFEST.as_bytes()),
            Entry::File(&abs, b"gotcha"),
        ],
    );
    w.refuses("evil.tgz", "1.2.3", &["refused entry", "absolute"]);
}

#[test]
fn tar_symlinks_out_of_the_package_are_refused() {
    let sentinel_rel = "../../sentinel";
    for target in ["/etc", "/etc/passwd", sentinel_rel, "../x", "a/../../y"] {
        let w = Work::new();
        let abs_sentinel = w.sentinel().display().to_string();
        let target = if target == sentinel_rel {
            abs_sentinel.as_str()
        } else {
            target
        };
        tarball(
            &w.pkgs(),
            "evil.tgz",
            &[
                Entry::File("package/package.json", MANIFEST.as_bytes()),
                Entry::Link(tar::EntryType::Symlink, "package/link", target),
                Entry::File("package/link/x.txt", b"through the link"),
            ],
        );
        w.refuses("evil.tgz", "1.2.3", &["refused link", "points outside"]);
    }
}

#[test]
fn tar_hardlinks_out_of_the_package_are_refused() {
    for target in ["/etc/passwd", "../../sentinel/x", "package/../../x"] {
        let w = Work::new();
        tarball(
            &w.pkgs(),
            "evil.tgz",
            &[
                Entry::File("package/package.json", MANIFEST.as_bytes()),
                Entry::Link(tar::EntryType::Link, "package/hard", target),
            ],
        );
        w.refuses("evil.tgz", "1.2.3", &["refused link", "points outside"]);
    }
}

#[test]
fn tar_device_and_fifo_entries_are_refused() {
    for kind in [
        tar::EntryType::Char,
        tar::EntryType::Block,
        tar::EntryType::Fifo,
    ] {
        let w = Work::new();
        tarball(
            &w.pkgs(),
            "evil.tgz",
            &[
                Entry::File("package/package.json", MANIFEST.as_bytes()),
                Entry::Device(kind, "package/null"),
            ],
        );
        w.refuses(
            "evil.tgz",
            "1.2.3",
            &["refused entry", "have no place in a package"],
        );
    }
}

/// A real bomb: 1 GiB + 1 byte of zeros, about a megabyte compressed. Refused from its header,
/// before the reader inflates it.
#[test]
fn tar_decompression_bomb_is_refused() {
    let w = Work::new();
    let path = tarball(
        &w.pkgs(),
        "bomb.tgz",
        &[
            Entry::File("package/package.json", MANIFEST.as_bytes()),
            Entry::Zeros("package/zeros.bin", (1 << 30) + 1),
        ],
    );
    assert!(std::fs::metadata(&path).unwrap().len() < 8 << 20);
    w.refuses(
        "bomb.tgz",
        "1.2.3",
        &["bomb.tgz", "would inflate to more than 1073741824 bytes"],
    );
}

#[test]
fn tar_with_too_many_entries_is_refused() {
    let w = Work::new();
    let names: Vec<String> = (0..100_001).map(|i| format!("package/f{i}")).collect();
    let mut entries = vec![Entry::File("package/package.json", MANIFEST.as_bytes())];
    entries.extend(names.iter().map(|n| Entry::File(n, b"")));
    tarball(&w.pkgs(), "many.tgz", &entries);
    w.refuses(
        "many.tgz",
        "1.2.3",
        &["many.tgz", "more than 100000 entries"],
    );
}

// ---------------------------------------------------------------- wheels and Go module zips

enum ZipEntry<'a> {
    File(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
    Zeros(&'a str, u64),
}

fn zip_file(dir: &Path, file: &str, entries: &[ZipEntry]) -> PathBuf {
    let path = dir.join(file);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    for entry in entries {
        match entry {
            ZipEntry::File(name, data) => {
                zip.start_file(*name, options).unwrap();
                zip.write_all(data).unwrap();
            }
            ZipEntry::Symlink(name, target) => {
                zip.add_symlink(*name, *target, options).unwrap();
            }
            ZipEntry::Zeros(name, size) => {
                zip.start_file(*name, options.large_file(*size > u32::MAX as u64))
                    .unwrap();
                let chunk = vec![0u8; 1 << 20];
                let mut left = *size;
                while left > 0 {
                    let n = left.min(chunk.len() as u64) as usize;
                    zip.write_all(&chunk[..n]).unwrap();
                    left -= n as u64;
                }
            }
        }
    }
    zip.finish().unwrap();
    path
}

const WHEEL: &str = "sdk-1.0.0-py3-none-any.whl";
const METADATA: &[u8] = b"Metadata-Version: 2.1\nName: sdk\nVersion: 1.0.0\n";

fn wheel_with(w: &Work, extra: ZipEntry) {
    zip_file(
        &w.pkgs(),
        WHEEL,
        &[
            ZipEntry::File("sdk/__init__.py", b""),
            ZipEntry::File("sdk-1.0.0.dist-info/METADATA", METADATA),
            ZipEntry::File("sdk-1.0.0.dist-info/RECORD", b"sdk/__init__.py,,\n"),
            extra,
        ],
    );
}

#[test]
fn wheel_entries_escaping_or_linking_are_refused() {
    let w = Work::new();
    wheel_with(&w, ZipEntry::File("../../sentinel/x.py", b"gotcha"));
    w.refuses(WHEEL, "1.0.0", &["refused entry", "`..`"]);

    let w = Work::new();
    let abs = format!("{}/x.py", w.sentinel().display());
    wheel_with(&w, ZipEntry::File(&abs, b"gotcha"));
    w.refuses(WHEEL, "1.0.0", &["refused entry", "absolute"]);

    let w = Work::new();
    let target = w.sentinel().display().to_string();
    wheel_with(&w, ZipEntry::Symlink("sdk/link", &target));
    w.refuses(WHEEL, "1.0.0", &["refused entry", "links"]);
}

#[test]
fn wheel_decompression_bomb_is_refused() {
    let w = Work::new();
    wheel_with(&w, ZipEntry::Zeros("sdk/zeros.bin", (1 << 30) + 1));
    assert!(std::fs::metadata(w.pkgs().join(WHEEL)).unwrap().len() < 8 << 20);
    w.refuses(
        WHEEL,
        "1.0.0",
        &[WHEEL, "would inflate to more than 1073741824 bytes"],
    );
}

const GO_MOD: &[u8] = b"module example.com/sdk\n\ngo 1.19\n";

fn go_zip_with(w: &Work, extra: ZipEntry) {
    zip_file(
        &w.pkgs(),
        "sdk.zip",
        &[
            ZipEntry::File("example.com/sdk@v1.0.0/go.mod", GO_MOD),
            ZipEntry::File("example.com/sdk@v1.0.0/sdk.go", b"package sdk\n"),
            extra,
        ],
    );
}

#[test]
fn go_zip_entries_escaping_or_linking_are_refused() {
    let w = Work::new();
    go_zip_with(
        &w,
        ZipEntry::File("example.com/sdk@v1.0.0/../../../sentinel/x.go", b"x"),
    );
    w.refuses("sdk.zip", "v1.0.0", &["refused entry", "`..`"]);

    let w = Work::new();
    let abs = format!("{}/x.go", w.sentinel().display());
    go_zip_with(&w, ZipEntry::File(&abs, b"x"));
    w.refuses("sdk.zip", "v1.0.0", &["refused entry", "absolute"]);

    let w = Work::new();
    let target = w.sentinel().display().to_string();
    go_zip_with(
        &w,
        ZipEntry::Symlink("example.com/sdk@v1.0.0/link", &target),
    );
    w.refuses("sdk.zip", "v1.0.0", &["refused entry", "links"]);
}

/// The go command's own limit is 500 MiB unpacked; 600 MiB of zeros is refused.
#[test]
fn go_zip_decompression_bomb_is_refused() {
    let w = Work::new();
    go_zip_with(
        &w,
        ZipEntry::Zeros("example.com/sdk@v1.0.0/zeros.bin", 600 << 20),
    );
    w.refuses(
        "sdk.zip",
        "v1.0.0",
        &["sdk.zip", "would inflate to more than 524288000 bytes"],
    );
}
