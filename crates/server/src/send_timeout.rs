//! A send timeout per connection (nginx's `send_timeout`): once a handler arms it, a client
//! that takes no bytes for that long while the server has some to write is disconnected.
//!
//! A streamed response cannot time out its own writes: when the client stops reading, the
//! socket fills, hyper stops polling the body and nothing runs at all. Only the socket sees
//! the stall, so the listener wraps each one; a handler finds the connection's
//! [`SendTimeout`] in the request's extensions and arms it (the readings export does, with
//! `AGORA_EXPORT_WRITE_TIMEOUT`). Connections that never arm it behave as before. An armed
//! connection stays armed for the requests that follow it on the same connection.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    Router,
    extract::{ConnectInfo, Request},
    response::Response,
    serve::IncomingStream,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    time::Sleep,
};
use tower::Service;

/// A connection's send timeout, unarmed until a handler arms it.
#[derive(Debug, Clone, Default)]
pub struct SendTimeout(Arc<AtomicU64>);

impl SendTimeout {
    /// Disconnects the client once it has taken no bytes for `limit` while a write waits.
    pub fn arm(&self, limit: Duration) {
        let millis = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX).max(1);
        self.0.store(millis, Ordering::Relaxed);
    }

    fn limit(&self) -> Option<Duration> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            millis => Some(Duration::from_millis(millis)),
        }
    }
}

/// A TCP listener whose connections carry a [`SendTimeout`].
#[derive(Debug)]
pub struct SendTimeoutListener(TcpListener);

impl SendTimeoutListener {
    /// Wraps `listener`.
    pub fn new(listener: TcpListener) -> Self {
        Self(listener)
    }
}

impl axum::serve::Listener for SendTimeoutListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.0).await;
        let io = GuardedStream {
            io,
            timeout: SendTimeout::default(),
            stalled: None,
        };
        (io, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A TCP stream whose writes fail with `TimedOut` once they have made no progress for its
/// armed [`SendTimeout`].
#[derive(Debug)]
pub struct GuardedStream {
    io: TcpStream,
    timeout: SendTimeout,
    /// Running while writes are blocked: when it fires, the client is dropped.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl GuardedStream {
    /// The handle that arms this connection's timeout.
    pub fn send_timeout(&self) -> SendTimeout {
        self.timeout.clone()
    }

    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let Some(limit) = self.timeout.limit() else {
            return Poll::Pending;
        };
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => {
                metrics::counter!("agora_send_timeouts_total").increment(1);
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client took no data within the send timeout",
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        self.watch(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Makes each connection's [`ConnectionService`] (what `into_make_service_with_connect_info`
/// does for a plain `TcpListener`).
#[derive(Clone)]
pub struct MakeConnectionService(Router);

impl MakeConnectionService {
    /// Serves `router` on each connection.
    pub fn new(router: Router) -> Self {
        Self(router)
    }
}

impl Service<IncomingStream<'_, SendTimeoutListener>> for MakeConnectionService {
    type Response = ConnectionService;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<ConnectionService, std::convert::Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, incoming: IncomingStream<'_, SendTimeoutListener>) -> Self::Future {
        std::future::ready(Ok(ConnectionService {
            router: self.0.clone(),
            peer: *incoming.remote_addr(),
            timeout: incoming.io().send_timeout(),
        }))
    }
}

/// The router for one connection: each request gets the peer address (`ConnectInfo`) and the
/// connection's [`SendTimeout`] in its extensions.
#[derive(Clone)]
pub struct ConnectionService {
    router: Router,
    peer: SocketAddr,
    timeout: SendTimeout,
}

impl Service<Request> for ConnectionService {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = <Router as Service<Request>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<Request>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        request.extensions_mut().insert(self.timeout.clone());
        self.router.call(request)
    }
}
