//! Finding faces on the device, to offer them as regions to blur.
//!
//! rustface (a pure-Rust port of the SeetaFace frontal face detector) runs on a grey, downscaled
//! copy of the photo; its model is built into the binary (see `build.rs`), so nothing is
//! downloaded and no pixel leaves the device. It finds frontal faces; faces in profile, small in
//! the frame or partly covered are often missed, which is why the UI says so and keeps the boxes
//! editable.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use image::{GrayImage, RgbImage, imageops};
use rustface::{FaceInfo, ImageData, Model};

use crate::{MediaError, Region};

/// Long side of the copy the detector looks at. Faces smaller than [`MIN_FACE`] pixels in it
/// (under 1/60 of the photo's long side) are not looked for. On rustface's sample group photo
/// (29 people) an 800 px copy found 14 faces, 1200 px 28 and the full 1666 px 29 in twice the
/// time of 1200: larger copies cost phones time for the rare face that small.
pub const DETECTION_SIDE: u32 = 1200;
/// At most this many faces are returned (the most certain ones).
pub const MAX_FACES: usize = 50;

/// The smallest face the detector looks for, in pixels of the downscaled copy (its minimum).
const MIN_FACE: u32 = 20;
/// Detections scoring below this are dropped. 2.0 is the value rustface's own demo uses: it
/// finds more faces than the stricter 2.8 and 4.5 its documentation also names, at the cost of
/// an occasional box on something that is not a face, which the person can remove.
const SCORE_THRESHOLD: f64 = 2.0;
const PYRAMID_SCALE: f32 = 0.8;
const WINDOW_STEP: u32 = 4;
/// The detector's box is tight around eyes, nose and mouth; hair, ears and chin also identify a
/// person, so each side grows by this fraction of the box.
const PAD: f64 = 0.25;

const MODEL_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/face_model.bin"));

/// The group photo that ships in rustface's package, for tests: real faces without keeping
/// anyone's picture in our repository. A path on the machine that built this crate.
#[doc(hidden)]
pub const SAMPLE_GROUP_PHOTO: &str = env!("PORCHLIGHT_FACES_SAMPLE");

/// The model is parsed once (it takes a moment) and cloned for each detection.
fn model() -> Option<&'static Model> {
    static MODEL: OnceLock<Option<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| rustface::read_model(MODEL_BYTES).ok())
        .as_ref()
}

/// Faces in `image` (upright), as padded regions, most certain first.
pub(crate) fn detect(image: &RgbImage) -> Result<Vec<Region>, MediaError> {
    let model = model().ok_or(MediaError::FaceDetection)?;
    let grey = downscaled_grey(image);
    let (width, height) = grey.dimensions();
    if width < MIN_FACE || height < MIN_FACE {
        return Ok(Vec::new());
    }
    // The detector panics on input it does not expect rather than returning an error; a
    // panic here must not take the app down with it.
    let mut faces = catch_unwind(AssertUnwindSafe(|| {
        let mut detector = rustface::create_detector_with_model(model.clone());
        detector.set_min_face_size(MIN_FACE);
        detector.set_score_thresh(SCORE_THRESHOLD);
        detector.set_pyramid_scale_factor(PYRAMID_SCALE);
        detector.set_slide_window_step(WINDOW_STEP, WINDOW_STEP);
        detector.detect(&ImageData::new(grey.as_raw(), width, height))
    }))
    .map_err(|_| MediaError::FaceDetection)?;
    faces.sort_by(|a, b| b.score().total_cmp(&a.score()));
    Ok(faces
        .iter()
        .filter_map(|face| padded_region(face, width, height))
        .take(MAX_FACES)
        .collect())
}

/// A grey copy at most [`DETECTION_SIDE`] on its long side (never enlarged).
fn downscaled_grey(image: &RgbImage) -> GrayImage {
    let grey = imageops::grayscale(image);
    let (w, h) = grey.dimensions();
    let long = w.max(h);
    if long <= DETECTION_SIDE {
        return grey;
    }
    let scale = |side: u32| {
        u32::try_from(u64::from(side) * u64::from(DETECTION_SIDE) / u64::from(long))
            .unwrap_or(1)
            .max(1)
    };
    // An averaging downscale: fast on a 50-megapixel photo and smooth enough for the detector.
    imageops::thumbnail(&grey, scale(w), scale(h))
}

/// The face's box grown by [`PAD`] on each side, as fractions of the image, clipped to it.
fn padded_region(face: &FaceInfo, width: u32, height: u32) -> Option<Region> {
    let b = face.bbox();
    let (bw, bh) = (f64::from(b.width()), f64::from(b.height()));
    let (w, h) = (f64::from(width), f64::from(height));
    let x0 = ((f64::from(b.x()) - PAD * bw) / w).clamp(0.0, 1.0);
    let y0 = ((f64::from(b.y()) - PAD * bh) / h).clamp(0.0, 1.0);
    let x1 = ((f64::from(b.x()) + bw * (1.0 + PAD)) / w).clamp(0.0, 1.0);
    let y1 = ((f64::from(b.y()) + bh * (1.0 + PAD)) / h).clamp(0.0, 1.0);
    (x1 > x0 && y1 > y0).then_some(Region {
        x: x0,
        y: y0,
        w: x1 - x0,
        h: y1 - y0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_model_loads() {
        assert!(model().is_some());
    }

    #[test]
    fn a_box_at_the_edge_is_padded_and_clipped_to_the_photo() {
        let mut face = FaceInfo::new();
        *face.bbox_mut() = rustface::Rectangle::new(-4, 10, 40, 40);
        let r = padded_region(&face, 200, 100).unwrap();
        assert!(r.x.abs() < f64::EPSILON);
        assert!((r.y - 0.0).abs() < f64::EPSILON, "10 - 10 px of padding");
        assert!((r.w - 46.0 / 200.0).abs() < 1e-9, "{r:?}");
        assert!((r.h - 60.0 / 100.0).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn a_large_photo_is_looked_at_small_and_a_small_one_as_it_is() {
        let big = RgbImage::new(3000, 1500);
        assert_eq!(downscaled_grey(&big).dimensions(), (1200, 600));
        let small = RgbImage::new(300, 200);
        assert_eq!(downscaled_grey(&small).dimensions(), (300, 200));
    }
}
