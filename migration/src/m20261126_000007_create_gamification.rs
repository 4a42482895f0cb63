//! Gamification: the points rules and achievement catalog (data, seeded here), the points
//! ledger, per-user progress, daily activity, counters, unlocked achievements, the leaderboard
//! totals every board reads, and the scheduled-job locks.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::create_index;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// A board's order, walked forward for a page and counted for a rank (migration 000014 drops
/// it on PostgreSQL, where Redis ranks, and its `down` restores it).
pub(crate) fn leaderboard_rank_index() -> IndexCreateStatement {
    Index::create()
        .name("idx_leaderboard_scores_rank")
        .table(LeaderboardScores::Table)
        .col(LeaderboardScores::Board)
        .col((LeaderboardScores::Points, IndexOrder::Desc))
        .col((LeaderboardScores::ReachedAt, IndexOrder::Asc))
        .col((LeaderboardScores::UserId, IndexOrder::Desc))
        .to_owned()
}

/// `daily_activity` as this migration made it (migration 000015 turns it into a view and its
/// `down` makes it again).
pub(crate) fn daily_activity_table() -> TableCreateStatement {
    Table::create()
        .table(DailyActivity::Table)
        .if_not_exists()
        .col(uuid(DailyActivity::UserId))
        .col(string_len(DailyActivity::LocalDate, 10))
        .col(integer(DailyActivity::Points).default(0))
        .col(integer(DailyActivity::Actions).default(0))
        .primary_key(
            Index::create()
                .col(DailyActivity::UserId)
                .col(DailyActivity::LocalDate),
        )
        .foreign_key(
            ForeignKey::create()
                .from(DailyActivity::Table, DailyActivity::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// `user_stats` as this migration made it (migration 000015 folds it into `user_progress` and
/// its `down` makes it again).
pub(crate) fn user_stats_table() -> TableCreateStatement {
    Table::create()
        .table(UserStats::Table)
        .if_not_exists()
        .col(uuid(UserStats::UserId))
        .col(string_len(UserStats::Metric, 32))
        .col(big_integer(UserStats::Value).default(0))
        .primary_key(
            Index::create()
                .col(UserStats::UserId)
                .col(UserStats::Metric),
        )
        .foreign_key(
            ForeignKey::create()
                .from(UserStats::Table, UserStats::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// `(event type, flat points, points per score unit, score unit, win bonus, counts for the
/// streak, description)`.
const RULES: &[(&str, i32, i32, i32, i32, bool, &str)] = &[
    (
        "BATTLE_FINISHED",
        20,
        1,
        100,
        100,
        true,
        "Playing a battle: 20, +1 per 100 battle points, +100 for the win",
    ),
    (
        "FLASHCARD_REVIEWED",
        10,
        0,
        0,
        0,
        true,
        "Reviewing a flashcard",
    ),
    ("TOPIC_COMPLETED", 50, 0, 0, 0, true, "Completing a topic"),
    (
        "QUESTION_PUBLISHED",
        25,
        0,
        0,
        0,
        true,
        "A question you wrote was published",
    ),
    ("WORD_MASTERED", 15, 0, 0, 0, true, "Mastering a word"),
    (
        "MOCK_TEST_PASSED",
        100,
        0,
        0,
        0,
        true,
        "Passing a mock test",
    ),
    (
        "DAILY_LOGIN",
        5,
        0,
        0,
        0,
        false,
        "Signing in, once per local day",
    ),
];

/// `(key, name, description, metric, target)`, in display order.
const ACHIEVEMENTS: &[(&str, &str, &str, &str, i64)] = &[
    (
        "FIRST_BATTLE",
        "First battle",
        "Finish your first battle",
        "BATTLES_PLAYED",
        1,
    ),
    (
        "BATTLES_25",
        "Regular",
        "Finish 25 battles",
        "BATTLES_PLAYED",
        25,
    ),
    (
        "FIRST_WIN",
        "First win",
        "Win a battle against at least one other player",
        "BATTLES_WON",
        1,
    ),
    ("WINS_10", "Ten wins", "Win 10 battles", "BATTLES_WON", 10),
    ("WINS_50", "Champion", "Win 50 battles", "BATTLES_WON", 50),
    (
        "STREAK_7",
        "One week",
        "Keep a 7-day streak",
        "LONGEST_STREAK",
        7,
    ),
    (
        "STREAK_30",
        "One month",
        "Keep a 30-day streak",
        "LONGEST_STREAK",
        30,
    ),
    (
        "STREAK_100",
        "Unstoppable",
        "Keep a 100-day streak",
        "LONGEST_STREAK",
        100,
    ),
    (
        "FLASHCARDS_100",
        "Card shark",
        "Review 100 flashcards",
        "FLASHCARDS_REVIEWED",
        100,
    ),
    (
        "FLASHCARDS_1000",
        "Memory palace",
        "Review 1,000 flashcards",
        "FLASHCARDS_REVIEWED",
        1000,
    ),
    (
        "FIRST_PUBLISHED",
        "Author",
        "Have a question you wrote published",
        "QUESTIONS_PUBLISHED",
        1,
    ),
    (
        "PUBLISHED_10",
        "Prolific author",
        "Have 10 of your questions published",
        "QUESTIONS_PUBLISHED",
        10,
    ),
    (
        "FIRST_TOPIC",
        "Finisher",
        "Complete a topic",
        "TOPICS_COMPLETED",
        1,
    ),
    (
        "WORDS_50",
        "Wordsmith",
        "Master 50 words",
        "WORDS_MASTERED",
        50,
    ),
    (
        "FIRST_MOCK_TEST",
        "Tested",
        "Pass a mock test",
        "MOCK_TESTS_PASSED",
        1,
    ),
    ("LEVEL_5", "Level 5", "Reach level 5", "LEVEL", 5),
    ("LEVEL_10", "Level 10", "Reach level 10", "LEVEL", 10),
    ("LEVEL_20", "Level 20", "Reach level 20", "LEVEL", 20),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PointRules::Table)
                    .if_not_exists()
                    .col(string_len(PointRules::EventType, 40).primary_key())
                    .col(integer(PointRules::Points))
                    .col(integer(PointRules::ScorePoints).default(0))
                    .col(integer(PointRules::ScoreUnit).default(0))
                    .col(integer(PointRules::WinPoints).default(0))
                    .col(boolean(PointRules::CountsForStreak))
                    .col(text(PointRules::Description))
                    .to_owned(),
            )
            .await?;
        let mut rules = Query::insert();
        rules.into_table(PointRules::Table).columns([
            PointRules::EventType,
            PointRules::Points,
            PointRules::ScorePoints,
            PointRules::ScoreUnit,
            PointRules::WinPoints,
            PointRules::CountsForStreak,
            PointRules::Description,
        ]);
        for (event, points, score_points, unit, win, streak, description) in RULES {
            rules.values_panic([
                (*event).into(),
                (*points).into(),
                (*score_points).into(),
                (*unit).into(),
                (*win).into(),
                (*streak).into(),
                (*description).into(),
            ]);
        }
        manager.exec_stmt(rules).await?;

        manager
            .create_table(
                Table::create()
                    .table(Achievements::Table)
                    .if_not_exists()
                    .col(string_len(Achievements::Key, 40).primary_key())
                    .col(string_len(Achievements::Name, 80))
                    .col(text(Achievements::Description))
                    .col(string_len(Achievements::Metric, 32))
                    .col(big_integer(Achievements::Target))
                    .col(integer(Achievements::Position))
                    .to_owned(),
            )
            .await?;
        let mut catalog = Query::insert();
        catalog.into_table(Achievements::Table).columns([
            Achievements::Key,
            Achievements::Name,
            Achievements::Description,
            Achievements::Metric,
            Achievements::Target,
            Achievements::Position,
        ]);
        for (position, (key, name, description, metric, target)) in ACHIEVEMENTS.iter().enumerate()
        {
            catalog.values_panic([
                (*key).into(),
                (*name).into(),
                (*description).into(),
                (*metric).into(),
                (*target).into(),
                (position as i32).into(),
            ]);
        }
        manager.exec_stmt(catalog).await?;

        manager
            .create_table(
                Table::create()
                    .table(PointAwards::Table)
                    .if_not_exists()
                    .col(pk_uuid(PointAwards::Id))
                    .col(uuid(PointAwards::UserId))
                    .col(string_len(PointAwards::Rule, 40))
                    .col(uuid_null(PointAwards::SourceEventId))
                    // The source event's id, or `DAILY_LOGIN:<local date>`: unique per user.
                    .col(string_len(PointAwards::DedupeKey, 80))
                    .col(integer(PointAwards::Points))
                    // The battle's topic (TOPIC boards); no foreign key: history outlives topics.
                    .col(uuid_null(PointAwards::TopicId))
                    .col(timestamp_with_time_zone(PointAwards::OccurredAt))
                    .col(string_len(PointAwards::LocalDate, 10))
                    .col(timestamp_with_time_zone(PointAwards::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PointAwards::Table, PointAwards::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_point_awards_once",
            PointAwards::Table,
            vec![PointAwards::UserId, PointAwards::DedupeKey],
            true,
        )
        .await?;
        for (name, cols) in [
            (
                "idx_point_awards_user",
                vec![
                    PointAwards::UserId,
                    PointAwards::OccurredAt,
                    PointAwards::Id,
                ],
            ),
            (
                "idx_point_awards_time",
                vec![PointAwards::OccurredAt, PointAwards::UserId],
            ),
            (
                "idx_point_awards_topic",
                vec![PointAwards::TopicId, PointAwards::UserId],
            ),
        ] {
            create_index(manager, name, PointAwards::Table, cols, false).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(UserProgress::Table)
                    .if_not_exists()
                    .col(uuid(UserProgress::UserId).primary_key())
                    .col(big_integer(UserProgress::Points).default(0))
                    .col(integer(UserProgress::Level).default(1))
                    .col(integer(UserProgress::CurrentStreak).default(0))
                    .col(integer(UserProgress::LongestStreak).default(0))
                    .col(integer(UserProgress::Freezes).default(0))
                    .col(string_len_null(UserProgress::LastActiveDate, 10))
                    .col(string_len(UserProgress::TimeZone, 64).default("UTC"))
                    .col(timestamp_with_time_zone(UserProgress::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserProgress::Table, UserProgress::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The evening reminder looks users up by zone and last active day.
        create_index(
            manager,
            "idx_user_progress_zone",
            UserProgress::Table,
            vec![UserProgress::TimeZone, UserProgress::LastActiveDate],
            false,
        )
        .await?;

        manager.create_table(daily_activity_table()).await?;
        manager.create_table(user_stats_table()).await?;

        manager
            .create_table(
                Table::create()
                    .table(UserAchievements::Table)
                    .if_not_exists()
                    .col(uuid(UserAchievements::UserId))
                    .col(string_len(UserAchievements::AchievementKey, 40))
                    .col(timestamp_with_time_zone(UserAchievements::UnlockedAt))
                    .primary_key(
                        Index::create()
                            .col(UserAchievements::UserId)
                            .col(UserAchievements::AchievementKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserAchievements::Table, UserAchievements::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserAchievements::Table, UserAchievements::AchievementKey)
                            .to(Achievements::Table, Achievements::Key)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LeaderboardScores::Table)
                    .if_not_exists()
                    // `global`, `weekly:2026-W48` or `topic:<uuid>`.
                    .col(string_len(LeaderboardScores::Board, 60))
                    .col(uuid(LeaderboardScores::UserId))
                    .col(big_integer(LeaderboardScores::Points))
                    // Unix seconds when the user reached these points: earlier ranks higher.
                    .col(big_integer(LeaderboardScores::ReachedAt))
                    .primary_key(
                        Index::create()
                            .col(LeaderboardScores::Board)
                            .col(LeaderboardScores::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LeaderboardScores::Table, LeaderboardScores::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(leaderboard_rank_index()).await?;

        manager
            .create_table(
                Table::create()
                    .table(JobRuns::Table)
                    .if_not_exists()
                    .col(string_len(JobRuns::Job, 60))
                    .col(string_len(JobRuns::Period, 40))
                    .col(timestamp_with_time_zone(JobRuns::StartedAt))
                    .primary_key(Index::create().col(JobRuns::Job).col(JobRuns::Period))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JobRuns::Table.into_iden(),
            LeaderboardScores::Table.into_iden(),
            UserAchievements::Table.into_iden(),
            UserStats::Table.into_iden(),
            DailyActivity::Table.into_iden(),
            UserProgress::Table.into_iden(),
            PointAwards::Table.into_iden(),
            Achievements::Table.into_iden(),
            PointRules::Table.into_iden(),
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
enum PointRules {
    Table,
    EventType,
    Points,
    ScorePoints,
    ScoreUnit,
    WinPoints,
    CountsForStreak,
    Description,
}

#[derive(DeriveIden)]
enum Achievements {
    Table,
    Key,
    Name,
    Description,
    Metric,
    Target,
    Position,
}

#[derive(DeriveIden)]
enum PointAwards {
    Table,
    Id,
    UserId,
    Rule,
    SourceEventId,
    DedupeKey,
    Points,
    TopicId,
    OccurredAt,
    LocalDate,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserProgress {
    Table,
    UserId,
    Points,
    Level,
    CurrentStreak,
    LongestStreak,
    Freezes,
    LastActiveDate,
    TimeZone,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DailyActivity {
    Table,
    UserId,
    LocalDate,
    Points,
    Actions,
}

#[derive(DeriveIden)]
enum UserStats {
    Table,
    UserId,
    Metric,
    Value,
}

#[derive(DeriveIden)]
enum UserAchievements {
    Table,
    UserId,
    AchievementKey,
    UnlockedAt,
}

#[derive(DeriveIden)]
enum LeaderboardScores {
    Table,
    Board,
    UserId,
    Points,
    ReachedAt,
}

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Job,
    Period,
    StartedAt,
}
