//! Dashboard sessions over real HTTP: a key exchanged for an `HttpOnly`,
//! `SameSite=Strict` cookie that the JSON API accepts under the same role
//! checks; cookie-signed changes need `X-Requested-With`; sign-out ends the
//! session. And the OEE figures in `/api/stats` and `/metrics`.

use crate::api_support::start;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{redirect, StatusCode};
use serde_json::json;

/// Signs in with `key`; returns the `Cookie` header value to send.
async fn sign_in(base: &str, key: &str) -> (StatusCode, Option<String>, Option<String>) {
    let client = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(format!("{base}/session"))
        .form(&[("key", key)])
        .send()
        .await
        .unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (cookie, location) = (header(SET_COOKIE), header(LOCATION));
    (response.status(), cookie, location)
}

#[tokio::test]
async fn api_sessions_sign_in_use_the_api_and_sign_out() {
    let api = start().await;
    let (status, cookie, _) = sign_in(&api.base, "not a key").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(cookie.is_none());

    let (status, cookie, location) = sign_in(&api.base, api.key("technician")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/"));
    let set = cookie.expect("a session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(
        !set.contains(api.key("technician")),
        "the key is not the cookie"
    );
    let cookie = set.split(';').next().unwrap().to_owned();

    // The same endpoints and role checks as a key.
    let get = |path: &str| {
        api.client
            .get(format!("{}{path}", api.base))
            .header(COOKIE, &cookie)
    };
    assert_eq!(
        get("/api/printers").send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        get("/api/orders").send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let page = get("/").send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("data-page=\"farm\"") && page.contains("/assets/app.js"),
        "{page}"
    );
    assert!(
        !page.contains("href=\"/orders\""),
        "no orders for a technician"
    );
    // The farm page shows what each printer has loaded, with a form to
    // record a change; the tasks page is in a technician's navigation.
    assert!(page.contains("href=\"/tasks\""), "{page}");
    assert!(
        page.contains("<span class=\"loaded\">PETG · orange</span>")
            && page.contains("data-printer=\"mk3s-petg\"")
            && page.contains("name=\"material\"")
            && page.contains("name=\"colour\""),
        "{page}"
    );
    let tasks = get("/tasks").send().await.unwrap().text().await.unwrap();
    assert!(
        tasks.contains("data-page=\"tasks\"")
            && tasks.contains("<table id=\"tasks\" data-timezone=\"")
            && tasks.contains("aria-current=\"page\">Tasks</a>"),
        "{tasks}"
    );

    // A change signed only by the cookie needs the CSRF header.
    let hold = format!("{}/api/printers/nope/pause", api.base);
    let bare = api
        .client
        .post(&hold)
        .header(COOKIE, &cookie)
        .json(&json!({}));
    assert_eq!(bare.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let marked = api
        .client
        .post(&hold)
        .header(COOKIE, &cookie)
        .header("X-Requested-With", "printfarm");
    assert_eq!(marked.send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // A sign-in form posted from another site is refused.
    let foreign = api
        .client
        .post(format!("{}/session", api.base))
        .header("Origin", "https://elsewhere.example")
        .form(&[("key", api.key("operator"))])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);

    // Sign-out ends the session.
    let end = api
        .client
        .post(format!("{}/session/end", api.base))
        .header(COOKIE, &cookie)
        .header("X-Requested-With", "printfarm");
    assert_eq!(end.send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get("/api/printers").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let page = get("/").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"key\""), "the sign-in page again");

    // A shop has no tasks: the page sends it to its orders.
    let (_, shop, _) = sign_in(&api.base, api.key("shop")).await;
    let shop = shop.expect("a shop session");
    let shop = shop.split(';').next().unwrap();
    let page = api
        .client
        .get(format!("{}/tasks", api.base))
        .header(COOKIE, shop)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-page=\"orders\"") && !page.contains("href=\"/tasks\""),
        "{page}"
    );
    api.stop().await;
}

#[tokio::test]
async fn api_stats_and_metrics_carry_oee() {
    let api = start().await;
    let (status, stats) = api.get("operator", "/api/stats?window=1h").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert!(stats["jobs_completed"].is_i64(), "old fields stay: {stats}");
    let farm = &stats["oee"]["farm"];
    for field in ["availability", "oee"] {
        assert!(farm[field].is_f64(), "{field}: {stats}");
    }
    assert!(farm["losses"]["no_work_h"].is_f64(), "{stats}");
    assert!(
        stats["oee"]["printers"]
            .as_object()
            .is_some_and(|p| !p.is_empty()),
        "{stats}"
    );
    let metrics = api
        .client
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("printfarm_farm_oee{factor=\"oee\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("printfarm_printer_oee{"), "{metrics}");
    api.stop().await;
}
