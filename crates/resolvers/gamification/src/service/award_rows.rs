//! The reads and writes of [`awards`](super::awards), one function per table, each in a fixed
//! number of statements whatever the batch size.
//!
//! On PostgreSQL each is one statement over arrays (`unnest($1::uuid[], …)`, `= ANY($1)`): a
//! handful of parameters instead of thousands, so neither side builds, binds or parses a
//! statement thousands of values long, and a batch is one round trip per table. Measured on
//! 200,000 awards (four workers, two partitions, interleaved): 11,300 → 15,400 awards/s. SQLite
//! runs the same writes as multi-row `VALUES` statements of [`CHUNK`] rows (it has no arrays, and
//! its single writer makes round trips local calls).
//!
//! Every function writes rows in the order given; callers sort them (see the lock order in
//! [`awards`](super::awards)).

use agora_entities::gamification::{
    leaderboard_score, point_award, user_achievement, user_progress,
};
use agora_platform::AppResult;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, IdenStatic,
    IntoActiveModel, Order, QueryFilter, QueryOrder, QuerySelect, Statement, TryInsertResult,
    Value,
    sea_query::{Alias, Expr, ExprTrait as _, OnConflict},
};
use uuid::Uuid;

use super::leaderboard::Total;

/// Rows per multi-row statement on SQLite: at most 10 parameters a row, far below its limit.
const CHUNK: usize = 500;

fn is_postgres<C: ConnectionTrait>(db: &C) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

async fn execute<C: ConnectionTrait>(db: &C, sql: &str, values: Vec<Value>) -> AppResult<()> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .await?;
    Ok(())
}

async fn query<C: ConnectionTrait, M: FromQueryResult>(
    db: &C,
    sql: &str,
    values: Vec<Value>,
) -> AppResult<Vec<M>> {
    Ok(M::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .all(db)
    .await?)
}

fn ids(users: &[Uuid]) -> Value {
    users.to_vec().into()
}

/// One column of `rows`, as a PostgreSQL array parameter.
fn array<R, T>(rows: &[R], field: impl Fn(&R) -> T) -> Value
where
    Vec<T>: Into<Value>,
{
    rows.iter().map(field).collect::<Vec<_>>().into()
}

/// Writes `rows` (unless there are none): on PostgreSQL as `sql` over the arrays `arrays`
/// gives; on SQLite as multi-row inserts of [`CHUNK`] rows resolving conflicts by
/// `on_conflict`.
async fn write<C, E>(
    db: &C,
    rows: &[E::Model],
    sql: &str,
    arrays: impl FnOnce(&[E::Model]) -> Vec<Value>,
    on_conflict: OnConflict,
) -> AppResult<()>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Clone,
{
    if rows.is_empty() {
        return Ok(());
    }
    if is_postgres(db) {
        return execute(db, sql, arrays(rows)).await;
    }
    for chunk in rows.chunks(CHUNK) {
        E::insert_many(chunk.iter().map(|r| r.clone().into_active_model()))
            .on_conflict(on_conflict.clone())
            .try_insert()
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Inserts the ledger rows that are new (`ON CONFLICT (user_id, dedupe_key) DO NOTHING`);
/// returns the ids of those that went in.
pub(super) async fn insert_ledger<C: ConnectionTrait>(
    db: &C,
    rows: &[point_award::Model],
) -> AppResult<Vec<Uuid>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    if is_postgres(db) {
        #[derive(FromQueryResult)]
        struct Inserted {
            id: Uuid,
        }
        // Arrays of uuid cannot hold NULL here: an absent topic travels as ''.
        let inserted: Vec<Inserted> = query(
            db,
            "INSERT INTO point_awards (id, user_id, rule, source_event_id, dedupe_key, points, \
               topic_id, occurred_at, local_date, created_at) \
             SELECT id, user_id, rule, NULLIF(source, '')::uuid, dedupe_key, points, \
               NULLIF(topic, '')::uuid, occurred_at, local_date, $10 \
               FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], \
                 $6::int4[], $7::text[], $8::timestamptz[], $9::text[]) \
                 AS v(id, user_id, rule, source, dedupe_key, points, topic, occurred_at, local_date) \
             ON CONFLICT (user_id, dedupe_key) DO NOTHING RETURNING id",
            vec![
                array(rows, |r| r.id),
                array(rows, |r| r.user_id),
                array(rows, |r| r.rule.clone()),
                array(rows, |r| r.source_event_id.map(|id| id.to_string()).unwrap_or_default()),
                array(rows, |r| r.dedupe_key.clone()),
                array(rows, |r| r.points),
                array(rows, |r| r.topic_id.map(|id| id.to_string()).unwrap_or_default()),
                array(rows, |r| r.occurred_at),
                array(rows, |r| r.local_date.clone()),
                rows[0].created_at.into(),
            ],
        )
        .await?;
        return Ok(inserted.into_iter().map(|r| r.id).collect());
    }
    let mut went_in = Vec::new();
    for chunk in rows.chunks(CHUNK) {
        let result =
            point_award::Entity::insert_many(chunk.iter().map(|r| r.clone().into_active_model()))
                .on_conflict_do_nothing_on([
                    point_award::Column::UserId,
                    point_award::Column::DedupeKey,
                ])
                .exec_with_returning_many(db)
                .await?;
        if let TryInsertResult::Inserted(rows) = result {
            went_in.extend(rows.into_iter().map(|r| r.id));
        }
    }
    Ok(went_in)
}

/// Creates the progress rows that do not exist yet (`DO NOTHING` for those that do).
pub(super) async fn create_progress<C: ConnectionTrait>(
    db: &C,
    rows: &[user_progress::Model],
) -> AppResult<()> {
    write::<_, user_progress::Entity>(
        db,
        rows,
        "INSERT INTO user_progress (user_id, points, level, current_streak, longest_streak, \
           freezes, last_active_date, time_zone, updated_at) \
         SELECT user_id, 0, 1, 0, 0, 0, NULL, time_zone, $3 \
           FROM unnest($1::uuid[], $2::text[]) AS v(user_id, time_zone) \
         ON CONFLICT (user_id) DO NOTHING",
        |rows| {
            vec![
                array(rows, |r| r.user_id),
                array(rows, |r| r.time_zone.clone()),
                rows[0].updated_at.into(),
            ]
        },
        OnConflict::columns([user_progress::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .await
}

/// The progress rows of `users` (sorted), locked `FOR UPDATE` in user order.
pub(super) async fn lock_progress<C: ConnectionTrait>(
    db: &C,
    users: &[Uuid],
) -> AppResult<Vec<user_progress::Model>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    if is_postgres(db) {
        return query(
            db,
            "SELECT * FROM user_progress WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE",
            vec![ids(users)],
        )
        .await;
    }
    let mut rows = Vec::with_capacity(users.len());
    for chunk in users.chunks(CHUNK) {
        rows.extend(
            user_progress::Entity::find()
                .filter(user_progress::Column::UserId.is_in(chunk.iter().copied()))
                .order_by(user_progress::Column::UserId, Order::Asc)
                .lock_exclusive()
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// Every progress row, locked `FOR UPDATE` in user order (a rebuild of the totals).
pub(super) async fn lock_every_progress<C: ConnectionTrait>(
    db: &C,
) -> AppResult<Vec<user_progress::Model>> {
    if is_postgres(db) {
        return query(
            db,
            "SELECT * FROM user_progress ORDER BY user_id FOR UPDATE",
            Vec::new(),
        )
        .await;
    }
    Ok(user_progress::Entity::find()
        .order_by(user_progress::Column::UserId, Order::Asc)
        .all(db)
        .await?)
}

/// The rows of `E` (keyed by a `user_id`) that belong to `users`.
async fn of_users<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    users: &[Uuid],
    user_id: E::Column,
) -> AppResult<Vec<E::Model>> {
    if is_postgres(db) {
        let sql = format!(
            "SELECT * FROM {} WHERE {} = ANY($1)",
            E::default().table_name(),
            user_id.as_str()
        );
        return query(db, &sql, vec![ids(users)]).await;
    }
    let mut rows = Vec::new();
    for chunk in users.chunks(CHUNK) {
        rows.extend(
            E::find()
                .filter(user_id.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// The achievements `users` unlocked.
pub(super) async fn unlocked_of<C: ConnectionTrait>(
    db: &C,
    users: &[Uuid],
) -> AppResult<Vec<user_achievement::Model>> {
    of_users::<_, user_achievement::Entity>(db, users, user_achievement::Column::UserId).await
}

/// Writes the new state of locked progress rows.
pub(super) async fn save_progress<C: ConnectionTrait>(
    db: &C,
    rows: &[user_progress::Model],
) -> AppResult<()> {
    use user_progress::Column as P;
    write::<_, user_progress::Entity>(
        db,
        rows,
        "UPDATE user_progress p SET points = v.points, level = v.level, \
           current_streak = v.current_streak, longest_streak = v.longest_streak, \
           freezes = v.freezes, last_active_date = NULLIF(v.last_active_date, ''), \
           time_zone = v.time_zone, updated_at = v.updated_at, stats = v.stats::json, \
           points_reached_at = v.points_reached_at, week = NULLIF(v.week, ''), \
           week_points = v.week_points, week_reached_at = v.week_reached_at, \
           month = NULLIF(v.month, ''), month_points = v.month_points, \
           month_reached_at = v.month_reached_at \
         FROM unnest($1::uuid[], $2::int8[], $3::int4[], $4::int4[], $5::int4[], $6::int4[], \
             $7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::int8[], $12::text[], \
             $13::int8[], $14::int8[], $15::text[], $16::int8[], $17::int8[]) \
           AS v(user_id, points, level, current_streak, longest_streak, freezes, \
             last_active_date, time_zone, updated_at, stats, points_reached_at, week, \
             week_points, week_reached_at, month, month_points, month_reached_at) \
         WHERE p.user_id = v.user_id",
        |rows| {
            vec![
                array(rows, |r| r.user_id),
                array(rows, |r| r.points),
                array(rows, |r| r.level),
                array(rows, |r| r.current_streak),
                array(rows, |r| r.longest_streak),
                array(rows, |r| r.freezes),
                array(rows, |r| r.last_active_date.clone().unwrap_or_default()),
                array(rows, |r| r.time_zone.clone()),
                array(rows, |r| r.updated_at),
                array(rows, |r| {
                    serde_json::to_string(&r.stats).unwrap_or_else(|_| "{}".to_owned())
                }),
                array(rows, |r| r.points_reached_at),
                array(rows, |r| r.week.clone().unwrap_or_default()),
                array(rows, |r| r.week_points),
                array(rows, |r| r.week_reached_at),
                array(rows, |r| r.month.clone().unwrap_or_default()),
                array(rows, |r| r.month_points),
                array(rows, |r| r.month_reached_at),
            ]
        },
        OnConflict::column(P::UserId)
            .update_columns([
                P::Points,
                P::Level,
                P::CurrentStreak,
                P::LongestStreak,
                P::Freezes,
                P::LastActiveDate,
                P::TimeZone,
                P::UpdatedAt,
                P::Stats,
                P::PointsReachedAt,
                P::Week,
                P::WeekPoints,
                P::WeekReachedAt,
                P::Month,
                P::MonthPoints,
                P::MonthReachedAt,
            ])
            .to_owned(),
    )
    .await
}

/// Records unlocked achievements (once each).
pub(super) async fn insert_unlocks<C: ConnectionTrait>(
    db: &C,
    rows: &[user_achievement::Model],
) -> AppResult<()> {
    write::<_, user_achievement::Entity>(
        db,
        rows,
        "INSERT INTO user_achievements (user_id, achievement_key, unlocked_at) \
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) \
         ON CONFLICT (user_id, achievement_key) DO NOTHING",
        |rows| {
            vec![
                array(rows, |r| r.user_id),
                array(rows, |r| r.achievement_key.clone()),
                array(rows, |r| r.unlocked_at),
            ]
        },
        OnConflict::columns([
            user_achievement::Column::UserId,
            user_achievement::Column::AchievementKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .await
}

/// Adds `points` to each `(board, user)` total of `leaderboard_scores`, keeping the later
/// `reached_at`; returns the totals after the change.
pub(super) async fn add_to_boards<C: ConnectionTrait>(
    db: &C,
    rows: &[leaderboard_score::Model],
) -> AppResult<Vec<Total>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    if is_postgres(db) {
        return query(
            db,
            "INSERT INTO leaderboard_scores (board, user_id, points, reached_at) \
             SELECT * FROM unnest($1::text[], $2::uuid[], $3::int8[], $4::int8[]) \
             ON CONFLICT (board, user_id) DO UPDATE SET \
               points = leaderboard_scores.points + excluded.points, \
               reached_at = GREATEST(leaderboard_scores.reached_at, excluded.reached_at) \
             RETURNING *",
            vec![
                array(rows, |r| r.board.clone()),
                array(rows, |r| r.user_id),
                array(rows, |r| r.points),
                array(rows, |r| r.reached_at),
            ],
        )
        .await;
    }
    let mut totals: Vec<leaderboard_score::Model> = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        let table = leaderboard_score::Entity;
        let reached = Expr::col((table, leaderboard_score::Column::ReachedAt));
        let incoming = Expr::col((Alias::new("excluded"), leaderboard_score::Column::ReachedAt));
        totals.extend(
            leaderboard_score::Entity::insert_many(
                chunk.iter().map(|r| r.clone().into_active_model()),
            )
            .on_conflict(
                OnConflict::columns([
                    leaderboard_score::Column::Board,
                    leaderboard_score::Column::UserId,
                ])
                .value(
                    leaderboard_score::Column::Points,
                    added(table, leaderboard_score::Column::Points),
                )
                .value(
                    leaderboard_score::Column::ReachedAt,
                    Expr::case(incoming.clone().gt(reached.clone()), incoming).finally(reached),
                )
                .to_owned(),
            )
            .exec_with_returning(db)
            .await?,
        );
    }
    Ok(totals
        .into_iter()
        .map(|t| Total {
            board: t.board,
            user_id: t.user_id,
            points: t.points,
            reached_at: t.reached_at,
        })
        .collect())
}

/// `table.column + excluded.column`, for upserts that add.
fn added<T, C>(table: T, column: C) -> Expr
where
    T: sea_orm::sea_query::IntoIden + Copy + 'static,
    C: sea_orm::sea_query::IntoIden + Copy + 'static,
{
    Expr::col((table, column)).add(Expr::col((Alias::new("excluded"), column)))
}
