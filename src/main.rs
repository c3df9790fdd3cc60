//! The `printfarm` binary: parses the command line and dispatches.

use clap::{Parser, Subcommand};
use printfarm::cli;
use std::process::ExitCode;

/// printfarm: run a farm of 3D printers from one process.
#[derive(Debug, Parser)]
#[command(name = "printfarm", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse G-code files: print time, filament, extents, checks.
    Analyze(cli::analyze::Args),
    /// Stream one G-code file to one printer.
    Print(cli::print::Args),
    /// Run virtual Marlin printers on pseudo-terminals.
    Sim(cli::sim::Args),
    /// Run the farm: printers, scheduler and web API.
    Serve(cli::serve::Args),
    /// Manage API keys.
    Keys(cli::keys::Args),
    /// Render one unit of a template product here, and check the result.
    Render(cli::render::Args),
    /// Measure the serial link against virtual printers.
    Bench(cli::bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(a) => cli::analyze::run(a),
        Command::Print(a) => cli::print::run(a),
        Command::Sim(a) => cli::sim::run(a),
        Command::Serve(a) => cli::serve::run(a),
        Command::Keys(a) => cli::keys::run(a),
        Command::Render(a) => cli::render::run(a),
        Command::Bench(a) => cli::bench::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("printfarm: {e:#}");
            ExitCode::FAILURE
        }
    }
}
