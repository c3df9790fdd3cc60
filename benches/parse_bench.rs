//! Parses every line of a file (for profiling): `cargo bench --bench parse_bench -- FILE`.
fn main() {
    // `cargo bench` adds `--bench`; the file is the first other argument.
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .expect("usage: cargo bench --bench NAME -- FILE");
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
