//! PostgreSQL: the small reads by key every request makes (its token, a booking
//! request's context), answered together when many requests make them at once.
//!
//! A read by key costs PostgreSQL little to execute (30–75 µs measured) but a round
//! trip, a bind and an executor start-up each; at 32 connections booking, those two
//! reads were 11 % of PostgreSQL's statement time a booking (`pg_stat_statements`),
//! before their round trips. So each statement has a lane:
//! while none of its reads runs, a read runs at once, alone, exactly as before; while
//! one runs, the reads arriving wait, and when it ends, every one waiting (up to
//! [`TAKE`]) is answered by one statement — the same SQL run `CROSS JOIN LATERAL` over
//! a JSON array of their parameters ([`super::json_rows`]), each row tagged with the
//! read it answers — and so on while reads keep arriving. One client sees no change;
//! under load, the reads of a moment share one statement (measured at 32 connections
//! booking: 6–7 reads a statement, PostgreSQL's CPU a booking −10 %; letting two reads
//! run alone at once before others wait took half as many together and gained half
//! as much).
//!
//! A read in a take that fails as a whole (a lost connection, a parameter the
//! statement refuses) is read again alone by its own caller, so it gets its own answer or error.
//! Reads run on the pool with generic plans ([`super::Db::generic`]): by key, a custom
//! plan would only cost planning.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
};

use sqlx::{AnyPool, FromRow, Row, any::AnyRow};
use tokio::sync::oneshot;

use super::{
    Arg, bind_all,
    json_rows::{params_as_columns, row_object, rows_of},
};

/// How many reads (or takes) of one statement run at once before reads wait to be
/// taken together (see the module documentation).
const RUNNING: usize = 1;
/// The most reads one statement answers.
const TAKE: usize = 64;

/// The lanes of one database: one for each statement read through them.
pub struct Coalescer {
    pool: AnyPool,
    /// By the statement's address and length (its text is `'static`).
    lanes: Mutex<HashMap<(usize, usize), Arc<Lane>>>,
    pub stats: Arc<Stats>,
}

/// How the reads went: alone, or taken together (and the takes, and those that
/// failed as a whole, whose reads were read again alone).
#[derive(Debug, Default)]
pub struct Stats {
    pub alone: AtomicU64,
    pub together: AtomicU64,
    pub takes: AtomicU64,
    pub failed_takes: AtomicU64,
}

impl Stats {
    /// The counters in Prometheus' text format.
    pub fn render(&self) -> String {
        format!(
            "# HELP mentorhub_key_reads_total Reads by key on the hot paths (tokens, booking \
             contexts) on PostgreSQL: alone, or answered together with others made at once.\n\
             # TYPE mentorhub_key_reads_total counter\n\
             mentorhub_key_reads_total{{how=\"alone\"}} {}\n\
             mentorhub_key_reads_total{{how=\"together\"}} {}\n\
             # HELP mentorhub_key_read_takes_total Statements that answered several reads by \
             key at once, and those that failed as a whole (each read then read alone).\n\
             # TYPE mentorhub_key_read_takes_total counter\n\
             mentorhub_key_read_takes_total{{outcome=\"answered\"}} {}\n\
             mentorhub_key_read_takes_total{{outcome=\"failed\"}} {}\n",
            self.alone.load(Relaxed),
            self.together.load(Relaxed),
            self.takes.load(Relaxed),
            self.failed_takes.load(Relaxed),
        )
    }
}

impl std::fmt::Debug for Coalescer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coalescer").finish_non_exhaustive()
    }
}

/// One statement's reads.
struct Lane {
    sql: &'static str,
    /// `sql` over the rows of a JSON array of parameters, tagged by `coalesced_n`.
    together: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    running: usize,
    waiting: Vec<Waiting>,
}

/// A read waiting to be taken: its parameters, and where its row goes (`Err` when the
/// take failed: read again alone).
struct Waiting {
    args: Vec<Arg>,
    answer: oneshot::Sender<Result<Option<AnyRow>, ()>>,
}

impl Coalescer {
    pub fn new(pool: AnyPool) -> Self {
        Self {
            pool,
            lanes: Mutex::new(HashMap::new()),
            stats: Arc::default(),
        }
    }

    /// The first row of `sql` with `args` (parameters `$1…$N`), decoded as `T` by
    /// column names (a taken row has one more column, `coalesced_n`). `sql` must be a
    /// single SELECT whose columns have distinct names and whose tables are not named
    /// `v`; it is one lane for as long as the program runs (hence `'static`).
    pub async fn row<T>(&self, sql: &'static str, args: Vec<Arg>) -> sqlx::Result<Option<T>>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let lane = self.lane(sql, &args);
        let waiting = {
            let mut state = lane.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.running < RUNNING && state.waiting.is_empty() {
                state.running += 1;
                None
            } else {
                let (answer, answered) = oneshot::channel();
                state.waiting.push(Waiting {
                    args: args.clone(),
                    answer,
                });
                Some(answered)
            }
        };
        match waiting {
            None => {
                // Whether this future finishes or is dropped, the turn passes on.
                let _turn = Turn {
                    lane: lane.clone(),
                    pool: self.pool.clone(),
                    stats: self.stats.clone(),
                };
                self.stats.alone.fetch_add(1, Relaxed);
                alone(&self.pool, sql, args).await
            }
            Some(answered) => match answered.await {
                Ok(Ok(row)) => row.as_ref().map(T::from_row).transpose(),
                // The take failed, or its task was stopped: read alone.
                _ => {
                    self.stats.alone.fetch_add(1, Relaxed);
                    alone(&self.pool, sql, args).await
                }
            },
        }
    }

    fn lane(&self, sql: &'static str, args: &[Arg]) -> Arc<Lane> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let key = (sql.as_ptr() as usize, sql.len());
        lanes
            .entry(key)
            .or_insert_with(|| Arc::new(Lane::new(sql, args)))
            .clone()
    }
}

impl Lane {
    fn new(sql: &'static str, args: &[Arg]) -> Self {
        let mut shapes = vec![Arg::Int(0)];
        shapes.extend(args.iter().cloned());
        Self {
            sql,
            together: together_sql(sql, &shapes),
            state: Mutex::default(),
        }
    }
}

/// `sql` run once for each row of `v` (whose first column `p1` numbers the reads),
/// each of its rows tagged with that number.
fn together_sql(sql: &str, shapes: &[Arg]) -> String {
    format!(
        "WITH {} SELECT v.p1 AS coalesced_n, q.* FROM v CROSS JOIN LATERAL ({}) AS q",
        rows_of(shapes),
        params_as_columns(sql, 1)
    )
}

/// `sql` with `args`, on its own: its first row.
async fn first_row(pool: &AnyPool, sql: &str, args: Vec<Arg>) -> sqlx::Result<Option<AnyRow>> {
    let q = sqlx::query(sqlx::AssertSqlSafe(sql));
    bind_all(q, args).fetch_optional(pool).await
}

async fn alone<T>(pool: &AnyPool, sql: &'static str, args: Vec<Arg>) -> sqlx::Result<Option<T>>
where
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let row = first_row(pool, sql, args).await?;
    row.as_ref().map(T::from_row).transpose()
}

/// A running read of a lane. When it ends, the reads that waited meanwhile are taken
/// (on a task of their own, so the caller has its answer now) or, when none wait, the
/// lane has one running read fewer.
struct Turn {
    lane: Arc<Lane>,
    pool: AnyPool,
    stats: Arc<Stats>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let take = next_take(&self.lane);
        if take.is_empty() {
            return;
        }
        // Outside a runtime (a program shutting down) the waiting reads' answers are
        // dropped, and each reads alone.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (lane, pool, stats) = (self.lane.clone(), self.pool.clone(), self.stats.clone());
            runtime.spawn(run_takes(lane, pool, stats, take));
        }
    }
}

/// Every read waiting (up to [`TAKE`]); when none wait, the lane's running count drops.
fn next_take(lane: &Lane) -> Vec<Waiting> {
    let mut state = lane.state.lock().unwrap_or_else(|e| e.into_inner());
    if state.waiting.is_empty() {
        state.running -= 1;
        return vec![];
    }
    let n = state.waiting.len().min(TAKE);
    state.waiting.drain(..n).collect()
}

/// Answers `take`, then every take waiting after it, until none waits.
async fn run_takes(lane: Arc<Lane>, pool: AnyPool, stats: Arc<Stats>, mut take: Vec<Waiting>) {
    while !take.is_empty() {
        answer(&lane, &pool, &stats, take).await;
        take = next_take(&lane);
    }
}

async fn answer(lane: &Lane, pool: &AnyPool, stats: &Stats, mut take: Vec<Waiting>) {
    if take.len() == 1 {
        stats.alone.fetch_add(1, Relaxed);
        let one = take.remove(0);
        let found = first_row(pool, lane.sql, one.args).await;
        let _ = one.answer.send(found.map_err(|_| ()));
        return;
    }
    let rows: Vec<serde_json::Value> = (take.iter().enumerate())
        .map(|(i, w)| {
            let mut args = vec![Arg::Int(i as i64)];
            args.extend(w.args.iter().cloned());
            row_object(args)
        })
        .collect();
    let found = sqlx::query(sqlx::AssertSqlSafe(lane.together.as_str()))
        .bind(serde_json::Value::from(rows).to_string())
        .fetch_all(pool)
        .await;
    let mut answers: Vec<Option<AnyRow>> = (0..take.len()).map(|_| None).collect();
    let failed = match found {
        Ok(found) => {
            let mut failed = false;
            for row in found {
                let n = row.try_get::<i64, _>("coalesced_n").ok();
                match n.and_then(|n| usize::try_from(n).ok()) {
                    Some(n) if n < answers.len() => {
                        // A statement answering several rows for a read: the first.
                        answers[n].get_or_insert(row);
                    }
                    _ => failed = true,
                }
            }
            failed
        }
        Err(e) => {
            tracing::debug!(error = %e, "a coalesced read failed; each reads again alone");
            true
        }
    };
    if failed {
        stats.failed_takes.fetch_add(1, Relaxed);
    } else {
        stats.takes.fetch_add(1, Relaxed);
        stats.together.fetch_add(take.len() as u64, Relaxed);
    }
    for (w, row) in take.into_iter().zip(answers) {
        let _ = w.answer.send(if failed { Err(()) } else { Ok(row) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_over_rows_tags_each_row() {
        assert_eq!(
            together_sql(
                "SELECT a FROM t WHERE k = $1 AND at > $2",
                &[Arg::Int(0), Arg::Text(String::new()), Arg::Int(0)]
            ),
            "WITH v AS (SELECT * FROM json_to_recordset(CAST($1 AS json)) AS x(p1 bigint, \
             p2 text, p3 bigint)) SELECT v.p1 AS coalesced_n, q.* FROM v CROSS JOIN LATERAL \
             (SELECT a FROM t WHERE k = v.p2 AND at > v.p3) AS q"
        );
    }
}
