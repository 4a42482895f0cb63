//! Air-quality sensors end to end: stations and who may manage them, ingestion through the
//! GraphQL mutation and the provider endpoints (validation, conversion, idempotency, device-key
//! binding), series and search in SQL, the live reading and AQI feeds over WebSocket, alert
//! rules notifying followers, forecasts and the CSV export.

use std::time::Duration;

use chrono::{DateTime, Duration as Span, DurationRound, Utc};
use serde_json::{Value, json};

use super::common::{
    ServerOptions, TestServer, assert_body_snapshot, assert_code, assert_no_errors,
    sensors::{CREATE_KEY, CREATE_STATION, INGEST, ingest, reading, station},
    users::{User, user},
    ws::{self, Incoming},
};

const STATION: &str = "query($id: ID!) { station(id: $id) { id name aqi { value category categoryName dominantPollutant } latest { parameter value unit observedAt anomaly stuck } sensors { parameter unit latest { value } } } }";

const PURPLEAIR_LOCAL: &str = r#"{
  "SensorId": "44:17:93:1:e8:e6",
  "DateTime": "DATETIME",
  "current_temp_f": 64,
  "current_humidity": 30,
  "pm2_5_atm": 8.2,
  "pm2_5_atm_b": 7.8,
  "pm10_0_atm": 10.4,
  "pm10_0_atm_b": 9.6
}"#;

const AIRQO: &str = r#"{
  "success": true,
  "measurements": [
    { "device": "aq_g5_87", "time": "@T1@", "pm2_5": { "value": 48.12, "calibratedValue": 41.37 },
      "pm10": { "value": 58.88 }, "externalTemperature": { "value": 23.5 }, "externalHumidity": { "value": 62.7 } },
    { "device": "aq_g5_87", "time": "@T2@", "pm2_5": { "value": 30.0, "calibratedValue": null },
      "pm10": { "value": null } }
  ]
}"#;

/// Whole hours, some time ago, so a series has clean buckets and nothing is in the future.
fn base_time() -> DateTime<Utc> {
    (Utc::now() - Span::hours(30))
        .duration_trunc(Span::hours(1))
        .expect("truncates")
}

async fn admin(server: &TestServer) -> String {
    server.register_token("admin@example.org").await
}

#[tokio::test]
async fn only_admins_register_stations_and_owners_or_admins_edit_them() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let learner = server.register_token("learner@example.org").await;
    let input = json!({ "i": { "name": "Kibera", "latitude": -1.31, "longitude": 36.78, "city": "Nairobi", "country": "KE", "provider": "AIRQO" } });
    assert_code!(
        server.gql(CREATE_STATION, input.clone()).await,
        "UNAUTHENTICATED"
    );
    assert_code!(
        server.gql_as(&learner, CREATE_STATION, input.clone()).await,
        "FORBIDDEN"
    );
    let bad = server
        .gql_as(
            &admin,
            CREATE_STATION,
            json!({ "i": { "name": "X", "latitude": 91.0, "longitude": 0.0, "city": "X", "country": "KE" } }),
        )
        .await;
    assert_code!(bad, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "only_admins_register_stations_and_owners_or_admins_edit_them-bad",
        bad
    );
    let country = server
        .gql_as(
            &admin,
            CREATE_STATION,
            json!({ "i": { "name": "X", "latitude": 1.0, "longitude": 0.0, "city": "X", "country": "Kenya" } }),
        )
        .await;
    assert_body_snapshot!(
        "only_admins_register_stations_and_owners_or_admins_edit_them-country",
        country
    );

    let created = server.gql_as(&admin, CREATE_STATION, input).await;
    assert_no_errors(&created);
    let s = &created["data"]["createStation"];
    assert_eq!(s["provider"], "AIRQO");
    assert_eq!(s["country"], "KE");
    let id = s["id"].as_str().expect("id");
    let update = "mutation($i: UpdateStationInput!) { updateStation(input: $i) { name city } }";
    let renamed = json!({ "i": { "id": id, "name": "Kibera Olympic" } });
    assert_code!(
        server.gql_as(&learner, update, renamed.clone()).await,
        "FORBIDDEN"
    );
    let body = server.gql_as(&admin, update, renamed).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["updateStation"]["name"], "Kibera Olympic");
    assert_eq!(body["data"]["updateStation"]["city"], "Nairobi");
    assert_code!(
        server
            .gql_as(&learner, CREATE_KEY, json!({ "id": id }))
            .await,
        "FORBIDDEN"
    );

    let delete = "mutation($id: ID!) { deleteStation(id: $id) }";
    assert_code!(
        server.gql_as(&learner, delete, json!({ "id": id })).await,
        "FORBIDDEN"
    );
    let body = server.gql_as(&admin, delete, json!({ "id": id })).await;
    assert_eq!(
        body["data"]["deleteStation"], id,
        "the deleted station's id"
    );
    assert_code!(
        server.gql_as(&admin, delete, json!({ "id": id })).await,
        "NOT_FOUND"
    );
    let gone = server.gql(STATION, json!({ "id": id })).await;
    assert_no_errors(&gone);
    assert!(gone["data"]["station"].is_null());
    server.shutdown().await;
}

#[tokio::test]
async fn ingest_stores_valid_readings_names_rejected_ones_and_never_doubles() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let s = station(&server, &admin, "Westlands", -1.26, 36.80).await;
    let t = base_time();
    let batch = vec![
        reading("PM25", 12.5, t),
        json!({ "parameter": "CO", "value": 500.0, "unit": "ppb", "observedAt": t.to_rfc3339() }),
        json!({ "parameter": "TEMPERATURE", "value": 68.0, "unit": "°F", "observedAt": t.to_rfc3339() }),
        reading("PM25", 5000.0, t + Span::minutes(1)),
        json!({ "parameter": "PM25", "value": 3.0, "unit": "furlongs", "observedAt": t.to_rfc3339() }),
        json!({ "parameter": "PM25", "value": 3.0, "unit": "ppb", "observedAt": t.to_rfc3339() }),
        reading("PM25", 10.0, Utc::now() + Span::minutes(10)),
        reading("PM25", 12.5, t),
    ];
    let report = ingest(&server, &s, batch.clone()).await;
    assert_eq!(report["accepted"], 3, "{report}");
    assert_eq!(report["duplicates"], 1, "{report}");
    let rejected = report["rejected"].as_array().expect("rejected");
    let indices: Vec<i64> = rejected
        .iter()
        .map(|r| r["index"].as_i64().expect("i"))
        .collect();
    assert_eq!(indices, vec![3, 4, 5, 6]);
    assert!(
        rejected[0]["reason"]
            .as_str()
            .expect("r")
            .contains("physical range"),
        "{report}"
    );
    assert!(
        rejected[1]["reason"]
            .as_str()
            .expect("r")
            .contains("furlongs"),
        "{report}"
    );
    assert!(
        rejected[3]["reason"]
            .as_str()
            .expect("r")
            .contains("future"),
        "{report}"
    );

    // Converted to the canonical units on the way in.
    let body = server.gql(STATION, json!({ "id": s.id })).await;
    assert_no_errors(&body);
    let latest = body["data"]["station"]["latest"]
        .as_array()
        .expect("latest")
        .clone();
    let value_of = |p: &str| {
        latest
            .iter()
            .find(|r| r["parameter"] == p)
            .map(|r| r["value"].as_f64().expect("value"))
    };
    assert!((value_of("CO").expect("CO") - 0.5).abs() < 1e-9);
    assert!((value_of("TEMPERATURE").expect("T") - 20.0).abs() < 1e-9);
    assert_eq!(value_of("PM25"), Some(12.5));

    // The same call again changes nothing.
    let again = ingest(&server, &s, batch).await;
    assert_eq!(again["accepted"], 0);
    assert_eq!(again["duplicates"], 4);
    let too_many: Vec<Value> = (0..5001)
        .map(|i| reading("PM25", 10.0, t - Span::seconds(i)))
        .collect();
    let body = server
        .gql_with(
            INGEST,
            json!({ "id": s.id, "r": too_many }),
            &[("x-api-key", s.key.as_str())],
        )
        .await;
    assert_code!(body, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "ingest_stores_valid_readings_names_rejected_ones_and_never_doubles-body",
        body
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_device_key_writes_only_to_its_own_station() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let a = station(&server, &admin, "Alpha", 0.1, 32.5).await;
    let b = station(&server, &admin, "Beta", 0.2, 32.6).await;
    let learner = server.register_token("learner@example.org").await;
    let one = vec![reading("PM25", 20.0, base_time())];
    let wrong = server
        .gql_with(
            INGEST,
            json!({ "id": b.id, "r": one }),
            &[("x-api-key", a.key.as_str())],
        )
        .await;
    assert_code!(wrong, "FORBIDDEN");
    assert_body_snapshot!("a_device_key_writes_only_to_its_own_station-wrong", wrong);
    let anonymous = server.gql(INGEST, json!({ "id": b.id, "r": one })).await;
    assert_code!(anonymous, "UNAUTHENTICATED");
    assert_body_snapshot!(
        "a_device_key_writes_only_to_its_own_station-anonymous",
        anonymous
    );
    let user = server
        .gql_as(&learner, INGEST, json!({ "id": b.id, "r": one }))
        .await;
    assert_code!(user, "FORBIDDEN");
    assert_body_snapshot!("a_device_key_writes_only_to_its_own_station-user", user);
    let by_admin = server
        .gql_as(&admin, INGEST, json!({ "id": b.id, "r": one }))
        .await;
    assert_no_errors(&by_admin);
    assert_eq!(by_admin["data"]["ingestReadings"]["accepted"], 1);
    // A device key reads nothing private and cannot manage stations.
    let create = server
        .gql_with(
            CREATE_STATION,
            json!({ "i": { "name": "Rogue", "latitude": 0.0, "longitude": 0.0, "city": "X", "country": "KE" } }),
            &[("x-api-key", a.key.as_str())],
        )
        .await;
    assert_code!(create, "FORBIDDEN");
    assert_body_snapshot!("a_device_key_writes_only_to_its_own_station-create", create);
    server.shutdown().await;
}

#[tokio::test]
async fn provider_endpoints_take_purpleair_and_airqo_payloads() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let s = station(&server, &admin, "Provider", 0.3, 32.6).await;
    let t = base_time();
    let local = PURPLEAIR_LOCAL.replace("DATETIME", &t.format("%Y/%m/%dT%H:%M:%Sz").to_string());
    let post = |path: &str, body: String, key: Option<&str>| {
        let mut request = server.http.post(server.url(path)).body(body);
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        request.send()
    };
    let response = post("/ingest/purpleair", local.clone(), Some(&s.key))
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.expect("json");
    // PM2.5 (A/B mean), PM10, temperature (°F converted), humidity.
    assert_eq!(report["accepted"], 4, "{report}");
    assert_eq!(report["deviceId"], "44:17:93:1:e8:e6");
    let again: Value = post("/ingest/purpleair", local.clone(), Some(&s.key))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(again["duplicates"], 4, "{again}");

    let airqo = AIRQO
        .replace("@T1@", &(t + Span::hours(1)).to_rfc3339())
        .replace("@T2@", &(t + Span::hours(2)).to_rfc3339());
    let response = post("/ingest/airqo", airqo, Some(&s.key))
        .await
        .expect("sent");
    let status = response.status();
    let report: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accepted"], 5, "{report}");
    let body = server.gql(STATION, json!({ "id": s.id })).await;
    let pm25 = body["data"]["station"]["latest"]
        .as_array()
        .expect("latest")
        .iter()
        .find(|r| r["parameter"] == "PM25")
        .cloned()
        .expect("pm25");
    assert_eq!(pm25["value"], 30.0);

    let malformed = post("/ingest/airqo", "{not json".into(), Some(&s.key))
        .await
        .expect("sent");
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.expect("json");
    assert_code!(body, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "provider_endpoints_take_purpleair_and_airqo_payloads-body",
        body
    );
    let anonymous = post("/ingest/purpleair", local, None).await.expect("sent");
    assert_eq!(anonymous.status(), 401);
    server.shutdown().await;
}

#[tokio::test]
async fn series_are_bucketed_in_sql_and_flagged_readings_are_kept_out() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let s = station(&server, &admin, "Series", 0.4, 32.7).await;
    let t = base_time();
    // A quiet day of readings every 10 minutes keeps the anomaly window full.
    let mut batch: Vec<Value> = (0..144)
        .map(|i| {
            reading(
                "PM25",
                10.0 + f64::from(i % 11),
                t - Span::hours(24) + Span::minutes(10 * i64::from(i)),
            )
        })
        .collect();
    batch.push(reading("PM25", 20.0, t));
    batch.push(reading("PM25", 14.0, t + Span::minutes(20)));
    batch.push(reading("PM25", 900.0, t + Span::minutes(40)));
    batch.push(reading("PM25", 11.0, t + Span::minutes(70)));
    let report = ingest(&server, &s, batch).await;
    assert_eq!(report["accepted"], 148);
    let query = "query($id: ID!, $b: Bucket!, $from: DateTime!, $to: DateTime!) { station(id: $id) { series(parameter: PM25, bucket: $b, from: $from, to: $to) { bucketStart avg min max count } } }";
    let body = server
        .gql(
            query,
            json!({ "id": s.id, "b": "HOUR", "from": t.to_rfc3339(), "to": (t + Span::hours(2)).to_rfc3339() }),
        )
        .await;
    assert_no_errors(&body);
    let series = body["data"]["station"]["series"]
        .as_array()
        .expect("series")
        .clone();
    assert_eq!(series.len(), 2, "{series:?}");
    // The 900 spike is flagged as an anomaly and left out.
    assert_eq!(series[0]["count"], 2);
    assert_eq!(series[0]["avg"], 17.0);
    assert_eq!(series[0]["min"], 14.0);
    assert_eq!(series[0]["max"], 20.0);
    assert_eq!(
        DateTime::parse_from_rfc3339(series[0]["bucketStart"].as_str().expect("start"))
            .expect("date"),
        t
    );
    assert_eq!(series[1]["count"], 1);
    let latest = server.gql(STATION, json!({ "id": s.id })).await;
    let flagged = server
        .gql(
            "query($id: ID!, $from: DateTime!, $to: DateTime!) { station(id: $id) { series(parameter: PM25, bucket: MINUTE_5, from: $from, to: $to) { count } } }",
            json!({ "id": s.id, "from": (t + Span::minutes(40)).to_rfc3339(), "to": (t + Span::minutes(45)).to_rfc3339() }),
        )
        .await;
    assert_eq!(flagged["data"]["station"]["series"], json!([]), "{latest}");

    let too_long = server
        .gql(
            query,
            json!({ "id": s.id, "b": "MINUTE_5", "from": (t - Span::days(30)).to_rfc3339(), "to": t.to_rfc3339() }),
        )
        .await;
    assert_code!(too_long, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "series_are_bucketed_in_sql_and_flagged_readings_are_kept_out-too_long",
        too_long
    );
    let backwards = server
        .gql(
            query,
            json!({ "id": s.id, "b": "HOUR", "from": t.to_rfc3339(), "to": t.to_rfc3339() }),
        )
        .await;
    assert_code!(backwards, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "series_are_bucketed_in_sql_and_flagged_readings_are_kept_out-backwards",
        backwards
    );
    server.shutdown().await;
}

#[tokio::test]
async fn hourly_sums_match_the_readings_after_concurrent_repeated_and_flagged_batches() {
    use std::collections::BTreeMap;

    use agora_entities::sensors::{reading, reading_hour};
    use sea_orm::EntityTrait;

    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let s = station(&server, &admin, "Sums", 0.6, 32.9).await;
    let t = base_time();
    // Six batches over the same three hours, interleaved minute by minute, sent at once: each
    // adds to the same hourly rows.
    let batches: Vec<Vec<Value>> = (0..6i64)
        .map(|b| {
            let mut batch: Vec<Value> = (0..30i64)
                .map(|i| {
                    let minute = i * 6 + b;
                    reading(
                        "PM25",
                        8.0 + (minute % 13) as f64,
                        t + Span::minutes(minute),
                    )
                })
                .collect();
            batch.push(reading(
                "PM10",
                20.0 + b as f64,
                t + Span::minutes(b * 7 + 1),
            ));
            batch
        })
        .collect();
    let sent =
        futures::future::join_all(batches.iter().map(|b| ingest(&server, &s, b.clone()))).await;
    for report in &sent {
        assert_eq!(report["accepted"], 31, "{report}");
    }
    // A repeat adds nothing; a spike (an anomaly) and a stuck run are stored but not summed.
    let again = ingest(&server, &s, batches[2].clone()).await;
    assert_eq!(again["duplicates"], 31, "{again}");
    let mut flagged = vec![reading("PM25", 950.0, t + Span::minutes(181))];
    flagged.extend((0..12).map(|i| reading("PM25", 33.0, t + Span::minutes(200 + i))));
    let report = ingest(&server, &s, flagged).await;
    assert_eq!(report["accepted"], 13, "{report}");

    let db = &server.state.platform.db;
    let mut expected: BTreeMap<(String, i64), (f64, i64)> = BTreeMap::new();
    let mut skipped = 0;
    for r in reading::Entity::find().all(db).await.expect("readings") {
        if r.anomaly || r.stuck {
            skipped += 1;
            continue;
        }
        let hour = r.observed_at.timestamp().div_euclid(3_600) * 3_600;
        let (total, count) = expected.entry((r.parameter, hour)).or_default();
        *total += r.value;
        *count += 1;
    }
    assert!(
        skipped >= 2,
        "the spike and the end of the stuck run are flagged"
    );
    let stored: BTreeMap<(String, i64), (f64, i64)> = reading_hour::Entity::find()
        .all(db)
        .await
        .expect("hours")
        .into_iter()
        .map(|h| ((h.parameter, h.hour), (h.total, h.count)))
        .collect();
    assert_eq!(
        stored.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (key, (total, count)) in &expected {
        let (stored_total, stored_count) = stored[key];
        assert_eq!(stored_count, *count, "{key:?}");
        assert!(
            (stored_total - total).abs() < 1e-9,
            "{key:?}: {stored_total} != {total}"
        );
    }
    assert_eq!(
        expected.values().map(|(_, c)| c).sum::<i64>(),
        6 * 31 + 13 - skipped
    );
    // Each stage of the transaction is timed, under a fixed set of labels.
    let metrics = server.metrics().await;
    for stage in [
        "begin", "window", "insert", "sensors", "aqi", "alerts", "commit", "publish",
    ] {
        assert!(
            metrics.contains(&format!(
                "agora_sensor_ingest_stage_seconds_count{{stage=\"{stage}\"}}"
            )),
            "{stage} is not timed"
        );
    }
    server.shutdown().await;
}

/// Flags of every stored reading of a station, in time order per parameter.
async fn flags_of(server: &TestServer, station_id: &str) -> Vec<(String, i64, bool, bool)> {
    use agora_entities::sensors::reading;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    let id =
        agora_platform::ids::decode(&async_graphql::ID(station_id.to_owned()), "Station", "id")
            .expect("station id");
    reading::Entity::find()
        .filter(reading::Column::StationId.eq(id))
        .order_by_asc(reading::Column::Parameter)
        .order_by_asc(reading::Column::ObservedAt)
        .all(&server.state.platform.db)
        .await
        .expect("readings")
        .into_iter()
        .map(|r| (r.parameter, r.observed_at.timestamp(), r.anomaly, r.stuck))
        .collect()
}

#[tokio::test]
async fn a_kept_anomaly_window_flags_exactly_as_one_read_from_the_database() {
    // Two replicas on one database: A keeps windows in memory, B reads them back every time.
    let db = super::common::TestDb::fresh().await;
    let kept = TestServer::start_with(ServerOptions {
        shared_db: Some((db.url.clone(), db.search_path.clone())),
        ..Default::default()
    })
    .await;
    let read_back = TestServer::start_with(ServerOptions {
        shared_db: Some((db.url.clone(), db.search_path.clone())),
        args: vec!["--sensor-window-cache".into(), "0".into()],
        ..Default::default()
    })
    .await;
    let admin = admin(&kept).await;
    let (s1, s2) = (
        station(&kept, &admin, "Kept", 0.1, 32.1).await,
        station(&kept, &admin, "Read back", 0.2, 32.2).await,
    );
    // Every 30 seconds: a day holds 2,880 readings, more than a window's 1,440.
    let t0 = (Utc::now() - Span::days(3))
        .duration_trunc(Span::minutes(1))
        .expect("trunc");
    let at = |i: i64| t0 + Span::seconds(30 * i);
    let value = |i: i64| 10.0 + ((i * 7) % 13) as f64 + ((i * 3) % 5) as f64 * 0.5;
    let mut batches: Vec<Vec<Value>> = vec![
        (0..3_000)
            .map(|i| reading("PM25", value(i), at(i)))
            .collect(),
    ];
    for step in 0..60i64 {
        let batch = (0..3)
            .map(|k| {
                let i = 3_000 + step * 3 + k;
                let v = match step {
                    // Spikes, and a stuck run of 15 identical values.
                    _ if step % 11 == 5 && k == 1 => 400.0,
                    30..35 => 21.0,
                    _ => value(i),
                };
                reading("PM25", v, at(i))
            })
            .chain(
                (step % 4 == 0)
                    .then(|| reading("PM10", 30.0 + (step % 9) as f64, at(3_000 + step * 3))),
            )
            .collect();
        batches.push(batch);
    }
    // Late readings between stored ones: older than the newest, so no copy can answer for them.
    batches.insert(
        45,
        (0..5)
            .map(|k| {
                reading(
                    "PM25",
                    55.0 + k as f64,
                    at(3_100 + 2 * k) + Span::seconds(15),
                )
            })
            .collect(),
    );
    for (n, batch) in batches.iter().enumerate() {
        // B writes one batch of the kept station, the run's 7th to 9th values: A's copy is
        // stale after it, and flagging the next batch against it would miss the run's 12th.
        let writer = if n == 33 { &read_back } else { &kept };
        let first = ingest(writer, &s1, batch.clone()).await;
        let second = ingest(&read_back, &s2, batch.clone()).await;
        assert_eq!(first["accepted"], batch.len(), "batch {n}: {first}");
        assert_eq!(first, second, "batch {n}");
    }
    let (one, two) = (flags_of(&kept, &s1.id).await, flags_of(&kept, &s2.id).await);
    assert_eq!(one.len(), 3_000 + 180 + 15 + 5);
    let differs = one.iter().zip(&two).position(|(a, b)| a != b);
    assert_eq!(
        differs.map(|i| (&one[i], &two[i])),
        None,
        "a kept window flags as one read back"
    );
    assert_eq!(one.len(), two.len());
    assert!(
        one.iter().filter(|f| f.2).count() >= 5,
        "the spikes are anomalies"
    );
    assert!(one.iter().any(|f| f.3), "the run is stuck");
    // A used its copies: of its 61 PM2.5 ingests all but the first, the one after B's write,
    // the late one (older than the newest: no copy asked for) and the one after it (57); of
    // its 14 PM10 ingests all but the first and the one after B's write (12).
    assert_eq!(kept.state.sensors.windows.hits(), 57 + 12);
    assert_eq!(read_back.state.sensors.windows.hits(), 0);
    read_back.shutdown().await;
    kept.shutdown().await;
}

#[tokio::test]
async fn twelve_identical_readings_are_flagged_stuck_and_kept_out_of_the_aqi() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let s = station(&server, &admin, "Stuck", 0.5, 32.8).await;
    let now = Utc::now().duration_trunc(Span::seconds(1)).expect("trunc");
    // Every 10 minutes for the last 110 minutes: the current and the previous hour, which the
    // NowCast needs.
    let batch: Vec<Value> = (0..12)
        .map(|i| reading("PM25", 42.0, now - Span::minutes(110 - 10 * i)))
        .collect();
    let report = ingest(&server, &s, batch).await;
    assert_eq!(report["accepted"], 12);
    let body = server.gql(STATION, json!({ "id": s.id })).await;
    // The latest reading is flagged stuck; the eleven unflagged readings count: PM2.5
    // 42.0 µg/m³ gives AQI 117 (UNHEALTHY_FOR_SENSITIVE_GROUPS).
    assert_body_snapshot!(
        "twelve_identical_readings_are_flagged_stuck_and_kept_out_of_the_aqi",
        body
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_subscriber_receives_every_reading_of_a_1000_reading_batch_in_order() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let s = station(&server, &admin, "Live", 0.6, 32.9).await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    assert!(
        matches!(ws::init_transport(&mut socket, json!({})).await, Incoming::Json(v) if v["type"] == "connection_ack")
    );
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription($id: ID!) { sensorReadings(stationId: $id) { parameter value observedAt } }",
            "variables": { "id": s.id } } }),
    )
    .await;
    // The subscription is live once the server has subscribed to the bus; give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = base_time();
    let batch: Vec<Value> = (0..1000)
        .map(|i| {
            reading(
                "PM25",
                f64::from(i % 50) + 1.0,
                t + Span::minutes(i64::from(i)),
            )
        })
        .collect();
    let report = ingest(&server, &s, batch).await;
    assert_eq!(report["accepted"], 1000);
    let mut previous: Option<DateTime<Utc>> = None;
    for i in 0..1000 {
        let message = ws::next_json(&mut socket).await;
        assert_eq!(message["type"], "next", "{message}");
        let r = &message["payload"]["data"]["sensorReadings"];
        let at = DateTime::parse_from_rfc3339(r["observedAt"].as_str().expect("at"))
            .expect("date")
            .with_timezone(&Utc);
        assert_eq!(at, t + Span::minutes(i), "reading {i} out of order");
        assert_eq!(r["value"].as_f64(), Some(f64::from(i as i32 % 50) + 1.0));
        if let Some(p) = previous {
            assert!(at > p);
        }
        previous = Some(at);
    }
    assert!(
        ws::try_next(&mut socket, Duration::from_millis(300))
            .await
            .is_none()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn station_aqi_is_sent_at_once_and_then_only_when_it_changes() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let s = station(&server, &admin, "Aqi", 0.7, 33.0).await;
    // One reading in the previous hour and one in this one: the NowCast needs two of the
    // last three hours.
    let hour = Utc::now().duration_trunc(Span::hours(1)).expect("trunc");
    ingest(
        &server,
        &s,
        vec![
            reading("PM25", 9.0, hour - Span::minutes(30)),
            reading("PM25", 9.0, hour + Span::seconds(1)),
        ],
    )
    .await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    ws::init_transport(&mut socket, json!({})).await;
    ws::send(
        &mut socket,
        json!({ "id": "a", "type": "subscribe", "payload": {
            "query": "subscription($id: ID!) { stationAqi(stationId: $id) { value category dominantPollutant } }",
            "variables": { "id": s.id } } }),
    )
    .await;
    let first = ws::next_json(&mut socket).await;
    assert_eq!(
        first["payload"]["data"]["stationAqi"]["value"], 50,
        "{first}"
    );
    assert_eq!(first["payload"]["data"]["stationAqi"]["category"], "GOOD");
    // Same hourly average, same AQI: nothing is sent.
    ingest(
        &server,
        &s,
        vec![reading("PM25", 9.0, hour + Span::seconds(2))],
    )
    .await;
    assert!(
        ws::try_next(&mut socket, Duration::from_millis(500))
            .await
            .is_none()
    );
    // This hour's average rises to 35.0 against 9.0 before: weight 0.5, NowCast
    // (35 + 0.5 × 9) / 1.5 = 26.3, AQI 83.
    ingest(
        &server,
        &s,
        vec![reading("PM25", 87.0, hour + Span::seconds(3))],
    )
    .await;
    let next = ws::next_json(&mut socket).await;
    let aqi = &next["payload"]["data"]["stationAqi"];
    assert_eq!(aqi["category"], "MODERATE", "{next}");
    assert_eq!(aqi["value"], 83, "{next}");
    server.shutdown().await;
}

#[tokio::test]
async fn an_alert_fires_once_after_its_hold_resolves_with_hysteresis_and_reaches_followers() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let follower: User = user(&server, "follower@example.org", "Fola").await;
    let bystander: User = user(&server, "bystander@example.org", "Bea").await;
    let s = station(&server, &admin, "Alerting", 0.8, 33.1).await;
    let rule = server
        .gql_as(
            &admin,
            "mutation($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { id state condition } }",
            json!({ "i": { "stationId": s.id, "parameter": "PM25", "threshold": 35.5, "forMinutes": 10 } }),
        )
        .await;
    assert_no_errors(&rule);
    assert_eq!(
        rule["data"]["createAlertRule"]["condition"],
        "PM25 ≥ 35.5 µg/m³ for 10 min"
    );
    let bad = server
        .gql_as(
            &admin,
            "mutation($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { id } }",
            json!({ "i": { "stationId": s.id, "parameter": "PM25", "aqiCategory": "UNHEALTHY" } }),
        )
        .await;
    assert_code!(bad, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "an_alert_fires_once_after_its_hold_resolves_with_hysteresis_and_reaches_followers-bad",
        bad
    );
    let by_learner = server
        .gql_as(
            &follower.token,
            "mutation($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { id } }",
            json!({ "i": { "stationId": s.id, "aqiCategory": "UNHEALTHY" } }),
        )
        .await;
    assert_code!(by_learner, "FORBIDDEN");
    assert_body_snapshot!(
        "an_alert_fires_once_after_its_hold_resolves_with_hysteresis_and_reaches_followers-by_learner",
        by_learner
    );
    let follow = server
        .gql_as(
            &follower.token,
            "mutation($id: ID!) { followStation(id: $id) { viewerFollows } }",
            json!({ "id": s.id }),
        )
        .await;
    assert_eq!(follow["data"]["followStation"]["viewerFollows"], true);

    let t = base_time();
    let at = |m: i64| t + Span::minutes(m);
    // Above for 5 minutes: pending, no alert yet.
    ingest(
        &server,
        &s,
        vec![reading("PM25", 40.0, at(0)), reading("PM25", 41.0, at(5))],
    )
    .await;
    let alerts = "query($id: ID!) { station(id: $id) { alerts(first: 10) { edges { node { condition value startedAt resolvedAt } } } alertRules { state } } }";
    let body = server.gql_as(&admin, alerts, json!({ "id": s.id })).await;
    assert_eq!(
        body["data"]["station"]["alertRules"][0]["state"], "PENDING",
        "{body}"
    );
    assert_eq!(body["data"]["station"]["alerts"]["edges"], json!([]));
    // Held for 10 minutes: fires. Wobbling inside the band (34 > 35.5 × 0.9) keeps it open,
    // and a later rise does not fire again.
    ingest(
        &server,
        &s,
        vec![
            reading("PM25", 42.0, at(10)),
            reading("PM25", 34.0, at(12)),
            reading("PM25", 50.0, at(14)),
        ],
    )
    .await;
    let body = server.gql_as(&admin, alerts, json!({ "id": s.id })).await;
    assert_no_errors(&body);
    let edges = body["data"]["station"]["alerts"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    assert_eq!(edges.len(), 1, "{body}");
    assert_eq!(edges[0]["node"]["value"], 42.0);
    assert!(edges[0]["node"]["resolvedAt"].is_null());
    assert_eq!(body["data"]["station"]["alertRules"][0]["state"], "FIRING");
    // Clear (under 31.95) for 10 minutes: resolved.
    ingest(
        &server,
        &s,
        vec![
            reading("PM25", 20.0, at(20)),
            reading("PM25", 18.0, at(25)),
            reading("PM25", 15.0, at(30)),
        ],
    )
    .await;
    let body = server.gql_as(&admin, alerts, json!({ "id": s.id })).await;
    let edges = body["data"]["station"]["alerts"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    assert_eq!(edges.len(), 1);
    assert!(edges[0]["node"]["resolvedAt"].is_string(), "{body}");
    assert_eq!(body["data"]["station"]["alertRules"][0]["state"], "OK");
    // Alert rules are for the station's managers.
    let hidden = server
        .gql_as(&follower.token, alerts, json!({ "id": s.id }))
        .await;
    assert_code!(hidden, "FORBIDDEN");
    assert_body_snapshot!(
        "an_alert_fires_once_after_its_hold_resolves_with_hysteresis_and_reaches_followers-hidden",
        hidden
    );

    server.wait_for_outbox().await;
    let feed = "{ notifications(first: 10) { edges { node { kind title data } } } }";
    let body = server.gql_as(&follower.token, feed, json!({})).await;
    let kinds: Vec<Value> = body["data"]["notifications"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["node"]["kind"] == "SENSOR_ALERT")
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(kinds.len(), 1, "{body}");
    assert_eq!(kinds[0]["title"], "Air-quality alert at Alerting");
    assert_eq!(kinds[0]["data"]["stationId"], s.id.as_str());
    let body = server.gql_as(&bystander.token, feed, json!({})).await;
    assert!(
        !body["data"]["notifications"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .any(|e| e["node"]["kind"] == "SENSOR_ALERT")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn stations_are_found_by_radius_and_bounding_box() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    station(&server, &admin, "Nairobi", -1.2864, 36.8172).await;
    station(&server, &admin, "Kampala", 0.3476, 32.5825).await;
    station(&server, &admin, "Suva", -18.1248, 178.4501).await;
    station(&server, &admin, "Apia", -13.8333, -171.7500).await;
    let query = "query($near: NearInput, $bbox: BoundingBoxInput) { stations(near: $near, bbox: $bbox, first: 10) { edges { node { name } } } }";
    let names = |body: &Value| -> Vec<String> {
        assert_no_errors(body);
        body["data"]["stations"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["name"].as_str().expect("name").to_owned())
            .collect()
    };
    // Kampala is ~500 km from Nairobi.
    let near = server
        .gql(
            query,
            json!({ "near": { "latitude": -1.29, "longitude": 36.82, "radiusKm": 450 } }),
        )
        .await;
    assert_eq!(names(&near), ["Nairobi"]);
    let wider = server
        .gql(
            query,
            json!({ "near": { "latitude": -1.29, "longitude": 36.82, "radiusKm": 550 } }),
        )
        .await;
    assert_eq!(names(&wider), ["Nairobi", "Kampala"]);
    let east_africa = server
        .gql(query, json!({ "bbox": { "minLatitude": -5, "minLongitude": 29, "maxLatitude": 5, "maxLongitude": 42 } }))
        .await;
    assert_eq!(names(&east_africa), ["Nairobi", "Kampala"]);
    // Across the antimeridian: Suva (178.45 E) and Apia (171.75 W).
    let pacific = server
        .gql(query, json!({ "bbox": { "minLatitude": -20, "minLongitude": 170, "maxLatitude": -10, "maxLongitude": -170 } }))
        .await;
    assert_eq!(names(&pacific), ["Suva", "Apia"]);
    let bad = server
        .gql(
            query,
            json!({ "near": { "latitude": 0, "longitude": 0, "radiusKm": 0 } }),
        )
        .await;
    assert_body_snapshot!("stations_are_found_by_radius_and_bounding_box-bad", bad);
    let inverted = server
        .gql(query, json!({ "bbox": { "minLatitude": 5, "minLongitude": 0, "maxLatitude": -5, "maxLongitude": 1 } }))
        .await;
    assert_code!(inverted, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "stations_are_found_by_radius_and_bounding_box-inverted",
        inverted
    );
    server.shutdown().await;
}

#[tokio::test]
async fn readings_export_as_streamed_csv_to_signed_in_users() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let s = station(&server, &admin, "Export", 0.9, 33.2).await;
    let t = base_time();
    let mut batch: Vec<Value> = (0..300)
        .map(|i| reading("PM25", 10.0, t + Span::minutes(i)))
        .collect();
    batch.extend((0..100).map(|i| reading("NO2", 20.0, t + Span::minutes(i))));
    assert_eq!(ingest(&server, &s, batch).await["accepted"], 400);
    let url = |extra: &str| server.url(&format!("/export/readings.csv?stationId={}{extra}", s.id));
    let anonymous = server.http.get(url("")).send().await.expect("sent");
    assert_eq!(anonymous.status(), 401);
    let from = format!("&from={}", urlencode(&t.to_rfc3339()));
    let response = server
        .http
        .get(url(&from))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/csv")
    );
    let text = response.text().await.expect("body");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "station_id,parameter,unit,observed_at,value,anomaly,stuck,ingested_at"
    );
    assert_eq!(lines.len(), 401);
    assert!(
        lines[1].contains(",NO2,ppb,") || lines[1].contains(",PM25,µg/m³,"),
        "{}",
        lines[1]
    );
    let only_no2 = server
        .http
        .get(url(&format!("{from}&parameter=NO2")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert_eq!(only_no2.lines().count(), 101);
    let bad = server
        .http
        .get(url("&parameter=SMOG"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 400);
    server.shutdown().await;
}

fn urlencode(value: &str) -> String {
    value.replace(':', "%3A").replace('+', "%2B")
}

#[tokio::test]
async fn a_forecast_has_widening_intervals_and_a_backtest_against_persistence() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let s = station(&server, &admin, "Forecast", 1.0, 33.3).await;
    let now = Utc::now().duration_trunc(Span::hours(1)).expect("trunc");
    let mut simulator = agora_sensors::api::Simulator::new(agora_sensors::api::StationProfile {
        base_pm25: 25.0,
        seed: 11,
        stuck_pm25_after: None,
        utc_offset_hours: 3,
    });
    let mut batch = Vec::new();
    for h in (1..=24 * 6).rev() {
        let at = now - Span::hours(h);
        for (parameter, value) in simulator.sample(at) {
            if parameter == agora_sensors::api::Pollutant::Pm25 {
                batch.push(reading("PM25", value, at));
            }
        }
    }
    ingest(&server, &s, batch).await;
    let query = "query($id: ID!, $h: Int!) { station(id: $id) { forecast(parameter: PM25, horizonHours: $h) { method backtestMae persistenceMae points { at value lower upper } } } }";
    let body = server.gql(query, json!({ "id": s.id, "h": 24 })).await;
    assert_no_errors(&body);
    let f = &body["data"]["station"]["forecast"];
    assert_eq!(f["method"], "HOLT_WINTERS_ADDITIVE_DAMPED");
    let points = f["points"].as_array().expect("points");
    assert_eq!(points.len(), 24);
    let width = |p: &Value| p["upper"].as_f64().expect("u") - p["lower"].as_f64().expect("l");
    for p in points {
        let (v, l, u) = (
            p["value"].as_f64().expect("v"),
            p["lower"].as_f64().expect("l"),
            p["upper"].as_f64().expect("u"),
        );
        assert!(l <= v && v <= u && l >= 0.0, "{p}");
    }
    assert!(width(&points[23]) > width(&points[0]));
    assert_eq!(
        DateTime::parse_from_rfc3339(points[0]["at"].as_str().expect("at")).expect("date"),
        now
    );
    assert!(f["backtestMae"].as_f64().expect("mae") > 0.0);
    assert!(f["persistenceMae"].as_f64().expect("mae") > 0.0);
    for h in [0, 73] {
        let body = server.gql(query, json!({ "id": s.id, "h": h })).await;
        assert_code!(body, "BAD_USER_INPUT");
    }
    let empty = station(&server, &admin, "Empty", 1.1, 33.4).await;
    let body = server.gql(query, json!({ "id": empty.id, "h": 4 })).await;
    assert_no_errors(&body);
    assert!(body["data"]["station"]["forecast"].is_null());
    server.shutdown().await;
}

#[tokio::test]
async fn simulate_sensors_feeds_stations_through_the_public_api() {
    let server = TestServer::start().await;
    server
        .register("sim-admin@example.org", "a long enough passphrase", "Sim")
        .await;
    agora_server::tasks::simulate::run(agora_server::tasks::simulate::SimulateOptions {
        url: server.url(""),
        email: "sim-admin@example.org".into(),
        password: "a long enough passphrase".into(),
        stations: 2,
        interval: Duration::from_millis(50),
        rounds: Some(3),
    })
    .await
    .expect("simulation runs");
    let body = server
        .gql(
            "{ stations(first: 10) { edges { node { name sensors { parameter } latest { observedAt } } } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&body);
    let edges = body["data"]["stations"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    assert_eq!(edges.len(), 2, "{body}");
    for e in &edges {
        assert!(
            e["node"]["name"]
                .as_str()
                .expect("name")
                .starts_with("Simulated ")
        );
        assert_eq!(
            e["node"]["sensors"].as_array().expect("sensors").len(),
            8,
            "{e}"
        );
    }
    let count: i64 = {
        use sea_orm::{EntityTrait, PaginatorTrait};
        agora_entities::sensors::reading::Entity::find()
            .count(&server.state.platform.db)
            .await
            .expect("count") as i64
    };
    assert_eq!(count, 2 * 3 * 8);
    // A learner cannot run it: registering stations needs an admin.
    server
        .register("sim-learner@example.org", "a long enough passphrase", "Lea")
        .await;
    let refused =
        agora_server::tasks::simulate::run(agora_server::tasks::simulate::SimulateOptions {
            url: server.url(""),
            email: "sim-learner@example.org".into(),
            password: "a long enough passphrase".into(),
            stations: 1,
            interval: Duration::from_millis(50),
            rounds: Some(1),
        })
        .await
        .expect_err("a learner may not register stations");
    assert!(format!("{refused:#}").contains("FORBIDDEN"), "{refused:#}");
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_stations_wrong_ids_and_rule_removal_give_clear_errors() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let learner = server.register_token("learner@example.org").await;
    let s = station(&server, &admin, "Errors", 1.2, 33.5).await;
    let missing = agora_platform::ids::encode("Station", uuid::Uuid::now_v7()).to_string();
    let follow = "mutation($id: ID!) { followStation(id: $id) { id } }";
    assert_code!(
        server
            .gql_as(&learner, follow, json!({ "id": missing }))
            .await,
        "NOT_FOUND"
    );
    assert_code!(
        server.gql(follow, json!({ "id": s.id })).await,
        "UNAUTHENTICATED"
    );
    assert_code!(
        server
            .gql_as(&admin, CREATE_KEY, json!({ "id": missing }))
            .await,
        "NOT_FOUND"
    );
    let wrong_type = server.gql(STATION, json!({ "id": "not-an-id" })).await;
    assert_code!(wrong_type, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "unknown_stations_wrong_ids_and_rule_removal_give_clear_errors-wrong_type",
        wrong_type
    );
    let update = "mutation($i: UpdateStationInput!) { updateStation(input: $i) { name } }";
    let blank = server
        .gql_as(&admin, update, json!({ "i": { "id": s.id, "name": "  " } }))
        .await;
    assert_body_snapshot!(
        "unknown_stations_wrong_ids_and_rule_removal_give_clear_errors-blank",
        blank
    );
    let rule = server
        .gql_as(
            &admin,
            "mutation($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { id } }",
            json!({ "i": { "stationId": s.id, "parameter": "PM25", "threshold": 5000.0 } }),
        )
        .await;
    assert_body_snapshot!(
        "unknown_stations_wrong_ids_and_rule_removal_give_clear_errors-rule",
        rule
    );
    let rule = server
        .gql_as(
            &admin,
            "mutation($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { id } }",
            json!({ "i": { "stationId": s.id, "aqiCategory": "UNHEALTHY", "forMinutes": 15 } }),
        )
        .await;
    assert_no_errors(&rule);
    let id = rule["data"]["createAlertRule"]["id"].as_str().expect("id");
    let delete = "mutation($id: ID!) { deleteAlertRule(id: $id) }";
    assert_code!(
        server.gql_as(&learner, delete, json!({ "id": id })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        server.gql_as(&admin, delete, json!({ "id": id })).await["data"]["deleteAlertRule"],
        id
    );
    assert_code!(
        server.gql_as(&admin, delete, json!({ "id": id })).await,
        "NOT_FOUND"
    );
    server.shutdown().await;
}
