//! Blurring parts of a photo (faces, number plates) before it is encoded, in the same pass that
//! strips metadata, so the original pixels of those parts never reach a file or the network.
//!
//! A region is replaced by a coarse mosaic: at most [`MOSAIC_CELLS`] cells across its longer
//! side, each filled with the mean colour of the pixels it covers. Unlike a Gaussian blur,
//! which a deconvolution can partly undo, a cell's mean keeps nothing of the pixels inside it.

use image::{Rgb, RgbImage};

use crate::MediaError;

/// Cells across the longer side of a region (fewer for small regions).
pub const MOSAIC_CELLS: u32 = 5;
/// Smallest cell side in pixels.
const MIN_CELL: u32 = 12;
/// Rounding in the UI may put a box's far edge a hair past the photo's.
const EDGE_SLACK: f64 = 1e-6;
/// Regions per photo. The brush turns painted strokes into rectangles (see the UI's
/// `brush.ts`), and face detection adds one per face, so this is well above what boxes drawn
/// by hand need.
pub const MAX_REGIONS: usize = 200;
/// Sum of the regions' areas, in photos: bounds the work of the mosaic (each region is read and
/// written once) when many regions overlap; one region may still cover the whole photo.
const MAX_TOTAL_AREA: f64 = 8.0;
/// A mosaic cell is never smaller than this fraction of the photo's long side, however small
/// or thin its region: the brush's rectangles can be thin strips, and a strip cut into small
/// cells would keep a face's outline at the strip's resolution.
const MIN_CELL_OF_PHOTO: u32 = 64;

/// A rectangle to blur, as fractions (0–1) of the upright photo's width and height, so the UI
/// can draw it on a preview of any size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Region {
    fn check(&self) -> Result<(), MediaError> {
        let inside = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        let within = self.x + self.w <= 1.0 + EDGE_SLACK && self.y + self.h <= 1.0 + EDGE_SLACK;
        if [self.x, self.y, self.w, self.h].into_iter().all(inside)
            && self.w > 0.0
            && self.h > 0.0
            && within
        {
            Ok(())
        } else {
            Err(MediaError::BadRegion(format!(
                "x {} y {} width {} height {} do not lie within the photo",
                self.x, self.y, self.w, self.h
            )))
        }
    }

    /// The pixel rectangle (x0, y0, x1, y1), exclusive ends, grown outward to whole pixels.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    fn pixels(&self, width: u32, height: u32) -> (u32, u32, u32, u32) {
        let (w, h) = (f64::from(width), f64::from(height));
        let x0 = (self.x * w).floor().clamp(0.0, w) as u32;
        let y0 = (self.y * h).floor().clamp(0.0, h) as u32;
        let x1 = ((self.x + self.w) * w).ceil().clamp(0.0, w) as u32;
        let y1 = ((self.y + self.h) * h).ceil().clamp(0.0, h) as u32;
        (x0, y0, x1.max(x0), y1.max(y0))
    }
}

/// Checks every region before any pixel is touched.
pub(crate) fn check(regions: &[Region]) -> Result<(), MediaError> {
    if regions.len() > MAX_REGIONS {
        return Err(MediaError::BadRegion(format!(
            "{} regions to blur; at most {MAX_REGIONS}",
            regions.len()
        )));
    }
    regions.iter().try_for_each(Region::check)?;
    let area: f64 = regions.iter().map(|r| r.w * r.h).sum();
    if area > MAX_TOTAL_AREA {
        return Err(MediaError::BadRegion(format!(
            "the parts to blur overlap too much ({area:.1} times the photo); merge the boxes"
        )));
    }
    Ok(())
}

/// Replaces each region of `image` with its mosaic.
pub(crate) fn apply(image: &mut RgbImage, regions: &[Region]) {
    let (width, height) = image.dimensions();
    let min_cell = MIN_CELL.max(width.max(height).div_ceil(MIN_CELL_OF_PHOTO));
    for region in regions {
        let (x0, y0, x1, y1) = region.pixels(width, height);
        let longer = (x1 - x0).max(y1 - y0);
        if longer == 0 {
            continue;
        }
        let cell = (longer.div_ceil(MOSAIC_CELLS)).max(min_cell);
        // Each side is split into equal parts, so no leftover sliver (down to one pixel, which
        // would keep its original colour) is left at the far edges.
        let rows = split(y0, y1, cell);
        let cols = split(x0, x1, cell);
        for &(cy, cy1) in &rows {
            for &(cx, cx1) in &cols {
                fill_mean(image, (cx, cy, cx1, cy1));
            }
        }
    }
}

/// `start..end` cut into ceil(len / cell) runs of (nearly) equal length.
fn split(start: u32, end: u32, cell: u32) -> Vec<(u32, u32)> {
    let len = end - start;
    let parts = len.div_ceil(cell).max(1);
    (0..parts)
        .map(|i| {
            let a = start
                + u32::try_from(u64::from(len) * u64::from(i) / u64::from(parts)).unwrap_or(0);
            let b = start
                + u32::try_from(u64::from(len) * u64::from(i + 1) / u64::from(parts))
                    .unwrap_or(len);
            (a, b)
        })
        .collect()
}

fn fill_mean(image: &mut RgbImage, (x0, y0, x1, y1): (u32, u32, u32, u32)) {
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for y in y0..y1 {
        for x in x0..x1 {
            let p = image.get_pixel(x, y).0;
            for (s, v) in sum.iter_mut().zip(p) {
                *s += u64::from(v);
            }
            n += 1;
        }
    }
    if n == 0 {
        return;
    }
    let mean = Rgb(sum.map(|s| u8::try_from(s / n).unwrap_or(u8::MAX)));
    for y in y0..y1 {
        for x in x0..x1 {
            image.put_pixel(x, y, mean);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_outside_the_photo_are_refused() {
        for bad in [
            Region {
                x: -0.1,
                y: 0.0,
                w: 0.5,
                h: 0.5,
            },
            Region {
                x: 0.0,
                y: 0.0,
                w: 0.0,
                h: 0.5,
            },
            Region {
                x: 0.0,
                y: f64::NAN,
                w: 0.5,
                h: 0.5,
            },
            Region {
                x: 0.0,
                y: 0.0,
                w: 1.5,
                h: 0.5,
            },
        ] {
            assert!(check(&[bad]).is_err(), "{bad:?}");
        }
        let many = vec![
            Region {
                x: 0.0,
                y: 0.0,
                w: 0.1,
                h: 0.1
            };
            MAX_REGIONS + 1
        ];
        assert!(check(&many).is_err());
        let whole = Region {
            x: 0.0,
            y: 0.0,
            w: 1.0,
            h: 1.0,
        };
        assert!(check(&[whole; 8]).is_ok());
        assert!(matches!(check(&[whole; 9]), Err(MediaError::BadRegion(_))));
    }

    #[test]
    fn a_thin_strip_is_cut_into_cells_no_smaller_than_a_64th_of_the_photo() {
        // 1280 px photo: cells of at least 20 px, even in a 12 px tall strip whose own
        // size would ask for 12 px cells.
        let mut img = RgbImage::from_fn(1280, 200, |x, y| {
            Rgb([u8::try_from((x * 7 + y * 13) % 256).unwrap(), 0, 0])
        });
        apply(
            &mut img,
            &[Region {
                x: 0.0,
                y: 0.5,
                w: 60.0 / 1280.0,
                h: 12.0 / 200.0,
            }],
        );
        // 60 px long: three cells of 20 px; each is one colour over the strip's 12 rows.
        for cx in [0, 20, 40] {
            let c = *img.get_pixel(cx, 100);
            for y in 100..112 {
                for x in cx..cx + 20 {
                    assert_eq!(*img.get_pixel(x, y), c, "{x},{y}");
                }
            }
        }
    }

    #[test]
    fn no_sliver_at_the_far_edges_keeps_an_original_pixel() {
        // 25 × 13 px region with 12 px cells: 8+8+9 by 6+7, never 12+12+1.
        assert_eq!(split(0, 25, 12), vec![(0, 8), (8, 16), (16, 25)]);
        assert_eq!(split(0, 13, 12), vec![(0, 6), (6, 13)]);
        for len in 1..200 {
            let parts = split(10, 10 + len, 12);
            assert_eq!(parts.first().unwrap().0, 10);
            assert_eq!(parts.last().unwrap().1, 10 + len);
            assert!(
                parts
                    .iter()
                    .all(|(a, b)| b - a >= (len / u32::try_from(parts.len()).unwrap()).max(1))
            );
        }
    }

    #[test]
    fn a_mosaic_cell_is_one_colour_and_outside_is_untouched() {
        let mut img = RgbImage::from_fn(100, 100, |x, y| {
            Rgb([u8::try_from((x * 7 + y * 13) % 256).unwrap(), 0, 0])
        });
        let before = img.clone();
        apply(
            &mut img,
            &[Region {
                x: 0.2,
                y: 0.2,
                w: 0.3,
                h: 0.3,
            }],
        );
        // 30 px region, cells of 12 px: split evenly into three of 10 px; the first is uniform.
        let c = *img.get_pixel(20, 20);
        for y in 20..30 {
            for x in 20..30 {
                assert_eq!(*img.get_pixel(x, y), c);
            }
        }
        assert_eq!(img.get_pixel(70, 70), before.get_pixel(70, 70));
        assert_eq!(img.get_pixel(19, 19), before.get_pixel(19, 19));
    }
}
