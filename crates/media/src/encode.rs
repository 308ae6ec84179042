//! From decoded pixels to small JPEGs. Only pixels cross over: the encoder is never handed any
//! metadata, so nothing from the original file (EXIF, GPS, XMP, IPTC, ICC, comments, embedded
//! thumbnails) can reach the output.

use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::{DynamicImage, ExtendedColorType, Rgb, RgbImage};

use crate::MediaError;

/// Qualities below this look worse than a smaller picture, so past it we shrink instead.
const MIN_QUALITY: u8 = 40;
const QUALITY_STEP: u8 = 8;
/// Each shrink when the quality ladder is not enough.
const SHRINK_NUMERATOR: u32 = 4;
const SHRINK_DENOMINATOR: u32 = 5;

/// Drops alpha by compositing over white (dropping it raw would show whatever colour happens
/// to sit under transparent pixels, often black) and converts to 8-bit RGB.
pub(crate) fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(src[3]);
        let blend = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        *dst = Rgb([blend(src[0]), blend(src[1]), blend(src[2])]);
    }
    out
}

/// A copy scaled down so its long side is at most `max_side`, keeping the aspect ratio, or
/// `None` when it already fits (never upscales).
pub(crate) fn shrink_to(image: &RgbImage, max_side: u32) -> Option<RgbImage> {
    let (w, h) = image.dimensions();
    let long = w.max(h);
    let max_side = max_side.max(1);
    if long <= max_side {
        return None;
    }
    let scale = |side: u32| {
        let scaled = u64::from(side) * u64::from(max_side);
        ((scaled + u64::from(long) / 2) / u64::from(long)).max(1) as u32
    };
    Some(imageops::resize(
        image,
        scale(w),
        scale(h),
        FilterType::Lanczos3,
    ))
}

/// Encodes at `quality`, stepping the quality down and then the size, until the JPEG fits in
/// `max_bytes`. Returns the bytes and the final dimensions.
pub(crate) fn encode_within(
    image: RgbImage,
    quality: u8,
    max_bytes: usize,
) -> Result<(Vec<u8>, u32, u32), MediaError> {
    let start = quality.clamp(1, 100);
    let mut image = image;
    loop {
        let mut q = start;
        loop {
            let jpeg = encode_jpeg(&image, q)?;
            if jpeg.len() <= max_bytes {
                return Ok((jpeg, image.width(), image.height()));
            }
            if q <= MIN_QUALITY {
                break;
            }
            q = q.saturating_sub(QUALITY_STEP).max(MIN_QUALITY);
        }
        let long = image.width().max(image.height());
        if long <= 16 {
            return Err(MediaError::Encode(format!(
                "cannot make the photo smaller than {max_bytes} bytes"
            )));
        }
        let smaller = long * SHRINK_NUMERATOR / SHRINK_DENOMINATOR;
        image = shrink_to(&image, smaller).unwrap_or(image);
    }
}

fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .map_err(|e| MediaError::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    #[test]
    fn shrink_keeps_aspect_and_never_upscales() {
        let wide = RgbImage::new(4000, 3000);
        let small = shrink_to(&wide, 1600).unwrap();
        assert_eq!(small.dimensions(), (1600, 1200));
        let tall = RgbImage::new(30, 3000);
        assert_eq!(shrink_to(&tall, 1600).unwrap().dimensions(), (16, 1600));
        assert!(shrink_to(&RgbImage::new(800, 600), 1600).is_none());
        assert_eq!(
            shrink_to(&RgbImage::new(5000, 1), 100)
                .unwrap()
                .dimensions(),
            (100, 1)
        );
    }

    #[test]
    fn transparency_becomes_white() {
        let mut rgba = RgbaImage::new(2, 1);
        rgba.put_pixel(0, 0, Rgba([0, 0, 0, 0]));
        rgba.put_pixel(1, 0, Rgba([10, 20, 30, 255]));
        let rgb = flatten(DynamicImage::ImageRgba8(rgba));
        assert_eq!(rgb.get_pixel(0, 0), &Rgb([255, 255, 255]));
        assert_eq!(rgb.get_pixel(1, 0), &Rgb([10, 20, 30]));
    }

    #[test]
    fn an_impossible_budget_shrinks_then_fails_cleanly() {
        let mut noisy = RgbImage::new(300, 200);
        let mut seed = 7_u32;
        for p in noisy.pixels_mut() {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *p = Rgb([(seed >> 24) as u8, (seed >> 16) as u8, (seed >> 8) as u8]);
        }
        let (jpeg, w, h) = encode_within(noisy.clone(), 80, 20_000).unwrap();
        assert!(jpeg.len() <= 20_000);
        assert!(w < 300 && h < 200);
        assert!(matches!(
            encode_within(noisy, 80, 10),
            Err(MediaError::Encode(_))
        ));
    }
}
