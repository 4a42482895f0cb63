//! Findings of the second security review, each fixed and kept fixed: key scopes, metrics
//! labels, trusted proxies, the legacy WebSocket protocol's caps, HTTP ingestion rights,
//! password-change guessing and classroom-sized sign-in limits.

use std::time::Duration;

use serde_json::{Value, json};

use super::common::{
    ServerOptions, TestServer, assert_body_snapshot, assert_code, assert_no_errors, error_code,
    ws::{self, Incoming},
};

const CREATE_KEY: &str =
    "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }";
const PROMOTE: &str = "mutation($u: ID!) { setUserRole(userId: $u, role: ADMIN) { role } }";

async fn key(server: &TestServer, owner: &str, scopes: Value) -> Value {
    server
        .gql_as(
            owner,
            CREATE_KEY,
            json!({ "i": { "name": "k", "scopes": scopes } }),
        )
        .await
}

#[tokio::test]
async fn sensors_write_cannot_be_combined_with_another_scope() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    for scopes in [
        json!(["READ", "SENSORS_WRITE"]),
        json!(["PARTNER", "SENSORS_WRITE"]),
        json!(["WRITE", "SENSORS_WRITE"]),
    ] {
        let refused = key(&server, &admin, scopes.clone()).await;
        assert_code!(refused, "BAD_USER_INPUT", "{scopes}: {refused}");
        assert_body_snapshot!(
            "sensors_write_cannot_be_combined_with_another_scope-refused",
            refused
        );
    }
}

#[tokio::test]
async fn a_key_holding_sensors_write_runs_no_mutation_but_ingestion() {
    use agora_entities::identity::api_key;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let learner = server
        .register("lea@example.org", "a long enough passphrase", "Lea")
        .await;
    let learner_id = learner["user"]["id"].clone();
    // Keys minted before the rule: scopes mixed in the database.
    for scopes in [
        json!(["READ", "SENSORS_WRITE"]),
        json!(["PARTNER", "SENSORS_WRITE"]),
    ] {
        let created = key(&server, &admin, json!(["READ"])).await;
        assert_no_errors(&created);
        let secret = created["data"]["createApiKey"]["secret"]
            .as_str()
            .expect("secret");
        let id = created["data"]["createApiKey"]["apiKey"]["id"]
            .as_str()
            .expect("id");
        let (_, uuid) = agora_platform::ids::decode_any(&async_graphql::ID(id.to_owned()), "id")
            .expect("global id");
        api_key::Entity::update_many()
            .col_expr(api_key::Column::Scopes, Expr::value(scopes.clone()))
            .filter(api_key::Column::Id.eq(uuid))
            .exec(&server.state.platform.db)
            .await
            .expect("scopes mixed");
        // A PARTNER key meets the trusted-document rule first; either way nothing runs.
        let refused = |body: &Value| {
            body["data"].is_null()
                && ["FORBIDDEN", "PERSISTED_QUERY_REQUIRED"].contains(&error_code(body))
        };
        let promoted = server
            .gql_with(
                PROMOTE,
                json!({ "u": learner_id }),
                &[("x-api-key", secret)],
            )
            .await;
        assert!(refused(&promoted), "{scopes}: {promoted}");
        let profile = server
            .gql_with(
                "mutation { updateProfile(input: { displayName: \"Key\" }) { displayName } }",
                json!({}),
                &[("x-api-key", secret)],
            )
            .await;
        assert!(refused(&profile), "{scopes}: {profile}");
    }
    let roles = server
        .gql_as(
            &admin,
            "{ users(first: 10) { edges { node { email role } } } }",
            json!({}),
        )
        .await;
    assert!(
        roles
            .to_string()
            .contains(r#""email":"lea@example.org","role":"LEARNER""#),
        "{roles}"
    );
}

#[tokio::test]
async fn an_admins_read_key_cannot_push_readings_over_http() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let station = server
        .gql_as(
            &admin,
            "mutation { createStation(input: { name: \"Roof\", city: \"Kampala\", country: \"UG\", latitude: 0.3, longitude: 32.6 }) { id } }",
            json!({}),
        )
        .await;
    assert_no_errors(&station);
    let station = station["data"]["createStation"]["id"].as_str().expect("id");
    let created = key(&server, &admin, json!(["READ"])).await;
    let secret = created["data"]["createApiKey"]["secret"]
        .as_str()
        .expect("secret");
    let payload = json!([{ "time": "2026-12-01T10:00:00Z", "pm2_5": { "value": 12.0 } }]);
    for endpoint in ["/ingest/airqo", "/ingest/purpleair"] {
        let response = server
            .http
            .post(server.url(&format!("{endpoint}?stationId={station}")))
            .header("x-api-key", secret)
            .json(&payload)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403, "{endpoint}");
        let body: Value = response.json().await.expect("JSON");
        assert_code!(body, "FORBIDDEN", "{endpoint}: {body}");
    }
}

#[tokio::test]
async fn long_or_made_up_operation_names_do_not_grow_the_metrics() {
    let server = TestServer::start().await;
    let before = server.metrics().await.len();
    for i in 0..60 {
        let name = format!("{i}{}", "N".repeat(200_000));
        let body: Value = server
            .http
            .post(server.url("/graphql"))
            .json(&json!({ "query": "query Page { __typename }", "operationName": name }))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON");
        assert_code!(body, "GRAPHQL_VALIDATION_FAILED", "{i}");
        assert!(body.to_string().len() < 1_000, "the name is echoed back");
        // A name the document declares is a label, cut short.
        let declared = format!("Q{i}{}", "N".repeat(5_000));
        let body = server
            .gql(&format!("query {declared} {{ __typename }}"), json!({}))
            .await;
        assert_no_errors(&body);
    }
    let grown = server.metrics().await.len().saturating_sub(before);
    // 120 requests with 60 distinct short labels: a few dozen KB, not megabytes.
    assert!(grown < 200_000, "/metrics grew by {grown} bytes");
}

#[tokio::test]
async fn metrics_answer_only_the_scraper_holding_the_token() {
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--metrics-token".into(), "scrape-me-please".into()],
        ..Default::default()
    })
    .await;
    let get = |auth: Option<&'static str>| {
        let mut request = server.http.get(server.url("/metrics"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    assert_eq!(get(None).await.expect("sent").status(), 401);
    assert_eq!(get(Some("Bearer wrong")).await.expect("sent").status(), 401);
    let ok = get(Some("Bearer scrape-me-please")).await.expect("sent");
    assert_eq!(ok.status(), 200);
}

async fn status_with_forwarded(server: &TestServer, forwarded: &str) -> u16 {
    server
        .http
        .post(server.url("/graphql"))
        .header("x-forwarded-for", forwarded)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_forwarded_address_is_believed_only_from_a_trusted_proxy() {
    let limited = |trusted: &str| ServerOptions {
        args: vec![
            "--rate-limit-ip".into(),
            "3".into(),
            "--client-ip-header".into(),
            "x-forwarded-for".into(),
            "--trusted-proxies".into(),
            trusted.into(),
        ],
        ..Default::default()
    };
    // The test client is not the proxy: spoofed headers all land in its own bucket.
    let server = TestServer::start_with(limited("10.9.9.9")).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(status_with_forwarded(&server, &format!("203.0.113.{i}")).await);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );

    // Behind a trusted proxy, each client has its own bucket; the proxy's own hop and
    // anything a client prepended are skipped right to left.
    let server = TestServer::start_with(limited("127.0.0.1,10.0.0.0/8")).await;
    for i in 0..5 {
        let chain = format!("198.51.100.77, 203.0.113.{i}, 10.1.2.3");
        assert_eq!(status_with_forwarded(&server, &chain).await, 200, "{chain}");
    }
    for _ in 0..3 {
        assert_eq!(status_with_forwarded(&server, "203.0.113.200").await, 200);
    }
    assert_eq!(status_with_forwarded(&server, "203.0.113.200").await, 429);
}

#[test]
fn a_client_address_header_without_trusted_proxies_is_a_configuration_error() {
    let error = agora_platform::config::parse_args::<agora_platform::config::Config>([
        "--client-ip-header",
        "x-forwarded-for",
        "--jwt-secret",
        "test-secret-test-secret-test-secret-42",
    ])
    .expect("parses")
    .validate()
    .expect_err("refused");
    assert!(error.contains("AGORA_TRUSTED_PROXIES"), "{error}");
}

const BOARD: &str = "subscription { leaderboardChanged(scope: GLOBAL) { totalPlayers } }";

async fn legacy_socket(server: &TestServer) -> ws::Socket {
    let mut socket = ws::connect(&server.ws_url(), "graphql-ws").await;
    ws::send(
        &mut socket,
        json!({ "type": "connection_init", "payload": {} }),
    )
    .await;
    assert_eq!(ws::next_json(&mut socket).await["type"], "connection_ack");
    socket
}

#[tokio::test]
async fn the_legacy_protocol_caps_operations_per_socket() {
    let server = TestServer::start().await;
    let mut socket = legacy_socket(&server).await;
    for i in 0..300 {
        ws::send(
            &mut socket,
            json!({ "id": i.to_string(), "type": "start", "payload": { "query": BOARD } }),
        )
        .await;
    }
    let (mut running, mut refused) = (std::collections::HashSet::new(), 0);
    while running.len() + refused < 300 {
        let message = ws::next_json(&mut socket).await;
        let id: u32 = message["id"].as_str().expect("id").parse().expect("number");
        match message["type"].as_str() {
            Some("data") => {
                running.insert(id);
            }
            Some("error") => {
                assert!(
                    id >= 100,
                    "operation {id} within the cap was refused: {message}"
                );
                assert_eq!(message["payload"]["extensions"]["code"], "LIMIT_EXCEEDED");
                refused += 1;
            }
            other => panic!("unexpected {other:?}: {message}"),
        }
    }
    assert_eq!((running.len(), refused), (100, 200));
}

#[tokio::test]
async fn the_legacy_protocol_counts_operations_against_the_address_rate() {
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--rate-limit-ip".into(), "20".into()],
        ..Default::default()
    })
    .await;
    let mut socket = legacy_socket(&server).await;
    let mut limited = 0;
    for i in 0..40 {
        let id = i.to_string();
        ws::send(
            &mut socket,
            json!({ "id": id, "type": "start", "payload": { "query": "{ __typename }" } }),
        )
        .await;
        let message = loop {
            let message = ws::next_json(&mut socket).await;
            if message["type"] != "complete" {
                break message;
            }
        };
        if message["type"] == "error" {
            assert_eq!(
                message["payload"]["extensions"]["code"], "RATE_LIMITED",
                "{message}"
            );
            limited += 1;
        }
    }
    assert!(limited >= 15, "only {limited} of 40 refused at 20 a minute");
}

#[tokio::test]
async fn the_legacy_protocol_closes_a_socket_that_never_initialises() {
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--ws-init-timeout".into(), "1s".into()],
        ..Default::default()
    })
    .await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-ws").await;
    match ws::next(&mut socket).await {
        Incoming::Closed(code) => assert_eq!(code, Some(4408)),
        Incoming::Json(message) => panic!("expected a close, got {message}"),
    }
}

const CHANGE_PASSWORD: &str = "mutation($i: ChangePasswordInput!) { changePassword(input: $i) }";

#[tokio::test]
async fn wrong_current_passwords_lock_the_account_like_failed_sign_ins() {
    let server = TestServer::start().await;
    let token = server.register_token("ada@example.org").await;
    let attempt = |current: &'static str| {
        server.gql_as(
            &token,
            CHANGE_PASSWORD,
            json!({ "i": { "currentPassword": current, "newPassword": "a brand new passphrase" } }),
        )
    };
    for _ in 0..5 {
        assert_code!(attempt("wrong guess at it").await, "BAD_USER_INPUT");
    }
    // The sixth guess is refused before the password is checked, even the right one.
    let locked = attempt("a long enough passphrase").await;
    assert_code!(locked, "RATE_LIMITED", "{locked}");
    // And sign-in is locked for the account as well.
    let login = server
        .login("ada@example.org", "a long enough passphrase")
        .await;
    assert_code!(login, "RATE_LIMITED", "{login}");
}

/// A server with the production sign-in limit (the harness lifts it for other tests).
async fn with_default_auth_limit() -> TestServer {
    let default = agora_platform::config::parse_args::<agora_platform::config::Config>([
        "--jwt-secret",
        "x".repeat(32).as_str(),
    ])
    .expect("defaults")
    .rate_limits
    .rate_limit_auth;
    TestServer::start_with(ServerOptions {
        args: vec!["--rate-limit-auth".into(), default.to_string()],
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn a_classroom_signs_up_and_in_from_one_address() {
    let server = with_default_auth_limit().await;
    let started = std::time::Instant::now();
    for i in 0..40 {
        let email = format!("student{i}@school.example");
        server
            .register(&email, "a long enough passphrase", "Student")
            .await;
        let login = server.login(&email, "a long enough passphrase").await;
        assert_no_errors(&login);
    }
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test]
async fn wrong_passwords_from_one_address_are_limited() {
    let server = with_default_auth_limit().await;
    for i in 0..40 {
        server
            .register(
                &format!("user{i}@example.org"),
                "a long enough passphrase",
                "U",
            )
            .await;
    }
    let mut codes = Vec::new();
    for i in 0..40 {
        let login = server
            .login(&format!("user{i}@example.org"), "not the password at all")
            .await;
        codes.push(error_code(&login).to_owned());
    }
    let limited = codes.iter().filter(|c| *c == "RATE_LIMITED").count();
    assert!(
        limited >= 10,
        "40 wrong passwords, {limited} limited: {codes:?}"
    );
    // While limited, even a right password from that address waits.
    for _ in 0..20 {
        let wrong = server.login("user1@example.org", "still not it").await;
        if error_code(&wrong) == "RATE_LIMITED" {
            break;
        }
    }
    let right = server
        .login("user0@example.org", "a long enough passphrase")
        .await;
    assert_code!(right, "RATE_LIMITED", "{right}");
}

#[tokio::test]
async fn serve_on_an_unmigrated_database_says_to_migrate_and_exits_2() {
    let db = super::common::TestDb::fresh().await;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_agora"));
    command
        .args(["serve", "--migrate", "false", "--seed-demo"])
        .env("AGORA_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", &db.url)
        .env("AGORA_JWT_SECRET", "test-secret-test-secret-test-secret-42")
        .env_remove("REDIS_URL");
    if let Some(schema) = &db.search_path {
        // The fresh schema is empty; point the server's connections at it.
        let separator = if db.url.contains('?') { '&' } else { '?' };
        command.env(
            "DATABASE_URL",
            format!("{}{separator}options=-c%20search_path%3D{schema}", db.url),
        );
    }
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("exits in time")
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("run `agora migrate`"), "{stderr}");
    assert!(!stderr.contains("does not exist"), "{stderr}");
}

#[tokio::test]
async fn a_near_duplicate_of_an_unpublished_draft_is_refused_without_naming_it() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let topic = super::common::knowledge::topic(&server, &tokens.moderator, "Capitals", None).await;
    let topic_id = topic["id"].as_str().expect("id");
    let secret = "Which river runs through the secret draft city of Zanzibarra?";
    let draft = server
        .gql_as(
            &tokens.moderator,
            "mutation($i: CreateQuestionInput!) { createQuestion(input: $i) { id status } }",
            json!({ "i": {
                "topicId": topic_id, "prompt": secret, "status": "DRAFT",
                "choices": [{ "text": "Zan", "isCorrect": true }, { "text": "Bar", "isCorrect": false }],
                "explanation": "It is a draft.", "difficulty": 2,
            } }),
        )
        .await;
    assert_no_errors(&draft);
    assert_eq!(draft["data"]["createQuestion"]["status"], "DRAFT");
    let body = server
        .gql_as(
            &tokens.learner,
            "mutation($i: SubmitQuestionInput!) { submitQuestion(input: $i) { id } }",
            json!({ "i": {
                "topicId": topic_id,
                "prompt": "Which river runs through the secret draft city of Zanzibarra ?",
                "choices": [{ "text": "Zan", "isCorrect": true }, { "text": "Bar", "isCorrect": false }],
                "explanation": "A copy.", "difficulty": 2,
            } }),
        )
        .await;
    assert_code!(body, "BAD_USER_INPUT", "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["detail"], "NEAR_DUPLICATE");
    assert!(error["extensions"]["relatedId"].is_null(), "{body}");
    let draft_id = draft["data"]["createQuestion"]["id"].as_str().expect("id");
    assert!(!body.to_string().contains("Zanzibarra?"), "{body}");
    assert!(!body.to_string().contains(draft_id), "{body}");
}
