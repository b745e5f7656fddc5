//! Helpers for the tests that call the library's registry clients directly (`remote::fetch`)
//! against real registries on 127.0.0.1: a log that records, the fetch, what was checked.

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;

use release_action::ecosystem::remote::{self, Fetched, RemoteOptions, Source};
use release_action::fetch;

pub(crate) struct Logs(RefCell<Vec<String>>);

impl fetch::Log for Logs {
    fn log(&self, message: &str) {
        self.0.borrow_mut().push(message.to_string());
    }
}

pub(crate) fn logs() -> Logs {
    std::env::set_var(fetch::RETRY_BASE_ENV, "5");
    Logs(RefCell::new(Vec::new()))
}

pub(crate) fn fetch(entry: &str, opts: &RemoteOptions, dir: &Path) -> Result<Fetched, String> {
    let source = Source::parse(entry).expect("a remote entry").unwrap();
    remote::fetch(&source, opts, dir, &logs()).map_err(|f| {
        assert_ne!(f.message, "", "errors carry a message");
        format!("{:?}|{}", f.kind, f)
    })
}

pub(crate) fn check_names(f: &Fetched) -> Vec<&str> {
    f.checks.iter().map(|c| c.name.as_str()).collect()
}

pub(crate) fn dir_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

pub(crate) fn zip_file(path: &Path, files: &[(&str, &str)]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, text) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap();
}
