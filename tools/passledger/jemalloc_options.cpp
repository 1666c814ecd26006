// Options for jemalloc, which the passledger binary is linked with (CMakeLists.txt): jemalloc
// reads this symbol once at start-up; MALLOC_CONF in the environment still overrides it.
//
// Transparent huge pages for the heap and jemalloc's own metadata: an import builds hundreds
// of megabytes of memberships, views and memtables, and on a virtual machine every 4 KiB page
// fault is expensive — an identical 1,000,000-row re-import spent 40 % of its time faulting
// pages in (7.1 s → 4.0 s with these options; docs/PERFORMANCE.md). Freed pages are kept for
// 30 s instead of 10 s so that one phase's memory serves the next.
extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): the name is jemalloc's.
const char* malloc_conf = "thp:always,metadata_thp:always,dirty_decay_ms:30000";
}
