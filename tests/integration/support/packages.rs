//! Package files as build tools write them, for tests that install or serve them.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// A wheel as a build backend writes it: modules, METADATA, WHEEL and RECORD.
pub(crate) fn wheel(
    dir: &Path,
    name: &str,
    version: &str,
    files: &[(&str, &str)],
    requires: &[&str],
) -> PathBuf {
    let path = dir.join(format!("{name}-{version}-py3-none-any.whl"));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    let dist_info = format!("{name}-{version}.dist-info");
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for r in requires {
        metadata.push_str(&format!("Requires-Dist: {r}\n"));
    }
    let wheel_file = "Wheel-Version: 1.0\nGenerator: smoke-install-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
    let mut record = String::new();
    let mut all: Vec<(String, String)> = files
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect();
    all.push((format!("{dist_info}/METADATA"), metadata));
    all.push((format!("{dist_info}/WHEEL"), wheel_file.to_string()));
    for (p, c) in &all {
        zip.start_file(p.as_str(), options).unwrap();
        zip.write_all(c.as_bytes()).unwrap();
        record.push_str(&format!("{p},,\n"));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    zip.start_file(format!("{dist_info}/RECORD"), options)
        .unwrap();
    zip.write_all(record.as_bytes()).unwrap();
    zip.finish().unwrap();
    path
}

/// A gzipped tarball of `files` (path, text), each under `root/`, with fixed headers (mode 0644,
/// a fixed mtime) so the same files give the same bytes: an npm tarball with `root` `package`,
/// an sdist with `root` `<name>-<version>`.
pub(crate) fn tarball(root: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_704_164_645);
        header.set_cksum();
        tar.append_data(&mut header, format!("{root}/{path}"), text.as_bytes())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

/// An sdist as `python -m build --sdist` names it: `<dir>/<name>-<version>.tar.gz` holding
/// `<name>-<version>/PKG-INFO` (with `project` as its Name) and `files`.
pub(crate) fn sdist(
    dir: &Path,
    name: &str,
    project: &str,
    version: &str,
    files: &[(&str, &str)],
) -> PathBuf {
    let pkg_info = format!("Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n");
    let mut all = vec![("PKG-INFO", pkg_info.as_str())];
    all.extend_from_slice(files);
    let path = dir.join(format!("{name}-{version}.tar.gz"));
    std::fs::write(&path, tarball(&format!("{name}-{version}"), &all)).unwrap();
    path
}
