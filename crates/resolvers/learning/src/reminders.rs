//! The hourly "flashcards due" reminder. Every hour, on one replica (the scheduler's claim):
//! each learner for whom it is now [`MORNING_HOUR`]:00–:59 local time and who has cards due
//! before their local midnight gets one `FLASHCARDS_DUE` event with the count, which
//! notifications deliver (in-app, push and e-mail by default). A zone passes that hour once a
//! day, so a learner hears at most one reminder a day, in their morning.

use std::{collections::BTreeMap, sync::Arc};

use agora_entities::learning::flashcard;
use agora_events::FlashcardsDue;
use agora_platform::{
    AppResult, Platform,
    db::begin_write,
    outbox::{self, NewEvent},
    schedule::{ScheduledJob, hourly},
};
use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

/// Local hour of the reminder.
pub(crate) const MORNING_HOUR: u32 = 9;

/// The job.
pub(crate) struct FlashcardsDueJob;

/// The job, for the scheduler.
pub(crate) fn job() -> Arc<dyn ScheduledJob> {
    Arc::new(FlashcardsDueJob)
}

#[async_trait]
impl ScheduledJob for FlashcardsDueJob {
    fn name(&self) -> &'static str {
        "learning.flashcards_due"
    }

    fn period(&self, now: DateTime<Utc>) -> String {
        hourly(now)
    }

    async fn run(&self, platform: &Platform, now: DateTime<Utc>) -> AppResult<()> {
        let sent = remind(platform, now).await?;
        tracing::info!(sent, "flashcards-due reminders queued");
        Ok(())
    }
}

/// The end of the local day of `now` in `zone`, as a UTC instant.
fn local_midnight_after(zone: chrono_tz::Tz, now: DateTime<Utc>) -> DateTime<Utc> {
    let tomorrow = now.with_timezone(&zone).date_naive() + Duration::days(1);
    let midnight = tomorrow.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone.from_local_datetime(&midnight)
        .earliest()
        .map_or(now + Duration::days(1), |t| t.with_timezone(&Utc))
}

/// Queues the reminders due at `now`; returns how many.
pub(crate) async fn remind(platform: &Platform, now: DateTime<Utc>) -> AppResult<usize> {
    let db = &platform.db;
    // Whoever has a card due within a day; local midnight is never further away than that.
    let owners: Vec<Uuid> = flashcard::Entity::find()
        .select_only()
        .column(flashcard::Column::OwnerId)
        .filter(flashcard::Column::NextReviewAt.lt(now + Duration::days(1)))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    if owners.is_empty() {
        return Ok(0);
    }
    let zones = agora_identity::api::time_zones(db, &owners).await?;
    let mut morning: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
    for (user, name) in zones {
        let zone: chrono_tz::Tz = name.parse().unwrap_or(chrono_tz::UTC);
        if now.with_timezone(&zone).hour() == MORNING_HOUR {
            morning.entry(name).or_default().push(user);
        }
    }
    let mut events = Vec::new();
    for (name, users) in morning {
        let zone: chrono_tz::Tz = name.parse().unwrap_or(chrono_tz::UTC);
        let local_date = now.with_timezone(&zone).date_naive();
        let until = local_midnight_after(zone, now);
        for chunk in users.chunks(1_000) {
            let counts: Vec<(Uuid, i64)> = flashcard::Entity::find()
                .select_only()
                .column(flashcard::Column::OwnerId)
                .column_as(flashcard::Column::Id.count(), "due")
                .filter(flashcard::Column::OwnerId.is_in(chunk.iter().copied()))
                .filter(flashcard::Column::NextReviewAt.lt(until))
                .group_by(flashcard::Column::OwnerId)
                .into_tuple()
                .all(db)
                .await?;
            for (user, due) in counts.into_iter().filter(|(_, due)| *due > 0) {
                let reminder = FlashcardsDue {
                    user_id: user,
                    due_count: due,
                    local_date: Some(local_date),
                };
                events.push(NewEvent::of(user, &reminder)?);
            }
        }
    }
    let sent = events.len();
    if sent > 0 {
        let txn = begin_write(db).await?;
        outbox::enqueue_many(&txn, now, events).await?;
        txn.commit().await?;
        platform.wake_outbox();
    }
    Ok(sent)
}
