//! `literacy_learners`: where each learner stands: the level they chose, the highest level
//! they unlocked, and their daily practice streak.

use sea_orm::entity::prelude::*;

/// One learner's place.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "literacy_learners")]
pub struct Model {
    /// The learner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// Number of the level they practise.
    pub current_level: i32,
    /// Highest level number unlocked (1 at the start).
    pub unlocked_level: i32,
    /// Consecutive days with practice, up to `last_practice_date`.
    pub streak_days: i32,
    /// Best streak so far.
    pub longest_streak: i32,
    /// Last local date (`YYYY-MM-DD`, the learner's time zone) with practice.
    pub last_practice_date: Option<String>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
