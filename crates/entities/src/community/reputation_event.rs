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
    /// `SUBMISSION_PUBLISHED`, `SUBMISSION_REJECTED` or `REVIEW_AGREED`.
    pub reason: String,
    /// The submission behind it.
    pub submission_id: Option<Uuid>,
    /// When.
    pub created_at: DateTimeUtc,
}

/// Relations of `reputation_events`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
