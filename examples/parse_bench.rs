//! Parses every line of a file (for profiling): `cargo run --release --example parse_bench FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("file");
    let bytes = std::fs::read(&path).expect("read");
    let t = std::time::Instant::now();
    let mut words = 0usize;
    let mut issues = Vec::new();
    printfarm::gcode::LineReader::new(&bytes[..])
        .for_each_line(|l| {
            issues.clear();
            words += printfarm::gcode::parse_line(l.bytes, &mut issues)
                .words()
                .len();
        })
        .expect("read");
    println!(
        "{:.1} MB/s, {words} words",
        bytes.len() as f64 / t.elapsed().as_secs_f64() / 1e6
    );
}
