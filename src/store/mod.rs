//! The only place with SQL. One connection pool (`sqlx::Any`) serves SQLite and
//! PostgreSQL with one query text; where the dialects truly differ, a function forks on
//! [`Backend`] locally.
//!
//! Conventions that keep `Any` working on both: ids are TEXT, instants are BIGINT
//! microseconds since the epoch, booleans are BIGINT 0/1, JSON is TEXT. Rows declared
//! with [`column::row!`] are decoded once, here, into the types the rest of the code
//! reasons with (ids, `bool`, `Timestamp`, status enums, parsed JSON); see
//! [`column`].

pub mod articles;
pub mod audit;
pub mod availability;
pub mod bookings;
pub mod calendar;
pub mod calendars;
pub mod coalesce;
pub mod column;
pub mod credit_requests;
pub mod dashboard;
pub mod discovery;
pub mod disputes;
pub mod email_confirmations;
pub mod forms;
pub mod groups;
pub mod jobs;
pub mod json_rows;
pub mod ledger;
pub mod mentors;
pub mod mentorships;
pub mod messages;
pub mod native;
pub mod notify;
pub mod password_resets;
pub mod payments;
pub mod presence;
pub mod programs;
pub mod progress;
pub mod reports;
pub mod reviews;
pub mod sessions;
pub mod users;

use crate::store::column::Column;
use jiff::Timestamp;
use std::{
    borrow::Cow,
    str::FromStr,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use anyhow::Context;
use sqlx::{
    Any, AnyPool, AssertSqlSafe, SqlSafeStr, Transaction,
    any::AnyPoolOptions,
    migrate::{Migration, MigrationType, Migrator},
};

/// Which database engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl FromStr for Backend {
    type Err = anyhow::Error;

    fn from_str(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("unsupported database URL (expected sqlite:// or postgres://)")
        }
    }
}

/// The PostgreSQL URL as mentorhub connects with it (other URLs unchanged). TLS
/// follows the URL's `sslmode` — `disable`, `prefer` (try TLS, accept any certificate:
/// libpq's default), `require` (TLS or nothing, any certificate), `verify-ca` (a
/// certificate signed by a trusted authority), `verify-full` (and naming the host) —
/// with the system's root certificates, or the authority in `sslrootcert=<file>`.
/// Without an `sslmode`, a server on this machine (a loopback address, `localhost`, or
/// a Unix socket) is reached without TLS — there is no network to protect, and a
/// handshake and encryption on every round trip would tax each booking — and any
/// other server with `prefer`.
pub fn postgres_url(url: &str) -> String {
    let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    else {
        return url.to_string();
    };
    let (authority_path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let params: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    if params.iter().any(|(k, _)| *k == "sslmode") {
        return url.to_string();
    }
    let authority = authority_path.split('/').next().unwrap_or_default();
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let socket = params
        .iter()
        .any(|(k, v)| *k == "host" && (v.starts_with('/') || v.starts_with("%2F")));
    let local = |h: &str| {
        let name = match h.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => h.rsplit_once(':').map_or(h, |(name, _)| name),
        };
        name.is_empty()
            || name.eq_ignore_ascii_case("localhost")
            || name
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    if socket || hosts.split(',').all(local) {
        let joiner = if query.is_empty() { '?' } else { '&' };
        let base = url.strip_suffix('?').unwrap_or(url);
        format!("{base}{joiner}sslmode=disable")
    } else {
        url.to_string()
    }
}

/// A handle to the database: cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    /// Reads (and, on PostgreSQL, everything).
    pub pool: AnyPool,
    /// Reads whose plans are made once per connection and reused (PostgreSQL sessions
    /// with `plan_cache_mode = force_generic_plan`; on SQLite the read pool, which keeps
    /// no plans across statements). For the hot reads PostgreSQL would otherwise plan
    /// afresh on every execution: once a table has statistics, a query bounded by a
    /// time range (a mentor's busy times) gets a custom plan each time, ~0.3 ms of
    /// planning for ~20 µs of execution (measured with `pg_stat_statements` after a
    /// few thousand bookings). Searches stay on `pool`, where plans made for their
    /// actual filters pay off.
    pub generic: AnyPool,
    /// Where write transactions run ([`Db::begin_write`], [`Db::write_conn`]). On
    /// SQLite a pool of one connection: the database has a single writer. On PostgreSQL
    /// the same pool as `pool`.
    writer: AnyPool,
    /// SQLite's write turn (one permit; see [`WriteTurn`]): queueing for it here is
    /// first come, first served and never sleeps in SQLite's busy handler (which backs
    /// off up to 100 ms a try).
    turn: std::sync::Arc<tokio::sync::Semaphore>,
    pub backend: Backend,
    /// The SQLite database file (the booking writer opens its own connection to it).
    pub sqlite_file: Option<String>,
    /// SQLite: native connections for the small reads by key on the hot paths (a
    /// request's token, a booking request's context), run on the request's own thread
    /// ([`Db::read_row_here`]); `None` on PostgreSQL.
    pub native_reads: Option<std::sync::Arc<native::NativeReaders>>,
    /// PostgreSQL: the same small reads by key, taken together when many requests make
    /// them at once ([`coalesce`]); `None` on SQLite.
    pub coalesced: Option<std::sync::Arc<coalesce::Coalescer>>,
}

/// A write transaction: sqlx's, holding SQLite's write turn ([`Db::begin_write`]).
/// It reads as the connection it runs on (`&mut **tx` where a query wants one).
/// Dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub struct Tx {
    // Declared first so it is dropped first: the connection goes back (its rollback
    // queued) before the turn is given up.
    inner: Transaction<'static, Any>,
    _turn: Option<WriteTurn>,
    backend: Backend,
}

impl Tx {
    pub async fn commit(self) -> sqlx::Result<()> {
        self.inner.commit().await
    }

    /// The engine it runs on (for the statements whose text differs).
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

/// The right to write to SQLite now: every writer of the process takes it first (sqlx
/// transactions, single writes, the booking writer's native connection), in order of
/// arrival, so no two of them ever meet in SQLite's busy handler. Given up on drop.
pub type WriteTurn = tokio::sync::OwnedSemaphorePermit;

/// A connection of the writer pool for single statements that write, holding SQLite's
/// write turn (see [`Db::write_conn`]).
#[derive(Debug)]
pub struct WriteConn {
    conn: sqlx::pool::PoolConnection<Any>,
    _turn: Option<WriteTurn>,
}

impl std::ops::Deref for WriteConn {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.conn
    }
}

/// Statements each new SQLite connection runs: WAL, foreign keys, a busy timeout (for
/// other processes, such as `mentorhub ledger verify`) and full fsync on commit. The
/// database file is not mapped into memory (`mmap_size = 0`): in WAL mode a connection
/// drops its whole mapping each time it starts reading after another connection has
/// committed, so with a commit every millisecond every read paid for an `munmap` (and
/// the cross-core TLB flush it sends), then page faults to map the pages again; plain
/// reads from the page cache cost less (measured: 6–8 % more bookings a second). A
/// commit copies the write-ahead log back into the database file only once it holds
/// 10,000 pages (40 MiB, instead of SQLite's 1,000): the server's checkpointer does it
/// every 250 ms beside the writers ([`Db::checkpoint`]), so a commit does not wait for
/// that copy and its `fsync`. Temporary files stay in memory (`temp_store = MEMORY`):
/// a savepoint's journal holds the original of every page it changes (~50 for a
/// booking, each in its own savepoint of the writer's group commit) and SQLite spills
/// it to a file past 64 KiB, which took ~100 of the writer's ~140 `pwrite` calls a
/// booking (measured: 20–35 % more bookings a second at 32 connections); sorts that
/// outgrow the page cache also sort in memory (every listing is paginated). After a
/// burst the log gives its disk space back: when a write starts it over (once a
/// checkpoint has copied all of it), the file is cut down to 64 MiB
/// (`journal_size_limit`), where it stayed at its largest size until a restart.
const SQLITE_PRAGMAS: [&str; 8] = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA synchronous = FULL",
    "PRAGMA mmap_size = 0",
    "PRAGMA wal_autocheckpoint = 10000",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA journal_size_limit = 67108864",
];

/// Pool options shared by every pool: a connection whose transaction did not end
/// cleanly (its COMMIT or ROLLBACK failed, e.g. on a full disk) is closed instead of
/// going back to the pool, where it would fail every later transaction.
///
/// A connection is not pinged each time it is taken from the pool (sqlx's default: a
/// round trip per query, and on SQLite two thread hand-offs). A SQLite connection is
/// a file handle that cannot hang up; a PostgreSQL one is pinged when it has been idle
/// for a while (a restarted server, a dropped link), which is when it may be broken,
/// and every one is pinged for a few seconds after a request met a dead connection
/// ([`note_lost_connection`]): a restart ends all of them at once, and without the
/// ping each one still in the pool would fail one more request.
fn pool_options(backend: Backend, max: u32) -> AnyPoolOptions {
    let opts = AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .after_release(|conn, _meta| {
            Box::pin(async move {
                use sqlx::Connection;
                if conn.is_in_transaction() {
                    // A dropped transaction's ROLLBACK may still be queued: run it.
                    conn.ping().await?;
                    if conn.is_in_transaction() {
                        tracing::warn!("closing a database connection left inside a transaction");
                        return Ok(false);
                    }
                }
                Ok(true)
            })
        });
    match backend {
        Backend::Sqlite => opts.min_connections(1).after_connect(|conn, _meta| {
            Box::pin(async move {
                for pragma in SQLITE_PRAGMAS {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        }),
        Backend::Postgres => opts.before_acquire(|conn, meta| {
            Box::pin(async move {
                use sqlx::Connection;
                if meta.idle_for > PING_AFTER_IDLE || lost_connection_lately() {
                    // A broken connection is dropped, and the pool opens another.
                    return Ok(conn.ping().await.is_ok());
                }
                Ok(true)
            })
        }),
    }
}

/// PostgreSQL connections for queries when not configured
/// (`MENTORHUB_DATABASE_CONNECTIONS`). Few: PostgreSQL does more with a few busy
/// backends than with many taking turns on its cores. Measured on a 2-core machine
/// (alternated, BENCHMARKS.md): 8 (+4 for reads by key) against 16 (+8), 9–14 % more
/// requests a second in the mixed workload and 8–13 % more bookings at 32 clients,
/// p99 lower in both; 4 (+2) books faster still but slows the mixed workload's reads.
pub const DEFAULT_CONNECTIONS: u32 = 8;

/// How long a PostgreSQL connection may sit idle before it is pinged when taken.
const PING_AFTER_IDLE: Duration = Duration::from_secs(2);

/// How long after a dead connection was met every connection is pinged when taken.
const PING_AFTER_LOSS: Duration = Duration::from_secs(10);

/// When a dead PostgreSQL connection was last met: milliseconds since the Unix epoch,
/// 0 for never. One for the process: a restarted server ends every pool's connections.
static LOST_CONNECTION_AT: AtomicU64 = AtomicU64::new(0);

fn epoch_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Records that `e` met a connection the database had ended (its session terminated,
/// the socket broken), so that connections are checked before use for a while; true
/// when it was such a failure. A pool with no connection free is not one: pinging
/// then would only add work to an overloaded database.
pub fn note_lost_connection(e: &sqlx::Error) -> bool {
    let lost = match e {
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
        sqlx::Error::Io(_) => true,
        _ => false,
    };
    if lost {
        LOST_CONNECTION_AT.store(epoch_millis(), Ordering::Relaxed);
    }
    lost
}

fn lost_connection_lately() -> bool {
    let at = LOST_CONNECTION_AT.load(Ordering::Relaxed);
    at != 0 && epoch_millis().saturating_sub(at) < PING_AFTER_LOSS.as_millis() as u64
}

impl Db {
    /// On SQLite, runs a small read by keys on a native connection on the calling
    /// thread ([`native::NativeReaders`]: no hand-off to sqlx's connection thread) and
    /// answers its first row. `None` on PostgreSQL (without building `args`), or when
    /// the native read failed (the log being recovered, a row that does not decode):
    /// the caller then reads through sqlx, which reports any error as every other
    /// read does.
    pub fn read_row_here<T: native::FromNative, const N: usize>(
        &self,
        sql: &str,
        args: impl FnOnce() -> [Arg; N],
    ) -> Option<Option<T>> {
        let readers = self.native_reads.as_ref()?;
        match readers.rows(sql, &args()) {
            Ok(rows) => Some(rows.into_iter().next()),
            Err(e) => {
                tracing::debug!(error = %e, "native read failed; reading through the pool");
                None
            }
        }
    }

    /// A small read by key on a hot path (a request's token, a booking request's
    /// context), its first row: on SQLite on a native connection on this thread
    /// ([`Db::read_row_here`]), on PostgreSQL through the statement's lane
    /// ([`coalesce`]); through the pool when neither applies (a native read that
    /// failed), which reports any error as every other read does.
    pub async fn read_key<T, const N: usize>(
        &self,
        sql: &'static str,
        args: impl Fn() -> [Arg; N],
    ) -> sqlx::Result<Option<T>>
    where
        T: native::FromNative + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        if let Some(found) = self.read_row_here(sql, &args) {
            return Ok(found);
        }
        if let Some(lanes) = &self.coalesced {
            return lanes.row(sql, args().to_vec()).await;
        }
        bind_all_as(sqlx::query_as(AssertSqlSafe(sql)), args().to_vec())
            .fetch_optional(&self.pool)
            .await
    }

    /// Connects (creating a SQLite file if needed) with the settings each engine needs:
    /// on SQLite WAL, foreign keys, a busy timeout and full fsync on commit, so an
    /// acknowledged write survives a crash or power loss. On PostgreSQL at most
    /// `connections` connections for queries (and half as many more for reads by key);
    /// SQLite's pools are fixed.
    pub async fn connect_with(url: &str, connections: u32) -> anyhow::Result<Self> {
        let url = &postgres_url(url);
        let connections = connections.max(1);
        sqlx::any::install_default_drivers();
        let backend: Backend = url.parse()?;
        let context = || {
            format!(
                "connecting to the database at {}",
                crate::config::redact_url(url)
            )
        };
        let (pool, generic, writer, sqlite_file) = match backend {
            Backend::Sqlite => {
                walgather::install().map_err(anyhow::Error::msg)?;
                let writer = pool_options(backend, 1)
                    .connect(url)
                    .await
                    .with_context(context)?;
                let pool = pool_options(backend, 8)
                    .connect(url)
                    .await
                    .with_context(context)?;
                let file: String =
                    sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                        .fetch_one(&writer)
                        .await
                        .with_context(context)?;
                if file.is_empty() {
                    anyhow::bail!("mentorhub keeps its data in a SQLite file, not in memory");
                }
                (pool.clone(), pool, writer, Some(file))
            }
            Backend::Postgres => {
                // One plain connection first: a pool retries a refused connection
                // until its timeout and then says only that it timed out, where this
                // says why (refused, unknown host, no such database, bad password).
                use sqlx::Connection as _;
                match tokio::time::timeout(
                    Duration::from_secs(10),
                    sqlx::AnyConnection::connect(url),
                )
                .await
                {
                    Ok(Ok(probe)) => {
                        let _ = probe.close().await;
                    }
                    Ok(Err(e)) => return Err(anyhow::Error::new(e).context(context())),
                    Err(_) => anyhow::bail!("{}: no answer within 10 s", context()),
                }
                let pool = pool_options(backend, connections)
                    .connect(url)
                    .await
                    .with_context(context)?;
                let generic = pool_options(backend, connections.div_ceil(2))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            sqlx::query("SET plan_cache_mode = force_generic_plan")
                                .execute(&mut *conn)
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await
                    .with_context(context)?;
                (pool.clone(), generic, pool, None)
            }
        };
        let coalesced = (backend == Backend::Postgres)
            .then(|| std::sync::Arc::new(coalesce::Coalescer::new(generic.clone())));
        Ok(Self {
            pool,
            generic,
            writer,
            backend,
            native_reads: sqlite_file
                .as_deref()
                .map(|file| std::sync::Arc::new(native::NativeReaders::new(file))),
            coalesced,
            sqlite_file,
            turn: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
        })
    }

    /// Applies every embedded migration not yet applied, and answers which it applied
    /// (version and name, in order; empty: the database was up to date). Safe with
    /// several instances starting at once (the migrator takes a database lock on
    /// Postgres).
    pub async fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let before = self.applied_migrations().await;
        let files: &[(i64, &str, &str)] = match self.backend {
            Backend::Sqlite => MIGRATIONS_SQLITE,
            Backend::Postgres => MIGRATIONS_POSTGRES,
        };
        let migrations = files
            .iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*name),
                    MigrationType::Simple,
                    AssertSqlSafe(*sql).into_sql_str(),
                    // A file that manages its own transaction (SQLite's table rebuilds
                    // turn foreign keys off, which only works outside one).
                    sql.starts_with("-- no-transaction"),
                )
            })
            .collect();
        Migrator::with_migrations(migrations)
            .run(&self.pool)
            .await
            .context("applying database migrations")?;
        let after = self.applied_migrations().await;
        Ok(files
            .iter()
            .filter(|(v, _, _)| after.contains(v) && !before.contains(v))
            .map(|(_, name, _)| (*name).to_string())
            .collect())
    }

    /// The versions of the migrations applied so far (none when the database is new).
    async fn applied_migrations(&self) -> Vec<i64> {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&self.pool)
            .await
            .unwrap_or_default()
    }

    /// Starts a transaction that will write. On SQLite it runs on the one writer
    /// connection and takes the write lock at once (`BEGIN IMMEDIATE`), so writers queue
    /// instead of deadlocking on upgrade.
    pub async fn begin_write(&self) -> sqlx::Result<Tx> {
        let turn = self.write_turn().await?;
        let inner = match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        };
        Ok(Tx {
            inner,
            _turn: turn,
            backend: self.backend,
        })
    }

    /// SQLite's write turn, waited for (`None` on PostgreSQL, where row locks order
    /// the writers).
    pub async fn write_turn(&self) -> sqlx::Result<Option<WriteTurn>> {
        match self.backend {
            // As long as a pool waits for a connection before giving up.
            Backend::Sqlite => {
                tokio::time::timeout(Duration::from_secs(10), self.turn.clone().acquire_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?
                    .map(Some)
                    .map_err(|_| sqlx::Error::PoolClosed)
            }
            Backend::Postgres => Ok(None),
        }
    }

    /// A connection for a single statement that writes (on its own, it commits at
    /// once), holding SQLite's write turn while it is kept.
    pub async fn write_conn(&self) -> sqlx::Result<WriteConn> {
        let turn = self.write_turn().await?;
        let conn = self.writer.acquire().await?;
        Ok(WriteConn { conn, _turn: turn })
    }

    /// Refreshes the planner's statistics after a bulk load: before the first
    /// autovacuum PostgreSQL may otherwise plan a 20-row feed page as a full scan. On
    /// PostgreSQL it also vacuums, which marks the new rows visible to all so that
    /// index-only scans (the admin figures) need not visit the tables.
    pub async fn analyze(&self) -> sqlx::Result<()> {
        let sql = match self.backend {
            Backend::Sqlite => "ANALYZE",
            Backend::Postgres => "VACUUM ANALYZE",
        };
        sqlx::query(sql).execute(&self.pool).await.map(|_| ())
    }

    /// On PostgreSQL, gathers statistics for every table of ours with at least 1,000
    /// rows changed since its last statistics and more than half of its live rows
    /// (never analyzed counts as all of them); returns the tables analyzed. Nothing on
    /// SQLite, whose planner caches no plan across statements.
    ///
    /// A prepared statement's generic plan is kept until the statistics of its tables
    /// change. Planned while the tables were nearly empty, it may read a whole index
    /// (every pending booking, every user) where a range of one would do, and without
    /// statistics it is never planned again: that is PostgreSQL with autovacuum off,
    /// or before autovacuum's first pass over a table. Autovacuum's own threshold (a
    /// tenth of the rows by default) comes long before this one, so with autovacuum on
    /// this finds nothing to do.
    pub async fn refresh_statistics(&self) -> sqlx::Result<Vec<String>> {
        if self.backend != Backend::Postgres {
            return Ok(Vec::new());
        }
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(relname AS TEXT) FROM pg_stat_user_tables \
             WHERE schemaname = current_schema() AND n_mod_since_analyze >= 1000 \
             AND n_mod_since_analyze * 2 > n_live_tup ORDER BY relname",
        )
        .fetch_all(&self.pool)
        .await?;
        for table in &stale {
            let sql = format!("ANALYZE \"{}\"", table.replace('"', "\"\""));
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&self.pool)
                .await?;
        }
        Ok(stale)
    }

    /// Whether this database holds mentorhub's tables (any version of them): false for
    /// an empty file or an empty PostgreSQL database.
    pub async fn has_schema(&self) -> bool {
        sqlx::query("SELECT 1 FROM users LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .is_ok()
    }

    /// Copies the committed pages of SQLite's write-ahead log into the database file
    /// without waiting for readers or the writer (a passive checkpoint); nothing on
    /// PostgreSQL.
    pub async fn checkpoint(&self) -> sqlx::Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> sqlx::Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Checks that the database takes a write: a transaction writes (and removes) a
    /// 64 KiB row, so a full disk or a read-only database fails it. On SQLite the
    /// write-ahead log is then copied into the database file: a log that is reused
    /// after a checkpoint may still have room for the probe when the disk has none,
    /// but the copy, which must grow the file, then fails.
    pub async fn probe_write(&self, now: Timestamp) -> sqlx::Result<()> {
        let mut tx = self.begin_write().await?;
        let filler = vec![0x5au8; 64 * 1024];
        sqlx::query("INSERT INTO write_probes (id, filler, created_at) VALUES ($1, $2, $3)")
            .bind(crate::domain::ids::new_id())
            .bind(filler)
            .bind(now.stored())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM write_probes")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.checkpoint().await
    }
}

/// The steps of a savepoint inside a transaction (SQLite's group commit gives each
/// request of a batch its own; see [`native::NativeConn::savepoint`]).
#[derive(Debug, Clone, Copy)]
pub enum Savepoint {
    Set,
    Release,
    RollbackTo,
}

/// The database cannot store anything now, through no fault of the request: SQLite
/// `SQLITE_FULL`, `SQLITE_IOERR`, `SQLITE_READONLY`; PostgreSQL class 53 (insufficient
/// resources) and 58 (system error).
pub fn is_disk_failure(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            let c = c.as_ref();
            // SQLite extended codes keep the primary code in the low byte.
            let sqlite = c
                .parse::<i64>()
                .is_ok_and(|n| matches!(n & 0xff, 8 | 10 | 13));
            sqlite || c.starts_with("53") || c.starts_with("58")
        }),
        _ => false,
    }
}

/// The connection is gone or cannot be had: a socket error, PostgreSQL ending the
/// session (class 57P: shut down, restarting, the backend terminated by an
/// administrator) or refusing it (class 08), no connection free in time, SQLite's
/// worker thread gone.
/// A connection found ended is noted ([`note_lost_connection`]).
pub fn is_connection_failure(e: &sqlx::Error) -> bool {
    note_lost_connection(e)
        || matches!(
            e,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed
        )
}

macro_rules! migrations {
    ($dir:literal: $($version:literal $name:literal),* $(,)?) => {
        &[$(($version, $name, include_str!(concat!("../../migrations/", $dir, "/", $name, ".sql")))),*]
    };
}

const MIGRATIONS_SQLITE: &[(i64, &str, &str)] = migrations!("sqlite": 1 "0001_foundation", 2 "0002_mentors", 3 "0003_bookings", 4 "0004_messaging", 5 "0005_articles", 6 "0006_inactive_users", 7 "0007_payments", 8 "0008_reports", 9 "0009_platform_figures", 10 "0010_write_path", 11 "0011_presence", 12 "0012_credit_requests", 13 "0013_article_rendering", 14 "0014_group_sessions", 15 "0015_programs", 16 "0016_program_ledger", 17 "0017_program_progress", 18 "0018_calendars", 19 "0019_booking_series", 20 "0020_job_lease_index", 21 "0021_escrow_shards", 22 "0022_write_path_indexes", 23 "0023_partial_reference_indexes", 24 "0024_password_resets", 25 "0025_form_submissions", 26 "0026_group_meeting_links", 27 "0027_booking_disputes", 28 "0028_clock", 29 "0029_wound_down", 30 "0030_dispute_answer", 31 "0031_message_actor", 32 "0032_milestone_author", 33 "0033_group_thread", 34 "0034_sponsored_by_member", 35 "0035_group_repeats", 36 "0036_program_zone", 37 "0037_email_confirmations", 38 "0038_mentor_short_notice", 39 "0039_group_search", 40 "0040_seat_keys");
const MIGRATIONS_POSTGRES: &[(i64, &str, &str)] = migrations!("postgres": 1 "0001_foundation", 2 "0002_mentors", 3 "0003_bookings", 4 "0004_messaging", 5 "0005_articles", 6 "0006_inactive_users", 7 "0007_payments", 8 "0008_reports", 9 "0009_platform_figures", 10 "0010_write_path", 11 "0011_presence", 12 "0012_credit_requests", 13 "0013_article_rendering", 14 "0014_group_sessions", 15 "0015_programs", 16 "0016_program_ledger", 17 "0017_program_progress", 18 "0018_calendars", 19 "0019_booking_series", 20 "0020_job_lease_index", 21 "0021_escrow_shards", 22 "0022_write_path_indexes", 23 "0023_partial_reference_indexes", 24 "0024_password_resets", 25 "0025_form_submissions", 26 "0026_group_meeting_links", 27 "0027_booking_disputes", 28 "0028_clock", 29 "0029_wound_down", 30 "0030_dispute_answer", 31 "0031_message_actor", 32 "0032_milestone_author", 33 "0033_group_thread", 34 "0034_sponsored_by_member", 35 "0035_group_repeats", 36 "0036_program_zone", 37 "0037_email_confirmations", 38 "0038_mentor_short_notice", 39 "0039_group_search", 40 "0040_seat_keys");

/// True when the error is a unique-constraint violation (on either engine).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// The full-text query matching every word as a prefix: for SQLite FTS5 each word
/// quoted (`"rus"*` finds rust), for PostgreSQL a `to_tsquery` of `word:*` joined by
/// `&`. The words are letters and digits already (`service::mentors::search_words`).
pub fn prefix_query(backend: Backend, words: &[String]) -> String {
    match backend {
        Backend::Sqlite => words
            .iter()
            .map(|w| format!("\"{}\"*", w.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" "),
        Backend::Postgres => words
            .iter()
            .map(|w| format!("{w}:*"))
            .collect::<Vec<_>>()
            .join(" & "),
    }
}

/// A full-text query matching documents with any of the words (as prefixes); the
/// engines' ranking puts those with more of them first.
pub fn any_prefix_query(backend: Backend, words: &[String]) -> String {
    let joiner = match backend {
        Backend::Sqlite => " OR ",
        Backend::Postgres => " | ",
    };
    prefix_query(backend, words)
        .split(match backend {
            Backend::Sqlite => " ",
            Backend::Postgres => " & ",
        })
        .collect::<Vec<_>>()
        .join(joiner)
}

/// Escapes `%`, `_` and `\` for use inside a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A value bound to a dynamically built query.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    Float(f64),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}

impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        Arg::OptText(v.clone())
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::OptText(v.map(str::to_string))
    }
}

/// A query assembled piece by piece with numbered placeholders (`$1`, `$2`, …), which
/// both engines accept.
#[derive(Debug, Default, Clone)]
pub struct SqlBuilder {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl SqlBuilder {
    pub fn new(start: &str) -> Self {
        Self {
            sql: start.to_string(),
            args: vec![],
        }
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.sql.push_str(&format!("${}", self.args.len()));
        self
    }

    /// Appends a placeholder for each id, comma-separated (an `IN (…)` list).
    pub fn bind_list(&mut self, ids: &[String]) -> &mut Self {
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(Arg::Text(id.clone()));
        }
        self
    }

    pub fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments> {
        bind_all(
            sqlx::query(AssertSqlSafe(self.sql.clone())),
            self.args.clone(),
        )
    }

    pub fn query_as<'q, T>(&'q self) -> sqlx::query::QueryAs<'q, Any, T, sqlx::any::AnyArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        bind_all_as(
            sqlx::query_as::<Any, T>(AssertSqlSafe(self.sql.clone())),
            self.args.clone(),
        )
    }
}

/// `statements` as one PostgreSQL statement: each but the last a data-modifying CTE,
/// the last the main statement (whose rows it answers). All of them see the snapshot
/// taken when it starts, not each other's changes.
pub fn ctes(statements: &[&str]) -> String {
    let (last, rest) = statements.split_last().unwrap_or((&"", &[]));
    let ctes: Vec<String> = rest
        .iter()
        .enumerate()
        .map(|(i, s)| format!("w{i} AS ({s})"))
        .collect();
    format!("WITH {} {last}", ctes.join(", "))
}

/// Statements that share their parameters, sent in one round trip: on SQLite as one
/// multi-statement command (run in order), on PostgreSQL as one statement of
/// data-modifying CTEs ([`ctes`]). Written so that neither order nor visibility
/// matters: each statement reads only what was there before. The text for each engine
/// is made once.
pub struct OneTrip {
    statements: &'static [&'static str],
    sqlite: std::sync::OnceLock<String>,
    postgres: std::sync::OnceLock<String>,
}

impl OneTrip {
    pub const fn new(statements: &'static [&'static str]) -> Self {
        Self {
            statements,
            sqlite: std::sync::OnceLock::new(),
            postgres: std::sync::OnceLock::new(),
        }
    }

    pub fn sql(&self, backend: Backend) -> &str {
        match backend {
            Backend::Sqlite => self.sqlite.get_or_init(|| self.statements.join(";\n")),
            Backend::Postgres => self.postgres.get_or_init(|| ctes(self.statements)),
        }
    }
}

/// Binds `args` to a query in order.
pub fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s),
            Arg::OptText(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
            Arg::Float(f) => q.bind(f),
        };
    }
    q
}

/// [`bind_all`] for a query whose rows are decoded into `O`.
pub fn bind_all_as<'q, O>(
    mut q: sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments>,
    args: Vec<Arg>,
) -> sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s),
            Arg::OptText(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
            Arg::Float(f) => q.bind(f),
        };
    }
    q
}

/// Sends a notification to every instance listening on `channel` (Postgres only).
pub async fn notify_instances(
    pool: &sqlx::AnyPool,
    channel: &str,
    payload: &str,
) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::postgres_url;

    /// Every migration file is applied: listed once, in order, with the version its
    /// name starts with, on both engines (a file left out of the list would never run).
    #[test]
    fn every_migration_file_is_listed_in_order() {
        for (dir, listed) in [
            ("sqlite", super::MIGRATIONS_SQLITE),
            ("postgres", super::MIGRATIONS_POSTGRES),
        ] {
            let path = format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR"));
            let mut files: Vec<String> = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter_map(|n| n.strip_suffix(".sql").map(str::to_string))
                .collect();
            files.sort();
            let names: Vec<String> = listed.iter().map(|(_, n, _)| n.to_string()).collect();
            assert_eq!(names, files, "{dir}: the list and the files differ");
            for (i, (version, name, _)) in listed.iter().enumerate() {
                assert_eq!(*version, i as i64 + 1, "{name}");
                assert!(name.starts_with(&format!("{version:04}_")), "{name}");
            }
        }
    }

    #[test]
    fn a_local_server_is_reached_without_tls_unless_the_url_says_otherwise() {
        let local = [
            "postgres://postgres@127.0.0.1:5432/db",
            "postgres://u:p@localhost/db",
            "postgresql://[::1]:5432/db",
            "postgres:///db",
            "postgres://u@/db?host=/var/run/postgresql",
        ];
        for url in local {
            let got = postgres_url(url);
            assert!(got.ends_with("sslmode=disable"), "{url} → {got}");
            assert!(got.starts_with(url), "{url} → {got}");
        }
        assert_eq!(
            postgres_url("postgres://127.0.0.1/db?application_name=x"),
            "postgres://127.0.0.1/db?application_name=x&sslmode=disable"
        );
        for kept in [
            "postgres://db.example.com/mentorhub",
            "postgres://u:p@10.0.0.5:5432/db",
            "postgres://127.0.0.1/db?sslmode=require",
            "postgres://localhost/db?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            "postgres://127.0.0.1,db.example.com/db",
            "sqlite://data/mentorhub.db?mode=rwc",
        ] {
            assert_eq!(postgres_url(kept), kept);
        }
    }
}
