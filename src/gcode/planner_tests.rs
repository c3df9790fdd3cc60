use super::*;

fn limits(jerk: f64, acc: f64) -> MachineLimits {
    MachineLimits {
        max_feedrate: [1000.0; 4],
        max_acceleration: [100_000.0; 4],
        jerk: [jerk; 4],
        acceleration: acc,
        retract_acceleration: acc,
        travel_acceleration: acc,
        ..MachineLimits::default()
    }
}

fn total_time(limits: MachineLimits, moves: &[Move]) -> f64 {
    let mut p = Planner::new(limits);
    let mut t = 0.0;
    for m in moves {
        p.push(m, 0, &mut |_, dt| t += dt);
    }
    p.flush(&mut |_, dt| t += dt);
    t
}

fn mv(dx: f64, dy: f64, de: f64, f: f64) -> Move {
    Move {
        delta: [dx, dy, 0.0, de],
        feedrate: f,
        e_factor: 1.0,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn long_move_from_rest_is_a_trapezoid() {
    // 100 mm at 50 mm/s, 1000 mm/s²: 0.05 s up, 0.05 s down, 97.5 mm cruise.
    let t = total_time(limits(0.0, 1000.0), &[mv(100.0, 0.0, 0.0, 50.0)]);
    assert!(close(t, 0.05 + 97.5 / 50.0 + 0.05), "{t}");
}

#[test]
fn jerk_lets_a_move_start_at_the_jerk_speed() {
    // Starts and ends at 10 mm/s: 0.04 s and 1.2 mm each side.
    let t = total_time(limits(10.0, 1000.0), &[mv(100.0, 0.0, 0.0, 50.0)]);
    assert!(close(t, 0.04 + 97.6 / 50.0 + 0.04), "{t}");
}

#[test]
fn short_move_never_reaches_cruise() {
    // 1 mm, 1000 mm/s²: triangle profile, 2*sqrt(d/a).
    let t = total_time(limits(0.0, 1000.0), &[mv(1.0, 0.0, 0.0, 500.0)]);
    assert!(close(t, 2.0 * (1.0f64 / 1000.0).sqrt()), "{t}");
}

#[test]
fn collinear_moves_take_as_long_as_one() {
    let one = total_time(limits(10.0, 1000.0), &[mv(100.0, 0.0, 0.0, 50.0)]);
    let two = total_time(
        limits(10.0, 1000.0),
        &[mv(50.0, 0.0, 0.0, 50.0), mv(50.0, 0.0, 0.0, 50.0)],
    );
    assert!(close(one, two), "{one} vs {two}");
}

#[test]
fn a_sharp_corner_costs_time() {
    let straight = total_time(
        limits(5.0, 1000.0),
        &[mv(20.0, 0.0, 0.0, 100.0), mv(20.0, 0.0, 0.0, 100.0)],
    );
    let corner = total_time(
        limits(5.0, 1000.0),
        &[mv(20.0, 0.0, 0.0, 100.0), mv(0.0, 20.0, 0.0, 100.0)],
    );
    let reversal = total_time(
        limits(5.0, 1000.0),
        &[mv(20.0, 0.0, 0.0, 100.0), mv(-20.0, 0.0, 0.0, 100.0)],
    );
    assert!(
        straight < corner && corner <= reversal,
        "{straight} {corner} {reversal}"
    );
}

#[test]
fn junction_deviation_slows_corners_too() {
    let mut l = limits(0.0, 1000.0);
    l.junction = JunctionMode::Deviation(0.05);
    let straight = total_time(
        l.clone(),
        &[mv(20.0, 0.0, 0.0, 100.0), mv(20.0, 0.0, 0.0, 100.0)],
    );
    let corner = total_time(l, &[mv(20.0, 0.0, 0.0, 100.0), mv(0.0, 20.0, 0.0, 100.0)]);
    assert!(straight < corner, "{straight} {corner}");
}

#[test]
fn axis_max_feedrate_caps_the_cruise() {
    let mut l = limits(0.0, 1_000_000.0);
    l.max_feedrate = [10.0, 1000.0, 1000.0, 1000.0];
    let t = total_time(l, &[mv(100.0, 0.0, 0.0, 50.0)]);
    assert!((t - 10.0).abs() < 1e-3, "{t}");
}

#[test]
fn extruder_only_moves_use_the_retract_acceleration_and_e_limits() {
    let mut l = limits(0.0, 1000.0);
    l.retract_acceleration = 10.0;
    l.max_feedrate[E] = 1.0;
    let t = total_time(l, &[mv(0.0, 0.0, -0.8, 35.0)]);
    // 1 mm/s cap: 0.1 s to accelerate over 0.05 mm each side, 0.7 mm cruise.
    assert!(close(t, 0.1 + 0.7 + 0.1), "{t}");
}

#[test]
fn zero_length_and_non_finite_moves_are_ignored() {
    let t = total_time(
        limits(0.0, 1000.0),
        &[mv(0.0, 0.0, 0.0, 50.0), mv(f64::NAN, 0.0, 0.0, 50.0)],
    );
    assert_eq!(t, 0.0);
}

#[test]
fn tags_come_back_with_their_times_in_order() {
    let mut p = Planner::new(limits(10.0, 1000.0));
    let mut seen = Vec::new();
    for i in 0..600u64 {
        p.push(
            &mv(1.0, if i % 2 == 0 { 1.0 } else { -1.0 }, 0.05, 40.0),
            i,
            &mut |tag, _| seen.push(tag),
        );
    }
    assert!(!seen.is_empty() && p.queued() >= LOOKAHEAD);
    p.flush(&mut |tag, _| seen.push(tag));
    assert_eq!(seen, (0..600).collect::<Vec<_>>());
}
