//! All integration tests in one binary: one link of the crate instead of one per file.

mod api_support;
#[path = "support/corpus.rs"]
mod corpus;
mod farm_support;
mod scheduler_support;
mod shops_support;
mod store_support;
#[path = "printer_support/virtual_printer.rs"]
mod virtual_printer;

mod api_auth;
mod api_farm;
mod api_files;
mod api_jobs;
mod api_keys_cli;
mod api_orders;
mod api_sessions;
mod cli_analyze;
mod config_load;
mod dashboard;
mod farm_e2e;
mod farm_faults;
mod farm_maintenance;
mod farm_time;
mod farmsim_props;
mod gcode_corpus;
mod gcode_snapshots;
mod hardening;
mod link_flow_model;
mod link_planned_motion;
mod link_sim_firmware;
mod multinode;
mod octoprint_compat;
mod openapi;
mod printer_cli;
mod printer_driver;
mod printer_scripts;
mod printer_stream;
mod products_render;
mod queue_feed;
mod scheduler_decide;
mod scheduler_props;
mod scheduler_refusals;
mod shops_intake;
mod sim_pty;
mod store_attempts;
mod store_basics;
mod store_blobs;
mod store_maintenance;
mod store_nodes;
mod store_shops;
