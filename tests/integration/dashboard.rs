//! The dashboard end to end: a learner who played a solo battle, reviewed cards and earned
//! points sees every section in one request, with recommendations that follow from their data;
//! its statements stay the same when their history grows tenfold; signed out, it is refused.

use std::time::Duration as StdDuration;

use agora_platform::{
    clock::{Clock, ManualClock},
    ids,
};
use async_graphql::ID;
use chrono::Duration as Days;
use serde_json::{Value, json};

use super::common::{
    ServerOptions, TestServer, assert_code, assert_no_errors,
    battle::{START, create_room, player},
    clock::monday_morning,
    knowledge::{question, topic},
};

const DASHBOARD: &str = r#"{ dashboard {
  progress { points level streak }
  flashcards { due nextSessionSize newInNextSession mostAtRisk { front } }
  literacy { wordsMastered }
  recentBattles { code topic { name } questionCount score correctCount rank players }
  activity { days { date points actions } last7Days { points actions activeDays } last30Days { points } }
  accuracy { topic { name } source difficulty attempts correct rate }
  recommendations { kind reason topic { name } flashcardIds articles { title } }
} }"#;

struct World {
    server: TestServer,
    clock: ManualClock,
    optics: String,
    learner: super::common::battle::Player,
}

/// A learner with a finished solo battle in "Capitals" (two of three right), six cards in
/// "Optics" reviewed once each (three recalled), an article in "Optics", two days later.
async fn world() -> World {
    let clock = ManualClock::new(monday_morning());
    let server = TestServer::start_with(ServerOptions {
        clock: Some(clock.clone()),
        args: vec![
            "--battle-reveal-pause".into(),
            "10ms".into(),
            "--access-token-ttl".into(),
            "60d".into(),
        ],
        ..Default::default()
    })
    .await;
    let tokens = server.role_tokens().await;
    let capitals = topic(&server, &tokens.moderator, "Capitals", None).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for i in 0..3 {
        question(
            &server,
            &tokens.moderator,
            &capitals,
            &format!("Capital quiz number {i}: which city is the capital of France?"),
        )
        .await;
    }
    let optics = topic(&server, &tokens.moderator, "Optics", None).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_no_errors(
        &server
            .gql_as(
                &tokens.admin,
                "mutation($i: ArticleInput!) { createArticle(input: $i) { id } }",
                json!({ "i": { "topicId": optics, "title": "Lenses", "summary": "How lenses bend light.", "body": "Some text." } }),
            )
            .await,
    );
    let learner = player(&server, "dee@example.org").await;
    play_solo(&server, &clock, &learner, &capitals).await;
    for (n, quality) in [1, 1, 2, 4, 4, 5].into_iter().enumerate() {
        let card = server
            .gql_as(
                &learner.token,
                "mutation($i: CreateFlashcardInput!) { createFlashcard(input: $i) { id } }",
                json!({ "i": { "topicId": optics, "front": format!("Optics card {n}"), "back": "b" } }),
            )
            .await;
        assert_no_errors(&card);
        let reviewed = server
            .gql_as(
                &learner.token,
                "mutation($i: ReviewFlashcardInput!) { reviewFlashcard(input: $i) { id } }",
                json!({ "i": { "flashcardId": card["data"]["createFlashcard"]["id"], "quality": quality } }),
            )
            .await;
        assert_no_errors(&reviewed);
    }
    server.wait_for_outbox().await;
    clock.advance(Days::days(2));
    World {
        server,
        clock,
        optics,
        learner,
    }
}

/// Plays a solo battle of three questions: right, right, wrong.
async fn play_solo(
    server: &TestServer,
    clock: &ManualClock,
    p: &super::common::battle::Player,
    topic: &str,
) {
    let room = create_room(
        server,
        p,
        json!({ "topicId": topic, "questionCount": 3, "allowSolo": true }),
    )
    .await;
    let room_id = room["id"].as_str().expect("room").to_owned();
    assert_no_errors(
        &server
            .gql_as(&p.token, START, json!({ "r": room_id }))
            .await,
    );
    let mut answered = Vec::new();
    for _ in 0..200 {
        let body = server
            .gql_as(
                &p.token,
                "query($r: ID!) { battleRoom(id: $r) { status currentQuestion { id choices { id text } } } }",
                json!({ "r": room_id }),
            )
            .await;
        let room = &body["data"]["battleRoom"];
        if room["status"] == "FINISHED" {
            return;
        }
        let q = &room["currentQuestion"];
        if let Some(id) = q["id"].as_str()
            && !answered.contains(&id.to_owned())
        {
            let right = answered.len() < 2;
            let choice = q["choices"]
                .as_array()
                .expect("choices")
                .iter()
                .find(|c| (c["text"] == "Paris") == right)
                .expect("a choice")["id"]
                .clone();
            let sent = server
                .gql_as(
                    &p.token,
                    "mutation($r: ID!, $q: ID!, $c: ID!) { submitAnswer(roomId: $r, questionId: $q, choiceId: $c) { accepted } }",
                    json!({ "r": room_id, "q": id, "c": choice }),
                )
                .await;
            assert_no_errors(&sent);
            answered.push(id.to_owned());
        } else {
            clock.advance(Days::seconds(5));
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("the solo battle did not finish");
}

#[tokio::test]
async fn the_dashboard_shows_every_section_and_recommends_from_the_learners_data() {
    let w = world().await;
    let body = w
        .server
        .gql_as(&w.learner.token, DASHBOARD, json!({}))
        .await;
    assert_no_errors(&body);
    let d = &body["data"]["dashboard"];

    assert!(d["progress"]["points"].as_i64().expect("points") > 0, "{d}");
    // All six cards were reviewed once (interval 1 day) and are due two days later.
    assert_eq!(d["flashcards"]["due"], 6, "{d}");
    assert_eq!(d["flashcards"]["nextSessionSize"], 6);
    assert_eq!(
        d["flashcards"]["mostAtRisk"]
            .as_array()
            .expect("cards")
            .len(),
        5
    );
    assert_eq!(d["literacy"], Value::Null, "never practised");

    let battles = d["recentBattles"].as_array().expect("battles");
    assert_eq!(battles.len(), 1);
    assert_eq!(battles[0]["topic"]["name"], "Capitals");
    assert_eq!(
        (
            &battles[0]["questionCount"],
            &battles[0]["correctCount"],
            &battles[0]["rank"],
            &battles[0]["players"]
        ),
        (&json!(3), &json!(2), &json!(1), &json!(1))
    );

    let days = d["activity"]["days"].as_array().expect("days");
    assert_eq!(days.len(), 30);
    let today = w.clock.now().date_naive().to_string();
    assert_eq!(days[29]["date"], today);
    // Everything was earned two days ago.
    let earned = days[27]["points"].as_i64().expect("points");
    assert!(earned > 0, "{days:?}");
    assert_eq!(d["activity"]["last7Days"]["points"], earned);
    assert_eq!(d["activity"]["last7Days"]["activeDays"], 1);

    assert_eq!(
        d["accuracy"],
        json!([
            { "topic": { "name": "Capitals" }, "source": "BATTLE", "difficulty": 2, "attempts": 3, "correct": 2, "rate": 2.0 / 3.0 },
            { "topic": { "name": "Optics" }, "source": "REVIEW", "difficulty": null, "attempts": 6, "correct": 3, "rate": 0.5 },
        ])
    );

    // Capitals has too few answers to judge; Optics is the weakest with 6 reviews.
    let recommendations = d["recommendations"].as_array().expect("recommendations");
    let kinds: Vec<&str> = recommendations
        .iter()
        .map(|r| r["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["REVIEW_CARDS", "NEXT_TOPIC", "READ_ARTICLES"]);
    assert_eq!(
        recommendations[0]["flashcardIds"]
            .as_array()
            .expect("ids")
            .len(),
        5
    );
    assert_eq!(
        recommendations[0]["reason"],
        "6 cards are due; these are the most likely to be forgotten now"
    );
    assert_eq!(recommendations[1]["topic"]["name"], "Optics");
    assert_eq!(
        recommendations[1]["reason"],
        "your lowest accuracy: 50% over 6 answers and reviews"
    );
    assert_eq!(
        recommendations[2]["articles"],
        json!([{ "title": "Lenses" }])
    );

    // Signed out: refused, nothing else lost.
    let anonymous = w
        .server
        .gql("{ dashboard { progress { points } } }", json!({}))
        .await;
    assert_code!(anonymous, "UNAUTHENTICATED");
    assert_eq!(anonymous["data"]["dashboard"], Value::Null);
    w.server.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_costs_the_same_statements_when_the_history_grows_tenfold() {
    let w = world().await;
    let cost = || async {
        let mut cheapest = u64::MAX;
        for _ in 0..3 {
            let before = w.server.state.platform.statements.get();
            let body = w
                .server
                .gql_as(&w.learner.token, DASHBOARD, json!({}))
                .await;
            assert_no_errors(&body);
            cheapest = cheapest.min(w.server.state.platform.statements.get() - before);
        }
        cheapest
    };
    let small = cost().await;
    let me = w
        .server
        .gql_as(&w.learner.token, "{ me { id } }", json!({}))
        .await;
    let user = ids::decode(
        &ID::from(me["data"]["me"]["id"].as_str().expect("id")),
        "User",
        "id",
    )
    .expect("user");
    let topic = ids::decode(&ID::from(w.optics.as_str()), "Topic", "id").expect("topic");
    let written = agora_learning::api::simulate(
        &w.server.state.platform,
        &agora_learning::api::Simulation {
            user,
            topic,
            cards: 200,
            days: 90,
            max_reviews: 2_000,
            seed: 3,
        },
    )
    .await
    .expect("simulate");
    assert!(written > 600, "{written}");
    let large = cost().await;
    assert_eq!(small, large, "statements for 6 and {written} reviews");
    assert!(small <= 25, "{small} statements");
    w.server.shutdown().await;
}
