//! Versions per ecosystem: each module knows its registry's grammar and normal form.

pub mod document;
pub mod go;
pub mod npm;
pub mod pep440;
pub mod tags;

/// `YYYYMMDDHHMMSS` of a unix time, UTC.
pub fn format_timestamp(unix: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).ok()?;
    let format = time::macros::format_description!("[year][month][day][hour][minute][second]");
    t.format(&format).ok().filter(|s| s.len() == 14)
}
