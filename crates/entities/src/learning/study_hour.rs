//! `study_hours`: a learner's reviews per local hour of the day (0–23), counted by each review
//! in the learner's time zone of the moment.

use sea_orm::entity::prelude::*;

/// One learner-hour.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_hours")]
pub struct Model {
    /// The learner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// Local hour, 0–23.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour: i32,
    /// Reviews made in that hour.
    pub reviews: i64,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
