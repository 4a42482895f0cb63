//! Battle rooms end to end over real WebSockets: a full three-player battle with known
//! timings (scores exactly as the formula says), late and double answers, non-players,
//! reconnecting mid-game, host hand-over and kicks, quick match, and input validation.

use std::time::Duration;

use agora_platform::clock::ManualClock;
use chrono::Utc;
use serde_json::{Value, json};

use super::common::{
    ServerOptions, TestServer, assert_body_snapshot, assert_code, assert_no_errors,
    battle::{CREATE, Player, START, answer, battle_server, create_room, player},
    knowledge::capitals,
    ws::{self, Incoming, Socket},
};

const ROOM_FIELDS: &str = "id code status version questionIndex questionCount host { id } players { user { id } score correctCount streak connected answered } currentQuestion { id index prompt choices { id text } deadline } results { rank user { id } score correctCount totalAnswerMs }";
const JOIN: &str =
    "mutation($c: String!) { joinBattleRoom(code: $c) { id status players { user { id } } } }";

fn subscription() -> String {
    format!(
        "subscription($r: ID!) {{ battleRoom(roomId: $r) {{ kind room {{ {ROOM_FIELDS} }} reveal {{ questionId correctChoiceId explanation results {{ user {{ id }} choiceId correct points }} }} }} }}"
    )
}

/// Opens a socket and subscribes `player` to the room; returns it after the SNAPSHOT.
async fn subscribe(server: &TestServer, player: &Player, room: &str) -> (Socket, Value) {
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    let ack = ws::init_transport(
        &mut socket,
        json!({ "authorization": format!("Bearer {}", player.token) }),
    )
    .await;
    assert!(
        matches!(&ack, Incoming::Json(v) if v["type"] == "connection_ack"),
        "{ack:?}"
    );
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": subscription(), "variables": { "r": room } } }),
    )
    .await;
    let first = event(&mut socket).await;
    assert_eq!(first["kind"], "SNAPSHOT");
    (socket, first)
}

/// The next battle event on the socket.
async fn event(socket: &mut Socket) -> Value {
    let message = ws::next_json(socket).await;
    assert_eq!(message["type"], "next", "{message}");
    assert!(message["payload"]["errors"].is_null(), "{message}");
    message["payload"]["data"]["battleRoom"].clone()
}

/// Reads events until one of `kind`; returns it.
async fn until(socket: &mut Socket, kind: &str) -> Value {
    for _ in 0..50 {
        let e = event(socket).await;
        if e["kind"] == kind {
            return e;
        }
    }
    panic!("no {kind} event");
}

async fn accepted(server: &TestServer, p: &Player, room: &str, q: &Value, choice: &str) -> i64 {
    let body = answer(server, p, room, q, choice).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["submitAnswer"]["accepted"], true);
    body["data"]["submitAnswer"]["elapsedMs"]
        .as_i64()
        .expect("elapsed")
}

fn score_of(room: &Value, p: &Player) -> i64 {
    room["players"]
        .as_array()
        .expect("players")
        .iter()
        .find(|x| x["user"]["id"] == p.id.as_str())
        .expect("player")["score"]
        .as_i64()
        .expect("score")
}

async fn join(server: &TestServer, p: &Player, code: &Value) {
    assert_no_errors(&server.gql_as(&p.token, JOIN, json!({ "c": code })).await);
}

#[tokio::test]
async fn three_players_battle_to_the_end_with_exact_scores() {
    let (server, clock, topic_id) = battle_server(3, &[]).await;
    let (a, b, c, outsider) = (
        player(&server, "ann@example.org").await,
        player(&server, "ben@example.org").await,
        player(&server, "cid@example.org").await,
        player(&server, "out@example.org").await,
    );
    let room = create_room(
        &server,
        &a,
        json!({ "topicId": topic_id, "questionCount": 3, "secondsPerQuestion": 20 }),
    )
    .await;
    assert_eq!(room["status"], "LOBBY");
    let room_id = room["id"].as_str().expect("id").to_owned();
    let code = room["code"].clone();
    assert_eq!(code.as_str().expect("code").len(), 6);
    join(&server, &b, &code).await;
    // Codes are read case-insensitively.
    join(
        &server,
        &c,
        &json!(code.as_str().expect("code").to_lowercase()),
    )
    .await;

    let (mut sa, snap) = subscribe(&server, &a, &room_id).await;
    assert_eq!(snap["room"]["status"], "LOBBY");
    assert_eq!(
        snap["room"]["players"].as_array().expect("players").len(),
        3
    );
    let (mut sb, _) = subscribe(&server, &b, &room_id).await;
    let (mut sc, _) = subscribe(&server, &c, &room_id).await;

    // Outsiders may not watch; only the host starts.
    let mut so = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    ws::init_transport(
        &mut so,
        json!({ "authorization": format!("Bearer {}", outsider.token) }),
    )
    .await;
    ws::send(&mut so, json!({ "id": "1", "type": "subscribe", "payload": { "query": subscription(), "variables": { "r": room_id } } })).await;
    let refused = ws::next_json(&mut so).await;
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"],
        "FORBIDDEN"
    );
    assert!(refused["payload"]["data"].is_null());
    assert_code!(
        server
            .gql_as(&b.token, START, json!({ "r": room_id }))
            .await,
        "FORBIDDEN"
    );

    assert_no_errors(
        &server
            .gql_as(&a.token, START, json!({ "r": room_id }))
            .await,
    );
    for socket in [&mut sa, &mut sb, &mut sc] {
        assert_eq!(event(socket).await["kind"], "STARTED");
    }
    let q1 = until(&mut sa, "QUESTION_STARTED").await["room"]["currentQuestion"].clone();
    assert_eq!(q1["index"], 0);
    until(&mut sb, "QUESTION_STARTED").await;
    until(&mut sc, "QUESTION_STARTED").await;

    // An outsider neither answers nor sees the question.
    assert_code!(
        answer(&server, &outsider, &room_id, &q1, "Paris").await,
        "FORBIDDEN"
    );
    let peek = server
        .gql_as(
            &outsider.token,
            "query($r: ID!) { battleRoom(id: $r) { currentQuestion { prompt } } }",
            json!({ "r": room_id }),
        )
        .await;
    assert_code!(peek, "FORBIDDEN");
    assert_body_snapshot!(
        "three_players_battle_to_the_end_with_exact_scores-peek",
        peek
    );

    // Question 1: Ann right at 2 s (950), Ben right at 5 s (875), Cid wrong at 5 s.
    clock.advance(chrono::Duration::seconds(2));
    assert_eq!(accepted(&server, &a, &room_id, &q1, "Paris").await, 2000);
    assert_code!(answer(&server, &a, &room_id, &q1, "Lyon").await, "CONFLICT");
    let received = until(&mut sb, "ANSWER_RECEIVED").await;
    assert_eq!(
        score_of(&received["room"], &a),
        0,
        "scores wait for the reveal"
    );
    assert!(received["reveal"].is_null());
    clock.advance(chrono::Duration::seconds(3));
    accepted(&server, &b, &room_id, &q1, "Paris").await;
    accepted(&server, &c, &room_id, &q1, "Lyon").await;
    // Everyone connected answered: the question ends at once.
    let ended = until(&mut sc, "QUESTION_ENDED").await;
    let reveal = &ended["reveal"];
    assert_eq!(reveal["questionId"], q1["id"]);
    let paris = q1["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .find(|c| c["text"] == "Paris")
        .expect("paris")["id"]
        .clone();
    assert_eq!(reveal["correctChoiceId"], paris);
    let points: Vec<i64> = [&a, &b, &c]
        .iter()
        .map(|p| {
            reveal["results"]
                .as_array()
                .expect("results")
                .iter()
                .find(|r| r["user"]["id"] == p.id.as_str())
                .expect("result")["points"]
                .as_i64()
                .expect("points")
        })
        .collect();
    assert_eq!(points, [950, 875, 0]);
    assert_eq!(score_of(&ended["room"], &a), 950);

    // Question 2 after the reveal pause: Ann right at 0.3 s (1000 + 100 streak), Ben wrong,
    // Cid silent until too late.
    clock.advance(chrono::Duration::seconds(1));
    let q2 = until(&mut sa, "QUESTION_STARTED").await["room"]["currentQuestion"].clone();
    assert_eq!(q2["index"], 1);
    assert_ne!(q2["id"], q1["id"], "questions never repeat");
    clock.advance(chrono::Duration::milliseconds(300));
    accepted(&server, &a, &room_id, &q2, "Paris").await;
    clock.advance(chrono::Duration::milliseconds(700));
    accepted(&server, &b, &room_id, &q2, "Marseille").await;
    assert_code!(
        answer(&server, &a, &room_id, &q1, "Paris").await,
        "BAD_USER_INPUT",
        "an old question"
    );
    clock.advance(chrono::Duration::seconds(20));
    let late = answer(&server, &c, &room_id, &q2, "Paris").await;
    assert_code!(late, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "three_players_battle_to_the_end_with_exact_scores-late",
        late
    );
    assert_eq!(late["errors"][0]["extensions"]["detail"], "TOO_LATE");
    let ended = until(&mut sa, "QUESTION_ENDED").await;
    assert_eq!(score_of(&ended["room"], &a), 950 + 1100);
    assert_eq!(score_of(&ended["room"], &b), 875);

    // Question 3: everyone right at 10 s: 750 each, Ann's third in a row +200.
    clock.advance(chrono::Duration::seconds(1));
    let q3 = until(&mut sa, "QUESTION_STARTED").await["room"]["currentQuestion"].clone();
    assert_eq!(q3["index"], 2);
    clock.advance(chrono::Duration::seconds(10));
    for p in [&a, &b, &c] {
        accepted(&server, p, &room_id, &q3, "Paris").await;
    }
    until(&mut sa, "QUESTION_ENDED").await;
    clock.advance(chrono::Duration::seconds(1));
    let finished = until(&mut sa, "FINISHED").await;
    let room = &finished["room"];
    assert_eq!(room["status"], "FINISHED");
    let results: Vec<(i64, &str, i64, i64)> = room["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["rank"].as_i64().expect("rank"),
                r["user"]["id"].as_str().expect("id"),
                r["score"].as_i64().expect("score"),
                r["correctCount"].as_i64().expect("correct"),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            (1, a.id.as_str(), 950 + 1100 + 950, 3),
            (2, b.id.as_str(), 875 + 750, 2),
            (3, c.id.as_str(), 750, 1),
        ]
    );
    // The subscription completes after FINISHED.
    assert!(matches!(ws::next(&mut sa).await, Incoming::Json(v) if v["type"] == "complete"));
    until(&mut sb, "FINISHED").await;
    assert!(matches!(ws::next(&mut sb).await, Incoming::Json(v) if v["type"] == "complete"));

    // Statistics and the outbox event.
    server.wait_for_outbox().await;
    {
        use agora_entities::platform::outbox_event;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let events = outbox_event::Entity::find()
            .filter(outbox_event::Column::EventType.eq("BATTLE_FINISHED"))
            .all(&server.state.platform.db)
            .await
            .expect("outbox");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].payload["players"][0]["score"], 3000);
    }
    let stats = server
        .gql(
            "query($q: ID!) { question(id: $q) { stats { attempts correctRate } } }",
            json!({ "q": q1["id"] }),
        )
        .await;
    assert_no_errors(&stats);
    assert_eq!(stats["data"]["question"]["stats"]["attempts"], 3);
    let rate = stats["data"]["question"]["stats"]["correctRate"]
        .as_f64()
        .expect("rate");
    assert!((rate - 2.0 / 3.0).abs() < 1e-9, "{rate}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_reconnecting_player_resumes_from_the_snapshot() {
    let (server, clock, topic_id) = battle_server(2, &[]).await;
    let (a, b) = (
        player(&server, "ann@example.org").await,
        player(&server, "ben@example.org").await,
    );
    let room = create_room(
        &server,
        &a,
        json!({ "topicId": topic_id, "questionCount": 2 }),
    )
    .await;
    let room_id = room["id"].as_str().expect("id").to_owned();
    join(&server, &b, &room["code"]).await;
    let (mut sa, _) = subscribe(&server, &a, &room_id).await;
    let (sb, _) = subscribe(&server, &b, &room_id).await;
    assert_no_errors(
        &server
            .gql_as(&a.token, START, json!({ "r": room_id }))
            .await,
    );
    let q1 = until(&mut sa, "QUESTION_STARTED").await["room"]["currentQuestion"].clone();
    clock.advance(chrono::Duration::seconds(1));
    accepted(&server, &b, &room_id, &q1, "Paris").await;

    // Ben drops; his reconnect starts with the room as it is, his answer included.
    drop(sb);
    let (_sb, snap) = subscribe(&server, &b, &room_id).await;
    let room = &snap["room"];
    assert_eq!(room["status"], "IN_PROGRESS");
    assert_eq!(room["currentQuestion"]["id"], q1["id"]);
    let ben = room["players"]
        .as_array()
        .expect("players")
        .iter()
        .find(|p| p["user"]["id"] == b.id.as_str())
        .expect("ben");
    assert_eq!(ben["answered"], true);
    assert_eq!(ben["connected"], true);
    // The remaining answer ends the question for everyone.
    accepted(&server, &a, &room_id, &q1, "Lyon").await;
    let ended = until(&mut sa, "QUESTION_ENDED").await;
    assert_eq!(score_of(&ended["room"], &b), 975);
    server.shutdown().await;
}

#[tokio::test]
async fn hosts_hand_over_kicked_players_are_out_and_empty_rooms_are_cancelled() {
    let (server, _clock, topic_id) = battle_server(2, &[]).await;
    let (a, b, c) = (
        player(&server, "ann@example.org").await,
        player(&server, "ben@example.org").await,
        player(&server, "cid@example.org").await,
    );
    let room = create_room(
        &server,
        &a,
        json!({ "topicId": topic_id, "questionCount": 2 }),
    )
    .await;
    let room_id = room["id"].as_str().expect("id").to_owned();
    join(&server, &b, &room["code"]).await;
    join(&server, &c, &room["code"]).await;
    let (mut sb, _) = subscribe(&server, &b, &room_id).await;
    let (mut sc, _) = subscribe(&server, &c, &room_id).await;

    // Only the host kicks; a kicked player's stream ends and they are no longer a player.
    let kick = "mutation($r: ID!, $u: ID!) { kickPlayer(roomId: $r, userId: $u) { players { user { id } } } }";
    assert_code!(
        server
            .gql_as(&b.token, kick, json!({ "r": room_id, "u": c.id }))
            .await,
        "FORBIDDEN"
    );
    assert_no_errors(
        &server
            .gql_as(&a.token, kick, json!({ "r": room_id, "u": c.id }))
            .await,
    );
    let left = until(&mut sc, "PLAYER_LEFT").await;
    assert!(!left["room"]["players"].to_string().contains(&c.id));
    assert!(matches!(ws::next(&mut sc).await, Incoming::Json(v) if v["type"] == "complete"));
    let seen_by_ben = until(&mut sb, "PLAYER_LEFT").await;
    assert_eq!(seen_by_ben["room"]["host"]["id"], a.id.as_str());

    // The host leaves: Ben (longest present) becomes host.
    let leave = "mutation($r: ID!) { leaveBattleRoom(roomId: $r) }";
    assert_no_errors(
        &server
            .gql_as(&a.token, leave, json!({ "r": room_id }))
            .await,
    );
    let left = until(&mut sb, "PLAYER_LEFT").await;
    assert_eq!(left["room"]["host"]["id"], b.id.as_str());
    assert_code!(
        server
            .gql_as(&a.token, START, json!({ "r": room_id }))
            .await,
        "FORBIDDEN"
    );
    // Alone, Ben cannot start; when he leaves the room is cancelled.
    assert_code!(
        server
            .gql_as(&b.token, START, json!({ "r": room_id }))
            .await,
        "CONFLICT"
    );
    assert_no_errors(
        &server
            .gql_as(&b.token, leave, json!({ "r": room_id }))
            .await,
    );
    let body = server
        .gql_as(
            &a.token,
            "query($r: ID!) { battleRoom(id: $r) { status players { user { id } } } }",
            json!({ "r": room_id }),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["battleRoom"]["status"], "CANCELLED");
    server.shutdown().await;
}

#[tokio::test]
async fn quick_match_fills_the_fullest_lobby_and_starts_after_the_wait() {
    let (server, clock, topic_id) = battle_server(10, &[]).await;
    let (a, b, c) = (
        player(&server, "ann@example.org").await,
        player(&server, "ben@example.org").await,
        player(&server, "cid@example.org").await,
    );
    let quick = "mutation($t: ID) { quickMatch(topicId: $t) { id status quickMatch players { user { id } } } }";
    let first = server
        .gql_as(&a.token, quick, json!({ "t": topic_id }))
        .await;
    assert_no_errors(&first);
    let room_id = first["data"]["quickMatch"]["id"].clone();
    assert_eq!(first["data"]["quickMatch"]["quickMatch"], true);
    let second = server
        .gql_as(&b.token, quick, json!({ "t": topic_id }))
        .await;
    assert_eq!(
        second["data"]["quickMatch"]["id"], room_id,
        "joins the open lobby"
    );
    // Another topic's seekers do not land here.
    let elsewhere = server.gql_as(&c.token, quick, json!({ "t": null })).await;
    assert_no_errors(&elsewhere);
    assert_ne!(elsewhere["data"]["quickMatch"]["id"], room_id);
    let open = server
        .gql_as(
            &c.token,
            "query($t: ID) { openBattleRooms(topicId: $t) { id } }",
            json!({ "t": topic_id }),
        )
        .await;
    assert_eq!(open["data"]["openBattleRooms"][0]["id"], room_id);

    let (mut sa, _) = subscribe(&server, &a, room_id.as_str().expect("id")).await;
    clock.advance(chrono::Duration::seconds(31));
    until(&mut sa, "STARTED").await;
    let mine = server
        .gql_as(
            &b.token,
            "{ myBattles(first: 5) { edges { node { id status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["data"]["myBattles"]["edges"][0]["node"]["status"],
        "IN_PROGRESS"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named() {
    let (server, _clock, topic_id) = battle_server(3, &[]).await;
    let a = player(&server, "ann@example.org").await;
    assert_code!(
        server
            .gql(CREATE, json!({ "i": { "topicId": topic_id } }))
            .await,
        "UNAUTHENTICATED"
    );
    for (input, field) in [
        (
            json!({ "topicId": topic_id, "questionCount": 0 }),
            "input.questionCount",
        ),
        (
            json!({ "topicId": topic_id, "questionCount": 51 }),
            "input.questionCount",
        ),
        (
            json!({ "topicId": topic_id, "questionCount": 4 }),
            "input.questionCount",
        ),
        (
            json!({ "topicId": topic_id, "questionCount": 3, "secondsPerQuestion": 4 }),
            "input.secondsPerQuestion",
        ),
        (
            json!({ "topicId": topic_id, "questionCount": 3, "maxPlayers": 1 }),
            "input.maxPlayers",
        ),
        (
            json!({ "topicId": "nope", "questionCount": 3 }),
            "input.topicId",
        ),
    ] {
        let body = server.gql_as(&a.token, CREATE, json!({ "i": input })).await;
        assert_code!(body, "BAD_USER_INPUT", "{input}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{input}");
    }
    let body = server.gql_as(&a.token, JOIN, json!({ "c": "abc" })).await;
    assert_body_snapshot!("bad_input_is_refused_with_the_field_named-body", body);
    assert_code!(
        server
            .gql_as(&a.token, JOIN, json!({ "c": "ZZZZZZ" }))
            .await,
        "NOT_FOUND"
    );
    // A solo room starts with one player; a normal one does not.
    let solo = create_room(
        &server,
        &a,
        json!({ "topicId": topic_id, "questionCount": 3, "allowSolo": true }),
    )
    .await;
    assert_no_errors(
        &server
            .gql_as(&a.token, START, json!({ "r": solo["id"] }))
            .await,
    );
    let duo = create_room(
        &server,
        &a,
        json!({ "topicId": topic_id, "questionCount": 3 }),
    )
    .await;
    assert_code!(
        server
            .gql_as(&a.token, START, json!({ "r": duo["id"] }))
            .await,
        "CONFLICT"
    );
    // Answering before the start.
    let q = json!({ "id": "UXVlc3Rpb246MDE5MmE2ZjAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw", "choices": [{ "id": "x", "text": "Paris" }] });
    let body = answer(&server, &a, duo["id"].as_str().expect("id"), &q, "Paris").await;
    assert_code!(body, "BAD_USER_INPUT");
    assert_body_snapshot!("bad_input_is_refused_with_the_field_named-body-2", body);
    let _ = Duration::from_secs(0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_restart_mid_question_loses_no_answer_and_the_battle_carries_on() {
    let db = super::common::TestDb::fresh().await;
    let clock = ManualClock::new(Utc::now());
    let options = || ServerOptions {
        clock: Some(clock.clone()),
        shared_db: Some((db.url.clone(), db.search_path.clone())),
        args: vec!["--battle-reveal-pause".into(), "10ms".into()],
        ..Default::default()
    };
    let before = TestServer::start_with(options()).await;
    let topic_id = capitals(&before, 2).await;
    let (a, b, c) = (
        player(&before, "ann@example.org").await,
        player(&before, "ben@example.org").await,
        player(&before, "cid@example.org").await,
    );
    let room = create_room(
        &before,
        &a,
        json!({ "topicId": topic_id, "questionCount": 2 }),
    )
    .await;
    let room_id = room["id"].as_str().expect("id").to_owned();
    join(&before, &b, &room["code"]).await;
    join(&before, &c, &room["code"]).await;
    let started = before
        .gql_as(&a.token, START, json!({ "r": room_id }))
        .await;
    assert_no_errors(&started);
    // Nobody is subscribed, so only the deadline (or answers from all) closes the question.
    let q1 = before
        .gql_as(
            &a.token,
            &format!("query($r: ID!) {{ battleRoom(id: $r) {{ {ROOM_FIELDS} }} }}"),
            json!({ "r": room_id }),
        )
        .await["data"]["battleRoom"]["currentQuestion"]
        .clone();
    clock.advance(chrono::Duration::seconds(2));
    accepted(&before, &a, &room_id, &q1, "Paris").await;
    before.shutdown().await;

    // A new process on the same database: the answer is there, the clock still counts from
    // the stored question start.
    let after = TestServer::start_with(options()).await;
    let (mut sb, snap) = subscribe(&after, &b, &room_id).await;
    assert_eq!(snap["room"]["status"], "IN_PROGRESS");
    assert_eq!(snap["room"]["currentQuestion"]["id"], q1["id"]);
    let ann = snap["room"]["players"]
        .as_array()
        .expect("players")
        .iter()
        .find(|p| p["user"]["id"] == a.id.as_str())
        .expect("ann")
        .clone();
    assert_eq!(ann["answered"], true);
    clock.advance(chrono::Duration::seconds(3));
    assert_eq!(accepted(&after, &b, &room_id, &q1, "Paris").await, 5000);
    let ended = until(&mut sb, "QUESTION_ENDED").await;
    assert_eq!(score_of(&ended["room"], &a), 950);
    assert_eq!(score_of(&ended["room"], &b), 875);
    assert_eq!(score_of(&ended["room"], &c), 0);
    // The restarted driver runs the next steps from the stored deadlines.
    clock.advance(chrono::Duration::seconds(1));
    until(&mut sb, "QUESTION_STARTED").await;
    clock.advance(chrono::Duration::seconds(21));
    until(&mut sb, "QUESTION_ENDED").await;
    clock.advance(chrono::Duration::seconds(1));
    let finished = until(&mut sb, "FINISHED").await;
    assert_eq!(finished["room"]["results"][0]["user"]["id"], a.id.as_str());
    after.shutdown().await;
}

#[tokio::test]
async fn players_on_two_replicas_play_one_battle_and_a_dead_replica_is_taken_over_requires_postgres_and_redis()
 {
    let Some((pg, redis_url)) = super::common::postgres_and_redis("two-replica battle").await
    else {
        return;
    };
    let db = super::common::TestDb::fresh_postgres(&pg).await;
    let prefix = format!("agora_t_{}", uuid::Uuid::new_v4().simple());
    let clock = ManualClock::new(Utc::now());
    let options = || ServerOptions {
        clock: Some(clock.clone()),
        shared_db: Some((db.url.clone(), db.search_path.clone())),
        redis: Some((redis_url.clone(), prefix.clone())),
        args: vec!["--battle-reveal-pause".into(), "10ms".into()],
        ..Default::default()
    };
    let one = TestServer::start_with(options()).await;
    let two = TestServer::start_with(options()).await;
    let topic_id = capitals(&one, 2).await;
    let (a, b) = (
        player(&one, "ann@example.org").await,
        player(&one, "ben@example.org").await,
    );
    let room = create_room(&one, &a, json!({ "topicId": topic_id, "questionCount": 2 })).await;
    let room_id = room["id"].as_str().expect("id").to_owned();
    join(&two, &b, &room["code"]).await;
    let (mut sa, _) = subscribe(&one, &a, &room_id).await;
    let (mut sb, _) = subscribe(&two, &b, &room_id).await;
    assert_no_errors(&two.gql_as(&a.token, START, json!({ "r": room_id })).await);

    // Events made on either replica reach players on both.
    let q1 = until(&mut sa, "QUESTION_STARTED").await["room"]["currentQuestion"].clone();
    until(&mut sb, "QUESTION_STARTED").await;
    clock.advance(chrono::Duration::seconds(1));
    accepted(&two, &a, &room_id, &q1, "Paris").await;
    let seen = until(&mut sb, "ANSWER_RECEIVED").await;
    assert!(
        seen["room"]["players"]
            .to_string()
            .contains("\"answered\":true")
    );
    accepted(&one, &b, &room_id, &q1, "Lyon").await;
    let ended_a = until(&mut sa, "QUESTION_ENDED").await;
    let ended_b = until(&mut sb, "QUESTION_ENDED").await;
    assert_eq!(ended_a["room"]["version"], ended_b["room"]["version"]);
    assert_eq!(score_of(&ended_b["room"], &a), 975);

    // Replica one dies; two drives the rest, and Ann resumes there.
    drop(sa);
    one.shutdown().await;
    clock.advance(chrono::Duration::seconds(1));
    let q2 = until(&mut sb, "QUESTION_STARTED").await["room"]["currentQuestion"].clone();
    let (mut sa, snap) = subscribe(&two, &a, &room_id).await;
    assert_eq!(snap["room"]["currentQuestion"]["id"], q2["id"]);
    clock.advance(chrono::Duration::seconds(21));
    until(&mut sa, "QUESTION_ENDED").await;
    clock.advance(chrono::Duration::seconds(1));
    let finished = until(&mut sa, "FINISHED").await;
    assert_eq!(finished["room"]["results"][0]["user"]["id"], a.id.as_str());
    until(&mut sb, "FINISHED").await;
    two.shutdown().await;
}

#[tokio::test]
async fn players_cannot_read_the_answer_of_a_question_still_in_play() {
    let (server, clock, topic_id) = battle_server(2, &[]).await;
    // The moderator from the topic's set-up plays; the admin watches.
    let signed_in = server
        .login("moderator@example.org", "a long enough passphrase")
        .await;
    let moderator = Player {
        token: signed_in["data"]["login"]["accessToken"]
            .as_str()
            .expect("token")
            .to_owned(),
        id: signed_in["data"]["login"]["user"]["id"]
            .as_str()
            .expect("id")
            .to_owned(),
    };
    let admin = server
        .login("admin@example.org", "a long enough passphrase")
        .await["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let pia = player(&server, "pia@example.org").await;
    let room = create_room(
        &server,
        &moderator,
        json!({ "topicId": topic_id, "questionCount": 2 }),
    )
    .await;
    let room_id = room["id"].as_str().expect("id").to_owned();
    join(&server, &pia, &room["code"]).await;
    assert_no_errors(
        &server
            .gql_as(&moderator.token, START, json!({ "r": room_id }))
            .await,
    );
    let room_query = "query($r: ID!) { battleRoom(id: $r) { status currentQuestion { id } } }";
    let current = server
        .gql_as(&pia.token, room_query, json!({ "r": room_id }))
        .await["data"]["battleRoom"]["currentQuestion"]["id"]
        .clone();
    let read = |token: String| {
        let server = &server;
        let current = current.clone();
        async move {
            let body = server
                .gql_as(
                    &token,
                    "query($q: ID!) { question(id: $q) { explanation choices { isCorrect } }
                      node(id: $q) { ... on Question { explanation } } }",
                    json!({ "q": current }),
                )
                .await;
            assert_no_errors(&body);
            body["data"].clone()
        }
    };
    for token in [moderator.token.clone(), pia.token.clone()] {
        let data = read(token).await;
        assert!(data["question"]["explanation"].is_null(), "{data}");
        assert!(data["node"]["explanation"].is_null(), "{data}");
        assert!(
            data["question"]["choices"]
                .as_array()
                .expect("choices")
                .iter()
                .all(|c| c["isCorrect"].is_null()),
            "{data}"
        );
    }
    // Someone not playing sees it all.
    let watching = read(admin).await;
    assert!(
        watching["question"]["explanation"].is_string(),
        "{watching}"
    );
    assert!(
        watching["question"]["choices"]
            .as_array()
            .expect("choices")
            .iter()
            .any(|c| c["isCorrect"] == true),
        "{watching}"
    );
    // Once the battle is over the players may read it too.
    for _ in 0..60 {
        let status = server
            .gql_as(&pia.token, room_query, json!({ "r": room_id }))
            .await["data"]["battleRoom"]["status"]
            .clone();
        if status == "FINISHED" {
            break;
        }
        clock.advance(chrono::Duration::seconds(25));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = read(moderator.token.clone()).await;
    assert!(after["question"]["explanation"].is_string(), "{after}");
    assert!(
        after["question"]["choices"]
            .as_array()
            .expect("choices")
            .iter()
            .any(|c| c["isCorrect"] == true),
        "{after}"
    );
}
