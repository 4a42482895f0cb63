//! Mock tests: once 80% of a level's words are mastered, a test of ten of its words (drawn
//! towards the learner's weakest), answered like practice; a score of 70% or more passes,
//! unlocks the next level and, the first time, emits `MOCK_TEST_PASSED`. A failed or expired
//! test makes the next one of that level wait the configured cool-down; a test expires after
//! the configured duration (unanswered words fail).

use std::collections::HashMap;

use agora_entities::literacy::{attempt, learner, mock_test, mock_test_word, word, word_progress};
use agora_events::literacy::MockTestPassed;
use agora_platform::{
    AppError, AppResult, Platform,
    db::begin_write,
    outbox::{self, NewEvent},
};
use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    MOCK_PASS_SCORE, MOCK_TEST_WORDS, levels,
    practice::{self, Answer},
    ready_threshold,
};
use crate::{lexicon, settings::LiteracySettings};

/// `startMockTest`: opens a test of `level_id` for `user`, or returns the one already open.
pub(crate) async fn start(
    platform: &Platform,
    settings: &LiteracySettings,
    user: Uuid,
    level_id: Uuid,
) -> AppResult<mock_test::Model> {
    expire_overdue(platform, user).await?;
    let txn = begin_write(&platform.db).await?;
    let now = platform.clock.now();
    let level = levels::find(&txn, level_id).await?;
    let place = levels::learner(&txn, user, now).await?;
    levels::require_unlocked(&place, &level)?;
    if let Some(open) = open_test(&txn, user, level.id, now).await? {
        txn.commit().await?;
        return Ok(open);
    }
    let total = levels::word_count(&txn, level.id).await? as usize;
    let mastered = levels::mastered_count(&txn, user, level.id).await? as usize;
    let needed = ready_threshold(total);
    if total == 0 || mastered < needed {
        return Err(AppError::Forbidden(format!(
            "master {} more word{} of level {} first ({mastered} of {total} mastered; the test opens at 80%)",
            needed.saturating_sub(mastered).max(1),
            if needed.saturating_sub(mastered) == 1 {
                ""
            } else {
                "s"
            },
            level.number,
        )));
    }
    if let Some(wait) = cooling_down(&txn, settings, user, level.id, now).await? {
        return Err(AppError::Forbidden(format!(
            "the last mock test of this level did not pass: try again in {} minute{}",
            wait,
            if wait == 1 { "" } else { "s" }
        )));
    }
    let drawn = draw(&txn, user, level.id).await?;
    let test = mock_test::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user),
        level_id: Set(level.id),
        status: Set(mock_test::Status::InProgress),
        started_at: Set(now),
        expires_at: Set(now + settings.test_duration()),
        finished_at: Set(None),
        correct: Set(0),
        score: Set(None),
    }
    .insert(&txn)
    .await?;
    let rows = drawn
        .iter()
        .enumerate()
        .map(|(position, word)| mock_test_word::ActiveModel {
            test_id: Set(test.id),
            word_id: Set(*word),
            position: Set(position as i32),
            similarity: Set(None),
            passed: Set(None),
            duration_ms: Set(None),
            answered_at: Set(None),
        });
    mock_test_word::Entity::insert_many(rows).exec(&txn).await?;
    txn.commit().await?;
    Ok(test)
}

/// The open (in progress, not expired) test of `level` for `user`.
async fn open_test<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    level: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Option<mock_test::Model>> {
    Ok(mock_test::Entity::find()
        .filter(mock_test::Column::UserId.eq(user))
        .filter(mock_test::Column::LevelId.eq(level))
        .filter(mock_test::Column::Status.eq(mock_test::Status::InProgress))
        .filter(mock_test::Column::ExpiresAt.gt(now))
        .one(db)
        .await?)
}

/// Whole minutes left of the cool-down after the last unsuccessful test of `level`.
async fn cooling_down<C: ConnectionTrait>(
    db: &C,
    settings: &LiteracySettings,
    user: Uuid,
    level: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Option<i64>> {
    let last = mock_test::Entity::find()
        .filter(mock_test::Column::UserId.eq(user))
        .filter(mock_test::Column::LevelId.eq(level))
        .order_by_desc(mock_test::Column::StartedAt)
        .one(db)
        .await?;
    let Some(last) = last else {
        return Ok(None);
    };
    if !matches!(
        last.status,
        mock_test::Status::Failed | mock_test::Status::Expired
    ) {
        return Ok(None);
    }
    let ended = last.finished_at.unwrap_or(last.expires_at);
    let until = ended + settings.cooldown();
    if until <= now {
        return Ok(None);
    }
    let seconds = (until - now).num_seconds();
    Ok(Some((seconds + 59) / 60))
}

/// Draws the test's words from `level`: without replacement, each weighted by how far the
/// learner's best score on it is from perfect (a never-tried word weighs as a score of 0), so
/// weak words come up more often while every word can.
async fn draw<C: ConnectionTrait>(db: &C, user: Uuid, level: Uuid) -> AppResult<Vec<Uuid>> {
    let words: Vec<Uuid> = word::Entity::find()
        .select_only()
        .column(word::Column::Id)
        .filter(word::Column::LevelId.eq(level))
        .order_by_asc(word::Column::Position)
        .into_tuple()
        .all(db)
        .await?;
    let best: HashMap<Uuid, i32> = word_progress::Entity::find()
        .select_only()
        .column(word_progress::Column::WordId)
        .column(word_progress::Column::BestSimilarity)
        .filter(word_progress::Column::UserId.eq(user))
        .filter(word_progress::Column::LevelId.eq(level))
        .into_tuple::<(Uuid, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let weights: Vec<f64> = words
        .iter()
        .map(|w| draw_weight(best.get(w).copied()))
        .collect();
    Ok(weighted_sample(
        &words,
        &weights,
        MOCK_TEST_WORDS,
        &mut rand::rng(),
    ))
}

/// A word's weight in the draw: 1 + (100 − best) / 25, so a word never said right weighs five
/// times a perfect one.
pub(crate) fn draw_weight(best: Option<i32>) -> f64 {
    1.0 + f64::from(100 - best.unwrap_or(0).clamp(0, 100)) / 25.0
}

/// `n` distinct items drawn with probability proportional to `weights`.
pub(crate) fn weighted_sample<T: Copy>(
    items: &[T],
    weights: &[f64],
    n: usize,
    rng: &mut impl Rng,
) -> Vec<T> {
    let mut pool: Vec<(T, f64)> = items.iter().copied().zip(weights.iter().copied()).collect();
    let mut drawn = Vec::with_capacity(n.min(pool.len()));
    while drawn.len() < n && !pool.is_empty() {
        let total: f64 = pool.iter().map(|(_, w)| w.max(0.0)).sum();
        let mut pick = rng.random::<f64>() * total;
        let mut index = pool.len() - 1;
        for (i, (_, w)) in pool.iter().enumerate() {
            if pick < w.max(0.0) {
                index = i;
                break;
            }
            pick -= w.max(0.0);
        }
        drawn.push(pool.swap_remove(index).0);
    }
    drawn
}

/// `user`'s test `id`, or `NOT_FOUND` (also for someone else's).
pub(crate) async fn own<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    id: Uuid,
) -> AppResult<mock_test::Model> {
    mock_test::Entity::find_by_id(id)
        .filter(mock_test::Column::UserId.eq(user))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such mock test".into()))
}

/// The words of test `id`, in order.
pub(crate) async fn words<C: ConnectionTrait>(
    db: &C,
    test: Uuid,
) -> AppResult<Vec<(mock_test_word::Model, word::Model)>> {
    let rows = mock_test_word::Entity::find()
        .filter(mock_test_word::Column::TestId.eq(test))
        .order_by_asc(mock_test_word::Column::Position)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.word_id).collect();
    let mut by_id: HashMap<Uuid, word::Model> = word::Entity::find()
        .filter(word::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| by_id.remove(&r.word_id).map(|w| (r, w)))
        .collect())
}

/// One answered word of a test.
#[derive(Debug, Clone)]
pub(crate) struct Answered {
    /// The stored attempt.
    pub attempt: attempt::Model,
    /// Score, mistakes, tip.
    pub scored: lexicon::Scored,
    /// The test after the answer.
    pub test: mock_test::Model,
}

/// `submitMockTestAnswer`: scores `answer` for `word_id` of test `test_id`.
pub(crate) async fn submit(
    platform: &Platform,
    user: Uuid,
    test_id: Uuid,
    word_id: Uuid,
    answer: Answer,
) -> AppResult<Answered> {
    expire_overdue(platform, user).await?;
    let txn = begin_write(&platform.db).await?;
    let now = platform.clock.now();
    let test = own(&txn, user, test_id).await?;
    let test = require_open(test, now)?;
    let slot = mock_test_word::Entity::find_by_id((test.id, word_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("wordId", "that word is not in this test"))?;
    if slot.answered_at.is_some() {
        return Err(AppError::Conflict("that word is already answered".into()));
    }
    let word = levels::word(&txn, word_id).await?;
    let scored = lexicon::score(&word.text, &word.phonemes, &answer.heard);
    let stored = practice::record(&txn, user, &word, Some(test.id), &answer, &scored, now).await?;
    // Only an unanswered slot is written: a concurrent answer to the same word loses here.
    let written = mock_test_word::Entity::update_many()
        .col_expr(
            mock_test_word::Column::Similarity,
            Expr::value(scored.similarity),
        )
        .col_expr(mock_test_word::Column::Passed, Expr::value(stored.passed))
        .col_expr(
            mock_test_word::Column::DurationMs,
            Expr::value(answer.duration_ms),
        )
        .col_expr(mock_test_word::Column::AnsweredAt, Expr::value(now))
        .filter(mock_test_word::Column::TestId.eq(test.id))
        .filter(mock_test_word::Column::WordId.eq(word_id))
        .filter(mock_test_word::Column::AnsweredAt.is_null())
        .exec(&txn)
        .await?;
    if written.rows_affected != 1 {
        return Err(AppError::Conflict("that word is already answered".into()));
    }
    // An increment, not a write of what was read: answers to two words may race.
    use sea_orm::sea_query::ExprTrait as _;
    mock_test::Entity::update_many()
        .col_expr(
            mock_test::Column::Correct,
            Expr::col(mock_test::Column::Correct).add(i32::from(stored.passed)),
        )
        .filter(mock_test::Column::Id.eq(test.id))
        .exec(&txn)
        .await?;
    let test = own(&txn, user, test.id).await?;
    txn.commit().await?;
    Ok(Answered {
        attempt: stored,
        scored,
        test,
    })
}

/// The test if it is still open; `CONFLICT` for a finished or expired one.
fn require_open(test: mock_test::Model, now: DateTime<Utc>) -> AppResult<mock_test::Model> {
    match test.status {
        mock_test::Status::Expired => Err(AppError::Conflict(
            "this mock test expired; start a new one after the cool-down".into(),
        )),
        mock_test::Status::InProgress if test.expires_at > now => Ok(test),
        mock_test::Status::InProgress => Err(AppError::Conflict(
            "this mock test expired; start a new one after the cool-down".into(),
        )),
        _ => Err(AppError::Conflict("this mock test is finished".into())),
    }
}

/// Closes every overdue test of `user` as `EXPIRED`, in its own transaction: the closing
/// stands even when the request that noticed it is refused.
pub(crate) async fn expire_overdue(platform: &Platform, user: Uuid) -> AppResult<()> {
    let txn = begin_write(&platform.db).await?;
    let overdue = mock_test::Entity::find()
        .filter(mock_test::Column::UserId.eq(user))
        .filter(mock_test::Column::Status.eq(mock_test::Status::InProgress))
        .filter(mock_test::Column::ExpiresAt.lte(platform.clock.now()))
        .all(&txn)
        .await?;
    for test in &overdue {
        close(&txn, test, mock_test::Status::Expired, test.expires_at).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Writes the final status and score of `test` (unanswered words count as failed), only if
/// it is still in progress: of two requests closing one test, the second gets `CONFLICT`.
async fn close<C: ConnectionTrait>(
    db: &C,
    test: &mock_test::Model,
    status: mock_test::Status,
    at: DateTime<Utc>,
) -> AppResult<mock_test::Model> {
    let total = mock_test_word::Entity::find()
        .filter(mock_test_word::Column::TestId.eq(test.id))
        .count(db)
        .await?;
    let closed = mock_test::Entity::update_many()
        .col_expr(mock_test::Column::Status, Expr::value(status))
        .col_expr(mock_test::Column::FinishedAt, Expr::value(at))
        .col_expr(
            mock_test::Column::Score,
            Expr::value(score(test.correct, total)),
        )
        .filter(mock_test::Column::Id.eq(test.id))
        .filter(mock_test::Column::Status.eq(mock_test::Status::InProgress))
        .exec(db)
        .await?;
    if closed.rows_affected != 1 {
        return Err(AppError::Conflict("this mock test is finished".into()));
    }
    own(db, test.user_id, test.id).await
}

/// Percent of `total` words passed, rounded.
pub(crate) fn score(correct: i32, total: u64) -> i32 {
    if total == 0 {
        return 0;
    }
    ((f64::from(correct.max(0)) * 100.0) / total as f64).round() as i32
}

/// `finishMockTest`: closes the test as `PASSED` (score ≥ 70%) or `FAILED`. A pass unlocks the
/// next level (when there is one and it was not unlocked yet) and, on the learner's first pass
/// of this level, emits `MOCK_TEST_PASSED`.
pub(crate) async fn finish(
    platform: &Platform,
    user: Uuid,
    test_id: Uuid,
) -> AppResult<mock_test::Model> {
    expire_overdue(platform, user).await?;
    let txn = begin_write(&platform.db).await?;
    let now = platform.clock.now();
    let test = own(&txn, user, test_id).await?;
    let test = require_open(test, now)?;
    let total = mock_test_word::Entity::find()
        .filter(mock_test_word::Column::TestId.eq(test.id))
        .count(&txn)
        .await?;
    let passed = score(test.correct, total) >= MOCK_PASS_SCORE;
    let status = if passed {
        mock_test::Status::Passed
    } else {
        mock_test::Status::Failed
    };
    let first_pass = passed
        && mock_test::Entity::find()
            .filter(mock_test::Column::UserId.eq(user))
            .filter(mock_test::Column::LevelId.eq(test.level_id))
            .filter(mock_test::Column::Status.eq(mock_test::Status::Passed))
            .count(&txn)
            .await?
            == 0;
    let closed = close(&txn, &test, status, now).await?;
    if passed {
        let level = levels::find(&txn, test.level_id).await?;
        unlock_after(&txn, user, level.number, now).await?;
        if first_pass {
            let event = MockTestPassed {
                user_id: user,
                topic_id: None,
                level: Some(level.number),
                score: closed.score,
            };
            outbox::enqueue(&txn, now, NewEvent::of(user, &event)?).await?;
        }
    }
    txn.commit().await?;
    if first_pass {
        platform.wake_outbox();
    }
    practice::announce(platform, user).await;
    Ok(closed)
}

/// Unlocks the level after `number` if there is one and it is not unlocked yet.
async fn unlock_after<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    number: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let next = number + 1;
    let exists = agora_entities::literacy::level::Entity::find()
        .filter(agora_entities::literacy::level::Column::Number.eq(next))
        .count(db)
        .await?
        > 0;
    if !exists {
        return Ok(());
    }
    learner::Entity::update_many()
        .col_expr(learner::Column::UnlockedLevel, Expr::value(next))
        .col_expr(learner::Column::UpdatedAt, Expr::value(now))
        .filter(learner::Column::UserId.eq(user))
        .filter(learner::Column::UnlockedLevel.lt(next))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn scores_round_and_never_divide_by_zero() {
        assert_eq!(score(7, 10), 70);
        assert_eq!(score(2, 3), 67);
        assert_eq!(score(0, 0), 0);
    }

    #[test]
    fn weak_words_are_drawn_more_often_and_every_draw_is_distinct() {
        let items: Vec<u32> = (0..20).collect();
        // Item 0 was never said right; the rest are perfect.
        let weights: Vec<f64> = items
            .iter()
            .map(|&i| draw_weight(if i == 0 { None } else { Some(100) }))
            .collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut weak_first = 0;
        for _ in 0..1_000 {
            let drawn = weighted_sample(&items, &weights, 10, &mut rng);
            let mut unique = drawn.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), 10);
            weak_first += usize::from(drawn[0] == 0);
        }
        // Uniform would put item 0 first 1 time in 20 (50 of 1,000); weight 5 of 24 → ~208.
        assert!(weak_first > 150, "{weak_first}");
        assert_eq!(weighted_sample(&items, &weights, 50, &mut rng).len(), 20);
    }
}
