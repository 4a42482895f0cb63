//! GraphQL over WebSocket on `/graphql/ws`: `graphql-transport-ws` and the legacy `graphql-ws`.
//!
//! Credentials come in the `connection_init` payload (`{"authorization": "Bearer ..."}` or
//! `{"apiKey": "..."}`); headers of the upgrade request are the fallback for non-browser
//! clients. On shutdown every connection is closed with 1001 (going away).
//!
//! On `graphql-transport-ws` the connection rules of its PROTOCOL.md hold: no
//! `connection_init` within `AGORA_WS_INIT_TIMEOUT` closes with 4408, refused credentials
//! 4403, `subscribe` before the acknowledgement 4401, a malformed message 4400, a second
//! `connection_init` 4429, a `subscribe` id already running 4409; pings are answered with
//! pongs. At most `AGORA_WS_MAX_SUBSCRIPTIONS` operations run at once (more get an `error`
//! message), each `subscribe` counts against the address's request rate like an HTTP request
//! (`RATE_LIMITED` error message beyond it), a message over `AGORA_WS_MAX_MESSAGE_BYTES`
//! closes with 1009, a flood the engine
//! cannot keep up with closes with 1008, and one address may hold at most
//! `AGORA_WS_CONNECTIONS_PER_IP` sockets per replica (429 beyond).

use agora_identity::api::{self, Credentials};
use agora_platform::{AppError, auth::Viewer, ratelimit::LimitClass};
use agora_schema::{ClientAddr, RequestId};
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
use std::{
    collections::{HashMap, HashSet},
    net::IpAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use futures::{SinkExt, StreamExt};

use crate::AppState;

/// Close code sent to every connection when the server shuts down.
pub const GOING_AWAY: u16 = 1001;
/// Close code for a client message larger than `AGORA_WS_MAX_MESSAGE_BYTES`.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// Close code for a client flooding the connection faster than it is served.
pub const POLICY_VIOLATION: u16 = 1008;
/// graphql-transport-ws: a message that is not JSON or not a protocol message.
pub const BAD_MESSAGE: u16 = 4400;
/// graphql-transport-ws: `subscribe` before the connection was acknowledged.
pub const UNAUTHORIZED: u16 = 4401;
/// graphql-transport-ws: a `connection_init` whose credentials were refused.
pub const FORBIDDEN: u16 = 4403;
/// graphql-transport-ws: no `connection_init` within `AGORA_WS_INIT_TIMEOUT`.
pub const INIT_TIMEOUT: u16 = 4408;
/// graphql-transport-ws: `subscribe` with an id that is already running.
pub const DUPLICATE_ID: u16 = 4409;
/// graphql-transport-ws: a second `connection_init`.
pub const TOO_MANY_INITS: u16 = 4429;

/// Messages from the client waiting for the protocol engine; beyond this the client is
/// flooding and is closed with 1008.
const INPUT_QUEUE: usize = 256;

/// Open WebSockets per client address on this replica.
#[derive(Clone, Default)]
pub struct SocketCounts(Arc<Mutex<HashMap<IpAddr, u32>>>);

/// One counted socket; uncounted when dropped.
pub struct SocketSlot {
    counts: SocketCounts,
    addr: IpAddr,
}

impl SocketCounts {
    /// Counts a socket from `addr` unless it already has `max` open (0: no limit).
    fn acquire(&self, addr: IpAddr, max: u32) -> Option<SocketSlot> {
        let mut counts = self.0.lock().ok()?;
        let count = counts.entry(addr).or_default();
        if max > 0 && *count >= max {
            return None;
        }
        *count += 1;
        Some(SocketSlot {
            counts: self.clone(),
            addr,
        })
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.counts.0.lock()
            && let Some(count) = counts.get_mut(&self.addr)
        {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.addr);
            }
        }
    }
}

/// `GET /graphql/ws`: upgrades to a GraphQL WebSocket.
pub async fn upgrade(
    State(state): State<AppState>,
    crate::graphql_http::Peer(peer): crate::graphql_http::Peer,
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
    let config = &state.platform.config;
    let addr = crate::graphql_http::client_addr(&state, &headers, peer);
    let slot = match addr {
        Some(addr) => match state.sockets.acquire(addr, config.ws_connections_per_ip) {
            Some(slot) => Some(slot),
            None => {
                return crate::graphql_http::rate_limited_response(
                    60,
                    format!(
                        "at most {} WebSockets may be open from one address",
                        config.ws_connections_per_ip
                    ),
                );
            }
        },
        None => None,
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
    // dominated memory at thousands of sockets. Writes go out eagerly and a stuck client's
    // backlog is capped.
    let max_message = config.ws_max_message_bytes;
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            serve_socket(state, socket, protocol, fallback, request_id, addr).await;
        })
}

/// What a graphql-transport-ws client message is, as far as the connection rules care.
enum ClientKind {
    Init,
    Subscribe(String),
    Complete(String),
    Other,
}

/// Checks a graphql-transport-ws message's shape; `None` is a 4400.
fn classify(bytes: &[u8]) -> Option<ClientKind> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let id = || value.get("id").and_then(|v| v.as_str()).map(str::to_owned);
    match value.get("type")?.as_str()? {
        "connection_init" => Some(ClientKind::Init),
        "ping" | "pong" => Some(ClientKind::Other),
        "subscribe" => {
            let payload = value.get("payload")?;
            let query_ok = match payload.get("query") {
                Some(q) => q.is_string(),
                None => {
                    payload.get("documentId").is_some_and(|d| d.is_string())
                        || payload
                            .get("extensions")
                            .and_then(|e| e.get("persistedQuery"))
                            .is_some()
                }
            };
            (payload.is_object() && query_ok).then_some(())?;
            Some(ClientKind::Subscribe(id()?))
        }
        "complete" => Some(ClientKind::Complete(id()?)),
        _ => None,
    }
}

/// A `subscribe` naming a trusted document by `documentId` (GraphQL over HTTP's persisted
/// documents, which the engine's request type has no field for): the id moves into the
/// payload's `extensions`, where the executor looks for it.
fn document_id_into_extensions(bytes: Vec<u8>) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return bytes;
    };
    let Some(payload) = value.get_mut("payload").and_then(|p| p.as_object_mut()) else {
        return bytes;
    };
    let Some(id) = payload.remove("documentId") else {
        return bytes;
    };
    let extensions = payload
        .entry("extensions")
        .or_insert_with(|| serde_json::json!({}));
    if let Some(extensions) = extensions.as_object_mut() {
        extensions.insert("documentId".into(), id);
    }
    serde_json::to_vec(&value).unwrap_or(bytes)
}

/// The `id` and `type` of a message the engine sends.
fn server_kind(text: &str) -> Option<(String, Option<String>)> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let ty = value.get("type")?.as_str()?.to_owned();
    let id = value.get("id").and_then(|v| v.as_str()).map(str::to_owned);
    Some((ty, id))
}

/// graphql-transport-ws `error` for operation `id`: refused, the connection stays open.
fn operation_error(id: &str, error: AppError) -> Message {
    let message =
        serde_json::json!({ "id": id, "type": "error", "payload": [error.into_server_error()] });
    Message::Text(message.to_string().into())
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

async fn serve_socket(
    state: AppState,
    socket: WebSocket,
    protocol: WebSocketProtocols,
    fallback: (Option<String>, Option<String>),
    request_id: String,
    addr: Option<IpAddr>,
) {
    metrics::gauge!("agora_websockets_open").increment(1.0);
    let (mut sink, mut stream) = socket.split();
    let (input, queue) = tokio::sync::mpsc::channel::<Vec<u8>>(INPUT_QUEUE);
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
        data.insert(ClientAddr(addr));
        agora_schema::insert_request_data(&mut data, &platform);
        Ok(data)
    };
    let mut outgoing = GraphQLWebSocket::new(
        state.executor.clone(),
        tokio_stream::wrappers::ReceiverStream::new(queue),
        protocol,
    )
    .on_connection_init(on_init);
    // The connection rules of graphql-transport-ws (PROTOCOL.md) that the engine does not
    // enforce itself: the legacy protocol is passed through as it is.
    let strict = protocol == WebSocketProtocols::GraphQLWS;
    let config = &state.platform.config;
    let init_deadline = tokio::time::sleep(config.ws_init_timeout);
    tokio::pin!(init_deadline);
    let (mut initialised, mut acknowledged) = (false, false);
    let mut active: HashSet<String> = HashSet::new();
    loop {
        let frame = tokio::select! {
            message = outgoing.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if let Some((ty, id)) = server_kind(&text) {
                        match (ty.as_str(), id) {
                            ("connection_ack", _) => acknowledged = true,
                            ("complete" | "error", Some(id)) => { active.remove(&id); }
                            _ => {}
                        }
                    }
                    Message::Text(text.into())
                }
                Some(WsMessage::Close(code, reason)) => {
                    let code = if code == 1002 && refused.load(Ordering::SeqCst) { FORBIDDEN } else { code };
                    close(code, &reason)
                }
                None => break,
            },
            incoming = stream.next() => {
                let mut bytes = match incoming {
                    Some(Ok(Message::Text(text))) => text.as_bytes().to_vec(),
                    Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Ok(_)) => continue,
                    Some(Err(err)) => {
                        // tungstenite refuses a message over the size limit before reading it.
                        let too_big = err.to_string().to_ascii_lowercase().contains("too long")
                            || err.to_string().to_ascii_lowercase().contains("space limit");
                        if too_big {
                            let _ = sink.send(close(MESSAGE_TOO_BIG, "message too big")).await;
                        }
                        break;
                    }
                };
                if strict {
                    let refusal = match classify(&bytes) {
                        None => Some((BAD_MESSAGE, "Invalid message received".to_owned())),
                        Some(ClientKind::Init) if initialised => Some((TOO_MANY_INITS, "Too many initialisation requests".to_owned())),
                        Some(ClientKind::Init) => { initialised = true; None }
                        Some(ClientKind::Subscribe(_)) if !acknowledged => Some((UNAUTHORIZED, "Unauthorized".to_owned())),
                        Some(ClientKind::Subscribe(id)) if active.contains(&id) => Some((DUPLICATE_ID, format!("Subscriber for {id} already exists"))),
                        Some(ClientKind::Subscribe(id)) if active.len() >= config.ws_max_subscriptions => {
                            let error = AppError::LimitExceeded {
                                message: format!("at most {} operations may run at once on one connection", config.ws_max_subscriptions),
                                limit: "subscriptions",
                                max: config.ws_max_subscriptions,
                            };
                            if sink.send(operation_error(&id, error)).await.is_err() {
                                break;
                            }
                            continue;
                        }
                        Some(ClientKind::Subscribe(id)) => {
                            // Each operation on a socket counts against its address's request
                            // rate, as an HTTP request does, so subscribe/complete churn cannot
                            // run unlimited operations.
                            if let Some(addr) = addr
                                && let Err(refusal) = state.rate_limits.check(LimitClass::Ip, &addr.to_string(), 1).await
                            {
                                let secs = refusal.retry_after_secs();
                                let error = AppError::RateLimited {
                                    message: format!("too many operations from this address; retry in {secs} s"),
                                    retry_after_secs: secs,
                                };
                                if sink.send(operation_error(&id, error)).await.is_err() {
                                    break;
                                }
                                continue;
                            }
                            active.insert(id);
                            bytes = document_id_into_extensions(bytes);
                            None
                        }
                        Some(ClientKind::Complete(id)) => { active.remove(&id); None }
                        Some(ClientKind::Other) => None,
                    };
                    if let Some((code, reason)) = refusal {
                        let _ = sink.send(close(code, &reason)).await;
                        break;
                    }
                }
                if input.try_send(bytes).is_err() {
                    let _ = sink.send(close(POLICY_VIOLATION, "too many messages")).await;
                    break;
                }
                continue;
            }
            _ = &mut init_deadline, if strict && !acknowledged => {
                close(INIT_TIMEOUT, "Connection initialisation timeout")
            }
            _ = state.shutdown.cancelled() => close(GOING_AWAY, "server shutting down"),
        };
        let closing = matches!(frame, Message::Close(_));
        if sink.send(frame).await.is_err() || closing {
            break;
        }
    }
    metrics::gauge!("agora_websockets_open").decrement(1.0);
}
