//! Spoken practice: score what was heard against the word, store the attempt, keep the
//! learner's per-word record and per-phoneme error counts, mark the word mastered the first
//! time it passes (`WORD_MASTERED` through the outbox, once per word), count the practice day.

use std::collections::BTreeMap;

use agora_entities::literacy::{attempt, learner, phoneme_stat, word, word_progress};
use agora_events::literacy::{PracticeStreakExtended, WordMastered};
use agora_platform::{
    AppError, AppResult, Platform,
    db::begin_write,
    outbox::{self, NewEvent},
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use super::{MAX_DURATION_MS, MAX_TRANSCRIPT, levels, passes, progress_channel};
use crate::lexicon::{self, Scored};

/// What the learner said, as the server got it.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// ARPAbet without stress, in order.
    pub heard: Vec<String>,
    /// The client's transcript, when the answer came as one.
    pub transcript: Option<String>,
    /// How the answer came.
    pub source: attempt::Source,
    /// Speaking time in ms.
    pub duration_ms: i32,
}

impl Answer {
    /// An answer from a client's transcript: `BAD_USER_INPUT` on `transcript` when it is
    /// empty, too long or holds no word, on `durationMs` when out of range.
    pub(crate) fn from_transcript(transcript: &str, duration_ms: i32) -> AppResult<Self> {
        check_duration(duration_ms)?;
        let transcript = transcript.trim();
        if transcript.is_empty() {
            return Err(AppError::bad_input(
                "transcript",
                "say something: the transcript is empty",
            ));
        }
        if transcript.chars().count() > MAX_TRANSCRIPT {
            return Err(AppError::bad_input(
                "transcript",
                format!("at most {MAX_TRANSCRIPT} characters"),
            ));
        }
        let heard = lexicon::transcript_phones(transcript);
        if heard.is_empty() {
            return Err(AppError::bad_input(
                "transcript",
                "the transcript holds no word (letters and apostrophes)",
            ));
        }
        Ok(Self {
            heard,
            transcript: Some(transcript.to_owned()),
            source: attempt::Source::Transcript,
            duration_ms,
        })
    }
}

/// `BAD_USER_INPUT` on `durationMs` outside 0..=60 s.
pub(crate) fn check_duration(duration_ms: i32) -> AppResult<()> {
    if !(0..=MAX_DURATION_MS).contains(&duration_ms) {
        return Err(AppError::bad_input(
            "durationMs",
            format!("between 0 and {MAX_DURATION_MS} ms"),
        ));
    }
    Ok(())
}

/// One scored practice attempt.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// The word practised.
    pub word: word::Model,
    /// The stored attempt.
    pub attempt: attempt::Model,
    /// Score, mistakes, tip.
    pub scored: Scored,
    /// This was the learner's n-th practice of the word.
    pub number: i32,
    /// The word is mastered (now or before).
    pub mastered: bool,
    /// This attempt mastered it.
    pub newly_mastered: bool,
}

/// `practiceWord`: scores `answer` for `word_id`; the word's level must be unlocked.
pub(crate) async fn practice(
    platform: &Platform,
    user: Uuid,
    word_id: Uuid,
    answer: Answer,
) -> AppResult<Outcome> {
    let txn = begin_write(&platform.db).await?;
    let now = platform.clock.now();
    let word = levels::word(&txn, word_id).await?;
    let level = levels::find(&txn, word.level_id).await?;
    let place = levels::learner(&txn, user, now).await?;
    levels::require_unlocked(&place, &level)?;
    let scored = lexicon::score(&word.text, &word.phonemes, &answer.heard);
    let stored = record(&txn, user, &word, None, &answer, &scored, now).await?;
    let passed = stored.passed;
    let progress = bump_progress(&txn, user, &word, &answer, scored.similarity, now).await?;
    let newly_mastered = passed && master(&txn, user, word.id, now).await?;
    if newly_mastered {
        let event = WordMastered {
            user_id: user,
            topic_id: None,
            word_id: Some(word.id),
            level: Some(level.number),
        };
        outbox::enqueue(&txn, now, NewEvent::of(user, &event)?).await?;
    }
    count_practice_day(&txn, &place, now).await?;
    txn.commit().await?;
    platform.wake_outbox();
    announce(platform, user).await;
    Ok(Outcome {
        word,
        attempt: stored,
        scored,
        number: progress.attempts,
        mastered: newly_mastered || progress.mastered_at.is_some(),
        newly_mastered,
    })
}

/// Stores one attempt (practice, or a mock-test answer with `test`) and its phoneme counts.
pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    word: &word::Model,
    test: Option<Uuid>,
    answer: &Answer,
    scored: &Scored,
    now: DateTime<Utc>,
) -> AppResult<attempt::Model> {
    let mistakes = serde_json::to_string(&scored.mistakes)
        .map_err(|e| AppError::internal(format!("mistakes: {e}")))?;
    let model = attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user),
        word_id: Set(word.id),
        mock_test_id: Set(test),
        similarity: Set(scored.similarity),
        passed: Set(passes(scored.similarity)),
        heard: Set(truncate(&answer.heard.join(" "), 400)),
        transcript: Set(answer.transcript.clone()),
        source: Set(answer.source),
        duration_ms: Set(answer.duration_ms),
        mistakes: Set(mistakes),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    count_phonemes(db, user, &word.phonemes, scored).await?;
    Ok(model)
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Adds one attempt to the learner's record of `word`; returns the record after it.
async fn bump_progress<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    word: &word::Model,
    answer: &Answer,
    similarity: i32,
    now: DateTime<Utc>,
) -> AppResult<word_progress::Model> {
    word_progress::Entity::insert(word_progress::ActiveModel {
        user_id: Set(user),
        word_id: Set(word.id),
        level_id: Set(word.level_id),
        attempts: Set(0),
        best_similarity: Set(0),
        similarity_sum: Set(0),
        time_spent_ms: Set(0),
        first_attempt_at: Set(now),
        last_attempt_at: Set(now),
        mastered_at: Set(None),
        time_to_master_ms: Set(None),
        attempts_to_master: Set(None),
    })
    .on_conflict_do_nothing_on([word_progress::Column::UserId, word_progress::Column::WordId])
    .exec(db)
    .await?;
    word_progress::Entity::update_many()
        .col_expr(
            word_progress::Column::Attempts,
            Expr::col(word_progress::Column::Attempts).add(1),
        )
        .col_expr(
            word_progress::Column::SimilaritySum,
            Expr::col(word_progress::Column::SimilaritySum).add(i64::from(similarity)),
        )
        .col_expr(
            word_progress::Column::BestSimilarity,
            Expr::case(
                Expr::col(word_progress::Column::BestSimilarity).lt(similarity),
                similarity,
            )
            .finally(Expr::col(word_progress::Column::BestSimilarity))
            .into(),
        )
        .col_expr(
            word_progress::Column::TimeSpentMs,
            Expr::col(word_progress::Column::TimeSpentMs).add(i64::from(answer.duration_ms)),
        )
        .col_expr(word_progress::Column::LastAttemptAt, Expr::value(now))
        .filter(word_progress::Column::UserId.eq(user))
        .filter(word_progress::Column::WordId.eq(word.id))
        .exec(db)
        .await?;
    word_progress::Entity::find_by_id((user, word.id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("word progress vanished"))
}

/// Marks the word mastered unless it already was; true when this call did.
async fn master<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    word: Uuid,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let result = word_progress::Entity::update_many()
        .col_expr(word_progress::Column::MasteredAt, Expr::value(now))
        .col_expr(
            word_progress::Column::TimeToMasterMs,
            Expr::col(word_progress::Column::TimeSpentMs),
        )
        .col_expr(
            word_progress::Column::AttemptsToMaster,
            Expr::col(word_progress::Column::Attempts),
        )
        .filter(word_progress::Column::UserId.eq(user))
        .filter(word_progress::Column::WordId.eq(word))
        .filter(word_progress::Column::MasteredAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Counts each expected phoneme once per occurrence, and an error for each one missed or said
/// as another sound: the learner's profile for feedback and recommendations.
async fn count_phonemes<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    expected: &str,
    scored: &Scored,
) -> AppResult<()> {
    let mut counts: BTreeMap<String, (i32, i32)> = BTreeMap::new();
    for phone in lexicon::strip_stress(expected) {
        counts.entry(phone).or_default().0 += 1;
    }
    for mistake in &scored.mistakes {
        if let Some(missed) = &mistake.expected {
            counts.entry(missed.clone()).or_default().1 += 1;
        }
    }
    if counts.is_empty() {
        return Ok(());
    }
    let rows =
        counts.into_iter().map(
            |(phoneme, (occurrences, errors))| phoneme_stat::ActiveModel {
                user_id: Set(user),
                phoneme: Set(phoneme),
                occurrences: Set(occurrences),
                errors: Set(errors),
            },
        );
    phoneme_stat::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([phoneme_stat::Column::UserId, phoneme_stat::Column::Phoneme])
                .value(
                    phoneme_stat::Column::Occurrences,
                    Expr::cust("literacy_phoneme_stats.occurrences + excluded.occurrences"),
                )
                .value(
                    phoneme_stat::Column::Errors,
                    Expr::cust("literacy_phoneme_stats.errors + excluded.errors"),
                )
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Counts today (in the learner's time zone) as a practice day: the streak grows by one after
/// a day with practice, restarts at one after a gap. A new record enqueues
/// `PRACTICE_STREAK_EXTENDED` (gamification's 7-day practice achievement counts them).
async fn count_practice_day<C: ConnectionTrait>(
    db: &C,
    place: &learner::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let zones = agora_identity::api::time_zones(db, &[place.user_id]).await?;
    let zone: chrono_tz::Tz = zones
        .get(&place.user_id)
        .and_then(|z| z.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let today = now.with_timezone(&zone).date_naive();
    let last = place
        .last_practice_date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let streak = next_streak(last, place.streak_days, today);
    if last == Some(today) {
        return Ok(());
    }
    // Written only over the row this transaction read: of two practices racing on a new
    // day, one counts the day (and its record); the other finds the day counted.
    let mut update = learner::Entity::update_many()
        .col_expr(learner::Column::StreakDays, Expr::value(streak))
        .col_expr(
            learner::Column::LongestStreak,
            Expr::value(std::cmp::max(place.longest_streak, streak)),
        )
        .col_expr(
            learner::Column::LastPracticeDate,
            Expr::value(today.format("%Y-%m-%d").to_string()),
        )
        .col_expr(learner::Column::UpdatedAt, Expr::value(now))
        .filter(learner::Column::UserId.eq(place.user_id));
    update = match &place.last_practice_date {
        Some(day) => update.filter(learner::Column::LastPracticeDate.eq(day.as_str())),
        None => update.filter(learner::Column::LastPracticeDate.is_null()),
    };
    let counted = update.exec(db).await?.rows_affected == 1;
    if counted && streak > place.longest_streak {
        let event = PracticeStreakExtended {
            user_id: place.user_id,
            days: streak,
        };
        outbox::enqueue(db, now, NewEvent::of(place.user_id, &event)?).await?;
    }
    Ok(())
}

/// The streak after practising on `today`, having last practised on `last` with `streak`.
pub(crate) fn next_streak(last: Option<NaiveDate>, streak: i32, today: NaiveDate) -> i32 {
    match last {
        Some(day) if day == today => streak,
        Some(day) if day.succ_opt() == Some(today) => streak + 1,
        _ => 1,
    }
}

/// Tells the learner's live screens that their progress changed (best effort: a lost message
/// is only a late refresh, and subscribers re-read on a gap).
pub(crate) async fn announce(platform: &Platform, user: Uuid) {
    if let Err(err) = platform.bus.publish(&progress_channel(user), "{}").await {
        tracing::warn!(error = %err.log_message(), "literacy progress not announced");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).expect("date")
    }

    #[test]
    fn the_streak_grows_on_consecutive_days_and_restarts_after_a_gap() {
        assert_eq!(next_streak(None, 0, day(7)), 1);
        assert_eq!(next_streak(Some(day(6)), 4, day(7)), 5);
        assert_eq!(next_streak(Some(day(7)), 5, day(7)), 5);
        assert_eq!(next_streak(Some(day(4)), 9, day(7)), 1);
    }

    #[test]
    fn transcripts_are_checked() {
        assert!(Answer::from_transcript("   ", 500).is_err());
        assert!(Answer::from_transcript("cat", -1).is_err());
        assert!(Answer::from_transcript("cat", MAX_DURATION_MS + 1).is_err());
        assert!(Answer::from_transcript(&"a".repeat(MAX_TRANSCRIPT + 1), 100).is_err());
        assert!(Answer::from_transcript("123 !!", 100).is_err());
    }
}
