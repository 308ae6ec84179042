//! The bounded fuzz runs of `cargo test`: every target over its committed seed corpus plus a few
//! thousand seeded mutations, each in a child process under an address-space limit, so that an
//! allocation bomb kills the child (and fails the test) instead of passing on a machine with
//! memory to spare.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use porchlight_crdt::{ChangeProblem, check_change};
use porchlight_fuzzing::Target;
use porchlight_fuzzing::seeds::{bombs, seeds};

/// The address space each child gets. Enough for a debug build and the photo target's images,
/// far below what the bombs ask for (gigabytes).
const LIMIT_BYTES: u64 = 512 << 20;
/// A hang is a failure too; this only stops a runaway child from hanging the whole test run.
const TIMEOUT_SECS: &str = "300";
const SEED: u64 = 0x5eed_0fb0_7c11_9700;

fn corpus_dir(target: Target) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target.name())
}

/// Runs the runner binary with `args` under the address-space limit.
fn limited(args: &[&str]) -> Output {
    Command::new("timeout")
        .args(["-s", "KILL", TIMEOUT_SECS, "prlimit"])
        .arg(format!("--as={LIMIT_BYTES}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_porchlight-fuzz-run"))
        .args(args)
        .output()
        .expect("timeout (coreutils) and prlimit (util-linux) are installed")
}

fn fuzz(target: Target, mutations: usize) {
    let dir = corpus_dir(target);
    let out = limited(&[
        "run",
        target.name(),
        dir.to_str().expect("a UTF-8 path"),
        &mutations.to_string(),
        &SEED.to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} failed ({}): {stdout}\n{stderr}",
        target.name(),
        out.status
    );
    println!("{stdout}");
}

#[test]
fn check_change_survives_its_corpus_and_mutations_under_a_memory_limit() {
    fuzz(Target::CheckChange, 10_000);
}

#[test]
fn decode_request_survives_its_corpus_and_mutations_under_a_memory_limit() {
    fuzz(Target::DecodeRequest, 20_000);
}

#[test]
fn open_envelope_survives_its_corpus_and_mutations_under_a_memory_limit() {
    fuzz(Target::OpenEnvelope, 10_000);
}

#[test]
fn photo_intake_survives_its_corpus_and_mutations_under_a_memory_limit() {
    fuzz(Target::PhotoIntake, 10_000);
}

/// Proves the limit is applied: Automerge's own parser, without the pre-check, on the 74-byte
/// change that declares 2^31 predecessors, must die of a failed allocation. Without the limit
/// this child would take gigabytes (or be killed by the kernel's OOM killer instead).
#[test]
fn the_memory_limit_kills_automerge_parsing_the_preds_bomb() {
    let bomb = corpus_dir(Target::CheckChange).join("bomb-preds-2e31");
    let out = limited(&["raw-automerge", bomb.to_str().expect("a UTF-8 path")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the bomb parsed within the limit");
    assert!(
        out.status.signal() == Some(6) || out.status.code() == Some(128 + 6),
        "expected an abort, got {}: {stderr}",
        out.status
    );
    assert!(
        stderr.contains("memory allocation of"),
        "expected an allocation failure: {stderr}"
    );
}

#[test]
fn the_committed_bombs_are_rejected_not_panicking() {
    for (name, bytes) in bombs() {
        let on_disk = std::fs::read(corpus_dir(Target::CheckChange).join(name))
            .unwrap_or_else(|e| panic!("{name} is in the corpus: {e}"));
        assert_eq!(on_disk, bytes, "{name} on disk is the bomb");
        let problem = check_change(&on_disk, None, porchlight_crdt::MAX_CHANGE_BYTES)
            .expect_err("a bomb is refused");
        assert!(
            matches!(
                problem,
                ChangeProblem::TooManyPreds { .. }
                    | ChangeProblem::TooManyEntries { .. }
                    | ChangeProblem::Malformed(_)
            ),
            "{name}: {problem}"
        );
    }
}

/// The corpus on disk holds every seed the code makes (bombs byte for byte; other seeds hold
/// random ids, so by name). `PORCHLIGHT_WRITE_SEEDS=1` writes them instead.
#[test]
fn seeds_are_committed() {
    let write = std::env::var_os("PORCHLIGHT_WRITE_SEEDS").is_some();
    for target in Target::ALL {
        let dir = corpus_dir(target);
        for (name, bytes) in seeds(target) {
            let path = dir.join(&name);
            if write {
                std::fs::create_dir_all(&dir).expect("create the corpus directory");
                std::fs::write(&path, &bytes).expect("write a seed");
            } else {
                assert!(
                    path.is_file(),
                    "{} is missing: run PORCHLIGHT_WRITE_SEEDS=1 cargo test -p porchlight-fuzzing seeds",
                    path.display()
                );
            }
        }
    }
}
