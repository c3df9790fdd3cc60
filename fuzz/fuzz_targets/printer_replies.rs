//! Whatever a printer sends back, the host's protocol state machine neither
//! panics nor loops: replies are parsed, the link reacts, bytes come out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use printfarm::protocol::{parse_reply, Link, LinkConfig};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    for line in data.split(|b| *b == b'\n') {
        let _ = parse_reply(line);
    }
    let mut link = Link::new(LinkConfig::default(), Duration::ZERO);
    for i in 0..20u64 {
        let _ = link.queue_command(&format!("G1 X{i}"), i + 1);
    }
    let mut now = Duration::ZERO;
    for chunk in data.chunks(17) {
        now += Duration::from_millis(3);
        link.receive(chunk, now);
        while link.poll_event().is_some() {}
        while link.poll_transmit(now).is_some() {}
        link.handle_deadline(now);
    }
});
