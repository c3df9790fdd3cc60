//! The glyphs a font has, as fontconfig reports them (`fc-query -f
//! '%{charset}'`: hex code points and ranges, `20-7e a0-2e9 …`).

use serde::{Deserialize, Serialize};

/// The characters a font can draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charset {
    /// Sorted, inclusive ranges of code points.
    ranges: Vec<(u32, u32)>,
}

impl Charset {
    /// Reads fontconfig's charset text; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Charset> {
        let mut ranges = Vec::new();
        for word in text.split_whitespace() {
            let (lo, hi) = word.split_once('-').unwrap_or((word, word));
            let lo = u32::from_str_radix(lo, 16).ok()?;
            let hi = u32::from_str_radix(hi, 16).ok()?;
            if lo > hi {
                return None;
            }
            ranges.push((lo, hi));
        }
        ranges.sort_unstable();
        (!ranges.is_empty()).then_some(Charset { ranges })
    }

    /// True when the font has a glyph for `c`.
    pub fn contains(&self, c: char) -> bool {
        let code = c as u32;
        let at = self.ranges.partition_point(|(lo, _)| *lo <= code);
        at > 0 && self.ranges[at - 1].1 >= code
    }
}

#[cfg(test)]
mod tests {
    use super::Charset;

    #[test]
    fn ranges_and_single_code_points_are_read() {
        let charset = Charset::parse("20-7e a0-2e9 2ec-2ee 2f3 1f600-1f623").unwrap();
        for c in ['A', 'z', ' ', 'ë', 'Ł', '😀'] {
            assert!(charset.contains(c), "{c}");
        }
        for c in ['中', '🦄', '\u{1f}', '\u{2ea}'] {
            assert!(!charset.contains(c), "{c}");
        }
        assert_eq!(Charset::parse("zz"), None);
        assert_eq!(Charset::parse(""), None);
        assert_eq!(Charset::parse("7e-20"), None);
    }
}
