//! `printfarm keys create`: makes an API key and prints it once.

use crate::config::Config;
use crate::store::{Role, Store};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `printfarm keys`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Create a key and print it (it is shown only once).
    Create(CreateArgs),
}

/// Arguments of `printfarm keys create`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Role of the key: operator, technician or shop.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// Human label, e.g. the shop's name.
    #[arg(long, default_value = "")]
    label: String,
    /// Database URL; defaults to the config's `database_url`.
    #[arg(long, env = "PRINTFARM_DATABASE_URL")]
    database_url: Option<String>,
    /// The farm configuration.
    #[arg(long, default_value = "printers.toml")]
    config: PathBuf,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text)
        .ok_or_else(|| format!("unknown role {text:?}: use operator, technician or shop"))
}

/// The SQLite file a `sqlite:` URL names, if any.
fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| Path::new(path))
}

/// The database URL to use, creating the directories it needs.
fn database_url(args: &CreateArgs) -> anyhow::Result<String> {
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => {
            let config = Config::load(&args.config)?;
            let data_dir = &config.farm.data_dir;
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("creating {}", data_dir.display()))?;
            config.farm.database_url
        }
    };
    create_database_dir(&url)?;
    Ok(url)
}

/// Creates the folder of a SQLite database file (SQLite creates the file,
/// not its folder).
pub(crate) fn create_database_dir(url: &str) -> anyhow::Result<()> {
    if let Some(parent) = sqlite_path(url).and_then(Path::parent) {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
    }
    Ok(())
}

async fn create(args: CreateArgs) -> anyhow::Result<()> {
    let url = database_url(&args)?;
    let store = Store::connect(&url).await.context("opening the database")?;
    let (record, key) = store
        .create_api_key(args.role, &args.label)
        .await
        .context("creating the key")?;
    store.close().await;
    eprintln!(
        "created {} key {} ({:?}); it is shown only once:",
        record.role, record.id, record.label
    );
    println!("{key}");
    Ok(())
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    match args.command {
        KeysCommand::Create(create_args) => runtime.block_on(create(create_args))?,
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;
    use std::path::Path;

    #[test]
    fn finds_the_sqlite_file_in_a_url() {
        let cases = [
            (
                "sqlite://data/printfarm.db?mode=rwc",
                Some("data/printfarm.db"),
            ),
            ("sqlite:/tmp/x.db", Some("/tmp/x.db")),
            ("sqlite::memory:", None),
            ("postgres://u@h/db", None),
        ];
        for (url, path) in cases {
            assert_eq!(sqlite_path(url), path.map(Path::new), "{url}");
        }
    }
}
