//! `agora-bench awards` and `agora-bench leaderboard`: gamification against real PostgreSQL
//! and Redis, in-process (they need the database and Redis themselves to set up millions of
//! rows; everything measured still goes through the real handler, store and HTTP server).
//!
//! - `awards`: writes N `BATTLE_FINISHED` events (8 players each) to the outbox of a fresh
//!   schema and times the real outbox dispatcher, with every domain's handlers, draining them:
//!   awards per second through the gamification handler, end to end (claim, ledger, progress,
//!   streaks, counters, achievements, board totals, Redis, delivery records).
//! - `leaderboard`: puts 1,000,000 players on the GLOBAL board in Redis, starts the server and
//!   times `leaderboard(scope: GLOBAL, first: 10)` with `myEntry` over HTTP, and the store read
//!   alone.

use std::time::{Duration, Instant};

use agora_entities::{gamification::point_award, identity::user};
use agora_events::{BattleFinished, FinishedPlayer};
use agora_platform::{
    Platform, config,
    outbox::{self, NewEvent, OutboxDispatcher},
};
use agora_server::{StartOptions, state::build_state};
use anyhow::Context;
use chrono::Utc;
use rand::{Rng, seq::IndexedRandom};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::json;
use uuid::Uuid;

/// Options shared by both commands.
#[derive(clap::Args, Clone)]
pub(crate) struct Target {
    /// PostgreSQL to use (a fresh schema is created and dropped).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub(crate) database_url: String,
    /// Redis to use (a fresh key prefix, deleted afterwards).
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub(crate) redis_url: String,
}

/// `awards` options.
#[derive(clap::Args, Clone)]
pub(crate) struct AwardsArgs {
    #[command(flatten)]
    target: Target,
    /// Distinct players.
    #[arg(long, default_value_t = 20_000)]
    users: usize,
    /// Battles finished (8 awards each).
    #[arg(long, default_value_t = 25_000)]
    battles: usize,
    /// Events the dispatcher claims per batch (default: the server's `--outbox-batch`).
    #[arg(long)]
    batch: Option<u32>,
    /// Batches applied at once (default: the server's `--outbox-workers`).
    #[arg(long)]
    workers: Option<usize>,
    /// Partitions of the points handler (default: the server's `--points-partitions`).
    #[arg(long)]
    partitions: Option<u32>,
    /// Battles applied before the timed ones (untimed): players with a history, as in a
    /// running system, rather than first battles that unlock an achievement each.
    #[arg(long, default_value_t = 0)]
    warm_up: usize,
    /// Run every domain's handlers (notifications too), not just gamification's; the
    /// follow-up events (`LEVEL_UP`, `ACHIEVEMENT_UNLOCKED`, notifications) are then timed too.
    #[arg(long)]
    all_handlers: bool,
}

/// `leaderboard` options.
#[derive(clap::Args, Clone)]
pub(crate) struct LeaderboardArgs {
    #[command(flatten)]
    target: Target,
    /// Players on the board.
    #[arg(long, default_value_t = 1_000_000)]
    players: usize,
    /// Timed requests.
    #[arg(long, default_value_t = 5_000)]
    requests: usize,
}

pub(crate) struct Bench {
    pub(crate) platform: Platform,
    pub(crate) state: agora_server::AppState,
    schema: String,
    prefix: String,
}

/// A fresh embedded state (SQLite file `bench.db` in `dir`, in-process bus), migrated: the
/// database and the bench's JWT secret, then `extra` flags.
pub(crate) async fn embedded_state(
    dir: &std::path::Path,
    extra: &[&str],
) -> anyhow::Result<agora_server::AppState> {
    let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    let mut args = vec![
        "--database-url",
        &url,
        "--jwt-secret",
        "agora-bench-secret-agora-bench-secret",
    ];
    args.extend_from_slice(extra);
    let config = agora_platform::config::parse_args(args).map_err(|e| anyhow::anyhow!("{e}"))?;
    build_state(
        config,
        StartOptions {
            migrate: true,
            ..Default::default()
        },
    )
    .await
}

pub(crate) async fn setup(target: &Target) -> anyhow::Result<Bench> {
    let tag = Uuid::new_v4().simple().to_string();
    let schema = format!("agora_bench_{}", &tag[..12]);
    let prefix = format!("agora_bench_{}", &tag[..12]);
    let admin = sea_orm::Database::connect(&target.database_url)
        .await
        .context("PostgreSQL must be reachable")?;
    admin
        .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await?;
    admin.close().await.ok();
    let config = config::parse_args([
        "--database-url",
        &target.database_url,
        "--redis-url",
        &target.redis_url,
        "--redis-prefix",
        &prefix,
        "--jwt-secret",
        "agora-bench-secret-agora-bench-secret",
        "--db-max-connections",
        "16",
        // One client and one account send every timed request: the figures are of the work,
        // not of the rate limiter refusing it.
        "--rate-limit-ip",
        "0",
        "--rate-limit-user",
        "0",
        "--rate-limit-key",
        "0",
        "--rate-limit-auth",
        "0",
        // The fan-out phase opens every subscriber's socket from 127.0.0.1.
        "--ws-connections-per-ip",
        "0",
    ])
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let state = build_state(
        config,
        StartOptions {
            search_path: Some(schema.clone()),
            migrate: true,
            ..Default::default()
        },
    )
    .await?;
    Ok(Bench {
        platform: state.platform.clone(),
        state,
        schema,
        prefix,
    })
}

pub(crate) async fn teardown(bench: Bench, target: &Target) -> anyhow::Result<()> {
    bench.state.shutdown.cancel();
    if let Some(redis) = &bench.platform.redis {
        let mut conn = redis.clone();
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{}:*", bench.prefix))
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await?;
            if !keys.is_empty() {
                redis::cmd("UNLINK")
                    .arg(&keys)
                    .query_async::<()>(&mut conn)
                    .await?;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    bench.platform.db.clone().close().await.ok();
    let admin = sea_orm::Database::connect(&target.database_url).await?;
    admin
        .execute_unprepared(&format!("DROP SCHEMA {} CASCADE", bench.schema))
        .await?;
    Ok(())
}

/// Inserts `n` accounts directly (no password hashing: these never sign in).
async fn insert_users(platform: &Platform, n: usize) -> anyhow::Result<Vec<Uuid>> {
    let now = Utc::now();
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    for (c, chunk) in ids.chunks(1_000).enumerate() {
        user::Entity::insert_many(chunk.iter().enumerate().map(|(i, id)| user::ActiveModel {
            id: Set(*id),
            email: Set(format!("bench{}@example.org", c * 1_000 + i)),
            display_name: Set(format!("Player {}", c * 1_000 + i)),
            password_hash: Set("!".into()),
            role: Set("LEARNER".into()),
            time_zone: Set("UTC".into()),
            reputation: Set(0),
            email_verified_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }))
        .exec_without_returning(&platform.db)
        .await?;
    }
    Ok(ids)
}

pub(crate) async fn awards(args: AwardsArgs) -> anyhow::Result<()> {
    let bench = setup(&args.target).await?;
    let platform = bench.platform.clone();
    println!(
        "setting up: {} players, {} battles",
        args.users, args.battles
    );
    let users = insert_users(&platform, args.users).await?;
    let topics: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
    let mut domains = bench.state.domains.clone();
    let partitions = &mut domains.gamification.points_partitions;
    *partitions = args.partitions.unwrap_or(*partitions);
    let handlers = if args.all_handlers {
        agora_schema::outbox_handlers(&domains)
    } else {
        agora_gamification::api::outbox_handlers(domains.gamification.points_partitions)
    };
    let batch = args.batch.unwrap_or(platform.config.outbox.outbox_batch);
    let workers = args
        .workers
        .unwrap_or(platform.config.outbox.outbox_workers);
    let dispatcher = OutboxDispatcher::new(platform.clone(), handlers)
        .with_batch_size(batch)
        .with_workers(workers);
    if args.warm_up > 0 {
        println!("warming up: {} battles", args.warm_up);
        enqueue_battles(&platform, &users, &topics, args.warm_up).await?;
        drain(&dispatcher).await?;
    }
    let awards_before = point_award::Entity::find().count(&platform.db).await?;
    enqueue_battles(&platform, &users, &topics, args.battles).await?;
    let started = Instant::now();
    let finished = drain(&dispatcher).await?;
    let elapsed = started.elapsed();
    let awards = point_award::Entity::find().count(&platform.db).await? - awards_before;
    println!(
        "awards: {awards} awards from {} battles{} (+{} follow-up events{}) in {:.2}s = {:.0} awards/s through the outbox and the gamification handler (batch {}, {} workers, {} partitions)",
        args.battles,
        if args.warm_up > 0 {
            format!(" after {} warm-up battles", args.warm_up)
        } else {
            String::new()
        },
        finished.saturating_sub(args.battles),
        if args.all_handlers {
            ", all handlers"
        } else {
            ", gamification handler only"
        },
        elapsed.as_secs_f64(),
        awards as f64 / elapsed.as_secs_f64(),
        batch,
        workers,
        domains.gamification.points_partitions,
    );
    teardown(bench, &args.target).await
}

/// Writes `n` finished 8-player battles among `users` to the outbox.
async fn enqueue_battles(
    platform: &Platform,
    users: &[Uuid],
    topics: &[Uuid],
    n: usize,
) -> anyhow::Result<()> {
    let mut rng = rand::rng();
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        let players: Vec<Uuid> = users.choose_multiple(&mut rng, 8).copied().collect();
        let mut scores: Vec<i32> = players.iter().map(|_| rng.random_range(0..5_000)).collect();
        scores.sort_unstable_by(|a, b| b.cmp(a));
        let finished = BattleFinished {
            room_id: Uuid::now_v7(),
            topic_id: Some(topics[rng.random_range(0..topics.len())]),
            question_count: 5,
            players: players
                .iter()
                .zip(&scores)
                .enumerate()
                .map(|(i, (u, s))| FinishedPlayer {
                    user_id: *u,
                    rank: i as i32 + 1,
                    score: *s,
                    correct_count: 3,
                })
                .collect(),
        };
        events.push(
            NewEvent::of(finished.room_id, &finished)
                .map_err(|e| anyhow::anyhow!(e.log_message()))?,
        );
    }
    outbox::enqueue_many(&platform.db, Utc::now(), events)
        .await
        .map_err(|e| anyhow::anyhow!(e.log_message()))
}

/// Runs the dispatcher until nothing is left; returns the events it finished.
async fn drain(dispatcher: &OutboxDispatcher) -> anyhow::Result<usize> {
    let mut finished = 0;
    loop {
        let n = dispatcher
            .process_available()
            .await
            .map_err(|e| anyhow::anyhow!(e.log_message()))?;
        if n == 0 {
            return Ok(finished);
        }
        finished += n;
    }
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

pub(crate) fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label}: n={} p50={:.2}ms p90={:.2}ms p99={:.2}ms max={:.2}ms",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.90)),
        ms(percentile(&samples, 0.99)),
        ms(*samples.last().unwrap_or(&Duration::ZERO)),
    );
}

pub(crate) async fn leaderboard(args: LeaderboardArgs) -> anyhow::Result<()> {
    use agora_gamification::api::leaderboard::{self, Scope, encode};
    let bench = setup(&args.target).await?;
    let platform = bench.platform.clone();
    let redis = platform
        .redis
        .clone()
        .context("the leaderboard bench needs Redis")?;
    // Ten real leaders and a real viewer in the middle; the rest are members only.
    let leaders = insert_users(&platform, 10).await?;
    let (me, _) = agora_identity::api::create_or_promote_admin(
        &platform,
        "bench-viewer@example.org",
        "agora bench viewer password",
        Some("Viewer"),
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.log_message()))?;
    let key = format!(
        "{}:lb:{}",
        bench.prefix,
        Scope::Global.board(platform.clock.now())
    );
    let started = Instant::now();
    let mut conn = redis.clone();
    let mut rng = rand::rng();
    let reached = Utc::now().timestamp();
    let mut placed = 0usize;
    while placed < args.players {
        let mut pipe = redis::pipe();
        let mut cmd = redis::cmd("ZADD");
        cmd.arg(&key);
        let n = (args.players - placed).min(10_000);
        for i in 0..n {
            let member = if placed + i < leaders.len() {
                leaders[placed + i]
            } else if placed + i == args.players / 2 {
                me.id
            } else {
                Uuid::now_v7()
            };
            let points: i64 = if placed + i < leaders.len() {
                1_000_000 - (placed + i) as i64
            } else {
                rng.random_range(0..500_000)
            };
            cmd.arg(encode(points, reached - rng.random_range(0..1_000_000)))
                .arg(member.to_string());
        }
        pipe.add_command(cmd).ignore();
        pipe.query_async::<()>(&mut conn).await?;
        placed += n;
    }
    let _: () = redis::cmd("SET")
        .arg(format!("{key}:built"))
        .arg(1)
        .query_async(&mut conn)
        .await?;
    let card: i64 = redis::cmd("ZCARD").arg(&key).query_async(&mut conn).await?;
    println!(
        "board: {card} players in Redis in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // The store alone.
    let board = Scope::Global.board(platform.clock.now());
    let mut store = Vec::with_capacity(args.requests);
    for _ in 0..args.requests {
        let t = Instant::now();
        let page = leaderboard::read(&platform, &board, 0, 10, Some(me.id))
            .await
            .map_err(|e| anyhow::anyhow!(e.log_message()))?;
        store.push(t.elapsed());
        anyhow::ensure!(page.entries.len() == 10 && page.mine.is_some());
    }
    report(
        "store read (ZREVRANGE+ZREVRANK+ZSCORE+ZCARD, one round trip)",
        store,
    );

    // Through the server.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(agora_server::serve(bench.state.clone(), listener));
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("http://{addr}/graphql"))
        .json(&json!({ "query": "mutation { login(input: { email: \"bench-viewer@example.org\", password: \"agora bench viewer password\" }) { accessToken } }" }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .context("login")?
        .to_owned();
    let query = json!({ "query": "{ leaderboard(scope: GLOBAL, first: 10) { totalPlayers entries { rank points user { id displayName } } myEntry { rank points } } }" });
    let mut over_http = Vec::with_capacity(args.requests);
    for i in 0..args.requests + 200 {
        let t = Instant::now();
        let body: serde_json::Value = http
            .post(format!("http://{addr}/graphql"))
            .bearer_auth(&token)
            .json(&query)
            .send()
            .await?
            .json()
            .await?;
        let took = t.elapsed();
        anyhow::ensure!(body["errors"].is_null(), "{body}");
        if i == 0 {
            println!(
                "first answer: totalPlayers={} top={} myEntry={}",
                body["data"]["leaderboard"]["totalPlayers"],
                body["data"]["leaderboard"]["entries"][0],
                body["data"]["leaderboard"]["myEntry"]
            );
        }
        if i >= 200 {
            over_http.push(took);
        }
    }
    report(
        "leaderboard(first: 10) + myEntry over HTTP (client-measured, includes loopback)",
        over_http,
    );
    teardown(bench, &args.target).await
}
