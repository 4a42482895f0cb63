//! Learners' own topics (a private hierarchy, each optionally linked to a public topic) and
//! their syllabus: an ordered outline of items per topic, each done or not, optionally linked
//! to an article or a public topic.

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
                    .table(PersonalTopics::Table)
                    .if_not_exists()
                    .col(pk_uuid(PersonalTopics::Id))
                    .col(uuid(PersonalTopics::OwnerId))
                    .col(uuid_null(PersonalTopics::ParentId))
                    .col(string_len(PersonalTopics::Name, 120))
                    .col(uuid_null(PersonalTopics::LinkedTopicId))
                    .col(timestamp_with_time_zone(PersonalTopics::CreatedAt))
                    .col(timestamp_with_time_zone(PersonalTopics::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonalTopics::Table, PersonalTopics::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonalTopics::Table, PersonalTopics::ParentId)
                            .to(PersonalTopics::Table, PersonalTopics::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // A deleted public topic leaves the learner's topic, unlinked.
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonalTopics::Table, PersonalTopics::LinkedTopicId)
                            .to(Topics::Table, Topics::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_personal_topics_owner_parent",
            PersonalTopics::Table,
            vec![PersonalTopics::OwnerId, PersonalTopics::ParentId],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(SyllabusItems::Table)
                    .if_not_exists()
                    .col(pk_uuid(SyllabusItems::Id))
                    .col(uuid(SyllabusItems::PersonalTopicId))
                    .col(uuid(SyllabusItems::OwnerId))
                    .col(string_len(SyllabusItems::Title, 200))
                    .col(integer(SyllabusItems::Position))
                    .col(timestamp_with_time_zone_null(SyllabusItems::DoneAt))
                    .col(uuid_null(SyllabusItems::LinkedArticleId))
                    .col(uuid_null(SyllabusItems::LinkedTopicId))
                    .col(timestamp_with_time_zone(SyllabusItems::CreatedAt))
                    .col(timestamp_with_time_zone(SyllabusItems::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SyllabusItems::Table, SyllabusItems::PersonalTopicId)
                            .to(PersonalTopics::Table, PersonalTopics::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SyllabusItems::Table, SyllabusItems::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SyllabusItems::Table, SyllabusItems::LinkedArticleId)
                            .to(Articles::Table, Articles::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SyllabusItems::Table, SyllabusItems::LinkedTopicId)
                            .to(Topics::Table, Topics::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_syllabus_items_topic",
            SyllabusItems::Table,
            vec![SyllabusItems::PersonalTopicId, SyllabusItems::Position],
            false,
        )
        .await?;
        // completeTopic's evidence: a learner's done items linked to a public topic.
        create_index(
            manager,
            "idx_syllabus_items_owner_linked",
            SyllabusItems::Table,
            vec![SyllabusItems::OwnerId, SyllabusItems::LinkedTopicId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SyllabusItems::Table.into_iden(),
            PersonalTopics::Table.into_iden(),
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
enum Articles {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PersonalTopics {
    Table,
    Id,
    OwnerId,
    ParentId,
    Name,
    LinkedTopicId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SyllabusItems {
    Table,
    Id,
    PersonalTopicId,
    OwnerId,
    Title,
    Position,
    DoneAt,
    LinkedArticleId,
    LinkedTopicId,
    CreatedAt,
    UpdatedAt,
}
