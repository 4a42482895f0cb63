//! The dispatcher's claim walks pending events in `(created_at, id)` order and stops after one
//! batch. The first index, on `(status, available_at)`, made it fetch every pending event and
//! sort them (~6.5 ms a claim with 40,000 pending); this partial index holds only pending rows,
//! already in claim order.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_events_pending")
                    .table(OutboxEvents::Table)
                    .col(OutboxEvents::CreatedAt)
                    .col(OutboxEvents::Id)
                    .and_where(Expr::col(OutboxEvents::Status).eq("PENDING"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_outbox_events_pending")
                    .table(OutboxEvents::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
    Status,
    CreatedAt,
}
