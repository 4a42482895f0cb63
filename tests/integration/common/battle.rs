//! Battle builders: players, a battle-ready server, rooms and answers.

use agora_platform::clock::ManualClock;
use chrono::Utc;
use serde_json::{Value, json};

use super::{ServerOptions, TestServer, assert_no_errors, knowledge::capitals};

/// Creates a room (`$i`: `CreateBattleRoomInput`).
pub const CREATE: &str = "mutation($i: CreateBattleRoomInput!) { createBattleRoom(input: $i) { id code status players { user { id } } } }";
/// Starts a room (`$r`: its id).
pub const START: &str = "mutation($r: ID!) { startBattle(roomId: $r) { status questionIndex } }";
const ANSWER: &str = "mutation($r: ID!, $q: ID!, $c: ID!) { submitAnswer(roomId: $r, questionId: $q, choiceId: $c) { accepted elapsedMs } }";

/// A registered player: access token and global id.
pub struct Player {
    pub token: String,
    pub id: String,
}

/// Registers a player (display name: the e-mail).
pub async fn player(server: &TestServer, email: &str) -> Player {
    let payload = server
        .register(email, "a long enough passphrase", email)
        .await;
    Player {
        token: payload["accessToken"].as_str().expect("token").to_owned(),
        id: payload["user"]["id"].as_str().expect("id").to_owned(),
    }
}

/// Submits `p`'s answer `choice` (by its text) to question `q`; returns the whole body.
pub async fn answer(server: &TestServer, p: &Player, room: &str, q: &Value, choice: &str) -> Value {
    let choice_id = q["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .find(|c| c["text"] == choice)
        .unwrap_or_else(|| panic!("choice {choice} in {q}"))["id"]
        .clone();
    server
        .gql_as(
            &p.token,
            ANSWER,
            json!({ "r": room, "q": q["id"], "c": choice_id }),
        )
        .await
}

/// A manual clock, a short reveal pause, a topic with `n` questions (answer: Paris).
pub async fn battle_server(n: usize, extra: &[&str]) -> (TestServer, ManualClock, String) {
    let clock = ManualClock::new(Utc::now());
    let mut args = vec!["--battle-reveal-pause".to_owned(), "10ms".to_owned()];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let server = TestServer::start_with(ServerOptions {
        clock: Some(clock.clone()),
        args,
        ..Default::default()
    })
    .await;
    let topic_id = capitals(&server, n).await;
    (server, clock, topic_id)
}

/// Creates a room hosted by `host`; returns `{ id code status players }`.
pub async fn create_room(server: &TestServer, host: &Player, input: Value) -> Value {
    let body = server
        .gql_as(&host.token, CREATE, json!({ "i": input }))
        .await;
    assert_no_errors(&body);
    body["data"]["createBattleRoom"].clone()
}
