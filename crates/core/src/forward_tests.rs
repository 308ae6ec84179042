//! Attack: the packet a coordinator hands to a partner must not carry who made the report —
//! not in the page, not in the GeoJSON, not in the photos' hidden data. A reporter's device
//! controls the photo bytes it sends (the drop box only checks they start like a JPEG), so the
//! photo here is planted in the store as such a drop leaves it: with EXIF naming a camera and a
//! GPS position.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use porchlight_model::{
    Category, ChannelKind, ContactChannel, LocationPrecision, NewPartner, NewReport, PartnerKind,
    Point, Timestamp, base58_encode, hex,
};

use crate::Core;

const CAMERA: &[u8] = b"SpyCam4711";

/// A small JPEG with an APP1 EXIF segment (camera make and a GPS latitude) after its SOI.
fn jpeg_with_exif() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 128])
    });
    let mut plain = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut plain),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    // TIFF, little endian: IFD0 at 8 with Make (ASCII at 38) and a GPS IFD pointer (50); the
    // GPS IFD holds GPSLatitudeRef "N".
    let mut tiff: Vec<u8> = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    tiff.extend(2u16.to_le_bytes());
    tiff.extend([0x0f, 0x01, 2, 0]);
    tiff.extend(11u32.to_le_bytes());
    tiff.extend(38u32.to_le_bytes());
    tiff.extend([0x25, 0x88, 4, 0]);
    tiff.extend(1u32.to_le_bytes());
    tiff.extend(50u32.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(CAMERA);
    tiff.extend([0, 0]);
    tiff.extend(1u16.to_le_bytes());
    tiff.extend([0x01, 0x00, 2, 0]);
    tiff.extend(2u32.to_le_bytes());
    tiff.extend(*b"N\0\0\0");
    tiff.extend(0u32.to_le_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = plain[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The markers of the segments before the image data.
fn header_markers(jpeg: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        out.push(marker);
        if marker == 0xDA {
            break;
        }
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    }
    out
}

/// Every spelling of `bytes` that could end up in a text file.
fn spellings(bytes: &[u8]) -> Vec<Vec<u8>> {
    let h = hex(bytes);
    vec![
        h.clone().into_bytes(),
        h.to_uppercase().into_bytes(),
        base58_encode(bytes).into_bytes(),
        STANDARD.encode(bytes).into_bytes(),
        bytes.to_vec(),
    ]
}

#[test]
fn a_forwarding_packet_carries_no_reporter_identity_or_photo_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Rosa").unwrap();
    core.create_group("Elm Street").unwrap();
    let planted = jpeg_with_exif();
    assert!(contains(&planted, b"Exif\0\0") && contains(&planted, CAMERA));
    let hash = blake3::hash(&planted).to_hex().to_string();
    core.store()
        .put_blob(&hash, &planted, Some(porchlight_model::DocKind::Report))
        .unwrap();
    let partner = core
        .add_partner(&NewPartner {
            kind: PartnerKind::PoliceLiaison,
            name: "Officer Dana Ruiz".into(),
            organisation: "Eastside Precinct".into(),
            channels: vec![ContactChannel {
                kind: ChannelKind::Phone,
                value: "+1 503 555 0100".into(),
            }],
        })
        .unwrap();

    // One named report (it says which device filed it) and one anonymous one.
    for anonymous in [false, true] {
        let receipt = core
            .file_report(
                &NewReport {
                    category: Category::Vandalism,
                    description: "Paint on the bus shelter".into(),
                    occurred_at: Timestamp::now(),
                    location: Some(Point::new(45.512_34, -122.654_32)),
                    precision: LocationPrecision::Exact,
                    photos: vec![hash.clone()],
                    person: None,
                },
                anonymous,
            )
            .unwrap();
        let report = receipt.report;
        let entry = core.report(report).unwrap();
        assert_eq!(entry.report.filed_by.is_some(), !anonymous);
        let secret = core
            .receipts()
            .unwrap()
            .into_iter()
            .find(|r| r.report == report)
            .unwrap()
            .secret;
        let reply = porchlight_crdt::ReplyKeys::from_secret(&secret);

        let out = tempfile::tempdir().unwrap();
        let sent = core
            .forward_report(report, &partner.id, out.path())
            .unwrap();
        assert_eq!((sent.photos, sent.photos_missing), (1, 0));
        let html = std::fs::read(&sent.html).unwrap();
        let geojson = std::fs::read(&sent.geojson).unwrap();

        let secrets: Vec<(&str, Vec<u8>)> = vec![
            ("device id", core.device().as_bytes().to_vec()),
            ("public key", core.identity.public_key().as_bytes().to_vec()),
            ("report id", report.as_bytes().to_vec()),
            ("receipt secret", secret.to_vec()),
            (
                "report actor",
                porchlight_crdt::report_actor(&secret).to_vec(),
            ),
            ("reply id", reply.id.to_vec()),
            ("reply key", reply.key.to_vec()),
        ];
        for (file, bytes) in [("html", &html), ("geojson", &geojson)] {
            for (what, value) in &secrets {
                for s in spellings(value) {
                    assert!(
                        !contains(bytes, &s),
                        "the {file} file holds the {what} ({})",
                        String::from_utf8_lossy(&s)
                    );
                }
            }
            assert!(!contains(bytes, report.to_string().as_bytes()));
        }

        // The photo went in re-encoded: no EXIF, no camera, no GPS.
        let json: serde_json::Value = serde_json::from_slice(&geojson).unwrap();
        let photos = json["features"][0]["properties"]["photos"]
            .as_array()
            .unwrap();
        assert_eq!(photos.len(), 1);
        let data = photos[0]
            .as_str()
            .unwrap()
            .strip_prefix("data:image/jpeg;base64,")
            .unwrap();
        let jpeg = STANDARD.decode(data).unwrap();
        assert!(jpeg.starts_with(&[0xFF, 0xD8]));
        assert!(!contains(&jpeg, b"Exif"), "EXIF left in the photo");
        assert!(
            !contains(&jpeg, CAMERA),
            "the camera's name left in the photo"
        );
        assert!(
            !header_markers(&jpeg).contains(&0xE1),
            "an APP1 segment left in the photo"
        );
        assert!(
            contains(&html, data.as_bytes()),
            "the page shows the same photo"
        );
    }
}
