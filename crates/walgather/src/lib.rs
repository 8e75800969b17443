//! One `pwrite` per commit for SQLite's write-ahead log.
//!
//! SQLite appends a transaction to the write-ahead log one frame at a time, and each
//! frame is two `write` calls (its 24-byte header, then the page): a booking's commit
//! of ~44 pages was ~90 system calls, the largest single cost of a lone booking on
//! this project's machines (measured with `strace -c`: 113 `pwrite` calls a booking,
//! counting the checkpointer's). This crate registers, as the process's default
//! SQLite VFS, a thin layer over SQLite's own (`unix`) that gathers the contiguous
//! writes to a `-wal` file in memory and hands them to the operating system in one
//! write (or one per 124 KiB, the most SQLite's VFS writes in one call):
//!
//! - before the file is synced, read, truncated, sized, closed or controlled, and
//!   before a write that does not continue the gathered bytes;
//! - right after the page of a *commit frame* (a frame header whose "database size
//!   after commit" is not zero), so a committed transaction is in the file before
//!   SQLite publishes it to other connections through the WAL index, whatever the
//!   `synchronous` setting (mentorhub's is `FULL`: the commit is also synced);
//! - when 1 MiB is gathered.
//!
//! Nothing else changes: the same bytes reach the same offsets in the same file, only
//! in fewer calls, and always before the `fsync` that makes a commit durable, so what
//! survives a crash is what SQLite's own VFS leaves. Bytes written but not yet handed
//! over belong to a transaction no other connection can see yet (frames past the last
//! commit), and SQLite reads its own frames through this layer, which hands them over
//! first. A failed hand-over (a full disk) is reported as the underlying VFS reports
//! it, from the call that triggered it, and the gathered bytes are dropped: SQLite
//! then rolls the transaction back and writes its frames again, if it retries.
//!
//! Every other file (the database, its shared-memory index, journals) is opened by
//! the underlying VFS directly, untouched.
//!
//! mentorhub calls [`install`] before it opens its first SQLite connection; it also
//! turns off SQLite's memory statistics (a global mutex around every allocation). The crate
//! is apart from mentorhub because it is C callbacks over raw pointers, and mentorhub
//! forbids `unsafe` code; every `unsafe` block here says why it is sound.

use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

use rusqlite::ffi;

/// Gathered bytes beyond this are handed over at once.
const CAPACITY: usize = 1 << 20;
/// The most one call hands to the underlying VFS: SQLite's `unix` VFS takes at most
/// 128 KiB - 1 bytes a call (it masks the length to 17 bits).
const CHUNK: usize = 124 << 10;
/// A frame header's size (SQLite's `WAL_FRAME_HDRSIZE`) and the log's header size.
const FRAME_HEADER: usize = 24;
const LOG_HEADER: i64 = 32;
/// This VFS's name (it is also the default, so connections need not name it).
const NAME: &std::ffi::CStr = c"walgather";

/// The underlying VFS, found when this one is installed.
struct Underlying(*mut ffi::sqlite3_vfs);
// SAFETY: a registered VFS object is never changed or freed, and SQLite itself uses it
// from every thread (its methods are thread-safe).
unsafe impl Send for Underlying {}
// SAFETY: as above.
unsafe impl Sync for Underlying {}

static INSTALLED: OnceLock<Result<Underlying, c_int>> = OnceLock::new();

/// Registers the layer as SQLite's default VFS, once per process; call it before the
/// first connection opens (connections opened earlier keep the VFS they had).
/// Idempotent. An error is SQLite's result code, in words.
///
/// It also turns SQLite's memory statistics off (`SQLITE_CONFIG_MEMSTATUS`, which only
/// takes effect before SQLite initialises): with them on, every allocation SQLite makes
/// takes one process-wide mutex to count bytes nobody reads (measured on the booking
/// writer: ~7 % of its time in that mutex's lock and unlock).
pub fn install() -> Result<(), String> {
    let result = INSTALLED.get_or_init(|| {
        // SAFETY: `sqlite3_config` takes an int for this option; it is refused
        // (`SQLITE_MISUSE`, ignored) once SQLite is initialised, which nothing has
        // done yet when mentorhub calls this before its first connection.
        unsafe {
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int);
        }
        // SAFETY: `sqlite3_vfs_find` initialises SQLite and returns the default VFS or
        // null; a VFS is a plain C struct, copied here and then leaked, so the copy
        // registered with SQLite outlives every connection.
        unsafe {
            let base = ffi::sqlite3_vfs_find(std::ptr::null());
            if base.is_null() {
                return Err(ffi::SQLITE_ERROR);
            }
            let mut vfs: ffi::sqlite3_vfs = *base;
            vfs.pNext = std::ptr::null_mut();
            vfs.zName = NAME.as_ptr();
            vfs.szOsFile = std::mem::size_of::<WalFile>() as c_int + (*base).szOsFile;
            // The other methods are the underlying VFS's own; SQLite calls them with
            // this copy, whose fields (path length, application data) are its own.
            vfs.xOpen = Some(open);
            let vfs = Box::leak(Box::new(vfs));
            let rc = ffi::sqlite3_vfs_register(vfs, 1);
            if rc != ffi::SQLITE_OK {
                return Err(rc);
            }
            Ok(Underlying(base))
        }
    });
    match result {
        Ok(_) => Ok(()),
        Err(rc) => Err(format!(
            "installing the write-ahead log layer over SQLite's VFS: SQLite error {rc}"
        )),
    }
}

/// The file object of a `-wal` file: SQLite's part (whose methods are this layer's)
/// first, then the gathered bytes, then the underlying VFS's file object, all in the
/// one allocation of `szOsFile` bytes SQLite makes for each file.
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    gathered: Gathered,
    /// Points just past this struct, into the same allocation.
    inner: *mut ffi::sqlite3_file,
}

/// Bytes written to the file at `start..start + bytes.len()` and not yet handed over.
struct Gathered {
    start: i64,
    bytes: Vec<u8>,
    /// The last write was a commit frame's header: the next (its page) ends the commit.
    commit_next: bool,
    /// Calls made to the underlying file's write so far (for tests).
    handed_over: u64,
}

impl WalFile {
    /// The underlying file's methods.
    fn methods(&self) -> &ffi::sqlite3_io_methods {
        // SAFETY: `open` installs this layer's methods only after the underlying VFS
        // opened `inner` successfully, which sets its methods; they are static.
        unsafe { &*(*self.inner).pMethods }
    }

    /// Hands the gathered bytes to the underlying file; they are dropped either way.
    fn hand_over(&mut self) -> c_int {
        self.gathered.commit_next = false;
        if self.gathered.bytes.is_empty() {
            return ffi::SQLITE_OK;
        }
        let Some(write) = self.methods().xWrite else {
            self.gathered.bytes.clear();
            return ffi::SQLITE_IOERR_WRITE;
        };
        let mut rc = ffi::SQLITE_OK;
        let mut offset = self.gathered.start;
        for chunk in self.gathered.bytes.chunks(CHUNK) {
            // SAFETY: `inner` is open; the chunk is valid for its length (under 128 KiB).
            rc = unsafe {
                write(
                    self.inner,
                    chunk.as_ptr() as *const c_void,
                    chunk.len() as c_int,
                    offset,
                )
            };
            self.gathered.handed_over += 1;
            if rc != ffi::SQLITE_OK {
                break;
            }
            offset += chunk.len() as i64;
        }
        self.gathered.bytes.clear();
        rc
    }

    fn write(&mut self, data: &[u8], offset: i64) -> c_int {
        let ends_commit = std::mem::take(&mut self.gathered.commit_next);
        let g = &self.gathered;
        let follows = g.start + g.bytes.len() as i64 == offset;
        if !g.bytes.is_empty() && (!follows || g.bytes.len() + data.len() > CAPACITY) {
            let rc = self.hand_over();
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        let g = &mut self.gathered;
        if g.bytes.is_empty() {
            g.start = offset;
        }
        g.bytes.extend_from_slice(data);
        if data.len() == FRAME_HEADER && offset >= LOG_HEADER {
            // Bytes 4..8 of a frame header: the database's size after a commit, or 0.
            g.commit_next = data[4..8] != [0, 0, 0, 0];
            ffi::SQLITE_OK
        } else if ends_commit {
            self.hand_over()
        } else {
            ffi::SQLITE_OK
        }
    }
}

/// This layer's file object behind a file pointer SQLite passes to its methods.
///
/// # Safety
/// `file` must be a file `open` gave this layer's methods to, not yet closed. SQLite
/// calls a file's methods from one thread at a time, so the reference is unique.
unsafe fn wal<'a>(file: *mut ffi::sqlite3_file) -> &'a mut WalFile {
    // SAFETY: per this function's contract.
    unsafe { &mut *(file as *mut WalFile) }
}

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let Some(Ok(Underlying(base))) = INSTALLED.get() else {
        return ffi::SQLITE_ERROR;
    };
    // SAFETY: SQLite passes a file object of this VFS's `szOsFile` bytes, aligned for
    // any C struct; the underlying VFS's fits in it, at its start or past a `WalFile`.
    unsafe {
        let Some(open) = (**base).xOpen else {
            return ffi::SQLITE_ERROR;
        };
        if flags & ffi::SQLITE_OPEN_WAL == 0 {
            // Not a write-ahead log: the underlying file object, in place.
            return open(*base, name, file, flags, out_flags);
        }
        (*file).pMethods = std::ptr::null();
        let inner = (file as *mut u8).add(std::mem::size_of::<WalFile>()) as *mut ffi::sqlite3_file;
        (*inner).pMethods = std::ptr::null();
        let rc = open(*base, name, inner, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            // A VFS may set the methods of a file it failed to open: it must be closed.
            if let Some(close) = (*inner).pMethods.as_ref().and_then(|m| m.xClose) {
                close(inner);
            }
            return rc;
        }
        std::ptr::addr_of_mut!((*(file as *mut WalFile)).gathered).write(Gathered {
            start: 0,
            bytes: Vec::new(),
            commit_next: false,
            handed_over: 0,
        });
        (*(file as *mut WalFile)).inner = inner;
        (*file).pMethods = &WAL_METHODS;
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes a file once, after its last other call.
    let f = unsafe { wal(file) };
    let rc = f.hand_over();
    let closed = match f.methods().xClose {
        // SAFETY: closing the open underlying file, once.
        Some(close) => unsafe { close(f.inner) },
        None => ffi::SQLITE_OK,
    };
    // SAFETY: written by `open`; not used again (SQLite frees the file object).
    unsafe { std::ptr::drop_in_place(&mut f.gathered) };
    if rc != ffi::SQLITE_OK { rc } else { closed }
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: SQLite calls this only for a file `open` set up, with `amount` (> 0)
    // bytes at `buf`, which it keeps only for the call (they are copied).
    unsafe {
        let data = std::slice::from_raw_parts(buf as *const u8, amount as usize);
        wal(file).write(data, offset)
    }
}

/// The methods other than `write` are the underlying file's, called on it; those that
/// read or change the file hand the gathered bytes over first (`hand_over`), so the
/// file is exactly what SQLite wrote. A method the underlying file lacks answers
/// `$absent` (no panic may cross into C).
macro_rules! forward {
    ($name:ident, $method:ident, ($($arg:ident: $ty:ty),*), $absent:expr $(, $first:ident)?) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> c_int {
            // SAFETY: SQLite calls this only for a file `open` set up.
            let f = unsafe { wal(file) };
            $(
                let rc = f.$first();
                if rc != ffi::SQLITE_OK {
                    return rc;
                }
            )?
            match f.methods().$method {
                // SAFETY: SQLite's own arguments, for the underlying file.
                Some(m) => unsafe { m(f.inner $(, $arg)*) },
                None => $absent,
            }
        }
    };
}

forward!(read, xRead, (buf: *mut c_void, amount: c_int, offset: i64), ffi::SQLITE_IOERR_READ, hand_over);
forward!(truncate, xTruncate, (size: i64), ffi::SQLITE_IOERR_TRUNCATE, hand_over);
forward!(sync, xSync, (flags: c_int), ffi::SQLITE_IOERR_FSYNC, hand_over);
forward!(file_size, xFileSize, (size: *mut i64), ffi::SQLITE_IOERR_FSTAT, hand_over);
forward!(file_control, xFileControl, (op: c_int, arg: *mut c_void), ffi::SQLITE_NOTFOUND, hand_over);
forward!(lock, xLock, (level: c_int), ffi::SQLITE_OK);
forward!(unlock, xUnlock, (level: c_int), ffi::SQLITE_OK);
forward!(check_reserved_lock, xCheckReservedLock, (out: *mut c_int), ffi::SQLITE_IOERR);
forward!(sector_size, xSectorSize, (), 4096);
forward!(device_characteristics, xDeviceCharacteristics, (), 0);

/// Version 1: SQLite maps shared memory and pages of the database file only, never of
/// its write-ahead log.
static WAL_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// How many writes the `-wal` file of `conn` has really received since it was opened,
/// or `None` if it is not open through this layer. For tests.
pub fn handed_over(conn: &rusqlite::Connection) -> Option<u64> {
    let mut file: *mut ffi::sqlite3_file = std::ptr::null_mut();
    // SAFETY: the connection is open and borrowed, so no other thread uses it; the
    // file control writes the log's file pointer (or null) into `file`.
    let rc = unsafe {
        ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_JOURNAL_POINTER,
            &mut file as *mut _ as *mut c_void,
        )
    };
    if rc != ffi::SQLITE_OK || file.is_null() {
        return None;
    }
    // SAFETY: a non-null journal pointer is the connection's open log file.
    if !std::ptr::eq(unsafe { (*file).pMethods }, &WAL_METHODS) {
        return None;
    }
    // SAFETY: its methods are this layer's, so `open` set it up.
    Some(unsafe { wal(file) }.gathered.handed_over)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn open(path: &str, synchronous: &str) -> Connection {
        install().expect("install");
        let c = Connection::open(path).expect("open");
        c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .expect("wal");
        c.execute_batch(&format!("PRAGMA synchronous = {synchronous}"))
            .expect("synchronous");
        c
    }

    /// Inserts `rows` rows of 1,000 bytes and an index entry each, in one transaction.
    fn insert(c: &Connection, first: i64, rows: i64) {
        c.execute_batch("BEGIN IMMEDIATE").expect("begin");
        for i in first..first + rows {
            c.execute(
                "INSERT INTO t (id, v, k) VALUES (?1, zeroblob(1000), ?2)",
                rusqlite::params![i, format!("key {i}")],
            )
            .expect("insert");
        }
        c.execute_batch("COMMIT").expect("commit");
    }

    #[test]
    fn a_commit_is_one_write_and_other_connections_read_it_at_once() {
        for synchronous in ["FULL", "NORMAL", "OFF"] {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("t.db");
            let path = path.to_str().expect("utf-8");
            let writer = open(path, synchronous);
            writer
                .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB, k TEXT); CREATE INDEX t_k ON t (k)")
                .expect("create");
            let reader = open(path, synchronous);
            let count = |c: &Connection| -> i64 {
                c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .expect("count")
            };
            assert_eq!(count(&reader), 0);
            assert!(
                handed_over(&writer).is_some(),
                "the log is opened through the layer"
            );
            let frames = |c: &Connection| -> i64 {
                let size = std::fs::metadata(format!("{path}-wal")).expect("wal").len() as i64;
                let page: i64 = c
                    .query_row("PRAGMA page_size", [], |r| r.get(0))
                    .expect("page");
                (size - 32) / (page + 24)
            };
            // A transaction larger than one hand-over (~450 pages).
            insert(&writer, 1_000_000, 1_000);
            assert_eq!(count(&reader), 1_000);
            writer.execute_batch("DELETE FROM t").expect("delete");
            let before = handed_over(&writer).expect("layer");
            let frames_before = frames(&writer);
            for round in 0..5 {
                insert(&writer, round * 40, 40);
                // Written and published: another connection sees the whole commit.
                assert_eq!(
                    count(&reader),
                    (round + 1) * 40,
                    "synchronous = {synchronous}"
                );
            }
            let writes = handed_over(&writer).expect("layer") - before;
            let frames = frames(&writer) - frames_before;
            assert!(frames >= 5 * 10, "{frames} frames");
            assert!(
                writes <= 5 * 2,
                "synchronous = {synchronous}: {writes} writes for {frames} frames in 5 commits"
            );
            let check: String = reader
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .expect("check");
            assert_eq!(check, "ok");
        }
    }
}
