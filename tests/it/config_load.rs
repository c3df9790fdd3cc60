//! `printers.toml` loading and validation.

use printfarm::config::{Config, ConfigError, Connection, FlowMode, DEFAULT_FORBIDDEN_COMMANDS};
use std::path::Path;

const VALID_PRINTER: &str = r#"
[[printer]]
name = "p1"
port = "/dev/ttyACM0"
build_volume = [250, 210, 210]
max_hotend_temp = 300
max_bed_temp = 120
"#;

fn with_printer(extra: &str) -> String {
    format!("[[printer]]\nname = \"mk3s-1\"\n{extra}\n")
}

#[test]
fn repository_printers_toml_loads_four_sim_printers() {
    let config = Config::load(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("printers.toml")
            .as_path(),
    )
    .unwrap();
    let names: Vec<_> = config.printers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["mk3s-1", "mk3s-2", "mk3s-petg", "big-1"]);
    assert!(config
        .printers
        .iter()
        .all(|p| matches!(p.connection, Connection::Sim(_))));
    let mk3s = config.printer("mk3s-1").unwrap();
    assert_eq!(mk3s.build_volume, [250.0, 210.0, 210.0]);
    assert_eq!(mk3s.min_position, [0.0, -4.0, 0.0]);
    assert_eq!(mk3s.motion.max_feedrate, Some([200.0, 200.0, 12.0, 120.0]));
    assert_eq!(
        mk3s.motion.max_acceleration,
        Some([1000.0, 1000.0, 200.0, 5000.0])
    );
    assert_eq!(mk3s.motion.jerk, Some([8.0, 8.0, 0.4, 4.5]));
    assert_eq!(mk3s.motion.acceleration, Some(1250.0));
    assert_eq!(
        config.printer("mk3s-petg").unwrap().materials[0].material,
        "PETG"
    );
    assert_eq!(
        config.printer("big-1").unwrap().build_volume,
        [300.0, 300.0, 400.0]
    );
    assert_eq!(config.farm.requeue_limit, 3);
}

#[test]
fn defaults_are_filled() {
    let config = Config::from_toml_str(VALID_PRINTER, "t.toml").unwrap();
    let p = &config.printers[0];
    assert_eq!(p.baud, 115_200);
    assert_eq!(p.flow, FlowMode::Auto);
    assert_eq!(p.rx_buffer, 128);
    assert_eq!(p.adapter_latency_ms, 1);
    assert_eq!(p.min_position, [0.0; 3]);
    assert_eq!(p.bounds_margin, 0.5);
    assert_eq!(p.extruders, 1);
    assert_eq!(p.forbidden_commands, DEFAULT_FORBIDDEN_COMMANDS);
    assert!(p.service.is_empty(), "no thresholds: never due");
    assert_eq!(config.farm.requeue_limit, 3);
    assert_eq!(config.farm.listen.to_string(), "127.0.0.1:8080");
    assert!(config.farm.database_url.starts_with("sqlite://"));
    assert!(
        config.farm.time.shifts.is_empty(),
        "no shifts: always staffed"
    );
    assert_eq!(config.farm.time.bed_clear_s, 300);
    assert_eq!(config.farm.time.max_heatups, None);
}

#[test]
fn the_time_model_reads_zone_shifts_and_set_up_times() {
    let text = format!(
        "[farm]\ntimezone = \"Europe/Berlin\"\nbed_clear_min = 4\nmaterial_change_min = 12.5\n\
         max_concurrent_heatups = 3\nshifts = [{{ days = \"mon-fri\", from = \"08:00\", to = \"18:00\", operators = 2 }}, \
         {{ days = \"sat\", from = \"09:00\", to = \"13:00\" }}]\n{VALID_PRINTER}"
    );
    let time = Config::from_toml_str(&text, "t.toml").unwrap().farm.time;
    assert_eq!(time.timezone.iana_name(), Some("Europe/Berlin"));
    assert_eq!((time.bed_clear_s, time.material_change_s), (240, 750));
    assert_eq!(time.max_heatups, Some(3));
    assert_eq!(time.shifts.len(), 2);
    assert_eq!((time.shifts[0].operators, time.shifts[1].operators), (2, 1));
    assert!(time.shifts[1].days[5] && !time.shifts[1].days[0]);
}

#[test]
fn service_thresholds_are_read_in_any_subset() {
    let all = format!(
        "{VALID_PRINTER}service = {{ every_hours = 200.0, every_jobs = 500, every_filament_m = 5000.0 }}\n"
    );
    let config = Config::from_toml_str(&all, "t.toml").unwrap();
    let service = config.printers[0].service;
    assert_eq!(service.every_hours, Some(200.0));
    assert_eq!(service.every_jobs, Some(500));
    assert_eq!(service.every_filament_m, Some(5000.0));
    let jobs = format!("{VALID_PRINTER}service = {{ every_jobs = 1 }}\n");
    let service = Config::from_toml_str(&jobs, "t.toml").unwrap().printers[0].service;
    assert_eq!(
        (
            service.every_hours,
            service.every_jobs,
            service.every_filament_m
        ),
        (None, Some(1), None)
    );
}

#[test]
fn sim_printer_takes_baud_from_sim_table() {
    let text = with_printer(
        "sim = { speed = 60.0, baud = 250000 }\nbuild_volume = [1,1,1]\nmax_hotend_temp = 1\nmax_bed_temp = 1",
    );
    let config = Config::from_toml_str(&text, "t.toml").unwrap();
    let p = &config.printers[0];
    assert_eq!(p.baud, 250_000);
    let Connection::Sim(sim) = &p.connection else {
        panic!("not a sim")
    };
    assert_eq!(
        (sim.speed, sim.latency_ms, sim.advanced_ok),
        (60.0, 2, false)
    );
}

#[test]
fn invalid_printers_are_refused_naming_printer_and_field() {
    let base = "port = \"/dev/x\"\nmax_hotend_temp = 300\nmax_bed_temp = 100";
    let volume = "build_volume = [250, 210, 210]";
    let cases: Vec<(String, &str)> = vec![
        (
            with_printer(&format!("{base}\nbuild_volume = [250, 210]")),
            "printer \"mk3s-1\": build_volume: must be three positive numbers",
        ),
        (
            with_printer(&format!("{base}\nbuild_volume = [250, -1, 210]")),
            "printer \"mk3s-1\": build_volume: must be three positive numbers",
        ),
        (
            with_printer(base),
            "build_volume: must be three positive numbers",
        ),
        (
            with_printer("build_volume = [1,1,1]\nmax_hotend_temp = 1\nmax_bed_temp = 1"),
            "printer \"mk3s-1\": port: give either port",
        ),
        (
            with_printer(&format!("{base}\n{volume}\nsim = {{ speed = 1.0 }}")),
            "port: give either port or sim, not both",
        ),
        (
            with_printer(&format!("{base}\n{volume}\nflow = \"xon\"")),
            "flow: unknown mode \"xon\"",
        ),
        (
            with_printer(&format!("{base}\n{volume}\nextruders = 0")),
            "extruders: must be at least 1",
        ),
        (
            with_printer(&format!("{base}\n{volume}\nadapter_latency_ms = 256")),
            "adapter_latency_ms: must be 1 to 255 ms, or 0 to leave the adapter as it is",
        ),
        (
            with_printer(&format!(
            "{base}\n{volume}\nmaterials = [{{ material = \"PLA\" }}, {{ material = \"PETG\" }}]"
        )),
            "materials: 2 materials listed but only 1 extruder(s)",
        ),
        (
            with_printer(&format!(
                "port = \"/dev/x\"\n{volume}\nmax_hotend_temp = 0\nmax_bed_temp = 1"
            )),
            "max_hotend_temp: must be a positive temperature",
        ),
        (
            with_printer(&format!(
                "port = \"/dev/x\"\n{volume}\nmax_hotend_temp = 200"
            )),
            "max_bed_temp: is required",
        ),
        (
            with_printer(&format!("{base}\n{volume}\nmotion = {{ jerk = [8, 8] }}")),
            "motion.jerk: must be four numbers",
        ),
        (
            with_printer(&format!(
                "{base}\n{volume}\nmotion = {{ acceleration = -5 }}"
            )),
            "motion.acceleration: must be a positive number",
        ),
        (
            with_printer(&format!("{base}\n{volume}\nsim_speed = 3")),
            "unknown field `sim_speed`",
        ),
        (
            with_printer(&format!(
                "{base}\n{volume}\nforbidden_commands = [\"hello\"]"
            )),
            "forbidden_commands: \"hello\" is not a G-code command",
        ),
        (
            with_printer(&format!(
                "{base}\nbuild_volume = [10, 10, 10]\nmin_position = [0, 20, 0]"
            )),
            "min_position: must be below build_volume",
        ),
        (
            with_printer(&format!(
                "{base}\n{volume}\nservice = {{ every_hours = 0.0 }}"
            )),
            "printer \"mk3s-1\": service.every_hours: must be a positive number",
        ),
        (
            with_printer(&format!(
                "{base}\n{volume}\nservice = {{ every_jobs = -2 }}"
            )),
            "printer \"mk3s-1\": service.every_jobs: must be a positive integer",
        ),
        (
            with_printer(&format!(
                "{base}\n{volume}\nservice = {{ every_filament_m = nan }}"
            )),
            "printer \"mk3s-1\": service.every_filament_m: must be a positive number",
        ),
        (
            with_printer(&format!("{base}\n{volume}\nservice = {{ every_day = 1 }}")),
            "unknown field `every_day`",
        ),
        (
            format!("{VALID_PRINTER}{VALID_PRINTER}"),
            "printer \"p1\": name: is used by another printer",
        ),
        (
            format!("[farm]\nrequeue_limit = 0\n{VALID_PRINTER}"),
            "[farm] requeue_limit: must be a positive integer",
        ),
        (
            format!("[farm]\nlisten = \"nowhere\"\n{VALID_PRINTER}"),
            "[farm] listen:",
        ),
        (
            format!("[farm]\ndatabase_url = \"mysql://x\"\n{VALID_PRINTER}"),
            "[farm] database_url:",
        ),
        (
            format!("[farm]\ntimezone = \"Mars/Olympus\"\n{VALID_PRINTER}"),
            "[farm] timezone: \"Mars/Olympus\" is not an IANA time zone",
        ),
        (
            format!("[farm]\nshifts = [{{ days = \"mon-fry\", from = \"08:00\", to = \"18:00\" }}]\n{VALID_PRINTER}"),
            "[farm] shifts[0].days:",
        ),
        (
            format!("[farm]\nshifts = [{{ days = \"sat\", from = \"8am\", to = \"18:00\" }}]\n{VALID_PRINTER}"),
            "[farm] shifts[0].from: not a time of day (HH:MM)",
        ),
        (
            format!("[farm]\nshifts = [{{ days = \"sat\", from = \"18:00\", to = \"08:00\" }}]\n{VALID_PRINTER}"),
            "[farm] shifts[0].to: must be after `from`",
        ),
        (
            format!("[farm]\nshifts = [{{ days = \"sat\", from = \"08:00\", to = \"12:00\", operators = 0 }}]\n{VALID_PRINTER}"),
            "[farm] shifts[0].operators: must be a positive integer",
        ),
        (
            format!("[farm]\nbed_clear_min = -1\n{VALID_PRINTER}"),
            "[farm] bed_clear_min: must be a number of minutes",
        ),
        (
            format!("[farm]\nmax_concurrent_heatups = 0\n{VALID_PRINTER}"),
            "[farm] max_concurrent_heatups: must be a positive integer",
        ),
        (
            format!("[farm]\nnode = \"hall 2\"\n{VALID_PRINTER}"),
            "[farm] node: \"hall 2\" is not a node name",
        ),
        (
            format!("[farm]\nlease_s = 1\n{VALID_PRINTER}"),
            "[farm] lease_s: must be a whole number of seconds, at least 3",
        ),
        (
            format!("{VALID_PRINTER}node = \"\"\n"),
            "node: \"\" is not a node name",
        ),
    ];
    for (text, expected) in cases {
        let error = Config::from_toml_str(&text, "t.toml")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(expected),
            "for\n{text}\nexpected {expected:?}, got {error:?}"
        );
    }
}

#[test]
fn printer_errors_carry_the_line_of_the_printer() {
    let text = format!("{VALID_PRINTER}\n[[printer]]\nname = \"bad\"\nport = \"/dev/y\"\n");
    let error = Config::from_toml_str(&text, "farm.toml").unwrap_err();
    assert!(
        matches!(error, ConfigError::InvalidPrinter { line: Some(10), .. }),
        "{error:?}"
    );
    assert!(error
        .to_string()
        .starts_with("farm.toml:10: printer \"bad\": build_volume"));
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let error = Config::from_toml_str("[farm]\nlisten = = 3\n", "x.toml").unwrap_err();
    let ConfigError::Syntax { line, file, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!((file.as_str(), *line), ("x.toml", 2));
}

#[test]
fn missing_file_is_a_read_error() {
    let error = Config::load(Path::new("/nonexistent/printers.toml")).unwrap_err();
    assert!(matches!(error, ConfigError::Read { .. }));
}
