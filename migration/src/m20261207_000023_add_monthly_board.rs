//! The MONTHLY leaderboard: each user's total of this calendar month (UTC) beside the weekly
//! one, in the progress row the award handler already locks and rewrites (`month`,
//! `month_points`, `month_reached_at`). On SQLite it gets a rank index like the weekly one;
//! PostgreSQL ranks in Redis and gets none, so the award's update stays HOT.
//!
//! Existing rows start with no month: `agora leaderboards rebuild` fills this month's board
//! from the ledger (the ledger holds every award, so nothing is lost meanwhile); otherwise it
//! fills as awards arrive. `down` drops the columns and the index.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const MONTH_RANK: &str = "idx_user_progress_month_rank";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for column in [
            string_len_null(UserProgress::Month, 7).to_owned(),
            big_integer(UserProgress::MonthPoints).default(0).to_owned(),
            big_integer(UserProgress::MonthReachedAt)
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
        if manager.get_database_backend() != DbBackend::Postgres {
            manager
                .create_index(
                    Index::create()
                        .name(MONTH_RANK)
                        .table(UserProgress::Table)
                        .col(UserProgress::Month)
                        .col((UserProgress::MonthPoints, IndexOrder::Desc))
                        .col((UserProgress::MonthReachedAt, IndexOrder::Asc))
                        .col((UserProgress::UserId, IndexOrder::Desc))
                        .and_where(Expr::col(UserProgress::MonthPoints).gt(0))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            manager
                .drop_index(
                    Index::drop()
                        .name(MONTH_RANK)
                        .table(UserProgress::Table)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            UserProgress::Month,
            UserProgress::MonthPoints,
            UserProgress::MonthReachedAt,
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
    Month,
    MonthPoints,
    MonthReachedAt,
}
