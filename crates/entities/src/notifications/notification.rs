//! `notifications`: the in-app feed, one row per notification per user.

use sea_orm::entity::prelude::*;

/// One notification in a user's feed.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The recipient.
    pub user_id: Uuid,
    /// What it is about.
    pub kind: Kind,
    /// Title line.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Kind-specific details (a JSON object).
    pub data: Json,
    /// The outbox event it came from; unique per user, so a retried event adds nothing.
    pub source_event_id: Uuid,
    /// When the user read it; null while unread.
    pub read_at: Option<DateTimeUtc>,
    /// When it was created.
    pub created_at: DateTimeUtc,
}

/// `notifications.kind` (and `notification_preferences.kind`), stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Kind {
    /// Sent once, on registration.
    Welcome,
    /// A new level.
    LevelUp,
    /// An achievement.
    AchievementUnlocked,
    /// The daily streak ends at midnight.
    StreakAtRisk,
    /// Flashcards are due.
    FlashcardsDue,
    /// Reviewers decided on a submission.
    SubmissionReviewed,
    /// An air-quality alert fired.
    SensorAlert,
}

/// Relations of `notifications`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
