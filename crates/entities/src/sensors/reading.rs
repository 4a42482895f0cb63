//! `readings`: one row per station, parameter and observation time.

use sea_orm::entity::prelude::*;

/// One reading, in its parameter's canonical unit.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "readings")]
pub struct Model {
    /// The station.
    #[sea_orm(primary_key, auto_increment = false)]
    pub station_id: Uuid,
    /// The parameter, e.g. `PM25`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub parameter: String,
    /// When it was measured.
    #[sea_orm(primary_key, auto_increment = false)]
    pub observed_at: DateTimeUtc,
    /// The value, canonical unit.
    pub value: f64,
    /// Robust z-score above the limit against the previous 24 h.
    pub anomaly: bool,
    /// Part of a run of identical values (a stuck sensor).
    pub stuck: bool,
    /// When it was stored.
    pub ingested_at: DateTimeUtc,
}

/// Relations of `readings`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
