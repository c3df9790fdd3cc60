//! A product's description (`spec`) and the checks of a unit's values
//! against it. Pure: the font's glyphs come in as a [`Charset`].

use super::font::Charset;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// Words OpenSCAD reserves; no parameter may be named so.
const RESERVED: &[&str] = &[
    "module",
    "function",
    "include",
    "use",
    "if",
    "else",
    "for",
    "let",
    "each",
    "true",
    "false",
    "undef",
    "assert",
    "echo",
    "intersection_for",
    "import",
    "children",
];
/// Longest text value when a parameter sets no `max_len`.
pub const DEFAULT_MAX_LEN: usize = 256;

/// What an operator says of a product (the `spec` of `POST /api/products`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSpec {
    /// Name shown to people.
    pub name: String,
    /// Material its units are printed in.
    pub material: Option<String>,
    /// Colour its units are printed in.
    pub colour: Option<String>,
    /// Printer tags its units require.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What a customer chooses, for a template product.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// The fontconfig pattern of the font the template writes text in;
    /// text values are checked against its glyphs.
    pub font: Option<String>,
    /// Seconds one unit's render may take (default 120).
    pub render_timeout_s: Option<u64>,
}

/// The kind of a parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterKind {
    /// A string.
    Text,
    /// A number.
    Number,
    /// One of a list.
    Choice,
}

/// One value a customer chooses: an OpenSCAD variable of the template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// The OpenSCAD variable.
    pub name: String,
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: ParameterKind,
    /// What a shop's form calls it ("Name on tag").
    pub label: Option<String>,
    /// True when a unit must give it.
    #[serde(default)]
    pub required: bool,
    /// Used when a unit does not give it.
    pub default: Option<Value>,
    /// Text: most characters.
    pub max_len: Option<usize>,
    /// Text: the characters allowed, as characters and ranges (`A-Za-z '-`).
    pub allowed: Option<String>,
    /// Number: smallest.
    pub min: Option<f64>,
    /// Number: largest.
    pub max: Option<f64>,
    /// Number: the grid values must sit on (from `min`, or 0).
    pub step: Option<f64>,
    /// Choice: the values allowed.
    pub choices: Option<Vec<Value>>,
}

/// A value checked against its parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A string.
    Text(String),
    /// A number.
    Number(f64),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Text(s) => f.write_str(s),
            ParamValue::Number(n) => write!(f, "{n}"),
        }
    }
}

/// Why a value (or a spec) is refused: the parameter and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct Refusal {
    /// The parameter (or spec field) at fault.
    pub name: String,
    /// Why.
    pub reason: String,
}

fn refuse(name: &str, reason: impl Into<String>) -> Refusal {
    Refusal {
        name: name.to_owned(),
        reason: reason.into(),
    }
}

/// True for a name OpenSCAD takes as a plain variable.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && !RESERVED.contains(&name)
}

/// Ranges of characters written as `A-Za-z0-9 '-` (a `-` first or last is itself).
pub fn allowed_ranges(text: &str) -> Vec<(char, char)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' {
            out.push((chars[i], chars[i + 2]));
            i += 3;
        } else {
            out.push((chars[i], chars[i]));
            i += 1;
        }
    }
    out
}

impl ProductSpec {
    /// Checks the spec itself: identifiers, kinds, limits, defaults.
    pub fn check(&self) -> Result<(), Refusal> {
        if self.name.trim().is_empty() || self.name.chars().count() > 256 {
            return Err(refuse("name", "must be 1 to 256 characters"));
        }
        let mut seen = Vec::new();
        for p in &self.parameters {
            if !is_identifier(&p.name) {
                let why = "must be an OpenSCAD variable name: letters, digits, _ (not a keyword)";
                return Err(refuse(&p.name, why));
            }
            if seen.contains(&p.name) {
                return Err(refuse(&p.name, "is listed twice"));
            }
            seen.push(p.name.clone());
            p.check()?;
        }
        Ok(())
    }

    /// The parameter a shop's form label names (`Name on tag`), or the one
    /// with this name.
    pub fn parameter_by_label(&self, label: &str) -> Option<&Parameter> {
        let wanted = label.trim();
        self.parameters
            .iter()
            .find(|p| {
                p.label
                    .as_deref()
                    .is_some_and(|l| l.trim().eq_ignore_ascii_case(wanted))
            })
            .or_else(|| self.parameters.iter().find(|p| p.name == wanted))
    }

    /// Every parameter at its default (a product's validation render).
    pub fn default_values(&self) -> Result<BTreeMap<String, ParamValue>, Refusal> {
        let mut out = BTreeMap::new();
        for p in &self.parameters {
            let default = p
                .default
                .as_ref()
                .ok_or_else(|| refuse(&p.name, "needs a default"))?;
            out.insert(p.name.clone(), p.value(default, None)?);
        }
        Ok(out)
    }

    /// Checks one unit's values; returns every parameter's value (given or
    /// default), in name order. `glyphs` is the template font's charset.
    pub fn unit_values(
        &self,
        given: &Map<String, Value>,
        glyphs: Option<&Charset>,
    ) -> Result<BTreeMap<String, ParamValue>, Refusal> {
        if let Some(unknown) = given
            .keys()
            .find(|k| !self.parameters.iter().any(|p| &p.name == *k))
        {
            return Err(refuse(unknown, "this product has no such parameter"));
        }
        let mut out = BTreeMap::new();
        for p in &self.parameters {
            let value = match (given.get(&p.name), &p.default) {
                (Some(v), _) => v,
                (None, _) if p.required => return Err(refuse(&p.name, "is required")),
                (None, Some(default)) => default,
                (None, None) => continue,
            };
            out.insert(p.name.clone(), p.value(value, glyphs)?);
        }
        Ok(out)
    }
}

impl Parameter {
    fn check(&self) -> Result<(), Refusal> {
        let name = &self.name;
        match self.kind {
            ParameterKind::Number => {
                let (min, max) = (self.min.unwrap_or(f64::MIN), self.max.unwrap_or(f64::MAX));
                let ordered = min.partial_cmp(&max).is_some_and(|o| o.is_le());
                if !ordered || self.step.is_some_and(|s| !(s > 0.0 && s.is_finite())) {
                    return Err(refuse(name, "needs min <= max and a positive step"));
                }
            }
            ParameterKind::Choice => {
                if self.choices.as_ref().is_none_or(Vec::is_empty) {
                    return Err(refuse(name, "a choice needs `choices`"));
                }
            }
            ParameterKind::Text => {
                if self.max_len == Some(0) {
                    return Err(refuse(name, "max_len must be at least 1"));
                }
            }
        }
        if let Some(default) = &self.default {
            self.value(default, None)
                .map_err(|e| refuse(name, format!("default: {}", e.reason)))?;
        }
        Ok(())
    }

    /// Checks one value.
    pub fn value(&self, value: &Value, glyphs: Option<&Charset>) -> Result<ParamValue, Refusal> {
        match self.kind {
            ParameterKind::Text => self.text(value, glyphs).map(ParamValue::Text),
            ParameterKind::Number => self.number(value).map(ParamValue::Number),
            ParameterKind::Choice => {
                let choices = self.choices.as_deref().unwrap_or_default();
                let matches =
                    |c: &Value| c == value || c.as_str().is_some_and(|s| Some(s) == value.as_str());
                match choices.iter().find(|c| matches(c)) {
                    Some(Value::Number(n)) => Ok(ParamValue::Number(n.as_f64().unwrap_or(0.0))),
                    Some(Value::String(s)) => Ok(ParamValue::Text(s.clone())),
                    Some(other) => Ok(ParamValue::Text(other.to_string())),
                    None => Err(refuse(&self.name, "is not one of the choices")),
                }
            }
        }
    }

    fn text(&self, value: &Value, glyphs: Option<&Charset>) -> Result<String, Refusal> {
        let text = value
            .as_str()
            .ok_or_else(|| refuse(&self.name, "must be text"))?;
        let max = self.max_len.unwrap_or(DEFAULT_MAX_LEN);
        if text.chars().count() > max {
            return Err(refuse(&self.name, format!("longer than {max} characters")));
        }
        let allowed = self.allowed.as_deref().map(allowed_ranges);
        for c in text.chars() {
            if c.is_control() {
                let why = format!("control character U+{:04X} is not allowed", c as u32);
                return Err(refuse(&self.name, why));
            }
            if let Some(ranges) = &allowed {
                if !ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) {
                    return Err(refuse(
                        &self.name,
                        format!("the character {c:?} is not allowed"),
                    ));
                }
            }
            if glyphs.is_some_and(|g| !g.contains(c) && c != ' ') {
                let why = format!("the font has no glyph for {c:?} (U+{:04X})", c as u32);
                return Err(refuse(&self.name, why));
            }
        }
        Ok(text.to_owned())
    }

    fn number(&self, value: &Value) -> Result<f64, Refusal> {
        let n = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|n| n.is_finite())
        .ok_or_else(|| refuse(&self.name, "must be a number"))?;
        if self.min.is_some_and(|min| n < min) || self.max.is_some_and(|max| n > max) {
            let range = format!(
                "must be between {} and {}",
                self.min.map_or("-inf".into(), |m| m.to_string()),
                self.max.map_or("inf".into(), |m| m.to_string())
            );
            return Err(refuse(&self.name, range));
        }
        if let Some(step) = self.step {
            let steps = (n - self.min.unwrap_or(0.0)) / step;
            if (steps - steps.round()).abs() > 1e-6 {
                return Err(refuse(&self.name, format!("must be a multiple of {step}")));
            }
        }
        // OpenSCAD prints numbers with six significant digits: a value it
        // cannot echo back exactly could not be checked after the render.
        let printed: f64 = format!("{n:.5e}").parse().unwrap_or(n);
        if (printed - n).abs() > n.abs() * 1e-9 {
            return Err(refuse(&self.name, "has more than six significant digits"));
        }
        Ok(n)
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
