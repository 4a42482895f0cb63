//! The server around the schema: health, readiness, metrics, GET rules, limits, request ids,
//! the SDL file, and the CLI.

use std::time::Duration;

use serde_json::json;

use super::common::{
    ServerOptions, TestServer, assert_body_snapshot, assert_code, assert_no_errors,
};

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let server = TestServer::start().await;
    let health = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let ready = server
        .http
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["bus"], "ok");

    let body = server
        .gql_with("query Probe { me { id } }", json!({}), &[])
        .await;
    assert_no_errors(&body);
    server.gql_as("forged", "{ me { id } }", json!({})).await;
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("agora_graphql_requests_total{operation=\"Probe\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("agora_graphql_errors_total{code=\"UNAUTHENTICATED\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("agora_graphql_request_duration_seconds"));
}

#[tokio::test]
async fn graphiql_is_served_at_the_root() {
    let server = TestServer::start().await;
    let page = server
        .http
        .get(server.url("/"))
        .send()
        .await
        .expect("GET /");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("graphiql.min.js"), "{html}");
    // The page's script points GraphiQL at this server's endpoints (more in client_contract.rs).
    let init = server
        .http
        .get(server.url("/graphiql/4.1.2/init.js"))
        .send()
        .await
        .expect("init.js")
        .text()
        .await
        .expect("script");
    assert!(
        init.contains("'/graphql'") && init.contains("'/graphql/ws'"),
        "{init}"
    );
}

/// Status columns are typed (SeaORM `DeriveActiveEnum`): a stored value the code does not
/// know (a row written by a newer release, a hand edit) fails that read as `INTERNAL` with no
/// SQL or value shown, and the rest of the API keeps answering.
#[tokio::test]
async fn an_unknown_stored_status_is_internal_not_a_panic() {
    use sea_orm::ConnectionTrait;
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let topic = super::common::knowledge::topic(&server, &tokens.moderator, "Capitals", None).await;
    let topic_id = topic["id"].as_str().expect("topic id");
    let question = super::common::knowledge::question(
        &server,
        &tokens.moderator,
        topic_id,
        "Capital of France?",
    )
    .await;
    let id = question["id"].as_str().expect("question id");
    let query = "query($id: ID!) { question(id: $id) { status } }";
    let before = server
        .gql_as(&tokens.moderator, query, json!({ "id": id }))
        .await;
    assert_eq!(
        before["data"]["question"]["status"], "PUBLISHED",
        "{before}"
    );
    server
        .state
        .platform
        .db
        .execute_unprepared("UPDATE questions SET status = 'RETIRED'")
        .await
        .expect("update");
    let after = server
        .gql_as(&tokens.moderator, query, json!({ "id": id }))
        .await;
    assert_code!(after, "INTERNAL");
    assert_eq!(after["errors"][0]["message"], "internal error");
    assert!(!after.to_string().contains("RETIRED"), "{after}");
    let topics = server.gql("{ topics { name } }", json!({})).await;
    assert_no_errors(&topics);
}

#[tokio::test]
async fn internal_errors_show_a_request_id_and_no_sql() {
    use sea_orm::ConnectionTrait;
    let server = TestServer::start().await;
    server
        .register("ada@example.org", "a long enough passphrase", "Ada")
        .await;
    // Break the database under the server: the next login cannot record its attempt.
    server
        .state
        .platform
        .db
        .execute_unprepared("DROP TABLE login_attempts")
        .await
        .expect("drop table");
    let response = server
        .http
        .post(server.url("/graphql"))
        .json(&json!({ "query": "mutation { login(input: { email: \"ada@example.org\", password: \"a long enough passphrase\" }) { accessToken } }" }))
        .send()
        .await
        .expect("POST");
    let header_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("id")
        .to_owned();
    let body: serde_json::Value = response.json().await.expect("json");
    assert_code!(body, "INTERNAL");
    assert_body_snapshot!("internal_errors_show_a_request_id_and_no_sql-body", body);
    assert_eq!(
        body["errors"][0]["extensions"]["requestId"],
        header_id.as_str()
    );
    assert_eq!(body["errors"][0]["message"], "internal error");
    let text = body.to_string().to_lowercase();
    assert!(
        !text.contains("login_attempts") && !text.contains("table") && !text.contains("sql"),
        "{body}"
    );
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations_with_405() {
    let server = TestServer::start().await;
    let query = server
        .http
        .get(server.url("/graphql"))
        .query(&[("query", "{ me { id } }")])
        .send()
        .await
        .expect("GET");
    assert_eq!(query.status(), 200);
    let body: serde_json::Value = query.json().await.expect("json");
    assert_no_errors(&body);
    let mutation = server
        .http
        .get(server.url("/graphql"))
        .query(&[("query", "mutation { logout(refreshToken: \"x\") }")])
        .send()
        .await
        .expect("GET");
    assert_eq!(mutation.status(), 405);
    assert_eq!(
        mutation
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("POST")
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let server = TestServer::start().await;
    let response = server
        .http
        .post(server.url("/graphql"))
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .expect("POST");
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("request id");
    assert_eq!(id.len(), 36);
    let echoed = server
        .http
        .post(server.url("/graphql"))
        .header("x-request-id", "client-chosen-id")
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(
        echoed
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("client-chosen-id")
    );
}

#[tokio::test]
async fn oversized_bodies_and_deep_queries_are_refused() {
    let server = TestServer::start().await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let response = server
        .http
        .post(server.url("/graphql"))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"query\":\"{{ me {{ id }} }}\",\"padding\":\"{huge}\"}}"
        ))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 413);

    // 13 fields deep; measured before validation, so the names need not exist.
    let too_deep = format!("{{ {} id {} }}", "a { ".repeat(13), "} ".repeat(13));
    let body = server.gql(&too_deep, json!({})).await;
    assert_code!(body, "LIMIT_EXCEEDED", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], "depth", "{body}");
    // Introspection has its own bound (the standard query nests 14 deep and is answered).
    let too_deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(20),
        "} ".repeat(20)
    );
    let body = server.gql(&too_deep, json!({})).await;
    assert_code!(body, "LIMIT_EXCEEDED", "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["limit"], "introspectionDepth",
        "{body}"
    );

    let wide: String = (0..3000).map(|n| format!("a{n}: me {{ id }} ")).collect();
    let body = server.gql(&format!("{{ {wide} }}"), json!({})).await;
    assert_code!(body, "LIMIT_EXCEEDED", "{body}");
}

#[test]
fn schema_graphql_is_in_sync_with_the_code() {
    let on_disk =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql"))
            .expect("schema.graphql exists at the workspace root");
    assert!(
        on_disk == agora_schema::sdl(),
        "schema.graphql is stale: run `cargo run -- export-schema` and commit it"
    );
}

#[test]
fn invalid_configuration_fails_with_one_line_naming_the_variable() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .arg("migrate")
        .env("AGORA_BIND", "nowhere")
        .output()
        .expect("agora runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("AGORA_BIND"), "{stderr}");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .arg("migrate")
        .env("AGORA_ENV", "production")
        .env_remove("AGORA_JWT_SECRET")
        .output()
        .expect("agora runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("AGORA_JWT_SECRET"), "{stderr}");
}

#[tokio::test]
async fn create_admin_creates_then_promotes() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/agora.db?mode=rwc", dir.path().display());
    let run = |email: &str, password: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
            .args(["create-admin", "--email", email, "--password", password])
            .env("DATABASE_URL", &url)
            .env("AGORA_LOG_FORMAT", "json")
            .output()
            .expect("agora runs")
    };
    let created = run("root@example.org", "a long enough passphrase");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout).contains("created admin root@example.org"));
    let weak = run("root@example.org", "short");
    assert!(!weak.status.success());
    let promoted = run("root@example.org", "another long passphrase");
    assert!(String::from_utf8_lossy(&promoted.stdout).contains("promoted"));
}

#[tokio::test]
async fn a_request_that_never_finishes_does_not_hold_shutdown_past_its_timeout() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--shutdown-timeout".to_owned(), "1s".to_owned()],
        ..Default::default()
    })
    .await;
    // A client that announces a body and never sends it keeps its request in flight.
    let mut stalled = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    stalled
        .write_all(
            b"POST /graphql HTTP/1.1\r\nhost: agora\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"query\":",
        )
        .await
        .expect("write");
    // Let the server take the request in.
    let body = server.gql("{ __typename }", json!({})).await;
    assert_no_errors(&body);
    let started = std::time::Instant::now();
    server.shutdown().await;
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(4),
        "shutdown took {took:?} with a 1 s timeout"
    );
    drop(stalled);
}

#[tokio::test]
async fn every_migration_goes_down_and_up_again() {
    use agora_migration::{Migrator, MigratorTrait};
    let server = TestServer::start_with(ServerOptions {
        idle: true,
        ..Default::default()
    })
    .await;
    let db = &server.state.platform.db;
    let applied = Migrator::get_applied_migrations(db).await.expect("applied");
    assert!(!applied.is_empty());
    Migrator::down(db, None)
        .await
        .expect("every migration goes down");
    assert!(
        Migrator::get_applied_migrations(db)
            .await
            .expect("applied")
            .is_empty()
    );
    Migrator::up(db, None).await.expect("and up again");
    assert_eq!(
        Migrator::get_applied_migrations(db)
            .await
            .expect("applied")
            .len(),
        applied.len()
    );
    // The schema works after the round trip.
    let body = server
        .state
        .schema
        .execute(async_graphql::Request::new("{ achievements { key } }"))
        .await;
    assert!(body.errors.is_empty(), "{:?}", body.errors);
    let data = body.data.into_json().expect("json");
    assert!(!data["achievements"].as_array().expect("list").is_empty());
}

/// SIGINT then SIGTERM at once (Ctrl-C, then a supervisor's stop), and the other order: the
/// first starts the drain, the second changes nothing, and the process exits 0 without a
/// panic. Four runs of each order: the panic this guards against came from a race.
#[tokio::test]
async fn a_second_signal_during_shutdown_is_harmless() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    for (first, second) in [("INT", "TERM"), ("TERM", "INT")].repeat(4) {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("agora.db").display()
        );
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_agora"))
            .arg("serve")
            .env("AGORA_BIND", "127.0.0.1:0")
            .env("DATABASE_URL", &url)
            .env("AGORA_JWT_SECRET", "test-secret-test-secret-test-secret-42")
            .env("AGORA_LITERACY_MEDIA_DIR", dir.path().join("media"))
            .env("AGORA_LOG_FORMAT", "json")
            .env_remove("REDIS_URL")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("agora starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let listening = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("agora listening") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(
            listening,
            Ok(true),
            "the server never said it was listening"
        );
        let pid = child.id().expect("pid");
        let sent = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("kill -{first} {pid}; kill -{second} {pid}"))
            .status()
            .expect("kill");
        assert!(sent.success());
        let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
            .await
            .expect("exits in time")
            .expect("waits");
        let mut rest = String::from_utf8_lossy(&output.stderr).into_owned();
        while let Ok(Some(line)) = lines.next_line().await {
            rest.push_str(&line);
            rest.push('\n');
        }
        assert!(
            !rest.contains("panicked"),
            "SIG{first} then SIG{second}: {rest}"
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "SIG{first} then SIG{second}: {rest}"
        );
    }
}
