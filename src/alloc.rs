//! The allocator infra-lint ships with: jemalloc (Cargo feature `jemalloc`, on by
//! default; on Unix x86-64 and AArch64, where it builds and pays off), as ruff does.
//! On large topologies it is about 1.3x faster than glibc's malloc and uses less
//! memory (BENCHMARKS.md). Declared in the library so the binary and the benchmark
//! measure the same thing.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main`:
/// - a single arena. Large files use two threads (the scanner, the analysis) that free
///   what the other allocated; with one arena all freed memory is reused by both, which
///   keeps a 100k-component run's peak ~10% lower at the same speed (the threads' own
///   caches take most of the traffic);
/// - freed pages given back after 200 ms instead of 10 s. A run frees its temporaries
///   as it goes (the parser's batches, lists outgrown, the analysis's working sets);
///   kept for 10 s, they stayed resident through the peak: 259-273 MB at 100k
///   findings-heavy components, against 255-261 MB, at no measurable cost in time
///   (BENCHMARKS.md).
#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: Option<&'static std::ffi::c_char> =
    // SAFETY: a pointer to the first byte of a static, NUL-terminated string.
    Some(unsafe { &*c"narenas:1,dirty_decay_ms:200".as_ptr() });

/// Hands the memory freed so far back to the system. jemalloc keeps freed pages for
/// reuse for seconds; a run frees most of its memory in a few large steps (the parsed
/// document as it is validated, the model before fixes are planned) and then allocates
/// other sizes, so those pages would stay resident, unused, to the end of the run,
/// adding to its peak. A purge costs a few milliseconds.
pub fn release_freed_memory() {
    // SAFETY: `arena.4096.purge` (4096: every arena) reads and writes nothing; the
    // name is a NUL-terminated string.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
}
