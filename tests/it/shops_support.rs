//! What the shop tests share: signed deliveries shaped like the platforms'
//! own, a fixed-file product with a "Name on tag" parameter, and a local
//! receiver of status callbacks that can be down.
#![allow(dead_code)]

use crate::farm_support::TestFarm;
use printfarm::shops::signature;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SECRET: &str = "whsec-7f3a9c";
pub const SHOPIFY_ORDER: &str = include_str!("../fixtures/shops/shopify-order.json");
pub const WOO_ORDER: &str = include_str!("../fixtures/shops/woocommerce-order.json");

/// The Shopify fixture with `field` set to `value`.
pub fn shopify_order(changes: &[(&str, Value)]) -> Value {
    let mut order: Value = serde_json::from_str(SHOPIFY_ORDER).expect("fixture");
    for (field, value) in changes {
        order[*field] = value.clone();
    }
    order
}

/// The WooCommerce fixture with `status`.
pub fn woo_order(status: &str) -> Value {
    let mut order: Value = serde_json::from_str(WOO_ORDER).expect("fixture");
    order["status"] = json!(status);
    order
}

/// Defines `sku` as the sample G-code with a required "Name on tag".
pub async fn define_tag_product(farm: &TestFarm, sku: &str) {
    let spec = json!({
        "name": "Key-ring name tag (fixed file)", "material": "PLA",
        "parameters": [{"name": "name", "type": "text", "label": "Name on tag",
                        "required": true, "max_len": 20}]
    });
    let gcode = std::fs::read(crate::farm_support::sample()).expect("sample");
    let form = reqwest::multipart::Form::new()
        .text("sku", sku.to_owned())
        .text("spec", spec.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(gcode).file_name("tag.gcode"),
        );
    let response = farm
        .client
        .post(farm.url("/api/products"))
        .header("X-Api-Key", &farm.key)
        .multipart(form)
        .send()
        .await
        .expect("define product");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "{status}: {body}");
}

/// Creates a shop connection.
pub async fn connect_shop(farm: &TestFarm, body: Value) {
    let (status, created) = farm.post("/api/shops", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created.get("secret").is_none(), "the secret is never shown");
}

/// One webhook delivery: the platform's headers, signed with `secret`.
pub struct Delivery<'a> {
    pub platform: &'a str,
    pub shop: &'a str,
    pub topic: &'a str,
    pub event_id: String,
    pub body: Vec<u8>,
    pub secret: &'a str,
}

impl Delivery<'_> {
    pub async fn send(&self, farm: &TestFarm) -> (StatusCode, Value) {
        let (signature_header, topic_header, id_header) = match self.platform {
            "shopify" => (
                "X-Shopify-Hmac-Sha256",
                "X-Shopify-Topic",
                "X-Shopify-Event-Id",
            ),
            _ => (
                "X-WC-Webhook-Signature",
                "X-WC-Webhook-Topic",
                "X-WC-Webhook-Delivery-ID",
            ),
        };
        let response = farm
            .client
            .post(farm.url(&format!("/webhooks/{}/{}", self.platform, self.shop)))
            .header("content-type", "application/json")
            .header(signature_header, signature::sign(self.secret, &self.body))
            .header(topic_header, self.topic)
            .header(id_header, &self.event_id)
            .body(self.body.clone())
            .send()
            .await
            .expect("webhook");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// A Shopify delivery of `order` on `topic`.
pub fn shopify<'a>(shop: &'a str, topic: &'a str, event_id: &str, order: &Value) -> Delivery<'a> {
    Delivery {
        platform: "shopify",
        shop,
        topic,
        event_id: event_id.to_owned(),
        body: order.to_string().into_bytes(),
        secret: SECRET,
    }
}

/// Polls `path` until `done` holds for its JSON.
pub async fn wait_for(
    farm: &TestFarm,
    path: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let value = farm.get(path).await;
        if done(&value) {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {value:#}\n{}",
            farm.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The one intake row of a shop.
pub async fn intake_of(farm: &TestFarm, shop: &str, what: &str, state: &str) -> Value {
    let path = format!("/api/intake?shop={shop}");
    let rows = wait_for(farm, &path, what, |v| v[0]["state"] == state).await;
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows:#}");
    rows[0].clone()
}

/// A callback as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub idempotency_key: String,
    pub signature: String,
    pub body: Vec<u8>,
    pub json: Value,
}

/// A local HTTP server standing in for a shop's callback receiver, on a
/// port chosen now and listened on only once it is `start`ed.
pub struct Receiver {
    pub address: SocketAddr,
    pub seen: Arc<Mutex<Vec<Received>>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    /// Picks a port; nothing listens on it yet (connections are refused).
    pub fn down() -> Receiver {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        let address = probe.local_addr().expect("address");
        drop(probe);
        Receiver {
            address,
            seen: Arc::default(),
            server: None,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/printfarm/status", self.address)
    }

    /// Starts answering 200 and recording what arrives.
    pub async fn start(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.address)
            .await
            .expect("bind receiver");
        let seen = Arc::clone(&self.seen);
        let app = axum::Router::new().route(
            "/printfarm/status",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let seen = Arc::clone(&seen);
                    async move {
                        let header = |n: &str| {
                            headers
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned()
                        };
                        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        seen.lock().expect("receiver").push(Received {
                            idempotency_key: header("idempotency-key"),
                            signature: header("x-printfarm-hmac-sha256"),
                            body: body.to_vec(),
                            json,
                        });
                        "ok"
                    }
                },
            ),
        );
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    pub fn received(&self) -> Vec<Received> {
        self.seen.lock().expect("receiver").clone()
    }

    /// Waits until a callback with `status` has arrived.
    pub async fn wait_status(&self, status: &str) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let seen = self.received();
            if seen.iter().any(|r| r.json["status"] == status) {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "no {status:?} callback; saw {seen:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
