//! The hourly "flashcards due" reminder, at the hour each learner usually studies. Every hour,
//! on one replica (the scheduler's claim): each learner for whom it is now their reminder hour
//! (local time) and who has cards due before their local midnight gets one `FLASHCARDS_DUE`
//! event with the count, which notifications deliver (in-app, push and e-mail by default).
//!
//! The reminder hour is learnt from the learner's reviews: every review counts one for its local
//! hour (`study_hours`); once they made [`MIN_HOUR_REVIEWS`] reviews, the hour with the most
//! reviews is theirs (ties: the earlier hour). Before that, and for learners who never
//! reviewed, it is [`MORNING_HOUR`]:00. The local day of each reminder is recorded
//! (`flashcard_reminders`), so a learner is reminded at most once a day even when their usual
//! hour moves during the day.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use agora_entities::learning::{flashcard, flashcard_reminder, study_hour};
use agora_events::FlashcardsDue;
use agora_platform::{
    AppResult, Platform,
    db::begin_write,
    outbox::{self, NewEvent},
    schedule::{ScheduledJob, hourly},
};
use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::OnConflict,
};
use uuid::Uuid;

/// Local hour of the reminder for a learner whose usual hour is not known yet.
pub(crate) const MORNING_HOUR: u32 = 9;
/// Reviews a learner makes before their usual hour is trusted.
pub(crate) const MIN_HOUR_REVIEWS: i64 = 5;

/// The local hour a learner usually studies, from `(hour, reviews)` counts: the busiest hour
/// once they made [`MIN_HOUR_REVIEWS`] reviews (ties: the earlier hour), else `None`.
pub(crate) fn usual_hour(hours: &[(i32, i64)]) -> Option<u32> {
    let total: i64 = hours.iter().map(|(_, n)| n).sum();
    if total < MIN_HOUR_REVIEWS {
        return None;
    }
    hours
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .and_then(|(hour, _)| u32::try_from(*hour).ok())
}

/// `user`'s usual study hour, if known.
pub(crate) async fn study_hour_of<C: sea_orm::ConnectionTrait>(
    db: &C,
    user: Uuid,
) -> AppResult<Option<u32>> {
    let hours: Vec<(i32, i64)> = study_hour::Entity::find()
        .select_only()
        .columns([study_hour::Column::Hour, study_hour::Column::Reviews])
        .filter(study_hour::Column::UserId.eq(user))
        .into_tuple()
        .all(db)
        .await?;
    Ok(usual_hour(&hours))
}

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
    let mut hours: HashMap<Uuid, Vec<(i32, i64)>> = HashMap::new();
    for chunk in owners.chunks(1_000) {
        let rows: Vec<(Uuid, i32, i64)> = study_hour::Entity::find()
            .select_only()
            .columns([
                study_hour::Column::UserId,
                study_hour::Column::Hour,
                study_hour::Column::Reviews,
            ])
            .filter(study_hour::Column::UserId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        for (user, hour, reviews) in rows {
            hours.entry(user).or_default().push((hour, reviews));
        }
    }
    let mut now_hour: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
    for (user, name) in zones {
        let zone: chrono_tz::Tz = name.parse().unwrap_or(chrono_tz::UTC);
        let hour = hours
            .get(&user)
            .and_then(|h| usual_hour(h))
            .unwrap_or(MORNING_HOUR);
        if now.with_timezone(&zone).hour() == hour {
            now_hour.entry(name).or_default().push(user);
        }
    }
    // Never twice a day: leave out whoever was reminded on their local today already.
    let candidates: Vec<Uuid> = now_hour.values().flatten().copied().collect();
    let mut last: HashMap<Uuid, String> = HashMap::new();
    for chunk in candidates.chunks(1_000) {
        last.extend(
            flashcard_reminder::Entity::find()
                .filter(flashcard_reminder::Column::UserId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|row| (row.user_id, row.local_date)),
        );
    }
    let mut events = Vec::new();
    let mut reminded = Vec::new();
    for (name, users) in now_hour {
        let zone: chrono_tz::Tz = name.parse().unwrap_or(chrono_tz::UTC);
        let local_date = now.with_timezone(&zone).date_naive();
        let today = local_date.to_string();
        let users: Vec<Uuid> = users
            .into_iter()
            .filter(|user| last.get(user) != Some(&today))
            .collect();
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
                reminded.push(flashcard_reminder::ActiveModel {
                    user_id: Set(user),
                    local_date: Set(today.clone()),
                });
            }
        }
    }
    let sent = events.len();
    if sent > 0 {
        let txn = begin_write(db).await?;
        outbox::enqueue_many(&txn, now, events).await?;
        for chunk in reminded.chunks(500) {
            flashcard_reminder::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::column(flashcard_reminder::Column::UserId)
                        .update_column(flashcard_reminder::Column::LocalDate)
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        platform.wake_outbox();
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_hour_is_the_busiest_once_there_are_enough_reviews() {
        assert_eq!(usual_hour(&[]), None);
        assert_eq!(usual_hour(&[(18, 4)]), None, "four reviews are too few");
        assert_eq!(usual_hour(&[(18, 4), (7, 1)]), Some(18));
        assert_eq!(
            usual_hour(&[(20, 3), (7, 3)]),
            Some(7),
            "ties: the earlier hour"
        );
    }
}
