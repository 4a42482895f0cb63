//! `agora-bench soak --minutes N`: everything at once against a running server for N minutes —
//! battles, sensor ingest, page queries, leaderboard reads, notification reads, and live
//! subscribers on the stations' readings — and one line per minute: each workload's p50/p99,
//! the server's RSS, the outbox backlog (pending events, read through the admin API), and
//! readings lost so far. At the end: memory growth (the median RSS of the last third of the
//! windows against the first third after warm-up, see [`memory_growth`]), totals, and with
//! `--verify` a failure when a reading was lost, a battle bot failed, or (in a run of 10 minutes
//! or more) memory grew by more than 5%.
//!
//! `bench/with-server.sh soak --minutes 30` starts the server it needs (PostgreSQL + Redis, the
//! demo data, no per-address limits or load shedding: every request comes from this one
//! address, and the figures are of the work) and raises the file-descriptor limit.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{Api, BattleArgs, acknowledged, play, rss_kib};

#[derive(clap::Args, Clone)]
pub(crate) struct SoakArgs {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// How long to run.
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    /// Seconds per reporting window (60 = a line per minute; the CI smoke run uses less).
    #[arg(long, default_value_t = 60)]
    window: u64,
    /// Live subscribers on the stations' readings.
    #[arg(long, default_value_t = 4000)]
    subscribers: usize,
    /// Stations ingesting, each one reading per `--interval-ms`.
    #[arg(long, default_value_t = 40)]
    stations: usize,
    /// Milliseconds between a station's readings (real stations report every minute or so;
    /// each ingest recomputes the station's AQI over its last 24 hours).
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// Battle rooms per round (4 players each; rounds run back to back).
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    /// Closed-loop clients reading the questions page (each pauses 50 ms between requests).
    #[arg(long, default_value_t = 4)]
    page_clients: usize,
    /// Closed-loop clients reading the weekly leaderboard and their notifications.
    #[arg(long, default_value_t = 2)]
    reader_clients: usize,
    /// An admin of the server (the demo's by default).
    #[arg(long, default_value = "admin@agora.test")]
    email: String,
    /// That admin's password.
    #[arg(long, default_value = "agora-admin-demo")]
    password: String,
    /// PID of the server, to report its memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Fail on a lost reading, a failed bot, or (runs of 10 minutes or more) memory growth over
    /// 5% (medians of the first and last thirds after warm-up).
    #[arg(long)]
    verify: bool,
}

const PAGE: &str = "{ questions(first: 50) { edges { node { id prompt difficulty topic { id name } author { id displayName } tags { id name } } } } }";
const READS: &str = "{ leaderboard(scope: WEEKLY, first: 20) { totalPlayers entries { rank points user { displayName } } myEntry { rank } } notifications(first: 10) { edges { node { id } } } unreadNotificationCount }";

/// Latency samples (µs) of one window, by workload.
#[derive(Default)]
struct Window {
    samples: BTreeMap<&'static str, Vec<u64>>,
    errors: BTreeMap<&'static str, u64>,
}

#[derive(Default)]
struct Shared {
    window: Mutex<Window>,
    ingested: AtomicU64,
    /// Readings received by all subscribers.
    received: AtomicU64,
    /// Subscribers whose subscription was sent.
    subscribed: AtomicU64,
    stop: AtomicBool,
}

impl Shared {
    fn record(&self, what: &'static str, took: Duration) {
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        window
            .samples
            .entry(what)
            .or_default()
            .push(took.as_micros() as u64);
    }

    fn error(&self, what: &'static str) {
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        *window.errors.entry(what).or_default() += 1;
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

async fn login(api: &Api, email: &str, password: &str) -> anyhow::Result<String> {
    let data = api
        .gql(
            None,
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            json!({ "i": { "email": email, "password": password } }),
        )
        .await
        .context("signing in the admin (start the server with --seed-demo, or pass --email)")?;
    Ok(data["login"]["accessToken"]
        .as_str()
        .context("token")?
        .to_owned())
}

/// Creates `n` stations with device keys: (id, key).
async fn stations(api: &Api, admin: &str, n: usize) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let run = uuid::Uuid::new_v4().simple().to_string();
    for i in 0..n {
        let station = api
            .gql(
                Some(admin),
                "mutation($i: CreateStationInput!) { createStation(input: $i) { id } }",
                json!({ "i": { "name": format!("Soak {i} {}", &run[..8]), "latitude": -1.28 + i as f64 * 0.01, "longitude": 36.8, "city": "Nairobi", "country": "ke" } }),
            )
            .await?;
        let id = station["createStation"]["id"]
            .as_str()
            .context("id")?
            .to_owned();
        let key = api
            .gql(
                Some(admin),
                "mutation($id: ID!) { createStationKey(stationId: $id) { secret } }",
                json!({ "id": id }),
            )
            .await?;
        out.push((
            id,
            key["createStationKey"]["secret"]
                .as_str()
                .context("secret")?
                .to_owned(),
        ));
    }
    Ok(out)
}

/// A subscriber on one station's readings: counts them, and (one in ten subscribers) records
/// ingest-to-receipt latency.
async fn subscriber(
    ws_url: String,
    station: String,
    shared: Arc<Shared>,
    sample: bool,
) -> anyhow::Result<()> {
    let mut socket = acknowledged(&ws_url, json!({})).await?;
    socket
        .send(Message::Text(
            json!({ "id": "1", "type": "subscribe", "payload": {
                "query": "subscription($id: ID!) { sensorReadings(stationId: $id) { ingestedAt } }",
                "variables": { "id": station } } })
            .to_string()
            .into(),
        ))
        .await?;
    shared.subscribed.fetch_add(1, Ordering::Relaxed);
    while let Some(message) = socket.next().await {
        let Message::Text(text) = message? else {
            continue;
        };
        if !text.contains("\"next\"") {
            continue;
        }
        shared.received.fetch_add(1, Ordering::Relaxed);
        if sample {
            let value: Value = serde_json::from_str(&text)?;
            if let Some(micros) =
                crate::since(&value["payload"]["data"]["sensorReadings"]["ingestedAt"])
            {
                shared.record("delivery", Duration::from_micros(micros));
            }
        }
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
    }
    Ok(())
}

pub(crate) async fn soak(args: SoakArgs) -> anyhow::Result<()> {
    let api = Arc::new(Api {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(30))
            .build()?,
        url: args.url.trim_end_matches('/').to_owned(),
    });
    let ws_url = format!("{}/graphql/ws", api.url.replacen("http", "ws", 1));
    let admin = login(&api, &args.email, &args.password).await?;
    let stations = stations(&api, &admin, args.stations.max(1)).await?;
    // Access tokens live 15 minutes: the readers take the current one, renewed every window.
    let token = Arc::new(std::sync::RwLock::new(admin));
    let shared = Arc::new(Shared::default());

    // Subscribers, connected in batches of 64.
    let connected = Instant::now();
    let mut subscribers = Vec::with_capacity(args.subscribers);
    for i in 0..args.subscribers {
        let station = stations[i % stations.len()].0.clone();
        subscribers.push(tokio::spawn(subscriber(
            ws_url.clone(),
            station,
            Arc::clone(&shared),
            i % 10 == 0,
        )));
        if i % 64 == 63 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let subscribed = shared.subscribed.load(Ordering::Relaxed);
    if subscribed < args.subscribers as u64 {
        bail!(
            "only {subscribed} of {} subscribers got through (a per-address socket limit? start \
             the server with --ws-connections-per-ip 0)",
            args.subscribers
        );
    }
    eprintln!(
        "{} subscribers on {} stations in {:.1?}",
        subscribers.len(),
        stations.len(),
        connected.elapsed()
    );
    let rss_start = args.server_pid.and_then(|pid| rss_kib(pid, "VmRSS:"));

    let mut workers = Vec::new();
    // Ingest: one reading per station every `interval_ms`.
    for (id, key) in stations.clone() {
        let (api, shared) = (Arc::clone(&api), Arc::clone(&shared));
        let interval = Duration::from_millis(args.interval_ms.max(10));
        workers.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            let mut n = 0u64;
            while !shared.stop.load(Ordering::Relaxed) {
                tick.tick().await;
                n += 1;
                let at = chrono::Utc::now();
                let body = json!({ "query": "mutation($id: ID!, $r: [ReadingInput!]!) { ingestReadings(stationId: $id, readings: $r) { accepted } }",
                    "variables": { "id": id, "r": [{ "parameter": "PM25", "value": (n % 40 + 5) as f64, "observedAt": at.to_rfc3339() }] } });
                let sent = Instant::now();
                let reply = match api
                    .http
                    .post(format!("{}/graphql", api.url))
                    .header("x-api-key", &key)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(response) => response.json::<Value>().await.ok(),
                    Err(_) => None,
                };
                let accepted =
                    reply.is_some_and(|v| v["data"]["ingestReadings"]["accepted"] == 1);
                if accepted {
                    shared.ingested.fetch_add(1, Ordering::Relaxed);
                    shared.record("ingest", sent.elapsed());
                } else {
                    shared.error("ingest");
                }
            }
        }));
    }
    // Page readers and leaderboard/notification readers.
    for (what, query, clients, pause) in [
        ("page", PAGE, args.page_clients, 50),
        ("reads", READS, args.reader_clients, 50),
    ] {
        for _ in 0..clients {
            let (api, shared, token) = (Arc::clone(&api), Arc::clone(&shared), Arc::clone(&token));
            workers.push(tokio::spawn(async move {
                while !shared.stop.load(Ordering::Relaxed) {
                    let current = token.read().unwrap_or_else(|p| p.into_inner()).clone();
                    let sent = Instant::now();
                    match api.gql(Some(&current), query, json!({})).await {
                        Ok(_) => shared.record(what, sent.elapsed()),
                        Err(_) => shared.error(what),
                    }
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            }));
        }
    }
    // Battles, round after round.
    let battle_failures = Arc::new(AtomicU64::new(0));
    let battles = {
        let (url, shared, failures, rooms) = (
            api.url.clone(),
            Arc::clone(&shared),
            Arc::clone(&battle_failures),
            args.rooms,
        );
        tokio::spawn(async move {
            let mut rounds = 0u64;
            while rooms > 0 && !shared.stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let result = play(
                    BattleArgs {
                        url: url.clone(),
                        rooms,
                        players: 4,
                        questions: 3,
                        accounts: 16,
                        max_think_ms: 800,
                        server_pid: None,
                    },
                    false,
                )
                .await;
                match result {
                    Ok(summary) => {
                        failures.fetch_add(summary.lost + summary.failed, Ordering::Relaxed);
                        shared.record("battle round", started.elapsed());
                    }
                    Err(e) => {
                        eprintln!("battle round failed: {e:#}");
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                rounds += 1;
            }
            rounds
        })
    };

    // The report, one line per window.
    println!(
        "{:>6} {:>16} {:>16} {:>16} {:>16} {:>9} {:>8} {:>8} {:>6}",
        "window",
        "page p50/p99",
        "reads p50/p99",
        "ingest p50/p99",
        "delivery p50/p99",
        "RSS MiB",
        "outbox",
        "lost",
        "errors"
    );
    let window = Duration::from_secs(args.window.max(1));
    let windows = (args.minutes * 60).div_ceil(args.window.max(1));
    let mut rss = Vec::new();
    let mut stages_then = scrape(&api).await;
    let mut stage_lines = Vec::new();
    for w in 1..=windows {
        tokio::time::sleep(window).await;
        let taken = std::mem::take(&mut *shared.window.lock().unwrap_or_else(|p| p.into_inner()));
        let mut line = format!("{w:>6}");
        for what in ["page", "reads", "ingest", "delivery"] {
            let mut v = taken.samples.get(what).cloned().unwrap_or_default();
            v.sort_unstable();
            line.push_str(&format!(" {:>7.1}/{:<8.1}", pct(&v, 0.5), pct(&v, 0.99)));
        }
        let mem = args.server_pid.and_then(|pid| rss_kib(pid, "VmRSS:"));
        rss.push(mem.unwrap_or(0));
        let stages_now = scrape(&api).await;
        stage_lines.push(stage_means(&stages_then, &stages_now));
        stages_then = stages_now;
        if let Ok(fresh) = login(&api, &args.email, &args.password).await {
            *token.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        }
        let current = token.read().unwrap_or_else(|p| p.into_inner()).clone();
        let backlog = api
            .gql(
                Some(&current),
                "{ outboxEvents(status: PENDING, first: 100) { edges { cursor } } }",
                json!({}),
            )
            .await
            .map(|d| d["outboxEvents"]["edges"].as_array().map_or(0, Vec::len))
            .unwrap_or(usize::MAX);
        let expected =
            shared.ingested.load(Ordering::Relaxed) * (args.subscribers / stations.len()) as u64;
        let received = shared.received.load(Ordering::Relaxed);
        let errors: u64 = taken.errors.values().sum();
        line.push_str(&format!(
            " {:>9.0} {:>8} {:>8} {:>6}",
            mem.unwrap_or(0) as f64 / 1024.0,
            if backlog >= 100 {
                ">=100".to_owned()
            } else {
                backlog.to_string()
            },
            expected.saturating_sub(received),
            errors
        ));
        println!("{line}");
    }
    shared.stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.await;
    }
    let rounds = battles.await.unwrap_or(0);
    // Let the last readings arrive, then count.
    println!(
        "\ningest stages, mean ms per ingest ({}):",
        STAGES.join(", ")
    );
    for (w, line) in stage_lines.iter().enumerate() {
        let cells: Vec<String> = line.iter().map(|ms| format!("{ms:>7.2}")).collect();
        println!("{:>6} {}", w + 1, cells.join(" "));
    }
    let reads = scrape(&api).await;
    let from = |source: &str| {
        reads
            .get(&format!("window_reads:{source}"))
            .map_or(0.0, |v| v.0)
    };
    println!(
        "anomaly windows: {:.0} from memory, {:.0} read from the database\n",
        from("memory"),
        from("database")
    );
    let ingested = shared.ingested.load(Ordering::Relaxed);
    let per_station = (args.subscribers / stations.len()) as u64;
    let expected = ingested * per_station;
    let deadline = Instant::now() + Duration::from_secs(10);
    while shared.received.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let received = shared.received.load(Ordering::Relaxed);
    for task in subscribers {
        task.abort();
    }
    let lost = expected.saturating_sub(received);
    let failures = battle_failures.load(Ordering::Relaxed);
    println!(
        "readings ingested {ingested}, deliveries expected {expected}, received {received}, lost {lost}"
    );
    println!(
        "battle rounds {rounds} of {} rooms, lost events + failed bots {failures}",
        args.rooms
    );
    let growth = memory_growth(&rss);
    if let Some((early, late, growth)) = growth {
        println!(
            "server RSS: {:.0} MiB subscribed, {:.0} MiB after window 1, {:.0} MiB at the end; \
             median {:.0} MiB over the first third after warm-up, {:.0} MiB over the last third: \
             {growth:+.1}%",
            rss_start.unwrap_or(0) as f64 / 1024.0,
            rss.first().copied().unwrap_or(0) as f64 / 1024.0,
            rss.last().copied().unwrap_or(0) as f64 / 1024.0,
            early / 1024.0,
            late / 1024.0,
        );
    }
    let growth = growth.map(|(_, _, g)| g);
    if args.verify {
        let mut missed = Vec::new();
        if lost > 0 {
            missed.push(format!("{lost} readings lost"));
        }
        if failures > 0 {
            missed.push(format!("{failures} battle events lost or bots failed"));
        }
        // A run of a few minutes cannot tell growth from warm-up; only long runs are judged.
        if args.minutes >= 10 && growth.is_some_and(|g| g > 5.0) {
            missed.push(format!(
                "memory grew {:.1}% after warm-up",
                growth.unwrap_or(0.0)
            ));
        }
        if !missed.is_empty() {
            bail!("soak failed: {}", missed.join("; "));
        }
    }
    Ok(())
}

/// The stages of an ingest transaction the server times, in order.
const STAGES: [&str; 8] = [
    "begin", "window", "insert", "sensors", "aqi", "alerts", "commit", "publish",
];

/// The server's ingest timings from `/metrics`: `stage:{name}` → (seconds, count) and
/// `window_reads:{source}` → (count, 0). Empty when the metrics cannot be read.
async fn scrape(api: &Api) -> BTreeMap<String, (f64, f64)> {
    let Ok(response) = api.http.get(format!("{}/metrics", api.url)).send().await else {
        return BTreeMap::new();
    };
    let text = response.text().await.unwrap_or_default();
    parse_metrics(&text)
}

fn parse_metrics(text: &str) -> BTreeMap<String, (f64, f64)> {
    let mut out: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for line in text.lines() {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let label = |prefix: &str, name: &str| {
            series
                .strip_prefix(prefix)?
                .strip_prefix(&format!("{{{name}=\""))?
                .strip_suffix("\"}")
                .map(str::to_owned)
        };
        if let Some(stage) = label("agora_sensor_ingest_stage_seconds_sum", "stage") {
            out.entry(format!("stage:{stage}")).or_default().0 = value;
        } else if let Some(stage) = label("agora_sensor_ingest_stage_seconds_count", "stage") {
            out.entry(format!("stage:{stage}")).or_default().1 = value;
        } else if let Some(source) = label("agora_sensor_window_reads_total", "source") {
            out.entry(format!("window_reads:{source}")).or_default().0 = value;
        }
    }
    out
}

/// Each stage's mean in ms over the ingests between two scrapes (0 where none ran).
fn stage_means(
    then: &BTreeMap<String, (f64, f64)>,
    now: &BTreeMap<String, (f64, f64)>,
) -> Vec<f64> {
    STAGES
        .iter()
        .map(|stage| {
            let key = format!("stage:{stage}");
            let (s1, c1) = now.get(&key).copied().unwrap_or_default();
            let (s0, c0) = then.get(&key).copied().unwrap_or_default();
            if c1 > c0 {
                (s1 - s0) / (c1 - c0) * 1_000.0
            } else {
                0.0
            }
        })
        .collect()
}

/// Memory growth over a run, robust to the allocator's sawtooth (RSS swings ±10% from one
/// minute to the next while nothing leaks): the median RSS of the last third of the windows
/// against that of the first third after warm-up (window 1 left out). `(early, late, growth
/// in %)`; None with fewer than four windows or no readings.
fn memory_growth(rss: &[u64]) -> Option<(f64, f64, f64)> {
    let after_warmup = rss.get(1..)?;
    if after_warmup.len() < 3 || after_warmup.contains(&0) {
        return None;
    }
    let third = after_warmup.len() / 3;
    let median = |values: &[u64]| {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let mid = sorted.len() / 2;
        if sorted.len().is_multiple_of(2) {
            (sorted[mid - 1] + sorted[mid]) as f64 / 2.0
        } else {
            sorted[mid] as f64
        }
    };
    let early = median(&after_warmup[..third]);
    let late = median(&after_warmup[after_warmup.len() - third..]);
    Some((early, late, (late - early) / early * 100.0))
}

#[cfg(test)]
mod tests {
    use super::{memory_growth, parse_metrics, stage_means};

    #[test]
    fn stage_means_are_per_ingest_between_two_scrapes() {
        let before = parse_metrics(
            "agora_sensor_ingest_stage_seconds_sum{stage=\"window\"} 1.5\n\
             agora_sensor_ingest_stage_seconds_count{stage=\"window\"} 100\n\
             agora_sensor_window_reads_total{source=\"memory\"} 7\n",
        );
        let after = parse_metrics(
            "# TYPE agora_sensor_ingest_stage_seconds summary\n\
             agora_sensor_ingest_stage_seconds{stage=\"window\",quantile=\"0.5\"} 0.01\n\
             agora_sensor_ingest_stage_seconds_sum{stage=\"window\"} 2.0\n\
             agora_sensor_ingest_stage_seconds_count{stage=\"window\"} 150\n",
        );
        assert_eq!(before["window_reads:memory"].0, 7.0);
        let means = stage_means(&before, &after);
        assert!((means[1] - 10.0).abs() < 1e-9, "{means:?}");
        assert_eq!(means[0], 0.0);
    }

    #[test]
    fn memory_growth_compares_medians_of_thirds_after_warm_up() {
        // The 30-minute run of 2026-12-07 (MiB): a sawtooth, no trend.
        let run: Vec<u64> = [
            291, 295, 330, 341, 343, 345, 346, 304, 303, 305, 309, 309, 311, 315, 316, 319, 318,
            327, 327, 362, 341, 295, 299, 297, 299, 315, 315, 316, 313, 315,
        ]
        .iter()
        .map(|m| m * 1024)
        .collect();
        let (early, late, growth) = memory_growth(&run).expect("enough windows");
        assert_eq!((early, late), (330.0 * 1024.0, 313.0 * 1024.0));
        assert!(growth < 5.0, "{growth}");
        // A steady leak of 1% a minute is caught, however the sawtooth falls.
        let leak: Vec<u64> = (0..30)
            .map(|m| (300_000.0 * 1.01f64.powi(m) * if m % 3 == 0 { 1.1 } else { 1.0 }) as u64)
            .collect();
        let (_, _, growth) = memory_growth(&leak).expect("enough windows");
        assert!(growth > 15.0, "{growth}");
        assert!(memory_growth(&[1, 2, 3]).is_none());
    }
}
