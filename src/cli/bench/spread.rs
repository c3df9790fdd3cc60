//! Median and range of repeated measurements.

/// The median, smallest and largest of some measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// Summarises `values`; all zero when there are none.
    pub(super) fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let mut sorted: Vec<f64> = values.into_iter().collect();
        sorted.sort_by(f64::total_cmp);
        let (Some(&min), Some(&max)) = (sorted.first(), sorted.last()) else {
            return Spread {
                median: 0.0,
                min: 0.0,
                max: 0.0,
            };
        };
        let middle = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        };
        Spread { median, min, max }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts_and_the_range() {
        let spread = |median, min, max| Spread { median, min, max };
        let table: &[(&[f64], Spread)] = &[
            (&[3.0, 1.0, 2.0], spread(2.0, 1.0, 3.0)),
            (&[4.0, 1.0, 3.0, 2.0], spread(2.5, 1.0, 4.0)),
            (&[7.5], spread(7.5, 7.5, 7.5)),
            (&[], spread(0.0, 0.0, 0.0)),
        ];
        for (values, want) in table {
            assert_eq!(Spread::of(values.iter().copied()), *want, "{values:?}");
        }
    }
}
