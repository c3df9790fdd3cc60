//! Uploads over real HTTP: analysis, violations per printer, size limit,
//! missing field, files without G-code, deduplication.

use crate::api_support::{corpus_nametag, square_gcode, start};
use reqwest::StatusCode;

#[tokio::test]
async fn corpus_file_is_analysed_and_checked_per_printer() {
    let api = start().await;
    let (status, body) = api.upload_as("operator", "file", corpus_nametag()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["id"].is_string());
    assert_eq!(body["sha256"].as_str().unwrap().len(), 64);
    assert!(body["analysis"]["estimated_time_s"].as_f64().unwrap() > 0.0);
    assert!(body["analysis"]["extrusion_extents"]["max"].is_array());
    let by_printer = body["violations_by_printer"].as_object().unwrap();
    assert_eq!(by_printer.len(), 4, "{by_printer:?}");
    for mk3s in ["mk3s-1", "mk3s-2", "mk3s-petg"] {
        assert_eq!(by_printer[mk3s], serde_json::json!([]), "{mk3s}");
    }
    // The MK3S purge line runs at Y = -3, outside big-1's bed.
    let big = &by_printer["big-1"][0];
    assert_eq!(big["kind"], "out_of_bounds");
    assert!(big["reason"].as_str().unwrap().contains("Y = -3"), "{big}");
    assert!(body.get("path").is_none(), "the server path must not leak");
    let stored = std::fs::read_dir(api.data_dir.join("files"))
        .unwrap()
        .count();
    assert_eq!(stored, 1);

    let id = body["id"].as_str().unwrap();
    let (status, _) = api.get("shop", &format!("/api/files/{id}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a shop sees only its own uploads"
    );
    let (status, fetched) = api.get("technician", &format!("/api/files/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["sha256"], body["sha256"]);
    assert_eq!(
        fetched["violations_by_printer"],
        body["violations_by_printer"]
    );
}

#[tokio::test]
async fn the_same_content_twice_is_stored_once() {
    let api = start().await;
    let first = api.upload(&square_gcode(60.0)).await;
    let second = api.upload(&square_gcode(60.0)).await;
    assert_eq!(first, second);
    assert_eq!(
        std::fs::read_dir(api.data_dir.join("files"))
            .unwrap()
            .count(),
        1
    );
}

#[tokio::test]
async fn extrusion_beyond_the_beds_is_reported_for_every_printer() {
    let api = start().await;
    let gcode = square_gcode(400.0).into_bytes();
    let (status, body) = api.upload_as("operator", "file", gcode).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for (printer, violations) in body["violations_by_printer"].as_object().unwrap() {
        let first = &violations[0];
        assert_eq!(first["kind"], "out_of_bounds", "{printer}: {violations}");
        assert!(first["line"].as_u64().unwrap() > 0);
    }
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_with_413_naming_the_limit() {
    let api = start().await;
    let line = "G1 X10 Y10 E1 ; padding padding padding padding padding\n";
    let big = line.repeat(2 * 1024 * 1024 / line.len());
    let (status, body) = api.upload_as("operator", "file", big.into_bytes()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"].as_str().unwrap().contains("1 MiB"), "{body}");
    assert_eq!(body["field"], "file");
    // Refused on its declared length: nothing was read, nothing written.
    let leftovers = std::fs::read_dir(api.data_dir.join("uploads")).map_or(0, |d| d.count());
    assert_eq!(leftovers, 0, "no partial upload is left");
}

#[tokio::test]
async fn bad_uploads_name_the_field() {
    let api = start().await;
    let cases: [(&str, Vec<u8>, StatusCode); 3] = [
        (
            "document",
            square_gcode(60.0).into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "file",
            b"just some words\nno commands here\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("file", Vec::new(), StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (field, content, expected) in cases {
        let (status, body) = api.upload_as("operator", field, content).await;
        assert_eq!(status, expected, "{field}: {body}");
        assert_eq!(body["field"], "file", "{body}");
    }
    let (status, body) = api.get("operator", "/api/files/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["field"], "id");
}
