//! What typed clients rely on: the standard introspection query answers, a denied field is
//! null beside the data around it (never a missing key), GraphiQL works offline, and the
//! WebSocket endpoint closes cleanly, reads the common `connection_init` shapes and answers
//! on `/graphql` too; responses are compressed when asked and GET queries revalidate with
//! ETags. (Introspection by graphql-js itself: `protocol.rs`.)

use std::{path::PathBuf, process::Command, time::Duration};

use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{
    Message,
    protocol::{CloseFrame, frame::coding::CloseCode},
};

use super::common::{
    TestServer, assert_code, assert_no_errors,
    sensors::station,
    ws::{self, Incoming},
};

const TRANSPORT: &str = "graphql-transport-ws";

fn paths(body: &Value) -> Vec<Value> {
    body["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["path"].clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_standard_introspection_query_answers_and_recursive_ones_are_refused() {
    let server = TestServer::start().await;
    let query = include_str!("../../crates/schema/tests/fixtures/introspection-query.graphql");
    let body = server.gql(query, json!({})).await;
    assert_no_errors(&body);
    let types = body["data"]["__schema"]["types"].as_array().expect("types");
    assert!(types.iter().any(|t| t["name"] == "Station"), "{body}");
    // Each level lists every field of every type again.
    let recursive = server
        .gql(
            "{ __type(name: \"Query\") { fields { type { fields { type { fields { name } } } } } } }",
            json!({}),
        )
        .await;
    assert_code!(recursive, "LIMIT_EXCEEDED");
    assert_eq!(
        recursive["errors"][0]["extensions"]["limit"], "introspectionLists",
        "{recursive}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_denied_field_is_null_and_the_rest_of_the_page_stays() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let s = station(&server, &admin, "Kibera", -1.31, 36.78).await;
    // The issue's own example: anonymously, alertRules is null, name and city stay.
    let body = server
        .gql(
            "query($id: ID!) { station(id: $id) { name alertRules { id } city } }",
            json!({ "id": s.id }),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({ "station": { "name": "Kibera", "alertRules": null, "city": "Kibera" } }),
        "{body}"
    );
    assert_eq!(paths(&body), vec![json!(["station", "alertRules"])]);
    assert_code!(body, "UNAUTHENTICATED");
    // The owner's rules are there.
    let owned = server
        .gql_as(
            &admin,
            "query($id: ID!) { station(id: $id) { alertRules { id } } }",
            json!({ "id": s.id }),
        )
        .await;
    assert_no_errors(&owned);
    assert_eq!(owned["data"]["station"]["alertRules"], json!([]));
    // A signed-in-only root field beside public ones: null, the public ones answered.
    let body = server
        .gql(
            "{ myProgress { points } dueFlashcardCount stations(first: 1) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["myProgress"], Value::Null, "{body}");
    assert_eq!(body["data"]["dueFlashcardCount"], Value::Null, "{body}");
    assert_eq!(
        body["data"]["stations"]["edges"][0]["node"]["name"], "Kibera",
        "{body}"
    );
    let mut failed = paths(&body);
    failed.sort_by_key(|p| p.to_string());
    assert_eq!(
        failed,
        vec![json!(["dueFlashcardCount"]), json!(["myProgress"])]
    );
    // A non-null root field that fails nulls `data`, as the spec says; its error is the only one.
    let body = server
        .gql(
            "{ questions(first: -1) { edges { cursor } } stations(first: 1) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(paths(&body), vec![json!(["questions"])]);
    assert_code!(body, "BAD_USER_INPUT");
    server.shutdown().await;
}

/// Chromium on PATH (`chromium` or `chromium-browser`), or None off CI.
fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(PathBuf::from(name));
        }
    }
    let message = "the GraphiQL browser check needs Chromium (Debian package `chromium`)";
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("SKIPPED: {message}");
    None
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary_and_renders_offline() {
    let server = TestServer::start().await;
    let page = server.http.get(server.url("/")).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .expect("a content policy")
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        !csp.contains("unsafe-eval") && !csp.contains("http"),
        "{csp}"
    );
    let html = page.text().await.expect("html");
    assert!(!html.contains("http"), "nothing from elsewhere: {html}");
    assert!(!html.contains("<script>"), "no inline script: {html}");
    let files: Vec<&str> = html
        .split(['"', '\''])
        .filter(|part| part.starts_with("/graphiql/"))
        .collect();
    assert_eq!(files.len(), 6, "{html}");
    for file in files {
        let response = server
            .http
            .get(server.url(file))
            .send()
            .await
            .expect("file");
        assert_eq!(response.status(), 200, "{file}");
        let media = response.headers()["content-type"]
            .to_str()
            .expect("type")
            .to_owned();
        let expected = if file.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(media.starts_with(expected), "{file}: {media}");
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .expect("cache")
                .contains("immutable")
        );
        assert!(!response.bytes().await.expect("body").is_empty());
    }
    for missing in ["/graphiql/4.1.2/nope.js", "/graphiql/0.0.1/init.js"] {
        let response = server
            .http
            .get(server.url(missing))
            .send()
            .await
            .expect("file");
        assert_eq!(response.status(), 404, "{missing}");
    }
    // A real browser, no network beyond this server: the editor renders.
    let Some(browser) = chromium() else {
        server.shutdown().await;
        return;
    };
    let profile = tempfile::tempdir().expect("profile");
    let output = tokio::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(server.url("/"))
        .output()
        .await
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        dom.contains("graphiql-container") && !dom.contains("Loading…"),
        "GraphiQL did not render: {}\n{}",
        &dom[..dom.len().min(2_000)],
        String::from_utf8_lossy(&output.stderr)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_close_is_answered_with_its_code() {
    let server = TestServer::start().await;
    let mut socket = ws::connect(&server.ws_url(), TRANSPORT).await;
    assert!(matches!(
        ws::init_transport(&mut socket, json!({})).await,
        Incoming::Json(ref ack) if ack["type"] == "connection_ack"
    ));
    socket
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "done".into(),
        }))
        .await
        .expect("close sent");
    let reply = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("a reply within 5 s");
    match reply {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("the server did not echo the close: {other:?}"),
    }
    server.shutdown().await;
}

/// Opens a socket on `path`, initialises it with `payload` and asks `{ me { email } }`; the
/// email, or how the socket closed.
async fn me_over_socket(
    server: &TestServer,
    path: &str,
    payload: Value,
) -> Result<Value, Option<u16>> {
    let url = server.ws_url().replace("/graphql/ws", path);
    let mut socket = ws::connect(&url, TRANSPORT).await;
    match ws::init_transport(&mut socket, payload).await {
        Incoming::Json(ack) if ack["type"] == "connection_ack" => {}
        Incoming::Json(other) => panic!("unexpected {other}"),
        Incoming::Closed(code) => return Err(code),
    }
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ me { email } }" } }),
    )
    .await;
    let next = ws::next_json(&mut socket).await;
    assert_eq!(next["type"], "next", "{next}");
    Ok(next["payload"]["data"]["me"]["email"].clone())
}

#[tokio::test]
async fn connection_init_takes_the_common_credential_shapes_and_refuses_unknown_ones() {
    let server = TestServer::start().await;
    let token = server.register_token("shapes@example.org").await;
    let email = json!("shapes@example.org");
    for payload in [
        json!({ "authorization": format!("Bearer {token}") }),
        json!({ "Authorization": format!("Bearer {token}") }),
        json!({ "headers": { "Authorization": format!("Bearer {token}") } }),
        json!({ "authToken": token }),
        json!({ "token": format!("Bearer {token}") }),
    ] {
        assert_eq!(
            me_over_socket(&server, "/graphql/ws", payload.clone()).await,
            Ok(email.clone()),
            "{payload}"
        );
    }
    // Anonymous stays anonymous; credentials under a name not read are refused, not ignored.
    assert_eq!(
        me_over_socket(&server, "/graphql/ws", json!({})).await,
        Ok(Value::Null)
    );
    for payload in [
        json!({ "jwt": token }),
        json!({ "headers": { "X-Auth-Token": token } }),
    ] {
        assert_eq!(
            me_over_socket(&server, "/graphql/ws", payload.clone()).await,
            Err(Some(4403)),
            "{payload}"
        );
    }
    // The same endpoint answers on /graphql, for clients configured with one URL.
    assert_eq!(
        me_over_socket(
            &server,
            "/graphql",
            json!({ "authorization": format!("Bearer {token}") })
        )
        .await,
        Ok(email)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn responses_are_compressed_when_asked_and_get_queries_revalidate() {
    use std::io::Read;
    let server = TestServer::start().await;
    let body = json!({ "query": "{ __schema { types { name description } } }" });
    let plain = server
        .http
        .post(server.url("/graphql"))
        .json(&body)
        .send()
        .await
        .expect("plain");
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.expect("body");
    let gzip = server
        .http
        .post(server.url("/graphql"))
        .header("accept-encoding", "gzip")
        .json(&body)
        .send()
        .await
        .expect("gzip");
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let packed = gzip.bytes().await.expect("body");
    assert!(
        packed.len() * 3 < plain.len(),
        "{} of {}",
        packed.len(),
        plain.len()
    );
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_end(&mut unpacked)
        .expect("gunzips");
    assert_eq!(unpacked, plain.to_vec());
    let brotli = server
        .http
        .get(server.url("/graphiql/4.1.2/graphiql.min.js"))
        .header("accept-encoding", "br")
        .send()
        .await
        .expect("br");
    assert_eq!(brotli.headers()["content-encoding"], "br");

    // A GET query carries a validator; sending it back answers 304 without a body.
    let url = server.url("/graphql?query=%7B__schema%7BqueryType%7Bname%7D%7D%7D");
    let first = server.http.get(&url).send().await.expect("get");
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");
    let again = server
        .http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("again");
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.expect("body").is_empty());
    for other in ["\"0123\"", "W/\"0123\""] {
        let changed = server
            .http
            .get(&url)
            .header("if-none-match", other)
            .send()
            .await
            .expect("changed");
        assert_eq!(changed.status(), 200, "{other}");
    }
    let weak = server
        .http
        .get(&url)
        .header("if-none-match", format!("\"x\", W/{etag}"))
        .send()
        .await
        .expect("weak");
    assert_eq!(weak.status(), 304);
    // POST responses are not cached, so they carry none.
    let post = server
        .http
        .post(server.url("/graphql"))
        .json(&json!({ "query": "{ __schema { queryType { name } } }" }))
        .send()
        .await
        .expect("post");
    assert!(post.headers().get("etag").is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn connections_that_paged_forward_only_page_backward_too() {
    let server = TestServer::start().await;
    let admin = server.register_token("pages@example.org").await;
    for (n, name) in ["First", "Second", "Third"].into_iter().enumerate() {
        station(&server, &admin, name, 0.1 * n as f64, 32.5).await;
    }
    let query = "query($last: Int, $before: String) { stations(last: $last, before: $before) { edges { cursor node { name } } pageInfo { hasPreviousPage hasNextPage } } }";
    let body = server.gql(query, json!({ "last": 2 })).await;
    assert_no_errors(&body);
    let page = &body["data"]["stations"];
    let names: Vec<&str> = page["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["Second", "Third"], "{body}");
    assert_eq!(page["pageInfo"]["hasPreviousPage"], true);
    let before = page["edges"][0]["cursor"].clone();
    let body = server
        .gql(query, json!({ "last": 2, "before": before }))
        .await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["stations"]["edges"][0]["node"]["name"], "First",
        "{body}"
    );
    assert_eq!(
        body["data"]["stations"]["pageInfo"]["hasPreviousPage"], false,
        "{body}"
    );
    // first with last is refused, as on every connection.
    let both = server
        .gql(
            "{ stations(first: 1, last: 1) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_code!(both, "BAD_USER_INPUT");
    server.shutdown().await;
}

/// The fields the first error's `violations` name, in order.
fn violated(body: &Value) -> Vec<String> {
    body["errors"][0]["extensions"]["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| v["field"].as_str().expect("field").to_owned())
        .collect()
}

#[tokio::test]
async fn an_input_with_several_problems_names_every_field_in_one_error() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let admin = tokens.admin.clone();
    let create = "mutation($i: CreateStationInput!) { createStation(input: $i) { id } }";
    let body = server
        .gql_as(
            &admin,
            create,
            json!({ "i": { "name": " ", "latitude": 95.0, "longitude": 36.8, "city": "Nairobi", "country": "Kenya" } }),
        )
        .await;
    assert_code!(body, "BAD_USER_INPUT");
    // One error for the one field, as the spec asks, listing each problem.
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{body}");
    let error = &errors[0];
    assert_eq!(error["path"], json!(["createStation"]));
    assert_eq!(
        error["extensions"]["field"], "input.name",
        "the first problem's field"
    );
    assert_eq!(
        violated(&body),
        ["input.name", "input.latitude", "input.country"]
    );
    let message = error["message"].as_str().expect("message");
    assert!(
        message.starts_with("3 problems with the input: input.name: "),
        "{message}"
    );
    // One problem stays as it was: its field, no list.
    let one = server
        .gql_as(
            &admin,
            create,
            json!({ "i": { "name": "Kibera", "latitude": 95.0, "longitude": 36.8, "city": "Nairobi", "country": "KE" } }),
        )
        .await;
    assert_eq!(one["errors"][0]["extensions"]["field"], "input.latitude");
    assert!(one["errors"][0]["extensions"]["violations"].is_null());
    // Signing up: a bad address and a short password at once.
    let register = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }";
    let body = server
        .gql(
            register,
            json!({ "i": { "email": "not-an-address", "password": "short", "displayName": "Ann" } }),
        )
        .await;
    assert_eq!(violated(&body), ["input.email", "input.password"], "{body}");
    // A question with three problems.
    let topic = super::common::knowledge::topic(&server, &tokens.moderator, "Capitals", None).await;
    let mut input =
        super::common::knowledge::question_input(topic["id"].as_str().expect("id"), "Why?");
    input["difficulty"] = json!(9);
    input["choices"][1]["isCorrect"] = json!(true);
    let body = server
        .gql_as(
            &tokens.moderator,
            "mutation($i: CreateQuestionInput!) { createQuestion(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    assert_eq!(
        violated(&body),
        ["input.prompt", "input.choices", "input.difficulty"],
        "{body}"
    );
    server.shutdown().await;
}
