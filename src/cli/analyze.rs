//! `printfarm analyze` (to be written).

/// Arguments of `printfarm analyze`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("printfarm analyze is not implemented yet")
}
