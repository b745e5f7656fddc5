//! Support shared by integration tests: a local GitHub REST API and the real ecosystem tools.
#![allow(dead_code)]

pub mod act;
pub mod fault_server;
pub mod github_api;
pub mod harness;
pub mod packages;
pub mod servers;
pub mod smoke;
pub mod tools;
