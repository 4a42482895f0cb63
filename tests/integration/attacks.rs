//! The attack corpus: each hostile request is refused with its code quickly, and a normal query
//! is still answered promptly while the server is under that attack.

use std::time::{Duration, Instant};

use agora_testkit::corpus::{self, Attack};
use serde_json::{Value, json};

use super::common::{
    ServerOptions, TestServer, assert_code,
    ws::{self, Incoming},
};

/// Refusals are cheap: they happen before validation and execution. Debug builds on a busy
/// 2-core CI machine are slow, so the bound is generous; release figures are in the README.
const REFUSAL_BOUND: Duration = Duration::from_millis(500);

async fn timed(server: &TestServer, body: &Value) -> (u16, Value, Duration) {
    let started = Instant::now();
    let response = server
        .http
        .post(server.url("/graphql"))
        .json(body)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        started.elapsed(),
    )
}

#[tokio::test]
async fn every_attack_is_refused_quickly_with_its_code() {
    let server = TestServer::start().await;
    for Attack { name, body, code } in corpus::http() {
        let (status, answer, took) = timed(&server, &body).await;
        assert_code!(answer, code, "{name}: {answer}");
        // Refused before execution (no `data` at all), or by the one field's input check.
        assert!(
            answer["data"].is_null(),
            "{name} executed nothing: {answer}"
        );
        assert!(took < REFUSAL_BOUND, "{name} took {took:?}");
        assert!(status == 200 || status == 400, "{name}: {status}");
        eprintln!("{name}: {code} in {took:?}");
    }
    // A huge string variable: the body limit answers 413 before anything is parsed.
    let huge = "x".repeat(2 * 1024 * 1024);
    let response = server
        .http
        .post(server.url("/graphql"))
        .json(&json!({ "query": "query($q: String!) { search(query: $q) { totalCount } }", "variables": { "q": huge } }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn introspection_and_suggestions_are_off_in_production() {
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--env".into(), "production".into()],
        ..Default::default()
    })
    .await;
    let (_, body, _) = timed(
        &server,
        &json!({ "query": "{ __schema { types { name } } }" }),
    )
    .await;
    assert!(
        body["data"].is_null() || body["data"]["__schema"].is_null(),
        "{body}"
    );
    assert!(body["errors"].is_array(), "{body}");
    let (_, body, _) = timed(&server, &json!({ "query": "{ topicz { name } }" })).await;
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(message.ends_with("[Suggestion hidden]"), "{message}");
    assert!(!message.contains("topics"), "{message}");
    // In development the suggestion helps.
    let dev = TestServer::start().await;
    let (_, body, _) = timed(&dev, &json!({ "query": "{ topicz { name } }" })).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("Did you mean")
    );
}

#[tokio::test]
async fn a_normal_query_is_answered_promptly_during_an_attack() {
    // The attackers share the test's address, which the per-address limit would refuse along
    // with the normal query; real attackers come from other addresses.
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--rate-limit-ip".into(), "0".into()],
        ..Default::default()
    })
    .await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut attackers = Vec::new();
    for Attack { body, .. } in corpus::http().into_iter().take(6) {
        let (http, url, stop) = (server.http.clone(), server.url("/graphql"), stop.clone());
        attackers.push(tokio::spawn(async move {
            let mut sent = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && sent < 2_000 {
                let _ = http.post(&url).json(&body).send().await;
                sent += 1;
            }
            sent
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let (status, body, took) = timed(&server, &json!({ "query": "{ topics { name } }" })).await;
        assert_eq!(status, 200);
        assert!(body["errors"].is_null(), "{body}");
        slowest = slowest.max(took);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut attacks = 0;
    for attacker in attackers {
        attacks += attacker.await.expect("attacker");
    }
    eprintln!(
        "normal query under attack: slowest {slowest:?} while {attacks} attacks were refused"
    );
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
}

const TRANSPORT: &str = "graphql-transport-ws";
const BOARD: &str = "subscription { leaderboardChanged(scope: GLOBAL) { totalPlayers } }";

async fn acknowledged(url: &str) -> ws::Socket {
    let mut socket = ws::connect(url, TRANSPORT).await;
    match ws::init_transport(&mut socket, json!({})).await {
        Incoming::Json(ack) => assert_eq!(ack["type"], "connection_ack", "{ack}"),
        Incoming::Closed(code) => panic!("closed with {code:?} instead of an ack"),
    }
    socket
}

fn subscribe(id: &str, query: &str) -> Value {
    json!({ "id": id, "type": "subscribe", "payload": { "query": query } })
}

#[tokio::test]
async fn websocket_floods_and_oversized_frames_are_refused() {
    let server = TestServer::start().await;
    let url = server.ws_url();

    // A 100 KB frame (the limit is 64 KB) closes the socket with 1009 before it is parsed.
    let mut socket = acknowledged(&url).await;
    let started = Instant::now();
    ws::send(&mut socket, subscribe("big", &"x".repeat(100_000))).await;
    match ws::next(&mut socket).await {
        Incoming::Closed(code) => assert_eq!(code, Some(1009)),
        Incoming::Json(message) => panic!("expected 1009, got {message}"),
    }
    let took = started.elapsed();
    assert!(took < REFUSAL_BOUND, "oversized frame took {took:?}");
    eprintln!("oversized frame: 1009 in {took:?}");

    // 1,000 subscribes at once: 100 run, every other one gets an error with LIMIT_EXCEEDED.
    let mut socket = acknowledged(&url).await;
    for i in 0..1_000 {
        ws::send(&mut socket, subscribe(&i.to_string(), BOARD)).await;
    }
    let sent = Instant::now();
    let (mut running, mut refused) = (std::collections::HashSet::new(), 0);
    while running.len() + refused < 1_000 {
        let message = ws::next_json(&mut socket).await;
        let id: u32 = message["id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("numeric id");
        match message["type"].as_str() {
            Some("next") => {
                assert!(id < 100, "operation {id} ran beyond the cap");
                running.insert(id);
            }
            Some("error") => {
                assert!(
                    id >= 100,
                    "operation {id} within the cap was refused: {message}"
                );
                assert_eq!(
                    message["payload"][0]["extensions"]["code"],
                    "LIMIT_EXCEEDED"
                );
                assert_eq!(message["payload"][0]["extensions"]["max"], 100);
                refused += 1;
            }
            other => panic!("unexpected {other:?}: {message}"),
        }
    }
    let took = sent.elapsed();
    assert_eq!((running.len(), refused), (100, 900));
    eprintln!(
        "subscribe flood: 100 running, 900 refused, all answered {took:?} after the last send"
    );

    // The server still answers a new client at once.
    let mut other = acknowledged(&url).await;
    let started = Instant::now();
    ws::send(&mut other, subscribe("q", "{ topics { name } }")).await;
    let answer = ws::next_json(&mut other).await;
    assert_eq!(answer["type"], "next", "{answer}");
    assert!(answer["payload"]["errors"].is_null(), "{answer}");
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "query during the flood took {took:?}"
    );
}

#[tokio::test]
async fn subscribe_and_complete_churn_counts_against_the_address_rate() {
    // Each operation on a socket costs what an HTTP request costs: with 50 a minute, churning
    // through 100 short-lived subscriptions is refused with RATE_LIMITED part way.
    let server = TestServer::start_with(ServerOptions {
        args: vec!["--rate-limit-ip".into(), "50".into()],
        ..Default::default()
    })
    .await;
    let mut socket = acknowledged(&server.ws_url()).await;
    let (mut ran, mut limited) = (0, 0);
    for i in 0..100 {
        let id = i.to_string();
        ws::send(&mut socket, subscribe(&id, BOARD)).await;
        // The previous operation's `complete` may come first.
        let message = loop {
            let message = ws::next_json(&mut socket).await;
            if message["type"] != "complete" {
                break message;
            }
        };
        assert_eq!(message["id"], id.as_str(), "{message}");
        match message["type"].as_str() {
            Some("next") => ran += 1,
            Some("error") => {
                assert_eq!(
                    message["payload"][0]["extensions"]["code"], "RATE_LIMITED",
                    "{message}"
                );
                assert!(
                    message["payload"][0]["extensions"]["retryAfter"]
                        .as_u64()
                        .is_some()
                );
                limited += 1;
                continue;
            }
            other => panic!("unexpected {other:?}: {message}"),
        }
        ws::send(&mut socket, json!({ "id": id, "type": "complete" })).await;
    }
    // The upgrade took one token; a few may have refilled while the test ran.
    assert!((45..=55).contains(&ran), "ran {ran}, limited {limited}");
    assert_eq!(ran + limited, 100);
}
