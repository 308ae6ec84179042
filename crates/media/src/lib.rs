//! Photo intake for reports and patrol observations.
//!
//! [`intake`] takes untrusted bytes and either refuses them with a [`MediaError`] a person can
//! read, or returns a [`Photo`]: an upright, downscaled JPEG re-encoded from pixels (so no
//! metadata survives), a thumbnail, and their BLAKE3 content hashes. Everything here is pure
//! Rust so the same code runs on the phones and on the server.

mod decode;
mod encode;
mod error;
#[cfg(feature = "faces")]
mod faces;
mod redact;
mod sniff;

use std::fmt;

pub use error::MediaError;
pub use redact::{MAX_REGIONS, MOSAIC_CELLS, Region};

#[cfg(feature = "faces")]
pub use faces::{DETECTION_SIDE, MAX_FACES, SAMPLE_GROUP_PHOTO};

/// What [`intake`] accepts and produces. `Limits::default()` is what the app uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Larger input files are refused unread.
    pub max_input_bytes: usize,
    /// Refused from the header, before decoding, when width × height is larger.
    pub max_pixels: u64,
    /// Refused from the header when either side is longer.
    pub max_side: u32,
    /// Ceiling on what the decoder may allocate.
    pub max_decode_alloc: u64,
    /// Long side of the cleaned photo.
    pub max_output_side: u32,
    /// Size budget of the cleaned photo; quality (then size) is lowered until it fits.
    pub max_output_bytes: usize,
    /// Long side of the thumbnail.
    pub thumbnail_side: u32,
    /// Size budget of the thumbnail.
    pub max_thumbnail_bytes: usize,
    /// Starting JPEG quality (1–100).
    pub jpeg_quality: u8,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 25 * 1000 * 1000,
            max_pixels: 50_000_000,
            max_side: 12_000,
            // 50 MP of 8-bit RGBA is 200 MB; leave room for the decoder's own buffers.
            max_decode_alloc: 256 * 1024 * 1024,
            max_output_side: 1600,
            max_output_bytes: 400 * 1000,
            thumbnail_side: 400,
            max_thumbnail_bytes: 60 * 1000,
            jpeg_quality: 80,
        }
    }
}

impl Limits {
    fn check_pixels(&self, width: u32, height: u32) -> Result<(), MediaError> {
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels || width > self.max_side || height > self.max_side {
            return Err(MediaError::TooManyPixels {
                width,
                height,
                max_pixels: self.max_pixels,
                max_side: self.max_side,
            });
        }
        Ok(())
    }
}

/// A cleaned photo, ready to store or send.
#[derive(Clone, PartialEq, Eq)]
pub struct Photo {
    /// The cleaned image: baseline JPEG, upright, no metadata.
    pub jpeg: Vec<u8>,
    /// A JPEG whose long side is at most [`Limits::thumbnail_side`].
    pub thumbnail: Vec<u8>,
    /// BLAKE3 of `jpeg`, lowercase hex: the photo's content address.
    pub hash: String,
    /// BLAKE3 of `thumbnail`, lowercase hex.
    pub thumb_hash: String,
    /// Dimensions of `jpeg` in pixels.
    pub width: u32,
    pub height: u32,
}

// Hand-written so that logging a photo prints its shape, not a megabyte of bytes.
impl fmt::Debug for Photo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Photo")
            .field("jpeg_len", &self.jpeg.len())
            .field("thumbnail_len", &self.thumbnail.len())
            .field("hash", &self.hash)
            .field("thumb_hash", &self.thumb_hash)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// Whether `bytes` start like a JPEG, PNG or WebP image (magic bytes only, nothing decoded):
/// what a server that stores photos it never opens can check cheaply.
pub fn sniff_image(bytes: &[u8]) -> Result<(), MediaError> {
    sniff::sniff(bytes).map(|_| ())
}

/// Checks, decodes and cleans a photo: JPEG, PNG or WebP, recognised by content.
///
/// Refuses empty or oversized input, anything that is not one of those formats (HEIC and a
/// few others by name), and images whose header declares too many pixels, before decoding.
/// The result is upright (EXIF orientation applied), at most [`Limits::max_output_side`] on
/// its long side and at most [`Limits::max_output_bytes`] long.
pub fn intake(bytes: &[u8], limits: &Limits) -> Result<Photo, MediaError> {
    intake_blurred(bytes, limits, &[])
}

/// Like [`intake`], with `regions` of the upright photo replaced by a coarse mosaic before
/// anything is encoded: neither the photo nor its thumbnail keeps their original pixels.
pub fn intake_blurred(
    bytes: &[u8],
    limits: &Limits,
    regions: &[Region],
) -> Result<Photo, MediaError> {
    redact::check(regions)?;
    let mut full = decode_checked(bytes, limits)?;
    redact::apply(&mut full, regions);
    let main = encode::shrink_to(&full, limits.max_output_side).unwrap_or(full);
    let thumb = encode::shrink_to(&main, limits.thumbnail_side).unwrap_or_else(|| main.clone());

    let (thumbnail, _, _) =
        encode::encode_within(thumb, limits.jpeg_quality, limits.max_thumbnail_bytes)?;
    let (jpeg, width, height) =
        encode::encode_within(main, limits.jpeg_quality, limits.max_output_bytes)?;
    Ok(Photo {
        hash: blake3::hash(&jpeg).to_hex().to_string(),
        thumb_hash: blake3::hash(&thumbnail).to_hex().to_string(),
        jpeg,
        thumbnail,
        width,
        height,
    })
}

/// Finds faces in a photo, on this device, as regions to blur (the same [`Region`]s that
/// [`intake_blurred`] takes, in the upright photo's coordinates, a little larger than the face).
///
/// The photo goes through the same checks as [`intake`] and is refused the same way. Detection
/// can miss faces (turned away, small, covered): the person must still look at the photo. At
/// most [`MAX_FACES`] are returned, the most certain first. Without the `faces` feature this
/// says [`MediaError::NoFaceDetector`].
pub fn detect_faces(bytes: &[u8], limits: &Limits) -> Result<Vec<Region>, MediaError> {
    #[cfg(feature = "faces")]
    {
        faces::detect(&decode_checked(bytes, limits)?)
    }
    #[cfg(not(feature = "faces"))]
    {
        let _ = (bytes, limits);
        Err(MediaError::NoFaceDetector)
    }
}

/// The upright pixels of an image, after every check on the bytes and the header that
/// [`intake`] makes (so face detection refuses what intake refuses, the same way).
fn decode_checked(bytes: &[u8], limits: &Limits) -> Result<image::RgbImage, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    if bytes.len() > limits.max_input_bytes {
        return Err(MediaError::TooLarge {
            size: bytes.len(),
            max: limits.max_input_bytes,
        });
    }
    let format = sniff::sniff(bytes)?;
    let (width, height) = sniff::dimensions(format, bytes)?;
    limits.check_pixels(width, height)?;
    let upright = decode::decode_upright(bytes, format, limits, (width, height))?;
    Ok(encode::flatten(upright))
}

#[cfg(all(test, not(feature = "faces")))]
mod tests {
    use super::*;

    #[test]
    fn without_the_feature_detection_says_so() {
        assert!(matches!(
            detect_faces(b"anything", &Limits::default()),
            Err(MediaError::NoFaceDetector)
        ));
    }
}
