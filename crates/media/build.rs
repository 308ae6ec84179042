//! With the `faces` feature: copies rustface's face model into OUT_DIR, where `src/faces.rs`
//! builds it into the binary with `include_bytes!`.
//!
//! The model (`model/seeta_fd_frontal_v1.0.bin`, about 1.2 MB) is part of the rustface package
//! published on crates.io, but rustface only loads it from a path at run time. We want neither a
//! download (at build or run time) nor a second copy in our repository, so this script asks
//! Cargo where the rustface package of this very build lies:
//!
//! 1. `cargo metadata --offline --filter-platform <target>`. Cargo names the package's
//!    directory whatever its source is (the registry cache, a `cargo vendor` directory, a
//!    `[patch]`). No network: Cargo downloads every package of a build before it runs any
//!    build script, and `cargo fetch` does the same for CI. The platform filter keeps the
//!    answer to packages this build needs, so a package only another platform needs (and
//!    that was never fetched) cannot make it fail.
//! 2. If that fails, the place Cargo unpacks registry packages: `$CARGO_HOME/registry/src/*/`.
//!
//! It also tells the tests where the package's sample group photo (`test.png`) is, so they can
//! run on a real photo of faces without our repository holding anyone's picture.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "rustface";
/// Pinned with `=` in the workspace: the file layout below is that version's.
const VERSION: &str = "0.1.7";
const MODEL: &str = "model/seeta_fd_frontal_v1.0.bin";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if env::var_os("CARGO_FEATURE_FACES").is_none() {
        return;
    }
    let Some(dir) = from_cargo_metadata().or_else(from_registry_cache) else {
        panic!(
            "the `faces` feature needs the {PACKAGE} {VERSION} package, which Cargo should have \
             downloaded for this build, but neither `cargo metadata` nor $CARGO_HOME/registry/src \
             knows where it is; build without default features to leave face detection out"
        );
    };
    let model = dir.join(MODEL);
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy(&model, out.join("face_model.bin"))
        .unwrap_or_else(|e| panic!("cannot copy {}: {e}", model.display()));
    println!("cargo::rerun-if-changed={}", model.display());
    println!(
        "cargo::rustc-env=PORCHLIGHT_FACES_SAMPLE={}",
        dir.join("test.png").display()
    );
}

fn from_cargo_metadata() -> Option<PathBuf> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR")?).join("Cargo.toml");
    let mut command = Command::new(cargo);
    command
        .args(["metadata", "--offline", "--format-version", "1"])
        .arg("--manifest-path")
        .arg(&manifest);
    for platform in [env::var("TARGET"), env::var("HOST")].into_iter().flatten() {
        command.args(["--filter-platform", &platform]);
    }
    let output = command.output().ok()?;
    if !output.status.success() {
        println!(
            "cargo::warning=cargo metadata failed ({}); looking in the registry cache",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        return None;
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    metadata["packages"]
        .as_array()?
        .iter()
        .filter(|p| p["name"] == PACKAGE && p["version"] == VERSION)
        .find_map(|p| Some(Path::new(p["manifest_path"].as_str()?).parent()?.to_owned()))
        .filter(|dir| dir.join(MODEL).is_file())
}

fn from_registry_cache() -> Option<PathBuf> {
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    fs::read_dir(home.join("registry").join("src"))
        .ok()?
        .flatten()
        .map(|index| index.path().join(format!("{PACKAGE}-{VERSION}")))
        .find(|dir| dir.join(MODEL).is_file())
}
