//! A WebSocket client of `/api/v1/ws` for tests.

use super::*;

/// A WebSocket client of `/api/v1/ws`.
pub struct Ws {
    pub stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl TestApp {
    pub async fn ws(&self, token: &str) -> Ws {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = format!("ws://{}/api/v1/ws", self.addr)
            .into_client_request()
            .expect("request");
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        let (stream, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("websocket");
        let mut ws = Ws { stream };
        let hello = ws.next_event(|_| true).await;
        assert_eq!(hello["type"], "hello");
        ws
    }
}

impl Ws {
    /// The next JSON event that `pick` accepts (skipping others), within 5 seconds.
    pub async fn next_event(&mut self, pick: impl Fn(&Value) -> bool) -> Value {
        use futures_util::StreamExt;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .expect("an event in time")
                .expect("open")
                .expect("frame");
            if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
                let v: Value = serde_json::from_str(&t).expect("json");
                if pick(&v) {
                    return v;
                }
            }
        }
    }

    /// Waits up to `within` for the server to close the socket, skipping events; the
    /// close code, or why there was none.
    pub async fn closed_within(&mut self, within: std::time::Duration) -> Result<u16, String> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return Err(format!("still open after {within:?}")),
                Ok(None) => return Err("ended without a close frame".into()),
                Ok(Some(Err(e))) => return Err(format!("ended with an error: {e}")),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return frame
                        .map(|f| u16::from(f.code))
                        .ok_or_else(|| "a close frame without a code".into());
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    pub async fn send(&mut self, v: Value) {
        use futures_util::SinkExt;
        self.stream
            .send(tokio_tungstenite::tungstenite::Message::Text(
                v.to_string().into(),
            ))
            .await
            .expect("send");
    }
}
