//! The attack corpus: each hostile request is refused with its code quickly, and a normal query
//! is still answered promptly while the server is under that attack.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::common::{ServerOptions, TestServer, error_code};

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

fn corpus() -> Vec<(&'static str, Value, &'static str)> {
    let aliases = (0..1_000)
        .map(|i| format!("a{i}: __typename"))
        .collect::<Vec<_>>()
        .join(" ");
    let deep = format!("{}{}", "{ topics ".repeat(1_000), "}".repeat(1_000));
    let mut fan_out = String::from("query { ...F0 }");
    for level in 0..8 {
        let spreads = (0..10)
            .map(|_| format!("...F{} ", level + 1))
            .collect::<String>();
        fan_out.push_str(&format!(" fragment F{level} on Query {{ {spreads} }}"));
    }
    fan_out.push_str(" fragment F8 on Query { topics { name } }");
    let directives = (0..60).map(|_| "@include(if: true)").collect::<String>();
    vec![
        (
            "alias bomb",
            json!({ "query": format!("{{ {aliases} }}") }),
            "LIMIT_EXCEEDED",
        ),
        (
            "1,000-deep nesting",
            json!({ "query": deep }),
            "LIMIT_EXCEEDED",
        ),
        (
            "fragment cycle",
            json!({ "query": "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "fragment fan-out",
            json!({ "query": fan_out }),
            "LIMIT_EXCEEDED",
        ),
        (
            "directive overload",
            json!({ "query": format!("{{ __typename {directives} }}") }),
            "LIMIT_EXCEEDED",
        ),
        (
            "first: 99999999",
            json!({ "query": "{ questions(first: 99999999) { edges { node { id prompt } } } }" }),
            "LIMIT_EXCEEDED",
        ),
        (
            "1,000-operation batch",
            Value::Array(vec![json!({ "query": "{ __typename }" }); 1_000]),
            "BAD_REQUEST",
        ),
        (
            "100 KB of tokens",
            json!({ "query": format!("{{ {} }}", "__typename ".repeat(12_000)) }),
            "LIMIT_EXCEEDED",
        ),
    ]
}

#[tokio::test]
async fn every_attack_is_refused_quickly_with_its_code() {
    let server = TestServer::start().await;
    for (name, body, code) in corpus() {
        let (status, answer, took) = timed(&server, &body).await;
        assert_eq!(error_code(&answer), code, "{name}: {answer}");
        assert!(
            answer.get("data").is_none(),
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
    for (_, body, _) in corpus().into_iter().take(6) {
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
