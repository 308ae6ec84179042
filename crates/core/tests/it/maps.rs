//! Offline map packages on one device: the demo package imports and serves tiles; bad files are
//! refused with the reason, without a panic and without anything stored.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use porchlight_core::{Core, CoreError, MapProblem, write_demo_package};
use rusqlite::Connection;

fn coordinator() -> (Core, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Carmen").unwrap();
    core.create_group("Elm Street Watch").unwrap();
    (core, dir)
}

fn demo_package(dir: &Path) -> PathBuf {
    let path = dir.join("demo.mbtiles");
    write_demo_package(&path).unwrap();
    path
}

/// An MBTiles file made by `setup` (the tables exist; `setup` fills or breaks them).
fn package_with(dir: &Path, setup: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = dir.join(format!("p{}.mbtiles", NEXT.fetch_add(1, Ordering::Relaxed)));
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(setup).unwrap();
    drop(conn);
    path
}

const TABLES: &str = "CREATE TABLE metadata (name TEXT, value TEXT);
     CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);";
const PNG_TILE: &str = "X'89504E470D0A1A0A0000000D49484452'";

fn meta(format: &str, bounds: &str) -> String {
    format!("{TABLES} INSERT INTO metadata VALUES ('format', '{format}'), ('bounds', '{bounds}');")
}

/// What every refused import leaves: no map, no package file, nothing to upload.
fn assert_nothing_stored(core: &Core, dir: &Path) {
    assert!(core.map_status().unwrap().is_none());
    assert!(core.map_tile(15, 5_000, 11_000).unwrap().is_none());
    let maps = dir.join("maps");
    let left: Vec<_> = std::fs::read_dir(&maps)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn the_demo_package_imports_and_serves_its_tiles() {
    let (core, dir) = coordinator();
    let files = tempfile::tempdir().unwrap();
    let status = core.import_map(&demo_package(files.path())).unwrap();
    assert!(status.ready);
    assert_eq!(status.chunks_held, status.chunks_total);
    assert_eq!(
        u64::from(status.chunks_total),
        status.size.div_ceil(256 * 1024)
    );
    assert!(status.size < 2 * 1024 * 1024, "{} bytes", status.size);
    assert_eq!((status.min_zoom, status.max_zoom), (13, 17));
    // The tile over the demo's centre (45.5145, -122.6265) at zoom 16, in XYZ numbering.
    let (png, media) = core.map_tile(16, 10_444, 23_441).unwrap().unwrap();
    assert_eq!(media, "image/png");
    let tile = image::load_from_memory(&png).unwrap().to_rgb8();
    assert_eq!(tile.dimensions(), (256, 256));
    // Streets are drawn: the tile is not one flat colour.
    let first = tile.get_pixel(0, 0);
    assert!(tile.pixels().any(|p| p != first));
    // Outside the package (and out of range): no tile, no error.
    assert!(core.map_tile(16, 0, 0).unwrap().is_none());
    assert!(core.map_tile(3, 100, 100).unwrap().is_none());
    assert!(core.map_tile(40, 1, 1).unwrap().is_none());

    // A restarted core finds the package again.
    drop(core);
    let core = Core::open(dir.path()).unwrap();
    assert!(core.map_status().unwrap().unwrap().ready);
    assert!(core.map_tile(16, 10_444, 23_441).unwrap().is_some());
}

#[test]
fn importing_the_same_package_twice_is_one_map() {
    let (core, _dir) = coordinator();
    let files = tempfile::tempdir().unwrap();
    let path = demo_package(files.path());
    let first = core.import_map(&path).unwrap();
    let pending = core.pending_changes().unwrap();
    let again = core.import_map(&path).unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(core.pending_changes().unwrap(), pending);
}

#[test]
fn bad_map_files_are_rejected_not_panicking() {
    let (core, dir) = coordinator();
    let files = tempfile::tempdir().unwrap();
    let f = files.path();
    let write = |name: &str, bytes: &[u8]| {
        let p = f.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let demo = std::fs::read(demo_package(f)).unwrap();
    let full_tiles = format!(
        "{} INSERT INTO tiles VALUES (14, 2611, 10522, {PNG_TILE});",
        meta("png", "-122.65,45.5,-122.6,45.53")
    );
    let cases: Vec<(PathBuf, MapProblem)> = vec![
        (write("empty.mbtiles", b""), MapProblem::Empty),
        (write("text.mbtiles", &[b'x'; 4096]), MapProblem::NotSqlite),
        (
            write("truncated.mbtiles", &demo[..demo.len() / 3]),
            MapProblem::Corrupt,
        ),
        (
            package_with(f, "CREATE TABLE other (a);"),
            MapProblem::NotMbtiles("no metadata table"),
        ),
        (
            package_with(
                f,
                &format!("{TABLES} INSERT INTO metadata VALUES ('bounds', '0,0,1,1');"),
            ),
            MapProblem::MissingMetadata("format"),
        ),
        (
            package_with(f, &meta("pbf", "-1,-1,1,1")),
            MapProblem::VectorTiles,
        ),
        (
            package_with(f, &meta("tiff", "-1,-1,1,1")),
            MapProblem::UnsupportedFormat("tiff".into()),
        ),
        (
            package_with(
                f,
                &format!("{TABLES} INSERT INTO metadata VALUES ('format', 'png');"),
            ),
            MapProblem::MissingMetadata("bounds"),
        ),
        (
            package_with(f, &meta("png", "10,0,5,1")),
            MapProblem::BadMetadata("bounds"),
        ),
        (
            package_with(f, &meta("png", "-122,95,-121,96")),
            MapProblem::BadMetadata("bounds"),
        ),
        (
            package_with(f, &meta("png", "one,two")),
            MapProblem::BadMetadata("bounds"),
        ),
        (
            package_with(f, &meta("png", "-1,-1,1,1")),
            MapProblem::NoTiles,
        ),
        (
            package_with(
                f,
                &format!(
                    "{} INSERT INTO tiles VALUES (3, 1, 1, X'00112233');",
                    meta("png", "-1,-1,1,1")
                ),
            ),
            MapProblem::BadTile,
        ),
        (
            package_with(
                f,
                &format!("{full_tiles} INSERT INTO metadata VALUES ('maxzoom', '99');"),
            ),
            MapProblem::BadMetadata("maxzoom"),
        ),
        (
            package_with(
                f,
                &format!(
                    "{full_tiles} INSERT INTO metadata VALUES ('minzoom', '16'), ('maxzoom', '12');"
                ),
            ),
            MapProblem::BadMetadata("minzoom"),
        ),
    ];
    for (path, expected) in cases {
        let result = core.import_map(&path);
        match result {
            Err(CoreError::BadMap(problem)) => assert_eq!(problem, expected, "{}", path.display()),
            other => panic!("{}: expected {expected:?}, got {other:?}", path.display()),
        }
        assert_nothing_stored(&core, dir.path());
    }

    // Over the size cap: refused before anything is parsed or written.
    let big = vec![0u8; 64 * 1024 * 1024 + 1];
    let err = core.import_map_bytes(big, None).unwrap_err();
    assert!(
        matches!(err, CoreError::BadMap(MapProblem::TooLarge { .. })),
        "{err:?}"
    );
    assert_eq!(err.kind(), "bad_map");
    assert_nothing_stored(&core, dir.path());

    // A missing file is an I/O error that names it.
    let err = core.import_map(&f.join("nowhere.mbtiles")).unwrap_err();
    assert!(matches!(err, CoreError::Io { .. }), "{err:?}");

    // And a good package still imports afterwards.
    assert!(core.import_map(&demo_package(f)).unwrap().ready);
}

#[test]
fn a_device_without_a_group_cannot_import_a_map() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    let files = tempfile::tempdir().unwrap();
    let err = core.import_map(&demo_package(files.path())).unwrap_err();
    assert!(matches!(err, CoreError::Invalid(_)), "{err:?}");
    assert!(core.map_status().unwrap().is_none());
}
