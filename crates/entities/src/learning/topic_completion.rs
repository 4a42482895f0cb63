//! `topic_completions`: topics a learner marked complete (once each).

use sea_orm::entity::prelude::*;

/// One learner-topic.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "topic_completions")]
pub struct Model {
    /// The learner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The topic.
    #[sea_orm(primary_key, auto_increment = false)]
    pub topic_id: Uuid,
    /// When it was first marked complete.
    pub completed_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
