//! The virtual firmware takes any bytes on its serial input without
//! panicking, as a board must.
#![no_main]

use libfuzzer_sys::fuzz_target;
use printfarm::sim::{Firmware, FirmwareConfig, SimpleMotion};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let config = FirmwareConfig {
        speed: 1000.0,
        ..FirmwareConfig::default()
    };
    let Ok(mut firmware) = Firmware::new(config, SimpleMotion::default(), Duration::ZERO) else {
        return;
    };
    let mut now = Duration::ZERO;
    for chunk in data.chunks(13) {
        now += Duration::from_millis(5);
        firmware.receive(chunk, now);
        firmware.poll(now);
        let _ = firmware.take_output();
    }
});
