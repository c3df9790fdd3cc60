//! G-code throughput: parse-only and full analysis, beside the `gcode` crate
//! parsing the same bytes in the same run.
//!
//! Needs a large file: `../shared/tools/make-big-gcode 100 target/bench/big-100.gcode`
//! (or set `PRINTFARM_BENCH_FILE`). Run with `cargo bench --bench gcode_throughput`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use printfarm::gcode::{analyze_reader, parse_line, AnalyzeOptions, LineReader, SlicerSettings};
use std::hint::black_box;
use std::path::PathBuf;

fn bench_file() -> Option<Vec<u8>> {
    let path = std::env::var_os("PRINTFARM_BENCH_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench/big-100.gcode")
        });
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            eprintln!(
                "skipping: cannot read {}: {e} (see the header of benches/gcode_throughput.rs)",
                path.display()
            );
            None
        }
    }
}

/// Our parser over every line: the words, numbers, comments and checksums.
fn printfarm_parse(bytes: &[u8]) -> usize {
    let mut words = 0;
    let mut issues = Vec::new();
    LineReader::new(bytes)
        .for_each_line(|l| {
            issues.clear();
            let line = parse_line(l.bytes, &mut issues);
            words += line.words().len() + usize::from(line.code.is_some());
        })
        .unwrap();
    words
}

/// The `gcode` crate (0.6) over the same text.
fn gcode_crate_parse(text: &str) -> usize {
    gcode::parse(text).map(|g| g.arguments().len() + 1).sum()
}

fn throughput(c: &mut Criterion) {
    let Some(bytes) = bench_file() else { return };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut group = c.benchmark_group("gcode");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("gcode_crate_parse", |b| {
        b.iter(|| black_box(gcode_crate_parse(&text)))
    });
    group.bench_function("printfarm_parse", |b| {
        b.iter(|| black_box(printfarm_parse(&bytes)))
    });
    group.bench_function("printfarm_analyze", |b| {
        b.iter(|| {
            let a = analyze_reader(
                &bytes[..],
                &AnalyzeOptions::default(),
                &SlicerSettings::default(),
                &mut |_| {},
            );
            black_box(a.map(|a| a.estimated_time_s).unwrap_or(0.0))
        })
    });
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
