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
    daily_activity, leaderboard_score, point_award, user_achievement, user_progress, user_stat,
};
use agora_platform::AppResult;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, IntoActiveModel, Order,
    QueryFilter, QueryOrder, QuerySelect, Statement, TryInsertResult, Value,
    sea_query::{Alias, Expr, ExprTrait as _, OnConflict},
};
use uuid::Uuid;

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
                rows.iter().map(|r| r.id).collect::<Vec<_>>().into(),
                rows.iter().map(|r| r.user_id).collect::<Vec<_>>().into(),
                rows.iter().map(|r| r.rule.clone()).collect::<Vec<_>>().into(),
                rows.iter()
                    .map(|r| r.source_event_id.map(|id| id.to_string()).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .into(),
                rows.iter().map(|r| r.dedupe_key.clone()).collect::<Vec<_>>().into(),
                rows.iter().map(|r| r.points).collect::<Vec<_>>().into(),
                rows.iter()
                    .map(|r| r.topic_id.map(|id| id.to_string()).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .into(),
                rows.iter().map(|r| r.occurred_at).collect::<Vec<_>>().into(),
                rows.iter().map(|r| r.local_date.clone()).collect::<Vec<_>>().into(),
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
    if rows.is_empty() {
        return Ok(());
    }
    if is_postgres(db) {
        return execute(
            db,
            "INSERT INTO user_progress (user_id, points, level, current_streak, longest_streak, \
               freezes, last_active_date, time_zone, updated_at) \
             SELECT user_id, 0, 1, 0, 0, 0, NULL, time_zone, $3 \
               FROM unnest($1::uuid[], $2::text[]) AS v(user_id, time_zone) \
             ON CONFLICT (user_id) DO NOTHING",
            vec![
                rows.iter().map(|r| r.user_id).collect::<Vec<_>>().into(),
                rows.iter()
                    .map(|r| r.time_zone.clone())
                    .collect::<Vec<_>>()
                    .into(),
                rows[0].updated_at.into(),
            ],
        )
        .await;
    }
    for chunk in rows.chunks(CHUNK) {
        user_progress::Entity::insert_many(chunk.iter().map(|r| r.clone().into_active_model()))
            .on_conflict_do_nothing_on([user_progress::Column::UserId])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
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

/// The counters of `users`.
pub(super) async fn stats_of<C: ConnectionTrait>(
    db: &C,
    users: &[Uuid],
) -> AppResult<Vec<user_stat::Model>> {
    if is_postgres(db) {
        return query(
            db,
            "SELECT * FROM user_stats WHERE user_id = ANY($1)",
            vec![ids(users)],
        )
        .await;
    }
    let mut rows = Vec::new();
    for chunk in users.chunks(CHUNK) {
        rows.extend(
            user_stat::Entity::find()
                .filter(user_stat::Column::UserId.is_in(chunk.iter().copied()))
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
    if is_postgres(db) {
        return query(
            db,
            "SELECT * FROM user_achievements WHERE user_id = ANY($1)",
            vec![ids(users)],
        )
        .await;
    }
    let mut rows = Vec::new();
    for chunk in users.chunks(CHUNK) {
        rows.extend(
            user_achievement::Entity::find()
                .filter(user_achievement::Column::UserId.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// Writes the new state of locked progress rows.
pub(super) async fn save_progress<C: ConnectionTrait>(
    db: &C,
    rows: &[user_progress::Model],
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if is_postgres(db) {
        return execute(
            db,
            "UPDATE user_progress p SET points = v.points, level = v.level, \
               current_streak = v.current_streak, longest_streak = v.longest_streak, \
               freezes = v.freezes, last_active_date = NULLIF(v.last_active_date, ''), \
               time_zone = v.time_zone, updated_at = v.updated_at \
             FROM unnest($1::uuid[], $2::int8[], $3::int4[], $4::int4[], $5::int4[], $6::int4[], \
                 $7::text[], $8::text[], $9::timestamptz[]) \
               AS v(user_id, points, level, current_streak, longest_streak, freezes, \
                 last_active_date, time_zone, updated_at) \
             WHERE p.user_id = v.user_id",
            vec![
                rows.iter().map(|r| r.user_id).collect::<Vec<_>>().into(),
                rows.iter().map(|r| r.points).collect::<Vec<_>>().into(),
                rows.iter().map(|r| r.level).collect::<Vec<_>>().into(),
                rows.iter()
                    .map(|r| r.current_streak)
                    .collect::<Vec<_>>()
                    .into(),
                rows.iter()
                    .map(|r| r.longest_streak)
                    .collect::<Vec<_>>()
                    .into(),
                rows.iter().map(|r| r.freezes).collect::<Vec<_>>().into(),
                rows.iter()
                    .map(|r| r.last_active_date.clone().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .into(),
                rows.iter()
                    .map(|r| r.time_zone.clone())
                    .collect::<Vec<_>>()
                    .into(),
                rows.iter().map(|r| r.updated_at).collect::<Vec<_>>().into(),
            ],
        )
        .await;
    }
    for chunk in rows.chunks(CHUNK) {
        user_progress::Entity::insert_many(chunk.iter().map(|r| r.clone().into_active_model()))
            .on_conflict(
                OnConflict::column(user_progress::Column::UserId)
                    .update_columns([
                        user_progress::Column::Points,
                        user_progress::Column::Level,
                        user_progress::Column::CurrentStreak,
                        user_progress::Column::LongestStreak,
                        user_progress::Column::Freezes,
                        user_progress::Column::LastActiveDate,
                        user_progress::Column::TimeZone,
                        user_progress::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Adds `value` to each `(user, metric)` counter (created at `value`).
pub(super) async fn add_stats<C: ConnectionTrait>(
    db: &C,
    rows: &[user_stat::Model],
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if is_postgres(db) {
        return execute(
            db,
            "INSERT INTO user_stats (user_id, metric, value) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::int8[]) \
             ON CONFLICT (user_id, metric) DO UPDATE SET value = user_stats.value + excluded.value",
            vec![
                rows.iter().map(|r| r.user_id).collect::<Vec<_>>().into(),
                rows.iter()
                    .map(|r| r.metric.clone())
                    .collect::<Vec<_>>()
                    .into(),
                rows.iter().map(|r| r.value).collect::<Vec<_>>().into(),
            ],
        )
        .await;
    }
    for chunk in rows.chunks(CHUNK) {
        user_stat::Entity::insert_many(chunk.iter().map(|r| r.clone().into_active_model()))
            .on_conflict(
                OnConflict::columns([user_stat::Column::UserId, user_stat::Column::Metric])
                    .value(
                        user_stat::Column::Value,
                        added(user_stat::Entity, user_stat::Column::Value),
                    )
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Records unlocked achievements (once each).
pub(super) async fn insert_unlocks<C: ConnectionTrait>(
    db: &C,
    rows: &[user_achievement::Model],
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if is_postgres(db) {
        return execute(
            db,
            "INSERT INTO user_achievements (user_id, achievement_key, unlocked_at) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) \
             ON CONFLICT (user_id, achievement_key) DO NOTHING",
            vec![
                rows.iter().map(|r| r.user_id).collect::<Vec<_>>().into(),
                rows.iter()
                    .map(|r| r.achievement_key.clone())
                    .collect::<Vec<_>>()
                    .into(),
                rows.iter()
                    .map(|r| r.unlocked_at)
                    .collect::<Vec<_>>()
                    .into(),
            ],
        )
        .await;
    }
    for chunk in rows.chunks(CHUNK) {
        user_achievement::Entity::insert_many(chunk.iter().map(|r| r.clone().into_active_model()))
            .on_conflict_do_nothing_on([
                user_achievement::Column::UserId,
                user_achievement::Column::AchievementKey,
            ])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Adds points and actions to each `(user, local day)`.
pub(super) async fn add_daily<C: ConnectionTrait>(
    db: &C,
    rows: &[daily_activity::Model],
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if is_postgres(db) {
        return execute(
            db,
            "INSERT INTO daily_activity (user_id, local_date, points, actions) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::int4[], $4::int4[]) \
             ON CONFLICT (user_id, local_date) DO UPDATE SET \
               points = daily_activity.points + excluded.points, \
               actions = daily_activity.actions + excluded.actions",
            vec![
                rows.iter().map(|r| r.user_id).collect::<Vec<_>>().into(),
                rows.iter()
                    .map(|r| r.local_date.clone())
                    .collect::<Vec<_>>()
                    .into(),
                rows.iter().map(|r| r.points).collect::<Vec<_>>().into(),
                rows.iter().map(|r| r.actions).collect::<Vec<_>>().into(),
            ],
        )
        .await;
    }
    for chunk in rows.chunks(CHUNK) {
        daily_activity::Entity::insert_many(chunk.iter().map(|r| r.clone().into_active_model()))
            .on_conflict(
                OnConflict::columns([
                    daily_activity::Column::UserId,
                    daily_activity::Column::LocalDate,
                ])
                .value(
                    daily_activity::Column::Points,
                    added(daily_activity::Entity, daily_activity::Column::Points),
                )
                .value(
                    daily_activity::Column::Actions,
                    added(daily_activity::Entity, daily_activity::Column::Actions),
                )
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Adds `points` to each `(board, user)` total, keeping the later `reached_at`; returns the
/// totals after the change.
pub(super) async fn add_to_boards<C: ConnectionTrait>(
    db: &C,
    rows: &[leaderboard_score::Model],
) -> AppResult<Vec<leaderboard_score::Model>> {
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
                rows.iter()
                    .map(|r| r.board.clone())
                    .collect::<Vec<_>>()
                    .into(),
                rows.iter().map(|r| r.user_id).collect::<Vec<_>>().into(),
                rows.iter().map(|r| r.points).collect::<Vec<_>>().into(),
                rows.iter().map(|r| r.reached_at).collect::<Vec<_>>().into(),
            ],
        )
        .await;
    }
    let mut totals = Vec::with_capacity(rows.len());
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
    Ok(totals)
}

/// `table.column + excluded.column`, for upserts that add.
fn added<T, C>(table: T, column: C) -> Expr
where
    T: sea_orm::sea_query::IntoIden + Copy + 'static,
    C: sea_orm::sea_query::IntoIden + Copy + 'static,
{
    Expr::col((table, column)).add(Expr::col((Alias::new("excluded"), column)))
}
