//! A native SQLite connection for the booking writer (SQLite only).
//!
//! Through sqlx every statement is a round trip to the connection's worker thread,
//! and a multi-statement command sends one message back per statement: a booking's
//! transaction cost ~0.6 ms of hand-offs between threads around ~0.2 ms of SQL, all
//! of it while holding the database's one write lock. The booking writer therefore
//! runs its batches on a blocking thread with its own connection to the same file
//! (same pragmas), where each statement is a plain function call.
//!
//! Only the statements of a booking request run here, and they are the same SQL text
//! as the sqlx path (parameters `$N`, bound by their number). The writer holds the
//! process's write turn while it writes ([`super::WriteTurn`]), so this connection and
//! sqlx's writer never wait for each other in SQLite's busy handler.

use std::borrow::Cow;

use rusqlite::{Connection, OpenFlags, ffi};

use super::{Arg, Savepoint};

/// The SQLite error of a native statement, as sqlx would report it (the extended
/// result code as the error's code), so callers handle both paths alike.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct NativeError {
    code: i32,
    message: String,
}

impl sqlx::error::DatabaseError for NativeError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use sqlx::error::ErrorKind;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

fn to_sqlx(e: rusqlite::Error) -> sqlx::Error {
    match e {
        rusqlite::Error::SqliteFailure(f, message) => {
            sqlx::Error::Database(Box::new(NativeError {
                code: f.extended_code,
                message: message.unwrap_or_else(|| f.to_string()),
            }))
        }
        other => sqlx::Error::Protocol(format!("native SQLite: {other}")),
    }
}

/// A row read through a native connection (declared rows get it from `row!`).
pub trait FromNative: Sized {
    fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

/// Native connections for the hottest small reads (resolving a bearer token or a
/// session cookie on every request, a booking request's context), run on the calling
/// thread ([`super::Db::read_row_here`]).
///
/// Through sqlx each read is a hand-off to the connection's worker thread and back,
/// and on a small virtual machine those context switches cost more than the read: a
/// token is three lookups by key in pages the operating system holds. So these reads
/// run where the request already runs (an async worker thread), taking an idle
/// connection from this stack (or opening one) and putting it back. They hold that
/// thread only for those lookups, tens of microseconds: a reader in WAL mode never
/// waits for the writer, and its busy timeout is short (while the log is being
/// recovered, the read fails and goes through sqlx's pool instead). Reads that scan
/// (search, listings, dashboards) stay on the pool.
pub struct NativeReaders {
    path: String,
    idle: std::sync::Mutex<Vec<NativeConn>>,
}

/// Idle native readers kept; more are opened under a burst and closed after it.
const IDLE_READERS: usize = 4;

impl std::fmt::Debug for NativeReaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NativeReaders")
    }
}

impl NativeReaders {
    pub fn new(path: &str) -> Self {
        Self {
            path: path.to_string(),
            idle: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Runs one query on an idle reader and decodes its rows.
    pub fn rows<T: FromNative>(&self, sql: &str, args: &[Arg]) -> sqlx::Result<Vec<T>> {
        let taken = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut conn = match taken {
            Some(conn) => conn,
            None => {
                let conn = NativeConn::open(&self.path)?;
                conn.batch("PRAGMA busy_timeout = 100")?;
                conn
            }
        };
        let result = conn.rows(sql, args, T::from_native);
        if !conn.in_transaction() {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
        }
        result
    }
}

/// One native connection to the database file.
pub struct NativeConn {
    conn: Connection,
}

impl std::fmt::Debug for NativeConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NativeConn")
    }
}

impl NativeConn {
    /// Opens `path` with the pragmas of every SQLite connection (`store::SQLITE_PRAGMAS`).
    pub fn open(path: &str) -> sqlx::Result<Self> {
        walgather::install().map_err(|e| sqlx::Error::Configuration(e.into()))?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(to_sqlx)?;
        for pragma in super::SQLITE_PRAGMAS {
            // `journal_mode` and `journal_size_limit` answer with a row; the others with none.
            conn.query_row(pragma, [], |_| Ok(()))
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(()),
                    e => Err(e),
                })
                .map_err(to_sqlx)?;
        }
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Self { conn })
    }

    /// Runs statements without parameters.
    pub(super) fn batch(&self, sql: &str) -> sqlx::Result<()> {
        self.conn.execute_batch(sql).map_err(to_sqlx)
    }

    /// Starts a write transaction, taking the write lock at once.
    pub fn begin(&mut self) -> sqlx::Result<()> {
        self.batch("BEGIN IMMEDIATE")
    }

    pub fn commit(&mut self) -> sqlx::Result<()> {
        self.batch("COMMIT")
    }

    pub fn rollback(&mut self) -> sqlx::Result<()> {
        self.batch("ROLLBACK")
    }

    /// A step of the savepoint `name` (one of the caller's fixed names); rolling back
    /// to it also releases it.
    pub fn savepoint(&mut self, step: Savepoint, name: &'static str) -> sqlx::Result<()> {
        match step {
            Savepoint::Set => self.batch(&format!("SAVEPOINT {name}")),
            Savepoint::Release => self.batch(&format!("RELEASE {name}")),
            Savepoint::RollbackTo => self.batch(&format!("ROLLBACK TO {name}; RELEASE {name}")),
        }
    }

    /// True while a transaction is open (after a failed `COMMIT` or `ROLLBACK`, the
    /// connection must not be used again).
    pub fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }

    fn prepare(&self, sql: &str, args: &[Arg]) -> sqlx::Result<rusqlite::CachedStatement<'_>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(to_sqlx)?;
        for i in 1..=stmt.parameter_count() {
            let n = stmt
                .parameter_name(i)
                .and_then(|name| name.strip_prefix('$'))
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| (1..=args.len()).contains(n))
                .ok_or_else(|| {
                    sqlx::Error::Protocol(format!("native SQLite: parameter {i} has no value"))
                })?;
            match &args[n - 1] {
                Arg::Text(v) => stmt.raw_bind_parameter(i, v),
                Arg::OptText(v) => stmt.raw_bind_parameter(i, v),
                Arg::Int(v) => stmt.raw_bind_parameter(i, v),
                Arg::Float(v) => stmt.raw_bind_parameter(i, v),
            }
            .map_err(to_sqlx)?;
        }
        Ok(stmt)
    }

    /// Runs one statement; the number of rows it changed.
    pub fn execute(&mut self, sql: &str, args: &[Arg]) -> sqlx::Result<usize> {
        let mut stmt = self.prepare(sql, args)?;
        stmt.raw_execute().map_err(to_sqlx)
    }

    /// Runs one query and maps each row.
    pub fn rows<T>(
        &mut self,
        sql: &str,
        args: &[Arg],
        mut f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> sqlx::Result<Vec<T>> {
        let mut stmt = self.prepare(sql, args)?;
        let mut rows = stmt.raw_query();
        let mut out = vec![];
        while let Some(row) = rows.next().map_err(to_sqlx)? {
            out.push(f(row).map_err(to_sqlx)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_bind_by_their_number_and_errors_keep_sqlites_code() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let path = path.to_str().expect("utf-8");
        Connection::open(path)
            .and_then(|c| c.execute_batch("CREATE TABLE t (a TEXT NOT NULL UNIQUE, b INTEGER)"))
            .expect("create");
        let mut c = NativeConn::open(path).expect("open");
        // `$2` first in the text: bound by number, not position.
        c.execute(
            "INSERT INTO t (b, a) VALUES ($2, $1)",
            &["x".into(), 7.into()],
        )
        .expect("insert");
        let got = c
            .rows("SELECT a, b FROM t WHERE b = $1", &[7.into()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .expect("select");
        assert_eq!(got, vec![("x".to_string(), 7)]);
        assert!(
            walgather::handed_over(&c.conn).is_some_and(|n| n > 0),
            "the writer's log is written through walgather"
        );
        let err = c
            .execute(
                "INSERT INTO t (a, b) VALUES ($1, $2)",
                &["x".into(), 1.into()],
            )
            .expect_err("duplicate");
        assert!(crate::store::is_unique_violation(&err), "{err:?}");
        let err = c
            .execute("INSERT INTO t (a) VALUES ($1)", &[Arg::OptText(None)])
            .expect_err("null");
        let sqlx::Error::Database(db) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(db.kind(), sqlx::error::ErrorKind::NotNullViolation);
        assert!(
            c.execute("SELECT $3", &[1.into()]).is_err(),
            "a missing parameter is an error"
        );
        c.begin().expect("begin");
        assert!(c.in_transaction());
        c.savepoint(Savepoint::Set, "s").expect("savepoint");
        c.execute("INSERT INTO t (a) VALUES ($1)", &["y".into()])
            .expect("insert");
        c.savepoint(Savepoint::RollbackTo, "s")
            .expect("roll back to");
        c.rollback().expect("rollback");
        assert!(!c.in_transaction());
        let n = c
            .rows("SELECT count(*) FROM t", &[], |r| r.get::<_, i64>(0))
            .expect("count");
        assert_eq!(n, vec![1], "only the first row stayed");
    }

    /// A savepoint's journal (the original of every page the savepoint changes, ~50
    /// pages a booking) stays in memory: SQLite otherwise spills it to a temporary
    /// file past 64 KiB, and with one savepoint per booking in the writer's group
    /// commit that file took two thirds of the writer's `pwrite` calls (~100 of ~140 a
    /// booking). Seen as an open, unlinked `etilqs_*` file while the savepoint holds
    /// more than that.
    #[test]
    fn a_savepoints_journal_stays_in_memory() {
        let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
            eprintln!("skipped: no /proc/self/fd to look for temporary files");
            return;
        };
        drop(fds);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let path = path.to_str().expect("utf-8");
        Connection::open(path)
            .and_then(|c| {
                c.execute_batch(
                    "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL); \
                     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
                     INSERT INTO t SELECT i, zeroblob(200) FROM n",
                )
            })
            .expect("create");
        let mut c = NativeConn::open(path).expect("open");
        c.begin().expect("begin");
        c.savepoint(Savepoint::Set, "s").expect("savepoint");
        // Changes every page of the table (~100 pages, 400 KiB of originals).
        let changed = c
            .execute("UPDATE t SET v = zeroblob(201)", &[])
            .expect("update");
        assert_eq!(changed, 2000);
        let spilled: Vec<_> = std::fs::read_dir("/proc/self/fd")
            .expect("fds")
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .filter(|target| target.to_string_lossy().contains("etilqs_"))
            .collect();
        c.savepoint(Savepoint::Release, "s").expect("release");
        c.commit().expect("commit");
        assert!(
            spilled.is_empty(),
            "a savepoint journal on disk: {spilled:?}"
        );
    }
}
