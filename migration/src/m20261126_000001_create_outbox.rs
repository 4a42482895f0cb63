//! The transactional outbox: `outbox_events` and `outbox_deliveries`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxEvents::Table)
                    .if_not_exists()
                    .col(pk_uuid(OutboxEvents::Id))
                    .col(string_len(OutboxEvents::EventType, 64))
                    .col(string_len_null(OutboxEvents::AggregateId, 128))
                    .col(json(OutboxEvents::Payload))
                    .col(string_len(OutboxEvents::Status, 16))
                    .col(integer(OutboxEvents::Attempts).default(0))
                    .col(timestamp_with_time_zone(OutboxEvents::AvailableAt))
                    .col(timestamp_with_time_zone_null(OutboxEvents::ClaimedUntil))
                    .col(text_null(OutboxEvents::LastError))
                    .col(timestamp_with_time_zone(OutboxEvents::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboxEvents::ProcessedAt))
                    .to_owned(),
            )
            .await?;
        // The dispatcher's claim query: pending events in time order.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_events_status_available")
                    .table(OutboxEvents::Table)
                    .col(OutboxEvents::Status)
                    .col(OutboxEvents::AvailableAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboxDeliveries::Table)
                    .if_not_exists()
                    .col(uuid(OutboxDeliveries::EventId))
                    .col(string_len(OutboxDeliveries::Handler, 64))
                    .col(timestamp_with_time_zone(OutboxDeliveries::DeliveredAt))
                    .primary_key(
                        Index::create()
                            .col(OutboxDeliveries::EventId)
                            .col(OutboxDeliveries::Handler),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OutboxDeliveries::Table, OutboxDeliveries::EventId)
                            .to(OutboxEvents::Table, OutboxEvents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OutboxDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OutboxEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
    EventType,
    AggregateId,
    Payload,
    Status,
    Attempts,
    AvailableAt,
    ClaimedUntil,
    LastError,
    CreatedAt,
    ProcessedAt,
}

#[derive(DeriveIden)]
enum OutboxDeliveries {
    Table,
    EventId,
    Handler,
    DeliveredAt,
}
