//! Times one analysis of a file (for profiling): `cargo run --release --example analyze_bench FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("file");
    let bytes = std::fs::read(&path).expect("read");
    let t = std::time::Instant::now();
    let a = printfarm::gcode::analyze_reader(
        &bytes[..],
        &Default::default(),
        &Default::default(),
        &mut |_| {},
    )
    .unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{:.1} MB/s, {:.0} s estimated",
        bytes.len() as f64 / s / 1e6,
        a.estimated_time_s
    );
}
