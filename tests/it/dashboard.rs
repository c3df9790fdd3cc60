//! The dashboard in a real browser: headless Chromium driven over WebDriver
//! (chromedriver, `fantoccini`) against `printfarm serve` with simulated
//! printers. Skipped where Chromium is not installed.

use crate::farm_support::{sample, state, TestFarm, TestPrinter};
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const LONG: Duration = Duration::from_secs(90);

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver {
        child,
        port,
        _profile: tempfile::tempdir().expect("profile dir"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = format!("http://127.0.0.1:{port}/status");
    while Instant::now() < deadline {
        if let Ok(response) = reqwest::get(&status).await {
            if response.status().is_success() {
                return driver;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

async fn browser(driver: &Driver) -> Client {
    let profile = driver._profile.path().display();
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1400",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([format!("--user-data-dir={profile}")])
    .collect::<Vec<_>>();
    let mut caps = Capabilities::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": CHROMIUM, "args": args }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

/// Polls `script` (which returns a boolean) until it is true.
async fn wait_for(client: &Client, what: &str, script: &str, farm: &TestFarm) {
    wait_within(client, what, script, farm, LONG).await
}

/// [`wait_for`] with its own limit.
async fn wait_within(client: &Client, what: &str, script: &str, farm: &TestFarm, limit: Duration) {
    let started = Instant::now();
    let deadline = started + limit;
    loop {
        let value = client.execute(script, vec![]).await.unwrap_or(Value::Null);
        if value == Value::Bool(true) {
            eprintln!("{what}: {:.1} s", started.elapsed().as_secs_f64());
            return;
        }
        if Instant::now() > deadline {
            let html = client.source().await.unwrap_or_default();
            panic!(
                "timed out waiting for {what}\npage:\n{html}\nlog:\n{}",
                farm.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots dir");
    dir
}

async fn screenshot(client: &Client, name: &str, width: u32) {
    client.set_window_size(width, 1400).await.expect("resize");
    let png = client.screenshot().await.expect("screenshot");
    let path = screenshots_dir().join(format!("{name}-{width}.png"));
    std::fs::write(&path, png).expect("write screenshot");
}

async fn sign_in(client: &Client, farm: &TestFarm, key: &str) {
    client.goto(&farm.url("/")).await.expect("open /");
    let field = client
        .wait()
        .for_element(Locator::Css("#key"))
        .await
        .expect("sign-in form");
    field.send_keys(key).await.expect("type key");
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .expect("button")
        .click()
        .await
        .expect("sign in");
}

fn create_key(farm: &TestFarm, role: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_printfarm"))
        .args(["keys", "create", "--role", role, "--config"])
        .arg(farm.dir.path().join("printers.toml"))
        .output()
        .expect("keys create");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().last().unwrap_or_default().trim().to_owned()
}

/// Places an order of `names.len()` units of the sample under `key`.
async fn place_order(farm: &TestFarm, key: &str, external: &str, names: &[&str]) -> String {
    place_order_with(farm, key, external, names, json!({})).await
}

/// As [`place_order`], with more fields of the order (`due_at`) and of its
/// item (`item`: `colour`).
async fn place_order_with(
    farm: &TestFarm,
    key: &str,
    external: &str,
    names: &[&str],
    extra: Value,
) -> String {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(sample()).expect("sample"))
            .file_name("tag.gcode"),
    );
    let client = &farm.client;
    let file: Value = client
        .post(farm.url("/api/files"))
        .header("X-Api-Key", key)
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let units: Vec<Value> = names.iter().map(|n| json!({ "name": n })).collect();
    let mut item =
        json!({ "file_id": file["id"], "quantity": names.len(), "personalisation": units });
    for (name, value) in extra["item"].as_object().cloned().unwrap_or_default() {
        item[name] = value;
    }
    let mut order = json!({ "external_id": external, "customer_ref": "web", "items": [item] });
    if let Some(due) = extra.get("due_at") {
        order["due_at"] = due.clone();
    }
    let response = client
        .post(farm.url("/api/orders"))
        .header("X-Api-Key", key)
        .json(&order)
        .send()
        .await
        .expect("order");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["order"]["id"]
        .as_str()
        .or(body["id"].as_str())
        .expect("order id")
        .to_owned()
}

async fn sign_out(client: &Client) {
    client
        .find(Locator::Css("#signout"))
        .await
        .expect("sign out")
        .click()
        .await
        .expect("click");
    client
        .wait()
        .for_element(Locator::Css("#key"))
        .await
        .expect("signed out");
}

async fn click(client: &Client, locator: Locator<'_>) {
    client
        .find(locator)
        .await
        .expect("the element")
        .click()
        .await
        .expect("click");
}

/// Waits until the farm's API says `printer` is idle.
async fn wait_idle(farm: &TestFarm, printer: &str) {
    let deadline = Instant::now() + LONG;
    loop {
        let states = farm.printer_states().await;
        if states.iter().any(|(n, s)| n == printer && s == "idle") {
            return;
        }
        assert!(Instant::now() < deadline, "{printer} not idle: {states:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A technician: a finished print is a bed-clear task, and its Done button
/// clears the bed; a material change recorded on the printer's card shows
/// there, and a refused one says why in the form.
async fn technician_works_tasks(client: &Client, farm: &TestFarm, order: &str) {
    farm.wait_jobs("the order printed", LONG, |jobs| {
        let units: Vec<_> = jobs.iter().filter(|j| j["order_id"] == order).collect();
        units.len() == 2 && units.iter().all(|j| state(j) == "completed")
    })
    .await;
    // Each completed print leaves its bed full until cleared; one was.
    let states = farm.printer_states().await;
    let full = states
        .iter()
        .find(|(_, s)| s == "awaiting_clear")
        .map(|(n, _)| n.clone())
        .unwrap_or_else(|| panic!("a bed to clear: {states:?}"));
    let technician = create_key(farm, "technician");
    sign_out(client).await;
    sign_in(client, farm, &technician).await;
    client
        .wait()
        .for_element(Locator::Css("#tiles"))
        .await
        .expect("the farm page");
    click(
        client,
        Locator::XPath("//nav//a[normalize-space()='Tasks']"),
    )
    .await;
    let row = format!("#tasks tr[data-kind=\"bed_clear\"][data-printer=\"{full}\"]");
    wait_for(
        client,
        "the bed-clear task",
        &format!(
            "const row = document.querySelector('{row}'); \
             return row !== null && row.cells[4].textContent === 'now' \
             && row.querySelector('.waited').textContent.length > 0;"
        ),
        farm,
    )
    .await;
    screenshot(client, "tasks", 1280).await;
    screenshot(client, "tasks", 360).await;
    client.set_window_size(1280, 1400).await.expect("resize");
    click(client, Locator::Css(&format!("{row} button.done"))).await;
    wait_idle(farm, &full).await;
    wait_for(
        client,
        "the task to go",
        &format!("return document.querySelector('{row}') === null;"),
        farm,
    )
    .await;

    // A material change through the card's form; a blank one is refused
    // with the API's message naming the field.
    click(client, Locator::XPath("//nav//a[normalize-space()='Farm']")).await;
    // By now the browser has opened more pages than it may hold connections
    // to one host (six): each page must let its event stream go, or this one
    // waits for a slot (it once took a minute).
    let tile = format!(".tile[data-printer=\"{full}\"]");
    wait_within(
        client,
        "the farm page",
        &format!("return document.querySelector('#tiles[data-loaded] {tile}') !== null;"),
        farm,
        Duration::from_secs(20),
    )
    .await;
    click(
        client,
        Locator::Css(&format!("{tile} details.change summary")),
    )
    .await;
    let field = |name: &str| format!("{tile} input[name={name}]");
    let material = client
        .find(Locator::Css(&field("material")))
        .await
        .expect("material");
    material.send_keys("   ").await.expect("type");
    let record = format!("{tile} form.load button[type=submit]");
    click(client, Locator::Css(&record)).await;
    wait_for(
        client,
        "the refusal",
        &format!(
            "const e = document.querySelector('{tile} .form-error'); \
             return e.textContent.startsWith('material: ') \
             && document.querySelector('{tile} input[name=material]').getAttribute('aria-invalid') === 'true';"
        ),
        farm,
    )
    .await;
    material.clear().await.expect("clear");
    material.send_keys("PETG").await.expect("type");
    let colour = client
        .find(Locator::Css(&field("colour")))
        .await
        .expect("colour");
    colour.send_keys("orange").await.expect("type");
    click(client, Locator::Css(&record)).await;
    wait_for(
        client,
        "the new load on the card",
        &format!(
            "return document.querySelector('{tile} .loaded').textContent === 'PETG · orange' \
             && document.querySelector('{tile} .form-error').textContent === '';"
        ),
        farm,
    )
    .await;
    let printers = farm.get("/api/printers").await;
    let view = printers
        .as_array()
        .and_then(|list| list.iter().find(|p| p["name"] == full.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(view["loaded"][0]["material"], "PETG", "{view}");
    assert_eq!(view["loaded"][0]["colour"], "orange", "{view}");
    let nav: Value = client
        .execute(
            "return [...document.querySelectorAll('nav a')].map(a => a.textContent);",
            vec![],
        )
        .await
        .expect("navigation");
    assert!(!nav.to_string().contains("Orders"), "{nav}");
}

/// The browser's console messages at level SEVERE (chromedriver's log).
async fn console_errors(client: &Client, driver: &Driver) -> Vec<String> {
    let Ok(Some(session)) = client.session_id().await else {
        return vec!["no session id".into()];
    };
    let url = format!("http://127.0.0.1:{}/session/{session}/se/log", driver.port);
    let answer: Value = reqwest::Client::new()
        .post(url)
        .json(&json!({ "type": "browser" }))
        .send()
        .await
        .expect("browser log")
        .json()
        .await
        .expect("json");
    answer["value"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|entry| entry["level"] == "SEVERE")
        .map(|entry| entry["message"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_a_real_browser() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        println!(
            "SKIPPED dashboard_in_a_real_browser: no Chromium \
             (apt-get install -y chromium chromium-driver; .ci/run installs them)"
        );
        return;
    }
    // The only white printer is unplugged: an order in white waits.
    let spare = TestPrinter {
        unplugged: true,
        colour: "white",
        ..TestPrinter::pla("spare")
    };
    let farm = TestFarm::start(&[TestPrinter::pla("p1"), TestPrinter::pla("p2"), spare]).await;
    let shop_key = create_key(&farm, "shop");
    let driver = start_driver().await;
    let client = browser(&driver).await;

    // Sign in: the demo printers show, each with its state in words.
    sign_in(&client, &farm, &farm.key).await;
    let tiles_loaded = "return document.querySelector('#tiles[data-loaded]') !== null \
        && document.querySelectorAll('.tile .state').length === 3 \
        && !document.body.textContent.includes('loading…');";
    wait_for(&client, "the printers", tiles_loaded, &farm).await;
    let names: Value = client
        .execute(
            "return [...document.querySelectorAll('.tile h2')].map(h => h.textContent);",
            vec![],
        )
        .await
        .expect("names");
    for name in ["p1", "p2", "spare"] {
        assert!(names.to_string().contains(name), "{names}");
    }
    wait_for(
        &client,
        "the offline printer first",
        "return document.querySelector('.tile').dataset.printer === 'spare' \
         && document.querySelector('.tile .state').textContent.includes('Offline');",
        &farm,
    )
    .await;
    client
        .execute("window.__notReloaded = true; return true;", vec![])
        .await
        .expect("mark the page");

    // An order placed through the API prints live, without a reload.
    let order = place_order(&farm, &farm.key, "web-1", &["Ada", "Grace"]).await;
    wait_for(
        &client,
        "a job on a tile",
        "return window.__notReloaded === true && [...document.querySelectorAll('.tile .personal')] \
         .some(p => p.textContent.includes('Ada') || p.textContent.includes('Grace'));",
        &farm,
    )
    .await;
    wait_for(
        &client,
        "a printer awaiting a bed clear, first",
        "return window.__notReloaded === true && \
         document.querySelector('.tile').dataset.state === 'awaiting_clear';",
        &farm,
    )
    .await;
    screenshot(&client, "farm", 1280).await;
    screenshot(&client, "farm", 360).await;
    client.set_window_size(1280, 1400).await.expect("resize");

    // "Bed is clear" on the first tile returns that printer to idle.
    let first: Value = client
        .execute(
            "return document.querySelector('.tile').dataset.printer;",
            vec![],
        )
        .await
        .expect("first tile");
    let printer = first.as_str().expect("name").to_owned();
    let button = client
        .find(Locator::XPath(
            "(//article[contains(@class,'tile')])[1]//button[normalize-space()='Bed is clear']",
        ))
        .await
        .expect("the Bed is clear button");
    button.click().await.expect("click");
    wait_idle(&farm, &printer).await;
    wait_for(
        &client,
        "the tile to say idle",
        &format!(
            "return document.querySelector('.tile[data-printer=\"{printer}\"]').dataset.state === 'idle';"
        ),
        &farm,
    )
    .await;

    // The other pages render; the operator sees the order.
    client.goto(&farm.url("/orders")).await.expect("orders");
    wait_for(
        &client,
        "the order",
        &format!("return document.querySelector('[data-order=\"{order}\"]') !== null;"),
        &farm,
    )
    .await;
    screenshot(&client, "orders", 1280).await;
    client.set_window_size(1280, 1400).await.expect("resize");
    client.goto(&farm.url("/queue")).await.expect("queue");
    wait_for(
        &client,
        "the queue",
        "return document.querySelector('#queue tbody tr') !== null;",
        &farm,
    )
    .await;
    client
        .goto(&farm.url("/throughput"))
        .await
        .expect("throughput");
    wait_for(
        &client,
        "the OEE table",
        "return document.querySelector('#oee tbody tr') !== null \
         && document.querySelectorAll('.timeline svg').length === 3;",
        &farm,
    )
    .await;
    screenshot(&client, "throughput", 1280).await;
    screenshot(&client, "throughput", 360).await;
    client.set_window_size(1280, 1400).await.expect("resize");

    technician_works_tasks(&client, &farm, &order).await;

    // Sign out; a shop signs in and sees only its own orders. Its order,
    // in white, waits past its due time: late and at risk, flagged.
    let due = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
        - 3_600_000;
    let white = json!({ "due_at": due, "item": { "colour": "white" } });
    let shop_order = place_order_with(&farm, &shop_key, "shop-7", &["Linus"], white).await;
    sign_out(&client).await;
    sign_in(&client, &farm, &shop_key).await;
    let card = format!("[data-order=\"{shop_order}\"]");
    wait_for(
        &client,
        "the shop's order, flagged",
        &format!(
            "const card = document.querySelector('{card}'); \
             return card !== null && card.dataset.atRisk === 'true' \
             && card.querySelector('.badge.late') !== null \
             && /estimated|no estimate yet/.test(card.querySelector('.meta').textContent);"
        ),
        &farm,
    )
    .await;
    let seen: Value = client
        .execute(
            "return [...document.querySelectorAll('[data-order]')].map(o => o.dataset.order) \
             .concat([...document.querySelectorAll('nav a')].map(a => a.textContent));",
            vec![],
        )
        .await
        .expect("orders seen");
    assert!(!seen.to_string().contains(&order), "{seen}");
    assert!(
        !seen.to_string().contains("Farm"),
        "no farm page for a shop: {seen}"
    );
    screenshot(&client, "shop-orders", 360).await;

    // Chromium logs every refused request; the one blank material the
    // test sent on purpose is expected, nothing else.
    let errors: Vec<String> = console_errors(&client, &driver)
        .await
        .into_iter()
        .filter(|e| !(e.contains("/material - ") && e.contains("status of 422")))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    client.close().await.expect("close the browser");
}
