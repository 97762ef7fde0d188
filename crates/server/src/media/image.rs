//! What happens to an uploaded image before it is stored: it must be an image by its content
//! (whatever its name says), of a format we serve, and not a decompression bomb; it is
//! re-encoded, which drops its metadata (EXIF, with the camera's location) after turning it
//! upright as EXIF said; and it gets a preview and a BlurHash.
//!
//! GIFs are kept byte for byte, animation and all: the format has no EXIF, and decoding and
//! re-encoding every frame would cost far more than what it could strip.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::blurhash;

/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 10_000;
/// The most memory one decode may take.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
/// The preview fits in this square, as Mastodon's `small` does.
pub const PREVIEW_SIDE: u32 = 640;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejected {
    #[error("The file is not an image in a supported format (PNG, JPEG, GIF or WebP)")]
    NotAnImage,
    #[error("The image is larger than {MAX_SIDE} pixels on a side")]
    TooLarge,
    #[error("The image could not be read: {0}")]
    Corrupt(String),
}

/// One stored rendition: its bytes, content type, file extension and size in pixels.
#[derive(Debug)]
pub struct Rendition {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug)]
pub struct Processed {
    pub original: Rendition,
    pub preview: Rendition,
    pub blurhash: String,
}

/// The content types uploads may have, as `kind` names them.
pub const CONTENT_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

fn kind(format: ImageFormat) -> Option<(&'static str, &'static str)> {
    match format {
        ImageFormat::Png => Some(("image/png", "png")),
        ImageFormat::Jpeg => Some(("image/jpeg", "jpg")),
        ImageFormat::Gif => Some(("image/gif", "gif")),
        ImageFormat::WebP => Some(("image/webp", "webp")),
        _ => None,
    }
}

fn corrupt(e: impl std::fmt::Display) -> Rejected {
    Rejected::Corrupt(e.to_string())
}

fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, Rejected> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let too_large = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => Rejected::TooLarge,
        other => corrupt(other),
    };
    let mut decoder = reader.into_decoder().map_err(too_large)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(too_large)?;
    img.apply_orientation(orientation);
    Ok(img)
}

fn encode(img: &DynamicImage, format: ImageFormat, jpeg_quality: u8) -> Result<Vec<u8>, Rejected> {
    let mut out = Vec::new();
    match format {
        ImageFormat::Jpeg => {
            JpegEncoder::new_with_quality(&mut out, jpeg_quality).encode_image(&img.to_rgb8()).map_err(corrupt)?
        }
        // The WebP and PNG encoders take 8-bit RGB(A) only.
        _ => {
            let img = if img.color().has_alpha() {
                DynamicImage::ImageRgba8(img.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(img.to_rgb8())
            };
            img.write_to(&mut Cursor::new(&mut out), format).map_err(corrupt)?
        }
    }
    Ok(out)
}

/// Checks, cleans and measures an upload. CPU-bound: run it off the async threads.
pub fn process(bytes: &[u8]) -> Result<Processed, Rejected> {
    let format = image::guess_format(bytes).map_err(|_| Rejected::NotAnImage)?;
    let (content_type, extension) = kind(format).ok_or(Rejected::NotAnImage)?;
    let img = decode(bytes, format)?;
    let (width, height) = (img.width(), img.height());
    let original = match format {
        ImageFormat::Gif => bytes.to_vec(),
        other => encode(&img, other, 90)?,
    };
    let small = if width <= PREVIEW_SIDE && height <= PREVIEW_SIDE {
        img.clone()
    } else {
        img.thumbnail(PREVIEW_SIDE, PREVIEW_SIDE)
    };
    // Photographs preview as JPEG; anything with transparency as PNG, to keep it.
    let (preview_format, preview_type, preview_extension) = if small.color().has_alpha() {
        (ImageFormat::Png, "image/png", "png")
    } else {
        (ImageFormat::Jpeg, "image/jpeg", "jpg")
    };
    let preview = encode(&small, preview_format, 80)?;
    let tiny = img.thumbnail(32, 32).to_rgb8();
    let blurhash = blurhash::encode(tiny.as_raw(), tiny.width() as usize, tiny.height() as usize, 4, 3);
    Ok(Processed {
        original: Rendition { bytes: original, content_type, extension, width, height },
        preview: Rendition {
            bytes: preview,
            content_type: preview_type,
            extension: preview_extension,
            width: small.width(),
            height: small.height(),
        },
        blurhash,
    })
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    use super::*;

    fn photo(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128])))
    }

    fn bytes_of(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), format).unwrap_or_default();
        out
    }

    /// A JPEG with an EXIF segment carrying a GPS-looking text, inserted after its SOI marker.
    pub fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
        let plain = bytes_of(&photo(width, height), ImageFormat::Jpeg);
        let payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0GPS 48.8584N 2.2945E";
        let length = (payload.len() + 2) as u16;
        let mut out = plain[..2].to_vec();
        out.extend([0xFF, 0xE1]);
        out.extend(length.to_be_bytes());
        out.extend(payload);
        out.extend(&plain[2..]);
        out
    }

    #[test]
    fn a_large_photo_is_measured_and_gets_a_smaller_preview() {
        let processed = process(&bytes_of(&photo(1600, 900), ImageFormat::Png)).expect("a PNG is accepted");
        let (o, p) = (&processed.original, &processed.preview);
        assert_eq!((o.content_type, o.extension, o.width, o.height), ("image/png", "png", 1600, 900));
        assert_eq!((p.content_type, p.width, p.height), ("image/jpeg", 640, 360));
        assert_eq!(image::guess_format(&p.bytes).ok(), Some(ImageFormat::Jpeg));
        assert_eq!(processed.blurhash.len(), 28);
    }

    #[test]
    fn exif_is_stripped_from_jpegs() {
        let upload = jpeg_with_exif(64, 48);
        assert!(upload.windows(4).any(|w| w == b"Exif"), "the test image carries EXIF");
        let processed = process(&upload).expect("a JPEG is accepted");
        assert_eq!(processed.original.content_type, "image/jpeg");
        for stored in [&processed.original.bytes, &processed.preview.bytes] {
            assert!(!stored.windows(4).any(|w| w == b"Exif"), "no EXIF left");
            assert!(!stored.windows(3).any(|w| w == b"GPS"));
        }
    }

    #[test]
    fn webp_and_gif_and_transparency_are_kept() {
        let clear = DynamicImage::ImageRgba8(RgbaImage::from_pixel(20, 10, Rgba([10, 20, 30, 0])));
        let webp = process(&bytes_of(&clear, ImageFormat::WebP)).expect("WebP is accepted");
        assert_eq!((webp.original.content_type, webp.preview.content_type), ("image/webp", "image/png"));
        let gif_bytes = bytes_of(&photo(30, 20), ImageFormat::Gif);
        let gif = process(&gif_bytes).expect("GIF is accepted");
        assert_eq!(gif.original.bytes, gif_bytes, "kept as uploaded");
        assert_eq!((gif.original.width, gif.original.height), (30, 20));
    }

    #[test]
    fn what_is_not_an_image_is_refused() {
        assert_eq!(process(b"hello, I am a text file pretending to be a PNG").err(), Some(Rejected::NotAnImage));
        assert_eq!(process(b"").err(), Some(Rejected::NotAnImage));
        let bmp_header = b"BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0";
        assert_eq!(image::guess_format(bmp_header).ok(), Some(ImageFormat::Bmp));
        assert_eq!(process(bmp_header).err(), Some(Rejected::NotAnImage), "a format we do not serve");
        let png = bytes_of(&photo(64, 64), ImageFormat::Png);
        assert!(matches!(process(&png[..png.len() / 2]), Err(Rejected::Corrupt(_))), "a truncated PNG");
    }

    #[test]
    fn an_image_too_large_to_decode_safely_is_refused() {
        let wide = bytes_of(&photo(MAX_SIDE + 1, 1), ImageFormat::Png);
        assert_eq!(process(&wide).err(), Some(Rejected::TooLarge));
    }
}
