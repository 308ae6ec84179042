//! Recognising the format from magic bytes, and reading the declared size from the header
//! without decoding anything.

use crate::MediaError;

/// The formats we decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Jpeg,
    Png,
    WebP,
}

/// Decides the format from the first bytes. File names and MIME types are never trusted.
pub(crate) fn sniff(bytes: &[u8]) -> Result<Format, MediaError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Format::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(Format::WebP);
    }
    if let Some(format) = iso_bmff_image(bytes) {
        return Err(MediaError::Unsupported { format });
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Err(MediaError::Unsupported { format: "GIF" });
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Err(MediaError::Unsupported { format: "TIFF" });
    }
    Err(MediaError::NotAnImage)
}

/// HEIC/HEIF and AVIF share the ISO base media container: `size "ftyp" major minor compat*`.
fn iso_bmff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 12 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = size.clamp(12, bytes.len());
    let major = &bytes[8..12];
    let compatible = bytes.get(16..end).unwrap_or_default().chunks_exact(4);
    let brands = std::iter::once(major).chain(compatible);
    let mut heif = false;
    for brand in brands {
        match brand {
            b"avif" | b"avis" => return Some("AVIF"),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs"
            | b"mif1" | b"msf1" => heif = true,
            _ => {}
        }
    }
    heif.then_some("HEIC")
}

/// Width and height as the header declares them.
pub(crate) fn dimensions(format: Format, bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    let dims = match format {
        Format::Jpeg => jpeg_dimensions(bytes)?,
        Format::Png => png_dimensions(bytes)?,
        Format::WebP => webp_dimensions(bytes)?,
    };
    if dims.0 == 0 || dims.1 == 0 {
        return Err(corrupt("the header declares an image of zero size"));
    }
    Ok(dims)
}

fn corrupt(why: &str) -> MediaError {
    MediaError::Corrupt(why.to_owned())
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn le_u24(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        0,
    ]))
}

/// Walks the marker segments to the frame header. Also insists on an end-of-image marker after
/// the first scan: the JPEG decoder quietly fills a cut-off file with grey, and a half photo
/// should be refused, not sent.
fn jpeg_dimensions(b: &[u8]) -> Result<(u32, u32), MediaError> {
    let truncated = || corrupt("the file ends before the image data (is it truncated?)");
    let mut dims = None;
    let mut at = 2; // after SOI
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        if *b.get(at).ok_or_else(truncated)? != 0xFF {
            return Err(corrupt(
                "not a valid JPEG (bad marker); the file may not be a JPEG",
            ));
        }
        while b.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *b.get(at).ok_or_else(truncated)?;
        at += 1;
        match marker {
            0x01 | 0xD0..=0xD8 => continue, // standalone markers carry no length
            0xD9 => return Err(corrupt("the JPEG has no image data")),
            _ => {}
        }
        let len = be16(b, at).ok_or_else(truncated)? as usize;
        if len < 2 {
            return Err(corrupt("not a valid JPEG (bad segment length)"));
        }
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            // length(2) precision(1) height(2) width(2)
            let height = be16(b, at + 3).ok_or_else(truncated)?;
            let width = be16(b, at + 5).ok_or_else(truncated)?;
            dims.get_or_insert((width, height));
        }
        if marker == 0xDA {
            let (width, height) = dims.ok_or_else(|| corrupt("the JPEG has no frame header"))?;
            // Inside entropy-coded data a 0xFF byte is always stuffed or a restart marker,
            // so FF D9 only appears as the real end of the image.
            let rest = b.get(at + len..).ok_or_else(truncated)?;
            if !rest.windows(2).any(|w| w == [0xFF, 0xD9]) {
                return Err(corrupt("the JPEG is incomplete (it was probably cut off)"));
            }
            return Ok((width, height));
        }
        at += len;
    }
}

fn png_dimensions(b: &[u8]) -> Result<(u32, u32), MediaError> {
    // signature(8) length(4) "IHDR"(4) width(4) height(4)
    if b.len() < 24 || &b[12..16] != b"IHDR" {
        return Err(corrupt("the PNG header is missing"));
    }
    let width = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
    let height = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
    Ok((width, height))
}

fn webp_dimensions(b: &[u8]) -> Result<(u32, u32), MediaError> {
    let missing = || corrupt("the WebP header is missing or cut off");
    let chunk = b.get(12..16).ok_or_else(missing)?;
    let data = 20;
    match chunk {
        // Extended: flags(1) reserved(3) canvas width-1 (24 bit) canvas height-1 (24 bit).
        b"VP8X" => {
            let w = le_u24(b, data + 4).ok_or_else(missing)? + 1;
            let h = le_u24(b, data + 7).ok_or_else(missing)? + 1;
            Ok((w, h))
        }
        // Lossy: frame tag(3), start code 9D 01 2A, then 14-bit width and height.
        b"VP8 " => {
            if b.get(data + 3..data + 6) != Some(&[0x9D, 0x01, 0x2A][..]) {
                return Err(missing());
            }
            let w = le16(b, data + 6).ok_or_else(missing)? & 0x3FFF;
            let h = le16(b, data + 8).ok_or_else(missing)? & 0x3FFF;
            Ok((w, h))
        }
        // Lossless: signature 0x2F, then width-1 and height-1 in 14 bits each.
        b"VP8L" => {
            if b.get(data) != Some(&0x2F) {
                return Err(missing());
            }
            let bits = u32::from_le_bytes(
                b.get(data + 1..data + 5)
                    .ok_or_else(missing)?
                    .try_into()
                    .map_err(|_| missing())?,
            );
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        _ => Err(missing()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heic_and_avif_are_named() {
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert!(matches!(
            sniff(heic),
            Err(MediaError::Unsupported { format: "HEIC" })
        ));
        let mif1 = b"\0\0\0\x10ftypmif1\0\0\0\0";
        assert!(matches!(
            sniff(mif1),
            Err(MediaError::Unsupported { format: "HEIC" })
        ));
        let avif = b"\0\0\0\x18ftypavif\0\0\0\0mif1avif";
        assert!(matches!(
            sniff(avif),
            Err(MediaError::Unsupported { format: "AVIF" })
        ));
        let mp4 = b"\0\0\0\x18ftypisom\0\0\0\0isomavc1";
        assert!(matches!(sniff(mp4), Err(MediaError::NotAnImage)));
    }

    #[test]
    fn magic_bytes_decide_the_format() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest").unwrap(), Format::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest").unwrap(), Format::Png);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), Format::WebP);
        assert!(matches!(
            sniff(b"GIF89a..."),
            Err(MediaError::Unsupported { format: "GIF" })
        ));
        assert!(matches!(
            sniff(b"hello, world"),
            Err(MediaError::NotAnImage)
        ));
        assert!(matches!(sniff(b"\xFF\xD8"), Err(MediaError::NotAnImage)));
    }

    #[test]
    fn jpeg_header_is_read_past_app_segments() {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0xAA, 0xBB];
        b.extend([0xFF, 0xC2, 0x00, 0x11, 0x08, 0x0B, 0xB8, 0x0F, 0xA0]); // 4000 x 3000
        b.extend([0u8; 10]);
        b.extend([0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9]);
        assert_eq!(dimensions(Format::Jpeg, &b).unwrap(), (4000, 3000));
        // Same file cut before its end-of-image marker.
        assert!(matches!(
            dimensions(Format::Jpeg, &b[..b.len() - 2]),
            Err(MediaError::Corrupt(_))
        ));
    }

    #[test]
    fn webp_headers_are_read() {
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend([0x9F, 0x0F, 0x00, 0xB7, 0x0B, 0x00]); // 3999+1, 2999+1
        assert_eq!(dimensions(Format::WebP, &vp8x).unwrap(), (4000, 3000));
        let mut lossy = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0".to_vec();
        lossy.extend([0, 0, 0, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00]);
        assert_eq!(dimensions(Format::WebP, &lossy).unwrap(), (320, 240));
    }
}
