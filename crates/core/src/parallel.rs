//! Spreading pure, CPU-bound checks of a pulled page (change parsing, signature verification)
//! over the machine's cores: a new device's first sync is bound by them, and a phone has several.

/// Below this many items one thread is faster than starting others.
const MIN_ITEMS: usize = 64;
/// Enough for a phone; more would only compete with the rest of the app.
const MAX_THREADS: usize = 4;

/// `items.iter().map(f).collect()`, in order, on up to [`MAX_THREADS`] scoped threads.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(MAX_THREADS);
    if threads < 2 || items.len() < MIN_ITEMS {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        assert_eq!(
            par_map(&items, |x| x * 3),
            items.iter().map(|x| x * 3).collect::<Vec<_>>()
        );
        assert_eq!(par_map(&items[..5], |x| x + 1), vec![1, 2, 3, 4, 5]);
    }
}
