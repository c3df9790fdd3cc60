//! `printfarm sim` (to be written).

/// Arguments of `printfarm sim`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("printfarm sim is not implemented yet")
}
