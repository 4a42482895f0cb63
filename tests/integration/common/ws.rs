//! A real GraphQL WebSocket client (tokio-tungstenite) for both subprotocols.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

pub type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a socket offering `protocol`.
pub async fn connect(url: &str, protocol: &str) -> Socket {
    let mut request = url.into_client_request().expect("ws request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_str(protocol).expect("header"),
    );
    let (socket, response) = connect_async(request).await.expect("ws connects");
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some(protocol)
    );
    socket
}

/// Sends one JSON message.
pub async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .expect("ws send");
}

/// What arrived next.
#[derive(Debug)]
pub enum Incoming {
    Json(Value),
    Closed(Option<u16>),
}

/// The next JSON message or close (pings and pongs skipped), within 10 s.
pub async fn next(socket: &mut Socket) -> Incoming {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a WebSocket message within 10 s");
        match message {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).expect("JSON message");
                if matches!(value["type"].as_str(), Some("ping" | "pong" | "ka")) {
                    continue;
                }
                return Incoming::Json(value);
            }
            Some(Ok(Message::Close(frame))) => {
                return Incoming::Closed(frame.map(|f| f.code.into()));
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Incoming::Closed(None),
        }
    }
}

/// The next JSON message; panics on close.
pub async fn next_json(socket: &mut Socket) -> Value {
    match next(socket).await {
        Incoming::Json(v) => v,
        Incoming::Closed(code) => panic!("socket closed ({code:?}) while a message was expected"),
    }
}

/// `graphql-transport-ws` handshake with `payload`; returns the ack.
pub async fn init_transport(socket: &mut Socket, payload: Value) -> Incoming {
    send(
        socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    next(socket).await
}

/// The next message within `wait`, or None.
pub async fn try_next(socket: &mut Socket, wait: Duration) -> Option<Incoming> {
    tokio::time::timeout(wait, next(socket)).await.ok()
}
