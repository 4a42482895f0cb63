//! `literacy_mock_tests`: a learner's test of ten words from one level.

use sea_orm::entity::prelude::*;

/// A mock test.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "literacy_mock_tests")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The learner.
    pub user_id: Uuid,
    /// The level tested.
    pub level_id: Uuid,
    /// Where it stands.
    pub status: Status,
    /// Started.
    pub started_at: DateTimeUtc,
    /// Unanswered words count as failed after this.
    pub expires_at: DateTimeUtc,
    /// Finished (or expired).
    pub finished_at: Option<DateTimeUtc>,
    /// Words passed.
    pub correct: i32,
    /// Percentage of words passed, once finished.
    pub score: Option<i32>,
}

/// `literacy_mock_tests.status`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Status {
    /// Being answered.
    InProgress,
    /// Finished with a passing score.
    Passed,
    /// Finished below the pass mark.
    Failed,
    /// Not finished in time.
    Expired,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
