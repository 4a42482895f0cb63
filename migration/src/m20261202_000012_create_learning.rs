//! Learning: flashcards with their SM-2 schedule, their review history, and topics marked
//! complete.

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
                    .table(Flashcards::Table)
                    .if_not_exists()
                    .col(pk_uuid(Flashcards::Id))
                    .col(uuid(Flashcards::OwnerId))
                    .col(uuid_null(Flashcards::TopicId))
                    .col(string_len(Flashcards::Front, 500))
                    .col(string_len(Flashcards::Back, 2000))
                    .col(string_len(Flashcards::Difficulty, 8))
                    .col(double(Flashcards::EaseFactor))
                    .col(integer(Flashcards::IntervalDays))
                    .col(integer(Flashcards::Repetitions))
                    .col(timestamp_with_time_zone(Flashcards::NextReviewAt))
                    .col(timestamp_with_time_zone_null(Flashcards::LastReviewedAt))
                    .col(integer(Flashcards::ReviewCount))
                    .col(integer(Flashcards::Lapses))
                    .col(timestamp_with_time_zone(Flashcards::CreatedAt))
                    .col(timestamp_with_time_zone(Flashcards::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Flashcards::Table, Flashcards::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // Deleting a topic keeps the cards studied under it.
                    .foreign_key(
                        ForeignKey::create()
                            .from(Flashcards::Table, Flashcards::TopicId)
                            .to(Topics::Table, Topics::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // A learner's cards by due time: the study queue, its pages and the due count.
        create_index(
            manager,
            "idx_flashcards_owner_due",
            Flashcards::Table,
            vec![
                Flashcards::OwnerId,
                Flashcards::NextReviewAt,
                Flashcards::Id,
            ],
            false,
        )
        .await?;
        // The hourly reminder: cards coming due across all learners.
        create_index(
            manager,
            "idx_flashcards_due",
            Flashcards::Table,
            vec![Flashcards::NextReviewAt, Flashcards::OwnerId],
            false,
        )
        .await?;
        create_index(
            manager,
            "idx_flashcards_topic",
            Flashcards::Table,
            vec![Flashcards::TopicId],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(FlashcardReviews::Table)
                    .if_not_exists()
                    .col(pk_uuid(FlashcardReviews::Id))
                    .col(uuid(FlashcardReviews::FlashcardId))
                    .col(uuid(FlashcardReviews::UserId))
                    .col(integer(FlashcardReviews::Quality))
                    .col(timestamp_with_time_zone(FlashcardReviews::ReviewedAt))
                    .col(integer(FlashcardReviews::IntervalDays))
                    .col(double(FlashcardReviews::EaseFactor))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FlashcardReviews::Table, FlashcardReviews::FlashcardId)
                            .to(Flashcards::Table, Flashcards::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A card's history, newest first.
        create_index(
            manager,
            "idx_flashcard_reviews_card",
            FlashcardReviews::Table,
            vec![FlashcardReviews::FlashcardId, FlashcardReviews::ReviewedAt],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(TopicCompletions::Table)
                    .if_not_exists()
                    .col(uuid(TopicCompletions::UserId))
                    .col(uuid(TopicCompletions::TopicId))
                    .col(timestamp_with_time_zone(TopicCompletions::CompletedAt))
                    .primary_key(
                        Index::create()
                            .col(TopicCompletions::UserId)
                            .col(TopicCompletions::TopicId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TopicCompletions::Table, TopicCompletions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TopicCompletions::Table, TopicCompletions::TopicId)
                            .to(Topics::Table, Topics::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A learner's completions, newest first.
        create_index(
            manager,
            "idx_topic_completions_user",
            TopicCompletions::Table,
            vec![TopicCompletions::UserId, TopicCompletions::CompletedAt],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TopicCompletions::Table.into_iden(),
            FlashcardReviews::Table.into_iden(),
            Flashcards::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Flashcards {
    Table,
    Id,
    OwnerId,
    TopicId,
    Front,
    Back,
    Difficulty,
    EaseFactor,
    IntervalDays,
    Repetitions,
    NextReviewAt,
    LastReviewedAt,
    ReviewCount,
    Lapses,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FlashcardReviews {
    Table,
    Id,
    FlashcardId,
    UserId,
    Quality,
    ReviewedAt,
    IntervalDays,
    EaseFactor,
}

#[derive(DeriveIden)]
enum TopicCompletions {
    Table,
    UserId,
    TopicId,
    CompletedAt,
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
