// Clang thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html).
// Under clang with -Wthread-safety (every clang build of this project: the fuzz build in CI)
// the compiler checks that a member marked PL_GUARDED_BY(mu) is touched only with `mu` held
// and that a function marked PL_REQUIRES(mu) is called only with it held. Under GCC the
// macros expand to nothing. Use them with base/mutex.h's Mutex, which is annotated; the
// standard library's std::mutex is not.
#pragma once

#if defined(__clang__)
#define PL_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define PL_THREAD_ANNOTATION(x)
#endif

#define PL_CAPABILITY(name) PL_THREAD_ANNOTATION(capability(name))
#define PL_SCOPED_CAPABILITY PL_THREAD_ANNOTATION(scoped_lockable)
#define PL_GUARDED_BY(mu) PL_THREAD_ANNOTATION(guarded_by(mu))
#define PL_PT_GUARDED_BY(mu) PL_THREAD_ANNOTATION(pt_guarded_by(mu))
#define PL_REQUIRES(...) PL_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define PL_REQUIRES_SHARED(...) PL_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define PL_ACQUIRE(...) PL_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define PL_ACQUIRE_SHARED(...) PL_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define PL_RELEASE(...) PL_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define PL_RELEASE_SHARED(...) PL_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define PL_RELEASE_GENERIC(...) PL_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define PL_TRY_ACQUIRE(...) PL_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define PL_EXCLUDES(...) PL_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define PL_RETURN_CAPABILITY(x) PL_THREAD_ANNOTATION(lock_returned(x))
#define PL_NO_THREAD_SAFETY_ANALYSIS PL_THREAD_ANNOTATION(no_thread_safety_analysis)
