//! `article_tags`: which tags a article carries.

use sea_orm::entity::prelude::*;

/// A article–tag link.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "article_tags")]
pub struct Model {
    /// The article.
    #[sea_orm(primary_key, auto_increment = false)]
    pub article_id: Uuid,
    /// The tag.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag_id: Uuid,
}

/// Relations of `article_tags`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The article.
    #[sea_orm(
        belongs_to = "super::article::Entity",
        from = "Column::ArticleId",
        to = "super::article::Column::Id",
        on_delete = "Cascade"
    )]
    Article,
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
