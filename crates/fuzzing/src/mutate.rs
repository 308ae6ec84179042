//! Seeded mutations in the spirit of libFuzzer's, without its coverage feedback: enough to walk
//! each target off its seeds' happy paths in a few thousand runs, the same way every time.

/// SplitMix64: tiny, seedable, and good enough to pick mutations.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Values that tend to sit on boundaries: lengths, LEB128 continuation bits, signs.
const INTERESTING: [u8; 8] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x3f, 0xc0];

/// A mutation of a randomly chosen corpus entry: one to four edits.
pub fn mutate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut data = corpus[rng.below(corpus.len())].clone();
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        edit(rng, &mut data, corpus);
    }
    data
}

fn edit(rng: &mut Rng, data: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    if data.is_empty() {
        data.push(rng.next_u64() as u8);
        return;
    }
    let at = rng.below(data.len());
    match rng.below(8) {
        0 => data[at] ^= 1 << rng.below(8),
        1 => data[at] = INTERESTING[rng.below(INTERESTING.len())],
        2 => data[at] = rng.next_u64() as u8,
        3 => data.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
        4 => {
            let end = (at + 1 + rng.below(16)).min(data.len());
            data.drain(at..end);
        }
        5 => {
            // A large LEB128 number: counts and lengths are where parsers trust their input.
            let big = [0xff, 0xff, 0xff, 0xff, 0x0f];
            let end = (at + 1).min(data.len());
            data.splice(at..end, big);
        }
        6 => {
            let end = (at + 1 + rng.below(32)).min(data.len());
            let copy = data[at..end].to_vec();
            let to = rng.below(data.len());
            data.splice(to..to, copy);
        }
        _ => {
            // Splice in part of another entry.
            let other = &corpus[rng.below(corpus.len())];
            if !other.is_empty() {
                let from = rng.below(other.len());
                let end = (from + 1 + rng.below(64)).min(other.len());
                data.truncate(at);
                data.extend_from_slice(&other[from..end]);
            }
        }
    }
}
