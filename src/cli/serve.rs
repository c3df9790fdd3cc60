//! `printfarm serve`: printers, scheduler and web API in one process.

use super::logging::LogFormat;
use crate::api;
use crate::config::Config;
use crate::farm::Service;
use crate::store::Store;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `printfarm serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Printer configuration.
    #[arg(long, default_value = "printers.toml")]
    pub config: PathBuf,
    /// Database URL (`sqlite://…` or `postgres://…`); defaults to the config's.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Address to listen on; defaults to the config's (127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// This host's name in a farm of several hosts sharing one PostgreSQL
    /// database (overrides `[farm] node`); it drives the printers whose
    /// `node` is this name, or unset.
    #[arg(long)]
    pub node: Option<String>,
    /// Log lines as text (coloured only on a terminal) or JSON.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Runs the farm until Ctrl-C or SIGTERM.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    super::logging::init(args.log_format);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let mut config =
        Config::load(&args.config).with_context(|| format!("loading {}", args.config.display()))?;
    if let Some(url) = args.database_url {
        config.farm.database_url = url;
    }
    if let Some(listen) = args.listen {
        config.farm.listen = listen;
    }
    if let Some(node) = args.node {
        let node =
            crate::config::node_name(&node).map_err(|why| anyhow::anyhow!("--node: {why}"))?;
        config.farm.node = Some(node);
    }
    if config.farm.node.is_some() && !config.farm.database_url.starts_with("postgres") {
        anyhow::bail!(
            "several nodes need PostgreSQL: the database is {}; give every node the same \
             postgres://… database_url, or run one printfarm without a node name",
            config.farm.database_url
        );
    }
    let data_dir = config.farm.data_dir.clone();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    super::keys::create_database_dir(&config.farm.database_url)?;
    let store = Store::connect(&config.farm.database_url)
        .await
        .with_context(|| format!("opening the database {}", config.farm.database_url))?
        .with_requeue_limit(config.farm.requeue_limit);
    let service = Service::start(&config, store).await?;
    let listener = tokio::net::TcpListener::bind(config.farm.listen)
        .await
        .with_context(|| format!("listening on {}", config.farm.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(
        "printfarm serving on http://{address} with {} printer(s)",
        config.printers.len()
    );
    println!(
        "printfarm: API on http://{address}; printers: {}",
        names(&config)
    );
    let served = api::serve(listener, service.state.clone(), shutdown_signal()).await;
    tracing::info!("shutting down: no new jobs, printers left safe");
    service.shutdown().await;
    served
}

fn names(config: &Config) -> String {
    config
        .printers
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
