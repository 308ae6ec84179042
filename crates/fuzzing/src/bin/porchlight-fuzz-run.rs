//! Runs fuzz targets without libFuzzer, for the bounded runs in `cargo test` (which start this
//! under an address-space limit, so an allocation bomb kills it instead of passing by luck).
//!
//! ```text
//! porchlight-fuzz-run run <target> <corpus-dir> <mutations> <seed>
//! porchlight-fuzz-run raw-automerge <file>    # Automerge's parser alone, no pre-check
//! ```
//!
//! `PORCHLIGHT_FUZZ_LAST=<file>` keeps the input being run in `<file>`: after a crash, it is the
//! input that crashed (put it in the corpus once fixed).

use std::path::Path;
use std::process::ExitCode;

use porchlight_fuzzing::{Target, run};

fn main() -> ExitCode {
    // Targets catch some panics on purpose (Automerge's, under `catch_unwind`); the default hook
    // would symbolize a backtrace for each, which loads the debug info: hundreds of megabytes
    // against the memory limit. The message is enough; PORCHLIGHT_FUZZ_LAST keeps the input.
    std::panic::set_hook(Box::new(|info| eprintln!("panic: {info}")));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["run", target, dir, mutations, seed] => {
            let Some(target) = Target::from_name(target) else {
                eprintln!("unknown target {target}");
                return ExitCode::FAILURE;
            };
            let (Ok(mutations), Ok(seed)) = (mutations.parse(), seed.parse()) else {
                eprintln!("mutations and seed must be numbers");
                return ExitCode::FAILURE;
            };
            let corpus = match read_corpus(Path::new(dir)) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("cannot read {dir}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            // With PORCHLIGHT_FUZZ_LAST=<file>, each input is written there before it runs, so
            // the input that crashed the run is left behind.
            let last = std::env::var_os("PORCHLIGHT_FUZZ_LAST");
            let ran = run(target, &corpus, mutations, seed, |input| {
                if let Some(path) = &last
                    && let Err(e) = std::fs::write(path, input)
                {
                    eprintln!("cannot write {}: {e}", path.to_string_lossy());
                }
            });
            println!("{}: ran {ran} inputs", target.name());
            ExitCode::SUCCESS
        }
        ["raw-automerge", file] => match std::fs::read(file) {
            Ok(bytes) => {
                let parsed = automerge::Change::try_from(bytes.as_slice());
                println!("parsed: {}", parsed.is_ok());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot read {file}: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!(
                "usage: porchlight-fuzz-run run <target> <corpus-dir> <mutations> <seed>\n       \
                 porchlight-fuzz-run raw-automerge <file>"
            );
            ExitCode::FAILURE
        }
    }
}

/// Every file in `dir`, sorted by name so runs are reproducible.
fn read_corpus(dir: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.sort();
    paths
        .iter()
        .filter(|p| p.is_file())
        .map(std::fs::read)
        .collect()
}
