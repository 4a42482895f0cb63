//! Literacy (the dyslexia hub): word levels and words, each learner's place, per-word
//! progress, every attempt, mock tests and their words, per-phoneme error counts; the
//! `PRACTICE_STREAK_EXTENDED` point rule and the `FIRST_WORD` and `PRACTICE_7` achievements.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::create_index;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        levels_and_words(manager).await?;
        learners(manager).await?;
        attempts(manager).await?;
        mock_tests(manager).await?;
        let mut rule = Query::insert();
        rule.into_table(PointRules::Table)
            .columns([
                PointRules::EventType,
                PointRules::Points,
                PointRules::ScorePoints,
                PointRules::ScoreUnit,
                PointRules::WinPoints,
                PointRules::CountsForStreak,
                PointRules::Description,
            ])
            .values_panic([
                "PRACTICE_STREAK_EXTENDED".into(),
                5i32.into(),
                0i32.into(),
                0i32.into(),
                0i32.into(),
                true.into(),
                "A new longest daily word-practice streak".into(),
            ]);
        manager.exec_stmt(rule).await?;
        let mut achievements = Query::insert();
        achievements.into_table(Achievements::Table).columns([
            Achievements::Key,
            Achievements::Name,
            Achievements::Description,
            Achievements::Metric,
            Achievements::Target,
            Achievements::Position,
        ]);
        for (position, (key, name, description, metric, target)) in [
            (
                "FIRST_WORD",
                "First word",
                "Master your first word",
                "WORDS_MASTERED",
                1i64,
            ),
            (
                "PRACTICE_7",
                "Practice week",
                "Practise words 7 days in a row",
                "LONGEST_PRACTICE_STREAK",
                7,
            ),
        ]
        .into_iter()
        .enumerate()
        {
            achievements.values_panic([
                key.into(),
                name.into(),
                description.into(),
                metric.into(),
                target.into(),
                (100 + position as i32).into(),
            ]);
        }
        manager.exec_stmt(achievements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Achievements::Table)
                    .and_where(Expr::col(Achievements::Key).is_in(["FIRST_WORD", "PRACTICE_7"]))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(PointRules::Table)
                    .and_where(Expr::col(PointRules::EventType).eq("PRACTICE_STREAK_EXTENDED"))
                    .to_owned(),
            )
            .await?;
        for table in [
            LiteracyPhonemeStats::Table.into_iden(),
            LiteracyMockTestWords::Table.into_iden(),
            LiteracyMockTests::Table.into_iden(),
            LiteracyAttempts::Table.into_iden(),
            LiteracyWordProgress::Table.into_iden(),
            LiteracyLearners::Table.into_iden(),
            LiteracyWords::Table.into_iden(),
            LiteracyLevels::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn user_fk<T: IntoIden + 'static, C: IntoIden + 'static>(
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn levels_and_words(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(LiteracyLevels::Table)
                .if_not_exists()
                .col(pk_uuid(LiteracyLevels::Id))
                .col(integer_uniq(LiteracyLevels::Number))
                .col(string_len(LiteracyLevels::Title, 80))
                .col(timestamp_with_time_zone(LiteracyLevels::CreatedAt))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(LiteracyWords::Table)
                .if_not_exists()
                .col(pk_uuid(LiteracyWords::Id))
                .col(uuid(LiteracyWords::LevelId))
                .col(integer(LiteracyWords::Position))
                .col(string_len_uniq(LiteracyWords::Text, 64))
                .col(string_len(LiteracyWords::Phonemes, 400))
                .col(string_len(LiteracyWords::Syllables, 120))
                .col(text(LiteracyWords::Synonyms))
                .col(text_null(LiteracyWords::Definition))
                .col(double(LiteracyWords::Difficulty))
                .foreign_key(
                    ForeignKey::create()
                        .from(LiteracyWords::Table, LiteracyWords::LevelId)
                        .to(LiteracyLevels::Table, LiteracyLevels::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    // A level's words in order: the `words` page.
    create_index(
        manager,
        "idx_literacy_words_level",
        LiteracyWords::Table,
        vec![LiteracyWords::LevelId, LiteracyWords::Position],
        true,
    )
    .await
}

async fn learners(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(LiteracyLearners::Table)
                .if_not_exists()
                .col(pk_uuid(LiteracyLearners::UserId))
                .col(integer(LiteracyLearners::CurrentLevel))
                .col(integer(LiteracyLearners::UnlockedLevel))
                .col(integer(LiteracyLearners::StreakDays))
                .col(integer(LiteracyLearners::LongestStreak))
                .col(string_len_null(LiteracyLearners::LastPracticeDate, 10))
                .col(timestamp_with_time_zone(LiteracyLearners::CreatedAt))
                .col(timestamp_with_time_zone(LiteracyLearners::UpdatedAt))
                .foreign_key(&mut user_fk(
                    LiteracyLearners::Table,
                    LiteracyLearners::UserId,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(LiteracyWordProgress::Table)
                .if_not_exists()
                .col(uuid(LiteracyWordProgress::UserId))
                .col(uuid(LiteracyWordProgress::WordId))
                .col(uuid(LiteracyWordProgress::LevelId))
                .col(integer(LiteracyWordProgress::Attempts))
                .col(integer(LiteracyWordProgress::BestSimilarity))
                .col(big_integer(LiteracyWordProgress::SimilaritySum))
                .col(big_integer(LiteracyWordProgress::TimeSpentMs))
                .col(timestamp_with_time_zone(
                    LiteracyWordProgress::FirstAttemptAt,
                ))
                .col(timestamp_with_time_zone(
                    LiteracyWordProgress::LastAttemptAt,
                ))
                .col(timestamp_with_time_zone_null(
                    LiteracyWordProgress::MasteredAt,
                ))
                .col(big_integer_null(LiteracyWordProgress::TimeToMasterMs))
                .col(integer_null(LiteracyWordProgress::AttemptsToMaster))
                .primary_key(
                    Index::create()
                        .col(LiteracyWordProgress::UserId)
                        .col(LiteracyWordProgress::WordId),
                )
                .foreign_key(&mut user_fk(
                    LiteracyWordProgress::Table,
                    LiteracyWordProgress::UserId,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(LiteracyWordProgress::Table, LiteracyWordProgress::WordId)
                        .to(LiteracyWords::Table, LiteracyWords::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    // Per-level counts of one learner.
    create_index(
        manager,
        "idx_literacy_word_progress_level",
        LiteracyWordProgress::Table,
        vec![LiteracyWordProgress::UserId, LiteracyWordProgress::LevelId],
        false,
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(LiteracyPhonemeStats::Table)
                .if_not_exists()
                .col(uuid(LiteracyPhonemeStats::UserId))
                .col(string_len(LiteracyPhonemeStats::Phoneme, 4))
                .col(integer(LiteracyPhonemeStats::Occurrences))
                .col(integer(LiteracyPhonemeStats::Errors))
                .primary_key(
                    Index::create()
                        .col(LiteracyPhonemeStats::UserId)
                        .col(LiteracyPhonemeStats::Phoneme),
                )
                .foreign_key(&mut user_fk(
                    LiteracyPhonemeStats::Table,
                    LiteracyPhonemeStats::UserId,
                ))
                .to_owned(),
        )
        .await
}

async fn attempts(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(LiteracyAttempts::Table)
                .if_not_exists()
                .col(pk_uuid(LiteracyAttempts::Id))
                .col(uuid(LiteracyAttempts::UserId))
                .col(uuid(LiteracyAttempts::WordId))
                .col(uuid_null(LiteracyAttempts::MockTestId))
                .col(integer(LiteracyAttempts::Similarity))
                .col(boolean(LiteracyAttempts::Passed))
                .col(string_len(LiteracyAttempts::Heard, 400))
                .col(string_len_null(LiteracyAttempts::Transcript, 200))
                .col(string_len(LiteracyAttempts::Source, 16))
                .col(integer(LiteracyAttempts::DurationMs))
                .col(text(LiteracyAttempts::Mistakes))
                .col(timestamp_with_time_zone(LiteracyAttempts::CreatedAt))
                .foreign_key(&mut user_fk(
                    LiteracyAttempts::Table,
                    LiteracyAttempts::UserId,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(LiteracyAttempts::Table, LiteracyAttempts::WordId)
                        .to(LiteracyWords::Table, LiteracyWords::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    // A learner's history, newest first; and per word.
    create_index(
        manager,
        "idx_literacy_attempts_user",
        LiteracyAttempts::Table,
        vec![LiteracyAttempts::UserId, LiteracyAttempts::CreatedAt],
        false,
    )
    .await?;
    create_index(
        manager,
        "idx_literacy_attempts_user_word",
        LiteracyAttempts::Table,
        vec![LiteracyAttempts::UserId, LiteracyAttempts::WordId],
        false,
    )
    .await
}

async fn mock_tests(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(LiteracyMockTests::Table)
                .if_not_exists()
                .col(pk_uuid(LiteracyMockTests::Id))
                .col(uuid(LiteracyMockTests::UserId))
                .col(uuid(LiteracyMockTests::LevelId))
                .col(string_len(LiteracyMockTests::Status, 16))
                .col(timestamp_with_time_zone(LiteracyMockTests::StartedAt))
                .col(timestamp_with_time_zone(LiteracyMockTests::ExpiresAt))
                .col(timestamp_with_time_zone_null(LiteracyMockTests::FinishedAt))
                .col(integer(LiteracyMockTests::Correct))
                .col(integer_null(LiteracyMockTests::Score))
                .foreign_key(&mut user_fk(
                    LiteracyMockTests::Table,
                    LiteracyMockTests::UserId,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(LiteracyMockTests::Table, LiteracyMockTests::LevelId)
                        .to(LiteracyLevels::Table, LiteracyLevels::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    // A learner's tests of a level, newest first: the open test, the cool-down, the best score.
    create_index(
        manager,
        "idx_literacy_mock_tests_user_level",
        LiteracyMockTests::Table,
        vec![
            LiteracyMockTests::UserId,
            LiteracyMockTests::LevelId,
            LiteracyMockTests::StartedAt,
        ],
        false,
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(LiteracyMockTestWords::Table)
                .if_not_exists()
                .col(uuid(LiteracyMockTestWords::TestId))
                .col(uuid(LiteracyMockTestWords::WordId))
                .col(integer(LiteracyMockTestWords::Position))
                .col(integer_null(LiteracyMockTestWords::Similarity))
                .col(boolean_null(LiteracyMockTestWords::Passed))
                .col(integer_null(LiteracyMockTestWords::DurationMs))
                .col(timestamp_with_time_zone_null(
                    LiteracyMockTestWords::AnsweredAt,
                ))
                .primary_key(
                    Index::create()
                        .col(LiteracyMockTestWords::TestId)
                        .col(LiteracyMockTestWords::WordId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(LiteracyMockTestWords::Table, LiteracyMockTestWords::TestId)
                        .to(LiteracyMockTests::Table, LiteracyMockTests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(LiteracyMockTestWords::Table, LiteracyMockTestWords::WordId)
                        .to(LiteracyWords::Table, LiteracyWords::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
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
enum LiteracyLevels {
    Table,
    Id,
    Number,
    Title,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LiteracyWords {
    Table,
    Id,
    LevelId,
    Position,
    Text,
    Phonemes,
    Syllables,
    Synonyms,
    Definition,
    Difficulty,
}

#[derive(DeriveIden)]
enum LiteracyLearners {
    Table,
    UserId,
    CurrentLevel,
    UnlockedLevel,
    StreakDays,
    LongestStreak,
    LastPracticeDate,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LiteracyWordProgress {
    Table,
    UserId,
    WordId,
    LevelId,
    Attempts,
    BestSimilarity,
    SimilaritySum,
    TimeSpentMs,
    FirstAttemptAt,
    LastAttemptAt,
    MasteredAt,
    TimeToMasterMs,
    AttemptsToMaster,
}

#[derive(DeriveIden)]
enum LiteracyPhonemeStats {
    Table,
    UserId,
    Phoneme,
    Occurrences,
    Errors,
}

#[derive(DeriveIden)]
enum LiteracyAttempts {
    Table,
    Id,
    UserId,
    WordId,
    MockTestId,
    Similarity,
    Passed,
    Heard,
    Transcript,
    Source,
    DurationMs,
    Mistakes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LiteracyMockTests {
    Table,
    Id,
    UserId,
    LevelId,
    Status,
    StartedAt,
    ExpiresAt,
    FinishedAt,
    Correct,
    Score,
}

#[derive(DeriveIden)]
enum LiteracyMockTestWords {
    Table,
    TestId,
    WordId,
    Position,
    Similarity,
    Passed,
    DurationMs,
    AnsweredAt,
}
