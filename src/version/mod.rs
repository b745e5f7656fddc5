//! Versions per ecosystem: each module knows its registry's grammar and normal form.

pub mod tags;
