//! The fault suite: two replicas (one in process, one the real binary) on a PostgreSQL and a
//! Redis of the test's own, which the test restarts, freezes or cuts off mid-work. Each scenario
//! asserts what is promised: no accepted write lost, no event applied twice, live subscribers
//! receive every event (a gap is followed by a re-read), `/readyz` names the outage and
//! recovers. Each prints its recovery times (`fault ...` lines, shown with `--nocapture`); the
//! reliability table in `docs/operations.md` is made from them.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use agora_entities::sensors::reading;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::common::{
    ServerOptions, TestServer,
    infra::{PrivatePostgres, PrivateRedis, Proxy, Replica},
    sensors::{INGEST, reading, station},
    ws,
};

/// The infrastructure of one scenario and the two replicas on it.
struct Cluster {
    pg: PrivatePostgres,
    redis: PrivateRedis,
    /// In front of PostgreSQL, for the network scenario (both replicas connect through it).
    proxy: Option<Proxy>,
    a: TestServer,
    b: Replica,
}

impl Cluster {
    async fn start(through_proxy: bool) -> Option<Self> {
        Self::start_with(through_proxy, &[]).await
    }

    /// With `settings` given to both replicas (flags for A, variables for B).
    async fn start_with(through_proxy: bool, settings: &[(&str, &str, &str)]) -> Option<Self> {
        let pg = PrivatePostgres::start().await?;
        let redis = PrivateRedis::start().await?;
        let proxy = if through_proxy {
            Some(Proxy::start(([127, 0, 0, 1], pg.port).into()).await)
        } else {
            None
        };
        let db_url = match &proxy {
            Some(p) => format!("postgres://postgres@127.0.0.1:{}/postgres", p.port),
            None => pg.url(),
        };
        let prefix = format!("agora_f_{}", uuid::Uuid::new_v4().simple());
        let a = in_process_replica(&db_url, &redis.url(), &prefix, settings, false).await;
        let env: Vec<(&str, &str)> = settings.iter().map(|(_, var, v)| (*var, *v)).collect();
        let b = Replica::start(&db_url, &redis.url(), &prefix, &env).await;
        Some(Self {
            pg,
            redis,
            proxy,
            a,
            b,
        })
    }
}

/// An in-process replica on `database_url` and `redis_url` (key prefix `prefix`) with
/// `settings`; `idle` builds its state without a listener or background workers.
async fn in_process_replica(
    database_url: &str,
    redis_url: &str,
    prefix: &str,
    settings: &[(&str, &str, &str)],
    idle: bool,
) -> TestServer {
    TestServer::start_with(ServerOptions {
        shared_db: Some((database_url.to_owned(), None)),
        redis: Some((redis_url.to_owned(), prefix.to_owned())),
        args: flags(settings),
        idle,
        ..Default::default()
    })
    .await
}

/// `(flag, variable, value)` settings as command-line flags.
fn flags(settings: &[(&str, &str, &str)]) -> Vec<String> {
    settings
        .iter()
        .flat_map(|(flag, _, value)| [format!("--{flag}"), (*value).to_owned()])
        .collect()
}

/// What a scenario breaks, and how it heals.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Redis stopped and started again (it comes back empty).
    RedisRestart,
    /// Redis frozen with SIGSTOP for the hold time: sockets open, nothing answers.
    RedisPause,
    /// PostgreSQL stopped (fast: open connections cut) and started again.
    PostgresRestart,
    /// The network to PostgreSQL cut for the hold time.
    PostgresNetwork,
}

impl Fault {
    /// The `/readyz` field that must report the outage.
    fn dependency(self) -> &'static str {
        match self {
            Self::RedisRestart | Self::RedisPause => "bus",
            Self::PostgresRestart | Self::PostgresNetwork => "database",
        }
    }

    async fn inject(self, c: &mut Cluster) {
        match self {
            Self::RedisRestart => c.redis.down().await,
            Self::RedisPause => c.redis.pause(),
            Self::PostgresRestart => c.pg.down().await,
            Self::PostgresNetwork => c.proxy.as_ref().expect("proxy").cut(),
        }
    }

    async fn heal(self, c: &mut Cluster) {
        match self {
            Self::RedisRestart => c.redis.up().await,
            Self::RedisPause => c.redis.resume(),
            Self::PostgresRestart => c.pg.up().await,
            Self::PostgresNetwork => c.proxy.as_ref().expect("proxy").restore(),
        }
    }
}

/// One ingest attempt: its reading's time, whether the server accepted it (else the error
/// code it answered, or `no answer`), when it was sent.
struct Attempt {
    observed_at: DateTime<Utc>,
    accepted: bool,
    refusal: Option<String>,
    sent: Instant,
}

/// What the subscriber received: a reading's time, or the payload of an error.
type Delivered = Result<DateTime<Utc>, String>;

/// `/readyz` of `url`: the status and the named dependency's state (None when it does not
/// answer within 5 s: a readiness probe that hangs is a failure of its own).
async fn readyz(http: &reqwest::Client, url: &str, dependency: &str) -> Option<(u16, String)> {
    let response = http
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let body: Value = response.json().await.ok()?;
    Some((
        status,
        body[dependency].as_str().unwrap_or_default().to_owned(),
    ))
}

/// Polls `/readyz` until `want` holds; how long that took.
async fn until_ready(url: &str, dependency: &str, want: u16, within: Duration) -> Duration {
    let http = reqwest::Client::new();
    let start = Instant::now();
    let mut last = None;
    while start.elapsed() < within {
        last = readyz(&http, url, dependency).await;
        if last.as_ref().is_some_and(|(status, _)| *status == want) {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/readyz never answered {want} within {within:?}; last: {last:?}");
}

/// Ingests one PM2.5 reading every 100 ms on replica A while a subscriber on replica B listens,
/// applies `fault` for `hold`, and checks that every accepted reading was stored once and
/// delivered once, in order.
async fn ingest_through(fault: Fault, hold: Duration) {
    let Some(mut cluster) = Cluster::start(matches!(fault, Fault::PostgresNetwork)).await else {
        return;
    };
    let admin = cluster.a.register_token("admin@example.org").await;
    let s = station(&cluster.a, &admin, "Faulty", 0.5, 36.8).await;

    // The subscriber, on the other replica.
    let mut socket = ws::connect(&cluster.b.ws_url(), "graphql-transport-ws").await;
    ws::init_transport(&mut socket, json!({})).await;
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription($id: ID!) { sensorReadings(stationId: $id) { observedAt } }",
            "variables": { "id": s.id } } }),
    )
    .await;
    let received: Arc<Mutex<Vec<Delivered>>> = Arc::default();
    let collector = {
        let received = Arc::clone(&received);
        tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let value: Value = serde_json::from_str(&text).expect("JSON");
                if value["type"] != "next" {
                    continue;
                }
                let at = value["payload"]["data"]["sensorReadings"]["observedAt"].as_str();
                let item = match at.map(DateTime::parse_from_rfc3339) {
                    Some(Ok(at)) => Ok(at.with_timezone(&Utc)),
                    _ => Err(value["payload"].to_string()),
                };
                received.lock().expect("lock").push(item);
            }
        })
    };

    // The ingester: one reading per 100 ms, each a second after the last.
    // Whole seconds: the server keeps microseconds.
    let base = DateTime::from_timestamp(Utc::now().timestamp() - 1800, 0).expect("time");
    let stop = tokio_util::sync::CancellationToken::new();
    let ingester = {
        let (url, id, key, stop) = (
            cluster.a.url("/graphql"),
            s.id.clone(),
            s.key.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut attempts = Vec::new();
            let mut i = 0;
            while !stop.is_cancelled() {
                let observed_at = base + chrono::Duration::seconds(i);
                i += 1;
                let sent = Instant::now();
                let response = http
                    .post(&url)
                    .header("x-api-key", &key)
                    .timeout(Duration::from_secs(20))
                    .json(&json!({ "query": INGEST, "variables": {
                        "id": id, "r": [reading("PM25", (i % 50 + 1) as f64, observed_at)] } }))
                    .send()
                    .await;
                let body = match response {
                    Ok(r) => r.json::<Value>().await.ok(),
                    Err(_) => None,
                };
                let accepted = body.as_ref().is_some_and(|body| {
                    body["errors"].is_null() && body["data"]["ingestReadings"]["accepted"] == 1
                });
                let refusal = (!accepted).then(|| match &body {
                    Some(body) => body["errors"][0]["extensions"]["code"]
                        .as_str()
                        .unwrap_or("no code")
                        .to_owned(),
                    None => "no answer".to_owned(),
                });
                attempts.push(Attempt {
                    observed_at,
                    accepted,
                    refusal,
                    sent,
                });
                tokio::time::sleep(Duration::from_millis(100).saturating_sub(sent.elapsed())).await;
            }
            attempts
        })
    };

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let readyz_a = cluster.a.url("/readyz");
    let dependency = fault.dependency();
    fault.inject(&mut cluster).await;
    let injected = Instant::now();
    let noticed = until_ready(&readyz_a, dependency, 503, hold + Duration::from_secs(5)).await;
    let http = reqwest::Client::new();
    let (_, state) = readyz(&http, &readyz_a, dependency)
        .await
        .unwrap_or_default();
    assert!(
        state.is_empty() || state == "unreachable",
        "{fault:?}: /readyz said {dependency}: {state}"
    );
    tokio::time::sleep(hold.saturating_sub(injected.elapsed())).await;
    fault.heal(&mut cluster).await;
    let healed = Instant::now();
    let ready_again = until_ready(&readyz_a, dependency, 200, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.cancel();
    let attempts = ingester.await.expect("ingester");

    let accepted: Vec<DateTime<Utc>> = attempts
        .iter()
        .filter(|a| a.accepted)
        .map(|a| a.observed_at)
        .collect();
    let first_write = attempts
        .iter()
        .find(|a| a.accepted && a.sent >= healed)
        .map(|a| a.sent.duration_since(healed));
    assert!(
        first_write.is_some(),
        "{fault:?}: no ingest was accepted after the fault healed"
    );

    // Every accepted reading reaches the subscriber on the other replica, once, in order.
    let deadline = Instant::now() + Duration::from_secs(30);
    let delivered: Vec<DateTime<Utc>> = loop {
        let got: Vec<DateTime<Utc>> = {
            let received = received.lock().expect("lock");
            received
                .iter()
                .filter_map(|r| r.as_ref().ok())
                .copied()
                .collect()
        };
        let have: HashSet<_> = got.iter().copied().collect();
        if accepted.iter().all(|a| have.contains(a)) || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    collector.abort();
    let errors: Vec<String> = received
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|r| r.as_ref().err().cloned())
        .collect();
    let have: HashSet<_> = delivered.iter().copied().collect();
    let missing: Vec<_> = accepted.iter().filter(|a| !have.contains(a)).collect();
    if !missing.is_empty() {
        // When each lost reading was sent, relative to the fault, and whether it is stored:
        // what tells a lost publish from a missed re-read.
        let (_, station_id) =
            agora_platform::ids::decode_any(&async_graphql::ID(s.id.clone()), "id").expect("id");
        let stored: HashSet<DateTime<Utc>> = reading::Entity::find()
            .filter(reading::Column::StationId.eq(station_id))
            .all(&cluster.a.state.platform.db)
            .await
            .expect("stored readings")
            .into_iter()
            .map(|r| r.observed_at)
            .collect();
        let at = |i: Instant, since: Instant| {
            i.checked_duration_since(since)
                .map_or_else(|| format!("-{:?}", since - i), |d| format!("+{d:?}"))
        };
        let timeline: Vec<String> = attempts
            .iter()
            .filter(|a| missing.contains(&&a.observed_at))
            .map(|a| {
                format!(
                    "{} sent {} from the fault, {} from healing, stored: {}",
                    a.observed_at,
                    at(a.sent, injected),
                    at(a.sent, healed),
                    stored.contains(&a.observed_at)
                )
            })
            .collect();
        panic!(
            "{fault:?}: {} of {} accepted readings never reached the subscriber (errors on the \
             stream: {errors:?}); delivered {} in all: {timeline:#?}",
            missing.len(),
            accepted.len(),
            delivered.len()
        );
    }
    assert_eq!(
        have.len(),
        delivered.len(),
        "{fault:?}: a reading was delivered twice"
    );
    assert!(
        delivered.windows(2).all(|w| w[0] < w[1]),
        "{fault:?}: readings arrived out of order"
    );

    // And each is stored exactly once.
    let (_, station_id) =
        agora_platform::ids::decode_any(&async_graphql::ID(s.id.clone()), "id").expect("id");
    let stored: Vec<DateTime<Utc>> = reading::Entity::find()
        .filter(reading::Column::StationId.eq(station_id))
        .all(&cluster.a.state.platform.db)
        .await
        .expect("stored readings")
        .into_iter()
        .map(|r| r.observed_at)
        .collect();
    let stored_set: HashSet<_> = stored.iter().copied().collect();
    assert_eq!(
        stored_set.len(),
        stored.len(),
        "{fault:?}: a reading stored twice"
    );
    assert!(
        accepted.iter().all(|a| stored_set.contains(a)),
        "{fault:?}: an accepted reading is not stored"
    );
    // A refusal says the service is unavailable (retry), never INTERNAL.
    let codes: Vec<&str> = attempts
        .iter()
        .filter_map(|a| a.refusal.as_deref())
        .collect();
    assert!(
        codes.iter().all(|c| *c == "UNAVAILABLE"),
        "{fault:?}: refusals other than UNAVAILABLE: {codes:?}"
    );
    let refused = codes.len();
    eprintln!(
        "fault {fault:?} held {hold:?}: /readyz noticed in {noticed:?}, ready {ready_again:?} \
         after healing, first accepted write {:?} after healing; {} accepted, {refused} refused, \
         {} delivered, 0 lost",
        first_write.expect("checked"),
        accepted.len(),
        delivered.len()
    );
}

#[tokio::test]
async fn redis_restart_mid_ingest_loses_no_accepted_reading() {
    ingest_through(Fault::RedisRestart, Duration::from_secs(3)).await;
}

#[tokio::test]
async fn redis_paused_mid_ingest_loses_no_accepted_reading() {
    ingest_through(Fault::RedisPause, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn postgres_restart_mid_ingest_loses_no_accepted_reading() {
    ingest_through(Fault::PostgresRestart, Duration::from_secs(3)).await;
}

#[tokio::test]
async fn postgres_network_cut_mid_ingest_loses_no_accepted_reading() {
    ingest_through(Fault::PostgresNetwork, Duration::from_secs(5)).await;
}

/// Whether replica `url`'s `/metrics` says it holds the battle driver lease.
async fn drives(http: &reqwest::Client, url: &str) -> bool {
    let Ok(response) = http.get(url).send().await else {
        return false;
    };
    let text = response.text().await.unwrap_or_default();
    text.lines()
        .any(|line| line.starts_with("agora_battle_driver_lease ") && line.ends_with(" 1"))
}

/// The replica driving the battle rooms is killed with SIGKILL in the middle of a question (no
/// lease released): the other replica takes the rooms over when the lease lapses, the battle
/// ends normally, and its result is announced once.
#[tokio::test]
async fn the_battle_driver_killed_mid_question_is_replaced_within_its_lease() {
    use super::common::{battle, knowledge::capitals, outbox::events_of};
    let settings = [("battle-reveal-pause", "AGORA_BATTLE_REVEAL_PAUSE", "200ms")];
    let Some(cluster) = Cluster::start_with(false, &settings).await else {
        return;
    };
    let Cluster {
        pg,
        redis,
        a: first,
        b,
        ..
    } = cluster;
    let topic = capitals(&first, 3).await;
    let host = battle::player(&first, "host@example.org").await;
    // A stops (releasing the lease it took first), so the binary replica B drives...
    first.shutdown().await;
    let http = reqwest::Client::new();
    let mut b_drives = false;
    for _ in 0..50 {
        if drives(&http, &b.url("/metrics")).await {
            b_drives = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(b_drives, "replica B never took the battle driver lease");
    // ...and a new A serves the players.
    let a = in_process_replica(&pg.url(), &redis.url(), &b.prefix, &settings, false).await;
    let room = battle::create_room(
        &a,
        &host,
        json!({ "allowSolo": true, "questionCount": 2, "secondsPerQuestion": 5, "topicId": topic }),
    )
    .await;
    let room_id = room["id"].as_str().expect("id").to_owned();
    let started = a
        .gql_as(&host.token, battle::START, json!({ "r": room_id }))
        .await;
    assert_eq!(
        started["data"]["startBattle"]["status"], "IN_PROGRESS",
        "{started}"
    );
    let q1 = room_state(&a, &host.token, &room_id).await["currentQuestion"].clone();
    let answered = battle::answer(&a, &host, &room_id, &q1, "Paris").await;
    assert_eq!(
        answered["data"]["submitAnswer"]["accepted"], true,
        "{answered}"
    );

    tokio::time::sleep(Duration::from_secs(1)).await;
    let lease_key = format!("{}:battle:driver", b.prefix);
    b.kill9().await;
    let killed = Instant::now();
    // Question 1 ends 5 s after it started; the lease lapses at most 5 s after B's last
    // renewal. Then A carries on.
    let second_question = until_room(&a, &host.token, &room_id, Duration::from_secs(20), |r| {
        r["questionIndex"] == 1
    })
    .await;
    let took_over = second_question
        .map(|_| killed.elapsed())
        .expect("replica A never advanced the room after B died");
    assert!(
        took_over < Duration::from_secs(12),
        "the room waited {took_over:?} after the driver died"
    );
    // A is the only replica alive on this prefix, so a lease held now is A's. (A runs in this
    // test process, whose metrics every other in-process server shares: its gauge could read
    // another test's release, so the lease is read from Redis instead.)
    let client = redis::Client::open(redis.url().as_str()).expect("redis client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let holder: Option<String> = redis::cmd("GET")
        .arg(&lease_key)
        .query_async(&mut conn)
        .await
        .expect("read the lease");
    assert!(holder.is_some(), "A holds the lease now");
    let finished = until_room(&a, &host.token, &room_id, Duration::from_secs(15), |r| {
        r["status"] == "FINISHED"
    })
    .await;
    assert!(finished.is_some(), "the battle never finished");
    a.wait_for_outbox().await;
    let announced = events_of(&a.state.platform, "BATTLE_FINISHED").await;
    assert_eq!(announced.len(), 1, "the result is announced once");
    eprintln!(
        "fault battle driver kill -9: the next question started {took_over:?} after the kill \
         (question deadline 5 s, lease 5 s)"
    );
}

/// Polls the room as the host sees it until `done` holds (its state then), or None after
/// `within`.
async fn until_room(
    a: &TestServer,
    token: &str,
    room_id: &str,
    within: Duration,
    done: impl Fn(&Value) -> bool,
) -> Option<Value> {
    let started = Instant::now();
    while started.elapsed() < within {
        let state = room_state(a, token, room_id).await;
        if done(&state) {
            return Some(state);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// What the host sees of the room.
async fn room_state(a: &TestServer, token: &str, room_id: &str) -> Value {
    let body = a
        .gql_as(
            token,
            "query($r: ID!) { battleRoom(id: $r) { status questionIndex currentQuestion { id choices { id text } } } }",
            json!({ "r": room_id }),
        )
        .await;
    body["data"]["battleRoom"].clone()
}

/// PostgreSQL restarts while both replicas deliver a burst of battle results through the
/// outbox: once it is back, every event is applied exactly once — one ledger row per player
/// per battle, and each player's points total equal to their ledger.
/// Four players registered on `server`: their ids and access tokens.
async fn four_players(server: &TestServer, prefix: &str) -> Vec<(uuid::Uuid, String)> {
    let mut players = Vec::new();
    for n in 0..4 {
        let payload = server
            .register(
                &format!("{prefix}{n}@example.org"),
                "a long enough passphrase",
                "P",
            )
            .await;
        let (_, id) = agora_platform::ids::decode_any(
            &async_graphql::ID(payload["user"]["id"].as_str().expect("id").to_owned()),
            "id",
        )
        .expect("id");
        players.push((
            id,
            payload["accessToken"].as_str().expect("token").to_owned(),
        ));
    }
    players
}

/// `count` finished battles of `players` (ranked in their order), as outbox events.
fn battle_results(
    players: &[(uuid::Uuid, String)],
    count: usize,
) -> Vec<agora_platform::outbox::NewEvent> {
    (0..count)
        .map(|_| {
            agora_platform::outbox::NewEvent::raw(
                agora_platform::outbox::EventKind::BattleFinished,
                None,
                json!({
                    "roomId": uuid::Uuid::now_v7(),
                    "topicId": null,
                    "questionCount": 3,
                    "players": players.iter().enumerate().map(|(rank, (id, _))| json!({
                        "userId": id, "rank": rank + 1, "score": 300 - rank * 100, "correctCount": 3 - rank.min(3)
                    })).collect::<Vec<_>>(),
                }),
            )
        })
        .collect()
}

/// How many battle results the outbox has delivered.
async fn battles_done(db: &sea_orm::DatabaseConnection) -> u64 {
    use agora_entities::platform::outbox_event;
    use sea_orm::PaginatorTrait;
    outbox_event::Entity::find()
        .filter(outbox_event::Column::Status.eq(outbox_event::Status::Done))
        .filter(outbox_event::Column::EventType.eq("BATTLE_FINISHED"))
        .count(db)
        .await
        .unwrap_or(0)
}

/// Every one of `battles` results awarded once: one ledger row per player per battle, and each
/// player's total (read through `server`) equal to their ledger.
async fn assert_awarded_once(
    server: &TestServer,
    db: &sea_orm::DatabaseConnection,
    players: &[(uuid::Uuid, String)],
    battles: usize,
) {
    use agora_entities::gamification::point_award;
    use sea_orm::PaginatorTrait;
    let ledger = point_award::Entity::find()
        .filter(point_award::Column::Rule.eq("BATTLE_FINISHED"))
        .count(db)
        .await
        .expect("ledger");
    assert_eq!(
        ledger as usize,
        battles * players.len(),
        "one award per player per battle"
    );
    for (id, token) in players {
        let from_ledger: i64 = point_award::Entity::find()
            .filter(point_award::Column::UserId.eq(*id))
            .all(db)
            .await
            .expect("ledger")
            .iter()
            .map(|a| i64::from(a.points))
            .sum();
        let progress = server
            .gql_as(token, "{ myProgress { points } }", json!({}))
            .await;
        assert_eq!(
            progress["data"]["myProgress"]["points"].as_i64(),
            Some(from_ledger),
            "a player's total equals their ledger"
        );
    }
}

#[tokio::test]
async fn postgres_restart_mid_award_batches_awards_each_result_once() {
    use agora_platform::outbox;
    const BATTLES: usize = 5_000;
    let Some(mut cluster) = Cluster::start(false).await else {
        return;
    };
    let players = four_players(&cluster.a, "p").await;
    cluster.a.wait_for_outbox().await;
    let platform = cluster.a.state.platform.clone();
    outbox::enqueue_many(
        &platform.db,
        platform.clock.now(),
        battle_results(&players, BATTLES),
    )
    .await
    .expect("enqueue");
    platform.wake_outbox();
    // Restart PostgreSQL while the batches are being applied.
    while battles_done(&platform.db).await == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let before = battles_done(&platform.db).await;
    cluster.pg.down().await;
    assert!(
        (before as usize) < BATTLES,
        "PostgreSQL stopped after every result was delivered: the test proves nothing"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.pg.up().await;
    let healed = Instant::now();
    let mut drained = None;
    while healed.elapsed() < Duration::from_secs(120) {
        if battles_done(&platform.db).await as usize == BATTLES {
            drained = Some(healed.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained = drained.expect("every battle result was delivered within 2 minutes");
    assert_awarded_once(&cluster.a, &platform.db, &players, BATTLES).await;
    eprintln!(
        "fault PostgreSQL restart (2 s) mid-award: {BATTLES} battle results ({before} delivered \
         before the stop) all delivered {drained:?} after it came back, each applied once"
    );
}

/// Replica B, the only one dispatching, is killed with SIGKILL while it holds outbox claims:
/// another replica leaves those events alone until B's lease lapses, then applies them, each
/// once.
#[tokio::test]
async fn a_replica_killed_holding_outbox_claims_has_them_applied_after_its_lease() {
    use agora_entities::platform::outbox_event;
    use agora_platform::outbox;
    const BATTLES: usize = 5_000;
    const LEASE: Duration = Duration::from_secs(3);
    let settings = [("outbox-lease", "AGORA_OUTBOX_LEASE", "3s")];
    let Some(cluster) = Cluster::start_with(false, &settings).await else {
        return;
    };
    let Cluster {
        pg,
        redis,
        a: first,
        b,
        ..
    } = cluster;
    let players = four_players(&first, "k").await;
    first.wait_for_outbox().await;
    // A stops: B is the only dispatcher. An idle replica (no workers) writes the events.
    first.shutdown().await;
    let prefix = b.prefix.clone();
    let writer = in_process_replica(&pg.url(), &redis.url(), &prefix, &settings, true).await;
    let db = writer.state.platform.db.clone();
    outbox::enqueue_many(&db, Utc::now(), battle_results(&players, BATTLES))
        .await
        .expect("enqueue");
    while battles_done(&db).await == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    b.kill9().await;
    let killed = Instant::now();
    // What B held when it died: claimed, not finished.
    let stranded: Vec<(uuid::Uuid, DateTime<Utc>)> = outbox_event::Entity::find()
        .filter(outbox_event::Column::EventType.eq("BATTLE_FINISHED"))
        .filter(outbox_event::Column::Status.eq(outbox_event::Status::Pending))
        .filter(outbox_event::Column::ClaimedUntil.is_not_null())
        .all(&db)
        .await
        .expect("claims")
        .into_iter()
        .filter_map(|e| Some((e.id, e.claimed_until?)))
        .collect();
    let before = battles_done(&db).await as usize;
    assert!(
        !stranded.is_empty() && before < BATTLES,
        "B held no claim when it died ({before} of {BATTLES} done): the test proves nothing"
    );
    // A replica comes back and takes the rest over.
    let a = in_process_replica(&pg.url(), &redis.url(), &prefix, &settings, false).await;
    let mut drained = None;
    while killed.elapsed() < Duration::from_secs(120) {
        if battles_done(&db).await as usize == BATTLES {
            drained = Some(killed.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drained = drained.expect("every battle result was delivered within 2 minutes");
    for (id, claimed_until) in &stranded {
        let event = outbox_event::Entity::find_by_id(*id)
            .one(&db)
            .await
            .expect("event")
            .expect("still there");
        assert_eq!(event.status, outbox_event::Status::Done);
        let processed = event.processed_at.expect("processed");
        assert!(
            processed >= *claimed_until,
            "an event B held was applied at {processed}, before its lease lapsed at {claimed_until}"
        );
    }
    assert_awarded_once(&a, &db, &players, BATTLES).await;
    eprintln!(
        "fault replica killed holding outbox claims: {} events stranded ({before} of {BATTLES} \
         done before the kill), all {BATTLES} applied once {drained:?} after it (lease {LEASE:?})",
        stranded.len()
    );
    a.shutdown().await;
    writer.shutdown().await;
}

/// A battle between two players on replica A, watched live from replica B, while `fault`
/// hits during its first question (after both answered): the battle ends normally, every
/// accepted answer counts, both watchers see it finish, and the result is announced once.
async fn battle_through(fault: Fault, hold: Duration) {
    use super::common::{battle, knowledge::capitals, outbox::events_of};
    let settings = [("battle-reveal-pause", "AGORA_BATTLE_REVEAL_PAUSE", "200ms")];
    let Some(mut cluster) = Cluster::start_with(false, &settings).await else {
        return;
    };
    let topic = capitals(&cluster.a, 3).await;
    let host = battle::player(&cluster.a, "host@example.org").await;
    let guest = battle::player(&cluster.a, "guest@example.org").await;
    let room = battle::create_room(
        &cluster.a,
        &host,
        // Longer than the fault, so the second question is still open when it heals.
        json!({ "questionCount": 2, "secondsPerQuestion": 20, "topicId": topic }),
    )
    .await;
    let room_id = room["id"].as_str().expect("id").to_owned();
    let joined = cluster
        .a
        .gql_as(
            &guest.token,
            "mutation($c: String!) { joinBattleRoom(code: $c) { id } }",
            json!({ "c": room["code"] }),
        )
        .await;
    assert!(joined["errors"].is_null(), "{joined}");

    // Both watch on replica B.
    let mut watchers = Vec::new();
    for p in [&host, &guest] {
        let mut socket = ws::connect(&cluster.b.ws_url(), "graphql-transport-ws").await;
        ws::init_transport(
            &mut socket,
            json!({ "authorization": format!("Bearer {}", p.token) }),
        )
        .await;
        ws::send(
            &mut socket,
            json!({ "id": "1", "type": "subscribe", "payload": {
                "query": "subscription($r: ID!) { battleRoom(roomId: $r) { kind room { status } } }",
                "variables": { "r": room_id } } }),
        )
        .await;
        watchers.push(tokio::spawn(async move {
            // Every kind seen, until FINISHED (or the socket ends).
            let mut kinds = Vec::new();
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let value: Value = serde_json::from_str(&text).expect("JSON");
                if value["type"] != "next" {
                    continue;
                }
                let kind = value["payload"]["data"]["battleRoom"]["kind"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned();
                let finished = kind == "FINISHED"
                    || value["payload"]["data"]["battleRoom"]["room"]["status"] == "FINISHED";
                kinds.push(kind);
                if finished {
                    break;
                }
            }
            kinds
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = cluster
        .a
        .gql_as(&host.token, battle::START, json!({ "r": room_id }))
        .await;
    assert_eq!(
        started["data"]["startBattle"]["status"], "IN_PROGRESS",
        "{started}"
    );

    let mut answered = 0;
    for index in 0..2 {
        // Wait for question `index` (it may come late after the fault).
        let question = until_room(
            &cluster.a,
            &host.token,
            &room_id,
            Duration::from_secs(30),
            |r| r["questionIndex"] == index && !r["currentQuestion"].is_null(),
        )
        .await
        .map(|r| r["currentQuestion"].clone())
        .unwrap_or_else(|| panic!("{fault:?}: question {index} never started"));
        for p in [&host, &guest] {
            let body = battle::answer(&cluster.a, p, &room_id, &question, "Paris").await;
            if body["data"]["submitAnswer"]["accepted"] == true {
                answered += 1;
            }
        }
        if index == 0 {
            fault.inject(&mut cluster).await;
            tokio::time::sleep(hold).await;
            fault.heal(&mut cluster).await;
        }
    }
    assert_eq!(answered, 4, "{fault:?}: every answer was accepted");

    let finished = until_room(
        &cluster.a,
        &host.token,
        &room_id,
        Duration::from_secs(30),
        |r| r["status"] == "FINISHED",
    )
    .await;
    assert!(finished.is_some(), "{fault:?}: the battle never finished");
    for watcher in watchers {
        let kinds = tokio::time::timeout(Duration::from_secs(30), watcher)
            .await
            .unwrap_or_else(|_| panic!("{fault:?}: a watcher on B never saw the end"))
            .expect("watcher");
        assert!(
            kinds.last().is_some_and(|k| k == "FINISHED") || kinds.iter().any(|k| k == "FINISHED"),
            "{fault:?}: a watcher saw {kinds:?}"
        );
    }
    let results = cluster
        .a
        .gql_as(
            &host.token,
            "query($r: ID!) { battleRoom(id: $r) { results { correctCount } } }",
            json!({ "r": room_id }),
        )
        .await;
    let counts: Vec<i64> = results["data"]["battleRoom"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["correctCount"].as_i64().expect("count"))
        .collect();
    assert_eq!(
        counts,
        vec![2, 2],
        "{fault:?}: every accepted answer counts"
    );
    cluster.a.wait_for_outbox().await;
    let announced = events_of(&cluster.a.state.platform, "BATTLE_FINISHED").await;
    assert_eq!(
        announced.len(),
        1,
        "{fault:?}: the result is announced once"
    );
    eprintln!(
        "fault {fault:?} held {hold:?} mid-battle: finished, 4 of 4 answers counted, watchers on B saw the end"
    );
}

#[tokio::test]
async fn redis_paused_mid_battle_loses_no_answer() {
    battle_through(Fault::RedisPause, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn postgres_restart_mid_battle_loses_no_answer() {
    battle_through(Fault::PostgresRestart, Duration::from_secs(3)).await;
}
