//! `porchlight-tiles://localhost/{z}/{x}/{y}.png`: the group's offline map, served from the core
//! to the web view. A URI scheme rather than a command because Leaflet loads tiles as plain
//! images by URL: the web view fetches, caches and draws them like any tile server's, with no
//! base64 round trip through the command bridge. (On Windows and Android the web view spells it
//! `http://porchlight-tiles.localhost/...`; the UI picks the form.)

use std::sync::Arc;

use porchlight_core::Core;
use tauri::http::{Response, StatusCode, header};
use tauri::{Manager, Runtime};

/// The scheme's name, as the UI and the content security policy use it.
pub const SCHEME: &str = "porchlight-tiles";

/// Registers the scheme on `builder`. Each request is answered off the main thread.
pub fn register<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.register_asynchronous_uri_scheme_protocol(SCHEME, |ctx, request, responder| {
        let core = ctx
            .app_handle()
            .try_state::<Arc<Core>>()
            .map(|c| c.inner().clone());
        let path = request.uri().path().to_owned();
        tauri::async_runtime::spawn_blocking(move || {
            responder.respond(respond(core.as_deref(), &path));
        });
    })
}

/// The answer to a tile request: the tile, or 404 when the map has none there (or there is no
/// map, or the path is not `z/x/y`).
pub fn respond(core: Option<&Core>, path: &str) -> Response<Vec<u8>> {
    let tile = parse(path)
        .zip(core)
        .and_then(|((z, x, y), core)| core.map_tile(z, x, y).ok().flatten());
    let response = match tile {
        Some((bytes, media)) => Response::builder()
            .header(header::CONTENT_TYPE, media)
            .header(header::CACHE_CONTROL, "no-cache")
            .body(bytes),
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Vec::new()),
    };
    response.unwrap_or_else(|_| Response::new(Vec::new()))
}

/// `/z/x/y` with an optional extension on `y`.
fn parse(path: &str) -> Option<(u8, u32, u32)> {
    let mut parts = path.trim_start_matches('/').split('/');
    let z = parts.next()?.parse().ok()?;
    let x = parts.next()?.parse().ok()?;
    let last = parts.next()?;
    let y = last.split_once('.').map_or(last, |(y, _)| y).parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((z, x, y))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn tile_paths_parse_and_bad_ones_do_not() {
        assert_eq!(parse("/16/10444/23441.png"), Some((16, 10_444, 23_441)));
        assert_eq!(parse("/3/1/2"), Some((3, 1, 2)));
        for bad in [
            "",
            "/",
            "/1/2",
            "/a/b/c",
            "/1/2/3/4",
            "/300/1/1.png",
            "/-1/0/0",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
