//! `agora-bench overload`: how a running server sheds more load than it can serve.
//!
//! 1. Capacity: `--clients` closed-loop clients send the page query for `--seconds`; their
//!    throughput is the sustainable rate R.
//! 2. Unloaded: the query at R/4 (open loop: each request sent at its scheduled time, whether
//!    or not earlier ones have answered), for the reference p99.
//! 3. Overload: the query at `--factor` × R (default 4), open loop. Each answer is accepted
//!    (200), refused by the load shedder (503 `UNAVAILABLE`), or a failure (anything else: a
//!    timeout, a reset, another status).
//!
//! Targets (issue 28): accepted p99 within 2× the unloaded p99, refusals answered in under
//! 10 ms (p99), no failures. `--verify` exits non-zero when one is missed.
//! `bench/with-server.sh overload` starts a server without the per-address rate limit (every
//! request comes from one address) and with `SERVER_ARGS` added. The client shares the machine's cores with the server, so R is lower than the
//! server alone would reach.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::bail;
use serde_json::json;

use crate::gamification::{percentile, report};

#[derive(clap::Args, Clone)]
pub(crate) struct OverloadArgs {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Seconds of each phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Closed-loop clients of the capacity phase.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// The overload phase's rate, as a multiple of the sustainable rate.
    #[arg(long, default_value_t = 4.0)]
    factor: f64,
    /// The query (default: the questions page with its relations).
    #[arg(long)]
    query: Option<String>,
    /// Fail unless the targets are met.
    #[arg(long)]
    verify: bool,
}

const PAGE: &str = "{ questions(first: 50) { edges { node { id prompt difficulty topic { id name } author { id displayName } tags { id name } } } } }";

#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Accepted,
    Refused,
    Failed,
}

async fn send(http: &reqwest::Client, url: &str, body: &serde_json::Value) -> Outcome {
    match http.post(url).json(body).send().await {
        Ok(response) => match response.status().as_u16() {
            200 => match response.bytes().await {
                Ok(bytes) if !bytes.starts_with(br#"{"errors""#) => Outcome::Accepted,
                _ => Outcome::Failed,
            },
            503 => {
                let unavailable = response
                    .text()
                    .await
                    .is_ok_and(|t| t.contains("UNAVAILABLE"));
                if unavailable {
                    Outcome::Refused
                } else {
                    Outcome::Failed
                }
            }
            _ => Outcome::Failed,
        },
        Err(_) => Outcome::Failed,
    }
}

/// Sends the query at `rate` per second for `seconds`, each at its scheduled time.
async fn open_loop(
    http: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
    rate: f64,
    seconds: u64,
) -> Vec<(Outcome, Duration)> {
    let results = Arc::new(Mutex::new(Vec::new()));
    let total = (rate * seconds as f64) as u64;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (http, url, body, results) = (
            http.clone(),
            url.to_owned(),
            body.clone(),
            Arc::clone(&results),
        );
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let outcome = send(&http, &url, &body).await;
            results
                .lock()
                .expect("results")
                .push((outcome, sent.elapsed()));
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    Arc::try_unwrap(results)
        .map(|m| m.into_inner().unwrap_or_default())
        .unwrap_or_default()
}

fn of(results: &[(Outcome, Duration)], which: Outcome) -> Vec<Duration> {
    let mut samples: Vec<Duration> = results
        .iter()
        .filter(|(o, _)| *o == which)
        .map(|(_, d)| *d)
        .collect();
    samples.sort_unstable();
    samples
}

pub(crate) async fn overload(args: OverloadArgs) -> anyhow::Result<()> {
    let url = format!("{}/graphql", args.url.trim_end_matches('/'));
    let body = json!({ "query": args.query.as_deref().unwrap_or(PAGE) });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(4096)
        .build()?;
    if send(&http, &url, &body).await != Outcome::Accepted {
        bail!("the query is not answered with 200 and data at {url}");
    }

    // 1. Capacity.
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for _ in 0..args.clients {
        let (http, url, body) = (http.clone(), url.clone(), body.clone());
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut failed = 0u64;
            while Instant::now() < deadline {
                let sent = Instant::now();
                match send(&http, &url, &body).await {
                    Outcome::Accepted => samples.push(sent.elapsed()),
                    _ => failed += 1,
                }
            }
            (samples, failed)
        }));
    }
    let mut capacity = Vec::new();
    let mut capacity_failed = 0;
    for worker in workers {
        let (samples, failed) = worker.await?;
        capacity.extend(samples);
        capacity_failed += failed;
    }
    let rate = capacity.len() as f64 / args.seconds as f64;
    println!(
        "capacity: {} clients closed loop: {rate:.0} req/s ({capacity_failed} not accepted)",
        args.clients
    );
    report("  latency at capacity", capacity);

    // 2. Unloaded reference.
    let unloaded = open_loop(&http, &url, &body, rate / 4.0, args.seconds).await;
    let unloaded_ok = of(&unloaded, Outcome::Accepted);
    let unloaded_p99 = percentile(&unloaded_ok, 0.99);
    println!("unloaded: {:.0} req/s offered", rate / 4.0);
    report("  accepted", unloaded_ok);

    // 3. Overload.
    let offered = rate * args.factor;
    let loaded = open_loop(&http, &url, &body, offered, args.seconds).await;
    let accepted = of(&loaded, Outcome::Accepted);
    let refused = of(&loaded, Outcome::Refused);
    let failed = of(&loaded, Outcome::Failed);
    println!(
        "overload: {offered:.0} req/s offered ({:.1}x): {} accepted ({:.0}/s), {} refused, {} failed",
        args.factor,
        accepted.len(),
        accepted.len() as f64 / args.seconds as f64,
        refused.len(),
        failed.len()
    );
    let accepted_p99 = percentile(&accepted, 0.99);
    let refused_p99 = percentile(&refused, 0.99);
    report("  accepted", accepted);
    report("  refused", refused);
    let ratio = accepted_p99.as_secs_f64() / unloaded_p99.as_secs_f64().max(1e-6);
    println!(
        "accepted p99 / unloaded p99 = {ratio:.2} (target <= 2); refused p99 {:.2} ms (target < 10)",
        refused_p99.as_secs_f64() * 1000.0
    );
    if args.verify {
        let mut missed = Vec::new();
        if ratio > 2.0 {
            missed.push(format!("accepted p99 is {ratio:.2}x the unloaded p99"));
        }
        if refused_p99 >= Duration::from_millis(10) {
            missed.push(format!("refusals take {refused_p99:?} at p99"));
        }
        if !failed.is_empty() {
            missed.push(format!("{} requests failed", failed.len()));
        }
        if !missed.is_empty() {
            bail!("targets missed: {}", missed.join("; "));
        }
    }
    Ok(())
}
