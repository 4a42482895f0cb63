//! Learning II end to end: FSRS beside SM-2 (settings, scheduling by memory state, switching
//! converts cards from their log), study sessions and statistics on a hand-moved clock, card
//! search, and the optimiser fitting a simulated learner's log in the background.

use std::time::Duration as StdDuration;

use agora_platform::{clock::Clock, ids};
use async_graphql::ID;
use chrono::Duration as Days;
use serde_json::{Value, json};
use uuid::Uuid;

use super::common::{
    TestServer, assert_code, assert_no_errors,
    clock::clocked,
    knowledge::topic,
    ws::{self, Incoming},
};

const CARD: &str = "id front intervalDays easeFactor repetitions nextReviewAt state stability fsrsDifficulty reviewCount";
const SETTINGS: &str =
    "scheduler desiredRetention maximumIntervalDays newCardsPerDay fsrsParameters";

async fn a_topic(server: &TestServer) -> String {
    let tokens = server.role_tokens().await;
    topic(server, &tokens.moderator, "Optics", None).await["id"]
        .as_str()
        .expect("topic id")
        .to_owned()
}

async fn card(server: &TestServer, token: &str, topic: &str, front: &str) -> String {
    let body = server
        .gql_as(
            token,
            "mutation($i: CreateFlashcardInput!) { createFlashcard(input: $i) { id } }",
            json!({ "i": { "topicId": topic, "front": front, "back": "the answer" } }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["createFlashcard"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn review(server: &TestServer, token: &str, card: &str, quality: i32) -> Value {
    let body = server
        .gql_as(
            token,
            &format!(
                "mutation($i: ReviewFlashcardInput!) {{ reviewFlashcard(input: $i) {{ {CARD} }} }}"
            ),
            json!({ "i": { "flashcardId": card, "quality": quality } }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["reviewFlashcard"].clone()
}

async fn settings(server: &TestServer, token: &str, input: Value) -> Value {
    server
        .gql_as(
            token,
            &format!(
                "mutation($i: UpdateLearningSettingsInput!) {{ updateLearningSettings(input: $i) {{ convertedCards settings {{ {SETTINGS} }} }} }}"
            ),
            json!({ "i": input }),
        )
        .await
}

async fn one_card(server: &TestServer, token: &str, id: &str) -> Value {
    let body = server
        .gql_as(
            token,
            &format!("query($id: ID!) {{ flashcard(id: $id) {{ {CARD} }} }}"),
            json!({ "id": id }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["flashcard"].clone()
}

#[tokio::test]
async fn fsrs_schedules_by_memory_state_and_a_switch_converts_cards_from_their_log() {
    let (server, clock) = clocked().await;
    let optics = a_topic(&server).await;
    let ann = server.register_token("ann@example.org").await;

    // The defaults before any choice.
    let body = server
        .gql_as(
            &ann,
            &format!("{{ learningSettings {{ {SETTINGS} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["learningSettings"],
        json!({ "scheduler": "SM2", "desiredRetention": 0.9, "maximumIntervalDays": 36500,
                "newCardsPerDay": 20, "fsrsParameters": null })
    );

    // Two SM-2 reviews: no memory state yet.
    let id = card(&server, &ann, &optics, "What bends light?").await;
    let first = review(&server, &ann, &id, 4).await;
    assert_eq!(first["stability"], Value::Null);
    clock.advance(Days::days(1));
    let second = review(&server, &ann, &id, 5).await;
    assert_eq!(
        (&second["intervalDays"], &second["easeFactor"]),
        (&json!(6), &json!(2.6))
    );

    // Switching to FSRS converts the card from its two reviews and keeps its due date.
    let switched = settings(&server, &ann, json!({ "scheduler": "FSRS" })).await;
    assert_no_errors(&switched);
    assert_eq!(
        switched["data"]["updateLearningSettings"]["convertedCards"],
        1
    );
    assert_eq!(
        switched["data"]["updateLearningSettings"]["settings"]["scheduler"],
        "FSRS"
    );
    let converted = one_card(&server, &ann, &id).await;
    let stability = converted["stability"].as_f64().expect("stability");
    let difficulty = converted["fsrsDifficulty"].as_f64().expect("difficulty");
    assert!(stability > 0.5, "{converted}");
    assert!((1.0..=10.0).contains(&difficulty), "{converted}");
    assert_eq!(converted["nextReviewAt"], second["nextReviewAt"]);

    // The next review is FSRS's: the memory state moves on, and a recalled card's stability
    // grows; the interval is FSRS's for 90% retention, rounded.
    clock.advance(Days::days(6));
    let third = review(&server, &ann, &id, 4).await;
    let after = third["stability"].as_f64().expect("stability");
    assert!(after > stability, "{third}");
    let interval = third["intervalDays"].as_i64().expect("interval");
    assert_eq!(
        interval,
        after.round() as i64,
        "at 90% the interval is the stability"
    );

    // Switching back converts the ease factor from the log (4, 5, 4: 2.5, 2.6, 2.6).
    let back = settings(&server, &ann, json!({ "scheduler": "SM2" })).await;
    assert_eq!(back["data"]["updateLearningSettings"]["convertedCards"], 1);
    let sm2 = one_card(&server, &ann, &id).await;
    assert_eq!(
        (&sm2["easeFactor"], &sm2["repetitions"]),
        (&json!(2.6), &json!(3))
    );
    // A choice that is no switch converts nothing.
    let same = settings(&server, &ann, json!({ "scheduler": "SM2" })).await;
    assert_eq!(same["data"]["updateLearningSettings"]["convertedCards"], 0);
    server.shutdown().await;
}

#[tokio::test]
async fn desired_retention_and_the_interval_cap_set_the_intervals() {
    let (server, clock) = clocked().await;
    let optics = a_topic(&server).await;
    let mut intervals = Vec::new();
    for (email, retention) in [("bo@example.org", 0.95), ("cy@example.org", 0.75)] {
        let token = server.register_token(email).await;
        let body = settings(
            &server,
            &token,
            json!({ "scheduler": "FSRS", "desiredRetention": retention }),
        )
        .await;
        assert_no_errors(&body);
        let id = card(&server, &token, &optics, "Snell's law?").await;
        review(&server, &token, &id, 4).await;
        clock.advance(Days::days(30));
        intervals.push(review(&server, &token, &id, 4).await["intervalDays"].as_i64());
    }
    // Asking for more recall brings reviews sooner.
    assert!(intervals[0] < intervals[1], "{intervals:?}");

    // SM-2 would wait 6 days after the second success; the cap says 2.
    let dan = server.register_token("dan@example.org").await;
    assert_no_errors(&settings(&server, &dan, json!({ "maximumIntervalDays": 2 })).await);
    let id = card(&server, &dan, &optics, "Focal length?").await;
    review(&server, &dan, &id, 4).await;
    clock.advance(Days::days(1));
    let capped = review(&server, &dan, &id, 5).await;
    assert_eq!(capped["intervalDays"], 2);
    let start = clock.now();
    assert_eq!(
        capped["nextReviewAt"]
            .as_str()
            .expect("due")
            .parse::<chrono::DateTime<chrono::Utc>>()
            .expect("time"),
        start + Days::days(2)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bad_settings_name_every_field_and_change_nothing() {
    let (server, _clock) = clocked().await;
    let eve = server.register_token("eve@example.org").await;
    let body = settings(
        &server,
        &eve,
        json!({ "scheduler": "FSRS", "desiredRetention": 1.5, "maximumIntervalDays": 0, "newCardsPerDay": -1 }),
    )
    .await;
    assert_code!(body, "BAD_USER_INPUT", "{body}");
    let fields: Vec<&str> = body["errors"][0]["extensions"]["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| v["field"].as_str().expect("field"))
        .collect();
    assert_eq!(
        fields,
        [
            "input.desiredRetention",
            "input.maximumIntervalDays",
            "input.newCardsPerDay"
        ]
    );
    let now = server
        .gql_as(
            &eve,
            "{ learningSettings { scheduler desiredRetention } }",
            json!({}),
        )
        .await;
    assert_eq!(
        now["data"]["learningSettings"],
        json!({ "scheduler": "SM2", "desiredRetention": 0.9 })
    );
    let low = settings(&server, &eve, json!({ "desiredRetention": 0.5 })).await;
    assert_code!(low, "BAD_USER_INPUT");
    let anonymous = server
        .gql("{ learningSettings { scheduler } }", json!({}))
        .await;
    assert_code!(anonymous, "UNAUTHENTICATED");
    server.shutdown().await;
}

async fn session(server: &TestServer, token: &str, limit: i32) -> Value {
    let body = server
        .gql_as(
            token,
            "query($n: Int) { studySession(limit: $n) { dueCount newCount newRemainingToday cards { retrievability new flashcard { id front } } } }",
            json!({ "n": limit }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["studySession"].clone()
}

fn fronts(session: &Value) -> Vec<String> {
    session["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|c| c["flashcard"]["front"].as_str().expect("front").to_owned())
        .collect()
}

#[tokio::test]
async fn sessions_put_the_least_retrievable_first_and_keep_the_daily_new_limit() {
    let (server, clock) = clocked().await;
    let optics = a_topic(&server).await;
    let fay = server.register_token("fay@example.org").await;
    assert_no_errors(&settings(&server, &fay, json!({ "newCardsPerDay": 2 })).await);
    let mut ids = Vec::new();
    for front in ["A", "B", "C", "D"] {
        ids.push(card(&server, &fay, &optics, front).await);
        clock.advance(Days::minutes(1));
    }
    // Day 0: two new cards, the oldest.
    let day0 = session(&server, &fay, 10).await;
    assert_eq!(fronts(&day0), ["A", "B"]);
    assert_eq!(
        (
            &day0["dueCount"],
            &day0["newCount"],
            &day0["newRemainingToday"]
        ),
        (&json!(0), &json!(2), &json!(2))
    );
    review(&server, &fay, &ids[0], 4).await;
    review(&server, &fay, &ids[1], 4).await;
    let spent = session(&server, &fay, 10).await;
    assert_eq!(fronts(&spent), Vec::<String>::new());
    assert_eq!(spent["newRemainingToday"], 0);

    // Day 1: the limit is back; C is reviewed.
    clock.advance(Days::days(1));
    review(&server, &fay, &ids[2], 4).await;
    // Day 3: A and B are two days overdue, C one: A and B first, then C, then new D.
    clock.advance(Days::days(2));
    let day3 = session(&server, &fay, 10).await;
    assert_eq!(fronts(&day3), ["A", "B", "C", "D"]);
    assert_eq!(
        (
            &day3["dueCount"],
            &day3["newCount"],
            &day3["newRemainingToday"]
        ),
        (&json!(3), &json!(1), &json!(2))
    );
    let odds: Vec<Option<f64>> = day3["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|c| c["retrievability"].as_f64())
        .collect();
    // 0.9^(3 days / 1 day) for A and B, 0.9^2 for C, none for the new card.
    assert!((odds[0].expect("A") - 0.729).abs() < 0.01, "{odds:?}");
    assert!((odds[2].expect("C") - 0.81).abs() < 0.01, "{odds:?}");
    assert_eq!(odds[3], None);
    assert_eq!(fronts(&session(&server, &fay, 2).await), ["A", "B"]);
    let bad = server
        .gql_as(&fay, "{ studySession(limit: 0) { dueCount } }", json!({}))
        .await;
    assert_code!(bad, "BAD_USER_INPUT");

    // Statistics: A recalled, B forgotten today; 4 cards; the forecast and reviews per day.
    review(&server, &fay, &ids[0], 4).await;
    review(&server, &fay, &ids[1], 1).await;
    let stats = server
        .gql_as(
            &fay,
            "{ flashcardStats { totalCards newCards dueNow trueRetention reviewsPerDay { date reviews recalled } forecast { date due } topics { topic { name } cards due new } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&stats);
    let stats = &stats["data"]["flashcardStats"];
    assert_eq!(
        (&stats["totalCards"], &stats["newCards"], &stats["dueNow"]),
        (&json!(4), &json!(1), &json!(2)),
        "{stats}"
    );
    assert_eq!(stats["trueRetention"], 0.5);
    let per_day = stats["reviewsPerDay"].as_array().expect("days");
    assert_eq!(per_day.len(), 30);
    let counts: Vec<i64> = per_day[26..]
        .iter()
        .map(|d| d["reviews"].as_i64().expect("reviews"))
        .collect();
    // Day 0 (A, B), day 1 (C), day 2 (none), today (A, B again).
    assert_eq!(counts, [2, 1, 0, 2], "{per_day:?}");
    let forecast = stats["forecast"].as_array().expect("forecast");
    assert_eq!(forecast.len(), 30);
    assert_eq!(forecast[0]["due"], 2, "C and D today: {forecast:?}");
    assert_eq!(
        stats["topics"],
        json!([{ "topic": { "name": "Optics" }, "cards": 4, "due": 2, "new": 1 }])
    );
    server.shutdown().await;
}

/// A deck of due cards of both kinds — FSRS memory states and SM-2 intervals (some 0, some
/// never dated) — written straight to the table with a fixed pseudo-random sequence.
async fn mixed_due_deck(
    server: &TestServer,
    owner: Uuid,
    topics: [Uuid; 2],
    now: chrono::DateTime<chrono::Utc>,
) -> usize {
    use agora_entities::learning::flashcard;
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % bound
    };
    let mut due = 0;
    for n in 0..240_u64 {
        let fsrs = next(2) == 0;
        let interval = if next(20) == 0 {
            0
        } else {
            1 + next(60) as i32
        };
        let last = (next(25) != 0).then(|| now - Days::hours(1 + next(24 * 120) as i64));
        // One card in six is not due yet.
        let next_review = if next(6) == 0 {
            now + Days::hours(1 + next(48) as i64)
        } else {
            now - Days::minutes(next(10_000) as i64)
        };
        due += usize::from(next_review <= now);
        let card = flashcard::Model {
            id: Uuid::now_v7(),
            owner_id: owner,
            topic_id: Some(topics[(n % 2) as usize]),
            front: format!("card {n}"),
            back: "b".into(),
            difficulty: flashcard::Difficulty::Normal,
            ease_factor: 2.5,
            interval_days: interval,
            repetitions: 1,
            next_review_at: next_review,
            last_reviewed_at: last,
            review_count: 1 + next(9) as i32,
            lapses: 0,
            stability: fsrs.then(|| 0.2 + next(5_000) as f64 / 50.0),
            fsrs_difficulty: fsrs.then(|| 1.0 + next(90) as f64 / 10.0),
            created_at: now - Days::days(200),
            updated_at: now,
            capture_id: None,
            tags: String::new(),
        };
        card.into_active_model()
            .insert(&server.state.platform.db)
            .await
            .expect("card");
    }
    due
}

#[tokio::test]
async fn a_short_session_is_the_head_of_the_whole_ranking() {
    let (server, clock) = clocked().await;
    let tokens = server.role_tokens().await;
    let optics = topic(&server, &tokens.moderator, "Optics", None).await["id"]
        .as_str()
        .expect("topic id")
        .to_owned();
    let waves = topic(&server, &tokens.moderator, "Waves", None).await["id"]
        .as_str()
        .expect("topic id")
        .to_owned();
    let ida = server.register_token("iris@example.org").await;
    let me = server.gql_as(&ida, "{ me { id } }", json!({})).await;
    let owner = ids::decode(
        &ID(me["data"]["me"]["id"].as_str().expect("id").into()),
        "User",
        "id",
    )
    .expect("user id");
    let topics =
        [&optics, &waves].map(|t| ids::decode(&ID(t.clone()), "Topic", "id").expect("topic"));
    let due = mixed_due_deck(&server, owner, topics, clock.now()).await;

    // The whole ranking: every due card, least retrievable first.
    let whole = session(&server, &ida, 500).await;
    assert_eq!(whole["dueCount"], json!(due));
    let all = fronts(&whole);
    assert_eq!(all.len(), due);
    let odds: Vec<f64> = whole["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|c| c["retrievability"].as_f64().unwrap_or(0.0))
        .collect();
    assert!(odds.windows(2).all(|w| w[0] <= w[1]), "{odds:?}");
    assert!(
        odds.contains(&0.0) && odds.iter().any(|r| *r > 0.5),
        "{odds:?}"
    );
    // A shorter session is its head, whatever the mix of kinds at the cut.
    for limit in [1, 7, 50, 120] {
        let short = session(&server, &ida, limit).await;
        assert_eq!(short["dueCount"], json!(due), "limit {limit}");
        assert_eq!(fronts(&short), all[..limit as usize], "limit {limit}");
    }
    // One topic's session is the whole ranking's cards of that topic, in the same order.
    let of_topic = server
        .gql_as(
            &ida,
            "query($t: ID, $n: Int) { studySession(topicId: $t, limit: $n) { dueCount cards { flashcard { front topic { name } } } } }",
            json!({ "t": waves, "n": 20 }),
        )
        .await;
    assert_no_errors(&of_topic);
    let waves_cards: Vec<&str> = of_topic["data"]["studySession"]["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|c| c["flashcard"]["front"].as_str().expect("front"))
        .collect();
    // Odd-numbered cards are in Waves.
    let expected: Vec<&str> = all
        .iter()
        .map(String::as_str)
        .filter(|front| front.trim_start_matches("card ").parse::<u32>().expect("n") % 2 == 1)
        .take(20)
        .collect();
    assert_eq!(waves_cards, expected);
    server.shutdown().await;
}

#[tokio::test]
async fn cards_are_found_by_text_and_state() {
    let (server, _clock) = clocked().await;
    let optics = a_topic(&server).await;
    let gus = server.register_token("gus@example.org").await;
    let lens = card(&server, &gus, &optics, "What does a LENS do?").await;
    card(&server, &gus, &optics, "100% of light?").await;
    card(&server, &gus, &optics, "Prism colours").await;
    review(&server, &gus, &lens, 1).await;
    let find = |search: Option<&str>, state: Option<&str>| {
        let server = &server;
        let gus = gus.clone();
        let search = search.map(str::to_owned);
        let state = state.map(str::to_owned);
        async move {
            let body = server
                .gql_as(
                    &gus,
                    "query($s: String, $st: FlashcardState) { myFlashcards(search: $s, state: $st) { edges { node { front state } } } }",
                    json!({ "s": search, "st": state }),
                )
                .await;
            assert_no_errors(&body);
            let mut fronts: Vec<String> = body["data"]["myFlashcards"]["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"]["front"].as_str().expect("front").to_owned())
                .collect();
            fronts.sort();
            fronts
        }
    };
    assert_eq!(find(Some("lens"), None).await, ["What does a LENS do?"]);
    assert_eq!(find(Some("%"), None).await, ["100% of light?"]);
    assert_eq!(find(Some("_"), None).await, Vec::<String>::new());
    assert_eq!(
        find(None, Some("RELEARNING")).await,
        ["What does a LENS do?"]
    );
    assert_eq!(
        find(None, Some("NEW")).await,
        ["100% of light?", "Prism colours"]
    );
    let blank = server
        .gql_as(
            &gus,
            "{ myFlashcards(search: \"  \") { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_code!(blank, "BAD_USER_INPUT");
    server.shutdown().await;
}

async fn user_id(server: &TestServer, token: &str) -> Uuid {
    let me = server.gql_as(token, "{ me { id } }", json!({})).await;
    ids::decode(
        &ID::from(me["data"]["me"]["id"].as_str().expect("id")),
        "User",
        "id",
    )
    .expect("user id")
}

const RUN: &str = "id status progress reason reviewCount trainCount testCount parameters evaluation { model logLoss rmse }";

#[tokio::test]
async fn the_optimiser_fits_a_learners_log_in_the_background_and_reports_each_model() {
    let (server, _clock) = clocked().await;
    let optics = a_topic(&server).await;
    let hal = server.register_token("hal@example.org").await;
    // Too few reviews: refused, nothing started.
    let early = server
        .gql_as(&hal, "mutation { optimizeMyScheduler { id } }", json!({}))
        .await;
    assert_code!(early, "CONFLICT", "{early}");
    assert!(
        early["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("400")
    );

    let user = user_id(&server, &hal).await;
    let topic = ids::decode(&ID::from(optics.as_str()), "Topic", "id").expect("topic id");
    let written = agora_learning::api::simulate(
        &server.state.platform,
        &agora_learning::api::Simulation {
            user,
            topic,
            cards: 300,
            days: 180,
            max_reviews: 4_000,
            seed: 7,
        },
    )
    .await
    .expect("simulate");
    assert!(written >= 2_000, "{written} reviews");
    assert_no_errors(&settings(&server, &hal, json!({ "scheduler": "FSRS" })).await);

    // Follow it live over a WebSocket, and by query.
    let started = server
        .gql_as(
            &hal,
            &format!("mutation {{ optimizeMyScheduler {{ {RUN} }} }}"),
            json!({}),
        )
        .await;
    assert_no_errors(&started);
    let run = started["data"]["optimizeMyScheduler"].clone();
    assert_eq!(run["status"], "RUNNING");
    assert_eq!(run["reviewCount"], written as i64);
    let id = run["id"].as_str().expect("id").to_owned();
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    ws::init_transport(
        &mut socket,
        json!({ "authorization": format!("Bearer {hal}") }),
    )
    .await;
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription($id: ID!) { schedulerOptimization(id: $id) { status progress } }",
            "variables": { "id": id } } }),
    )
    .await;
    let mut progress = Vec::new();
    let done = loop {
        match tokio::time::timeout(StdDuration::from_secs(120), ws::next(&mut socket))
            .await
            .expect("the optimisation finishes within two minutes")
        {
            Incoming::Json(message) if message["type"] == "next" => {
                let run = &message["payload"]["data"]["schedulerOptimization"];
                progress.push(run["progress"].as_f64().expect("progress"));
                if run["status"] != "RUNNING" {
                    break run.clone();
                }
            }
            Incoming::Json(message) if message["type"] == "complete" => {
                panic!("completed before the end: {progress:?}")
            }
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(done["status"], "DONE", "{done}");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert_eq!(progress.last(), Some(&1.0));
    // The stream completes after the last state.
    match tokio::time::timeout(StdDuration::from_secs(5), ws::next(&mut socket)).await {
        Ok(Incoming::Json(message)) => assert_eq!(message["type"], "complete", "{message}"),
        other => panic!("expected complete, got {other:?}"),
    }

    let body = server
        .gql_as(
            &hal,
            &format!("query($id: ID!) {{ schedulerOptimization(id: $id) {{ {RUN} }} }}"),
            json!({ "id": id }),
        )
        .await;
    assert_no_errors(&body);
    let run = &body["data"]["schedulerOptimization"];
    let (train, test) = (
        run["trainCount"].as_i64().expect("train"),
        run["testCount"].as_i64().expect("test"),
    );
    assert!(train > 1_000 && test > 100, "{run}");
    let parameters = run["parameters"].as_array().expect("parameters");
    assert_eq!(parameters.len(), 21);
    let lines = run["evaluation"].as_array().expect("evaluation");
    let models: Vec<&str> = lines
        .iter()
        .map(|l| l["model"].as_str().expect("model"))
        .collect();
    assert_eq!(models, ["SM2", "FSRS_DEFAULT", "FSRS_FITTED"]);
    let loss = |i: usize| lines[i]["logLoss"].as_f64().expect("log loss");
    for (i, line) in lines.iter().enumerate() {
        let rmse = line["rmse"].as_f64().expect("rmse");
        assert!(
            loss(i) > 0.0 && loss(i) < 2.0 && (0.0..1.0).contains(&rmse),
            "{line}"
        );
    }
    // This learner forgets new cards faster than FSRS's average learner: the fit on their
    // own reviews predicts the held-out ones better than the defaults do.
    assert!(loss(2) < loss(1), "{lines:?}");
    // Saved to the settings, and the cards' memory states recomputed with them.
    let saved = server
        .gql_as(&hal, "{ learningSettings { fsrsParameters } }", json!({}))
        .await;
    assert_eq!(
        &saved["data"]["learningSettings"]["fsrsParameters"],
        &run["parameters"]
    );

    // Another learner cannot see the run.
    let ivy = server.register_token("ivy@example.org").await;
    let hidden = server
        .gql_as(
            &ivy,
            "query($id: ID!) { schedulerOptimization(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(hidden["data"]["schedulerOptimization"], Value::Null);
    let refetch = "query($id: ID!) { node(id: $id) { ... on SchedulerOptimization { status } } }";
    let mine = server.gql_as(&hal, refetch, json!({ "id": id })).await;
    assert_eq!(mine["data"]["node"]["status"], "DONE");
    let theirs = server.gql_as(&ivy, refetch, json!({ "id": id })).await;
    assert_eq!(theirs["data"]["node"], Value::Null);
    server.shutdown().await;
}

#[tokio::test]
async fn the_reminder_comes_at_the_hour_the_learner_usually_studies_and_once_a_day() {
    use agora_platform::schedule;
    use chrono::{TimeZone, Utc};

    use super::common::outbox::until_events;

    let (server, clock) = clocked().await;
    let platform = server.state.platform.clone();
    let optics = a_topic(&server).await;
    let ivy = server.register_token("ivy@example.org").await;
    let jon = server.register_token("jon@example.org").await;
    // Monday 18:10 UTC: Ivy reviews five cards; Jon makes one card and never reviews.
    clock.set(Utc.with_ymd_and_hms(2026, 3, 2, 18, 10, 0).unwrap());
    for n in 0..5 {
        let id = card(&server, &ivy, &optics, &format!("Evening card {n}")).await;
        review(&server, &ivy, &id, 4).await;
    }
    card(&server, &jon, &optics, "Morning card").await;
    let hour = server
        .gql_as(&ivy, "{ learningSettings { studyHour } }", json!({}))
        .await;
    assert_eq!(hour["data"]["learningSettings"]["studyHour"], 18);
    let jobs = agora_schema::scheduled_jobs();

    // Tuesday 09:30: Jon's morning (no usual hour yet); Ivy studies in the evening.
    clock.set(Utc.with_ymd_and_hms(2026, 3, 3, 9, 30, 0).unwrap());
    schedule::tick(&platform, &jobs).await;
    let due = until_events(&platform, "FLASHCARDS_DUE", 1).await;
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0].payload["dueCount"], 1);
    // Tuesday 18:30: Ivy's hour; her five cards come due at 18:10.
    clock.set(Utc.with_ymd_and_hms(2026, 3, 3, 18, 30, 0).unwrap());
    schedule::tick(&platform, &jobs).await;
    let due = until_events(&platform, "FLASHCARDS_DUE", 2).await;
    assert_eq!(due.len(), 2, "{due:?}");
    assert_eq!(due[1].payload["dueCount"], 5);
    assert_eq!(due[1].payload["localDate"], "2026-03-03");

    // She flies to New York: 23:30 UTC is 18:30 there, still Tuesday. No second reminder.
    assert_no_errors(
        &server
            .gql_as(
                &ivy,
                "mutation { updateProfile(input: { timeZone: \"America/New_York\" }) { id } }",
                json!({}),
            )
            .await,
    );
    clock.set(Utc.with_ymd_and_hms(2026, 3, 3, 23, 30, 0).unwrap());
    schedule::tick(&platform, &jobs).await;
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    assert_eq!(
        until_events(&platform, "FLASHCARDS_DUE", 2).await.len(),
        2,
        "never twice a day"
    );
    // Wednesday 18:30 in New York she hears again.
    clock.set(Utc.with_ymd_and_hms(2026, 3, 4, 23, 30, 0).unwrap());
    schedule::tick(&platform, &jobs).await;
    let due = until_events(&platform, "FLASHCARDS_DUE", 3).await;
    assert_eq!(due.len(), 3, "{due:?}");
    assert_eq!(due[2].payload["localDate"], "2026-03-04");
    server.shutdown().await;
}

const IMPORT: &str = "mutation($i: ImportFlashcardsInput!) { importFlashcards(input: $i) { created dryRun accepted rows { line front error note } } }";

#[tokio::test]
async fn anki_text_imports_all_or_nothing_and_exports_back() {
    let (server, _clock) = clocked().await;
    let optics = a_topic(&server).await;
    let kim = server.register_token("kim@example.org").await;
    card(&server, &kim, &optics, "Existing front").await;
    let import = |content: String, dry_run: bool, topic: String, token: String| {
        let server = &server;
        async move {
            server
                .gql_as(
                    &token,
                    IMPORT,
                    json!({ "i": { "topicId": topic, "content": content, "dryRun": dry_run } }),
                )
                .await
        }
    };
    // Anki's columns: front, back, tags (space-separated), then a deck this import ignores.
    let good = "#separator:tab\n#html:false\nWhat bends light?\tA lens\tOptics::Lenses physics\n\"Tab\there\"\t\"two\nlines\"\ttag1\tDeck::Sub\n";
    let eleven_tags = (0..11)
        .map(|n| format!("t{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    let bad = format!(
        "{good}Existing front\tdup\n\tno front\nWhat bends light?\tagain\nMany tags\tx\t{eleven_tags}\n"
    );

    // One bad row and nothing is stored; every row is reported by line.
    for dry_run in [true, false] {
        let body = import(bad.clone(), dry_run, optics.clone(), kim.clone()).await;
        assert_no_errors(&body);
        let report = &body["data"]["importFlashcards"];
        assert_eq!(
            (&report["created"], &report["accepted"]),
            (&json!(0), &json!(false))
        );
        let rows = report["rows"].as_array().expect("rows");
        let lines: Vec<(i64, Option<&str>)> = rows
            .iter()
            .map(|r| (r["line"].as_i64().expect("line"), r["error"].as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (3, None),
                (4, None),
                (6, Some("a card with this front is in the topic already")),
                (7, Some("the front is blank")),
                (8, Some("the same front as line 3")),
                (9, Some("a card may have at most 10 tags")),
            ]
        );
        assert_eq!(rows[0]["note"], Value::Null);
        assert_eq!(
            rows[1]["note"],
            "1 column(s) besides the front, back and tags ignored (decks and note types are not imported)"
        );
    }
    let count = |token: String| {
        let server = &server;
        async move {
            server
                .gql_as(&token, "{ flashcardStats { totalCards } }", json!({}))
                .await["data"]["flashcardStats"]["totalCards"]
                .as_i64()
                .expect("count")
        }
    };
    assert_eq!(count(kim.clone()).await, 1, "nothing stored");

    // The good rows: a dry run says it would take them; then they are stored.
    let dry = import(good.to_owned(), true, optics.clone(), kim.clone()).await;
    assert_eq!(
        (
            &dry["data"]["importFlashcards"]["accepted"],
            &dry["data"]["importFlashcards"]["created"]
        ),
        (&json!(true), &json!(0))
    );
    assert_eq!(count(kim.clone()).await, 1);
    let done = import(good.to_owned(), false, optics.clone(), kim.clone()).await;
    assert_eq!(done["data"]["importFlashcards"]["created"], 2);
    assert_eq!(count(kim.clone()).await, 3);

    // Export as Anki reads it, and the round trip into another learner's deck.
    let exported =
        server.gql_as(&kim, "{ exportFlashcards }", json!({})).await["data"]["exportFlashcards"]
            .as_str()
            .expect("text")
            .to_owned();
    assert_eq!(
        exported,
        "#separator:tab\n#html:false\n#tags column:3\nExisting front\tthe answer\t\nWhat bends light?\tA lens\toptics::lenses physics\n\"Tab\there\"\t\"two\nlines\"\ttag1\n"
    );
    let lee = server.register_token("lee@example.org").await;
    let copied = import(exported, false, optics.clone(), lee.clone()).await;
    assert_eq!(copied["data"]["importFlashcards"]["created"], 3, "{copied}");
    let tagged = server
        .gql_as(
            &lee,
            "{ myFlashcards(first: 10, tag: \"PHYSICS\") { edges { node { front tags } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        tagged["data"]["myFlashcards"]["edges"],
        json!([{ "node": { "front": "What bends light?", "tags": ["optics::lenses", "physics"] } }]),
        "{tagged}"
    );
    let csv = server
        .gql_as(&lee, "{ exportFlashcards(format: CSV) }", json!({}))
        .await["data"]["exportFlashcards"]
        .as_str()
        .expect("text")
        .to_owned();
    assert!(
        csv.starts_with("front,back,tags\nExisting front,the answer,\nWhat bends light?,A lens,optics::lenses physics\n"),
        "{csv}"
    );

    // Bad input: named, nothing stored.
    let empty = import(
        "#separator:tab\n".into(),
        false,
        optics.clone(),
        kim.clone(),
    )
    .await;
    assert_code!(empty, "BAD_USER_INPUT");
    let tags_on_the_back = import(
        "#separator:tab\n#tags column:2\nfront\tback\n".into(),
        false,
        optics.clone(),
        kim.clone(),
    )
    .await;
    assert_code!(tags_on_the_back, "BAD_USER_INPUT");
    // Just over the import's 900,000 bytes, inside the request's 1 MiB.
    let row = format!("{}\t{}\n", "x".repeat(400), "y".repeat(400));
    let huge = import(row.repeat(1_190), false, optics.clone(), kim.clone()).await;
    assert_code!(huge, "BAD_USER_INPUT");
    let too_many = (0..2_001).map(|n| format!("q{n}\ta\n")).collect::<String>();
    let many = import(too_many, false, optics.clone(), kim.clone()).await;
    assert_code!(many, "BAD_USER_INPUT");
    let nowhere = import(
        good.to_owned(),
        false,
        ids::encode("Topic", Uuid::now_v7()).to_string(),
        kim.clone(),
    )
    .await;
    assert_code!(nowhere, "BAD_USER_INPUT");
    assert_eq!(count(kim).await, 3);
    server.shutdown().await;
}

async fn my_topic(server: &TestServer, token: &str, input: Value) -> Value {
    server
        .gql_as(
            token,
            "mutation($i: CreateMyTopicInput!) { createMyTopic(input: $i) { id name linkedTopic { name } } }",
            json!({ "i": input }),
        )
        .await
}

async fn item(server: &TestServer, token: &str, input: Value) -> Value {
    let body = server
        .gql_as(
            token,
            "mutation($i: AddSyllabusItemInput!) { addSyllabusItem(input: $i) { id title order done } }",
            json!({ "i": input }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["addSyllabusItem"].clone()
}

async fn tick(server: &TestServer, token: &str, id: &Value, input: Value) -> Value {
    let body = server
        .gql_as(
            token,
            "mutation($id: ID!, $i: UpdateSyllabusItemInput!) { updateSyllabusItem(id: $id, input: $i) { id title order done } }",
            json!({ "id": id, "i": input }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["updateSyllabusItem"].clone()
}

fn id_of(body: &Value) -> String {
    body["data"]["createMyTopic"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

#[tokio::test]
async fn personal_topics_nest_their_syllabus_keeps_order_and_done_items_are_evidence() {
    let (server, clock) = clocked().await;
    let optics = a_topic(&server).await;
    let mia = server.register_token("mia@example.org").await;

    let physics = my_topic(
        &server,
        &mia,
        json!({ "name": "Physics", "linkedTopicId": optics }),
    )
    .await;
    assert_eq!(
        physics["data"]["createMyTopic"]["linkedTopic"]["name"],
        "Optics"
    );
    let physics = id_of(&physics);
    let lenses = id_of(
        &my_topic(
            &server,
            &mia,
            json!({ "name": "Lenses", "parentId": physics }),
        )
        .await,
    );
    // Five levels at most.
    let mut parent = lenses.clone();
    for level in 3..=5 {
        parent = id_of(
            &my_topic(
                &server,
                &mia,
                json!({ "name": format!("Level {level}"), "parentId": parent }),
            )
            .await,
        );
    }
    let sixth = my_topic(
        &server,
        &mia,
        json!({ "name": "Too deep", "parentId": parent }),
    )
    .await;
    assert_code!(sixth, "BAD_USER_INPUT", "{sixth}");
    // Not under its own subtopic; every bad field named at once.
    let cycle = server
        .gql_as(
            &mia,
            "mutation($id: ID!, $p: ID) { updateMyTopic(id: $id, input: { parentId: $p }) { id } }",
            json!({ "id": physics, "p": lenses }),
        )
        .await;
    assert_code!(cycle, "BAD_USER_INPUT");
    let bad = my_topic(
        &server,
        &mia,
        json!({ "name": " ", "linkedTopicId": ids::encode("Topic", Uuid::now_v7()).to_string() }),
    )
    .await;
    let fields: Vec<&str> = bad["errors"][0]["extensions"]["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| v["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["input.name", "input.linkedTopicId"]);
    let tree = server
        .gql_as(
            &mia,
            "{ myTopics { name children { name children { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        tree["data"]["myTopics"],
        json!([{ "name": "Physics", "children": [{ "name": "Lenses", "children": [{ "name": "Level 3" }] }] }])
    );

    // A syllabus keeps its order through inserts, moves and deletes.
    let read = item(
        &server,
        &mia,
        json!({ "topicId": lenses, "title": "Read about focal length" }),
    )
    .await;
    let snell = item(
        &server,
        &mia,
        json!({ "topicId": lenses, "title": "Snell's law" }),
    )
    .await;
    let prisms = item(
        &server,
        &mia,
        json!({ "topicId": lenses, "title": "Prisms", "order": 0 }),
    )
    .await;
    assert_eq!(prisms["order"], 0);
    tick(&server, &mia, &snell["id"], json!({ "order": 0 })).await;
    tick(&server, &mia, &prisms["id"], json!({ "done": true })).await;
    let outline = |topic: String| {
        let server = &server;
        let mia = mia.clone();
        async move {
            let body = server
                .gql_as(
                    &mia,
                    "query($id: ID!) { myTopic(id: $id) { syllabus { title order done } progress { done total ratio } } }",
                    json!({ "id": topic }),
                )
                .await;
            assert_no_errors(&body);
            body["data"]["myTopic"].clone()
        }
    };
    let now = outline(lenses.clone()).await;
    assert_eq!(
        now["syllabus"],
        json!([
            { "title": "Snell's law", "order": 0, "done": false },
            { "title": "Prisms", "order": 1, "done": true },
            { "title": "Read about focal length", "order": 2, "done": false },
        ])
    );
    assert_eq!(
        now["progress"],
        json!({ "done": 1, "total": 3, "ratio": 1.0 / 3.0 })
    );
    assert_no_errors(
        &server
            .gql_as(
                &mia,
                "mutation($id: ID!) { deleteSyllabusItem(id: $id) }",
                json!({ "id": read["id"] }),
            )
            .await,
    );
    let orders: Vec<i64> = outline(lenses.clone()).await["syllabus"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["order"].as_i64().expect("order"))
        .collect();
    assert_eq!(orders, [0, 1]);

    // Evidence for completing the public topic: done items linked to it (through Physics, or
    // directly), each ticked on a later day than it was made. Made and ticked today: nothing.
    let complete = "mutation($t: ID!) { completeTopic(topicId: $t) { firstTime } }";
    let today = item(
        &server,
        &mia,
        json!({ "topicId": physics, "title": "Same-day" }),
    )
    .await;
    tick(&server, &mia, &today["id"], json!({ "done": true })).await;
    let early = server.gql_as(&mia, complete, json!({ "t": optics })).await;
    assert_code!(early, "BAD_USER_INPUT", "{early}");
    let through = item(
        &server,
        &mia,
        json!({ "topicId": physics, "title": "Mirrors" }),
    )
    .await;
    let direct = item(
        &server,
        &mia,
        json!({ "topicId": lenses, "title": "Refraction", "linkedTopicId": optics }),
    )
    .await;
    clock.advance(Days::days(1));
    tick(&server, &mia, &through["id"], json!({ "done": true })).await;
    let one = server.gql_as(&mia, complete, json!({ "t": optics })).await;
    assert!(
        one["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("(1 so far)"),
        "{one}"
    );
    tick(&server, &mia, &direct["id"], json!({ "done": true })).await;
    let done = server.gql_as(&mia, complete, json!({ "t": optics })).await;
    assert_no_errors(&done);
    assert_eq!(done["data"]["completeTopic"]["firstTime"], true);

    // Both refetch by global id for their owner.
    let node = server
        .gql_as(
            &mia,
            "query($a: ID!, $b: ID!) { a: node(id: $a) { ... on PersonalTopic { name } } b: node(id: $b) { ... on SyllabusItem { title done } } }",
            json!({ "a": physics, "b": direct["id"] }),
        )
        .await;
    assert_eq!(
        node["data"],
        json!({ "a": { "name": "Physics" }, "b": { "title": "Refraction", "done": true } })
    );
    // Another learner sees none of it and changes none of it.
    let ned = server.register_token("ned@example.org").await;
    let hidden = server
        .gql_as(
            &ned,
            "query($a: ID!) { node(id: $a) { id } }",
            json!({ "a": physics }),
        )
        .await;
    assert_eq!(hidden["data"]["node"], Value::Null);
    let theirs = server
        .gql_as(
            &ned,
            "query($id: ID!) { myTopic(id: $id) { name } }",
            json!({ "id": physics }),
        )
        .await;
    assert_eq!(theirs["data"]["myTopic"], Value::Null);
    let rename = server
        .gql_as(
            &ned,
            "mutation($id: ID!) { updateMyTopic(id: $id, input: { name: \"Mine\" }) { id } }",
            json!({ "id": physics }),
        )
        .await;
    assert_code!(rename, "NOT_FOUND");
    let sneak = server
        .gql_as(
            &ned,
            "mutation($i: AddSyllabusItemInput!) { addSyllabusItem(input: $i) { id } }",
            json!({ "i": { "topicId": physics, "title": "x" } }),
        )
        .await;
    assert_code!(sneak, "BAD_USER_INPUT");

    // Deleting a topic takes its subtopics and items with it.
    let gone = server
        .gql_as(
            &mia,
            "mutation($id: ID!) { deleteMyTopic(id: $id) }",
            json!({ "id": physics }),
        )
        .await;
    assert_eq!(gone["data"]["deleteMyTopic"], json!(physics));
    assert_eq!(outline(lenses).await, Value::Null);
    server.shutdown().await;
}
