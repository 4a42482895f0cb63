//! FSRS beside SM-2: each learner's scheduler settings, each card's FSRS memory state, the
//! state before and after every review (so a scheduler switch converts cards from their log and
//! an optimisation fits parameters to it), per-topic review tallies (filled from the existing
//! log), reviews per local hour and the day of the last reminder (the reminder goes out at the
//! hour each learner usually studies, once a day), and the learner's optimisation runs.
//!
//! Existing cards keep their SM-2 schedule and have no memory state until their learner
//! switches to FSRS; existing reviews are marked `SM2` with no "before" state (it is rebuilt from
//! the log when needed).

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
                    .table(LearningSettings::Table)
                    .if_not_exists()
                    .col(pk_uuid(LearningSettings::UserId))
                    .col(string_len(LearningSettings::Scheduler, 8))
                    .col(double(LearningSettings::DesiredRetention))
                    .col(integer(LearningSettings::MaximumIntervalDays))
                    .col(integer(LearningSettings::NewCardsPerDay))
                    .col(text_null(LearningSettings::FsrsParameters))
                    .col(timestamp_with_time_zone(LearningSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LearningSettings::Table, LearningSettings::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        for column in [Flashcards::Stability, Flashcards::FsrsDifficulty] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Flashcards::Table)
                        .add_column(double_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(FlashcardReviews::Table)
                    .add_column(string_len(FlashcardReviews::Scheduler, 8).default("SM2"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(FlashcardReviews::Table)
                    .add_column(integer(FlashcardReviews::IntervalBefore).default(0))
                    .to_owned(),
            )
            .await?;
        for column in [
            FlashcardReviews::ElapsedDays,
            FlashcardReviews::EaseBefore,
            FlashcardReviews::StabilityBefore,
            FlashcardReviews::DifficultyBefore,
            FlashcardReviews::StabilityAfter,
            FlashcardReviews::DifficultyAfter,
            FlashcardReviews::Retrievability,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(FlashcardReviews::Table)
                        .add_column(double_null(column))
                        .to_owned(),
                )
                .await?;
        }
        // A learner's reviews in time order: statistics, the optimiser's log, reviews per day.
        create_index(
            manager,
            "idx_flashcard_reviews_user_time",
            FlashcardReviews::Table,
            vec![FlashcardReviews::UserId, FlashcardReviews::ReviewedAt],
            false,
        )
        .await?;
        // Reviews and recalls per learner and topic, kept by each review: the dashboard's
        // accuracy reads one small row per topic instead of aggregating the whole log.
        manager
            .create_table(
                Table::create()
                    .table(ReviewTallies::Table)
                    .if_not_exists()
                    .col(uuid(ReviewTallies::UserId))
                    .col(uuid(ReviewTallies::TopicId))
                    .col(big_integer(ReviewTallies::Attempts))
                    .col(big_integer(ReviewTallies::Recalled))
                    .primary_key(
                        Index::create()
                            .col(ReviewTallies::UserId)
                            .col(ReviewTallies::TopicId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReviewTallies::Table, ReviewTallies::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReviewTallies::Table, ReviewTallies::TopicId)
                            .to(Topics::Table, Topics::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Existing reviews, counted under their card's topic.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO review_tallies (user_id, topic_id, attempts, recalled) \
                 SELECT r.user_id, f.topic_id, COUNT(*), \
                        SUM(CASE WHEN r.quality >= 3 THEN 1 ELSE 0 END) \
                 FROM flashcard_reviews r JOIN flashcards f ON f.id = r.flashcard_id \
                 WHERE f.topic_id IS NOT NULL GROUP BY r.user_id, f.topic_id",
            )
            .await?;
        // Reviews per learner and local hour: the reminder goes out at the hour they usually
        // study. And the local day each learner was last reminded: never twice a day.
        manager
            .create_table(
                Table::create()
                    .table(StudyHours::Table)
                    .if_not_exists()
                    .col(uuid(StudyHours::UserId))
                    .col(integer(StudyHours::Hour))
                    .col(big_integer(StudyHours::Reviews))
                    .primary_key(
                        Index::create()
                            .col(StudyHours::UserId)
                            .col(StudyHours::Hour),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StudyHours::Table, StudyHours::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FlashcardReminders::Table)
                    .if_not_exists()
                    .col(pk_uuid(FlashcardReminders::UserId))
                    .col(string_len(FlashcardReminders::LocalDate, 10))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FlashcardReminders::Table, FlashcardReminders::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SchedulerOptimizations::Table)
                    .if_not_exists()
                    .col(pk_uuid(SchedulerOptimizations::Id))
                    .col(uuid(SchedulerOptimizations::UserId))
                    .col(string_len(SchedulerOptimizations::Status, 12))
                    .col(double(SchedulerOptimizations::Progress))
                    .col(integer(SchedulerOptimizations::ReviewCount))
                    .col(integer(SchedulerOptimizations::TrainCount))
                    .col(integer(SchedulerOptimizations::TestCount))
                    .col(text_null(SchedulerOptimizations::Reason))
                    .col(text_null(SchedulerOptimizations::Evaluation))
                    .col(text_null(SchedulerOptimizations::Parameters))
                    .col(timestamp_with_time_zone(
                        SchedulerOptimizations::HeartbeatAt,
                    ))
                    .col(timestamp_with_time_zone(SchedulerOptimizations::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        SchedulerOptimizations::FinishedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                SchedulerOptimizations::Table,
                                SchedulerOptimizations::UserId,
                            )
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_scheduler_optimizations_user",
            SchedulerOptimizations::Table,
            vec![
                SchedulerOptimizations::UserId,
                SchedulerOptimizations::CreatedAt,
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SchedulerOptimizations::Table.into_iden(),
            ReviewTallies::Table.into_iden(),
            StudyHours::Table.into_iden(),
            FlashcardReminders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_flashcard_reviews_user_time")
                    .table(FlashcardReviews::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            FlashcardReviews::Scheduler,
            FlashcardReviews::IntervalBefore,
            FlashcardReviews::ElapsedDays,
            FlashcardReviews::EaseBefore,
            FlashcardReviews::StabilityBefore,
            FlashcardReviews::DifficultyBefore,
            FlashcardReviews::StabilityAfter,
            FlashcardReviews::DifficultyAfter,
            FlashcardReviews::Retrievability,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(FlashcardReviews::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [Flashcards::Stability, Flashcards::FsrsDifficulty] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Flashcards::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(LearningSettings::Table).to_owned())
            .await
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
enum StudyHours {
    Table,
    UserId,
    Hour,
    Reviews,
}

#[derive(DeriveIden)]
enum FlashcardReminders {
    Table,
    UserId,
    LocalDate,
}

#[derive(DeriveIden)]
enum ReviewTallies {
    Table,
    UserId,
    TopicId,
    Attempts,
    Recalled,
}

#[derive(DeriveIden)]
enum LearningSettings {
    Table,
    UserId,
    Scheduler,
    DesiredRetention,
    MaximumIntervalDays,
    NewCardsPerDay,
    FsrsParameters,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Flashcards {
    Table,
    Stability,
    FsrsDifficulty,
}

#[derive(DeriveIden)]
enum FlashcardReviews {
    Table,
    UserId,
    ReviewedAt,
    Scheduler,
    ElapsedDays,
    IntervalBefore,
    EaseBefore,
    StabilityBefore,
    DifficultyBefore,
    StabilityAfter,
    DifficultyAfter,
    Retrievability,
}

#[derive(DeriveIden)]
enum SchedulerOptimizations {
    Table,
    Id,
    UserId,
    Status,
    Progress,
    ReviewCount,
    TrainCount,
    TestCount,
    Reason,
    Evaluation,
    Parameters,
    HeartbeatAt,
    CreatedAt,
    FinishedAt,
}
