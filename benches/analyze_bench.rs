//! Times one analysis of a file (for profiling): `cargo bench --bench analyze_bench -- FILE`.
fn main() {
    // `cargo bench` adds `--bench`; the file is the first other argument.
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .expect("usage: cargo bench --bench NAME -- FILE");
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
