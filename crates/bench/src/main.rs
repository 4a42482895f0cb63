//! `agora-bench battle`: N battle rooms × M bot players against a running server, each bot on
//! its own WebSocket, answering over HTTP like a real client. Prints rooms, sockets, events
//! delivered per second, delivery and answer-to-reveal latency percentiles, events lost and the
//! server's RSS. Latency is measured from the server's `room.updatedAt` (the time of the change)
//! to the bot's receipt, so client and server must share a clock (same machine).
//!
//! `agora-bench awards` and `agora-bench leaderboard`: see [`gamification`].
//! `agora-bench sensors`: see [`sensors`].
//! `agora-bench attacks`: see [`attacks`].
//! `agora-bench overload`: see [`overload`].
//! `agora-bench soak`: see [`soak`].

mod attacks;
mod gamification;
mod learning;
mod literacy;
mod overload;
mod sensors;
mod soak;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use agora_testkit::corpus;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use futures::{SinkExt, StreamExt, stream};
use rand::Rng;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

// The server's allocator: the in-process benchmarks (`awards`, `leaderboard`, `sensors`,
// `attacks`) run the server's code and must allocate as it does. With glibc's allocator,
// `malloc`/`free` were ~30% of the process's CPU in `awards`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "agora-bench",
    about = "Load generators for a running Agora server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plays battles: rooms × players bots over real WebSockets.
    Battle(BattleArgs),
    /// Points awards per second through the outbox and the gamification handler.
    Awards(gamification::AwardsArgs),
    /// Leaderboard reads with 1,000,000 players on a Redis board.
    Leaderboard(gamification::LeaderboardArgs),
    /// Sensor ingest throughput (PostgreSQL and SQLite), series latency over 10,000,000
    /// readings and live fan-out to 1,000 subscribers.
    Sensors(sensors::SensorsArgs),
    /// The attack corpus: each refusal's latency, WebSocket floods, and a normal query's
    /// latency while the corpus is replayed.
    Attacks(attacks::AttacksArgs),
    /// The dyslexia hub: transcript scoring, `practiceWord` from one and many learners, and
    /// recorded answers (in process, embedded database).
    Literacy(literacy::LiteracyArgs),
    /// Learning: the FSRS optimiser over a simulated year of reviews, scheduler switch, reviews,
    /// study sessions and statistics (in process, embedded database or `--postgres`).
    Learning(learning::LearningArgs),
    /// Load shedding: the page query at 4x the sustainable rate; accepted and refused
    /// latencies against the unloaded p99.
    Overload(overload::OverloadArgs),
    /// Everything at once for N minutes: per-minute tails, memory, outbox backlog, losses.
    Soak(soak::SoakArgs),
}

#[derive(clap::Args, Clone)]
struct BattleArgs {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Concurrent rooms.
    #[arg(long, default_value_t = 100)]
    rooms: usize,
    /// Players per room.
    #[arg(long, default_value_t = 8)]
    players: usize,
    /// Questions per battle.
    #[arg(long, default_value_t = 5)]
    questions: i32,
    /// Distinct accounts the bots share (a user may play in many rooms at once).
    #[arg(long, default_value_t = 64)]
    accounts: usize,
    /// Bots answer after a random delay up to this many ms.
    #[arg(long, default_value_t = 1500)]
    max_think_ms: u64,
    /// PID of the server, to report its memory.
    #[arg(long)]
    server_pid: Option<u32>,
}

const PASSWORD: &str = "agora-bench-password";

/// Opens a graphql-transport-ws socket to `url`, sends `connection_init` with `payload` and
/// waits for the `connection_ack` (a `subscribe` before it is closed with 4401).
async fn acknowledged(url: &str, payload: Value) -> anyhow::Result<Socket> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::Text(
            json!({ "type": "connection_init", "payload": payload })
                .to_string()
                .into(),
        ))
        .await?;
    match socket.next().await {
        Some(Ok(Message::Text(text))) if text.contains("connection_ack") => Ok(socket),
        other => bail!("no connection_ack: {other:?}"),
    }
}

struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    async fn gql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let body: Value = request.send().await?.json().await?;
        if let Some(errors) = body.get("errors").filter(|e| !e.is_null()) {
            bail!("{errors}");
        }
        Ok(body["data"].clone())
    }

    /// Signs in bench account `n`, registering it first if needed.
    async fn account(&self, n: usize) -> anyhow::Result<String> {
        let email = format!("bench-{n}@bench.agora.test");
        let login = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";
        if let Ok(data) = self
            .gql(
                None,
                login,
                json!({ "i": { "email": email, "password": PASSWORD } }),
            )
            .await
        {
            return Ok(data["login"]["accessToken"]
                .as_str()
                .context("token")?
                .to_owned());
        }
        let register = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }";
        let data = self
            .gql(
                None,
                register,
                json!({ "i": { "email": email, "password": PASSWORD, "displayName": format!("Bot {n}") } }),
            )
            .await?;
        Ok(data["register"]["accessToken"]
            .as_str()
            .context("token")?
            .to_owned())
    }
}

#[derive(Default)]
struct Totals {
    events: AtomicU64,
    lost: AtomicU64,
    answers: AtomicU64,
    /// Change → receipt, every event after the snapshot.
    delivery_us: Mutex<Vec<u64>>,
    /// Last answer (the change that closed the question) → receipt of QUESTION_ENDED.
    reveal_us: Mutex<Vec<u64>>,
}

/// Microseconds from the server's change time `at` until now.
fn since(at: &Value) -> Option<u64> {
    let at = chrono::DateTime::parse_from_rfc3339(at.as_str()?).ok()?;
    let micros = (chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_microseconds()?;
    Some(micros.max(0) as u64)
}

const SUBSCRIPTION: &str = "subscription($r: ID!) { battleRoom(roomId: $r) { kind room { status version updatedAt currentQuestion { id index choices { id } } } } }";
const ANSWER: &str = "mutation($r: ID!, $q: ID!, $c: ID!) { submitAnswer(roomId: $r, questionId: $q, choiceId: $c) { accepted } }";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A room ready to start: its id, its host's token, and each player's token and socket.
type ReadyRoom = (String, String, Vec<(String, Socket)>);

async fn subscribe(ws_url: &str, token: &str, room: &str) -> anyhow::Result<Socket> {
    let mut socket = acknowledged(
        ws_url,
        json!({ "authorization": format!("Bearer {token}") }),
    )
    .await?;
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIPTION, "variables": { "r": room } } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await?;
    Ok(socket)
}

/// The next battle event (skipping the ack and keep-alives); None when the stream ends.
async fn next_event(socket: &mut Socket) -> anyhow::Result<Option<Value>> {
    while let Some(message) = socket.next().await {
        let Message::Text(text) = message? else {
            continue;
        };
        let value: Value = serde_json::from_str(&text)?;
        match value["type"].as_str() {
            Some("next") => {
                if let Some(errors) = value["payload"].get("errors").filter(|e| !e.is_null()) {
                    bail!("subscription error: {errors}");
                }
                return Ok(Some(value["payload"]["data"]["battleRoom"].clone()));
            }
            Some("complete") => return Ok(None),
            Some("error") => bail!("subscription refused: {value}"),
            _ => continue,
        }
    }
    Ok(None)
}

#[allow(clippy::too_many_arguments)]
async fn bot(
    api: Arc<Api>,
    mut socket: Socket,
    token: String,
    room: String,
    totals: Arc<Totals>,
    max_think_ms: u64,
) -> anyhow::Result<()> {
    let mut version = -1i64;
    let mut answered = -1i64;
    while let Some(event) = next_event(&mut socket).await? {
        totals.events.fetch_add(1, Ordering::Relaxed);
        let v = event["room"]["version"].as_i64().unwrap_or(0);
        if version >= 0 && v > version + 1 {
            totals
                .lost
                .fetch_add((v - version - 1) as u64, Ordering::Relaxed);
        }
        version = version.max(v);
        let latency = since(&event["room"]["updatedAt"]);
        if event["kind"] != "SNAPSHOT"
            && let Some(us) = latency
        {
            totals
                .delivery_us
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(us);
        }
        match event["kind"].as_str().unwrap_or("") {
            "QUESTION_STARTED" | "SNAPSHOT" => {
                let q = &event["room"]["currentQuestion"];
                let index = q["index"].as_i64().unwrap_or(-1);
                if q.is_null() || index <= answered || event["room"]["status"] != "IN_PROGRESS" {
                    continue;
                }
                answered = index;
                let choices = q["choices"].as_array().cloned().unwrap_or_default();
                let (think, pick) = {
                    let mut rng = rand::rng();
                    (
                        rng.random_range(100..=max_think_ms.max(101)),
                        rng.random_range(0..choices.len().max(1)),
                    )
                };
                let (api, token, room, totals, question) = (
                    api.clone(),
                    token.clone(),
                    room.clone(),
                    totals.clone(),
                    q["id"].clone(),
                );
                let choice = choices
                    .get(pick)
                    .map(|c| c["id"].clone())
                    .unwrap_or_default();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(think)).await;
                    let sent = api
                        .gql(
                            Some(&token),
                            ANSWER,
                            json!({ "r": room, "q": question, "c": choice }),
                        )
                        .await;
                    if sent.is_ok() {
                        totals.answers.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            "QUESTION_ENDED" => {
                if let Some(us) = latency {
                    totals
                        .reveal_us
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(us);
                }
            }
            "FINISHED" | "CANCELLED" => break,
            _ => {}
        }
    }
    Ok(())
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)] as f64 / 1000.0
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// What a battle run lost: events that never arrived, and bots that failed.
struct BattleSummary {
    lost: u64,
    failed: u64,
}

async fn battle(args: BattleArgs) -> anyhow::Result<()> {
    play(args, true).await.map(|_| ())
}

/// Plays one set of battles to the end; prints the report when `print`.
async fn play(args: BattleArgs, print: bool) -> anyhow::Result<BattleSummary> {
    if args.accounts < args.players {
        bail!("--accounts must be at least --players");
    }
    let api = Arc::new(Api {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?,
        url: args.url.trim_end_matches('/').to_owned(),
    });
    let ws_url = format!("{}/graphql/ws", api.url.replacen("http", "ws", 1));
    let setup = Instant::now();
    let tokens: Vec<String> = stream::iter(0..args.accounts)
        .map(|n| {
            let api = api.clone();
            async move { api.account(n).await }
        })
        .buffered(4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    eprintln!("{} accounts ready in {:.1?}", tokens.len(), setup.elapsed());

    // Rooms: a host creates, the others join by code, everyone subscribes.
    let step = args.accounts / args.players;
    let create = "mutation($i: CreateBattleRoomInput!) { createBattleRoom(input: $i) { id code } }";
    let join = "mutation($c: String!) { joinBattleRoom(code: $c) { id } }";
    let totals = Arc::new(Totals::default());
    let rooms: Vec<ReadyRoom> = stream::iter(0..args.rooms)
        .map(|r| {
            let (api, tokens, ws_url, args) = (api.clone(), tokens.clone(), ws_url.clone(), args.clone());
            async move {
                let members: Vec<String> = (0..args.players)
                    .map(|i| tokens[(r + i * step) % args.accounts].clone())
                    .collect();
                let room = api
                    .gql(
                        Some(&members[0]),
                        create,
                        json!({ "i": { "questionCount": args.questions, "secondsPerQuestion": 20, "maxPlayers": args.players } }),
                    )
                    .await?;
                let (id, code) = (
                    room["createBattleRoom"]["id"].as_str().context("id")?.to_owned(),
                    room["createBattleRoom"]["code"].clone(),
                );
                for token in &members[1..] {
                    api.gql(Some(token), join, json!({ "c": code })).await?;
                }
                let mut sockets = Vec::new();
                for token in &members {
                    let mut socket = subscribe(&ws_url, token, &id).await?;
                    let first = next_event(&mut socket).await?.context("snapshot")?;
                    anyhow::ensure!(first["kind"] == "SNAPSHOT", "first event {first}");
                    sockets.push((token.clone(), socket));
                }
                anyhow::Ok((id, members[0].clone(), sockets))
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let sockets = rooms.iter().map(|r| r.2.len()).sum::<usize>();
    eprintln!(
        "{} rooms, {sockets} WebSockets subscribed in {:.1?}",
        rooms.len(),
        setup.elapsed()
    );
    let rss_idle = args.server_pid.and_then(|pid| rss_kib(pid, "VmRSS:"));

    let start = "mutation($r: ID!) { startBattle(roomId: $r) { status } }";
    let began = Instant::now();
    let mut bots = Vec::new();
    let mut hosts = Vec::new();
    for (id, host, sockets) in rooms {
        for (token, socket) in sockets {
            bots.push(tokio::spawn(bot(
                api.clone(),
                socket,
                token,
                id.clone(),
                totals.clone(),
                args.max_think_ms,
            )));
        }
        hosts.push((id, host));
    }
    stream::iter(hosts)
        .map(|(id, host)| {
            let api = api.clone();
            async move { api.gql(Some(&host), start, json!({ "r": id })).await }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut peak = 0;
    let mut failures = 0;
    for bot in bots {
        if let Some(pid) = args.server_pid {
            peak = peak.max(rss_kib(pid, "VmRSS:").unwrap_or(0));
        }
        match bot.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                failures += 1;
                eprintln!("bot failed: {e}");
            }
            Err(e) => {
                failures += 1;
                eprintln!("bot panicked: {e}");
            }
        }
    }
    let elapsed = began.elapsed();
    let sorted = |m: &Mutex<Vec<u64>>| {
        let mut v = m.lock().unwrap_or_else(|p| p.into_inner()).clone();
        v.sort_unstable();
        v
    };
    let (delivery, reveal) = (sorted(&totals.delivery_us), sorted(&totals.reveal_us));
    let summary = BattleSummary {
        lost: totals.lost.load(Ordering::Relaxed),
        failed: failures,
    };
    if !print {
        return Ok(summary);
    }
    let events = totals.events.load(Ordering::Relaxed);
    println!("rooms                     {}", args.rooms);
    println!("players (WebSockets)      {sockets}");
    println!("questions per battle      {}", args.questions);
    println!("battle time               {:.1?}", elapsed);
    println!(
        "answers accepted          {}",
        totals.answers.load(Ordering::Relaxed)
    );
    println!("events delivered          {events}");
    println!(
        "events delivered / s      {:.0}",
        events as f64 / elapsed.as_secs_f64()
    );
    for (name, v) in [
        ("event delivery ms", &delivery),
        ("answer-to-reveal ms", &reveal),
    ] {
        println!(
            "{name:<26}p50 {:.1}  p95 {:.1}  p99 {:.1}  max {:.1}  (n = {})",
            percentile(v, 50.0),
            percentile(v, 95.0),
            percentile(v, 99.0),
            percentile(v, 100.0),
            v.len()
        );
    }
    println!(
        "events lost               {}",
        totals.lost.load(Ordering::Relaxed)
    );
    println!("bots failed               {failures}");
    if let Some(pid) = args.server_pid {
        println!(
            "server RSS MiB            subscribed {:.0}  peak seen {:.0}  high-water {:.0}",
            rss_idle.unwrap_or(0) as f64 / 1024.0,
            peak as f64 / 1024.0,
            rss_kib(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
        );
    }
    Ok(summary)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match Cli::parse().command {
        Command::Battle(args) => battle(args).await,
        Command::Awards(args) => gamification::awards(args).await,
        Command::Literacy(args) => literacy::literacy(args).await,
        Command::Learning(args) => learning::learning(args).await,
        Command::Leaderboard(args) => gamification::leaderboard(args).await,
        Command::Sensors(args) => sensors::sensors(args).await,
        Command::Attacks(args) => attacks::attacks(args).await,
        Command::Overload(args) => overload::overload(args).await,
        Command::Soak(args) => soak::soak(args).await,
    }
}
