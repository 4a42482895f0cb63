//! `alerts`: one firing of an alert rule, open until it resolves.

use sea_orm::entity::prelude::*;

/// An alert.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The rule that fired.
    pub rule_id: Uuid,
    /// Its station.
    pub station_id: Uuid,
    /// The condition in words, e.g. `PM25 ≥ 35.5 µg/m³ for 10 min`.
    pub condition: String,
    /// The value that fired it (a concentration or an AQI).
    pub value: f64,
    /// When it fired.
    pub started_at: DateTimeUtc,
    /// When it resolved; null while open.
    pub resolved_at: Option<DateTimeUtc>,
}

/// Relations of `alerts`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
