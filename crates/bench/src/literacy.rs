//! `agora-bench literacy`: the dyslexia hub's speeds, in process on a fresh embedded database
//! (SQLite file, in-process bus; `--postgres`: a fresh PostgreSQL schema and Redis prefix), the
//! server serving on a free local port:
//!
//! 1. transcript scoring in the service (dictionary look-up, alignment, tip), per call;
//! 2. `practiceWord` over HTTP from one client, then from `--learners` concurrent learners;
//! 3. `POST /media/practice/{wordId}` with a 2 s WAV clip (espeak-ng, ffmpeg and PocketSphinx
//!    must be installed; otherwise the step says so and is skipped).
//!
//! Latencies are client round trips on the same machine.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    Api,
    gamification::{Target, embedded_state, report, setup, teardown},
};

#[derive(clap::Args, Clone)]
pub(crate) struct LiteracyArgs {
    /// Run on PostgreSQL and Redis (`--database-url`, `--redis-url`) instead of SQLite.
    #[arg(long)]
    postgres: bool,
    #[command(flatten)]
    target: Target,
    /// Transcript scorings timed in the service.
    #[arg(long, default_value_t = 5_000)]
    scores: usize,
    /// `practiceWord` calls from one client.
    #[arg(long, default_value_t = 300)]
    sequential: usize,
    /// Concurrent learners.
    #[arg(long, default_value_t = 200)]
    learners: usize,
    /// `practiceWord` calls per concurrent learner.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Recorded answers uploaded, one after another.
    #[arg(long, default_value_t = 20)]
    uploads: usize,
}

const PRACTICE: &str = "mutation($w: ID!, $t: String!) { practiceWord(wordId: $w, transcript: $t, durationMs: 900) { similarity } }";

pub(crate) async fn literacy(args: LiteracyArgs) -> anyhow::Result<()> {
    if args.postgres {
        let bench = setup(&args.target).await?;
        let result = measure(&args, &bench.state).await;
        teardown(bench, &args.target).await?;
        return result;
    }
    let dir = std::env::temp_dir().join(format!("agora-bench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = embedded(&args, &dir).await;
    std::fs::remove_dir_all(&dir).ok();
    result
}

async fn embedded(args: &LiteracyArgs, dir: &std::path::Path) -> anyhow::Result<()> {
    let media = dir.join("media").display().to_string();
    let state = embedded_state(
        dir,
        &[
            "--rate-limit-ip",
            "0",
            "--rate-limit-user",
            "0",
            "--rate-limit-auth",
            "0",
            "--literacy-media-dir",
            &media,
        ],
    )
    .await?;
    let result = measure(args, &state).await;
    state.platform.db.clone().close().await.ok();
    result
}

async fn measure(args: &LiteracyArgs, state: &agora_server::AppState) -> anyhow::Result<()> {
    println!(
        "database: {}",
        if args.postgres {
            "PostgreSQL + Redis"
        } else {
            "SQLite, in-process bus"
        }
    );
    let words = agora_literacy::api::seed_levels(&state.platform)
        .await
        .map_err(|e| anyhow::anyhow!(e.log_message()))?;
    println!("seeded {words} words");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(agora_server::serve(state.clone(), listener));
    let api = Api {
        http: reqwest::Client::new(),
        url: format!("http://{addr}"),
    };
    let words = level_one(&api).await?;

    scoring(args, &words)?;
    let token = api.account(0).await?;
    sequential(args, &api, &token, &words).await?;
    concurrent(args, &api, &words).await?;
    let result = uploads(args, &api, &token, &words).await;
    // Let the server drain (its outbox's last pass needs the database) before the caller
    // closes anything.
    state.shutdown.cancel();
    server.await??;
    result
}

/// `(id, text)` of the first level's words.
async fn level_one(api: &Api) -> anyhow::Result<Vec<(String, String)>> {
    let data = api
        .gql(
            None,
            "{ literacyLevels { number words(first: 100) { edges { node { id text } } } } }",
            json!({}),
        )
        .await?;
    let words: Vec<(String, String)> = data["literacyLevels"][0]["words"]["edges"]
        .as_array()
        .context("words")?
        .iter()
        .filter_map(|e| {
            Some((
                e["node"]["id"].as_str()?.to_owned(),
                e["node"]["text"].as_str()?.to_owned(),
            ))
        })
        .collect();
    if words.is_empty() {
        bail!("no words on level 1");
    }
    Ok(words)
}

/// What a learner says: the word half the time, another word of the level otherwise.
fn said<'a>(rng: &mut impl Rng, words: &'a [(String, String)], word: usize) -> &'a str {
    if rng.random_bool(0.5) {
        &words[word].1
    } else {
        &words[rng.random_range(0..words.len())].1
    }
}

fn scoring(args: &LiteracyArgs, words: &[(String, String)]) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    // The first call parses the compiled-in dictionary once.
    let started = Instant::now();
    agora_literacy::api::score_transcript(&words[0].1, &words[0].1)
        .map_err(|e| anyhow::anyhow!(e.log_message()))?;
    println!(
        "first scoring (parses the dictionary): {:.0}ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let mut samples = Vec::with_capacity(args.scores);
    for _ in 0..args.scores {
        let word = rng.random_range(0..words.len());
        let transcript = said(&mut rng, words, word).to_owned();
        let t = Instant::now();
        agora_literacy::api::score_transcript(&words[word].1, &transcript)
            .map_err(|e| anyhow::anyhow!(e.log_message()))?;
        samples.push(t.elapsed());
    }
    samples.sort_unstable();
    let us = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    println!(
        "transcript scoring in the service: n={} p50={:.1}µs p99={:.1}µs max={:.1}µs",
        samples.len(),
        us(0.5),
        us(0.99),
        us(1.0)
    );
    Ok(())
}

async fn practise(
    api: &Api,
    token: &str,
    word: &str,
    transcript: &str,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let data = api
        .gql(Some(token), PRACTICE, json!({ "w": word, "t": transcript }))
        .await?;
    if !data["practiceWord"]["similarity"].is_number() {
        bail!("no similarity: {data}");
    }
    Ok(started.elapsed())
}

async fn sequential(
    args: &LiteracyArgs,
    api: &Api,
    token: &str,
    words: &[(String, String)],
) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut samples = Vec::with_capacity(args.sequential);
    for _ in 0..args.sequential {
        let word = rng.random_range(0..words.len());
        let transcript = said(&mut rng, words, word).to_owned();
        samples.push(practise(api, token, &words[word].0, &transcript).await?);
    }
    report("practiceWord over HTTP, one client", samples);
    Ok(())
}

async fn concurrent(
    args: &LiteracyArgs,
    api: &Api,
    words: &[(String, String)],
) -> anyhow::Result<()> {
    let mut tokens = Vec::with_capacity(args.learners);
    for n in 1..=args.learners {
        tokens.push(api.account(n).await?);
    }
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.learners);
    for (n, token) in tokens.into_iter().enumerate() {
        let api = Api {
            http: api.http.clone(),
            url: api.url.clone(),
        };
        let words = words.to_vec();
        let rounds = args.rounds;
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(n as u64);
            let mut samples = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let word = rng.random_range(0..words.len());
                let transcript = said(&mut rng, &words, word).to_owned();
                samples.push(practise(&api, &token, &words[word].0, &transcript).await?);
            }
            anyhow::Ok(samples)
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} learners x {} practiceWord: {:.0} calls/s",
        args.learners,
        args.rounds,
        samples.len() as f64 / seconds
    );
    report(
        &format!(
            "practiceWord over HTTP, {} concurrent learners",
            args.learners
        ),
        samples,
    );
    Ok(())
}

/// A 2 s WAV of `text` said by espeak-ng (padded with silence by ffmpeg), or None without
/// the engines.
fn clip(text: &str) -> Option<Vec<u8>> {
    let dir = tempfile_dir()?;
    let raw = dir.join("said.wav");
    let padded = dir.join("clip.wav");
    let ok = std::process::Command::new("espeak-ng")
        .arg("-w")
        .arg(&raw)
        .args(["-s", "110", "--", text])
        .status()
        .ok()?
        .success()
        && std::process::Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y", "-i"])
            .arg(&raw)
            .args(["-af", "apad=whole_dur=2", "-t", "2"])
            .arg(&padded)
            .status()
            .ok()?
            .success();
    let audio = ok.then(|| std::fs::read(&padded).ok()).flatten();
    std::fs::remove_dir_all(&dir).ok();
    audio
}

fn tempfile_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("agora-bench-clip-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

async fn uploads(
    args: &LiteracyArgs,
    api: &Api,
    token: &str,
    words: &[(String, String)],
) -> anyhow::Result<()> {
    if args.uploads == 0 {
        return Ok(());
    }
    let Some((id, text)) = words.iter().find(|(_, t)| t == "yellow") else {
        bail!("no 'yellow' on level 1");
    };
    let Some(audio) = clip(text) else {
        println!("recorded answers: skipped (install espeak-ng and ffmpeg)");
        return Ok(());
    };
    let url = format!("{}/media/practice/{id}", api.url);
    let mut samples = Vec::with_capacity(args.uploads);
    for _ in 0..args.uploads {
        let started = Instant::now();
        let response = api
            .http
            .post(&url)
            .bearer_auth(token)
            .header("content-type", "audio/wav")
            .body(audio.clone())
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status == 503 {
            println!(
                "recorded answers: skipped ({})",
                body["errors"][0]["message"]
            );
            return Ok(());
        }
        if !status.is_success() {
            bail!("upload answered {status}: {body}");
        }
        samples.push(started.elapsed());
    }
    report(
        &format!(
            "recorded answer ({} KB, 2 s WAV) upload to score",
            audio.len() / 1024
        ),
        samples,
    );
    Ok(())
}
