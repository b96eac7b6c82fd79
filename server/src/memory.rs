//! Giving memory back to the operating system after rooms unload.
//!
//! glibc's allocator keeps freed memory in its arenas, so the process's RSS stays at its peak
//! after rooms unload (BENCHMARKS.md, "Memory per room, and unload": +48 MiB retained after 200
//! rooms closed). `malloc_trim` returns the free pages. It walks the heap, so it runs off the
//! async threads, once per burst of unloads; on other platforms this does nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Unloads arrive in bursts (a workshop ends, a shutdown): one trim after the burst serves them all.
const DELAY: Duration = Duration::from_secs(1);

static SCHEDULED: AtomicBool = AtomicBool::new(false);

/// Schedules one return of free memory to the OS, [`DELAY`] from now, unless one is pending.
pub fn release_freed() {
    if SCHEDULED.swap(true, Ordering::AcqRel) {
        return;
    }
    tokio::spawn(async {
        tokio::time::sleep(DELAY).await;
        SCHEDULED.store(false, Ordering::Release);
        let _ = tokio::task::spawn_blocking(trim).await;
    });
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: malloc_trim only releases free memory of glibc's own arenas; it takes no pointers.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
