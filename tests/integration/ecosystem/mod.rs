//! One module per ecosystem, each holding that ecosystem's smoke-install, fetch and publish-check
//! tests and its fixtures: a fifth ecosystem copies one file. Tests of a mode's own behaviour
//! (inputs, mixed ecosystems, transport faults) stay in the mode's module.

pub(crate) mod cargo;
pub(crate) mod go;
pub(crate) mod npm;
pub(crate) mod pypi;
