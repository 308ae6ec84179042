//! The privacy promise: what leaves `intake` carries pixels only, and they are upright.

use crate::common;

use common::{
    MAKE, MODEL, SERIAL, app1_exif, app1_xmp, app2_icc, app13_iptc, comment, exif_orientation_only,
    exif_private, exiftool, header_markers, jpeg, png_chunk, with_segments,
};
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use porchlight_media::{Limits, intake};

const RED: Rgb<u8> = Rgb([230, 20, 20]);
const GREEN: Rgb<u8> = Rgb([20, 200, 20]);
const BLUE: Rgb<u8> = Rgb([20, 20, 230]);
const GREY: Rgb<u8> = Rgb([128, 128, 128]);

/// Average colour of a 5×5 patch, so JPEG noise does not matter.
fn colour_at(image: &RgbImage, x: u32, y: u32) -> [u8; 3] {
    let mut sum = [0_u32; 3];
    for dy in 0..5 {
        for dx in 0..5 {
            let p = image.get_pixel(x + dx - 2, y + dy - 2);
            for c in 0..3 {
                sum[c] += u32::from(p[c]);
            }
        }
    }
    sum.map(|s| (s / 25) as u8)
}

fn assert_colour(image: &RgbImage, x: u32, y: u32, want: Rgb<u8>, what: &str) {
    let got = colour_at(image, x, y);
    let close = got.iter().zip(want.0).all(|(&g, w)| g.abs_diff(w) < 40);
    assert!(
        close,
        "{what}: at ({x},{y}) expected about {:?}, found {got:?}",
        want.0
    );
}

fn decode(bytes: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(bytes, ImageFormat::Jpeg)
        .expect("output decodes")
        .to_rgb8()
}

#[test]
fn identifying_metadata_is_removed_and_the_photo_is_upright() {
    // Stored sideways, as a phone held upright writes it: 640 wide, 480 tall, orientation 6.
    let mut stored = RgbImage::from_pixel(640, 480, GREY);
    for y in 0..96 {
        for x in 0..96 {
            stored.put_pixel(x, y, RED); // stored top-left
            stored.put_pixel(x, 479 - y, BLUE); // stored bottom-left
        }
    }
    let thumbnail = jpeg(&RgbImage::from_pixel(64, 48, RED), 70);
    let input = with_segments(
        &jpeg(&stored, 90),
        &[
            app1_exif(&exif_private(6, &thumbnail)),
            app1_xmp(),
            app13_iptc(),
            app2_icc(),
            comment(),
        ],
    );

    let dir = tempfile::tempdir().unwrap();
    let input_path = dir.path().join("input.jpg");
    std::fs::write(&input_path, &input).unwrap();
    let before = exiftool(&input_path);
    let value = |tags: &serde_json::Map<_, _>, key: &str| {
        tags.get(key)
            .and_then(|v: &serde_json::Value| v.as_str().map(str::to_owned))
    };
    // The input really carries what must go, so this test can fail.
    assert_eq!(
        value(&before, "EXIF:Make").as_deref(),
        Some(MAKE),
        "{before:#?}"
    );
    assert_eq!(value(&before, "EXIF:Model").as_deref(), Some(MODEL));
    assert_eq!(value(&before, "EXIF:SerialNumber").as_deref(), Some(SERIAL));
    for key in [
        "EXIF:GPSLatitude",
        "EXIF:GPSLongitude",
        "EXIF:Orientation",
        "EXIF:ThumbnailImage",
        "XMP:CreatorTool",
        "IPTC:By-line",
        "ICC_Profile:ProfileCMMType",
        "ICC_Profile:ProfileCopyright",
        "File:Comment",
    ] {
        assert!(before.contains_key(key), "input lacks {key}: {before:#?}");
    }

    let photo = intake(&input, &Limits::default()).unwrap();

    let output_path = dir.path().join("output.jpg");
    std::fs::write(&output_path, &photo.jpeg).unwrap();
    let thumb_path = dir.path().join("thumb.jpg");
    std::fs::write(&thumb_path, &photo.thumbnail).unwrap();
    for path in [&output_path, &thumb_path] {
        let after = exiftool(path);
        for key in after.keys() {
            let (group, tag) = key.split_once(':').unwrap_or(("", key.as_str()));
            assert!(
                matches!(group, "" | "ExifTool" | "File" | "JFIF" | "Composite"),
                "{key} survived in {}: {after:#?}",
                path.display()
            );
            for leak in [
                "GPS",
                "Make",
                "Model",
                "Serial",
                "Thumbnail",
                "XMP",
                "Comment",
                "Orientation",
            ] {
                assert!(!tag.contains(leak), "{key} survived: {after:#?}");
            }
        }
        let text = serde_json::to_string(&after).unwrap();
        for secret in [MAKE, MODEL, SERIAL, "Secret", "Elm Street"] {
            assert!(!text.contains(secret), "{secret} survived: {text}");
        }
    }
    // Independently of exiftool: only the JFIF header (APP0) precedes the image data.
    for bytes in [&photo.jpeg, &photo.thumbnail] {
        let app_or_comment: Vec<u8> = header_markers(bytes)
            .into_iter()
            .filter(|m| (0xE1..=0xEF).contains(m) || *m == 0xFE)
            .collect();
        assert!(
            app_or_comment.is_empty(),
            "metadata segments {app_or_comment:x?} in output"
        );
    }

    // Turned a quarter clockwise: now tall, red in the top-right, blue in the top-left.
    assert_eq!((photo.width, photo.height), (480, 640));
    let upright = decode(&photo.jpeg);
    assert_eq!(upright.dimensions(), (480, 640));
    assert_colour(&upright, 432, 48, RED, "stored top-left");
    assert_colour(&upright, 48, 48, BLUE, "stored bottom-left");
    assert_colour(&upright, 240, 400, GREY, "middle");
    let thumb = decode(&photo.thumbnail);
    assert_eq!(thumb.dimensions(), (300, 400));
    assert_colour(&thumb, 270, 30, RED, "thumbnail top-right");
}

/// An upright scene, 120 × 80: red, green and blue in three corners.
fn scene() -> RgbImage {
    RgbImage::from_fn(120, 80, |x, y| match (x < 40, x >= 80, y < 30, y >= 50) {
        (true, _, true, _) => RED,
        (_, true, true, _) => GREEN,
        (true, _, _, true) => BLUE,
        _ => GREY,
    })
}

fn assert_upright_scene(image: &RgbImage, what: &str) {
    assert_eq!(image.dimensions(), (120, 80), "{what}");
    assert_colour(image, 15, 12, RED, what);
    assert_colour(image, 105, 12, GREEN, what);
    assert_colour(image, 15, 68, BLUE, what);
    assert_colour(image, 105, 68, GREY, what);
}

/// How a camera stores `upright` under EXIF `orientation`: stored pixel (sx, sy) is shown at
/// the returned display position. Written from the EXIF definitions, not from the code under
/// test.
fn stored_as(upright: &RgbImage, orientation: u16) -> RgbImage {
    let (w, h) = upright.dimensions();
    let (sw, sh) = if orientation >= 5 { (h, w) } else { (w, h) };
    RgbImage::from_fn(sw, sh, |sx, sy| {
        let (dx, dy) = match orientation {
            1 => (sx, sy),
            2 => (sw - 1 - sx, sy),
            3 => (sw - 1 - sx, sh - 1 - sy),
            4 => (sx, sh - 1 - sy),
            5 => (sy, sx),
            6 => (sh - 1 - sy, sx),
            7 => (sh - 1 - sy, sw - 1 - sx),
            8 => (sy, sw - 1 - sx),
            _ => unreachable!(),
        };
        *upright.get_pixel(dx, dy)
    })
}

#[test]
fn every_exif_orientation_comes_out_upright() {
    let scene = scene();
    for orientation in 1..=8 {
        let stored = stored_as(&scene, orientation);
        let input = with_segments(
            &jpeg(&stored, 95),
            &[app1_exif(&exif_orientation_only(orientation))],
        );
        let photo = intake(&input, &Limits::default()).unwrap();
        assert_upright_scene(&decode(&photo.jpeg), &format!("orientation {orientation}"));
    }
}

#[test]
fn png_orientation_from_its_exif_chunk_is_applied() {
    let png = common::encode(&stored_as(&scene(), 6), ImageFormat::Png);
    // eXIf goes after IHDR: signature(8) + IHDR chunk(25).
    let mut input = png[..33].to_vec();
    input.extend(png_chunk(*b"eXIf", &exif_orientation_only(6)));
    input.extend(&png[33..]);
    let photo = intake(&input, &Limits::default()).unwrap();
    assert_upright_scene(&decode(&photo.jpeg), "png with eXIf 6");
}

#[test]
fn png_and_webp_are_accepted_and_small_photos_are_not_upscaled() {
    for format in [ImageFormat::Png, ImageFormat::WebP] {
        let photo = intake(&common::encode(&scene(), format), &Limits::default()).unwrap();
        assert_eq!((photo.width, photo.height), (120, 80));
        assert_upright_scene(&decode(&photo.jpeg), &format!("{format:?}"));
        assert_eq!(photo.hash, blake3::hash(&photo.jpeg).to_hex().to_string());
        assert_eq!(
            photo.thumb_hash,
            blake3::hash(&photo.thumbnail).to_hex().to_string()
        );
    }
}

#[test]
fn transparent_png_is_flattened_onto_white() {
    let mut rgba = RgbaImage::from_pixel(64, 64, Rgba([0, 0, 0, 0]));
    for y in 0..32 {
        for x in 0..64 {
            rgba.put_pixel(x, y, Rgba([20, 20, 230, 255]));
        }
    }
    let mut png = std::io::Cursor::new(Vec::new());
    rgba.write_to(&mut png, ImageFormat::Png).unwrap();
    let photo = intake(png.get_ref(), &Limits::default()).unwrap();
    let out = decode(&photo.jpeg);
    assert_colour(&out, 32, 12, BLUE, "opaque half");
    assert_colour(&out, 32, 52, Rgb([255, 255, 255]), "transparent half");
}

#[test]
fn the_same_photo_gets_the_same_address() {
    let input = jpeg(&common::noisy(900, 600, 20, 9), 90);
    let a = intake(&input, &Limits::default()).unwrap();
    let b = intake(&input, &Limits::default()).unwrap();
    assert_eq!(a.hash, b.hash);
    assert_eq!(a.hash.len(), 64);
    assert_ne!(a.hash, a.thumb_hash);
}
