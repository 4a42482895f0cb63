//! `topics`: the subject tree.

use sea_orm::entity::prelude::*;

/// A topic; roots have no parent.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "topics")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Parent topic; None for a root.
    pub parent_id: Option<Uuid>,
    /// URL name, lower-case, unique among siblings.
    pub slug: String,
    /// Slugs from the root down, e.g. `science/physics`; unique.
    #[sea_orm(unique)]
    pub path: String,
    /// Display name.
    pub name: String,
    /// One-sentence description.
    pub description: Option<String>,
    /// Order among siblings.
    pub position: i32,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations of `topics`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The parent.
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
    /// Questions filed under it.
    #[sea_orm(has_many = "super::question::Entity")]
    Question,
    /// Articles filed under it.
    #[sea_orm(has_many = "super::article::Entity")]
    Article,
}

impl Related<super::question::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Question.def()
    }
}

impl Related<super::article::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Article.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
