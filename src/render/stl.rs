//! The bounding box of an STL file, ASCII or binary. Pure.

/// An axis-aligned box, mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Lowest X, Y, Z.
    pub min: [f64; 3],
    /// Highest X, Y, Z.
    pub max: [f64; 3],
}

impl Bounds {
    /// Width, depth and height.
    pub fn size(&self) -> [f64; 3] {
        [0, 1, 2].map(|i| self.max[i] - self.min[i])
    }

    fn extend(&mut self, p: [f64; 3]) {
        for (i, v) in p.into_iter().enumerate() {
            self.min[i] = self.min[i].min(v);
            self.max[i] = self.max[i].max(v);
        }
    }
}

/// The box of every vertex; `None` for an empty or unreadable file.
pub fn bounds(bytes: &[u8]) -> Option<Bounds> {
    let mut out = Bounds {
        min: [f64::INFINITY; 3],
        max: [f64::NEG_INFINITY; 3],
    };
    let mut any = false;
    let mut add = |p: [f64; 3]| {
        if p.iter().all(|v| v.is_finite()) {
            out.extend(p);
            any = true;
        }
    };
    if is_binary(bytes) {
        for triangle in bytes[84..].chunks_exact(50) {
            for v in 0..3 {
                let at = 12 + v * 12;
                add([0, 1, 2].map(|i| f32_at(triangle, at + i * 4)));
            }
        }
    } else {
        for line in std::str::from_utf8(bytes).ok()?.lines() {
            let mut words = line.split_whitespace();
            if words.next() == Some("vertex") {
                let mut p = [f64::NAN; 3];
                for slot in &mut p {
                    *slot = words
                        .next()
                        .and_then(|w| w.parse().ok())
                        .unwrap_or(f64::NAN);
                }
                add(p);
            }
        }
    }
    any.then_some(out)
}

/// A binary STL: 80-byte header, a triangle count, 50 bytes a triangle.
fn is_binary(bytes: &[u8]) -> bool {
    if bytes.len() < 84 {
        return false;
    }
    let count = u32::from_le_bytes([bytes[80], bytes[81], bytes[82], bytes[83]]) as usize;
    count > 0 && bytes.len() == count.saturating_mul(50).saturating_add(84)
}

fn f32_at(bytes: &[u8], at: usize) -> f64 {
    let word = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
    f64::from(f32::from_le_bytes(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_binary_files_give_their_box() {
        let ascii = b"solid OpenSCAD_Model\n facet normal 0 0 1\n  outer loop\n   vertex -12.5 -8 0\n   vertex 17.0912 8.55359 4\n   vertex 0 0 2\n  endloop\n endfacet\nendsolid OpenSCAD_Model\n";
        let b = bounds(ascii).unwrap();
        assert_eq!(b.min, [-12.5, -8.0, 0.0]);
        assert!((b.size()[0] - 29.5912).abs() < 1e-9);
        let mut binary = vec![0u8; 80];
        binary.extend_from_slice(&1u32.to_le_bytes());
        binary.extend_from_slice(&[0u8; 12]);
        for p in [[1.0f32, 2.0, 3.0], [-1.0, 5.0, 0.0], [4.0, -2.0, 1.0]] {
            for v in p {
                binary.extend_from_slice(&v.to_le_bytes());
            }
        }
        binary.extend_from_slice(&[0u8; 2]);
        let b = bounds(&binary).unwrap();
        assert_eq!((b.min, b.max), ([-1.0, -2.0, 0.0], [4.0, 5.0, 3.0]));
        assert_eq!(bounds(b"solid x\nendsolid x\n"), None);
        assert_eq!(bounds(b""), None);
    }
}
