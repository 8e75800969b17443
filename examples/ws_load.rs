//! WebSocket load: 100 users with 10 sockets each (1,000 connections) on 50 direct
//! threads; measures server memory per idle connection, then posts messages and
//! measures send-to-receipt latency on every participant's sockets and throughput.
//!
//! `cargo run --release --example ws_load -- http://127.0.0.1:18085 ADMIN_EMAIL ADMIN_PASSWORD SERVER_PID [messages]`

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

const USERS: usize = 100;
const SOCKETS_PER_USER: usize = 10;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (base, admin_email, admin_password) = (a[1].clone(), a[2].clone(), a[3].clone());
    let pid: u32 = a[4].parse().expect("server pid");
    let messages: usize = a.get(5).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let senders_n: usize = a.get(6).and_then(|s| s.parse().ok()).unwrap_or(16);
    let host = base.trim_start_matches("http://").to_string();
    let c = reqwest::Client::new();
    let login: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": admin_email, "password": admin_password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let admin = login["access_token"]
        .as_str()
        .expect("admin token")
        .to_string();

    // Users (registered in parallel: password hashing is the slow part).
    let run = std::process::id();
    let mut tasks = vec![];
    for i in 0..USERS {
        let (c, base) = (c.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let b: Value = c.post(format!("{base}/api/v1/auth/register"))
                .json(&json!({"email": format!("ws-{run}-{i}@example.com"), "password": "load test password", "first_name": "Ws", "last_name": format!("{i}")}))
                .send().await.expect("register").json().await.expect("json");
            (b["user"]["id"].as_str().unwrap_or("").to_string(), b["access_token"].as_str().unwrap_or("").to_string())
        }));
    }
    let mut users = vec![];
    for t in tasks {
        users.push(t.await.expect("user"));
    }
    // 50 direct threads (admins may open threads with anyone), then the pairs talk.
    let mut threads = vec![];
    for i in 0..USERS / 2 {
        let t: Value = c.post(format!("{base}/api/v1/threads")).bearer_auth(&admin)
            .json(&json!({"participant_ids": [users[i].0, users[i + USERS / 2].0], "title": format!("Load {i}")}))
            .send().await.expect("thread").json().await.expect("json");
        threads.push((
            t["id"].as_str().expect("thread id").to_string(),
            i,
            i + USERS / 2,
        ));
    }

    let before = rss_kib(pid);
    let latencies = Arc::new(tokio::sync::Mutex::new(Vec::<Duration>::new()));
    let epoch = Instant::now();
    let mut readers = vec![];
    for (_, token) in &users {
        for _ in 0..SOCKETS_PER_USER {
            let mut req = format!("ws://{host}/api/v1/ws")
                .into_client_request()
                .expect("req");
            req.headers_mut().insert(
                "authorization",
                format!("Bearer {token}").parse().expect("header"),
            );
            let (ws, _) = tokio_tungstenite::connect_async(req)
                .await
                .expect("connect");
            let latencies = latencies.clone();
            readers.push(tokio::spawn(async move {
                let (_, mut rx) = ws.split();
                while let Some(Ok(msg)) = rx.next().await {
                    if let Message::Text(t) = msg
                        && let Ok(v) = serde_json::from_str::<Value>(&t)
                        && v["type"] == "message"
                        && let Some(sent) = v["message"]["content"]
                            .as_str()
                            .and_then(|c| c.parse::<u128>().ok())
                    {
                        let now = epoch.elapsed().as_micros();
                        latencies
                            .lock()
                            .await
                            .push(Duration::from_micros(now.saturating_sub(sent) as u64));
                    }
                }
            }));
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kib(pid);
    let conns = USERS * SOCKETS_PER_USER;
    println!(
        "{conns} idle WebSocket connections: server RSS {before} KiB -> {after} KiB, {:.1} KiB per connection",
        (after.saturating_sub(before)) as f64 / conns as f64
    );

    // Messages: 16 senders in parallel; each message reaches 2 users x 10 sockets.
    let started = Instant::now();
    let jobs = Arc::new(tokio::sync::Mutex::new(0usize));
    let mut senders = vec![];
    for _ in 0..senders_n {
        let (c, base, users, threads, jobs) = (
            c.clone(),
            base.clone(),
            users.clone(),
            threads.clone(),
            jobs.clone(),
        );
        senders.push(tokio::spawn(async move {
            loop {
                let n = {
                    let mut j = jobs.lock().await;
                    if *j >= messages {
                        break;
                    }
                    *j += 1;
                    *j
                };
                let (tid, a, _) = &threads[n % threads.len()];
                let sent = epoch.elapsed().as_micros().to_string();
                let r = c
                    .post(format!("{base}/api/v1/threads/{tid}/messages"))
                    .bearer_auth(&users[*a].1)
                    .json(&json!({"content": sent}))
                    .send()
                    .await
                    .expect("send");
                assert!(r.status().is_success(), "{}", r.status());
            }
        }));
    }
    for s in senders {
        s.await.expect("sender");
    }
    let elapsed = started.elapsed();
    let expected = messages * 2 * SOCKETS_PER_USER;
    for _ in 0..100 {
        if latencies.lock().await.len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut l = latencies.lock().await.clone();
    l.sort();
    let pct = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!("{senders_n} concurrent senders");
    println!(
        "{messages} messages in {:.2}s: {:.0} messages/s sent, {} deliveries of {expected} expected",
        elapsed.as_secs_f64(),
        messages as f64 / elapsed.as_secs_f64(),
        l.len()
    );
    println!(
        "send-to-receipt latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        pct(1.0).as_secs_f64() * 1e3
    );
    for r in readers {
        r.abort();
    }
}
