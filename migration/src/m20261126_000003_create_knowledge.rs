//! Knowledge hub: topics (a tree with materialised slug paths), tags, questions with their
//! choices, articles, and the tag links.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Topics::Table)
                    .if_not_exists()
                    .col(pk_uuid(Topics::Id))
                    .col(uuid_null(Topics::ParentId))
                    .col(string_len(Topics::Slug, 80))
                    // Slugs from the root down, `science/physics`: unique, so a slug is unique
                    // among its siblings (NULL parents would escape a (parent, slug) index).
                    .col(string_len_uniq(Topics::Path, 400))
                    .col(string_len(Topics::Name, 120))
                    .col(text_null(Topics::Description))
                    .col(integer(Topics::Position).default(0))
                    .col(timestamp_with_time_zone(Topics::CreatedAt))
                    .col(timestamp_with_time_zone(Topics::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Topics::Table, Topics::ParentId)
                            .to(Topics::Table, Topics::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_topics_parent_id",
            Topics::Table,
            &[Topics::ParentId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tags::Table)
                    .if_not_exists()
                    .col(pk_uuid(Tags::Id))
                    .col(string_len_uniq(Tags::Slug, 60))
                    .col(string_len(Tags::Name, 60))
                    .col(timestamp_with_time_zone(Tags::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Questions::Table)
                    .if_not_exists()
                    .col(pk_uuid(Questions::Id))
                    .col(uuid(Questions::TopicId))
                    .col(uuid_null(Questions::AuthorId))
                    .col(text(Questions::Prompt))
                    .col(text(Questions::Explanation))
                    .col(small_integer(Questions::Difficulty))
                    .col(string_len(Questions::Status, 16))
                    .col(string_len(Questions::Source, 16))
                    .col(big_integer(Questions::Attempts).default(0))
                    .col(big_integer(Questions::CorrectAttempts).default(0))
                    .col(timestamp_with_time_zone(Questions::CreatedAt))
                    .col(timestamp_with_time_zone(Questions::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Questions::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Questions::Table, Questions::TopicId)
                            .to(Topics::Table, Topics::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Questions::Table, Questions::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // `questions(filter: {status, topicId})` pages newest first by (created_at, id).
        index(
            manager,
            "idx_questions_status_created",
            Questions::Table,
            &[Questions::Status, Questions::CreatedAt, Questions::Id],
        )
        .await?;
        index(
            manager,
            "idx_questions_topic_status_created",
            Questions::Table,
            &[
                Questions::TopicId,
                Questions::Status,
                Questions::CreatedAt,
                Questions::Id,
            ],
        )
        .await?;
        index(
            manager,
            "idx_questions_author_id",
            Questions::Table,
            &[Questions::AuthorId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(QuestionChoices::Table)
                    .if_not_exists()
                    .col(pk_uuid(QuestionChoices::Id))
                    .col(uuid(QuestionChoices::QuestionId))
                    .col(small_integer(QuestionChoices::Position))
                    .col(string_len(QuestionChoices::Text, 200))
                    .col(boolean(QuestionChoices::IsCorrect))
                    .foreign_key(
                        ForeignKey::create()
                            .from(QuestionChoices::Table, QuestionChoices::QuestionId)
                            .to(Questions::Table, Questions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_question_choices_question_position",
            QuestionChoices::Table,
            &[QuestionChoices::QuestionId, QuestionChoices::Position],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(QuestionTags::Table)
                    .if_not_exists()
                    .col(uuid(QuestionTags::QuestionId))
                    .col(uuid(QuestionTags::TagId))
                    .primary_key(
                        Index::create()
                            .col(QuestionTags::QuestionId)
                            .col(QuestionTags::TagId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(QuestionTags::Table, QuestionTags::QuestionId)
                            .to(Questions::Table, Questions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(QuestionTags::Table, QuestionTags::TagId)
                            .to(Tags::Table, Tags::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_question_tags_tag_id",
            QuestionTags::Table,
            &[QuestionTags::TagId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Articles::Table)
                    .if_not_exists()
                    .col(pk_uuid(Articles::Id))
                    .col(uuid(Articles::TopicId))
                    .col(uuid_null(Articles::AuthorId))
                    .col(string_len(Articles::Title, 200))
                    .col(text(Articles::Summary))
                    .col(text(Articles::Body))
                    .col(string_len(Articles::Status, 16))
                    .col(integer(Articles::ReadingMinutes))
                    .col(timestamp_with_time_zone(Articles::CreatedAt))
                    .col(timestamp_with_time_zone(Articles::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Articles::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Articles::Table, Articles::TopicId)
                            .to(Topics::Table, Topics::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Articles::Table, Articles::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_articles_status_created",
            Articles::Table,
            &[Articles::Status, Articles::CreatedAt, Articles::Id],
        )
        .await?;
        index(
            manager,
            "idx_articles_topic_status",
            Articles::Table,
            &[Articles::TopicId, Articles::Status],
        )
        .await?;
        index(
            manager,
            "idx_articles_author_id",
            Articles::Table,
            &[Articles::AuthorId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ArticleTags::Table)
                    .if_not_exists()
                    .col(uuid(ArticleTags::ArticleId))
                    .col(uuid(ArticleTags::TagId))
                    .primary_key(
                        Index::create()
                            .col(ArticleTags::ArticleId)
                            .col(ArticleTags::TagId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ArticleTags::Table, ArticleTags::ArticleId)
                            .to(Articles::Table, Articles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ArticleTags::Table, ArticleTags::TagId)
                            .to(Tags::Table, Tags::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_article_tags_tag_id",
            ArticleTags::Table,
            &[ArticleTags::TagId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ArticleTags::Table.into_iden(),
            Articles::Table.into_iden(),
            QuestionTags::Table.into_iden(),
            QuestionChoices::Table.into_iden(),
            Questions::Table.into_iden(),
            Tags::Table.into_iden(),
            Topics::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: &[C],
) -> Result<(), DbErr>
where
    T: IntoIden + 'static,
    C: IntoIden + Clone + 'static,
{
    let mut statement = Index::create();
    statement.name(name).table(table);
    for col in cols {
        statement.col(col.clone());
    }
    manager.create_index(statement.to_owned()).await
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum Topics {
    Table,
    Id,
    ParentId,
    Slug,
    Path,
    Name,
    Description,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tags {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum Questions {
    Table,
    Id,
    TopicId,
    AuthorId,
    Prompt,
    Explanation,
    Difficulty,
    Status,
    Source,
    Attempts,
    CorrectAttempts,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden, Clone)]
enum QuestionChoices {
    Table,
    Id,
    QuestionId,
    Position,
    Text,
    IsCorrect,
}

#[derive(DeriveIden, Clone)]
enum QuestionTags {
    Table,
    QuestionId,
    TagId,
}

#[derive(DeriveIden, Clone)]
enum Articles {
    Table,
    Id,
    TopicId,
    AuthorId,
    Title,
    Summary,
    Body,
    Status,
    ReadingMinutes,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden, Clone)]
enum ArticleTags {
    Table,
    ArticleId,
    TagId,
}
