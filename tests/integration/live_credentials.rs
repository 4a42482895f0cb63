//! Credentials on open WebSockets: every operation re-checks them, revocations close the
//! sockets holding them (on every replica) with 4403, and an access token's `exp` closes its
//! socket unless the client re-authenticates with a ping.

use std::time::Duration;

use serde_json::{Value, json};

use super::common::{
    ServerOptions, TestDb, TestServer, assert_code, assert_no_errors, postgres_and_redis,
    ws::{self, Incoming, Socket},
};

const PASSWORD: &str = "a long enough passphrase";

/// A socket signed in with `payload`, acknowledged.
async fn signed_in(server: &TestServer, payload: Value) -> Socket {
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    match ws::init_transport(&mut socket, payload).await {
        Incoming::Json(ack) => assert_eq!(ack["type"], "connection_ack", "{ack}"),
        Incoming::Closed(code) => panic!("init refused with {code:?}"),
    }
    socket
}

fn bearer(token: &str) -> Value {
    json!({ "authorization": format!("Bearer {token}") })
}

/// Runs one operation as `id` on `socket`; its single result.
async fn run(socket: &mut Socket, id: &str, query: &str, variables: Value) -> Value {
    ws::send(
        socket,
        json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }),
    )
    .await;
    let message = ws::next_json(socket).await;
    assert_eq!(message["id"], id, "{message}");
    match message["type"].as_str() {
        Some("next") => {
            let complete = ws::next_json(socket).await;
            assert_eq!(complete, json!({ "id": id, "type": "complete" }));
            message["payload"].clone()
        }
        Some("error") => json!({ "errors": message["payload"] }),
        _ => panic!("unexpected message {message}"),
    }
}

/// The socket's next event is a close with 4403 (within 10 s).
async fn assert_closed_forbidden(socket: &mut Socket) {
    loop {
        match ws::next(socket).await {
            Incoming::Closed(code) => {
                assert_eq!(code, Some(4403), "closed with {code:?}");
                return;
            }
            Incoming::Json(message) => {
                assert_ne!(message["type"], "next", "still served: {message}");
            }
        }
    }
}

async fn register(server: &TestServer, email: &str) -> Value {
    server.register(email, PASSWORD, "Tester").await
}

fn field<'a>(payload: &'a Value, name: &str) -> &'a str {
    payload[name].as_str().expect(name)
}

/// Ends the session `signed_up` (a `register` payload) holds.
async fn logout(server: &TestServer, signed_up: &Value) {
    let out = server
        .gql(
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": field(signed_up, "refreshToken") }),
        )
        .await;
    assert_eq!(out["data"]["logout"], true, "{out}");
}

/// Revokes the key `key_id` as `admin`.
async fn revoke_key(server: &TestServer, admin: &str, key_id: &str) {
    let revoked = server
        .gql_as(
            admin,
            "mutation($k: ID!) { revokeApiKey(id: $k) }",
            json!({ "k": key_id }),
        )
        .await;
    assert_eq!(revoked["data"]["revokeApiKey"], true, "{revoked}");
}

#[tokio::test]
async fn logout_closes_the_sessions_socket_with_4403() {
    let server = TestServer::start().await;
    let alice = register(&server, "alice@example.org").await;
    let mut socket = signed_in(&server, bearer(field(&alice, "accessToken"))).await;
    let me = run(&mut socket, "1", "{ me { email } }", json!({})).await;
    assert_eq!(me["data"]["me"]["email"], "alice@example.org");

    logout(&server, &alice).await;
    assert_closed_forbidden(&mut socket).await;
}

#[tokio::test]
async fn an_operation_after_the_session_ended_is_refused_even_without_the_announcement() {
    use agora_entities::identity::session;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let server = TestServer::start().await;
    let alice = register(&server, "alice@example.org").await;
    let mut socket = signed_in(&server, bearer(field(&alice, "accessToken"))).await;
    // The session ends behind the server's back: no announcement reaches the socket.
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(chrono::Utc::now()))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&server.state.platform.db)
        .await
        .expect("revoked");
    let me = run(&mut socket, "1", "{ me { email } }", json!({})).await;
    assert_code!(me, "UNAUTHENTICATED", "{me}");
}

#[tokio::test]
async fn a_password_change_closes_the_other_sessions_sockets_and_keeps_its_own() {
    let server = TestServer::start().await;
    let alice = register(&server, "alice@example.org").await;
    let other = server.login("alice@example.org", PASSWORD).await;
    assert_no_errors(&other);
    let other_token = other["data"]["login"]["accessToken"]
        .as_str()
        .expect("token");
    let mut stolen = signed_in(&server, bearer(field(&alice, "accessToken"))).await;
    let mut own = signed_in(&server, bearer(other_token)).await;

    let changed = server
        .gql_as(
            other_token,
            "mutation($i: ChangePasswordInput!) { changePassword(input: $i) }",
            json!({ "i": { "currentPassword": PASSWORD, "newPassword": "another long passphrase" } }),
        )
        .await;
    assert_no_errors(&changed);
    assert_closed_forbidden(&mut stolen).await;
    let me = run(&mut own, "1", "{ me { email } }", json!({})).await;
    assert_eq!(me["data"]["me"]["email"], "alice@example.org", "{me}");
}

#[tokio::test]
async fn a_demoted_moderator_loses_moderator_rights_on_the_open_socket() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let moderator = register(&server, "mod@example.org").await;
    let id = moderator["user"]["id"].as_str().expect("id");
    server.set_role(&admin, id, "MODERATOR").await;
    let mut socket = signed_in(&server, bearer(field(&moderator, "accessToken"))).await;
    let create = "mutation($i: CreateTopicInput!) { createTopic(input: $i) { name } }";
    let made = run(
        &mut socket,
        "1",
        create,
        json!({ "i": { "name": "Tides" } }),
    )
    .await;
    assert_eq!(made["data"]["createTopic"]["name"], "Tides", "{made}");

    server.set_role(&admin, id, "LEARNER").await;
    let refused = run(
        &mut socket,
        "2",
        create,
        json!({ "i": { "name": "Storms" } }),
    )
    .await;
    assert_code!(refused, "FORBIDDEN", "{refused}");
    let export = run(
        &mut socket,
        "3",
        "{ exportQuestions(format: CSV) }",
        json!({}),
    )
    .await;
    assert_code!(export, "FORBIDDEN", "{export}");
}

/// An API key of `owner` with `scopes`: (id, secret).
async fn api_key(server: &TestServer, owner: &str, scopes: Value) -> (String, String) {
    let created = server
        .gql_as(
            owner,
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }",
            json!({ "i": { "name": "socket", "scopes": scopes } }),
        )
        .await;
    assert_no_errors(&created);
    let key = &created["data"]["createApiKey"];
    (
        key["apiKey"]["id"].as_str().expect("id").to_owned(),
        key["secret"].as_str().expect("secret").to_owned(),
    )
}

#[tokio::test]
async fn a_revoked_write_key_can_no_longer_act_on_its_open_socket() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let learner = register(&server, "lea@example.org").await;
    let (key_id, secret) = api_key(&server, &admin, json!(["WRITE"])).await;
    let mut socket = signed_in(&server, json!({ "apiKey": secret })).await;
    let promote = "mutation($u: ID!) { setUserRole(userId: $u, role: CONTRIBUTOR) { role } }";
    let learner_id = learner["user"]["id"].clone();
    let done = run(&mut socket, "1", promote, json!({ "u": learner_id })).await;
    assert_eq!(done["data"]["setUserRole"]["role"], "CONTRIBUTOR", "{done}");

    revoke_key(&server, &admin, &key_id).await;
    assert_closed_forbidden(&mut socket).await;
}

/// The pong answering a `ping` carrying `payload`.
async fn ping(socket: &mut Socket, payload: Value) -> Value {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    ws::send(socket, json!({ "type": "ping", "payload": payload })).await;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("an answer to the ping within 10 s");
        match message {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).expect("JSON message");
                if value["type"] == "pong" {
                    return value;
                }
            }
            Some(Ok(Message::Close(frame))) => {
                return json!({ "closed": frame.map(|f| u16::from(f.code)) });
            }
            Some(Ok(_)) => {}
            other => panic!("socket failed: {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_expired_access_token_closes_its_socket_unless_the_client_reauthenticates() {
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--access-token-ttl".into(), "3s".into()],
        ..Default::default()
    })
    .await;
    let alice = register(&server, "alice@example.org").await;
    let bob = register(&server, "bob@example.org").await;
    let first = field(&alice, "accessToken");
    let mut lapsing = signed_in(&server, bearer(first)).await;
    let mut renewed = signed_in(&server, bearer(first)).await;

    // Another user's token is no re-authentication: that socket closes.
    let mut hijacked = signed_in(&server, bearer(first)).await;
    let refused = ping(&mut hijacked, bearer(field(&bob, "accessToken"))).await;
    assert_eq!(refused["closed"], 4403, "{refused}");

    // A second later the refreshed token outlives the first by at least a second.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let refreshed = server
        .gql(
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({ "t": field(&alice, "refreshToken") }),
        )
        .await;
    assert_no_errors(&refreshed);
    let fresh = refreshed["data"]["refreshSession"]["accessToken"]
        .as_str()
        .expect("token");
    let pong = ping(&mut renewed, bearer(fresh)).await;
    assert_eq!(pong["payload"]["reauthenticated"], true, "{pong}");

    // The first token lapses: its socket closes, the re-authenticated one keeps serving...
    assert_closed_forbidden(&mut lapsing).await;
    let me = run(&mut renewed, "1", "{ me { email } }", json!({})).await;
    assert_eq!(me["data"]["me"]["email"], "alice@example.org", "{me}");
    // ...until its own token lapses too.
    assert_closed_forbidden(&mut renewed).await;
}

#[tokio::test]
async fn a_revocation_on_one_replica_closes_sockets_on_the_other_requires_postgres_and_redis() {
    let Some((pg, redis_url)) = postgres_and_redis("two-replica revocation test").await else {
        return;
    };
    let db = TestDb::fresh_postgres(&pg).await;
    let prefix = format!("agora_t_{}", uuid::Uuid::new_v4().simple());
    let replica = || ServerOptions {
        shared_db: Some((db.url.clone(), db.search_path.clone())),
        redis: Some((redis_url.clone(), prefix.clone())),
        ..Default::default()
    };
    let a = TestServer::start_with(replica()).await;
    let b = TestServer::start_with(replica()).await;
    let admin = a.register_token("admin@example.org").await;
    let alice = register(&a, "alice@example.org").await;
    let (key_id, secret) = api_key(&a, &admin, json!(["WRITE"])).await;
    let mut session_socket = signed_in(&b, bearer(field(&alice, "accessToken"))).await;
    let mut key_socket = signed_in(&b, json!({ "apiKey": secret })).await;

    logout(&a, &alice).await;
    assert_closed_forbidden(&mut session_socket).await;

    revoke_key(&a, &admin, &key_id).await;
    assert_closed_forbidden(&mut key_socket).await;
}
