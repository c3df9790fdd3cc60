//! `printfarm serve` (to be written).

/// Arguments of `printfarm serve`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("printfarm serve is not implemented yet")
}
