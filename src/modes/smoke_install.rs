//! The smoke-install mode.

use crate::error::Result;
use crate::modes::OutputSpec;
use crate::runner::Runner;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {}

pub const OUTPUTS: &[OutputSpec] = &[];

pub fn run(_args: Args, _runner: &mut Runner) -> Result<()> {
    Err(super::not_built("smoke-install"))
}
