//! `tags`: labels shared by questions and articles.

use sea_orm::entity::prelude::*;

/// A tag.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tags")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Normalised lower-case slug, unique.
    #[sea_orm(unique)]
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: DateTimeUtc,
}

/// Relations of `tags`: the join rows that link it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Question links.
    #[sea_orm(has_many = "super::question_tag::Entity")]
    QuestionTag,
    /// Article links.
    #[sea_orm(has_many = "super::article_tag::Entity")]
    ArticleTag,
}

impl Related<super::question_tag::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::QuestionTag.def()
    }
}

impl Related<super::article_tag::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ArticleTag.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
