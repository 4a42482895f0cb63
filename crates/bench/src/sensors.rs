//! `agora-bench sensors`: the sensor domain's three figures.
//!
//! - Ingest throughput: `--readings` readings in batches of `--batch` through the real ingest
//!   service (validation, unit conversion, anomaly window, `INSERT ... ON CONFLICT`, sensor
//!   upsert, AQI, alert rules, publish), `--writers` stations written concurrently; on
//!   PostgreSQL (a fresh schema) and on SQLite (a fresh file).
//! - Series latency: `--series-rows` readings bulk-loaded on PostgreSQL over 100 stations,
//!   then `series(PM25, HOUR)` over 7 days for random stations, in the service and over HTTP.
//! - Fan-out: `--subscribers` WebSocket clients on one station's `sensorReadings`; each
//!   ingested reading's delivery latency to every subscriber (Redis bus).

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use agora_platform::{
    Platform,
    auth::{Role, UserViewer, Viewer},
};
use agora_sensors::api::{
    Bucket, NewStation, Pollutant, Provider, ReadingDraft, SensorsRuntime, create_station,
    ingest_readings, reading_series,
};
use anyhow::Context;
use chrono::{DateTime, Duration as Span, DurationRound, Utc};
use futures::{SinkExt, StreamExt};
use rand::Rng;
use sea_orm::ConnectionTrait;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::gamification::{Target, embedded_state, report, setup, teardown};

/// `sensors` options.
#[derive(clap::Args, Clone)]
pub(crate) struct SensorsArgs {
    #[command(flatten)]
    target: Target,
    /// Readings to ingest on each backend.
    #[arg(long, default_value_t = 500_000)]
    readings: usize,
    /// Readings per ingest call.
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Stations written concurrently.
    #[arg(long, default_value_t = 4)]
    writers: usize,
    /// Readings bulk-loaded for the series query.
    #[arg(long, default_value_t = 10_000_000)]
    series_rows: u64,
    /// Timed series queries.
    #[arg(long, default_value_t = 1_000)]
    queries: usize,
    /// WebSocket subscribers for the fan-out figure.
    #[arg(long, default_value_t = 1_000)]
    subscribers: usize,
    /// Readings ingested (one per call) while they listen.
    #[arg(long, default_value_t = 50)]
    fanout_readings: usize,
    /// Skip the SQLite ingest run.
    #[arg(long)]
    no_sqlite: bool,
}

fn admin_viewer(id: Uuid) -> Viewer {
    Viewer::User(UserViewer {
        user_id: id,
        role: Role::Admin,
        session_id: Uuid::nil(),
    })
}

async fn admin(platform: &Platform) -> anyhow::Result<Uuid> {
    let (user, _) = agora_identity::api::create_or_promote_admin(
        platform,
        "bench-admin@example.org",
        "agora bench admin password",
        Some("Bench"),
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.log_message()))?;
    Ok(user.id)
}

async fn new_station(platform: &Platform, admin: Uuid, n: usize) -> anyhow::Result<Uuid> {
    let created = create_station(
        platform,
        &admin_viewer(admin),
        NewStation {
            name: format!("Bench station {n}"),
            latitude: -1.0 + (n % 1_000) as f64 * 0.01,
            longitude: 36.0 + (n % 1_000) as f64 * 0.01,
            city: "Bench".into(),
            country: "KE".into(),
            provider: Provider::Generic,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.log_message()))?;
    Ok(created.id)
}

/// Ingests `total` readings in batches through `writers` concurrent stations; returns
/// readings per second.
async fn ingest_run(
    platform: &Platform,
    runtime: &SensorsRuntime,
    args: &SensorsArgs,
    label: &str,
) -> anyhow::Result<f64> {
    let admin = admin(platform).await?;
    let mut ids = Vec::new();
    for n in 0..args.writers {
        ids.push(new_station(platform, admin, n).await?);
    }
    let per_writer = args.readings / args.writers;
    let batches = per_writer.div_ceil(args.batch);
    // Within the server's ingest age limit (AGORA_INGEST_MAX_AGE, 30 days by default).
    let start_at = (Utc::now() - Span::days(29))
        .duration_trunc(Span::minutes(1))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let parameters = Pollutant::ALL;
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for id in ids {
        let platform = platform.clone();
        let runtime = runtime.clone();
        let latencies = latencies.clone();
        let batch = args.batch;
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0usize;
            let mut rng =
                <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(id.as_u128() as u64);
            let mut i = 0usize;
            for _ in 0..batches {
                let drafts: Vec<ReadingDraft> = (0..batch)
                    .map(|_| {
                        let parameter = parameters[i % parameters.len()];
                        let at = start_at + Span::seconds((i / parameters.len()) as i64 * 10);
                        i += 1;
                        ReadingDraft {
                            parameter,
                            value: match parameter {
                                Pollutant::Temperature => rng.random_range(10.0..30.0),
                                Pollutant::Humidity => rng.random_range(30.0..90.0),
                                Pollutant::Co => rng.random_range(0.1..2.0),
                                _ => rng.random_range(5.0..60.0),
                            },
                            unit: None,
                            observed_at: at,
                        }
                    })
                    .collect();
                let t = Instant::now();
                let report = ingest_readings(&platform, &runtime, id, drafts)
                    .await
                    .map_err(|e| anyhow::anyhow!(e.log_message()))?;
                latencies
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .push(t.elapsed());
                accepted += report.accepted;
            }
            anyhow::Ok(accepted)
        }));
    }
    let mut accepted = 0;
    for task in tasks {
        accepted += task.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let rate = accepted as f64 / seconds;
    println!(
        "{label}: {accepted} readings in {seconds:.1}s = {rate:.0} readings/s ({} writers, {}-reading batches)",
        args.writers, args.batch
    );
    let samples = latencies
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    report(&format!("{label}: one ingest call"), samples);
    Ok(rate)
}

async fn sqlite_ingest(args: &SensorsArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("agora-bench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let state = embedded_state(&dir, &[]).await?;
    // SQLite has one writer: concurrent stations queue on its lock.
    let result = ingest_run(&state.platform, &state.sensors, args, "SQLite ingest").await;
    state.shutdown.cancel();
    state.platform.db.clone().close().await.ok();
    std::fs::remove_dir_all(&dir).ok();
    result.map(|_| ())
}

/// Bulk-loads `rows` PM2.5 readings over 100 stations, one a minute, ending now.
async fn bulk_load(platform: &Platform, rows: u64) -> anyhow::Result<Vec<Uuid>> {
    let admin = admin(platform).await?;
    let mut ids = Vec::new();
    for n in 0..100 {
        ids.push(new_station(platform, admin, 1_000 + n).await?);
    }
    let per_station = rows / ids.len() as u64;
    let started = Instant::now();
    for (n, id) in ids.iter().enumerate() {
        platform
            .db
            .execute_unprepared(&format!(
                "INSERT INTO readings (station_id, parameter, observed_at, value, anomaly, stuck, ingested_at) \
                 SELECT '{id}', 'PM25', now() - make_interval(mins => g), 5 + random() * 40, false, false, now() \
                 FROM generate_series(1, {per_station}) g"
            ))
            .await?;
        // The hourly sums the ingest path keeps, so the AQI and forecasts see this history.
        platform
            .db
            .execute_unprepared(&format!(
                "INSERT INTO reading_hours (station_id, parameter, hour, total, count) \
                 SELECT station_id, parameter, \
                        (floor(extract(epoch from observed_at) / 3600) * 3600)::bigint, \
                        SUM(value), COUNT(*) \
                   FROM readings WHERE station_id = '{id}' GROUP BY 1, 2, 3"
            ))
            .await?;
        if (n + 1) % 20 == 0 {
            println!(
                "  loaded {} stations ({:.0}s)",
                n + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    platform.db.execute_unprepared("ANALYZE readings").await?;
    println!(
        "series table: {} readings over {} stations ({} days each) loaded in {:.0}s",
        per_station * ids.len() as u64,
        ids.len(),
        per_station / 1_440,
        started.elapsed().as_secs_f64()
    );
    Ok(ids)
}

async fn series_latency(
    bench_state: &agora_server::AppState,
    args: &SensorsArgs,
) -> anyhow::Result<()> {
    let platform = &bench_state.platform;
    let ids = bulk_load(platform, args.series_rows).await?;
    let mut rng = rand::rng();
    let now = Utc::now();
    // Windows end anywhere a full week of data lies behind them.
    let days_each = (args.series_rows / 100 / 1_440) as i64;
    let spread_hours = ((days_each - 7).max(0) * 24).max(1);
    let mut in_service = Vec::with_capacity(args.queries);
    for i in 0..args.queries + 50 {
        let id = ids[rng.random_range(0..ids.len())];
        let to = now - Span::hours(rng.random_range(0..spread_hours));
        let t = Instant::now();
        let points = reading_series(
            &platform.db,
            id,
            Pollutant::Pm25,
            Bucket::Hour,
            to - Span::days(7),
            to,
        )
        .await
        .map_err(|e| anyhow::anyhow!(e.log_message()))?;
        let took = t.elapsed();
        anyhow::ensure!(
            days_each < 7 || points.len() >= 167,
            "{} points",
            points.len()
        );
        if i >= 50 {
            in_service.push(took);
        }
    }
    report(
        "series(PM25, HOUR, 7 days) in the service (10,080 readings each)",
        in_service,
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(agora_server::serve(bench_state.clone(), listener));
    let http = reqwest::Client::new();
    let mut over_http = Vec::with_capacity(args.queries);
    for i in 0..args.queries + 50 {
        let id = ids[rng.random_range(0..ids.len())];
        let to = now - Span::hours(rng.random_range(0..spread_hours));
        let query = json!({
            "query": "query($id: ID!, $from: DateTime!, $to: DateTime!) { station(id: $id) { series(parameter: PM25, bucket: HOUR, from: $from, to: $to) { bucketStart avg min max count } } }",
            "variables": {
                "id": agora_platform::ids::encode("Station", id),
                "from": (to - Span::days(7)).to_rfc3339(),
                "to": to.to_rfc3339(),
            }
        });
        let t = Instant::now();
        let body: serde_json::Value = http
            .post(format!("http://{addr}/graphql"))
            .json(&query)
            .send()
            .await?
            .json()
            .await?;
        let took = t.elapsed();
        anyhow::ensure!(body["errors"].is_null(), "{body}");
        if i >= 50 {
            over_http.push(took);
        }
    }
    report(
        "series(PM25, HOUR, 7 days) over HTTP (client-measured)",
        over_http,
    );
    fanout(platform, &bench_state.sensors, addr, args).await
}

async fn fanout(
    platform: &Platform,
    runtime: &SensorsRuntime,
    addr: std::net::SocketAddr,
    args: &SensorsArgs,
) -> anyhow::Result<()> {
    let admin = admin(platform).await?;
    let station = new_station(platform, admin, 9_999).await?;
    let global = agora_platform::ids::encode("Station", station).to_string();
    let sent_at: Arc<Mutex<Vec<Instant>>> = Arc::new(Mutex::new(Vec::new()));
    let delays: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::new()));
    let mut listeners = Vec::new();
    let opened = Instant::now();
    for _ in 0..args.subscribers {
        let mut socket = crate::acknowledged(&format!("ws://{addr}/graphql/ws"), json!({})).await?;
        socket
            .send(Message::Text(
                json!({ "id": "1", "type": "subscribe", "payload": {
                    "query": "subscription($id: ID!) { sensorReadings(stationId: $id) { value } }",
                    "variables": { "id": global } } })
                .to_string()
                .into(),
            ))
            .await?;
        let sent_at = sent_at.clone();
        let delays = delays.clone();
        let expected = args.fanout_readings;
        listeners.push(tokio::spawn(async move {
            let mut received = 0;
            while received < expected {
                let Ok(Some(Ok(message))) =
                    tokio::time::timeout(Duration::from_secs(30), socket.next()).await
                else {
                    break;
                };
                let Message::Text(text) = message else {
                    continue;
                };
                let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                if value["type"] != "next" {
                    continue;
                }
                let now = Instant::now();
                let index = value["payload"]["data"]["sensorReadings"]["value"]
                    .as_f64()
                    .unwrap_or(-1.0) as usize;
                if let Some(at) = sent_at.lock().ok().and_then(|s| s.get(index).copied())
                    && let Ok(mut d) = delays.lock()
                {
                    d.push(now - at);
                }
                received += 1;
            }
            received
        }));
    }
    println!(
        "{} subscribers connected in {:.1}s",
        args.subscribers,
        opened.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let start: DateTime<Utc> = Utc::now() - Span::hours(1);
    for i in 0..args.fanout_readings {
        if let Ok(mut s) = sent_at.lock() {
            s.push(Instant::now());
        }
        ingest_readings(
            platform,
            runtime,
            station,
            vec![ReadingDraft {
                parameter: Pollutant::Pm25,
                value: i as f64,
                unit: None,
                observed_at: start + Span::seconds(i as i64),
            }],
        )
        .await
        .map_err(|e| anyhow::anyhow!(e.log_message()))?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut delivered = 0;
    for listener in listeners {
        delivered += listener.await.context("listener")?;
    }
    let expected = args.subscribers * args.fanout_readings;
    println!(
        "fan-out: {delivered} of {expected} deliveries ({} lost)",
        expected - delivered
    );
    let samples = delays
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    report(
        &format!(
            "sensorReadings delivery to {} subscribers (ingest call start → client receipt)",
            args.subscribers
        ),
        samples,
    );
    Ok(())
}

pub(crate) async fn sensors(args: SensorsArgs) -> anyhow::Result<()> {
    let bench = setup(&args.target).await?;
    ingest_run(
        &bench.platform,
        &bench.state.sensors,
        &args,
        "PostgreSQL ingest",
    )
    .await?;
    if !args.no_sqlite {
        sqlite_ingest(&args).await?;
    }
    let state = bench.state.clone();
    series_latency(&state, &args).await?;
    teardown(bench, &args.target).await
}
