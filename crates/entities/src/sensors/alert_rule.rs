//! `alert_rules`: a threshold on one parameter, or an AQI category, held for some minutes.

use sea_orm::entity::prelude::*;

/// An alert rule and its current state.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The station watched.
    pub station_id: Uuid,
    /// The parameter watched (threshold rules).
    pub parameter: Option<String>,
    /// The threshold, canonical unit (threshold rules).
    pub threshold: Option<f64>,
    /// The AQI category that triggers (AQI rules), e.g. `UNHEALTHY`.
    pub aqi_category: Option<String>,
    /// How long the condition must hold before the alert fires (and clear before it resolves).
    pub for_minutes: i32,
    /// `OK`, `PENDING` or `FIRING`.
    pub state: String,
    /// Since when the condition has held (while `PENDING` or `FIRING`).
    pub pending_since: Option<DateTimeUtc>,
    /// Since when a firing rule's condition has been clear.
    pub clearing_since: Option<DateTimeUtc>,
    /// The open alert while `FIRING`.
    pub active_alert_id: Option<Uuid>,
    /// Who created it.
    pub created_by: Option<Uuid>,
    /// When.
    pub created_at: DateTimeUtc,
}

/// Relations of `alert_rules`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
