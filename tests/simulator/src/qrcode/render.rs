//! Real images for the code endpoints: a QR code (the `qrcode` crate) of an inspectable text,
//! drawn exactly `width` px square with a 4-module quiet zone, as JPEG on white or, when
//! transparent, as PNG with an alpha channel.

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use qrcode::{Color, EcLevel, QrCode};
use std::io::Cursor;

const QUIET_ZONE: usize = 4;
const JPEG_QUALITY: u8 = 90;
/// The longest text we encode; longer texts are cut (at a character boundary).
const MAX_PAYLOAD: usize = 1200;

/// How the image should look.
#[derive(Clone, Copy, Debug)]
pub struct Look {
    pub width: u32,
    /// The colour of the dark modules.
    pub dark: [u8; 3],
    /// Transparent background, PNG.
    pub transparent: bool,
}

/// An encoded image and its Content-Type.
pub struct Image {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// Draws `payload` as a QR code; errors only if the image encoder fails.
pub fn render(payload: &str, look: Look) -> Result<Image, String> {
    let modules = modules(payload);
    let n = modules.len();
    let side = n + 2 * QUIET_ZONE;
    let width = look.width.max(side as u32);
    let scale = (width as usize / side).max(1);
    let offset = (width as usize - scale * side) / 2;
    let dark_at = |x: u32, y: u32| -> bool {
        let (x, y) = (x as usize, y as usize);
        if x < offset || y < offset {
            return false;
        }
        let (mx, my) = ((x - offset) / scale, (y - offset) / scale);
        if mx < QUIET_ZONE || my < QUIET_ZONE {
            return false;
        }
        modules.get(my - QUIET_ZONE).and_then(|row| row.get(mx - QUIET_ZONE)).copied().unwrap_or(false)
    };
    let [r, g, b] = look.dark;
    let mut bytes = Vec::new();
    if look.transparent {
        let img =
            RgbaImage::from_fn(width, width, |x, y| if dark_at(x, y) { Rgba([r, g, b, 255]) } else { Rgba([255, 255, 255, 0]) });
        img.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).map_err(|e| e.to_string())?;
        Ok(Image { bytes, content_type: "image/png" })
    } else {
        let img = RgbImage::from_fn(width, width, |x, y| if dark_at(x, y) { Rgb([r, g, b]) } else { Rgb([255, 255, 255]) });
        JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY).encode_image(&img).map_err(|e| e.to_string())?;
        Ok(Image { bytes, content_type: "image/jpeg" })
    }
}

/// The dark modules, row by row. A text too long for any QR version is cut until it fits.
fn modules(payload: &str) -> Vec<Vec<bool>> {
    let mut text: String = payload.to_string();
    if text.len() > MAX_PAYLOAD {
        let mut cut = MAX_PAYLOAD;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(b"wxsim:unencodable", EcLevel::M));
    let Ok(code) = code else {
        return Vec::new();
    };
    let n = code.width();
    let colors = code.to_colors();
    colors.chunks(n).map(|row| row.iter().map(|c| *c == Color::Dark).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_is_exactly_the_width_asked_for() {
        for width in [280, 430, 1280] {
            let look = Look { width, dark: [0, 0, 0], transparent: false };
            let image = render("wxsim:test", look).unwrap();
            let decoded = image::load_from_memory(&image.bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (width, width));
            assert_eq!(image.content_type, "image/jpeg");
        }
    }

    #[test]
    fn a_transparent_code_is_a_png_with_alpha() {
        let look = Look { width: 300, dark: [10, 20, 30], transparent: true };
        let image = render("wxsim:test", look).unwrap();
        let decoded = image::load_from_memory(&image.bytes).unwrap().to_rgba8();
        assert_eq!(image.content_type, "image/png");
        assert_eq!(decoded.get_pixel(0, 0).0[3], 0);
        assert!(decoded.pixels().any(|p| p.0 == [10, 20, 30, 255]));
    }

    #[test]
    fn an_overlong_text_still_renders() {
        let look = Look { width: 280, dark: [0, 0, 0], transparent: false };
        assert!(render(&"中".repeat(2000), look).is_ok());
    }
}
