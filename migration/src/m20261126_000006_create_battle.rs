//! Battle rooms: rooms with their state machine and next deadline, players with running
//! scores, the drawn questions, and answers (one per player per question, by key).

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
                    .table(BattleRooms::Table)
                    .if_not_exists()
                    .col(pk_uuid(BattleRooms::Id))
                    .col(string_len_uniq(BattleRooms::Code, 6))
                    .col(uuid_null(BattleRooms::TopicId))
                    .col(uuid(BattleRooms::HostId))
                    // LOBBY, IN_PROGRESS, FINISHED, CANCELLED.
                    .col(string_len(BattleRooms::Status, 16))
                    // LOBBY, QUESTION, REVEAL, DONE.
                    .col(string_len(BattleRooms::Phase, 16))
                    .col(boolean(BattleRooms::IsPrivate))
                    .col(boolean(BattleRooms::QuickMatch))
                    .col(boolean(BattleRooms::AllowSolo))
                    .col(integer(BattleRooms::QuestionCount))
                    .col(integer(BattleRooms::SecondsPerQuestion))
                    .col(integer(BattleRooms::MaxPlayers))
                    .col(integer(BattleRooms::QuestionIndex))
                    .col(timestamp_with_time_zone_null(BattleRooms::PhaseStartedAt))
                    // The next thing the driver must do is due then: a question's deadline, a
                    // reveal's end, a quick-match start or an idle lobby's cleanup.
                    .col(timestamp_with_time_zone_null(BattleRooms::Deadline))
                    .col(big_integer(BattleRooms::Version))
                    .col(text_null(BattleRooms::Results))
                    .col(timestamp_with_time_zone(BattleRooms::CreatedAt))
                    .col(timestamp_with_time_zone(BattleRooms::UpdatedAt))
                    .col(timestamp_with_time_zone_null(BattleRooms::StartedAt))
                    .col(timestamp_with_time_zone_null(BattleRooms::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BattleRooms::Table, BattleRooms::TopicId)
                            .to(Topics::Table, Topics::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BattleRooms::Table, BattleRooms::HostId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_battle_rooms_due",
            BattleRooms::Table,
            vec![BattleRooms::Deadline],
            false,
        )
        .await?;
        create_index(
            manager,
            "idx_battle_rooms_open",
            BattleRooms::Table,
            vec![
                BattleRooms::Status,
                BattleRooms::TopicId,
                BattleRooms::CreatedAt,
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(BattlePlayers::Table)
                    .if_not_exists()
                    .col(uuid(BattlePlayers::RoomId))
                    .col(uuid(BattlePlayers::UserId))
                    .col(timestamp_with_time_zone(BattlePlayers::JoinedAt))
                    .col(timestamp_with_time_zone_null(BattlePlayers::LeftAt))
                    .col(integer(BattlePlayers::Score))
                    .col(integer(BattlePlayers::CorrectCount))
                    .col(integer(BattlePlayers::Streak))
                    .col(big_integer(BattlePlayers::AnswerMs))
                    // Live subscriptions of this player to this room, over all replicas.
                    .col(integer(BattlePlayers::Connections))
                    .primary_key(
                        Index::create()
                            .col(BattlePlayers::RoomId)
                            .col(BattlePlayers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BattlePlayers::Table, BattlePlayers::RoomId)
                            .to(BattleRooms::Table, BattleRooms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BattlePlayers::Table, BattlePlayers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_battle_players_user",
            BattlePlayers::Table,
            vec![BattlePlayers::UserId, BattlePlayers::JoinedAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(BattleQuestions::Table)
                    .if_not_exists()
                    .col(uuid(BattleQuestions::RoomId))
                    .col(integer(BattleQuestions::Position))
                    .col(uuid(BattleQuestions::QuestionId))
                    .primary_key(
                        Index::create()
                            .col(BattleQuestions::RoomId)
                            .col(BattleQuestions::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BattleQuestions::Table, BattleQuestions::RoomId)
                            .to(BattleRooms::Table, BattleRooms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BattleQuestions::Table, BattleQuestions::QuestionId)
                            .to(Questions::Table, Questions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BattleAnswers::Table)
                    .if_not_exists()
                    .col(uuid(BattleAnswers::RoomId))
                    .col(integer(BattleAnswers::Position))
                    .col(uuid(BattleAnswers::UserId))
                    .col(uuid(BattleAnswers::ChoiceId))
                    .col(boolean(BattleAnswers::Correct))
                    .col(integer(BattleAnswers::Points))
                    .col(integer(BattleAnswers::ElapsedMs))
                    .col(timestamp_with_time_zone(BattleAnswers::AnsweredAt))
                    // A second answer is refused by this key, whatever the timing.
                    .primary_key(
                        Index::create()
                            .col(BattleAnswers::RoomId)
                            .col(BattleAnswers::Position)
                            .col(BattleAnswers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BattleAnswers::Table, BattleAnswers::RoomId)
                            .to(BattleRooms::Table, BattleRooms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            BattleAnswers::Table.into_iden(),
            BattleQuestions::Table.into_iden(),
            BattlePlayers::Table.into_iden(),
            BattleRooms::Table.into_iden(),
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
enum BattleRooms {
    Table,
    Id,
    Code,
    TopicId,
    HostId,
    Status,
    Phase,
    IsPrivate,
    QuickMatch,
    AllowSolo,
    QuestionCount,
    SecondsPerQuestion,
    MaxPlayers,
    QuestionIndex,
    PhaseStartedAt,
    Deadline,
    Version,
    Results,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum BattlePlayers {
    Table,
    RoomId,
    UserId,
    JoinedAt,
    LeftAt,
    Score,
    CorrectCount,
    Streak,
    AnswerMs,
    Connections,
}

#[derive(DeriveIden)]
enum BattleQuestions {
    Table,
    RoomId,
    Position,
    QuestionId,
}

#[derive(DeriveIden)]
enum BattleAnswers {
    Table,
    RoomId,
    Position,
    UserId,
    ChoiceId,
    Correct,
    Points,
    ElapsedMs,
    AnsweredAt,
}
