//! `reputation_events`: every change to a user's reputation, with its reason.

use sea_orm::entity::prelude::*;

/// One change.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reputation_events")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Whose reputation.
    pub user_id: Uuid,
    /// Points added (negative: taken), after the floor at zero.
    pub delta: i32,
    /// The total after this change.
    pub balance: i32,
    /// Why it changed.
    pub reason: Reason,
    /// The submission behind it.
    pub submission_id: Option<Uuid>,
    /// When.
    pub created_at: DateTimeUtc,
}

/// `reputation_events.reason`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Reason {
    /// The author's submission was published.
    SubmissionPublished,
    /// The author's submission was rejected.
    SubmissionRejected,
    /// The reviewer's vote agreed with the outcome.
    ReviewAgreed,
}

/// Relations of `reputation_events`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
