//! Progress: per level (words mastered, count and share; average similarity; attempts; time
//! to master; mock tests) and overall (plus the daily practice streak), each read in a few
//! grouped statements whatever the number of levels.

use std::collections::HashMap;

use agora_entities::literacy::{learner, level, mock_test, word_progress};
use agora_platform::AppResult;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{levels, ready_threshold};

/// One learner's standing on one level.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LevelProgress {
    /// Words in the level.
    pub word_count: i64,
    /// Words mastered.
    pub mastered: i64,
    /// Practice attempts.
    pub attempts: i64,
    /// Sum of their similarities.
    pub similarity_sum: i64,
    /// Speaking time over all attempts, ms.
    pub time_spent_ms: i64,
    /// Sum of speaking time until mastered, over mastered words, ms.
    pub time_to_master_ms: i64,
    /// Mock tests taken (finished, expired or open).
    pub tests: i64,
    /// Best mock-test score.
    pub best_score: Option<i32>,
    /// Passed its mock test at least once.
    pub passed: bool,
    /// Unlocked for the learner.
    pub unlocked: bool,
}

impl LevelProgress {
    /// Average similarity of the attempts, if any.
    pub(crate) fn average_similarity(&self) -> Option<f64> {
        (self.attempts > 0).then(|| self.similarity_sum as f64 / self.attempts as f64)
    }

    /// Share of words mastered, 0–100.
    pub(crate) fn percent_mastered(&self) -> f64 {
        if self.word_count == 0 {
            return 0.0;
        }
        100.0 * self.mastered as f64 / self.word_count as f64
    }

    /// Average speaking time to master a word, ms.
    pub(crate) fn average_time_to_master_ms(&self) -> Option<f64> {
        (self.mastered > 0).then(|| self.time_to_master_ms as f64 / self.mastered as f64)
    }

    /// Words still to master before the mock test opens.
    pub(crate) fn words_to_mock_test(&self) -> i64 {
        std::cmp::max(
            ready_threshold(std::cmp::max(self.word_count, 0) as usize) as i64 - self.mastered,
            0,
        )
    }
}

#[derive(Debug, FromQueryResult)]
struct WordRow {
    level_id: Uuid,
    attempts: Option<i64>,
    mastered: Option<i64>,
    similarity_sum: Option<i64>,
    time_spent_ms: Option<i64>,
    time_to_master_ms: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct TestRow {
    level_id: Uuid,
    tests: Option<i64>,
    best: Option<i32>,
    passes: Option<i64>,
}

/// `user`'s place and standing on every level, in level order (three grouped reads).
pub(crate) async fn all<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
) -> AppResult<(Option<learner::Model>, Vec<(level::Model, LevelProgress)>)> {
    let place = levels::learner_if_any(db, user).await?;
    let unlocked = place.as_ref().map_or(1, |p| p.unlocked_level);
    let levels = levels::all(db).await?;
    let counts = levels::word_counts(db, None).await?;
    let words: HashMap<Uuid, WordRow> = word_progress::Entity::find()
        .select_only()
        .column(word_progress::Column::LevelId)
        .column_as(Expr::col(word_progress::Column::Attempts).sum(), "attempts")
        .column_as(
            Expr::cust("SUM(CASE WHEN mastered_at IS NULL THEN 0 ELSE 1 END)"),
            "mastered",
        )
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back to read an i64 on both.
        .column_as(
            Expr::cust("CAST(SUM(similarity_sum) AS BIGINT)"),
            "similarity_sum",
        )
        .column_as(
            Expr::cust("CAST(SUM(time_spent_ms) AS BIGINT)"),
            "time_spent_ms",
        )
        .column_as(
            Expr::cust("CAST(SUM(time_to_master_ms) AS BIGINT)"),
            "time_to_master_ms",
        )
        .filter(word_progress::Column::UserId.eq(user))
        .group_by(word_progress::Column::LevelId)
        .into_model::<WordRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.level_id, r))
        .collect();
    let tests: HashMap<Uuid, TestRow> = mock_test::Entity::find()
        .select_only()
        .column(mock_test::Column::LevelId)
        .column_as(Expr::col(mock_test::Column::Id).count(), "tests")
        .column_as(Expr::col(mock_test::Column::Score).max(), "best")
        .column_as(
            Expr::cust("SUM(CASE WHEN status = 'PASSED' THEN 1 ELSE 0 END)"),
            "passes",
        )
        .filter(mock_test::Column::UserId.eq(user))
        .group_by(mock_test::Column::LevelId)
        .into_model::<TestRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.level_id, r))
        .collect();
    let rows = levels
        .into_iter()
        .map(|level| {
            let w = words.get(&level.id);
            let t = tests.get(&level.id);
            let progress = LevelProgress {
                word_count: counts.get(&level.id).copied().unwrap_or(0),
                mastered: w.and_then(|w| w.mastered).unwrap_or(0),
                attempts: w.and_then(|w| w.attempts).unwrap_or(0),
                similarity_sum: w.and_then(|w| w.similarity_sum).unwrap_or(0),
                time_spent_ms: w.and_then(|w| w.time_spent_ms).unwrap_or(0),
                time_to_master_ms: w.and_then(|w| w.time_to_master_ms).unwrap_or(0),
                tests: t.and_then(|t| t.tests).unwrap_or(0),
                best_score: t.and_then(|t| t.best),
                passed: t.and_then(|t| t.passes).unwrap_or(0) > 0,
                unlocked: level.number <= unlocked,
            };
            (level, progress)
        })
        .collect();
    Ok((place, rows))
}
