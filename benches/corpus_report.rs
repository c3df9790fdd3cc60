//! Compares the analysis with the slicers' own figures over the shared
//! corpus: `cargo bench --bench corpus_report -- [DIR]`.
use printfarm::gcode::{analyze_file, AnalyzeOptions};
use std::path::Path;

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_else(|| "../shared/gcode-corpus".into());
    let manifest = std::fs::read_to_string(Path::new(&dir).join("MANIFEST.tsv")).unwrap();
    let mut rows = manifest.lines();
    let header: Vec<&str> = rows.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for row in rows {
        let f: Vec<&str> = row.split('\t').collect();
        let path = Path::new(&dir).join(f[col("path")]);
        let t0 = std::time::Instant::now();
        let a = analyze_file(&path, &AnalyzeOptions::default(), &mut |_| {}).unwrap();
        let el = t0.elapsed().as_secs_f64();
        let est: f64 = f[col("est_time_s")].parse().unwrap_or(f64::NAN);
        let fil: f64 = f[col("filament_mm")].parse().unwrap_or(f64::NAN);
        let e = a.extrusion_extents.unwrap();
        let want: Vec<f64> = ["x_min", "y_min", "z_min", "x_max", "y_max", "z_max"]
            .iter()
            .map(|k| f[col(k)].parse().unwrap())
            .collect();
        let got = [e.min[0], e.min[1], e.min[2], e.max[0], e.max[1], e.max[2]];
        let ext_err = want
            .iter()
            .zip(got)
            .map(|(w, g)| (w - g).abs())
            .fold(0.0, f64::max);
        let fw = a.fw_retract_time_s;
        println!("{:55} time {:7.0}/{:7.0} {:+6.2}% fw {fw:4.0} fil {:8.1}/{:8.1} {:+6.2}%  ext {:.3} layers {} {:.0}MB/s",
            f[col("path")], a.estimated_time_s, est, 100.0 * (a.estimated_time_s / est - 1.0),
            a.total_filament_mm(), fil, 100.0 * (a.total_filament_mm() / fil - 1.0), ext_err, a.layers,
            a.bytes as f64 / el / 1e6);
    }
}
