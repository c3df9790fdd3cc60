//! `printfarm keys create` run as a process against a real SQLite file.

use printfarm::store::{Role, Store};
use std::process::Command;

fn keys_create(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_printfarm"))
        .args(["keys", "create"])
        .args(args)
        .current_dir(dir)
        .env_remove("PRINTFARM_DATABASE_URL")
        .output()
        .unwrap()
}

#[tokio::test]
async fn creates_a_key_that_the_store_recognises() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/dir/farm.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let output = keys_create(
        &[
            "--role",
            "shop",
            "--label",
            "Etsy shop",
            "--database-url",
            &url,
        ],
        dir.path(),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert_eq!(key.len(), 64);
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    let store = Store::connect(&url).await.unwrap();
    let record = store.lookup_api_key(&key).await.unwrap().unwrap();
    assert_eq!(
        (record.role, record.label.as_str()),
        (Role::Shop, "Etsy shop")
    );
}

#[tokio::test]
async fn uses_the_configs_database_and_creates_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let toml = "[farm]\ndata_dir = \"state\"\ndatabase_url = \"sqlite://state/farm.db?mode=rwc\"\n";
    std::fs::write(dir.path().join("farm.toml"), toml).unwrap();
    let output = keys_create(&["--role", "operator", "--config", "farm.toml"], dir.path());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("state/farm.db").exists());
    let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let store = Store::open_sqlite(&dir.path().join("state/farm.db"))
        .await
        .unwrap();
    assert_eq!(
        store.lookup_api_key(&key).await.unwrap().unwrap().role,
        Role::Operator
    );
}

#[test]
fn an_unknown_role_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = keys_create(
        &["--role", "admin", "--database-url", "sqlite::memory:"],
        dir.path(),
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("admin"));
}
