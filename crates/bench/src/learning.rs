//! `agora-bench learning`: the learning domain's speeds, in process on a fresh embedded database
//! (`--postgres`: a fresh PostgreSQL schema and Redis prefix), the server on a free local port:
//!
//! 1. a simulated learner's history (`--cards` cards, `--reviews` reviews over a year) written
//!    through `agora_learning::api::simulate`;
//! 2. `optimizeMyScheduler` over that log, from the mutation to `DONE` (polled every 50 ms),
//!    with the evaluation it reports;
//! 3. switching the learner to FSRS (every card converted from its log);
//! 4. `reviewFlashcard` under FSRS, one after another: due cards with a history, then new ones;
//! 5. `studySession` and `flashcardStats` over the whole deck.
//!
//! Latencies are client round trips on the same machine.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    Api,
    gamification::{Target, embedded_state, report, setup, teardown},
};

#[derive(clap::Args, Clone)]
pub(crate) struct LearningArgs {
    /// Run on PostgreSQL and Redis instead of SQLite.
    #[arg(long)]
    postgres: bool,
    #[command(flatten)]
    target: Target,
    /// Cards of the simulated learner (each gets at most its share of `--reviews`).
    #[arg(long, default_value_t = 1_200)]
    cards: usize,
    /// Reviews in their log.
    #[arg(long, default_value_t = 10_000)]
    reviews: usize,
    /// Reviews timed (each half: due cards, new cards).
    #[arg(long, default_value_t = 400)]
    timed: usize,
    /// `studySession` and `flashcardStats` calls timed, each.
    #[arg(long, default_value_t = 200)]
    reads: usize,
    /// Cards of the dashboard's learner (a second simulated learner).
    #[arg(long, default_value_t = 5_000)]
    dashboard_cards: usize,
    /// Reviews in their log.
    #[arg(long, default_value_t = 50_000)]
    dashboard_reviews: usize,
}

const DASHBOARD: &str = "{ dashboard { progress { points level streak } flashcards { due nextSessionSize newInNextSession mostAtRisk { id front } } literacy { wordsMastered } recentBattles { code score rank } activity { days { date points actions } last7Days { points } last30Days { points } } accuracy { topic { name } source difficulty attempts correct rate } recommendations { kind reason topic { name } flashcardIds articles { title } } } }";

pub(crate) async fn learning(args: LearningArgs) -> anyhow::Result<()> {
    if args.postgres {
        let bench = setup(&args.target).await?;
        let result = measure(&args, &bench.state).await;
        teardown(bench, &args.target).await?;
        return result;
    }
    let dir = std::env::temp_dir().join(format!("agora-bench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let state = embedded_state(
        &dir,
        &[
            "--rate-limit-ip",
            "0",
            "--rate-limit-user",
            "0",
            "--rate-limit-auth",
            "0",
        ],
    )
    .await?;
    let result = measure(&args, &state).await;
    state.platform.db.clone().close().await.ok();
    std::fs::remove_dir_all(&dir).ok();
    result
}

async fn measure(args: &LearningArgs, state: &agora_server::AppState) -> anyhow::Result<()> {
    println!(
        "database: {}",
        if args.postgres {
            "PostgreSQL + Redis"
        } else {
            "SQLite, in-process bus"
        }
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(agora_server::serve(state.clone(), listener));
    let api = Api {
        http: reqwest::Client::new(),
        url: format!("http://{addr}"),
    };
    let result = run(args, state, &api).await;
    state.shutdown.cancel();
    server.await??;
    result
}

async fn run(args: &LearningArgs, state: &agora_server::AppState, api: &Api) -> anyhow::Result<()> {
    let platform = &state.platform;
    let token = api.account(0).await?;
    let me = api.gql(Some(&token), "{ me { id } }", json!({})).await?;
    let user = agora_platform::ids::decode(
        &async_graphql::ID::from(me["me"]["id"].as_str().context("my id")?),
        "User",
        "id",
    )
    .map_err(|e| anyhow::anyhow!(e.log_message()))?;
    agora_knowledge::api::seed(
        platform,
        None,
        &[agora_knowledge::api::TopicFixture {
            slug: "bench-deck".into(),
            name: "Bench deck".into(),
            description: None,
            children: Vec::new(),
        }],
        &[],
        &[],
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.log_message()))?;
    let topic = agora_knowledge::api::topics::by_slug(platform, "bench-deck")
        .await
        .map_err(|e| anyhow::anyhow!(e.log_message()))?
        .context("the bench topic")?;

    let started = Instant::now();
    let written = agora_learning::api::simulate(
        platform,
        &agora_learning::api::Simulation {
            user,
            topic: topic.id,
            cards: args.cards,
            days: 365,
            max_reviews: args.reviews,
            seed: 11,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.log_message()))?;
    println!(
        "simulated history: {} cards, {written} reviews written in {:.2}s",
        args.cards,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let run = api
        .gql(
            Some(&token),
            "mutation { optimizeMyScheduler { id } }",
            json!({}),
        )
        .await?;
    let id = run["optimizeMyScheduler"]["id"]
        .as_str()
        .context("run id")?
        .to_owned();
    let done = loop {
        let body = api
            .gql(
                Some(&token),
                "query($id: ID!) { schedulerOptimization(id: $id) { status reason trainCount testCount evaluation { model logLoss rmse } } }",
                json!({ "id": id }),
            )
            .await?;
        let run = body["schedulerOptimization"].clone();
        if run["status"] != "RUNNING" {
            break run;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    anyhow::ensure!(done["status"] == "DONE", "optimisation failed: {done}");
    println!(
        "optimizeMyScheduler over {written} reviews: {:.2}s to DONE (train {} items, test {} reviews)",
        started.elapsed().as_secs_f64(),
        done["trainCount"],
        done["testCount"]
    );
    for line in done["evaluation"].as_array().context("evaluation")? {
        println!(
            "  {:<13} log-loss {:.4}  RMSE(bins) {:.4}",
            line["model"].as_str().unwrap_or("?"),
            line["logLoss"].as_f64().unwrap_or(f64::NAN),
            line["rmse"].as_f64().unwrap_or(f64::NAN)
        );
    }

    let started = Instant::now();
    let switched = api
        .gql(
            Some(&token),
            "mutation { updateLearningSettings(input: { scheduler: FSRS }) { convertedCards } }",
            json!({}),
        )
        .await?;
    println!(
        "switch to FSRS: {} cards converted from their log in {:.0}ms",
        switched["updateLearningSettings"]["convertedCards"],
        started.elapsed().as_secs_f64() * 1000.0
    );

    let half = args.timed / 2;
    let session = api
        .gql(
            Some(&token),
            "query($n: Int) { studySession(limit: $n) { dueCount cards { flashcard { id } } } }",
            json!({ "n": half.clamp(1, 500) }),
        )
        .await?;
    let due: Vec<String> = ids(&session["studySession"]["cards"]);
    println!(
        "due now: {} (timing {} of them)",
        session["studySession"]["dueCount"],
        due.len()
    );
    report(
        "reviewFlashcard, FSRS, due card with a history",
        reviews(api, &token, &due).await?,
    );
    let mut fresh = Vec::with_capacity(half);
    for n in 0..half {
        let body = api
            .gql(
                Some(&token),
                "mutation($i: CreateFlashcardInput!) { createFlashcard(input: $i) { id } }",
                json!({ "i": { "topicId": agora_platform::ids::encode("Topic", topic.id), "front": format!("New {n}"), "back": "b" } }),
            )
            .await?;
        fresh.push(
            body["createFlashcard"]["id"]
                .as_str()
                .context("card id")?
                .to_owned(),
        );
    }
    report(
        "reviewFlashcard, FSRS, new card",
        reviews(api, &token, &fresh).await?,
    );

    let mut samples = Vec::with_capacity(args.reads);
    for _ in 0..args.reads {
        let t = Instant::now();
        api.gql(
            Some(&token),
            "{ studySession(limit: 50) { dueCount newCount cards { retrievability flashcard { id front } } } }",
            json!({}),
        )
        .await?;
        samples.push(t.elapsed());
    }
    report("studySession(limit: 50)", samples);
    let mut samples = Vec::with_capacity(args.reads);
    for _ in 0..args.reads {
        let t = Instant::now();
        api.gql(
            Some(&token),
            "{ flashcardStats { totalCards dueNow trueRetention reviewsPerDay { date reviews } forecast { due } topics { cards } } }",
            json!({}),
        )
        .await?;
        samples.push(t.elapsed());
    }
    report("flashcardStats", samples);
    dashboard(args, platform, api, topic.id).await
}

/// The dashboard of a second learner with `--dashboard-cards` cards and
/// `--dashboard-reviews` reviews, every section selected.
async fn dashboard(
    args: &LearningArgs,
    platform: &agora_platform::Platform,
    api: &Api,
    topic: Uuid,
) -> anyhow::Result<()> {
    let token = api.account(1).await?;
    let me = api.gql(Some(&token), "{ me { id } }", json!({})).await?;
    let user = agora_platform::ids::decode(
        &async_graphql::ID::from(me["me"]["id"].as_str().context("my id")?),
        "User",
        "id",
    )
    .map_err(|e| anyhow::anyhow!(e.log_message()))?;
    let started = Instant::now();
    let written = agora_learning::api::simulate(
        platform,
        &agora_learning::api::Simulation {
            user,
            topic,
            cards: args.dashboard_cards,
            days: 1_095,
            max_reviews: args.dashboard_reviews,
            seed: 13,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.log_message()))?;
    println!(
        "dashboard learner: {} cards, {written} reviews written in {:.2}s",
        args.dashboard_cards,
        started.elapsed().as_secs_f64()
    );
    let statements = platform.statements.get();
    api.gql(Some(&token), DASHBOARD, json!({})).await?;
    println!(
        "dashboard, every section: {} statements (background work may add a few)",
        platform.statements.get() - statements
    );
    let mut samples = Vec::with_capacity(args.reads);
    for _ in 0..args.reads {
        let t = Instant::now();
        api.gql(Some(&token), DASHBOARD, json!({})).await?;
        samples.push(t.elapsed());
    }
    report("dashboard, every section", samples);
    // Where the time goes: one section at a time.
    for (label, query) in [
        (
            "dashboard.progress",
            "{ dashboard { progress { points level streak } } }",
        ),
        (
            "dashboard.flashcards",
            "{ dashboard { flashcards { due nextSessionSize mostAtRisk { id } } } }",
        ),
        (
            "dashboard.activity",
            "{ dashboard { activity { last7Days { points } } } }",
        ),
        (
            "dashboard.accuracy",
            "{ dashboard { accuracy { attempts } } }",
        ),
        (
            "dashboard.literacy",
            "{ dashboard { literacy { wordsMastered } } }",
        ),
    ] {
        let mut samples = Vec::with_capacity(20);
        for _ in 0..20 {
            let t = Instant::now();
            api.gql(Some(&token), query, json!({})).await?;
            samples.push(t.elapsed());
        }
        report(label, samples);
    }
    let due = api
        .gql(
            Some(&token),
            "{ dashboard { flashcards { due } } }",
            json!({}),
        )
        .await?;
    println!(
        "dashboard learner's due cards: {}",
        due["dashboard"]["flashcards"]["due"]
    );
    Ok(())
}

fn ids(cards: &Value) -> Vec<String> {
    cards
        .as_array()
        .map(|cards| {
            cards
                .iter()
                .filter_map(|c| c["flashcard"]["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn reviews(api: &Api, token: &str, cards: &[String]) -> anyhow::Result<Vec<Duration>> {
    let mut samples = Vec::with_capacity(cards.len());
    for (n, card) in cards.iter().enumerate() {
        let t = Instant::now();
        api.gql(
            Some(token),
            "mutation($i: ReviewFlashcardInput!) { reviewFlashcard(input: $i) { intervalDays stability } }",
            json!({ "i": { "flashcardId": card, "quality": 2 + (n % 4) as i32 } }),
        )
        .await?;
        samples.push(t.elapsed());
    }
    Ok(samples)
}
