//! The partner API: automatic persisted queries (Apollo's protocol, GET caching), trusted
//! documents (manifests, `documentId`, partner keys held to them, lock-down), per-key rate
//! limits and usage counters, the sign-in limit against aliased logins.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::common::{
    ServerOptions, TestServer, assert_body_snapshot, assert_code, assert_no_errors,
    ws::{self, Incoming},
};

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs `body` as JSON with `headers`; the status, headers and JSON body.
async fn post(
    server: &TestServer,
    body: Value,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = server.http.post(server.url("/graphql")).json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.expect("JSON"))
}

/// GETs `/graphql` with `params` (JSON values are sent as JSON strings).
async fn get(
    server: &TestServer,
    params: &[(&str, String)],
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = server.http.get(server.url("/graphql")).query(params);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

const TOPICS: &str = "query Topics { topics { name } }";

#[tokio::test]
async fn an_automatic_persisted_query_is_registered_then_served_by_its_hash() {
    let server = TestServer::start().await;
    let hash = sha256(TOPICS);
    // Apollo's first try: the hash alone.
    let (status, _, body) = post(&server, json!({ "extensions": apq(&hash) }), &[]).await;
    assert_eq!(status, 200);
    assert_code!(body, "PERSISTED_QUERY_NOT_FOUND");
    assert_body_snapshot!(
        "an_automatic_persisted_query_is_registered_then_served_by_its_hash-body",
        body
    );
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1));
    // The retry with the query registers it.
    let (status, _, body) = post(
        &server,
        json!({ "query": TOPICS, "operationName": "Topics", "extensions": apq(&hash) }),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_no_errors(&body);
    // From now on the hash alone is enough, over POST and over GET as Apollo's link sends it.
    let (_, _, body) = post(&server, json!({ "extensions": apq(&hash) }), &[]).await;
    assert_no_errors(&body);
    assert!(body["data"]["topics"].is_array());
    let (status, headers, body) = get(
        &server,
        &[
            ("operationName", "Topics".into()),
            ("variables", "{}".into()),
            ("extensions", apq(&hash).to_string()),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_no_errors(&body);
    assert_eq!(headers["cache-control"], "public, max-age=300");
    assert!(
        headers["vary"]
            .to_str()
            .expect("vary")
            .contains("Authorization")
    );
    // Signed in, the same GET is private.
    let token = server.register_token("reader@example.org").await;
    let auth = format!("Bearer {token}");
    let (_, headers, body) = get(
        &server,
        &[("extensions", apq(&hash).to_string())],
        &[("authorization", auth.as_str())],
    )
    .await;
    assert_no_errors(&body);
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn persisted_query_mistakes_are_refused_with_400() {
    let server = TestServer::start().await;
    let (status, _, body) = post(
        &server,
        json!({ "query": TOPICS, "extensions": apq(&sha256("{ me { id } }")) }),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["message"],
        "provided sha does not match query"
    );
    assert_code!(body, "BAD_REQUEST");
    assert_body_snapshot!("persisted_query_mistakes_are_refused_with_400-body", body);
    let (status, _, body) = post(
        &server,
        json!({ "query": TOPICS, "extensions": { "persistedQuery": { "version": 2, "sha256Hash": sha256(TOPICS) } } }),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert_code!(body, "BAD_REQUEST");
    assert_body_snapshot!("persisted_query_mistakes_are_refused_with_400-body-2", body);
    // A document that does not validate is not stored.
    let invalid = "{ nope }";
    let (_, _, body) = post(
        &server,
        json!({ "query": invalid, "extensions": apq(&sha256(invalid)) }),
        &[],
    )
    .await;
    assert_code!(body, "GRAPHQL_VALIDATION_FAILED");
    assert_body_snapshot!("persisted_query_mistakes_are_refused_with_400-body-3", body);
    let (_, _, body) = post(&server, json!({ "extensions": apq(&sha256(invalid)) }), &[]).await;
    assert_code!(body, "PERSISTED_QUERY_NOT_FOUND");
    assert_body_snapshot!("persisted_query_mistakes_are_refused_with_400-body-4", body);
    // A persisted mutation over GET is refused with 405.
    let mutation = "mutation { markAllNotificationsRead { count } }";
    let _ = post(
        &server,
        json!({ "query": mutation, "extensions": apq(&sha256(mutation)) }),
        &[],
    )
    .await;
    let (status, headers, body) = get(
        &server,
        &[("extensions", apq(&sha256(mutation)).to_string())],
        &[],
    )
    .await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(headers["allow"], "POST");
}

const ME: &str = "query Me { me { email } }";
const TOPIC_NAMES: &str =
    "query TopicNames($first: Int) { questions(first: $first) { edges { node { id } } } }";

fn apollo_manifest(bodies: &[(&str, &str)]) -> Value {
    json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": bodies.iter().map(|(name, body)| json!({
            "id": sha256(body), "name": name, "type": "query", "body": body
        })).collect::<Vec<_>>()
    })
}

const IMPORT: &str = "mutation($i: ImportPersistedOperationsInput!) { importPersistedOperations(input: $i) { imported unchanged operations { documentId name operationType clientName } } }";

/// An admin token and a PARTNER key's secret.
async fn admin_and_partner(server: &TestServer) -> (String, String) {
    let admin = server.register_token("admin@example.org").await;
    let created = server
        .gql_as(
            &admin,
            "mutation { createApiKey(input: { name: \"acme-web\", scopes: [PARTNER] }) { secret } }",
            json!({}),
        )
        .await;
    assert_no_errors(&created);
    let secret = created["data"]["createApiKey"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    (admin, secret)
}

#[tokio::test]
async fn admins_import_manifests_and_partners_run_only_trusted_documents() {
    let server = TestServer::start().await;
    let (admin, partner) = admin_and_partner(&server).await;
    const USERS: &str = "query Users { users(first: 1) { edges { node { id } } } }";
    let manifest = apollo_manifest(&[("Me", ME), ("TopicNames", TOPIC_NAMES), ("Users", USERS)]);
    let imported = server
        .gql_as(
            &admin,
            IMPORT,
            json!({ "i": { "manifest": manifest, "clientName": "acme-web" } }),
        )
        .await;
    assert_no_errors(&imported);
    let report = &imported["data"]["importPersistedOperations"];
    assert_eq!(report["imported"], 3);
    assert_eq!(report["unchanged"], 0);
    // The same manifest again changes nothing; the Codegen format is read too.
    let codegen = json!({ format!("sha256:{}", sha256(ME)): ME });
    let again = server
        .gql_as(
            &admin,
            IMPORT,
            json!({ "i": { "manifest": codegen, "clientName": "acme-web" } }),
        )
        .await;
    assert_no_errors(&again);
    assert_eq!(again["data"]["importPersistedOperations"]["imported"], 0);
    assert_eq!(again["data"]["importPersistedOperations"]["unchanged"], 1);
    assert_eq!(
        again["data"]["importPersistedOperations"]["operations"][0]["name"],
        "Me"
    );

    let key = [("x-api-key", partner.as_str())];
    // A raw query is refused; a trusted one runs by documentId or by its APQ hash.
    let (status, _, body) = post(&server, json!({ "query": "{ topics { name } }" }), &key).await;
    assert_eq!(status, 400);
    assert_code!(body, "PERSISTED_QUERY_REQUIRED");
    assert_body_snapshot!(
        "admins_import_manifests_and_partners_run_only_trusted_documents-body",
        body
    );
    let (status, _, body) = post(
        &server,
        json!({ "documentId": format!("sha256:{}", sha256(ME)) }),
        &key,
    )
    .await;
    assert_eq!(status, 200);
    // A partner key acts for nobody: not even its creating admin's profile answers it.
    assert_no_errors(&body);
    assert!(body["data"]["me"].is_null(), "{body}");
    // Nor any admin right.
    let (_, _, body) = post(
        &server,
        json!({ "documentId": format!("sha256:{}", sha256(USERS)) }),
        &key,
    )
    .await;
    assert_code!(body, "FORBIDDEN", "{body}");
    let (_, _, body) = post(
        &server,
        json!({ "extensions": apq(&sha256(TOPIC_NAMES)), "variables": { "first": 2 } }),
        &key,
    )
    .await;
    assert_no_errors(&body);
    // The exact text of a trusted document is that document.
    let (_, _, body) = post(&server, json!({ "query": ME }), &key).await;
    assert_no_errors(&body);
    // Over WebSocket a `subscribe` names it by `documentId` too; a raw query is refused there.
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    let ack = ws::init_transport(&mut socket, json!({ "x-api-key": partner })).await;
    assert!(
        matches!(&ack, Incoming::Json(m) if m["type"] == "connection_ack"),
        "{ack:?}"
    );
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": {
            "documentId": format!("sha256:{}", sha256(ME)) } }),
    )
    .await;
    let next = ws::next_json(&mut socket).await;
    assert_eq!(next["type"], "next", "{next}");
    assert!(next["payload"]["data"]["me"].is_null(), "{next}");
    ws::send(
        &mut socket,
        json!({ "id": "2", "type": "subscribe", "payload": { "query": "{ topics { name } }" } }),
    )
    .await;
    let refused = loop {
        let message = ws::next_json(&mut socket).await;
        if message["id"] == "2" {
            break message;
        }
    };
    let code = if refused["type"] == "error" {
        &refused["payload"][0]["extensions"]["code"]
    } else {
        &refused["payload"]["errors"][0]["extensions"]["code"]
    };
    assert_eq!(code, "PERSISTED_QUERY_REQUIRED", "{refused}");
    // A malformed id is a bad request there too, and the connection stays open.
    ws::send(
        &mut socket,
        json!({ "id": "3", "type": "subscribe", "payload": { "documentId": "md5:abc" } }),
    )
    .await;
    let malformed = loop {
        let message = ws::next_json(&mut socket).await;
        if message["id"] == "3" {
            break message;
        }
    };
    let code = if malformed["type"] == "error" {
        &malformed["payload"][0]["extensions"]["code"]
    } else {
        &malformed["payload"]["errors"][0]["extensions"]["code"]
    };
    assert_eq!(code, "BAD_REQUEST", "{malformed}");
    // An unknown id is one error.
    let (_, _, body) = post(
        &server,
        json!({ "documentId": format!("sha256:{}", sha256("{ topics { id } }")) }),
        &key,
    )
    .await;
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1));
    assert_code!(body, "PERSISTED_QUERY_NOT_FOUND");
    assert_body_snapshot!(
        "admins_import_manifests_and_partners_run_only_trusted_documents-body-2",
        body
    );
    // Malformed ids are bad requests.
    let (status, _, body) = post(&server, json!({ "documentId": "md5:abc" }), &key).await;
    assert_eq!(status, 400);
    assert_code!(body, "BAD_REQUEST");
    assert_body_snapshot!(
        "admins_import_manifests_and_partners_run_only_trusted_documents-body-3",
        body
    );

    let listed = server
        .gql_as(&admin, "{ persistedOperations(clientName: \"acme-web\", first: 10) { edges { node { documentId name } } } }", json!({}))
        .await;
    assert_no_errors(&listed);
    assert_eq!(
        listed["data"]["persistedOperations"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    // Deleting one answers its id; a second time there is nothing to delete.
    let doomed = listed["data"]["persistedOperations"]["edges"][0]["node"]["documentId"].clone();
    let delete = "mutation($d: String!) { deletePersistedOperation(documentId: $d) }";
    let deleted = server.gql_as(&admin, delete, json!({ "d": doomed })).await;
    assert_eq!(
        deleted["data"]["deletePersistedOperation"], doomed,
        "{deleted}"
    );
    assert_code!(
        server.gql_as(&admin, delete, json!({ "d": doomed })).await,
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn one_invalid_document_rejects_the_whole_import_and_only_admins_import() {
    let server = TestServer::start().await;
    let (admin, _) = admin_and_partner(&server).await;
    let bad = "query Broken { me { nope } }";
    let manifest = apollo_manifest(&[("Me", ME), ("Broken", bad)]);
    let body = server
        .gql_as(
            &admin,
            IMPORT,
            json!({ "i": { "manifest": manifest, "clientName": "acme" } }),
        )
        .await;
    assert_code!(body, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "one_invalid_document_rejects_the_whole_import_and_only_admins_import-body",
        body
    );
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("Broken") && message.contains("nope"),
        "{message}"
    );
    // A Codegen manifest has no names: the document's own operation name is used.
    let codegen = json!({ format!("sha256:{}", sha256(bad)): bad });
    let body = server
        .gql_as(
            &admin,
            IMPORT,
            json!({ "i": { "manifest": codegen, "clientName": "acme" } }),
        )
        .await;
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("Broken ("), "{message}");
    let listed = server
        .gql_as(
            &admin,
            "{ persistedOperations { edges { node { documentId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["data"]["persistedOperations"]["edges"], json!([]));
    // A body that is not its id's hash is refused too.
    let forged = json!({ format!("sha256:{}", sha256(ME)): "query Other { topics { id } }" });
    let body = server
        .gql_as(
            &admin,
            IMPORT,
            json!({ "i": { "manifest": forged, "clientName": "acme" } }),
        )
        .await;
    assert_code!(body, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "one_invalid_document_rejects_the_whole_import_and_only_admins_import-body-2",
        body
    );
    // A document over the request limits would be refused at every call: it is not imported.
    let aliases = (0..31)
        .map(|i| format!("a{i}: __typename"))
        .collect::<Vec<_>>()
        .join(" ");
    let wide = format!("query Wide {{ {aliases} }}");
    let body = server
        .gql_as(
            &admin,
            IMPORT,
            json!({ "i": { "manifest": apollo_manifest(&[("Wide", &wide)]), "clientName": "acme" } }),
        )
        .await;
    assert_code!(body, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "one_invalid_document_rejects_the_whole_import_and_only_admins_import-body-3",
        body
    );
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("Wide") && message.contains("aliases"),
        "{message}"
    );
    let learner = server.register_token("learner@example.org").await;
    let body = server
        .gql_as(
            &learner,
            IMPORT,
            json!({ "i": { "manifest": apollo_manifest(&[("Me", ME)]), "clientName": "x" } }),
        )
        .await;
    assert_code!(body, "FORBIDDEN");
    assert_body_snapshot!(
        "one_invalid_document_rejects_the_whole_import_and_only_admins_import-body-4",
        body
    );
}

#[tokio::test]
async fn the_lock_down_flag_holds_every_client_to_trusted_documents() {
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--require-trusted-documents".into(), "true".into()],
        ..Default::default()
    })
    .await;
    let (status, _, body) = post(&server, json!({ "query": "{ topics { name } }" }), &[]).await;
    assert_eq!(status, 400);
    assert_code!(body, "PERSISTED_QUERY_REQUIRED");
    assert_body_snapshot!(
        "the_lock_down_flag_holds_every_client_to_trusted_documents-body",
        body
    );
    let (_, _, body) = post(&server, json!({ "extensions": apq(&sha256(TOPICS)) }), &[]).await;
    assert_code!(body, "PERSISTED_QUERY_NOT_FOUND");
    assert_body_snapshot!(
        "the_lock_down_flag_holds_every_client_to_trusted_documents-body-2",
        body
    );
}

#[tokio::test]
async fn a_key_over_its_rate_gets_429_and_its_usage_is_counted() {
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--rate-limit-key".into(), "4".into()],
        ..Default::default()
    })
    .await;
    let admin = server.register_token("admin@example.org").await;
    let created = server
        .gql_as(
            &admin,
            "mutation { createApiKey(input: { name: \"reader\", scopes: [READ] }) { secret } }",
            json!({}),
        )
        .await;
    let secret = created["data"]["createApiKey"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let key = [("x-api-key", secret.as_str())];
    let (_, _, ok) = post(&server, json!({ "query": "{ me { id } }" }), &key).await;
    assert_no_errors(&ok);
    let (_, _, failed) = post(
        &server,
        json!({ "query": "{ node(id: \"nope\") { id } }" }),
        &key,
    )
    .await;
    assert_code!(failed, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "a_key_over_its_rate_gets_429_and_its_usage_is_counted-failed",
        failed
    );
    for _ in 0..2 {
        let (status, _, _) = post(&server, json!({ "query": "{ __typename }" }), &key).await;
        assert_eq!(status, 200);
    }
    let (status, headers, body) = post(&server, json!({ "query": "{ __typename }" }), &key).await;
    assert_eq!(status, 429);
    assert_code!(body, "RATE_LIMITED");
    let retry: u64 = headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=15).contains(&retry), "{retry}");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry);

    server
        .state
        .key_usage
        .flush(&server.state.platform)
        .await
        .expect("flushed");
    let keys = server
        .gql_as(
            &admin,
            "{ apiKeys { name usage { operations errors lastUsedAt } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&keys);
    let usage = &keys["data"]["apiKeys"][0]["usage"];
    assert_eq!(usage["operations"], 5, "{keys}");
    assert_eq!(
        usage["errors"], 2,
        "the failed lookup and the refusal: {keys}"
    );
    assert!(usage["lastUsedAt"].is_string());
}

#[tokio::test]
async fn a_hundred_aliased_logins_in_one_operation_are_refused() {
    let with_auth_limit = || ServerOptions {
        args: vec!["--rate-limit-auth".into(), "10".into()],
        ..Default::default()
    };
    let server = TestServer::start_with(with_auth_limit()).await;
    server.register_token("victim@example.org").await;
    let logins = (0..100)
        .map(|i| format!("l{i}: login(input: {{ email: \"victim@example.org\", password: \"guess-{i}-guess\" }}) {{ accessToken }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let server_limits = TestServer::start_with(ServerOptions {
        args: vec![
            "--rate-limit-auth".into(),
            "10".into(),
            "--max-aliases".into(),
            "200".into(),
            "--max-tokens".into(),
            "10000".into(),
            "--max-complexity".into(),
            "100000".into(),
        ],
        ..Default::default()
    })
    .await;
    for target in [&server, &server_limits] {
        let (status, _, body) = post(
            target,
            json!({ "query": format!("mutation {{ {logins} }}") }),
            &[],
        )
        .await;
        // The default limits refuse the alias count first; with them raised, the sign-in
        // bucket refuses the 100 attempts as a whole.
        if std::ptr::eq(target, &server_limits) {
            assert_code!(body, "RATE_LIMITED", "{body}");
            assert_eq!(status, 429);
        } else {
            assert_code!(body, "LIMIT_EXCEEDED", "{body}");
        }
    }
}

#[tokio::test]
async fn an_address_over_its_request_rate_gets_429() {
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--rate-limit-ip".into(), "5".into()],
        ..Default::default()
    })
    .await;
    for _ in 0..5 {
        let (status, _, _) = post(&server, json!({ "query": "{ __typename }" }), &[]).await;
        assert_eq!(status, 200);
    }
    let (status, headers, body) = post(&server, json!({ "query": "{ __typename }" }), &[]).await;
    assert_eq!(status, 429);
    assert!(headers.contains_key("retry-after"));
    assert_code!(body, "RATE_LIMITED");
    // Health checks are never limited.
    let health = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_partner_key_runs_only_its_own_clients_documents_and_reads_nothing_private() {
    let server = TestServer::start().await;
    let (admin, partner) = admin_and_partner(&server).await;
    const KEYS: &str = "query Keys { apiKeys { id name } }";
    const FEED: &str = "query Feed { notifications(first: 5) { edges { node { id } } } }";
    const OTHERS: &str = "query Others { topics { id name } }";
    for (client, manifest) in [
        (
            "acme-web",
            apollo_manifest(&[("Keys", KEYS), ("Feed", FEED)]),
        ),
        ("other-app", apollo_manifest(&[("Others", OTHERS)])),
    ] {
        let imported = server
            .gql_as(
                &admin,
                IMPORT,
                json!({ "i": { "manifest": manifest, "clientName": client } }),
            )
            .await;
        assert_no_errors(&imported);
    }
    let key = [("x-api-key", partner.as_str())];
    // Another client's document is not this partner's: by id it does not exist, by text it
    // is an untrusted query.
    let (_, _, body) = post(
        &server,
        json!({ "documentId": format!("sha256:{}", sha256(OTHERS)) }),
        &key,
    )
    .await;
    assert_code!(body, "PERSISTED_QUERY_NOT_FOUND", "{body}");
    let (_, _, body) = post(&server, json!({ "query": OTHERS }), &key).await;
    assert_code!(body, "PERSISTED_QUERY_REQUIRED", "{body}");
    // Its own client's documents run, but the creating admin's keys and notifications are
    // not a partner's to read.
    for document in [KEYS, FEED] {
        let (_, _, body) = post(
            &server,
            json!({ "documentId": format!("sha256:{}", sha256(document)) }),
            &key,
        )
        .await;
        assert_code!(body, "FORBIDDEN", "{document}: {body}");
    }
}
