//! Notifications end to end: source events through the outbox into the feed, live delivery over
//! WebSocket, e-mail and push per preference, idempotency, who may read and mark what. The real
//! senders are tested in `senders.rs`.

use std::time::Duration;

use agora_platform::{
    ids,
    mail::Mail,
    outbox::{self, EventKind, NewEvent},
};
use async_graphql::ID;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::common::{
    TestServer, assert_body_snapshot, assert_code, assert_no_errors,
    outbox::emit,
    users::user,
    ws::{self, Incoming},
};

const FEED: &str = "query($first: Int, $after: String, $unread: Boolean) { notifications(first: $first, after: $after, unreadOnly: $unread) { edges { cursor node { id kind title body data readAt createdAt } } pageInfo { hasNextPage endCursor } } }";
const COUNT: &str = "{ unreadNotificationCount }";
const MARK: &str = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) { count unreadCount notifications { id readAt } } }";
const MARK_ALL: &str = "mutation { markAllNotificationsRead { count unreadCount readAt } }";
const PREFERENCES: &str = "{ notificationPreferences { kind channel enabled } }";
const UPDATE: &str = "mutation($i: [NotificationPreferenceInput!]!) { updateNotificationPreferences(input: $i) { kind channel enabled } }";
const RECEIVED: &str = "subscription { notificationReceived { id kind title body data readAt } }";

async fn feed(server: &TestServer, token: &str, vars: Value) -> Value {
    let body = server.gql_as(token, FEED, vars).await;
    assert_no_errors(&body);
    body["data"]["notifications"].clone()
}

fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn unread(server: &TestServer, token: &str) -> i64 {
    let body = server.gql_as(token, COUNT, json!({})).await;
    assert_no_errors(&body);
    body["data"]["unreadNotificationCount"]
        .as_i64()
        .expect("count")
}

/// The feed once it holds `count` notifications (the outbox works in the background).
async fn feed_of(server: &TestServer, token: &str, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found = nodes(&feed(server, token, json!({ "first": 100 })).await);
        if found.len() >= count {
            assert_eq!(
                found.len(),
                count,
                "more notifications than expected: {found:?}"
            );
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {count} notifications, have {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn level_up(user: Uuid, level: i64) -> Value {
    json!({ "userId": user, "level": level, "previousLevel": level - 1, "xp": level * 100 })
}

#[tokio::test]
async fn registering_puts_a_welcome_in_the_feed() {
    let server = TestServer::start().await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    let feed = feed_of(&server, &ada.token, 1).await;
    assert_eq!(feed[0]["kind"], "WELCOME");
    assert_eq!(feed[0]["title"], "Welcome to Agora, Ada");
    assert_eq!(feed[0]["readAt"], Value::Null);
    assert_eq!(feed[0]["data"], json!({}));
    assert_eq!(unread(&server, &ada.token).await, 1);
    server.wait_for_outbox().await;
    // Registration already mails the address confirmation; the welcome is not mailed by default.
    let mails = server.mailbox.messages();
    assert!(
        mails.iter().all(|m| !m.subject.starts_with("Welcome")),
        "{mails:?}"
    );
    assert!(server.pushes.to_user(ada.id).is_empty());
}

#[tokio::test]
async fn the_feed_pages_newest_first_and_filters_unread() {
    let server = TestServer::start().await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    feed_of(&server, &ada.token, 1).await;
    for due in 1..=4 {
        emit(
            &server,
            "FLASHCARDS_DUE",
            json!({ "userId": ada.id, "dueCount": due }),
        )
        .await;
        server.wait_for_outbox().await;
    }
    let all = feed_of(&server, &ada.token, 5).await;
    let titles: Vec<&str> = all
        .iter()
        .map(|n| n["title"].as_str().expect("t"))
        .collect();
    assert_eq!(
        titles,
        [
            "4 flashcards due for review",
            "3 flashcards due for review",
            "2 flashcards due for review",
            "1 flashcard due for review",
            "Welcome to Agora, Ada",
        ]
    );

    let first = feed(&server, &ada.token, json!({ "first": 2 })).await;
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second = feed(
        &server,
        &ada.token,
        json!({ "first": 2, "after": first["pageInfo"]["endCursor"] }),
    )
    .await;
    let second: Vec<Value> = nodes(&second);
    assert_eq!(second[0]["id"], all[2]["id"]);
    assert_eq!(second[1]["id"], all[3]["id"]);

    let marked = server
        .gql_as(
            &ada.token,
            MARK,
            json!({ "ids": [all[0]["id"], all[4]["id"]] }),
        )
        .await;
    assert_no_errors(&marked);
    let marked = &marked["data"]["markNotificationsRead"];
    assert_eq!(
        (&marked["count"], &marked["unreadCount"]),
        (&json!(2), &json!(3))
    );
    // The changed notifications come back, for a client's cache.
    let changed: Vec<&Value> = marked["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .map(|n| &n["id"])
        .collect();
    assert_eq!(changed, [&all[0]["id"], &all[4]["id"]]);
    assert!(
        marked["notifications"]
            .as_array()
            .expect("notifications")
            .iter()
            .all(|n| n["readAt"].is_string())
    );
    assert_eq!(unread(&server, &ada.token).await, 3);
    let unread_only =
        nodes(&feed(&server, &ada.token, json!({ "first": 10, "unread": true })).await);
    let ids: Vec<&Value> = unread_only.iter().map(|n| &n["id"]).collect();
    assert_eq!(ids, [&all[1]["id"], &all[2]["id"], &all[3]["id"]]);
    let read = feed_of(&server, &ada.token, 5).await;
    assert!(read[0]["readAt"].is_string());

    let everything = server.gql_as(&ada.token, MARK_ALL, json!({})).await;
    let everything = &everything["data"]["markAllNotificationsRead"];
    assert_eq!(
        (&everything["count"], &everything["unreadCount"]),
        (&json!(3), &json!(0))
    );
    // Every one of them is read at the time the answer names.
    for n in feed_of(&server, &ada.token, 5).await.iter().skip(1).take(3) {
        assert_eq!(n["readAt"], everything["readAt"], "{n}");
    }
    assert_eq!(unread(&server, &ada.token).await, 0);
}

#[tokio::test]
async fn marking_read_counts_only_your_own_unread_notifications() {
    let server = TestServer::start().await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    let bob = user(&server, "bob@example.org", "Bob").await;
    let ada_welcome = feed_of(&server, &ada.token, 1).await[0]["id"].clone();
    let bob_welcome = feed_of(&server, &bob.token, 1).await[0]["id"].clone();

    let body = server
        .gql_as(
            &ada.token,
            MARK,
            json!({ "ids": [bob_welcome, ada_welcome] }),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["markNotificationsRead"]["count"], 1,
        "Bob's is not Ada's to mark"
    );
    assert_eq!(
        body["data"]["markNotificationsRead"]["notifications"],
        json!([{ "id": ada_welcome, "readAt": body["data"]["markNotificationsRead"]["notifications"][0]["readAt"] }])
    );
    assert_eq!(unread(&server, &bob.token).await, 1);
    let again = server
        .gql_as(&ada.token, MARK, json!({ "ids": [ada_welcome] }))
        .await;
    assert_eq!(
        again["data"]["markNotificationsRead"],
        json!({ "count": 0, "unreadCount": 0, "notifications": [] }),
        "already read"
    );

    // node(id:) shows a notification to its recipient only.
    let node = "query($id: ID!) { node(id: $id) { id ... on Notification { title } } }";
    let own = server
        .gql_as(&bob.token, node, json!({ "id": bob_welcome }))
        .await;
    assert_eq!(own["data"]["node"]["title"], "Welcome to Agora, Bob");
    let foreign = server
        .gql_as(&ada.token, node, json!({ "id": bob_welcome }))
        .await;
    assert_no_errors(&foreign);
    assert_eq!(foreign["data"]["node"], Value::Null);
}

#[tokio::test]
async fn a_subscriber_receives_a_level_up_as_it_happens() {
    let server = TestServer::start().await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    feed_of(&server, &ada.token, 1).await;
    // The welcome's own live delivery is a later outbox event: let it pass first.
    server.wait_for_outbox().await;
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    let ack = ws::init_transport(
        &mut socket,
        json!({ "authorization": format!("Bearer {}", ada.token) }),
    )
    .await;
    assert!(matches!(&ack, Incoming::Json(v) if v["type"] == "connection_ack"));
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": RECEIVED } }),
    )
    .await;
    // The subscription may not be live the instant `subscribe` is sent: level up until a
    // notification arrives.
    let mut message = None;
    for level in 2..40 {
        emit(&server, "LEVEL_UP", level_up(ada.id, level)).await;
        if let Some(incoming) = ws::try_next(&mut socket, Duration::from_millis(500)).await {
            message = Some(incoming);
            break;
        }
    }
    let Some(Incoming::Json(message)) = message else {
        panic!("no notification arrived: {message:?}");
    };
    assert_eq!(message["type"], "next", "{message}");
    let received = &message["payload"]["data"]["notificationReceived"];
    assert_eq!(received["kind"], "LEVEL_UP");
    let title = received["title"].as_str().expect("title");
    assert!(title.starts_with("You reached level "), "{title}");
    assert_eq!(received["readAt"], Value::Null);
    let level = received["data"]["level"].as_i64().expect("level");
    assert_eq!(title, format!("You reached level {level}"));
    assert_eq!(received["data"]["previousLevel"], level - 1);

    // Another user's notifications never reach this socket.
    let bob = user(&server, "bob@example.org", "Bob").await;
    emit(&server, "LEVEL_UP", level_up(bob.id, 99)).await;
    server.wait_for_outbox().await;
    match ws::try_next(&mut socket, Duration::from_millis(300)).await {
        Some(Incoming::Json(m)) => {
            let level = m["payload"]["data"]["notificationReceived"]["data"]["level"].as_i64();
            assert_ne!(level, Some(99), "Bob's level reached Ada: {m}");
        }
        Some(Incoming::Closed(code)) => panic!("socket closed ({code:?})"),
        None => {}
    }
}

#[tokio::test]
async fn the_same_fact_emitted_twice_notifies_once() {
    let server = TestServer::start().await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    feed_of(&server, &ada.token, 1).await;
    emit(&server, "LEVEL_UP", level_up(ada.id, 5)).await;
    emit(&server, "LEVEL_UP", level_up(ada.id, 5)).await;
    server.wait_for_outbox().await;
    let feed = feed_of(&server, &ada.token, 2).await;
    assert_eq!(feed[0]["title"], "You reached level 5");
    assert_eq!(feed[1]["kind"], "WELCOME");
    let pushes = server.pushes.to_user(ada.id);
    assert_eq!(pushes.len(), 1, "pushed once: {pushes:?}");
    assert_eq!(pushes[0].kind, "LEVEL_UP");
    assert_eq!(
        ids::encode("Notification", pushes[0].notification_id),
        ID(feed[0]["id"].as_str().expect("id").to_owned())
    );
}

/// One claimed batch (written in one statement) with a fact twice, two recipients and a user
/// who does not exist: applied in one pass, each source notified once, the stranger dropped.
#[tokio::test]
async fn one_batch_notifies_each_source_once_and_drops_unknown_users() {
    let server = TestServer::start().await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    let bob = user(&server, "bob@example.org", "Bob").await;
    feed_of(&server, &ada.token, 1).await;
    feed_of(&server, &bob.token, 1).await;
    let platform = &server.state.platform;
    let events = [ada.id, ada.id, bob.id, Uuid::now_v7()]
        .into_iter()
        .map(|who| NewEvent::raw(EventKind::LevelUp, None, level_up(who, 4)))
        .collect();
    outbox::enqueue_many(&platform.db, platform.clock.now(), events)
        .await
        .expect("enqueue");
    platform.wake_outbox();
    server.wait_for_outbox().await;
    for who in [&ada, &bob] {
        let feed = feed_of(&server, &who.token, 2).await;
        assert_eq!(feed[0]["title"], "You reached level 4");
        assert_eq!(feed[1]["kind"], "WELCOME");
        assert_eq!(server.pushes.to_user(who.id).len(), 1, "pushed once");
    }
    // Every event went through on its first attempt: the batch never fell back to retries.
    let retried = agora_entities::platform::outbox_event::Entity::find()
        .filter(agora_entities::platform::outbox_event::Column::Attempts.gt(0))
        .count(&platform.db)
        .await
        .expect("count");
    assert_eq!(retried, 0);
}

#[tokio::test]
async fn turning_email_off_stops_the_mail_but_not_the_feed() {
    let server = TestServer::start().await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    feed_of(&server, &ada.token, 1).await;
    emit(
        &server,
        "STREAK_AT_RISK",
        json!({ "userId": ada.id, "streak": 5, "localDate": "2026-11-26" }),
    )
    .await;
    server.wait_for_outbox().await;
    let streak_mails = |server: &TestServer| -> Vec<Mail> {
        server
            .mailbox
            .messages()
            .into_iter()
            .filter(|m| m.to == "ada@example.org" && m.subject.contains("streak"))
            .collect()
    };
    let mails = streak_mails(&server);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].subject, "Your 5-day streak is at risk");
    assert!(mails[0].body.contains("Your 5-day streak ends at midnight"));

    let updated = server
        .gql_as(
            &ada.token,
            UPDATE,
            json!({ "i": [{ "kind": "STREAK_AT_RISK", "channel": "EMAIL", "enabled": false }] }),
        )
        .await;
    assert_no_errors(&updated);
    let prefs = updated["data"]["updateNotificationPreferences"]
        .as_array()
        .expect("list");
    assert_eq!(prefs.len(), 7 * 3, "every kind × channel");
    assert!(
        prefs.contains(&json!({ "kind": "STREAK_AT_RISK", "channel": "EMAIL", "enabled": false }))
    );
    let read_back = server.gql_as(&ada.token, PREFERENCES, json!({})).await;
    assert_eq!(
        read_back["data"]["notificationPreferences"],
        updated["data"]["updateNotificationPreferences"]
    );

    emit(
        &server,
        "STREAK_AT_RISK",
        json!({ "userId": ada.id, "streak": 6, "localDate": "2026-11-27" }),
    )
    .await;
    server.wait_for_outbox().await;
    let feed = feed_of(&server, &ada.token, 3).await;
    assert_eq!(feed[0]["title"], "Your 6-day streak is at risk");
    assert_eq!(streak_mails(&server).len(), 1, "no mail once EMAIL is off");
    assert_eq!(server.pushes.to_user(ada.id).len(), 2, "PUSH is still on");
}

#[tokio::test]
async fn with_in_app_off_nothing_is_stored_but_mail_and_push_still_go() {
    let server = TestServer::start().await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    feed_of(&server, &ada.token, 1).await;
    let updated = server
        .gql_as(
            &ada.token,
            UPDATE,
            json!({ "i": [{ "kind": "FLASHCARDS_DUE", "channel": "IN_APP", "enabled": false }] }),
        )
        .await;
    assert_no_errors(&updated);
    emit(
        &server,
        "FLASHCARDS_DUE",
        json!({ "userId": ada.id, "dueCount": 7 }),
    )
    .await;
    server.wait_for_outbox().await;
    assert_eq!(feed_of(&server, &ada.token, 1).await[0]["kind"], "WELCOME");
    let mail = server
        .mailbox
        .last_to("ada@example.org")
        .expect("flashcards mail");
    assert_eq!(mail.subject, "7 flashcards due for review");
    let pushes = server.pushes.to_user(ada.id);
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0].data, json!({ "dueCount": 7 }));
}

#[tokio::test]
async fn a_decided_submission_notifies_its_author() {
    let server = TestServer::start().await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    feed_of(&server, &ada.token, 1).await;
    let submission = Uuid::now_v7();
    for status in ["PENDING", "CHANGES_REQUESTED"] {
        emit(
            &server,
            "SUBMISSION_REVIEWED",
            json!({ "submissionId": submission, "authorId": ada.id, "reviewerId": Uuid::now_v7(),
                    "verdict": "REQUEST_CHANGES", "status": status }),
        )
        .await;
    }
    server.wait_for_outbox().await;
    let feed = feed_of(&server, &ada.token, 2).await;
    assert_eq!(feed[0]["kind"], "SUBMISSION_REVIEWED");
    assert_eq!(feed[0]["title"], "Your submission needs changes");
    assert_eq!(
        feed[0]["data"]["submissionId"],
        ids::encode("Submission", submission).as_str()
    );
}

#[tokio::test]
async fn anonymous_callers_are_unauthenticated() {
    let server = TestServer::start().await;
    for (query, vars) in [
        (FEED, json!({})),
        (COUNT, json!({})),
        (PREFERENCES, json!({})),
        (MARK, json!({ "ids": [] })),
        (MARK_ALL, json!({})),
        (UPDATE, json!({ "i": [] })),
    ] {
        let body = server.gql(query, vars).await;
        assert_code!(body, "UNAUTHENTICATED", "{query}");
    }
    let mut socket = ws::connect(&server.ws_url(), "graphql-transport-ws").await;
    let ack = ws::init_transport(&mut socket, json!({})).await;
    assert!(matches!(&ack, Incoming::Json(v) if v["type"] == "connection_ack"));
    ws::send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": RECEIVED } }),
    )
    .await;
    let message = ws::next_json(&mut socket).await;
    let errors = if message["type"] == "error" {
        &message["payload"]
    } else {
        &message["payload"]["errors"]
    };
    assert_eq!(
        errors[0]["extensions"]["code"], "UNAUTHENTICATED",
        "{message}"
    );
}

#[tokio::test]
async fn bad_ids_and_lists_are_bad_user_input() {
    let server = TestServer::start().await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    let garbage = server
        .gql_as(&ada.token, MARK, json!({ "ids": ["not-an-id!"] }))
        .await;
    assert_code!(garbage, "BAD_USER_INPUT");
    assert_body_snapshot!("bad_ids_and_lists_are_bad_user_input-garbage", garbage);
    let user_id = ids::encode("User", ada.id);
    let wrong_type = server
        .gql_as(&ada.token, MARK, json!({ "ids": [user_id] }))
        .await;
    assert_code!(wrong_type, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "bad_ids_and_lists_are_bad_user_input-wrong_type",
        wrong_type
    );
    let many: Vec<String> = (0..101)
        .map(|_| ids::encode("Notification", Uuid::now_v7()).to_string())
        .collect();
    let too_many = server
        .gql_as(&ada.token, MARK, json!({ "ids": many }))
        .await;
    assert_code!(too_many, "BAD_USER_INPUT");
    assert_body_snapshot!("bad_ids_and_lists_are_bad_user_input-too_many", too_many);

    let twice = server
        .gql_as(
            &ada.token,
            UPDATE,
            json!({ "i": [
                { "kind": "LEVEL_UP", "channel": "PUSH", "enabled": false },
                { "kind": "LEVEL_UP", "channel": "PUSH", "enabled": true }
            ] }),
        )
        .await;
    assert_code!(twice, "BAD_USER_INPUT");
    assert_body_snapshot!("bad_ids_and_lists_are_bad_user_input-twice", twice);
    let long: Vec<Value> = (0..19)
        .map(|_| json!({ "kind": "WELCOME", "channel": "EMAIL", "enabled": true }))
        .collect();
    let too_long = server
        .gql_as(&ada.token, UPDATE, json!({ "i": long }))
        .await;
    assert_code!(too_long, "BAD_USER_INPUT");
    assert_body_snapshot!("bad_ids_and_lists_are_bad_user_input-too_long", too_long);
    let bad_cursor = server
        .gql_as(&ada.token, FEED, json!({ "after": "zzz" }))
        .await;
    assert_code!(bad_cursor, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "bad_ids_and_lists_are_bad_user_input-bad_cursor",
        bad_cursor
    );
}
