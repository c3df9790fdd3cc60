//! Slicer settings read before the main pass.
//!
//! PrusaSlicer and Slic3r write their configuration at the end of the file,
//! after the moves, yet the machine limits in it are needed from the first
//! move. For a seekable file the head and the tail are read first (a bounded
//! amount, whatever the file's size) and the settings that matter are kept.

use super::interp::{Flavor, Interpreter};
use super::limits::{apply_slicer_setting, first_number, MachineLimits};
use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};

/// Bytes read from the start of a file.
const HEAD: u64 = 64 * 1024;
/// Bytes read from the end of a file.
const TAIL: u64 = 256 * 1024;

/// Settings a slicer embedded in the file, by key.
#[derive(Debug, Clone, Default)]
pub struct SlicerSettings {
    values: HashMap<String, String>,
}

fn wanted(key: &str) -> bool {
    key.starts_with("machine_")
        || matches!(
            key,
            "gcode_flavor"
                | "FLAVOR"
                | "filament_diameter"
                | "use_firmware_retraction"
                | "retract_length"
                | "retract_speed"
                | "deretract_speed"
                | "retract_restart_extra"
        )
}

impl SlicerSettings {
    /// Reads the head and tail of a seekable stream, then rewinds it.
    pub fn read_from<R: Read + Seek>(file: &mut R) -> io::Result<Self> {
        let len = file.seek(SeekFrom::End(0))?;
        let mut settings = SlicerSettings::default();
        let mut buf = Vec::new();
        file.seek(SeekFrom::Start(0))?;
        file.by_ref().take(HEAD.min(len)).read_to_end(&mut buf)?;
        settings.scan(&buf);
        if len > HEAD {
            buf.clear();
            file.seek(SeekFrom::Start(len.saturating_sub(TAIL).max(HEAD)))?;
            file.by_ref().take(TAIL).read_to_end(&mut buf)?;
            settings.scan(&buf);
        }
        file.seek(SeekFrom::Start(0))?;
        Ok(settings)
    }

    /// Collects `; key = value` and `;KEY:value` comment lines from a chunk.
    pub fn scan(&mut self, bytes: &[u8]) {
        for raw in bytes.split(|b| *b == b'\n' || *b == b'\r') {
            let Some(rest) = raw.strip_prefix(b";") else {
                continue;
            };
            let Ok(text) = std::str::from_utf8(rest) else {
                continue;
            };
            let pair = text.split_once(" = ").or_else(|| text.split_once(':'));
            if let Some((k, v)) = pair {
                let key = k.trim();
                if wanted(key) {
                    self.values.insert(key.to_string(), v.trim().to_string());
                }
            }
        }
    }

    /// A setting's raw value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    fn number(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(first_number)
    }

    /// Seeds motion limits; true when the file had any.
    pub fn apply_limits(&self, limits: &mut MachineLimits) -> bool {
        let mut any = false;
        for (k, v) in &self.values {
            any |= apply_slicer_setting(limits, k, v);
        }
        if self.flavor() == Flavor::Marlin && self.get("gcode_flavor") != Some("marlin2") {
            // Legacy Marlin has no separate travel acceleration: M204 S drives both.
            limits.travel_acceleration = limits.acceleration;
        }
        any
    }

    /// The firmware dialect the file was written for.
    pub fn flavor(&self) -> Flavor {
        let rrf = self.get("gcode_flavor") == Some("reprapfirmware")
            || self.get("FLAVOR").is_some_and(|f| f.contains("RepRap"));
        if rrf {
            Flavor::RepRapFirmware
        } else {
            Flavor::Marlin
        }
    }

    /// Sets the dialect and firmware-retraction lengths on the interpreter.
    pub fn apply_interpreter(&self, interp: &mut Interpreter) {
        interp.flavor = self.flavor();
        if self.number("use_firmware_retraction") == Some(1.0) {
            let length = self.number("retract_length").unwrap_or(interp.fw_retract.0);
            let speed = self
                .number("retract_speed")
                .filter(|s| *s > 0.0)
                .unwrap_or(interp.fw_retract.1);
            let recover = self
                .number("deretract_speed")
                .filter(|s| *s > 0.0)
                .unwrap_or(speed);
            let extra = self.number("retract_restart_extra").unwrap_or(0.0);
            interp.fw_retract = (length, speed);
            interp.fw_recover = (extra, recover);
        }
    }

    /// The filament diameter, mm.
    pub fn filament_diameter(&self) -> Option<f64> {
        self.number("filament_diameter").filter(|d| *d > 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_settings_from_head_and_tail() {
        let mut text = String::from(";FLAVOR:Marlin\nG1 X1\n");
        text.push_str(&"G1 X2 Y2 E0.1\n".repeat(30_000));
        text.push_str("; machine_max_acceleration_x = 900,960\n; gcode_flavor = reprapfirmware\n");
        let mut cursor = io::Cursor::new(text.into_bytes());
        let s = SlicerSettings::read_from(&mut cursor).unwrap();
        assert_eq!(s.get("FLAVOR"), Some("Marlin"));
        assert_eq!(s.flavor(), Flavor::RepRapFirmware);
        let mut limits = MachineLimits::default();
        assert!(s.apply_limits(&mut limits));
        assert_eq!(limits.max_acceleration[0], 900.0);
        assert_eq!(cursor.position(), 0);
    }

    #[test]
    fn firmware_retraction_settings() {
        let mut s = SlicerSettings::default();
        s.scan(b"; use_firmware_retraction = 1\n; retract_length = 5\n; retract_speed = 40\n; deretract_speed = 0\n");
        let mut it = Interpreter::default();
        s.apply_interpreter(&mut it);
        assert_eq!(it.fw_retract, (5.0, 40.0));
        assert_eq!(it.fw_recover, (0.0, 40.0));
    }
}
