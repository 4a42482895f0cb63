//! `station_followers`: who is told about a station's alerts.

use sea_orm::entity::prelude::*;

/// A user following a station.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "station_followers")]
pub struct Model {
    /// The station.
    #[sea_orm(primary_key, auto_increment = false)]
    pub station_id: Uuid,
    /// The follower.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// Since when.
    pub created_at: DateTimeUtc,
}

/// Relations of `station_followers`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
