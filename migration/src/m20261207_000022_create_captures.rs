//! Captures: text, a web page, a screenshot or a video a learner sends to be turned into a
//! personal topic and flashcards (`captureContent`). An upload waits in `capture_uploads`
//! (shared by every replica, whichever processes it) and is deleted once processed. Cards made
//! from a capture point back to it (`flashcards.capture_id`).

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
                    .table(Captures::Table)
                    .if_not_exists()
                    .col(pk_uuid(Captures::Id))
                    .col(uuid(Captures::OwnerId))
                    .col(string_len(Captures::Kind, 12))
                    .col(string_len(Captures::Status, 12))
                    .col(string_len_null(Captures::Source, 2000))
                    .col(text_null(Captures::Content))
                    .col(string_len_null(Captures::UploadType, 100))
                    .col(integer_null(Captures::UploadBytes))
                    .col(text_null(Captures::ExtractedText))
                    .col(string_len_null(Captures::Title, 200))
                    .col(string_len_null(Captures::Processor, 20))
                    .col(string_len_null(Captures::Reason, 1000))
                    .col(uuid_null(Captures::PersonalTopicId))
                    .col(uuid_null(Captures::TopicId))
                    .col(timestamp_with_time_zone_null(Captures::HeartbeatAt))
                    .col(timestamp_with_time_zone(Captures::CreatedAt))
                    .col(timestamp_with_time_zone(Captures::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Captures::Table, Captures::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Captures::Table, Captures::PersonalTopicId)
                            .to(PersonalTopics::Table, PersonalTopics::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Captures::Table, Captures::TopicId)
                            .to(Topics::Table, Topics::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // `captures(first, after, status)`: a learner's newest first.
        create_index(
            manager,
            "idx_captures_owner_created",
            Captures::Table,
            vec![Captures::OwnerId, Captures::CreatedAt],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(CaptureUploads::Table)
                    .if_not_exists()
                    .col(pk_uuid(CaptureUploads::CaptureId))
                    .col(string_len(CaptureUploads::ContentType, 100))
                    .col(blob(CaptureUploads::Bytes))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaptureUploads::Table, CaptureUploads::CaptureId)
                            .to(Captures::Table, Captures::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Flashcards::Table)
                    .add_column(uuid_null(Flashcards::CaptureId))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_flashcards_capture",
            Flashcards::Table,
            vec![Flashcards::CaptureId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_flashcards_capture")
                    .table(Flashcards::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Flashcards::Table)
                    .drop_column(Flashcards::CaptureId)
                    .to_owned(),
            )
            .await?;
        for table in [
            CaptureUploads::Table.into_iden(),
            Captures::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
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
enum Topics {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PersonalTopics {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Flashcards {
    Table,
    CaptureId,
}

#[derive(DeriveIden)]
enum Captures {
    Table,
    Id,
    OwnerId,
    Kind,
    Status,
    Source,
    Content,
    UploadType,
    UploadBytes,
    ExtractedText,
    Title,
    Processor,
    Reason,
    PersonalTopicId,
    TopicId,
    HeartbeatAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CaptureUploads {
    Table,
    CaptureId,
    ContentType,
    Bytes,
}
