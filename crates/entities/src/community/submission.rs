//! `submissions`: questions proposed by the community, waiting for or past review.

use sea_orm::entity::prelude::*;

/// A proposed question and where it stands.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "submissions")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Who proposed it.
    pub author_id: Uuid,
    /// Target topic; null once that topic was deleted.
    pub topic_id: Option<Uuid>,
    /// Question text.
    pub prompt: String,
    /// JSON array of `{text, isCorrect}` in display order.
    pub choices: String,
    /// Why the answer is right.
    pub explanation: String,
    /// 1 to 5.
    pub difficulty: i16,
    /// JSON array of normalised tag slugs.
    pub tags: String,
    /// Where it stands in review.
    pub status: Status,
    /// 1, then +1 on every revision; votes count for the current revision only.
    pub revision: i32,
    /// The published question, once approved.
    pub question_id: Option<Uuid>,
    /// First submitted.
    pub created_at: DateTimeUtc,
    /// Last change of any kind.
    pub updated_at: DateTimeUtc,
    /// Last entered the review queue; the queue's order.
    pub queued_at: DateTimeUtc,
    /// Approved or rejected at.
    pub decided_at: Option<DateTimeUtc>,
}

/// `submissions.status`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Status {
    /// Waiting for reviewers.
    Pending,
    /// Back with the author for a revision.
    ChangesRequested,
    /// Published as a question.
    Approved,
    /// Refused.
    Rejected,
}

/// Relations of `submissions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Votes cast on it.
    #[sea_orm(has_many = "super::submission_review::Entity")]
    Review,
}

impl Related<super::submission_review::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Review.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
