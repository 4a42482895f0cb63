//! `personal_topics`: a learner's own topics, a private hierarchy beside the public tree.

use sea_orm::entity::prelude::*;

/// One topic of a learner's own.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "personal_topics")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The learner.
    pub owner_id: Uuid,
    /// Its parent among the learner's topics; null at the top.
    pub parent_id: Option<Uuid>,
    /// 1–120 characters.
    pub name: String,
    /// The public topic it follows, if any (null once that topic is deleted).
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
