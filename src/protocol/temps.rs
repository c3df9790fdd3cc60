//! Temperature reports in the forms Marlin, Prusa, Klipper, Smoothie and
//! Repetier send them, e.g. `T:21.3 /0.0 B:20.1 /0.0 @:0 B@:0`.

use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::space0;
use nom::combinator::opt;
use nom::sequence::preceded;
use nom::{IResult, Parser};
use serde::Serialize;

/// One sensor of a temperature report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemperatureReading {
    /// Sensor name as the firmware spells it: `T`, `T0`, `T1`, `B`, `C`, `P`, `A`.
    pub sensor: String,
    /// Measured temperature, °C.
    pub actual: f64,
    /// Target temperature, °C, when the firmware reports one.
    pub target: Option<f64>,
}

/// All sensors of one temperature report, in the order they were sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Temperatures {
    /// The readings.
    pub readings: Vec<TemperatureReading>,
}

impl Temperatures {
    /// The reading of a sensor by exact name (`"B"`, `"T0"`, …).
    pub fn get(&self, sensor: &str) -> Option<&TemperatureReading> {
        self.readings.iter().find(|r| r.sensor == sensor)
    }

    /// The active hotend: `T`, or `T0` when the firmware only names tools.
    pub fn hotend(&self) -> Option<&TemperatureReading> {
        self.get("T").or_else(|| self.get("T0"))
    }

    /// The heated bed.
    pub fn bed(&self) -> Option<&TemperatureReading> {
        self.get("B")
    }
}

/// Sensor names that carry temperatures (not `@` powers, `E` indices or `W` waits).
fn sensor_name(i: &str) -> IResult<&str, &str> {
    let (rest, name) = take_while1(|c: char| c.is_ascii_alphanumeric()).parse(i)?;
    let known = match name.as_bytes() {
        [b'T', digits @ ..] => digits.iter().all(u8::is_ascii_digit),
        [b'B' | b'C' | b'P' | b'A'] => true,
        _ => false,
    };
    if known {
        Ok((rest, name))
    } else {
        Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )))
    }
}

/// A decimal number, reusing the G-code number grammar.
fn decimal(i: &str) -> IResult<&str, f64> {
    match crate::gcode::parser::number(i.as_bytes()) {
        Ok((rest, value)) => Ok((&i[i.len() - rest.len()..], value)),
        Err(_) => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Float,
        ))),
    }
}

/// `T0:210.0 /210.0`, `T:21.30/ 0.00`, `B:20.1`.
fn reading(i: &str) -> IResult<&str, TemperatureReading> {
    let (rest, (sensor, _, _, actual)) = (sensor_name, tag(":"), space0, decimal).parse(i)?;
    let (rest, target) = opt(preceded((space0, tag("/"), space0), decimal)).parse(rest)?;
    let reading = TemperatureReading {
        sensor: sensor.to_owned(),
        actual,
        target,
    };
    Ok((rest, reading))
}

/// Skips one whitespace-separated token that is not a reading (`@:0`, `W:?`).
fn other_token(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| !c.is_whitespace()).parse(i)
}

/// Reads a temperature report; `None` unless it starts with a reading.
pub fn parse_temperatures(text: &str) -> Option<Temperatures> {
    let (mut rest, _) = space0::<&str, nom::error::Error<&str>>(text).ok()?;
    let mut temps = Temperatures::default();
    while !rest.is_empty() {
        if let Ok((r, reading)) = reading(rest) {
            temps.readings.push(reading);
            rest = r;
        } else if temps.readings.is_empty() {
            return None;
        } else if let Ok((r, _)) = other_token(rest) {
            rest = r;
        }
        let (r, _) = take_while::<_, &str, nom::error::Error<&str>>(char::is_whitespace)
            .parse(rest)
            .ok()?;
        rest = r;
    }
    (!temps.readings.is_empty()).then_some(temps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, f64, Option<f64>)> {
        parse_temperatures(text)
            .map(|t| {
                t.readings
                    .into_iter()
                    .map(|r| (r.sensor, r.actual, r.target))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn reads_every_firmware_family() {
        type Expected<'a> = &'a [(&'a str, f64, Option<f64>)];
        let table: &[(&str, Expected)] = &[
            (
                "T:21.3 /0.0 B:20.1 /0.0 @:0 B@:0",
                &[("T", 21.3, Some(0.0)), ("B", 20.1, Some(0.0))],
            ),
            (
                "T0:200.0 /200.0 T1:180.5 /0.0 B:60.0 /60.0",
                &[
                    ("T0", 200.0, Some(200.0)),
                    ("T1", 180.5, Some(0.0)),
                    ("B", 60.0, Some(60.0)),
                ],
            ),
            ("T:21.30/ 0.00", &[("T", 21.3, Some(0.0))]),
            (
                "T:210.0 /210.0 B:60.0 /60.0 T0:210.0 /210.0 @:50 B@:0",
                &[
                    ("T", 210.0, Some(210.0)),
                    ("B", 60.0, Some(60.0)),
                    ("T0", 210.0, Some(210.0)),
                ],
            ),
            (
                "T:21.3 /0.0 B:20.1 /0.0 T0:21.3 /0.0 @:0 B@:0 P:23.4 A:26.1",
                &[
                    ("T", 21.3, Some(0.0)),
                    ("B", 20.1, Some(0.0)),
                    ("T0", 21.3, Some(0.0)),
                    ("P", 23.4, None),
                    ("A", 26.1, None),
                ],
            ),
            (
                "B:20.0 /0.0 T0:21.0 /0.0",
                &[("B", 20.0, Some(0.0)), ("T0", 21.0, Some(0.0))],
            ),
            (
                "T:21.3 /0.0 @0 B:20.1 /0.0 @0",
                &[("T", 21.3, Some(0.0)), ("B", 20.1, Some(0.0))],
            ),
            (" T:25.00 /200.00 E:0 W:?", &[("T", 25.0, Some(200.0))]),
        ];
        for (text, want) in table {
            let want: Vec<_> = want
                .iter()
                .map(|(s, a, t)| (s.to_string(), *a, *t))
                .collect();
            assert_eq!(pairs(text), want, "{text}");
        }
    }

    #[test]
    fn rejects_lines_that_are_not_reports() {
        for text in ["", "N23 P15 B3", "echo:T:1", "@:0", "Error:T:1"] {
            assert!(parse_temperatures(text).is_none(), "{text}");
        }
    }

    #[test]
    fn names_hotend_and_bed() {
        let t = parse_temperatures("B:60.0 /60.0 T0:200.0 /210.0").unwrap();
        assert_eq!(t.hotend().map(|r| r.actual), Some(200.0));
        assert_eq!(t.bed().and_then(|r| r.target), Some(60.0));
    }
}
