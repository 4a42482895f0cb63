//! `questions`: the question bank.

use sea_orm::entity::prelude::*;

/// A multiple-choice question.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "questions")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Topic it is filed under.
    pub topic_id: Uuid,
    /// Who wrote it; None once the account is gone.
    pub author_id: Option<Uuid>,
    /// The question text.
    #[sea_orm(column_type = "Text")]
    pub prompt: String,
    /// Why the correct answer is correct.
    #[sea_orm(column_type = "Text")]
    pub explanation: String,
    /// 1 (easy) to 5 (hard).
    pub difficulty: i16,
    /// `DRAFT`, `PUBLISHED` or `ARCHIVED`.
    pub status: String,
    /// `MANUAL`, `CONTRIBUTED`, `GENERATED` or `IMPORTED`.
    pub source: String,
    /// Answers given in battles.
    pub attempts: i64,
    /// Correct answers given in battles.
    pub correct_attempts: i64,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// When it was (last) published.
    pub published_at: Option<DateTimeUtc>,
}

/// Relations of `questions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The topic.
    #[sea_orm(
        belongs_to = "super::topic::Entity",
        from = "Column::TopicId",
        to = "super::topic::Column::Id"
    )]
    Topic,
    /// The choices.
    #[sea_orm(has_many = "super::question_choice::Entity")]
    Choice,
}

impl Related<super::topic::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Topic.def()
    }
}

impl Related<super::question_choice::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Choice.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
