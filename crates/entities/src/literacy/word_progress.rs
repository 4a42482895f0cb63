//! `literacy_word_progress`: one learner's record on one word.

use sea_orm::entity::prelude::*;

/// A learner-word.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "literacy_word_progress")]
pub struct Model {
    /// The learner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The word.
    #[sea_orm(primary_key, auto_increment = false)]
    pub word_id: Uuid,
    /// Its level (denormalised: per-level counts read one index).
    pub level_id: Uuid,
    /// Practice attempts (mock-test answers excluded).
    pub attempts: i32,
    /// Best similarity 0–100.
    pub best_similarity: i32,
    /// Sum of similarities, for the average.
    pub similarity_sum: i64,
    /// Recorded speaking time over all attempts, in ms.
    pub time_spent_ms: i64,
    /// First attempt.
    pub first_attempt_at: DateTimeUtc,
    /// Latest attempt.
    pub last_attempt_at: DateTimeUtc,
    /// When the word was first passed (similarity above the bar).
    pub mastered_at: Option<DateTimeUtc>,
    /// Speaking time spent until mastered, in ms.
    pub time_to_master_ms: Option<i64>,
    /// Attempts it took to master.
    pub attempts_to_master: Option<i32>,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
