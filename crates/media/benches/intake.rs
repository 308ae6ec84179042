//! What cleaning a full-size phone photo costs compared with only decoding it.
//!
//! `cargo bench -p porchlight-media` runs both under criterion, then writes the P5 row
//! (`target/bench/P5-intake.json`): the output's size and metadata against the target, and the
//! time against decoding alone.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use image::{Rgb, RgbImage};
use porchlight_benchkit::Row;
use porchlight_media::{Limits, intake};

#[path = "../tests/it/common/mod.rs"]
mod common;

/// A 12-megapixel (4000 × 3000) JPEG with a gradient and noise, like a real photo, carrying full
/// EXIF: camera make, model and serial, GPS position, an embedded thumbnail.
fn phone_photo() -> Vec<u8> {
    let thumbnail = common::jpeg(&common::noisy(160, 120, 40, 7), 80);
    common::with_segments(
        &plain_photo(),
        &[common::app1_exif(&common::exif_private(1, &thumbnail))],
    )
}

fn plain_photo() -> Vec<u8> {
    let mut seed = 0x9E37_79B9_u32;
    let image = RgbImage::from_fn(4000, 3000, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed & 0x3F) as u8;
        Rgb([
            (x / 16) as u8 ^ noise,
            (y / 12) as u8,
            ((x + y) / 28) as u8 ^ noise,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&image)
        .expect("encode");
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn decode_only(bytes: &[u8]) {
    black_box(image::load_from_memory(bytes).expect("decode"));
}

fn full_intake(bytes: &[u8], limits: &Limits) {
    black_box(intake(bytes, limits).expect("intake"));
}

fn benches(c: &mut Criterion) {
    let photo = phone_photo();
    let limits = Limits::default();
    let mut group = c.benchmark_group("12mp_jpeg");
    group.sample_size(10);
    group.bench_function("image_decode_only", |b| b.iter(|| decode_only(&photo)));
    group.bench_function("intake", |b| b.iter(|| full_intake(&photo, &limits)));
    group.finish();
}

criterion_group!(group, benches);

fn mean_of(runs: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..runs {
        f();
    }
    start.elapsed() / runs
}

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --benches` runs this file once as a smoke test; the ratio is only worth
    // printing for a real benchmark run.
    if std::env::args().any(|a| a == "--bench") {
        let photo = phone_photo();
        let limits = Limits::default();
        let decode = mean_of(3, || decode_only(&photo));
        let clean = mean_of(3, || full_intake(&photo, &limits));
        let out = intake(&photo, &limits).expect("intake");
        let long_side = out.width.max(out.height);
        // The private EXIF carries the camera's serial number; none of it may survive.
        let clean_of_metadata =
            !contains(&out.jpeg, common::SERIAL.as_bytes()) && !contains(&out.jpeg, b"Exif\0\0");
        let met = long_side <= 1600 && out.jpeg.len() <= 400 * 1024 && clean_of_metadata;
        let row = Row::measured(
            "P5",
            "photo intake of a 12 MP JPEG with full EXIF/GPS",
            clean.as_secs_f64() * 1000.0,
            "ms",
            "<= 1600 px long side, <= 400 KB, no metadata; time against decode alone",
        )
        .against(
            decode.as_secs_f64() * 1000.0,
            "`image` decode alone, same run",
        )
        .met(met)
        .why(format!(
            "output {}x{} px, {} KB, metadata {}; decoding the full-size JPEG dominates",
            out.width,
            out.height,
            out.jpeg.len() / 1024,
            if clean_of_metadata { "none" } else { "FOUND" }
        ));
        porchlight_benchkit::write_rows("P5-intake", &[row]).expect("write the bench row");
    }
}
