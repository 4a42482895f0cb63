//! `achievements`: the catalog (data): a metric and the target that unlocks each.

use sea_orm::entity::prelude::*;

/// One achievement.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "achievements")]
pub struct Model {
    /// Stable key, e.g. `FIRST_WIN`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Display name.
    pub name: String,
    /// What to do.
    pub description: String,
    /// The counter it watches (`BATTLES_WON`, `LONGEST_STREAK`, `LEVEL`, ...).
    pub metric: String,
    /// The value that unlocks it.
    pub target: i64,
    /// Display order.
    pub position: i32,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
