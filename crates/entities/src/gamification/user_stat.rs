//! `user_stats`: per-user counters the achievements watch.

use sea_orm::entity::prelude::*;

/// One counter.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_stats")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// `BATTLES_PLAYED`, `BATTLES_WON`, `FLASHCARDS_REVIEWED`, ...
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: String,
    /// Its value.
    pub value: i64,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
