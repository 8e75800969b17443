//! The accept loop: HTTP/1.1 on each connection (with upgrades, for the live sockets)
//! until shutdown. What `axum::serve` does, plus the deadlines it cannot set, each of
//! which keeps one slow or stuck client from holding a connection (and a file
//! descriptor) forever — enough of those and the process can accept nothing more:
//!
//! - **headers**: a client has [`Limits::header_read`] to send a request's headers,
//!   from connecting or from the end of its previous request (hyper's timer);
//! - **body**: it then has `Config::body_read_timeout` to send the body (read whole,
//!   before any handler runs, by [`super::hygiene::refuse_nul`]); one that falls
//!   silent is answered `408 request_timeout` and disconnected;
//! - **its own reading**: a client that stops reading what it is sent (so that the
//!   socket's buffers fill and a write cannot go on) for [`Limits::write_stall`] is
//!   disconnected ([`StallDeadline`]); a live socket too;
//! - **shutdown**: connections are asked to finish the request in flight and close;
//!   after [`Limits::shutdown_grace`] the loop returns without them (the process
//!   exits and they are cut), so a stop never waits on a client.

use std::{
    future::Future,
    io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use axum::Router;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpListener,
    time::Sleep,
};

/// The deadlines of [`serve_connections`] (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read: Duration,
    pub write_stall: Duration,
    pub shutdown_grace: Duration,
}

/// Accepts connections and serves each until `shutdown` resolves; then stops
/// accepting, lets every connection finish its request in flight (within
/// `limits.shutdown_grace`) and returns.
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    // Connections watch `stop` to shut down gracefully; each holds a `done` receiver,
    // so `done_tx.closed()` resolves once the last one has finished.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let (done_tx, done_rx) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then accept again.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                router.clone().oneshot(req)
            });
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(limits.header_read);
            let io = TokioIo::new(StallDeadline::new(stream, limits.write_stall));
            let conn = http.serve_connection(io, service).with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
            }
            drop(done);
        });
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(());
    drop(done_rx);
    if tokio::time::timeout(limits.shutdown_grace, done_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            open = done_tx.receiver_count(),
            grace_secs = limits.shutdown_grace.as_secs_f64(),
            "connections still open after the shutdown grace; stopping without them"
        );
    }
    Ok(())
}

/// A connection's socket, failing a write that has made no progress for `limit`
/// (`TimedOut`): the peer stopped reading. The clock starts when a write first cannot
/// go on and restarts with every byte that does.
pub struct StallDeadline<S> {
    inner: S,
    limit: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> StallDeadline<S> {
    pub fn new(inner: S, limit: Duration) -> Self {
        StallDeadline {
            inner,
            limit,
            stalled: None,
        }
    }

    /// What a write that returned `poll` becomes: pending until the deadline, then an
    /// error; anything ready resets the clock.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let limit = self.limit;
        let deadline = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for StallDeadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for StallDeadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A write into a pipe nobody reads fails at the deadline; one whose reader keeps
    /// reading, however slowly, goes on.
    #[tokio::test]
    async fn a_write_nobody_reads_fails_at_the_deadline() {
        let (a, _unread) = tokio::io::duplex(64);
        let mut w = StallDeadline::new(a, Duration::from_millis(300));
        let big = vec![7u8; 4096];
        let e = w.write_all(&big).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);

        let (a, mut r) = tokio::io::duplex(64);
        let mut w = StallDeadline::new(a, Duration::from_millis(300));
        let reader = tokio::spawn(async move {
            let mut got = 0;
            let mut buf = [0u8; 64];
            while got < 4096 {
                // Slower than the writer, never stalled as long as the deadline.
                tokio::time::sleep(Duration::from_millis(20)).await;
                got += r.read(&mut buf).await.unwrap();
            }
            got
        });
        w.write_all(&big).await.unwrap();
        assert_eq!(reader.await.unwrap(), 4096);
    }
}
