//! Support shared by integration tests: a local GitHub REST API and the real ecosystem tools.
#![allow(dead_code)]

pub mod github_api;
pub mod tools;
