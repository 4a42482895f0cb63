//! `flashcard_reviews`: every review of a card, with the schedule it produced.

use sea_orm::entity::prelude::*;

/// One review.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "flashcard_reviews")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The card.
    pub flashcard_id: Uuid,
    /// Who reviewed it (its owner).
    pub user_id: Uuid,
    /// SM-2 quality, 0 (blackout) to 5 (perfect).
    pub quality: i32,
    /// When.
    pub reviewed_at: DateTimeUtc,
    /// The interval it set, in days.
    pub interval_days: i32,
    /// The ease factor after it.
    pub ease_factor: f64,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
