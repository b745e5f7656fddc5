//! What GitHub tells a step about its run: the event, the ref, the sha, the repository; and the
//! REST API for what the checkout does not have.

pub mod api;
pub mod context;

pub use context::{Context, RefKind};
