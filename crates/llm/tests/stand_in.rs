//! End-to-end tests of `agora-llm` against a local stand-in for an OpenAI-compatible server.
//!
//! Each test starts its own axum server on `127.0.0.1:0` whose replies are scripted: a queue of
//! canned responses (the last one repeats) and a log of the requests it received.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agora_llm::{JsonSchema, LlmClient, LlmConfig, LlmError, Message, Role};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

const KEY: &str = "sk-test-5ecret-key";

/// One scripted response.
#[derive(Clone)]
struct Canned {
    status: u16,
    body: String,
    headers: Vec<(&'static str, String)>,
    delay: Duration,
}

impl Canned {
    fn status(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// A 200 reply whose `choices[0].message` is `message`.
    fn message(message: Value, finish_reason: &str) -> Self {
        Self::status(
            200,
            json!({
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": "stand-in-model-v2",
                "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
                "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
            })
            .to_string(),
        )
    }

    /// A 200 reply with the given assistant content.
    fn content(content: &str) -> Self {
        Self::message(
            json!({"role": "assistant", "content": content, "refusal": null}),
            "stop",
        )
    }

    /// A good reply for [`Quiz`].
    fn good() -> Self {
        Self::content(r#"{"question": "What is a resolver?", "answer": "A function"}"#)
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A request as the stand-in saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Value,
}

struct Stand {
    script: Mutex<VecDeque<Canned>>,
    seen: Mutex<Vec<Seen>>,
}

impl Stand {
    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

async fn handle(
    State(stand): State<Arc<Stand>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    stand.seen.lock().unwrap().push(Seen {
        method,
        path: uri.path().to_owned(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let canned = {
        let mut script = stand.script.lock().unwrap();
        if script.len() > 1 {
            script.pop_front().unwrap()
        } else {
            script.front().cloned().expect("empty script")
        }
    };
    if !canned.delay.is_zero() {
        tokio::time::sleep(canned.delay).await;
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in canned.headers {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    (
        StatusCode::from_u16(canned.status).unwrap(),
        headers,
        canned.body,
    )
        .into_response()
}

/// Starts a stand-in serving `script`; returns it and its base URL (`http://127.0.0.1:port/v1`).
async fn stand_in(script: Vec<Canned>) -> (Arc<Stand>, String) {
    let stand = Arc::new(Stand {
        script: Mutex::new(script.into()),
        seen: Mutex::new(Vec::new()),
    });
    let app = Router::new().fallback(handle).with_state(stand.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (stand, format!("http://{addr}/v1"))
}

/// A quick configuration: 2 s timeout, 2 retries, 10 ms backoff.
fn config(base_url: &str) -> LlmConfig {
    let mut config = LlmConfig::new(base_url, "test-model");
    config.timeout = Duration::from_secs(2);
    config.backoff = Duration::from_millis(10);
    config
}

#[derive(Debug, Deserialize, PartialEq)]
struct Quiz {
    question: String,
    answer: String,
}

fn quiz_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
        "required": ["question", "answer"],
        "additionalProperties": false,
    })
}

fn messages() -> Vec<Message> {
    vec![
        Message::system("You write quiz questions as JSON."),
        Message::user("One question about GraphQL resolvers."),
    ]
}

async fn ask(client: &LlmClient) -> Result<agora_llm::Completion<Quiz>, LlmError> {
    let schema = quiz_schema();
    client
        .complete_json::<Quiz>(
            &messages(),
            JsonSchema {
                name: "quiz",
                schema: &schema,
            },
        )
        .await
}

fn expected_quiz() -> Quiz {
    Quiz {
        question: "What is a resolver?".into(),
        answer: "A function".into(),
    }
}

#[tokio::test]
async fn good_reply_is_deserialized_and_request_is_well_formed() {
    let (stand, base) = stand_in(vec![Canned::good()]).await;
    let mut config = config(&base);
    config.api_key = Some(KEY.into());
    config.max_output_tokens = Some(512);
    let client = LlmClient::new(config).unwrap();
    assert_eq!(
        client.endpoint(),
        format!("{base}/chat/completions").as_str()
    );

    let completion = ask(&client).await.unwrap();
    assert_eq!(completion.value, expected_quiz());
    assert_eq!(completion.attempts, 1);
    assert_eq!(completion.model, "stand-in-model-v2");
    assert_eq!(completion.prompt_tokens, Some(42));
    assert_eq!(completion.completion_tokens, Some(7));

    let requests = stand.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(
        request.headers[header::AUTHORIZATION],
        format!("Bearer {KEY}").as_str()
    );
    assert_eq!(request.headers[header::USER_AGENT], "agora");
    assert!(
        request.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = &request.body;
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["temperature"], 0.2);
    assert_eq!(body["max_tokens"], 512);
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "You write quiz questions as JSON."},
            {"role": "user", "content": "One question about GraphQL resolvers."},
        ])
    );
    assert_eq!(
        body["response_format"],
        json!({
            "type": "json_schema",
            "json_schema": {"name": "quiz", "schema": quiz_schema(), "strict": true},
        })
    );
}

#[tokio::test]
async fn no_key_no_authorization_and_trailing_slash_tolerated() {
    let (stand, base) = stand_in(vec![Canned::message(
        // No refusal field at all.
        json!({"role": "assistant", "content": r#"{"question": "What is a resolver?", "answer": "A function"}"#}),
        "stop",
    )])
    .await;
    let client = LlmClient::new(config(&format!("{base}/"))).unwrap();
    let completion = ask(&client).await.unwrap();
    assert_eq!(completion.value, expected_quiz());

    let requests = stand.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert!(requests[0].headers.get(header::AUTHORIZATION).is_none());
    assert!(requests[0].body.get("max_tokens").is_none());
}

#[tokio::test]
async fn model_falls_back_to_configured_and_usage_is_optional() {
    let (_stand, base) = stand_in(vec![Canned::status(
        200,
        json!({
            "choices": [{
                "message": {"role": "assistant", "content": r#"{"question": "What is a resolver?", "answer": "A function"}"#},
                "finish_reason": "stop",
            }],
        })
        .to_string(),
    )])
    .await;
    let client = LlmClient::new(config(&base)).unwrap();
    let completion = ask(&client).await.unwrap();
    assert_eq!(completion.model, "test-model");
    assert_eq!(completion.prompt_tokens, None);
    assert_eq!(completion.completion_tokens, None);
}

#[tokio::test]
async fn fenced_json_content_is_accepted() {
    let (stand, base) = stand_in(vec![Canned::content(
        "```json\n{\"question\": \"What is a resolver?\", \"answer\": \"A function\"}\n```",
    )])
    .await;
    let client = LlmClient::new(config(&base)).unwrap();
    let completion = ask(&client).await.unwrap();
    assert_eq!(completion.value, expected_quiz());
    assert_eq!(completion.attempts, 1);
    assert_eq!(stand.count(), 1);
}

#[tokio::test]
async fn slow_server_times_out_after_all_attempts() {
    let (stand, base) = stand_in(vec![Canned::good().delayed(Duration::from_secs(5))]).await;
    let mut config = config(&base);
    config.timeout = Duration::from_millis(300);
    config.retries = 1;
    let client = LlmClient::new(config).unwrap();

    let started = Instant::now();
    let err = ask(&client).await.unwrap_err();
    let elapsed = started.elapsed();
    match &err {
        LlmError::Timeout { after, attempts } => {
            assert_eq!(*after, Duration::from_millis(300));
            assert_eq!(*attempts, 2);
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(err.is_transient());
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(stand.count(), 2);
}

#[tokio::test]
async fn slow_first_reply_then_prompt_one_succeeds() {
    // The first reply takes longer than the timeout, the second is prompt: one retry succeeds.
    let (stand, base) = stand_in(vec![
        Canned::good().delayed(Duration::from_secs(5)),
        Canned::good(),
    ])
    .await;
    let mut config = config(&base);
    config.timeout = Duration::from_millis(300);
    let client = LlmClient::new(config).unwrap();
    let completion = ask(&client).await.unwrap();
    assert_eq!(completion.attempts, 2);
    assert_eq!(stand.count(), 2);
}

#[tokio::test]
async fn malformed_content_is_retried() {
    let (stand, base) = stand_in(vec![
        Canned::content("Sure! Here is a question about resolvers."),
        Canned::good(),
    ])
    .await;
    let client = LlmClient::new(config(&base)).unwrap();
    let completion = ask(&client).await.unwrap();
    assert_eq!(completion.value, expected_quiz());
    assert_eq!(completion.attempts, 2);
    assert_eq!(stand.count(), 2);
}

#[tokio::test]
async fn malformed_every_time_gives_malformed_after_all_attempts() {
    let (stand, base) = stand_in(vec![Canned::content("{not json at all")]).await;
    let client = LlmClient::new(config(&base)).unwrap();
    let err = ask(&client).await.unwrap_err();
    match &err {
        LlmError::Malformed(message) => assert!(message.contains("not valid JSON"), "{message}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
    assert!(!err.is_transient());
    assert_eq!(stand.count(), 3);
}

#[tokio::test]
async fn garbage_bodies_are_retried() {
    let (stand, base) = stand_in(vec![
        Canned::status(200, "<html><body>Bad gateway-ish</body></html>"),
        Canned::status(200, r#"{"object": "chat.completion", "choices": []}"#),
        Canned::good(),
    ])
    .await;
    let client = LlmClient::new(config(&base)).unwrap();
    let completion = ask(&client).await.unwrap();
    assert_eq!(completion.attempts, 3);
    assert_eq!(stand.count(), 3);
}

#[tokio::test]
async fn wrong_shape_is_retried_then_malformed() {
    let (stand, base) =
        stand_in(vec![Canned::content(r#"{"question": "Only a question?"}"#)]).await;
    let mut config = config(&base);
    config.retries = 1;
    let client = LlmClient::new(config).unwrap();
    let err = ask(&client).await.unwrap_err();
    match &err {
        LlmError::Malformed(message) => {
            assert!(message.contains("expected shape"), "{message}");
            assert!(message.contains("answer"), "{message}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    assert_eq!(stand.count(), 2);
}

#[tokio::test]
async fn server_error_then_success() {
    let (stand, base) = stand_in(vec![
        Canned::status(500, r#"{"error": {"message": "boom"}}"#),
        Canned::good(),
    ])
    .await;
    let client = LlmClient::new(config(&base)).unwrap();
    let completion = ask(&client).await.unwrap();
    assert_eq!(completion.value, expected_quiz());
    assert_eq!(completion.attempts, 2);
    assert_eq!(stand.count(), 2);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (stand, base) = stand_in(vec![
        Canned::status(503, "").header("retry-after", "1"),
        Canned::good(),
    ])
    .await;
    let client = LlmClient::new(config(&base)).unwrap();
    let started = Instant::now();
    let completion = ask(&client).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(completion.attempts, 2);
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
    assert_eq!(stand.count(), 2);
}

#[tokio::test]
async fn rate_limited_every_time_is_unavailable() {
    let (stand, base) = stand_in(vec![Canned::status(
        429,
        r#"{"error": {"message": "Rate limit reached for requests", "type": "requests"}}"#,
    )])
    .await;
    let client = LlmClient::new(config(&base)).unwrap();
    let err = ask(&client).await.unwrap_err();
    match &err {
        LlmError::Unavailable {
            status,
            attempts,
            message,
        } => {
            assert_eq!(*status, Some(429));
            assert_eq!(*attempts, 3);
            assert!(message.contains("Rate limit reached"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(err.is_transient());
    assert_eq!(stand.count(), 3);
}

#[tokio::test]
async fn unauthorized_is_rejected_at_once_without_leaking_the_key() {
    let (stand, base) = stand_in(vec![Canned::status(
        401,
        json!({"error": {
            "message": format!("Incorrect API key provided: {KEY}. You can find your API key at https://example.invalid/keys."),
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }})
        .to_string(),
    )])
    .await;
    let mut config = config(&base);
    config.api_key = Some(KEY.into());
    assert!(!format!("{config:?}").contains(KEY));
    assert!(!format!("{config:#?}").contains(KEY));
    let client = LlmClient::new(config).unwrap();
    assert!(!format!("{client:?}").contains(KEY));

    let err = ask(&client).await.unwrap_err();
    match &err {
        LlmError::Rejected { status, message } => {
            assert_eq!(*status, 401);
            assert!(
                message.starts_with("Incorrect API key provided"),
                "{message}"
            );
            assert!(message.chars().count() <= 200, "{message}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(!err.is_transient());
    assert!(!err.to_string().contains(KEY), "{err}");
    assert!(!format!("{err:?}").contains(KEY), "{err:?}");
    assert_eq!(stand.count(), 1);
}

#[tokio::test]
async fn long_error_messages_are_cut_and_other_client_errors_not_retried() {
    for status in [400, 403, 404, 422] {
        let (stand, base) = stand_in(vec![Canned::status(
            status,
            json!({"error": {"message": "x".repeat(1000)}}).to_string(),
        )])
        .await;
        let client = LlmClient::new(config(&base)).unwrap();
        match ask(&client).await.unwrap_err() {
            LlmError::Rejected {
                status: got,
                message,
            } => {
                assert_eq!(got, status);
                assert!(message.chars().count() <= 200, "{message}");
                assert!(message.starts_with("xxx"), "{message}");
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
        assert_eq!(stand.count(), 1, "HTTP {status} was retried");
    }
}

#[tokio::test]
async fn non_json_error_body_uses_the_status_reason() {
    let (stand, base) = stand_in(vec![Canned::status(404, "<html>Not here</html>")]).await;
    let client = LlmClient::new(config(&base)).unwrap();
    match ask(&client).await.unwrap_err() {
        LlmError::Rejected { status, message } => {
            assert_eq!(status, 404);
            assert_eq!(message, "Not Found");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(stand.count(), 1);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (stand, base) = stand_in(vec![
        Canned::status(307, "").header("location", "http://127.0.0.1:9/v1/chat/completions"),
    ])
    .await;
    let client = LlmClient::new(config(&base)).unwrap();
    match ask(&client).await.unwrap_err() {
        LlmError::Rejected { status, message } => {
            assert_eq!(status, 307);
            assert!(message.contains("redirects are not followed"), "{message}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(stand.count(), 1);
}

#[tokio::test]
async fn cut_off_reply_is_malformed_without_retry() {
    let (stand, base) = stand_in(vec![Canned::message(
        json!({"role": "assistant", "content": r#"{"question": "What is a resol"#}),
        "length",
    )])
    .await;
    let client = LlmClient::new(config(&base)).unwrap();
    match ask(&client).await.unwrap_err() {
        LlmError::Malformed(message) => {
            assert!(message.contains("cut off"), "{message}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    assert_eq!(stand.count(), 1);
}

#[tokio::test]
async fn refusal_is_reported_after_one_request() {
    let (stand, base) = stand_in(vec![Canned::message(
        json!({"role": "assistant", "content": null, "refusal": "I can't help with that."}),
        "stop",
    )])
    .await;
    let client = LlmClient::new(config(&base)).unwrap();
    let err = ask(&client).await.unwrap_err();
    match &err {
        LlmError::Refused(text) => assert_eq!(text, "I can't help with that."),
        other => panic!("expected Refused, got {other:?}"),
    }
    assert!(!err.is_transient());
    assert_eq!(stand.count(), 1);
}

#[tokio::test]
async fn connection_refused_is_unavailable_after_all_attempts() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = LlmClient::new(config(&format!("http://127.0.0.1:{port}/v1"))).unwrap();
    let started = Instant::now();
    let err = ask(&client).await.unwrap_err();
    match &err {
        LlmError::Unavailable {
            status,
            attempts,
            message,
        } => {
            assert_eq!(*status, None);
            assert_eq!(*attempts, 3);
            assert!(message.contains("could not connect"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(err.is_transient());
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn unusual_server_status_is_unavailable_without_retry() {
    let (stand, base) = stand_in(vec![Canned::status(501, "")]).await;
    let client = LlmClient::new(config(&base)).unwrap();
    match ask(&client).await.unwrap_err() {
        LlmError::Unavailable {
            status, attempts, ..
        } => {
            assert_eq!(status, Some(501));
            assert_eq!(attempts, 1);
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(stand.count(), 1);
}

#[tokio::test]
async fn base_url_validation() {
    for base in ["ftp://x", "not a url", "", "unix:///tmp/llm.sock"] {
        match LlmClient::new(LlmConfig::new(base, "m")) {
            Err(LlmError::Config(message)) => assert!(!message.is_empty()),
            other => panic!("{base:?}: expected a Config error, got {other:?}"),
        }
    }
    let config = LlmConfig::new("https://llm.example/v1/", "m");
    assert_eq!(config.timeout, Duration::from_secs(30));
    assert_eq!(config.retries, 2);
    assert_eq!(config.api_key, None);
    assert_eq!(config.max_output_tokens, None);
    let client = LlmClient::new(config).unwrap();
    assert_eq!(client.endpoint(), "https://llm.example/v1/chat/completions");
}

#[tokio::test]
async fn clones_share_the_endpoint() {
    let (stand, base) = stand_in(vec![Canned::good()]).await;
    let client = LlmClient::new(config(&base)).unwrap();
    let clone = client.clone();
    let (a, b) = tokio::join!(ask(&client), ask(&clone));
    assert_eq!(a.unwrap().value, expected_quiz());
    assert_eq!(b.unwrap().value, expected_quiz());
    assert_eq!(stand.count(), 2);
    assert_eq!(
        serde_json::to_value(Role::Assistant).unwrap(),
        json!("assistant")
    );
}

/// A raw HTTP/1.1 server that answers every connection with `head` and `partial_body`, then
/// either stalls (`stall == true`) or closes the connection; returns its base URL and a counter
/// of accepted connections.
async fn raw_server(partial_body: &'static str, stall: bool) -> (String, Arc<Mutex<usize>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(Mutex::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            *counter.lock().unwrap() += 1;
            tokio::spawn(async move {
                let mut buf = vec![0; 64 * 1024];
                // Good enough for these small requests: read until the body has arrived.
                let mut seen = Vec::new();
                loop {
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    if seen.ends_with(b"}") {
                        break;
                    }
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                            content-length: 10000\r\n\r\n";
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(partial_body.as_bytes()).await;
                let _ = socket.flush().await;
                if stall {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
            });
        }
    });
    (format!("http://{addr}/v1"), accepted)
}

#[tokio::test]
async fn slow_body_counts_against_the_timeout() {
    // Headers arrive at once, the body never finishes: the attempt must still time out.
    let (base, accepted) = raw_server(r#"{"choices": ["#, true).await;
    let mut config = config(&base);
    config.timeout = Duration::from_millis(300);
    config.retries = 1;
    let client = LlmClient::new(config).unwrap();
    let started = Instant::now();
    let err = ask(&client).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, LlmError::Timeout { attempts: 2, .. }),
        "{err:?}"
    );
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(*accepted.lock().unwrap(), 2);
}

#[tokio::test]
async fn connection_dropped_mid_body_is_unavailable_after_retries() {
    let (base, accepted) = raw_server(r#"{"choices": ["#, false).await;
    let client = LlmClient::new(config(&base)).unwrap();
    let err = ask(&client).await.unwrap_err();
    match &err {
        LlmError::Unavailable {
            status, attempts, ..
        } => {
            assert_eq!(*status, None);
            assert_eq!(*attempts, 3);
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(err.is_transient());
    assert_eq!(*accepted.lock().unwrap(), 3);
}
