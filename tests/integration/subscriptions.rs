//! Subscriptions over a real WebSocket, both subprotocols, auth in `connection_init`.

use std::time::Duration;

use serde_json::{Value, json};

use super::common::{
    TestServer, assert_no_errors,
    ws::{self, Incoming, Socket},
};

const VIEWER_UPDATED: &str = "subscription { viewerUpdated { displayName role } }";
const RENAME: &str =
    "mutation($n: String!) { updateProfile(input: { displayName: $n }) { displayName } }";

/// Renames the user until the socket reports a rename (the subscription may not be live the
/// instant `subscribe` is sent); returns the message.
async fn rename_until_seen(server: &TestServer, token: &str, socket: &mut Socket) -> Value {
    for attempt in 0..40 {
        let name = format!("Renamed {attempt}");
        assert_no_errors(&server.gql_as(token, RENAME, json!({ "n": name })).await);
        if let Some(incoming) = ws::try_next(socket, Duration::from_millis(500)).await {
            match incoming {
                Incoming::Json(message) => return message,
                Incoming::Closed(code) => panic!("socket closed ({code:?})"),
            }
        }
    }
    panic!("no subscription event arrived");
}

#[tokio::test]
async fn transport_ws_subscription_authenticates_in_connection_init() {
    let server = TestServer::start().await;
    let token = server.register_token("ada@example.org").await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    let ack = ws::init_transport(
        &mut socket,
        json!({ "authorization": format!("Bearer {token}") }),
    )
    .await;
    assert!(
        matches!(&ack, Incoming::Json(v) if v["type"] == "connection_ack"),
        "{ack:?}"
    );
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": VIEWER_UPDATED } }),
    )
    .await;
    let message = rename_until_seen(&server, &token, &mut socket).await;
    assert_eq!(message["type"], "next");
    assert_eq!(message["id"], "1");
    assert!(
        message["payload"]["data"]["viewerUpdated"]["displayName"]
            .as_str()
            .expect("name")
            .starts_with("Renamed")
    );
    assert_eq!(message["payload"]["data"]["viewerUpdated"]["role"], "ADMIN");
}

#[tokio::test]
async fn legacy_graphql_ws_protocol_is_served_too() {
    let server = TestServer::start().await;
    let token = server.register_token("ada@example.org").await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-ws").await;
    ws::send(&mut socket, json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } })).await;
    assert_eq!(ws::next_json(&mut socket).await["type"], "connection_ack");
    ws::send(
        &mut socket,
        json!({ "id": "7", "type": "start", "payload": { "query": VIEWER_UPDATED } }),
    )
    .await;
    let message = rename_until_seen(&server, &token, &mut socket).await;
    assert_eq!(message["type"], "data");
    assert_eq!(message["id"], "7");
}

#[tokio::test]
async fn invalid_token_in_connection_init_is_refused() {
    let server = TestServer::start().await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    let answer = ws::init_transport(&mut socket, json!({ "authorization": "Bearer forged" })).await;
    match answer {
        Incoming::Closed(Some(code)) => assert_eq!(code, 4403),
        other => panic!("expected a 4403 close, got {other:?}"),
    }
}

#[tokio::test]
async fn anonymous_subscriber_gets_unauthenticated() {
    let server = TestServer::start().await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    let ack = ws::init_transport(&mut socket, json!({})).await;
    assert!(matches!(&ack, Incoming::Json(v) if v["type"] == "connection_ack"));
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": VIEWER_UPDATED } }),
    )
    .await;
    let message = ws::next_json(&mut socket).await;
    let errors = if message["type"] == "error" {
        &message["payload"]
    } else {
        &message["payload"]["errors"]
    };
    assert_eq!(
        errors[0]["extensions"]["code"], "UNAUTHENTICATED",
        "{message}"
    );
}

#[tokio::test]
async fn shutdown_closes_websockets_with_going_away() {
    let server = TestServer::start().await;
    let token = server.register_token("ada@example.org").await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    ws::init_transport(
        &mut socket,
        json!({ "authorization": format!("Bearer {token}") }),
    )
    .await;
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": VIEWER_UPDATED } }),
    )
    .await;
    let stopping = tokio::spawn(server.shutdown());
    match ws::next(&mut socket).await {
        Incoming::Closed(code) => assert_eq!(code, Some(1001)),
        Incoming::Json(message) => panic!("expected a close, got {message}"),
    }
    stopping.await.expect("shutdown completes");
}
