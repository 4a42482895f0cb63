//! GraphQL over WebSocket on `/graphql/ws`: `graphql-transport-ws` and the legacy `graphql-ws`.
//!
//! Credentials come in the `connection_init` payload (`{"authorization": "Bearer ..."}` or
//! `{"apiKey": "..."}`); headers of the upgrade request are the fallback for non-browser
//! clients. On shutdown every connection is closed with 1001 (going away).

use agora_identity::api::{self, Credentials};
use agora_platform::auth::Viewer;
use agora_schema::RequestId;
use async_graphql::{
    Data,
    http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket as GraphQLWebSocket, WebSocketProtocols, WsMessage},
};
use axum::{
    extract::{
        State, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use futures::{SinkExt, StreamExt};

use crate::AppState;

/// Close code sent to every connection when the server shuts down.
pub const GOING_AWAY: u16 = 1001;
/// Close code for a `connection_init` whose credentials were refused.
pub const FORBIDDEN: u16 = 4403;

/// `GET /graphql/ws`: upgrades to a GraphQL WebSocket.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // The first offered subprotocol we speak wins.
    let protocol = headers
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .and_then(|offered| {
            offered
                .split(',')
                .find_map(|p| p.trim().parse::<WebSocketProtocols>().ok())
        });
    let Some(protocol) = protocol else {
        return (
            StatusCode::BAD_REQUEST,
            "offer the graphql-transport-ws or graphql-ws subprotocol",
        )
            .into_response();
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let fallback = (header("authorization"), header("x-api-key"));
    let request_id = header(crate::REQUEST_ID_HEADER.as_str()).unwrap_or_default();
    // Small buffers: a subscriber mostly receives; tungstenite's 128 KiB defaults per socket
    // dominated memory at thousands of sockets. Writes go out eagerly, a stuck client's
    // backlog is capped, and no client message may exceed the HTTP body limit.
    let max_message = state.platform.config.max_body_bytes;
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve_socket(state, socket, protocol, fallback, request_id))
}

async fn serve_socket(
    state: AppState,
    socket: WebSocket,
    protocol: WebSocketProtocols,
    fallback: (Option<String>, Option<String>),
    request_id: String,
) {
    metrics::gauge!("agora_websockets_open").increment(1.0);
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|message| std::future::ready(message.is_ok()))
        .filter_map(|message| {
            std::future::ready(match message {
                Ok(Message::Text(text)) => Some(text.as_bytes().to_vec()),
                Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                _ => None,
            })
        });
    let platform = state.platform.clone();
    // async-graphql closes a refused `connection_init` with 1002; graphql-transport-ws asks for
    // 4403 Forbidden, so remember the refusal and send that instead.
    let refused = Arc::new(AtomicBool::new(false));
    let refused_in_init = Arc::clone(&refused);
    let on_init = move |payload: serde_json::Value| async move {
        let field = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| payload.get(*n).and_then(|v| v.as_str()).map(str::to_owned))
        };
        let authorization = field(&["authorization", "Authorization"]).or(fallback.0);
        let api_key = field(&["apiKey", "x-api-key", "X-Api-Key"]).or(fallback.1);
        let viewer: Viewer = api::authenticate(
            &platform,
            Credentials {
                authorization: authorization.as_deref(),
                api_key: api_key.as_deref(),
            },
        )
        .await
        .inspect_err(|_| refused_in_init.store(true, Ordering::SeqCst))?;
        let mut data = Data::default();
        data.insert(viewer);
        data.insert(RequestId(request_id));
        agora_schema::insert_request_data(&mut data, &platform);
        Ok(data)
    };
    let mut outgoing = GraphQLWebSocket::new(
        agora_schema::AgoraExecutor(state.schema.clone()),
        input,
        protocol,
    )
    .on_connection_init(on_init);
    loop {
        tokio::select! {
            message = outgoing.next() => {
                let frame = match message {
                    Some(WsMessage::Text(text)) => Message::Text(text.into()),
                    Some(WsMessage::Close(code, reason)) => {
                        let code = if code == 1002 && refused.load(Ordering::SeqCst) { FORBIDDEN } else { code };
                        Message::Close(Some(CloseFrame { code, reason: reason.into() }))
                    }
                    None => break,
                };
                let closing = matches!(frame, Message::Close(_));
                if sink.send(frame).await.is_err() || closing {
                    break;
                }
            }
            _ = state.shutdown.cancelled() => {
                let _ = sink
                    .send(Message::Close(Some(CloseFrame { code: GOING_AWAY, reason: "server shutting down".into() })))
                    .await;
                break;
            }
        }
    }
    metrics::gauge!("agora_websockets_open").decrement(1.0);
}
