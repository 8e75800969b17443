//! Booking load: creates mentors (open around the clock) and mentees (with credits)
//! through the API of a running server, then sends booking requests for distinct slots
//! with a fixed concurrency and reports throughput and latency.
//!
//! `cargo run --release --example booking_load -- http://127.0.0.1:18084 ADMIN_EMAIL ADMIN_PASSWORD [requests] [concurrency]`
//! (`bench/bookings.sh` starts the server, creates the admin and runs `ledger verify`.)

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

const MENTORS: usize = 20;
const MENTEES: usize = 32;

async fn post(c: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut r = c.post(url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let res = r.send().await.expect("request");
    let s = res.status().as_u16();
    (s, res.json().await.unwrap_or(Value::Null))
}

async fn register(c: &reqwest::Client, base: &str, email: &str) -> (String, String) {
    let (s, b) = post(c, format!("{base}/api/v1/auth/register"), None,
        json!({"email": email, "password": "load test password", "first_name": "Load", "last_name": "Test"})).await;
    assert_eq!(s, 201, "register: {b}");
    (
        b["user"]["id"].as_str().unwrap_or("").into(),
        b["access_token"].as_str().unwrap_or("").into(),
    )
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:18084".into());
    let (admin_email, admin_password) = (args[2].clone(), args[3].clone());
    let requests: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(3000);
    let concurrency: usize = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(32);
    let c = reqwest::Client::new();
    let (_, login) = post(
        &c,
        format!("{base}/api/v1/auth/login"),
        None,
        json!({"email": admin_email, "password": admin_password}),
    )
    .await;
    let admin = login["access_token"]
        .as_str()
        .expect("admin token")
        .to_string();
    let run = std::process::id();

    let mut mentors = vec![];
    for i in 0..MENTORS {
        let (id, token) = register(&c, &base, &format!("load-mentor-{run}-{i}@example.com")).await;
        let r = c.put(format!("{base}/api/v1/me/mentor-profile")).bearer_auth(&token)
            .json(&json!({"bio": "Load test mentor", "expertise": ["load"], "hourly_rate": 1, "max_mentees": 10}))
            .send().await.expect("profile");
        assert!(r.status().is_success());
        let (s, _) = post(
            &c,
            format!("{base}/api/v1/admin/mentor-applications/{id}/approve"),
            Some(&admin),
            json!({}),
        )
        .await;
        assert_eq!(s, 200);
        let weekly: Vec<Value> = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]
        .iter()
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
        let r = c.put(format!("{base}/api/v1/me/availability")).bearer_auth(&token)
            .json(&json!({"timezone": "UTC", "weekly": weekly, "settings": {"min_notice_minutes": 0, "buffer_before_minutes": 0,
                "buffer_after_minutes": 0, "horizon_days": 365, "slot_step_minutes": 60, "max_per_day": 0}}))
            .send().await.expect("availability");
        assert!(r.status().is_success());
        let svc: Value = c
            .get(format!("{base}/api/v1/mentors/{id}/services"))
            .send()
            .await
            .expect("services")
            .json()
            .await
            .expect("json");
        mentors.push((id, svc["items"][0]["id"].as_str().unwrap_or("").to_string()));
    }
    let mut mentees = vec![];
    for i in 0..MENTEES {
        let (id, token) = register(&c, &base, &format!("load-mentee-{run}-{i}@example.com")).await;
        let (s, _) = post(
            &c,
            format!("{base}/api/v1/admin/credits/grant"),
            Some(&admin),
            json!({"user_id": id, "amount": 100000, "reason": "load"}),
        )
        .await;
        assert_eq!(s, 201);
        mentees.push(token);
    }
    // Every request gets its own hour: no two overlap for any mentor or mentee.
    let first_hour =
        (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2)).as_second() / 3600 * 3600;
    let jobs: Vec<(String, String, String, String)> = (0..requests)
        .map(|n| {
            let (mid, sid) = &mentors[n % MENTORS];
            let start = jiff::Timestamp::from_second(first_hour + 3600 * n as i64).expect("time");
            (
                mentees[n % MENTEES].clone(),
                mid.clone(),
                sid.clone(),
                start.to_string(),
            )
        })
        .collect();
    let jobs = Arc::new(tokio::sync::Mutex::new(jobs.into_iter()));
    let latencies = Arc::new(tokio::sync::Mutex::new(Vec::with_capacity(requests)));
    let statuses = Arc::new(tokio::sync::Mutex::new(std::collections::BTreeMap::<
        u16,
        usize,
    >::new()));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (c, base, jobs, latencies, statuses) = (
                c.clone(),
                base.clone(),
                jobs.clone(),
                latencies.clone(),
                statuses.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let Some((token, mid, sid, start)) = jobs.lock().await.next() else {
                        break;
                    };
                    let t = Instant::now();
                    let (s, _) = post(
                        &c,
                        format!("{base}/api/v1/bookings"),
                        Some(&token),
                        json!({"mentor_id": mid, "service_id": sid, "start": start}),
                    )
                    .await;
                    latencies.lock().await.push(t.elapsed());
                    *statuses.lock().await.entry(s).or_default() += 1;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    let elapsed = started.elapsed();
    let mut l = latencies.lock().await.clone();
    l.sort();
    let pct = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or(Duration::ZERO)
    };
    println!(
        "{requests} booking requests, concurrency {concurrency}, in {:.2}s",
        elapsed.as_secs_f64()
    );
    println!(
        "throughput: {:.0} bookings/s",
        requests as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        pct(1.0).as_secs_f64() * 1e3
    );
    println!("statuses: {:?}", statuses.lock().await);
}
