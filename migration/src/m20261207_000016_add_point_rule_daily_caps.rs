//! `point_rules.daily_cap`: the most awards of a rule that earn points for one user in one of
//! their local days (null: no cap). Past it an award is still recorded, with 0 points, so
//! counters and streaks see the activity while farming it earns nothing more.
//!
//! Battles are not capped: a battle takes minutes with other people, and the award handler's
//! throughput depends on battles needing no extra read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The seeded caps, by rule.
const CAPS: &[(&str, i32)] = &[
    ("FLASHCARD_REVIEWED", 100),
    ("TOPIC_COMPLETED", 10),
    ("QUESTION_PUBLISHED", 20),
    ("WORD_MASTERED", 50),
    ("MOCK_TEST_PASSED", 5),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PointRules::Table)
                    .add_column(integer_null(PointRules::DailyCap))
                    .to_owned(),
            )
            .await?;
        for (rule, cap) in CAPS {
            manager
                .exec_stmt(
                    Query::update()
                        .table(PointRules::Table)
                        .value(PointRules::DailyCap, *cap)
                        .and_where(Expr::col(PointRules::EventType).eq(*rule))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PointRules::Table)
                    .drop_column(PointRules::DailyCap)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum PointRules {
    Table,
    EventType,
    DailyCap,
}
