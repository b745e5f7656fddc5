//! Package files as build tools write them, for tests that install or serve them.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// A wheel as a build backend writes it: modules, METADATA, WHEEL and RECORD.
pub fn wheel(
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
