//! printfarm: a print-farm scheduler.
//!
//! See `ARCHITECTURE.md` for the codemap. In short: [`gcode`] reads and
//! analyses files, [`protocol`] is the sans-IO host side of the Marlin serial
//! protocol, [`printer`] drives one serial port per tokio task, [`sim`] is the
//! virtual printer on a pseudo-terminal, [`scheduler`] decides which job runs
//! where, [`store`] keeps everything in SQL, [`api`] serves HTTP, and
//! [`config`] reads `printers.toml`.

pub mod api;
pub mod cli;
pub mod config;
pub mod domain;
pub mod farm;
pub mod farmsim;
pub mod files;
pub mod gcode;
pub mod metrics;
pub mod printer;
pub mod protocol;
pub mod render;
pub mod scheduler;
pub mod shops;
pub mod sim;
pub mod store;
pub mod web;
