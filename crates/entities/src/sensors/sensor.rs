//! `sensors`: one per station and measured parameter, with its latest reading.

use sea_orm::entity::prelude::*;

/// A station's sensor for one parameter.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sensors")]
pub struct Model {
    /// The station.
    #[sea_orm(primary_key, auto_increment = false)]
    pub station_id: Uuid,
    /// The parameter, e.g. `PM25`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub parameter: String,
    /// When its first reading arrived.
    pub first_seen_at: DateTimeUtc,
    /// The newest reading's value, canonical unit.
    pub latest_value: f64,
    /// The newest reading's observation time.
    pub latest_observed_at: DateTimeUtc,
    /// Whether the newest reading was flagged as an anomaly.
    pub latest_anomaly: bool,
    /// Whether the newest reading was flagged as stuck.
    pub latest_stuck: bool,
    /// Bumped by every ingest that stores readings of it (anomaly windows kept in memory are
    /// valid only at the revision they were read at).
    pub revision: i64,
}

/// Relations of `sensors`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
