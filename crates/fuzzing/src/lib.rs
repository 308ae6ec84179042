//! The bodies of Porchlight's fuzz targets, in one place so that cargo-fuzz (`fuzz/`, nightly)
//! and the bounded runs inside `cargo test` (stable, under a memory limit) exercise the same code.
//!
//! Each target takes arbitrary bytes and must return, whatever they are: no panic that escapes,
//! no allocation beyond the limit, no unbounded loop. See docs/FUZZING.md.

mod mutate;
pub mod seeds;
mod targets;

pub use mutate::{Rng, mutate};
pub use targets::{Target, check_change, decode_request, open_envelope, photo_intake};

/// Runs `target` over every corpus entry, then over `mutations` seeded mutations of them.
/// `before` sees each input before it runs (the runner can save it, to reproduce a crash).
/// Returns how many inputs ran. Deterministic for a given corpus and seed.
pub fn run(
    target: Target,
    corpus: &[Vec<u8>],
    mutations: usize,
    seed: u64,
    mut before: impl FnMut(&[u8]),
) -> usize {
    for input in corpus {
        before(input);
        target.run(input);
    }
    if corpus.is_empty() {
        return 0;
    }
    let mut rng = Rng::new(seed ^ target.index());
    for _ in 0..mutations {
        let input = mutate(&mut rng, corpus);
        before(&input);
        target.run(&input);
    }
    corpus.len() + mutations
}
