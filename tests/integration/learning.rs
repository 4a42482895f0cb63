//! Learning end to end: flashcards on their SM-2 schedule over a hand-moved clock, reviews and
//! topic completion earning points once through the outbox, the study queue's pages, the
//! morning "flashcards due" reminder across time zones, and bad input and other learners'
//! cards refused with clear codes.

use agora_platform::{
    clock::{Clock, ManualClock},
    schedule,
};
use chrono::{DateTime, Duration as Days, TimeZone, Utc};
use serde_json::{Value, json};

use super::common::{
    TestServer, assert_body_snapshot, assert_code, assert_no_errors,
    clock::clocked,
    knowledge::topic,
    outbox::{events_of, until_events},
};

const CARD_FIELDS: &str = "id front back difficulty easeFactor intervalDays repetitions nextReviewAt due lastReviewedAt reviewCount lapses topic { name }";

fn create_mutation() -> String {
    format!(
        "mutation($i: CreateFlashcardInput!) {{ createFlashcard(input: $i) {{ {CARD_FIELDS} }} }}"
    )
}

fn review_mutation() -> String {
    format!(
        "mutation($i: ReviewFlashcardInput!) {{ reviewFlashcard(input: $i) {{ {CARD_FIELDS} }} }}"
    )
}

async fn a_topic(server: &TestServer) -> String {
    let tokens = server.role_tokens().await;
    topic(server, &tokens.moderator, "Optics", None).await["id"]
        .as_str()
        .expect("topic id")
        .to_owned()
}

async fn create(server: &TestServer, token: &str, topic: &str, front: &str) -> Value {
    let body = server
        .gql_as(
            token,
            &create_mutation(),
            json!({ "i": { "topicId": topic, "front": front, "back": "the answer" } }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["createFlashcard"].clone()
}

async fn review(server: &TestServer, token: &str, card: &str, quality: i32) -> Value {
    server
        .gql_as(
            token,
            &review_mutation(),
            json!({ "i": { "flashcardId": card, "quality": quality } }),
        )
        .await
}

async fn reviewed(server: &TestServer, token: &str, card: &str, quality: i32) -> Value {
    let body = review(server, token, card, quality).await;
    assert_no_errors(&body);
    body["data"]["reviewFlashcard"].clone()
}

fn at(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .expect("timestamp")
        .parse()
        .expect("RFC 3339")
}

#[tokio::test]
async fn flashcards_follow_sm2() {
    let (server, clock) = clocked().await;
    let topic = a_topic(&server).await;
    let ann = server.register_token("ann@example.org").await;

    let card = create(&server, &ann, &topic, "What bends light in a lens?").await;
    // Due at once, ease 2.5, interval 0, NORMAL, in "Optics".
    assert_body_snapshot!("flashcards_follow_sm2-card", card);
    let id = card["id"].as_str().expect("id").to_owned();
    let count = server
        .gql_as(&ann, "{ dueFlashcardCount }", json!({}))
        .await;
    assert_eq!(count["data"]["dueFlashcardCount"], 1);

    // 4: one day, ease kept. Reviewing again before it is due is a conflict.
    let first = reviewed(&server, &ann, &id, 4).await;
    assert_eq!(
        (&first["intervalDays"], &first["repetitions"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(first["easeFactor"], 2.5);
    assert_eq!(first["due"], false);
    assert_eq!(at(&first["nextReviewAt"]), clock.now() + Days::days(1));
    let early = review(&server, &ann, &id, 5).await;
    assert_code!(early, "CONFLICT", "{early}");
    // 5 a day later: six days, ease up 0.1.
    clock.advance(Days::days(1));
    let second = reviewed(&server, &ann, &id, 5).await;
    assert_eq!(
        (&second["intervalDays"], &second["easeFactor"]),
        (&json!(6), &json!(2.6))
    );
    // 3 six days later: round(6 × 2.6) = 16 days, ease down 0.14.
    clock.advance(Days::days(6));
    let third = reviewed(&server, &ann, &id, 3).await;
    assert_eq!(
        (&third["intervalDays"], &third["easeFactor"]),
        (&json!(16), &json!(2.46))
    );
    // 1 sixteen days later: forgotten, back to one day, ease down 0.54, one lapse.
    clock.advance(Days::days(16));
    let fourth = reviewed(&server, &ann, &id, 1).await;
    assert_eq!(
        (
            &fourth["intervalDays"],
            &fourth["repetitions"],
            &fourth["lapses"]
        ),
        (&json!(1), &json!(0), &json!(1))
    );
    assert_eq!(fourth["easeFactor"], 1.92);
    assert_eq!(fourth["reviewCount"], 4);
    assert_eq!(at(&fourth["lastReviewedAt"]), clock.now());
}

/// The points of the user's recent awards for `rule`, once the outbox has delivered everything.
async fn award_points(server: &TestServer, token: &str, rule: &str) -> Vec<i64> {
    server.wait_for_outbox().await;
    let progress = server
        .gql_as(
            token,
            "{ myProgress { recentAwards { rule points } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&progress);
    let awards = progress["data"]["myProgress"]["recentAwards"]
        .as_array()
        .expect("awards")
        .clone();
    awards
        .iter()
        .filter(|a| a["rule"] == rule)
        .map(|a| a["points"].as_i64().unwrap_or(0))
        .collect()
}

/// One card of `topic` reviewed four times, as in `flashcards_follow_sm2`: 4 on the day it was
/// made, then 5, 3 and 1 on later days.
async fn four_reviews(server: &TestServer, clock: &ManualClock, token: &str, topic: &str) {
    let card = create(server, token, topic, "What bends light in a lens?").await;
    let id = card["id"].as_str().expect("id").to_owned();
    reviewed(server, token, &id, 4).await;
    for (days, quality) in [(1, 5), (6, 3), (16, 1)] {
        clock.advance(Days::days(days));
        reviewed(server, token, &id, quality).await;
    }
}

#[tokio::test]
async fn reviews_on_later_days_earn_ten_points_each() {
    let (server, clock) = clocked().await;
    let platform = server.state.platform.clone();
    let topic = a_topic(&server).await;
    let ann = server.register_token("ann@example.org").await;
    four_reviews(&server, &clock, &ann, &topic).await;

    // Each review on a later day than the card was made is one FLASHCARD_REVIEWED, worth 10
    // points; the first, on the day it was made, earns nothing.
    let events = events_of(&platform, "FLASHCARD_REVIEWED").await;
    let qualities: Vec<&Value> = events.iter().map(|e| &e.payload["quality"]).collect();
    assert_eq!(qualities, [&json!(5), &json!(3), &json!(1)]);
    assert_eq!(
        award_points(&server, &ann, "FLASHCARD_REVIEWED").await,
        [10, 10, 10]
    );
}

#[tokio::test]
async fn a_topic_completed_twice_counts_and_earns_points_once() {
    let (server, clock) = clocked().await;
    let platform = server.state.platform.clone();
    let topic = a_topic(&server).await;
    let ann = server.register_token("ann@example.org").await;
    // Completing needs two passing reviews on a later day than the card was made.
    four_reviews(&server, &clock, &ann, &topic).await;
    const COMPLETE: &str =
        "mutation($t: ID!) { completeTopic(topicId: $t) { firstTime completedAt topic { name } } }";
    let done = server.gql_as(&ann, COMPLETE, json!({ "t": topic })).await;
    assert_no_errors(&done);
    assert_eq!(done["data"]["completeTopic"]["firstTime"], true);
    let again = server.gql_as(&ann, COMPLETE, json!({ "t": topic })).await;
    assert_eq!(again["data"]["completeTopic"]["firstTime"], false);
    assert_eq!(
        again["data"]["completeTopic"]["completedAt"],
        done["data"]["completeTopic"]["completedAt"]
    );
    assert_eq!(events_of(&platform, "TOPIC_COMPLETED").await.len(), 1);
    let completed = server
        .gql_as(
            &ann,
            "{ myCompletedTopics(first: 5) { edges { node { topic { name } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        completed["data"]["myCompletedTopics"]["edges"][0]["node"]["topic"]["name"],
        "Optics"
    );
    assert_eq!(award_points(&server, &ann, "TOPIC_COMPLETED").await, [50]);
}

#[tokio::test]
async fn the_study_queue_pages_by_due_time_and_edits_keep_the_schedule() {
    let (server, clock) = clocked().await;
    let topic = a_topic(&server).await;
    let ann = server.register_token("ann@example.org").await;
    let mut ids = Vec::new();
    for front in ["one", "two", "three"] {
        ids.push(
            create(&server, &ann, &topic, front).await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
        clock.advance(Days::minutes(1));
    }
    reviewed(&server, &ann, &ids[0], 5).await;
    const QUEUE: &str = "query($due: Boolean, $after: String) { myFlashcards(dueOnly: $due, first: 2, after: $after) { edges { node { front } } pageInfo { hasNextPage endCursor } } }";
    let page = server.gql_as(&ann, QUEUE, json!({ "due": false })).await;
    assert_no_errors(&page);
    let fronts = |page: &Value| -> Vec<String> {
        page["data"]["myFlashcards"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["front"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // Soonest due first: the reviewed card is due tomorrow, so it comes last.
    assert_eq!(fronts(&page), ["two", "three"]);
    assert_eq!(
        page["data"]["myFlashcards"]["pageInfo"]["hasNextPage"],
        true
    );
    let cursor = page["data"]["myFlashcards"]["pageInfo"]["endCursor"].clone();
    let rest = server
        .gql_as(&ann, QUEUE, json!({ "due": false, "after": cursor }))
        .await;
    assert_eq!(fronts(&rest), ["one"]);
    assert_eq!(
        rest["data"]["myFlashcards"]["pageInfo"]["hasNextPage"],
        false
    );
    let due = server.gql_as(&ann, QUEUE, json!({ "due": true })).await;
    assert_eq!(fronts(&due), ["two", "three"]);
    assert_eq!(
        due["data"]["myFlashcards"]["pageInfo"]["hasNextPage"],
        false
    );

    // An edit changes the text, not the schedule.
    let edited = server
        .gql_as(
            &ann,
            "mutation($id: ID!) { updateFlashcard(id: $id, input: { front: \" uno \", difficulty: HARD }) { front difficulty intervalDays repetitions } }",
            json!({ "id": ids[0] }),
        )
        .await;
    assert_no_errors(&edited);
    assert_eq!(
        edited["data"]["updateFlashcard"],
        json!({ "front": "uno", "difficulty": "HARD", "intervalDays": 1, "repetitions": 1 })
    );
    let deleted = server
        .gql_as(
            &ann,
            "mutation($id: ID!) { deleteFlashcard(id: $id) }",
            json!({ "id": ids[1] }),
        )
        .await;
    assert_eq!(deleted["data"]["deleteFlashcard"], ids[1]);
    let count = server
        .gql_as(&ann, "{ dueFlashcardCount }", json!({}))
        .await;
    assert_eq!(count["data"]["dueFlashcardCount"], 1);
}

#[tokio::test]
async fn bad_input_and_other_learners_cards_are_refused_clearly() {
    let (server, _clock) = clocked().await;
    let topic = a_topic(&server).await;
    let ann = server.register_token("ann@example.org").await;
    let bob = server.register_token("bob@example.org").await;
    let create = create_mutation();

    let anonymous = server
        .gql(
            &create,
            json!({ "i": { "topicId": topic, "front": "f", "back": "b" } }),
        )
        .await;
    assert_code!(anonymous, "UNAUTHENTICATED");
    assert_body_snapshot!(
        "bad_input_and_other_learners_cards_are_refused_clearly-anonymous",
        anonymous
    );
    let unknown_topic = agora_platform::ids::encode("Topic", uuid::Uuid::now_v7()).to_string();
    for (input, field) in [
        (
            json!({ "topicId": topic, "front": "   ", "back": "b" }),
            "input.front",
        ),
        (
            json!({ "topicId": topic, "front": "f", "back": "b".repeat(2_001) }),
            "input.back",
        ),
        (
            json!({ "topicId": unknown_topic, "front": "f", "back": "b" }),
            "input.topicId",
        ),
        (
            json!({ "topicId": "not-an-id", "front": "f", "back": "b" }),
            "input.topicId",
        ),
    ] {
        let body = server.gql_as(&ann, &create, json!({ "i": input })).await;
        assert_code!(body, "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let card = self::create(&server, &ann, &topic, "mine").await;
    let id = card["id"].as_str().expect("id");
    for quality in [-1, 6] {
        let body = review(&server, &ann, id, quality).await;
        assert_code!(body, "BAD_USER_INPUT", "{body}");
    }
    // Bob cannot see, review, edit or delete Ann's card; to him it does not exist.
    let seen = server
        .gql_as(
            &bob,
            "query($id: ID!) { flashcard(id: $id) { front } }",
            json!({ "id": id }),
        )
        .await;
    assert_no_errors(&seen);
    assert!(seen["data"]["flashcard"].is_null());
    assert_code!(review(&server, &bob, id, 5).await, "NOT_FOUND");
    const NODE: &str =
        "query($id: ID!) { node(id: $id) { __typename ... on Flashcard { front } } }";
    let node = server.gql_as(&bob, NODE, json!({ "id": id })).await;
    assert_no_errors(&node);
    assert!(node["data"]["node"].is_null(), "{node}");
    let node = server.gql_as(&ann, NODE, json!({ "id": id })).await;
    assert_eq!(
        node["data"]["node"],
        json!({ "__typename": "Flashcard", "front": "mine" })
    );
    let edit = server
        .gql_as(
            &bob,
            "mutation($id: ID!) { updateFlashcard(id: $id, input: { front: \"x\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_code!(edit, "NOT_FOUND");
    assert_body_snapshot!(
        "bad_input_and_other_learners_cards_are_refused_clearly-edit",
        edit
    );
    let delete = server
        .gql_as(
            &bob,
            "mutation($id: ID!) { deleteFlashcard(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_code!(delete, "NOT_FOUND");
    assert_body_snapshot!(
        "bad_input_and_other_learners_cards_are_refused_clearly-delete",
        delete
    );
    let his = server
        .gql_as(
            &bob,
            "{ myFlashcards { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(his["data"]["myFlashcards"]["edges"], json!([]));
    let complete = server
        .gql_as(
            &ann,
            "mutation($t: ID!) { completeTopic(topicId: $t) { firstTime } }",
            json!({ "t": unknown_topic }),
        )
        .await;
    assert_code!(complete, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "bad_input_and_other_learners_cards_are_refused_clearly-complete",
        complete
    );
    // Ann's card is untouched.
    let mine = server
        .gql_as(
            &ann,
            "query($id: ID!) { flashcard(id: $id) { front reviewCount } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        mine["data"]["flashcard"],
        json!({ "front": "mine", "reviewCount": 0 })
    );
}

#[tokio::test]
async fn the_morning_reminder_counts_cards_due_today_once_in_each_zone() {
    let (server, clock) = clocked().await;
    let platform = server.state.platform.clone();
    let topic = a_topic(&server).await;
    let ann = server.register_token("ann@example.org").await;
    let fay = server.register_token("fay@example.org").await;
    assert_no_errors(
        &server
            .gql_as(
                &fay,
                "mutation { updateProfile(input: { timeZone: \"Asia/Tokyo\" }) { id } }",
                json!({}),
            )
            .await,
    );
    // Monday 10:00 UTC: Ann makes two cards and reviews one (due Tuesday 10:00); Fay makes one.
    let first = create(&server, &ann, &topic, "a").await;
    create(&server, &ann, &topic, "b").await;
    reviewed(&server, &ann, first["id"].as_str().expect("id"), 4).await;
    create(&server, &fay, &topic, "c").await;
    let jobs = agora_schema::scheduled_jobs();

    // Tuesday 09:30 UTC: Ann's morning. Both her cards are due before her midnight (one since
    // Monday, one at 10:00); in Tokyo it is 18:30.
    clock.set(Utc.with_ymd_and_hms(2026, 3, 3, 9, 30, 0).unwrap());
    schedule::tick(&platform, &jobs).await;
    assert!(
        schedule::tick(&platform, &jobs).await.is_empty(),
        "once per hour"
    );
    let due = until_events(&platform, "FLASHCARDS_DUE", 1).await;
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0].payload["dueCount"], 2);
    assert_eq!(due[0].payload["localDate"], "2026-03-03");
    // Wednesday 00:30 UTC is 09:30 in Tokyo: Fay's morning, her one card.
    clock.set(Utc.with_ymd_and_hms(2026, 3, 4, 0, 30, 0).unwrap());
    schedule::tick(&platform, &jobs).await;
    let due = until_events(&platform, "FLASHCARDS_DUE", 2).await;
    assert_eq!(due.len(), 2, "{due:?}");
    assert_eq!(due[1].payload["dueCount"], 1);
    assert_ne!(due[0].payload["userId"], due[1].payload["userId"]);
    // Ann's feed says so.
    server.wait_for_outbox().await;
    let feed = server
        .gql_as(
            &ann,
            "{ notifications(first: 10) { edges { node { kind title } } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&feed);
    let titles: Vec<&Value> = feed["data"]["notifications"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["node"]["kind"] == "FLASHCARDS_DUE")
        .map(|e| &e["node"]["title"])
        .collect();
    assert_eq!(titles, [&json!("2 flashcards due for review")]);
}

#[tokio::test]
async fn concurrent_reviews_of_one_card_count_once() {
    let (server, clock) = clocked().await;
    let platform = server.state.platform.clone();
    let topic = a_topic(&server).await;
    let ann = server.register_token("ann@example.org").await;
    let card = create(&server, &ann, &topic, "race").await;
    let id = card["id"].as_str().expect("id").to_owned();
    // A day later, so the review earns.
    clock.advance(Days::days(1));
    let answers = futures::future::join_all((0..8).map(|_| review(&server, &ann, &id, 5))).await;
    let won = answers.iter().filter(|a| a["errors"].is_null()).count();
    assert_eq!(won, 1, "{answers:?}");
    for lost in answers.iter().filter(|a| !a["errors"].is_null()) {
        assert_code!(lost, "CONFLICT", "{lost}");
    }
    assert_eq!(events_of(&platform, "FLASHCARD_REVIEWED").await.len(), 1);
    let mine = server
        .gql_as(
            &ann,
            "query($id: ID!) { flashcard(id: $id) { reviewCount repetitions } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        mine["data"]["flashcard"],
        json!({ "reviewCount": 1, "repetitions": 1 })
    );
}

#[tokio::test]
async fn creating_reviewing_and_deleting_cards_earns_nothing() {
    let (server, clock) = clocked().await;
    let platform = server.state.platform.clone();
    let topic = a_topic(&server).await;
    let ann = server.register_token("ann@example.org").await;
    for i in 0..5 {
        let card = create(&server, &ann, &topic, &format!("farm {i}")).await;
        let id = card["id"].as_str().expect("id").to_owned();
        reviewed(&server, &ann, &id, 5).await;
        let deleted = server
            .gql_as(
                &ann,
                "mutation($id: ID!) { deleteFlashcard(id: $id) }",
                json!({ "id": id }),
            )
            .await;
        assert_no_errors(&deleted);
    }
    assert!(events_of(&platform, "FLASHCARD_REVIEWED").await.is_empty());
    // Nor does completing a topic without having studied it.
    const COMPLETE: &str = "mutation($t: ID!) { completeTopic(topicId: $t) { firstTime } }";
    let refused = server.gql_as(&ann, COMPLETE, json!({ "t": topic })).await;
    assert_code!(refused, "BAD_USER_INPUT", "{refused}");
    assert!(events_of(&platform, "TOPIC_COMPLETED").await.is_empty());
    // Studied over two days, it completes.
    let card = create(&server, &ann, &topic, "studied").await;
    let id = card["id"].as_str().expect("id").to_owned();
    clock.advance(Days::days(1));
    reviewed(&server, &ann, &id, 4).await;
    clock.advance(Days::days(1));
    reviewed(&server, &ann, &id, 4).await;
    let done = server.gql_as(&ann, COMPLETE, json!({ "t": topic })).await;
    assert_eq!(done["data"]["completeTopic"]["firstTime"], true, "{done}");
    assert_eq!(events_of(&platform, "FLASHCARD_REVIEWED").await.len(), 2);
}

#[tokio::test]
async fn cards_are_tagged_filtered_by_tag_and_bad_tags_are_refused() {
    let server = TestServer::start().await;
    let topic = a_topic(&server).await;
    let token = server.register_token("tagger@example.org").await;
    let tagged = |front: &str, tags: Value| json!({ "i": { "topicId": topic, "front": front, "back": "b", "tags": tags } });
    let create = "mutation($i: CreateFlashcardInput!) { createFlashcard(input: $i) { id tags } }";
    let body = server
        .gql_as(
            &token,
            create,
            tagged("Lens", json!(["Optics", "exam", "optics", "geo::uk"])),
        )
        .await;
    assert_no_errors(&body);
    // Lower-cased, duplicates dropped, in the order given.
    assert_eq!(
        body["data"]["createFlashcard"]["tags"],
        json!(["optics", "exam", "geo::uk"])
    );
    let lens = body["data"]["createFlashcard"]["id"].clone();
    let body = server
        .gql_as(&token, create, tagged("Prism", json!(["exam"])))
        .await;
    assert_no_errors(&body);
    let body = server
        .gql_as(&token, create, tagged("Mirror", json!([])))
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["createFlashcard"]["tags"], json!([]));

    let by_tag = |tag: &str| {
        let tag = tag.to_owned();
        let server = &server;
        let token = token.clone();
        async move {
            let body = server
                .gql_as(
                    &token,
                    "query($t: String) { myFlashcards(first: 10, tag: $t) { edges { node { front } } } }",
                    json!({ "t": tag }),
                )
                .await;
            assert_no_errors(&body);
            let mut fronts: Vec<String> = body["data"]["myFlashcards"]["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"]["front"].as_str().unwrap_or_default().to_owned())
                .collect();
            fronts.sort();
            fronts
        }
    };
    assert_eq!(by_tag("EXAM").await, vec!["Lens", "Prism"]);
    assert_eq!(by_tag("optics").await, vec!["Lens"]);
    assert_eq!(by_tag("geo::uk").await, vec!["Lens"]);
    // A tag is matched whole: neither a prefix nor LIKE's wildcards match.
    assert!(by_tag("opt").await.is_empty());
    assert!(by_tag("%").await.is_empty());
    assert!(by_tag("ex_m").await.is_empty());

    // Updating replaces the tags; [] removes them.
    let update = "mutation($id: ID!, $t: [String!]) { updateFlashcard(id: $id, input: { tags: $t }) { tags } }";
    let body = server
        .gql_as(&token, update, json!({ "id": lens, "t": ["review"] }))
        .await;
    assert_eq!(
        body["data"]["updateFlashcard"]["tags"],
        json!(["review"]),
        "{body}"
    );
    assert_eq!(by_tag("exam").await, vec!["Prism"]);

    // Bad tags: one BAD_USER_INPUT on the field, nothing stored.
    for bad in [
        json!(["two words"]),
        json!([""]),
        json!(["x".repeat(41)]),
        json!((0..11).map(|i| format!("t{i}")).collect::<Vec<_>>()),
    ] {
        let body = server
            .gql_as(&token, create, tagged("Bad", bad.clone()))
            .await;
        assert_code!(body, "BAD_USER_INPUT", "{bad}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], "input.tags",
            "{bad}"
        );
        let body = server
            .gql_as(&token, update, json!({ "id": lens, "t": bad }))
            .await;
        assert_eq!(body["errors"][0]["extensions"]["field"], "input.tags");
    }
    let blank = server
        .gql_as(
            &token,
            "{ myFlashcards(first: 1, tag: \" \") { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_code!(blank, "BAD_USER_INPUT");
    assert_eq!(by_tag("review").await, vec!["Lens"]);
    let all = server
        .gql_as(
            &token,
            "{ myFlashcards(first: 10) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        all["data"]["myFlashcards"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}
