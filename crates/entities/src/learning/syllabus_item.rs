//! `syllabus_items`: the ordered outline of a learner's topic.

use sea_orm::entity::prelude::*;

/// One item of a syllabus.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "syllabus_items")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The learner's topic it outlines.
    pub personal_topic_id: Uuid,
    /// The learner.
    pub owner_id: Uuid,
    /// 1–200 characters.
    pub title: String,
    /// Its place in the outline, from 0.
    pub position: i32,
    /// When it was marked done; null while it is not.
    pub done_at: Option<DateTimeUtc>,
    /// An article to read for it, if any.
    pub linked_article_id: Option<Uuid>,
    /// A public topic it covers, if any.
    pub linked_topic_id: Option<Uuid>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
