//! `reading_hours`: per station, parameter and hour, the sum and count of unflagged readings.

use sea_orm::entity::prelude::*;

/// One hour of one parameter at one station; its mean is `total / count`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reading_hours")]
pub struct Model {
    /// The station.
    #[sea_orm(primary_key, auto_increment = false)]
    pub station_id: Uuid,
    /// The parameter, e.g. `PM25`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub parameter: String,
    /// The hour's start, epoch seconds.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour: i64,
    /// Sum of the hour's unflagged values, canonical unit.
    pub total: f64,
    /// How many there are.
    pub count: i64,
}

/// Relations of `reading_hours`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
