//! The booking write path under pressure: concurrent booking and cancelling on one
//! mentor (no 5xx, no deadlock), concurrent retries with one `Idempotency-Key` (all get
//! the first booking), a full disk on SQLite (clean failure, recovery without a
//! restart, readiness that follows), and job leases (a killed instance's email jobs are
//! taken over, no email goes out twice); on PostgreSQL, booking transactions run with
//! generic plans and leave the connection's default behind, and the busy-time reads of
//! the slot pages reuse one plan; requests of different people written together (on
//! PostgreSQL one transaction a group) each get their own answer, a failed group is
//! written again request by request, and the ledger stays exact when many pairs book
//! at once; reads by key made at once are answered together, each with its own row,
//! and a take that fails is read again alone; SQLite's write-ahead log gives its disk
//! space back after a burst.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use jiff::{SignedDuration, Timestamp};
use mentorhub::{clock::ManualClock, config::Config};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{SmtpSink, TestApp, TestDb, mentor_profile, test_config};

fn book(mentor: &str, service: &str, start: &str) -> Value {
    json!({"mentor_id": mentor, "service_id": service, "start": start, "topic": "Load"})
}

/// The hourly weekday slots 09:00–16:00 UTC of the two weeks after the test epoch.
fn slots() -> Vec<String> {
    let mut out = vec![];
    let monday: Timestamp = "2026-03-02T00:00:00Z".parse().unwrap();
    for day in 1..12 {
        let d = monday
            .checked_add(SignedDuration::from_hours(24 * day))
            .unwrap();
        let wd = d.to_zoned(jiff::tz::TimeZone::UTC).weekday();
        if matches!(
            wd,
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ) {
            continue;
        }
        for h in 9..17 {
            out.push(
                d.checked_add(SignedDuration::from_hours(h))
                    .unwrap()
                    .to_string(),
            );
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_mentees_booking_and_cancelling_on_one_mentor_never_get_a_5xx() {
    let app = Arc::new(TestApp::spawn().await);
    // Half the clients talk to a second instance on the same database.
    let second = Arc::new(app.second_instance().await);
    let admin = app.admin().await;
    let (mentor, _, service) = app.booking_setup(&admin, "UTC", 10, 0).await;
    let mut mentees = vec![];
    for i in 0..8 {
        let s = app.register(&format!("busy{i}@example.com")).await;
        app.grant(&admin, &s.user_id, 1_000).await;
        mentees.push(s);
    }
    let slots = Arc::new(slots());
    let deadline = Instant::now() + Duration::from_secs(4);
    let tasks: Vec<_> = mentees
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (app, token, mentor_id, service, slots) = (
                if i % 2 == 0 {
                    app.clone()
                } else {
                    second.clone()
                },
                s.access.clone(),
                mentor.user_id.clone(),
                service.clone(),
                slots.clone(),
            );
            let mentor_token = mentor.access.clone();
            tokio::spawn(async move {
                let mut seen: HashMap<String, usize> = HashMap::new();
                let mut n = i * 7;
                while Instant::now() < deadline {
                    n += 3;
                    // Few slots, so the mentees keep racing for the same ones.
                    let slot = &slots[n % 10];
                    let (status, body) = app
                        .post(
                            "/api/v1/bookings",
                            Some(&token),
                            book(&mentor_id, &service, slot),
                        )
                        .await;
                    assert!(
                        status.is_success() || status.is_client_error(),
                        "booking answered {status}: {body}"
                    );
                    if !status.is_success() {
                        assert!(body["code"].is_string(), "a reason: {body}");
                    }
                    *seen.entry(format!("book {status}")).or_default() += 1;
                    let Some(id) = body["id"].as_str() else {
                        continue;
                    };
                    // Every other booking is accepted by the mentor before it is cancelled.
                    if n % 2 == 0 {
                        let (status, body) = app
                            .post(
                                &format!("/api/v1/bookings/{id}/accept"),
                                Some(&mentor_token),
                                json!({}),
                            )
                            .await;
                        assert!(status.is_success(), "accept answered {status}: {body}");
                    }
                    let (status, body) = app
                        .post(
                            &format!("/api/v1/bookings/{id}/cancel"),
                            Some(&token),
                            json!({"reason": "load"}),
                        )
                        .await;
                    assert!(status.is_success(), "cancel answered {status}: {body}");
                    *seen.entry(format!("cancel {status}")).or_default() += 1;
                }
                seen
            })
        })
        .collect();
    let mut total: HashMap<String, usize> = HashMap::new();
    for t in tasks {
        for (k, v) in t.await.unwrap() {
            *total.entry(k).or_default() += v;
        }
    }
    eprintln!("outcomes: {total:?}");
    assert!(
        total.get("book 201 Created").copied().unwrap_or(0) >= 8,
        "bookings went through: {total:?}"
    );
    // Nothing is left held: every booking was cancelled, in full before the notice.
    for s in &mentees {
        assert_eq!(app.balance(s).await, (1_000, 0));
    }
    app.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_retries_with_one_key_all_get_the_first_booking() {
    let app = Arc::new(TestApp::spawn().await);
    // Retries land on two instances of one database.
    let second = Arc::new(app.second_instance().await);
    let admin = app.admin().await;
    let (mentor, mentee, service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let (app, token, body) = (
                if i % 2 == 0 {
                    app.clone()
                } else {
                    second.clone()
                },
                mentee.access.clone(),
                book(&mentor.user_id, &service, "2026-03-03T10:00:00Z"),
            );
            tokio::spawn(async move {
                let key = Some("retry-after-timeout");
                app.post_keyed("/api/v1/bookings", &token, &body, key).await
            })
        })
        .collect();
    let mut ids = vec![];
    let mut replays = 0;
    for t in tasks {
        let (status, replayed, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        replays += usize::from(replayed);
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one booking for every retry");
    assert_eq!(replays, 15, "all but the first are replays");
    assert_eq!(app.balance(&mentee).await, (90, 10), "charged once");
    app.assert_ledger_ok().await;
}

/// Whether this process may mount file systems (root on Linux).
fn can_mount() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct TinyDisk {
    dir: tempfile::TempDir,
}

impl TinyDisk {
    fn mount(megabytes: u32) -> Option<TinyDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(TinyDisk { dir })
    }

    /// Gives the mounted tmpfs a new size; whether that worked.
    fn resize(&self, megabytes: u32) -> bool {
        std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={megabytes}m")])
            .arg(self.dir.path())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Fills the disk with a file; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.dir.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![7u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        // The last partial block.
        let small = vec![7u8; 512];
        while f.write_all(&small).is_ok() {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_cleanly_and_they_resume_when_space_returns() {
    if TestDb::new().await.is_postgres() {
        eprintln!("skipped: the full-disk test is about SQLite's data directory");
        return;
    }
    if !can_mount() {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    let Some(disk) = TinyDisk::mount(6) else {
        eprintln!("skipped: could not mount a tmpfs (no permission in this sandbox)");
        return;
    };
    let db = TestDb::sqlite_in(disk.dir.path());
    let app = TestApp::spawn_on(
        db,
        test_config(),
        ManualClock::new(crate::support::test_epoch()),
    )
    .await;
    let admin = app.admin().await;
    let mentor = app
        .approved_mentor(&admin, "writer@example.com", mentor_profile(&["x"], &[], 1))
        .await;
    let article = |n: usize| {
        let content: String = (0..90_000)
            .map(|i| char::from(b'a' + ((i * 7 + n) % 26) as u8))
            .collect();
        json!({"title": format!("Article {n}"), "content": content})
    };
    let (status, body) = app
        .post("/api/v1/articles", mentor.token(), article(0))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(app.get("/readyz", None).await.0, StatusCode::OK);

    let filler = disk.fill();
    // Writes now fail, each with a clean problem answer (never a dropped connection).
    let mut failed = None;
    for n in 1..200 {
        let (status, body) = app
            .post("/api/v1/articles", mentor.token(), article(n))
            .await;
        if status.is_server_error() {
            assert!(body["code"].is_string(), "a problem body: {body}");
            failed = Some(status);
            break;
        }
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert!(failed.is_some(), "the full disk was seen by a write");
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body["reason"].is_string(), "readiness says why: {body}");

    // Space returns: the filler goes and the volume grows (as an operator would
    // resize it). Freeing the filler alone is not always enough: what was committed
    // into the write-ahead log while the disk was full (it reuses its own space) must
    // still be copied into the database file, which grows by as much, and how much
    // that is depends on when the last checkpoint ran.
    std::fs::remove_file(filler).unwrap();
    assert!(disk.resize(24), "the tmpfs grows");
    // Within a second every write works again, on every pooled connection.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let mut first_ok = None;
    while started.elapsed() < Duration::from_secs(1) {
        let (status, _) = app
            .post("/api/v1/articles", mentor.token(), article(500))
            .await;
        if status == StatusCode::CREATED {
            first_ok = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(first_ok.is_some(), "writes resumed within a second");
    for n in 0..20 {
        let (status, body) = app
            .post(
                "/api/v1/articles",
                mentor.token(),
                json!({"title": format!("After {n}"), "content": "ok"}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "write {n} after recovery: {body}"
        );
    }
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "ready again: {body}");
}

/// Queues `n` emails (to distinct addresses) through the service layer.
async fn queue_emails(app: &TestApp, n: usize) {
    let ctx = app.ctx();
    let now = ctx.now();
    let mut tx = ctx.db.begin_write().await.unwrap();
    for i in 0..n {
        let id = mentorhub::store::notify::queue_email(
            &mut tx,
            &mentorhub::store::notify::NewEmail {
                user_id: None,
                to_email: &format!("person{i}@example.com"),
                subject: &format!("Mail {i}"),
                body: "Hello",
                ics: "",
                now,
            },
        )
        .await
        .unwrap();
        mentorhub::service::jobs::enqueue(
            &mut tx,
            &mentorhub::service::jobs::Job::EmailSend {
                outbox_id: id.to_string(),
            },
            now,
            None,
            now,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// How many times each subject reached the SMTP sink.
async fn deliveries(sink: &SmtpSink) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for m in sink.messages.lock().await.iter() {
        if let Some(subject) = m.lines().find_map(|l| l.strip_prefix("Subject: ")) {
            *out.entry(subject.to_string()).or_default() += 1;
        }
    }
    out
}

async fn job_statuses(app: &TestApp) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT status, locked_by FROM jobs WHERE kind = 'email.send'")
        .fetch_all(&app.ctx().db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_instances_email_jobs_are_taken_over_and_sent_once() {
    let sink = SmtpSink::start().await;
    sink.stall.store(true, Ordering::SeqCst);
    let lease = 3;
    let config = Config {
        smtp_url: Some(format!("smtp://{}", sink.addr)),
        background_workers: false,
        job_lease: Duration::from_secs(lease),
        ..test_config()
    };
    // The surviving instance runs in this process on a clock that follows real time
    // (the other instance is a real process with the real clock).
    let clock = ManualClock::new(Timestamp::now());
    let app = TestApp::spawn_on(TestDb::new().await, config, clock.clone()).await;
    queue_emails(&app, 12).await;

    // The other instance: the real binary, which claims the jobs and hangs on SMTP.
    let mut other = std::process::Command::new(env!("CARGO_BIN_EXE_mentorhub"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &app.db.url)
        .env("MENTORHUB_SMTP_URL", format!("smtp://{}", sink.addr))
        .env("MENTORHUB_JOB_LEASE_SECS", lease.to_string())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the other instance");
    let started = Instant::now();
    loop {
        let s = job_statuses(&app).await;
        if s.iter().any(|(st, by)| st == "running" && by.is_some()) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the other instance claimed jobs"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // While it lives, its heartbeat keeps its jobs: after twice the lease, the jobs it
    // holds are still leased to it into the future.
    tokio::time::sleep(Duration::from_secs(2 * lease)).await;
    let held: Vec<(String, i64)> = sqlx::query_as(
        "SELECT locked_by, locked_until FROM jobs WHERE kind = 'email.send' AND status = 'running'",
    )
    .fetch_all(&app.ctx().db.pool)
    .await
    .unwrap();
    assert!(!held.is_empty(), "the other instance still holds jobs");
    let now = mentorhub::clock::to_micros(Timestamp::now());
    assert!(
        held.iter().all(|(_, until)| *until > now),
        "a live worker's leases are renewed: {held:?}"
    );
    assert!(deliveries(&sink).await.is_empty());
    // kill -9.
    other.kill().unwrap();
    let _ = other.wait();
    sink.stall.store(false, Ordering::SeqCst);
    let killed = Instant::now();
    // The survivor's worker takes the jobs over once the lease runs out.
    loop {
        clock.set(Timestamp::now());
        mentorhub::jobs::run_due(app.ctx(), "survivor")
            .await
            .unwrap();
        if deliveries(&sink).await.len() == 12 {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(lease + 10),
            "taken over soon after the lease: {:?}",
            deliveries(&sink).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sent = deliveries(&sink).await;
    assert!(sent.values().all(|n| *n == 1), "each email once: {sent:?}");
    let statuses = job_statuses(&app).await;
    assert!(statuses.iter().all(|(s, _)| s == "done"), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_live_workers_never_send_one_email_twice_even_when_smtp_is_slow() {
    let sink = SmtpSink::start().await;
    *sink.delay.lock().await = Duration::from_millis(150);
    let config = Config {
        smtp_url: Some(format!("smtp://{}", sink.addr)),
        background_workers: false,
        job_lease: Duration::from_secs(1),
        ..test_config()
    };
    let clock = ManualClock::new(Timestamp::now());
    let app = TestApp::spawn_on(TestDb::new().await, config, clock.clone()).await;
    let second = app.second_instance().await;
    queue_emails(&app, 24).await;
    // The clock follows real time, so leases really run out while SMTP is slow.
    let ticking = Arc::new(AtomicBool::new(true));
    let ticker = {
        let (clock, ticking) = (clock.clone(), ticking.clone());
        tokio::spawn(async move {
            while ticking.load(Ordering::SeqCst) {
                clock.set(Timestamp::now());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let a = app.ctx().clone();
    let b = second.ctx().clone();
    let (ra, rb) = tokio::join!(
        mentorhub::jobs::run_due(&a, "worker-a"),
        mentorhub::jobs::run_due(&b, "worker-b"),
    );
    ra.unwrap();
    rb.unwrap();
    ticking.store(false, Ordering::SeqCst);
    ticker.await.unwrap();
    let sent = deliveries(&sink).await;
    assert_eq!(sent.len(), 24, "every email went out: {sent:?}");
    assert!(sent.values().all(|n| *n == 1), "each email once: {sent:?}");
}

/// A table that filled up without statistics gets them from the maintenance pass (on
/// PostgreSQL; cached generic plans are otherwise never planned again with autovacuum
/// off), once: a second pass finds nothing to do.
#[tokio::test]
async fn tables_filled_without_statistics_get_them_once() {
    // Without the instance's own statistics loop, which could otherwise gather them
    // between the insert and this test's passes.
    let app = TestApp::spawn_with(Config {
        background_workers: false,
        ..test_config()
    })
    .await;
    let db = &app.ctx().db;
    if db.backend != mentorhub::store::Backend::Postgres {
        assert!(db.refresh_statistics().await.unwrap().is_empty());
        eprintln!("skipped: SQLite keeps no plans across statements");
        return;
    }
    let stats = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'write_probes'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    let mut conn = db.pool.acquire().await.unwrap();
    sqlx::query(
        "INSERT INTO write_probes (id, filler, created_at) \
         SELECT 'probe-' || n, decode('00', 'hex'), 0 FROM generate_series(1, 1500) AS n",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    // The counters reach the other sessions when this one reports them.
    sqlx::query("SELECT COUNT(*) FROM (SELECT pg_stat_force_next_flush()) AS flushed")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(stats().await, 0, "no statistics before the pass");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let analyzed = db.refresh_statistics().await.unwrap();
        if analyzed.iter().any(|t| t == "write_probes") {
            break;
        }
        assert!(Instant::now() < deadline, "never analyzed: {analyzed:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stats().await > 0, "statistics after the pass");
    let again = db.refresh_statistics().await.unwrap();
    assert!(!again.iter().any(|t| t == "write_probes"), "{again:?}");
}

/// On PostgreSQL a booking action's transaction runs with generic plans: the people
/// lock sets `plan_cache_mode` for the rest of the transaction, and only for it (with
/// statistics in place, PostgreSQL otherwise plans every statement afresh per call).
#[tokio::test]
async fn booking_transactions_run_with_generic_plans_and_only_they() {
    let app = TestApp::spawn().await;
    let db = &app.ctx().db;
    let (a, b) = (
        app.register("plans-a@example.com").await,
        app.register("plans-b@example.com").await,
    );
    let backend = db.backend;
    if backend != mentorhub::store::Backend::Postgres {
        let mut tx = db.begin_write().await.unwrap();
        mentorhub::store::bookings::lock_people(&mut tx, backend, &a.user_id, &b.user_id)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        eprintln!("skipped: SQLite keeps no plans across statements");
        return;
    }
    let mut tx = db.begin_write().await.unwrap();
    assert_eq!(plan_cache_mode(&mut tx).await, "auto", "before the lock");
    mentorhub::store::bookings::lock_people(&mut tx, backend, &a.user_id, &b.user_id)
        .await
        .unwrap();
    assert_eq!(
        plan_cache_mode(&mut tx).await,
        "force_generic_plan",
        "after the lock"
    );
    tx.commit().await.unwrap();
    // The setting ends with the transaction: the pool's connections keep the default,
    // whichever of them runs the next transaction.
    for _ in 0..4 {
        let mut tx = db.begin_write().await.unwrap();
        assert_eq!(
            plan_cache_mode(&mut tx).await,
            "auto",
            "after the transaction"
        );
        tx.commit().await.unwrap();
    }
}

/// The busy-time read of the slot pages runs on `Db::generic`, whose connections reuse
/// its generic plan; on the ordinary pool PostgreSQL makes custom plans for the same
/// query (always its first five, and, once the bookings have statistics, every one:
/// ~0.3 ms of planning a read in the write benchmark), which this measure sees.
#[tokio::test]
async fn busy_time_reads_reuse_one_plan() {
    let app = TestApp::spawn().await;
    let db = &app.ctx().db;
    if db.backend != mentorhub::store::Backend::Postgres {
        eprintln!("skipped: SQLite keeps no plans across statements");
        return;
    }
    let now = Timestamp::now();
    let ask = mentorhub::store::bookings::BusyAsk {
        mentor_id: "no-such-mentor",
        from: now,
        to: now + SignedDuration::from_hours(24 * 32),
        except: None,
        except_hold: None,
        now,
    };
    let plans = |pool: sqlx::AnyPool| {
        let ask = &ask;
        async move {
            let mut conn = pool.acquire().await.unwrap();
            for _ in 0..8 {
                mentorhub::store::bookings::mentor_busy(&mut *conn, ask)
                    .await
                    .unwrap();
            }
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
                 WHERE statement LIKE 'SELECT 0, start_at, end_at FROM bookings%ORDER BY 2'",
            )
            .fetch_one(&mut *conn)
            .await
            .unwrap()
        }
    };
    let (generic, custom) = plans(db.generic.clone()).await;
    assert_eq!(custom, 0, "custom plans on the generic pool");
    assert!(generic >= 8, "generic plans on the generic pool: {generic}");
    let (_, custom) = plans(db.pool.clone()).await;
    assert!(custom >= 5, "custom plans on the ordinary pool: {custom}");
}

async fn plan_cache_mode(tx: &mut mentorhub::store::Tx) -> String {
    sqlx::query_scalar::<_, String>("SELECT current_setting('plan_cache_mode')")
        .fetch_one(&mut **tx)
        .await
        .unwrap()
}

/// An instance without background workers (no job, maintenance or statistics pass
/// runs statements beside the test's), on PostgreSQL only: on SQLite, `None` (the
/// table counters the key-read tests use are PostgreSQL's).
async fn postgres_app_without_workers() -> Option<TestApp> {
    let app = TestApp::spawn_with(Config {
        background_workers: false,
        ..test_config()
    })
    .await;
    if app.ctx().db.backend != mentorhub::store::Backend::Postgres {
        eprintln!("skipped: the counters read here are PostgreSQL's");
        return None;
    }
    Some(app)
}

/// Resolving a bearer token (every authenticated request) and checking a live socket's
/// session read one row of each table by its key, however many users there are and
/// whether or not the tables have statistics: on PostgreSQL the user's and session's
/// state as `WHERE` conditions made the planner start from a scan of every user (the
/// counters see it: one sequential scan of `users` per request).
#[tokio::test]
async fn resolving_a_token_reads_by_keys_not_every_user() {
    let Some(app) = postgres_app_without_workers().await else {
        return;
    };
    let db = &app.ctx().db;
    let me = app.register("keys@example.com").await;
    sqlx::query(
        "INSERT INTO users (id, email, password_hash, first_name, last_name, created_at, updated_at) \
         SELECT 'filler-' || n, 'filler-' || n || '@example.com', 'x', 'F', 'L', 0, 0 \
         FROM generate_series(1, 200) AS n",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let now = app.ctx().now();
    let hash = mentorhub::service::auth::hash_token(&me.access);
    let mut tx = db.pool.begin().await.unwrap();
    let before = reads(&mut tx).await;
    let found = mentorhub::store::sessions::resolve_in(&mut *tx, &hash, "access", now)
        .await
        .unwrap()
        .expect("the token resolves");
    assert_eq!(found.user.id, me.user_id);
    assert!(
        mentorhub::store::sessions::is_live(&mut *tx, &found.session_id, now)
            .await
            .unwrap()
    );
    assert_read_by_keys(
        &mut tx,
        &before,
        &["users", "sessions", "session_tokens"],
        2,
    )
    .await;
}

/// On SQLite a request's token is resolved on a native connection on the request's
/// own thread, not through sqlx's read pool (a thread hand-off each way): with every
/// pooled connection held elsewhere, a request still authenticates at once (through
/// the pool it would wait for a connection), and a signed-out token still stops.
#[tokio::test]
async fn sqlite_resolves_tokens_without_the_read_pool() {
    let app = TestApp::spawn().await;
    let db = &app.ctx().db;
    if db.backend != mentorhub::store::Backend::Sqlite {
        eprintln!("skipped: native reads are SQLite's");
        return;
    }
    let me = app.register("native-reads@example.com").await;
    let mut held = Vec::new();
    while let Ok(Ok(conn)) =
        tokio::time::timeout(Duration::from_millis(200), db.pool.acquire()).await
    {
        held.push(conn);
    }
    assert!(!held.is_empty(), "the read pool is held");
    let hash = mentorhub::service::auth::hash_token(&me.access);
    let found = tokio::time::timeout(
        Duration::from_secs(2),
        mentorhub::store::sessions::resolve(db, &hash, "access", app.ctx().now()),
    )
    .await
    .expect("resolved without waiting for the pool")
    .unwrap()
    .expect("the token resolves");
    assert_eq!(found.user.id, me.user_id);
    drop(held);
    let (status, _) = app.get("/api/v1/me", Some(&me.access)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post("/api/v1/auth/logout", Some(&me.access), json!({}))
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (status, _) = app.get("/api/v1/me", Some(&me.access)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a signed-out token stops at once"
    );
}

/// On PostgreSQL, reads by key made at once are answered by one statement, and each
/// still gets its own row: twelve users' tokens resolved together (plus an unknown
/// token and a signed-out one) each name their own user, the unknown and signed-out
/// ones none; the counters show the reads that waited while the first ran were
/// answered together. (Seen failing when a take's rows go to the wrong reads.)
#[tokio::test]
async fn token_reads_made_at_once_are_answered_together_each_with_its_own_user() {
    let Some(app) = postgres_app_without_workers().await else {
        return;
    };
    let ctx = app.ctx();
    let mut users = vec![];
    for i in 0..12 {
        users.push(app.register(&format!("together{i}@example.com")).await);
    }
    let gone = app.register("signed-out@example.com").await;
    let (status, body) = app
        .post("/api/v1/auth/logout", Some(&gone.access), json!({}))
        .await;
    assert!(status.is_success(), "{status} {body}");
    let stats = &ctx
        .db
        .coalesced
        .as_ref()
        .expect("PostgreSQL coalesces")
        .stats;
    let together_before = stats.together.load(Ordering::Relaxed);
    let takes_before = stats.takes.load(Ordering::Relaxed);
    let now = ctx.now();
    let mut hashes: Vec<String> = users
        .iter()
        .map(|u| mentorhub::service::auth::hash_token(&u.access))
        .collect();
    hashes.push(mentorhub::service::auth::hash_token("no such token"));
    hashes.push(mentorhub::service::auth::hash_token(&gone.access));
    // One task polls them all: the first starts alone, the rest wait for it.
    let found = futures_util::future::join_all(
        hashes
            .iter()
            .map(|h| mentorhub::store::sessions::resolve(&ctx.db, h, "access", now)),
    )
    .await;
    for (user, found) in users.iter().zip(&found) {
        let found = found.as_ref().unwrap().as_ref().expect("a live token");
        assert_eq!(found.user.id, user.user_id);
    }
    assert!(found[12].as_ref().unwrap().is_none(), "an unknown token");
    assert!(found[13].as_ref().unwrap().is_none(), "a signed-out token");
    // How many wait for the first depends on when it ends; at least some are taken.
    assert!(stats.takes.load(Ordering::Relaxed) > takes_before);
    assert!(stats.together.load(Ordering::Relaxed) - together_before >= 2);
    // And through HTTP, at once: every request is its own user.
    let answers = futures_util::future::join_all(
        users.iter().map(|u| app.get("/api/v1/me", Some(&u.access))),
    )
    .await;
    for (user, (status, body)) in users.iter().zip(answers) {
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["id"], user.user_id.as_str(), "{body}");
    }
}

/// A take that PostgreSQL refuses as a whole is not the end of its reads: each is read
/// again alone and gets its own answer, and the counters show the failed take. (Here
/// the statement names its own table `v`, which `Coalescer::row` says a statement must
/// not: alone it reads fine, but taken together its parameters, read from the JSON
/// rows `v`, are looked for in its own `v` and PostgreSQL refuses the statement.)
#[tokio::test]
async fn a_coalesced_read_that_fails_is_read_again_alone() {
    struct Echo {
        s: String,
    }
    impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for Echo {
        fn from_row(row: &'r sqlx::any::AnyRow) -> sqlx::Result<Self> {
            use sqlx::Row;
            Ok(Self {
                s: row.try_get("s")?,
            })
        }
    }
    let Some(app) = postgres_app_without_workers().await else {
        return;
    };
    let lanes = app
        .ctx()
        .db
        .coalesced
        .as_ref()
        .expect("PostgreSQL coalesces");
    const SQL: &str = "SELECT CAST($1 AS TEXT) AS s FROM (SELECT 1 AS one) AS v";
    let echo = |n: i64| async move {
        lanes
            .row::<Echo>(SQL, vec![n.into()])
            .await
            .map(|e| e.expect("a row").s)
    };
    let failed_before = lanes.stats.failed_takes.load(Ordering::Relaxed);
    // One task polls them all: the first runs alone, the three others wait for it and
    // are taken together.
    let answers = futures_util::future::join_all([echo(1), echo(2), echo(3), echo(4)]).await;
    let answers: Vec<String> = answers.into_iter().map(Result::unwrap).collect();
    assert_eq!(answers, ["1", "2", "3", "4"]);
    assert_eq!(
        lanes.stats.failed_takes.load(Ordering::Relaxed) - failed_before,
        1,
        "the take of the three that waited failed"
    );
}

/// What this connection has read of each table (sequential scans, rows fetched by
/// index) and not yet reported: PostgreSQL shows these pending counters to the
/// session, and they only grow inside a transaction, so two readings in one
/// transaction bracket exactly the statements between them.
async fn reads(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> HashMap<String, (i64, i64)> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT CAST(relname AS TEXT), seq_scan, COALESCE(idx_tup_fetch, 0) \
         FROM pg_stat_xact_user_tables",
    )
    .fetch_all(&mut **tx)
    .await
    .unwrap();
    rows.into_iter().map(|(t, s, f)| (t, (s, f))).collect()
}

/// Asserts that, since `before`, the transaction read none of `tables` whole and at
/// most `rows` rows of each through an index.
async fn assert_read_by_keys(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    before: &HashMap<String, (i64, i64)>,
    tables: &[&str],
    rows: i64,
) {
    let after = reads(tx).await;
    for table in tables {
        let (s0, f0) = before.get(*table).copied().unwrap_or_default();
        let (s1, f1) = after.get(*table).copied().unwrap_or_default();
        assert_eq!(s1 - s0, 0, "{table} was scanned whole");
        assert!(f1 - f0 <= rows, "{table}: {} rows by index", f1 - f0);
    }
}

/// A booking request's context (service, mentor's listing, both people) and a mentor's
/// listing are read by keys too: the listing's status tests in `WHERE` made PostgreSQL
/// walk every approved mentor's profile through the status index to find the one
/// being booked.
#[tokio::test]
async fn a_booking_requests_context_reads_by_keys_not_every_mentor() {
    let Some(app) = postgres_app_without_workers().await else {
        return;
    };
    let db = &app.ctx().db;
    let admin = app.admin().await;
    let mut mentors = vec![];
    for i in 0..4 {
        let profile = mentor_profile(&["rust"], &["rust"], 50);
        mentors.push(
            app.approved_mentor(&admin, &format!("m{i}@example.com"), profile)
                .await,
        );
    }
    let mentee = app.register("ctx@example.com").await;
    let mentor = &mentors[2];
    let service = app.first_service(&mentor.user_id).await;
    let mut tx = db.pool.begin().await.unwrap();
    let before = reads(&mut tx).await;
    let context = mentorhub::store::bookings::request_context_in(
        &mut *tx,
        &mentor.user_id,
        &service,
        &mentee.user_id,
    )
    .await
    .unwrap()
    .expect("a listed mentor's service");
    assert_eq!(context.service_id, service);
    assert_read_by_keys(
        &mut tx,
        &before,
        &["mentor_profiles", "users", "services"],
        2,
    )
    .await;
    // So is the mentor's listing (the profile page, the slot listing).
    let before = reads(&mut tx).await;
    let card = mentorhub::store::discovery::listed_mentor(&mut *tx, &mentor.user_id)
        .await
        .unwrap()
        .expect("listed");
    assert_eq!(card.profile.user_id, mentor.user_id);
    assert_read_by_keys(&mut tx, &before, &["mentor_profiles", "users"], 1).await;
    tx.rollback().await.unwrap();
    // Not listed: no context (the booking answers 404), no listing.
    sqlx::query("UPDATE mentor_profiles SET is_public = 0 WHERE user_id = $1")
        .bind(&mentor.user_id)
        .execute(&db.pool)
        .await
        .unwrap();
    let hidden =
        mentorhub::store::bookings::request_context(db, &mentor.user_id, &service, &mentee.user_id)
            .await
            .unwrap();
    assert!(hidden.is_none());
    assert!(
        mentorhub::store::discovery::listed_mentor(&db.pool, &mentor.user_id)
            .await
            .unwrap()
            .is_none()
    );
}

/// The settlement sweep finds accepted bookings past their end through
/// `bookings_ending`, which holds accepted bookings only (a new, pending booking writes
/// no entry to it): the engine must still see that the sweep's statement can use it,
/// rather than reading every booking of a status and sorting them. Both engines are
/// asked for their plan; on PostgreSQL with sequential scans off, so that the choice is
/// between that index and the other one led by the status.
#[tokio::test]
async fn the_settlement_sweep_reads_the_index_of_accepted_bookings() {
    let app = TestApp::spawn().await;
    let sql = mentorhub::store::bookings::DUE_ENDINGS
        .replace("$1", "1")
        .replace("$2", "2")
        .replace("$3", "10");
    let plan = plan_of(&app, &sql).await;
    assert!(plan.contains("bookings_ending"), "{plan}");
    assert!(
        !plan.contains("Sort") && !plan.contains("TEMP B-TREE"),
        "{plan}"
    );
}

/// A chat line has no booking and a one-off booking no mentorship, so the indexes by
/// booking (of messages) and by mentorship (of bookings) hold only the rows that have
/// one (migration 0023): the lookups by those columns must still read them.
#[tokio::test]
async fn lookups_by_booking_and_by_mentorship_read_their_partial_indexes() {
    let app = TestApp::spawn().await;
    let invite = mentorhub::store::messages::INVITE_OF.replace("$1", "'b1'");
    let plan = plan_of(&app, &invite).await;
    assert!(plan.contains("messages_booking"), "{plan}");
    let plan = plan_of(
        &app,
        "SELECT b.id FROM bookings b WHERE b.mentorship_id = 'm1'",
    )
    .await;
    assert!(plan.contains("bookings_mentorship"), "{plan}");
}

/// The engine's plan for `sql`, one line a step; on PostgreSQL with sequential scans
/// off (the test's tables are nearly empty), so that the choice is between indexes.
async fn plan_of(app: &TestApp, sql: &str) -> String {
    let db = &app.ctx().db;
    let mut tx = db.begin_write().await.unwrap();
    let plan: Vec<String> = if db.backend == mentorhub::store::Backend::Postgres {
        sqlx::query("SET LOCAL enable_seqscan = off")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
            .fetch_all(&mut *tx)
            .await
            .unwrap()
    } else {
        sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {sql}"
        )))
        .fetch_all(&mut *tx)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.3)
        .collect()
    };
    tx.commit().await.unwrap();
    plan.join("\n")
}

/// An approved mentor (10 credits a session, weekdays 09:00–17:00 UTC) and their
/// service.
async fn bookable_mentor(
    app: &TestApp,
    admin: &crate::support::Session,
    email: &str,
) -> (crate::support::Session, String) {
    let m = app
        .approved_mentor(admin, email, mentor_profile(&["backend"], &["rust"], 10))
        .await;
    app.set_availability(&m, crate::support::weekdays_nine_to_five("UTC"))
        .await;
    let service = app.first_service(&m.user_id).await;
    (m, service)
}

/// A booking request whose client hangs up while it waits to be written is still
/// written, whole: the request runs on a task of its own (hyper drops the handler of a
/// closed connection, which stopped it mid-way). The request is held on the mentor's
/// row lock (PostgreSQL) or on the write turn (SQLite) while its client sends it and
/// closes the connection; once released, the booking is there and charged once.
/// (Seen failing on PostgreSQL without the detaching layer: no booking.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_booking_whose_client_hangs_up_is_still_written_whole() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (m, service) = bookable_mentor(&app, &admin, "hangup-mentor@example.com").await;
    let mentee = app.register("hangup-mentee@example.com").await;
    app.grant(&admin, &mentee.user_id, 100).await;
    let db = &app.ctx().db;
    let mut lock = None;
    let mut turn = None;
    if db.backend == mentorhub::store::Backend::Postgres {
        let mut tx = db.pool.begin().await.unwrap();
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
            .bind(&m.user_id)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        lock = Some(tx);
    } else {
        turn = Some(db.write_turn().await.unwrap());
    }
    let body = book(&m.user_id, &service, "2026-03-03T10:00:00Z").to_string();
    let request = format!(
        "POST /api/v1/bookings HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        app.addr,
        mentee.access,
        body.len(),
        body
    );
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    // Long enough for the request to reach its wait; then the client is gone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(socket);
    tokio::time::sleep(Duration::from_millis(300)).await;
    if let Some(tx) = lock {
        tx.rollback().await.unwrap();
    }
    drop(turn);
    let mut listed = Value::Null;
    for _ in 0..100 {
        let (_, body) = app.get("/api/v1/bookings", mentee.token()).await;
        listed = body;
        if listed["items"].as_array().is_some_and(|i| !i.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the booking was written: {listed}");
    assert_eq!(app.balance(&mentee).await, (90, 10));
    app.assert_ledger_ok().await;
}

/// An instance whose PostgreSQL booking writer groups every request (none written
/// directly while few are being written), for the tests of the grouping.
async fn grouping_app() -> TestApp {
    TestApp::spawn_with(Config {
        booking_direct_writes: 0,
        ..test_config()
    })
    .await
}

/// On PostgreSQL, while few booking requests are being written, a request is written at
/// once in its own transaction (no queue): one booking is counted direct, not queued;
/// with direct writes off, the same booking goes through the writer's queue (written
/// alone, being alone there).
#[tokio::test]
async fn a_lone_booking_request_is_written_directly_on_postgres() {
    for direct in [4, 0] {
        let app = TestApp::spawn_with(Config {
            booking_direct_writes: direct,
            ..test_config()
        })
        .await;
        if app.ctx().db.backend != mentorhub::store::Backend::Postgres {
            eprintln!("skipped: direct writes are PostgreSQL's writer's");
            return;
        }
        let admin = app.admin().await;
        let (m, service) = bookable_mentor(&app, &admin, "direct-mentor@example.com").await;
        let mentee = app.register("direct-mentee@example.com").await;
        app.grant(&admin, &mentee.user_id, 10).await;
        let (status, body) = app
            .post(
                "/api/v1/bookings",
                mentee.token(),
                book(&m.user_id, &service, "2026-03-03T10:00:00Z"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let stats = &app.ctx().booking_groups;
        let (direct_n, alone_n) = (
            stats.direct.load(Ordering::Relaxed),
            stats.alone.load(Ordering::Relaxed),
        );
        if direct > 0 {
            assert_eq!((direct_n, alone_n), (1, 0), "{stats:?}");
        } else {
            assert_eq!((direct_n, alone_n), (0, 1), "{stats:?}");
        }
        assert_eq!(
            stats.writing.load(Ordering::Relaxed),
            0,
            "none being written after"
        );
        app.assert_ledger_ok().await;
    }
}

/// Booking requests of different people that arrive together are written together (on
/// PostgreSQL in one transaction for the group) and each still gets exactly the answer
/// it would get alone: a first booking of a pair (its thread is created), a second one
/// (the thread is reused), a wallet too short (402), a slot already taken (409), and one
/// request sent to two instances with one key (both get the one booking, charged once,
/// whichever instance's group writes it). On PostgreSQL two requests on each instance
/// are held on a lock (the writer writes two takes of its queue at once) so that the
/// others queue behind them and form a group on each instance, and the writers'
/// counters must show those groups (none failed); on SQLite the same requests go
/// through its own group commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_of_different_people_written_together_each_get_their_own_answer() {
    let app = Arc::new(grouping_app().await);
    if app.ctx().db.backend == mentorhub::store::Backend::Postgres
        && app.ctx().config.database_connections < 2
    {
        // Two of the requests are held on a lock so that the others queue behind them:
        // with one connection the held ones would hold it.
        eprintln!("skipped: grouping needs two PostgreSQL connections (TEST_DATABASE_CONNECTIONS)");
        return;
    }
    let other = Arc::new(app.second_instance().await);
    let admin = app.admin().await;
    let postgres = app.ctx().db.backend == mentorhub::store::Backend::Postgres;
    // Mentors and mentees 8 and 9 make the held requests.
    let mut mentors = vec![];
    for i in 0..10 {
        let (m, service) =
            bookable_mentor(&app, &admin, &format!("group-mentor{i}@example.com")).await;
        mentors.push((m, service));
    }
    let mut mentees = vec![];
    for i in 0..10 {
        let s = app.register(&format!("group-mentee{i}@example.com")).await;
        // Mentee 2's wallet is empty.
        if i != 2 {
            app.grant(&admin, &s.user_id, 100).await;
        }
        mentees.push(s);
    }
    // Mentee `e` books mentor `m` at `slot` on `on`, with `key`.
    let request = |on: &Arc<TestApp>, e: usize, m: usize, slot: &str, key: Option<&str>| {
        let (app, token) = (on.clone(), mentees[e].access.clone());
        let body = book(&mentors[m].0.user_id, &mentors[m].1, slot);
        let key = key.map(str::to_string);
        async move {
            app.post_keyed("/api/v1/bookings", &token, &body, key.as_deref())
                .await
        }
    };
    let (ten, eleven) = ("2026-03-03T10:00:00Z", "2026-03-03T11:00:00Z");
    // Before: mentor 3's slot is taken by mentee 6; mentee 5 already has a thread with
    // mentor 5 (an earlier booking at another time).
    let (status, _, body) = request(&app, 6, 3, ten, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _, body) = request(&app, 5, 5, "2026-03-04T10:00:00Z", None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // On PostgreSQL, mentors 8 and 9 are held so that requests for them wait on each
    // instance, and the others gather behind them.
    let blocker = if postgres {
        let mut tx = app.ctx().db.pool.begin().await.unwrap();
        sqlx::query("SELECT id FROM users WHERE id IN ($1, $2) FOR UPDATE")
            .bind(&mentors[8].0.user_id)
            .bind(&mentors[9].0.user_id)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        Some(tx)
    } else {
        None
    };
    let mut held = vec![];
    for (on, slot) in [(&app, ten), (&other, eleven)] {
        for i in [8, 9] {
            held.push(tokio::spawn(request(on, i, i, slot, None)));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let on_first: Vec<_> = [
        (1, None),
        (2, None),
        (3, None),
        (4, Some("twice")),
        (5, None),
    ]
    .into_iter()
    .map(|(i, key)| tokio::spawn(request(&app, i, i, ten, key)))
    .collect();
    let on_second: Vec<_> = [(4, Some("twice")), (7, None)]
        .into_iter()
        .map(|(i, key)| tokio::spawn(request(&other, i, i, ten, key)))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    if let Some(tx) = blocker {
        assert!(
            held.iter().all(|h| !h.is_finished()),
            "the first requests wait on the lock"
        );
        tx.rollback().await.unwrap();
    }
    for h in held {
        let (status, _, body) = h.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let mut answers = vec![];
    for t in on_first.into_iter().chain(on_second) {
        answers.push(t.await.unwrap());
    }
    let [fresh, short, taken, once, second, twice, seventh] = &answers[..] else {
        unreachable!()
    };
    assert_eq!(fresh.0, StatusCode::CREATED, "{}", fresh.2);
    assert_eq!(short.0, StatusCode::PAYMENT_REQUIRED, "{}", short.2);
    assert_eq!(short.2["code"], "insufficient_credits");
    assert_eq!(taken.0, StatusCode::CONFLICT, "{}", taken.2);
    assert_eq!(taken.2["code"], "slot_unavailable");
    assert_eq!(second.0, StatusCode::CREATED, "{}", second.2);
    assert_eq!(seventh.0, StatusCode::CREATED, "{}", seventh.2);
    assert_eq!(once.0, StatusCode::CREATED, "{}", once.2);
    assert_eq!(twice.0, StatusCode::CREATED, "{}", twice.2);
    assert_eq!(once.2["id"], twice.2["id"], "one booking for the key");
    assert!(once.1 != twice.1, "exactly one of them is a replay");

    // Charged once each; nothing for the refused.
    let balances = [
        (100, 0),
        (90, 10),
        (0, 0),
        (100, 0),
        (90, 10),
        (80, 20),
        (90, 10),
        (90, 10),
        (80, 20),
        (80, 20),
    ];
    for (i, want) in balances.into_iter().enumerate() {
        assert_eq!(app.balance(&mentees[i]).await, want, "mentee {i}");
    }
    // Each booked pair has one thread whose last message is the latest invite.
    for i in [1, 5] {
        let (_, threads) = app.get("/api/v1/threads", mentees[i].token()).await;
        let items = threads["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "mentee {i}: {threads}");
        assert_eq!(items[0]["last_message"]["kind"], "invite", "{threads}");
    }
    let (_, listed) = app
        .get("/api/v1/bookings?role=mentor", mentors[1].0.token())
        .await;
    assert_eq!(listed["items"][0]["id"], fresh.2["id"], "{listed}");
    if postgres {
        use std::sync::atomic::Ordering::Relaxed;
        // (The empty wallet is refused before the writer, from the request's context.)
        for (instance, grouped) in [(&app, 4), (&other, 2)] {
            let stats = &instance.ctx().booking_groups;
            assert_eq!(stats.failed_groups.load(Relaxed), 0, "{stats:?}");
            assert!(
                stats.groups.load(Relaxed) >= 1 && stats.together.load(Relaxed) >= grouped,
                "the {grouped} waiting requests were written as one group: {stats:?}",
            );
        }
    }
    app.assert_ledger_ok().await;
}

/// Requests that share people and wait together in PostgreSQL's queue (a mentee asking
/// for two times, two mentees wanting one mentor's time, the same request sent twice
/// with one key, a wallet that pays for one of two) are written group after group in one
/// transaction, each group reading what the groups before it wrote: every request gets
/// the answer it would get alone, in the order it came, and the counters show one take
/// written that way. On SQLite the same requests go through its group commit and get
/// the same answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_sharing_people_in_one_take_are_answered_in_their_order() {
    let app = Arc::new(grouping_app().await);
    let postgres = app.ctx().db.backend == mentorhub::store::Backend::Postgres;
    if postgres && app.ctx().config.database_connections < 2 {
        eprintln!(
            "skipped: holding the writer needs two PostgreSQL connections (TEST_DATABASE_CONNECTIONS)"
        );
        return;
    }
    let admin = app.admin().await;
    // Mentors 0–3 are booked; 4 and 5 hold the writer's two takes on PostgreSQL.
    let mut mentors = vec![];
    for i in 0..6 {
        mentors.push(bookable_mentor(&app, &admin, &format!("layer-mentor{i}@example.com")).await);
    }
    // Mentee 2 can pay for one session only; mentees 4 and 5 make the held requests.
    let mut mentees = vec![];
    for i in 0..6 {
        let e = app.register(&format!("layer-mentee{i}@example.com")).await;
        app.grant(&admin, &e.user_id, if i == 2 { 10 } else { 100 })
            .await;
        mentees.push(e);
    }
    let request = |e: usize, m: usize, slot: &str, key: Option<&str>| {
        let (app, token) = (app.clone(), mentees[e].access.clone());
        let body = book(&mentors[m].0.user_id, &mentors[m].1, slot);
        let key = key.map(str::to_string);
        async move {
            app.post_keyed("/api/v1/bookings", &token, &body, key.as_deref())
                .await
        }
    };
    let blocker = if postgres {
        let mut tx = app.ctx().db.pool.begin().await.unwrap();
        sqlx::query("SELECT id FROM users WHERE id IN ($1, $2) FOR UPDATE")
            .bind(&mentors[4].0.user_id)
            .bind(&mentors[5].0.user_id)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        Some(tx)
    } else {
        None
    };
    let (ten, eleven) = ("2026-03-03T10:00:00Z", "2026-03-03T11:00:00Z");
    let mut held = vec![];
    for i in [4, 5] {
        held.push(tokio::spawn(request(i, i, ten, None)));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // In this order, one at a time into the queue.
    let asked = [
        (0, 0, ten, None),
        (0, 0, eleven, None),
        (1, 0, ten, None),
        (2, 1, ten, None),
        (2, 1, eleven, None),
        (3, 2, ten, Some("again")),
        (3, 2, ten, Some("again")),
        (1, 3, eleven, None),
    ];
    let mut waiting = vec![];
    for (e, m, slot, key) in asked {
        waiting.push(tokio::spawn(request(e, m, slot, key)));
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    if let Some(tx) = blocker {
        assert!(
            held.iter().chain(&waiting).all(|h| !h.is_finished()),
            "every request waits behind the held ones"
        );
        tx.rollback().await.unwrap();
    }
    for h in held {
        let (status, _, body) = h.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let mut answers = vec![];
    for t in waiting {
        answers.push(t.await.unwrap());
    }
    let [first, second, taken, paid, short, once, twice, other] = &answers[..] else {
        unreachable!()
    };
    for ok in [first, second, paid, once, twice, other] {
        assert_eq!(ok.0, StatusCode::CREATED, "{}", ok.2);
    }
    assert_eq!(taken.0, StatusCode::CONFLICT, "{}", taken.2);
    assert_eq!(taken.2["code"], "slot_unavailable");
    assert_eq!(short.0, StatusCode::PAYMENT_REQUIRED, "{}", short.2);
    assert_eq!(short.2["code"], "insufficient_credits");
    assert_eq!(once.2["id"], twice.2["id"], "one booking for the key");
    assert!(!once.1 && twice.1, "the second is the replay");
    assert_ne!(first.2["id"], second.2["id"]);
    // Charged once for each booking; the pair's two bookings share one new thread.
    for (i, want) in [(0, (80, 20)), (1, (90, 10)), (2, (0, 10)), (3, (90, 10))] {
        assert_eq!(app.balance(&mentees[i]).await, want, "mentee {i}");
    }
    let (_, threads) = app.get("/api/v1/threads", mentees[0].token()).await;
    let items = threads["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{threads}");
    let (_, listed) = app
        .get("/api/v1/bookings?role=mentor", mentors[0].0.token())
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");
    if postgres {
        use std::sync::atomic::Ordering::Relaxed;
        let stats = &app.ctx().booking_groups;
        assert_eq!(stats.failed_groups.load(Relaxed), 0, "{stats:?}");
        assert_eq!(
            stats.layered_takes.load(Relaxed),
            1,
            "one take of groups: {stats:?}"
        );
        assert!(stats.groups.load(Relaxed) >= 3, "{stats:?}");
    }
    app.assert_ledger_ok().await;
}

/// A group whose transaction fails as a whole (here a trigger refuses any statement
/// that writes more than one booking) is written again one request at a time: every
/// request still gets its booking, charged once, and the counters show the failed
/// group. PostgreSQL only (SQLite's group commit runs each request in its own
/// savepoint).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_group_that_fails_is_written_again_one_request_at_a_time() {
    let app = Arc::new(grouping_app().await);
    let db = &app.ctx().db;
    if db.backend != mentorhub::store::Backend::Postgres {
        eprintln!("skipped: SQLite's group commit has no group transaction to fail");
        return;
    }
    let admin = app.admin().await;
    let mut pairs = vec![];
    for i in 0..5 {
        let (m, service) =
            bookable_mentor(&app, &admin, &format!("refused-mentor{i}@example.com")).await;
        let e = app
            .register(&format!("refused-mentee{i}@example.com"))
            .await;
        app.grant(&admin, &e.user_id, 100).await;
        pairs.push((m, service, e));
    }
    sqlx::raw_sql(
        "CREATE FUNCTION one_booking_a_statement() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF (SELECT count(*) FROM added) > 1 THEN \
         RAISE EXCEPTION 'one booking a statement'; END IF; RETURN NULL; END $$; \
         CREATE TRIGGER one_booking_a_statement AFTER INSERT ON bookings \
         REFERENCING NEW TABLE AS added FOR EACH STATEMENT \
         EXECUTE FUNCTION one_booking_a_statement()",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    // Mentors 0 and 1 are held: a request for each fills the writer's two takes, and
    // the other three gather behind them.
    let mut blocker = db.pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM users WHERE id IN ($1, $2) FOR UPDATE")
        .bind(&pairs[0].0.user_id)
        .bind(&pairs[1].0.user_id)
        .fetch_all(&mut *blocker)
        .await
        .unwrap();
    let send = |i: usize| {
        let (app, (m, service, e)) = (app.clone(), &pairs[i]);
        let (token, body) = (
            e.access.clone(),
            book(&m.user_id, service, "2026-03-03T10:00:00Z"),
        );
        async move { app.post("/api/v1/bookings", Some(&token), body).await }
    };
    let mut held = vec![];
    for i in [0, 1] {
        held.push(tokio::spawn(send(i)));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rest: Vec<_> = (2..5).map(|i| tokio::spawn(send(i))).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        held.iter().all(|h| !h.is_finished()),
        "the first requests wait on the lock"
    );
    blocker.rollback().await.unwrap();
    for t in held.into_iter().chain(rest) {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    for (_, _, e) in &pairs {
        assert_eq!(app.balance(e).await, (90, 10));
    }
    use std::sync::atomic::Ordering::Relaxed;
    let stats = &app.ctx().booking_groups;
    assert_eq!(stats.groups.load(Relaxed), 0, "{stats:?}");
    assert_eq!(stats.failed_groups.load(Relaxed), 1, "{stats:?}");
    assert_eq!(stats.alone.load(Relaxed), 5, "{stats:?}");
    app.assert_ledger_ok().await;
}

/// Twenty mentees booking twenty mentors at once, eight slots each: every booking goes
/// through, each is charged once, and the ledger (wallets and the shared escrow
/// accounts: 256, picked by booking id, so bookings written together often share one)
/// verifies after. On PostgreSQL the writer groups these requests (the counters show
/// it), so two bookings of one transaction crediting one escrow account must both count.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_pairs_booking_at_once_keep_the_ledger_exact() {
    let app = Arc::new(grouping_app().await);
    let admin = app.admin().await;
    let mut pairs = vec![];
    for i in 0..20 {
        let (m, service) =
            bookable_mentor(&app, &admin, &format!("pair-mentor{i}@example.com")).await;
        let e = app.register(&format!("pair-mentee{i}@example.com")).await;
        app.grant(&admin, &e.user_id, 100).await;
        pairs.push((m.user_id, service, e));
    }
    let slots = Arc::new(slots());
    let tasks: Vec<_> = pairs
        .iter()
        .map(|(mentor, service, e)| {
            let (app, slots) = (app.clone(), slots.clone());
            let (mentor, service, token) = (mentor.clone(), service.clone(), e.access.clone());
            tokio::spawn(async move {
                for slot in slots.iter().take(8) {
                    let (status, body) = app
                        .post(
                            "/api/v1/bookings",
                            Some(&token),
                            book(&mentor, &service, slot),
                        )
                        .await;
                    assert_eq!(status, StatusCode::CREATED, "{body}");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    for (_, _, e) in &pairs {
        assert_eq!(app.balance(e).await, (20, 80));
    }
    if app.ctx().db.backend == mentorhub::store::Backend::Postgres {
        use std::sync::atomic::Ordering::Relaxed;
        let stats = &app.ctx().booking_groups;
        assert!(stats.together.load(Relaxed) >= 20, "grouped: {stats:?}");
    }
    app.assert_ledger_ok().await;
}

/// PostgreSQL ending the server's sessions (a restart, an administrator terminating
/// backends): the request that meets a dead pooled connection answers 503 with a
/// reason, never 500, and the ones after it work without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_on_connections_postgres_ended_answer_503_and_then_work() {
    let app = TestApp::spawn_with(Config {
        background_workers: false,
        ..test_config()
    })
    .await;
    if !app.db.is_postgres() {
        eprintln!("skipped: ends PostgreSQL sessions (SQLite has none to end)");
        return;
    }
    let admin = app.admin().await;
    let (_mentor, mentee, _service) = app.booking_setup(&admin, "UTC", 10, 100).await;
    // Every pooled connection in use once, then idle in the pool.
    let warm: Vec<_> = (0..16)
        .map(|_| app.get("/api/v1/me", mentee.token()))
        .collect();
    for (s, _) in futures_util::future::join_all(warm).await {
        assert_eq!(s, StatusCode::OK);
    }
    let mut killer = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db.url)
        .await
        .unwrap();
    let ended: Vec<(i32, bool)> = sqlx::query_as(
        "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut killer)
    .await
    .unwrap();
    assert!(
        !ended.is_empty(),
        "the server's connections were there to end"
    );
    // Writes and reads, one at a time.
    let (mut refused, mut done, mut in_a_row) = (0, 0, 0);
    for i in 0..200 {
        let (s, body) = if i % 2 == 0 {
            app.post(
                "/api/v1/admin/credits/grant",
                admin.token(),
                json!({"user_id": mentee.user_id, "amount": 1, "reason": "after the restart"}),
            )
            .await
        } else {
            app.get("/api/v1/me", mentee.token()).await
        };
        match s.as_u16() {
            200 | 201 => {
                done += 1;
                in_a_row += 1;
            }
            503 => {
                assert_eq!(body["code"], "database_unavailable", "{body}");
                assert!(
                    body["detail"]
                        .as_str()
                        .unwrap()
                        .contains("cannot be reached"),
                    "{body}"
                );
                refused += 1;
                in_a_row = 0;
            }
            other => panic!("request {i}: {other} {body}"),
        }
        if in_a_row == 20 {
            break;
        }
    }
    assert_eq!(
        in_a_row, 20,
        "{refused} refused, {done} done: requests work again"
    );
    // The ended connections were met and replaced: the server works on new ones.
    let now_serving: Vec<(i32,)> = sqlx::query_as(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut killer)
    .await
    .unwrap();
    assert!(!now_serving.is_empty());
    assert!(
        now_serving
            .iter()
            .all(|(p,)| ended.iter().all(|(e, _)| e != p)),
        "every connection in use is a new one: {now_serving:?} after {ended:?}"
    );
    // The first dead connection met makes the pools check theirs before use: the
    // others are replaced without failing a request (one each, before: 5 of 6). None
    // fails when another test of this process met a dead connection just before
    // (the check is for the process: a restarted server ends every pool's).
    assert!(
        refused <= 2,
        "{refused} refused for {} ended connections",
        ended.len()
    );
    app.assert_ledger_ok().await;
}

/// An SMTP server that accepts connections and never greets held the job worker for
/// minutes (lettre's own timeout does not cover that wait), with its heartbeat
/// renewing the lease, so no other worker took the jobs over and reminders, expiries
/// and everything queued behind the email waited. The email now gives up after the
/// SMTP timeout and is retried later; the other jobs run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_smtp_server_does_not_hold_the_job_worker() {
    let sink = SmtpSink::start().await;
    sink.stall.store(true, Ordering::SeqCst);
    let config = Config {
        smtp_url: Some(format!("smtp://{}", sink.addr)),
        smtp_timeout: Duration::from_secs(1),
        background_workers: false,
        ..test_config()
    };
    let clock = ManualClock::new(Timestamp::now());
    let app = TestApp::spawn_on(TestDb::new().await, config, clock.clone()).await;
    queue_emails(&app, 1).await;
    {
        let ctx = app.ctx();
        let now = ctx.now();
        let mut tx = ctx.db.begin_write().await.unwrap();
        mentorhub::service::jobs::enqueue(
            &mut tx,
            &mentorhub::service::jobs::Job::Noop,
            now,
            None,
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let started = Instant::now();
    tokio::time::timeout(
        Duration::from_secs(15),
        mentorhub::jobs::run_due(app.ctx(), "worker"),
    )
    .await
    .expect("the worker comes back from a silent SMTP server")
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let jobs: Vec<(String, String, String)> =
        sqlx::query_as("SELECT kind, status, last_error FROM jobs ORDER BY kind")
            .fetch_all(&app.ctx().db.pool)
            .await
            .unwrap();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    let (email, noop) = (&jobs[0], &jobs[1]);
    assert_eq!(
        (email.0.as_str(), email.1.as_str()),
        ("email.send", "queued"),
        "{jobs:?}"
    );
    assert!(email.2.contains("no answer"), "says why: {jobs:?}");
    assert_eq!(noop.1, "done", "the job behind it ran: {jobs:?}");
    // The server answers again: the retry delivers it, once.
    sink.stall.store(false, Ordering::SeqCst);
    clock.advance(SignedDuration::from_hours(1));
    mentorhub::jobs::run_due(app.ctx(), "worker").await.unwrap();
    let sent = deliveries(&sink).await;
    assert_eq!(sent.get("Mail 0"), Some(&1), "{sent:?}");
}

/// After a burst of writes the write-ahead log gives its disk space back: once a
/// checkpoint has copied it into the database file, the next write starts the log over
/// and cuts the file down to the limit (`journal_size_limit`), instead of keeping it at
/// its largest size for as long as the server runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_ahead_log_shrinks_after_a_burst() {
    if TestDb::new().await.is_postgres() {
        eprintln!("skipped: the write-ahead log file is SQLite's");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_on(
        TestDb::sqlite_in(dir.path()),
        test_config(),
        ManualClock::new(crate::support::test_epoch()),
    )
    .await;
    let wal = dir.path().join("test.db-wal");
    let pool = &app.ctx().db.pool;
    // One transaction of 96 MiB: its frames all go into the log, whatever the
    // checkpoints do meanwhile.
    let mut tx = pool.begin().await.unwrap();
    let filler = vec![0x5au8; 1024 * 1024];
    for n in 0..96 {
        sqlx::query("INSERT INTO write_probes (id, filler, created_at) VALUES ($1, $2, 0)")
            .bind(format!("burst-{n}"))
            .bind(&filler)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query("DELETE FROM write_probes")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let burst = std::fs::metadata(&wal).unwrap().len();
    assert!(
        burst > 90 * 1024 * 1024,
        "the burst filled the log: {burst}"
    );
    // Later writes, with the server's checkpointer running beside them.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut size = burst;
    while Instant::now() < deadline {
        app.ctx().db.checkpoint().await.unwrap();
        sqlx::query("INSERT INTO write_probes (id, filler, created_at) VALUES ($1, x'00', 0)")
            .bind(mentorhub::domain::ids::new_id())
            .execute(pool)
            .await
            .unwrap();
        size = std::fs::metadata(&wal).unwrap().len();
        if size <= 64 * 1024 * 1024 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        size <= 64 * 1024 * 1024,
        "the log still holds {size} bytes of disk after the burst"
    );
}
