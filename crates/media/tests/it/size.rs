//! A full-size phone photo comes out small enough to send over a poor connection.

use crate::common;

use image::{GenericImageView, ImageFormat};
use porchlight_media::{Limits, intake};

#[test]
fn twelve_megapixel_noisy_photo_is_downscaled_under_budget() {
    let input = common::jpeg(&common::noisy(4000, 3000, 60, 12), 92);
    assert!(
        input.len() > 2_000_000,
        "test photo too compressible: {} bytes",
        input.len()
    );

    let photo = intake(&input, &Limits::default()).unwrap();

    assert_eq!(
        (photo.width, photo.height),
        (1600, 1200),
        "long side 1600, aspect kept"
    );
    assert!(
        photo.jpeg.len() <= 400_000,
        "output is {} bytes",
        photo.jpeg.len()
    );
    let decoded = image::load_from_memory_with_format(&photo.jpeg, ImageFormat::Jpeg).unwrap();
    assert_eq!(decoded.dimensions(), (1600, 1200));

    let thumb = image::load_from_memory_with_format(&photo.thumbnail, ImageFormat::Jpeg).unwrap();
    assert_eq!(thumb.dimensions(), (400, 300));
    assert!(photo.thumbnail.len() <= Limits::default().max_thumbnail_bytes);
}

#[test]
fn a_tight_budget_lowers_quality_then_size_but_is_always_met() {
    let input = common::jpeg(&common::noisy(2000, 1000, 90, 3), 95);
    let limits = Limits {
        max_output_bytes: 60_000,
        ..Limits::default()
    };
    let photo = intake(&input, &limits).unwrap();
    assert!(
        photo.jpeg.len() <= 60_000,
        "output is {} bytes",
        photo.jpeg.len()
    );
    assert!(photo.width <= 1600 && photo.height <= 800);
    let ratio = f64::from(photo.width) / f64::from(photo.height);
    assert!(
        (ratio - 2.0).abs() < 0.02,
        "aspect kept: {}×{}",
        photo.width,
        photo.height
    );
}
