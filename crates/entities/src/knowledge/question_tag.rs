//! `question_tags`: which tags a question carries.

use sea_orm::entity::prelude::*;

/// A question–tag link.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "question_tags")]
pub struct Model {
    /// The question.
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: Uuid,
    /// The tag.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag_id: Uuid,
}

/// Relations of `question_tags`.
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
    /// The tag.
    #[sea_orm(
        belongs_to = "super::tag::Entity",
        from = "Column::TagId",
        to = "super::tag::Column::Id",
        on_delete = "Cascade"
    )]
    Tag,
}

impl Related<super::tag::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tag.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
