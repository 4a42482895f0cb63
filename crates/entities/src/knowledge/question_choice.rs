//! `question_choices`: the answers a question offers.

use sea_orm::entity::prelude::*;

/// One choice; exactly one per question is correct.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "question_choices")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The question.
    pub question_id: Uuid,
    /// Display order, from 0.
    pub position: i16,
    /// The answer text.
    pub text: String,
    /// Whether this is the correct answer.
    pub is_correct: bool,
}

/// Relations of `question_choices`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The question.
    #[sea_orm(
        belongs_to = "super::question::Entity",
        from = "Column::QuestionId",
        to = "super::question::Column::Id",
        on_delete = "Cascade"
    )]
    Question,
}

impl Related<super::question::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Question.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
