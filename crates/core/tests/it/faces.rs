//! "Find faces" before a photo is taken in: the faces found on a real group photo, blurred by
//! the same intake that strips metadata, are no longer found in the file the store keeps.

use porchlight_core::Core;
use porchlight_core::model::BlurRegion;
use porchlight_media::SAMPLE_GROUP_PHOTO;

fn centre(r: &BlurRegion) -> (f64, f64) {
    (r.x + r.w / 2.0, r.y + r.h / 2.0)
}

#[test]
fn faces_found_and_blurred_are_not_found_in_the_stored_photo() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Rita").unwrap();
    let photo = std::fs::read(SAMPLE_GROUP_PHOTO).unwrap();

    let faces = core.detect_faces(&photo).unwrap();
    assert!(faces.len() >= 20, "found {} of 29 faces", faces.len());

    // Kept as it is, the stored photo still shows the faces: the check below could fail.
    let plain = core.add_photo(&photo).unwrap();
    let in_plain = core
        .detect_faces(&core.photo(&plain.hash).unwrap().unwrap())
        .unwrap();
    assert!(in_plain.len() + 2 >= faces.len(), "{}", in_plain.len());

    let info = core.add_photo_blurred(&photo, &faces).unwrap();
    let stored = core.photo(&info.hash).unwrap().unwrap();
    let left = core.detect_faces(&stored).unwrap();
    assert!(
        left.len() * 4 <= faces.len(),
        "{} of {} faces still found",
        left.len(),
        faces.len()
    );
    for face in &faces {
        let (cx, cy) = centre(face);
        assert!(
            !left.iter().any(|l| (centre(l).0 - cx).abs() < face.w / 2.0
                && (centre(l).1 - cy).abs() < face.h / 2.0),
            "the blurred face at {cx:.2},{cy:.2} is found again"
        );
    }
}

#[test]
fn looking_for_faces_in_garbage_is_rejected_not_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Rita").unwrap();
    for bad in [
        &b""[..],
        b"not a photo at all, just words",
        &[0xFF, 0xD8, 0xFF, 0xE0][..],
    ] {
        let err = core.detect_faces(bad).unwrap_err();
        assert_eq!(err.kind(), "photo", "{err}");
    }
}
