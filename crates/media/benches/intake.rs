//! What cleaning a full-size phone photo costs compared with only decoding it.
//!
//! `cargo bench -p porchlight-media` runs both under criterion, then prints the ratio.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use image::{Rgb, RgbImage};
use porchlight_media::{Limits, intake};

/// A 12-megapixel (4000 × 3000) JPEG with a gradient and noise, like a real photo.
fn phone_photo() -> Vec<u8> {
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
        println!(
            "12 MP JPEG: decode {decode:.2?}, intake {clean:.2?}, ratio {:.2}×",
            clean.as_secs_f64() / decode.as_secs_f64()
        );
    }
}
