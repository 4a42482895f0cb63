//! `submission_reviews`: one reviewer's vote on one revision of a submission.

use sea_orm::entity::prelude::*;

/// A vote.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "submission_reviews")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The submission.
    pub submission_id: Uuid,
    /// Who voted.
    pub reviewer_id: Uuid,
    /// The revision voted on.
    pub revision: i32,
    /// The vote.
    pub verdict: Verdict,
    /// The reviewer's words to the author.
    pub comment: Option<String>,
    /// Cast with moderator authority (decides alone).
    pub by_moderator: bool,
    /// When.
    pub created_at: DateTimeUtc,
}

/// `submission_reviews.verdict`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Verdict {
    /// Publish it.
    Approve,
    /// Refuse it.
    Reject,
    /// Return it to the author.
    RequestChanges,
}

/// Relations of `submission_reviews`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The submission.
    #[sea_orm(
        belongs_to = "super::submission::Entity",
        from = "Column::SubmissionId",
        to = "super::submission::Column::Id",
        on_delete = "Cascade"
    )]
    Submission,
}

impl Related<super::submission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Submission.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
