//! Trusted documents: `persisted_operations`, the operations partners may run.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersistedOperations::Table)
                    .if_not_exists()
                    // `sha256:<64 hex>`: the document's own hash, so an id names one body forever.
                    .col(string_len(PersistedOperations::Id, 71).primary_key())
                    .col(string_len(PersistedOperations::Name, 200))
                    .col(string_len(PersistedOperations::OperationType, 16))
                    .col(text(PersistedOperations::Body))
                    .col(string_len(PersistedOperations::ClientName, 100))
                    .col(uuid_null(PersistedOperations::AddedBy))
                    .col(timestamp_with_time_zone(PersistedOperations::AddedAt))
                    .to_owned(),
            )
            .await?;
        // The admin listing: newest first within a client.
        manager
            .create_index(
                Index::create()
                    .name("idx_persisted_operations_client_added")
                    .table(PersistedOperations::Table)
                    .col(PersistedOperations::ClientName)
                    .col(PersistedOperations::AddedAt)
                    .col(PersistedOperations::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersistedOperations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PersistedOperations {
    Table,
    Id,
    Name,
    OperationType,
    Body,
    ClientName,
    AddedBy,
    AddedAt,
}
