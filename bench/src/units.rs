//! Numbers as people read them: times in ns, µs or ms, sizes in B, KiB or MiB,
//! with three significant figures at most.

/// A duration given in seconds.
pub fn time(seconds: f64) -> String {
    let (divisor, unit) = time_scale(seconds);
    format!("{} {unit}", sig(seconds / divisor))
}

/// A size given in bytes. Negative sizes happen (memory measured as a
/// difference, and handed back meanwhile) and are shown as they are.
pub fn bytes(b: f64) -> String {
    let (divisor, unit) = bytes_scale(b);
    format!("{} {unit}", sig(b / divisor))
}

/// A median with its range, all in the median's unit: "17 µs (16.2–18.4)".
pub fn with_range(median: f64, min: f64, max: f64, is_time: bool) -> String {
    let (divisor, unit) = if is_time {
        time_scale(median)
    } else {
        bytes_scale(median)
    };
    format!(
        "{} {unit} ({}–{})",
        sig(median / divisor),
        sig(min / divisor),
        sig(max / divisor)
    )
}

fn time_scale(seconds: f64) -> (f64, &'static str) {
    match seconds.abs() {
        s if s < 1e-6 => (1e-9, "ns"),
        s if s < 1e-3 => (1e-6, "µs"),
        s if s < 1.0 => (1e-3, "ms"),
        _ => (1.0, "s"),
    }
}

fn bytes_scale(b: f64) -> (f64, &'static str) {
    match b.abs() {
        a if a < 1024.0 => (1.0, "B"),
        a if a < 1024.0 * 1024.0 => (1024.0, "KiB"),
        _ => (1024.0 * 1024.0, "MiB"),
    }
}

/// A ratio, as "57×".
pub fn times(r: f64) -> String {
    format!("{}×", sig(r))
}

/// A count with thousands separated, as on the slides: 10,000.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Three significant figures, without trailing zeros after the point.
fn sig(x: f64) -> String {
    let a = x.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_pick_their_unit() {
        assert_eq!(time(17e-6), "17 µs");
        assert_eq!(time(3.04e-7), "304 ns");
        assert_eq!(time(0.0123), "12.3 ms");
        assert_eq!(time(2.5), "2.5 s");
    }

    #[test]
    fn sizes_pick_their_unit() {
        assert_eq!(bytes(410.0), "410 B");
        assert_eq!(bytes(9.5 * 1024.0), "9.5 KiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0), "3 MiB");
        assert_eq!(bytes(-20.0), "-20 B");
    }

    #[test]
    fn ranges_share_the_medians_unit() {
        assert_eq!(with_range(17e-6, 9e-7, 18.4e-6, true), "17 µs (0.9–18.4)");
        assert_eq!(with_range(450.0, 446.0, 2048.0, false), "450 B (446–2048)");
    }

    #[test]
    fn counts_and_ratios() {
        assert_eq!(count(10000), "10,000");
        assert_eq!(count(999), "999");
        assert_eq!(times(56.67), "56.7×");
    }
}
