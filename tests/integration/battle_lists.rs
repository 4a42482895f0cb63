//! Battle room lists (`myBattles`, `openBattleRooms`) cost a fixed number of statements
//! whatever their size: the rooms' players, drawn questions, choices and answers are read for
//! the whole page at once, not room by room.

use serde_json::{Value, json};

use super::common::{
    TestServer, assert_no_errors,
    battle::{CREATE, START},
    knowledge::capitals,
};

const JOIN: &str = "mutation($c: String!) { joinBattleRoom(code: $c) { id } }";

const MY_BATTLES: &str = "query($n: Int) { myBattles(first: $n) { edges { node { id status host { displayName } topic { name } players { user { displayName } score answered } currentQuestion { prompt choices { text } } } } } }";
const OPEN_ROOMS: &str = "{ openBattleRooms { id status host { displayName } topic { name } players { user { displayName } connected } currentQuestion { prompt } } }";

/// A server with a topic of three published questions, a host and a guest.
struct Lists {
    server: TestServer,
    topic_id: String,
    host: String,
    guest: String,
}

async fn lists_server() -> Lists {
    let server = TestServer::start().await;
    let topic_id = capitals(&server, 3).await;
    let host = server.register_token("host@example.org").await;
    let guest = server.register_token("guest@example.org").await;
    server.wait_for_outbox().await;
    Lists {
        server,
        topic_id,
        host,
        guest,
    }
}

impl Lists {
    /// A public lobby of the host's, joined by the guest; started (its first question open)
    /// when `start`.
    async fn room(&self, start: bool) {
        let body = self
            .server
            .gql_as(
                &self.host,
                CREATE,
                json!({ "i": { "topicId": self.topic_id, "questionCount": 2, "secondsPerQuestion": 120 } }),
            )
            .await;
        assert_no_errors(&body);
        let room = &body["data"]["createBattleRoom"];
        assert_no_errors(
            &self
                .server
                .gql_as(&self.guest, JOIN, json!({ "c": room["code"] }))
                .await,
        );
        if start {
            let body = self
                .server
                .gql_as(&self.host, START, json!({ "r": room["id"] }))
                .await;
            assert_no_errors(&body);
            assert_eq!(body["data"]["startBattle"]["status"], "IN_PROGRESS");
        }
    }

    /// The statements `query` costs as the host, and the length of its list at `list` (a
    /// JSON pointer into the data). The pool's counter also sees the outbox dispatcher's and the battle
    /// driver's polls, which can only add: the cheapest of a few runs is the query's own cost.
    async fn cost(&self, query: &str, variables: Value, list: &str) -> (u64, usize) {
        let mut cheapest = u64::MAX;
        let mut len = 0;
        for _ in 0..3 {
            let before = self.server.state.platform.statements.get();
            let body = self
                .server
                .gql_as(&self.host, query, variables.clone())
                .await;
            assert_no_errors(&body);
            cheapest = cheapest.min(self.server.state.platform.statements.get() - before);
            len = body["data"]
                .pointer(list)
                .and_then(Value::as_array)
                .expect("list")
                .len();
        }
        (cheapest, len)
    }
}

#[tokio::test]
async fn a_page_of_my_battles_costs_the_same_statements_whatever_its_size() {
    let lists = lists_server().await;
    for _ in 0..6 {
        lists.room(true).await;
    }
    let (one, len) = lists
        .cost(MY_BATTLES, json!({ "n": 1 }), "/myBattles/edges")
        .await;
    assert_eq!(len, 1);
    let (six, len) = lists
        .cost(MY_BATTLES, json!({ "n": 6 }), "/myBattles/edges")
        .await;
    assert_eq!(len, 6);
    let body = lists
        .server
        .gql_as(&lists.host, MY_BATTLES, json!({ "n": 6 }))
        .await;
    let edges = body["data"]["myBattles"]["edges"]
        .as_array()
        .expect("edges");
    for edge in edges {
        let room = &edge["node"];
        assert_eq!(room["status"], "IN_PROGRESS", "{room}");
        assert_eq!(room["players"].as_array().expect("players").len(), 2);
        assert_eq!(
            room["currentQuestion"]["choices"]
                .as_array()
                .expect("choices")
                .len(),
            3,
            "{room}"
        );
    }
    // The viewer's credentials, the page and, for the whole page, its players, drawn questions,
    // their text, choices and answers, the users (hosts and players) and the topics. Room by
    // room it was 9 and 34.
    assert_eq!([one, six], [9, 9], "statements for 1 room and for 6");
}

#[tokio::test]
async fn open_battle_rooms_cost_the_same_statements_however_many_there_are() {
    let lists = lists_server().await;
    lists.room(false).await;
    let (one, len) = lists.cost(OPEN_ROOMS, json!({}), "/openBattleRooms").await;
    assert_eq!(len, 1);
    for _ in 0..5 {
        lists.room(false).await;
    }
    let (six, len) = lists.cost(OPEN_ROOMS, json!({}), "/openBattleRooms").await;
    assert_eq!(len, 6);
    // The viewer's credentials, the rooms and, for them all, their players, the users and the
    // topics. Room by room it was 5 and 10.
    assert_eq!([one, six], [5, 5], "statements for 1 room and for 6");
}
