//! `outbox_deliveries`: which handler has applied which event, so none applies one twice.

use sea_orm::entity::prelude::*;

/// A record that `handler` applied `event_id`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_deliveries")]
pub struct Model {
    /// The event.
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    /// The handler's stable name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub handler: String,
    /// When it was applied.
    pub delivered_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
