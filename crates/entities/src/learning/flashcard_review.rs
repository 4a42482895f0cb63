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
    /// The scheduler that set the interval.
    pub scheduler: super::learning_settings::Scheduler,
    /// Days since the card's previous review (fractional); null for its first review.
    pub elapsed_days: Option<f64>,
    /// The interval the card was scheduled at before this review, in days.
    pub interval_before: i32,
    /// The SM-2 ease factor before it; null in rows older than the FSRS migration.
    pub ease_before: Option<f64>,
    /// FSRS stability before it (null for a new card or under SM-2).
    pub stability_before: Option<f64>,
    /// FSRS difficulty before it.
    pub difficulty_before: Option<f64>,
    /// FSRS stability after it (null under SM-2 before a switch).
    pub stability_after: Option<f64>,
    /// FSRS difficulty after it.
    pub difficulty_after: Option<f64>,
    /// The probability of recall the scheduler predicted at the moment of the review.
    pub retrievability: Option<f64>,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
