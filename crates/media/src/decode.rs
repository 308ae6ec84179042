//! Decoding under limits, behind `catch_unwind`, and turning the result upright.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::error::ImageError;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder};

use crate::sniff::Format;
use crate::{Limits, MediaError};

/// Decodes the pixels and applies the EXIF orientation. `dims` are the header's dimensions,
/// already checked against `limits`.
pub(crate) fn decode_upright(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    dims: (u32, u32),
) -> Result<DynamicImage, MediaError> {
    // Decoders are large parsers fed hostile bytes; a panic in one must become an error here
    // rather than take down the app or the server thread.
    let mut image = catch_unwind(AssertUnwindSafe(|| decode(bytes, format, limits, dims)))
        .map_err(|_| {
            MediaError::Corrupt("the image decoder could not make sense of this file".to_owned())
        })??;
    // A missing or broken EXIF block is common and harmless: the photo is then taken as stored.
    let orientation = catch_unwind(|| exif_orientation(bytes)).ok().flatten();
    image.apply_orientation(orientation.unwrap_or(Orientation::NoTransforms));
    Ok(image)
}

fn decode(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    dims: (u32, u32),
) -> Result<DynamicImage, MediaError> {
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    decoder_limits.max_alloc = Some(limits.max_decode_alloc);

    let map = |e| map_error(e, limits, dims);
    let input = Cursor::new(bytes);
    match format {
        Format::Jpeg => finish(
            JpegDecoder::new(input).map_err(map)?,
            decoder_limits,
            limits,
        ),
        Format::Png => {
            let decoder = PngDecoder::with_limits(input, decoder_limits.clone()).map_err(map)?;
            finish(decoder, decoder_limits, limits)
        }
        Format::WebP => finish(
            WebPDecoder::new(input).map_err(map)?,
            decoder_limits,
            limits,
        ),
    }
}

fn finish(
    mut decoder: impl ImageDecoder,
    decoder_limits: image::Limits,
    limits: &Limits,
) -> Result<DynamicImage, MediaError> {
    // The decoder's own idea of the size is checked again: it is what it will allocate for.
    let dims = decoder.dimensions();
    limits.check_pixels(dims.0, dims.1)?;
    let map = |e| map_error(e, limits, dims);
    decoder.set_limits(decoder_limits).map_err(map)?;
    DynamicImage::from_decoder(decoder).map_err(map)
}

fn map_error(error: ImageError, limits: &Limits, (width, height): (u32, u32)) -> MediaError {
    match error {
        ImageError::Limits(_) => MediaError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
            max_side: limits.max_side,
        },
        other => MediaError::Corrupt(other.to_string()),
    }
}

fn exif_orientation(bytes: &[u8]) -> Option<Orientation> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()?;
    let field = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?;
    let value = field.value.get_uint(0)?;
    Orientation::from_exif(u8::try_from(value).ok()?)
}
