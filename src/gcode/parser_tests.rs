use super::*;
use crate::gcode::line::{Checksum, Code, Value};

fn parse(s: &str) -> (Line<'_>, Vec<ParseIssue>) {
    let mut issues = Vec::new();
    let line = parse_line(s.as_bytes(), &mut issues);
    (line, issues)
}

fn num(line: &Line<'_>, letter: u8) -> Option<f64> {
    line.get(letter)
}

#[test]
fn reads_a_plain_move() {
    let (l, issues) = parse("G1 X10 Y20.5 E-.04 F+1800");
    assert!(issues.is_empty());
    assert_eq!(l.code, Some(Code::new(b'G', 1)));
    assert_eq!(num(&l, b'X'), Some(10.0));
    assert_eq!(num(&l, b'Y'), Some(20.5));
    assert_eq!(num(&l, b'E'), Some(-0.04));
    assert_eq!(num(&l, b'F'), Some(1800.0));
}

#[test]
fn number_forms() {
    let cases = [
        (".35", 0.35),
        ("-.04", -0.04),
        ("+1", 1.0),
        ("0.250", 0.25),
        ("7.", 7.0),
        ("-0", 0.0),
    ];
    for (text, want) in cases {
        let (rest, got) = number(text.as_bytes()).unwrap();
        assert!(rest.is_empty(), "{text}");
        assert_eq!(got, want, "{text}");
    }
    assert!(number(b"-").is_err());
    assert!(number(b".").is_err());
    assert!(number(b"+-1").is_err());
}

#[test]
fn letters_are_case_insensitive_and_words_need_no_spaces() {
    let (l, issues) = parse("g1x10Y20e1.5");
    assert!(issues.is_empty());
    assert_eq!(l.code, Some(Code::new(b'G', 1)));
    assert_eq!(num(&l, b'X'), Some(10.0));
    assert_eq!(num(&l, b'Y'), Some(20.0));
    assert_eq!(num(&l, b'E'), Some(1.5));
}

#[test]
fn flags_without_values() {
    let (l, issues) = parse("M84 X Y E");
    assert!(issues.is_empty());
    let letters: Vec<u8> = l.words().iter().map(|w| w.letter).collect();
    assert_eq!(letters, b"XYE");
    assert!(l.words().iter().all(|w| w.value == Value::Flag));
    let (l, _) = parse("G28 W");
    assert_eq!(l.word(b'W').map(|w| w.value), Some(Value::Flag));
}

#[test]
fn dotted_codes_and_quoted_strings() {
    let (l, issues) = parse("M862.3 P \"MK3S\" ; printer model check");
    assert!(issues.is_empty());
    assert_eq!(
        l.code,
        Some(Code {
            letter: b'M',
            number: 862,
            sub: Some(3)
        })
    );
    assert_eq!(l.word(b'P').map(|w| w.value), Some(Value::Text(b"MK3S")));
    assert_eq!(l.comment, Some(&b"printer model check"[..]));
    let (l, _) = parse("M862.1 P0.4");
    assert_eq!(l.code.map(|c| c.sub), Some(Some(1)));
    assert_eq!(num(&l, b'P'), Some(0.4));
}

#[test]
fn version_numbers_are_text() {
    let (l, issues) = parse("M115 U3.11.0 ; tell printer latest fw version");
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(l.word(b'U').map(|w| w.value), Some(Value::Text(b"3.11.0")));
}

#[test]
fn free_text_arguments() {
    for (src, want) in [
        ("M117 Hello World 42", "Hello World 42"),
        ("M118 E1 X:10", "E1 X:10"),
        ("M23 /sd/part one.gco", "/sd/part one.gco"),
        ("M28 file.g", "file.g"),
        ("M32 P !/sub/file.g#", "P !/sub/file.g#"),
    ] {
        let (l, issues) = parse(src);
        assert!(issues.is_empty(), "{src}");
        assert_eq!(l.text, Some(want.as_bytes()), "{src}");
        assert!(l.words().is_empty(), "{src}");
    }
    let (l, _) = parse("M117 Printing ; 10%");
    assert_eq!(l.text, Some(&b"Printing"[..]));
    assert_eq!(l.comment, Some(&b"10%"[..]));
}

#[test]
fn comments_of_both_kinds() {
    let (l, issues) = parse("G1 X1 (first move) Y2");
    assert!(issues.is_empty());
    assert_eq!(l.comment, Some(&b"first move"[..]));
    assert_eq!(num(&l, b'Y'), Some(2.0));
    let (l, _) = parse(";LAYER_CHANGE");
    assert!(l.is_empty());
    assert_eq!(l.comment, Some(&b"LAYER_CHANGE"[..]));
    let (_, issues) = parse("G1 X1 (never closed");
    assert_eq!(issues[0].kind, IssueKind::UnclosedComment);
}

#[test]
fn line_numbers_and_checksums() {
    let body = "N10 G1 X5";
    let cs = crate::gcode::checksum(body.as_bytes());
    let good = format!("{body}*{cs}");
    let (l, issues) = parse(&good);
    assert!(issues.is_empty());
    assert_eq!(l.number, Some(10));
    assert_eq!(l.checksum, Some(Checksum::Valid(cs)));
    assert_eq!(num(&l, b'X'), Some(5.0));
    let bad = format!("{body}*{}", u32::from(cs) + 1);
    let (l, issues) = parse(&bad);
    assert!(matches!(l.checksum, Some(Checksum::Invalid { .. })));
    assert_eq!(issues[0].column, 10);
    assert!(matches!(issues[0].kind, IssueKind::ChecksumMismatch { .. }));
}

#[test]
fn marlin_protocol_example_checksum() {
    // From the RepRap wiki: "N123 M104 S200" has checksum ... computed as XOR.
    let body = b"N0 M110 N0";
    let text = format!(
        "{}*{}",
        std::str::from_utf8(body).unwrap(),
        crate::gcode::checksum(body)
    );
    let (l, issues) = parse(&text);
    assert!(issues.is_empty());
    assert_eq!(l.code, Some(Code::new(b'M', 110)));
    assert_eq!(l.number, Some(0));
}

#[test]
fn tabs_blank_and_odd_bytes() {
    let (l, issues) = parse("\tG1\tX1\t");
    assert!(issues.is_empty());
    assert_eq!(num(&l, b'X'), Some(1.0));
    let (l, issues) = parse("");
    assert!(l.is_empty() && issues.is_empty());
    let mut issues = Vec::new();
    let l = parse_line(b"G1 X1 \xff\xfe Y2", &mut issues);
    assert_eq!(num(&l, b'Y'), Some(2.0));
    assert_eq!(issues[0].column, 7);
    assert_eq!(issues[0].kind, IssueKind::UnexpectedByte(0xff));
}

#[test]
fn bad_number_is_reported_with_column() {
    let (l, issues) = parse("G1 X- Y3");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].kind, IssueKind::BadNumber);
    assert_eq!(issues[0].column, 5);
    assert_eq!(num(&l, b'Y'), Some(3.0));
}

#[test]
fn tool_change_is_a_code_but_t_parameter_is_a_word() {
    let (l, _) = parse("T1");
    assert_eq!(l.code, Some(Code::new(b'T', 1)));
    let (l, _) = parse("M104 T1 S200");
    assert_eq!(l.code, Some(Code::new(b'M', 104)));
    assert_eq!(num(&l, b'T'), Some(1.0));
}

#[test]
fn too_many_words_are_reported() {
    let long = format!(
        "G1 {}",
        (0..20)
            .map(|i| format!("X{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (l, issues) = parse(&long);
    assert_eq!(l.words().len(), crate::gcode::line::MAX_WORDS);
    assert_eq!(
        issues
            .iter()
            .filter(|i| i.kind == IssueKind::TooManyWords)
            .count(),
        1
    );
}

#[test]
fn printed_form_reparses_to_the_same_line() {
    for src in [
        "N3 G1 X1.5 Y-2 E.3 F1200 ; move",
        "M862.3 P \"MK3S\"",
        "M117 Hi there",
        "G28 W",
        "; just a comment",
        "n.0",
    ] {
        let (a, _) = parse(src);
        let printed = a.to_string();
        let (b, issues) = parse(&printed);
        assert!(issues.is_empty(), "{printed}");
        assert_eq!(a, b, "{src} -> {printed}");
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut issues = Vec::new();
            let line = parse_line(&bytes, &mut issues);
            let _ = line.to_string();
            for i in &issues {
                prop_assert!(i.column as usize <= bytes.len() + 1);
            }
        }

        #[test]
        fn numbers_match_the_standard_parser(
            text in "[-+]?([0-9]{1,18}(\\.[0-9]{0,18})?|[0-9]{0,18}\\.[0-9]{1,18})",
        ) {
            let want: f64 = text.parse().unwrap();
            let (rest, got) = number(text.as_bytes()).unwrap();
            prop_assert!(rest.is_empty(), "{}", text);
            prop_assert_eq!(got.to_bits(), want.to_bits(), "{}", text);
        }

        #[test]
        fn gcode_like_text_reparses_stably(src in "[GMT]?[0-9]{0,3}( ?[A-Za-z][-+]?[0-9]{0,4}(\\.[0-9]{0,3})?){0,6}( ;[ -~]{0,20})?") {
            let mut issues = Vec::new();
            let a = parse_line(src.as_bytes(), &mut issues);
            let clean = issues.is_empty();
            let printed = a.to_string();
            let b = parse_line(printed.as_bytes(), &mut issues);
            let reprinted = b.to_string();
            // Printing is a fixpoint after one round, whatever the input.
            prop_assert_eq!(&printed, &reprinted);
            // A line read without issues means the same once printed.
            if clean {
                prop_assert_eq!(&a, &b);
            }
        }
    }
}
