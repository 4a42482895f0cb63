//! Community contributions: question submissions, their reviews, and the reputation ledger
//! (with a running `users.reputation` total, read on every review and shown on every profile).

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::create_index;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(integer(Users::Reputation).default(0))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Submissions::Table)
                    .if_not_exists()
                    .col(pk_uuid(Submissions::Id))
                    .col(uuid(Submissions::AuthorId))
                    // Null once the topic is deleted: the author must pick another on revision.
                    .col(uuid_null(Submissions::TopicId))
                    .col(text(Submissions::Prompt))
                    // JSON array of {text, isCorrect}, in display order.
                    .col(text(Submissions::Choices))
                    .col(text(Submissions::Explanation))
                    .col(small_integer(Submissions::Difficulty))
                    // JSON array of normalised tag slugs.
                    .col(text(Submissions::Tags))
                    .col(string_len(Submissions::Status, 20))
                    .col(integer(Submissions::Revision).default(1))
                    .col(uuid_null(Submissions::QuestionId))
                    .col(timestamp_with_time_zone(Submissions::CreatedAt))
                    .col(timestamp_with_time_zone(Submissions::UpdatedAt))
                    // When it last entered the queue (submission or revision): the queue's order.
                    .col(timestamp_with_time_zone(Submissions::QueuedAt))
                    .col(timestamp_with_time_zone_null(Submissions::DecidedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Submissions::Table, Submissions::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Submissions::Table, Submissions::TopicId)
                            .to(Topics::Table, Topics::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Submissions::Table, Submissions::QuestionId)
                            .to(Questions::Table, Questions::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_submissions_queue",
                vec![Submissions::Status, Submissions::QueuedAt, Submissions::Id],
            ),
            (
                "idx_submissions_author",
                vec![
                    Submissions::AuthorId,
                    Submissions::CreatedAt,
                    Submissions::Id,
                ],
            ),
            ("idx_submissions_topic", vec![Submissions::TopicId]),
            ("idx_submissions_question", vec![Submissions::QuestionId]),
        ] {
            create_index(manager, name, Submissions::Table, cols, false).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(SubmissionReviews::Table)
                    .if_not_exists()
                    .col(pk_uuid(SubmissionReviews::Id))
                    .col(uuid(SubmissionReviews::SubmissionId))
                    .col(uuid(SubmissionReviews::ReviewerId))
                    .col(integer(SubmissionReviews::Revision))
                    .col(string_len(SubmissionReviews::Verdict, 20))
                    .col(text_null(SubmissionReviews::Comment))
                    .col(boolean(SubmissionReviews::ByModerator))
                    .col(timestamp_with_time_zone(SubmissionReviews::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SubmissionReviews::Table, SubmissionReviews::SubmissionId)
                            .to(Submissions::Table, Submissions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SubmissionReviews::Table, SubmissionReviews::ReviewerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One vote per reviewer per revision: the unique key, not a read-then-write, decides.
        create_index(
            manager,
            "idx_submission_reviews_vote",
            SubmissionReviews::Table,
            vec![
                SubmissionReviews::SubmissionId,
                SubmissionReviews::ReviewerId,
                SubmissionReviews::Revision,
            ],
            true,
        )
        .await?;
        create_index(
            manager,
            "idx_submission_reviews_reviewer",
            SubmissionReviews::Table,
            vec![SubmissionReviews::ReviewerId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReputationEvents::Table)
                    .if_not_exists()
                    .col(pk_uuid(ReputationEvents::Id))
                    .col(uuid(ReputationEvents::UserId))
                    .col(integer(ReputationEvents::Delta))
                    .col(integer(ReputationEvents::Balance))
                    .col(string_len(ReputationEvents::Reason, 32))
                    .col(uuid_null(ReputationEvents::SubmissionId))
                    .col(timestamp_with_time_zone(ReputationEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReputationEvents::Table, ReputationEvents::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReputationEvents::Table, ReputationEvents::SubmissionId)
                            .to(Submissions::Table, Submissions::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_reputation_events_user",
            ReputationEvents::Table,
            vec![
                ReputationEvents::UserId,
                ReputationEvents::CreatedAt,
                ReputationEvents::Id,
            ],
            false,
        )
        .await?;
        // A decision pays each person once, whatever retries happen.
        create_index(
            manager,
            "idx_reputation_events_once",
            ReputationEvents::Table,
            vec![
                ReputationEvents::UserId,
                ReputationEvents::SubmissionId,
                ReputationEvents::Reason,
            ],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReputationEvents::Table.into_iden(),
            SubmissionReviews::Table.into_iden(),
            Submissions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::Reputation)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Reputation,
}

#[derive(DeriveIden)]
enum Topics {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Submissions {
    Table,
    Id,
    AuthorId,
    TopicId,
    Prompt,
    Choices,
    Explanation,
    Difficulty,
    Tags,
    Status,
    Revision,
    QuestionId,
    CreatedAt,
    UpdatedAt,
    QueuedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum SubmissionReviews {
    Table,
    Id,
    SubmissionId,
    ReviewerId,
    Revision,
    Verdict,
    Comment,
    ByModerator,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReputationEvents {
    Table,
    Id,
    UserId,
    Delta,
    Balance,
    Reason,
    SubmissionId,
    CreatedAt,
}
