//! BlurHash (blurha.sh): a 20-30 character string a client turns into a blurred placeholder
//! while the image loads. Mastodon sends one with every image attachment.

const BASE83: &[u8; 83] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

fn base83(value: u32, digits: u32, out: &mut String) {
    for i in (0..digits).rev() {
        let digit = (value / 83u32.pow(i)) % 83;
        out.push(BASE83[digit as usize] as char);
    }
}

fn to_linear(c: u8) -> f64 {
    let v = f64::from(c) / 255.0;
    if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
}

fn to_srgb(v: f64) -> u32 {
    let v = v.clamp(0.0, 1.0);
    let s = if v <= 0.003_130_8 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 };
    (s * 255.0 + 0.5) as u32
}

fn sign_pow(v: f64, exp: f64) -> f64 {
    v.abs().powf(exp).copysign(v)
}

/// The hash of an RGB image (`pixels` row by row, three bytes each) with `x` by `y`
/// components (1 to 9 each; Mastodon uses 4 by 3).
pub fn encode(pixels: &[u8], width: usize, height: usize, x: usize, y: usize) -> String {
    let (x, y) = (x.clamp(1, 9), y.clamp(1, 9));
    if width == 0 || height == 0 || pixels.len() < width * height * 3 {
        return String::new();
    }
    // The cosines of each row and column, once, rather than per pixel and component.
    let basis = |n: usize, size: usize| -> Vec<Vec<f64>> {
        (0..n)
            .map(|i| (0..size).map(|p| (std::f64::consts::PI * i as f64 * p as f64 / size as f64).cos()).collect())
            .collect()
    };
    let (cols, rows) = (basis(x, width), basis(y, height));
    let linear: Vec<f64> = pixels[..width * height * 3].iter().map(|&c| to_linear(c)).collect();
    let mut factors = Vec::with_capacity(x * y);
    for (j, row_basis) in rows.iter().enumerate() {
        for (i, col_basis) in cols.iter().enumerate() {
            let mut sum = [0.0f64; 3];
            for (row, line) in row_basis.iter().zip(linear.chunks_exact(width * 3)) {
                for (col, pixel) in col_basis.iter().zip(line.chunks_exact(3)) {
                    let weight = col * row;
                    for (s, c) in sum.iter_mut().zip(pixel) {
                        *s += weight * c;
                    }
                }
            }
            let normalisation = if i == 0 && j == 0 { 1.0 } else { 2.0 };
            let scale = normalisation / (width * height) as f64;
            factors.push(sum.map(|s| s * scale));
        }
    }
    let mut out = String::with_capacity(4 + 2 * x * y);
    base83(((x - 1) + (y - 1) * 9) as u32, 1, &mut out);
    let (dc, ac) = (factors[0], &factors[1..]);
    let maximum = if ac.is_empty() {
        base83(0, 1, &mut out);
        1.0
    } else {
        let actual = ac.iter().flat_map(|f| f.iter()).fold(0.0f64, |m, v| m.max(v.abs()));
        let quantised = ((actual * 166.0 - 0.5).floor()).clamp(0.0, 82.0) as u32;
        base83(quantised, 1, &mut out);
        (f64::from(quantised) + 1.0) / 166.0
    };
    base83((to_srgb(dc[0]) << 16) + (to_srgb(dc[1]) << 8) + to_srgb(dc[2]), 4, &mut out);
    for f in ac {
        let q = |v: f64| ((sign_pow(v / maximum, 0.5) * 9.0 + 9.5).floor()).clamp(0.0, 18.0) as u32;
        base83(q(f[0]) * 19 * 19 + q(f[1]) * 19 + q(f[2]), 2, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_black_image_has_the_well_known_hash() {
        let black = vec![0u8; 8 * 6 * 3];
        assert_eq!(encode(&black, 8, 6, 4, 3), "L00000fQfQfQfQfQfQfQfQfQfQfQ");
    }

    #[test]
    fn the_hash_encodes_its_size_and_average_colour() {
        let white = vec![255u8; 4 * 4 * 3];
        let hash = encode(&white, 4, 4, 4, 3);
        assert_eq!(hash.len(), 28);
        assert_eq!(&hash[..1], "L", "4 by 3 components");
        assert_eq!(&hash[2..6], "TSUA", "an average of white");
        // A left-to-right gradient has horizontal detail: the first AC component is not flat.
        let mut gradient = Vec::new();
        for _ in 0..8 {
            for x in 0..8u8 {
                gradient.extend([x * 32, x * 32, x * 32]);
            }
        }
        let hash = encode(&gradient, 8, 8, 4, 3);
        assert_eq!(hash.len(), 28);
        assert_ne!(&hash[6..8], "fQ");
    }
}
