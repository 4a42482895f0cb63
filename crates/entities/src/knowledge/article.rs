//! `articles`: reading material.

use sea_orm::entity::prelude::*;

/// An article in markdown.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "articles")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Topic it is filed under.
    pub topic_id: Uuid,
    /// Who wrote it; None once the account is gone.
    pub author_id: Option<Uuid>,
    /// Title.
    pub title: String,
    /// One or two sentences.
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    /// Markdown body.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Lifecycle.
    pub status: super::ContentStatus,
    /// Estimated reading time in minutes.
    pub reading_minutes: i32,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// When it was (last) published.
    pub published_at: Option<DateTimeUtc>,
}

/// Relations of `articles`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The topic.
    #[sea_orm(
        belongs_to = "super::topic::Entity",
        from = "Column::TopicId",
        to = "super::topic::Column::Id"
    )]
    Topic,
}

impl Related<super::topic::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Topic.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
