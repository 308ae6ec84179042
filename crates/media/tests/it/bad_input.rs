//! Hostile and broken input gets a typed error, quickly, without a panic and without
//! allocating what the header asks for.

use crate::common;

use common::{Rng, jpeg, png_claiming, segment};
use image::{ImageFormat, RgbImage};
use porchlight_media::{Limits, MediaError, intake};

fn small_jpeg() -> Vec<u8> {
    jpeg(&common::noisy(64, 48, 30, 1), 85)
}

/// A bare JPEG header: SOI, a baseline frame header of the given size, one scan, EOI.
fn jpeg_header_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    let mut sof = vec![8];
    sof.extend(height.to_be_bytes());
    sof.extend(width.to_be_bytes());
    sof.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    out.extend(segment(0xC0, &sof));
    out.extend(segment(0xDA, &[3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0]));
    out.extend([0x12, 0x34, 0xFF, 0xD9]);
    out
}

#[test]
fn png_decompression_bomb_is_rejected_not_panicking() {
    let bomb = png_claiming(30_000, 30_000);
    assert!(
        bomb.len() < 200,
        "the bomb itself is tiny: {} bytes",
        bomb.len()
    );
    let result = intake(&bomb, &Limits::default());
    assert!(
        matches!(
            result,
            Err(MediaError::TooManyPixels {
                width: 30_000,
                height: 30_000,
                ..
            })
        ),
        "{result:?}"
    );
    // A valid PNG otherwise: within limits it decodes as far as its data goes, then errors.
    let in_limits = intake(&png_claiming(2000, 2000), &Limits::default());
    assert!(
        matches!(in_limits, Err(MediaError::Corrupt(_))),
        "{in_limits:?}"
    );
}

#[test]
fn hundred_megapixel_header_is_rejected_not_panicking() {
    let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    let side = (10_000_u32 - 1).to_le_bytes();
    webp.extend(&side[..3]);
    webp.extend(&side[..3]);
    for (what, bytes) in [
        ("jpeg", jpeg_header_claiming(10_000, 10_000)),
        ("png", png_claiming(10_000, 10_000)),
        ("webp", webp),
    ] {
        let result = intake(&bytes, &Limits::default());
        assert!(
            matches!(
                result,
                Err(MediaError::TooManyPixels {
                    width: 10_000,
                    height: 10_000,
                    ..
                })
            ),
            "{what}: {result:?}"
        );
    }
    // Within the pixel count but a side too long (a panorama strip of 13,000 × 100).
    let strip = intake(&jpeg_header_claiming(13_000, 100), &Limits::default());
    assert!(
        matches!(strip, Err(MediaError::TooManyPixels { .. })),
        "{strip:?}"
    );
}

#[test]
fn text_file_named_jpg_is_rejected_not_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("holiday.jpg");
    std::fs::write(&path, "Dear neighbours, the meeting is on Tuesday.\n").unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let result = intake(&bytes, &Limits::default());
    assert!(matches!(result, Err(MediaError::NotAnImage)), "{result:?}");
    let message = result.unwrap_err().to_string();
    assert!(message.contains("not a photo"), "{message}");
}

#[test]
fn garbage_starting_like_a_jpeg_is_rejected_not_panicking() {
    let mut rng = Rng::new(99);
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake.extend((0..4096).map(|_| rng.byte()));
    let result = intake(&fake, &Limits::default());
    assert!(matches!(result, Err(MediaError::Corrupt(_))), "{result:?}");
}

#[test]
fn truncated_jpeg_is_rejected_not_panicking() {
    let whole = small_jpeg();
    assert!(intake(&whole, &Limits::default()).is_ok());
    for keep in [3, 10, 100, whole.len() / 2, whole.len() - 2] {
        let result = intake(&whole[..keep], &Limits::default());
        assert!(
            matches!(result, Err(MediaError::Corrupt(_))),
            "kept {keep}: {result:?}"
        );
    }
}

#[test]
fn truncated_png_and_webp_are_rejected_not_panicking() {
    for format in [ImageFormat::Png, ImageFormat::WebP] {
        let whole = common::encode(&common::noisy(64, 48, 30, 2), format);
        assert!(intake(&whole, &Limits::default()).is_ok());
        for keep in [12, 30, whole.len() / 2, whole.len() - 12] {
            let result = intake(&whole[..keep], &Limits::default());
            assert!(
                matches!(result, Err(MediaError::Corrupt(_))),
                "{format:?} {keep}: {result:?}"
            );
        }
    }
}

#[test]
fn heic_is_rejected_not_panicking() {
    let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic.extend([0; 64]);
    let result = intake(&heic, &Limits::default());
    assert!(
        matches!(result, Err(MediaError::Unsupported { .. })),
        "{result:?}"
    );
    assert_eq!(
        result.unwrap_err().to_string(),
        "HEIC photos are not supported yet; convert to JPEG"
    );
}

#[test]
fn empty_input_is_rejected_not_panicking() {
    assert!(matches!(
        intake(&[], &Limits::default()),
        Err(MediaError::Empty)
    ));
}

#[test]
fn oversized_input_is_rejected_not_panicking() {
    let limits = Limits::default();
    let mut huge = small_jpeg();
    huge.resize(limits.max_input_bytes + 1, 0);
    let result = intake(&huge, &limits);
    assert!(
        matches!(result, Err(MediaError::TooLarge { size, max }) if size == max + 1),
        "{result:?}"
    );
    let tight = Limits {
        max_input_bytes: 100,
        ..Limits::default()
    };
    assert!(matches!(
        intake(&small_jpeg(), &tight),
        Err(MediaError::TooLarge { .. })
    ));
}

#[test]
fn error_messages_read_as_sentences() {
    let errors = [
        intake(&[], &Limits::default()).unwrap_err(),
        intake(b"hello", &Limits::default()).unwrap_err(),
        intake(&png_claiming(30_000, 30_000), &Limits::default()).unwrap_err(),
        intake(&small_jpeg()[..100], &Limits::default()).unwrap_err(),
    ];
    for error in errors {
        let message = error.to_string();
        assert!(message.starts_with(char::is_lowercase), "{message}");
        assert!(
            !message.contains("Error") && !message.contains('{'),
            "{message}"
        );
    }
}

/// Mutated real images and plain noise. Limits are lowered so that a mutated header declaring
/// a large (but allowed) image does not make each round slow.
#[test]
fn mutated_and_random_bytes_are_rejected_not_panicking() {
    let limits = Limits {
        max_pixels: 300_000,
        max_side: 2_000,
        ..Limits::default()
    };
    let seeds: Vec<Vec<u8>> = vec![
        small_jpeg(),
        common::encode(
            &RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8, y as u8, 7])),
            ImageFormat::Png,
        ),
        common::encode(&common::noisy(40, 30, 20, 5), ImageFormat::WebP),
        common::with_segments(
            &small_jpeg(),
            &[common::app1_exif(&common::exif_private(6, &small_jpeg()))],
        ),
    ];
    let mut rng = Rng::new(2024);
    let mut outcomes = [0_usize; 2];
    for round in 0..600 {
        let mut bytes = seeds[round % seeds.len()].clone();
        match rng.below(5) {
            0 => {
                for _ in 0..=rng.below(8) {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.byte();
                }
            }
            1 => bytes.truncate(rng.below(bytes.len())),
            2 => {
                let at = rng.below(bytes.len());
                let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.byte()).collect();
                bytes.splice(at..at, junk);
            }
            3 => {
                // Keep the magic, randomise the rest.
                let keep = 4 + rng.below(24);
                for b in bytes.iter_mut().skip(keep) {
                    *b = rng.byte();
                }
            }
            _ => bytes = (0..rng.below(512)).map(|_| rng.byte()).collect(),
        }
        outcomes[usize::from(intake(&bytes, &limits).is_ok())] += 1;
    }
    // Most mutations must be refused; some survive (a flipped bit in pixel data is still a
    // photo). Either way, nothing panicked to get here.
    assert!(outcomes[0] > 100, "{outcomes:?}");
}
