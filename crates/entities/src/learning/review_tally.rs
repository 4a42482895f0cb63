//! `review_tallies`: reviews and recalls per learner and topic, kept by each review (the
//! topic the card had then).

use sea_orm::entity::prelude::*;

/// One learner's reviews in one topic.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_tallies")]
pub struct Model {
    /// The learner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The topic.
    #[sea_orm(primary_key, auto_increment = false)]
    pub topic_id: Uuid,
    /// Reviews.
    pub attempts: i64,
    /// Of which recalled (graded 3 or more).
    pub recalled: i64,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
