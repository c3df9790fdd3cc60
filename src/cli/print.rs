//! `printfarm print` (to be written).

/// Arguments of `printfarm print`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("printfarm print is not implemented yet")
}
