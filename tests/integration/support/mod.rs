//! Support shared by integration tests: a local GitHub REST API and the real ecosystem tools.
#![allow(dead_code)]

pub(crate) mod act;
pub(crate) mod collector;
pub(crate) mod connect_proxy;
pub(crate) mod fault_server;
pub(crate) mod fetching;
pub(crate) mod github_api;
pub(crate) mod harness;
pub(crate) mod packages;
pub(crate) mod servers;
pub(crate) mod sigstore_forge;
pub(crate) mod smoke;
pub(crate) mod snap;
pub(crate) mod tools;
