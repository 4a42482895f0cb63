//! `flashcards`: a learner's own cards, each with its SM-2 schedule.

use sea_orm::entity::prelude::*;

/// One card.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "flashcards")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The learner who studies it.
    pub owner_id: Uuid,
    /// Its topic; null once the topic was deleted (the card is kept).
    pub topic_id: Option<Uuid>,
    /// The prompt side.
    pub front: String,
    /// The answer side.
    pub back: String,
    /// The learner's own label.
    pub difficulty: Difficulty,
    /// SM-2 ease factor (2.5 at first, never below 1.3).
    pub ease_factor: f64,
    /// Days from the last review to the next.
    pub interval_days: i32,
    /// Successful reviews in a row (SM-2's `n`).
    pub repetitions: i32,
    /// When it is due.
    pub next_review_at: DateTimeUtc,
    /// The last review, if any.
    pub last_reviewed_at: Option<DateTimeUtc>,
    /// Reviews so far.
    pub review_count: i32,
    /// Reviews graded below 3 (forgotten).
    pub lapses: i32,
    /// FSRS stability in days (the interval at which recall falls to 90%); null until the card
    /// has been reviewed under FSRS or converted to it.
    pub stability: Option<f64>,
    /// FSRS difficulty, 1 (easiest) to 10; null with `stability`.
    pub fsrs_difficulty: Option<f64>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
    /// The capture it was made from.
    pub capture_id: Option<Uuid>,
    /// Its tags, space-separated and wrapped in spaces (` biology exam `; empty: none).
    pub tags: String,
}

/// `flashcards.difficulty`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Difficulty {
    /// Easy.
    Easy,
    /// The default.
    Normal,
    /// Hard.
    Hard,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
