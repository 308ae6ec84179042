//! A blurred part of a photo keeps nothing of its original pixels in the stored file, while the
//! rest of the photo is kept faithfully (so this test can tell the two apart).

use image::{ImageFormat, Rgb, RgbImage};
use porchlight_core::Core;
use porchlight_core::model::BlurRegion;

const SIDE: u32 = 400;

/// A photo of large random tiles (16 px, so JPEG keeps them well): every tile is information a
/// blur must destroy inside the region and keep outside it.
fn tiled_photo(seed: u64) -> (RgbImage, Vec<u8>) {
    let mut state = seed;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        u8::try_from(state % 256).unwrap()
    };
    let tiles: Vec<u8> = (0..(SIDE / 16) * (SIDE / 16)).map(|_| next()).collect();
    let img = RgbImage::from_fn(SIDE, SIDE, |x, y| {
        let v = tiles[((y / 16) * (SIDE / 16) + x / 16) as usize];
        Rgb([v, v, v])
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    (img, png)
}

/// Pearson correlation of the grey values of `a` and `b` over the pixels `inside` selects.
fn correlation(a: &RgbImage, b: &RgbImage, inside: impl Fn(u32, u32) -> bool) -> f64 {
    let pairs: Vec<(f64, f64)> = a
        .enumerate_pixels()
        .filter(|(x, y, _)| inside(*x, *y))
        .map(|(x, y, p)| (f64::from(p.0[0]), f64::from(b.get_pixel(x, y).0[0])))
        .collect();
    let n = pairs.len() as f64;
    let (ma, mb) = pairs
        .iter()
        .fold((0.0, 0.0), |(sa, sb), (x, y)| (sa + x / n, sb + y / n));
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in &pairs {
        cov += (x - ma) * (y - mb);
        va += (x - ma).powi(2);
        vb += (y - mb).powi(2);
    }
    cov / (va.sqrt() * vb.sqrt()).max(f64::EPSILON)
}

#[test]
fn a_blurred_region_keeps_no_trace_of_its_original_pixels_in_the_stored_file() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Rita").unwrap();
    let (original, png) = tiled_photo(0x5eed_1234_abcd_0001);
    // A "face" in the middle: x 100..260, y 120..280.
    let face = BlurRegion {
        x: 0.25,
        y: 0.3,
        w: 0.4,
        h: 0.4,
    };
    let info = core.add_photo_blurred(&png, &[face]).unwrap();
    let stored = core.photo(&info.hash).unwrap().unwrap();
    let kept = image::load_from_memory(&stored).unwrap().to_rgb8();
    assert_eq!(kept.dimensions(), (SIDE, SIDE));

    let in_face = |x: u32, y: u32| (100..260).contains(&x) && (120..280).contains(&y);
    // Away from the edges of the region (JPEG blocks straddle them).
    let well_outside = |x: u32, y: u32| !((92..268).contains(&x) && (112..288).contains(&y));
    let inside = correlation(&original, &kept, in_face);
    let outside = correlation(&original, &kept, well_outside);
    assert!(
        outside > 0.95,
        "the rest of the photo is kept ({outside:.3})"
    );
    assert!(
        inside.abs() < 0.35,
        "the blurred part still follows the original ({inside:.3})"
    );
    // The 160 px region is a 5 × 5 mosaic of 32 px cells: each cell is (nearly) one colour.
    let cell_spread = |cx: u32, cy: u32| {
        let values: Vec<i32> = (cy + 4..cy + 28)
            .flat_map(|y| (cx + 4..cx + 28).map(move |x| (x, y)))
            .map(|(x, y)| i32::from(kept.get_pixel(x, y).0[0]))
            .collect();
        values.iter().max().unwrap() - values.iter().min().unwrap()
    };
    for cy in (120..280).step_by(32) {
        for cx in (100..260).step_by(32) {
            assert!(
                cell_spread(cx, cy) <= 12,
                "cell at {cx},{cy} is not uniform"
            );
        }
    }
    // Without the blur, the same photo keeps its middle: the test could tell.
    let plain = core.add_photo(&png).unwrap();
    let plain = image::load_from_memory(&core.photo(&plain.hash).unwrap().unwrap())
        .unwrap()
        .to_rgb8();
    assert!(correlation(&original, &plain, in_face) > 0.95);
}

#[test]
fn a_region_reaching_outside_the_photo_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Rita").unwrap();
    let (_, png) = tiled_photo(7);
    let err = core
        .add_photo_blurred(
            &png,
            &[BlurRegion {
                x: 0.9,
                y: 0.9,
                w: 0.5,
                h: 0.5,
            }],
        )
        .unwrap_err();
    assert_eq!(err.kind(), "photo");
    assert!(err.to_string().contains("cannot blur"), "{err}");
}
