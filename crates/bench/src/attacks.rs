//! `agora-bench attacks`: replays the attack corpus (`agora_testkit::corpus`, the same requests
//! the integration tests send) against a running server, checks each refusal's code, and prints
//! its latency; then a 100 KB WebSocket frame and a 1,000-subscribe flood; then the latency of a
//! normal query while attackers replay the corpus without pause.
//!
//! Latency is the client's round trip on the same machine, an upper bound of the server's time.
//! Start the server without the per-address limit (`agora serve --rate-limit-ip 0`): every
//! request comes from one address, and that limit would refuse them all with `RATE_LIMITED`
//! before the refusals under test are reached.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{acknowledged, corpus, gamification::report};

#[derive(clap::Args, Clone)]
pub(crate) struct AttacksArgs {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Times each attack is sent.
    #[arg(long, default_value_t = 200)]
    rounds: usize,
    /// Attackers replaying the corpus while the normal query is timed.
    #[arg(long, default_value_t = 8)]
    attackers: usize,
    /// Normal queries timed under attack.
    #[arg(long, default_value_t = 500)]
    queries: usize,
}

/// The normal query: a public read every page of the frontend makes.
const NORMAL: &str = "{ topics { name } }";

fn code_of(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

async fn post(http: &reqwest::Client, url: &str, body: &Value) -> anyhow::Result<Value> {
    Ok(http.post(url).json(body).send().await?.json().await?)
}

fn subscribe(id: usize, query: &str) -> Message {
    Message::Text(
        json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": query } })
            .to_string()
            .into(),
    )
}

/// A 100 KB frame: the time until the 1009 close.
async fn oversized_frame(ws_url: &str) -> anyhow::Result<Duration> {
    let mut socket = acknowledged(ws_url, json!({})).await?;
    let started = Instant::now();
    socket.send(subscribe(0, &"x".repeat(100_000))).await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Close(Some(frame)))) if u16::from(frame.code) == 1009 => {
                return Ok(started.elapsed());
            }
            Some(Ok(Message::Close(frame))) => bail!("closed with {frame:?}, not 1009"),
            Some(Ok(_)) => continue,
            Some(Err(err)) => bail!("{err}"),
            None => bail!("closed without a close frame"),
        }
    }
}

/// 1,000 subscribes at once: the time from the last one sent until every one has its answer
/// (the first 100 run, the others are refused with LIMIT_EXCEEDED).
async fn subscribe_flood(ws_url: &str) -> anyhow::Result<(Duration, usize)> {
    const BOARD: &str = "subscription { leaderboardChanged(scope: GLOBAL) { totalPlayers } }";
    let mut socket = acknowledged(ws_url, json!({})).await?;
    for id in 0..1_000 {
        socket.feed(subscribe(id, BOARD)).await?;
    }
    socket.flush().await?;
    let sent = Instant::now();
    let (mut answered, mut refused) = (std::collections::HashSet::new(), 0);
    while answered.len() < 1_000 {
        let Some(message) = socket.next().await else {
            bail!("closed during the flood");
        };
        let Message::Text(text) = message? else {
            continue;
        };
        let value: Value = serde_json::from_str(&text)?;
        if value["type"] == "error" {
            if value["payload"][0]["extensions"]["code"] != "LIMIT_EXCEEDED" {
                bail!("unexpected refusal: {value}");
            }
            refused += 1;
        }
        if let Some(id) = value["id"].as_str() {
            answered.insert(id.to_owned());
        }
    }
    Ok((sent.elapsed(), refused))
}

pub(crate) async fn attacks(args: AttacksArgs) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let url = format!("{}/graphql", args.url.trim_end_matches('/'));
    let ws_url = format!("{}/ws", url.replacen("http", "ws", 1));
    let probe = post(&http, &url, &json!({ "query": NORMAL })).await?;
    if code_of(&probe) == "RATE_LIMITED" {
        bail!("the server refuses this address; start it with --rate-limit-ip 0");
    }
    println!("refusals ({} rounds each, client round trip):", args.rounds);
    for attack in corpus::http() {
        let mut samples = Vec::with_capacity(args.rounds);
        for _ in 0..args.rounds {
            let started = Instant::now();
            let body = post(&http, &url, &attack.body).await?;
            samples.push(started.elapsed());
            let code = code_of(&body);
            if code != attack.code {
                bail!("{}: expected {}, got {body}", attack.name, attack.code);
            }
        }
        report(
            &format!("  {:<24} {:<26}", attack.name, attack.code),
            samples,
        );
    }
    let mut frames = Vec::with_capacity(args.rounds);
    for _ in 0..args.rounds {
        frames.push(oversized_frame(&ws_url).await?);
    }
    report(
        &format!("  {:<24} {:<26}", "100 KB WebSocket frame", "close 1009"),
        frames,
    );
    let (took, refused) = subscribe_flood(&ws_url).await?;
    println!(
        "  {:<24} {:<26}: {refused} refused, all 1,000 answered {:.2}ms after the last was sent",
        "1,000-subscribe flood",
        "LIMIT_EXCEEDED",
        took.as_secs_f64() * 1000.0
    );

    let mut quiet = Vec::with_capacity(args.queries);
    for _ in 0..args.queries {
        let started = Instant::now();
        let body = post(&http, &url, &json!({ "query": NORMAL })).await?;
        quiet.push(started.elapsed());
        if body["data"]["topics"].is_null() {
            bail!("normal query failed: {body}");
        }
    }
    report("normal query, idle server", quiet);

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let attack_bodies: Arc<Vec<Value>> =
        Arc::new(corpus::http().into_iter().map(|a| a.body).collect());
    let attackers: Vec<_> = (0..args.attackers)
        .map(|n| {
            let (http, url, stop, sent, bodies) = (
                http.clone(),
                url.clone(),
                stop.clone(),
                sent.clone(),
                attack_bodies.clone(),
            );
            tokio::spawn(async move {
                let mut i = n;
                while !stop.load(Ordering::Relaxed) {
                    let _ = http.post(&url).json(&bodies[i % bodies.len()]).send().await;
                    sent.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let before = sent.load(Ordering::Relaxed);
    let mut loaded = Vec::with_capacity(args.queries);
    for _ in 0..args.queries {
        let begun = Instant::now();
        let body = post(&http, &url, &json!({ "query": NORMAL })).await?;
        loaded.push(begun.elapsed());
        if body["data"]["topics"].is_null() {
            bail!("normal query failed under attack: {body}");
        }
    }
    let rate = (sent.load(Ordering::Relaxed) - before) as f64 / started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        attacker.await.context("attacker")?;
    }
    report(
        &format!(
            "normal query while {} attackers send {rate:.0} attacks/s",
            args.attackers
        ),
        loaded,
    );
    Ok(())
}
