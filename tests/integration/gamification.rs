//! Gamification end to end: points from real outbox events, streaks and freezes on a manual
//! clock, levels and achievements, exactly-once awards under concurrency and replay,
//! leaderboards checked against a recomputation from the ledger (and, in production mode,
//! Redis against SQL, a lost board refilled, a full rebuild), the live board after a real
//! battle, the evening reminder, and bad input.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use agora_entities::{
    gamification::point_award,
    platform::{outbox_delivery, outbox_event},
};
use agora_gamification::api::leaderboard::{self, Scope};
use agora_platform::{
    Platform,
    clock::{Clock, ManualClock},
    ids,
    outbox::{self, AfterCommit, EventKind, NewEvent, OutboxDispatcher, OutboxHandler},
    schedule,
};
use async_graphql::ID;
use chrono::{DateTime, Duration as Days, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use super::common::{
    ServerOptions, TestServer, assert_code, assert_no_errors,
    battle::{START, answer, battle_server, create_room, player},
    clock::{clocked, monday_morning},
    knowledge::topic,
    outbox::{events_of, until_events},
    ws,
};

const PROGRESS: &str = "{ myProgress { points level xp xpForCurrentLevel xpForNextLevel streak longestStreak freezes activeToday timeZone achievements { achievement { key target } unlockedAt progress target } recentAwards { rule points localDate } } }";
const BOARD: &str = "query($s: LeaderboardScope!, $t: ID, $f: Int, $a: String) { leaderboard(scope: $s, topicId: $t, first: $f, after: $a) { scope period totalPlayers entries { rank user { id displayName } points } myEntry { rank points user { id } } edges { cursor node { rank } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

struct Learner {
    token: String,
    global: String,
    id: Uuid,
}

async fn learner(server: &TestServer, email: &str) -> Learner {
    let payload = server
        .register(
            email,
            "a long enough passphrase",
            email.split('@').next().unwrap_or("x"),
        )
        .await;
    let global = payload["user"]["id"].as_str().expect("id").to_owned();
    Learner {
        token: payload["accessToken"].as_str().expect("token").to_owned(),
        id: ids::decode(&ID::from(global.as_str()), "User", "id").expect("user id"),
        global,
    }
}

async fn enqueue(platform: &Platform, kind: &'static str, payload: Value) {
    outbox::enqueue(
        &platform.db,
        platform.clock.now(),
        NewEvent::raw(kind.parse().expect("a known kind"), None, payload),
    )
    .await
    .expect("enqueue");
    platform.wake_outbox();
}

async fn progress(server: &TestServer, who: &Learner) -> Value {
    let body = server.gql_as(&who.token, PROGRESS, json!({})).await;
    assert_no_errors(&body);
    body["data"]["myProgress"].clone()
}

fn achievement<'a>(progress: &'a Value, key: &str) -> &'a Value {
    progress["achievements"]
        .as_array()
        .expect("achievements")
        .iter()
        .find(|a| a["achievement"]["key"] == key)
        .unwrap_or_else(|| panic!("achievement {key}"))
}

/// Makes every event pending again with no delivery records: the worst replay there is.
async fn replay_everything(server: &TestServer) {
    let db = &server.state.platform.db;
    outbox_delivery::Entity::delete_many()
        .exec(db)
        .await
        .expect("forget deliveries");
    outbox_event::Entity::update_many()
        .col_expr(
            outbox_event::Column::Status,
            Expr::value(outbox_event::Status::Pending),
        )
        .col_expr(
            outbox_event::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .exec(db)
        .await
        .expect("replay");
    server.state.platform.wake_outbox();
    server.wait_for_outbox().await;
}

/// `(kind, title)` of the user's notifications, newest first.
async fn notification_titles(server: &TestServer, who: &Learner) -> Vec<(String, String)> {
    let body = server
        .gql_as(
            &who.token,
            "{ notifications(first: 50) { edges { node { kind title } } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["notifications"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            (
                e["node"]["kind"].as_str().unwrap_or_default().to_owned(),
                e["node"]["title"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn ledger_sum(platform: &Platform, user: Uuid) -> i64 {
    point_award::Entity::find()
        .filter(point_award::Column::UserId.eq(user))
        .all(&platform.db)
        .await
        .expect("ledger")
        .iter()
        .map(|a| i64::from(a.points))
        .sum()
}

/// Monday 00:00 UTC of `monday_morning()`'s week: where WEEKLY starts.
fn week_start() -> DateTime<Utc> {
    monday_morning()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
}

#[tokio::test]
async fn points_streaks_freezes_levels_and_achievements_follow_the_rules() {
    let (server, clock) = clocked().await;
    let platform = server.state.platform.clone();
    let ann = learner(&server, "ann@example.org").await;
    server.wait_for_outbox().await;
    // Registering signed her in: the day's login bonus, which does not start a streak.
    let p = progress(&server, &ann).await;
    assert_eq!(
        (p["points"].as_i64(), p["streak"].as_i64()),
        (Some(5), Some(0))
    );
    assert_eq!(p["recentAwards"][0]["rule"], "DAILY_LOGIN");

    // Seven days of reviews: a 7-day streak, one freeze, STREAK_7.
    for day in 0..7 {
        enqueue(&platform, "FLASHCARD_REVIEWED", json!({ "userId": ann.id })).await;
        server.wait_for_outbox().await;
        if day < 6 {
            clock.advance(Days::seconds(24 * 3600));
        }
    }
    let p = progress(&server, &ann).await;
    assert_eq!(p["points"], 75);
    assert_eq!(
        (p["streak"].as_i64(), p["freezes"].as_i64()),
        (Some(7), Some(1))
    );
    assert_eq!(p["activeToday"], true);
    assert!(achievement(&p, "STREAK_7")["unlockedAt"].is_string());
    assert_eq!(achievement(&p, "FLASHCARDS_100")["progress"], 7);
    assert_eq!(achievement(&p, "FLASHCARDS_100")["target"], 100);
    assert!(achievement(&p, "STREAK_30")["unlockedAt"].is_null());

    // A missed day: the freeze keeps the streak alive, and is spent on return.
    clock.advance(Days::seconds(2 * 24 * 3600));
    assert_eq!(
        progress(&server, &ann).await["streak"],
        7,
        "covered by the freeze"
    );
    enqueue(&platform, "FLASHCARD_REVIEWED", json!({ "userId": ann.id })).await;
    server.wait_for_outbox().await;
    let p = progress(&server, &ann).await;
    assert_eq!(
        (p["streak"].as_i64(), p["freezes"].as_i64()),
        (Some(8), Some(0))
    );
    // Two missed days with no freeze: broken (shown as 0), then restarted at 1.
    clock.advance(Days::seconds(3 * 24 * 3600));
    assert_eq!(progress(&server, &ann).await["streak"], 0);
    enqueue(&platform, "WORD_MASTERED", json!({ "userId": ann.id })).await;
    server.wait_for_outbox().await;
    let p = progress(&server, &ann).await;
    assert_eq!(
        (p["streak"].as_i64(), p["longestStreak"].as_i64()),
        (Some(1), Some(8))
    );
    assert_eq!(p["points"], 75 + 10 + 15);
    assert_eq!(p["level"], 2, "100 XP starts level 2");
    assert_eq!(
        (
            p["xpForCurrentLevel"].as_i64(),
            p["xpForNextLevel"].as_i64()
        ),
        (Some(100), Some(300))
    );

    // A mock test: +100, level 2 -> 2 (300 starts level 3), FIRST_MOCK_TEST.
    enqueue(&platform, "MOCK_TEST_PASSED", json!({ "userId": ann.id })).await;
    enqueue(&platform, "MOCK_TEST_PASSED", json!({ "userId": ann.id })).await;
    server.wait_for_outbox().await;
    let p = progress(&server, &ann).await;
    assert_eq!(p["points"], 300);
    assert_eq!(p["level"], 3);
    assert!(achievement(&p, "FIRST_MOCK_TEST")["unlockedAt"].is_string());
    let level_ups: Vec<i64> = events_of(&platform, "LEVEL_UP")
        .await
        .iter()
        .map(|e| e.payload["level"].as_i64().expect("level"))
        .collect();
    assert_eq!(level_ups, vec![2, 3]);

    // Replaying every event changes nothing and unlocks nothing twice.
    let unlocked_before = events_of(&platform, "ACHIEVEMENT_UNLOCKED").await.len();
    replay_everything(&server).await;
    let again = progress(&server, &ann).await;
    assert_eq!(again["points"], 300);
    assert_eq!(again["streak"], p["streak"]);
    assert_eq!(
        events_of(&platform, "ACHIEVEMENT_UNLOCKED").await.len(),
        unlocked_before
    );
    assert_eq!(events_of(&platform, "LEVEL_UP").await.len(), 2);
    assert_eq!(ledger_sum(&platform, ann.id).await, 300);
    // Notifications told her, once each.
    let feed = notification_titles(&server, &ann).await;
    assert_eq!(
        feed.iter()
            .filter(|(k, _)| k == "LEVEL_UP")
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>(),
        vec!["You reached level 3", "You reached level 2"]
    );
    assert_eq!(
        feed.iter()
            .filter(|(_, t)| t == "Achievement unlocked: One week")
            .count(),
        1
    );

    // Days are counted in the user's zone: 20:00 UTC is already tomorrow in Kiritimati.
    assert_no_errors(
        &server
            .gql_as(
                &ann.token,
                "mutation { updateProfile(input: { timeZone: \"Pacific/Kiritimati\" }) { id } }",
                json!({}),
            )
            .await,
    );
    let now = clock.now();
    let evening = now.date_naive().and_hms_opt(20, 0, 0).unwrap().and_utc() + Days::days(1);
    clock.set(evening);
    enqueue(&platform, "TOPIC_COMPLETED", json!({ "userId": ann.id })).await;
    server.wait_for_outbox().await;
    let p = progress(&server, &ann).await;
    assert_eq!(p["timeZone"], "Pacific/Kiritimati");
    assert_eq!(
        p["recentAwards"][0]["localDate"],
        (evening.date_naive() + Days::days(1)).to_string()
    );
    server.shutdown().await;
}

/// A late event (a day before the last active one: another worker or replica applied a later
/// batch first, or a retry) counts as if it had come in order.
#[tokio::test]
async fn a_late_streak_day_counts_as_if_delivered_in_order() {
    let (server, clock) = clocked().await;
    let platform = server.state.platform.clone();
    let bea = learner(&server, "bea@example.org").await;
    let day0 = clock.now();
    enqueue(&platform, "FLASHCARD_REVIEWED", json!({ "userId": bea.id })).await;
    server.wait_for_outbox().await;
    clock.advance(Days::days(2));
    enqueue(&platform, "FLASHCARD_REVIEWED", json!({ "userId": bea.id })).await;
    server.wait_for_outbox().await;
    let p = progress(&server, &bea).await;
    assert_eq!(
        (p["streak"].as_i64(), p["longestStreak"].as_i64()),
        (Some(1), Some(1)),
        "day 1 missing and no freeze: restarted"
    );

    // Day 1's review arrives now.
    outbox::enqueue(
        &platform.db,
        day0 + Days::days(1),
        NewEvent::raw(
            EventKind::FlashcardReviewed,
            None,
            json!({ "userId": bea.id }),
        ),
    )
    .await
    .expect("enqueue");
    platform.wake_outbox();
    server.wait_for_outbox().await;
    let p = progress(&server, &bea).await;
    assert_eq!(
        (p["streak"].as_i64(), p["longestStreak"].as_i64()),
        (Some(3), Some(3)),
        "days 0, 1 and 2 in a row"
    );
    assert_eq!(p["points"], 5 + 3 * 10);

    // An older day still, already active, changes nothing; nor does a replay of everything.
    outbox::enqueue(
        &platform.db,
        day0,
        NewEvent::raw(EventKind::WordMastered, None, json!({ "userId": bea.id })),
    )
    .await
    .expect("enqueue");
    platform.wake_outbox();
    server.wait_for_outbox().await;
    replay_everything(&server).await;
    let p = progress(&server, &bea).await;
    assert_eq!(
        (
            p["streak"].as_i64(),
            p["longestStreak"].as_i64(),
            p["points"].as_i64()
        ),
        (Some(3), Some(3), Some(5 + 3 * 10 + 15))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn fifty_concurrent_events_sum_exactly_and_replays_add_nothing() {
    let server = TestServer::start().await;
    let platform = server.state.platform.clone();
    let bea = learner(&server, "bea@example.org").await;
    server.wait_for_outbox().await;
    let kinds: [(&'static str, i64); 3] = [
        ("FLASHCARD_REVIEWED", 10),
        ("TOPIC_COMPLETED", 50),
        ("WORD_MASTERED", 15),
    ];
    // TOPIC_COMPLETED earns at most 10 a day (its daily cap): 17 of them arrive, 10 pay. The
    // capped awards are counted under the user's progress lock, so concurrent dispatchers
    // cannot pass the cap together.
    let topics = (0..50).filter(|i| i % 3 == 1).count() as i64;
    let expected: i64 =
        5 + (0..50).map(|i| kinds[i % 3].1).sum::<i64>() - (topics - 10) * kinds[1].1;
    // 50 events written concurrently, while two more dispatchers compete with the server's.
    let writes = (0..50).map(|i| {
        let platform = platform.clone();
        async move { enqueue(&platform, kinds[i % 3].0, json!({ "userId": bea.id })).await }
    });
    let extra = (0..2).map(|_| {
        let dispatcher = OutboxDispatcher::new(
            platform.clone(),
            agora_schema::outbox_handlers(&server.state.domains),
        )
        .with_batch_size(7);
        async move {
            for _ in 0..20 {
                dispatcher.process_available().await.ok();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    tokio::join!(
        futures::future::join_all(writes),
        futures::future::join_all(extra)
    );
    server.wait_for_outbox().await;
    let p = progress(&server, &bea).await;
    assert_eq!(p["points"].as_i64(), Some(expected));
    assert_eq!(ledger_sum(&platform, bea.id).await, expected);
    let board = server
        .gql_as(&bea.token, BOARD, json!({ "s": "GLOBAL" }))
        .await;
    assert_no_errors(&board);
    assert_eq!(
        board["data"]["leaderboard"]["myEntry"]["points"].as_i64(),
        Some(expected)
    );
    assert_eq!(board["data"]["leaderboard"]["myEntry"]["rank"], 1);

    replay_everything(&server).await;
    // A replica started with another AGORA_POINTS_PARTITIONS has no delivery records under its
    // handlers' names: it applies every event again, and the ledger stops each award.
    let events = outbox_event::Entity::find()
        .all(&platform.db)
        .await
        .expect("events");
    for handler in agora_gamification::api::outbox_handlers(3) {
        let wanted: Vec<&outbox_event::Model> = events
            .iter()
            .filter(|e| {
                e.event_type
                    .parse()
                    .is_ok_and(|kind| handler.consumes().contains(&kind))
            })
            .collect();
        let txn = sea_orm::TransactionTrait::begin(&platform.db)
            .await
            .expect("begin");
        handler
            .handle_batch(&txn, &wanted, &platform)
            .await
            .expect("applies");
        txn.commit().await.expect("commit");
    }
    assert_eq!(
        progress(&server, &bea).await["points"].as_i64(),
        Some(expected)
    );
    assert_eq!(
        point_award::Entity::find()
            .filter(point_award::Column::UserId.eq(bea.id))
            .count(&platform.db)
            .await
            .expect("count"),
        51
    );
    let board = server
        .gql_as(&bea.token, BOARD, json!({ "s": "WEEKLY" }))
        .await;
    assert_eq!(
        board["data"]["leaderboard"]["myEntry"]["points"].as_i64(),
        Some(expected)
    );
    server.shutdown().await;
}

/// The expected order of a board, recomputed from the ledger alone.
async fn recompute(
    platform: &Platform,
    filter: impl Fn(&point_award::Model) -> bool,
) -> Vec<(Uuid, i64)> {
    let mut totals: HashMap<Uuid, (i64, i64)> = HashMap::new();
    for award in point_award::Entity::find()
        .all(&platform.db)
        .await
        .expect("ledger")
    {
        if award.points > 0 && filter(&award) {
            let t = totals.entry(award.user_id).or_default();
            t.0 += i64::from(award.points);
            t.1 = t.1.max(award.occurred_at.timestamp());
        }
    }
    let mut rows: Vec<(Uuid, i64, i64)> = totals.into_iter().map(|(u, (p, r))| (u, p, r)).collect();
    rows.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(a.2.cmp(&b.2))
            .then(b.0.to_string().cmp(&a.0.to_string()))
    });
    rows.into_iter().map(|(u, p, _)| (u, p)).collect()
}

async fn board(server: &TestServer, token: &str, vars: Value) -> Value {
    let body = server.gql_as(token, BOARD, vars).await;
    assert_no_errors(&body);
    body["data"]["leaderboard"].clone()
}

/// `user`'s 1-based rank in `expected`.
fn rank_in(expected: &[(Uuid, i64)], user: Uuid) -> u64 {
    expected
        .iter()
        .position(|(u, _)| *u == user)
        .expect("on board") as u64
        + 1
}

fn as_pairs(board: &Value) -> Vec<(Uuid, i64)> {
    board["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .enumerate()
        .map(|(i, e)| {
            assert_eq!(
                e["rank"].as_u64(),
                Some(i as u64 + 1),
                "ranks are dense: {e}"
            );
            let id = ids::decode(
                &ID::from(e["user"]["id"].as_str().expect("id")),
                "User",
                "id",
            )
            .expect("user id");
            (id, e["points"].as_i64().expect("points"))
        })
        .collect()
}

#[tokio::test]
async fn leaderboards_equal_a_recomputation_from_the_ledger() {
    let (server, clock) = clocked().await;
    let platform = server.state.platform.clone();
    let tokens = server.role_tokens().await;
    let t = topic(&server, &tokens.moderator, "Rivers", None).await;
    let topic_global = t["id"].as_str().expect("id").to_owned();
    let topic_id = ids::decode(&ID::from(topic_global.as_str()), "Topic", "id").expect("topic");
    let mut people = Vec::new();
    for i in 0..12 {
        people.push(learner(&server, &format!("p{i}@example.org")).await);
    }
    server.wait_for_outbox().await;
    // Last week's battles count for GLOBAL and TOPIC, not for this week.
    clock.set(monday_morning() - Days::days(3));
    let battle = |players: Vec<(Uuid, i64)>, topic: Option<Uuid>| {
        let mut ranked = players.clone();
        ranked.sort_by_key(|p| std::cmp::Reverse(p.1));
        json!({ "roomId": Uuid::now_v7(), "topicId": topic, "questionCount": 5,
            "players": ranked.iter().enumerate().map(|(i, (u, s))| json!({ "userId": u, "rank": i + 1, "score": s, "correctCount": 3 })).collect::<Vec<_>>() })
    };
    enqueue(
        &platform,
        "BATTLE_FINISHED",
        battle(
            vec![(people[0].id, 900), (people[1].id, 100)],
            Some(topic_id),
        ),
    )
    .await;
    server.wait_for_outbox().await;
    // Sunday's battle, the day before: this month, but last week.
    clock.set(monday_morning() - Days::hours(20));
    enqueue(
        &platform,
        "BATTLE_FINISHED",
        battle(vec![(people[2].id, 700), (people[3].id, 200)], None),
    )
    .await;
    server.wait_for_outbox().await;
    clock.set(monday_morning() + Days::hours(2));
    for round in 0..4i64 {
        for pair in people.chunks(2) {
            let scores = vec![
                (pair[0].id, 100 * ((round * 7 + 3) % 9)),
                (pair[1].id, 100 * ((round * 5 + 1) % 9)),
            ];
            let topic = (round % 2 == 0).then_some(topic_id);
            enqueue(&platform, "BATTLE_FINISHED", battle(scores, topic)).await;
        }
        clock.advance(Days::seconds(60));
    }
    // Equal totals reached at the same second: the user id decides, as in Redis.
    enqueue(
        &platform,
        "TOPIC_COMPLETED",
        json!({ "userId": people[10].id }),
    )
    .await;
    enqueue(
        &platform,
        "TOPIC_COMPLETED",
        json!({ "userId": people[11].id }),
    )
    .await;
    server.wait_for_outbox().await;

    let week_start = week_start();
    let expected_global = recompute(&platform, |_| true).await;
    let expected_weekly = recompute(&platform, |a| a.occurred_at >= week_start).await;
    let month_start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let expected_monthly = recompute(&platform, |a| a.occurred_at >= month_start).await;
    assert_ne!(
        expected_monthly, expected_weekly,
        "Sunday's battle is March's only"
    );
    let expected_topic = recompute(&platform, |a| a.topic_id == Some(topic_id)).await;
    assert!(expected_global.len() >= 12 && expected_topic.len() == 12);
    let me = &people[5];
    for (vars, expected) in [
        (json!({ "s": "GLOBAL", "f": 100 }), &expected_global),
        (json!({ "s": "WEEKLY", "f": 100 }), &expected_weekly),
        (json!({ "s": "MONTHLY", "f": 100 }), &expected_monthly),
        (
            json!({ "s": "TOPIC", "t": topic_global, "f": 100 }),
            &expected_topic,
        ),
    ] {
        let b = board(&server, &me.token, vars.clone()).await;
        assert_eq!(&as_pairs(&b), expected, "{vars}");
        assert_eq!(b["totalPlayers"].as_u64(), Some(expected.len() as u64));
        assert_eq!(b["myEntry"]["rank"], rank_in(expected, me.id));
        assert_eq!(b["myEntry"]["user"]["id"], me.global.as_str());
        assert_eq!(b["pageInfo"]["hasNextPage"], false);
    }
    assert!(
        board(&server, &me.token, json!({ "s": "WEEKLY" })).await["period"]
            .as_str()
            .is_some_and(|p| p == "2026-W10")
    );
    assert_eq!(
        board(&server, &me.token, json!({ "s": "MONTHLY" })).await["period"],
        "2026-03"
    );
    // Pages follow on from each other.
    let first = board(&server, &me.token, json!({ "s": "GLOBAL", "f": 5 })).await;
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second = board(
        &server,
        &me.token,
        json!({ "s": "GLOBAL", "f": 5, "a": first["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(second["entries"][0]["rank"], 6);
    assert_eq!(as_pairs(&first), expected_global[..5].to_vec());
    // A standard connection: edges carry the entries and cursors; the last edge's cursor is
    // the page's endCursor, and paging on from any edge's cursor continues below it.
    assert_eq!(first["edges"][4]["cursor"], first["pageInfo"]["endCursor"]);
    assert_eq!(
        first["edges"][0]["cursor"],
        first["pageInfo"]["startCursor"]
    );
    assert_eq!(first["edges"][2]["node"]["rank"], 3);
    assert_eq!(
        (
            &first["pageInfo"]["hasPreviousPage"],
            &second["pageInfo"]["hasPreviousPage"]
        ),
        (&json!(false), &json!(true))
    );
    let from_third = board(
        &server,
        &me.token,
        json!({ "s": "GLOBAL", "f": 1, "a": first["edges"][2]["cursor"] }),
    )
    .await;
    assert_eq!(from_third["edges"][0]["node"]["rank"], 4);

    // Both stores agree; a lost Redis board is refilled; a full rebuild changes nothing.
    let key = Scope::Global.board(clock.now());
    let sql = leaderboard::read_sql(&platform.db, &key, 0, 100, Some(me.id))
        .await
        .expect("sql");
    let served = leaderboard::read(&platform, &key, 0, 100, Some(me.id))
        .await
        .expect("read");
    assert_eq!(sql, served);
    if let Some(redis) = &platform.redis {
        let mut conn = redis.clone();
        let prefix = &platform.config.redis.redis_prefix;
        let _: () = redis::cmd("DEL")
            .arg(format!("{prefix}:lb:{key}"))
            .arg(format!("{prefix}:lb:{key}:built"))
            .query_async(&mut conn)
            .await
            .expect("flush board");
        let refilled = board(&server, &me.token, json!({ "s": "GLOBAL", "f": 100 })).await;
        assert_eq!(as_pairs(&refilled), expected_global);
        let exists: bool = redis::cmd("EXISTS")
            .arg(format!("{prefix}:lb:{key}:built"))
            .query_async(&mut conn)
            .await
            .expect("exists");
        assert!(exists, "the board was refilled in Redis");
        // A board another replica is filling: readers wait for that fill a moment, then answer
        // from the table (on PostgreSQL without a rank index: sorted, still exact).
        let _: () = redis::pipe()
            .cmd("DEL")
            .arg(format!("{prefix}:lb:{key}"))
            .arg(format!("{prefix}:lb:{key}:built"))
            .cmd("SET")
            .arg(format!("{prefix}:lb:{key}:filling"))
            .arg(1)
            .arg("EX")
            .arg(60)
            .query_async(&mut conn)
            .await
            .expect("hold the fill");
        let waited = board(&server, &me.token, json!({ "s": "GLOBAL", "f": 100 })).await;
        assert_eq!(as_pairs(&waited), expected_global);
        assert_eq!(waited["myEntry"]["rank"], rank_in(&expected_global, me.id));
        let built: bool = redis::cmd("EXISTS")
            .arg(format!("{prefix}:lb:{key}:built"))
            .query_async(&mut conn)
            .await
            .expect("exists");
        assert!(!built, "only the replica holding the fill lock fills");
        let _: () = redis::cmd("DEL")
            .arg(format!("{prefix}:lb:{key}:filling"))
            .query_async(&mut conn)
            .await
            .expect("release the fill");
    }
    let rebuilt = agora_gamification::api::rebuild_leaderboards(&platform)
        .await
        .expect("rebuild");
    assert_eq!(rebuilt.boards, 4);
    for (vars, expected) in [
        (json!({ "s": "GLOBAL", "f": 100 }), &expected_global),
        (json!({ "s": "WEEKLY", "f": 100 }), &expected_weekly),
        (json!({ "s": "MONTHLY", "f": 100 }), &expected_monthly),
        (
            json!({ "s": "TOPIC", "t": topic_global, "f": 100 }),
            &expected_topic,
        ),
    ] {
        assert_eq!(&as_pairs(&board(&server, &me.token, vars).await), expected);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_live_board_shows_a_finished_battle_within_a_second_and_coalesces_bursts() {
    let (server, clock, topic_id) = battle_server(1, &[]).await;
    let platform = server.state.platform.clone();
    let ann = player(&server, "ann@example.org").await;
    server.wait_for_outbox().await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    ws::init_transport(
        &mut socket,
        json!({ "authorization": format!("Bearer {}", ann.token) }),
    )
    .await;
    ws::send(&mut socket, json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription { leaderboardChanged(scope: GLOBAL, first: 3) { totalPlayers entries { rank points user { id } } } }" } })).await;
    let next = |m: Value| {
        assert_eq!(m["type"], "next", "{m}");
        assert!(m["payload"]["errors"].is_null(), "{m}");
        m["payload"]["data"]["leaderboardChanged"].clone()
    };
    let initial = next(ws::next_json(&mut socket).await);
    // The moderator who wrote the question leads: 25 for publishing, 5 for signing in.
    assert_eq!(initial["entries"][0]["points"], 30, "{initial}");

    // A real solo battle of one question.
    let room = create_room(
        &server,
        &ann,
        json!({ "topicId": topic_id, "questionCount": 1, "allowSolo": true }),
    )
    .await;
    let room_id = room["id"].as_str().expect("id").to_owned();
    assert_no_errors(
        &server
            .gql_as(&ann.token, START, json!({ "r": room_id }))
            .await,
    );
    let mut question = Value::Null;
    for _ in 0..100 {
        let body = server
            .gql_as(&ann.token, "query($r: ID!) { battleRoom(id: $r) { currentQuestion { id choices { id text } } } }", json!({ "r": room_id }))
            .await;
        question = body["data"]["battleRoom"]["currentQuestion"].clone();
        if !question.is_null() {
            break;
        }
        clock.advance(Days::seconds(1));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!question.is_null(), "the question started");
    assert_no_errors(&answer(&server, &ann, &room_id, &question, "Paris").await);
    // A player who is not watching may still be answering: the question runs to its deadline,
    // then the reveal pause; then the driver finishes the battle and the board follows.
    clock.advance(Days::seconds(60));
    tokio::time::sleep(Duration::from_millis(400)).await;
    clock.advance(Days::seconds(1));
    let finished = std::time::Instant::now();
    let update = next(
        tokio::time::timeout(Duration::from_secs(3), ws::next_json(&mut socket))
            .await
            .expect("an update after the battle"),
    );
    let latency = finished.elapsed();
    assert!(latency < Duration::from_secs(1), "update after {latency:?}");
    assert_eq!(
        update["entries"][0]["user"]["id"],
        ann.id.as_str(),
        "{update}"
    );
    assert!(update["entries"][0]["points"].as_i64().expect("points") > 5 + 20);

    // A burst of 120 awards for 6 players: the subscriber sees a few coalesced boards, the
    // last one final.
    let mut users = Vec::new();
    for i in 0..6 {
        users.push(player(&server, &format!("burst{i}@example.org")).await);
    }
    let ids_of: Vec<Uuid> = users
        .iter()
        .map(|u| ids::decode(&ID::from(u.id.as_str()), "User", "id").expect("id"))
        .collect();
    let started = std::time::Instant::now();
    for i in 0..120 {
        enqueue(
            &platform,
            "TOPIC_COMPLETED",
            json!({ "userId": ids_of[i % 6] }),
        )
        .await;
    }
    server.wait_for_outbox().await;
    let mut updates = Vec::new();
    while let Some(ws::Incoming::Json(m)) =
        ws::try_next(&mut socket, Duration::from_millis(700)).await
    {
        updates.push(next(m));
    }
    let window = started.elapsed().as_secs_f64();
    assert!(!updates.is_empty());
    assert!(
        (updates.len() as f64) <= window * 4.0 + 2.0,
        "{} updates in {window:.2}s",
        updates.len()
    );
    let last = updates.last().expect("last");
    let query = server
        .gql("query { leaderboard(scope: GLOBAL, first: 3) { entries { rank points user { id } } } }", json!({}))
        .await;
    assert_eq!(last["entries"], query["data"]["leaderboard"]["entries"]);
    // Each of the 20 TOPIC_COMPLETED is worth 50, but only 10 a day earn (the rule's cap).
    assert_eq!(last["entries"][0]["points"], 10 * 50 + 5);
    server.shutdown().await;
}

#[tokio::test]
async fn the_daily_login_bonus_counts_once_per_local_day() {
    let (server, clock) = clocked().await;
    let cy = learner(&server, "cy@example.org").await;
    server.wait_for_outbox().await;
    server
        .login("cy@example.org", "a long enough passphrase")
        .await;
    server
        .login("cy@example.org", "a long enough passphrase")
        .await;
    server.wait_for_outbox().await;
    assert_eq!(progress(&server, &cy).await["points"], 5);
    clock.advance(Days::seconds(24 * 3600));
    server
        .login("cy@example.org", "a long enough passphrase")
        .await;
    server.wait_for_outbox().await;
    let p = progress(&server, &cy).await;
    assert_eq!(p["points"], 10);
    assert_eq!(p["streak"], 0, "signing in alone keeps no streak");
    server.shutdown().await;
}

#[tokio::test]
async fn the_evening_reminder_reaches_only_streaks_that_end_tonight_once() {
    let (server, clock) = clocked().await;
    let platform = server.state.platform.clone();
    let (dee, eve, fay) = (
        learner(&server, "dee@example.org").await,
        learner(&server, "eve@example.org").await,
        learner(&server, "fay@example.org").await,
    );
    assert_no_errors(
        &server
            .gql_as(
                &fay.token,
                "mutation { updateProfile(input: { timeZone: \"Asia/Tokyo\" }) { id } }",
                json!({}),
            )
            .await,
    );
    // Monday: all three active. Tuesday: only Eve.
    for who in [&dee, &eve, &fay] {
        enqueue(&platform, "FLASHCARD_REVIEWED", json!({ "userId": who.id })).await;
    }
    server.wait_for_outbox().await;
    clock.set(monday_morning() + Days::days(1));
    enqueue(&platform, "FLASHCARD_REVIEWED", json!({ "userId": eve.id })).await;
    server.wait_for_outbox().await;
    let jobs = agora_schema::scheduled_jobs();
    // Every server runs the scheduler in the background too, so either it or this test's own
    // tick claims an hour; never both, and the reminders come once.
    // Tuesday 19:30 UTC: Dee's streak ends at midnight; Eve is safe; in Tokyo it is 04:30.
    clock.set(Utc.with_ymd_and_hms(2026, 3, 3, 19, 30, 0).unwrap());
    schedule::tick(&platform, &jobs).await;
    assert!(
        schedule::tick(&platform, &jobs).await.is_empty(),
        "once per hour"
    );
    let reminded: Vec<Value> = until_events(&platform, "STREAK_AT_RISK", 1)
        .await
        .into_iter()
        .map(|e| e.payload)
        .collect();
    assert_eq!(reminded.len(), 1, "{reminded:?}");
    assert_eq!(reminded[0]["userId"], dee.id.to_string());
    assert_eq!(reminded[0]["streak"], 1);
    // Tuesday 10:30 UTC is 19:30 in Tokyo, where Fay was last active Monday.
    clock.set(Utc.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap());
    schedule::tick(&platform, &jobs).await;
    let reminded = until_events(&platform, "STREAK_AT_RISK", 2).await;
    assert_eq!(reminded.len(), 2);
    assert!(
        reminded
            .iter()
            .any(|e| e.payload["userId"] == fay.id.to_string())
    );
    server.wait_for_outbox().await;
    let feed = notification_titles(&server, &dee).await;
    assert!(
        feed.contains(&(
            "STREAK_AT_RISK".into(),
            "Your 1-day streak is at risk".into()
        )),
        "{feed:?}"
    );
    assert!(
        !notification_titles(&server, &eve)
            .await
            .iter()
            .any(|(k, _)| k == "STREAK_AT_RISK")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named() {
    let server = TestServer::start().await;
    let gus = learner(&server, "gus@example.org").await;
    assert_code!(server.gql(PROGRESS, json!({})).await, "UNAUTHENTICATED");
    for (vars, code, field) in [
        (json!({ "s": "TOPIC" }), "BAD_USER_INPUT", "topicId"),
        (
            json!({ "s": "GLOBAL", "t": gus.global }),
            "BAD_USER_INPUT",
            "topicId",
        ),
        (
            json!({ "s": "TOPIC", "t": gus.global }),
            "BAD_USER_INPUT",
            "topicId",
        ),
        (
            json!({ "s": "TOPIC", "t": ids::encode("Topic", Uuid::now_v7()).0 }),
            "NOT_FOUND",
            "",
        ),
        (json!({ "s": "GLOBAL", "f": 0 }), "BAD_USER_INPUT", "first"),
        (
            json!({ "s": "GLOBAL", "f": 101 }),
            "BAD_USER_INPUT",
            "first",
        ),
        (
            json!({ "s": "GLOBAL", "a": "not a cursor" }),
            "BAD_USER_INPUT",
            "after",
        ),
    ] {
        let body = server.gql_as(&gus.token, BOARD, vars.clone()).await;
        assert_code!(body, code, "{vars}: {body}");
        if !field.is_empty() {
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        }
    }
    let profile = "query($u: ID!) { userProfile(id: $u) { displayName level points achievements { achievement { key } } } }";
    assert_code!(
        server.gql(profile, json!({ "u": "garbage" })).await,
        "BAD_USER_INPUT"
    );
    let nobody = ids::encode("User", Uuid::now_v7()).0;
    let body = server.gql(profile, json!({ "u": nobody })).await;
    assert_no_errors(&body);
    assert!(body["data"]["userProfile"].is_null());
    let body = server.gql(profile, json!({ "u": gus.global })).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["userProfile"]["displayName"], "gus");
    let card = "query($u: ID!) { shareCard(userId: $u) { text url twitterUrl linkedinUrl } }";
    assert_code!(server.gql(card, json!({ "u": nobody })).await, "NOT_FOUND");
    let body = server.gql(card, json!({ "u": gus.global })).await;
    assert_no_errors(&body);
    let c = &body["data"]["shareCard"];
    assert!(
        c["text"]
            .as_str()
            .expect("text")
            .starts_with("gus is level 1 on Agora")
    );
    assert!(
        c["twitterUrl"]
            .as_str()
            .expect("url")
            .starts_with("https://twitter.com/intent/tweet?text=gus+is+level+1")
    );
    assert!(
        c["url"]
            .as_str()
            .expect("url")
            .ends_with(&format!("/users/{}", gus.global))
    );
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    ws::init_transport(&mut socket, json!({})).await;
    ws::send(&mut socket, json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription { leaderboardChanged(scope: WEEKLY, first: 500) { totalPlayers } }" } })).await;
    let refused = ws::next_json(&mut socket).await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{refused}"
    );
    let catalog = server
        .gql("{ achievements { key name target } }", json!({}))
        .await;
    assert_no_errors(&catalog);
    assert!(
        catalog["data"]["achievements"]
            .as_array()
            .expect("catalog")
            .len()
            >= 15
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_demo_seed_brings_boards_streaks_and_achievements_to_life_once() {
    let server = TestServer::start().await;
    let platform = server.state.platform.clone();
    agora_server::tasks::seed::seed_demo(&platform, &server.state.sensors)
        .await
        .expect("demo seed");
    server.wait_for_outbox().await;
    let queued = events_of(&platform, "FLASHCARD_REVIEWED").await.len();
    assert!(queued > 20, "{queued} reviews");
    let board = server
        .gql(
            "{ leaderboard(scope: GLOBAL, first: 10) { totalPlayers entries { points } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&board);
    assert_eq!(board["data"]["leaderboard"]["totalPlayers"], 5);
    // The demo player has been active for days: a streak and STREAK_7.
    let login = server.login("player@agora.test", "agora-player-demo").await;
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let body = server.gql_as(&token, PROGRESS, json!({})).await;
    assert_no_errors(&body);
    let p = &body["data"]["myProgress"];
    assert!(p["streak"].as_i64().expect("streak") >= 7, "{p}");
    assert!(achievement(p, "STREAK_7")["unlockedAt"].is_string());
    // A deck of flashcards to study, due now.
    let deck = server
        .gql_as(
            &token,
            "{ dueFlashcardCount myFlashcards(first: 1) { edges { node { topic { name } } } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&deck);
    assert!(
        deck["data"]["dueFlashcardCount"].as_i64().expect("count") >= 10,
        "{deck}"
    );
    assert!(deck["data"]["myFlashcards"]["edges"][0]["node"]["topic"]["name"].is_string());
    let cards = deck["data"]["dueFlashcardCount"].clone();
    // Demo stations in several cities, each with a week of history and an AQI.
    let stations = server
        .gql(
            "{ stations(first: 20) { edges { node { city aqi { value } sensors { parameter } } } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&stations);
    let edges = stations["data"]["stations"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    assert!(edges.len() >= 5, "{stations}");
    let cities: std::collections::HashSet<&str> = edges
        .iter()
        .map(|e| e["node"]["city"].as_str().expect("city"))
        .collect();
    assert_eq!(cities.len(), edges.len());
    for e in &edges {
        assert!(e["node"]["aqi"]["value"].is_i64(), "{e}");
        assert_eq!(
            e["node"]["sensors"].as_array().expect("sensors").len(),
            8,
            "{e}"
        );
    }
    // Seeding again adds nothing.
    agora_server::tasks::seed::seed_demo(&platform, &server.state.sensors)
        .await
        .expect("demo seed again");
    server.wait_for_outbox().await;
    assert_eq!(
        events_of(&platform, "FLASHCARD_REVIEWED").await.len(),
        queued
    );
    let deck = server
        .gql_as(&token, "{ dueFlashcardCount }", json!({}))
        .await;
    assert_eq!(deck["data"]["dueFlashcardCount"], cards);
    let again = server
        .gql("{ stations(first: 50) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(
        again["data"]["stations"]["edges"]
            .as_array()
            .expect("edges")
            .len(),
        edges.len()
    );
    server.shutdown().await;
}

/// A handler that counts the batches `inner` failed.
struct Failures {
    inner: Arc<dyn OutboxHandler>,
    count: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl OutboxHandler for Failures {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn consumes(&self) -> &'static [EventKind] {
        self.inner.consumes()
    }

    async fn handle_batch(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        events: &[&outbox_event::Model],
        platform: &Platform,
    ) -> agora_platform::AppResult<AfterCommit> {
        let result = self.inner.handle_batch(txn, events, platform).await;
        if result.is_err() {
            self.count.fetch_add(1, Ordering::SeqCst);
        }
        result
    }
}

/// A server on `monday_morning()` whose dispatcher claims `batch` events at a time.
async fn small_batches(batch: u32) -> (TestServer, ManualClock) {
    let clock = ManualClock::new(monday_morning());
    let server = TestServer::start_with(ServerOptions {
        clock: Some(clock.clone()),
        args: vec!["--outbox-batch".into(), batch.to_string()],
        ..Default::default()
    })
    .await;
    (server, clock)
}

/// `BATTLE_FINISHED` of battle number `b` of `topic` between four of `people`, picked by
/// `seat(b, k)` for the player ranked `k + 1`.
fn four_player_battle(
    b: usize,
    topic: Uuid,
    people: &[Learner],
    seat: impl Fn(usize, usize) -> usize,
) -> NewEvent {
    let players: Vec<Value> = (0..4)
        .map(|k| {
            let who = &people[seat(b, k) % people.len()];
            json!({ "userId": who.id, "rank": k + 1, "score": 100 * (4 - k) + b, "correctCount": 4 - k })
        })
        .collect();
    NewEvent::raw(
        EventKind::BattleFinished,
        None,
        json!({ "roomId": Uuid::now_v7(), "topicId": topic, "questionCount": 5, "players": players }),
    )
}

/// Writes `events` to the outbox in one transaction and wakes the dispatcher.
async fn enqueue_all(platform: &Platform, at: DateTime<Utc>, events: Vec<NewEvent>) {
    let txn = sea_orm::TransactionTrait::begin(&platform.db)
        .await
        .expect("begin");
    outbox::enqueue_many(&txn, at, events)
        .await
        .expect("enqueue");
    txn.commit().await.expect("commit");
    platform.wake_outbox();
}

#[tokio::test]
async fn overlapping_batches_on_competing_workers_add_up_without_deadlock() {
    use agora_entities::gamification::{daily_activity, user_progress};
    // The server's own dispatcher takes small batches too, so it leaves work to the others.
    let (server, clock) = small_batches(5).await;
    let platform = server.state.platform.clone();
    let mut people = Vec::new();
    for i in 0..12 {
        people.push(learner(&server, &format!("w{i}@example.org")).await);
    }
    server.wait_for_outbox().await;
    let topics = [Uuid::now_v7(), Uuid::now_v7()];
    // 80 four-player battles over 12 players (every batch shares players with every other),
    // and each player signing in eight times a day: written at once, then applied in batches
    // of five by the server's dispatcher and three more, two workers each.
    let mut events = Vec::new();
    for b in 0..80usize {
        events.push(four_player_battle(b, topics[b % 2], &people, |b, k| {
            b * 5 + k * 7
        }));
        if b % 10 == 0 {
            for who in &people {
                events.push(NewEvent::raw(
                    EventKind::UserSignedIn,
                    None,
                    json!({ "userId": who.id }),
                ));
            }
        }
    }
    enqueue_all(&platform, clock.now(), events).await;
    let failures = Arc::new(AtomicUsize::new(0));
    let competitors = (0..3).map(|_| {
        let points: Vec<Arc<dyn OutboxHandler>> = agora_gamification::api::outbox_handlers(
            server.state.domains.gamification.points_partitions,
        )
        .into_iter()
        .map(|inner| {
            Arc::new(Failures {
                inner,
                count: failures.clone(),
            }) as Arc<dyn OutboxHandler>
        })
        .collect();
        let dispatcher = OutboxDispatcher::new(platform.clone(), points)
            .with_batch_size(5)
            .with_workers(2);
        async move { dispatcher.process_available().await.expect("claims") }
    });
    futures::future::join_all(competitors).await;
    server.wait_for_outbox().await;

    // No batch failed (a deadlock fails one; its events would then go one at a time).
    assert_eq!(failures.load(Ordering::SeqCst), 0);
    let failed = outbox_event::Entity::find()
        .filter(outbox_event::Column::LastError.is_not_null())
        .all(&platform.db)
        .await
        .expect("events");
    assert!(
        failed.is_empty(),
        "{:?}",
        failed
            .iter()
            .map(|e| (&e.event_type, &e.last_error))
            .collect::<Vec<_>>()
    );
    // Every total equals its sum over the ledger.
    let ledger = point_award::Entity::find()
        .all(&platform.db)
        .await
        .expect("ledger");
    let logins = ledger.iter().filter(|a| a.rule == "DAILY_LOGIN").count();
    assert_eq!(logins, 12, "one sign-in bonus per player and day");
    for who in &people {
        let mine: Vec<&point_award::Model> =
            ledger.iter().filter(|a| a.user_id == who.id).collect();
        let sum: i64 = mine.iter().map(|a| i64::from(a.points)).sum();
        let row = user_progress::Entity::find_by_id(who.id)
            .one(&platform.db)
            .await
            .expect("progress")
            .expect("row");
        assert_eq!(row.points, sum);
        let daily: i64 = daily_activity::Entity::find()
            .filter(daily_activity::Column::UserId.eq(who.id))
            .all(&platform.db)
            .await
            .expect("daily")
            .iter()
            .map(|d| i64::from(d.points))
            .sum();
        assert_eq!(daily, sum);
        let played = row.stats.get("BATTLES_PLAYED");
        let battles = mine.iter().filter(|a| a.rule == "BATTLE_FINISHED").count();
        assert_eq!(played, battles as i64);
    }
    for (board, filter) in [
        (
            Scope::Global.board(clock.now()),
            &(|_: &point_award::Model| true) as &dyn Fn(&point_award::Model) -> bool,
        ),
        (Scope::Weekly.board(clock.now()), &|_| true),
        (Scope::Topic(topics[0]).board(clock.now()), &|a| {
            a.topic_id == Some(topics[0])
        }),
        (Scope::Topic(topics[1]).board(clock.now()), &|a| {
            a.topic_id == Some(topics[1])
        }),
    ] {
        let mut stored: Vec<(Uuid, i64)> =
            leaderboard::read_sql(&platform.db, &board, 0, 100, None)
                .await
                .expect("board")
                .entries
                .into_iter()
                .map(|e| (e.user_id, e.points))
                .collect();
        stored.sort();
        let mut expected: Vec<(Uuid, i64)> = recompute(&platform, filter).await;
        expected.sort();
        assert_eq!(stored, expected, "{board}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_rebuild_while_awards_are_applied_loses_and_doubles_nothing() {
    use agora_entities::gamification::user_progress;
    // Small batches: the awards arrive in many transactions, between and during the rebuilds.
    let (server, clock) = small_batches(4).await;
    let platform = server.state.platform.clone();
    let tokens = server.role_tokens().await;
    let t = topic(&server, &tokens.moderator, "Lakes", None).await;
    let topic_global = t["id"].as_str().expect("id").to_owned();
    let topic_id = ids::decode(&ID::from(topic_global.as_str()), "Topic", "id").expect("topic");
    let mut people = Vec::new();
    for i in 0..8 {
        people.push(learner(&server, &format!("r{i}@example.org")).await);
    }
    server.wait_for_outbox().await;
    let awards_before = point_award::Entity::find()
        .count(&platform.db)
        .await
        .expect("ledger");
    // Waves of battles; after each is written, rebuild again and again until it is applied,
    // counting the rebuilds that ran with some of its battles applied and some not. Whether one
    // does is up to the scheduler, so waves go on (at most 20) until one has.
    const WAVE: usize = 40;
    let mut battles = 0usize;
    let mut overlapping = 0;
    while overlapping == 0 && battles < 20 * WAVE {
        let events: Vec<NewEvent> = (battles..battles + WAVE)
            .map(|b| four_player_battle(b, topic_id, &people, |b, k| b * 3 + k * 5))
            .collect();
        let before = awards_before + battles as u64 * 4;
        battles += WAVE;
        let all = awards_before + battles as u64 * 4;
        enqueue_all(&platform, clock.now(), events).await;
        for _ in 0..2_000 {
            let applied = point_award::Entity::find()
                .count(&platform.db)
                .await
                .expect("ledger");
            if applied == all {
                break;
            }
            if applied > before {
                overlapping += 1;
            }
            agora_gamification::api::rebuild_leaderboards(&platform)
                .await
                .expect("rebuild");
        }
    }
    server.wait_for_outbox().await;
    assert!(overlapping > 0, "no rebuild ran while battles were applied");

    let week_start = week_start();
    let me = &people[0];
    for (vars, expected) in [
        (
            json!({ "s": "GLOBAL", "f": 100 }),
            recompute(&platform, |_| true).await,
        ),
        (
            json!({ "s": "WEEKLY", "f": 100 }),
            recompute(&platform, |a| a.occurred_at >= week_start).await,
        ),
        (
            json!({ "s": "TOPIC", "t": topic_global, "f": 100 }),
            recompute(&platform, |a| a.topic_id == Some(topic_id)).await,
        ),
    ] {
        assert!(expected.len() >= people.len(), "{vars}");
        assert_eq!(
            as_pairs(&board(&server, &me.token, vars.clone()).await),
            expected,
            "{vars}"
        );
    }
    for who in &people {
        let row = user_progress::Entity::find_by_id(who.id)
            .one(&platform.db)
            .await
            .expect("progress")
            .expect("row");
        assert_eq!(row.points, ledger_sum(&platform, who.id).await);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_rule_earns_nothing_past_its_daily_cap() {
    use agora_entities::gamification::point_award;
    let (server, clock) = clocked().await;
    let platform = server.state.platform.clone();
    let ann = learner(&server, "ann@example.org").await;
    server.wait_for_outbox().await;
    let before = progress(&server, &ann).await["points"]
        .as_i64()
        .expect("points");
    // FLASHCARD_REVIEWED: 10 points, at most 100 earning awards a day (point_rules.daily_cap).
    let at = platform.clock.now();
    let events = (0..105)
        .map(|_| {
            NewEvent::raw(
                EventKind::FlashcardReviewed,
                None,
                json!({ "userId": ann.id }),
            )
        })
        .collect();
    enqueue_all(&platform, at, events).await;
    server.wait_for_outbox().await;
    let p = progress(&server, &ann).await;
    assert_eq!(p["points"].as_i64(), Some(before + 1_000), "{p}");
    // Every review is in the ledger (and counted), the five past the cap at 0 points.
    let ledger = point_award::Entity::find()
        .filter(point_award::Column::Rule.eq("FLASHCARD_REVIEWED"))
        .all(&platform.db)
        .await
        .expect("ledger");
    assert_eq!(ledger.len(), 105);
    assert_eq!(ledger.iter().filter(|a| a.points == 0).count(), 5);
    assert!(
        achievement(&p, "FLASHCARDS_100")["unlockedAt"].is_string(),
        "{p}"
    );
    // The next day earns again.
    clock.advance(Days::days(1));
    enqueue(&platform, "FLASHCARD_REVIEWED", json!({ "userId": ann.id })).await;
    server.wait_for_outbox().await;
    assert_eq!(
        progress(&server, &ann).await["points"].as_i64(),
        Some(before + 1_010)
    );
}

#[tokio::test]
async fn every_seeded_achievement_names_its_metric_as_an_enum_value() {
    use agora_entities::gamification::achievement;
    use sea_orm::EntityTrait;

    let server = TestServer::start().await;
    let body = server
        .gql("{ achievements { key metric } }", json!({}))
        .await;
    assert_no_errors(&body);
    let listed = body["data"]["achievements"].as_array().expect("list");
    let stored = achievement::Entity::find()
        .all(&server.state.platform.db)
        .await
        .expect("achievements");
    assert_eq!(listed.len(), stored.len());
    for row in &stored {
        let shown = listed
            .iter()
            .find(|a| a["key"] == row.key.as_str())
            .expect("listed");
        assert_eq!(shown["metric"], row.metric.as_str(), "{}", row.key);
    }
    server.shutdown().await;
}
