//! Every award wrote up to seven rows: the ledger, progress, a counter or two, the local day and
//! three board totals. All but the ledger and the topic total are per-user state, so they move
//! into the one per-user row the handler already locks and rewrites:
//!
//! - `user_progress` gains the counters achievements watch (`stats`, a JSON object of metric to
//!   value) and the all-time and this-week board totals (`points` is already the all-time total;
//!   `points_reached_at`, `week`, `week_points`, `week_reached_at` are new). Their values are
//!   moved over from `user_stats` and the `global` / `weekly:*` rows of `leaderboard_scores`,
//!   which then keeps the TOPIC boards alone; `user_stats` is dropped. Each user keeps their
//!   latest week: earlier weeks' boards are history nothing reads (`WEEKLY` is this week).
//! - `daily_activity` becomes a view over the ledger, which holds every award's local day: the
//!   same rows, computed where they are read (by user, through the ledger's user index) instead
//!   of written on every award.
//! - The embedded mode ranks the all-time and weekly boards in SQL, so on SQLite the progress
//!   table gets the two rank indexes. PostgreSQL ranks in Redis and gets none: the columns they
//!   would cover change on every award, and without an index on them the update stays HOT.
//!
//! `down` puts every row back where it was (the weekly boards: each user's latest week).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::m20261126_000007_create_gamification::{daily_activity_table, user_stats_table};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The ledger's awards per user and local day.
const DAILY_VIEW: &str = "CREATE VIEW daily_activity AS \
    SELECT user_id, local_date, CAST(SUM(points) AS INTEGER) AS points, \
      CAST(COUNT(*) AS INTEGER) AS actions \
    FROM point_awards GROUP BY user_id, local_date";

const GLOBAL_RANK: &str = "idx_user_progress_global_rank";
const WEEK_RANK: &str = "idx_user_progress_week_rank";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// It moves data: all of it or none, on SQLite too (where migrations otherwise run
    /// statement by statement, each on whichever pooled connection is free).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        let db = manager.get_connection();
        // SQLite takes one column per ALTER TABLE.
        for column in [
            json(UserProgress::Stats).default("{}").to_owned(),
            big_integer(UserProgress::PointsReachedAt)
                .default(0)
                .to_owned(),
            string_len_null(UserProgress::Week, 8).to_owned(),
            big_integer(UserProgress::WeekPoints).default(0).to_owned(),
            big_integer(UserProgress::WeekReachedAt)
                .default(0)
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(UserProgress::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        // Counters: one JSON object per user.
        let counters = if postgres {
            "json_object_agg(metric, value)"
        } else {
            "json_group_object(metric, value)"
        };
        db.execute_unprepared(&format!(
            "UPDATE user_progress SET stats = \
               (SELECT {counters} FROM user_stats s WHERE s.user_id = user_progress.user_id) \
             WHERE user_id IN (SELECT user_id FROM user_stats)"
        ))
        .await?;
        // The all-time board's tie-break, and each user's latest weekly total.
        db.execute_unprepared(
            "UPDATE user_progress SET points_reached_at = COALESCE((SELECT reached_at \
               FROM leaderboard_scores b \
               WHERE b.board = 'global' AND b.user_id = user_progress.user_id), 0)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE user_progress SET week = (SELECT MAX(substr(board, 8)) \
               FROM leaderboard_scores b \
               WHERE b.board LIKE 'weekly:%' AND b.user_id = user_progress.user_id)",
        )
        .await?;
        for (column, source) in [("week_points", "points"), ("week_reached_at", "reached_at")] {
            db.execute_unprepared(&format!(
                "UPDATE user_progress SET {column} = (SELECT {source} FROM leaderboard_scores b \
                   WHERE b.board = 'weekly:' || user_progress.week \
                     AND b.user_id = user_progress.user_id) \
                 WHERE week IS NOT NULL"
            ))
            .await?;
        }
        db.execute_unprepared("DELETE FROM leaderboard_scores WHERE board NOT LIKE 'topic:%'")
            .await?;
        manager
            .drop_table(Table::drop().table(UserStats::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DailyActivity::Table).to_owned())
            .await?;
        db.execute_unprepared(DAILY_VIEW).await?;

        if !postgres {
            manager
                .create_index(
                    Index::create()
                        .name(GLOBAL_RANK)
                        .table(UserProgress::Table)
                        .col((UserProgress::Points, IndexOrder::Desc))
                        .col((UserProgress::PointsReachedAt, IndexOrder::Asc))
                        .col((UserProgress::UserId, IndexOrder::Desc))
                        .and_where(Expr::col(UserProgress::Points).gt(0))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(WEEK_RANK)
                        .table(UserProgress::Table)
                        .col(UserProgress::Week)
                        .col((UserProgress::WeekPoints, IndexOrder::Desc))
                        .col((UserProgress::WeekReachedAt, IndexOrder::Asc))
                        .col((UserProgress::UserId, IndexOrder::Desc))
                        .and_where(Expr::col(UserProgress::WeekPoints).gt(0))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        let db = manager.get_connection();
        db.execute_unprepared("DROP VIEW daily_activity").await?;
        manager.create_table(daily_activity_table()).await?;
        db.execute_unprepared(
            "INSERT INTO daily_activity (user_id, local_date, points, actions) \
             SELECT user_id, local_date, SUM(points), COUNT(*) FROM point_awards \
             GROUP BY user_id, local_date",
        )
        .await?;
        manager.create_table(user_stats_table()).await?;
        let each = if postgres {
            "json_each_text(p.stats) AS c"
        } else {
            "json_each(p.stats) AS c"
        };
        db.execute_unprepared(&format!(
            "INSERT INTO user_stats (user_id, metric, value) \
             SELECT p.user_id, c.key, CAST(c.value AS BIGINT) FROM user_progress p, {each}"
        ))
        .await?;
        db.execute_unprepared(
            "INSERT INTO leaderboard_scores (board, user_id, points, reached_at) \
             SELECT 'global', user_id, points, points_reached_at FROM user_progress \
             WHERE points > 0",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO leaderboard_scores (board, user_id, points, reached_at) \
             SELECT 'weekly:' || week, user_id, week_points, week_reached_at FROM user_progress \
             WHERE week IS NOT NULL AND week_points > 0",
        )
        .await?;
        if postgres {
            for table in ["user_stats", "daily_activity"] {
                db.execute_unprepared(&format!("ALTER TABLE {table} SET (fillfactor = 70)"))
                    .await?;
            }
        } else {
            for name in [GLOBAL_RANK, WEEK_RANK] {
                manager
                    .drop_index(
                        Index::drop()
                            .name(name)
                            .table(UserProgress::Table)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        for column in [
            UserProgress::WeekReachedAt,
            UserProgress::WeekPoints,
            UserProgress::Week,
            UserProgress::PointsReachedAt,
            UserProgress::Stats,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(UserProgress::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum UserProgress {
    Table,
    UserId,
    Points,
    Stats,
    PointsReachedAt,
    Week,
    WeekPoints,
    WeekReachedAt,
}

#[derive(DeriveIden)]
enum UserStats {
    Table,
}

#[derive(DeriveIden)]
enum DailyActivity {
    Table,
}
