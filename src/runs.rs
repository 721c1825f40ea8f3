//! Work over a slice shared between two threads a run of items at a time: items that
//! differ in cost (fixes, findings' texts) would leave one thread waiting for the
//! other if the slice were cut in halves.

/// Calls `work` on every run of `run` items of `items`, in no set order; on two threads
/// when `two_threads` (a thread that cannot be started leaves all to this one). A
/// panic in `work` panics here.
pub(crate) fn for_each_run<T: Send>(
    items: &mut [T],
    run: usize,
    two_threads: bool,
    work: impl Fn(&mut [T]) + Sync,
) {
    if !two_threads {
        items.chunks_mut(run.max(1)).for_each(&work);
        return;
    }
    let runs = std::sync::Mutex::new(items.chunks_mut(run.max(1)));
    let take = || {
        loop {
            let next = runs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .next();
            match next {
                Some(items) => work(items),
                None => break,
            }
        }
    };
    std::thread::scope(|scope| {
        let _ = std::thread::Builder::new().spawn_scoped(scope, take);
        take();
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_item_is_worked_on_once_on_one_thread_or_two() {
        for two_threads in [false, true] {
            let mut items = vec![0u32; 10_000];
            super::for_each_run(&mut items, 7, two_threads, |run| {
                for x in run {
                    *x += 1;
                }
            });
            assert!(items.iter().all(|&x| x == 1), "two threads: {two_threads}");
        }
    }
}
