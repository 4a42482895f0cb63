//! `optimizeMyScheduler`: fits a learner's own FSRS parameters to their review log and says how
//! well each model predicts the reviews it did not see.
//!
//! - Needs [`MIN_REVIEWS`] reviews (`CONFLICT` below), one run per learner at a time.
//! - The log becomes FSRS's training items: for every review after a card's first, the card's
//!   history up to it. Items are ordered by the time of their last review; the last
//!   [`HELD_OUT`] of them (from the split time on) are held out, and the parameters are fitted
//!   on the rest with `fsrs::compute_parameters` on the blocking pool (one run per replica at a
//!   time), its progress written to the run's row and published to its channel.
//! - Evaluation, on the held-out reviews made at least a day after the review before
//!   (same-day reviews test short-term memory, which neither model schedules): each model's
//!   predicted probability of recall against what happened (recalled = graded 3 or more).
//!   **Log-loss** is the mean binary cross-entropy (predictions clamped to [10⁻⁶, 1 − 10⁻⁶]);
//!   **RMSE** is over 20 equal-width bins of the prediction, each bin's mean prediction against
//!   its recall rate, weighted by its size (srs-benchmark's "RMSE (bins)" idea, simplified).
//!   SM-2 predicts `0.9^(elapsed / interval)` (see [`crate::scheduler::sm2_retrievability`]),
//!   FSRS its forgetting curve from the memory state before the review.
//! - The fitted parameters are saved to the learner's settings; if FSRS schedules their cards,
//!   every card's memory state is recomputed with them, in the same transaction.
//! - A run whose replica stopped (no heartbeat for [`STALE_AFTER`]) reads as `FAILED` and a new
//!   one may start.

use std::{sync::Arc, time::Duration as StdDuration};

use agora_entities::learning::{
    flashcard_review,
    learning_settings::Scheduler,
    scheduler_optimization::{self, Status},
};
use agora_platform::{AppError, AppResult, Platform, db::begin_write};
use chrono::{DateTime, Duration, Utc};
use fsrs::{CombinedProgressState, ComputeParametersInput, FSRSItem};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::{
    scheduler::{
        Fsrs, LoggedReview, fractional_days, fsrs_item, recalled, replay_sm2, sm2_retrievability,
        whole_days,
    },
    settings,
};

/// Fewest reviews an optimisation accepts.
pub(crate) const MIN_REVIEWS: u64 = 400;
/// Share of the training items held out for evaluation (the newest).
pub(crate) const HELD_OUT: f64 = 0.2;
/// A running optimisation without a heartbeat for this long was interrupted.
pub(crate) const STALE_AFTER: Duration = Duration::seconds(60);
/// How often a run writes its progress.
const TICK: StdDuration = StdDuration::from_millis(500);

/// One optimisation at a time per replica: fitting is CPU-bound.
static SLOTS: Semaphore = Semaphore::const_new(1);

/// The bus channel of run `id`.
pub(crate) fn channel(id: Uuid) -> String {
    format!("learning:optimization:{id}")
}

/// Which model an evaluation line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum EvaluatedModel {
    /// SM-2.
    Sm2,
    /// FSRS-6 with its default parameters.
    FsrsDefault,
    /// FSRS-6 with the parameters this run fitted.
    FsrsFitted,
}

/// How well one model predicted the held-out reviews.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Evaluation {
    /// The model.
    pub model: EvaluatedModel,
    /// Mean binary cross-entropy (lower is better).
    pub log_loss: f64,
    /// RMSE over binned predictions (lower is better).
    pub rmse: f64,
}

/// A run as the API shows it: a `RUNNING` run whose heartbeat stopped is `FAILED`.
pub(crate) fn present(
    mut run: scheduler_optimization::Model,
    now: DateTime<Utc>,
) -> scheduler_optimization::Model {
    if run.status == Status::Running && now - run.heartbeat_at > STALE_AFTER {
        run.status = Status::Failed;
        run.reason = Some("interrupted: the server running it stopped; start it again".into());
    }
    run
}

/// `user`'s run `id`, if it is theirs.
pub(crate) async fn find(
    platform: &Platform,
    user: Uuid,
    id: Uuid,
) -> AppResult<Option<scheduler_optimization::Model>> {
    Ok(scheduler_optimization::Entity::find_by_id(id)
        .filter(scheduler_optimization::Column::UserId.eq(user))
        .one(&platform.db)
        .await?
        .map(|run| present(run, platform.clock.now())))
}

/// Starts an optimisation of `user`'s scheduler; returns the run (`RUNNING`).
pub(crate) async fn start(
    platform: &Platform,
    user: Uuid,
) -> AppResult<scheduler_optimization::Model> {
    let reviews = flashcard_review::Entity::find()
        .filter(flashcard_review::Column::UserId.eq(user))
        .count(&platform.db)
        .await?;
    if reviews < MIN_REVIEWS {
        return Err(AppError::Conflict(format!(
            "optimising your scheduler needs at least {MIN_REVIEWS} reviews; you have {reviews}"
        )));
    }
    let now = platform.clock.now();
    let txn = begin_write(&platform.db).await?;
    let running = scheduler_optimization::Entity::find()
        .filter(scheduler_optimization::Column::UserId.eq(user))
        .filter(scheduler_optimization::Column::Status.eq(Status::Running))
        .all(&txn)
        .await?;
    if running
        .into_iter()
        .any(|run| present(run, now).status == Status::Running)
    {
        return Err(AppError::Conflict(
            "an optimisation of your scheduler is running already".into(),
        ));
    }
    let run = scheduler_optimization::Model {
        id: Uuid::now_v7(),
        user_id: user,
        status: Status::Running,
        progress: 0.0,
        review_count: i32::try_from(reviews).unwrap_or(i32::MAX),
        train_count: 0,
        test_count: 0,
        reason: None,
        evaluation: None,
        parameters: None,
        heartbeat_at: now,
        created_at: now,
        finished_at: None,
    };
    scheduler_optimization::Entity::insert(scheduler_optimization::ActiveModel::from(run.clone()))
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(run = %run.id, %user, reviews, "scheduler optimisation started");
    let platform = platform.clone();
    let id = run.id;
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        let outcome = run_to_end(&platform, user, id).await;
        let seconds = started.elapsed().as_secs_f64();
        metrics::histogram!("agora_scheduler_optimization_seconds").record(seconds);
        if let Err(err) = outcome {
            tracing::warn!(run = %id, %user, error = ?err, "scheduler optimisation failed");
            let reason = match err {
                AppError::Internal(_) => "the optimiser failed; see the server log".to_owned(),
                other => other.client_message(),
            };
            if let Err(err) = finish_failed(&platform, id, reason).await {
                tracing::error!(run = %id, error = ?err, "could not record a failed optimisation");
            }
        } else {
            tracing::info!(run = %id, %user, seconds, "scheduler optimisation done");
        }
        let _ = platform.bus.publish(&channel(id), "{}").await;
    });
    Ok(run)
}

async fn finish_failed(platform: &Platform, id: Uuid, reason: String) -> AppResult<()> {
    scheduler_optimization::Entity::update_many()
        .set(scheduler_optimization::ActiveModel {
            status: Set(Status::Failed),
            reason: Set(Some(reason)),
            finished_at: Set(Some(platform.clock.now())),
            ..Default::default()
        })
        .filter(scheduler_optimization::Column::Id.eq(id))
        .exec(&platform.db)
        .await?;
    Ok(())
}

async fn set_progress(platform: &Platform, id: Uuid, progress: f64) -> AppResult<()> {
    scheduler_optimization::Entity::update_many()
        .set(scheduler_optimization::ActiveModel {
            progress: Set(progress),
            heartbeat_at: Set(platform.clock.now()),
            ..Default::default()
        })
        .filter(scheduler_optimization::Column::Id.eq(id))
        .filter(scheduler_optimization::Column::Status.eq(Status::Running))
        .exec(&platform.db)
        .await?;
    let _ = platform.bus.publish(&channel(id), "{}").await;
    Ok(())
}

/// Training and held-out items of a learner's log.
pub(crate) struct Dataset {
    /// Items whose last review came before `split`.
    pub train: Vec<FSRSItem>,
    /// The card (its index) of each training item.
    pub train_cards: Vec<i64>,
    /// Held-out reviews from here on.
    pub split: DateTime<Utc>,
    /// Held-out reviews that are evaluated (a day or more after the one before).
    pub test_count: usize,
}

/// Splits `logs` (each card's reviews, oldest first) into training items and the held-out
/// period; `None` without enough of either.
pub(crate) fn dataset(logs: &[Vec<LoggedReview>]) -> Option<Dataset> {
    let mut times: Vec<DateTime<Utc>> = logs
        .iter()
        .flat_map(|log| log.iter().skip(1).map(|review| review.at))
        .collect();
    if times.len() < 2 {
        return None;
    }
    times.sort_unstable();
    let split_index = ((times.len() as f64) * (1.0 - HELD_OUT)).floor() as usize;
    let split = times[split_index.min(times.len() - 1)];
    let mut train = Vec::new();
    let mut train_cards = Vec::new();
    let mut test_count = 0;
    for (card, log) in logs.iter().enumerate() {
        for k in 1..log.len() {
            if log[k].at < split {
                train.push(fsrs_item(log, k + 1));
                train_cards.push(card as i64);
            } else if whole_days(log[k - 1].at, log[k].at) >= 1 {
                test_count += 1;
            }
        }
    }
    (train.len() >= 8 && test_count > 0).then_some(Dataset {
        train,
        train_cards,
        split,
        test_count,
    })
}

/// How well `model` (SM-2 when `None`) predicts the reviews of `logs` from `split` on.
pub(crate) fn evaluate(
    logs: &[Vec<LoggedReview>],
    split: DateTime<Utc>,
    model: Option<&Fsrs>,
    which: EvaluatedModel,
) -> Result<Evaluation, fsrs::FSRSError> {
    let mut predictions: Vec<(f64, bool)> = Vec::new();
    for log in logs {
        if log.len() < 2 || log[log.len() - 1].at < split {
            continue;
        }
        let (sm2, states) = match model {
            Some(model) => (Vec::new(), model.replay(log)?),
            None => (replay_sm2(log), Vec::new()),
        };
        for k in 1..log.len() {
            let (previous, review) = (log[k - 1], log[k]);
            let days = whole_days(previous.at, review.at);
            if review.at < split || days < 1 {
                continue;
            }
            let predicted = match model {
                Some(model) => Some(model.retrievability(states[k - 1], f64::from(days))),
                None => sm2_retrievability(
                    sm2[k - 1].interval_days,
                    fractional_days(previous.at, review.at),
                ),
            };
            if let Some(p) = predicted {
                predictions.push((p, recalled(review.quality)));
            }
        }
    }
    Ok(score(&predictions, which))
}

/// Log-loss and binned RMSE of `(prediction, recalled)` pairs.
pub(crate) fn score(predictions: &[(f64, bool)], model: EvaluatedModel) -> Evaluation {
    const BINS: usize = 20;
    if predictions.is_empty() {
        return Evaluation {
            model,
            log_loss: f64::NAN,
            rmse: f64::NAN,
        };
    }
    let mut loss = 0.0;
    let mut bins = [(0.0_f64, 0.0_f64, 0_u64); BINS];
    for &(p, y) in predictions {
        let p = p.clamp(1e-6, 1.0 - 1e-6);
        loss -= if y { p.ln() } else { (1.0 - p).ln() };
        let bin = ((p * BINS as f64) as usize).min(BINS - 1);
        bins[bin].0 += p;
        bins[bin].1 += f64::from(u8::from(y));
        bins[bin].2 += 1;
    }
    let n = predictions.len() as f64;
    let squared: f64 = bins
        .iter()
        .filter(|bin| bin.2 > 0)
        .map(|&(p, y, count)| {
            let count = count as f64;
            count * (p / count - y / count).powi(2)
        })
        .sum();
    Evaluation {
        model,
        log_loss: loss / n,
        rmse: (squared / n).sqrt(),
    }
}

async fn run_to_end(platform: &Platform, user: Uuid, id: Uuid) -> AppResult<()> {
    let _slot = SLOTS
        .acquire()
        .await
        .map_err(|_| AppError::internal("optimiser slots closed"))?;
    let mut logs: Vec<(Uuid, Vec<LoggedReview>)> = settings::logs_by_card(&platform.db, user)
        .await?
        .into_iter()
        .collect();
    logs.sort_unstable_by_key(|(card, _)| *card);
    let logs: Arc<Vec<Vec<LoggedReview>>> = Arc::new(logs.into_iter().map(|(_, l)| l).collect());
    let Some(data) = dataset(&logs) else {
        return Err(AppError::Conflict(
            "too few repeated reviews to fit and evaluate: review the same cards on later days"
                .into(),
        ));
    };
    set_progress(platform, id, 0.05).await?;
    let progress = CombinedProgressState::new_shared();
    let (train_count, test_count, split) = (data.train.len(), data.test_count, data.split);
    let input = ComputeParametersInput {
        train_set: data.train,
        card_ids: Some(data.train_cards),
        progress: Some(progress.clone()),
        ..ComputeParametersInput::default()
    };
    let fit_logs = logs.clone();
    let mut job = tokio::task::spawn_blocking(move || {
        let parameters = fsrs::compute_parameters(input)?;
        let fitted = Fsrs::new(Some(&parameters))?;
        let evaluations = [
            evaluate(&fit_logs, split, None, EvaluatedModel::Sm2)?,
            evaluate(
                &fit_logs,
                split,
                Some(&Fsrs::default_model()),
                EvaluatedModel::FsrsDefault,
            )?,
            evaluate(&fit_logs, split, Some(&fitted), EvaluatedModel::FsrsFitted)?,
        ];
        Ok::<_, fsrs::FSRSError>((parameters, evaluations))
    });
    let mut shown = 0.05;
    let outcome = loop {
        tokio::select! {
            outcome = &mut job => break outcome,
            () = tokio::time::sleep(TICK) => {
                let (current, total) = {
                    let state = progress.lock().map_err(|_| AppError::internal("progress lock"))?;
                    (state.current(), state.total())
                };
                let fraction = if total == 0 { 0.0 } else { current as f64 / total as f64 };
                let now_shown = 0.05 + 0.9 * fraction.clamp(0.0, 1.0);
                if now_shown - shown >= 0.01 {
                    shown = now_shown;
                    set_progress(platform, id, shown).await?;
                }
            }
        }
    };
    let (parameters, evaluations) = outcome
        .map_err(|err| AppError::internal(format!("optimiser task: {err}")))?
        .map_err(|err| AppError::internal(format!("FSRS optimiser: {err}")))?;
    let now = platform.clock.now();
    let txn = begin_write(&platform.db).await?;
    let mut learner = settings::of(&txn, user).await?;
    learner.fsrs_parameters = Some(parameters.clone());
    settings::save(&txn, now, &learner).await?;
    if learner.scheduler == Scheduler::Fsrs {
        settings::to_fsrs(&txn, &learner).await?;
    }
    scheduler_optimization::Entity::update_many()
        .set(scheduler_optimization::ActiveModel {
            status: Set(Status::Done),
            progress: Set(1.0),
            train_count: Set(i32::try_from(train_count).unwrap_or(i32::MAX)),
            test_count: Set(i32::try_from(test_count).unwrap_or(i32::MAX)),
            evaluation: Set(Some(
                serde_json::to_string(&evaluations).map_err(AppError::internal)?,
            )),
            parameters: Set(Some(
                serde_json::to_string(&parameters).map_err(AppError::internal)?,
            )),
            heartbeat_at: Set(now),
            finished_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(scheduler_optimization::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_useless_predictions_score_as_they_should() {
        let perfect = score(
            &[(0.999_999, true), (0.000_001, false)],
            EvaluatedModel::Sm2,
        );
        assert!(
            perfect.log_loss < 1e-5 && perfect.rmse < 1e-5,
            "{perfect:?}"
        );
        let coin = score(&[(0.5, true), (0.5, false)], EvaluatedModel::Sm2);
        assert!((coin.log_loss - std::f64::consts::LN_2).abs() < 1e-9);
        assert!(coin.rmse < 1e-9, "calibrated on average: {coin:?}");
        let wrong = score(&[(0.9, false), (0.9, false)], EvaluatedModel::Sm2);
        assert!((wrong.rmse - 0.9).abs() < 1e-9, "{wrong:?}");
    }

    #[test]
    fn the_newest_fifth_is_held_out() {
        let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).expect("time");
        let logs: Vec<Vec<LoggedReview>> = (0..10)
            .map(|card| {
                (0..6)
                    .map(|i| LoggedReview {
                        quality: 4,
                        at: start + Duration::days(i * 20) + Duration::hours(card),
                    })
                    .collect()
            })
            .collect();
        let data = dataset(&logs).expect("enough");
        // 50 items after first reviews; 40 before the split.
        assert_eq!(data.train.len(), 40);
        assert_eq!(data.test_count, 10);
        assert!(dataset(&logs[..1]).is_none(), "one card is too little");
    }
}
