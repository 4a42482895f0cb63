//! GraphQL over WebSocket on `/graphql/ws` (and on `/graphql`, for clients given one URL):
//! `graphql-transport-ws` and the legacy `graphql-ws`.
//!
//! Credentials come in the `connection_init` payload (`{"authorization": "Bearer ..."}` or
//! `{"apiKey": "..."}`, and the other shapes [`credentials_in`] lists); headers of the upgrade
//! request are the fallback for non-browser clients. On shutdown every connection is closed
//! with 1001 (going away); a client's own close is answered with its code.
//!
//! Every operation on a socket authenticates the connection's credentials afresh, as HTTP does
//! per request: after `logout`, a password change, a demotion or a revoked key the next
//! operation runs with the rights held now (or is refused). A session or key revoked on any
//! replica closes the sockets holding it with 4403 (announced on the bus, see
//! [`crate::live_sockets`]); so does the access token's `exp`, unless the client sends a
//! `ping` whose payload carries a fresh token for the same user (`{"authorization": "Bearer
//! ..."}`), which the pong confirms with `{"reauthenticated": true, "expiresAt": ...}`.
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
//! `AGORA_WS_CONNECTIONS_PER_IP` sockets per replica (429 beyond). The operation cap, the rate
//! and the init timeout hold on the legacy `graphql-ws` protocol too.

use agora_identity::api;
use agora_platform::{AppError, auth::Viewer, ratelimit::LimitClass};
use agora_schema::{ClientAddr, OwnedCredentials, RequestId, SocketCredentials};
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
    time::Duration,
};

use tokio::sync::watch;

use crate::live_sockets::Identity;

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

/// `GET /graphql/ws` (or `GET /graphql` with `Upgrade: websocket`): upgrades to a GraphQL
/// WebSocket.
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
        Some(addr) => match state
            .sockets
            .acquire(addr, config.websocket.ws_connections_per_ip)
        {
            Some(slot) => Some(slot),
            None => {
                return crate::graphql_http::rate_limited_response(
                    crate::graphql_http::request_id_of(&headers),
                    60,
                    format!(
                        "at most {} WebSockets may be open from one address",
                        config.websocket.ws_connections_per_ip
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
    let fallback = OwnedCredentials {
        authorization: header("authorization"),
        api_key: header("x-api-key"),
    };
    let request_id = header(crate::REQUEST_ID_HEADER.as_str()).unwrap_or_default();
    // Small buffers: a subscriber mostly receives; tungstenite's 128 KiB defaults per socket
    // dominated memory at thousands of sockets. Writes go out eagerly and a stuck client's
    // backlog is capped.
    let max_message = config.websocket.ws_max_message_bytes;
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

/// What a client message is, as far as the connection rules care.
enum ClientKind {
    Init,
    Subscribe(String),
    Complete(String),
    Other,
}

/// Checks a client message's shape in `protocol` (`subscribe`/`complete` of
/// graphql-transport-ws, `start`/`stop` of the legacy graphql-ws); `None` is malformed (a
/// 4400 on graphql-transport-ws, the engine's own answer on the legacy protocol).
fn classify(bytes: &[u8], protocol: WebSocketProtocols) -> Option<ClientKind> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let id = || value.get("id").and_then(|v| v.as_str()).map(str::to_owned);
    let legacy = protocol == WebSocketProtocols::SubscriptionsTransportWS;
    match (value.get("type")?.as_str()?, legacy) {
        ("connection_init", _) => Some(ClientKind::Init),
        ("ping" | "pong", false) | ("connection_terminate", true) => Some(ClientKind::Other),
        ("subscribe", false) | ("start", true) => {
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
        ("complete", false) | ("stop", true) => Some(ClientKind::Complete(id()?)),
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

/// An `error` message for operation `id`: refused, the connection stays open. The legacy
/// protocol carries one error object, graphql-transport-ws a list.
fn operation_error(id: &str, error: AppError, protocol: WebSocketProtocols) -> Message {
    let error = serde_json::to_value(error.into_server_error()).unwrap_or_default();
    let payload = match protocol {
        WebSocketProtocols::SubscriptionsTransportWS => error,
        _ => serde_json::Value::Array(vec![error]),
    };
    let message = serde_json::json!({ "id": id, "type": "error", "payload": payload });
    Message::Text(message.to_string().into())
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Credentials in a `connection_init` or re-authenticating `ping` payload, else `fallback`
/// (the upgrade request's headers). The shapes clients send: `{"authorization": "Bearer
/// ..."}` (any case; Apollo's and graphql-ws's documented form), `{"headers": {"Authorization":
/// ...}}` (clients that reuse their HTTP headers), `{"authToken": "..."}` or `{"token": "..."}`
/// (a bare token, `Bearer ` added), and `{"apiKey": ...}` / `{"x-api-key": ...}`. A payload
/// naming credentials in any other way is refused (`Err`, closed with 4403) rather than taken
/// as anonymous.
fn credentials_in(
    payload: &serde_json::Value,
    fallback: &OwnedCredentials,
) -> Result<OwnedCredentials, String> {
    let objects = [Some(payload), payload.get("headers")];
    let field = |names: &[&str]| {
        objects.iter().flatten().find_map(|object| {
            object.as_object()?.iter().find_map(|(key, value)| {
                names
                    .iter()
                    .any(|n| key.eq_ignore_ascii_case(n))
                    .then(|| value.as_str().map(str::to_owned))
                    .flatten()
            })
        })
    };
    let bearer = field(&["authToken", "token", "accessToken"]).map(|token| {
        if token.starts_with("Bearer ") {
            token
        } else {
            format!("Bearer {token}")
        }
    });
    let credentials = OwnedCredentials {
        authorization: field(&["authorization"])
            .or(bearer)
            .or_else(|| fallback.authorization.clone()),
        api_key: field(&["apiKey", "api_key", "x-api-key"]).or_else(|| fallback.api_key.clone()),
    };
    let known = [
        "authorization",
        "authtoken",
        "token",
        "accesstoken",
        "apikey",
        "api_key",
        "x-api-key",
    ];
    let unknown = objects.iter().flatten().find_map(|object| {
        object.as_object()?.keys().find(|key| {
            let key = key.to_ascii_lowercase();
            !known.contains(&key.as_str())
                && ["auth", "token", "bearer", "jwt", "session", "password"]
                    .iter()
                    .any(|hint| key.contains(hint))
        })
    });
    match unknown {
        Some(key) => Err(format!(
            "credentials in `{key}` are not read: send {{\"authorization\": \"Bearer <token>\"}} \
             or {{\"apiKey\": \"<key>\"}}"
        )),
        None => Ok(credentials),
    }
}

/// The viewer `credentials` give now, and when the access token among them expires.
async fn sign_in(
    platform: &agora_platform::Platform,
    credentials: &OwnedCredentials,
) -> Result<Identity, AppError> {
    let viewer = credentials.authenticate(platform).await?;
    let expires_at = match (&viewer, &credentials.authorization) {
        (Viewer::User(_), Some(authorization)) => api::access_token_expiry(platform, authorization),
        _ => None,
    };
    Ok(Identity { viewer, expires_at })
}

/// Why a socket closes when its access token expires.
const TOKEN_EXPIRED: &str = "access token expired: ping with a fresh one, or reconnect";

async fn serve_socket(
    state: AppState,
    socket: WebSocket,
    protocol: WebSocketProtocols,
    fallback: OwnedCredentials,
    request_id: String,
    addr: Option<IpAddr>,
) {
    metrics::gauge!("agora_websockets_open").increment(1.0);
    let (mut sink, mut stream) = socket.split();
    let (input, queue) = tokio::sync::mpsc::channel::<Vec<u8>>(INPUT_QUEUE);
    let platform = state.platform.clone();
    // Who the socket is signed in as, kept current by `connection_init` and re-authenticating
    // pings; the registry closes it when its credentials are revoked on any replica.
    let credentials = SocketCredentials::default();
    let (identity_tx, identity_rx) = watch::channel(Identity::default());
    let identity_tx = Arc::new(identity_tx);
    let (revoked_tx, mut revoked) = tokio::sync::mpsc::channel::<&'static str>(1);
    let _registration = state
        .live
        .register(identity_rx.clone(), credentials.clone(), revoked_tx);
    // async-graphql closes a refused `connection_init` (and a refused ping) with 1002;
    // graphql-transport-ws asks for 4403 Forbidden, so remember the refusal and send that.
    let refused = Arc::new(AtomicBool::new(false));
    let on_init = {
        let (platform, credentials, identity) =
            (platform.clone(), credentials.clone(), identity_tx.clone());
        let refused = Arc::clone(&refused);
        move |payload: serde_json::Value| async move {
            let signed_in = match credentials_in(&payload, &fallback) {
                Ok(presented) => sign_in(&platform, &presented)
                    .await
                    .map(|signed_in| (presented, signed_in)),
                Err(reason) => Err(AppError::Forbidden(reason)),
            };
            let (presented, signed_in) =
                signed_in.inspect_err(|_| refused.store(true, Ordering::SeqCst))?;
            let mut data = Data::default();
            data.insert(signed_in.viewer.clone());
            data.insert(RequestId(request_id));
            data.insert(ClientAddr(addr));
            credentials.replace(presented);
            data.insert(credentials);
            agora_schema::insert_request_data(&mut data, &platform);
            identity.send_replace(signed_in);
            Ok(data)
        }
    };
    // A `ping` whose payload carries credentials re-authenticates the socket (the same user
    // only): a client refreshes its access token before `exp` without reconnecting.
    let on_ping = {
        let (platform, credentials, identity) =
            (platform.clone(), credentials.clone(), identity_tx.clone());
        let refused = Arc::clone(&refused);
        move |_: Option<&Data>, payload: Option<serde_json::Value>| async move {
            let presented =
                credentials_in(&payload.unwrap_or_default(), &OwnedCredentials::default())
                    .map_err(AppError::Forbidden)
                    .inspect_err(|_| refused.store(true, Ordering::SeqCst))?;
            if presented == OwnedCredentials::default() {
                return Ok(None);
            }
            let current = identity.borrow().viewer.user_id();
            let checked = sign_in(&platform, &presented).await.and_then(|fresh| {
                if current.is_some() && fresh.viewer.user_id() == current {
                    Ok(fresh)
                } else {
                    Err(AppError::Forbidden(
                        "re-authenticate as the user the connection signed in as".into(),
                    ))
                }
            });
            let fresh = checked.inspect_err(|_| refused.store(true, Ordering::SeqCst))?;
            let expires_at = fresh.expires_at;
            credentials.replace(presented);
            identity.send_replace(fresh);
            Ok(Some(
                serde_json::json!({ "reauthenticated": true, "expiresAt": expires_at }),
            ))
        }
    };
    let mut outgoing = GraphQLWebSocket::new(
        state.executor.clone(),
        tokio_stream::wrappers::ReceiverStream::new(queue),
        protocol,
    )
    .on_connection_init(on_init)
    .on_ping(on_ping);
    // The connection rules of graphql-transport-ws (PROTOCOL.md) that the engine does not
    // enforce itself; the operation cap, rate and init timeout hold on both protocols.
    let strict = protocol == WebSocketProtocols::GraphQLWS;
    let config = &state.platform.config;
    let init_deadline = tokio::time::sleep(config.websocket.ws_init_timeout);
    tokio::pin!(init_deadline);
    let mut identity_changes = identity_rx;
    let expiry = tokio::time::sleep(Duration::from_secs(86_400));
    tokio::pin!(expiry);
    let mut expires = false;
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
                    Some(Ok(Message::Close(_))) => {
                        // The client closed: tungstenite has queued the echo of its Close
                        // frame; flushing sends it, so the client sees a clean close with its
                        // own code instead of 1006.
                        let _ = sink.flush().await;
                        break;
                    }
                    None => break,
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
                let kind = classify(&bytes, protocol);
                let refusal = match kind {
                    None if strict => Some((BAD_MESSAGE, "Invalid message received".to_owned())),
                    Some(ClientKind::Init) if strict && initialised => Some((TOO_MANY_INITS, "Too many initialisation requests".to_owned())),
                    Some(ClientKind::Init) => { initialised = true; None }
                    Some(ClientKind::Subscribe(_)) if strict && !acknowledged => Some((UNAUTHORIZED, "Unauthorized".to_owned())),
                    Some(ClientKind::Subscribe(id)) if strict && active.contains(&id) => Some((DUPLICATE_ID, format!("Subscriber for {id} already exists"))),
                    Some(ClientKind::Subscribe(id)) => {
                        if let Some(error) = admit_operation(&state, addr, active.len()).await {
                            if sink.send(operation_error(&id, error, protocol)).await.is_err() {
                                break;
                            }
                            continue;
                        }
                        active.insert(id);
                        bytes = document_id_into_extensions(bytes);
                        None
                    }
                    Some(ClientKind::Complete(id)) => { active.remove(&id); None }
                    Some(ClientKind::Other) | None => None,
                };
                if let Some((code, reason)) = refusal {
                    let _ = sink.send(close(code, &reason)).await;
                    break;
                }
                if input.try_send(bytes).is_err() {
                    let _ = sink.send(close(POLICY_VIOLATION, "too many messages")).await;
                    break;
                }
                continue;
            }
            changed = identity_changes.changed() => {
                if changed.is_ok() {
                    let expires_at = identity_changes.borrow_and_update().expires_at;
                    expires = expires_at.is_some();
                    if let Some(at) = expires_at {
                        let left = (at - platform.clock.now()).to_std().unwrap_or_default();
                        expiry.as_mut().reset(tokio::time::Instant::now() + left);
                    }
                }
                continue;
            }
            _ = &mut expiry, if expires => close(FORBIDDEN, TOKEN_EXPIRED),
            Some(reason) = revoked.recv() => close(FORBIDDEN, reason),
            _ = &mut init_deadline, if !acknowledged => {
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

/// The operation cap and the address's request rate, checked before a new operation starts
/// on a socket; the refusal to send in its `error` message, if any.
async fn admit_operation(
    state: &AppState,
    addr: Option<IpAddr>,
    running: usize,
) -> Option<AppError> {
    let max = state.platform.config.websocket.ws_max_subscriptions;
    if running >= max {
        return Some(AppError::LimitExceeded {
            message: format!("at most {max} operations may run at once on one connection"),
            limit: "subscriptions",
            max,
        });
    }
    // Each operation on a socket counts against its address's request rate, as an HTTP
    // request does, so subscribe/complete churn cannot run unlimited operations.
    let addr = addr?;
    let refusal = state
        .rate_limits
        .check(LimitClass::Ip, &addr.to_string(), 1)
        .await
        .err()?;
    let secs = refusal.retry_after_secs();
    Some(AppError::RateLimited {
        message: format!("too many operations from this address; retry in {secs} s"),
        retry_after_secs: secs,
    })
}
