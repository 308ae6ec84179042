//! Builders for the test images. Every input is made here, in memory; nothing is read from
//! fixed files.
#![allow(dead_code)] // each test binary uses a different part

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use image::{ImageFormat, Rgb, RgbImage};

/// xorshift64*: deterministic noise without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }
}

pub fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode test image");
    out.into_inner()
}

pub fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .expect("encode test jpeg");
    out
}

/// A smooth gradient with noise on top, like a photo taken in poor light.
pub fn noisy(width: u32, height: u32, amplitude: u8, seed: u64) -> RgbImage {
    let mut rng = Rng::new(seed);
    let amp = i32::from(amplitude);
    RgbImage::from_fn(width, height, |x, y| {
        let base = [
            x * 255 / width,
            y * 255 / height,
            (x + y) * 127 / (width + height),
        ];
        let mut px = [0u8; 3];
        for (c, b) in px.iter_mut().zip(base) {
            let noise = (i32::from(rng.byte()) * 2 * amp / 255) - amp;
            *c = (b as i32 + noise).clamp(0, 255) as u8;
        }
        Rgb(px)
    })
}

// ---- JPEG segments ------------------------------------------------------------------------

pub fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).expect("segment fits");
    let mut out = vec![0xFF, marker];
    out.extend(len.to_be_bytes());
    out.extend(payload);
    out
}

/// Puts `segments` right after SOI.
pub fn with_segments(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let mut out = jpeg[..2].to_vec();
    for s in segments {
        out.extend(s);
    }
    out.extend(&jpeg[2..]);
    out
}

/// Markers of the segments before the first scan, in order.
pub fn header_markers(jpeg: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let marker = jpeg[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    markers
}

pub fn app1_exif(tiff: &[u8]) -> Vec<u8> {
    segment(0xE1, &[b"Exif\0\0".as_slice(), tiff].concat())
}

pub fn app1_xmp() -> Vec<u8> {
    let packet = concat!(
        r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>"#,
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF "#,
        r#"xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">"#,
        r#"<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" "#,
        r#"xmp:CreatorTool="SecretPhoneApp 1.0"/></rdf:RDF></x:xmpmeta>"#,
        r#"<?xpacket end="w"?>"#
    );
    segment(
        0xE1,
        &[
            b"http://ns.adobe.com/xap/1.0/\0".as_slice(),
            packet.as_bytes(),
        ]
        .concat(),
    )
}

pub fn app13_iptc() -> Vec<u8> {
    let mut iptc = vec![0x1C, 0x02, 0x00, 0x00, 0x02, 0x00, 0x04];
    let byline = b"Secret Person";
    iptc.extend([0x1C, 0x02, 0x50, 0x00, byline.len() as u8]);
    iptc.extend(byline);
    if iptc.len() % 2 == 1 {
        iptc.push(0);
    }
    let mut payload = b"Photoshop 3.0\0".to_vec();
    payload.extend(b"8BIM");
    payload.extend(0x0404_u16.to_be_bytes());
    payload.extend([0, 0]); // empty Pascal name, padded to even
    payload.extend((iptc.len() as u32).to_be_bytes());
    payload.extend(iptc);
    segment(0xED, &payload)
}

pub fn app2_icc() -> Vec<u8> {
    // Header (128 bytes), a tag table with one copyright tag, and its text.
    let text = b"text\0\0\0\0Copyright Secret Studio\0";
    let size = 128 + 4 + 12 + text.len();
    let mut profile = vec![0u8; 128];
    profile[0..4].copy_from_slice(&(size as u32).to_be_bytes());
    profile[4..8].copy_from_slice(b"lcms");
    profile[8..12].copy_from_slice(&[2, 0x10, 0, 0]);
    profile[12..16].copy_from_slice(b"mntr");
    profile[16..20].copy_from_slice(b"RGB ");
    profile[20..24].copy_from_slice(b"XYZ ");
    profile[36..40].copy_from_slice(b"acsp");
    profile.extend(1_u32.to_be_bytes());
    profile.extend(b"cprt");
    profile.extend(144_u32.to_be_bytes());
    profile.extend((text.len() as u32).to_be_bytes());
    profile.extend(text);
    let mut payload = b"ICC_PROFILE\0".to_vec();
    payload.extend([1, 1]);
    payload.extend(profile);
    segment(0xE2, &payload)
}

pub fn comment() -> Vec<u8> {
    segment(0xFE, b"taken outside 12 Elm Street")
}

// ---- EXIF (TIFF) by hand ------------------------------------------------------------------

pub struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    data: Vec<u8>,
}

fn ascii(tag: u16, s: &str) -> Entry {
    let mut data = s.as_bytes().to_vec();
    data.push(0);
    Entry {
        tag,
        kind: 2,
        count: data.len() as u32,
        data,
    }
}
fn short(tag: u16, v: u16) -> Entry {
    Entry {
        tag,
        kind: 3,
        count: 1,
        data: v.to_le_bytes().to_vec(),
    }
}
fn long(tag: u16, v: usize) -> Entry {
    Entry {
        tag,
        kind: 4,
        count: 1,
        data: (v as u32).to_le_bytes().to_vec(),
    }
}
fn bytes(tag: u16, v: &[u8]) -> Entry {
    Entry {
        tag,
        kind: 1,
        count: v.len() as u32,
        data: v.to_vec(),
    }
}
fn rationals(tag: u16, v: &[(u32, u32)]) -> Entry {
    let data = v
        .iter()
        .flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()])
        .flatten()
        .collect();
    Entry {
        tag,
        kind: 5,
        count: v.len() as u32,
        data,
    }
}

fn padded(n: usize) -> usize {
    n + n % 2
}

fn ifd_len(entries: &[Entry]) -> usize {
    let extra: usize = entries
        .iter()
        .filter(|e| e.data.len() > 4)
        .map(|e| padded(e.data.len()))
        .sum();
    2 + 12 * entries.len() + 4 + extra
}

/// Writes an IFD at the end of `out` (which is the TIFF from its header on).
fn write_ifd(out: &mut Vec<u8>, mut entries: Vec<Entry>, next: usize) {
    entries.sort_by_key(|e| e.tag);
    let start = out.len();
    let mut extra_at = start + 2 + 12 * entries.len() + 4;
    let mut extra = Vec::new();
    out.extend((entries.len() as u16).to_le_bytes());
    for e in &entries {
        out.extend(e.tag.to_le_bytes());
        out.extend(e.kind.to_le_bytes());
        out.extend(e.count.to_le_bytes());
        if e.data.len() <= 4 {
            let mut inline = e.data.clone();
            inline.resize(4, 0);
            out.extend(inline);
        } else {
            out.extend((extra_at as u32).to_le_bytes());
            extra.extend(&e.data);
            if e.data.len() % 2 == 1 {
                extra.push(0);
            }
            extra_at += padded(e.data.len());
        }
    }
    out.extend((next as u32).to_le_bytes());
    out.extend(extra);
    assert_eq!(out.len() - start, ifd_len(&entries));
}

pub const MAKE: &str = "PorchCam";
pub const MODEL: &str = "Snitch 3000";
pub const SERIAL: &str = "SN-0042-7731";

/// EXIF carrying only an orientation.
pub fn exif_orientation_only(orientation: u16) -> Vec<u8> {
    let mut out = b"II*\0".to_vec();
    out.extend(8_u32.to_le_bytes());
    write_ifd(&mut out, vec![short(0x0112, orientation)], 0);
    out
}

/// EXIF with everything that identifies a person or a place: camera make, model and serial
/// number, GPS position, and an embedded thumbnail (IFD1), plus the orientation.
pub fn exif_private(orientation: u16, thumbnail_jpeg: &[u8]) -> Vec<u8> {
    let ifd0 = |exif_at, gps_at| {
        vec![
            ascii(0x010F, MAKE),
            ascii(0x0110, MODEL),
            short(0x0112, orientation),
            long(0x8769, exif_at),
            long(0x8825, gps_at),
        ]
    };
    let exif = || vec![ascii(0x9003, "2024:05:06 07:08:09"), ascii(0xA431, SERIAL)];
    let gps = || {
        vec![
            bytes(0x0000, &[2, 3, 0, 0]),
            ascii(0x0001, "N"),
            rationals(0x0002, &[(51, 1), (30, 1), (1234, 100)]),
            ascii(0x0003, "W"),
            rationals(0x0004, &[(0, 1), (7, 1), (3900, 100)]),
        ]
    };
    let ifd1 = |thumb_at| {
        vec![
            short(0x0103, 6),
            long(0x0201, thumb_at),
            long(0x0202, thumbnail_jpeg.len()),
        ]
    };
    let ifd0_at = 8;
    let exif_at = ifd0_at + ifd_len(&ifd0(0, 0));
    let gps_at = exif_at + ifd_len(&exif());
    let ifd1_at = gps_at + ifd_len(&gps());
    let thumb_at = ifd1_at + ifd_len(&ifd1(0));

    let mut out = b"II*\0".to_vec();
    out.extend((ifd0_at as u32).to_le_bytes());
    write_ifd(&mut out, ifd0(exif_at, gps_at), ifd1_at);
    write_ifd(&mut out, exif(), 0);
    write_ifd(&mut out, gps(), 0);
    write_ifd(&mut out, ifd1(thumb_at), 0);
    assert_eq!(out.len(), thumb_at);
    out.extend(thumbnail_jpeg);
    out
}

// ---- PNG by hand --------------------------------------------------------------------------

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn png_chunk(kind: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend(kind);
    out.extend(data);
    out.extend(crc32(&[kind.as_slice(), data].concat()).to_be_bytes());
    out
}

/// A zlib stream holding `data` in one stored (uncompressed) block.
pub fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let len = data.len() as u16;
    let mut out = vec![0x78, 0x01, 0x01];
    out.extend(len.to_le_bytes());
    out.extend((!len).to_le_bytes());
    out.extend(data);
    let (mut a, mut b) = (1_u32, 0_u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend(((b << 16) | a).to_be_bytes());
    out
}

/// A PNG of a few dozen bytes whose header claims `width` × `height` RGB pixels.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB, deflate, adaptive filter, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(*b"IHDR", &ihdr));
    out.extend(png_chunk(*b"IDAT", &zlib_stored(&[0; 64])));
    out.extend(png_chunk(*b"IEND", &[]));
    out
}

// ---- exiftool -----------------------------------------------------------------------------

/// `exiftool -j -G -a -u` on a file, as a map from "Group:Tag" to value.
pub fn exiftool(path: &Path) -> serde_json::Map<String, serde_json::Value> {
    let output = Command::new("exiftool")
        .args(["-j", "-G", "-a", "-u"])
        .arg(path)
        .output()
        .expect("exiftool is needed by this test: apt-get install libimage-exiftool-perl");
    assert!(
        output.status.success(),
        "exiftool failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("exiftool json");
    json.as_array()
        .and_then(|a| a.first())
        .and_then(|v| v.as_object())
        .cloned()
        .expect("one file")
}
