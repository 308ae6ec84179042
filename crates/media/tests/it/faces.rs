//! Face detection on a real group photo (the one rustface's package ships; our repository keeps
//! no one's picture): it finds the faces, the blur of what it found leaves faces it can no
//! longer find, and it refuses what intake refuses.

use crate::common;

use common::{app1_exif, exif_orientation_only, jpeg, png_claiming, with_segments};
use image::{ImageFormat, RgbImage, imageops};
use porchlight_media::{
    Limits, MediaError, Region, SAMPLE_GROUP_PHOTO, detect_faces, intake, intake_blurred,
};

fn group_photo() -> Vec<u8> {
    std::fs::read(SAMPLE_GROUP_PHOTO).expect("rustface's package holds test.png")
}

fn centre(r: &Region) -> (f64, f64) {
    (r.x + r.w / 2.0, r.y + r.h / 2.0)
}

#[test]
fn several_faces_are_found_in_a_group_photo_inside_the_photo() {
    let faces = detect_faces(&group_photo(), &Limits::default()).unwrap();
    // 29 people; a few faces at the edge of the detector's reach may be missed.
    assert!(faces.len() >= 20, "found {} faces", faces.len());
    for f in &faces {
        assert!(f.x >= 0.0 && f.y >= 0.0 && f.w > 0.0 && f.h > 0.0, "{f:?}");
        assert!(f.x + f.w <= 1.0 && f.y + f.h <= 1.0, "{f:?}");
        // Faces, not the whole picture.
        assert!(f.w < 0.3 && f.h < 0.5, "{f:?}");
    }
    // The regions are what intake_blurred takes.
    intake_blurred(&group_photo(), &Limits::default(), &faces).unwrap();
}

#[test]
fn after_blurring_what_was_found_the_stored_photo_shows_no_face_the_detector_finds() {
    let limits = Limits::default();
    let photo = group_photo();
    let found = detect_faces(&photo, &limits).unwrap();
    assert!(found.len() >= 20, "found {} faces", found.len());

    // The same photo through the real intake, without and with the blur: the test could tell.
    let plain = intake(&photo, &limits).unwrap();
    let in_plain = detect_faces(&plain.jpeg, &limits).unwrap();
    assert!(
        in_plain.len() + 2 >= found.len(),
        "the cleaned photo keeps its faces ({} of {})",
        in_plain.len(),
        found.len()
    );
    let blurred = intake_blurred(&photo, &limits, &found).unwrap();
    let left = detect_faces(&blurred.jpeg, &limits).unwrap();
    // Whatever the detector still reports may not be one of the faces it blurred.
    for face in &found {
        let (cx, cy) = centre(face);
        assert!(
            !left.iter().any(|l| (centre(l).0 - cx).abs() < face.w / 2.0
                && (centre(l).1 - cy).abs() < face.h / 2.0),
            "a blurred face at {cx:.2},{cy:.2} is still found: {left:?}"
        );
    }
    assert!(
        left.len() * 4 <= found.len(),
        "{} of {} faces still found",
        left.len(),
        found.len()
    );
}

#[test]
fn faces_are_found_in_the_upright_photo_of_a_sideways_stored_jpeg() {
    let limits = Limits::default();
    let upright = image::load_from_memory(&group_photo()).unwrap().to_rgb8();
    let expected = detect_faces(&jpeg(&upright, 92), &limits).unwrap();
    // As a phone held upright stores it: pixels turned a quarter, EXIF orientation 6.
    let sideways = jpeg(&imageops::rotate270(&upright), 92);
    let untagged = detect_faces(&sideways, &limits).unwrap();
    let tagged = with_segments(&sideways, &[app1_exif(&exif_orientation_only(6))]);
    let faces = detect_faces(&tagged, &limits).unwrap();

    assert!(
        untagged.len() * 2 < expected.len(),
        "the detector only finds upright faces ({} sideways, {} upright)",
        untagged.len(),
        expected.len()
    );
    // In the upright photo's coordinates: the faces found lie where the upright photo's are
    // (the detector is not exact: a face at the edge of its reach may come and go between two
    // encodings of the same picture).
    let near_expected = faces
        .iter()
        .filter(|f| {
            expected.iter().any(|e| {
                (centre(e).0 - centre(f).0).abs() < 0.02 && (centre(e).1 - centre(f).1).abs() < 0.02
            })
        })
        .count();
    assert!(
        near_expected * 10 >= expected.len() * 9,
        "{near_expected} of {} faces found upright",
        expected.len()
    );
}

#[test]
fn a_photo_without_faces_has_none() {
    let gradient = RgbImage::from_fn(1200, 800, |x, y| {
        image::Rgb([(x * 255 / 1200) as u8, (y * 255 / 800) as u8, 128])
    });
    for bytes in [
        jpeg(&gradient, 90),
        common::encode(&gradient, ImageFormat::Png),
        jpeg(&common::noisy(900, 600, 40, 3), 85),
        // Smaller than the smallest face the detector looks for.
        jpeg(&common::noisy(12, 12, 40, 4), 85),
    ] {
        assert_eq!(detect_faces(&bytes, &Limits::default()).unwrap(), vec![]);
    }
}

#[test]
fn garbage_empty_and_oversized_input_is_rejected_not_panicking() {
    let limits = Limits::default();
    let mut rng = common::Rng::new(15);
    let garbage: Vec<u8> = (0..4096).map(|_| rng.byte()).collect();
    assert!(matches!(
        detect_faces(&garbage, &limits),
        Err(MediaError::NotAnImage)
    ));
    assert!(matches!(detect_faces(&[], &limits), Err(MediaError::Empty)));
    // A real photo cut short.
    let photo = group_photo();
    assert!(matches!(
        detect_faces(&photo[..photo.len() / 3], &limits),
        Err(MediaError::Corrupt(_))
    ));
    // A decompression bomb is refused from its header, as intake refuses it.
    assert!(matches!(
        detect_faces(&png_claiming(30_000, 30_000), &limits),
        Err(MediaError::TooManyPixels { .. })
    ));
    let small = Limits {
        max_input_bytes: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        detect_faces(&photo, &small),
        Err(MediaError::TooLarge { .. })
    ));
}
