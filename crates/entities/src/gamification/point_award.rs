//! `point_awards`: the points ledger. Every award, with the event that caused it.

use sea_orm::entity::prelude::*;

/// One award.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "point_awards")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Who earned it.
    pub user_id: Uuid,
    /// The rule applied (an event type, or `DAILY_LOGIN`).
    pub rule: String,
    /// The outbox event behind it.
    pub source_event_id: Option<Uuid>,
    /// Unique per user: the event id, or `DAILY_LOGIN:<local date>`.
    pub dedupe_key: String,
    /// Points awarded.
    pub points: i32,
    /// The battle's topic, for topic boards.
    pub topic_id: Option<Uuid>,
    /// When the rewarded thing happened.
    pub occurred_at: DateTimeUtc,
    /// Its day in the user's time zone (`YYYY-MM-DD`).
    pub local_date: String,
    /// When the award was written.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
