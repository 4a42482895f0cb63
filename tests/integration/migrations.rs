//! Migrations that move data: rows written under the earlier schema are where the later one
//! reads them, and `down` puts them back.

use agora_entities::{
    gamification::{daily_activity, leaderboard_score, point_award, user_progress},
    identity::user,
};
use agora_migration::{Migrator, MigratorTrait};
use chrono::{TimeZone, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait as _, Query},
};
use uuid::Uuid;

use super::common::TestDb;

async fn insert(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    values: Vec<sea_orm::Value>,
) {
    let mut statement = Query::insert();
    statement
        .into_table(Alias::new(table))
        .columns(columns.iter().map(|c| Alias::new(*c)))
        .values_panic(values.into_iter().map(Expr::val));
    db.execute_raw(db.get_database_backend().build(&statement))
        .await
        .unwrap_or_else(|e| panic!("insert into {table}: {e}"));
}

/// A fresh database and one connection to it, so each step runs where the one before it ran:
/// these tests are of what the migrations do to data, not of the pool.
async fn single_connection() -> (TestDb, DatabaseConnection) {
    let test_db = TestDb::fresh().await;
    let mut options = ConnectOptions::new(test_db.url.clone());
    options.max_connections(1).sqlx_logging(false);
    if let Some(schema) = &test_db.search_path {
        options.set_schema_search_path(schema.clone());
    }
    let db = Database::connect(options).await.expect("connect");
    (test_db, db)
}

#[derive(Debug, PartialEq, Eq, FromQueryResult)]
struct Counter {
    metric: String,
    value: i64,
}

async fn counters(db: &DatabaseConnection, who: Uuid) -> Vec<Counter> {
    let statement = Query::select()
        .columns([Alias::new("metric"), Alias::new("value")])
        .from(Alias::new("user_stats"))
        .and_where(Expr::col(Alias::new("user_id")).eq(who))
        .order_by(Alias::new("metric"), sea_orm::Order::Asc)
        .to_owned();
    Counter::find_by_statement(db.get_database_backend().build(&statement))
        .all(db)
        .await
        .expect("user_stats")
}

async fn boards(db: &DatabaseConnection) -> Vec<(String, i64, i64)> {
    leaderboard_score::Entity::find()
        .order_by_asc(leaderboard_score::Column::Board)
        .all(db)
        .await
        .expect("boards")
        .into_iter()
        .map(|b| (b.board, b.points, b.reached_at))
        .collect()
}

#[tokio::test]
async fn counters_and_board_totals_move_into_progress_and_back() {
    let (_test_db, db) = single_connection().await;
    let db = &db;
    // Up to and including 000015, the migration under test (later ones come after it).
    Migrator::up(db, Some(15)).await.expect("up");
    let now = Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap();
    let who = Uuid::now_v7();
    user::Entity::insert(user::ActiveModel {
        id: Set(who),
        email: Set("mover@example.org".into()),
        display_name: Set("Mover".into()),
        password_hash: Set("!".into()),
        role: Set("LEARNER".into()),
        time_zone: Set("UTC".into()),
        reputation: Set(0),
        email_verified_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await
    .expect("user");
    let topic = Uuid::now_v7();
    for (day, points, key) in [
        ("2026-03-03", 120, "a"),
        ("2026-03-03", 30, "b"),
        ("2026-03-04", 40, "c"),
    ] {
        point_award::Entity::insert(point_award::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(who),
            rule: Set("BATTLE_FINISHED".into()),
            source_event_id: Set(None),
            dedupe_key: Set(key.into()),
            points: Set(points),
            topic_id: Set(Some(topic)),
            occurred_at: Set(now),
            local_date: Set(day.into()),
            created_at: Set(now),
        })
        .exec_without_returning(db)
        .await
        .expect("award");
    }

    // The schema before: counters and every board total as rows of their own.
    Migrator::down(db, Some(1)).await.expect("down to 000014");
    insert(
        db,
        "user_progress",
        &[
            "user_id",
            "points",
            "level",
            "current_streak",
            "longest_streak",
            "freezes",
            "last_active_date",
            "time_zone",
            "updated_at",
        ],
        vec![
            who.into(),
            190i64.into(),
            2.into(),
            2.into(),
            2.into(),
            0.into(),
            "2026-03-04".into(),
            "UTC".into(),
            now.into(),
        ],
    )
    .await;
    for (metric, value) in [("BATTLES_PLAYED", 3i64), ("BATTLES_WON", 1)] {
        insert(
            db,
            "user_stats",
            &["user_id", "metric", "value"],
            vec![who.into(), metric.into(), value.into()],
        )
        .await;
    }
    let topic_board = format!("topic:{topic}");
    for (board, points, reached) in [
        ("global", 190i64, 1_000i64),
        ("weekly:2026-W09", 120, 900),
        ("weekly:2026-W10", 70, 1_000),
        (topic_board.as_str(), 190, 1_000),
    ] {
        insert(
            db,
            "leaderboard_scores",
            &["board", "user_id", "points", "reached_at"],
            vec![board.into(), who.into(), points.into(), reached.into()],
        )
        .await;
    }

    // Up: the counters and the all-time and latest weekly totals are the progress row's.
    Migrator::up(db, Some(1)).await.expect("up");
    // The columns this migration added (the entity has later ones too).
    #[derive(FromQueryResult)]
    struct Folded {
        points: i64,
        stats: user_progress::Counters,
        points_reached_at: i64,
        week: Option<String>,
        week_points: i64,
        week_reached_at: i64,
    }
    let row = user_progress::Entity::find_by_id(who)
        .select_only()
        .columns([
            user_progress::Column::Points,
            user_progress::Column::Stats,
            user_progress::Column::PointsReachedAt,
            user_progress::Column::Week,
            user_progress::Column::WeekPoints,
            user_progress::Column::WeekReachedAt,
        ])
        .into_model::<Folded>()
        .one(db)
        .await
        .expect("progress")
        .expect("row");
    assert_eq!(row.points, 190);
    assert_eq!(row.stats.get("BATTLES_PLAYED"), 3);
    assert_eq!(row.stats.get("BATTLES_WON"), 1);
    assert_eq!(row.stats.0.len(), 2);
    assert_eq!(row.points_reached_at, 1_000);
    assert_eq!(row.week.as_deref(), Some("2026-W10"));
    assert_eq!((row.week_points, row.week_reached_at), (70, 1_000));
    assert_eq!(boards(db).await, vec![(topic_board.clone(), 190, 1_000)]);
    // The local days come from the ledger.
    let days: Vec<(String, i32, i32)> = daily_activity::Entity::find()
        .filter(daily_activity::Column::UserId.eq(who))
        .order_by_asc(daily_activity::Column::LocalDate)
        .all(db)
        .await
        .expect("daily activity")
        .into_iter()
        .map(|d| (d.local_date, d.points, d.actions))
        .collect();
    assert_eq!(
        days,
        vec![("2026-03-03".into(), 150, 2), ("2026-03-04".into(), 40, 1)]
    );

    // Down: every row is back where it was (of the weekly boards, the latest week).
    Migrator::down(db, Some(1)).await.expect("down again");
    assert_eq!(
        counters(db, who).await,
        vec![
            Counter {
                metric: "BATTLES_PLAYED".into(),
                value: 3
            },
            Counter {
                metric: "BATTLES_WON".into(),
                value: 1
            },
        ]
    );
    assert_eq!(
        boards(db).await,
        vec![
            ("global".into(), 190, 1_000),
            (topic_board, 190, 1_000),
            ("weekly:2026-W10".into(), 70, 1_000),
        ]
    );
    #[derive(Debug, PartialEq, Eq, FromQueryResult)]
    struct Day {
        local_date: String,
        points: i32,
        actions: i32,
    }
    let statement = Query::select()
        .columns([
            Alias::new("local_date"),
            Alias::new("points"),
            Alias::new("actions"),
        ])
        .from(Alias::new("daily_activity"))
        .and_where(Expr::col(Alias::new("user_id")).eq(who))
        .order_by(Alias::new("local_date"), sea_orm::Order::Asc)
        .to_owned();
    let days = Day::find_by_statement(db.get_database_backend().build(&statement))
        .all(db)
        .await
        .expect("daily_activity table");
    assert_eq!(
        days,
        vec![
            Day {
                local_date: "2026-03-03".into(),
                points: 150,
                actions: 2
            },
            Day {
                local_date: "2026-03-04".into(),
                points: 40,
                actions: 1
            },
        ]
    );
    // And a table again: it takes writes.
    db.execute_unprepared("DELETE FROM daily_activity")
        .await
        .expect("a table");
    Migrator::up(db, Some(1)).await.expect("up again");
}

/// A station as the sensors migration (000009) made them.
async fn station_at(db: &DatabaseConnection, id: Uuid, now: chrono::DateTime<Utc>) {
    use agora_entities::sensors::station;

    station::Entity::insert(station::ActiveModel {
        id: Set(id),
        name: Set("Before".into()),
        latitude: Set(0.1),
        longitude: Set(32.5),
        city: Set("Kampala".into()),
        country: Set("UG".into()),
        provider: Set("GENERIC".into()),
        owner_id: Set(None),
        aqi_value: Set(None),
        aqi_category: Set(None),
        aqi_dominant: Set(None),
        aqi_computed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await
    .expect("station");
}

#[tokio::test]
async fn hourly_sums_are_filled_from_the_readings_already_stored() {
    use agora_entities::sensors::{reading, reading_hour};

    let (_test_db, db) = single_connection().await;
    let db = &db;
    // Up to and including 000017, the one before the migration under test.
    Migrator::up(db, Some(17)).await.expect("up");
    let now = Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap();
    let id = Uuid::now_v7();
    station_at(db, id, now).await;
    // 11:00–11:59 holds two unflagged PM2.5 readings and one anomaly, 12:00 one, and PM10 one.
    for (parameter, minutes, value, anomaly, stuck) in [
        ("PM25", -50, 10.0, false, false),
        ("PM25", -20, 14.0, false, false),
        ("PM25", -10, 900.0, true, false),
        ("PM25", 5, 30.0, false, false),
        ("PM25", 6, 30.0, false, true),
        ("PM10", -30, 40.0, false, false),
    ] {
        reading::Entity::insert(reading::ActiveModel {
            station_id: Set(id),
            parameter: Set(parameter.into()),
            observed_at: Set(now + chrono::Duration::minutes(minutes)),
            value: Set(value),
            anomaly: Set(anomaly),
            stuck: Set(stuck),
            ingested_at: Set(now),
        })
        .exec_without_returning(db)
        .await
        .expect("reading");
    }
    Migrator::up(db, Some(1)).await.expect("up to 000018");
    let hours: Vec<(String, i64, f64, i64)> = reading_hour::Entity::find()
        .order_by_asc(reading_hour::Column::Parameter)
        .order_by_asc(reading_hour::Column::Hour)
        .all(db)
        .await
        .expect("hours")
        .into_iter()
        .map(|h| (h.parameter, h.hour, h.total, h.count))
        .collect();
    let eleven = now.timestamp() - 3_600;
    assert_eq!(
        hours,
        vec![
            ("PM10".to_owned(), eleven, 40.0, 1),
            ("PM25".to_owned(), eleven, 24.0, 2),
            ("PM25".to_owned(), now.timestamp(), 30.0, 1),
        ]
    );
    Migrator::down(db, Some(1)).await.expect("down");
    assert!(
        reading_hour::Entity::find().all(db).await.is_err(),
        "the table is gone"
    );
    assert_eq!(
        reading::Entity::find()
            .all(db)
            .await
            .expect("readings")
            .len(),
        6
    );
    Migrator::up(db, Some(1)).await.expect("up again");
}

#[tokio::test]
async fn sensors_gain_a_revision_of_zero_and_keep_their_rows_going_down() {
    use agora_entities::sensors::sensor;
    use sea_orm::ActiveValue::NotSet;

    let (_test_db, db) = single_connection().await;
    let db = &db;
    Migrator::up(db, Some(18)).await.expect("up to 000018");
    let now = Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap();
    let id = Uuid::now_v7();
    station_at(db, id, now).await;
    // A sensor written before the column existed (the insert leaves it out).
    sensor::Entity::insert(sensor::ActiveModel {
        station_id: Set(id),
        parameter: Set("PM25".into()),
        first_seen_at: Set(now),
        latest_value: Set(12.5),
        latest_observed_at: Set(now),
        latest_anomaly: Set(false),
        latest_stuck: Set(false),
        revision: NotSet,
    })
    .exec_without_returning(db)
    .await
    .expect("sensor");
    Migrator::up(db, Some(1)).await.expect("up to 000019");
    let sensors = sensor::Entity::find().all(db).await.expect("sensors");
    assert_eq!(sensors.len(), 1);
    assert_eq!((sensors[0].latest_value, sensors[0].revision), (12.5, 0));
    Migrator::down(db, Some(1)).await.expect("down");
    assert!(
        sensor::Entity::find().all(db).await.is_err(),
        "the column is gone"
    );
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let count = Count::find_by_statement(sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*) AS n FROM sensors",
    ))
    .one(db)
    .await
    .expect("count")
    .expect("a row");
    assert_eq!(count.n, 1, "the sensor is kept");
    Migrator::up(db, Some(1)).await.expect("up again");
}

#[tokio::test]
async fn reviews_written_before_fsrs_read_as_sm2_and_keep_their_rows_going_down() {
    use agora_entities::learning::{flashcard, flashcard_review, learning_settings::Scheduler};

    let (_test_db, db) = single_connection().await;
    let db = &db;
    Migrator::up(db, Some(19)).await.expect("up to 000019");
    let now = Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap();
    let (who, card, review) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    insert(
        db,
        "users",
        &[
            "id",
            "email",
            "display_name",
            "password_hash",
            "role",
            "time_zone",
            "reputation",
            "created_at",
            "updated_at",
        ],
        vec![
            who.into(),
            "fsrs@example.org".into(),
            "Fay".into(),
            "!".into(),
            "LEARNER".into(),
            "UTC".into(),
            0i32.into(),
            now.into(),
            now.into(),
        ],
    )
    .await;
    insert(
        db,
        "flashcards",
        &[
            "id",
            "owner_id",
            "front",
            "back",
            "difficulty",
            "ease_factor",
            "interval_days",
            "repetitions",
            "next_review_at",
            "last_reviewed_at",
            "review_count",
            "lapses",
            "created_at",
            "updated_at",
        ],
        vec![
            card.into(),
            who.into(),
            "Front".into(),
            "Back".into(),
            "NORMAL".into(),
            2.6f64.into(),
            6i32.into(),
            2i32.into(),
            now.into(),
            now.into(),
            2i32.into(),
            0i32.into(),
            now.into(),
            now.into(),
        ],
    )
    .await;
    insert(
        db,
        "flashcard_reviews",
        &[
            "id",
            "flashcard_id",
            "user_id",
            "quality",
            "reviewed_at",
            "interval_days",
            "ease_factor",
        ],
        vec![
            review.into(),
            card.into(),
            who.into(),
            5i32.into(),
            now.into(),
            6i32.into(),
            2.6f64.into(),
        ],
    )
    .await;
    Migrator::up(db, Some(1)).await.expect("up to 000020");
    let row = flashcard_review::Entity::find_by_id(review)
        .one(db)
        .await
        .expect("read")
        .expect("the review");
    assert_eq!(
        (
            row.scheduler,
            row.interval_before,
            row.ease_before,
            row.stability_after
        ),
        (Scheduler::Sm2, 0, None, None)
    );
    // The columns this migration added (the entity has later ones too).
    let card_row: (f64, Option<f64>) = flashcard::Entity::find_by_id(card)
        .select_only()
        .column(flashcard::Column::EaseFactor)
        .column(flashcard::Column::Stability)
        .into_tuple()
        .one(db)
        .await
        .expect("read")
        .expect("the card");
    assert_eq!(card_row, (2.6, None));
    Migrator::down(db, Some(1)).await.expect("down");
    assert!(
        flashcard_review::Entity::find().all(db).await.is_err(),
        "the columns are gone"
    );
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    for table in ["flashcards", "flashcard_reviews"] {
        let count = Count::find_by_statement(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .one(db)
        .await
        .expect("count")
        .expect("a row");
        assert_eq!(count.n, 1, "{table} keeps its row");
    }
    Migrator::up(db, Some(1)).await.expect("up again");
}
