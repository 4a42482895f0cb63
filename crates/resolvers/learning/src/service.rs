//! Flashcards and topic completion: create, edit and delete your cards, review them on their
//! SM-2 schedule, mark topics complete. Reviews and completions write `FLASHCARD_REVIEWED` and
//! `TOPIC_COMPLETED` to the outbox in the same transaction (gamification awards the points).
//! Only reviews on a later local day than the card was made earn, and a topic completes only
//! with [`TOPIC_EVIDENCE_REVIEWS`] such passing reviews of its cards: points cannot be farmed
//! by creating, reviewing and deleting cards, or by completing every topic.

use agora_entities::learning::{
    flashcard, flashcard_review, learning_settings::Scheduler, topic_completion,
};
use agora_events::{FlashcardReviewed, TopicCompleted};
use agora_platform::{
    AppError, AppResult, Platform,
    db::begin_write,
    outbox::{self, NewEvent},
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};
use chrono::{DateTime, Duration, Timelike, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, Order, PaginatorTrait,
    QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait as _, Func, LikeExpr, OnConflict},
};
use uuid::Uuid;

use crate::{
    scheduler::{LoggedReview, fractional_days, sm2_retrievability, whole_days},
    settings::{self, Settings},
    sm2::{self, MAX_QUALITY, PASSING_QUALITY, Schedule},
    types::FlashcardState,
};

/// Longest front side, in characters.
pub(crate) const MAX_FRONT: usize = 500;
/// Longest back side, in characters.
pub(crate) const MAX_BACK: usize = 2_000;
/// Most tags on one card.
pub(crate) const MAX_TAGS: usize = 10;
/// Longest tag, in characters.
pub(crate) const MAX_TAG: usize = 40;
/// Most cards one learner may hold.
pub(crate) const MAX_CARDS_PER_USER: u64 = 10_000;

/// A new card.
pub(crate) struct NewCard {
    /// Its topic (must exist).
    pub topic_id: Uuid,
    /// Prompt side.
    pub front: String,
    /// Answer side.
    pub back: String,
    /// `EASY`, `NORMAL` or `HARD`.
    pub difficulty: flashcard::Difficulty,
    /// Its tags (checked by [`tags`]).
    pub tags: Vec<String>,
}

/// Changes to a card; `None` leaves a side as it is.
#[derive(Default)]
pub(crate) struct CardChanges {
    /// New prompt side.
    pub front: Option<String>,
    /// New answer side.
    pub back: Option<String>,
    /// New label.
    pub difficulty: Option<flashcard::Difficulty>,
    /// Move it to this topic (must exist).
    pub topic_id: Option<Uuid>,
    /// Replace its tags with these.
    pub tags: Option<Vec<String>>,
}

/// `tags` checked and stored as a card keeps them: lower-cased, each 1 to [`MAX_TAG`]
/// characters without spaces, at most [`MAX_TAGS`], duplicates dropped, in the order given,
/// space-separated and wrapped in spaces (empty for none). Anki's `::` hierarchy is kept as
/// part of a tag.
pub(crate) fn tags(tags: &[String], field: &str) -> AppResult<String> {
    stored_tags(tags.iter().map(String::as_str))
        .map_err(|message| AppError::bad_input(field, message))
}

/// [`tags`] with its refusal in words, for reports that name the row rather than a field.
pub(crate) fn stored_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Result<String, String> {
    let mut kept: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > MAX_TAG || tag.chars().any(char::is_whitespace) {
            return Err(format!(
                "each tag must be 1 to {MAX_TAG} characters without spaces, not {tag:?}"
            ));
        }
        if !kept.contains(&tag) {
            kept.push(tag);
        }
    }
    if kept.len() > MAX_TAGS {
        return Err(format!("a card may have at most {MAX_TAGS} tags"));
    }
    Ok(if kept.is_empty() {
        String::new()
    } else {
        format!(" {} ", kept.join(" "))
    })
}

/// The tags of a card, as stored by [`tags`].
pub(crate) fn tag_list(stored: &str) -> Vec<String> {
    stored.split_whitespace().map(str::to_owned).collect()
}

fn side(text: &str, field: &str, max: usize) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::bad_input(
            field,
            format!("`{field}` must not be blank"),
        ));
    }
    if text.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("`{field}` must be at most {max} characters"),
        ));
    }
    Ok(text.to_owned())
}

pub(crate) async fn topic_exists<C: ConnectionTrait>(
    db: &C,
    topic_id: Uuid,
    field: &str,
) -> AppResult<()> {
    agora_knowledge::api::topics::find(db, topic_id)
        .await
        .map(|_| ())
        .map_err(|err| match err {
            AppError::NotFound(_) => AppError::bad_input(field, "no such topic"),
            other => other,
        })
}

/// The card `id` if `user` owns it; `NOT_FOUND` otherwise (another learner's cards are not
/// said to exist).
pub(crate) async fn own_card<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    id: Uuid,
) -> AppResult<flashcard::Model> {
    flashcard::Entity::find_by_id(id)
        .filter(flashcard::Column::OwnerId.eq(user))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such flashcard".into()))
}

/// A new card of `owner` in `topic` (if any) with `(front, back)` (checked), due at `now` with
/// SM-2's starting schedule and no FSRS memory state.
pub(crate) fn new_card(
    owner: Uuid,
    topic: Option<Uuid>,
    (front, back): (String, String),
    difficulty: flashcard::Difficulty,
    now: DateTime<Utc>,
) -> flashcard::Model {
    let schedule = Schedule::default();
    flashcard::Model {
        id: Uuid::now_v7(),
        owner_id: owner,
        topic_id: topic,
        front,
        back,
        difficulty,
        ease_factor: schedule.ease_factor,
        interval_days: schedule.interval_days,
        repetitions: schedule.repetitions,
        next_review_at: now,
        last_reviewed_at: None,
        review_count: 0,
        lapses: 0,
        stability: None,
        fsrs_difficulty: None,
        created_at: now,
        updated_at: now,
        capture_id: None,
        tags: String::new(),
    }
}

/// Creates a card for `owner`, due at once.
pub(crate) async fn create(
    platform: &Platform,
    owner: Uuid,
    card: NewCard,
) -> AppResult<flashcard::Model> {
    let front = side(&card.front, "input.front", MAX_FRONT)?;
    let back = side(&card.back, "input.back", MAX_BACK)?;
    let tags = tags(&card.tags, "input.tags")?;
    topic_exists(&platform.db, card.topic_id, "input.topicId").await?;
    let held = flashcard::Entity::find()
        .filter(flashcard::Column::OwnerId.eq(owner))
        .count(&platform.db)
        .await?;
    if held >= MAX_CARDS_PER_USER {
        return Err(AppError::Conflict(format!(
            "you hold {MAX_CARDS_PER_USER} flashcards, the most one learner may; delete some first"
        )));
    }
    let model = flashcard::Model {
        tags,
        ..new_card(
            owner,
            Some(card.topic_id),
            (front, back),
            card.difficulty,
            platform.clock.now(),
        )
    };
    flashcard::Entity::insert(flashcard::ActiveModel::from(model.clone()))
        .exec_without_returning(&platform.db)
        .await?;
    Ok(model)
}

/// Edits `user`'s card `id`.
pub(crate) async fn update(
    platform: &Platform,
    user: Uuid,
    id: Uuid,
    changes: CardChanges,
) -> AppResult<flashcard::Model> {
    let card = own_card(&platform.db, user, id).await?;
    let mut active = card.into_active_model();
    if let Some(front) = changes.front {
        active.front = Set(side(&front, "input.front", MAX_FRONT)?);
    }
    if let Some(back) = changes.back {
        active.back = Set(side(&back, "input.back", MAX_BACK)?);
    }
    if let Some(difficulty) = changes.difficulty {
        active.difficulty = Set(difficulty);
    }
    if let Some(new_tags) = changes.tags {
        active.tags = Set(tags(&new_tags, "input.tags")?);
    }
    if let Some(topic_id) = changes.topic_id {
        topic_exists(&platform.db, topic_id, "input.topicId").await?;
        active.topic_id = Set(Some(topic_id));
    }
    active.updated_at = Set(platform.clock.now());
    Ok(active.update(&platform.db).await?)
}

/// Deletes `user`'s card `id` and its history.
pub(crate) async fn delete(platform: &Platform, user: Uuid, id: Uuid) -> AppResult<()> {
    let result = flashcard::Entity::delete_many()
        .filter(flashcard::Column::Id.eq(id))
        .filter(flashcard::Column::OwnerId.eq(user))
        .exec(&platform.db)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::NotFound("no such flashcard".into()));
    }
    Ok(())
}

/// Adds `attempts` reviews (`recalled` of them recalled) to `user`'s tally in `topic`.
pub(crate) async fn tally<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    topic: Uuid,
    attempts: i64,
    recalled: i64,
) -> AppResult<()> {
    use agora_entities::learning::review_tally;
    review_tally::Entity::insert(review_tally::ActiveModel {
        user_id: Set(user),
        topic_id: Set(topic),
        attempts: Set(attempts),
        recalled: Set(recalled),
    })
    .on_conflict(
        OnConflict::columns([review_tally::Column::UserId, review_tally::Column::TopicId])
            .value(
                review_tally::Column::Attempts,
                Expr::col((review_tally::Entity, review_tally::Column::Attempts)).add(attempts),
            )
            .value(
                review_tally::Column::Recalled,
                Expr::col((review_tally::Entity, review_tally::Column::Recalled)).add(recalled),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Adds one review at local `hour` to `user`'s study hours (the reminder's clock).
async fn count_study_hour<C: ConnectionTrait>(db: &C, user: Uuid, hour: u32) -> AppResult<()> {
    use agora_entities::learning::study_hour;
    study_hour::Entity::insert(study_hour::ActiveModel {
        user_id: Set(user),
        hour: Set(i32::try_from(hour).unwrap_or(0)),
        reviews: Set(1),
    })
    .on_conflict(
        OnConflict::columns([study_hour::Column::UserId, study_hour::Column::Hour])
            .value(
                study_hour::Column::Reviews,
                Expr::col((study_hour::Entity, study_hour::Column::Reviews)).add(1),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// `FLASHCARD_REVIEWED`: gamification awards its points and counts it toward streaks.
fn reviewed_event(card: &flashcard::Model, quality: i32) -> AppResult<NewEvent> {
    let reviewed = FlashcardReviewed {
        user_id: card.owner_id,
        topic_id: card.topic_id,
        flashcard_id: Some(card.id),
        quality: Some(quality),
    };
    NewEvent::of(card.owner_id, &reviewed)
}

/// What one review does to a card under the learner's scheduler.
struct ReviewStep {
    /// SM-2's schedule after it (kept under FSRS too, so a switch back has its ease factor).
    sm2: Schedule,
    /// Days to the next review, capped by the learner's maximum.
    interval_days: i32,
    /// FSRS memory state before it (null for a new card, or under SM-2).
    before: Option<fsrs::MemoryState>,
    /// FSRS memory state after it (null under SM-2).
    after: Option<fsrs::MemoryState>,
    /// The probability of recall the scheduler predicted for this moment.
    retrievability: Option<f64>,
}

/// Schedules `card`'s review graded `quality` at `now`. Under FSRS a card reviewed before
/// without a memory state (reviews from before a switch that did not reach it) gets one from
/// its log first.
async fn schedule_review(
    platform: &Platform,
    settings: &Settings,
    card: &flashcard::Model,
    quality: i32,
    now: DateTime<Utc>,
) -> AppResult<ReviewStep> {
    let sm2 = sm2::review(
        Schedule {
            ease_factor: card.ease_factor,
            interval_days: card.interval_days,
            repetitions: card.repetitions,
        },
        quality,
    );
    let cap = Ord::max(settings.maximum_interval_days, 1);
    let elapsed = card.last_reviewed_at.map(|last| fractional_days(last, now));
    match settings.scheduler {
        Scheduler::Sm2 => Ok(ReviewStep {
            sm2,
            interval_days: sm2.interval_days.clamp(1, cap),
            before: None,
            after: None,
            retrievability: elapsed.and_then(|days| sm2_retrievability(card.interval_days, days)),
        }),
        Scheduler::Fsrs => {
            let model = settings.fsrs()?;
            let before = match (card.stability, card.fsrs_difficulty) {
                (Some(stability), Some(difficulty)) => Some(fsrs::MemoryState {
                    stability: stability as f32,
                    difficulty: difficulty as f32,
                }),
                _ if card.review_count > 0 => {
                    let log: Vec<LoggedReview> = flashcard_review::Entity::find()
                        .filter(flashcard_review::Column::FlashcardId.eq(card.id))
                        .order_by_asc(flashcard_review::Column::ReviewedAt)
                        .all(&platform.db)
                        .await?
                        .iter()
                        .map(Into::into)
                        .collect();
                    model
                        .replay(&log)
                        .map_err(|err| AppError::internal(format!("FSRS replay: {err}")))?
                        .last()
                        .copied()
                }
                _ => None,
            };
            let elapsed_whole = card
                .last_reviewed_at
                .map_or(0, |last| whole_days(last, now));
            let (after, interval) = model
                .next(
                    before,
                    settings.desired_retention as f32,
                    elapsed_whole,
                    quality,
                )
                .map_err(|err| AppError::internal(format!("FSRS step: {err}")))?;
            let interval_days = if interval.is_finite() {
                (interval.round() as i64).clamp(1, i64::from(cap)) as i32
            } else {
                cap
            };
            Ok(ReviewStep {
                sm2,
                interval_days,
                before,
                after: Some(after),
                retrievability: before
                    .zip(elapsed)
                    .map(|(s, days)| model.retrievability(s, days)),
            })
        }
    }
}

/// Passing reviews (made on a later local day than their card) a learner needs in a topic
/// before `completeTopic` takes it: completion is evidence of study, not a button.
pub(crate) const TOPIC_EVIDENCE_REVIEWS: usize = 2;

/// `user`'s time zone (UTC if unknown), in which "a later day" is counted.
pub(crate) async fn zone_of<C: ConnectionTrait>(db: &C, user: Uuid) -> AppResult<chrono_tz::Tz> {
    let zones = agora_identity::api::time_zones(db, &[user]).await?;
    Ok(zones
        .get(&user)
        .and_then(|name| name.parse().ok())
        .unwrap_or(chrono_tz::UTC))
}

/// Whether a review at `at` of a card made at `created` came on a later local day: only such
/// reviews earn points and count as evidence, so creating, reviewing and deleting cards in a
/// loop earns nothing.
fn on_a_later_day(zone: chrono_tz::Tz, created: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    created.with_timezone(&zone).date_naive() < at.with_timezone(&zone).date_naive()
}

/// Reviews `user`'s card `id` with `quality` (0..=5): the card must be due. Writes the review,
/// the new schedule and, when the review earns (on a later local day than the card was made,
/// and the card's first review that day), `FLASHCARD_REVIEWED`, all or nothing; a concurrent
/// review of the same card loses with `CONFLICT` rather than being counted twice.
pub(crate) async fn review(
    platform: &Platform,
    user: Uuid,
    id: Uuid,
    quality: i32,
) -> AppResult<flashcard::Model> {
    if !(0..=MAX_QUALITY).contains(&quality) {
        return Err(AppError::bad_input(
            "input.quality",
            format!("`quality` is 0 (forgotten) to {MAX_QUALITY} (perfect recall)"),
        ));
    }
    let now = platform.clock.now();
    let card = own_card(&platform.db, user, id).await?;
    if card.next_review_at > now {
        return Err(AppError::Conflict(format!(
            "this flashcard is not due until {}",
            card.next_review_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )));
    }
    let settings = settings::of(&platform.db, user).await?;
    let step = schedule_review(platform, &settings, &card, quality, now).await?;
    let updated = flashcard::Model {
        ease_factor: step.sm2.ease_factor,
        interval_days: step.interval_days,
        repetitions: step.sm2.repetitions,
        next_review_at: now + Duration::days(i64::from(step.interval_days)),
        last_reviewed_at: Some(now),
        review_count: card.review_count + 1,
        lapses: card.lapses + i32::from(quality < PASSING_QUALITY),
        stability: step.after.map(|s| f64::from(s.stability)),
        fsrs_difficulty: step.after.map(|s| f64::from(s.difficulty)),
        updated_at: now,
        ..card.clone()
    };
    let txn = begin_write(&platform.db).await?;
    // Optimistic: only the review that read this review count writes.
    let written = flashcard::Entity::update_many()
        .set(flashcard::ActiveModel {
            ease_factor: Set(updated.ease_factor),
            interval_days: Set(updated.interval_days),
            repetitions: Set(updated.repetitions),
            next_review_at: Set(updated.next_review_at),
            last_reviewed_at: Set(updated.last_reviewed_at),
            review_count: Set(updated.review_count),
            lapses: Set(updated.lapses),
            stability: Set(updated.stability),
            fsrs_difficulty: Set(updated.fsrs_difficulty),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(flashcard::Column::Id.eq(card.id))
        .filter(flashcard::Column::ReviewCount.eq(card.review_count))
        .exec(&txn)
        .await?;
    if written.rows_affected == 0 {
        return Err(AppError::Conflict(
            "this flashcard was reviewed at the same moment elsewhere".into(),
        ));
    }
    flashcard_review::Entity::insert(flashcard_review::ActiveModel::from(
        flashcard_review::Model {
            id: Uuid::now_v7(),
            flashcard_id: card.id,
            user_id: user,
            quality,
            reviewed_at: now,
            interval_days: updated.interval_days,
            ease_factor: updated.ease_factor,
            scheduler: settings.scheduler,
            elapsed_days: card.last_reviewed_at.map(|last| fractional_days(last, now)),
            interval_before: card.interval_days,
            ease_before: Some(card.ease_factor),
            stability_before: step.before.map(|s| f64::from(s.stability)),
            difficulty_before: step.before.map(|s| f64::from(s.difficulty)),
            stability_after: updated.stability,
            difficulty_after: updated.fsrs_difficulty,
            retrievability: step.retrievability,
        },
    ))
    .exec_without_returning(&txn)
    .await?;
    if let Some(topic) = card.topic_id {
        tally(&txn, user, topic, 1, i64::from(quality >= PASSING_QUALITY)).await?;
    }
    let zone = zone_of(&txn, user).await?;
    count_study_hour(&txn, user, now.with_timezone(&zone).hour()).await?;
    let earns = on_a_later_day(zone, card.created_at, now)
        && card
            .last_reviewed_at
            .is_none_or(|last| on_a_later_day(zone, last, now));
    if earns {
        outbox::enqueue(&txn, now, reviewed_event(&updated, quality)?).await?;
    }
    txn.commit().await?;
    if earns {
        platform.wake_outbox();
    }
    Ok(updated)
}

/// Marks `topic_id` complete for `user`; `TOPIC_COMPLETED` goes out the first time only.
/// Returns the completion and whether this call made it.
pub(crate) async fn complete_topic(
    platform: &Platform,
    user: Uuid,
    topic_id: Uuid,
) -> AppResult<(topic_completion::Model, bool)> {
    topic_exists(&platform.db, topic_id, "topicId").await?;
    if let Some(done) = topic_completion::Entity::find_by_id((user, topic_id))
        .one(&platform.db)
        .await?
    {
        return Ok((done, false));
    }
    let zone = zone_of(&platform.db, user).await?;
    let studied = topic_evidence(&platform.db, user, topic_id).await?
        + crate::personal::evidence(&platform.db, user, topic_id, |made, done| {
            on_a_later_day(zone, made, done)
        })
        .await?;
    if studied < TOPIC_EVIDENCE_REVIEWS {
        return Err(AppError::bad_input(
            "topicId",
            format!(
                "complete a topic once you have studied it: {TOPIC_EVIDENCE_REVIEWS} passing \
                 reviews of its flashcards, or syllabus items linked to it, done on a later day \
                 than each was made ({studied} so far)"
            ),
        ));
    }
    let now = platform.clock.now();
    let txn = begin_write(&platform.db).await?;
    let inserted = topic_completion::Entity::insert(topic_completion::ActiveModel {
        user_id: Set(user),
        topic_id: Set(topic_id),
        completed_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            topic_completion::Column::UserId,
            topic_completion::Column::TopicId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let first = inserted > 0;
    if first {
        let completed = TopicCompleted {
            user_id: user,
            topic_id: Some(topic_id),
        };
        outbox::enqueue(&txn, now, NewEvent::of(user, &completed)?).await?;
    }
    let completion = topic_completion::Entity::find_by_id((user, topic_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal("topic completion vanished"))?;
    txn.commit().await?;
    if first {
        platform.wake_outbox();
    }
    Ok((completion, first))
}

/// `user`'s passing reviews of their cards in `topic_id` made on a later local day than the
/// card.
async fn topic_evidence<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    topic_id: Uuid,
) -> AppResult<usize> {
    let cards: std::collections::HashMap<Uuid, DateTime<Utc>> = flashcard::Entity::find()
        .filter(flashcard::Column::OwnerId.eq(user))
        .filter(flashcard::Column::TopicId.eq(topic_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.created_at))
        .collect();
    if cards.is_empty() {
        return Ok(0);
    }
    let zone = zone_of(db, user).await?;
    let reviews = flashcard_review::Entity::find()
        .filter(flashcard_review::Column::UserId.eq(user))
        .filter(flashcard_review::Column::FlashcardId.is_in(cards.keys().copied()))
        .filter(flashcard_review::Column::Quality.gte(PASSING_QUALITY))
        .all(db)
        .await?;
    Ok(reviews
        .iter()
        .filter(|r| {
            cards
                .get(&r.flashcard_id)
                .is_some_and(|made| on_a_later_day(zone, *made, r.reviewed_at))
        })
        .count())
}

/// Which of a learner's cards a page holds.
#[derive(Debug, Default)]
pub(crate) struct CardFilter {
    /// Of this topic only.
    pub topic: Option<Uuid>,
    /// Only those due now.
    pub due_only: bool,
    /// Only those whose front or back contains this (lower-cased) text.
    pub search: Option<String>,
    /// Only those in this state.
    pub state: Option<FlashcardState>,
    /// Only those with this tag (as stored: lower-cased).
    pub tag: Option<String>,
}

/// Longest search text, in characters.
pub(crate) const MAX_SEARCH: usize = 200;

/// `text` trimmed and lower-cased for a search; blank or over-long text is refused.
pub(crate) fn search_text(text: &str) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_SEARCH {
        return Err(AppError::bad_input(
            "search",
            format!("`search` is 1 to {MAX_SEARCH} characters"),
        ));
    }
    Ok(text.to_lowercase())
}

/// `text` as a LIKE pattern matching it anywhere, its wildcards escaped with `\`.
fn contains_pattern(text: &str) -> String {
    format!("%{}%", escape_like(text))
}

/// `text` with LIKE's wildcards (and the escape, `\\`) escaped.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// One page of `user`'s cards by due time (soonest first) that pass `filter`.
pub(crate) async fn page(
    platform: &Platform,
    user: Uuid,
    filter: &CardFilter,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<flashcard::Model>> {
    let mut select = flashcard::Entity::find().filter(flashcard::Column::OwnerId.eq(user));
    if let Some(topic) = filter.topic {
        select = select.filter(flashcard::Column::TopicId.eq(topic));
    }
    if filter.due_only {
        select = select.filter(flashcard::Column::NextReviewAt.lte(platform.clock.now()));
    }
    if let Some(text) = &filter.search {
        let pattern = contains_pattern(text);
        let like = |column: flashcard::Column| {
            Expr::expr(Func::lower(Expr::col(column)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        select = select.filter(
            Condition::any()
                .add(like(flashcard::Column::Front))
                .add(like(flashcard::Column::Back)),
        );
    }
    if let Some(tag) = &filter.tag {
        let pattern = format!("% {} %", escape_like(tag));
        select = select
            .filter(Expr::col(flashcard::Column::Tags).like(LikeExpr::new(pattern).escape('\\')));
    }
    select = match filter.state {
        None => select,
        Some(FlashcardState::New) => select.filter(flashcard::Column::ReviewCount.eq(0)),
        Some(FlashcardState::Relearning) => select
            .filter(flashcard::Column::ReviewCount.gt(0))
            .filter(flashcard::Column::Repetitions.eq(0)),
        Some(FlashcardState::Review) => select
            .filter(flashcard::Column::ReviewCount.gt(0))
            .filter(flashcard::Column::Repetitions.gt(0)),
    };
    fetch_time_page(
        &platform.db,
        select,
        (flashcard::Column::NextReviewAt, flashcard::Column::Id),
        Order::Asc,
        page,
        |card| TimeCursor {
            t: card.next_review_at,
            id: card.id,
        },
    )
    .await
}

/// How many of `user`'s cards are due at `at`.
pub(crate) async fn due_count<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    at: DateTime<Utc>,
) -> AppResult<u64> {
    Ok(flashcard::Entity::find()
        .filter(flashcard::Column::OwnerId.eq(user))
        .filter(flashcard::Column::NextReviewAt.lte(at))
        .count(db)
        .await?)
}

/// One page of the topics `user` completed, newest first.
pub(crate) async fn completions(
    platform: &Platform,
    user: Uuid,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<topic_completion::Model>> {
    fetch_time_page(
        &platform.db,
        topic_completion::Entity::find().filter(topic_completion::Column::UserId.eq(user)),
        (
            topic_completion::Column::CompletedAt,
            topic_completion::Column::TopicId,
        ),
        Order::Desc,
        page,
        |row| TimeCursor {
            t: row.completed_at,
            id: row.topic_id,
        },
    )
    .await
}
