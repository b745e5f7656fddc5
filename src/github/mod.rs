//! What GitHub tells a step about its run: the event, the ref, the sha, the repository.

pub mod context;

pub use context::{Context, RefKind};
