//! Anki packages: a collection built here (Anki's schema, notes, cards and review log) zipped as
//! Anki writes it, legacy and zstd-compressed, imported through a multipart upload; its
//! scheduling and log carried over; all or nothing; bad packages refused.

use std::io::Write;

use agora_entities::learning::flashcard_review;
use agora_platform::clock::Clock;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use super::common::{
    TestServer, assert_code, assert_no_errors, clock::clocked, knowledge::topic, multipart,
};

const IMPORT: &str =
    "mutation($input: ImportAnkiPackageInput!) { importAnkiPackage(input: $input) {
    created dryRun accepted rows { line front error note } } }";

/// Anki's collection tables (schema 11, as `collection.anki2` and `.anki21` hold them).
const SCHEMA: &str = "
CREATE TABLE col (id integer primary key, crt integer not null, mod integer not null,
  scm integer not null, ver integer not null, dty integer not null, usn integer not null,
  ls integer not null, conf text not null, models text not null, decks text not null,
  dconf text not null, tags text not null);
CREATE TABLE notes (id integer primary key, guid text not null, mid integer not null,
  mod integer not null, usn integer not null, tags text not null, flds text not null,
  sfld integer not null, csum integer not null, flags integer not null, data text not null);
CREATE TABLE cards (id integer primary key, nid integer not null, did integer not null,
  ord integer not null, mod integer not null, usn integer not null, type integer not null,
  queue integer not null, due integer not null, ivl integer not null, factor integer not null,
  reps integer not null, lapses integer not null, left integer not null, odue integer not null,
  odid integer not null, flags integer not null, data text not null);
CREATE TABLE revlog (id integer primary key, cid integer not null, usn integer not null,
  ease integer not null, ivl integer not null, lastIvl integer not null,
  factor integer not null, time integer not null, type integer not null);
";

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A collection file's bytes: `notes` (tags, fields) with one card each (`type`, `due`, `ivl`,
/// `factor`, `reps`, `lapses`), a second card for cloze notes, and `revlog` rows
/// (note index, at, button, ivl, last ivl, factor, type).
#[allow(clippy::type_complexity)]
async fn collection(
    created: DateTime<Utc>,
    notes: &[(&str, &str, (i64, i64, i64, i64, i64, i64))],
    revlog: &[(usize, DateTime<Utc>, i64, i64, i64, i64, i64)],
) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("collection.anki2");
    let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .expect("collection");
    db.execute_unprepared(SCHEMA).await.expect("schema");
    db.execute_unprepared(&format!(
        "INSERT INTO col VALUES (1, {}, 0, 0, 11, 0, 0, 0, '{{}}', '{{}}', '{{}}', '{{}}', '{{}}')",
        created.timestamp()
    ))
    .await
    .expect("col");
    for (n, (tags, fields, (kind, due, ivl, factor, reps, lapses))) in notes.iter().enumerate() {
        let (note, card) = (1_000 + n as i64, 5_000 + n as i64);
        db.execute_unprepared(&format!(
            "INSERT INTO notes VALUES ({note}, 'g{n}', 1, 0, 0, {}, {}, 0, 0, 0, '')",
            quoted(tags),
            quoted(fields)
        ))
        .await
        .expect("note");
        db.execute_unprepared(&format!(
            "INSERT INTO cards VALUES ({card}, {note}, 1, 0, 0, 0, {kind}, {kind}, {due}, {ivl}, \
             {factor}, {reps}, {lapses}, 0, 0, 0, 0, '')"
        ))
        .await
        .expect("card");
        if fields.contains("{{c2::") {
            // The second deletion's card: not imported, and its log with it.
            db.execute_unprepared(&format!(
                "INSERT INTO cards VALUES ({}, {note}, 1, 1, 0, 0, 2, 2, 1, 30, 2500, 4, 0, 0, 0, \
                 0, 0, '')",
                card + 100
            ))
            .await
            .expect("card 2");
            db.execute_unprepared(&format!(
                "INSERT INTO revlog VALUES (1, {}, 0, 3, 30, 10, 2500, 6000, 1)",
                card + 100
            ))
            .await
            .expect("other log");
        }
    }
    for (note, at, ease, ivl, last_ivl, factor, kind) in revlog {
        db.execute_unprepared(&format!(
            "INSERT INTO revlog VALUES ({}, {}, 0, {ease}, {ivl}, {last_ivl}, {factor}, 6000, \
             {kind})",
            at.timestamp_millis(),
            5_000 + *note as i64
        ))
        .await
        .expect("revlog");
    }
    db.close().await.expect("close");
    std::fs::read(&path).expect("bytes")
}

/// A zip of `files`, deflated as Anki writes packages.
fn zipped(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("entry");
        zip.write_all(bytes).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

async fn import(server: &TestServer, token: Option<&str>, input: Value, package: &[u8]) -> Value {
    let (form_type, body) = multipart(
        json!({ "query": IMPORT, "variables": { "input": input } }),
        package,
        "application/octet-stream",
    );
    let mut request = server
        .http
        .post(server.url("/graphql"))
        .header("content-type", form_type)
        .header("apollo-require-preflight", "true")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn an_anki_package_brings_its_notes_scheduling_and_review_log() {
    let (server, clock) = clocked().await;
    let now = clock.now();
    let tokens = server.role_tokens().await;
    let optics = topic(&server, &tokens.moderator, "Optics", None).await["id"]
        .as_str()
        .expect("topic")
        .to_owned();
    let created = now - Duration::days(100);
    let many_tags = (0..12)
        .map(|n| format!("t{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    let learning_due = (now + Duration::minutes(10)).timestamp();
    let notes = [
        // A review card: interval 10 days, ease 2.3, one lapse, due on day 103 (in 3 days).
        (
            " Optics Physics ",
            "What <b>bends</b> light?\u{1f}A lens<br><img src=\"lens.png\">",
            (2, 103, 10, 2300, 3, 1),
        ),
        // A new cloze note with two deletions (two cards in Anki; one here).
        (
            "",
            "{{c1::Mitochondria}} make {{c2::ATP::molecule}}\u{1f}Back extra",
            (0, 1, 0, 0, 0, 0),
        ),
        // A learning card due in ten minutes.
        (
            "",
            "Speed of light?\u{1f}3e8 m/s",
            (1, learning_due, 0, 2500, 1, 0),
        ),
        ("", "Too many tags\u{1f}yes", (0, 2, 0, 0, 0, 0)),
    ];
    let day = |d: i64| now - Duration::days(d);
    let revlog = [
        (0, day(30), 3, -600, 0, 2500, 0),
        (0, day(20), 1, 1, 1, 2300, 1),
        (0, day(7), 3, 10, 1, 2300, 1),
        // A manual reschedule and an entry dated after now: skipped.
        (0, day(6), 0, 12, 10, 2300, 4),
        (0, now + Duration::days(1), 3, 20, 10, 2300, 1),
        (2, now - Duration::hours(1), 3, -600, 0, 2500, 0),
    ];
    let mut notes_with_tags = notes.to_vec();
    notes_with_tags[3].0 = &many_tags;
    let legacy = collection(created, &notes_with_tags, &revlog).await;
    let package = zipped(&[("collection.anki21", &legacy), ("media", b"{}")]);

    let una = server.register_token("una@example.org").await;
    // A dry run reports every note and stores nothing.
    let dry = import(
        &server,
        Some(&una),
        json!({ "topicId": optics, "upload": null, "dryRun": true }),
        &package,
    )
    .await;
    assert_no_errors(&dry);
    let report = &dry["data"]["importAnkiPackage"];
    assert_eq!(
        (&report["created"], &report["accepted"], &report["dryRun"]),
        (&json!(0), &json!(true), &json!(true))
    );
    assert_eq!(
        report["rows"],
        json!([
            { "line": 1, "front": "What bends light?", "error": null,
              "note": "images and sounds are not imported" },
            { "line": 2, "front": "[…] make [molecule]", "error": null, "note": null },
            { "line": 3, "front": "Speed of light?", "error": null, "note": null },
            { "line": 4, "front": "Too many tags", "error": null,
              "note": "2 tag(s) dropped (at most 10, each 1 to 40 characters)" },
        ])
    );
    let reviews = || async {
        flashcard_review::Entity::find()
            .count(&server.state.platform.db)
            .await
            .expect("count")
    };
    assert_eq!(reviews().await, 0);

    let done = import(
        &server,
        Some(&una),
        json!({ "topicId": optics, "upload": null }),
        &package,
    )
    .await;
    assert_no_errors(&done);
    assert_eq!(done["data"]["importAnkiPackage"]["created"], 4);
    let cards = server
        .gql_as(
            &una,
            "{ myFlashcards(first: 10) { edges { node { front back tags state intervalDays easeFactor lapses reviewCount nextReviewAt lastReviewedAt } } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&cards);
    let by_front = |front: &str| {
        cards["data"]["myFlashcards"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|edge| &edge["node"])
            .find(|node| node["front"] == front)
            .cloned()
            .unwrap_or_else(|| panic!("no card {front}: {cards}"))
    };
    let at = |value: &Value| {
        DateTime::parse_from_rfc3339(value.as_str().expect("time"))
            .expect("rfc3339")
            .to_utc()
    };
    let lens = by_front("What bends light?");
    assert_eq!(
        (
            &lens["back"],
            &lens["tags"],
            &lens["state"],
            &lens["intervalDays"],
            &lens["lapses"],
            &lens["reviewCount"]
        ),
        (
            &json!("A lens"),
            &json!(["optics", "physics"]),
            &json!("REVIEW"),
            &json!(10),
            &json!(1),
            &json!(3)
        )
    );
    assert!((lens["easeFactor"].as_f64().expect("ease") - 2.3).abs() < 1e-9);
    assert_eq!(at(&lens["nextReviewAt"]), created + Duration::days(103));
    assert_eq!(at(&lens["lastReviewedAt"]), day(7));
    let cloze = by_front("[…] make [molecule]");
    assert_eq!(
        (&cloze["back"], &cloze["state"], &cloze["reviewCount"]),
        (
            &json!("Mitochondria make ATP\nBack extra"),
            &json!("NEW"),
            &json!(0)
        )
    );
    let learning = by_front("Speed of light?");
    assert_eq!(learning["reviewCount"], 1);
    assert_eq!(
        at(&learning["nextReviewAt"]).timestamp(),
        learning_due,
        "{learning}"
    );
    assert_eq!(
        by_front("Too many tags")["tags"].as_array().map(Vec::len),
        Some(10)
    );
    // The kept answers of the imported cards: three for the lens, one for the learning card;
    // not the cloze's second card's, the reschedule's or the future one's.
    assert_eq!(reviews().await, 4);
    let first_answer = flashcard_review::Entity::find()
        .filter(flashcard_review::Column::ReviewedAt.eq(day(30)))
        .one(&server.state.platform.db)
        .await
        .expect("read")
        .expect("the first answer");
    assert_eq!((first_answer.quality, first_answer.elapsed_days), (4, None));
    // A change of scheduler reads the imported log: both reviewed cards get a memory state.
    let switched = server
        .gql_as(
            &una,
            "mutation { updateLearningSettings(input: { scheduler: FSRS }) { convertedCards } }",
            json!({}),
        )
        .await;
    assert_no_errors(&switched);
    assert_eq!(
        switched["data"]["updateLearningSettings"]["convertedCards"],
        2
    );

    // The same package again: every note is already in the topic; nothing is stored.
    let again = import(
        &server,
        Some(&una),
        json!({ "topicId": optics, "upload": null }),
        &package,
    )
    .await;
    assert_no_errors(&again);
    let report = &again["data"]["importAnkiPackage"];
    assert_eq!(
        (&report["created"], &report["accepted"]),
        (&json!(0), &json!(false))
    );
    assert_eq!(
        report["rows"][0]["error"],
        "a card with this front is in the topic already"
    );
    assert_eq!(reviews().await, 4);

    // Anki 2.1.50+: the real collection zstd-compressed, a placeholder in the legacy file.
    let placeholder = collection(
        created,
        &[(
            "",
            "Please update to the latest Anki version\u{1f}x",
            (0, 1, 0, 0, 0, 0),
        )],
        &[],
    )
    .await;
    let compressed = zstd::encode_all(&legacy[..], 3).expect("zstd");
    let modern = zipped(&[
        ("collection.anki2", &placeholder),
        ("collection.anki21b", &compressed),
    ]);
    let vic = server.register_token("vic@example.org").await;
    let read = import(
        &server,
        Some(&vic),
        json!({ "topicId": optics, "upload": null, "dryRun": true }),
        &modern,
    )
    .await;
    assert_no_errors(&read);
    let fronts: Vec<&str> = read["data"]["importAnkiPackage"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["front"].as_str().expect("front"))
        .collect();
    assert_eq!(
        fronts,
        [
            "What bends light?",
            "[…] make [molecule]",
            "Speed of light?",
            "Too many tags"
        ]
    );

    // Bad packages: named, nothing stored.
    let not_zip = import(
        &server,
        Some(&vic),
        json!({ "topicId": optics, "upload": null }),
        b"these bytes are not a zip",
    )
    .await;
    assert_code!(not_zip, "BAD_USER_INPUT");
    assert_eq!(not_zip["errors"][0]["extensions"]["field"], "input.upload");
    let empty_zip = zipped(&[("media", b"{}")]);
    let no_collection = import(
        &server,
        Some(&vic),
        json!({ "topicId": optics, "upload": null }),
        &empty_zip,
    )
    .await;
    assert_code!(no_collection, "BAD_USER_INPUT");
    let garbage = zipped(&[("collection.anki2", b"not an SQLite database at all")]);
    let unreadable = import(
        &server,
        Some(&vic),
        json!({ "topicId": optics, "upload": null }),
        &garbage,
    )
    .await;
    assert_code!(unreadable, "BAD_USER_INPUT");
    assert!(
        unreadable["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not an Anki database")),
        "{unreadable}"
    );
    // The tables this import reads must be tables: a view is refused before it is read.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("collection.anki2");
    let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .expect("collection");
    db.execute_unprepared(&SCHEMA.replace(
        "CREATE TABLE notes (",
        "CREATE VIEW notes AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) \
         SELECT x AS id, '' AS tags, 'a' AS flds FROM n; CREATE TABLE unused_notes (",
    ))
    .await
    .expect("schema with a view");
    db.close().await.expect("close");
    let viewed = zipped(&[("collection.anki2", &std::fs::read(&path).expect("bytes"))]);
    let endless = import(
        &server,
        Some(&vic),
        json!({ "topicId": optics, "upload": null }),
        &viewed,
    )
    .await;
    assert_code!(endless, "BAD_USER_INPUT");
    assert!(
        endless["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not an Anki database")),
        "{endless}"
    );
    let nowhere = import(
        &server,
        Some(&vic),
        json!({ "topicId": agora_platform::ids::encode("Topic", uuid::Uuid::now_v7()), "upload": null }),
        &package,
    )
    .await;
    assert_code!(nowhere, "BAD_USER_INPUT");
    let anonymous = import(
        &server,
        None,
        json!({ "topicId": optics, "upload": null }),
        &package,
    )
    .await;
    assert_code!(anonymous, "UNAUTHENTICATED");
    let vics = server
        .gql_as(&vic, "{ flashcardStats { totalCards } }", json!({}))
        .await;
    assert_eq!(vics["data"]["flashcardStats"]["totalCards"], 0);
    assert_eq!(reviews().await, 4);
    server.shutdown().await;
}
