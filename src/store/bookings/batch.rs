//! PostgreSQL's group commit of booking requests: the reads and the writes of many
//! requests in one transaction of four statements (lock, read, write, commit) instead
//! of four or five statements each.
//!
//! The decision stays in one place, `service::bookings::write_request`, which asks its
//! transaction ([`RequestTx`]) for what it needs. A request is first run against a
//! [`Recorder`], which notes what it asks (and answers as if nothing were booked);
//! every request's asks are then answered by one statement ([`read_all`]), and the
//! request is run again against [`Prefetched`], which answers from that read and keeps
//! what the request would write. The rows of every request that booked are then
//! written by one statement ([`write_all`]): [`REQUEST_STATEMENTS`] run over a JSON
//! array of the requests' parameters, one row each.
//!
//! This is only equivalent to one transaction per request because the requests of one
//! batch share no person (the caller groups them so): everything a request reads —
//! the mentor's and the mentee's bookings, the mentee's wallet and sponsored
//! credits, the pair's thread, the mentee's idempotency keys — belongs to its two
//! people, whose rows the batch locks first, in id order, like every booking action.
//! What a request writes is new rows and rows of its two people (wallet, sponsored
//! credits, the pair's thread), except its escrow account, which bookings share: that
//! credit is summed per account ([`ESCROW_CREDIT_OVER_ROWS`]).
//! A second run that asks anything the first did not (it cannot, as its answers only
//! refuse earlier) marks the request [`Prefetched::missed`], and the caller writes it
//! alone.

use super::*;
use crate::store::json_rows::{params_as_columns, row_object, rows_of};
use futures_util::future::BoxFuture;
use sqlx::AnyConnection;

/// What a booking request's transaction asked, in a dry run.
#[derive(Debug, Default, Clone)]
pub struct Asks {
    /// `by_idempotency_key`: mentee, key.
    pub idempotency: Option<(String, String)>,
    /// `slot_conflicts`: the parameters of [`SLOT_CONFLICTS`].
    pub conflicts: Option<Vec<Arg>>,
    /// `wallet_balance`: the user.
    pub wallet: Option<String>,
    /// `balance_of`: the account.
    pub account: Option<String>,
    /// `direct_thread`: the two people.
    pub pair: Option<(String, String)>,
}

/// The index of "now" among [`SLOT_CONFLICTS`]' parameters: the second run reads the
/// clock again, so it may ask a few microseconds later than the first.
const CONFLICTS_NOW: usize = 5;

/// A dry run's transaction: records what is asked and answers as if nothing were
/// booked and the wallet were bottomless, so the run goes as far as the request can.
#[derive(Debug, Default)]
pub struct Recorder {
    pub asks: Asks,
}

/// What [`read_all`] found for one request.
#[derive(Debug, Default, Clone)]
pub struct Answers {
    idempotency: Option<(String, String)>,
    conflicts: Vec<(i64, i64, i64)>,
    wallet: i64,
    account: i64,
    thread: Option<String>,
}

/// The second run's transaction: answers from [`read_all`], keeps what would be written.
#[derive(Debug)]
pub struct Prefetched {
    asks: Asks,
    answers: Answers,
    /// Something was asked that the dry run did not ask: the answers do not cover it.
    pub missed: bool,
    /// The statements creating the pair's thread, when they had none.
    pub new_thread: Vec<(&'static str, Vec<Arg>)>,
    /// The booking's thread and sponsored credits, once it is to be written.
    pub insert: Option<(String, Option<(String, i64)>)>,
}

impl Prefetched {
    pub fn new(asks: Asks, answers: Answers) -> Self {
        Self {
            asks,
            answers,
            missed: false,
            new_thread: vec![],
            insert: None,
        }
    }

    fn miss<T: Send + 'static>(&mut self) -> BoxFuture<'static, sqlx::Result<T>> {
        self.missed = true;
        Box::pin(std::future::ready(Err(sqlx::Error::Protocol(
            "a batched booking request asked what its dry run did not".into(),
        ))))
    }
}

fn ready<T: Send + 'static>(v: T) -> BoxFuture<'static, sqlx::Result<T>> {
    Box::pin(std::future::ready(Ok(v)))
}

impl RequestTx for Recorder {
    fn by_idempotency_key<'a>(
        &'a mut self,
        mentee_id: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, sqlx::Result<Option<(String, String)>>> {
        self.asks.idempotency = Some((mentee_id.into(), key.into()));
        ready(None)
    }

    fn slot_conflicts<'a>(
        &'a mut self,
        ask: &'a BusyAsk<'a>,
        mentee_id: &'a str,
        mentee_span: (Timestamp, Timestamp),
    ) -> BoxFuture<'a, sqlx::Result<SlotConflicts>> {
        self.asks.conflicts = Some(slot_conflicts_args(ask, mentee_id, mentee_span));
        ready(SlotConflicts {
            busy: vec![],
            mentee_busy: false,
            balance: i64::MAX,
        })
    }

    fn wallet_balance<'a>(&'a mut self, user_id: &'a str) -> BoxFuture<'a, sqlx::Result<i64>> {
        self.asks.wallet = Some(user_id.into());
        ready(i64::MAX)
    }

    fn balance_of<'a>(&'a mut self, account: &'a str) -> BoxFuture<'a, sqlx::Result<i64>> {
        self.asks.account = Some(account.into());
        ready(0)
    }

    fn direct_thread<'a>(
        &'a mut self,
        a: &'a str,
        b: &'a str,
        _now: Timestamp,
    ) -> BoxFuture<'a, sqlx::Result<String>> {
        self.asks.pair = Some((a.into(), b.into()));
        ready(String::new())
    }

    fn insert_request<'a>(
        &'a mut self,
        _backend: Backend,
        _w: &'a RequestRows,
        _thread: &'a str,
        _release: bool,
        _sponsored: Option<(&'a str, i64)>,
    ) -> BoxFuture<'a, sqlx::Result<()>> {
        ready(())
    }
}

impl RequestTx for Prefetched {
    fn by_idempotency_key<'a>(
        &'a mut self,
        mentee_id: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, sqlx::Result<Option<(String, String)>>> {
        match &self.asks.idempotency {
            Some((m, k)) if m == mentee_id && k == key => ready(self.answers.idempotency.clone()),
            _ => self.miss(),
        }
    }

    fn slot_conflicts<'a>(
        &'a mut self,
        ask: &'a BusyAsk<'a>,
        mentee_id: &'a str,
        mentee_span: (Timestamp, Timestamp),
    ) -> BoxFuture<'a, sqlx::Result<SlotConflicts>> {
        let args = slot_conflicts_args(ask, mentee_id, mentee_span);
        let same = self.asks.conflicts.as_ref().is_some_and(|asked| {
            asked.len() == args.len()
                && (asked.iter().zip(&args).enumerate())
                    .all(|(i, (a, b))| i == CONFLICTS_NOW || a == b)
        });
        if !same {
            return self.miss();
        }
        Box::pin(std::future::ready(conflicts_from(
            self.answers.conflicts.clone(),
        )))
    }

    fn wallet_balance<'a>(&'a mut self, user_id: &'a str) -> BoxFuture<'a, sqlx::Result<i64>> {
        match &self.asks.wallet {
            Some(u) if u == user_id => ready(self.answers.wallet),
            _ => self.miss(),
        }
    }

    fn balance_of<'a>(&'a mut self, account: &'a str) -> BoxFuture<'a, sqlx::Result<i64>> {
        match &self.asks.account {
            Some(a) if a == account => ready(self.answers.account),
            _ => self.miss(),
        }
    }

    fn direct_thread<'a>(
        &'a mut self,
        a: &'a str,
        b: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, sqlx::Result<String>> {
        if self.asks.pair.as_ref() != Some(&(a.to_string(), b.to_string())) {
            return self.miss();
        }
        if let Some(id) = &self.answers.thread {
            return ready(id.clone());
        }
        let (id, rows) = new_thread_rows(a, b, now);
        self.new_thread = rows;
        ready(id)
    }

    fn insert_request<'a>(
        &'a mut self,
        _backend: Backend,
        _w: &'a RequestRows,
        thread: &'a str,
        _release: bool,
        sponsored: Option<(&'a str, i64)>,
    ) -> BoxFuture<'a, sqlx::Result<()>> {
        self.insert = Some((thread.into(), sponsored.map(|(a, n)| (a.into(), n))));
        ready(())
    }
}

/// The byte offsets of `word` in `sql` outside parentheses.
fn top_level(sql: &str, word: &str) -> Vec<usize> {
    let mut depth = 0i32;
    let mut found = vec![];
    for (i, c) in sql.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 && sql[i..].starts_with(word) => found.push(i),
            _ => {}
        }
    }
    found
}

/// One statement of [`REQUEST_STATEMENTS`] over every row of the batch `v`: `INSERT …
/// VALUES (…)` becomes `INSERT … SELECT … FROM v`, and each top-level `SELECT … WHERE`
/// arm or `UPDATE … WHERE` reads `FROM v` before its `WHERE`.
fn over_rows(statement: &str) -> String {
    let sql = params_as_columns(statement, 0);
    if let Some(at) = sql.find(" VALUES (") {
        let values = &sql[at + " VALUES (".len()..];
        let values = values
            .strip_suffix(')')
            .expect("VALUES (…) ends the statement");
        return format!("{} SELECT {values} FROM v", &sql[..at]);
    }
    let wheres = top_level(&sql, " WHERE ");
    let arms = if sql.starts_with("UPDATE") {
        1
    } else {
        top_level(&sql, "SELECT ").len()
    };
    assert_eq!(wheres.len(), arms, "one WHERE an arm: {statement}");
    let mut out = sql.clone();
    for at in wheres.into_iter().rev() {
        out.insert_str(at, " FROM v");
    }
    out
}

/// The asks' columns after `i` (the request's index): idempotency mentee and key,
/// whether conflicts are asked, their parameters, the wallet's user, the account, the
/// pair's key.
fn ask_args(i: usize, a: &Asks) -> Vec<Arg> {
    let none = || Arg::OptText(None);
    let mut args = vec![Arg::Int(i as i64)];
    match &a.idempotency {
        Some((m, k)) => args.extend([m.as_str().into(), k.as_str().into()]),
        None => args.extend([none(), none()]),
    }
    args.push(Arg::Int(i64::from(a.conflicts.is_some())));
    match &a.conflicts {
        Some(c) => args.extend(c.iter().cloned()),
        // Not read (`p4` is 0), but typed as asked ones are.
        None => {
            let epoch = Timestamp::UNIX_EPOCH;
            let ask = BusyAsk {
                mentor_id: "",
                from: epoch,
                to: epoch,
                except: None,
                except_hold: None,
                now: epoch,
            };
            args.extend(slot_conflicts_args(&ask, "", (epoch, epoch)));
        }
    }
    args.push(Arg::OptText(a.wallet.clone()));
    args.push(Arg::OptText(a.account.clone()));
    args.push(Arg::OptText(
        a.pair
            .as_ref()
            .map(|(x, y)| crate::store::messages::pair_key(x, y)),
    ));
    args
}

/// The read of [`read_all`]: parameters `$1`–`$3` of the asks are `p1`–`p3` (index,
/// idempotency mentee and key), `p4` says whether conflicts are asked, `p5`–`p14` are
/// [`SLOT_CONFLICTS`]' `$1`–`$10`, then wallet user, account, pair key.
fn read_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let shapes = ask_args(0, &Asks::default());
        // SLOT_CONFLICTS' $N is the batch's column p(N + 4).
        let conflicts = params_as_columns(SLOT_CONFLICTS, 4);
        let (wallet, account, pair) = (shapes.len() - 2, shapes.len() - 1, shapes.len());
        format!(
            "WITH {rows} \
             SELECT v.p1, CAST(0 AS BIGINT), CAST(c.k AS BIGINT), CAST(c.s AS BIGINT), \
             CAST(c.e AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT) \
             FROM v CROSS JOIN LATERAL ({conflicts}) AS c(k, s, e) WHERE v.p4 = 1 \
             UNION ALL SELECT v.p1, 1, 0, 0, 0, b.id, b.request_hash FROM v \
             JOIN bookings b ON b.mentee_id = v.p2 AND b.idempotency_key = v.p3 \
             UNION ALL SELECT v.p1, 2, l.balance, 0, 0, NULL, NULL FROM v \
             JOIN ledger_accounts l ON l.kind = 'wallet' AND l.user_id = v.p{wallet} \
             UNION ALL SELECT v.p1, 3, l.balance, 0, 0, NULL, NULL FROM v \
             JOIN ledger_accounts l ON l.id = v.p{account} \
             UNION ALL SELECT v.p1, 4, 0, 0, 0, t.id, NULL FROM v \
             JOIN threads t ON t.pair_key = v.p{pair} \
             UNION ALL SELECT -1, 5, 0, 0, 0, e.id, NULL FROM (SELECT id FROM ledger_accounts \
             WHERE id IN (SELECT json_array_elements_text(CAST($2 AS json))) \
             ORDER BY id FOR NO KEY UPDATE) AS e",
            rows = rows_of(&shapes),
        )
    })
}

type ReadRow = (i64, i64, i64, i64, i64, Option<String>, Option<String>);

/// Everything `asks` ask, in one statement (inside the batch's transaction, after its
/// lock): one [`Answers`] for each, in order. The same statement locks the `escrow`
/// accounts the batch will credit, in id order: they are shared, and two batches
/// written at once, each crediting several of them in whatever order its update meets
/// them, could otherwise wait on each other.
pub async fn read_all(
    conn: &mut AnyConnection,
    asks: &[Asks],
    escrow: &[String],
) -> sqlx::Result<Vec<Answers>> {
    let rows: Vec<serde_json::Value> = (asks.iter().enumerate())
        .map(|(i, a)| row_object(ask_args(i, a)))
        .collect();
    let found: Vec<ReadRow> = sqlx::query_as(sqlx::AssertSqlSafe(read_sql()))
        .bind(serde_json::Value::from(rows).to_string())
        .bind(serde_json::Value::from(escrow.to_vec()).to_string())
        .fetch_all(conn)
        .await?;
    let mut answers = vec![Answers::default(); asks.len()];
    for (i, tag, a, b, c, s1, s2) in found {
        if tag == 5 {
            continue; // an escrow account locked
        }
        let Some(answer) = usize::try_from(i).ok().and_then(|i| answers.get_mut(i)) else {
            return Err(sqlx::Error::Protocol(
                "a batch read answered no request".into(),
            ));
        };
        match (tag, s1, s2) {
            (0, _, _) => answer.conflicts.push((a, b, c)),
            (1, Some(id), Some(hash)) => answer.idempotency = Some((id, hash)),
            (2, _, _) => answer.wallet = a,
            (3, _, _) => answer.account = a,
            (4, Some(id), _) => answer.thread = Some(id),
            _ => {
                return Err(sqlx::Error::Protocol(
                    "a batch read's row is malformed".into(),
                ));
            }
        }
    }
    Ok(answers)
}

/// Locks these people's rows in id order, in one statement (the first lock of every
/// booking action, as [`lock_people`]), and plans the rest of the transaction
/// generically. Returns those of them who cannot book or be booked any more (an
/// account closed or suspended since their request was read: see [`lock_people_open`]).
pub async fn lock_all(conn: &mut AnyConnection, ids: &[&str]) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(concat!(
        "SELECT id, set_config('plan_cache_mode', 'force_generic_plan', true), ",
        open_sql!(),
        " FROM users WHERE id IN (SELECT json_array_elements_text(CAST($1 AS json))) \
         ORDER BY id FOR NO KEY UPDATE"
    ))
    .bind(serde_json::Value::from(ids.to_vec()).to_string())
    .fetch_all(conn)
    .await?;
    let mut gone: Vec<String> = ids
        .iter()
        .filter(|id| !rows.iter().any(|(r, _, open)| r == *id && *open == 1))
        .map(|id| id.to_string())
        .collect();
    gone.sort_unstable();
    Ok(gone)
}

/// The last of [`REQUEST_STATEMENTS`]: the credit of the booking's escrow account.
const ESCROW_CREDIT: &str = "UPDATE ledger_accounts SET balance = balance + $15, updated_at = $19 WHERE id = $42 AND $41 = 1";

/// [`ESCROW_CREDIT`] over the batch's rows. Escrow accounts are shared (one of 256 by
/// the booking's id), so two bookings of a batch may credit one account: the credits
/// are summed per account first (an `UPDATE … FROM` whose row matches several rows of
/// `FROM` changes it once, with one of them). Every other account a request writes is
/// its mentee's, and no two requests of a batch share a mentee.
const ESCROW_CREDIT_OVER_ROWS: &str = "UPDATE ledger_accounts SET balance = balance + s.amount, \
     updated_at = s.at FROM (SELECT v.p42 AS id, SUM(v.p15) AS amount, MAX(v.p19) AS at FROM v \
     WHERE v.p41 = 1 GROUP BY v.p42) AS s WHERE ledger_accounts.id = s.id";

/// One request to write: its rows, its thread, its sponsored credits.
pub type ToWrite<'a> = (&'a RequestRows, &'a str, Option<(&'a str, i64)>);

/// Writes the rows of every request in `writes` (as [`insert_request`] writes one) in
/// one statement. A constraint (a wallet short, a key taken meanwhile) fails it all.
pub async fn write_all(conn: &mut AnyConnection, writes: &[ToWrite<'_>]) -> sqlx::Result<()> {
    let Some(first) = writes.first() else {
        return Ok(());
    };
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = SQL.get_or_init(|| {
        let (escrow, others) = REQUEST_STATEMENTS
            .split_last()
            .expect("a booking request writes rows");
        assert_eq!(*escrow, ESCROW_CREDIT, "the escrow credit comes last");
        let statements: Vec<String> = (others.iter().map(|s| over_rows(s)))
            .chain([ESCROW_CREDIT_OVER_ROWS.to_string()])
            .collect();
        let shapes = request_args(first.0, first.1, first.2);
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        // `ctes` starts with WITH; the batch's rows come first.
        let body = crate::store::ctes(&refs);
        format!(
            "WITH {}, {}",
            rows_of(&shapes),
            body.strip_prefix("WITH ").unwrap_or(&body)
        )
    });
    let rows: Vec<serde_json::Value> = writes
        .iter()
        .map(|(w, thread, sponsored)| row_object(request_args(w, thread, *sponsored)))
        .collect();
    sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(serde_json::Value::from(rows).to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Runs a new thread's statements (rare: a pair's first booking).
pub async fn create_thread(
    conn: &mut AnyConnection,
    rows: Vec<(&'static str, Vec<Arg>)>,
) -> sqlx::Result<()> {
    for (sql, args) in rows {
        crate::store::bind_all(sqlx::query(sql), args)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_statement_reads_the_batch_rows() {
        assert_eq!(
            over_rows("INSERT INTO t (a, b) VALUES ($1, $2)"),
            "INSERT INTO t (a, b) SELECT v.p1, v.p2 FROM v"
        );
        assert_eq!(
            over_rows("UPDATE t SET a = $1 WHERE id = $2 AND (x = 1)"),
            "UPDATE t SET a = v.p1 FROM v WHERE id = v.p2 AND (x = 1)"
        );
        assert_eq!(
            over_rows(
                "INSERT INTO t (a) SELECT (SELECT id FROM u WHERE k = $3) WHERE $1 = 1 \
                 UNION ALL SELECT $2 WHERE $1 = 1"
            ),
            "INSERT INTO t (a) SELECT (SELECT id FROM u WHERE k = v.p3) FROM v WHERE v.p1 = 1 \
             UNION ALL SELECT v.p2 FROM v WHERE v.p1 = 1"
        );
        // Every statement of a booking request has a form this understands.
        for s in REQUEST_STATEMENTS {
            let batched = over_rows(s);
            assert!(!batched.contains('$'), "{batched}");
        }
    }
}
