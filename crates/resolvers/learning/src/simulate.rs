//! A simulated learner's history, for benchmarks, tests of the optimiser and demo data: cards
//! studied under SM-2 for a number of days by a learner whose memory follows FSRS-6 with
//! parameters of their own (initial stabilities half the defaults: they forget new cards
//! faster than the average learner). Each review's outcome is drawn from that learner's true
//! probability of recall, so the log carries a signal an optimiser can find. Rows are written
//! as the review path writes them (the state before and after each review), in batches.

use agora_entities::learning::{flashcard, flashcard_review, learning_settings::Scheduler};
use agora_platform::{AppError, AppResult, Platform};
use chrono::Duration;
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{EntityTrait, IntoActiveModel};
use uuid::Uuid;

use crate::{
    scheduler::{Fsrs, fractional_days, sm2_retrievability, whole_days},
    sm2::{self, PASSING_QUALITY, Schedule},
};

/// Rows per insert statement.
const BATCH: usize = 500;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The learner.
    pub user: Uuid,
    /// The topic of every card.
    pub topic: Uuid,
    /// Cards.
    pub cards: usize,
    /// Days of study, ending now.
    pub days: i64,
    /// Stop once the log holds this many reviews (each card gets at most its share).
    pub max_reviews: usize,
    /// Random seed (the same seed writes the same history).
    pub seed: u64,
}

/// The learner's true memory model.
fn true_memory() -> Fsrs {
    let mut parameters = fsrs::DEFAULT_PARAMETERS.to_vec();
    for w in parameters.iter_mut().take(4) {
        *w *= 0.5;
    }
    Fsrs::new(Some(&parameters)).expect("halved initial stabilities are in bounds")
}

/// Writes the simulated history; returns the reviews written.
pub async fn simulate(platform: &Platform, plan: &Simulation) -> AppResult<usize> {
    let now = platform.clock.now();
    let start = now - Duration::days(plan.days);
    let memory = true_memory();
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut cards = Vec::with_capacity(plan.cards);
    let mut reviews = Vec::new();
    // Each card's fair share of the log, so a cap does not leave later cards unreviewed.
    let share = i32::try_from(plan.max_reviews.div_ceil(plan.cards.max(1))).unwrap_or(i32::MAX);
    for n in 0..plan.cards {
        let created =
            start + Duration::minutes(rng.random_range(0..(plan.days.max(1) * 24 * 60 / 2)));
        let mut card = flashcard::Model {
            id: Uuid::now_v7(),
            owner_id: plan.user,
            topic_id: Some(plan.topic),
            front: format!("Simulated card {n}"),
            back: format!("Answer {n}"),
            difficulty: flashcard::Difficulty::Normal,
            ease_factor: sm2::INITIAL_EASE,
            interval_days: 0,
            repetitions: 0,
            next_review_at: created,
            last_reviewed_at: None,
            review_count: 0,
            lapses: 0,
            stability: None,
            fsrs_difficulty: None,
            created_at: created,
            updated_at: created,
            capture_id: None,
            tags: String::new(),
        };
        let mut truth: Option<fsrs::MemoryState> = None;
        while card.next_review_at <= now
            && card.review_count < share
            && reviews.len() < plan.max_reviews
        {
            // Learners come back a little late, in their own time of day.
            let at = card.next_review_at + Duration::minutes(rng.random_range(0..600));
            if at > now {
                break;
            }
            let elapsed = card.last_reviewed_at.map(|last| fractional_days(last, at));
            let recall = truth.map_or(0.0, |state| {
                memory.retrievability(
                    state,
                    f64::from(whole_days(card.last_reviewed_at.unwrap_or(at), at)),
                )
            });
            let quality = if truth.is_none() {
                rng.random_range(1..=5)
            } else if rng.random::<f64>() < recall {
                rng.random_range(3..=5)
            } else {
                rng.random_range(0..=2)
            };
            let (next_truth, _) = memory
                .next(
                    truth,
                    0.9,
                    card.last_reviewed_at.map_or(0, |last| whole_days(last, at)),
                    quality,
                )
                .map_err(|err| AppError::internal(format!("simulated memory: {err}")))?;
            truth = Some(next_truth);
            let next = sm2::review(
                Schedule {
                    ease_factor: card.ease_factor,
                    interval_days: card.interval_days,
                    repetitions: card.repetitions,
                },
                quality,
            );
            reviews.push(flashcard_review::Model {
                id: Uuid::now_v7(),
                flashcard_id: card.id,
                user_id: plan.user,
                quality,
                reviewed_at: at,
                interval_days: next.interval_days,
                ease_factor: next.ease_factor,
                scheduler: Scheduler::Sm2,
                elapsed_days: elapsed,
                interval_before: card.interval_days,
                ease_before: Some(card.ease_factor),
                stability_before: None,
                difficulty_before: None,
                stability_after: None,
                difficulty_after: None,
                retrievability: elapsed.and_then(|d| sm2_retrievability(card.interval_days, d)),
            });
            card.ease_factor = next.ease_factor;
            card.interval_days = next.interval_days;
            card.repetitions = next.repetitions;
            card.next_review_at = at + Duration::days(i64::from(next.interval_days));
            card.last_reviewed_at = Some(at);
            card.review_count += 1;
            card.lapses += i32::from(quality < PASSING_QUALITY);
            card.updated_at = at;
        }
        cards.push(card);
    }
    insert_all(
        platform,
        cards,
        |c: flashcard::Model| c.into_active_model(),
        flashcard::Entity,
    )
    .await?;
    let written = reviews.len();
    let recalled = reviews
        .iter()
        .filter(|r| r.quality >= PASSING_QUALITY)
        .count();
    if written > 0 {
        crate::service::tally(
            &platform.db,
            plan.user,
            plan.topic,
            written as i64,
            recalled as i64,
        )
        .await?;
    }
    insert_all(
        platform,
        reviews,
        |r: flashcard_review::Model| r.into_active_model(),
        flashcard_review::Entity,
    )
    .await?;
    Ok(written)
}

async fn insert_all<M, A, E>(
    platform: &Platform,
    rows: Vec<M>,
    into: impl Fn(M) -> A,
    _entity: E,
) -> AppResult<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    M: Clone,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(BATCH).map(&into).collect();
        E::insert_many(chunk)
            .exec_without_returning(&platform.db)
            .await?;
    }
    Ok(())
}
