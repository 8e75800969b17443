//! The double-entry credits ledger. A transfer is a set of entries that sum to zero,
//! written with its unique idempotency key in the caller's transaction. Balances are
//! updated with a condition that keeps every account except `world` at or above zero,
//! so an overdraft is refused by the database itself, whatever the concurrency.

use crate::store::column::Column;
use sqlx::{Any, Executor};

use jiff::Timestamp;

use super::{Tx, column::row};
use crate::domain::ids::new_id;

pub const ESCROW: &str = "escrow";

/// The escrow account a booking's (or a seat's) credits are held in: one of 256, picked
/// by the last two hex digits of its id (ids end in random bits), so that concurrent
/// bookings write different rows. `escrow` itself is the first; `escrow-1` to
/// `escrow-15` were the only others before migration 0021 (what they hold is settled
/// from them: see [`escrow_held`]).
pub fn escrow_for(id: &str) -> String {
    let tail = id.get(id.len().saturating_sub(2)..).unwrap_or("");
    match u8::from_str_radix(tail, 16).unwrap_or(0) {
        0 => ESCROW.to_string(),
        n => format!("{ESCROW}-{n}"),
    }
}

/// The idempotency key of a booking's hold transfer.
pub fn booking_hold_key(booking_id: &str) -> String {
    format!("hold:{booking_id}")
}

/// The escrow account holding a booking's credits (where its hold went; `escrow` for
/// a booking that held nothing).
pub async fn escrow_of_booking<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    booking_id: &str,
) -> sqlx::Result<String> {
    escrow_held(ex, &booking_hold_key(booking_id)).await
}

/// The escrow account the hold transfer with this idempotency key credited (`escrow`
/// when there is none): settling reads it rather than recomputing [`escrow_for`], so a
/// hold is always released from where it went.
pub async fn escrow_held<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    hold_key: &str,
) -> sqlx::Result<String> {
    let held: Option<String> = sqlx::query_scalar(
        "SELECT e.account_id FROM ledger_transfers t JOIN ledger_entries e ON e.transfer_id = t.id \
         WHERE t.idempotency_key = $1 AND e.amount > 0",
    )
    .bind(hold_key)
    .fetch_optional(ex)
    .await?;
    Ok(held.unwrap_or_else(|| ESCROW.to_string()))
}
pub const REVENUE: &str = "revenue";
pub const WORLD: &str = "world";

/// The wallet account of a user, created on first use: one read when it exists (nearly
/// always), else an insert that yields to a concurrent creator's row and the read again.
pub async fn wallet(tx: &mut Tx, user_id: &str, now: Timestamp) -> sqlx::Result<String> {
    const FIND: &str = "SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND user_id = $1";
    let found: Option<String> = sqlx::query_scalar(FIND)
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    sqlx::query(
        "INSERT INTO ledger_accounts (id, kind, user_id, balance, created_at, updated_at) \
         VALUES ($1, 'wallet', $2, 0, $3, $3) ON CONFLICT DO NOTHING",
    )
    .bind(new_id())
    .bind(user_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    sqlx::query_scalar(FIND)
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await
}

/// A user's wallet balance (the booking writer's native connection runs it too).
pub(crate) const WALLET_BALANCE: &str =
    "SELECT balance FROM ledger_accounts WHERE kind = 'wallet' AND user_id = $1";

/// An account's balance (the booking writer's native connection runs it too).
pub(crate) const BALANCE_OF: &str = "SELECT balance FROM ledger_accounts WHERE id = $1";

/// A user's wallet balance (0 when they never had one).
pub async fn wallet_balance<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<i64> {
    let b: Option<i64> = sqlx::query_scalar(WALLET_BALANCE)
        .bind(user_id)
        .fetch_optional(ex)
        .await?;
    Ok(b.unwrap_or(0))
}

/// A program's funding account (created with the program): `program:<id>`.
pub async fn program_account(
    tx: &mut Tx,
    program_id: &str,
    now: Timestamp,
) -> sqlx::Result<String> {
    let id = format!("program:{program_id}");
    sqlx::query(
        "INSERT INTO ledger_accounts (id, kind, program_id, balance, created_at, updated_at) \
         VALUES ($1, 'program', $2, 0, $3, $3) ON CONFLICT DO NOTHING",
    )
    .bind(&id)
    .bind(program_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// A member's sponsored credits in a program, created on first use.
pub async fn sponsored_account(
    tx: &mut Tx,
    program_id: &str,
    user_id: &str,
    now: Timestamp,
) -> sqlx::Result<String> {
    sqlx::query(
        "INSERT INTO ledger_accounts (id, kind, user_id, program_id, balance, created_at, updated_at) \
         VALUES ($1, 'sponsored', $2, $3, 0, $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(new_id())
    .bind(user_id)
    .bind(program_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    sqlx::query_scalar(
        "SELECT id FROM ledger_accounts WHERE kind = 'sponsored' AND program_id = $1 AND user_id = $2",
    )
    .bind(program_id)
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await
}

/// The part of a booking's hold that came from a program's sponsored credits: the
/// account, the credits, the program, and whether that program is over.
pub async fn sponsored_hold<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    booking_id: &str,
) -> sqlx::Result<Option<(String, i64, String, bool)>> {
    let row: Option<(String, i64, String, String)> = sqlx::query_as(
        "SELECT a.id, CAST(0 - e.amount AS BIGINT), p.id, p.status FROM ledger_transfers t \
         JOIN ledger_entries e ON e.transfer_id = t.id \
         JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'sponsored' \
         JOIN programs p ON p.id = a.program_id WHERE t.idempotency_key = $1",
    )
    .bind(booking_hold_key(booking_id))
    .fetch_optional(ex)
    .await?;
    Ok(row.map(|(a, n, p, status)| {
        (
            a,
            n,
            p,
            matches!(status.as_str(), "completed" | "cancelled"),
        )
    }))
}

/// The program whose sponsored credits paid part of a booking's hold, by name, and how
/// many of the held credits were theirs.
pub async fn sponsored_share<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    booking_id: &str,
) -> sqlx::Result<Option<(String, i64)>> {
    sqlx::query_as(
        "SELECT p.name, CAST(0 - e.amount AS BIGINT) FROM ledger_transfers t \
         JOIN ledger_entries e ON e.transfer_id = t.id \
         JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'sponsored' \
         JOIN programs p ON p.id = a.program_id WHERE t.idempotency_key = $1",
    )
    .bind(booking_hold_key(booking_id))
    .fetch_optional(ex)
    .await
}

/// An account's balance (0 when it does not exist).
pub async fn balance_of<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str) -> sqlx::Result<i64> {
    let b: Option<i64> = sqlx::query_scalar(BALANCE_OF)
        .bind(id)
        .fetch_optional(ex)
        .await?;
    Ok(b.unwrap_or(0))
}

/// The sponsored accounts of a program: (user id, account id, balance).
pub async fn sponsored_in<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    program_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query_as(
        "SELECT user_id, id, balance FROM ledger_accounts WHERE kind = 'sponsored' AND program_id = $1 \
         ORDER BY user_id",
    )
    .bind(program_id)
    .fetch_all(ex)
    .await
}

/// A member's sponsored credits: (program id, program name, balance), programs with
/// a balance only.
pub async fn sponsored_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query_as(
        "SELECT p.id, p.name, a.balance FROM ledger_accounts a JOIN programs p ON p.id = a.program_id \
         WHERE a.kind = 'sponsored' AND a.user_id = $1 AND a.balance > 0 ORDER BY p.name, p.id",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await
}

/// What a mentee's bookings with this mentor spend first: the sponsored credits of the
/// program that paired them (its name and the credits left), while the pair's
/// mentorship is accepted and the program open or running — the same account a
/// booking request's context finds.
pub async fn sponsored_for<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentee_id: &str,
    mentor_id: &str,
) -> sqlx::Result<Option<(String, i64)>> {
    sqlx::query_as(
        "SELECT pr.name, la.balance FROM mentorships m JOIN programs pr ON pr.id = m.program_id \
         JOIN ledger_accounts la ON la.program_id = m.program_id AND la.kind = 'sponsored' \
         AND la.user_id = $1 WHERE m.mentor_id = $2 AND m.mentee_id = $1 \
         AND m.status = 'accepted' AND pr.status IN ('open', 'running')",
    )
    .bind(mentee_id)
    .bind(mentor_id)
    .fetch_optional(ex)
    .await
}

#[derive(Debug)]
pub enum TransferError {
    /// This account would go below zero.
    Insufficient {
        account: String,
    },
    /// The legs do not sum to zero (a bug in the caller).
    Unbalanced,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for TransferError {
    fn from(e: sqlx::Error) -> Self {
        TransferError::Db(e)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied(String),
    /// A transfer with this key already exists: nothing was changed.
    Replayed(String),
}

pub struct Transfer<'a> {
    pub key: &'a str,
    pub kind: &'a str,
    pub booking_id: Option<&'a str>,
    pub actor_id: Option<&'a str>,
    pub memo: &'a str,
    /// (account id, signed amount); zero amounts are skipped.
    pub legs: Vec<(String, i64)>,
    pub now: Timestamp,
}

pub async fn transfer(tx: &mut Tx, t: &Transfer<'_>) -> Result<Outcome, TransferError> {
    if t.legs.iter().map(|(_, a)| a).sum::<i64>() != 0 {
        return Err(TransferError::Unbalanced);
    }
    let id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO ledger_transfers (id, idempotency_key, kind, booking_id, actor_id, memo, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(&id)
    .bind(t.key)
    .bind(t.kind)
    .bind(t.booking_id)
    .bind(t.actor_id)
    .bind(t.memo)
    .bind(t.now.stored())
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 0 {
        let existing: String =
            sqlx::query_scalar("SELECT id FROM ledger_transfers WHERE idempotency_key = $1")
                .bind(t.key)
                .fetch_one(&mut **tx)
                .await?;
        return Ok(Outcome::Replayed(existing));
    }
    // Touch accounts in one global order so concurrent transfers cannot deadlock.
    let mut legs: Vec<&(String, i64)> = t.legs.iter().filter(|(_, a)| *a != 0).collect();
    legs.sort_by(|a, b| a.0.cmp(&b.0));
    for (account, amount) in legs {
        let r = sqlx::query(
            "UPDATE ledger_accounts SET balance = balance + $2, updated_at = $3 \
             WHERE id = $1 AND (kind = 'world' OR balance + $2 >= 0)",
        )
        .bind(account)
        .bind(*amount)
        .bind(t.now.stored())
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() != 1 {
            return Err(TransferError::Insufficient {
                account: account.clone(),
            });
        }
        sqlx::query(
            "INSERT INTO ledger_entries (id, transfer_id, account_id, amount, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(new_id())
        .bind(&id)
        .bind(account)
        .bind(*amount)
        .bind(t.now.stored())
        .execute(&mut **tx)
        .await?;
    }
    Ok(Outcome::Applied(id))
}

/// Moves `amount` from a user's wallet to escrow for a booking, as one balanced
/// transfer keyed `hold:{booking_id}`, in four statements: the transfer, the wallet
/// debit (refused by its condition when the balance is short: no wallet is no
/// balance), both entries at once, and the escrow credit last, so the one row every
/// booking touches stays locked only until the commit.
pub async fn hold_for_booking(
    tx: &mut Tx,
    user_id: &str,
    booking_id: &str,
    amount: i64,
    now: Timestamp,
) -> Result<Outcome, TransferError> {
    let id = new_id();
    let key = booking_hold_key(booking_id);
    let inserted = sqlx::query(
        "INSERT INTO ledger_transfers (id, idempotency_key, kind, booking_id, actor_id, memo, created_at, updated_at) \
         VALUES ($1, $2, 'booking_hold', $3, $4, 'Credits held for a booking', $5, $5) \
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(&id)
    .bind(&key)
    .bind(booking_id)
    .bind(user_id)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 0 {
        let existing: String =
            sqlx::query_scalar("SELECT id FROM ledger_transfers WHERE idempotency_key = $1")
                .bind(&key)
                .fetch_one(&mut **tx)
                .await?;
        return Ok(Outcome::Replayed(existing));
    }
    let Some(wallet) = debit_wallet(tx, user_id, amount, now).await? else {
        return Err(TransferError::Insufficient {
            account: format!("wallet of {user_id}"),
        });
    };
    sqlx::query(
        "INSERT INTO ledger_entries (id, transfer_id, account_id, amount, created_at, updated_at) \
         VALUES ($1, $3, $4, $6, $7, $7), ($2, $3, $5, $8, $7, $7)",
    )
    .bind(new_id())
    .bind(new_id())
    .bind(&id)
    .bind(&wallet)
    .bind(escrow_for(booking_id))
    .bind(-amount)
    .bind(now.stored())
    .bind(amount)
    .execute(&mut **tx)
    .await?;
    let r = sqlx::query(
        "UPDATE ledger_accounts SET balance = balance + $2, updated_at = $3 WHERE id = $1",
    )
    .bind(escrow_for(booking_id))
    .bind(amount)
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    if r.rows_affected() != 1 {
        return Err(TransferError::Db(sqlx::Error::RowNotFound));
    }
    Ok(Outcome::Applied(id))
}

/// Takes `amount` from a user's wallet if it holds that much: the wallet's id, or
/// `None` (no wallet, or too little in it). The caller writes the transfer that
/// balances it in the same transaction.
pub async fn debit_wallet(
    tx: &mut Tx,
    user_id: &str,
    amount: i64,
    now: Timestamp,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE ledger_accounts SET balance = balance - $2, updated_at = $3 \
         WHERE kind = 'wallet' AND user_id = $1 AND balance >= $2 RETURNING id",
    )
    .bind(user_id)
    .bind(amount)
    .bind(now.stored())
    .fetch_optional(&mut **tx)
    .await
}

row! {
/// One line of an account's history.
#[derive(Debug, Clone)]
pub struct EntryRow {
    pub id: String,
    pub amount: i64,
    pub kind: String,
    pub memo: String,
    pub booking_id: Option<String>,
    pub created_at: Timestamp,
    /// The booking's title, start and the other person's name, for an entry of one.
    pub booking_title: Option<String>,
    pub booking_start: Option<Timestamp>,
    pub booking_with: Option<String>,
    /// The booking's status now, for an entry of one.
    pub booking_status: Option<String>,
    /// For an entry of a group session's seat: the session and its start.
    pub group_session_id: Option<String>,
    pub group_start: Option<Timestamp>,
    /// For a movement of a program's sponsored credits (not the wallet's): the program.
    pub program_name: Option<String>,
}
}

/// What a grant transfer gave: (the person credited, the amount, its memo).
pub async fn grant_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    transfer_id: &str,
) -> sqlx::Result<Option<(String, i64, String)>> {
    sqlx::query_as(
        "SELECT a.user_id, e.amount, t.memo FROM ledger_transfers t \
         JOIN ledger_entries e ON e.transfer_id = t.id JOIN ledger_accounts a ON a.id = e.account_id \
         WHERE t.id = $1 AND t.kind = 'grant' AND a.kind = 'wallet'",
    )
    .bind(transfer_id)
    .fetch_optional(ex)
    .await
}

/// A history's lines from the accounts `accounts` picks (a join and the start of the
/// `WHERE`, over `a`), with `program` as the program's name. A seat's transfers are
/// keyed `seat:<seat id>:hold` and `seat:<seat id>:settle` (ids are 36-character
/// UUIDs), which finds their group session by the seat's primary key.
fn entries_sql(accounts: &str, program: &str) -> String {
    format!(
        "SELECT e.id, e.amount, t.kind, t.memo, t.booking_id, e.created_at, \
         b.title AS booking_title, CASE WHEN b.timed = 1 THEN b.start_at END AS booking_start, \
         CASE WHEN o.id IS NULL THEN NULL ELSE o.first_name || ' ' || o.last_name END AS booking_with, \
         b.status AS booking_status, g.id AS group_session_id, g.start_at AS group_start, \
         {program} AS program_name \
         FROM ledger_entries e \
         JOIN ledger_transfers t ON t.id = e.transfer_id JOIN ledger_accounts a ON a.id = e.account_id \
         LEFT JOIN bookings b ON b.id = t.booking_id \
         LEFT JOIN users o ON o.id = CASE WHEN b.mentee_id = $1 THEN b.mentor_id ELSE b.mentee_id END \
         LEFT JOIN group_seats gs ON gs.id = CASE WHEN t.kind IN ('seat_hold', 'seat_settle') \
              THEN substr(t.idempotency_key, 6, 36) END \
         LEFT JOIN group_sessions g ON g.id = gs.session_id \
         {accounts} AND a.user_id = $1 AND ($2 IS NULL OR e.id < $2) \
         ORDER BY e.id DESC LIMIT $3"
    )
}

/// A member's credit history, newest first: their wallet's movements and those of
/// their programs' sponsored credits (`program_name` set), one list by entry id. Each
/// kind of account is read by its own index, in order, and the two merged.
pub async fn wallet_entries(
    ex: &sqlx::Pool<Any>,
    user_id: &str,
    before_id: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<EntryRow>> {
    static WALLET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static SPONSORED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let wallet =
        WALLET.get_or_init(|| entries_sql("WHERE a.kind = 'wallet'", "CAST(NULL AS TEXT)"));
    let sponsored = SPONSORED.get_or_init(|| {
        entries_sql(
            "LEFT JOIN programs sp ON sp.id = a.program_id WHERE a.kind = 'sponsored'",
            "sp.name",
        )
    });
    let mut rows: Vec<EntryRow> = Vec::new();
    for sql in [wallet, sponsored] {
        rows.extend(
            sqlx::query_as::<_, EntryRow>(sql.as_str())
                .bind(user_id)
                .bind(before_id)
                .bind(limit)
                .fetch_all(ex)
                .await?,
        );
    }
    rows.sort_by(|a, b| b.id.cmp(&a.id));
    rows.truncate(limit.max(0) as usize);
    Ok(rows)
}

/// Credits a mentee has in escrow for live bookings and group seats.
pub async fn held_for<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE((SELECT SUM(credits_held) FROM bookings \
         WHERE mentee_id = $1 AND status IN ('pending', 'accepted')), 0) \
         + COALESCE((SELECT SUM(credits_held) FROM group_seats \
         WHERE user_id = $1 AND status = 'seated'), 0) AS BIGINT)",
    )
    .bind(user_id)
    .fetch_one(ex)
    .await
}

/// What a mentor is to be paid from escrow: credits held for their accepted sessions
/// and reviews (and how many), for requests still waiting for their answer (and how
/// many), and for the seats taken in their open group sessions. By the mentor's
/// indexes on bookings and group sessions.
pub async fn coming_to<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mentor_id: &str,
) -> sqlx::Result<(i64, i64, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'accepted' THEN credits_held END), 0) AS BIGINT), \
         CAST(COUNT(CASE WHEN status = 'accepted' THEN 1 END) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN status = 'pending' THEN credits_held END), 0) AS BIGINT), \
         CAST(COUNT(CASE WHEN status = 'pending' THEN 1 END) AS BIGINT), \
         CAST(COALESCE((SELECT SUM(s.credits_held) FROM group_sessions g \
         JOIN group_seats s ON s.session_id = g.id AND s.status = 'seated' \
         WHERE g.mentor_id = $1 AND g.status = 'open'), 0) AS BIGINT) \
         FROM bookings WHERE mentor_id = $1 AND status IN ('pending', 'accepted')",
    )
    .bind(mentor_id)
    .fetch_one(ex)
    .await
}

/// Checks every ledger invariant; returns the breaches found (empty: all hold).
pub async fn verify<'e, E: Executor<'e, Database = Any> + Copy>(
    ex: E,
) -> sqlx::Result<Vec<String>> {
    let mut breaches = vec![];
    let unbalanced: Vec<(String, i64)> = sqlx::query_as(
        "SELECT transfer_id, CAST(SUM(amount) AS BIGINT) FROM ledger_entries \
         GROUP BY transfer_id HAVING SUM(amount) <> 0",
    )
    .fetch_all(ex)
    .await?;
    for (t, s) in unbalanced {
        breaches.push(format!(
            "transfer {t} does not balance: its entries sum to {s}"
        ));
    }
    let negative: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT id, kind, balance FROM ledger_accounts WHERE kind <> 'world' AND balance < 0",
    )
    .fetch_all(ex)
    .await?;
    for (id, kind, b) in negative {
        breaches.push(format!("{kind} account {id} is negative: {b}"));
    }
    let total: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM ledger_accounts")
            .fetch_one(ex)
            .await?;
    if total != 0 {
        breaches.push(format!("all balances sum to {total}, not 0"));
    }
    let drift: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT a.id, a.balance, CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) FROM ledger_accounts a \
         LEFT JOIN ledger_entries e ON e.account_id = a.id GROUP BY a.id, a.balance \
         HAVING a.balance <> COALESCE(SUM(e.amount), 0)",
    )
    .fetch_all(ex)
    .await?;
    for (id, b, s) in drift {
        breaches.push(format!("account {id} says {b} but its entries sum to {s}"));
    }
    let escrow: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM ledger_accounts WHERE kind = 'escrow'",
    )
    .fetch_one(ex)
    .await?;
    let held: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(credits_held), 0) AS BIGINT) FROM bookings WHERE status IN ('pending', 'accepted')",
    )
    .fetch_one(ex)
    .await?;
    let seats: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(credits_held), 0) AS BIGINT) FROM group_seats WHERE status = 'seated'",
    )
    .fetch_one(ex)
    .await?;
    if escrow != held + seats {
        breaches.push(format!(
            "escrow holds {escrow} but live bookings hold {held} and group seats {seats}"
        ));
    }
    let leftover: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT a.id, p.id, a.balance FROM ledger_accounts a JOIN programs p ON p.id = a.program_id \
         WHERE a.kind = 'sponsored' AND a.balance <> 0 AND p.status IN ('completed', 'cancelled')",
    )
    .fetch_all(ex)
    .await?;
    for (account, program, b) in leftover {
        breaches.push(format!(
            "sponsored account {account} of the finished program {program} still holds {b}"
        ));
    }
    let overfull: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT g.id, g.seats, g.seated, CAST(COUNT(s.id) AS BIGINT) FROM group_sessions g \
         LEFT JOIN group_seats s ON s.session_id = g.id AND s.status = 'seated' \
         WHERE g.status = 'open' GROUP BY g.id, g.seats, g.seated \
         HAVING COUNT(s.id) > g.seats OR COUNT(s.id) <> g.seated",
    )
    .fetch_all(ex)
    .await?;
    for (id, seats, counted, found) in overfull {
        breaches.push(format!(
            "group session {id} has {seats} seats, counts {counted} taken, and {found} are seated"
        ));
    }
    Ok(breaches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escrow_accounts_spread_by_the_ids_last_two_digits() {
        assert_eq!(escrow_for("0196f3a0-aaaa-7bbb-8ccc-dddddddddd00"), "escrow");
        assert_eq!(
            escrow_for("0196f3a0-aaaa-7bbb-8ccc-dddddddddd0f"),
            "escrow-15"
        );
        assert_eq!(
            escrow_for("0196f3a0-aaaa-7bbb-8ccc-dddddddddd1A"),
            "escrow-26"
        );
        assert_eq!(
            escrow_for("0196f3a0-aaaa-7bbb-8ccc-ddddddddddff"),
            "escrow-255"
        );
        // Not hex (never an id of ours): the first account, not a made-up one.
        assert_eq!(escrow_for(""), "escrow");
        assert_eq!(escrow_for("x"), "escrow");
        assert_eq!(escrow_for("-x"), "escrow");
        assert_eq!(escrow_for("é"), "escrow");
        let all: std::collections::BTreeSet<String> = (0..256)
            .map(|n| escrow_for(&format!("id-{n:02x}")))
            .collect();
        assert_eq!(all.len(), 256);
    }
}
