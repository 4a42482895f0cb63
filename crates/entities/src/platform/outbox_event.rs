//! `outbox_events`: domain events written in the same transaction as the state change.

use sea_orm::entity::prelude::*;

/// One domain event waiting for (or done with) delivery to its handlers.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_events")]
pub struct Model {
    /// UUIDv7, so ids sort by creation time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Event name, e.g. `USER_UPDATED`.
    pub event_type: String,
    /// The entity the event is about, e.g. a user id, for ordering and debugging.
    pub aggregate_id: Option<String>,
    /// Event body as JSON.
    pub payload: Json,
    /// Where delivery stands.
    pub status: Status,
    /// Delivery attempts made so far.
    pub attempts: i32,
    /// Not to be tried before this time (retry backoff).
    pub available_at: DateTimeUtc,
    /// A worker holds the event until this time; a crashed worker's claim lapses.
    pub claimed_until: Option<DateTimeUtc>,
    /// The last handler error, for operators.
    pub last_error: Option<String>,
    /// When the event was written.
    pub created_at: DateTimeUtc,
    /// When every handler had applied it.
    pub processed_at: Option<DateTimeUtc>,
}

/// `outbox_events.status`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Status {
    /// Waiting for delivery (or a retry).
    Pending,
    /// Every handler applied it.
    Done,
    /// Gave up after too many failures; an operator must look.
    Parked,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
