//! The evening streak-at-risk reminder. Hourly, on one replica: for every time zone where it
//! is now [`EVENING_HOUR`]:00–:59 local time, each user with a live streak who was last active
//! yesterday (nothing yet today) gets a `STREAK_AT_RISK` event, which notifications deliver.
//! A zone passes that hour once a day, so a user hears at most one reminder a day.

use std::sync::Arc;

use agora_entities::gamification::user_progress;
use agora_events::StreakAtRisk;
use agora_platform::{
    AppResult, Platform,
    db::begin_write,
    outbox::{self, NewEvent},
    schedule::{ScheduledJob, hourly},
};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Timelike, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::zone;

/// Local hour of the reminder (19:00, early enough to act on).
pub(crate) const EVENING_HOUR: u32 = 19;

/// The job.
pub(crate) struct StreakAtRiskJob;

/// The job, for the scheduler.
pub(crate) fn job() -> Arc<dyn ScheduledJob> {
    Arc::new(StreakAtRiskJob)
}

#[async_trait]
impl ScheduledJob for StreakAtRiskJob {
    fn name(&self) -> &'static str {
        "gamification.streak_at_risk"
    }

    fn period(&self, now: DateTime<Utc>) -> String {
        hourly(now)
    }

    async fn run(&self, platform: &Platform, now: DateTime<Utc>) -> AppResult<()> {
        let sent = remind(platform, now).await?;
        tracing::info!(sent, "streak-at-risk reminders queued");
        Ok(())
    }
}

/// Queues the reminders due at `now`; returns how many.
pub(crate) async fn remind(platform: &Platform, now: DateTime<Utc>) -> AppResult<usize> {
    let zones: Vec<String> = user_progress::Entity::find()
        .select_only()
        .column(user_progress::Column::TimeZone)
        .filter(user_progress::Column::CurrentStreak.gt(0))
        .distinct()
        .into_tuple()
        .all(&platform.db)
        .await?;
    let mut sent = 0;
    for name in zones {
        let local = now.with_timezone(&zone(&name));
        if local.hour() != EVENING_HOUR {
            continue;
        }
        let today = local.date_naive();
        let yesterday = (today - Duration::days(1)).to_string();
        let at_risk = user_progress::Entity::find()
            .filter(user_progress::Column::TimeZone.eq(name.as_str()))
            .filter(user_progress::Column::LastActiveDate.eq(yesterday))
            .filter(user_progress::Column::CurrentStreak.gt(0))
            .all(&platform.db)
            .await?;
        if at_risk.is_empty() {
            continue;
        }
        let txn = begin_write(&platform.db).await?;
        for row in &at_risk {
            let event = StreakAtRisk {
                user_id: row.user_id,
                streak: row.current_streak,
                freezes: row.freezes,
                local_date: today,
            };
            outbox::enqueue(&txn, now, NewEvent::of(row.user_id, &event)?).await?;
        }
        txn.commit().await?;
        sent += at_risk.len();
    }
    if sent > 0 {
        platform.wake_outbox();
    }
    Ok(sent)
}
