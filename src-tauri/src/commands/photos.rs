//! Photos: taken in from what the user picked, and shown back.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use porchlight_core::model::BlurRegion;
use porchlight_core::{Core, PhotoInfo};
use tauri::State;

use super::blocking;
use crate::error::{Error, Result};

/// Takes in a photo the UI read from a file picker or the camera, sent as base64 (a data URL's
/// payload). Metadata is stripped and the photo kept until a record refers to it. Decoding and
/// re-encoding take a while, all of it on the blocking pool.
#[tauri::command]
/// `blur`: parts to blur (faces, plates), applied before anything is stored.
pub async fn add_photo(
    core: State<'_, Arc<Core>>,
    data: String,
    blur: Option<Vec<BlurRegion>>,
) -> Result<PhotoInfo> {
    blocking(&core, move |core| {
        Ok(core.add_photo_blurred(&decode_photo(&data)?, &blur.unwrap_or_default())?)
    })
    .await
}

/// The bytes of a data URL's payload (or of bare base64).
fn decode_photo(data: &str) -> Result<Vec<u8>> {
    let payload = data.split_once(',').map_or(data, |(_, b64)| b64);
    STANDARD.decode(payload.trim()).map_err(|e| Error {
        kind: "photo".into(),
        message: format!("the photo could not be read: {e}"),
    })
}

/// Faces in a photo the user picked (base64, as for `add_photo`), found on this device, as
/// boxes the user can keep or remove before the photo is taken in. Nothing is stored.
#[tauri::command]
pub async fn detect_faces(core: State<'_, Arc<Core>>, data: String) -> Result<Vec<BlurRegion>> {
    blocking(&core, move |core| {
        Ok(core.detect_faces(&decode_photo(&data)?)?)
    })
    .await
}

/// A photo on this device as a data URL for an `<img>`, or `None` while it has not arrived.
#[tauri::command]
pub async fn photo(core: State<'_, Arc<Core>>, hash: String) -> Result<Option<String>> {
    blocking(&core, move |core| {
        Ok(core
            .photo(&hash)?
            .map(|jpeg| format!("data:image/jpeg;base64,{}", STANDARD.encode(jpeg))))
    })
    .await
}
