//! The one error type of this crate. Messages are written for the person who picked the photo.

/// Why a photo was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// Zero bytes were handed in.
    #[error("the photo is empty (0 bytes)")]
    Empty,

    /// The file itself is bigger than we are willing to read.
    #[error("the photo is too large: {size} bytes, the limit is {max} bytes")]
    TooLarge { size: usize, max: usize },

    /// The image declares more pixels than we are willing to decode. Checked from the header,
    /// before any pixel memory is allocated, so a decompression bomb costs nothing.
    #[error(
        "the photo is too big to process: {width}×{height} pixels, the limit is \
         {max_pixels} pixels and {max_side} pixels per side"
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
        max_side: u32,
    },

    /// The bytes are not any image format we recognise.
    #[error("this file is not a photo (expected a JPEG, PNG or WebP image)")]
    NotAnImage,

    /// A real image, but in a format we do not take (yet).
    #[error("{format} photos are not supported yet; convert to JPEG")]
    Unsupported { format: &'static str },

    /// It starts like an image we take, but it is damaged, incomplete or not what it claims.
    #[error("the photo is damaged or incomplete: {0}")]
    Corrupt(String),

    /// A region to blur that is not inside the photo, or too many of them.
    #[error("cannot blur that part of the photo: {0}")]
    BadRegion(String),

    /// This build of the app was made without face detection (the `faces` feature).
    #[error("this version of the app cannot find faces; draw boxes over them instead")]
    NoFaceDetector,

    /// The face detector gave up on this photo. Not the user's fault; boxes still work.
    #[error("could not look for faces in this photo; draw boxes over them instead")]
    FaceDetection,

    /// Writing the cleaned JPEG failed. Not the user's fault.
    #[error("could not re-encode the photo: {0}")]
    Encode(String),
}
