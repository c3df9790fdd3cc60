//! What printfarm hands OpenSCAD and reads back. Pure.
//!
//! Customer values never become OpenSCAD source: they travel in a
//! customizer parameter file (`-p params.json -P unit`), as data. The only
//! source printfarm writes is a wrapper that `include`s the template and
//! echoes, under a marker with a per-render nonce, what OpenSCAD actually
//! applied, built from the spec's parameter names (checked identifiers),
//! never from values. Texts are echoed as Unicode code points, because
//! OpenSCAD 2021 echoes strings unescaped.

use super::spec::ParamValue;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The parameter set's name in the file.
pub const SET: &str = "unit";
/// The file name the template is saved as in a render's directory.
pub const TEMPLATE_FILE: &str = "template.scad";

/// The customizer parameter file for `values` (numbers as strings, which
/// OpenSCAD reads into numeric variables).
pub fn parameter_file(values: &BTreeMap<String, ParamValue>) -> Value {
    let set: Map<String, Value> = values
        .iter()
        .map(|(name, value)| {
            let text = match value {
                ParamValue::Text(s) => s.clone(),
                ParamValue::Number(n) => n.to_string(),
            };
            (name.clone(), Value::String(text))
        })
        .collect();
    json!({ "parameterSets": { SET: set }, "fileFormatVersion": "1" })
}

/// The marker of one render's echo line.
fn marker(nonce: &str) -> String {
    format!("PRINTFARM_APPLIED_{nonce}")
}

/// The wrapper source: the template, then one echo of every parameter.
/// `names` are checked identifiers; `texts` says which are texts.
pub fn wrapper(names: &[(String, bool)], nonce: &str) -> String {
    let echoes: Vec<String> = names
        .iter()
        .map(|(name, text)| {
            if *text {
                format!("{name} = [for (c = str({name})) ord(c)]")
            } else {
                format!("{name} = {name}")
            }
        })
        .collect();
    let mut source = format!("include <{TEMPLATE_FILE}>\n");
    source.push_str(&format!("echo(\"{}\"", marker(nonce)));
    for echo in echoes {
        source.push_str(", ");
        source.push_str(&echo);
    }
    source.push_str(");\n");
    source
}

/// A value as OpenSCAD echoed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// A list of code points (a text).
    Text(String),
    /// A number (six significant digits).
    Number(f64),
    /// Anything else (`undef`, …).
    Other(String),
}

/// Reads the applied values from OpenSCAD's stderr: the line of this
/// render's marker. `names` in the order of [`wrapper`].
pub fn applied(
    stderr: &str,
    names: &[(String, bool)],
    nonce: &str,
) -> Result<BTreeMap<String, Applied>, String> {
    let prefix = format!("ECHO: \"{}\"", marker(nonce));
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&prefix))
        .ok_or_else(|| "OpenSCAD did not report the values it applied".to_owned())?;
    let mut rest = &line[prefix.len()..];
    let mut out = BTreeMap::new();
    for (name, _) in names {
        let head = format!(", {name} = ");
        rest = rest
            .strip_prefix(head.as_str())
            .ok_or_else(|| format!("no value echoed for {name}"))?;
        let (value, tail) = if let Some(list) = rest.strip_prefix('[') {
            let end = list
                .find(']')
                .ok_or_else(|| format!("unreadable value of {name}"))?;
            (Applied::Text(code_points(&list[..end])?), &list[end + 1..])
        } else {
            let end = rest.find(", ").unwrap_or(rest.len());
            let token = &rest[..end];
            let value = token
                .parse::<f64>()
                .map_or_else(|_| Applied::Other(token.to_owned()), Applied::Number);
            (value, &rest[end..])
        };
        out.insert(name.clone(), value);
        rest = tail;
    }
    Ok(out)
}

fn code_points(list: &str) -> Result<String, String> {
    list.split(", ")
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim()
                .parse::<u32>()
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("not a code point: {s}"))
        })
        .collect()
}

/// `Ok` when OpenSCAD applied exactly what was asked; otherwise the first
/// parameter that differs, with both values.
pub fn same_as_asked(
    asked: &BTreeMap<String, ParamValue>,
    applied: &BTreeMap<String, Applied>,
) -> Result<(), String> {
    for (name, want) in asked {
        let got = applied.get(name);
        let same = match (want, got) {
            (ParamValue::Text(w), Some(Applied::Text(g))) => w == g,
            (ParamValue::Number(w), Some(Applied::Number(g))) => {
                (w - g).abs() <= 1e-5 * w.abs().max(1.0)
            }
            _ => false,
        };
        if !same {
            return Err(format!(
                "OpenSCAD applied {name} = {got:?} instead of {want:?}; the template was not rendered with this unit's values"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked() -> BTreeMap<String, ParamValue> {
        BTreeMap::from([
            ("font_size".to_owned(), ParamValue::Number(12.5)),
            (
                "name".to_owned(),
                ParamValue::Text("X\"; echo(\"INJECTED\"); x=\"".into()),
            ),
        ])
    }

    fn names() -> Vec<(String, bool)> {
        vec![("font_size".into(), false), ("name".into(), true)]
    }

    #[test]
    fn values_travel_as_data_and_the_wrapper_holds_only_names() {
        let file = parameter_file(&asked());
        assert_eq!(file["parameterSets"]["unit"]["font_size"], "12.5");
        assert_eq!(
            file["parameterSets"]["unit"]["name"],
            "X\"; echo(\"INJECTED\"); x=\""
        );
        let source = wrapper(&names(), "n0nce");
        assert_eq!(
            source,
            "include <template.scad>\necho(\"PRINTFARM_APPLIED_n0nce\", font_size = font_size, name = [for (c = str(name)) ord(c)]);\n"
        );
        assert!(!source.contains("INJECTED"));
    }

    #[test]
    fn the_applied_values_are_read_back_and_compared() {
        let injection: Vec<String> = "X\"; echo(\"INJECTED\"); x=\""
            .chars()
            .map(|c| (c as u32).to_string())
            .collect();
        let stderr = format!(
            "ECHO: \"PRINTFARM_APPLIED_other\", font_size = 1, name = [65]\n\
             ECHO: \"PRINTFARM_APPLIED_n0nce\", font_size = 12.5, name = [{}]\nGeometries in cache: 12\n",
            injection.join(", ")
        );
        let got = applied(&stderr, &names(), "n0nce").unwrap();
        assert_eq!(
            got["name"],
            Applied::Text("X\"; echo(\"INJECTED\"); x=\"".into())
        );
        assert_eq!(same_as_asked(&asked(), &got), Ok(()));
        // The defaults instead of the unit's values is a failure, not a render.
        let defaults = "ECHO: \"PRINTFARM_APPLIED_n0nce\", font_size = 10, name = [65, 108]\n";
        let got = applied(defaults, &names(), "n0nce").unwrap();
        assert!(same_as_asked(&asked(), &got)
            .unwrap_err()
            .contains("font_size"));
        assert!(applied("no echo at all", &names(), "n0nce").is_err());
    }
}
