//! `literacy_levels`: graded word levels (1 is the first).

use sea_orm::entity::prelude::*;

/// A word level.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "literacy_levels")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// 1, 2, ...: the order levels unlock in; unique.
    #[sea_orm(unique)]
    pub number: i32,
    /// Title, e.g. `Pre-primer`.
    pub title: String,
    /// Created.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
