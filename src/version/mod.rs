//! Versions per ecosystem: each module knows its registry's grammar and normal form.

pub mod document;
pub mod go;
pub mod npm;
pub mod pep440;
pub mod tags;
