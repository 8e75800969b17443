//! A loopback SMTP server for tests.

use super::*;

/// A tiny SMTP server on loopback that accepts every message and keeps it. While
/// `stall` is set, new connections get no greeting (a hung server); `delay` is how long
/// it takes to accept a message (a slow server; the message counts once accepted).
pub struct SmtpSink {
    pub addr: SocketAddr,
    pub messages: Arc<tokio::sync::Mutex<Vec<String>>>,
    pub stall: Arc<std::sync::atomic::AtomicBool>,
    pub delay: Arc<tokio::sync::Mutex<std::time::Duration>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let messages = Arc::new(tokio::sync::Mutex::new(vec![]));
        let stall = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let delay = Arc::new(tokio::sync::Mutex::new(std::time::Duration::ZERO));
        let store = messages.clone();
        let (stalled, slow) = (stall.clone(), delay.clone());
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (store, stalled, slow) = (store.clone(), stalled.clone(), slow.clone());
                tokio::spawn(async move {
                    while stalled.load(std::sync::atomic::Ordering::SeqCst) {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    if w.write_all(b"220 sink ESMTP\r\n").await.is_err() {
                        return;
                    }
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(buf) = data.as_mut() {
                            if line == "." {
                                let pause = *slow.lock().await;
                                tokio::time::sleep(pause).await;
                                let message = data.take().unwrap_or_default();
                                if w.write_all(b"250 queued\r\n").await.is_ok() {
                                    store.lock().await.push(message);
                                }
                            } else {
                                buf.push_str(&line);
                                buf.push('\n');
                            }
                            continue;
                        }
                        let cmd = line.to_ascii_uppercase();
                        let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                            b"250-sink\r\n250 OK\r\n"
                        } else if cmd.starts_with("DATA") {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        } else if cmd.starts_with("QUIT") {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = w.write_all(reply).await;
                    }
                });
            }
        });
        SmtpSink {
            addr,
            messages,
            stall,
            delay,
        }
    }
}
