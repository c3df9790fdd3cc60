use super::*;
use serde_json::json;

fn name_tag() -> ProductSpec {
    serde_json::from_value(json!({
        "name": "Name tag",
        "material": "PLA",
        "parameters": [
            {"name": "name", "type": "text", "label": "Name on tag", "required": true,
             "max_len": 12, "allowed": "A-Za-zÀ-ÿ '-"},
            {"name": "font_size", "type": "number", "default": 10, "min": 6, "max": 14, "step": 0.5},
            {"name": "style", "type": "choice", "choices": ["round", "square"], "default": "round"}
        ],
        "font": "DejaVu Sans:style=Bold"
    }))
    .unwrap()
}

fn values(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

#[test]
fn a_good_unit_gets_every_value_with_defaults_filled_in() {
    let spec = name_tag();
    spec.check().unwrap();
    let got = spec
        .unit_values(&values(json!({"name": "Zoë", "font_size": "12.5"})), None)
        .unwrap();
    assert_eq!(got["name"], ParamValue::Text("Zoë".into()));
    assert_eq!(got["font_size"], ParamValue::Number(12.5));
    assert_eq!(got["style"], ParamValue::Text("round".into()));
}

#[test]
fn each_bad_value_is_refused_naming_the_parameter_and_why() {
    let spec = name_tag();
    let glyphs = Charset::parse("20-7e a0-ff").unwrap();
    let cases = [
        (json!({}), "name", "required"),
        (
            json!({"name": "Al", "colour": "red"}),
            "colour",
            "no such parameter",
        ),
        (json!({"name": "Bartholomew F."}), "name", "longer than 12"),
        (json!({"name": "R2D2"}), "name", "'2' is not allowed"),
        (json!({"name": "Al\nBo"}), "name", "control character"),
        (json!({"name": 42}), "name", "must be text"),
        (
            json!({"name": "Al", "font_size": 30}),
            "font_size",
            "between",
        ),
        (
            json!({"name": "Al", "font_size": 10.25}),
            "font_size",
            "multiple of 0.5",
        ),
        (
            json!({"name": "Al", "font_size": "big"}),
            "font_size",
            "must be a number",
        ),
        (
            json!({"name": "Al", "style": "oval"}),
            "style",
            "not one of",
        ),
    ];
    for (given, name, words) in cases {
        let error = spec
            .unit_values(&values(given.clone()), Some(&glyphs))
            .unwrap_err();
        assert_eq!(error.name, name, "{given}");
        assert!(error.reason.contains(words), "{given}: {}", error.reason);
    }
}

#[test]
fn a_character_the_font_lacks_is_refused() {
    let mut spec = name_tag();
    spec.parameters[0].allowed = None;
    let glyphs = Charset::parse("20-7e a0-17f").unwrap();
    let error = spec
        .unit_values(&values(json!({"name": "Al中"})), Some(&glyphs))
        .unwrap_err();
    assert!(error.reason.contains("no glyph"), "{}", error.reason);
    assert!(spec
        .unit_values(&values(json!({"name": "Łukasz"})), Some(&glyphs))
        .is_ok());
}

#[test]
fn code_in_a_value_is_just_text() {
    let mut spec = name_tag();
    spec.parameters[0].allowed = None;
    spec.parameters[0].max_len = Some(64);
    let injection = "X\"; echo(\"INJECTED\"); x=\"";
    let got = spec
        .unit_values(&values(json!({ "name": injection })), None)
        .unwrap();
    assert_eq!(got["name"], ParamValue::Text(injection.into()));
}

#[test]
fn specs_with_bad_names_kinds_or_defaults_are_refused() {
    let bad = [
        json!({"name": "t", "parameters": [{"name": "1abc", "type": "text"}]}),
        json!({"name": "t", "parameters": [{"name": "module", "type": "text"}]}),
        json!({"name": "t", "parameters": [{"name": "$fn", "type": "number"}]}),
        json!({"name": "t", "parameters": [{"name": "a", "type": "text"}, {"name": "a", "type": "text"}]}),
        json!({"name": "t", "parameters": [{"name": "a", "type": "number", "min": 5, "max": 1}]}),
        json!({"name": "t", "parameters": [{"name": "a", "type": "choice"}]}),
        json!({"name": "t", "parameters": [{"name": "a", "type": "number", "max": 3, "default": 9}]}),
        json!({"name": " ", "parameters": []}),
    ];
    for spec in bad {
        let parsed: ProductSpec = serde_json::from_value(spec.clone()).unwrap();
        assert!(parsed.check().is_err(), "{spec}");
    }
}

#[test]
fn allowed_characters_read_as_ranges() {
    assert_eq!(allowed_ranges("a-c-"), [('a', 'c'), ('-', '-')]);
    assert_eq!(allowed_ranges("-x"), [('-', '-'), ('x', 'x')]);
}

#[test]
fn labels_find_their_parameter() {
    let spec = name_tag();
    assert_eq!(
        spec.parameter_by_label("name on tag")
            .map(|p| p.name.as_str()),
        Some("name")
    );
    assert_eq!(
        spec.parameter_by_label("font_size")
            .map(|p| p.name.as_str()),
        Some("font_size")
    );
    assert!(spec.parameter_by_label("Colour").is_none());
}
