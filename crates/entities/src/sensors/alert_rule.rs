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
    /// Where the rule stands.
    pub state: State,
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

/// `alert_rules.state`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum State {
    /// Condition not met.
    Ok,
    /// Condition met, not yet for long enough.
    Pending,
    /// Alert open.
    Firing,
}

/// Relations of `alert_rules`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
