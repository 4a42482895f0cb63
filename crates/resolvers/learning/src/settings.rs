//! Each learner's scheduler settings, and the conversion of their cards when they switch.
//!
//! Defaults (a learner without a row): SM-2, 90% desired retention, intervals capped at 36,500
//! days, 20 new cards a day. Switching to FSRS replays every card's review log through FSRS
//! (with the learner's fitted parameters, if any) to set its memory state; switching to SM-2
//! replays the log through SM-2 to set its ease factor and repetitions. Either way each card
//! keeps its due date: a switch changes how the next review schedules, not what is due now.

use std::collections::HashMap;

use agora_entities::learning::{
    flashcard, flashcard_review,
    learning_settings::{self, Scheduler},
};
use agora_platform::{AppError, AppResult, Platform, db::begin_write, error::Violations};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::OnConflict,
};
use uuid::Uuid;

use crate::scheduler::{Fsrs, LoggedReview, replay_sm2};

/// Desired retention when unset.
pub(crate) const DEFAULT_RETENTION: f64 = 0.9;
/// Lowest and highest desired retention accepted.
pub(crate) const RETENTION_RANGE: (f64, f64) = (0.7, 0.99);
/// Longest interval when unset (100 years: no cap in practice).
pub(crate) const DEFAULT_MAXIMUM_INTERVAL: i32 = 36_500;
/// New cards a day when unset.
pub(crate) const DEFAULT_NEW_PER_DAY: i32 = 20;
/// Most new cards a day one may ask for.
pub(crate) const MAX_NEW_PER_DAY: i32 = 9_999;

/// A learner's settings, with the defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    /// The learner.
    pub user_id: Uuid,
    /// The scheduler in force.
    pub scheduler: Scheduler,
    /// FSRS's target probability of recall.
    pub desired_retention: f64,
    /// The cap on intervals, in days.
    pub maximum_interval_days: i32,
    /// New cards a day.
    pub new_cards_per_day: i32,
    /// Fitted FSRS parameters, if an optimisation saved some.
    pub fsrs_parameters: Option<Vec<f32>>,
}

impl Settings {
    fn defaults(user_id: Uuid) -> Self {
        Self {
            user_id,
            scheduler: Scheduler::Sm2,
            desired_retention: DEFAULT_RETENTION,
            maximum_interval_days: DEFAULT_MAXIMUM_INTERVAL,
            new_cards_per_day: DEFAULT_NEW_PER_DAY,
            fsrs_parameters: None,
        }
    }

    fn from_row(row: learning_settings::Model) -> Self {
        Self {
            user_id: row.user_id,
            scheduler: row.scheduler,
            desired_retention: row.desired_retention,
            maximum_interval_days: row.maximum_interval_days,
            new_cards_per_day: row.new_cards_per_day,
            fsrs_parameters: row
                .fsrs_parameters
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok()),
        }
    }

    /// The learner's FSRS model (their fitted parameters, or the defaults).
    pub(crate) fn fsrs(&self) -> AppResult<Fsrs> {
        Fsrs::new(self.fsrs_parameters.as_deref())
            .map_err(|err| AppError::internal(format!("stored FSRS parameters: {err}")))
    }
}

/// `user`'s settings (the defaults when they never chose).
pub(crate) async fn of<C: ConnectionTrait>(db: &C, user: Uuid) -> AppResult<Settings> {
    Ok(learning_settings::Entity::find_by_id(user)
        .one(db)
        .await?
        .map_or_else(|| Settings::defaults(user), Settings::from_row))
}

/// Changes to the settings; `None` leaves one as it is.
#[derive(Debug, Default)]
pub(crate) struct SettingsChanges {
    /// Switch scheduler (cards are converted from their log).
    pub scheduler: Option<Scheduler>,
    /// New desired retention.
    pub desired_retention: Option<f64>,
    /// New interval cap.
    pub maximum_interval_days: Option<i32>,
    /// New daily limit of new cards.
    pub new_cards_per_day: Option<i32>,
}

fn check(changes: &SettingsChanges) -> AppResult<()> {
    let mut problems = Violations::default();
    if let Some(retention) = changes.desired_retention
        && !(RETENTION_RANGE.0..=RETENTION_RANGE.1).contains(&retention)
    {
        problems.add(AppError::bad_input(
            "input.desiredRetention",
            format!(
                "`desiredRetention` is between {} and {}",
                RETENTION_RANGE.0, RETENTION_RANGE.1
            ),
        ));
    }
    if let Some(days) = changes.maximum_interval_days
        && !(1..=DEFAULT_MAXIMUM_INTERVAL).contains(&days)
    {
        problems.add(AppError::bad_input(
            "input.maximumIntervalDays",
            format!("`maximumIntervalDays` is 1 to {DEFAULT_MAXIMUM_INTERVAL}"),
        ));
    }
    if let Some(count) = changes.new_cards_per_day
        && !(0..=MAX_NEW_PER_DAY).contains(&count)
    {
        problems.add(AppError::bad_input(
            "input.newCardsPerDay",
            format!("`newCardsPerDay` is 0 to {MAX_NEW_PER_DAY}"),
        ));
    }
    problems.finish()
}

/// Applies `changes` to `user`'s settings; a scheduler switch converts every card in the same
/// transaction. Returns the settings and how many cards were converted.
pub(crate) async fn update(
    platform: &Platform,
    user: Uuid,
    changes: SettingsChanges,
) -> AppResult<(Settings, usize)> {
    check(&changes)?;
    let txn = begin_write(&platform.db).await?;
    let mut settings = of(&txn, user).await?;
    let switched = changes
        .scheduler
        .filter(|scheduler| *scheduler != settings.scheduler);
    if let Some(scheduler) = changes.scheduler {
        settings.scheduler = scheduler;
    }
    if let Some(retention) = changes.desired_retention {
        settings.desired_retention = retention;
    }
    if let Some(days) = changes.maximum_interval_days {
        settings.maximum_interval_days = days;
    }
    if let Some(count) = changes.new_cards_per_day {
        settings.new_cards_per_day = count;
    }
    save(&txn, platform.clock.now(), &settings).await?;
    let converted = match switched {
        Some(Scheduler::Fsrs) => to_fsrs(&txn, &settings).await?,
        Some(Scheduler::Sm2) => to_sm2(&txn, user).await?,
        None => 0,
    };
    txn.commit().await?;
    if let Some(scheduler) = switched {
        tracing::info!(%user, ?scheduler, cards = converted, "learner switched scheduler");
    }
    Ok((settings, converted))
}

/// Writes `settings` (insert or replace).
pub(crate) async fn save<C: ConnectionTrait>(
    db: &C,
    now: chrono::DateTime<chrono::Utc>,
    settings: &Settings,
) -> AppResult<()> {
    let parameters = settings
        .fsrs_parameters
        .as_ref()
        .map(|p| serde_json::to_string(p).map_err(AppError::internal))
        .transpose()?;
    learning_settings::Entity::insert(learning_settings::ActiveModel {
        user_id: Set(settings.user_id),
        scheduler: Set(settings.scheduler),
        desired_retention: Set(settings.desired_retention),
        maximum_interval_days: Set(settings.maximum_interval_days),
        new_cards_per_day: Set(settings.new_cards_per_day),
        fsrs_parameters: Set(parameters),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(learning_settings::Column::UserId)
            .update_columns([
                learning_settings::Column::Scheduler,
                learning_settings::Column::DesiredRetention,
                learning_settings::Column::MaximumIntervalDays,
                learning_settings::Column::NewCardsPerDay,
                learning_settings::Column::FsrsParameters,
                learning_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Every review of `user`'s cards, grouped by card, oldest first.
pub(crate) async fn logs_by_card<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
) -> AppResult<HashMap<Uuid, Vec<LoggedReview>>> {
    let reviews = flashcard_review::Entity::find()
        .filter(flashcard_review::Column::UserId.eq(user))
        .order_by_asc(flashcard_review::Column::ReviewedAt)
        .order_by_asc(flashcard_review::Column::Id)
        .all(db)
        .await?;
    let mut logs: HashMap<Uuid, Vec<LoggedReview>> = HashMap::new();
    for review in &reviews {
        logs.entry(review.flashcard_id)
            .or_default()
            .push(review.into());
    }
    Ok(logs)
}

/// Sets every reviewed card's FSRS memory state from its log; returns the cards changed.
pub(crate) async fn to_fsrs<C: ConnectionTrait>(db: &C, settings: &Settings) -> AppResult<usize> {
    let model = settings.fsrs()?;
    let logs = logs_by_card(db, settings.user_id).await?;
    let mut converted = 0;
    for (card, log) in &logs {
        let states = model
            .replay(log)
            .map_err(|err| AppError::internal(format!("FSRS replay of {card}: {err}")))?;
        let Some(state) = states.last() else {
            continue;
        };
        flashcard::Entity::update_many()
            .set(flashcard::ActiveModel {
                stability: Set(Some(f64::from(state.stability))),
                fsrs_difficulty: Set(Some(f64::from(state.difficulty))),
                ..Default::default()
            })
            .filter(flashcard::Column::Id.eq(*card))
            .filter(flashcard::Column::OwnerId.eq(settings.user_id))
            .exec(db)
            .await?;
        converted += 1;
    }
    Ok(converted)
}

/// Sets every reviewed card's SM-2 ease factor and repetitions from its log; returns the cards
/// changed.
async fn to_sm2<C: ConnectionTrait>(db: &C, user: Uuid) -> AppResult<usize> {
    let logs = logs_by_card(db, user).await?;
    let mut converted = 0;
    for (card, log) in &logs {
        let Some(schedule) = replay_sm2(log).last().copied() else {
            continue;
        };
        flashcard::Entity::update_many()
            .set(flashcard::ActiveModel {
                ease_factor: Set(schedule.ease_factor),
                repetitions: Set(schedule.repetitions),
                ..Default::default()
            })
            .filter(flashcard::Column::Id.eq(*card))
            .filter(flashcard::Column::OwnerId.eq(user))
            .exec(db)
            .await?;
        converted += 1;
    }
    Ok(converted)
}
