//! The operator's tools: parked outbox events listed and replayed (API and CLI), backups and
//! restores of the embedded database, and the load shedder's settings on a live server.

use std::{path::Path, process::Output, time::Duration};

use agora_entities::platform::outbox_event;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use super::common::{
    ServerOptions, TestDb, TestServer, assert_code, assert_no_errors, outbox::emit,
};

const LIST: &str = "query($s: OutboxStatus! = PARKED, $first: Int, $after: String) { outboxEvents(status: $s, first: $first, after: $after) { edges { cursor node { id eventType status attempts lastError payload } } pageInfo { hasNextPage } } }";
const REPLAY: &str =
    "mutation($id: ID!) { replayOutboxEvent(id: $id) { id status attempts lastError } }";

/// A broken `BATTLE_FINISHED` (gamification cannot read it), parked after one attempt.
async fn park_one(server: &TestServer, n: i64) {
    emit(server, "BATTLE_FINISHED", json!({ "broken": n })).await;
}

async fn parked(server: &TestServer, admin: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let body = server
            .gql_as(admin, LIST, json!({ "s": "PARKED", "first": 100 }))
            .await;
        assert_no_errors(&body);
        let edges = body["data"]["outboxEvents"]["edges"]
            .as_array()
            .expect("edges")
            .clone();
        if edges.len() >= n {
            return edges;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("fewer than {n} events were parked");
}

async fn server_parking_at_once(db: Option<&TestDb>) -> TestServer {
    TestServer::start_with(ServerOptions {
        shared_db: db.map(|db| (db.url.clone(), db.search_path.clone())),
        args: vec!["--outbox-max-attempts".into(), "1".into()],
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn parked_events_are_listed_and_replayed_by_admins_only() {
    let server = server_parking_at_once(None).await;
    let tokens = server.role_tokens().await;
    park_one(&server, 1).await;
    park_one(&server, 2).await;
    let edges = parked(&server, &tokens.admin, 2).await;
    let first = &edges[0]["node"];
    assert_eq!(first["eventType"], "BATTLE_FINISHED");
    assert_eq!(first["status"], "PARKED");
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["payload"], json!({ "broken": 1 }), "oldest first");
    assert!(
        !first["lastError"].as_str().unwrap_or_default().is_empty(),
        "the handler's error is kept: {first}"
    );

    // Paging: one at a time, the second page holds the other event.
    let page = server
        .gql_as(&tokens.admin, LIST, json!({ "first": 1 }))
        .await;
    assert_no_errors(&page);
    assert_eq!(
        page["data"]["outboxEvents"]["pageInfo"]["hasNextPage"],
        true
    );
    let cursor = page["data"]["outboxEvents"]["edges"][0]["cursor"].clone();
    let next = server
        .gql_as(&tokens.admin, LIST, json!({ "first": 1, "after": cursor }))
        .await;
    assert_eq!(
        next["data"]["outboxEvents"]["edges"][0]["node"]["payload"],
        json!({ "broken": 2 })
    );

    // Nobody else sees or replays them.
    for token in [&tokens.moderator, &tokens.learner] {
        let body = server.gql_as(token, LIST, json!({})).await;
        assert_code!(body, "FORBIDDEN");
        let body = server
            .gql_as(token, REPLAY, json!({ "id": first["id"] }))
            .await;
        assert_code!(body, "FORBIDDEN");
    }
    assert_code!(server.gql(LIST, json!({})).await, "UNAUTHENTICATED");

    // The operator fixes the payload (as after a bug fix) and replays it: delivered.
    let (_, uuid) = agora_platform::ids::decode_any(
        &async_graphql::ID(first["id"].as_str().expect("id").to_owned()),
        "id",
    )
    .expect("id");
    let row = outbox_event::Entity::find_by_id(uuid)
        .one(&server.state.platform.db)
        .await
        .expect("row")
        .expect("event");
    let mut fixed: outbox_event::ActiveModel = row.into();
    fixed.payload = Set(
        json!({ "roomId": uuid::Uuid::now_v7(), "topicId": null, "questionCount": 1, "players": [] }),
    );
    fixed.update(&server.state.platform.db).await.expect("fix");
    let replayed = server
        .gql_as(&tokens.admin, REPLAY, json!({ "id": first["id"] }))
        .await;
    assert_no_errors(&replayed);
    assert_eq!(replayed["data"]["replayOutboxEvent"]["status"], "PENDING");
    assert_eq!(replayed["data"]["replayOutboxEvent"]["attempts"], 0);
    server.wait_for_outbox().await;
    let done = server
        .gql_as(&tokens.admin, LIST, json!({ "s": "DONE", "first": 100 }))
        .await;
    assert!(
        done["data"]["outboxEvents"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .any(|e| e["node"]["id"] == first["id"]),
        "the replayed event was delivered: {done}"
    );

    // Replaying what is not parked, or nothing at all, says so.
    let again = server
        .gql_as(&tokens.admin, REPLAY, json!({ "id": first["id"] }))
        .await;
    assert_code!(again, "CONFLICT");
    let unknown = agora_platform::ids::encode("OutboxEvent", uuid::Uuid::now_v7());
    assert_code!(
        server
            .gql_as(&tokens.admin, REPLAY, json!({ "id": unknown }))
            .await,
        "NOT_FOUND"
    );
    assert_code!(
        server
            .gql_as(&tokens.admin, REPLAY, json!({ "id": "not-an-id" }))
            .await,
        "BAD_USER_INPUT"
    );

    // The one still broken goes back to parked after its replay, with a fresh error.
    let second = edges[1]["node"]["id"].clone();
    let replayed = server
        .gql_as(&tokens.admin, REPLAY, json!({ "id": second }))
        .await;
    assert_no_errors(&replayed);
    let edges = parked(&server, &tokens.admin, 1).await;
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["id"], second);
    assert_eq!(edges[0]["node"]["attempts"], 1);
}

/// Runs the `agora` binary with `args` on the SQLite database `url`.
async fn agora(url: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("AGORA_LOG_FORMAT", "json")
        .env("RUST_LOG", "error")
        .env(
            "AGORA_LITERACY_MEDIA_DIR",
            std::env::temp_dir().join("agora-cli-media"),
        )
        .env_remove("REDIS_URL")
        .output()
        .await
        .expect("agora runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn the_cli_lists_and_replays_parked_events() {
    let db = TestDb::fresh_sqlite();
    let server = server_parking_at_once(Some(&db)).await;
    let admin = server.register_token("admin@example.org").await;
    park_one(&server, 7).await;
    let edges = parked(&server, &admin, 1).await;
    let (_, uuid) = agora_platform::ids::decode_any(
        &async_graphql::ID(edges[0]["node"]["id"].as_str().expect("id").to_owned()),
        "id",
    )
    .expect("id");

    let listed = agora(&db.url, &["outbox", "list"]).await;
    assert!(listed.status.success(), "{}", text(&listed));
    let out = text(&listed);
    assert!(
        out.contains(&uuid.to_string()) && out.contains("BATTLE_FINISHED"),
        "{out}"
    );
    let none = agora(&db.url, &["outbox", "list", "--status", "pending"]).await;
    assert!(
        text(&none).contains("no Pending outbox events"),
        "{}",
        text(&none)
    );

    let replayed = agora(&db.url, &["outbox", "replay", &uuid.to_string()]).await;
    assert!(replayed.status.success(), "{}", text(&replayed));
    assert!(text(&replayed).contains("queued again"));
    // The running server picks it up (and parks it again: the payload is still broken).
    let row = outbox_event::Entity::find_by_id(uuid)
        .one(&server.state.platform.db)
        .await
        .expect("row")
        .expect("event");
    assert!(
        matches!(
            row.status,
            outbox_event::Status::Pending | outbox_event::Status::Parked
        ),
        "{:?}",
        row.status
    );

    let unknown = agora(&db.url, &["outbox", "replay", "nonsense"]).await;
    assert!(!unknown.status.success());
    assert!(text(&unknown).contains("id"), "{}", text(&unknown));
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_that_moment() {
    let db = TestDb::fresh_sqlite();
    let server = TestServer::start_with(ServerOptions {
        shared_db: Some((db.url.clone(), None)),
        ..Default::default()
    })
    .await;
    server.register_token("before@example.org").await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("agora-backup.db");
    let file_arg = file.display().to_string();

    let backup = agora(&db.url, &["backup", &file_arg]).await;
    assert!(backup.status.success(), "{}", text(&backup));
    assert!(text(&backup).contains("backed up to"));
    let again = agora(&db.url, &["backup", &file_arg]).await;
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );

    server.register_token("after@example.org").await;
    // While the server has the database open, a restore is refused.
    let refused = agora(&db.url, &["restore", &file_arg]).await;
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("stop the server"),
        "{}",
        text(&refused)
    );
    server.shutdown().await;

    let restored = agora(&db.url, &["restore", "--force", &file_arg]).await;
    assert!(restored.status.success(), "{}", text(&restored));
    assert!(text(&restored).contains("kept as"), "{}", text(&restored));

    // The database is the one of the backup's moment.
    let server = TestServer::start_with(ServerOptions {
        shared_db: Some((db.url.clone(), None)),
        ..Default::default()
    })
    .await;
    let before = server
        .login("before@example.org", "a long enough passphrase")
        .await;
    assert_no_errors(&before);
    let after = server
        .login("after@example.org", "a long enough passphrase")
        .await;
    assert_code!(after, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_restore_refuses_what_is_not_a_sound_agora_database() {
    let db = TestDb::fresh_sqlite();
    let dir = tempfile::tempdir().expect("dir");
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"this is not a database").expect("write");
    let foreign = dir.path().join("foreign.db");
    let foreign_url = format!("sqlite://{}?mode=rwc", foreign.display());
    {
        use sea_orm::ConnectionTrait;
        let conn = sea_orm::Database::connect(&foreign_url).await.expect("db");
        conn.execute_unprepared("CREATE TABLE t (x INTEGER)")
            .await
            .expect("table");
        conn.close().await.expect("close");
    }
    for (file, says) in [
        (&garbage, "not a SQLite database"),
        (&foreign, "not an Agora database"),
    ] {
        let out = agora(&db.url, &["restore", &file.display().to_string()]).await;
        assert!(!out.status.success());
        assert!(text(&out).contains(says), "{}", text(&out));
    }
    let missing = agora(&db.url, &["restore", "/nonexistent/backup.db"]).await;
    assert!(
        text(&missing).contains("is not a file"),
        "{}",
        text(&missing)
    );
    // PostgreSQL deployments are pointed at pg_dump.
    let pg = agora("postgres://nobody@127.0.0.1:1/none", &["backup", "x.db"]).await;
    assert!(!pg.status.success());
    assert!(text(&pg).contains("pg_dump"), "{}", text(&pg));
    assert!(!Path::new("x.db").exists());
}
