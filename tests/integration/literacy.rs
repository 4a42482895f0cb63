//! Literacy end to end: the graded levels seeded from the Dolch lists, practice scored by
//! phonemes (the documented pairs), mastery once per word through the outbox, locked levels,
//! mock tests (80% gate, draw, pass and unlock, fail and cool-down, expiry), feedback and
//! recommendations, progress with the practice streak, `analyzeWord`, picture cards, the live
//! progress subscription, and bad input refused with clear codes.

use std::time::Duration;

use agora_platform::clock::Clock;
use chrono::Duration as Span;
use serde_json::{Value, json};

use super::common::{
    TestServer, assert_code, assert_no_errors,
    clock::clocked,
    outbox::events_of,
    users::user,
    ws::{self, Incoming},
};

const LEVELS: &str = "{ literacyLevels { id number title wordCount unlocked words(first: 100) { edges { node { id text phonemes ipa syllables synonyms definition difficulty } } } } }";

const PRACTICE: &str = "mutation($w: ID!, $t: String!, $d: Int!) { practiceWord(wordId: $w, transcript: $t, durationMs: $d) { similarity passed tip attempt mastered newlyMastered heard mistakes { expected heard position kind } word { text } } }";

const PROGRESS: &str = "{ literacyProgress { unlockedLevel wordsMastered totalAttempts averageSimilarity timeSpentMs practiceStreak longestPracticeStreak mockTestAttempts currentLevel { number } levels { level { number } unlocked wordCount wordsMastered percentMastered wordsToMockTest attempts averageSimilarity averageTimeToMasterMs mockTestAttempts bestMockTestScore passed } } }";

const TEST_FIELDS: &str = "id status score correct level { number } words { word { id text } answered similarity passed }";

/// Seeds the levels on `server`; returns them as the API lists them.
async fn levels(server: &TestServer) -> Vec<Value> {
    agora_literacy::api::seed_levels(&server.state.platform)
        .await
        .expect("seed levels");
    let body = server.gql(LEVELS, json!({})).await;
    assert_no_errors(&body);
    body["data"]["literacyLevels"]
        .as_array()
        .expect("levels")
        .clone()
}

/// The `(id, text)` of every word of `level`.
fn words(level: &Value) -> Vec<(String, String)> {
    level["words"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            (
                e["node"]["id"].as_str().expect("id").to_owned(),
                e["node"]["text"].as_str().expect("text").to_owned(),
            )
        })
        .collect()
}

fn id_of<'a>(words: &'a [(String, String)], text: &str) -> &'a str {
    &words.iter().find(|(_, t)| t == text).expect(text).0
}

async fn practice(server: &TestServer, token: &str, word: &str, transcript: &str) -> Value {
    server
        .gql_as(
            token,
            PRACTICE,
            json!({ "w": word, "t": transcript, "d": 900 }),
        )
        .await
}

async fn practised(server: &TestServer, token: &str, word: &str, transcript: &str) -> Value {
    let body = practice(server, token, word, transcript).await;
    assert_no_errors(&body);
    body["data"]["practiceWord"].clone()
}

async fn progress(server: &TestServer, token: &str) -> Value {
    let body = server.gql_as(token, PROGRESS, json!({})).await;
    assert_no_errors(&body);
    body["data"]["literacyProgress"].clone()
}

#[tokio::test]
async fn the_levels_are_the_graded_lists_with_sounds_syllables_and_meanings() {
    let server = TestServer::start().await;
    let levels = levels(&server).await;
    let counts: Vec<i64> = levels
        .iter()
        .map(|l| l["wordCount"].as_i64().expect("count"))
        .collect();
    assert_eq!(counts, [40, 52, 41, 46, 41, 40]);
    assert_eq!(levels[0]["title"], "Pre-primer");
    assert_eq!(levels[0]["unlocked"], true, "level 1 is open to everyone");
    assert_eq!(levels[1]["unlocked"], false);
    let yellow = levels
        .iter()
        .flat_map(|l| l["words"]["edges"].as_array().expect("edges").clone())
        .map(|e| e["node"].clone())
        .find(|w| w["text"] == "yellow")
        .expect("yellow");
    assert_eq!(yellow["phonemes"], json!(["Y", "EH1", "L", "OW0"]));
    assert_eq!(yellow["ipa"], json!(["j", "ɛ", "l", "oʊ"]));
    assert_eq!(yellow["syllables"], json!(["yel", "low"]));
    assert!(
        yellow["definition"].as_str().is_some_and(|d| !d.is_empty()),
        "{yellow}"
    );
    // The sixth level is harder by the model's measure than the first.
    let mean = |level: &Value| {
        let d: Vec<f64> = level["words"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["difficulty"].as_f64().expect("difficulty"))
            .collect();
        d.iter().sum::<f64>() / d.len() as f64
    };
    assert!(mean(&levels[5]) > mean(&levels[0]) + 30.0);
    // Levels and words refetch through `node(id:)`.
    let word_id = levels[0]["words"]["edges"][0]["node"]["id"].clone();
    let nodes = server
        .gql(
            "query($l: ID!, $w: ID!) { l: node(id: $l) { ... on Level { number } } w: node(id: $w) { ... on Word { text } } }",
            json!({ "l": levels[2]["id"], "w": word_id }),
        )
        .await;
    assert_no_errors(&nodes);
    assert_eq!(nodes["data"]["l"]["number"], 3);
    assert_eq!(
        nodes["data"]["w"]["text"],
        levels[0]["words"]["edges"][0]["node"]["text"]
    );
    // Seeding again creates nothing.
    let again = agora_literacy::api::seed_levels(&server.state.platform)
        .await
        .expect("seed again");
    assert_eq!(again, 0);
    // A page of words with a cursor.
    let first = server
        .gql(
            "query($id: ID!) { literacyLevel(id: $id) { words(first: 2) { edges { cursor node { text } } pageInfo { hasNextPage } } } }",
            json!({ "id": levels[0]["id"] }),
        )
        .await;
    assert_no_errors(&first);
    let page = &first["data"]["literacyLevel"]["words"];
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let after = page["edges"][1]["cursor"].clone();
    let next = server
        .gql(
            "query($id: ID!, $a: String) { literacyLevel(id: $id) { words(first: 2, after: $a) { edges { node { text } } } } }",
            json!({ "id": levels[0]["id"], "a": after }),
        )
        .await;
    assert_no_errors(&next);
    assert_eq!(
        next["data"]["literacyLevel"]["words"]["edges"][0]["node"]["text"],
        levels[0]["words"]["edges"][2]["node"]["text"]
    );
}

/// The documented pairs on the transcript path (docs/literacy.md), and mastery: a pass
/// masters the word once (one `WORD_MASTERED`), later tries only count.
#[tokio::test]
async fn practice_scores_by_phonemes_and_masters_a_word_once() {
    let server = TestServer::start().await;
    let levels = levels(&server).await;
    let first = words(&levels[0]);
    let ada = user(&server, "ada@example.org", "Ada").await;
    let big = id_of(&first, "big");

    let exact = practised(&server, &ada.token, big, "big").await;
    assert_eq!(exact["similarity"], 100);
    assert_eq!(exact["passed"], true);
    assert_eq!(exact["newlyMastered"], true);
    assert_eq!(exact["attempt"], 1);
    assert_eq!(exact["mistakes"], json!([]));
    assert_eq!(exact["heard"], json!(["B", "IH", "G"]));

    // One sound off by voicing only (b → p): a small cost, still a pass.
    let voicing = practised(&server, &ada.token, big, "pig").await;
    assert_eq!(voicing["similarity"], 90, "{voicing}");
    assert_eq!(voicing["passed"], true);
    assert_eq!(voicing["newlyMastered"], false);
    assert_eq!(voicing["mastered"], true);
    assert_eq!(voicing["attempt"], 2);
    assert_eq!(
        voicing["mistakes"],
        json!([{ "expected": "B", "heard": "P", "position": 0, "kind": "SUBSTITUTION" }])
    );
    assert!(voicing["tip"].as_str().is_some_and(|t| !t.is_empty()));

    // The classic reversal b ↔ d.
    let reversal = practised(&server, &ada.token, big, "dig").await;
    assert_eq!(reversal["similarity"], 83, "{reversal}");

    // A homophone scores as the word itself.
    let two = id_of(&first, "two");
    let homophone = practised(&server, &ada.token, two, "too").await;
    assert_eq!(homophone["similarity"], 100, "{homophone}");

    // Something else entirely fails, with its mistakes and a tip.
    let unrelated = practised(&server, &ada.token, id_of(&first, "blue"), "elephant").await;
    assert!(
        unrelated["similarity"].as_i64().expect("similarity") < 30,
        "{unrelated}"
    );
    assert_eq!(unrelated["passed"], false);
    assert_eq!(unrelated["newlyMastered"], false);
    assert!(
        !unrelated["mistakes"]
            .as_array()
            .expect("mistakes")
            .is_empty()
    );

    server.wait_for_outbox().await;
    let mastered = events_of(&server.state.platform, "WORD_MASTERED").await;
    assert_eq!(mastered.len(), 2, "big and two, once each");
    let stats = progress(&server, &ada.token).await;
    assert_eq!(stats["wordsMastered"], 2);
    assert_eq!(stats["totalAttempts"], 5);
    assert_eq!(stats["levels"][0]["wordsMastered"], 2);
    assert_eq!(stats["levels"][0]["wordsToMockTest"], 30);
    assert_eq!(stats["practiceStreak"], 1);
    // The per-word record.
    let record = server
        .gql_as(
            &ada.token,
            "query($id: ID!) { word(id: $id) { viewerProgress { attempts bestSimilarity mastered attemptsToMaster timeSpentMs } } }",
            json!({ "id": big }),
        )
        .await;
    assert_no_errors(&record);
    assert_eq!(
        record["data"]["word"]["viewerProgress"],
        json!({ "attempts": 3, "bestSimilarity": 100, "mastered": true, "attemptsToMaster": 1, "timeSpentMs": 2700.0 })
    );
}

#[tokio::test]
async fn locked_levels_and_bad_input_are_refused_with_clear_codes() {
    let server = TestServer::start().await;
    let levels = levels(&server).await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    let big = id_of(&words(&levels[0]), "big").to_owned();
    let locked = words(&levels[1])[0].0.clone();

    let body = practice(&server, &ada.token, &locked, "all").await;
    assert_code!(body, "FORBIDDEN");
    let body = server
        .gql_as(
            &ada.token,
            "mutation($l: ID!) { chooseLevel(levelId: $l) { currentLevel { number } } }",
            json!({ "l": levels[1]["id"] }),
        )
        .await;
    assert_code!(body, "FORBIDDEN");
    let body = server
        .gql_as(
            &ada.token,
            "mutation($l: ID!) { startMockTest(levelId: $l) { id } }",
            json!({ "l": levels[1]["id"] }),
        )
        .await;
    assert_code!(body, "FORBIDDEN");

    for (transcript, duration, field) in [
        ("   ", 500, "transcript"),
        ("123 !!", 500, "transcript"),
        ("big", -5, "durationMs"),
        ("big", 60_001, "durationMs"),
    ] {
        let body = server
            .gql_as(
                &ada.token,
                PRACTICE,
                json!({ "w": big, "t": transcript, "d": duration }),
            )
            .await;
        assert_code!(body, "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let long = "big ".repeat(60);
    let body = practice(&server, &ada.token, &big, &long).await;
    assert_code!(body, "BAD_USER_INPUT");
    // A level id where a word id belongs, and a word that does not exist.
    let body = practice(
        &server,
        &ada.token,
        levels[0]["id"].as_str().expect("id"),
        "big",
    )
    .await;
    assert_code!(body, "BAD_USER_INPUT");
    let missing = agora_platform::ids::encode("Word", uuid::Uuid::now_v7());
    let body = practice(&server, &ada.token, &missing, "big").await;
    assert_code!(body, "NOT_FOUND");
    // Signed out.
    let body = server
        .gql(PRACTICE, json!({ "w": big, "t": "big", "d": 100 }))
        .await;
    assert_code!(body, "UNAUTHENTICATED");
    let body = server.gql(PROGRESS, json!({})).await;
    assert_code!(body, "UNAUTHENTICATED");
    // Nothing was stored by the refused attempts.
    assert_eq!(progress(&server, &ada.token).await["totalAttempts"], 0);
}

/// Masters the first `n` words of `level` by saying each right.
async fn master(server: &TestServer, token: &str, level: &[(String, String)], n: usize) {
    for (id, text) in level.iter().take(n) {
        let result = practised(server, token, id, text).await;
        assert!(result["mastered"] == true, "{text}: {result}");
    }
}

/// The `(id, text)` of a test's words, in order.
fn words_of(test: &Value) -> Vec<(String, String)> {
    test["words"]
        .as_array()
        .expect("words")
        .iter()
        .map(|w| {
            (
                w["word"]["id"].as_str().expect("id").to_owned(),
                w["word"]["text"].as_str().expect("text").to_owned(),
            )
        })
        .collect()
}

async fn start_test(server: &TestServer, token: &str, level: &Value) -> Value {
    server
        .gql_as(
            token,
            &format!("mutation($l: ID!) {{ startMockTest(levelId: $l) {{ {TEST_FIELDS} }} }}"),
            json!({ "l": level["id"] }),
        )
        .await
}

async fn answer(server: &TestServer, token: &str, test: &Value, word: &str, said: &str) -> Value {
    server
        .gql_as(
            token,
            "mutation($t: ID!, $w: ID!, $s: String!) { submitMockTestAnswer(testId: $t, wordId: $w, transcript: $s, durationMs: 800) { similarity passed test { correct status } } }",
            json!({ "t": test["id"], "w": word, "s": said }),
        )
        .await
}

async fn finish(server: &TestServer, token: &str, test: &Value) -> Value {
    let body = server
        .gql_as(
            token,
            &format!("mutation($t: ID!) {{ finishMockTest(testId: $t) {{ {TEST_FIELDS} feedback {{ words {{ word {{ text }} similarity passed mistakes {{ expected heard }} }} confusions {{ expected expectedIpa heard heardIpa count }} recommendedWords {{ word {{ text }} score reasons }} }} }} }}"),
            json!({ "t": test["id"] }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["finishMockTest"].clone()
}

/// The whole mock-test workflow on a hand-moved clock: the 80% gate, a passing test that
/// unlocks level 2 (one `MOCK_TEST_PASSED`), a failing one with feedback and the cool-down,
/// an expired one, and the answers refused on the way.
#[tokio::test]
async fn mock_tests_gate_unlock_fail_cool_down_and_expire() {
    let (server, clock) = clocked().await;
    let levels = levels(&server).await;
    let first = words(&levels[0]);
    let ada = user(&server, "ada@example.org", "Ada").await;

    master(&server, &ada.token, &first, 31).await;
    let body = start_test(&server, &ada.token, &levels[0]).await;
    assert_code!(body, "FORBIDDEN");
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("master 1 more word"), "{message}");
    master(&server, &ada.token, &first[31..], 1).await;

    let body = start_test(&server, &ada.token, &levels[0]).await;
    assert_no_errors(&body);
    let test = body["data"]["startMockTest"].clone();
    assert_eq!(test["status"], "IN_PROGRESS");
    let drawn = words_of(&test);
    assert_eq!(drawn.len(), 10);
    let mut unique = drawn.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10, "ten different words");
    // Starting again returns the open test.
    let again = start_test(&server, &ada.token, &levels[0]).await;
    assert_eq!(again["data"]["startMockTest"]["id"], test["id"]);

    // A word outside the test, then every word right (one answered twice).
    let outside = first
        .iter()
        .find(|(id, _)| !drawn.iter().any(|(d, _)| d == id))
        .expect("a word outside the test");
    assert_code!(
        answer(&server, &ada.token, &test, &outside.0, &outside.1).await,
        "BAD_USER_INPUT"
    );
    for (id, text) in &drawn {
        let body = answer(&server, &ada.token, &test, id, text).await;
        assert_no_errors(&body);
    }
    assert_code!(
        answer(&server, &ada.token, &test, &drawn[0].0, &drawn[0].1).await,
        "CONFLICT"
    );
    // Someone else cannot see or answer it.
    let eve = user(&server, "eve@example.org", "Eve").await;
    assert_code!(
        answer(&server, &eve.token, &test, &drawn[1].0, &drawn[1].1).await,
        "NOT_FOUND"
    );

    let passed = finish(&server, &ada.token, &test).await;
    assert_eq!(passed["status"], "PASSED");
    assert_eq!(passed["score"], 100);
    let stats = progress(&server, &ada.token).await;
    assert_eq!(stats["unlockedLevel"], 2);
    assert_eq!(stats["levels"][0]["passed"], true);
    assert_eq!(stats["levels"][0]["bestMockTestScore"], 100);
    assert_eq!(stats["levels"][1]["unlocked"], true);
    server.wait_for_outbox().await;
    assert_eq!(
        events_of(&server.state.platform, "MOCK_TEST_PASSED")
            .await
            .len(),
        1
    );
    // Finishing twice is a conflict.
    let body = server
        .gql_as(
            &ada.token,
            "mutation($t: ID!) { finishMockTest(testId: $t) { id } }",
            json!({ "t": test["id"] }),
        )
        .await;
    assert_code!(body, "CONFLICT");

    // A failing test: every word said as something else; feedback names the confusions.
    let body = start_test(&server, &ada.token, &levels[0]).await;
    assert_no_errors(&body);
    let retake = body["data"]["startMockTest"].clone();
    for (id, _) in words_of(&retake).iter().take(5) {
        assert_no_errors(&answer(&server, &ada.token, &retake, id, "elephant").await);
    }
    let failed = finish(&server, &ada.token, &retake).await;
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["score"], 0);
    let feedback = &failed["feedback"];
    assert_eq!(feedback["words"].as_array().expect("words").len(), 10);
    assert!(
        !feedback["confusions"]
            .as_array()
            .expect("confusions")
            .is_empty()
    );
    let recommended = feedback["recommendedWords"]
        .as_array()
        .expect("recommended");
    assert_eq!(recommended.len(), 5);
    assert!(
        recommended
            .iter()
            .all(|r| !r["reasons"].as_array().expect("reasons").is_empty())
    );
    let sized = server
        .gql_as(
            &ada.token,
            "query($t: ID!) { mockTest(id: $t) { feedback { three: recommendedWords(first: 3) { score } } } }",
            json!({ "t": retake["id"] }),
        )
        .await;
    assert_no_errors(&sized);
    assert_eq!(
        sized["data"]["mockTest"]["feedback"]["three"]
            .as_array()
            .expect("three")
            .len(),
        3
    );
    let refused = server
        .gql_as(
            &ada.token,
            "query($t: ID!) { mockTest(id: $t) { feedback { recommendedWords(first: 21) { score } } } }",
            json!({ "t": retake["id"] }),
        )
        .await;
    assert_code!(refused, "BAD_USER_INPUT");
    // A pass of a level already passed emits nothing more.
    server.wait_for_outbox().await;
    assert_eq!(
        events_of(&server.state.platform, "MOCK_TEST_PASSED")
            .await
            .len(),
        1
    );

    // The cool-down: refused until it is over.
    let body = start_test(&server, &ada.token, &levels[0]).await;
    assert_code!(body, "FORBIDDEN");
    clock.advance(Span::minutes(11));
    let body = start_test(&server, &ada.token, &levels[0]).await;
    assert_no_errors(&body);
    let late = body["data"]["startMockTest"].clone();
    // It expires after 30 minutes: an answer then is a conflict and the test is EXPIRED.
    clock.advance(Span::minutes(31));
    let word = late["words"][0]["word"]["id"].as_str().expect("id");
    assert_code!(
        answer(&server, &ada.token, &late, word, "a").await,
        "CONFLICT"
    );
    let status = server
        .gql_as(
            &ada.token,
            "query($t: ID!) { mockTest(id: $t) { status score } }",
            json!({ "t": late["id"] }),
        )
        .await;
    assert_eq!(
        status["data"]["mockTest"],
        json!({ "status": "EXPIRED", "score": 0 })
    );
    assert_eq!(progress(&server, &ada.token).await["mockTestAttempts"], 3);
}

#[tokio::test]
async fn the_practice_streak_counts_days_in_the_learners_time_zone() {
    let (server, clock) = clocked().await;
    let levels = levels(&server).await;
    let first = words(&levels[0]);
    let ada = user(&server, "ada@example.org", "Ada").await;
    let (id, text) = &first[0];
    practised(&server, &ada.token, id, text).await;
    practised(&server, &ada.token, id, text).await;
    assert_eq!(progress(&server, &ada.token).await["practiceStreak"], 1);
    clock.advance(Span::days(1));
    practised(&server, &ada.token, id, text).await;
    assert_eq!(progress(&server, &ada.token).await["practiceStreak"], 2);
    clock.advance(Span::days(2));
    practised(&server, &ada.token, id, text).await;
    let stats = progress(&server, &ada.token).await;
    assert_eq!(stats["practiceStreak"], 1);
    assert_eq!(stats["longestPracticeStreak"], 2);
    assert!(clock.now() > super::common::clock::monday_morning());

    // Each new record day is one PRACTICE_STREAK_EXTENDED; seven in a row unlock PRACTICE_7
    // (and FIRST_WORD came with the first mastered word).
    for _ in 0..6 {
        clock.advance(Span::days(1));
        practised(&server, &ada.token, id, text).await;
    }
    assert_eq!(
        progress(&server, &ada.token).await["longestPracticeStreak"],
        7
    );
    server.wait_for_outbox().await;
    assert_eq!(
        events_of(&server.state.platform, "PRACTICE_STREAK_EXTENDED")
            .await
            .len(),
        7,
        "records 1, 2, then 3 to 7 after the gap"
    );
    let body = server
        .gql_as(
            &ada.token,
            "{ myProgress { achievements { achievement { key } unlockedAt progress } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&body);
    let achievements = body["data"]["myProgress"]["achievements"]
        .as_array()
        .expect("list");
    let of = |key: &str| {
        achievements
            .iter()
            .find(|a| a["achievement"]["key"] == key)
            .unwrap_or_else(|| panic!("{key} in {achievements:?}"))
            .clone()
    };
    assert_eq!(of("PRACTICE_7")["progress"], 7);
    assert!(of("PRACTICE_7")["unlockedAt"].is_string());
    assert!(of("FIRST_WORD")["unlockedAt"].is_string());
}

#[tokio::test]
async fn recommendations_rank_the_current_levels_words_with_reasons() {
    let server = TestServer::start().await;
    let levels = levels(&server).await;
    let first = words(&levels[0]);
    let ada = user(&server, "ada@example.org", "Ada").await;
    // Ada keeps saying /b/ as /d/.
    for _ in 0..3 {
        practised(&server, &ada.token, id_of(&first, "big"), "dig").await;
    }
    let body = server
        .gql_as(
            &ada.token,
            "{ recommendedWords(first: 5) { word { text } score reasons } }",
            json!({}),
        )
        .await;
    assert_no_errors(&body);
    let recommended = body["data"]["recommendedWords"].as_array().expect("list");
    assert_eq!(recommended.len(), 5);
    let scores: Vec<f64> = recommended
        .iter()
        .map(|r| r["score"].as_f64().expect("score"))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // The top words hold the sound Ada misses.
    let texts: Vec<&str> = recommended
        .iter()
        .map(|r| r["word"]["text"].as_str().expect("text"))
        .collect();
    assert!(texts.iter().take(3).any(|t| t.contains('b')), "{texts:?}");
    let body = server
        .gql_as(
            &ada.token,
            "{ recommendedWords(first: 0) { score } }",
            json!({}),
        )
        .await;
    assert_code!(body, "BAD_USER_INPUT");
}

#[tokio::test]
async fn analyze_word_explains_any_word_and_refuses_what_is_not_one() {
    let server = TestServer::start().await;
    let query = "query($t: String!) { analyzeWord(text: $t) { text isName syllables phonemes ipa inDictionary synonyms definition advice pictureUrl difficulty { score level percentile features { name value contribution } } } }";
    let body = server.gql(query, json!({ "t": "Knight" })).await;
    assert_no_errors(&body);
    let knight = &body["data"]["analyzeWord"];
    assert_eq!(knight["text"], "knight");
    assert_eq!(knight["phonemes"], json!(["N", "AY1", "T"]));
    assert_eq!(knight["inDictionary"], true);
    assert_eq!(knight["syllables"], json!(["knight"]));
    assert_eq!(
        knight["difficulty"]["features"]
            .as_array()
            .expect("features")
            .len(),
        7
    );
    assert!(!knight["advice"].as_array().expect("advice").is_empty());
    assert_eq!(knight["pictureUrl"], "/media/picture/knight.svg");

    let easy = server.gql(query, json!({ "t": "the" })).await;
    let hard = server.gql(query, json!({ "t": "psychology" })).await;
    let score = |b: &Value| {
        b["data"]["analyzeWord"]["difficulty"]["score"]
            .as_f64()
            .expect("score")
    };
    assert!(score(&hard) > score(&easy) + 50.0);

    let name = server.gql(query, json!({ "t": "Emma" })).await;
    assert_eq!(name["data"]["analyzeWord"]["isName"], true);
    let word = server.gql(query, json!({ "t": "table" })).await;
    assert_eq!(word["data"]["analyzeWord"]["isName"], false);
    // A made-up word: sounds from the letter-to-sound rules.
    let made_up = server.gql(query, json!({ "t": "blorft" })).await;
    assert_no_errors(&made_up);
    assert_eq!(made_up["data"]["analyzeWord"]["inDictionary"], false);
    assert!(
        !made_up["data"]["analyzeWord"]["phonemes"]
            .as_array()
            .expect("phonemes")
            .is_empty()
    );

    for text in ["", "   ", "h3llo", "two words", &"a".repeat(65), "'quote"] {
        let body = server.gql(query, json!({ "t": text })).await;
        assert_code!(body, "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], "text", "{text:?}");
    }
}

#[tokio::test]
async fn picture_cards_are_escaped_svg_and_bad_words_are_refused() {
    let server = TestServer::start().await;
    let card = server
        .http
        .get(server.url("/media/picture/dog.svg"))
        .send()
        .await
        .expect("GET");
    assert_eq!(card.status(), 200);
    assert_eq!(
        card.headers()["content-type"].to_str().expect("type"),
        "image/svg+xml; charset=utf-8"
    );
    assert!(card.headers().contains_key("content-security-policy"));
    let svg = card.text().await.expect("svg");
    assert!(
        svg.starts_with("<svg") && svg.contains("dog") && svg.contains('🐕'),
        "{svg}"
    );

    let name = server
        .http
        .get(server.url("/media/picture/Emma.svg"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("svg");
    assert!(name.contains("Emma") && name.contains("name"), "{name}");

    let hostile = server
        .http
        .get(server.url("/media/picture/%3Cscript%3E.svg"))
        .send()
        .await
        .expect("GET");
    assert_eq!(hostile.status(), 400);
    let body: Value = hostile.json().await.expect("json");
    assert_code!(body, "BAD_USER_INPUT");
    let wrong_kind = server
        .http
        .get(server.url("/media/picture/dog.png"))
        .send()
        .await
        .expect("GET");
    assert_eq!(wrong_kind.status(), 404);
}

#[tokio::test]
async fn progress_is_live_on_the_learners_own_subscription() {
    let server = TestServer::start().await;
    let levels = levels(&server).await;
    let first = words(&levels[0]);
    let ada = user(&server, "ada@example.org", "Ada").await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    let ack = ws::init_transport(
        &mut socket,
        json!({ "authorization": format!("Bearer {}", ada.token) }),
    )
    .await;
    assert!(matches!(&ack, Incoming::Json(v) if v["type"] == "connection_ack"));
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { literacyProgressChanged { wordsMastered totalAttempts } }" } }),
    )
    .await;
    let now = ws::next_json(&mut socket).await;
    assert_eq!(
        now["payload"]["data"]["literacyProgressChanged"],
        json!({ "wordsMastered": 0, "totalAttempts": 0 })
    );
    practised(&server, &ada.token, &first[0].0, &first[0].1).await;
    let after = ws::next_json(&mut socket).await;
    assert_eq!(
        after["payload"]["data"]["literacyProgressChanged"],
        json!({ "wordsMastered": 1, "totalAttempts": 1 })
    );
    // Another learner's practice does not reach this socket.
    let eve = user(&server, "eve@example.org", "Eve").await;
    practised(&server, &eve.token, &first[0].0, &first[0].1).await;
    assert!(
        ws::try_next(&mut socket, Duration::from_millis(300))
            .await
            .is_none()
    );
    // Signed out, the subscription is refused.
    let mut anonymous = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    ws::init_transport(&mut anonymous, json!({})).await;
    ws::send(
        &mut anonymous,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { literacyProgressChanged { wordsMastered } }" } }),
    )
    .await;
    let refused = ws::next_json(&mut anonymous).await;
    assert_code!(refused["payload"], "UNAUTHENTICATED");
}

/// Whether espeak-ng, ffmpeg and PocketSphinx are installed (else `SKIPPED`, or a failure
/// under `CI`, where `.ci/run` installs them).
fn engines_installed() -> bool {
    let found = |program: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
    };
    let installed = found("espeak-ng")
        && found("ffmpeg")
        && found("pocketsphinx_continuous")
        && std::path::Path::new("/usr/share/pocketsphinx/model/en-us/en-us-phone.lm.bin").is_file();
    if !installed {
        let message = "SKIPPED: apt-get install espeak-ng ffmpeg pocketsphinx pocketsphinx-en-us";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("{message}");
    }
    installed
}

/// `text` said by espeak-ng, converted by ffmpeg to `format` (`wav`, `webm`, `ogg`).
fn spoken(text: &str, format: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("dir");
    let wav = dir.path().join("said.wav");
    let status = std::process::Command::new("espeak-ng")
        .arg("-w")
        .arg(&wav)
        .args(["--", text])
        .status()
        .expect("espeak-ng");
    assert!(status.success());
    if format == "wav" {
        return std::fs::read(&wav).expect("wav");
    }
    let out = dir.path().join(format!("said.{format}"));
    let status = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(&wav)
        .arg(&out)
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    std::fs::read(&out).expect("converted")
}

async fn upload(
    server: &TestServer,
    token: Option<&str>,
    word: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = server
        .http
        .post(server.url(&format!("/media/practice/{word}")))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("POST");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn word_audio_is_synthesised_once_and_served_from_the_cache() {
    if !engines_installed() {
        return;
    }
    let server = TestServer::start().await;
    let levels = levels(&server).await;
    let two = id_of(&words(&levels[0]), "two").to_owned();
    let body = server
        .gql(
            "query($id: ID!) { word(id: $id) { audioUrl } }",
            json!({ "id": two }),
        )
        .await;
    let url = body["data"]["word"]["audioUrl"]
        .as_str()
        .expect("audioUrl")
        .to_owned();
    assert_eq!(url, format!("/media/tts/{two}.wav"));
    let get = |path: String| {
        let server = &server;
        async move {
            server
                .http
                .get(server.url(&path))
                .send()
                .await
                .expect("GET")
        }
    };
    let first = get(url.clone()).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "audio/wav");
    let first = first.bytes().await.expect("bytes");
    assert_eq!(&first[..4], b"RIFF");
    let cached: Vec<_> = std::fs::read_dir(server.media.path().join("tts"))
        .expect("cache dir")
        .collect();
    assert_eq!(cached.len(), 1, "one file in the cache");
    let again = get(url.clone()).await.bytes().await.expect("bytes");
    assert_eq!(again, first);
    let slow = get(format!("{url}?rate=slow"))
        .await
        .bytes()
        .await
        .expect("bytes");
    assert!(slow.len() > first.len(), "a slower voice takes longer");
    assert_eq!(get(format!("{url}?rate=fast")).await.status(), 400);
    let missing = agora_platform::ids::encode("Word", uuid::Uuid::now_v7());
    assert_eq!(
        get(format!("/media/tts/{}.wav", missing.0)).await.status(),
        404
    );
    // Any word, for the analysis screen; a non-word is refused.
    let said = get("/media/say/rhythm.wav".into()).await;
    assert_eq!(said.status(), 200);
    assert_eq!(get("/media/say/h3llo.wav".into()).await.status(), 400);
    let analysis = server
        .gql("{ analyzeWord(text: \"rhythm\") { audioUrl } }", json!({}))
        .await;
    assert_eq!(
        analysis["data"]["analyzeWord"]["audioUrl"],
        "/media/say/rhythm.wav"
    );
}

/// The upload path end to end with real audio: espeak-ng says the word and PocketSphinx
/// hears it as a pass; espeak-ng says another word and it fails. Then every refusal.
#[tokio::test]
async fn a_recorded_answer_is_recognised_offline_and_scored() {
    if !engines_installed() {
        return;
    }
    let server = TestServer::start().await;
    let levels = levels(&server).await;
    let first = words(&levels[0]);
    let two = id_of(&first, "two").to_owned();
    let ada = user(&server, "ada@example.org", "Ada").await;
    let token = Some(ada.token.as_str());

    let (status, right) = upload(&server, token, &two, "audio/wav", spoken("two", "wav")).await;
    assert_eq!(status, 200, "{right}");
    assert_eq!(right["passed"], true, "{right}");
    assert_eq!(right["newlyMastered"], true);
    assert!(right["similarity"].as_i64().expect("similarity") > 70);
    let (status, wrong) = upload(&server, token, &two, "audio/wav", spoken("we", "wav")).await;
    assert_eq!(status, 200, "{wrong}");
    assert_eq!(wrong["passed"], false, "{wrong}");
    assert!(!wrong["mistakes"].as_array().expect("mistakes").is_empty());
    // WebM and OGG decode too; a multipart form with one file part works like a raw body.
    for format in ["webm", "ogg"] {
        let (status, body) = upload(
            &server,
            token,
            &two,
            &format!("audio/{format}"),
            spoken("two", format),
        )
        .await;
        assert_eq!(status, 200, "{format}: {body}");
        assert_eq!(body["passed"], true, "{format}: {body}");
    }
    let boundary = "agora-test-boundary";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"two.wav\"\r\nContent-Type: audio/wav\r\n\r\n"
    )
    .into_bytes();
    form.extend(spoken("two", "wav"));
    form.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let (status, body) = upload(
        &server,
        token,
        &two,
        &format!("multipart/form-data; boundary={boundary}"),
        form,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["attempt"], 5);
    let stats = progress(&server, &ada.token).await;
    assert_eq!(stats["totalAttempts"], 5);

    // Refusals: not audio, too large, too long, undecodable, signed out, locked.
    let (status, body) = upload(&server, token, &two, "text/plain", b"two".to_vec()).await;
    assert_eq!(status, 415, "{body}");
    let (status, _) = upload(&server, token, &two, "audio/wav", vec![0; 3 * 1024 * 1024]).await;
    assert_eq!(status, 413);
    let long = spoken(
        &"two three four five six seven eight nine ten ".repeat(6),
        "wav",
    );
    let (status, body) = upload(&server, token, &two, "audio/wav", long).await;
    assert_eq!(status, 413, "{body}");
    let (status, body) = upload(
        &server,
        token,
        &two,
        "audio/wav",
        b"RIFF not audio".to_vec(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_code!(body, "BAD_USER_INPUT");
    let (status, body) = upload(&server, None, &two, "audio/wav", spoken("two", "wav")).await;
    assert_eq!(status, 401, "{body}");
    let locked = words(&levels[1])[0].0.clone();
    let (status, body) = upload(&server, token, &locked, "audio/wav", spoken("two", "wav")).await;
    assert_eq!(status, 403, "{body}");
    // None of the refusals was stored.
    assert_eq!(progress(&server, &ada.token).await["totalAttempts"], 5);
}

/// Racing requests on one test and one new practice day: answers to two words both count,
/// two finishes close it once (one `MOCK_TEST_PASSED`, one `CONFLICT`), two practices on a
/// new day count it once (one `PRACTICE_STREAK_EXTENDED`).
#[tokio::test]
async fn racing_answers_finishes_and_practices_count_once() {
    let server = TestServer::start().await;
    let levels = levels(&server).await;
    let first = words(&levels[0]);
    let ada = user(&server, "ada@example.org", "Ada").await;
    let (a, b) = tokio::join!(
        practised(&server, &ada.token, &first[0].0, &first[0].1),
        practised(&server, &ada.token, &first[1].0, &first[1].1),
    );
    assert!(a["passed"] == true && b["passed"] == true);
    master(&server, &ada.token, &first[2..], 30).await;
    let body = start_test(&server, &ada.token, &levels[0]).await;
    assert_no_errors(&body);
    let test = body["data"]["startMockTest"].clone();
    let drawn = words_of(&test);
    for pair in drawn.chunks(2) {
        let (x, y) = tokio::join!(
            answer(&server, &ada.token, &test, &pair[0].0, &pair[0].1),
            answer(&server, &ada.token, &test, &pair[1].0, &pair[1].1),
        );
        assert_no_errors(&x);
        assert_no_errors(&y);
    }
    let finish = "mutation($t: ID!) { finishMockTest(testId: $t) { status score correct } }";
    let (x, y) = tokio::join!(
        server.gql_as(&ada.token, finish, json!({ "t": test["id"] })),
        server.gql_as(&ada.token, finish, json!({ "t": test["id"] })),
    );
    let (done, refused) = if x["errors"].is_null() {
        (x, y)
    } else {
        (y, x)
    };
    assert_eq!(
        done["data"]["finishMockTest"],
        json!({ "status": "PASSED", "score": 100, "correct": 10 })
    );
    assert_code!(refused, "CONFLICT");
    server.wait_for_outbox().await;
    assert_eq!(
        events_of(&server.state.platform, "MOCK_TEST_PASSED")
            .await
            .len(),
        1
    );
    assert_eq!(
        events_of(&server.state.platform, "PRACTICE_STREAK_EXTENDED")
            .await
            .len(),
        1
    );
    assert_eq!(progress(&server, &ada.token).await["practiceStreak"], 1);
}
