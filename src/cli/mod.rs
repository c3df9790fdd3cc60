//! Command-line front ends: one module per subcommand, each with its clap
//! arguments and a `run` function. `main.rs` only dispatches.

pub mod analyze;
mod analyze_table;
pub mod bench;
pub mod keys;
pub mod logging;
pub mod print;
pub mod render;
pub mod serve;
pub mod sim;
