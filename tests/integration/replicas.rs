//! Two replicas on one PostgreSQL and one Redis: a subscriber on A sees a change made on B.
//! Replica B is a separate `agora` process (the real binary).

use std::time::Duration;

use serde_json::json;

use super::common::{ServerOptions, TestDb, TestServer, infra::Replica, postgres_and_redis, ws};

#[tokio::test]
async fn subscriber_on_one_replica_sees_a_mutation_made_on_another_requires_postgres_and_redis() {
    let Some((pg, redis_url)) = postgres_and_redis("two-replica test").await else {
        return;
    };
    let db = TestDb::fresh_postgres(&pg).await;
    let prefix = format!("agora_t_{}", uuid::Uuid::new_v4().simple());
    let replica_a = TestServer::start_with(ServerOptions {
        shared_db: Some((db.url.clone(), db.search_path.clone())),
        redis: Some((redis_url.clone(), prefix.clone())),
        ..Default::default()
    })
    .await;

    // Replica B: the real binary, same database schema and Redis prefix, its own port.
    let schema = db.search_path.clone().expect("schema");
    let separator = if pg.contains('?') { '&' } else { '?' };
    let url_b = format!("{pg}{separator}options=-c%20search_path%3D{schema}");
    let replica_b = Replica::start(&url_b, &redis_url, &prefix, &[]).await;

    // Register on A, subscribe on A, mutate on B.
    let token = replica_a.register_token("ada@example.org").await;
    let mut socket = ws::connect(&replica_a.ws_url(), "graphql-transport-ws").await;
    ws::init_transport(
        &mut socket,
        json!({ "authorization": format!("Bearer {token}") }),
    )
    .await;
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { viewerUpdated { displayName } }" } }),
    )
    .await;
    let client = reqwest::Client::new();
    let mut seen = None;
    for attempt in 0..40 {
        let body: serde_json::Value = client
            .post(replica_b.url("/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": format!("mutation {{ updateProfile(input: {{ displayName: \"From B {attempt}\" }}) {{ displayName }} }}") }))
            .send()
            .await
            .expect("B answers")
            .json()
            .await
            .expect("JSON");
        assert!(body.get("errors").is_none(), "{body}");
        if let Some(ws::Incoming::Json(message)) =
            ws::try_next(&mut socket, Duration::from_millis(500)).await
        {
            seen = Some(message);
            break;
        }
    }
    let message = seen.expect("replica A's subscriber received B's change");
    assert!(
        message["payload"]["data"]["viewerUpdated"]["displayName"]
            .as_str()
            .expect("name")
            .starts_with("From B")
    );

    replica_b.kill9().await;
    replica_a.shutdown().await;
}
