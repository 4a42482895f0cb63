//! Captures: text, pages, screenshots and videos made into a personal topic and cards, in the
//! background; the fetcher's forgery guard; the model client against a stand-in endpoint;
//! multipart uploads.

use std::{sync::Arc, time::Duration};

use axum::{Router, response::IntoResponse, routing::get};
use serde_json::{Value, json};

use super::common::{TestServer, assert_code, multipart, server::ServerOptions, ws};

const CAPTURE: &str = "mutation($input: CaptureContentInput!) { captureContent(input: $input) {
    id status type } }";
const READ: &str = "query($id: ID!) { capture(id: $id) { id status reason title processor text
    url topic { name } flashcards { front back } } }";

/// The Wikipedia-style paragraph the offline method reads.
const PHOTOSYNTHESIS: &str = "Photosynthesis is the process by which green plants, algae and \
    some bacteria turn light energy into chemical energy stored in glucose. It takes place \
    mainly in the chloroplasts of leaf cells, which contain the green pigment chlorophyll. \
    Chlorophyll absorbs red and blue light and reflects green light, which is why leaves look \
    green. During the light reactions, water molecules are split and oxygen is released into \
    the air. The Calvin cycle then uses carbon dioxide from the air to build sugar molecules. \
    Jan Ingenhousz showed in 1779 that plants need sunlight to produce oxygen. Almost all the \
    oxygen in the atmosphere comes from photosynthesis.";

async fn start(args: &[&str]) -> TestServer {
    TestServer::start_with(ServerOptions {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        ..ServerOptions::default()
    })
    .await
}

/// Polls capture `id` until it is processed or failed.
async fn settled(server: &TestServer, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        server.wait_for_outbox().await;
        let body = server.gql_as(token, READ, json!({ "id": id })).await;
        let capture = body["data"]["capture"].clone();
        assert!(capture.is_object(), "{body}");
        if capture["status"] == "PROCESSED" || capture["status"] == "FAILED" {
            return capture;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("capture {id} never settled");
}

/// The id of a capture `captureContent` returned.
fn id_of(body: &Value) -> String {
    body["data"]["captureContent"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// Sends `input` and waits for the capture to settle.
async fn captured(server: &TestServer, token: &str, input: Value) -> Value {
    let sent = capture(server, token, input).await;
    settled(server, token, &id_of(&sent)).await
}

async fn capture(server: &TestServer, token: &str, input: Value) -> Value {
    server
        .gql_as(token, CAPTURE, json!({ "input": input }))
        .await
}

async fn stored_captures(server: &TestServer) -> u64 {
    use agora_entities::learning::capture;
    use sea_orm::{EntityTrait, PaginatorTrait};
    capture::Entity::find()
        .count(&server.state.platform.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn text_becomes_a_topic_and_cards_and_is_followed_live() {
    let server = TestServer::start().await;
    let token = server.register_token("capturer@example.org").await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    ws::init_transport(&mut socket, json!({ "token": token })).await;
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription { captureUpdated { id status } }" } }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let sent = capture(
        &server,
        &token,
        json!({ "type": "TEXT", "content": PHOTOSYNTHESIS, "source": "Biology, chapter 3" }),
    )
    .await;
    let id = sent["data"]["captureContent"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{sent}"))
        .to_owned();
    assert_eq!(sent["data"]["captureContent"]["status"], "PENDING");
    let done = settled(&server, &token, &id).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    assert_eq!(done["processor"], "TEXTRANK");
    let cards = done["flashcards"].as_array().expect("cards");
    assert!((3..=5).contains(&cards.len()), "{done}");
    assert!(
        cards
            .iter()
            .any(|c| c["front"] == "What is photosynthesis?"
                || c["front"] == "What is Photosynthesis?"),
        "a question from the definition: {done}"
    );
    assert!(
        cards
            .iter()
            .any(|c| c["front"].as_str().unwrap_or_default().contains("_____")),
        "a cloze card: {done}"
    );
    // No title was found in plain text: the source names the topic.
    assert_eq!(done["topic"]["name"], "Biology, chapter 3");
    // The cards are the learner's like any other.
    let mine = server
        .gql_as(
            &token,
            "{ myFlashcards(first: 10) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["data"]["myFlashcards"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(cards.len())
    );

    // The subscription followed it to PROCESSED.
    let mut statuses = Vec::new();
    while statuses.last().map(String::as_str) != Some("PROCESSED") {
        let message = tokio::time::timeout(Duration::from_secs(10), ws::next_json(&mut socket))
            .await
            .unwrap_or_else(|_| panic!("no update after {statuses:?}"));
        assert_eq!(
            message["payload"]["data"]["captureUpdated"]["id"],
            id.as_str()
        );
        statuses.push(
            message["payload"]["data"]["captureUpdated"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    // Each message is re-read: a quick succession shows the latest state, never an older one
    // after a newer, never one twice.
    let order = ["PENDING", "PROCESSING", "PROCESSED"];
    let ranks: Vec<usize> = statuses
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("a known status"))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{statuses:?}");

    // Listed, filtered, deleted (the cards stay).
    let listed = server
        .gql_as(
            &token,
            "{ captures(first: 5, status: PROCESSED) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["captures"]["edges"][0]["node"]["id"],
        id.as_str()
    );
    let failed = server
        .gql_as(
            &token,
            "{ captures(first: 5, status: FAILED) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(failed["data"]["captures"]["edges"], json!([]));
    let other = server.register_token("other@example.org").await;
    assert_eq!(
        server.gql_as(&other, READ, json!({ "id": id })).await["data"]["capture"],
        Value::Null
    );
    let deleted = server
        .gql_as(
            &other,
            "mutation($id: ID!) { deleteCapture(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_code!(deleted, "NOT_FOUND");
    let deleted = server
        .gql_as(
            &token,
            "mutation($id: ID!) { deleteCapture(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted["data"]["deleteCapture"], id.as_str(), "{deleted}");
    assert_eq!(stored_captures(&server).await, 0);
    let mine = server
        .gql_as(
            &token,
            "{ myFlashcards(first: 10) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["data"]["myFlashcards"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(cards.len())
    );
}

#[tokio::test]
async fn bad_captures_are_refused_by_field_and_nothing_is_stored() {
    let server = TestServer::start().await;
    let token = server.register_token("careless@example.org").await;
    let cases = [
        (
            json!({ "type": "TEXT", "content": "too short" }),
            "input.content",
        ),
        (json!({ "type": "TEXT" }), "input.content"),
        (
            json!({ "type": "URL", "content": "ftp://example.org/notes" }),
            "input.content",
        ),
        (
            json!({ "type": "URL", "content": "http://127.0.0.1:5432/" }),
            "input.content",
        ),
        (
            json!({ "type": "URL", "content": "http://169.254.169.254/latest/meta-data/" }),
            "input.content",
        ),
        (
            json!({ "type": "URL", "content": "http://localhost:8080/admin" }),
            "input.content",
        ),
        (
            json!({ "type": "URL", "content": "http://[::1]/" }),
            "input.content",
        ),
        (
            json!({ "type": "URL", "content": "http://user:secret@example.org/" }),
            "input.content",
        ),
        (json!({ "type": "SCREENSHOT" }), "input.upload"),
        (
            json!({ "type": "SCREENSHOT", "content": PHOTOSYNTHESIS }),
            "input.content",
        ),
        (
            json!({ "type": "TEXT", "content": PHOTOSYNTHESIS, "source": "x".repeat(2001) }),
            "input.source",
        ),
        (
            json!({ "type": "TEXT", "content": "word ".repeat(20_001) }),
            "input.content",
        ),
    ];
    for (input, field) in cases {
        let body = capture(&server, &token, input.clone()).await;
        assert_code!(body, "BAD_USER_INPUT", "{input}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{input}: {body}"
        );
    }
    let anonymous = server
        .gql(
            CAPTURE,
            json!({ "input": { "type": "TEXT", "content": PHOTOSYNTHESIS } }),
        )
        .await;
    assert_code!(anonymous, "UNAUTHENTICATED");
    assert_eq!(stored_captures(&server).await, 0);
}

async fn upload(
    server: &TestServer,
    token: &str,
    kind: &str,
    file: &[u8],
    content_type: &str,
    preflight: bool,
) -> (u16, Value) {
    let operations = json!({ "query": CAPTURE,
        "variables": { "input": { "type": kind, "upload": null } } });
    let (form_type, body) = multipart(operations, file, content_type);
    let mut request = server
        .http
        .post(server.url("/graphql"))
        .header("content-type", form_type)
        .bearer_auth(token)
        .body(body);
    if preflight {
        request = request.header("apollo-require-preflight", "true");
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn installed(programs: &[&str]) -> bool {
    let found = |program: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
    };
    let installed = programs.iter().all(|p| found(p));
    if !installed {
        let message = format!("SKIPPED: apt-get install {}", programs.join(" "));
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("{message}");
    }
    installed
}

/// A real screenshot: Chromium renders a page with the paragraph and saves it as PNG.
fn screenshot_of(text: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("dir");
    let page = dir.path().join("page.html");
    std::fs::write(
        &page,
        format!(
            "<html><body style='font: 22px sans-serif; width: 900px; margin: 20px'><p>{text}</p>\
             </body></html>"
        ),
    )
    .expect("page");
    let png = dir.path().join("shot.png");
    let status = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=960,600")
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("chromium");
    assert!(status.success());
    std::fs::read(&png).expect("png")
}

#[tokio::test]
async fn screenshots_are_read_by_ocr_through_a_multipart_upload() {
    if !installed(&["tesseract", "chromium"]) {
        return;
    }
    let server = TestServer::start().await;
    let token = server.register_token("snapper@example.org").await;
    let png = screenshot_of(PHOTOSYNTHESIS);

    // Forms need the preflight header; files of the wrong type are refused by field.
    let (status, body) = upload(&server, &token, "SCREENSHOT", &png, "image/png", false).await;
    assert_eq!(status, 400, "{body}");
    let (_, body) = upload(
        &server,
        &token,
        "SCREENSHOT",
        b"not an image",
        "image/png",
        true,
    )
    .await;
    assert_code!(body, "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "input.upload");
    let (_, body) = upload(&server, &token, "VIDEO", b"plain text", "text/plain", true).await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "input.upload",
        "{body}"
    );
    assert_eq!(stored_captures(&server).await, 0);

    let (status, body) = upload(&server, &token, "SCREENSHOT", &png, "image/png", true).await;
    assert_eq!(status, 200, "{body}");
    let id = id_of(&body);
    let done = settled(&server, &token, &id).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    let text = done["text"].as_str().unwrap_or_default().to_lowercase();
    for word in ["photosynthesis", "chlorophyll", "glucose"] {
        assert!(text.contains(word), "OCR missed {word}: {text}");
    }
    assert!(
        done["flashcards"].as_array().is_some_and(|c| c.len() >= 3),
        "{done}"
    );
    // The upload is gone once processed.
    use agora_entities::learning::capture_upload;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let uploads = capture_upload::Entity::find()
        .count(&server.state.platform.db)
        .await
        .expect("count");
    assert_eq!(uploads, 0);
}

#[tokio::test]
async fn a_video_is_transcribed_into_cards() {
    if !installed(&["espeak-ng", "ffmpeg", "pocketsphinx_continuous"]) {
        return;
    }
    let server = TestServer::start().await;
    let token = server.register_token("watcher@example.org").await;
    let dir = tempfile::tempdir().expect("dir");
    let wav = dir.path().join("said.wav");
    let said = "Photosynthesis is the process by which plants make sugar from light. \
                The leaves of the plant take in carbon dioxide from the air. \
                Water comes up from the roots of the plant to the leaves.";
    assert!(
        std::process::Command::new("espeak-ng")
            .args(["-s", "140", "-w"])
            .arg(&wav)
            .args(["--", said])
            .status()
            .expect("espeak-ng")
            .success()
    );
    let video = dir.path().join("lecture.mkv");
    assert!(
        std::process::Command::new("ffmpeg")
            .args([
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "color=c=black:s=64x64:r=5"
            ])
            .arg("-i")
            .arg(&wav)
            .args(["-shortest", "-c:v", "ffv1", "-c:a", "pcm_s16le"])
            .arg(&video)
            .status()
            .expect("ffmpeg")
            .success()
    );
    let bytes = std::fs::read(&video).expect("video");
    let (status, body) = upload(&server, &token, "VIDEO", &bytes, "video/x-matroska", true).await;
    assert_eq!(status, 200, "{body}");
    let id = id_of(&body);
    let done = settled(&server, &token, &id).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    let text = done["text"].as_str().unwrap_or_default().to_lowercase();
    // PocketSphinx hears a synthetic voice roughly; some of the content words must come
    // through.
    let heard = [
        "plant", "leaves", "water", "air", "light", "roots", "sugar", "carbon",
    ]
    .iter()
    .filter(|w| text.contains(*w))
    .count();
    assert!(heard >= 2, "the transcript missed most words: {text}");
    assert!(
        !done["flashcards"].as_array().is_none_or(Vec::is_empty),
        "{done}"
    );
}

/// A site on this machine: a page, a redirect into the loopback network, an image.
async fn site() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let page = format!(
        "<html><head><title>Photosynthesis explained</title></head><body>\
         <nav><a href='/'>Home</a> <a href='/about'>About</a></nav>\
         <article><h1>Photosynthesis</h1><p>{PHOTOSYNTHESIS}</p></article>\
         <footer>Cookie settings · Privacy</footer></body></html>"
    );
    let app = Router::new()
        .route(
            "/page",
            get(move || async move { axum::response::Html(page.clone()) }),
        )
        .route(
            "/jump",
            get(move || async move {
                (
                    axum::http::StatusCode::FOUND,
                    [(
                        axum::http::header::LOCATION,
                        format!("http://127.0.0.1:{port}/page"),
                    )],
                )
                    .into_response()
            }),
        )
        .route(
            "/image",
            get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "image/png")],
                    vec![0u8; 10],
                )
            }),
        );
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://localhost:{port}"), handle)
}

#[tokio::test]
async fn pages_are_fetched_from_allowed_hosts_and_redirects_into_the_network_fail() {
    let (base, _site) = site().await;
    let server = start(&["--capture-allowed-hosts", "localhost"]).await;
    let token = server.register_token("reader@example.org").await;

    let done = captured(
        &server,
        &token,
        json!({ "type": "URL", "content": format!("{base}/page") }),
    )
    .await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    assert_eq!(done["title"], "Photosynthesis explained");
    assert_eq!(done["topic"]["name"], "Photosynthesis explained");
    assert_eq!(done["url"], format!("{base}/page"));
    let text = done["text"].as_str().unwrap_or_default();
    assert!(text.contains("chloroplasts"), "{text}");
    assert!(
        !text.contains("Cookie settings"),
        "boilerplate kept: {text}"
    );

    // localhost is allowed; 127.0.0.1, where the redirect leads, is not.
    let done = captured(
        &server,
        &token,
        json!({ "type": "URL", "content": format!("{base}/jump") }),
    )
    .await;
    assert_eq!(done["status"], "FAILED", "{done}");
    assert!(
        done["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("private"),
        "{done}"
    );
    assert_eq!(done["flashcards"], json!([]));

    let done = captured(
        &server,
        &token,
        json!({ "type": "URL", "content": format!("{base}/image") }),
    )
    .await;
    assert_eq!(done["status"], "FAILED", "{done}");
    assert!(
        done["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not a web page"),
        "{done}"
    );
}

/// A stand-in chat-completions endpoint: answers each request with the next scripted reply.
async fn model(
    replies: Vec<(u16, String, Duration)>,
) -> (String, Arc<std::sync::Mutex<Vec<Value>>>) {
    let script = Arc::new(std::sync::Mutex::new(std::collections::VecDeque::from(
        replies,
    )));
    let seen: Arc<std::sync::Mutex<Vec<Value>>> = Arc::default();
    let app = {
        let (script, seen) = (Arc::clone(&script), Arc::clone(&seen));
        Router::new().route(
            "/v1/chat/completions",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                let (script, seen) = (Arc::clone(&script), Arc::clone(&seen));
                async move {
                    seen.lock().expect("lock").push(body);
                    let next = script.lock().expect("lock").pop_front();
                    let (status, content, delay) =
                        next.unwrap_or((500, String::new(), Duration::ZERO));
                    tokio::time::sleep(delay).await;
                    let reply = json!({ "model": "stand-in", "choices": [{ "index": 0,
                        "finish_reason": "stop",
                        "message": { "role": "assistant", "content": content } }],
                        "usage": { "prompt_tokens": 10, "completion_tokens": 5 } });
                    (
                        axum::http::StatusCode::from_u16(status).expect("status"),
                        axum::Json(reply),
                    )
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

#[tokio::test]
async fn a_configured_model_writes_the_cards_and_textrank_covers_its_failures() {
    let good = json!({ "title": "Light into sugar", "cards": [
        { "front": "Where does photosynthesis mainly take place?", "back": "In the chloroplasts" },
        { "front": "What gas does the Calvin cycle use?", "back": "Carbon dioxide" },
        { "front": "What gas does the Calvin cycle use?", "back": "A duplicate, dropped" },
        { "front": "", "back": "A blank front, dropped" }
    ] })
    .to_string();
    let (url, seen) = model(vec![
        // First capture: a slow reply (past the timeout), then a good one.
        (200, good.clone(), Duration::from_secs(3)),
        (200, good, Duration::ZERO),
        // Second capture: garbage every time.
        (200, "this is not JSON".into(), Duration::ZERO),
        (200, "{\"cards\": 3}".into(), Duration::ZERO),
    ])
    .await;
    let server = start(&[
        "--llm-url",
        &url,
        "--llm-model",
        "stand-in-model",
        "--llm-api-key",
        "sk-test",
        "--llm-timeout",
        "1s",
        "--llm-retries",
        "1",
    ])
    .await;
    let token = server.register_token("modeller@example.org").await;

    let done = captured(
        &server,
        &token,
        json!({ "type": "TEXT", "content": PHOTOSYNTHESIS }),
    )
    .await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    assert_eq!(done["processor"], "LLM");
    assert_eq!(done["title"], "Light into sugar");
    assert_eq!(
        done["flashcards"],
        json!([
            { "front": "Where does photosynthesis mainly take place?", "back": "In the chloroplasts" },
            { "front": "What gas does the Calvin cycle use?", "back": "Carbon dioxide" }
        ])
    );
    {
        let requests = seen.lock().expect("lock");
        assert_eq!(requests.len(), 2, "one retry after the timeout");
        let request = &requests[0];
        assert_eq!(request["model"], "stand-in-model");
        assert_eq!(request["response_format"]["type"], "json_schema");
        assert_eq!(request["response_format"]["json_schema"]["strict"], true);
        assert!(
            request["messages"][1]["content"]
                .as_str()
                .unwrap_or_default()
                .contains("chloroplasts")
        );
    }

    // Malformed replies, retries spent: the offline method makes the cards instead.
    let done = captured(
        &server,
        &token,
        json!({ "type": "TEXT", "content": PHOTOSYNTHESIS }),
    )
    .await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    assert_eq!(done["processor"], "TEXTRANK");
    assert!(
        done["flashcards"].as_array().is_some_and(|c| c.len() >= 3),
        "{done}"
    );
    assert_eq!(seen.lock().expect("lock").len(), 4);
}
