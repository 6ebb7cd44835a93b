//! SQLite's page cache with one fix: its default (pcache1), keyed so that a
//! b-tree rebalance does not make every later commit scan the whole cache.
//!
//! When a rebalance leaves sibling pages out of page-number order, SQLite swaps
//! two pages through a temporary number, the "pending byte" page (262145 with
//! 4 KiB pages), which no database page ever uses. pcache1 remembers the largest
//! key it has held, and the end of each transaction drops cached pages past the
//! database's size: with that key far past the end, pcache1 scans its entire
//! hash table to find them. With a large cache and a write load that splits
//! pages everywhere (history rows of many executions), that scan was a fifth of
//! the writer thread's time. Here the temporary page is keyed 0 instead, a
//! number SQLite never gives a page, so the largest key stays at the database's
//! end and the scan happens only when a file really shrinks. Every other call
//! goes to pcache1 unchanged.
//!
//! SQLite takes a page cache only before it initialises, so [`install`] must run
//! before the process opens its first connection; the store calls it first
//! thing on open. If SQLite was initialised already, pcache1 stays as it is.

#![allow(unsafe_code)] // The one FFI module: a page cache handed to SQLite.

use std::ffi::{c_int, c_uint};
use std::mem::MaybeUninit;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::ffi;

/// SQLite's PENDING_BYTE (the lock byte's offset): its page is never a database page.
const PENDING_BYTE: c_uint = 0x4000_0000;

/// pcache1's methods, which every wrapped call ends in.
struct Default(ffi::sqlite3_pcache_methods2);
// SAFETY: the methods are plain function pointers and pcache1's `pArg` (null);
// pcache1 does its own locking.
unsafe impl Send for Default {}
unsafe impl Sync for Default {}

static DEFAULT: OnceLock<Default> = OnceLock::new();

/// Pages moved to the temporary number so far (the swaps this module re-keys).
static TEMPORARY_MOVES: AtomicU64 = AtomicU64::new(0);

/// How many times SQLite moved a page to the temporary number in this process.
pub fn temporary_moves() -> u64 {
    TEMPORARY_MOVES.load(Ordering::Relaxed)
}

/// One cache: pcache1's, and the number SQLite uses as the temporary page.
struct Cache {
    inner: *mut ffi::sqlite3_pcache,
    pending_page: c_uint,
}

/// Installs the wrapper once per process; true if SQLite uses it.
pub fn install() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    // SAFETY: sqlite3_config refuses (SQLITE_MISUSE) once SQLite is initialised.
    *INSTALLED.get_or_init(|| unsafe { install_now() })
}

unsafe fn install_now() -> bool {
    let mut default = MaybeUninit::<ffi::sqlite3_pcache_methods2>::zeroed();
    // SAFETY: GETPCACHE2 writes one sqlite3_pcache_methods2.
    if unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_GETPCACHE2, default.as_mut_ptr()) }
        != ffi::SQLITE_OK
    {
        return false;
    }
    // SAFETY: initialised by the call above (and zeroed before it).
    let default = unsafe { default.assume_init() };
    let complete = default.xCreate.is_some()
        && default.xCachesize.is_some()
        && default.xPagecount.is_some()
        && default.xFetch.is_some()
        && default.xUnpin.is_some()
        && default.xRekey.is_some()
        && default.xTruncate.is_some()
        && default.xDestroy.is_some();
    if !complete || DEFAULT.set(Default(default)).is_err() {
        return false;
    }
    let ours = ffi::sqlite3_pcache_methods2 {
        iVersion: 1,
        pArg: default.pArg,
        xInit: default.xInit,
        xShutdown: default.xShutdown,
        xCreate: Some(create),
        xCachesize: Some(cachesize),
        xPagecount: Some(pagecount),
        xFetch: Some(fetch),
        xUnpin: Some(unpin),
        xRekey: Some(rekey),
        xTruncate: Some(truncate),
        xDestroy: Some(destroy),
        xShrink: Some(shrink),
    };
    // SAFETY: SQLite copies the struct.
    unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_PCACHE2, &ours as *const _) == ffi::SQLITE_OK }
}

fn default() -> &'static ffi::sqlite3_pcache_methods2 {
    // Set before any method below can be called.
    &DEFAULT.get().expect("page cache methods installed").0
}

/// The key pcache1 holds page `page` under.
fn key(cache: &Cache, page: c_uint) -> c_uint {
    if page == cache.pending_page { 0 } else { page }
}

/// # Safety
/// `p` must be a pointer [`create`] returned and [`destroy`] did not free.
unsafe fn cache<'a>(p: *mut ffi::sqlite3_pcache) -> &'a Cache {
    unsafe { &*(p as *const Cache) }
}

unsafe extern "C" fn create(
    page_size: c_int,
    extra: c_int,
    purgeable: c_int,
) -> *mut ffi::sqlite3_pcache {
    let Some(create) = default().xCreate else {
        return std::ptr::null_mut();
    };
    // SAFETY: pcache1's own entry point, called as SQLite would.
    let inner = unsafe { create(page_size, extra, purgeable) };
    if inner.is_null() {
        return inner;
    }
    let cache = Cache {
        inner,
        pending_page: PENDING_BYTE / page_size.max(1) as c_uint + 1,
    };
    Box::into_raw(Box::new(cache)) as *mut ffi::sqlite3_pcache
}

unsafe extern "C" fn cachesize(p: *mut ffi::sqlite3_pcache, pages: c_int) {
    if let Some(f) = default().xCachesize {
        unsafe { f(cache(p).inner, pages) }
    }
}

unsafe extern "C" fn pagecount(p: *mut ffi::sqlite3_pcache) -> c_int {
    match default().xPagecount {
        Some(f) => unsafe { f(cache(p).inner) },
        None => 0,
    }
}

unsafe extern "C" fn fetch(
    p: *mut ffi::sqlite3_pcache,
    page: c_uint,
    create: c_int,
) -> *mut ffi::sqlite3_pcache_page {
    let c = unsafe { cache(p) };
    match default().xFetch {
        Some(f) => unsafe { f(c.inner, key(c, page), create) },
        None => std::ptr::null_mut(),
    }
}

unsafe extern "C" fn unpin(
    p: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    discard: c_int,
) {
    if let Some(f) = default().xUnpin {
        unsafe { f(cache(p).inner, page, discard) }
    }
}

unsafe extern "C" fn rekey(
    p: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    old: c_uint,
    new: c_uint,
) {
    let c = unsafe { cache(p) };
    if new == c.pending_page {
        TEMPORARY_MOVES.fetch_add(1, Ordering::Relaxed);
    }
    if let Some(f) = default().xRekey {
        unsafe { f(c.inner, page, key(c, old), key(c, new)) }
    }
}

unsafe extern "C" fn truncate(p: *mut ffi::sqlite3_pcache, limit: c_uint) {
    if let Some(f) = default().xTruncate {
        unsafe { f(cache(p).inner, limit) }
    }
}

unsafe extern "C" fn destroy(p: *mut ffi::sqlite3_pcache) {
    // SAFETY: SQLite destroys each cache once, after its last use.
    let c = unsafe { Box::from_raw(p as *mut Cache) };
    if let Some(f) = default().xDestroy {
        unsafe { f(c.inner) }
    }
}

unsafe extern "C" fn shrink(p: *mut ffi::sqlite3_pcache) {
    if let Some(f) = default().xShrink {
        unsafe { f(cache(p).inner) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporary_page_is_keyed_zero_and_every_other_page_as_itself() {
        let c = Cache {
            inner: std::ptr::null_mut(),
            pending_page: PENDING_BYTE / 4096 + 1,
        };
        assert_eq!(c.pending_page, 262_145);
        assert_eq!(key(&c, 262_145), 0);
        for page in [1, 2, 262_144, 262_146, u32::MAX] {
            assert_eq!(key(&c, page), page);
        }
    }
}
