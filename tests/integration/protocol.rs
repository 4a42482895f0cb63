//! Protocol compliance: GraphQL over HTTP (the `graphql-http` audits, run with Node) and GraphQL
//! over WebSocket (`graphql-transport-ws` close codes, from Rust and from the `graphql-ws`
//! reference client), and graphql-js's introspection rebuilding the committed SDL.

use std::{path::PathBuf, process::Command, sync::OnceLock, time::Duration};

use serde_json::{Value, json};

use super::common::{
    ServerOptions, TestServer, assert_body_snapshot, assert_code,
    ws::{self, Incoming},
};

const TRANSPORT: &str = "graphql-transport-ws";

/// SHOULD audits of `graphql-http` this server does not pass, each with the README's reason.
const SHOULD_EXCEPTIONS: &[&str] = &[];

fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/node")
}

/// Node with the test tools installed (`npm ci` once per run), or None off CI without Node.
fn node_tools() -> Option<PathBuf> {
    static READY: OnceLock<Option<PathBuf>> = OnceLock::new();
    READY
        .get_or_init(|| {
            let dir = node_dir();
            let has_node = Command::new("node")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
            if !has_node {
                let message = "protocol tests need Node.js (node and npm on PATH)";
                assert!(std::env::var_os("CI").is_none(), "{message}");
                eprintln!("SKIPPED: {message}");
                return None;
            }
            let installed = ["graphql-http", "graphql-ws", "@apollo/client"]
                .iter()
                .all(|package| dir.join("node_modules").join(package).exists());
            if !installed {
                let status = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                    .arg(&dir)
                    .status()
                    .expect("npm runs");
                assert!(status.success(), "npm ci in tests/node failed");
            }
            Some(dir)
        })
        .clone()
}

async fn node(script: &str, args: Vec<String>) -> Value {
    let dir = node_dir();
    let script = dir.join(script);
    let output = tokio::process::Command::new("node")
        .arg(script)
        .args(args)
        .output()
        .await
        .expect("node runs");
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("node prints JSON")
}

#[tokio::test]
async fn every_must_and_should_audit_of_graphql_http_passes() {
    if node_tools().is_none() {
        return;
    }
    let server = TestServer::start().await;
    let report = node("audit.mjs", vec![server.url("/graphql")]).await;
    let results = report["results"].as_array().expect("results");
    assert!(results.len() >= 50, "{report}");
    let failed: Vec<&Value> = results
        .iter()
        .filter(|r| r["status"] != "ok")
        .filter(|r| {
            r["level"] == "MUST"
                || (r["level"] == "SHOULD"
                    && !SHOULD_EXCEPTIONS.contains(&r["id"].as_str().unwrap_or("")))
        })
        .collect();
    assert!(
        failed.is_empty(),
        "failed audits: {}",
        serde_json::to_string_pretty(&failed).unwrap_or_default()
    );
}

#[tokio::test]
async fn the_graphql_ws_reference_client_runs_operations_and_sees_refusals() {
    if node_tools().is_none() {
        return;
    }
    let server = TestServer::start().await;
    let token = server.register_token("ws@example.org").await;
    let ok = node(
        "ws-client.mjs",
        vec![
            "--url".into(),
            server.ws_url(),
            "--query".into(),
            "{ me { email } }".into(),
            "--token".into(),
            token,
            "--count".into(),
            "0".into(),
        ],
    )
    .await;
    assert_eq!(
        ok["results"][0]["data"]["me"]["email"], "ws@example.org",
        "{ok}"
    );
    assert_eq!(ok["completed"], true, "{ok}");
    let refused = node(
        "ws-client.mjs",
        vec![
            "--url".into(),
            server.ws_url(),
            "--query".into(),
            "{ me { email } }".into(),
            "--token".into(),
            "not-a-token".into(),
        ],
    )
    .await;
    assert_eq!(refused["error"]["kind"], "close", "{refused}");
    assert_eq!(refused["error"]["code"], 4403, "{refused}");
}

/// What Apollo Client's fetch sent and got back, one exchange.
fn exchange(report: &Value, i: usize) -> (&str, bool, &Value, &Value) {
    let request = &report["requests"][i];
    assert_eq!(request["status"], 200, "request {i}: {report}");
    (
        request["method"].as_str().unwrap_or(""),
        request["hasQuery"].as_bool().expect("hasQuery"),
        &request["persistedQuery"],
        &request["response"],
    )
}

#[tokio::test]
async fn apollo_clients_persisted_query_link_works_unmodified() {
    if node_tools().is_none() {
        return;
    }
    let server = TestServer::start().await;
    let url = server.url("/graphql");
    let arg = |s: &str| s.to_owned();

    // POST: the hash alone is not known yet, so the link resends with the query; the next run
    // sends the hash alone again and is answered.
    let report = node(
        "apollo-apq.mjs",
        vec![
            arg("--url"),
            url.clone(),
            arg("--query"),
            arg("query Topics { topics { id name } }"),
        ],
    )
    .await;
    assert!(report["error"].is_null(), "{report}");
    assert_eq!(
        report["requests"].as_array().map(Vec::len),
        Some(3),
        "{report}"
    );
    let (method, has_query, persisted, response) = exchange(&report, 0);
    assert_eq!((method, has_query), ("POST", false));
    assert_eq!(persisted["version"], 1);
    let hash = persisted["sha256Hash"].as_str().expect("hash").to_owned();
    assert_code!(response, "PERSISTED_QUERY_NOT_FOUND");
    assert_body_snapshot!(
        "apollo_clients_persisted_query_link_works_unmodified-response",
        response
    );
    assert_eq!(response["errors"][0]["message"], "PersistedQueryNotFound");
    let (method, has_query, persisted, response) = exchange(&report, 1);
    assert_eq!((method, has_query), ("POST", true));
    assert_eq!(persisted["sha256Hash"], hash.as_str());
    assert!(response["data"]["topics"].is_array(), "{report}");
    let (method, has_query, _, response) = exchange(&report, 2);
    assert_eq!((method, has_query), ("POST", false));
    assert!(response["data"]["topics"].is_array(), "{report}");
    assert_eq!(report["results"].as_array().map(Vec::len), Some(2));

    // GET for hashed queries (CDN-friendly): the hash-only queries are GETs, the retry with the
    // query text is a POST (the link's own choice), and a mutation always goes by POST.
    let report = node(
        "apollo-apq.mjs",
        vec![
            arg("--url"),
            url,
            arg("--get"),
            arg("--query"),
            arg("query TopicNames { topics { name } }"),
            arg("--mutation"),
            arg("mutation Reset($email: String!) { requestPasswordReset(email: $email) }"),
            arg("--mutation-variables"),
            arg(r#"{"email":"nobody@example.org"}"#),
        ],
    )
    .await;
    assert!(report["error"].is_null(), "{report}");
    let shapes: Vec<(&str, bool)> = (0..5)
        .map(|i| {
            let (method, has_query, persisted, _) = exchange(&report, i);
            assert_eq!(persisted["version"], 1, "{report}");
            (method, has_query)
        })
        .collect();
    assert_eq!(
        shapes,
        [
            ("GET", false),
            ("POST", true),
            ("GET", false),
            ("POST", false),
            ("POST", true)
        ]
    );
    assert_code!(exchange(&report, 0).3, "PERSISTED_QUERY_NOT_FOUND");
    assert!(exchange(&report, 2).3["data"]["topics"].is_array());
    assert_code!(exchange(&report, 3).3, "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(
        exchange(&report, 4).3["data"]["requestPasswordReset"],
        true,
        "{report}"
    );
}

async fn closed_with(socket: &mut ws::Socket) -> Option<u16> {
    loop {
        match ws::next(socket).await {
            Incoming::Closed(code) => return code,
            Incoming::Json(_) => continue,
        }
    }
}

#[tokio::test]
async fn graphql_transport_ws_connection_rules_close_with_their_codes() {
    let server = TestServer::start_with(ServerOptions {
        args: vec![
            "--ws-init-timeout".into(),
            "300ms".into(),
            "--ws-max-subscriptions".into(),
            "2".into(),
            "--ws-max-message-bytes".into(),
            "4096".into(),
        ],
        ..Default::default()
    })
    .await;
    let url = server.ws_url();

    // No connection_init in time: 4408.
    let mut socket = ws::connect(&url, TRANSPORT).await;
    assert_eq!(closed_with(&mut socket).await, Some(4408));

    // Subscribe before the ack: 4401.
    let mut socket = ws::connect(&url, TRANSPORT).await;
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ __typename }" } }),
    )
    .await;
    assert_eq!(closed_with(&mut socket).await, Some(4401));

    // Not a protocol message: 4400.
    let mut socket = ws::connect(&url, TRANSPORT).await;
    ws::send(&mut socket, json!({ "type": "weird" })).await;
    assert_eq!(closed_with(&mut socket).await, Some(4400));

    // A second connection_init: 4429.
    let mut socket = ws::connect(&url, TRANSPORT).await;
    assert!(
        matches!(ws::init_transport(&mut socket, json!({})).await, Incoming::Json(ack) if ack["type"] == "connection_ack")
    );
    ws::send(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(closed_with(&mut socket).await, Some(4429));

    // Refused credentials: 4403.
    let mut socket = ws::connect(&url, TRANSPORT).await;
    assert!(matches!(
        ws::init_transport(&mut socket, json!({ "authorization": "Bearer nope" })).await,
        Incoming::Closed(Some(4403))
    ));

    // Ping is answered; two live subscriptions, a third is refused; a reused id is 4409.
    let mut socket = ws::connect(&url, TRANSPORT).await;
    ws::init_transport(&mut socket, json!({})).await;
    ws::send(&mut socket, json!({ "type": "ping" })).await;
    let pong = tokio::time::timeout(Duration::from_secs(5), async {
        use futures::StreamExt;
        loop {
            if let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) = socket.next().await
                && t.contains("pong")
            {
                return true;
            }
        }
    })
    .await;
    assert_eq!(pong, Ok(true));
    let live = "subscription { notificationReceived { id } }";
    for id in ["a", "b"] {
        ws::send(
            &mut socket,
            json!({ "id": id, "type": "subscribe", "payload": { "query": live } }),
        )
        .await;
    }
    // Anonymous: each is answered with an error and ends, so wait until both are done.
    let mut ended = 0;
    while ended < 2 {
        let message = ws::next_json(&mut socket).await;
        if message["type"] == "complete" || message["type"] == "error" {
            ended += 1;
        }
    }
    let board = "subscription { leaderboardChanged(scope: GLOBAL) { totalPlayers } }";
    for id in ["c", "d", "e"] {
        ws::send(
            &mut socket,
            json!({ "id": id, "type": "subscribe", "payload": { "query": board } }),
        )
        .await;
    }
    let mut refused = None;
    for _ in 0..4 {
        let message = ws::next_json(&mut socket).await;
        if message["type"] == "error" {
            refused = Some(message);
            break;
        }
    }
    let refused = refused.expect("the third subscription is refused");
    assert_eq!(refused["id"], "e");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "LIMIT_EXCEEDED"
    );
    ws::send(
        &mut socket,
        json!({ "id": "c", "type": "subscribe", "payload": { "query": board } }),
    )
    .await;
    assert_eq!(closed_with(&mut socket).await, Some(4409));

    // A message over the size limit: 1009.
    let mut socket = ws::connect(&url, TRANSPORT).await;
    ws::init_transport(&mut socket, json!({})).await;
    let huge = "x".repeat(8_192);
    ws::send(&mut socket, json!({ "id": "1", "type": "subscribe", "payload": { "query": format!("{{ __typename }} # {huge}") } })).await;
    assert_eq!(closed_with(&mut socket).await, Some(1009));
}

#[tokio::test]
async fn one_address_may_hold_only_so_many_sockets() {
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--ws-connections-per-ip".into(), "2".into()],
        ..Default::default()
    })
    .await;
    let _a = ws::connect(&server.ws_url(), TRANSPORT).await;
    let _b = ws::connect(&server.ws_url(), TRANSPORT).await;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = server.ws_url().into_client_request().expect("request");
    request
        .headers_mut()
        .insert("sec-websocket-protocol", TRANSPORT.parse().expect("header"));
    let refused = tokio_tungstenite::connect_async(request).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429)
        }
        other => panic!("expected 429, got {other:?}"),
    }
}

#[tokio::test]
async fn fields_keep_their_order_and_a_missing_variable_is_a_request_error() {
    let server = TestServer::start().await;
    let post = |body: Value| {
        server
            .http
            .post(server.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&body)
    };
    // The response lists fields in the order they were selected, not sorted.
    let text = post(json!({ "query": "{ zeta: __typename alpha: __typename mid: __typename }" }))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert_eq!(
        text,
        r#"{"data":{"zeta":"Query","alpha":"Query","mid":"Query"}}"#
    );
    // A required variable left out (or null) fails before execution: 400, no `data`.
    for variables in [json!({}), json!({ "slug": null })] {
        let response = post(json!({
            "query": "query($slug: String!) { topic(slug: $slug) { name } }",
            "variables": variables,
        }))
        .send()
        .await
        .expect("sent");
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.expect("JSON");
        assert!(body.get("data").is_none(), "{body}");
        assert_code!(body, "GRAPHQL_VALIDATION_FAILED");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .expect("message")
                .contains("$slug"),
            "{body}"
        );
    }
    // With a default, leaving it out is fine.
    let response = post(json!({
        "query": "query($slug: String! = \"none\") { topic(slug: $slug) { name } }",
    }))
    .send()
    .await
    .expect("sent");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn graphql_js_introspection_builds_the_committed_schema() {
    if node_tools().is_none() {
        return;
    }
    let server = TestServer::start().await;
    let sdl = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema.graphql");
    let report = node(
        "introspect.mjs",
        vec![
            "--url".into(),
            server.url("/graphql"),
            "--sdl".into(),
            sdl.display().to_string(),
        ],
    )
    .await;
    let runs = report["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "{report}");
    for run in runs {
        assert_eq!(run["status"], 200, "{run}");
        assert_eq!(run["errors"], Value::Null, "{run}");
        assert_eq!(run["built"], true, "{run}");
    }
    // What a client learns by introspection is the SDL in the repository.
    if report["runs"][1]["same"] != true {
        let (sdl, seen) = (
            report["sdl"].as_str().unwrap_or_default(),
            report["introspected"].as_str().unwrap_or_default(),
        );
        let first = sdl
            .lines()
            .zip(seen.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "introspection differs from schema.graphql at line {first}:\n  sdl:  {:?}\n  seen: {:?}",
            sdl.lines().nth(first),
            seen.lines().nth(first)
        );
    }
    server.shutdown().await;
}
