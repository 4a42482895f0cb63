//! Notifications: the in-app feed (one row per notification per user, at most one per source
//! event) and the per-user delivery preferences (rows only where a choice differs from the
//! default).

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::create_index;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .if_not_exists()
                    .col(pk_uuid(Notifications::Id))
                    .col(uuid(Notifications::UserId))
                    .col(string_len(Notifications::Kind, 32))
                    .col(string_len(Notifications::Title, 200))
                    .col(text(Notifications::Body))
                    .col(json(Notifications::Data))
                    .col(uuid(Notifications::SourceEventId))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Idempotency: an outbox event retried (or claimed twice) never notifies a user twice;
        // the unique key decides, not a read-then-write.
        create_index(
            manager,
            "idx_notifications_source",
            Notifications::Table,
            vec![Notifications::UserId, Notifications::SourceEventId],
            true,
        )
        .await?;
        // The feed, newest first: `WHERE user_id = ? ORDER BY created_at DESC, id DESC`.
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_feed")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col((Notifications::CreatedAt, IndexOrder::Desc))
                    .col((Notifications::Id, IndexOrder::Desc))
                    .to_owned(),
            )
            .await?;
        // The unread badge is read on every page load; a partial index holds only unread rows,
        // so counting them stays cheap however long the read history grows (PostgreSQL and
        // SQLite both support `WHERE` on an index).
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_unread")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col((Notifications::CreatedAt, IndexOrder::Desc))
                    .and_where(Expr::col(Notifications::ReadAt).is_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NotificationPreferences::Table)
                    .if_not_exists()
                    .col(uuid(NotificationPreferences::UserId))
                    .col(string_len(NotificationPreferences::Kind, 32))
                    .col(string_len(NotificationPreferences::Channel, 16))
                    .col(boolean(NotificationPreferences::Enabled))
                    .col(timestamp_with_time_zone(NotificationPreferences::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(NotificationPreferences::UserId)
                            .col(NotificationPreferences::Kind)
                            .col(NotificationPreferences::Channel),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                NotificationPreferences::Table,
                                NotificationPreferences::UserId,
                            )
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            NotificationPreferences::Table.into_iden(),
            Notifications::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Data,
    SourceEventId,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NotificationPreferences {
    Table,
    UserId,
    Kind,
    Channel,
    Enabled,
    UpdatedAt,
}
